package interp_test

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/runner"
)

func TestPassSequenceHistory(t *testing.T) {
	m := compile(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","Next":"B"},"B":{"Type":"Succeed"}}}`)
	res, _ := run(t, m, `{"in":"put"}`, nil)
	check(t, res, want{Status: interp.Succeeded, Output: `{"in":"put","r":{"x":1}}`,
		Types: []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"}})
	got := string(jsonLines(res.History))
	want := `{"id":1,"previousEventId":0,"timestamp":1709294400.000,"type":"ExecutionStarted","executionStartedEventDetails":{"input":"{\"in\":\"put\"}","inputDetails":{"truncated":false},"roleArn":"arn:aws:iam::123456789012:role/test"}}
{"id":2,"previousEventId":0,"timestamp":1709294400.000,"type":"PassStateEntered","stateEnteredEventDetails":{"input":"{\"in\":\"put\"}","inputDetails":{"truncated":false},"name":"A"}}
{"id":3,"previousEventId":2,"timestamp":1709294400.000,"type":"PassStateExited","stateExitedEventDetails":{"name":"A","output":"{\"in\":\"put\",\"r\":{\"x\":1}}","outputDetails":{"truncated":false}}}
{"id":4,"previousEventId":3,"timestamp":1709294400.000,"type":"SucceedStateEntered","stateEnteredEventDetails":{"input":"{\"in\":\"put\",\"r\":{\"x\":1}}","inputDetails":{"truncated":false},"name":"B"}}
{"id":5,"previousEventId":4,"timestamp":1709294400.000,"type":"SucceedStateExited","stateExitedEventDetails":{"name":"B","output":"{\"in\":\"put\",\"r\":{\"x\":1}}","outputDetails":{"truncated":false}}}
{"id":6,"previousEventId":5,"timestamp":1709294400.000,"type":"ExecutionSucceeded","executionSucceededEventDetails":{"output":"{\"in\":\"put\",\"r\":{\"x\":1}}","outputDetails":{"truncated":false}}}
`
	if got != want {
		t.Errorf("history:\n%s\nwant:\n%s", got, want)
	}
	if res.Transitions != 2 {
		t.Errorf("transitions = %d", res.Transitions)
	}
}

func jsonLines(h []interp.HistoryEvent) []byte {
	var b []byte
	for i := range h {
		b = h[i].AppendJSON(b)
		b = append(b, '\n')
	}
	return b
}

func TestExecutionTimeout(t *testing.T) {
	def := `{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}`
	res, _ := run(t, compile(t, def), `{}`, nil)
	check(t, res, want{Status: interp.TimedOut, Error: "States.Timeout",
		Types: []string{"ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"}})
	if res.HasCause || !res.HasError {
		t.Errorf("HasError %v HasCause %v", res.HasError, res.HasCause)
	}
	last := res.History[len(res.History)-1]
	if !last.Timestamp.Equal(t0.Add(5*time.Second)) || field(t, last, "error") != "States.Timeout" {
		t.Errorf("ExecutionTimedOut = %s", last.AppendJSON(nil))
	}
	if _, has := detailsJSON(t, last)["cause"]; has {
		t.Errorf("ExecutionTimedOut has a cause")
	}

	// Finishing before the deadline cancels the execution timer.
	m := compile(t, `{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"End":true}}}`)
	x, cmds := m.Start(testInfo(jsonv.NewObject(0)), t0, 1)
	if len(cmds) != 2 {
		t.Fatalf("commands %+v", cmds)
	}
	var execTimer, waitTimer interp.Command
	for _, c := range cmds {
		if c.Due.Equal(t0.Add(5 * time.Second)) {
			execTimer = c
		} else {
			waitTimer = c
		}
	}
	out := x.Apply(interp.Event{Kind: interp.TimerFired, Time: waitTimer.Due, Ref: waitTimer.Ref})
	if x.Status != interp.Succeeded || len(out) != 1 || out[0].Kind != interp.Cancel || out[0].Ref != execTimer.Ref {
		t.Errorf("status %s commands %+v, want Cancel of %d", x.Status, out, execTimer.Ref)
	}
	// A late execution timer changes nothing.
	if c := x.Apply(interp.Event{Kind: interp.TimerFired, Time: execTimer.Due, Ref: execTimer.Ref}); c != nil || x.Status != interp.Succeeded {
		t.Errorf("late timeout: %v %s", c, x.Status)
	}
}

func TestExecutionTimeoutCancelsPendingTask(t *testing.T) {
	m := compile(t, `{"TimeoutSeconds":30,"StartAt":"T","States":{`+taskState("T", `"End":true`)+`}}`)
	x, cmds := m.Start(testInfo(jsonv.NewObject(0)), t0, 1)
	var task, timer interp.Command
	for _, c := range cmds {
		switch c.Kind {
		case interp.RunTask:
			task = c
		case interp.StartTimer:
			timer = c
		}
	}
	out := x.Apply(interp.Event{Kind: interp.TimerFired, Time: timer.Due, Ref: timer.Ref})
	if x.Status != interp.TimedOut {
		t.Fatalf("status %s", x.Status)
	}
	if len(out) != 1 || out[0].Kind != interp.Cancel || out[0].Ref != task.Ref {
		t.Errorf("commands %+v, want Cancel of task %d", out, task.Ref)
	}
	if got := types(x.History); got[len(got)-1] != "ExecutionTimedOut" {
		t.Errorf("types %v", got)
	}
	if x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: timer.Due, Ref: task.Ref}) != nil || x.Status != interp.TimedOut {
		t.Errorf("result after timeout changed the execution")
	}
}

func TestExecutionStop(t *testing.T) {
	def := `{"TimeoutSeconds":100,"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		` + branch("T", taskState("T", `"End":true`)) + `,
		` + branch("W", `"W":{"Type":"Wait","Seconds":50,"End":true}`) + `]}}}`
	m := compile(t, def)
	x, cmds := m.Start(testInfo(jsonv.NewObject(0)), t0, 1)
	pending := map[int64]bool{}
	for _, c := range cmds {
		pending[c.Ref] = true
	}
	if len(pending) != 3 {
		t.Fatalf("commands %+v", cmds)
	}
	out := x.Apply(interp.Event{Kind: interp.Stop, Time: t0.Add(3 * time.Second), Error: "User.Stop", Cause: "enough"})
	if x.Status != interp.Aborted || x.Error != "User.Stop" || x.Cause != "enough" {
		t.Fatalf("status %s error %q cause %q", x.Status, x.Error, x.Cause)
	}
	cancelled := map[int64]bool{}
	for _, c := range out {
		if c.Kind != interp.Cancel {
			t.Errorf("unexpected command %+v", c)
		}
		cancelled[c.Ref] = true
	}
	if len(cancelled) != 3 {
		t.Errorf("cancelled %v, want %v", cancelled, pending)
	}
	for ref := range pending {
		if !cancelled[ref] {
			t.Errorf("ref %d not cancelled", ref)
		}
	}
	last := x.History[len(x.History)-1]
	if last.Type != "ExecutionAborted" || last.PreviousEventID != 0 || !last.Timestamp.Equal(t0.Add(3*time.Second)) {
		t.Errorf("last event = %s", last.AppendJSON(nil))
	}
	if d := detailsJSON(t, last); d["error"] != "User.Stop" || d["cause"] != "enough" {
		t.Errorf("ExecutionAborted details = %v", d)
	}
	// Nothing happens after the stop.
	n := len(x.History)
	for ref := range pending {
		x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0.Add(4 * time.Second), Ref: ref})
		x.Apply(interp.Event{Kind: interp.TimerFired, Time: t0.Add(4 * time.Second), Ref: ref})
	}
	x.Apply(interp.Event{Kind: interp.Stop, Time: t0.Add(5 * time.Second)})
	if len(x.History) != n || x.Status != interp.Aborted {
		t.Errorf("events after stop: %v", types(x.History[n:]))
	}
}

func TestExecutionStopWithoutErrorOrCause(t *testing.T) {
	m := compile(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}`)
	x, _ := m.Start(testInfo(jsonv.NewObject(0)), t0, 1)
	x.Apply(interp.Event{Kind: interp.Stop, Time: t0})
	last := x.History[len(x.History)-1]
	if last.Type != "ExecutionAborted" || x.HasCause {
		t.Errorf("last = %s, HasCause %v", last.AppendJSON(nil), x.HasCause)
	}
	if _, has := detailsJSON(t, last)["cause"]; has {
		t.Errorf("ExecutionAborted has a cause: %s", last.AppendJSON(nil))
	}
}

// Events about refs the execution does not wait for are ignored, so that a
// host may deliver events at least once.
func TestUnknownRefsIgnored(t *testing.T) {
	m := compile(t, `{"StartAt":"T","States":{`+taskState("T", `"Next":"W"`)+`,"W":{"Type":"Wait","Seconds":5,"End":true}}}`)
	x, cmds := m.Start(testInfo(jsonv.NewObject(0)), t0, 1)
	task := cmds[0]
	before := string(jsonLines(x.History))
	for _, ev := range []interp.Event{
		{Kind: interp.TaskSucceeded, Ref: 9999, Output: 1},
		{Kind: interp.TaskFailed, Ref: -5, Error: "E"},
		{Kind: interp.TaskTimedOut, Ref: 0, Error: "States.Timeout"},
		{Kind: interp.TaskStarted, Ref: 12345, WorkerName: "w"},
		{Kind: interp.TimerFired, Ref: -1},
		{Kind: interp.TimerFired, Ref: 0},
		// The right ref with the wrong kind of event.
		{Kind: interp.TimerFired, Ref: task.Ref},
	} {
		ev.Time = t0
		if c := x.Apply(ev); c != nil {
			t.Errorf("event %+v gave commands %+v", ev, c)
		}
	}
	if got := string(jsonLines(x.History)); got != before || x.Status != interp.Running {
		t.Fatalf("ignored events changed the history:\n%s", got)
	}
	timer := x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0.Add(time.Second), Ref: task.Ref, Output: "ok"})
	if len(timer) != 1 || timer[0].Kind != interp.StartTimer {
		t.Fatalf("commands after the real result: %+v\n%s", timer, dump(x.History))
	}
	// Duplicate result: ignored.
	if c := x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0.Add(time.Second), Ref: task.Ref, Output: "again"}); c != nil {
		t.Errorf("duplicate result gave %+v", c)
	}
	// A task event for a timer ref: ignored.
	if c := x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0.Add(time.Second), Ref: timer[0].Ref, Output: "x"}); c != nil {
		t.Errorf("task result for a timer gave %+v", c)
	}
	x.Apply(interp.Event{Kind: interp.TimerFired, Time: timer[0].Due, Ref: timer[0].Ref})
	if x.Status != interp.Succeeded || x.Output != "ok" {
		t.Errorf("status %s output %v", x.Status, x.Output)
	}
	checkChain(t, x.History)
}

func TestPayloadLimit(t *testing.T) {
	big := strings.Repeat("x", interp.DefaultMaxPayload)
	tests := []struct {
		name       string
		def        string
		maxPayload int
		result     any
		status     interp.Status
		output     string
	}{
		{
			name:   "task result too big",
			def:    `{"StartAt":"T","States":{` + taskState("T", `"End":true`) + `}}`,
			result: big, status: interp.Failed,
		},
		{
			name: "caught by States.ALL",
			def: `{"StartAt":"T","States":{` + taskState("T", `"End":true,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"H","ResultPath":"$.err"}]`) + `,
				"H":{"Type":"Pass","End":true}}}`,
			result: big, status: interp.Succeeded,
			output: `{"a":1,"err":{"Error":"States.DataLimitExceeded","Cause":"The state/task 'T' returned a result with a size exceeding the maximum number of bytes service limit."}}`,
		},
		{
			name:   "just under the limit",
			def:    `{"StartAt":"T","States":{` + taskState("T", `"End":true`) + `}}`,
			result: strings.Repeat("x", interp.DefaultMaxPayload-2), status: interp.Succeeded,
		},
		{
			name:   "limit disabled",
			def:    `{"StartAt":"T","States":{` + taskState("T", `"End":true`) + `}}`,
			result: big, maxPayload: -1, status: interp.Succeeded,
		},
		{
			name:   "custom limit",
			def:    `{"StartAt":"T","States":{` + taskState("T", `"End":true`) + `}}`,
			result: strings.Repeat("y", 100), maxPayload: 50, status: interp.Failed,
		},
		{
			name: "state output too big",
			def: `{"StartAt":"T","States":{` + taskState("T", `"End":true,"ResultPath":"$.r",
				"Catch":[{"ErrorEquals":["States.DataLimitExceeded"],"Next":"H"}]`) + `,"H":{"Type":"Pass","End":true}}}`,
			result: strings.Repeat("z", 190), maxPayload: 200, status: interp.Succeeded,
			output: `{"Error":"States.DataLimitExceeded","Cause":"The state/task 'T' returned a result with a size exceeding the maximum number of bytes service limit."}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, tc.def, interp.Options{History: true, MaxPayload: tc.maxPayload})
			res, _ := run(t, m, `{"a":1}`, func(string, int, any) (any, error) { return tc.result, nil })
			w := want{Status: tc.status, Output: tc.output}
			if tc.status == interp.Failed {
				w.Error = "States.DataLimitExceeded"
				w.Cause = "The state/task 'T' returned a result with a size exceeding the maximum number of bytes service limit."
			}
			check(t, res, w)
		})
	}
}

// The same definition, input, seed and events give byte-identical
// histories; a different seed changes the random parts.
func TestDeterminism(t *testing.T) {
	def := `{"StartAt":"P","States":{
		"P":{"Type":"Parallel","Next":"M","Branches":[
			` + branch("U", `"U":{"Type":"Pass","Parameters":{"id.$":"States.UUID()","r.$":"States.MathRandom(1, 1000000)"},"End":true}`) + `,
			` + branch("T", taskState("T", `"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":5,"MaxAttempts":3,"JitterStrategy":"FULL"}],"End":true`)) + `]},
		"M":{"Type":"Map","ItemsPath":"$[1].items","Next":"D","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"I","States":{"I":{"Type":"Pass","Parameters":{"v.$":"$","u.$":"States.UUID()"},"End":true}}}},
		"D":{"Type":"Wait","Seconds":1,"End":true}}}`
	m := compile(t, def)
	runOnce := func(seed uint64) string {
		res, err := runner.Run(context.Background(), m, runner.Options{
			Info: testInfo(parseJSON(t, `{"items":[1,2,3]}`)), FastForward: true, Now: fixedClock, Seed: seed,
			Tasks: &recorder{fn: failFirst(2, "Flaky")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != interp.Succeeded {
			t.Fatalf("status %s %s %s", res.Status, res.Error, res.Cause)
		}
		return string(jsonLines(res.History))
	}
	a, b := runOnce(7), runOnce(7)
	if a != b {
		t.Fatalf("same seed, different histories:\n%s\n---\n%s", a, b)
	}
	if c := runOnce(8); c == a {
		t.Errorf("a different seed gave the same history (UUIDs, jitter and Map Run ARN should change)")
	}

	// Driving Start/Apply by hand twice, with per-event seeds, gives the
	// same history and the same commands.
	drive := func() (string, []string) {
		x, cmds := m.Start(testInfo(parseJSON(t, `{"items":[1]}`)), t0, 99)
		now := t0
		var log []string
		for step := 0; x.Status == interp.Running && step < 100; step++ {
			log = append(log, commandsString(cmds))
			if len(cmds) == 0 {
				t.Fatalf("stuck\n%s", dump(x.History))
			}
			c := cmds[0]
			var next []interp.Command
			switch c.Kind {
			case interp.RunTask:
				now = now.Add(time.Second)
				ev := interp.Event{Kind: interp.TaskSucceeded, Time: now, Ref: c.Ref, Output: c.Task.Input, Seed: uint64(step + 1)}
				if len(eventsOf(x.History, "TaskFailed")) < 2 {
					ev.Kind, ev.Error = interp.TaskFailed, "E"
				}
				next = x.Apply(ev)
			case interp.StartTimer:
				if c.Due.After(now) {
					now = c.Due
				}
				next = x.Apply(interp.Event{Kind: interp.TimerFired, Time: now, Ref: c.Ref, Seed: uint64(step + 1)})
			}
			cmds = append(cmds[1:], next...)
		}
		if x.Status != interp.Succeeded {
			t.Fatalf("manual run: status %s %s", x.Status, x.Cause)
		}
		checkChain(t, x.History)
		return string(jsonLines(x.History)), log
	}
	h1, c1 := drive()
	h2, c2 := drive()
	if h1 != h2 || strings.Join(c1, "\n") != strings.Join(c2, "\n") {
		t.Errorf("manual replay differs:\n%s\n%s", h1, h2)
	}
}

func commandsString(cs []interp.Command) string {
	var parts []string
	for _, c := range cs {
		s := []byte{byte('0' + c.Kind)}
		s = append(s, ':')
		s = append(s, []byte(jsonv.String(c.Ref))...)
		s = append(s, ':')
		s = append(s, []byte(c.Due.Format(time.RFC3339Nano))...)
		if c.Task != nil {
			s = append(s, ':')
			s = append(s, []byte(c.Task.StateName+jsonv.String(c.Task.Input))...)
		}
		parts = append(parts, string(s))
	}
	return strings.Join(parts, " ")
}

// Cancel commands produced when an execution ends come in a stable order,
// so that a host recording commands replays identically.
func TestCancelOrderIsStable(t *testing.T) {
	var branches []string
	for _, n := range []string{"A", "B", "C", "D", "E", "F", "G", "H"} {
		branches = append(branches, branch(n, taskState(n, `"End":true`)))
	}
	m := compile(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[`+strings.Join(branches, ",")+`]}}}`)
	var first string
	for i := 0; i < 20; i++ {
		x, _ := m.Start(testInfo(jsonv.NewObject(0)), t0, 1)
		out := x.Apply(interp.Event{Kind: interp.Stop, Time: t0})
		var refs []int64
		for _, c := range out {
			refs = append(refs, c.Ref)
		}
		if !sort.SliceIsSorted(refs, func(i, j int) bool { return refs[i] < refs[j] }) || len(refs) != 8 {
			t.Fatalf("cancel refs %v, want 8 in ascending order", refs)
		}
		s := commandsString(out)
		if i == 0 {
			first = s
		} else if s != first {
			t.Fatalf("cancel order changed between identical runs:\n%s\n%s", first, s)
		}
	}
}

// History off: no events are kept, but the run is the same.
func TestHistoryOff(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","End":true,"ItemProcessor":` + echoProcessor + `}}}`
	on, _ := run(t, compile(t, def), `{"xs":[1,2]}`, echo)
	off, _ := run(t, compile(t, def, interp.Options{}), `{"xs":[1,2]}`, echo)
	if len(off.History) != 0 {
		t.Errorf("history recorded with History off: %d events", len(off.History))
	}
	if off.Status != on.Status || !jsonv.Equal(off.Output, on.Output) || off.Transitions != on.Transitions {
		t.Errorf("off: %+v\non: %+v", off, on)
	}
	if !bytes.Equal(jsonv.Marshal(off.Output), []byte(`[1,2]`)) {
		t.Errorf("output %s", jsonv.Marshal(off.Output))
	}
}

// An ignored event must not change the execution's randomness either.
func TestIgnoredEventKeepsSeed(t *testing.T) {
	m := compile(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"U"},
		"U":{"Type":"Pass","Parameters":{"id.$":"States.UUID()"},"End":true}}}`)
	finish := func(noise bool) any {
		x, cmds := m.Start(testInfo(jsonv.NewObject(0)), t0, 5)
		if noise {
			x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0, Ref: 777, Seed: 123456})
			x.Apply(interp.Event{Kind: interp.TimerFired, Time: t0, Ref: cmds[0].Ref - 1, Seed: 99})
		}
		x.Apply(interp.Event{Kind: interp.TimerFired, Time: cmds[0].Due, Ref: cmds[0].Ref})
		if x.Status != interp.Succeeded {
			t.Fatalf("status %s", x.Status)
		}
		return x.Output
	}
	if a, b := finish(false), finish(true); !jsonv.Equal(a, b) {
		t.Errorf("ignored events changed the UUID: %s vs %s", jsonv.String(a), jsonv.String(b))
	}
}

// A Pass state whose output is too big fails without an Exited event, as
// AWS records it.
func TestPassDataLimit(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"` + strings.Repeat("r", 100) + `","End":true}}}`
	res, _ := run(t, compile(t, def, interp.Options{History: true, MaxPayload: 50}), `{}`, nil)
	check(t, res, want{Status: interp.Failed, Error: "States.DataLimitExceeded",
		Cause: "The state/task 'P' returned a result with a size exceeding the maximum number of bytes service limit.",
		Types: []string{"ExecutionStarted", "PassStateEntered", "ExecutionFailed"}})
}

func TestFailState(t *testing.T) {
	tests := []struct {
		name, fields, input, err, cause string
		hasCause                        bool
	}{
		{"static", `"Error":"E","Cause":"C"`, `{}`, "E", "C", true},
		{"paths", `"ErrorPath":"$.e","CausePath":"$.c"`, `{"e":"PathErr","c":"path cause"}`, "PathErr", "path cause", true},
		{"intrinsic cause", `"Error":"E","CausePath":"States.Format('n={}', $.n)"`, `{"n":4}`, "E", "n=4", true},
		{"no cause", `"Error":"E"`, `{}`, "E", "", false},
		{"missing path", `"ErrorPath":"$.nope"`, `{"a":1}`, "States.Runtime",
			`An error occurred while executing the state 'F' (entered at the event id #2). The JSONPath '$.nope' specified for the field 'ErrorPath' could not be found in the input '{"a":1}'`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := run(t, compile(t, `{"StartAt":"F","States":{"F":{"Type":"Fail",`+tc.fields+`}}}`), tc.input, nil)
			check(t, res, want{Status: interp.Failed, Error: tc.err, Cause: tc.cause,
				Types: []string{"ExecutionStarted", "FailStateEntered", "ExecutionFailed"}})
			if res.HasCause != tc.hasCause || res.Cause != tc.cause {
				t.Errorf("HasCause %v cause %q", res.HasCause, res.Cause)
			}
			if _, has := detailsJSON(t, res.History[2])["cause"]; has != tc.hasCause {
				t.Errorf("ExecutionFailed details %v", detailsJSON(t, res.History[2]))
			}
		})
	}
}

// TestExecutionStartedNamesVersionAndAlias: an execution started through
// a version or an alias names them in its first event, as AWS does; one
// started from the machine names neither.
func TestExecutionStartedNamesVersionAndAlias(t *testing.T) {
	const sm = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
	for _, c := range []struct {
		version, alias, want string
	}{
		{"", "", `{"input":"{}","inputDetails":{"truncated":false},"roleArn":"r"}`},
		{sm + ":2", "", `{"input":"{}","inputDetails":{"truncated":false},"roleArn":"r","stateMachineVersionArn":"` + sm + `:2"}`},
		{sm + ":2", sm + ":prod", `{"input":"{}","inputDetails":{"truncated":false},"roleArn":"r","stateMachineAliasArn":"` + sm + `:prod","stateMachineVersionArn":"` + sm + `:2"}`},
	} {
		in := "{}"
		ev := interp.HistoryEvent{ID: 1, Timestamp: t0, Type: "ExecutionStarted", Details: &interp.Details{
			Input: &in, More: &interp.MoreDetails{RoleArn: "r", StateMachineVersionArn: c.version, StateMachineAliasArn: c.alias},
		}}
		want := `{"id":1,"previousEventId":0,"timestamp":1709294400.000,"type":"ExecutionStarted","executionStartedEventDetails":` + c.want + `}`
		if got := string(ev.AppendJSON(nil)); got != want {
			t.Errorf("version %q alias %q:\n%s\nwant\n%s", c.version, c.alias, got, want)
		}
	}
}

// A Succeed state applies its InputPath and then its OutputPath.
func TestSucceedOutputPath(t *testing.T) {
	m := compile(t, `{"StartAt":"S","States":{"S":{"Type":"Succeed","InputPath":"$.result","OutputPath":"$.body"}}}`)
	res, _ := run(t, m, `{"result":{"body":{"ok":true},"status":200}}`, nil)
	check(t, res, want{Status: interp.Succeeded, Output: `{"ok":true}`,
		Types: []string{"ExecutionStarted", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"}})
}
