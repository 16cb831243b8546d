package interp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"
)

const dmapActivity = `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"Label":"L","End":true,
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
		"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:a","End":true}}}}}}`

func runTasks(cmds []interp.Command) []int64 {
	var refs []int64
	for _, c := range cmds {
		if c.Kind == interp.RunTask {
			refs = append(refs, c.Ref)
		}
	}
	return refs
}

// TestUpdateMapRun raises a running Map Run's MaxConcurrency: the
// children it now allows start at once, its record says so, and a replay
// of the same events with history off arrives at the same state and logs
// nothing.
func TestUpdateMapRun(t *testing.T) {
	m := compile(t, dmapActivity)
	info := interp.Info{ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:sm:e", Name: "e",
		StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm", StateMachineName: "sm",
		Input: parseJSON(t, `[1,2,3,4]`)}
	x, cmds := m.Start(info, t0, 7)
	if refs := runTasks(cmds); len(refs) != 1 {
		t.Fatalf("MaxConcurrency 1 started %d children's tasks", len(refs))
	}
	runs, kids := x.TakeMapRunChanges()
	if len(runs) != 1 || len(kids) != 1 {
		t.Fatalf("changes after start: %d runs, %d children", len(runs), len(kids))
	}
	r := runs[0]
	if r.Status != interp.Running || r.MaxConcurrency != 1 || r.Executions.Running != 1 || r.Executions.Pending != 3 || r.Items.Total != 4 {
		t.Fatalf("run after start: %+v", r)
	}
	if kids[0].Status != interp.Running || kids[0].StateMachineArn != "arn:aws:states:us-east-1:123456789012:stateMachine:sm/L" {
		t.Fatalf("child: %+v", kids[0])
	}
	first := runTasks(cmds)[0]
	events := []interp.Event{
		{Kind: interp.UpdateMapRun, Time: t0.Add(time.Second), MapRun: &interp.MapRunUpdate{Arn: r.Arn, MaxConcurrency: new(int64(3))}},
		{Kind: interp.UpdateMapRun, Time: t0.Add(time.Second), MapRun: &interp.MapRunUpdate{Arn: r.Arn + "x", MaxConcurrency: new(int64(9))}},
	}
	cmds = x.Apply(events[0])
	if refs := runTasks(cmds); len(refs) != 2 {
		t.Fatalf("raising MaxConcurrency to 3 started %d more children, want 2", len(refs))
	}
	runs, kids = x.TakeMapRunChanges()
	if len(runs) != 1 || runs[0].MaxConcurrency != 3 || runs[0].Executions.Running != 3 || len(kids) != 2 {
		t.Fatalf("after update: %+v, %d children", runs, len(kids))
	}
	if cmds := x.Apply(events[1]); cmds != nil || x.HasMapRunChanges() {
		t.Fatalf("an update of an unknown Map Run changed something: %v", cmds)
	}
	// Every child succeeds; the fourth starts as one finishes.
	done := 0
	pending := []int64{first}
	pending = append(pending, runTasks(cmds)...)
	for len(pending) > 0 && done < 10 {
		ref := pending[0]
		pending = pending[1:]
		ev := interp.Event{Kind: interp.TaskSucceeded, Ref: ref, Time: t0.Add(2 * time.Second), Output: int64(done)}
		events = append(events, ev)
		pending = append(pending, runTasks(x.Apply(ev))...)
		done++
	}
	if x.Status != interp.Succeeded || done != 4 {
		t.Fatalf("status %s after %d children", x.Status, done)
	}
	runs, _ = x.TakeMapRunChanges()
	r = runs[len(runs)-1]
	if r.Status != interp.Succeeded || r.Executions.Succeeded != 4 || r.Items.ResultsWritten != 4 || r.StopDate.IsZero() {
		t.Fatalf("run at the end: %+v", r)
	}

	// Replay with history off: same end, nothing logged.
	rm := compile(t, dmapActivity, interp.Options{})
	y, _ := rm.Start(info, t0, 7)
	for _, ev := range events {
		y.Apply(ev)
	}
	if y.Status != interp.Succeeded || y.EventCount() != x.EventCount() || y.HasMapRunChanges() {
		t.Fatalf("replay: %s, %d events (want %d), changes %v", y.Status, y.EventCount(), x.EventCount(), y.HasMapRunChanges())
	}
}

// TestUpdateMapRunTolerance lowers the tolerated failures below the
// failures so far: the Map Run fails at once, aborting the two children
// still running (the third started when the first failed).
func TestUpdateMapRunTolerance(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,"ToleratedFailureCount":5,"End":true,
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
		"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:a","End":true}}}}}}`
	m := compile(t, def)
	x, cmds := m.Start(interp.Info{StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm", Input: parseJSON(t, `[1,2,3]`)}, t0, 7)
	refs := runTasks(cmds)
	x.Apply(interp.Event{Kind: interp.TaskFailed, Ref: refs[0], Time: t0, Error: "E"})
	runs, _ := x.TakeMapRunChanges()
	arn := runs[0].Arn
	if x.Status != interp.Running || runs[0].Executions.Failed != 1 {
		t.Fatalf("one tolerated failure: %s %+v", x.Status, runs[0])
	}
	x.Apply(interp.Event{Kind: interp.UpdateMapRun, Time: t0, MapRun: &interp.MapRunUpdate{Arn: arn, ToleratedFailureCount: new(int64(0))}})
	if x.Status != interp.Failed || x.Error != interp.ErrExceedToleratedFail {
		t.Fatalf("after lowering the tolerance: %s %s", x.Status, x.Error)
	}
	runs, kids := x.TakeMapRunChanges()
	r := runs[len(runs)-1]
	if r.Status != interp.Failed || r.ToleratedFailureCount != 0 || r.Executions.Aborted != 2 {
		t.Fatalf("run: %+v", r)
	}
	aborted := 0
	for _, k := range kids {
		if k.Status == interp.Aborted {
			aborted++
		}
	}
	if aborted != 2 {
		t.Fatalf("children: %+v", kids)
	}
}

// TestMapRunCountsBatches: with an ItemBatcher, a Map Run counts its
// children once and their items each.
func TestMapRunCountsBatches(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemBatcher":{"MaxItemsPerBatch":2},
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
		"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}`
	m := compile(t, def)
	x, _ := m.Start(interp.Info{StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm", Input: parseJSON(t, `[1,2,3,4,5]`)}, t0, 7)
	if x.Status != interp.Succeeded {
		t.Fatalf("status %s", x.Status)
	}
	runs, kids := x.TakeMapRunChanges()
	r := runs[len(runs)-1]
	if r.Status != interp.Succeeded || r.Items.Total != 5 || r.Items.Succeeded != 5 || r.Executions.Total != 3 || r.Executions.Succeeded != 3 {
		t.Fatalf("run: %+v", r)
	}
	var items []int64
	for _, k := range kids {
		items = append(items, k.Items)
		if k.Status != interp.Succeeded || k.Input == "" || k.Output == "" {
			t.Fatalf("child: %+v", k)
		}
	}
	if len(items) != 3 || items[0] != 2 || items[1] != 2 || items[2] != 1 {
		t.Fatalf("items per child %v", items)
	}
}

// TestExpressChildTimesOut: an Express child of a Distributed Map gets a
// timer of its own (Options.ExpressChildLimit); when it fires, what the
// child waited for is cancelled, the child ends TIMED_OUT with
// States.Timeout under an express ARN, and its Map, tolerating nothing,
// fails with that error. A replay arrives at the same end.
func TestExpressChildTimesOut(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"L","End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
			"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}}}}`
	opts := interp.Options{History: true, ExpressChildLimit: 10 * time.Second}
	m := compile(t, def, opts)
	info := interp.Info{ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:sm:e", Name: "e",
		StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm", StateMachineName: "sm",
		Input: parseJSON(t, `[1]`)}
	x, cmds := m.Start(info, t0, 7)
	var limit, wait int64
	for _, c := range cmds {
		switch {
		case c.Kind == interp.StartTimer && c.Due.Equal(t0.Add(10*time.Second)):
			limit = c.Ref
		case c.Kind == interp.StartTimer && c.Due.Equal(t0.Add(time.Hour)):
			wait = c.Ref
		}
	}
	if limit == 0 || wait == 0 {
		t.Fatalf("commands at start: %+v", cmds)
	}
	x.TakeMapRunChanges()
	ev := interp.Event{Kind: interp.TimerFired, Ref: limit, Time: t0.Add(10 * time.Second)}
	cmds = x.Apply(ev)
	cancelled := false
	for _, c := range cmds {
		cancelled = cancelled || c.Kind == interp.Cancel && c.Ref == wait
	}
	if !cancelled {
		t.Fatalf("the child's Wait was not cancelled: %+v", cmds)
	}
	if x.Status != interp.Failed || x.Error != "States.Timeout" {
		t.Fatalf("execution: %s %s", x.Status, x.Error)
	}
	runs, kids := x.TakeMapRunChanges()
	if len(kids) != 1 || kids[0].Status != interp.TimedOut || kids[0].Error != "States.Timeout" ||
		!strings.HasPrefix(kids[0].Arn, "arn:aws:states:us-east-1:123456789012:express:sm/L:"+kids[0].Name+":") {
		t.Fatalf("child: %+v", kids)
	}
	if r := runs[len(runs)-1]; r.Status != interp.Failed || r.Executions.TimedOut != 1 {
		t.Fatalf("Map Run: %+v", r)
	}
	opts.History = false
	y, _ := compile(t, def, opts).Start(info, t0, 7)
	y.Apply(ev)
	if y.Status != interp.Failed || y.Error != "States.Timeout" {
		t.Fatalf("replay: %s %s", y.Status, y.Error)
	}
	// A timer of a child already gone changes nothing.
	if cmds := x.Apply(ev); cmds != nil {
		t.Fatalf("a second firing: %+v", cmds)
	}
}

// TestDistributedChildTransitions: the states a STANDARD child of a
// Distributed Map enters are billed transitions of its parent, as ever
// (1 for the Map, 2 per child); an Express child is billed as an Express
// execution instead, so its states are not, but its start is: AWS charges
// one transition for each child workflow execution the Distributed Map
// starts (1 for the Map, 1 per child, retries inside the child
// included in neither). A nested Parallel in an Express child stays the
// child's.
func TestDistributedChildTransitions(t *testing.T) {
	processor := `"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
		"B":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"C","States":{"C":{"Type":"Pass","End":true}}}]}}`
	cases := []struct {
		typ  string
		want int64
	}{
		{"STANDARD", 1 + 3*3},
		{"EXPRESS", 1 + 3},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			def := `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"L","End":true,
				"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"` + tc.typ + `"},` + processor + `}}}}`
			for _, hist := range []bool{true, false} {
				m := compile(t, def, interp.Options{History: hist})
				info := interp.Info{ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:sm:e", Name: "e",
					StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm", StateMachineName: "sm",
					Input: parseJSON(t, `[1,2,3]`)}
				x, _ := m.Start(info, t0, 7)
				if x.Status != interp.Succeeded || x.Transitions != tc.want {
					t.Errorf("history %v: %s, %d transitions, want SUCCEEDED and %d", hist, x.Status, x.Transitions, tc.want)
				}
			}
		})
	}
}
