package api

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/statecraft/statecraft/httptask"
	"github.com/statecraft/statecraft/tasks"
)

// inspection renders inspectionData as one JSON value: the data members
// parsed, errorDetails as numbers; request and response are checked on
// their own.
func inspection(t *testing.T, d *types.InspectionData) any {
	t.Helper()
	if d == nil {
		return nil
	}
	out := map[string]any{}
	for name, v := range map[string]*string{
		"input": d.Input, "afterInputPath": d.AfterInputPath, "afterParameters": d.AfterParameters,
		"afterArguments": d.AfterArguments, "result": d.Result, "afterResultSelector": d.AfterResultSelector,
		"afterResultPath": d.AfterResultPath, "variables": d.Variables, "afterItemsPath": d.AfterItemsPath,
		"afterItemSelector": d.AfterItemSelector, "afterItemBatcher": d.AfterItemBatcher, "afterItemsPointer": d.AfterItemsPointer,
	} {
		if v != nil {
			out[name] = decode(t, *v)
		}
	}
	for name, v := range map[string]*int32{"maxConcurrency": d.MaxConcurrency, "toleratedFailureCount": d.ToleratedFailureCount} {
		if v != nil {
			out[name] = float64(*v)
		}
	}
	if v := d.ToleratedFailurePercentage; v != nil {
		out["toleratedFailurePercentage"] = float64(*v)
	}
	if e := d.ErrorDetails; e != nil {
		details := map[string]any{}
		for name, v := range map[string]*int32{"catchIndex": e.CatchIndex, "retryIndex": e.RetryIndex, "retryBackoffIntervalSeconds": e.RetryBackoffIntervalSeconds} {
			if v != nil {
				details[name] = float64(*v)
			}
		}
		out["errorDetails"] = details
	}
	return out
}

func decode(t *testing.T, text string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("not JSON: %q: %v", text, err)
	}
	return v
}

const inlineProc = `"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}`

var mapMachine = compact(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ToleratedFailureCount":2,"End":true,
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Handle","States":{"Handle":{"Type":"Pass","End":true}}}}}}`)

// TestState through the Go SDK, over every state type, level and outcome:
// Task states call a real local function and a real HTTP endpoint through
// the engine's port.
func TestSDKTestState(t *testing.T) {
	conns := connections{expressConn: {Arn: expressConn, APIKey: &httptask.APIKeyAuth{Name: "X-Api-Key", Value: calleesKey}}}
	e := newEnvTasks(t, nil, &tasks.Invoker{Functions: localFunctions(t), HTTP: &httptask.Invoker{Connections: conns}})
	c := e.newClient("us-east-1")
	double := `"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"double","Payload.$":"$"}`
	missing := `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:missing"`
	machine := compact(`{"StartAt":"First","States":{
		"First":{"Type":"Pass","Next":"Second"},
		"Second":{"Type":"Pass","Parameters":{"second.$":"$.n"},"Next":"Third"},
		"Third":{"Type":"Succeed"}}}`)

	cases := []struct {
		name  string
		in    sfn.TestStateInput
		level types.InspectionLevel

		status  types.TestExecutionStatus
		output  string
		err     string
		cause   string // a part of it
		next    string
		inspect string // "" for no inspectionData
	}{
		{name: "pass, INFO", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","Result":{"r":1},"ResultPath":"$.r","Next":"Next"}`), Input: aws.String(`{"a":1}`)},
			status: types.TestExecutionStatusSucceeded, output: `{"a":1,"r":{"r":1}}`, next: "Next"},
		{name: "pass, DEBUG", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","InputPath":"$.in","Parameters":{"v.$":"$.v"},"ResultPath":"$.out","End":true}`), Input: aws.String(`{"in":{"v":2}}`)},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusSucceeded, output: `{"in":{"v":2},"out":{"v":2}}`,
			inspect: `{"input":{"in":{"v":2}},"afterInputPath":{"v":2},"afterParameters":{"v":2},"afterResultSelector":{"v":2},"afterResultPath":{"in":{"v":2},"out":{"v":2}}}`},
		{name: "choice", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"Many"}],"Default":"One"}`), Input: aws.String(`{"n":2}`)},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusSucceeded, output: `{"n":2}`, next: "Many",
			inspect: `{"input":{"n":2},"afterInputPath":{"n":2}}`},
		{name: "wait does not wait", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Wait","Seconds":3600,"Next":"Later"}`)},
			status: types.TestExecutionStatusSucceeded, output: `{}`, next: "Later"},
		{name: "succeed", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Succeed"}`), Input: aws.String(`[1]`)},
			status: types.TestExecutionStatusSucceeded, output: `[1]`},
		{name: "fail", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Fail","Error":"Nope","Cause":"because"}`)},
			level: types.InspectionLevelTrace, status: types.TestExecutionStatusFailed, err: "Nope", cause: "because",
			inspect: `{"input":{},"afterInputPath":{}}`},
		{name: "a local function", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task",` + double + `,"ResultSelector":{"n.$":"$.Payload.n"},"ResultPath":"$.doubled","Next":"Then"}`),
			Input: aws.String(`{"n":21}`), RoleArn: aws.String(role)},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusSucceeded, output: `{"n":21,"doubled":{"n":42}}`, next: "Then",
			inspect: `{"input":{"n":21},"afterInputPath":{"n":21},"afterParameters":{"FunctionName":"double","Payload":{"n":21}},
				"result":"*","afterResultSelector":{"n":42},"afterResultPath":{"n":21,"doubled":{"n":42}}}`},
		{name: "a function that is not there", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task",` + missing + `,"End":true}`), RoleArn: aws.String(role)},
			status: types.TestExecutionStatusFailed, err: "Lambda.ResourceNotFoundException", cause: "Function not found"},
		{name: "retriable", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task",` + missing + `,"Retry":[{"ErrorEquals":["Lambda.ResourceNotFoundException"],"IntervalSeconds":3}],"End":true}`), RoleArn: aws.String(role),
			StateConfiguration: &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(1)}},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusRetriable, err: "Lambda.ResourceNotFoundException",
			inspect: `{"input":{},"afterInputPath":{},"afterParameters":{},"errorDetails":{"retryIndex":0,"retryBackoffIntervalSeconds":6}}`},
		{name: "retries used up, caught", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task",` + missing + `,"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":1}],
			"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Recover"}],"End":true}`), RoleArn: aws.String(role), Input: aws.String(`{"k":1}`),
			StateConfiguration: &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(1)}},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusCaughtError, err: "Lambda.ResourceNotFoundException", next: "Recover", output: "*",
			inspect: `{"input":{"k":1},"afterInputPath":{"k":1},"afterParameters":{"k":1},"errorDetails":{"retryIndex":0,"catchIndex":0}}`},
		{name: "jsonata with variables", in: sfn.TestStateInput{
			Definition: aws.String(`{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::lambda:invoke",
				"Arguments":{"FunctionName":"double","Payload":{"n":"{% $states.input.n + $offset %}"}},
				"Assign":{"doubled":"{% $states.result.Payload.n %}"},"Output":"{% $states.result.Payload %}","End":true}`),
			Input: aws.String(`{"n":1}`), Variables: aws.String(`{"offset":4}`), RoleArn: aws.String(role)},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusSucceeded, output: `{"n":10}`,
			inspect: `{"input":{"n":1},"afterArguments":{"FunctionName":"double","Payload":{"n":5}},"result":"*","variables":{"offset":4,"doubled":10}}`},
		{name: "a mocked activity", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:work","ResultPath":"$.r","End":true}`),
			Mock: &types.MockInput{Result: aws.String(`{"done":true}`)}},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusSucceeded, output: `{"r":{"done":true}}`,
			inspect: `{"input":{},"afterInputPath":{},"afterParameters":{},"result":{"done":true},"afterResultSelector":{"done":true},"afterResultPath":{"r":{"done":true}}}`},
		{name: "a mocked error", in: sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Arguments":{"q":1},
			"Catch":[{"ErrorEquals":["Other"],"Next":"A"},{"ErrorEquals":["Mocked"],"Next":"B"}],"End":true}`),
			Mock: &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Mocked"), Cause: aws.String("as asked")}}},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusCaughtError, err: "Mocked", cause: "as asked", next: "B", output: `{"Error":"Mocked","Cause":"as asked"}`,
			inspect: `{"input":{},"afterArguments":{"q":1},"errorDetails":{"catchIndex":1}}`},
		{name: "a mocked Map: its own data flow, the mock as its result", in: sfn.TestStateInput{
			Definition: aws.String(`{"Type":"Map","InputPath":"$.in","ItemsPath":"$.xs","ItemSelector":{"x.$":"$$.Map.Item.Value","n.$":"$.n"},
				"MaxConcurrency":2,"ToleratedFailurePercentage":50,"ResultSelector":{"all.$":"$"},"ResultPath":"$.out","Next":"After",` + inlineProc + `}`),
			Input: aws.String(`{"in":{"xs":[1,2],"n":0}}`), Mock: &types.MockInput{Result: aws.String(`["a","b"]`)},
			StateConfiguration: &types.TestStateConfiguration{MapIterationFailureCount: aws.Int32(1)}},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusSucceeded, output: `{"in":{"xs":[1,2],"n":0},"out":{"all":["a","b"]}}`, next: "After",
			inspect: `{"input":{"in":{"xs":[1,2],"n":0}},"afterInputPath":{"xs":[1,2],"n":0},"afterItemsPath":[1,2],"afterItemSelector":[{"x":1,"n":0},{"x":2,"n":0}],
				"maxConcurrency":2,"toleratedFailurePercentage":50,"afterResultSelector":{"all":["a","b"]},"afterResultPath":{"in":{"xs":[1,2],"n":0},"out":{"all":["a","b"]}}}`},
		{name: "a mocked Map past its tolerated failures", in: sfn.TestStateInput{
			Definition: aws.String(`{"Type":"Map","ToleratedFailureCount":1,"Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"Handle"}],"End":true,` + inlineProc + `}`),
			Input:      aws.String(`[1,2,3]`), Mock: &types.MockInput{Result: aws.String(`[0,0,1]`)}, StateConfiguration: &types.TestStateConfiguration{MapIterationFailureCount: aws.Int32(2)}},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusCaughtError, err: "States.ExceedToleratedFailureThreshold",
			cause: "The specified tolerated failure threshold was exceeded", next: "Handle", output: "*",
			inspect: `{"input":[1,2,3],"afterInputPath":[1,2,3],"afterItemsPath":[1,2,3],"maxConcurrency":0,"toleratedFailureCount":1,"errorDetails":{"catchIndex":0}}`},
		{name: "a mocked Map whose child fails, in a machine", in: sfn.TestStateInput{Definition: aws.String(mapMachine), StateName: aws.String("M"),
			Input: aws.String(`{"xs":[1]}`), Mock: &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("MockException"), Cause: aws.String("c")}},
			StateConfiguration: &types.TestStateConfiguration{ErrorCausedByState: aws.String("Handle"), MapIterationFailureCount: aws.Int32(1)}},
			status: types.TestExecutionStatusFailed, err: "MockException", cause: "c"},
		{name: "a mocked Distributed Map reads mapItemReaderData, then batches", in: sfn.TestStateInput{
			Definition: aws.String(`{"Type":"Map","QueryLanguage":"JSONata","MaxConcurrency":1,"End":true,
				"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},"Arguments":{"Bucket":"{% $states.input.Bucket %}","Key":"k"}},
				"ItemBatcher":{"MaxItemsPerBatch":2},"Output":{"r":"{% $states.result %}"},
				"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}}`),
			Input: aws.String(`{"Bucket":"test-bucket"}`), Mock: &types.MockInput{Result: aws.String(`[1,4,9]`)},
			StateConfiguration: &types.TestStateConfiguration{MapItemReaderData: aws.String("id\n1\n2\n3\n")}},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusSucceeded, output: `{"r":[1,4,9]}`,
			inspect: `{"input":{"Bucket":"test-bucket"},"afterItemBatcher":[{"Items":[{"id":"1"},{"id":"2"}]},{"Items":[{"id":"3"}]}],"maxConcurrency":1}`},
		{name: "a mocked Parallel", in: sfn.TestStateInput{
			Definition: aws.String(`{"Type":"Parallel","InputPath":"$.p","ResultPath":"$.r","End":true,"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}]}`),
			Input:      aws.String(`{"p":{"d":1}}`), Mock: &types.MockInput{Result: aws.String(`[{"branch1":"result"},{"branch2":"result"}]`)}},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusSucceeded, output: `{"p":{"d":1},"r":[{"branch1":"result"},{"branch2":"result"}]}`,
			inspect: `{"input":{"p":{"d":1}},"afterResultSelector":[{"branch1":"result"},{"branch2":"result"}],"afterResultPath":{"p":{"d":1},"r":[{"branch1":"result"},{"branch2":"result"}]}}`},
		{name: "a mocked Parallel's error, retriable", in: sfn.TestStateInput{
			Definition: aws.String(`{"Type":"Parallel","Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":2}],"End":true,"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}]}`),
			Mock:       &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Boom")}}, StateConfiguration: &types.TestStateConfiguration{ErrorCausedByState: aws.String("A")}},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusRetriable, err: "Boom",
			inspect: `{"input":{},"errorDetails":{"retryIndex":0,"retryBackoffIntervalSeconds":2}}`},
		{name: "one state of a machine", in: sfn.TestStateInput{Definition: aws.String(machine), StateName: aws.String("Second"), Input: aws.String(`{"n":3}`)},
			level: types.InspectionLevelDebug, status: types.TestExecutionStatusSucceeded, output: `{"second":3}`, next: "Third",
			inspect: `{"input":{"n":3},"afterInputPath":{"n":3},"afterParameters":{"second":3},"afterResultSelector":{"second":3},"afterResultPath":{"second":3}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.InspectionLevel = tc.level
			start := time.Now()
			out, err := c.TestState(context.Background(), &in)
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > 30*time.Second {
				t.Errorf("TestState took %v", time.Since(start))
			}
			if out.Status != tc.status || aws.ToString(out.Error) != tc.err || !strings.Contains(aws.ToString(out.Cause), tc.cause) || aws.ToString(out.NextState) != tc.next {
				t.Errorf("status %s error %q cause %q next %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), aws.ToString(out.NextState))
			}
			switch {
			case tc.output == "" && out.Output != nil:
				t.Errorf("output %s, want none", *out.Output)
			case tc.output == "*" && out.Output == nil:
				t.Error("no output")
			case tc.output != "" && tc.output != "*" && (out.Output == nil || !reflect.DeepEqual(decode(t, *out.Output), decode(t, tc.output))):
				t.Errorf("output %s, want %s", aws.ToString(out.Output), tc.output)
			}
			if tc.inspect == "" {
				if out.InspectionData != nil {
					t.Errorf("inspectionData at %s: %+v", tc.level, out.InspectionData)
				}
				return
			}
			got, _ := inspection(t, out.InspectionData).(map[string]any)
			want := decode(t, tc.inspect).(map[string]any)
			// "*": present, whatever its value (a function's response
			// carries request ids).
			for k, v := range want {
				if v == "*" && got[k] != nil {
					got[k] = "*"
				}
			}
			if !reflect.DeepEqual(got, want) {
				gb, _ := json.Marshal(got)
				t.Errorf("inspectionData\n %s\nwant\n %s", gb, tc.inspect)
			}
			if out.InspectionData.Request != nil || out.InspectionData.Response != nil {
				t.Errorf("an HTTP exchange for a state that made none")
			}
		})
	}
}

// TRACE shows an HTTP task's request and response; the connection's
// secrets only when revealed, and only to a role that may see them.
func TestSDKTestStateTrace(t *testing.T) {
	srv := newCallees(t)
	conns := connections{expressConn: {Arn: expressConn, APIKey: &httptask.APIKeyAuth{Name: "X-Api-Key", Value: calleesKey}}}
	e := newEnvTasks(t, nil, &tasks.Invoker{HTTP: &httptask.Invoker{Connections: conns}})
	c := e.newClient("us-east-1")
	def := compact(httpCall(srv.URL, "/notify", `{"run":"trace","n.$":"$.n"}`, `"Next":"Done"`))
	for _, reveal := range []bool{false, true} {
		out, err := c.TestState(context.Background(), &sfn.TestStateInput{
			Definition: aws.String(def), RoleArn: aws.String(role), Input: aws.String(`{"n":7}`),
			InspectionLevel: types.InspectionLevelTrace, RevealSecrets: reveal,
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.NextState) != "Done" {
			t.Fatalf("reveal %v: %s %s %s", reveal, out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		d := out.InspectionData
		if d == nil || d.Request == nil || d.Response == nil {
			t.Fatalf("reveal %v: inspectionData %+v", reveal, d)
		}
		req, resp := d.Request, d.Response
		if aws.ToString(req.Protocol) != "http" || aws.ToString(req.Method) != "POST" || aws.ToString(req.Url) != srv.URL+"/notify" ||
			!reflect.DeepEqual(decode(t, aws.ToString(req.Body)), decode(t, `{"run":"trace","n":7}`)) ||
			!strings.Contains(aws.ToString(req.Headers), "User-Agent: Amazon|StepFunctions|HttpInvoke|us-east-1") {
			t.Errorf("reveal %v: request %+v %s", reveal, req, aws.ToString(req.Headers))
		}
		if got := strings.Contains(aws.ToString(req.Headers), "X-Api-Key: "+calleesKey); got != reveal {
			t.Errorf("reveal %v: the connection's key shows: %s", reveal, aws.ToString(req.Headers))
		}
		if aws.ToString(resp.StatusCode) != "200" || aws.ToString(resp.StatusMessage) != "OK" || aws.ToString(resp.Body) != `{"ok":true}` ||
			!strings.Contains(aws.ToString(resp.Headers), "Content-Type: application/json") {
			t.Errorf("reveal %v: response %+v", reveal, resp)
		}
		// DEBUG shows no HTTP exchange.
		out, err = c.TestState(context.Background(), &sfn.TestStateInput{Definition: aws.String(def), RoleArn: aws.String(role), Input: aws.String(`{"n":7}`), InspectionLevel: types.InspectionLevelDebug})
		if err != nil || out.InspectionData == nil || out.InspectionData.Request != nil || out.InspectionData.Response != nil {
			t.Errorf("DEBUG: %v %+v", err, out)
		}
	}
	srv.waitCall(t, "/notify", "trace")

	// An operator may test states, but not see the secrets.
	r := newEnvWith(t, twoAccounts(t))
	body := `{"definition":` + string(mustJSON(def)) + `,"roleArn":"` + role + `","inspectionLevel":"TRACE","revealSecrets":true}`
	if got := r.postAs("TestState", body, "A_OPERATOR", secrets["A_OPERATOR"], "us-east-1"); got.shortType() != "AccessDeniedException" ||
		!strings.Contains(got.message(), "states:RevealSecrets") {
		t.Errorf("operator revealing secrets: %d %s", got.status, got.raw)
	}
	if got := r.postAs("TestState", `{"definition":"{\"Type\":\"Pass\",\"End\":true}"}`, "A_OPERATOR", secrets["A_OPERATOR"], "us-east-1"); got.status != 200 || got.str("status") != "SUCCEEDED" {
		t.Errorf("operator: %d %s", got.status, got.raw)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// What TestState refuses, with the SDK's typed errors.
func TestSDKTestStateErrors(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	cases := []struct {
		name string
		in   sfn.TestStateInput
		typ  any    // a pointer to the typed error
		msg  string // a part of the message
	}{
		{"every problem with its pointer", sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","InputPath":1,"End":true}`)}, new(*types.InvalidDefinition),
			"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Missing required field 'Resource'; expected the ARN of the activity, function or service integration to run at /, " +
				"SCHEMA_VALIDATION_FAILED: Field 'InputPath' must be a JSONPath string starting with '$' or null, got number 1 at /InputPath'"},
		{"not JSON", sfn.TestStateInput{Definition: aws.String(`{"Type":`)}, new(*types.InvalidDefinition), "INVALID_JSON_DESCRIPTION"},
		{"a whole machine without stateName", sfn.TestStateInput{Definition: aws.String(passDef)}, new(*types.InvalidDefinition), "Missing required field 'Type'"},
		{"a Map state", sfn.TestStateInput{Definition: aws.String(`{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}}}`)}, new(*types.InvalidDefinition),
			"TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]"},
		{"a Distributed Map with an ItemReader", sfn.TestStateInput{Definition: aws.String(`{"Type":"Map","End":true,` +
			`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"data","Key":"k"}},` +
			`"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}}}`)}, new(*types.InvalidDefinition),
			"TestState API does not support Map or Parallel states"},
		{"a Parallel state", sfn.TestStateInput{Definition: aws.String(`{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}]}`)}, new(*types.InvalidDefinition),
			"does not support Map or Parallel states"},
		{"a mocked Map's result that is not an array", sfn.TestStateInput{Definition: aws.String(`{"Type":"Map","End":true,` + inlineProc + `}`), Mock: &types.MockInput{Result: aws.String(`{"a":1}`)}},
			new(*types.ValidationException), "Mocked result must be an array."},
		{"a mocked Map with a ResultWriter: an object", sfn.TestStateInput{Definition: aws.String(`{"Type":"Map","End":true,"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}},` +
			`"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}}`), Mock: &types.MockInput{Result: aws.String(`[1]`)}},
			new(*types.ValidationException), "Mocked result must be a JSON object."},
		{"a mocked Parallel's result that is not an array", sfn.TestStateInput{Definition: aws.String(`{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}]}`),
			Mock: &types.MockInput{Result: aws.String(`{}`)}}, new(*types.ValidationException), "Mocked result must be an array."},
		{"a mocked Parallel's result of another size", sfn.TestStateInput{Definition: aws.String(`{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}]}`),
			Mock: &types.MockInput{Result: aws.String(`[1,2]`)}}, new(*types.ValidationException), "Mocked result must contain the same number of items as number of Parallel branches."},
		{"mapIterationFailureCount without a mock", sfn.TestStateInput{Definition: aws.String(`{"Type":"Map","End":true,` + inlineProc + `}`), RoleArn: aws.String(role),
			StateConfiguration: &types.TestStateConfiguration{MapIterationFailureCount: aws.Int32(0)}},
			new(*types.ValidationException), "TestState does not support MapIterationFailureCount when a mock is not specified."},
		{"mapIterationFailureCount past the iterations", sfn.TestStateInput{Definition: aws.String(`{"Type":"Map","End":true,` + inlineProc + `}`), Input: aws.String(`[1,1,1]`),
			Mock: &types.MockInput{Result: aws.String(`[1,1,1]`)}, StateConfiguration: &types.TestStateConfiguration{MapIterationFailureCount: aws.Int32(4)}},
			new(*types.ValidationException), "Map iteration failure count must be less than or equal to the number of Map iterations"},
		{"mapIterationFailureCount for a Task", sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`),
			Mock: &types.MockInput{Result: aws.String(`{}`)}, StateConfiguration: &types.TestStateConfiguration{MapIterationFailureCount: aws.Int32(0)}},
			new(*types.ValidationException), "mapIterationFailureCount can only be specified when testing a Map state"},
		{"errorCausedByState that is not a child", sfn.TestStateInput{Definition: aws.String(mapMachine), StateName: aws.String("M"),
			Mock: &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("E")}}, StateConfiguration: &types.TestStateConfiguration{ErrorCausedByState: aws.String("M")}},
			new(*types.ValidationException), "errorCausedByState 'M' is not a state of the Map state 'M'"},
		{"errorCausedByState with a mocked result", sfn.TestStateInput{Definition: aws.String(mapMachine), StateName: aws.String("M"), Input: aws.String(`{"xs":[]}`),
			Mock: &types.MockInput{Result: aws.String(`[]`)}, StateConfiguration: &types.TestStateConfiguration{ErrorCausedByState: aws.String("Handle")}},
			new(*types.ValidationException), "it needs a mock with an errorOutput"},
		{"mapItemReaderData for a Map without an ItemReader", sfn.TestStateInput{Definition: aws.String(`{"Type":"Map","End":true,` + inlineProc + `}`),
			Mock: &types.MockInput{Result: aws.String(`[]`)}, StateConfiguration: &types.TestStateConfiguration{MapItemReaderData: aws.String(`[]`)}},
			new(*types.ValidationException), "mapItemReaderData can only be specified when testing a Map state with an ItemReader"},
		{"a mocked Map with an ItemReader and no mapItemReaderData", sfn.TestStateInput{Definition: aws.String(`{"Type":"Map","End":true,` +
			`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"data","Key":"k"}},` +
			`"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}}}`), Mock: &types.MockInput{Result: aws.String(`[]`)}},
			new(*types.ValidationException), "takes its items from stateConfiguration.mapItemReaderData, which is missing"},
		{"mapItemReaderData for a listing", sfn.TestStateInput{Definition: aws.String(`{"Type":"Map","End":true,` +
			`"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"data","Prefix":"k"}},` +
			`"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}}}`), Mock: &types.MockInput{Result: aws.String(`[]`)},
			StateConfiguration: &types.TestStateConfiguration{MapItemReaderData: aws.String(`[]`)}},
			new(*types.ValidationException), "cannot stand for this ItemReader's source"},
		{"an activity", sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:a","End":true}`), RoleArn: aws.String(role)},
			new(*types.InvalidDefinition), "does not support Activity tasks"},
		{"a callback", sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","End":true}`), RoleArn: aws.String(role)},
			new(*types.InvalidDefinition), ".waitForTaskToken"},
		{"a .sync job", sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}`), RoleArn: aws.String(role)},
			new(*types.InvalidDefinition), ".sync"},
		{"a task without a role", sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`)},
			new(*types.ValidationException), "RoleArn must be specified when testing a Task state"},
		{"a role that is not an ARN", sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), RoleArn: aws.String("role")}, new(*types.InvalidArn), "Invalid Arn"},
		{"input that is not JSON", sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), Input: aws.String(`{`)}, new(*types.InvalidExecutionInput), "Invalid State Machine Execution Input"},
		{"variables that are not an object", sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), Variables: aws.String(`[1]`)}, new(*types.ValidationException), "got a JSON array"},
		{"a state that is not there", sfn.TestStateInput{Definition: aws.String(passDef), StateName: aws.String("Q")}, new(*types.ValidationException), "State not found in definition"},
		{"a machine that is not valid", sfn.TestStateInput{Definition: aws.String(`{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"Gone"}}}`), StateName: aws.String("P")}, new(*types.InvalidDefinition), "MISSING_TRANSITION_TARGET"},
		{"a mock for a Pass state", sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), Mock: &types.MockInput{Result: aws.String(`{}`)}}, new(*types.ValidationException),
			"State type 'Pass' is not supported when a mock is specified"},
		{"a mock with both", sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`),
			Mock: &types.MockInput{Result: aws.String(`{}`), ErrorOutput: &types.MockErrorOutput{Error: aws.String("E")}}}, new(*types.ValidationException),
			"A test mock should have only one of the following fields: [result, errorOutput]."},
		{"a mocked result that is not JSON", sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`),
			Mock: &types.MockInput{Result: aws.String(`not JSON`)}}, new(*types.ValidationException), "Mocked result must be valid JSON"},
		{"revealed secrets with a mock", sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`),
			Mock: &types.MockInput{Result: aws.String(`{}`)}, RevealSecrets: true}, new(*types.ValidationException), "TestState does not support RevealSecrets when a mock is specified."},
		{"a context without a mock", sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), Context: aws.String(`{}`)}, new(*types.ValidationException), "only be specified when a mock is specified"},
		{"a context for a Pass state", sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), Context: aws.String(`{}`), Mock: &types.MockInput{Result: aws.String(`{}`)}},
			new(*types.ValidationException), "State type 'Pass' is not supported when a mock is specified"},
		{"a context that is not an object", sfn.TestStateInput{Definition: aws.String(mockedTask), Context: aws.String(`[]`), Mock: &types.MockInput{Result: aws.String(`{}`)}},
			new(*types.ValidationException), "Invalid Context object provided: the context must be a JSON object, got a JSON array"},
		{"a context's Execution.Id that is not a string", sfn.TestStateInput{Definition: aws.String(mockedTask), Context: aws.String(`{"Execution":{"Id":1}}`), Mock: &types.MockInput{Result: aws.String(`{}`)}},
			new(*types.ValidationException), "Invalid Context object provided: Execution.Id must be a string"},
		{"a context with Map", sfn.TestStateInput{Definition: aws.String(mockedTask), Context: aws.String(`{"Map":{}}`), Mock: &types.MockInput{Result: aws.String(`{}`)}},
			new(*types.ValidationException), "Invalid Context object provided: 'Map' field is not supported when mocking a Context object"},
		{"a context with an unknown Execution field", sfn.TestStateInput{Definition: aws.String(mockedTask), Context: aws.String(`{"Execution":{"pokemon":"squirtle"}}`), Mock: &types.MockInput{Result: aws.String(`{}`)}},
			new(*types.ValidationException), "Invalid Context object provided: Field 'pokemon' is not allowed"},
		{"a context with an unknown field", sfn.TestStateInput{Definition: aws.String(mockedTask), Context: aws.String(`{"Pokedex":{}}`), Mock: &types.MockInput{Result: aws.String(`{}`)}},
			new(*types.ValidationException), "Invalid Context object provided: Field 'Pokedex' is not allowed"},
		{"a context with a Task for a state without a token", sfn.TestStateInput{Definition: aws.String(mockedTask), Context: aws.String(`{"Task":{"Token":"t"}}`), Mock: &types.MockInput{Result: aws.String(`{}`)}},
			new(*types.ValidationException), "Invalid Context object provided: Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.TestState(context.Background(), &tc.in)
			target := reflect.ValueOf(tc.typ)
			if !errors.As(err, tc.typ) {
				t.Fatalf("err = %v, want %s", err, target.Elem().Type())
			}
			var api smithy.APIError
			if !errors.As(err, &api) || !strings.Contains(api.ErrorMessage(), tc.msg) {
				t.Errorf("message %q, want it to contain %q", api.ErrorMessage(), tc.msg)
			}
		})
	}
}

// A mocked Task result is checked against the output shape of the API
// the resource calls (botocore's models), as fieldValidationMode asks,
// STRICT when absent. Each message is AWS's, recorded in LocalStack's
// snapshots of TestState on AWS (tests/aws/services/stepfunctions/v2/test_state/
// test_field_validation_mode{,_present,_none}.snapshot.json, the case
// named in the comment), with the same resource and mocked result.
func TestSDKTestStateFieldValidation(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	task := func(resource string) *string {
		return aws.String(`{"Type":"Task","Resource":"` + resource + `","ResultPath":"$.r","End":true}`)
	}
	const (
		start     = "arn:aws:states:::states:startExecution"
		putEvents = "arn:aws:states:::events:putEvents"
		prefix    = "Mock result schema validation error: "
	)
	var none types.MockResponseValidationMode
	cases := []struct {
		name     string
		resource string
		result   string
		mode     types.MockResponseValidationMode
		msg      string // the whole message of the ValidationException; "" when the test runs
	}{
		// test_strict_mode_sfn_task[missing_required_fields]
		{"default is STRICT: a required field missing", start, `{}`, none, prefix + "Required field 'ExecutionArn' is missing"},
		{"STRICT: a required field missing", start, `{}`, types.MockResponseValidationModeStrict, prefix + "Required field 'ExecutionArn' is missing"},
		// test_strict_mode_sfn_task[field_name_not_in_sfn_case]
		{"STRICT: the model's camelCase is not the member", start, `{"executionArn":"stringValueExecutionArn","startDate":"stringValueStartDate"}`, none,
			prefix + "Required field 'ExecutionArn' is missing"},
		// test_present_mode_sfn_task_validation_pass[missing_required_fields]
		{"PRESENT: required fields may be missing", start, `{}`, types.MockResponseValidationModePresent, ""},
		// test_present_mode_sfn_task_validation_fail[wrong_timestamp_type_bool]
		{"PRESENT: a wrong type", start, `{"StartDate":true}`, types.MockResponseValidationModePresent, prefix + "Field 'StartDate' must be a string"},
		// test_strict_mode_sfn_task[wrong_timestamp_type_number]
		{"STRICT: a wrong type", start, `{"ExecutionArn":"stringValueExecutionArn","StartDate":1764103483}`, none, prefix + "Field 'StartDate' must be a string"},
		// test_strict_mode_mock_result_field_not_in_api_spec[field_not_part_of_api_spec]
		{"STRICT: a field outside the model", putEvents, `{"random":"json"}`, none, ""},
		// test_present_mode_eventbridge_task[wrong_type_2nd_array_element]
		{"PRESENT: a nested wrong type", putEvents, `{"Entries":[{"EventId":"First eventId has correct type: string"},{"EventId":["Second eventId has incorrect type: array"]}]}`,
			types.MockResponseValidationModePresent, prefix + "Field 'EventId' must be a string"},
		// test_strict_mode_lambda_task[wrong_integer_type_string]
		{"lambda:invoke: a number as a string", "arn:aws:states:::lambda:invoke", `{"StatusCode":"200"}`, none, prefix + "Field 'StatusCode' must be a number"},
		// test_strict_mode_dynamodb_task[wrong_float_type_string]
		{"dynamodb:putItem: a double as a string", "arn:aws:states:::dynamodb:putItem", `{"ConsumedCapacity":{"CapacityUnits":"123.45"}}`, none, prefix + "Field 'CapacityUnits' must be a number"},
		// test_present_mode_aws_sdk_s3_task[non_existent_enum_value]
		{"aws-sdk: an enum", "arn:aws:states:::aws-sdk:s3:getObject", `{"StorageClass":"Papyrus"}`, types.MockResponseValidationModePresent,
			prefix + "Field 'StorageClass' is not an expected value"},
		// test_strict_mode_aws_sdk_lambda_get_function_task[integer_less_than_minimum_allowed]
		{"aws-sdk: under a minimum", "arn:aws:states:::aws-sdk:lambda:getFunction", `{"Configuration":{"MemorySize":127}}`, none,
			prefix + "Field 'MemorySize' is less than the minimum value"},
		// Recorded for KMS's CiphertextBlob (test_strict_mode_aws_sdk_kms_task[wrong_blob_length_less_than_minimum]);
		// sfn's ExecutionArn has a minimum length of 1 too.
		{"a string under its minimum length", start, `{"ExecutionArn":"","StartDate":"2025-11-25T20:44:43Z"}`, none,
			prefix + "Field 'ExecutionArn' is smaller than the minimum length"},
		// test_none_mode_sfn_task[wrong_timestamp_type_bool]
		{"NONE checks nothing", start, `{"ExecutionArn":"stringValueExecutionArn","StartDate":true}`, types.MockResponseValidationModeNone, ""},
		{"NONE: a required field missing", start, `{}`, types.MockResponseValidationModeNone, ""},
		// test_test_state_mock_scenarios: sfn startExecution's and
		// sqs sendMessage's results as AWS gives them, checked in STRICT.
		{"a whole result", start, `{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:TargetStateMachine:TestStartTarget","StartDate":"2025-11-25T20:44:43.123Z"}`, none, ""},
		{"a whole sqs result", "arn:aws:states:::sqs:sendMessage", `{"MD5OfMessageBody":"d41d8cd98f00b204e9800998ecf8427e","MessageId":"0b6d-4f"}`, none, ""},
		// What no API model describes is taken as given, in any mode:
		// what a worker, a function or a token's holder sends.
		{"an activity", "arn:aws:states:us-east-1:123456789012:activity:work", `{"StartDate":true}`, types.MockResponseValidationModeStrict, ""},
		{"a Lambda function", "arn:aws:lambda:us-east-1:123456789012:function:f", `{"StatusCode":"200"}`, types.MockResponseValidationModeStrict, ""},
		{"a callback", "arn:aws:states:::sqs:sendMessage.waitForTaskToken", `{"MessageId":1}`, types.MockResponseValidationModeStrict, ""},
		{"a .sync job", "arn:aws:states:::states:startExecution.sync:2", `{"Output":{"a":1}}`, types.MockResponseValidationModeStrict, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.TestState(context.Background(), &sfn.TestStateInput{Definition: task(tc.resource), Input: aws.String(`{"in":1}`),
				Mock: &types.MockInput{Result: aws.String(tc.result), FieldValidationMode: tc.mode}})
			if tc.msg != "" {
				var ve *types.ValidationException
				if !errors.As(err, &ve) || ve.ErrorMessage() != tc.msg {
					t.Fatalf("err = %v, want a ValidationException %q", err, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := `{"in":1,"r":` + tc.result + `}`
			if out.Status != types.TestExecutionStatusSucceeded || out.Output == nil || !reflect.DeepEqual(decode(t, *out.Output), decode(t, want)) {
				t.Errorf("status %s output %s, want %s", out.Status, aws.ToString(out.Output), want)
			}
		})
	}

	// A mocked error has no result to check.
	out, err := c.TestState(context.Background(), &sfn.TestStateInput{Definition: task(start),
		Mock: &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("E")}, FieldValidationMode: types.MockResponseValidationModeStrict}})
	if err != nil || out.Status != types.TestExecutionStatusFailed || aws.ToString(out.Error) != "E" {
		t.Fatalf("mocked error: %v %+v", err, out)
	}
}

const mockedTask = `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"ctx.$":"$$"},"End":true}`

// A context given with a mock is the whole context object: what it names
// is what $$ holds, and what it leaves out is not there (an empty object
// gives an empty $$), as AWS answers.
func TestSDKTestStateGivenContext(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	cases := []struct {
		name, def, context string
		result             string // the mock's
		params             string // afterParameters, "" to check the output
		output             string
	}{
		{name: "parameters see it", def: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"id.$":"$$.Execution.Id","retry.$":"$$.State.RetryCount","in.$":"$$.Execution.Input.v"},"End":true}`,
			context: `{"Execution":{"Id":"arn:aws:states:::execution:MyStateMachine:execution-name-12345","Input":{"v":[1]}},"State":{"RetryCount":3}}`, result: `{}`,
			params: `{"id":"arn:aws:states:::execution:MyStateMachine:execution-name-12345","retry":3,"in":[1]}`},
		{name: "all of it", def: mockedTask, context: `{"Execution":{"Id":"x"},"StateMachine":{}}`, result: `{}`, params: `{"ctx":{"Execution":{"Id":"x"},"StateMachine":{}}}`},
		{name: "empty", def: mockedTask, context: `{}`, result: `{}`, params: `{"ctx":{}}`},
		{name: "a token for a callback", def: `{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"t.$":"$$.Task.Token"},"End":true}`,
			context: `{"Task":{"Token":"abcd123"}}`, result: `{}`, params: `{"t":"abcd123"}`},
		{name: "jsonata", def: `{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::lambda:invoke","Output":"{% $states.context.Execution.Name %}","End":true}`,
			context: `{"Execution":{"Name":"given"}}`, result: `{}`, output: `"given"`},
		{name: "a mocked Map's ItemsPath", def: `{"Type":"Map","ItemsPath":"$$.Execution.Input.values","ResultSelector":{"r.$":"$","n.$":"$$.Execution.Name"},"End":true,` + inlineProc + `}`,
			context: `{"Execution":{"Name":"n","Input":{"values":["a","b"]}}}`, result: `["A","B"]`, output: `{"r":["A","B"],"n":"n"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.TestState(context.Background(), &sfn.TestStateInput{Definition: aws.String(tc.def), Input: aws.String(`{"a":1}`),
				Context: aws.String(tc.context), Mock: &types.MockInput{Result: aws.String(tc.result)}, InspectionLevel: types.InspectionLevelDebug})
			if err != nil {
				t.Fatal(err)
			}
			got, want := aws.ToString(out.Output), tc.output
			if tc.params != "" {
				got, want = aws.ToString(out.InspectionData.AfterParameters), tc.params
			}
			if !reflect.DeepEqual(decode(t, got), decode(t, want)) {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

// The context object of a tested state is that of a fresh EXPRESS
// execution of a machine of its own, in the caller's account and region.
func TestSDKTestStateContext(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("eu-west-1")
	out, err := c.TestState(context.Background(), &sfn.TestStateInput{
		Definition: aws.String(`{"Type":"Pass","Parameters":{"ctx.$":"$$"},"End":true}`), RoleArn: aws.String(role), Input: aws.String(`{"a":1}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Ctx struct {
			Execution    struct{ Id, Name, RoleArn, StartTime string }
			StateMachine struct{ Id, Name string }
			State        struct{ Name, EnteredTime string }
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatal(err)
	}
	x := got.Ctx
	if !strings.HasPrefix(x.Execution.Id, "arn:aws:states:eu-west-1:123456789012:express:"+x.StateMachine.Name+":"+x.Execution.Name+":") ||
		x.StateMachine.Id != "arn:aws:states:eu-west-1:123456789012:stateMachine:"+x.StateMachine.Name ||
		x.Execution.RoleArn != role || x.State.Name != "StateName" || x.Execution.StartTime == "" || x.State.EnteredTime == "" {
		t.Errorf("context %s", aws.ToString(out.Output))
	}
}
