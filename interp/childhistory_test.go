package interp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"
)

// TestRedriveMapRun fails a Distributed Map's first child, redrives the
// execution, and checks the Map Run's counts and the child's record; then
// replays the same events watching that child and checks its own history.
func TestRedriveMapRun(t *testing.T) {
	m := compile(t, dmapActivity)
	info := interp.Info{ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:sm:e", Name: "e",
		StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm", StateMachineName: "sm",
		RoleArn: "arn:aws:iam::123456789012:role/r", Input: parseJSON(t, `[1,2]`)}
	x, cmds := m.Start(info, t0, 7)
	first := runTasks(cmds)[0]
	_, kids := x.TakeMapRunChanges()
	child := kids[0].Name
	var events []interp.Event
	apply := func(ev interp.Event) []interp.Command {
		events = append(events, ev)
		return x.Apply(ev)
	}
	apply(interp.Event{Kind: interp.TaskFailed, Ref: first, Time: t0.Add(time.Second), Error: "Boom"})
	if x.Status != interp.Failed {
		t.Fatalf("status %s", x.Status)
	}
	runs, _ := x.TakeMapRunChanges()
	if r := runs[0]; r.Status != interp.Failed || r.Executions.Failed != 1 || r.Executions.Pending != 1 || r.RedriveCount != 0 {
		t.Fatalf("failed run: %+v", r)
	}
	redriveAt := t0.Add(time.Minute)
	cmds = apply(interp.Event{Kind: interp.Redrive, Time: redriveAt, Seed: 9})
	again := runTasks(cmds)
	if len(again) != 1 {
		t.Fatalf("a redrive started %d tasks, want the failed child's", len(again))
	}
	runs, kids = x.TakeMapRunChanges()
	if r := runs[0]; r.Status != interp.Running || r.RedriveCount != 1 || !r.RedriveDate.Equal(redriveAt) || r.Executions.Failed != 0 ||
		r.Executions.Running != 1 || r.Executions.Pending != 1 || !r.StopDate.IsZero() {
		t.Fatalf("redriven run: %+v", r)
	}
	if len(kids) != 1 || kids[0].Name != child || kids[0].Status != interp.Running || kids[0].RedriveCount != 1 || !kids[0].RedriveDate.Equal(redriveAt) {
		t.Fatalf("redriven child: %+v", kids)
	}
	apply(interp.Event{Kind: interp.TaskStarted, Ref: again[0], Time: redriveAt.Add(time.Second), WorkerName: "w"})
	cmds = apply(interp.Event{Kind: interp.TaskSucceeded, Ref: again[0], Time: redriveAt.Add(2 * time.Second), Output: "one"})
	last := runTasks(cmds)[0]
	apply(interp.Event{Kind: interp.TaskSucceeded, Ref: last, Time: redriveAt.Add(3 * time.Second), Output: "two"})
	if x.Status != interp.Succeeded {
		t.Fatalf("status after the redrive %s", x.Status)
	}

	w := m.StartWatching(info, t0, 7, child)
	for _, ev := range events {
		w.Apply(ev)
	}
	var got []string
	for _, h := range w.ChildHistory() {
		got = append(got, h.Type)
	}
	want := "ExecutionStarted TaskStateEntered ActivityScheduled ActivityFailed ExecutionFailed ExecutionRedriven TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded"
	if strings.Join(got, " ") != want {
		t.Fatalf("child history:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if w.ChildState() != "M" || w.EventCount() != x.EventCount() || len(w.History) != 0 {
		t.Fatalf("watching: state %q, %d events (the execution %d), %d recorded", w.ChildState(), w.EventCount(), x.EventCount(), len(w.History))
	}
}
