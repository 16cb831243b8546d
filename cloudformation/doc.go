// Package cloudformation serves the CloudFormation API (the AWS query
// protocol: form-encoded POSTs naming an Action, XML answers) for stacks
// of Step Functions applications, so that `aws cloudformation create-stack`,
// `wait stack-create-complete`, `update-stack`, `delete-stack` and
// `deploy` work against Statecraft with --endpoint-url.
//
// A stack's resources are created through Statecraft's own doors, called
// in process as the principal who asked for the stack: state machines and
// activities through the Step Functions API, functions through the deploy
// door (so their runtime, environment and code checks are those of
// `statecraft deploy`). IAM resources are recorded only: their names and
// ARNs can be referred to, but nothing in Statecraft reads them, and they
// grant nothing. Every other resource type is refused by name. Templates
// with the SAM transform are expanded by package template first (its
// serverless functions and state machines, and the roles SAM makes).
//
// Operations run in the background, as CloudFormation's do: the request
// returns the stack id, and DescribeStacks and DescribeStackEvents show
// the progress. Stacks, their resources and events are kept in the store,
// each stack one JSON document put with the version last read
// (store.Store.PutStack), so that nodes sharing the store share the stacks
// and two of them never both start an operation of one stack. The file
// that kept them before (Options.File) is imported once. An operation
// that a restart interrupted ends as failed (CREATE_FAILED,
// UPDATE_ROLLBACK_FAILED, ...), the resources it had made listed, for the
// operator to delete the stack; only the node that ran it does this, when
// it starts again (Stack.Node).
// The functions of the stacks are deployed again when the service starts,
// since the functions host keeps nothing across a restart.
//
// Deploying (creating, updating, deleting stacks, change sets) needs the
// admin role, as deploying functions does; describing, listing and
// ValidateTemplate are reading (auth.Role.Allows).
package cloudformation
