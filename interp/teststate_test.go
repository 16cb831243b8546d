package interp_test

import (
	"testing"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// inspected renders what a tested state computed as TestState's
// inspectionData does (the values that are set, by their member names), so
// that a case can state it as one JSON object.
func inspected(in interp.Inspection) map[string]any {
	out := map[string]any{}
	for name, d := range map[string]interp.Data{
		"input": in.Input, "afterInputPath": in.AfterInputPath, "afterParameters": in.AfterParameters,
		"afterArguments": in.AfterArguments, "result": in.Result, "afterResultSelector": in.AfterResultSelector,
		"afterResultPath": in.AfterResultPath, "afterItemsPath": in.AfterItemsPath, "afterItemSelector": in.AfterItemSelector,
		"afterItemBatcher": in.AfterItemBatcher, "maxConcurrency": in.MaxConcurrency,
		"toleratedFailureCount": in.ToleratedFailureCount, "toleratedFailurePercentage": in.ToleratedFailurePercentage,
	} {
		if d.Set {
			out[name] = d.Value
		}
	}
	if in.Variables != nil {
		out["variables"] = in.Variables
	}
	return out
}

// outcome is how the host ends a tested Task state's task.
type outcome struct {
	kind  interp.EventKind
	out   string
	err   string
	cause string
}

func succeeds(out string) *outcome { return &outcome{kind: interp.TaskSucceeded, out: out} }
func failsWith(err string) *outcome {
	return &outcome{kind: interp.TaskFailed, err: err, cause: "it broke"}
}

func TestTestState(t *testing.T) {
	type errDetails struct {
		retry, catch int
		backoff      time.Duration
	}
	none := errDetails{-1, -1, 0}
	cases := []struct {
		name       string
		def        string
		input      string
		vars       map[string]any
		retryCount int64
		task       *outcome // nil: the state runs no task

		status  interp.TestStatus
		output  string // "" for none
		err     string
		next    string
		inspect string // inspectionData as a JSON object
		details errDetails
	}{
		{
			name:   "pass: every stage of its data flow",
			def:    `{"Type":"Pass","InputPath":"$.data","Parameters":{"v.$":"$.v","k":1},"ResultPath":"$.out","OutputPath":"$.out","Next":"After"}`,
			input:  `{"data":{"v":"x"},"other":2}`,
			status: interp.TestSucceeded, output: `{"k":1,"v":"x"}`, next: "After",
			inspect: `{"input":{"data":{"v":"x"},"other":2},"afterInputPath":{"v":"x"},"afterParameters":{"v":"x","k":1},
				"afterResultSelector":{"v":"x","k":1},"afterResultPath":{"data":{"v":"x"},"other":2,"out":{"v":"x","k":1}}}`,
			details: none,
		},
		{
			name:   "pass with a Result shows the Result, not the InputPath and Parameters it ignores",
			def:    `{"Type":"Pass","InputPath":"$.data","Parameters":{"p":1},"Result":{"r":true},"ResultPath":"$.res","End":true}`,
			input:  `{"data":{}}`,
			status: interp.TestSucceeded, output: `{"data":{},"res":{"r":true}}`,
			inspect: `{"input":{"data":{}},"result":{"r":true},"afterResultSelector":{"r":true},"afterResultPath":{"data":{},"res":{"r":true}}}`,
			details: none,
		},
		{
			name:   "choice: the matching rule's Next",
			def:    `{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"}],"Default":"Small","OutputPath":"$.n"}`,
			input:  `{"n":11}`,
			status: interp.TestSucceeded, output: `11`, next: "Big",
			inspect: `{"input":{"n":11},"afterInputPath":{"n":11}}`, details: none,
		},
		{
			name:   "choice: no rule and no Default",
			def:    `{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"}]}`,
			input:  `{"n":1}`,
			status: interp.TestFailed, err: "States.NoChoiceMatched",
			inspect: `{"input":{"n":1},"afterInputPath":{"n":1}}`, details: none,
		},
		{
			name:   "wait: a day passes at once",
			def:    `{"Type":"Wait","Seconds":86400,"Next":"Later"}`,
			input:  `{"a":1}`,
			status: interp.TestSucceeded, output: `{"a":1}`, next: "Later",
			inspect: `{"input":{"a":1},"afterInputPath":{"a":1}}`, details: none,
		},
		{
			name:   "wait: a bad SecondsPath still fails",
			def:    `{"Type":"Wait","SecondsPath":"$.s","End":true}`,
			input:  `{"s":-1}`,
			status: interp.TestFailed, err: "States.Runtime",
			inspect: `{"input":{"s":-1},"afterInputPath":{"s":-1}}`, details: none,
		},
		{
			name:   "succeed",
			def:    `{"Type":"Succeed","OutputPath":"$.a"}`,
			input:  `{"a":[1]}`,
			status: interp.TestSucceeded, output: `[1]`,
			inspect: `{"input":{"a":[1]},"afterInputPath":{"a":[1]}}`, details: none,
		},
		{
			name:   "fail",
			def:    `{"Type":"Fail","Error":"Boom","CausePath":"$.why"}`,
			input:  `{"why":"because"}`,
			status: interp.TestFailed, err: "Boom",
			inspect: `{"input":{"why":"because"},"afterInputPath":{"why":"because"}}`, details: none,
		},
		{
			name: "task: input, parameters, result and what becomes of it",
			def: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},
				"ResultSelector":{"n.$":"$.Payload.n"},"ResultPath":"$.r","OutputPath":"$.r","Next":"Then"}`,
			input: `{"n":1}`, task: succeeds(`{"Payload":{"n":2},"StatusCode":200}`),
			status: interp.TestSucceeded, output: `{"n":2}`, next: "Then",
			inspect: `{"input":{"n":1},"afterInputPath":{"n":1},"afterParameters":{"FunctionName":"f","Payload":{"n":1}},
				"result":{"Payload":{"n":2},"StatusCode":200},"afterResultSelector":{"n":2},"afterResultPath":{"n":1,"r":{"n":2}}}`,
			details: none,
		},
		{
			name:  "task: an error a retrier retries is retriable",
			def:   `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["Other"]},{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"BackoffRate":3}],"End":true}`,
			input: `{}`, task: failsWith("Flaky"),
			status: interp.TestRetriable, err: "Flaky",
			inspect: `{"input":{},"afterInputPath":{},"afterParameters":{}}`,
			details: errDetails{retry: 1, catch: -1, backoff: 2 * time.Second},
		},
		{
			name:  "task: the delay grows with the retries made",
			def:   `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3,"MaxDelaySeconds":15}],"End":true}`,
			input: `{}`, retryCount: 1, task: failsWith("Flaky"),
			status: interp.TestRetriable, err: "Flaky",
			inspect: `{"input":{},"afterInputPath":{},"afterParameters":{}}`,
			details: errDetails{retry: 0, catch: -1, backoff: 6 * time.Second},
		},
		{
			name:  "task: MaxDelaySeconds caps the delay",
			def:   `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3,"MaxDelaySeconds":15}],"End":true}`,
			input: `{}`, retryCount: 2, task: failsWith("Flaky"),
			status: interp.TestRetriable, err: "Flaky",
			inspect: `{"input":{},"afterInputPath":{},"afterParameters":{}}`,
			details: errDetails{retry: 0, catch: -1, backoff: 15 * time.Second},
		},
		{
			name: "task: retries used up, the error is caught",
			def: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["Flaky"],"MaxAttempts":2}],
				"Catch":[{"ErrorEquals":["Other"],"Next":"No"},{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Assign":{"failed.$":"$.Error"},"Next":"Handle"}],"End":true}`,
			input: `{"k":1}`, retryCount: 2, task: failsWith("Flaky"),
			status: interp.TestCaughtError, err: "Flaky", next: "Handle",
			output:  `{"k":1,"error":{"Error":"Flaky","Cause":"it broke"}}`,
			inspect: `{"input":{"k":1},"afterInputPath":{"k":1},"afterParameters":{"k":1},"variables":{"failed":"Flaky"}}`,
			details: errDetails{retry: 0, catch: 1},
		},
		{
			name:  "task: an error nothing handles",
			def:   `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["Other"]}],"Next":"Then"}`,
			input: `{}`, task: failsWith("Broken"),
			status: interp.TestFailed, err: "Broken",
			inspect: `{"input":{},"afterInputPath":{},"afterParameters":{}}`, details: none,
		},
		{
			name:   "task: States.Runtime is never retried",
			def:    `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","InputPath":"$.missing","Retry":[{"ErrorEquals":["States.ALL"]}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true}`,
			input:  `{}`,
			status: interp.TestFailed, err: "States.Runtime",
			inspect: `{"input":{}}`, details: none,
		},
		{
			name: "jsonata task: arguments, result, output and variables",
			def: `{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::lambda:invoke",
				"Arguments":{"FunctionName":"f","Payload":{"n":"{% $states.input.n + $base %}"}},
				"Assign":{"last":"{% $states.result.Payload %}"},"Output":{"got":"{% $states.result.Payload.n %}","retries":"{% $states.context.State.RetryCount %}"},"Next":"Then"}`,
			input: `{"n":1}`, vars: map[string]any{"base": int64(10)}, retryCount: 1, task: succeeds(`{"Payload":{"n":22}}`),
			status: interp.TestSucceeded, output: `{"got":22,"retries":1}`, next: "Then",
			inspect: `{"input":{"n":1},"afterArguments":{"FunctionName":"f","Payload":{"n":11}},"result":{"Payload":{"n":22}},
				"variables":{"base":10,"last":{"n":22}}}`,
			details: none,
		},
		{
			name:  "jsonata pass: variables given and assigned",
			def:   `{"Type":"Pass","QueryLanguage":"JSONata","Assign":{"sum":"{% $a + $b %}"},"Output":"{% $states.context.State.Name %}","End":true}`,
			input: `{}`, vars: map[string]any{"a": int64(1), "b": int64(2)},
			status: interp.TestSucceeded, output: `"StateName"`,
			inspect: `{"input":{},"variables":{"a":1,"b":2,"sum":3}}`, details: none,
		},
		{
			name: "jsonata task: a caught error's Output and Assign",
			def: `{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"x":1},
				"Catch":[{"ErrorEquals":["States.TaskFailed"],"Output":"{% $states.errorOutput.Error %}","Assign":{"why":"{% $states.errorOutput.Cause %}"},"Next":"Recover"}],"End":true}`,
			input: `{}`, task: failsWith("Broken"),
			status: interp.TestCaughtError, err: "Broken", next: "Recover", output: `"Broken"`,
			inspect: `{"input":{},"afterArguments":{"x":1},"variables":{"why":"it broke"}}`,
			details: errDetails{retry: -1, catch: 0},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if probs := asl.ValidateState([]byte(c.def), asl.ValidateOptions{}); len(probs) > 0 {
				t.Fatalf("definition does not validate: %v", probs)
			}
			sm, err := asl.ParseState([]byte(c.def), "StateName")
			if err != nil {
				t.Fatal(err)
			}
			m := interp.New(sm, interp.Options{})
			test, cmds := m.TestState(sm.Start, interp.TestOptions{
				Info: interp.Info{Input: parseJSON(t, c.input)}, Variables: c.vars, RetryCount: c.retryCount, Seed: 1,
			}, t0)
			var tasks int
			for !test.Done() {
				if len(cmds) != 1 || cmds[0].Kind != interp.RunTask || c.task == nil {
					t.Fatalf("the test waits for %+v", cmds)
				}
				tasks++
				ev := interp.Event{Kind: c.task.kind, Ref: cmds[0].Ref, Time: t0, Error: c.task.err, Cause: c.task.cause}
				if c.task.out != "" {
					ev.Output = parseJSON(t, c.task.out)
				}
				cmds = test.Apply(ev)
			}
			if c.task != nil && tasks != 1 {
				t.Errorf("%d tasks ran, want 1", tasks)
			}
			if got := test.Status(); got != c.status {
				name, cause, _, _ := test.Error()
				t.Errorf("status %s (%s: %s), want %s", got, name, cause, c.status)
			}
			out, hasOut := test.Output()
			if c.output == "" && hasOut {
				t.Errorf("output %s, want none", jsonv.String(out))
			} else if c.output != "" && (!hasOut || jsonv.String(out) != jsonv.String(parseJSON(t, c.output))) {
				t.Errorf("output %s (%v), want %s", jsonv.String(out), hasOut, c.output)
			}
			if name, _, _, _ := test.Error(); name != c.err {
				t.Errorf("error %q, want %q", name, c.err)
			}
			if got := test.NextState(); got != c.next {
				t.Errorf("next state %q, want %q", got, c.next)
			}
			in := test.Inspection()
			if got, want := inspected(in), parseJSON(t, c.inspect); !jsonv.Equal(got, want) {
				t.Errorf("inspection\n %s\nwant\n %s", jsonv.String(got), jsonv.String(want))
			}
			if got := (errDetails{in.RetryIndex, in.CatchIndex, in.RetryBackoff}); got != c.details {
				t.Errorf("error details %+v, want %+v", got, c.details)
			}
		})
	}
}

// A tested state sees the variables it is given, but cannot change them
// for its caller.
func TestTestStateKeepsTheCallersVariables(t *testing.T) {
	sm, err := asl.ParseState([]byte(`{"Type":"Pass","Assign":{"a":2},"End":true}`), "S")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{"a": int64(1)}
	test, _ := interp.New(sm, interp.Options{}).TestState(sm.Start, interp.TestOptions{Info: interp.Info{Input: jsonv.NewObject(0)}, Variables: vars}, t0)
	if got := test.Inspection().Variables; got["a"] != int64(2) || vars["a"] != int64(1) {
		t.Errorf("variables after %v, the caller's %v", got, vars)
	}
}

// A mocked Map or Parallel state runs its own data flow around the
// children it does not run: the mock is the children's outcome.
func TestTestStateMockedChildren(t *testing.T) {
	const proc = `"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}`
	const branches = `"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}]`
	ok := &interp.ChildrenMock{Result: []any{int64(1), int64(4), int64(9)}}
	failed := func(n int64) *interp.ChildrenMock {
		return &interp.ChildrenMock{Result: []any{int64(1), int64(4), int64(9)}, FailedIterations: n, HasFailedIterations: true}
	}
	cases := []struct {
		name    string
		def     string
		input   string
		mock    *interp.ChildrenMock
		read    string // the items an ItemReader reads; "" for none
		retries int64

		status  interp.TestStatus
		output  string
		err     string
		next    string
		inspect string
	}{
		{
			name:  "jsonpath map: items, selector, limits, then the result's stages",
			def:   `{"Type":"Map","InputPath":"$.in","ItemsPath":"$.xs","ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},"MaxConcurrency":2,"ToleratedFailureCount":1,"ResultSelector":{"r.$":"$"},"ResultPath":"$.out",` + proc + `,"Next":"N"}`,
			input: `{"in":{"xs":[1,2,3]}}`, mock: ok,
			status: interp.TestSucceeded, output: `{"in":{"xs":[1,2,3]},"out":{"r":[1,4,9]}}`, next: "N",
			inspect: `{"input":{"in":{"xs":[1,2,3]}},"afterInputPath":{"xs":[1,2,3]},"afterItemsPath":[1,2,3],
				"afterItemSelector":[{"v":1,"i":0},{"v":2,"i":1},{"v":3,"i":2}],"maxConcurrency":2,"toleratedFailureCount":1,
				"afterResultSelector":{"r":[1,4,9]},"afterResultPath":{"in":{"xs":[1,2,3]},"out":{"r":[1,4,9]}}}`,
		},
		{
			name:  "failed iterations within the tolerated percentage",
			def:   `{"Type":"Map","ToleratedFailurePercentage":50,` + proc + `,"End":true}`,
			input: `[1,2,3,4]`, mock: failed(2),
			status: interp.TestSucceeded, output: `[1,4,9]`,
			inspect: `{"input":[1,2,3,4],"afterInputPath":[1,2,3,4],"afterItemsPath":[1,2,3,4],"maxConcurrency":0,"toleratedFailurePercentage":50,
				"afterResultSelector":[1,4,9],"afterResultPath":[1,4,9]}`,
		},
		{
			name:  "failed iterations past the tolerated count are caught",
			def:   `{"Type":"Map","ToleratedFailureCount":1,"Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"H"}],` + proc + `,"End":true}`,
			input: `[1,2,3]`, mock: failed(2),
			status: interp.TestCaughtError, err: "States.ExceedToleratedFailureThreshold", next: "H",
			output:  `{"Error":"States.ExceedToleratedFailureThreshold","Cause":"The specified tolerated failure threshold was exceeded"}`,
			inspect: `{"input":[1,2,3],"afterInputPath":[1,2,3],"afterItemsPath":[1,2,3],"maxConcurrency":0,"toleratedFailureCount":1}`,
		},
		{
			name:  "failed iterations without a threshold: the Map succeeds, as AWS answers",
			def:   `{"Type":"Map",` + proc + `,"End":true}`,
			input: `[1,2,3]`, mock: failed(3),
			status: interp.TestSucceeded, output: `[1,4,9]`,
			inspect: `{"input":[1,2,3],"afterInputPath":[1,2,3],"afterItemsPath":[1,2,3],"maxConcurrency":0,"afterResultSelector":[1,4,9],"afterResultPath":[1,4,9]}`,
		},
		{
			name:  "a mocked error is retriable",
			def:   `{"Type":"Map","Retry":[{"ErrorEquals":["Boom"],"MaxAttempts":2}],` + proc + `,"End":true}`,
			input: `[1]`, mock: &interp.ChildrenMock{Failed: true, Error: "Boom", Cause: "c", HasCause: true}, retries: 1,
			status: interp.TestRetriable, err: "Boom",
			inspect: `{"input":[1],"afterInputPath":[1],"afterItemsPath":[1],"maxConcurrency":0}`,
		},
		{
			name:  "jsonata map: Items and the result through Output",
			def:   `{"Type":"Map","QueryLanguage":"JSONata","Items":"{% $states.input.xs %}","ItemSelector":{"x":"{% $states.context.Map.Item.Value %}"},"Output":{"got":"{% $states.result %}"},` + proc + `,"End":true}`,
			input: `{"xs":["a","b"]}`, mock: ok,
			status: interp.TestSucceeded, output: `{"got":[1,4,9]}`,
			inspect: `{"input":{"xs":["a","b"]},"afterItemSelector":[{"x":"a"},{"x":"b"}],"maxConcurrency":0}`,
		},
		{
			name: "distributed map: items read, then batched",
			def: `{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"b","Key":"k"}},
				"ItemBatcher":{"MaxItemsPerBatch":2},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}`,
			input: `{}`, read: `[1,2,3]`, mock: &interp.ChildrenMock{Result: []any{"ok"}},
			status: interp.TestSucceeded, output: `["ok"]`,
			inspect: `{"input":{},"afterInputPath":{},"afterItemBatcher":[{"Items":[1,2]},{"Items":[3]}],"maxConcurrency":0,"afterResultSelector":["ok"],"afterResultPath":["ok"]}`,
		},
		{
			name:  "parallel: no afterInputPath, as AWS reports it",
			def:   `{"Type":"Parallel","InputPath":"$.p","ResultPath":"$.r",` + branches + `,"End":true}`,
			input: `{"p":{"d":1}}`, mock: &interp.ChildrenMock{Result: []any{"a", "b"}},
			status: interp.TestSucceeded, output: `{"p":{"d":1},"r":["a","b"]}`,
			inspect: `{"input":{"p":{"d":1}},"afterResultSelector":["a","b"],"afterResultPath":{"p":{"d":1},"r":["a","b"]}}`,
		},
		{
			name:  "parallel: a mocked error is caught",
			def:   `{"Type":"Parallel","Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.e","Next":"H"}],` + branches + `,"End":true}`,
			input: `{}`, mock: &interp.ChildrenMock{Failed: true, Error: "Boom"},
			status: interp.TestCaughtError, err: "Boom", next: "H", output: `{"e":{"Error":"Boom","Cause":""}}`,
			inspect: `{"input":{}}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if probs := asl.ValidateState([]byte(c.def), asl.ValidateOptions{}); len(probs) > 0 {
				t.Fatalf("definition does not validate: %v", probs)
			}
			sm, err := asl.ParseState([]byte(c.def), "StateName")
			if err != nil {
				t.Fatal(err)
			}
			test, cmds := interp.New(sm, interp.Options{}).TestState(sm.Start, interp.TestOptions{
				Info: interp.Info{Input: parseJSON(t, c.input)}, RetryCount: c.retries, Seed: 1, Children: c.mock,
			}, t0)
			for !test.Done() {
				// Only the item reader may ask for anything.
				if len(cmds) != 1 || cmds[0].Kind != interp.RunTask || cmds[0].Task.Resource != interp.ItemReaderResource || c.read == "" {
					t.Fatalf("the test waits for %+v", cmds)
				}
				cmds = test.Apply(interp.Event{Kind: interp.TaskSucceeded, Ref: cmds[0].Ref, Time: t0, Output: parseJSON(t, c.read)})
			}
			if got := test.Status(); got != c.status {
				name, cause, _, _ := test.Error()
				t.Errorf("status %s (%s: %s), want %s", got, name, cause, c.status)
			}
			out, hasOut := test.Output()
			if c.output == "" && hasOut {
				t.Errorf("output %s, want none", jsonv.String(out))
			} else if c.output != "" && (!hasOut || !jsonv.Equal(out, parseJSON(t, c.output))) {
				t.Errorf("output %s (%v), want %s", jsonv.String(out), hasOut, c.output)
			}
			if name, _, _, _ := test.Error(); name != c.err {
				t.Errorf("error %q, want %q", name, c.err)
			}
			if got := test.NextState(); got != c.next {
				t.Errorf("next state %q, want %q", got, c.next)
			}
			if got, want := inspected(test.Inspection()), parseJSON(t, c.inspect); !jsonv.Equal(got, want) {
				t.Errorf("inspection\n %s\nwant\n %s", jsonv.String(got), jsonv.String(want))
			}
		})
	}
}

// A context given to a test is the whole $$: what it leaves out is not
// there.
func TestTestStateContext(t *testing.T) {
	sm, err := asl.ParseState([]byte(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"id.$":"$$.Execution.Id","all.$":"$$"},"End":true}`), "S")
	if err != nil {
		t.Fatal(err)
	}
	ctx := parseJSON(t, `{"Execution":{"Id":"arn:given"}}`).(*jsonv.Object)
	test, cmds := interp.New(sm, interp.Options{}).TestState(sm.Start, interp.TestOptions{
		Info: interp.Info{Input: jsonv.NewObject(0), ExecutionArn: "arn:default"}, Context: ctx,
	}, t0)
	if len(cmds) != 1 || cmds[0].Kind != interp.RunTask {
		t.Fatalf("commands %+v", cmds)
	}
	if got, want := cmds[0].Task.Input, parseJSON(t, `{"id":"arn:given","all":{"Execution":{"Id":"arn:given"}}}`); !jsonv.Equal(got, want) {
		t.Errorf("task input %s, want %s", jsonv.String(got), jsonv.String(want))
	}
	test.Apply(interp.Event{Kind: interp.TaskSucceeded, Ref: cmds[0].Ref, Time: t0, Output: jsonv.NewObject(0)})
	if test.Status() != interp.TestSucceeded {
		t.Errorf("status %s", test.Status())
	}
}
