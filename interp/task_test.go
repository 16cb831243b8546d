package interp_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

func oneTask(resource, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + resource + `","End":true` + extra + `}}}`
}

func TestTaskEventFamilies(t *testing.T) {
	const lambdaArn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
	tests := []struct {
		name     string
		resource string
		fail     bool
		types    []string
		details  map[string]map[string]any // event type -> expected detail fields
	}{
		{
			name: "legacy lambda succeeds", resource: lambdaArn,
			types: []string{"ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
				"LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"},
			details: map[string]map[string]any{
				"LambdaFunctionScheduled": {"resource": lambdaArn, "input": `{"x":1}`, "timeoutInSeconds": int64(30)},
				"LambdaFunctionSucceeded": {"output": `{"ok":true}`},
			},
		},
		{
			name: "legacy lambda fails", resource: lambdaArn, fail: true,
			types: []string{"ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
				"LambdaFunctionFailed", "ExecutionFailed"},
			details: map[string]map[string]any{
				"LambdaFunctionFailed": {"error": "Lambda.Unknown", "cause": "oops"},
				"ExecutionFailed":      {"error": "Lambda.Unknown", "cause": "oops"},
			},
		},
		{
			name: "optimized lambda succeeds", resource: "arn:aws:states:::lambda:invoke",
			types: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
				"TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"},
			details: map[string]map[string]any{
				"TaskScheduled": {"resourceType": "lambda", "resource": "invoke", "region": "us-east-1",
					"parameters": `{"x":1}`, "timeoutInSeconds": int64(30)},
				"TaskStarted":   {"resourceType": "lambda", "resource": "invoke"},
				"TaskSucceeded": {"resourceType": "lambda", "resource": "invoke", "output": `{"ok":true}`},
			},
		},
		{
			name: "optimized lambda fails", resource: "arn:aws:states:::lambda:invoke", fail: true,
			types: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "ExecutionFailed"},
			details: map[string]map[string]any{
				"TaskFailed": {"resourceType": "lambda", "resource": "invoke", "error": "Lambda.Unknown", "cause": "oops"},
			},
		},
		{
			name: "sync integration", resource: "arn:aws:states:::states:startExecution.sync:2",
			types: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
				"TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"},
			details: map[string]map[string]any{
				"TaskScheduled": {"resourceType": "states", "resource": "startExecution.sync:2"},
			},
		},
		{
			name: "callback integration", resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
			types: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
				"TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"},
			details: map[string]map[string]any{
				"TaskScheduled": {"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"},
				"TaskSucceeded": {"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, oneTask(tc.resource, `"TimeoutSeconds":30`))
			res, rec := run(t, m, `{"x":1}`, func(string, int, any) (any, error) {
				if tc.fail {
					return nil, fail("Lambda.Unknown", "oops")
				}
				return jsonv.ObjectOf("ok", true), nil
			})
			status := interp.Succeeded
			if tc.fail {
				status = interp.Failed
			}
			check(t, res, want{Status: status, Types: tc.types})
			checkChain(t, res.History)
			for typ, fields := range tc.details {
				evs := eventsOf(res.History, typ)
				if len(evs) != 1 {
					t.Fatalf("%d %s events", len(evs), typ)
				}
				d := detailsJSON(t, evs[0])
				for k, v := range fields {
					if !jsonv.Equal(d[k], v) {
						t.Errorf("%s.%s = %#v, want %#v", typ, k, d[k], v)
					}
				}
			}
			if len(rec.calls) != 1 || rec.calls[0].Task.Resource != tc.resource || rec.calls[0].Task.Timeout != 30*time.Second {
				t.Errorf("task = %+v", rec.calls)
			}
			// Each event points at the one before it on this thread.
			for i := 2; i < len(res.History); i++ {
				if res.History[i].PreviousEventID != res.History[i-1].ID {
					t.Errorf("%s previousEventId = %d, want %d", res.History[i].Type, res.History[i].PreviousEventID, res.History[i-1].ID)
				}
			}
		})
	}
}

// Activities are driven through Start and Apply: the worker picking the
// task up is an event of its own.
func TestTaskActivity(t *testing.T) {
	const arn = "arn:aws:states:us-east-1:123456789012:activity:act"
	def := `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"` + arn + `","TimeoutSeconds":60,"HeartbeatSeconds":10,
			"Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"Next":"H","ResultPath":"$.err"}],"End":true},
		"H":{"Type":"Pass","End":true}}}`
	m := compile(t, def)

	start := func(t *testing.T) (*interp.Execution, int64) {
		x, cmds := m.Start(testInfo(jsonv.ObjectOf("job", int64(7))), t0, 1)
		if len(cmds) != 1 || cmds[0].Kind != interp.RunTask {
			t.Fatalf("commands = %+v", cmds)
		}
		task := cmds[0].Task
		if task.Resource != arn || task.TimeoutSeconds != 60 || task.HeartbeatSeconds != 10 || task.StateName != "T" || task.Attempt != 0 {
			t.Errorf("task = %+v", task)
		}
		if got := types(x.History); !equalStrings(got, []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled"}) {
			t.Fatalf("types = %v", got)
		}
		d := detailsJSON(t, x.History[2])
		if d["resource"] != arn || d["input"] != `{"job":7}` || !jsonv.Equal(d["timeoutInSeconds"], int64(60)) || !jsonv.Equal(d["heartbeatInSeconds"], int64(10)) {
			t.Errorf("ActivityScheduled details = %v", d)
		}
		return x, cmds[0].Ref
	}

	t.Run("started then succeeded", func(t *testing.T) {
		x, ref := start(t)
		if cmds := x.Apply(interp.Event{Kind: interp.TaskStarted, Time: t0.Add(2 * time.Second), Ref: ref, WorkerName: "worker-1"}); len(cmds) != 0 {
			t.Errorf("TaskStarted gave commands %+v", cmds)
		}
		if got := types(x.History); got[len(got)-1] != "ActivityStarted" || len(got) != 4 {
			t.Fatalf("after TaskStarted: %v", got)
		}
		if d := detailsJSON(t, x.History[3]); d["workerName"] != "worker-1" {
			t.Errorf("ActivityStarted details = %v", d)
		}
		if x.History[3].PreviousEventID != 3 || !x.History[3].Timestamp.Equal(t0.Add(2*time.Second)) {
			t.Errorf("ActivityStarted = %+v", x.History[3])
		}
		x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0.Add(5 * time.Second), Ref: ref, Output: jsonv.ObjectOf("done", true)})
		if x.Status != interp.Succeeded || !jsonv.Equal(x.Output, map[string]any{"done": true}) {
			t.Fatalf("status %s output %v", x.Status, x.Output)
		}
		want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"}
		if got := types(x.History); !equalStrings(got, want) {
			t.Errorf("types = %v, want %v", got, want)
		}
		checkChain(t, x.History)
		if d := detailsJSON(t, x.History[4]); d["output"] != `{"done":true}` {
			t.Errorf("ActivitySucceeded details = %v", d)
		}
	})

	t.Run("timed out", func(t *testing.T) {
		x, ref := start(t)
		x.Apply(interp.Event{Kind: interp.TaskStarted, Time: t0.Add(time.Second), Ref: ref, WorkerName: "w"})
		x.Apply(interp.Event{Kind: interp.TaskTimedOut, Time: t0.Add(60 * time.Second), Ref: ref, Error: "States.Timeout"})
		if x.Status != interp.Failed || x.Error != "States.Timeout" {
			t.Fatalf("status %s error %q", x.Status, x.Error)
		}
		want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityTimedOut", "ExecutionFailed"}
		if got := types(x.History); !equalStrings(got, want) {
			t.Errorf("types = %v, want %v", got, want)
		}
		if d := detailsJSON(t, x.History[4]); d["error"] != "States.Timeout" {
			t.Errorf("ActivityTimedOut details = %v", d)
		}
		if d := detailsJSON(t, x.History[5]); d["error"] != "States.Timeout" {
			t.Errorf("ExecutionFailed details = %v", d)
		}
	})

	t.Run("heartbeat timeout caught", func(t *testing.T) {
		x, ref := start(t)
		x.Apply(interp.Event{Kind: interp.TaskTimedOut, Time: t0.Add(10 * time.Second), Ref: ref, Error: "States.HeartbeatTimeout"})
		if x.Status != interp.Succeeded {
			t.Fatalf("status %s error %q", x.Status, x.Error)
		}
		if want := `{"job":7,"err":{"Error":"States.HeartbeatTimeout","Cause":""}}`; jsonv.String(x.Output) != jsonv.String(parseJSON(t, want)) {
			t.Errorf("output = %s, want %s", jsonv.String(x.Output), want)
		}
		if got := types(x.History); !equalStrings(got[3:5], []string{"ActivityTimedOut", "TaskStateExited"}) {
			t.Errorf("types = %v", got)
		}
	})

	t.Run("failed", func(t *testing.T) {
		x, ref := start(t)
		x.Apply(interp.Event{Kind: interp.TaskFailed, Time: t0.Add(time.Second), Ref: ref, Error: "Worker.Crash", Cause: "segfault"})
		if x.Status != interp.Failed || x.Error != "Worker.Crash" || x.Cause != "segfault" {
			t.Fatalf("status %s error %q cause %q", x.Status, x.Error, x.Cause)
		}
		if got := types(x.History); got[3] != "ActivityFailed" {
			t.Errorf("types = %v", got)
		}
	})

	// At-least-once delivery: a repeated TaskStarted must not record a
	// second ActivityStarted.
	t.Run("duplicate TaskStarted", func(t *testing.T) {
		x, ref := start(t)
		x.Apply(interp.Event{Kind: interp.TaskStarted, Time: t0, Ref: ref, WorkerName: "w"})
		x.Apply(interp.Event{Kind: interp.TaskStarted, Time: t0, Ref: ref, WorkerName: "w"})
		if n := len(eventsOf(x.History, "ActivityStarted")); n != 1 {
			t.Errorf("%d ActivityStarted events, want 1", n)
		}
	})
}

// TaskStarted only records an event for activities: other families record
// their Started event at scheduling time.
func TestTaskStartedEventIgnoredForServices(t *testing.T) {
	m := compile(t, oneTask("arn:aws:states:::lambda:invoke", ""))
	x, cmds := m.Start(testInfo(jsonv.NewObject(0)), t0, 1)
	n := len(x.History)
	x.Apply(interp.Event{Kind: interp.TaskStarted, Time: t0, Ref: cmds[0].Ref, WorkerName: "w"})
	if len(x.History) != n {
		t.Errorf("TaskStarted added events: %v", types(x.History[n:]))
	}
}

// ResultSelector shapes the raw result, ResultPath merges it into the raw
// state input, then OutputPath filters the merged document.
func TestTaskResultProcessingOrder(t *testing.T) {
	tests := []struct {
		name, fields, input, result, output string
	}{
		{
			name:   "all three",
			fields: `"ResultSelector":{"x.$":"$.Payload.x","code.$":"$.StatusCode","lit":"L"},"ResultPath":"$.a.r","OutputPath":"$.a"`,
			input:  `{"a":{"keep":true},"b":1}`, result: `{"Payload":{"x":1,"y":2},"StatusCode":200}`,
			output: `{"keep":true,"r":{"x":1,"code":200,"lit":"L"}}`,
		},
		{
			name:   "InputPath does not limit ResultPath",
			fields: `"InputPath":"$.a","ResultPath":"$.r"`,
			input:  `{"a":{"keep":true},"b":1}`, result: `"R"`,
			output: `{"a":{"keep":true},"b":1,"r":"R"}`,
		},
		{
			name:   "default ResultPath replaces",
			fields: `"OutputPath":"$.v"`,
			input:  `{"a":1}`, result: `{"v":[1,2]}`,
			output: `[1,2]`,
		},
		{
			name:   "ResultPath null keeps input",
			fields: `"ResultPath":null`,
			input:  `{"a":1}`, result: `{"v":2}`,
			output: `{"a":1}`,
		},
		{
			name:   "ResultSelector with intrinsic",
			fields: `"ResultSelector":{"n.$":"States.ArrayLength($.items)","s.$":"States.Format('{}-{}', $.id, $.items[0])"}`,
			input:  `{}`, result: `{"id":"x","items":[3,4,5]}`,
			output: `{"n":3,"s":"x-3"}`,
		},
		{
			name:   "OutputPath null gives empty object",
			fields: `"OutputPath":null`,
			input:  `{"a":1}`, result: `{"v":2}`,
			output: `{}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, oneTask("arn:aws:states:::lambda:invoke", tc.fields))
			res, _ := run(t, m, tc.input, func(string, int, any) (any, error) { return parseJSON(t, tc.result), nil })
			check(t, res, want{Status: interp.Succeeded, Output: tc.output})
			// The task event shows the raw result.
			if got := field(t, eventsOf(res.History, "TaskSucceeded")[0], "output"); !equalJSONText(t, got, tc.result) {
				t.Errorf("TaskSucceeded output = %v, want %s", got, tc.result)
			}
		})
	}
}

func TestTaskParameters(t *testing.T) {
	tests := []struct {
		name, fields, input string
		taskInput           string // "" when the state fails
		err, cause          string
	}{
		{
			name: "paths, literals, nesting",
			fields: `"InputPath":"$.in","Parameters":{"v.$":"$.v","lit":"x","n":[1,{"deep.$":"$.w[1]"}],
				"obj":{"inner.$":"$"},"dollar":"$.not.a.path"}`,
			input: `{"in":{"v":5,"w":["a","b"]},"other":1}`,
			// Literal fields first, then ".$" fields (see awsFieldOrder).
			taskInput: `{"lit":"x","n":[1,{"deep":"b"}],"obj":{"inner":{"v":5,"w":["a","b"]}},"dollar":"$.not.a.path","v":5}`,
		},
		{
			name: "context object",
			fields: `"Parameters":{"exec.$":"$$.Execution.Name","id.$":"$$.Execution.Id","input.$":"$$.Execution.Input",
				"start.$":"$$.Execution.StartTime","sm.$":"$$.StateMachine.Name","state.$":"$$.State.Name","role.$":"$$.Execution.RoleArn"}`,
			input: `{"a":1}`,
			taskInput: `{"input":{"a":1},"role":"arn:aws:iam::123456789012:role/test","start":"2024-03-01T12:00:00.000Z","sm":"test",
				"id":"arn:aws:states:us-east-1:123456789012:execution:test:exec-1","state":"T","exec":"exec-1"}`,
		},
		{
			name: "intrinsics",
			fields: `"Parameters":{"f.$":"States.Format('Hello, {}! {}', $.name, $.n)","a.$":"States.Array($.n, 'x', 2)",
				"j.$":"States.StringToJson($.js)","s.$":"States.JsonToString($.obj)","sum.$":"States.MathAdd($.n, 10)",
				"nested.$":"States.ArrayLength(States.Array(1, 2, 3))"}`,
			input:     `{"name":"Ada","n":3,"js":"{\"k\":[1]}","obj":{"a":1,"b":[true,null]}}`,
			taskInput: `{"a":[3,"x",2],"s":"{\"a\":1,\"b\":[true,null]}","f":"Hello, Ada! 3","j":{"k":[1]},"sum":13,"nested":3}`,
		},
		{
			name:   "missing path",
			fields: `"Parameters":{"v.$":"$.missing"}`,
			input:  `{"a":1}`,
			err:    "States.Runtime",
			cause:  `An error occurred while executing the state 'T' (entered at the event id #2). The JSONPath '$.missing' specified for the field 'v.$' could not be found in the input '{"a":1}'`,
		},
		{
			name:   "intrinsic failure",
			fields: `"Parameters":{"v.$":"States.StringToJson($.s)"}`,
			input:  `{"s":"not json"}`,
			err:    "States.IntrinsicFailure",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, oneTask("arn:aws:states:::lambda:invoke", tc.fields))
			res, rec := run(t, m, tc.input, echo)
			if tc.err != "" {
				check(t, res, want{Status: interp.Failed, Error: tc.err, Cause: tc.cause,
					Types: []string{"ExecutionStarted", "TaskStateEntered", "ExecutionFailed"}})
				if len(rec.calls) != 0 {
					t.Errorf("task ran: %+v", rec.calls)
				}
				return
			}
			check(t, res, want{Status: interp.Succeeded, Output: tc.taskInput})
			if len(rec.calls) != 1 || !jsonv.Equal(rec.calls[0].Input, parseJSON(t, tc.taskInput)) {
				t.Errorf("task input = %v, want %s", rec.calls, tc.taskInput)
			}
			if got := field(t, eventsOf(res.History, "TaskScheduled")[0], "parameters"); !equalJSONText(t, got, tc.taskInput) {
				t.Errorf("TaskScheduled parameters = %v", got)
			}
		})
	}
}

func TestTaskTimeoutSecondsPath(t *testing.T) {
	tests := []struct {
		name, fields, input string
		timeout, heartbeat  int64
		cause               string // when the state fails with States.Runtime
	}{
		{"static", `"TimeoutSeconds":20,"HeartbeatSeconds":5`, `{}`, 20, 5, ""},
		{"from input", `"TimeoutSecondsPath":"$.t","HeartbeatSecondsPath":"$.h"`, `{"t":45,"h":9}`, 45, 9, ""},
		{"after InputPath", `"InputPath":"$.cfg","TimeoutSecondsPath":"$.t"`, `{"cfg":{"t":12}}`, 12, 0, ""},
		{"missing", `"TimeoutSecondsPath":"$.t"`, `{}`, 0, 0, "The TimeoutSecondsPath parameter does not reference a positive integer: $.t"},
		{"zero", `"TimeoutSecondsPath":"$.t"`, `{"t":0}`, 0, 0, "The TimeoutSecondsPath parameter does not reference a positive integer: $.t"},
		{"string", `"TimeoutSecondsPath":"$.t"`, `{"t":"10"}`, 0, 0, "The TimeoutSecondsPath parameter does not reference a positive integer: $.t"},
		{"fraction", `"TimeoutSecondsPath":"$.t"`, `{"t":1.5}`, 0, 0, "The TimeoutSecondsPath parameter does not reference a positive integer: $.t"},
		{"bad heartbeat", `"HeartbeatSecondsPath":"$.h"`, `{"h":-1}`, 0, 0, "The HeartbeatSecondsPath parameter does not reference a positive integer: $.h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, oneTask("arn:aws:states:::lambda:invoke", tc.fields+`,"Retry":[{"ErrorEquals":["States.ALL"]}]`))
			res, rec := run(t, m, tc.input, echo)
			if tc.cause != "" {
				check(t, res, want{Status: interp.Failed, Error: "States.Runtime",
					Cause: "An error occurred while executing the state 'T' (entered at the event id #2). " + tc.cause})
				if len(rec.calls) != 0 {
					t.Errorf("task ran")
				}
				return
			}
			check(t, res, want{Status: interp.Succeeded})
			task := rec.calls[0].Task
			if task.Timeout != time.Duration(tc.timeout)*time.Second || task.Heartbeat != time.Duration(tc.heartbeat)*time.Second {
				t.Errorf("task timeout %v heartbeat %v, want %ds %ds", task.Timeout, task.Heartbeat, tc.timeout, tc.heartbeat)
			}
			d := detailsJSON(t, eventsOf(res.History, "TaskScheduled")[0])
			checkOptionalInt(t, d, "timeoutInSeconds", tc.timeout)
			checkOptionalInt(t, d, "heartbeatInSeconds", tc.heartbeat)
		})
	}
}

func checkOptionalInt(t *testing.T, d map[string]any, key string, want int64) {
	t.Helper()
	v, ok := d[key]
	if want == 0 {
		if ok {
			t.Errorf("%s = %v, want absent", key, v)
		}
		return
	}
	if !jsonv.Equal(v, want) {
		t.Errorf("%s = %v, want %d", key, v, want)
	}
}

// $$.Task.Token in Parameters is the token of the task being scheduled
// (the callback pattern), and a retry gets a fresh one.
func TestTaskTokenInParameters(t *testing.T) {
	def := `{"StartAt":"First","States":{
		"First":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Next":"T","ResultPath":null},
		"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
			"Parameters":{"token.$":"$$.Task.Token"},
			"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1}],"End":true}}}`
	m := compile(t, def)
	info := testInfo(jsonv.NewObject(0))
	info.TaskToken = func(ref int64) string { return fmt.Sprintf("token-%d", ref) }
	x, cmds := m.Start(info, t0, 1)
	x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0, Ref: cmds[0].Ref, Output: "ok"})
	var tokens []string
	for attempt := 0; attempt < 2; attempt++ {
		last := x.History[len(x.History)-1]
		if last.Type != "TaskStarted" {
			t.Fatalf("attempt %d: last event %s\n%s", attempt, last.Type, dump(x.History))
		}
		sched := x.History[len(x.History)-2]
		params := parseJSON(t, field(t, sched, "parameters").(string)).(*jsonv.Object).Map()
		want := fmt.Sprintf("token-%d", sched.ID)
		if params["token"] != want {
			t.Errorf("attempt %d: token %v, want %s (the TaskScheduled event id)", attempt, params["token"], want)
		}
		tokens = append(tokens, want)
		ref := sched.ID
		if attempt == 0 {
			timer := x.Apply(interp.Event{Kind: interp.TaskFailed, Time: t0, Ref: ref, Error: "E"})
			if len(timer) != 1 || timer[0].Kind != interp.StartTimer {
				t.Fatalf("retry commands = %+v", timer)
			}
			x.Apply(interp.Event{Kind: interp.TimerFired, Time: timer[0].Due, Ref: timer[0].Ref})
		} else {
			x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0.Add(time.Second), Ref: ref, Output: "done"})
		}
	}
	if x.Status != interp.Succeeded || x.Output != "done" {
		t.Errorf("status %s output %v", x.Status, x.Output)
	}
	if tokens[0] == tokens[1] {
		t.Errorf("retry reused token %s", tokens[0])
	}
}
