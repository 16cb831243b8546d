// Package api serves the AWS Step Functions API (service "states", API
// version 2016-11-23) on top of a store.Store and an engine.Engine, so that
// unmodified AWS SDKs and the AWS CLI work against Statecraft with an
// endpoint override. It owns the wire protocol, request validation with
// AWS's errors and messages, and who may see what: each request is scoped
// to its principal's account and the region it was signed for. State
// machines, versions, aliases, activities and tags it writes to the store
// itself; executions it asks the engine to start, stop and answer.
//
// # Serving
//
// New returns an http.Handler; the engine behind it must be running for
// timers to fire. `statecraft server` does this (cli/server.go), and so
// can a test:
//
//	st, _ := sqlite.Open(path, sqlite.DefaultOptions())
//	eng := engine.New(st, engine.Options{})
//	go eng.Run(ctx)
//	srv := httptest.NewServer(api.New(st, eng, api.Options{})) // listens on 127.0.0.1
//	client := sfn.New(sfn.Options{
//		Region:       "us-east-1",
//		BaseEndpoint: aws.String(srv.URL),
//		Credentials:  authtest.Credentials("", ""), // local/local, accepted from loopback
//	})
//	client.CreateStateMachine(ctx, ...) // then StartExecution, DescribeExecution, ...
//
// With no Options.Auth the handler accepts only the development pair
// local/local of Options.Account, from loopback; the server passes an
// auth.Authenticator over the credentials file instead.
//
// # Wire protocol
//
// Step Functions speaks awsJson1_0: every operation is a POST to "/" whose
// X-Amz-Target header names it ("AWSStepFunctions.StartExecution") and whose
// body is a JSON object of camelCase members. The Host header does not
// matter: SDKs prepend "sync-" to the host for StartSyncExecution, even for a
// custom endpoint, and such requests are served like any other. Every request
// is authenticated before its body is parsed: SigV4 verified against the
// server's keyring (package auth), unless the request's context already
// carries a principal (an in-process caller: the console, the workflow
// API, the media service inside the server). The principal's role decides
// which operations it may call (AccessDeniedException otherwise), its
// account owns every ARN it creates or names, and the region it signed for
// is the region it works in (see scope.go).
//
// Responses are application/x-amz-json-1.0 with an x-amzn-RequestId header.
// Timestamps are JSON numbers of epoch seconds with millisecond fractions
// (SDKs reject ISO strings); execution input/output and definitions are JSON
// strings holding JSON text, not nested objects.
//
// # Errors
//
// Every error a request can cause is status 400 (405 for a method other
// than POST) with {"__type": "<namespace>#<Name>", "message": ...} and an
// X-Amzn-ErrorType header. SDKs turn the name into a
// typed error only when it is one the operation's model lists, so each
// operation answers only with the errors AWS models for it: a malformed ARN
// is InvalidArn, a bad name InvalidName, an unknown execution
// ExecutionDoesNotExist, with AWS's message texts. Violations of the model's
// own constraints (missing required members, lengths, ranges, enums) are
// com.amazon.coral.validate#ValidationException with AWS's "1 validation
// error detected: ..." wording, as the real service's request validation
// layer answers them whatever the operation; a body that is not JSON, or a
// member of the wrong JSON type, is SerializationException, and an unknown
// X-Amz-Target UnknownOperationException. Operations of the model that
// Statecraft does not implement yet (Map Runs) answer
// a ValidationException naming themselves. Versions (versions.go) and
// aliases (aliases.go) are served: StartExecution and StartSyncExecution
// take a version or alias ARN (an alias picks one of its versions by
// weight for each start; engine.Resolve), the execution keeps the
// machine's ARN and records the version and alias, and ListExecutions of
// a version or alias ARN lists what was started through it. Only a bug in
// Statecraft or a failing store gives a 500 (InternalFailure), and a panic
// is recovered into one and logged.
//
// Express executions run on the engine, in memory (engine.RunExpress and
// engine.StartExpress): like AWS, they are not visible to
// DescribeExecution, GetExecutionHistory or ListExecutions.
//
// TestState (teststate.go) runs one state on the engine too
// (engine.Engine.TestState), through the interpreter's own code and the
// task port executions use: a tested Task state calls the real local
// function or HTTP endpoint. Like StartSyncExecution it is sent to a
// "sync-" host and may run for minutes, so it gets its own deadline.
package api
