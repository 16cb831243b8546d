package api

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/engine"
)

// TestState of a request-response states:startExecution Task starts the
// execution in the caller's account, as on AWS: DescribeExecution and
// ListExecutions see it, and the task's result is the one an execution's
// task gets.
func TestSDKTestStateStartsExecution(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	child := aws.ToString(must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("child"), RoleArn: aws.String(role),
		Definition: aws.String(`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"doubled.$":"States.MathAdd($.n, $.n)"},"End":true}}}`)}))(t).StateMachineArn)

	cases := []struct {
		name, def, childName, childInput string
	}{
		{"JSONPath Parameters", `{"Type":"Task","Resource":"arn:aws:states:::states:startExecution",
			"Parameters":{"StateMachineArn":"` + child + `","Name":"from-test","Input":{"n.$":"$.n"}},"ResultPath":"$.started","Next":"Then"}`,
			"from-test", `{"n":21}`},
		{"JSONata Arguments", `{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::states:startExecution",
			"Arguments":{"StateMachineArn":"` + child + `","Name":"from-jsonata","Input":"{% {'n': $states.input.n} %}"},
			"Output":"{% $merge([$states.input, {'started': $states.result}]) %}","Next":"Then"}`,
			"from-jsonata", `{"n":21}`},
	}
	var started []string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := must(c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(tc.def), Input: aws.String(`{"n":21}`),
				RoleArn: aws.String(role), InspectionLevel: types.InspectionLevelDebug}))(t)
			if out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.NextState) != "Then" {
				t.Fatalf("status %s, next %q, error %q %q", out.Status, aws.ToString(out.NextState), aws.ToString(out.Error), aws.ToString(out.Cause))
			}
			var res struct {
				N       int
				Started struct {
					ExecutionArn string
					StartDate    float64
				}
			}
			if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &res); err != nil {
				t.Fatal(err)
			}
			want := strings.Replace(child, ":stateMachine:", ":execution:", 1) + ":" + tc.childName
			if res.N != 21 || res.Started.ExecutionArn != want || res.Started.StartDate == 0 {
				t.Fatalf("output %s, want the ARN %s and a StartDate", aws.ToString(out.Output), want)
			}
			d := waitDescribe(t, c, want, types.ExecutionStatusSucceeded)
			if aws.ToString(d.StateMachineArn) != child || aws.ToString(d.Input) != tc.childInput || aws.ToString(d.Output) != `{"doubled":42}` ||
				float64(d.StartDate.UnixMilli()) != res.Started.StartDate {
				t.Errorf("child %+v: input %s, output %s, started %v", d, aws.ToString(d.Input), aws.ToString(d.Output), d.StartDate)
			}
			started = append(started, want)
		})
	}
	list := must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(child)}))(t)
	var listed []string
	for _, x := range list.Executions {
		listed = append(listed, aws.ToString(x.ExecutionArn))
	}
	if len(listed) != len(started) {
		t.Errorf("ListExecutions: %v, want %v", listed, started)
	}
	for _, s := range started {
		if !strings.Contains(strings.Join(listed, " "), s) {
			t.Errorf("ListExecutions: %v, without %s", listed, s)
		}
	}

	// Starting the same name again is StartExecution's error.
	again := must(c.TestState(ctx, &sfn.TestStateInput{RoleArn: aws.String(role), Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:states:::states:startExecution",
		"Parameters":{"StateMachineArn":"` + child + `","Name":"from-test","Input":{"n":1}},"End":true}`)}))(t)
	if again.Status != types.TestExecutionStatusFailed || aws.ToString(again.Error) != "StepFunctions.ExecutionAlreadyExistsException" ||
		aws.ToString(again.Cause) != "Execution Already Exists: '"+strings.Replace(child, ":stateMachine:", ":execution:", 1)+":from-test'" {
		t.Errorf("the same name again: %s %q %q", again.Status, aws.ToString(again.Error), aws.ToString(again.Cause))
	}
}

// A machine that does not exist fails the tested task with the error an
// execution's task gets, which the state's Catch sees.
func TestSDKTestStateStartMissingMachine(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	missing := strings.Replace(e.createMachine("there", passDef, ""), ":there", ":not-there", 1)
	state := `{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"` + missing + `"},
		"Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.err","Next":"Caught"}],"End":true}`

	out := must(c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(state), Input: aws.String(`{"n":1}`), RoleArn: aws.String(role)}))(t)
	if out.Status != types.TestExecutionStatusCaughtError || aws.ToString(out.NextState) != "Caught" ||
		aws.ToString(out.Error) != "StepFunctions.StateMachineDoesNotExistException" {
		t.Fatalf("status %s, next %q, error %q %q", out.Status, aws.ToString(out.NextState), aws.ToString(out.Error), aws.ToString(out.Cause))
	}

	// The same state in an execution.
	parent := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("parent"), RoleArn: aws.String(role),
		Definition: aws.String(`{"StartAt":"T","States":{"T":` + state + `,"Caught":{"Type":"Pass","End":true}}}`)}))(t)
	x := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: parent.StateMachineArn, Input: aws.String(`{"n":1}`)}))(t)
	d := waitDescribe(t, c, aws.ToString(x.ExecutionArn), types.ExecutionStatusSucceeded)
	var tested, executed any
	if json.Unmarshal([]byte(aws.ToString(out.Output)), &tested) != nil || json.Unmarshal([]byte(aws.ToString(d.Output)), &executed) != nil ||
		!reflect.DeepEqual(tested, executed) {
		t.Errorf("tested %s, executed %s", aws.ToString(out.Output), aws.ToString(d.Output))
	}
	if !strings.Contains(aws.ToString(out.Output), `State Machine Does Not Exist: '`+missing+`'`) {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
}

// The tested task's Credentials start the child in the role's account, as
// an execution's task does; a role that does not trust the caller, or
// another account's machine without one, fail the task.
func TestTestStateStartsExecutionUnderCredentials(t *testing.T) {
	k := twoAccountKeyring(t, "arn:aws:iam::111111111111:role/none")
	e := newEnvEngine(t, k, engine.Options{AssumeRole: k.AssumeRole})
	const invoker, closed = "arn:aws:iam::222222222222:role/invoker", "arn:aws:iam::222222222222:role/closed"
	childB := e.as("B_ADMIN", "CreateStateMachine", obj{"name": "child", "roleArn": role,
		"definition": `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"in.$":"$.n"},"End":true}}}`}).str("stateMachineArn")
	if !strings.Contains(childB, ":222222222222:") {
		t.Fatalf("ARN %s", childB)
	}
	test := func(credentials string) response {
		t.Helper()
		def := `{"Type":"Task","Resource":"arn:aws:states:::states:startExecution",` + credentials + `
			"Parameters":{"StateMachineArn":"` + childB + `","Name":"by-test","Input":{"n":7}},"End":true}`
		r := e.as("A_ADMIN", "TestState", obj{"definition": def, "roleArn": "arn:aws:iam::111111111111:role/tester"})
		if r.status != 200 {
			t.Fatalf("TestState: %s", r.raw)
		}
		return r
	}

	for _, c := range []struct{ name, credentials, error, cause string }{
		{"another account's machine", ``, "StepFunctions.AccessDeniedException", "is not authorized to perform: states:StartExecution on resource: " + childB},
		{"a role that does not trust the caller", `"Credentials":{"RoleArn":"` + closed + `"},`, "States.TaskFailed", "the role's trust names neither the account 111111111111"},
	} {
		if r := test(c.credentials); r.str("status") != "FAILED" || r.str("error") != c.error || !strings.Contains(r.str("cause"), c.cause) {
			t.Errorf("%s: %s, want %s mentioning %q", c.name, r.raw, c.error, c.cause)
		}
	}
	if r := e.as("B_ADMIN", "ListExecutions", obj{"stateMachineArn": childB}); strings.Contains(r.raw, "by-test") {
		t.Fatalf("a refused test started the child: %s", r.raw)
	}

	r := test(`"Credentials":{"RoleArn":"` + invoker + `"},`)
	var out struct{ ExecutionArn string }
	if r.str("status") != "SUCCEEDED" || json.Unmarshal([]byte(r.str("output")), &out) != nil ||
		out.ExecutionArn != "arn:aws:states:us-east-1:222222222222:execution:child:by-test" {
		t.Fatalf("child in B: %s", r.raw)
	}
	var d response
	for range 500 {
		if d = e.as("B_ADMIN", "DescribeExecution", obj{"executionArn": out.ExecutionArn}); d.str("status") != "RUNNING" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d.str("status") != "SUCCEEDED" || d.str("output") != `{"in":7}` {
		t.Errorf("B describes the child: %s", d.raw)
	}
	if d := e.as("A_ADMIN", "DescribeExecution", obj{"executionArn": out.ExecutionArn}); d.status == 200 {
		t.Errorf("A describes B's child: %s", d.raw)
	}
}
