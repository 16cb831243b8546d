package asl

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

// want is one expected problem: its exact pointer and code, and a part of
// its message.
type want struct {
	ptr, code, msg string
}

func schemaAt(ptr, msg string) want { return want{ptr, CodeSchema, msg} }

// pass wraps one state into a machine that starts with it.
func single(state string) string {
	return `{"StartAt":"A","States":{"A":` + state + `}}`
}

// choiceMachine builds a Choice state C with the given rules that leads to
// a terminal state Done.
func choiceMachine(rules string) string {
	return `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":` + rules + `,"Default":"Done"},"Done":{"Type":"Succeed"}}}`
}

// taskWith builds a Task T with extra fields that ends at Done.
func taskWith(fields string) string {
	return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",` + fields + `,"Next":"Done"},"Done":{"Type":"Succeed"}}}`
}

const lambdaARN = "arn:aws:lambda:us-east-1:123456789012:function:f"

var invalidDefinitions = []struct {
	name string
	def  string
	opts ValidateOptions
	want []want
}{
	// Documents.
	{"invalid JSON", `{"StartAt": "A", "States": {`, ValidateOptions{}, []want{{"", CodeInvalidJSON, "not valid JSON"}}},
	{"trailing garbage", `{} {}`, ValidateOptions{}, []want{{"", CodeInvalidJSON, "not valid JSON"}}},
	{"empty document", "  \n", ValidateOptions{}, []want{{"", CodeMissingDescription, "empty"}}},
	{"null document", `null`, ValidateOptions{}, []want{{"", CodeMissingDescription, "null"}}},
	{"array document", `[1]`, ValidateOptions{}, []want{schemaAt("", "must be a JSON object with 'StartAt' and 'States', got an array")}},

	// Top level.
	{"missing StartAt", `{"States":{"A":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		schemaAt("", "Missing required field 'StartAt'"),
	}},
	{"missing States", `{"StartAt":"A"}`, ValidateOptions{}, []want{schemaAt("", "Missing required field 'States'")}},
	{"empty States", `{"StartAt":"A","States":{}}`, ValidateOptions{}, []want{schemaAt("/States", "must contain at least one state")}},
	{"States not an object", `{"StartAt":"A","States":[]}`, ValidateOptions{}, []want{schemaAt("/States", "must be an object mapping state names")}},
	{"StartAt not a string", `{"StartAt":1,"States":{"A":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		schemaAt("/StartAt", "must be a string naming the first state, got number 1"),
	}},
	{"unknown top-level field", `{"StartAt":"A","Foo":1,"States":{"A":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		schemaAt("/Foo", "Field 'Foo' is not supported at the top level of a state machine; expected only Comment, QueryLanguage, StartAt, States, TimeoutSeconds, Version"),
	}},
	{"bad Version", `{"Version":"2.0","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{schemaAt("/Version", `must be "1.0", got string "2.0"`)}},
	{"zero TimeoutSeconds", `{"TimeoutSeconds":0,"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{schemaAt("/TimeoutSeconds", "must be a positive integer, got number 0")}},
	{"fractional TimeoutSeconds", `{"TimeoutSeconds":1.5,"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{schemaAt("/TimeoutSeconds", "must be a positive integer, got number 1.5")}},
	{"unknown QueryLanguage", `{"QueryLanguage":"XPath","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{schemaAt("/QueryLanguage", `must be "JSONPath" or "JSONata"`)}},
	{"Comment not a string", `{"Comment":{},"StartAt":"A","States":{"A":{"Type":"Succeed","Comment":5}}}`, ValidateOptions{}, []want{
		schemaAt("/Comment", "Field 'Comment' must be a string, got an object"),
		schemaAt("/States/A/Comment", "Field 'Comment' must be a string, got number 5"),
	}},

	// Transitions and reachability.
	{"StartAt names no state", `{"StartAt":"Nope","States":{"A":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		{"/StartAt", CodeMissingTarget, "Missing 'Next' target: Nope"},
	}},
	{"Next names no state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`, ValidateOptions{}, []want{
		{"", CodeMissingEnd, "Workflow has no terminal state"},
		{"/States/A/Next", CodeMissingTarget, "Missing 'Next' target: B (expected the name of a state in the same scope)"},
	}},
	{"unreachable state", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Pass","End":true}}}`, ValidateOptions{}, []want{
		{"/States/B", CodeUnreachable, "State 'B' is not reachable"},
	}},
	{"no terminal state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Wait","Seconds":1,"Next":"A"}}}`, ValidateOptions{}, []want{
		{"", CodeMissingEnd, "Workflow has no terminal state; expected at least one Succeed or Fail state"},
	}},
	{"state is not an object", `{"StartAt":"A","States":{"A":"Succeed"}}`, ValidateOptions{}, []want{
		{"", CodeMissingEnd, "no terminal state"},
		schemaAt("/States/A", `State 'A' must be an object with a 'Type' field, got string "Succeed"`),
	}},
	{"missing Type", single(`{"End":true}`), ValidateOptions{}, []want{
		{"", CodeMissingEnd, "no terminal state"},
		schemaAt("/States/A", "Missing required field 'Type'; expected one of Choice, Fail, Map, Pass, Parallel, Succeed, Task, Wait"),
	}},
	{"unknown Type", single(`{"Type":"Sleep","End":true}`), ValidateOptions{}, []want{
		{"", CodeMissingEnd, "no terminal state"},
		schemaAt("/States/A/Type", `must be one of Choice, Fail, Map, Pass, Parallel, Succeed, Task, Wait, got string "Sleep"`),
	}},
	{"neither Next nor End", single(`{"Type":"Pass"}`), ValidateOptions{}, []want{
		{"", CodeMissingEnd, "no terminal state"},
		schemaAt("/States/A", `Missing required field 'Next'; a Pass state needs either 'Next' or "End": true`),
	}},
	{"both Next and End", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B","End":true},"B":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		schemaAt("/States/A", `State has both 'Next' and "End": true; expected exactly one of them`),
	}},
	{"End not a boolean", single(`{"Type":"Pass","End":"yes"}`), ValidateOptions{}, []want{
		{"", CodeMissingEnd, "no terminal state"},
		schemaAt("/States/A", "Missing required field 'Next'; a Pass state whose 'End' is not true needs 'Next'"),
		schemaAt("/States/A/End", `Field 'End' must be a boolean (true for a terminal state), got string "yes"`),
	}},
	{"Next on Succeed", single(`{"Type":"Succeed","Next":"A"}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Next", "Field 'Next' is not supported by state type Succeed; supported fields are Comment, InputPath, OutputPath, QueryLanguage, Type"),
	}},
	{"field of another state type", single(`{"Type":"Pass","Resource":"x","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Resource", "Field 'Resource' is not supported by state type Pass; supported fields are Assign, Comment, End, InputPath, Next, OutputPath, Parameters, QueryLanguage, Result, ResultPath, Type"),
	}},
	{"ResultSelector on Pass", single(`{"Type":"Pass","ResultSelector":{},"End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/ResultSelector", "Field 'ResultSelector' is not supported by state type Pass"),
	}},
	{"duplicate state name across scopes", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},{"StartAt":"X","States":{"X":{"Type":"Succeed"}}}]}}}`, ValidateOptions{}, []want{
		{"/States/P/Branches/1/States/X", CodeDuplicateState, "Duplicate state name 'X' (already defined at /States/P/Branches/0/States/X)"},
	}},
	{"state name too long", `{"StartAt":"` + strings.Repeat("s", 81) + `","States":{"` + strings.Repeat("s", 81) + `":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		{"/States/" + strings.Repeat("s", 81), CodeInvalidStateName, "State name is 81 characters long; state names must be at most 80 characters"},
	}},
	{"pointer escaping in state names", `{"StartAt":"a/b~c","States":{"a/b~c":{"Type":"Pass","Next":"gone"},"Done":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		{"/States/Done", CodeUnreachable, "State 'Done' is not reachable"},
		{"/States/a~1b~0c/Next", CodeMissingTarget, "Missing 'Next' target: gone"},
	}},

	// Paths and payload templates.
	{"InputPath not a path", single(`{"Type":"Pass","InputPath":"foo","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/InputPath", "Field 'InputPath' must be a valid JSONPath such as \"$.a.b\""),
	}},
	{"OutputPath not a string", single(`{"Type":"Pass","OutputPath":5,"End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/OutputPath", "Field 'OutputPath' must be a JSONPath string starting with '$' or null, got number 5"),
	}},
	{"ResultPath with a wildcard", single(`{"Type":"Pass","ResultPath":"$.a[*]","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/ResultPath", "Field 'ResultPath' must be a reference path naming a single node"),
	}},
	{"ResultPath into the context", single(`{"Type":"Pass","ResultPath":"$$.Execution","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/ResultPath", "Field 'ResultPath' must be a path into the state input"),
	}},
	{"Parameters .$ not a path", single(`{"Type":"Pass","Parameters":{"a.$":"foo","b":"$.ok"},"End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Parameters", "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call"),
	}},
	{"Parameters .$ nested in an array", single(`{"Type":"Pass","Parameters":{"list":[{"b.$":5}]},"End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Parameters/list/0", "The value for the field 'b.$' must be a valid JSONPath or a valid intrinsic function call"),
	}},
	{"Parameters unknown intrinsic", single(`{"Type":"Pass","Parameters":{"x.$":"States.Nope($.a)"},"End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Parameters", "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call"),
	}},
	{"Parameters not an object", single(`{"Type":"Pass","Parameters":"$.a","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Parameters", `Field 'Parameters' must be an object (a payload template), got string "$.a"`),
	}},
	{"ResultSelector bad path", taskWith(`"ResultSelector":{"r.$":"$.a["}`), ValidateOptions{}, []want{
		schemaAt("/States/T/ResultSelector", "The value for the field 'r.$' must be a valid JSONPath"),
	}},
	{"Assign bad variable name and value", single(`{"Type":"Pass","Assign":{"a.b":1,"ok.$":"nope"},"End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Assign", "The value for the field 'ok.$' must be a valid JSONPath or a valid intrinsic function call"),
		schemaAt("/States/A/Assign/a.b", "'a.b' is not a valid variable name"),
	}},

	// Task.
	{"Task without Resource", single(`{"Type":"Task","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A", "Missing required field 'Resource'"),
	}},
	{"Task Resource not an ARN", single(`{"Type":"Task","Resource":"lambda-f","End":true}`), ValidateOptions{}, []want{
		{"/States/A/Resource", CodeInvalidResource, "must be an ARN of the form arn:<partition>:<service>:<region>:<account>:<resource>"},
	}},
	{"TimeoutSeconds with TimeoutSecondsPath", taskWith(`"TimeoutSeconds":10,"TimeoutSecondsPath":"$.t"`), ValidateOptions{}, []want{
		schemaAt("/States/T", "Fields 'TimeoutSeconds' and 'TimeoutSecondsPath' are mutually exclusive"),
	}},
	{"HeartbeatSeconds with HeartbeatSecondsPath", taskWith(`"HeartbeatSeconds":10,"HeartbeatSecondsPath":"$.t"`), ValidateOptions{}, []want{
		schemaAt("/States/T", "Fields 'HeartbeatSeconds' and 'HeartbeatSecondsPath' are mutually exclusive"),
	}},
	{"heartbeat not below timeout", taskWith(`"TimeoutSeconds":10,"HeartbeatSeconds":10`), ValidateOptions{}, []want{
		schemaAt("/States/T/HeartbeatSeconds", "HeartbeatSeconds (10) must be smaller than TimeoutSeconds (10)"),
	}},
	{"negative TimeoutSeconds", taskWith(`"TimeoutSeconds":-5`), ValidateOptions{}, []want{
		schemaAt("/States/T/TimeoutSeconds", "Field 'TimeoutSeconds' must be a positive integer, got number -5"),
	}},
	{"HeartbeatSecondsPath not a reference", taskWith(`"HeartbeatSecondsPath":"$..hb"`), ValidateOptions{}, []want{
		schemaAt("/States/T/HeartbeatSecondsPath", "must be a reference path"),
	}},
	{"Credentials", taskWith(`"Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/r"}`), ValidateOptions{}, nil},
	{"Credentials path", taskWith(`"Credentials":{"RoleArn.$":"$.role"}`), ValidateOptions{}, nil},
	{"Credentials JSONata", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + lambdaARN + `","Credentials":{"RoleArn":"{% $states.input.role %}"},"End":true}}}`, ValidateOptions{}, nil},
	{"Credentials not a role", taskWith(`"Credentials":{"RoleArn":"arn:aws:iam::123456789012:user/u"}`), ValidateOptions{}, []want{
		schemaAt("/States/T/Credentials/RoleArn", "Field 'RoleArn' must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME), got string"),
	}},
	{"Credentials empty", taskWith(`"Credentials":{}`), ValidateOptions{}, []want{
		schemaAt("/States/T/Credentials", "Missing required field 'RoleArn' in Credentials"),
	}},
	{"Credentials both and unknown", taskWith(`"Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/r","RoleArn.$":"$.r","ExternalId":"x"}`), ValidateOptions{}, []want{
		schemaAt("/States/T/Credentials", "Fields 'RoleArn' and 'RoleArn.$' are mutually exclusive"),
		schemaAt("/States/T/Credentials/ExternalId", "Field 'ExternalId' is not supported in Credentials; expected only 'RoleArn' or 'RoleArn.$'"),
	}},
	{"Credentials path in JSONata", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + lambdaARN + `","Credentials":{"RoleArn.$":"$.r"},"End":true}}}`, ValidateOptions{}, []want{
		schemaAt("/States/T/Credentials", "Missing required field 'RoleArn' in Credentials"),
		schemaAt("/States/T/Credentials/RoleArn.$", "Field 'RoleArn.$' is not supported in Credentials; expected only 'RoleArn'"),
	}},
	// Under a role an activity task is queued in the role's account, and a
	// child execution is started there: valid with every pattern.
	{"Credentials with an activity", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:a","Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/r"},"End":true}}}`, ValidateOptions{Runnable: true}, nil},
	{"Credentials with startExecution", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m"},"Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/r"},"End":true}}}`, ValidateOptions{Runnable: true}, nil},
	{"Credentials with startExecution.sync", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m"},"Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/r"},"End":true}}}`, ValidateOptions{Runnable: true}, nil},
	{"Credentials with startExecution.sync:2", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m"},"Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/r"},"End":true}}}`, ValidateOptions{Runnable: true}, nil},
	{"Credentials with startExecution.waitForTaskToken", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.waitForTaskToken","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m","Input":{"t.$":"$$.Task.Token"}},"Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/r"},"End":true}}}`, ValidateOptions{Runnable: true}, nil},
	// AWS assumes the role for service integrations too (through STS).
	{"Credentials with a service integration", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody":"m"},"Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/r"},"End":true}}}`, ValidateOptions{Runnable: true}, nil},
	{"Credentials path with a service integration", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{"TableName":"t","Item":{}},"Credentials":{"RoleArn.$":"$.role"},"End":true}}}`, ValidateOptions{Runnable: true}, nil},
	{"Credentials with aws-sdk", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:listBuckets","Parameters":{},"Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/r"},"End":true}}}`, ValidateOptions{}, nil},
	{"Credentials expression with aws-sdk", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:listBuckets","Arguments":{},"Credentials":{"RoleArn":"{% $states.input.role %}"},"End":true}}}`, ValidateOptions{}, nil},
	{"Credentials not a role with a service integration", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody":"m"},"Credentials":{"RoleArn":"arn:aws:iam::123456789012:user/u"},"End":true}}}`, ValidateOptions{Runnable: true}, []want{
		{"/States/T/Credentials/RoleArn", CodeSchema, "Field 'RoleArn' must be an IAM role ARN"},
	}},

	// Retry and Catch.
	{"Retry not an array", taskWith(`"Retry":{}`), ValidateOptions{}, []want{
		schemaAt("/States/T/Retry", "Field 'Retry' must be an array of retriers, got an object"),
	}},
	{"retrier without ErrorEquals", taskWith(`"Retry":[{"MaxAttempts":2}]`), ValidateOptions{}, []want{
		schemaAt("/States/T/Retry/0", "Missing required field 'ErrorEquals'"),
	}},
	{"retrier field ranges", taskWith(`"Retry":[{"ErrorEquals":["E"],"IntervalSeconds":0,"MaxAttempts":-1,"BackoffRate":0.5,"MaxDelaySeconds":31622401,"JitterStrategy":"RANDOM","Foo":1}]`), ValidateOptions{}, []want{
		schemaAt("/States/T/Retry/0/BackoffRate", "must be a number greater than or equal to 1.0, got number 0.5"),
		schemaAt("/States/T/Retry/0/Foo", "Field 'Foo' is not supported in a retrier"),
		schemaAt("/States/T/Retry/0/IntervalSeconds", "must be an integer from 1 to 99999999, got number 0"),
		schemaAt("/States/T/Retry/0/JitterStrategy", `must be "FULL" or "NONE", got string "RANDOM"`),
		schemaAt("/States/T/Retry/0/MaxAttempts", "must be an integer from 0 to 99999999, got number -1"),
		schemaAt("/States/T/Retry/0/MaxDelaySeconds", "must be an integer from 1 to 31622400, got number 31622401"),
	}},
	{"States.ALL not alone", taskWith(`"Retry":[{"ErrorEquals":["States.ALL","E"]}]`), ValidateOptions{}, []want{
		schemaAt("/States/T/Retry/0/ErrorEquals", "'States.ALL' must appear alone in ErrorEquals"),
	}},
	{"States.ALL not last", taskWith(`"Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["E"]}]`), ValidateOptions{}, []want{
		schemaAt("/States/T/Retry/0/ErrorEquals", "'States.ALL' may only appear in the last retrier"),
	}},
	{"empty ErrorEquals", taskWith(`"Catch":[{"ErrorEquals":[],"Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/T/Catch/0/ErrorEquals", "must be a non-empty array of error names, got an empty array"),
	}},
	{"catcher without Next", taskWith(`"Catch":[{"ErrorEquals":["States.ALL"]}]`), ValidateOptions{}, []want{
		schemaAt("/States/T/Catch/0", "Missing required field 'Next'"),
	}},
	{"catcher Next names no state", taskWith(`"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Recover"}]`), ValidateOptions{}, []want{
		{"/States/T/Catch/0/Next", CodeMissingTarget, "Missing 'Next' target: Recover"},
	}},
	{"catcher bad ResultPath and Output", taskWith(`"Catch":[{"ErrorEquals":["E"],"Next":"Done","ResultPath":"$.x[0:1]","Output":{}}]`), ValidateOptions{}, []want{
		schemaAt("/States/T/Catch/0/Output", "Field 'Output' is only supported when QueryLanguage is JSONata"),
		schemaAt("/States/T/Catch/0/ResultPath", "must be a reference path"),
	}},
	{"States.ALL not last catcher", taskWith(`"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done"},{"ErrorEquals":["E"],"Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/T/Catch/0/ErrorEquals", "'States.ALL' may only appear in the last catcher"),
	}},

	// Wait.
	{"Wait with no duration", single(`{"Type":"Wait","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A", "A Wait state needs exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath'; found none"),
	}},
	{"Wait with two durations", single(`{"Type":"Wait","Seconds":5,"Timestamp":"2016-03-14T01:59:00Z","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A", "found 'Seconds', 'Timestamp'"),
	}},
	{"Wait lowercase timestamp", single(`{"Type":"Wait","Timestamp":"2016-03-14t01:59:00z","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Timestamp", "String does not match RFC3339 timestamp"),
	}},
	{"Wait timestamp out of range", single(`{"Type":"Wait","Timestamp":"2016-02-30T01:59:00Z","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Timestamp", "String does not match RFC3339 timestamp"),
	}},
	{"Wait negative Seconds", single(`{"Type":"Wait","Seconds":-1,"End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Seconds", "Field 'Seconds' must be a non-negative integer, got number -1"),
	}},
	{"Wait SecondsPath not a reference", single(`{"Type":"Wait","SecondsPath":"$.a..b","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/SecondsPath", "must be a reference path"),
	}},

	// Fail.
	{"Fail Error with ErrorPath", single(`{"Type":"Fail","Error":"E","ErrorPath":"$.e"}`), ValidateOptions{}, []want{
		schemaAt("/States/A", "Fields 'Error' and 'ErrorPath' are mutually exclusive"),
	}},
	{"Fail Cause with CausePath", single(`{"Type":"Fail","Cause":"C","CausePath":"$.c"}`), ValidateOptions{}, []want{
		schemaAt("/States/A", "Fields 'Cause' and 'CausePath' are mutually exclusive"),
	}},
	{"Fail ErrorPath neither path nor intrinsic", single(`{"Type":"Fail","ErrorPath":"error"}`), ValidateOptions{}, []want{
		schemaAt("/States/A/ErrorPath", `must be a reference path such as "$.error" or an intrinsic function call`),
	}},
	{"Fail with End", single(`{"Type":"Fail","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/End", "Field 'End' is not supported by state type Fail"),
	}},

	// Choice.
	{"Choice without Choices", `{"StartAt":"C","States":{"C":{"Type":"Choice","Default":"D"},"D":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		schemaAt("/States/C", "Missing required field 'Choices'"),
	}},
	{"Choice with empty Choices", choiceMachine(`[]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices", "must be a non-empty array of Choice rules, got an empty array"),
	}},
	{"rule without Next", choiceMachine(`[{"Variable":"$.a","IsPresent":true}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0", "Missing required field 'Next'"),
	}},
	{"rule without operator", choiceMachine(`[{"Variable":"$.a","Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0", "A Choice rule needs exactly one operator: a comparison such as StringEquals"),
	}},
	{"rule with two operators", choiceMachine(`[{"Variable":"$.a","StringEquals":"x","NumericEquals":1,"Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0", "found 'NumericEquals', 'StringEquals'"),
	}},
	{"rule without Variable", choiceMachine(`[{"StringEquals":"x","Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0", "Missing required field 'Variable'"),
	}},
	{"operand types", choiceMachine(`[{"Variable":"$.a","NumericEquals":"5","Next":"Done"},{"Variable":"$.a","BooleanEquals":"true","Next":"Done"},{"Variable":"$.a","IsPresent":"yes","Next":"Done"},{"Variable":"$.a","StringLessThan":1,"Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0/NumericEquals", `Field 'NumericEquals' must be a number, got string "5"`),
		schemaAt("/States/C/Choices/1/BooleanEquals", `Field 'BooleanEquals' must be a boolean, got string "true"`),
		schemaAt("/States/C/Choices/2/IsPresent", `Field 'IsPresent' must be a boolean, got string "yes"`),
		schemaAt("/States/C/Choices/3/StringLessThan", "Field 'StringLessThan' must be a string, got number 1"),
	}},
	{"timestamp operand", choiceMachine(`[{"Variable":"$.t","TimestampGreaterThan":"yesterday","Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0/TimestampGreaterThan", "String does not match RFC3339 timestamp"),
	}},
	{"path operand and Variable", choiceMachine(`[{"Variable":"$.a[*]","StringEqualsPath":"b","Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0/StringEqualsPath", "Field 'StringEqualsPath' must be a valid JSONPath"),
		schemaAt("/States/C/Choices/0/Variable", "Field 'Variable' must be a reference path"),
	}},
	{"Next inside And", choiceMachine(`[{"And":[{"Variable":"$.a","IsNull":false,"Next":"Done"}],"Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0/And/0/Next", "Field 'Next' is only allowed in a top-level Choice rule"),
	}},
	{"empty Or and array Not", choiceMachine(`[{"Or":[],"Next":"Done"},{"Not":[{"Variable":"$.a","IsNull":true}],"Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0/Or", "Field 'Or' must be a non-empty array of Choice rules, got an empty array"),
		schemaAt("/States/C/Choices/1/Not", "Field 'Not' must be one Choice rule object, got an array"),
	}},
	{"Variable beside And", choiceMachine(`[{"Variable":"$.a","And":[{"Variable":"$.a","IsNull":false}],"Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0/Variable", "Field 'Variable' is not used with 'And'"),
	}},
	{"nested rule problems keep their pointers", choiceMachine(`[{"Not":{"Or":[{"Variable":"$.a","NumericLessThan":true}]},"Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0/Not/Or/0/NumericLessThan", "must be a number, got boolean true"),
	}},
	{"unknown rule field", choiceMachine(`[{"Variable":"$.a","StringEqual":"x","Next":"Done"}]`), ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0", "A Choice rule needs exactly one operator"),
		schemaAt("/States/C/Choices/0/StringEqual", "Field 'StringEqual' is not supported in a Choice rule"),
	}},
	{"Default names no state", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"D"}],"Default":"Nope"},"D":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		{"/States/C/Default", CodeMissingTarget, "Missing 'Next' target: Nope"},
	}},

	// Parallel.
	{"Parallel without Branches", single(`{"Type":"Parallel","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A", "Missing required field 'Branches'"),
	}},
	{"Parallel with empty Branches", single(`{"Type":"Parallel","Branches":[],"End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Branches", "must be a non-empty array"),
	}},
	{"branch Next leaves its scope", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Done","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Done"}}}]},"Done":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		{"/States/P/Branches/0/States/X/Next", CodeMissingTarget, "Missing 'Next' target: Done (a state of that name is defined at /States/Done, but transitions may only target states of the same scope"},
	}},
	{"branch problems", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"X","Foo":1,"States":{"X":{"Type":"Succeed"},"Y":{"Type":"Succeed"}}},{"States":{"Z":{"Type":"Succeed"}}},"oops"]}}}`, ValidateOptions{}, []want{
		schemaAt("/States/P/Branches/0/Foo", "Field 'Foo' is not supported in a branch; expected only StartAt, States and Comment"),
		{"/States/P/Branches/0/States/Y", CodeUnreachable, "State 'Y' is not reachable"},
		schemaAt("/States/P/Branches/1", "Missing required field 'StartAt'"),
		schemaAt("/States/P/Branches/2", `A branch must be an object with 'StartAt' and 'States', got string "oops"`),
	}},

	// Map.
	{"Map without ItemProcessor", single(`{"Type":"Map","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A", "Missing required field 'ItemProcessor'"),
	}},
	{"Map with Iterator and ItemProcessor", single(`{"Type":"Map","End":true,"Iterator":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"ItemProcessor":{"StartAt":"J","States":{"J":{"Type":"Succeed"}}}}`), ValidateOptions{}, []want{
		schemaAt("/States/A", "exactly one of 'ItemProcessor' or 'Iterator' (its older name); found both"),
	}},
	{"Map exclusive fields and ranges", single(`{"Type":"Map","End":true,"Parameters":{},"ItemSelector":{},"MaxConcurrency":-1,"MaxConcurrencyPath":"$.m","ToleratedFailurePercentage":150,"ToleratedFailureCount":1,"ToleratedFailureCountPath":"$.c","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}}}`), ValidateOptions{}, []want{
		schemaAt("/States/A", "Fields 'MaxConcurrency' and 'MaxConcurrencyPath' are mutually exclusive"),
		schemaAt("/States/A", "Fields 'Parameters' and 'ItemSelector' are mutually exclusive"),
		schemaAt("/States/A", "Fields 'ToleratedFailureCount' and 'ToleratedFailureCountPath' are mutually exclusive"),
		schemaAt("/States/A/MaxConcurrency", "must be a non-negative integer, got number -1"),
		schemaAt("/States/A/ToleratedFailurePercentage", "must be a number from 0 to 100, got number 150"),
	}},
	{"Map ItemsPath not a reference", single(`{"Type":"Map","End":true,"ItemsPath":"$.items[*]","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}}}`), ValidateOptions{}, []want{
		schemaAt("/States/A/ItemsPath", "must be a reference path"),
	}},
	{"Map labels", `{"StartAt":"M1","States":{"M1":{"Type":"Map","Label":"my label","Next":"M2","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}}},"M2":{"Type":"Map","Label":"my label","Next":"M3","ItemProcessor":{"StartAt":"J","States":{"J":{"Type":"Succeed"}}}},"M3":{"Type":"Map","Label":"` + strings.Repeat("L", 41) + `","End":true,"ItemProcessor":{"StartAt":"K","States":{"K":{"Type":"Succeed"}}}}}}`, ValidateOptions{}, []want{
		{"/States/M1/Label", CodeInvalidLabel, "Label 'my label' contains ' '"},
		{"/States/M2/Label", CodeInvalidLabel, "contains ' '"},
		{"/States/M2/Label", CodeDuplicateLabel, "Label 'my label' is already used at /States/M1/Label"},
		{"/States/M3/Label", CodeInvalidLabel, "is 41 characters long; a Map label must be 1 to 40 characters"},
	}},
	{"Map processor problems", single(`{"Type":"Map","End":true,"ItemReader":"s3","ItemProcessor":{"ProcessorConfig":{"Mode":"FAST","Foo":1},"StartAt":"I","States":{"I":{"Type":"Pass","Next":"J"}}}}`), ValidateOptions{}, []want{
		schemaAt("/States/A/ItemProcessor/ProcessorConfig/Foo", "Field 'Foo' is not supported in ProcessorConfig"),
		schemaAt("/States/A/ItemProcessor/ProcessorConfig/Mode", `Field 'Mode' must be "INLINE" or "DISTRIBUTED", got string "FAST"`),
		{"/States/A/ItemProcessor/States/I/Next", CodeMissingTarget, "Missing 'Next' target: J"},
		schemaAt("/States/A/ItemReader", "Field 'ItemReader' must be an object with 'Resource' and 'ReaderConfig', got string \"s3\""),
	}},

	// Query languages.
	{"JSONPath fields in a JSONata Task", single(`{"Type":"Task","Resource":"` + lambdaARN + `","QueryLanguage":"JSONata","Parameters":{},"ResultPath":"$.r","End":true}`), ValidateOptions{}, []want{
		schemaAt("/States/A/Parameters", "Field 'Parameters' is not supported when QueryLanguage is JSONata; use 'Arguments' instead"),
		schemaAt("/States/A/ResultPath", "Field 'ResultPath' is not supported when QueryLanguage is JSONata; use 'Output' or 'Assign' instead"),
	}},
	{"JSONPath fields in JSONata Pass and Map", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{},"Next":"M"},"M":{"Type":"Map","Parameters":{},"ItemsPath":"$.a","End":true,"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}}}}}`, ValidateOptions{}, []want{
		schemaAt("/States/M/ItemsPath", "use 'Items' instead"),
		schemaAt("/States/M/Parameters", "use 'ItemSelector' instead"),
		schemaAt("/States/P/Parameters", "use 'Output' instead"),
	}},
	{"JSONata field in a JSONPath state", taskWith(`"Arguments":{},"Output":{}`), ValidateOptions{}, []want{
		schemaAt("/States/T/Arguments", "Field 'Arguments' is only supported when QueryLanguage is JSONata; in a JSONPath state use 'Parameters'"),
		schemaAt("/States/T/Output", "Field 'Output' is only supported when QueryLanguage is JSONata"),
	}},
	{"JSONPath state in a JSONata machine", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}`, ValidateOptions{}, []want{
		schemaAt("/States/A/QueryLanguage", "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"),
	}},
	{"JSONata Choice rules", `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Next":"D"},{"Variable":"$.a","Condition":"true","Next":"D"}]},"D":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		schemaAt("/States/C/Choices/0", "Missing required field 'Condition'"),
		schemaAt("/States/C/Choices/1/Condition", `must be a JSONata expression "{% ... %}" that yields a boolean, got string "true"`),
		schemaAt("/States/C/Choices/1/Variable", "Field 'Variable' is not supported when QueryLanguage is JSONata; use 'Condition'"),
	}},
	{"JSONata numbers that are neither numbers nor expressions", `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":"many","Items":"$.items","Next":"W","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}}},"W":{"Type":"Wait","Seconds":"{% 5 %}","Next":"T"},"T":{"Type":"Task","Resource":"` + lambdaARN + `","TimeoutSeconds":"10","End":true}}}`, ValidateOptions{}, []want{
		schemaAt("/States/M/Items", `Field 'Items' must be an array or a JSONata expression "{% ... %}", got string "$.items"`),
		schemaAt("/States/M/MaxConcurrency", `Field 'MaxConcurrency' must be a non-negative integer or a JSONata expression "{% ... %}", got string "many"`),
		schemaAt("/States/T/TimeoutSeconds", `Field 'TimeoutSeconds' must be a positive integer or a JSONata expression "{% ... %}", got string "10"`),
	}},

	// Express.
	{"Express rejects .sync, callbacks and activities", `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Next":"B"},
		"B":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Next":"C"},
		"C":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:mediaService","Next":"D"},
		"D":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`, ValidateOptions{Express: true}, []want{
		schemaAt("/States/A/Resource", "Express state machine does not support the '.sync' integration pattern"),
		schemaAt("/States/B/Resource", "Express state machine does not support the '.waitForTaskToken' integration pattern"),
		schemaAt("/States/C/Resource", "Express state machine does not support Activity ARN arn:aws:states:us-east-1:123456789012:activity:mediaService"),
	}},
	{"Express children of a Distributed Map follow the Express rules, its STANDARD parent not", `{"StartAt":"W","States":{
		"W":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:mediaService","Next":"M"},
		"M":{"Type":"Map","End":true,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"A","States":{
			"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Next":"C"},
			"C":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:mediaService","End":true}}}}}}`, ValidateOptions{}, []want{
		schemaAt("/States/M/ItemProcessor/States/A/Resource", "Express state machine does not support the '.waitForTaskToken' integration pattern"),
		schemaAt("/States/M/ItemProcessor/States/C/Resource", "Express state machine does not support Activity ARN"),
	}},

	// Everything at once: every problem is reported, not just the first.
	{"many problems at once", `{"StartAt":"A","Extra":true,"States":{
		"A":{"Type":"Pass","Next":"Missing","Foo":1},
		"B":{"Type":"Wait","End":true},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":"1","Next":"A"}]},
		"D":{"Type":"Succeed"}}}`, ValidateOptions{}, []want{
		schemaAt("/Extra", "Field 'Extra' is not supported at the top level"),
		schemaAt("/States/A/Foo", "Field 'Foo' is not supported by state type Pass"),
		{"/States/A/Next", CodeMissingTarget, "Missing 'Next' target: Missing"},
		schemaAt("/States/B", "A Wait state needs exactly one of"),
		{"/States/B", CodeUnreachable, "State 'B' is not reachable"},
		{"/States/C", CodeUnreachable, "State 'C' is not reachable"},
		schemaAt("/States/C/Choices/0/NumericEquals", "must be a number"),
		{"/States/D", CodeUnreachable, "State 'D' is not reachable"},
	}},
}

func TestValidateInvalid(t *testing.T) {
	if len(invalidDefinitions) < 40 {
		t.Fatalf("only %d invalid definitions; keep at least 40", len(invalidDefinitions))
	}
	names := map[string]bool{}
	for _, tc := range invalidDefinitions {
		if names[tc.name] {
			t.Fatalf("duplicate test name %q", tc.name)
		}
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			got := Validate([]byte(tc.def), tc.opts)
			if !matchProblems(got, tc.want) {
				t.Errorf("got:\n%s\nwant:\n%s", formatProblems(got), formatWants(tc.want))
			}
		})
	}
}

// matchProblems compares in order: Validate sorts by pointer, then message,
// and the want lists are written in that order.
func matchProblems(got []Problem, wants []want) bool {
	if len(got) != len(wants) {
		return false
	}
	for i, w := range wants {
		p := got[i]
		if p.Pointer != w.ptr || p.Code != w.code || !strings.Contains(p.Message, w.msg) {
			return false
		}
	}
	return true
}

func formatProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s %q %s\n", p.Code, p.Pointer, p.Message)
	}
	return b.String()
}

func formatWants(ws []want) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "  %s %q ...%s...\n", w.code, w.ptr, w.msg)
	}
	return b.String()
}

// Workloads of /work/shared/bench/workloads, copied here so the test does
// not depend on files outside the module. The 1000-state chains and the
// 10x10 Parallel are generated by code that TestWorkloadsMatchShared checks
// against the shared files whenever they are present.
const w2Choice = `{"Comment": "W2 Pass->Choice->Pass->Succeed", "StartAt": "Init", "States": {"Init": {"Type": "Pass", "Next": "Check", "Parameters": {"n.$": "$.n", "tag": "w2"}}, "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 50, "Next": "Big"}], "Default": "Small"}, "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "Next": "Done"}, "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "Next": "Done"}, "Done": {"Type": "Succeed"}}}`

const w3Onboarding = `{"Comment": "W3 user onboarding", "StartAt": "SendWelcome", "States": {"SendWelcome": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:sendMessage", "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 16, "BackoffRate": 2}], "ResultPath": "$.welcome", "Next": "WaitABit"}, "WaitABit": {"Type": "Wait", "Next": "FetchCount", "Seconds": 0}, "FetchCount": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:fetchCount", "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 16, "BackoffRate": 2}], "ResultPath": "$.count", "Next": "IsZero"}, "IsZero": {"Type": "Choice", "Choices": [{"Variable": "$.count.count", "NumericEquals": 0, "Next": "SendReminder"}], "Default": "Done"}, "SendReminder": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:sendMessage", "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 16, "BackoffRate": 2}], "ResultPath": "$.reminder", "Next": "Done"}, "Done": {"Type": "Succeed"}}}`

const w4Map = `{"Comment": "W4 Map (iterator)", "StartAt": "Fan", "States": {"Fan": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0, "End": true, "Iterator": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "Parameters": {"id.$": "$.id", "ok": true}, "End": true}}}}}}`

// passChain builds w1: 1000 Pass states P0..P999, each either reshaping
// with Parameters or writing a Result.
func passChain(params bool) string {
	states := map[string]any{}
	for i := 0; i < 1000; i++ {
		st := map[string]any{"Type": "Pass"}
		if params {
			st["Parameters"] = map[string]any{"v.$": "$.v", "prev.$": "$.k", "k": int64(i)}
		} else {
			st["Result"] = map[string]any{"k": int64(i)}
			st["ResultPath"] = "$.r"
		}
		if i == 999 {
			st["End"] = true
		} else {
			st["Next"] = fmt.Sprintf("P%d", i+1)
		}
		states[fmt.Sprintf("P%d", i)] = st
	}
	comment := "W1 1000 Pass (result)"
	if params {
		comment = "W1 1000 Pass (params)"
	}
	return jsonv.String(map[string]any{"Comment": comment, "StartAt": "P0", "States": states})
}

// parallel10x10 builds w5: one Parallel state with 10 branches of 10 Pass
// states each.
func parallel10x10() string {
	var branches []any
	for b := 0; b < 10; b++ {
		states := map[string]any{}
		for k := 0; k < 10; k++ {
			st := map[string]any{"Type": "Pass", "Parameters": map[string]any{"v.$": "$.v", "b": int64(b), "k": int64(k)}}
			if k == 9 {
				st["End"] = true
			} else {
				st["Next"] = fmt.Sprintf("B%d_%d", b, k+1)
			}
			states[fmt.Sprintf("B%d_%d", b, k)] = st
		}
		branches = append(branches, map[string]any{"StartAt": fmt.Sprintf("B%d_0", b), "States": states})
	}
	return jsonv.String(map[string]any{"Comment": "W5 Parallel", "StartAt": "Par", "States": map[string]any{
		"Par": map[string]any{"Type": "Parallel", "Branches": branches, "End": true},
	}})
}

var workloads = map[string]string{
	"w1-pass-chain-params": passChain(true),
	"w1-pass-chain-result": passChain(false),
	"w2-choice":            w2Choice,
	"w3-onboarding":        w3Onboarding,
	"w4-map-10k":           w4Map,
	"w5-parallel-10x10":    parallel10x10(),
}

// alarmIVR is the alarm-notification workflow of the design document.
const alarmIVR = `{
  "Comment": "Alarm notification IVR",
  "StartAt": "placeCall",
  "TimeoutSeconds": 600,
  "States": {
    "placeCall": {"Type": "Task", "Resource": "arn:aws:states:eu-north-1:123456789012:activity:mediaService",
      "Parameters": {"action": "placeCall", "destinationNumber.$": "$.destinationNumber", "token.$": "$$.Task.Token"},
      "ResultPath": "$.call", "TimeoutSeconds": 60, "HeartbeatSeconds": 30, "Next": "promptAndCollect"},
    "promptAndCollect": {"Type": "Parallel", "ResultPath": "$.digits", "ResultSelector": {"pin.$": "$[1].digits"},
      "Branches": [
        {"StartAt": "playPrompt", "States": {"playPrompt": {"Type": "Task", "Resource": "arn:aws:states:eu-north-1:123456789012:activity:mediaService",
          "Parameters": {"action": "speak", "text": "Enter your code followed by hash", "callId.$": "$.call.id"}, "End": true}}},
        {"StartAt": "collectDigits", "States": {"collectDigits": {"Type": "Task", "Resource": "arn:aws:states:eu-north-1:123456789012:activity:mediaService",
          "Parameters": {"action": "collect", "until": "#", "callId.$": "$.call.id"}, "TimeoutSeconds": 30, "End": true}}}
      ],
      "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": null, "Next": "hangupNoInput"}],
      "Next": "hangupCall"},
    "hangupCall": {"Type": "Task", "Resource": "arn:aws:states:eu-north-1:123456789012:activity:mediaService",
      "Parameters": {"action": "hangup", "callId.$": "$.call.id"}, "ResultPath": null, "Next": "checkPin"},
    "hangupNoInput": {"Type": "Task", "Resource": "arn:aws:states:eu-north-1:123456789012:activity:mediaService",
      "Parameters": {"action": "hangup", "callId.$": "$.call.id"}, "ResultPath": null, "Next": "waitAndRetry"},
    "checkPin": {"Type": "Choice", "Choices": [
        {"Variable": "$.digits.pin", "StringEquals": "1234", "Next": "acknowledged"},
        {"Not": {"Variable": "$.digits.pin", "IsPresent": true}, "Next": "waitAndRetry"}
      ], "Default": "wrongPin"},
    "waitAndRetry": {"Type": "Wait", "Seconds": 10, "Next": "placeCall"},
    "acknowledged": {"Type": "Succeed"},
    "wrongPin": {"Type": "Fail", "Error": "ErrorA", "Cause": "Invalid code."}
  }
}`

// kitchenSinkJSONPath uses every JSONPath feature at least once.
const kitchenSinkJSONPath = `{
  "Comment": "every JSONPath field", "Version": "1.0", "TimeoutSeconds": 3600, "QueryLanguage": "JSONPath",
  "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Pass", "Comment": "c", "InputPath": "$.input", "OutputPath": null,
      "Parameters": {"greeting.$": "States.Format('Hello, {}!', $.name)", "ctx.$": "$$.Execution.Id", "nested": {"list": [{"id.$": "$.ids[0]"}, 1, "x"]}, "uuid.$": "States.UUID()"},
      "ResultPath": "$.prepared", "Assign": {"count": 0, "name.$": "$.name", "_tmp": {"deep.$": "$.a"}}, "Next": "Call"},
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f", "Payload.$": "$"},
      "ResultSelector": {"body.$": "$.Payload.body"}, "ResultPath": "$.result", "TimeoutSecondsPath": "$.timeout", "HeartbeatSeconds": 5,
      "Retry": [
        {"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 1.5, "MaxDelaySeconds": 60, "JitterStrategy": "FULL", "Comment": "throttle"},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}
      ],
      "Catch": [
        {"ErrorEquals": ["States.Timeout", "States.TaskFailed"], "ResultPath": "$.error", "Next": "Failed", "Comment": "c"},
        {"ErrorEquals": ["States.ALL"], "ResultPath": null, "Assign": {"failed": true}, "Next": "Failed"}
      ],
      "Next": "Route"},
    "Route": {"Type": "Choice", "InputPath": "$", "OutputPath": "$",
      "Choices": [
        {"And": [
          {"Variable": "$.result.body.n", "NumericGreaterThanEquals": 1},
          {"Variable": "$.result.body.n", "NumericLessThanPath": "$.limit"},
          {"Or": [{"Variable": "$.name", "StringMatches": "A*"}, {"Not": {"Variable": "$.vip", "BooleanEquals": false}}]}
        ], "Next": "Fan", "Assign": {"route": "fan"}},
        {"Variable": "$.when", "TimestampLessThan": "2030-01-01T00:00:00+01:00", "Next": "Later", "Comment": "c"},
        {"Variable": "$.when", "TimestampGreaterThanEqualsPath": "$$.Execution.StartTime", "Next": "Later"},
        {"Variable": "$count", "IsNumeric": true, "Next": "Split"},
        {"Variable": "$.s", "StringEqualsPath": "$.t", "Next": "Split"},
        {"Variable": "$.b", "BooleanEqualsPath": "$.c", "Next": "Split"},
        {"Variable": "$.x", "IsNull": false, "Next": "Split"},
        {"Variable": "$.x", "IsString": true, "Next": "Split"},
        {"Variable": "$.x", "IsBoolean": true, "Next": "Split"},
        {"Variable": "$.x", "IsTimestamp": true, "Next": "Split"},
        {"Variable": "$['odd key'][0]", "StringGreaterThanEquals": "m", "Next": "Split"}
      ],
      "Default": "Failed"},
    "Later": {"Type": "Wait", "TimestampPath": "$.when", "Next": "Split"},
    "Split": {"Type": "Parallel", "Parameters": {"in.$": "$"}, "ResultSelector": {"first.$": "$[0]"}, "ResultPath": "$.split",
      "Branches": [
        {"Comment": "left", "StartAt": "Left", "States": {"Left": {"Type": "Wait", "SecondsPath": "$.delay", "End": true}}},
        {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "Result": [1, 2], "End": true}}}
      ],
      "Retry": [{"ErrorEquals": ["States.BranchFailed"]}],
      "Next": "Fan"},
    "Fan": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
      "MaxConcurrencyPath": "$.concurrency", "ToleratedFailurePercentage": 12.5, "ToleratedFailureCountPath": "$.tolerated", "Label": "fan-out_1",
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work", "End": true}}},
      "ResultPath": null, "Next": "Legacy"},
    "Legacy": {"Type": "Map", "Parameters": {"v.$": "$$.Map.Item.Value"}, "MaxConcurrency": 5, "ToleratedFailureCount": 0,
      "Iterator": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Each", "States": {"Each": {"Type": "Succeed"}}},
      "Next": "Done"},
    "Done": {"Type": "Succeed", "InputPath": "$.result", "OutputPath": "$.body"},
    "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "States.Format('failed: {}', $.error.Cause)"}
  }
}`

// kitchenSinkJSONata uses the JSONata forms of the same fields.
const kitchenSinkJSONata = `{
  "QueryLanguage": "JSONata", "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Pass", "Output": {"n": "{% $states.input.n %}"}, "Assign": {"total": 0, "name": "{% $states.input.name %}"}, "Next": "Call"},
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
      "Output": "{% $states.result.Payload %}", "TimeoutSeconds": "{% $timeout %}", "HeartbeatSeconds": 10,
      "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}", "Assign": {"err": "{% $states.errorOutput.Error %}"}, "Next": "Failed"}],
      "Next": "Route"},
    "Route": {"Type": "Choice", "Output": {"route": true}, "Assign": {"routed": true},
      "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "Fan", "Assign": {"big": true}, "Output": "{% $states.input %}", "Comment": "big"}],
      "Default": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": "{% $states.input.delay %}", "Output": "{% $states.input %}", "Next": "Fan"},
    "Fan": {"Type": "Map", "Items": "{% $states.input.items %}", "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}"},
      "MaxConcurrency": "{% $max %}", "ToleratedFailureCount": 1, "ToleratedFailurePercentage": "{% 10 %}",
      "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Each", "States": {"Each": {"Type": "Pass", "End": true}}},
      "Next": "Both"},
    "Both": {"Type": "Parallel", "Arguments": "{% $states.input %}", "Output": "{% $states.result %}",
      "Branches": [{"StartAt": "Until", "States": {"Until": {"Type": "Wait", "Timestamp": "{% $states.input.at %}", "End": true}}}],
      "Next": "Done"},
    "Done": {"Type": "Succeed", "Output": "{% $states.input %}"},
    "Failed": {"Type": "Fail", "Error": "{% $err %}", "Cause": "failed"}
  }
}`

// mixedLanguages converts one state of a JSONPath machine to JSONata, which
// AWS allows (the reverse it does not).
const mixedLanguages = `{"StartAt": "Old", "States": {
  "Old": {"Type": "Pass", "Parameters": {"a.$": "$.a"}, "Next": "New"},
  "New": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.a %}", "Next": "Back"},
  "Back": {"Type": "Pass", "QueryLanguage": "JSONPath", "ResultPath": "$.r", "End": true}}}`

var validDefinitions = map[string]struct {
	def  string
	opts ValidateOptions
}{
	"alarm IVR":                               {alarmIVR, ValidateOptions{}},
	"kitchen sink JSONPath":                   {kitchenSinkJSONPath, ValidateOptions{}},
	"kitchen sink JSONata":                    {kitchenSinkJSONata, ValidateOptions{}},
	"mixed languages":                         {mixedLanguages, ValidateOptions{}},
	"express request-response":                {`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"Next":"B"},"B":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:g","End":true}}}`, ValidateOptions{Express: true}},
	"unicode and odd state names":             {`{"StartAt":"Ünïcødé ✓","States":{"Ünïcødé ✓":{"Type":"Pass","Next":"a/b~c"},"a/b~c":{"Type":"Pass","Next":"` + strings.Repeat("n", 80) + `"},"` + strings.Repeat("n", 80) + `":{"Type":"Succeed"}}}`, ValidateOptions{}},
	"wait timestamp with offset and fraction": {single(`{"Type":"Wait","Timestamp":"2016-03-05T21:29:29.243167252+05:30","End":true}`), ValidateOptions{}},
	"catch target reached only by catch":      {`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Recover"}],"End":true},"Recover":{"Type":"Pass","End":true}}}`, ValidateOptions{}},
}

func TestValidateValid(t *testing.T) {
	all := map[string]struct {
		def  string
		opts ValidateOptions
	}{}
	for name, def := range workloads {
		all["workload "+name] = struct {
			def  string
			opts ValidateOptions
		}{def, ValidateOptions{}}
	}
	for name, d := range validDefinitions {
		all[name] = d
	}
	for name, d := range all {
		t.Run(name, func(t *testing.T) {
			if got := Validate([]byte(d.def), d.opts); got != nil {
				t.Errorf("want no problems, got:\n%s", formatProblems(got))
			}
		})
	}
}

// The workloads are valid for EXPRESS machines too: none uses callbacks,
// .sync or activities.
func TestValidateWorkloadsExpress(t *testing.T) {
	for name, def := range workloads {
		if got := Validate([]byte(def), ValidateOptions{Express: true}); got != nil {
			t.Errorf("%s: want no problems, got:\n%s", name, formatProblems(got))
		}
	}
}

// TestWorkloadsMatchShared proves the literals above are the shared bench
// workloads, and validates the files themselves.
func TestWorkloadsMatchShared(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "bench", "workloads")
	files, _ := filepath.Glob(filepath.Join(dir, "*.asl.json"))
	if len(files) == 0 {
		t.Skip("shared bench workloads not present")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".asl.json")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := Validate(data, ValidateOptions{}); got != nil {
			t.Errorf("%s: want no problems, got:\n%s", name, formatProblems(got))
		}
		lit, ok := workloads[name]
		if !ok {
			t.Errorf("%s: workload has no copy in this test", name)
			continue
		}
		a, _ := jsonv.Parse(data)
		b, _ := jsonv.Parse([]byte(lit))
		if !jsonv.Equal(a, b) {
			t.Errorf("%s: the copy in this test differs from %s", name, f)
		}
	}
}

// TestConformanceDefinitions validates every definition recorded against
// AWS: the ones AWS accepted must give no problems, and the ones it
// rejected must give the problem AWS reported ("CODE: message at pointer").
func TestConformanceDefinitions(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "conformance", "cases", "*.json"))
	if len(files) == 0 {
		t.Skip("shared conformance cases not present")
	}
	accepted, rejected := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Definition json.RawMessage `json:"definition"`
			Expected   struct {
				Status string `json:"status"`
				Cause  string `json:"cause"`
			} `json:"expected"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got := Validate(c.Definition, ValidateOptions{})
		name := filepath.Base(f)
		if c.Expected.Status != "INVALID_DEFINITION" {
			accepted++
			if got != nil {
				t.Errorf("%s: AWS accepted it, got:\n%s", name, formatProblems(got))
			}
			continue
		}
		rejected++
		found := false
		for _, p := range got {
			if strings.Contains(c.Expected.Cause, p.Code+": "+p.Message+" at "+p.Pointer) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: AWS said %q, got:\n%s", name, c.Expected.Cause, formatProblems(got))
		}
	}
	t.Logf("%d accepted and %d rejected definitions checked", accepted, rejected)
}

func TestValidateDeterministic(t *testing.T) {
	def := []byte(invalidDefinitions[len(invalidDefinitions)-1].def)
	first := Validate(def, ValidateOptions{})
	for i := 0; i < 20; i++ {
		got := Validate(def, ValidateOptions{})
		if fmt.Sprint(got) != fmt.Sprint(first) {
			t.Fatalf("run %d differs:\n%s\nvs\n%s", i, formatProblems(got), formatProblems(first))
		}
	}
	for i := 1; i < len(first); i++ {
		a, b := first[i-1], first[i]
		if a.Pointer > b.Pointer || (a.Pointer == b.Pointer && a.Message > b.Message) {
			t.Fatalf("not sorted: %v before %v", a, b)
		}
	}
}

func TestProblemString(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{Pointer: "/States/placeCall/Next", Code: CodeMissingTarget, Message: "Missing 'Next' target: x"}, "/States/placeCall/Next: Missing 'Next' target: x"},
		{Problem{Pointer: "", Code: CodeInvalidJSON, Message: "bad"}, "/: bad"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
