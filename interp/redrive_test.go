package interp_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// driver answers an execution's commands at once, in order: tasks by a
// function that may fail them, timers when they are due. It records every
// event it applies, so a test can replay them.
type driver struct {
	t      *testing.T
	x      *interp.Execution
	now    time.Time
	answer func(state string, input any) (any, string)
	calls  []string // state names, per task run
	inputs []any
	events []interp.Event
}

func (d *driver) apply(ev interp.Event) {
	d.events = append(d.events, ev)
	d.run(d.x.Apply(ev))
}

func (d *driver) run(cmds []interp.Command) {
	type timer struct {
		ref int64
		due time.Time
	}
	var tasks []interp.Command
	var timers []timer
	for len(cmds) > 0 || len(tasks) > 0 || len(timers) > 0 {
		for _, c := range cmds {
			switch c.Kind {
			case interp.RunTask:
				tasks = append(tasks, c)
			case interp.StartTimer:
				timers = append(timers, timer{c.Ref, c.Due})
			case interp.Cancel:
				tasks = deleteTask(tasks, c.Ref)
				for i, tm := range timers {
					if tm.ref == c.Ref {
						timers = append(timers[:i], timers[i+1:]...)
						break
					}
				}
			}
		}
		cmds = nil
		if d.x.Status != interp.Running {
			return
		}
		d.now = d.now.Add(time.Second)
		var ev interp.Event
		switch {
		case len(tasks) > 0:
			c := tasks[0]
			tasks = tasks[1:]
			d.calls = append(d.calls, c.Task.StateName)
			d.inputs = append(d.inputs, c.Task.Input)
			out, errName := d.answer(c.Task.StateName, c.Task.Input)
			ev = interp.Event{Kind: interp.TaskSucceeded, Ref: c.Ref, Time: d.now, Output: out}
			if errName != "" {
				ev = interp.Event{Kind: interp.TaskFailed, Ref: c.Ref, Time: d.now, Error: errName, Cause: "it broke"}
			}
		case len(timers) > 0:
			sort.SliceStable(timers, func(i, j int) bool { return timers[i].due.Before(timers[j].due) })
			tm := timers[0]
			timers = timers[1:]
			if tm.due.After(d.now) {
				d.now = tm.due
			}
			ev = interp.Event{Kind: interp.TimerFired, Ref: tm.ref, Time: d.now}
		}
		d.events = append(d.events, ev)
		cmds = d.x.Apply(ev)
	}
}

func deleteTask(tasks []interp.Command, ref int64) []interp.Command {
	for i, c := range tasks {
		if c.Ref == ref {
			return append(tasks[:i], tasks[i+1:]...)
		}
	}
	return tasks
}

// startDriven starts def on input and runs it until it waits for nothing.
func startDriven(t *testing.T, def, input string, answer func(string, any) (any, string)) *driver {
	t.Helper()
	m := compile(t, def)
	x, cmds := m.Start(testInfo(parseJSON(t, input)), t0, 7)
	d := &driver{t: t, x: x, now: t0, answer: answer}
	d.run(cmds)
	return d
}

// redrive redrives the driven execution an hour later and runs it.
func (d *driver) redrive() {
	d.now = d.now.Add(time.Hour)
	d.apply(interp.Event{Kind: interp.Redrive, Time: d.now, Seed: 99})
}

// after returns the events that follow the last ExecutionRedriven, that
// one included.
func after(h []interp.HistoryEvent) []interp.HistoryEvent {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Type == "ExecutionRedriven" {
			return h[i:]
		}
	}
	return nil
}

// replayMatches replays the driver's events through a machine without
// history and checks it ends where the driven execution did.
func replayMatches(t *testing.T, def, input string, d *driver) {
	t.Helper()
	m := compile(t, def, interp.Options{})
	x, _ := m.Start(testInfo(parseJSON(t, input)), t0, 7)
	for _, ev := range d.events {
		x.Apply(ev)
	}
	if x.Status != d.x.Status || x.EventCount() != d.x.EventCount() || !jsonv.Equal(x.Output, d.x.Output) || x.RedriveCount() != d.x.RedriveCount() {
		t.Errorf("replay: %s %d events %s, driven: %s %d events %s", x.Status, x.EventCount(), jsonv.String(x.Output),
			d.x.Status, d.x.EventCount(), jsonv.String(d.x.Output))
	}
}

// A Parallel state whose one branch failed reruns that branch only; the
// others keep their results.
func TestRedriveParallelRerunsFailedBranch(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		` + branch("A", taskState("A", `"End":true`)) + `,
		` + branch("B0", `"B0":{"Type":"Pass","Result":"b0","ResultPath":"$.b0","Next":"B"},`+taskState("B", `"End":true`)) + `,
		` + branch("C", `"C":{"Type":"Pass","Result":"C-done","End":true}`) + `]}}}`
	fixed := false
	d := startDriven(t, def, `{"n":1}`, func(state string, in any) (any, string) {
		if state == "B" && !fixed {
			return nil, "B.Broken"
		}
		return state + "-done", ""
	})
	if d.x.Status != interp.Failed || d.x.Error != "B.Broken" {
		t.Fatalf("first run: %s %s", d.x.Status, d.x.Error)
	}
	failedEnd := d.x.EventCount()
	calls := len(d.calls)
	fixed = true
	d.redrive()
	if d.x.Status != interp.Succeeded {
		t.Fatalf("after redrive: %s %s %s\n%s", d.x.Status, d.x.Error, d.x.Cause, dump(d.x.History))
	}
	if got := strings.Join(d.calls[calls:], ","); got != "B" {
		t.Errorf("tasks run after the redrive = %s, want B only", got)
	}
	// B is entered again with the input it had: the branch's own state.
	if in := d.inputs[len(d.inputs)-1]; !jsonv.Equal(in, parseJSON(t, `{"n":1,"b0":"b0"}`)) {
		t.Errorf("B's input = %s", jsonv.String(in))
	}
	if !jsonv.Equal(d.x.Output, parseJSON(t, `["A-done","B-done","C-done"]`)) {
		t.Errorf("output = %s", jsonv.String(d.x.Output))
	}
	h := d.x.History
	checkChain(t, h)
	tail := after(h)
	if got := strings.Join(types(tail), " "); got != "ExecutionRedriven TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ParallelStateSucceeded ParallelStateExited ExecutionSucceeded" {
		t.Errorf("after the redrive: %s\n%s", got, dump(h))
	}
	if tail[0].ID != failedEnd+1 || tail[0].PreviousEventID != failedEnd {
		t.Errorf("ExecutionRedriven id %d prev %d, want %d after %d", tail[0].ID, tail[0].PreviousEventID, failedEnd+1, failedEnd)
	}
	if got := string(tail[0].AppendJSON(nil)); !strings.Contains(got, `"executionRedrivenEventDetails":{"redriveCount":1}`) {
		t.Errorf("ExecutionRedriven = %s", got)
	}
	if tail[1].PreviousEventID != tail[0].ID || field(t, tail[1], "name") != "B" {
		t.Errorf("re-entered state = %s", tail[1].AppendJSON(nil))
	}
	replayMatches(t, def, `{"n":1}`, d)
}

// An inline Map keeps its successful iterations and reruns the failed one.
func TestRedriveMapRerunsFailedIteration(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"MaxConcurrency":2,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"T","States":{` + taskState("T", `"End":true`) + `}}}}}`
	fixed := false
	d := startDriven(t, def, `[1,2,3,4,5]`, func(state string, in any) (any, string) {
		if n, _ := in.(int64); n == 2 && !fixed {
			return nil, "Item.Broken"
		}
		return in, ""
	})
	if d.x.Status != interp.Failed {
		t.Fatalf("first run: %s", d.x.Status)
	}
	before := map[string]int{}
	for _, in := range d.inputs {
		before[jsonv.String(in)]++
	}
	calls := len(d.inputs)
	fixed = true
	d.redrive()
	if d.x.Status != interp.Succeeded || !jsonv.Equal(d.x.Output, parseJSON(t, `[1,2,3,4,5]`)) {
		t.Fatalf("after redrive: %s %s\n%s", d.x.Status, jsonv.String(d.x.Output), dump(d.x.History))
	}
	rerun := map[string]int{}
	for _, in := range d.inputs[calls:] {
		rerun[jsonv.String(in)]++
	}
	// Item 2 failed; item 1 had succeeded and is kept; items the failure
	// cut short or never started run now, each once.
	if rerun["2"] != 1 || rerun["1"] != 0 {
		t.Errorf("first run %v, after redrive %v", before, rerun)
	}
	for _, n := range []string{"1", "2", "3", "4", "5"} {
		if before[n]+rerun[n] < 1 {
			t.Errorf("item %s never ran", n)
		}
	}
	checkChain(t, d.x.History)
	tail := after(d.x.History)
	if len(tail) < 2 || tail[1].Type != "MapIterationStarted" || tail[1].PreviousEventID != tail[0].ID {
		t.Errorf("after the redrive:\n%s", dump(tail))
	}
	if got := eventsOf(tail, "MapIterationStarted"); len(got) == 0 || field(t, got[0], "index") != int64(1) {
		t.Errorf("first rerun iteration:\n%s", dump(tail))
	}
	replayMatches(t, def, `[1,2,3,4,5]`, d)
}

// Retries restart from zero for the redriven state, and a Catch that does
// not match the error leaves it to the redrive.
func TestRedriveRestartsRetries(t *testing.T) {
	def := `{"StartAt":"T","States":{` + taskState("T", `"Next":"Done",
		"Retry":[{"ErrorEquals":["Flaky"],"MaxAttempts":2,"IntervalSeconds":1}],
		"Catch":[{"ErrorEquals":["Other"],"Next":"Done"}]`) + `,"Done":{"Type":"Pass","End":true}}}`
	failures := 0
	m := compile(t, def)
	x, cmds := m.Start(testInfo(map[string]any{}), t0, 1)
	d := &driver{t: t, x: x, now: t0, answer: func(string, any) (any, string) {
		if failures > 0 {
			failures--
			return nil, "Flaky"
		}
		return "ok", ""
	}}
	failures = 3
	d.run(cmds)
	if x.Status != interp.Failed || x.Error != "Flaky" || len(d.calls) != 3 {
		t.Fatalf("first run: %s %s after %d calls", x.Status, x.Error, len(d.calls))
	}
	// Two more failures: the redriven state retries twice again.
	failures = 2
	d.redrive()
	if x.Status != interp.Succeeded || len(d.calls) != 6 {
		t.Fatalf("after redrive: %s after %d calls\n%s", x.Status, len(d.calls), dump(x.History))
	}
	if n := len(eventsOf(after(x.History), "TaskScheduled")); n != 3 {
		t.Errorf("tasks scheduled after the redrive = %d, want 3", n)
	}
	checkChain(t, x.History)
	replayMatches(t, def, `{}`, d)
}

// An execution stopped while a Task waited runs the Task again with the
// same input.
func TestRedriveAbortedTask(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"k":1},"Next":"T"},` + taskState("T", `"End":true`) + `}}`
	m := compile(t, def)
	x, cmds := m.Start(testInfo(map[string]any{}), t0, 1)
	if len(cmds) != 1 || cmds[0].Kind != interp.RunTask {
		t.Fatalf("start: %+v", cmds)
	}
	stop := interp.Event{Kind: interp.Stop, Time: t0.Add(time.Minute), Error: "halt"}
	cmds = x.Apply(stop)
	if x.Status != interp.Aborted || len(cmds) != 1 || cmds[0].Kind != interp.Cancel {
		t.Fatalf("stop: %s %+v", x.Status, cmds)
	}
	red := interp.Event{Kind: interp.Redrive, Time: t0.Add(time.Hour), Seed: 5}
	cmds = x.Apply(red)
	if x.Status != interp.Running || x.Error != "" || len(cmds) != 1 || cmds[0].Kind != interp.RunTask || cmds[0].Task.StateName != "T" {
		t.Fatalf("redrive: %s %q %+v", x.Status, x.Error, cmds)
	}
	if !jsonv.Equal(cmds[0].Task.Input, map[string]any{"k": int64(1)}) || cmds[0].Task.Attempt != 0 {
		t.Errorf("task = %+v", cmds[0].Task)
	}
	tail := after(x.History)
	if got := strings.Join(types(tail), " "); got != "ExecutionRedriven TaskStateEntered TaskScheduled TaskStarted" {
		t.Errorf("after the redrive: %s", got)
	}
	// A second redrive while it runs changes nothing.
	if again := x.Apply(interp.Event{Kind: interp.Redrive, Time: t0.Add(2 * time.Hour)}); again != nil || x.RedriveCount() != 1 {
		t.Errorf("redrive of a running execution: %+v, count %d", again, x.RedriveCount())
	}
	x.Apply(interp.Event{Kind: interp.TaskSucceeded, Ref: cmds[0].Ref, Time: t0.Add(2 * time.Hour), Output: "done"})
	if x.Status != interp.Succeeded || x.Output != "done" {
		t.Fatalf("end: %s %v", x.Status, x.Output)
	}
	if again := x.Apply(interp.Event{Kind: interp.Redrive, Time: t0.Add(3 * time.Hour)}); again != nil || x.Status != interp.Succeeded {
		t.Errorf("redrive of a succeeded execution: %+v, %s", again, x.Status)
	}
	checkChain(t, x.History)
}

// $$.Execution.RedriveCount and RedriveTime tell a redriven execution.
func TestRedriveContextObject(t *testing.T) {
	def := `{"StartAt":"T","States":{` + taskState("T", `"Next":"C"`) + `,
		"C":{"Type":"Pass","Parameters":{"count.$":"$$.Execution.RedriveCount","time.$":"$$.Execution.RedriveTime","exec.$":"$$.Execution"},"End":true}}}`
	fixed := false
	d := startDriven(t, def, `{}`, func(string, any) (any, string) {
		if !fixed {
			return nil, "Broken"
		}
		return "ok", ""
	})
	if d.x.Status != interp.Failed {
		t.Fatalf("first run: %s", d.x.Status)
	}
	d.redrive() // still broken
	if d.x.Status != interp.Failed || d.x.RedriveCount() != 1 {
		t.Fatalf("first redrive: %s", d.x.Status)
	}
	fixed = true
	d.redrive()
	at := d.events[len(d.events)-1]
	for _, ev := range d.events {
		if ev.Kind == interp.Redrive {
			at = ev
		}
	}
	want := map[string]any{"count": int64(2), "time": at.Time.UTC().Format("2006-01-02T15:04:05.000Z")}
	out, _ := d.x.Output.(*jsonv.Object)
	if d.x.Status != interp.Succeeded || out == nil {
		t.Fatalf("after redrives: %s %s", d.x.Status, jsonv.String(d.x.Output))
	}
	// RedriveTime comes right after RedriveCount.
	exec, _ := out.Value("exec").(*jsonv.Object)
	if keys := strings.Join(exec.Keys(), ","); keys != "Id,Input,StartTime,Name,RoleArn,RedriveCount,RedriveTime" {
		t.Errorf("$$.Execution keys: %s", keys)
	}
	got := out.Clone(0)
	got.Delete("exec")
	if !jsonv.Equal(got, want) {
		t.Fatalf("after redrives: %s, want %s", jsonv.String(got), jsonv.String(want))
	}
	if got := string(after(d.x.History)[0].AppendJSON(nil)); !strings.Contains(got, `{"redriveCount":2}`) {
		t.Errorf("second ExecutionRedriven = %s", got)
	}
	checkChain(t, d.x.History)
	replayMatches(t, def, `{}`, d)
}

// A Map nested in a Parallel branch: the redrive reaches the failed
// iteration through both.
func TestRedriveNestedMapInParallel(t *testing.T) {
	inner := `"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"T","States":{` + taskState("T", `"End":true`) + `}}}`
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		` + branch("M", inner) + `,
		` + branch("W", `"W":{"Type":"Wait","Seconds":1000,"End":true}`) + `]}}}`
	fixed := false
	d := startDriven(t, def, `[10,20,30]`, func(_ string, in any) (any, string) {
		if n, _ := in.(int64); n == 20 && !fixed {
			return nil, "Broken"
		}
		return in, ""
	})
	if d.x.Status != interp.Failed {
		t.Fatalf("first run: %s", d.x.Status)
	}
	calls := len(d.inputs)
	fixed = true
	d.redrive()
	if d.x.Status != interp.Succeeded || !jsonv.Equal(d.x.Output, parseJSON(t, `[[10,20,30],[10,20,30]]`)) {
		t.Fatalf("after redrive: %s %s\n%s", d.x.Status, jsonv.String(d.x.Output), dump(d.x.History))
	}
	for _, in := range d.inputs[calls:] {
		if jsonv.String(in) == "10" {
			t.Errorf("item 10 ran again")
		}
	}
	// The Wait branch, cut short by the failure, waited again.
	if len(eventsOf(after(d.x.History), "WaitStateEntered")) != 1 {
		t.Errorf("after the redrive:\n%s", dump(after(d.x.History)))
	}
	checkChain(t, d.x.History)
	replayMatches(t, def, `[10,20,30]`, d)
}

// A Distributed Map reruns its failed children within the same Map Run,
// after a MapRunRedriven event.
func TestRedriveDistributedMap(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ToleratedFailureCount":0,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"T","States":{` + taskState("T", `"End":true`) + `}}}}}`
	fixed := false
	d := startDriven(t, def, `[1,2,3]`, func(_ string, in any) (any, string) {
		if n, _ := in.(int64); n == 2 && !fixed {
			return nil, "Broken"
		}
		return in, ""
	})
	if d.x.Status != interp.Failed || d.x.Error != "States.ExceedToleratedFailureThreshold" {
		t.Fatalf("first run: %s %s", d.x.Status, d.x.Error)
	}
	calls := len(d.inputs)
	fixed = true
	d.redrive()
	if d.x.Status != interp.Succeeded || !jsonv.Equal(d.x.Output, parseJSON(t, `[1,2,3]`)) {
		t.Fatalf("after redrive: %s %s\n%s", d.x.Status, jsonv.String(d.x.Output), dump(d.x.History))
	}
	for _, in := range d.inputs[calls:] {
		if jsonv.String(in) == "1" {
			t.Errorf("child 1 ran again")
		}
	}
	tail := after(d.x.History)
	if got := strings.Join(types(tail), " "); got != "ExecutionRedriven MapRunRedriven MapRunSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded" {
		t.Errorf("after the redrive: %s", got)
	}
	started := eventsOf(d.x.History, "MapRunStarted")[0]
	if got := string(tail[1].AppendJSON(nil)); !strings.Contains(got, `"mapRunRedrivenEventDetails":{"mapRunArn":"`+field(t, started, "mapRunArn").(string)+`","redriveCount":1}`) {
		t.Errorf("MapRunRedriven = %s", got)
	}
	// The redrive reopened the Map Run: MapStateExited follows that event
	// as it follows MapRunStarted in a run that was never redriven.
	if tail[4].PreviousEventID != tail[1].ID {
		t.Errorf("MapStateExited follows event %d, want MapRunRedriven (%d)", tail[4].PreviousEventID, tail[1].ID)
	}
	checkChain(t, d.x.History)
	replayMatches(t, def, `[1,2,3]`, d)
}

// A TIMED_OUT execution reruns the state the timeout cut short, with its
// TimeoutSeconds counted again from the redrive.
func TestRedriveTimedOut(t *testing.T) {
	def := `{"TimeoutSeconds":10,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}}`
	m := compile(t, def)
	x, cmds := m.Start(testInfo(map[string]any{}), t0, 1)
	var execTimer int64
	for _, c := range cmds {
		if c.Kind == interp.StartTimer && c.Due.Equal(t0.Add(10*time.Second)) {
			execTimer = c.Ref
		}
	}
	x.Apply(interp.Event{Kind: interp.TimerFired, Ref: execTimer, Time: t0.Add(10 * time.Second)})
	if x.Status != interp.TimedOut {
		t.Fatalf("status %s", x.Status)
	}
	at := t0.Add(time.Hour)
	cmds = x.Apply(interp.Event{Kind: interp.Redrive, Time: at})
	var dues []time.Duration
	for _, c := range cmds {
		if c.Kind == interp.StartTimer {
			dues = append(dues, c.Due.Sub(at))
		}
	}
	if x.Status != interp.Running || !equalDurations(dues, secs(10, 100)) {
		t.Errorf("redrive: %s, timers due %v after it", x.Status, dues)
	}
	if got := strings.Join(types(after(x.History)), " "); got != "ExecutionRedriven WaitStateEntered" {
		t.Errorf("after the redrive: %s", got)
	}
	checkChain(t, x.History)
}

// TestRedriveDistributedMapTransitions: a redrive bills what it runs
// again. Child 2 fails, which aborts child 3 (all three run at once). A
// STANDARD child reruns the state it failed or was stopped in, one
// transition of its parent each; an Express child is started anew, a new
// Express execution whose start is one transition of its parent and whose
// states are none.
func TestRedriveDistributedMapTransitions(t *testing.T) {
	for _, tc := range []struct {
		typ          string
		first, later int64
	}{
		{"STANDARD", 1 + 3*2, 1 + 3*2 + 2}, // the Map, P and T per child; T of 2 and 3 again
		{"EXPRESS", 1 + 3, 1 + 3 + 2},      // the Map, each start; 2 and 3 started anew
	} {
		t.Run(tc.typ, func(t *testing.T) {
			def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ToleratedFailureCount":0,
				"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"` + tc.typ + `"},
					"StartAt":"P","States":{"P":{"Type":"Pass","Next":"T"},` + taskState("T", `"End":true`) + `}}}}}`
			fixed := false
			d := startDriven(t, def, `[1,2,3]`, func(_ string, in any) (any, string) {
				if n, _ := in.(int64); n == 2 && !fixed {
					return nil, "Broken"
				}
				return in, ""
			})
			if d.x.Status != interp.Failed || d.x.Transitions != tc.first {
				t.Fatalf("first run: %s, %d transitions, want FAILED and %d", d.x.Status, d.x.Transitions, tc.first)
			}
			fixed = true
			d.redrive()
			if d.x.Status != interp.Succeeded || d.x.Transitions != tc.later {
				t.Fatalf("after the redrive: %s, %d transitions, want SUCCEEDED and %d", d.x.Status, d.x.Transitions, tc.later)
			}
		})
	}
}
