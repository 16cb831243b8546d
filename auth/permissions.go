package auth

import (
	"strings"

	"github.com/statecraft/statecraft/arn"
)

// Actions are named as IAM names them ("states:StartExecution",
// "lambda:InvokeFunction"), plus Statecraft's own ("statecraft:Deploy").

// readActions only read.
var readActions = set(
	"states:DescribeStateMachine", "states:ListStateMachines", "states:DescribeStateMachineForExecution",
	"states:ValidateStateMachineDefinition", "states:DescribeExecution", "states:ListExecutions",
	"states:GetExecutionHistory", "states:DescribeActivity", "states:ListActivities",
	"states:ListTagsForResource", "states:ListStateMachineVersions", "states:DescribeStateMachineAlias",
	"states:ListStateMachineAliases", "states:DescribeMapRun", "states:ListMapRuns",
	"lambda:GetFunction", "lambda:ListFunctions",
	"statecraft:GetCost",
	"cloudformation:DescribeChangeSet", "cloudformation:DescribeStackEvents", "cloudformation:DescribeStackResource",
	"cloudformation:DescribeStackResources", "cloudformation:DescribeStacks", "cloudformation:GetTemplate", "cloudformation:GetTemplateSummary",
	"cloudformation:ListChangeSets", "cloudformation:ListStackResources", "cloudformation:ListStacks",
	"cloudformation:ValidateTemplate",
)

// workerActions are what an activity or callback worker does.
var workerActions = set(
	"states:GetActivityTask", "states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat",
)

// runActions start and stop workflows (and run functions) without
// changing what is deployed. TestState runs a state, and its task, the
// way an execution would. Seeing the secrets an HTTP task's connection
// adds (states:RevealSecrets) is not among them: only admin may.
var runActions = set(
	"states:StartExecution", "states:StartSyncExecution", "states:StopExecution",
	"states:RedriveExecution", "states:UpdateMapRun", "states:TestState", "lambda:InvokeFunction",
)

// Allows tells whether role may perform action. Anything not listed for a
// lesser role (creating, updating, deleting, tagging, deploying, and any
// action added later) needs admin: new actions are denied by default.
// Aliases follow the rule: describing and listing them is reading, while
// creating, updating and deleting one changes what a start through it
// runs, which is deploying.
func (r Role) Allows(action string) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleOperator:
		return readActions[action] || workerActions[action] || runActions[action]
	case RoleWorker:
		return workerActions[action]
	case RoleReadOnly:
		return readActions[action]
	}
	return false
}

// UserArn is the IAM-style identity AWS names in AccessDenied messages.
func (p *Principal) UserArn() string {
	return arn.User(p.Region, p.Account, p.AccessKeyID)
}

// DeniedMessage is AWS's AccessDenied text for p performing action on
// resource ("" for actions on no resource), with the reason AWS gives
// ("because no identity-based policy allows the ACTION action").
func (p *Principal) DeniedMessage(action, resource string) string {
	var b strings.Builder
	b.WriteString("User: ")
	b.WriteString(p.UserArn())
	b.WriteString(" is not authorized to perform: ")
	b.WriteString(action)
	if resource != "" {
		b.WriteString(" on resource: ")
		b.WriteString(resource)
	}
	if p.Role.Allows(action) {
		// The role allows it, so it is the resource that is out of
		// reach: another account's.
		b.WriteString(" because no resource-based policy allows the ")
	} else {
		b.WriteString(" because no identity-based policy allows the ")
	}
	b.WriteString(action)
	b.WriteString(" action")
	return b.String()
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
