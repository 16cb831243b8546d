package interp_test

import (
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

func branch(start, states string) string {
	return `{"StartAt":"` + start + `","States":{` + states + `}}`
}

func taskState(name, rest string) string {
	return `"` + name + `":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",` + rest + `}`
}

func TestParallelOutputsInBranchOrder(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
		"Parameters":{"n.$":"$.n"},
		"ResultSelector":{"all.$":"$","first.$":"$[0]"},
		"ResultPath":"$.par",
		"Branches":[
			` + branch("A", taskState("A", `"Parameters":{"b":"A","n.$":"$.n"},"End":true`)) + `,
			` + branch("B", `"B":{"Type":"Wait","Seconds":5,"Next":"B2"},`+taskState("B2", `"ResultSelector":{"b":"B"},"End":true`)) + `,
			` + branch("C", `"C":{"Type":"Pass","Result":{"b":"C"},"End":true}`) + `]}}}`
	res, rec := run(t, compile(t, def), `{"n":1,"keep":true}`, echo)
	check(t, res, want{Status: interp.Succeeded,
		Output: `{"n":1,"keep":true,"par":{"all":[{"b":"A","n":1},{"b":"B"},{"b":"C"}],"first":{"b":"A","n":1}}}`})
	checkChain(t, res.History)
	if len(rec.calls) != 2 || !jsonv.Equal(rec.calls[1].Input, map[string]any{"n": int64(1)}) {
		t.Errorf("calls = %+v", rec.calls)
	}
	// The state finishes when the slowest branch does.
	if got := offsets(res.History, "ParallelStateExited"); !equalDurations(got, secs(5)) {
		t.Errorf("ParallelStateExited at %v", got)
	}
	first, last := types(res.History)[:3], types(res.History)[len(res.History)-3:]
	if !equalStrings(first, []string{"ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted"}) ||
		!equalStrings(last, []string{"ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"}) {
		t.Errorf("types = %v", types(res.History))
	}
	if res.Transitions != 5 {
		t.Errorf("transitions = %d, want 5", res.Transitions)
	}
}

// One branch failing fails the state with the branch's own error and
// cancels what the other branches wait for.
func TestParallelBranchFailure(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"After",
		"Catch":[{"ErrorEquals":["Branch.Error"],"Next":"Recover","ResultPath":"$.err"}],
		"Branches":[
			` + branch("Slow", taskState("Slow", `"End":true`)) + `,
			` + branch("W", `"W":{"Type":"Wait","Seconds":100,"End":true}`) + `,
			` + branch("Bad", taskState("Bad", `"End":true`)) + `]},
		"After":{"Type":"Pass","End":true},
		"Recover":{"Type":"Wait","Seconds":10,"End":true}}}`
	m := compile(t, def)
	x, cmds := m.Start(testInfo(jsonv.ObjectOf("in", int64(1))), t0, 1)
	refs := map[string]int64{}
	var timer int64
	for _, c := range cmds {
		switch c.Kind {
		case interp.RunTask:
			refs[c.Task.StateName] = c.Ref
		case interp.StartTimer:
			timer = c.Ref
		}
	}
	if len(refs) != 2 || timer == 0 {
		t.Fatalf("start commands = %+v", cmds)
	}
	cmds = x.Apply(interp.Event{Kind: interp.TaskFailed, Time: t0.Add(time.Second), Ref: refs["Bad"], Error: "Branch.Error", Cause: "bad"})
	cancelled := map[int64]bool{}
	var recoverTimer interp.Command
	for _, c := range cmds {
		switch c.Kind {
		case interp.Cancel:
			cancelled[c.Ref] = true
		case interp.StartTimer:
			recoverTimer = c
		default:
			t.Errorf("unexpected command %+v", c)
		}
	}
	if !cancelled[refs["Slow"]] || !cancelled[timer] || len(cancelled) != 2 {
		t.Errorf("cancelled %v, want the Slow task %d and the wait timer %d", cancelled, refs["Slow"], timer)
	}
	if !recoverTimer.Due.Equal(t0.Add(11 * time.Second)) {
		t.Errorf("Recover timer = %+v", recoverTimer)
	}
	// Late results of cancelled work are ignored.
	n := len(x.History)
	if c := x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0.Add(2 * time.Second), Ref: refs["Slow"], Output: "late"}); c != nil {
		t.Errorf("late result gave commands %+v", c)
	}
	if c := x.Apply(interp.Event{Kind: interp.TimerFired, Time: t0.Add(100 * time.Second), Ref: timer}); c != nil {
		t.Errorf("cancelled timer gave commands %+v", c)
	}
	if len(x.History) != n || x.Status != interp.Running {
		t.Fatalf("late events changed the execution: %v", types(x.History[n:]))
	}
	x.Apply(interp.Event{Kind: interp.TimerFired, Time: recoverTimer.Due, Ref: recoverTimer.Ref})
	if x.Status != interp.Succeeded {
		t.Fatalf("status %s", x.Status)
	}
	if want := parseJSON(t, `{"in":1,"err":{"Error":"Branch.Error","Cause":"bad"}}`); !jsonv.Equal(x.Output, want) {
		t.Errorf("output = %s", jsonv.String(x.Output))
	}
	got := types(x.History)
	want := []string{"ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted",
		"TaskStateEntered", "TaskScheduled", "TaskStarted",
		"WaitStateEntered",
		"TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed",
		"ParallelStateFailed", "ParallelStateExited", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"}
	if !equalStrings(got, want) {
		t.Errorf("types:\n got %v\nwant %v", got, want)
	}
	checkChain(t, x.History)
}

func TestParallelFailureUncaught(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
		"Branches":[
			` + branch("Ok", `"Ok":{"Type":"Pass","End":true}`) + `,
			` + branch("F", `"F":{"Type":"Fail","Error":"MyFailure","Cause":"branch 2"}`) + `]}}}`
	res, _ := run(t, compile(t, def), `{}`, nil)
	check(t, res, want{Status: interp.Failed, Error: "MyFailure", Cause: "branch 2",
		Types: []string{"ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted",
			"PassStateEntered", "PassStateExited", "FailStateEntered", "ParallelStateFailed", "ExecutionFailed"}})
	checkChain(t, res.History)
}

func TestParallelRetry(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
		"Parameters":{"try.$":"$$.State.RetryCount"},
		"Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":4,"MaxAttempts":2}],
		"Branches":[
			` + branch("A", taskState("A", `"End":true`)) + `,
			` + branch("B", taskState("B", `"End":true`)) + `]}}}`
	bCalls := 0
	res, rec := run(t, compile(t, def), `{}`, func(state string, _ int, in any) (any, error) {
		if state == "B" {
			bCalls++
			if bCalls == 1 {
				return nil, fail("Flaky", "first time")
			}
		}
		return in, nil
	})
	check(t, res, want{Status: interp.Succeeded, Output: `[{"try":1},{"try":1}]`})
	checkChain(t, res.History)
	if got := offsets(res.History, "ParallelStateStarted"); !equalDurations(got, secs(0, 4)) {
		t.Errorf("ParallelStateStarted at %v, want [0s 4s]", got)
	}
	if len(rec.calls) != 4 {
		t.Errorf("%d calls, want 4 (both branches run again)", len(rec.calls))
	}
	if n := len(eventsOf(res.History, "ParallelStateEntered")); n != 1 {
		t.Errorf("%d ParallelStateEntered", n)
	}
	if n := len(eventsOf(res.History, "ParallelStateFailed")); n != 0 {
		t.Errorf("a retried Parallel recorded ParallelStateFailed")
	}
}

func TestParallelRetryExhaustedCaught(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Done",
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"MaxAttempts":1}],
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done"}],
		"Branches":[` + branch("F", `"F":{"Type":"Fail","Error":"E","Cause":"c"}`) + `]},
		"Done":{"Type":"Succeed"}}}`
	res, _ := run(t, compile(t, def), `{}`, nil)
	check(t, res, want{Status: interp.Succeeded, Output: `{"Error":"E","Cause":"c"}`})
	if n := len(eventsOf(res.History, "FailStateEntered")); n != 2 {
		t.Errorf("%d FailStateEntered, want 2", n)
	}
	checkChain(t, res.History)
}

// Nested Parallel: an inner failure fails the outer state with the inner
// branch's error.
func TestParallelNestedFailure(t *testing.T) {
	inner := `"Inner":{"Type":"Parallel","End":true,"Branches":[` +
		branch("T", taskState("T", `"End":true`)) + `]}`
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[` +
		branch("Inner", inner) + `,` + branch("T2", taskState("T2", `"End":true`)) + `]}}}`
	res, _ := run(t, compile(t, def), `{}`, func(state string, _ int, in any) (any, error) {
		if state == "T" {
			return nil, fail("Deep", "inner")
		}
		return in, nil
	})
	check(t, res, want{Status: interp.Failed, Error: "Deep", Cause: "inner"})
	checkChain(t, res.History)
}
