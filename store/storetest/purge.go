package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// exercisePurge checks PurgeExecutions: what goes, what stays, in what
// order.
func exercisePurge(t *testing.T, open func(*testing.T) store.Store) {
	run(t, open, []test{
		{"Closed", testPurgeClosed},
		{"Batches", testPurgeBatches},
		{"WaitedOnChild", testPurgeWaitedOnChild},
	})
}

func purge(t *testing.T, s store.Store, before time.Time, limit int) int {
	t.Helper()
	n, err := s.PurgeExecutions(ctxT(t), store.PurgeParams{StoppedBefore: before, Limit: limit})
	must(t, "PurgeExecutions", err)
	return n
}

// gone checks that nothing of a purged execution is left.
func gone(t *testing.T, s store.Store, e *store.Execution) {
	t.Helper()
	if _, err := s.GetExecution(ctxT(t), e.Arn); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: GetExecution after purge = %v, want ErrNotFound", e.Name, err)
	}
	if evs := history(t, s, e.Arn); len(evs) != 0 {
		t.Errorf("%s: history after purge = %d events", e.Name, len(evs))
	}
	if ins, err := s.Inputs(ctxT(t), e.Arn); len(ins) != 0 || err != nil {
		t.Errorf("%s: inputs after purge = %d, %v", e.Name, len(ins), err)
	}
	if tms := timersOf(t, s, e.Arn); len(tms) != 0 {
		t.Errorf("%s: timers after purge = %+v", e.Name, tms)
	}
	if tags, err := s.ListTags(ctxT(t), e.Arn); err != nil || len(tags) != 0 {
		t.Errorf("%s: tags after purge = %v, %v", e.Name, tags, err)
	}
}

// kept checks that an execution is whole: its row, n events and its inputs.
func kept(t *testing.T, s store.Store, e *store.Execution, status string, n int) {
	t.Helper()
	got, err := s.GetExecution(ctxT(t), e.Arn)
	if err != nil {
		t.Errorf("%s: purged, want kept: %v", e.Name, err)
		return
	}
	if got.Status != status {
		t.Errorf("%s: status %s, want %s", e.Name, got.Status, status)
	}
	if h := history(t, s, e.Arn); len(h) != n {
		t.Errorf("%s: %d events kept, want %d", e.Name, len(h), n)
	}
	if ins, err := s.Inputs(ctxT(t), e.Arn); err != nil || len(ins) == 0 {
		t.Errorf("%s: inputs %d, %v", e.Name, len(ins), err)
	}
}

func testPurgeClosed(t *testing.T, s store.Store) {
	if n := purge(t, s, at(1_000_000), 10); n != 0 {
		t.Fatalf("purge of an empty store = %d", n)
	}
	old := start(t, s, "old", at(0), 3)
	failed := start(t, s, "failed", at(1), 2)
	recent := start(t, s, "recent", at(2), 2)
	edge := start(t, s, "edge", at(3), 2)
	// Running for ages: never purged, whatever the cut-off.
	running := start(t, s, "running", at(-1_000_000), 4)
	must(t, "CommitStep running", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: running.Arn, Seq: 1, Input: []byte("2"),
		AddTimers: []store.Timer{{ExecutionArn: running.Arn, Ref: 1, Kind: store.TimerState, Due: at(50)}},
		AddTasks:  []store.Task{{Token: "running-task", ExecutionArn: running.Arn, Ref: 2, ActivityArn: "arn:act", Input: "{}", CreatedAt: at(0)}}}))
	must(t, "TagResource", s.TagResource(ctxT(t), store.TagResourceParams{Arn: old.Arn, Tags: map[string]string{"k": "v"}}))
	must(t, "TagResource", s.TagResource(ctxT(t), store.TagResourceParams{Arn: running.Arn, Tags: map[string]string{"k": "v"}}))
	end(t, s, old, 1, "SUCCEEDED", at(10))
	end(t, s, failed, 1, "FAILED", at(20))
	end(t, s, recent, 1, "ABORTED", at(40))
	end(t, s, edge, 1, "TIMED_OUT", at(30))
	// A timer set after the end (a heartbeat racing it) is left over.
	must(t, "SetTimer after end", s.SetTimer(ctxT(t), store.Timer{ExecutionArn: old.Arn, Ref: 9, Kind: store.TimerHeartbeat, Due: at(60)}))

	// Strictly before the cut-off: edge, ended at 30, stays.
	if n := purge(t, s, at(30), 10); n != 2 {
		t.Fatalf("purged %d, want 2 (old and failed)", n)
	}
	gone(t, s, old)
	gone(t, s, failed)
	kept(t, s, edge, "TIMED_OUT", 3)
	kept(t, s, recent, "ABORTED", 3)
	kept(t, s, running, "RUNNING", 4)
	if tms := timersOf(t, s, running.Arn); len(tms) != 1 {
		t.Errorf("running execution's timers = %+v", tms)
	}
	if task, err := s.GetTask(ctxT(t), "running-task"); err != nil || task.ExecutionArn != running.Arn {
		t.Errorf("running execution's task = %+v, %v", task, err)
	}
	if tags, err := s.ListTags(ctxT(t), running.Arn); err != nil || tags["k"] != "v" {
		t.Errorf("running execution's tags = %v, %v", tags, err)
	}
	es, _, err := s.ListExecutions(ctxT(t), store.ListExecutionsParams{StateMachineArn: smArn, Limit: 10})
	must(t, "ListExecutions", err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name)
	}
	if want := []string{"edge", "recent", "running"}; !slices.Equal(names, want) {
		t.Errorf("listed after purge: %v, want %v", names, want)
	}

	if n := purge(t, s, at(1_000_000), 10); n != 2 {
		t.Fatalf("second purge = %d, want 2 (edge and recent)", n)
	}
	gone(t, s, edge)
	gone(t, s, recent)
	kept(t, s, running, "RUNNING", 4)

	// A purged execution's ARN can be used again, from scratch.
	again := start(t, s, "old", at(100), 1)
	kept(t, s, again, "RUNNING", 1)
	if got := getExecution(t, s, again.Arn); got.Seq != 1 || got.Events != 1 {
		t.Errorf("restarted execution = %+v", got)
	}
	if ins, err := s.Inputs(ctxT(t), again.Arn); err != nil || len(ins) != 1 || ins[0].Seq != 1 {
		t.Errorf("restarted execution's inputs = %+v, %v; want its own one", ins, err)
	}
}

// testPurgeBatches purges in batches of Limit, the executions that ended
// first going first.
func testPurgeBatches(t *testing.T, s store.Store) {
	var es []*store.Execution
	for i := range 7 {
		e := start(t, s, fmt.Sprint("x", i), at(i), 1)
		es = append(es, e)
	}
	// Ended in another order than started.
	endAt := []int{50, 10, 70, 30, 20, 60, 40}
	for i, e := range es {
		end(t, s, e, 1, "SUCCEEDED", at(endAt[i]))
	}
	wantOrder := []int{1, 4, 3, 6, 0, 5, 2}
	for done, batch := 0, 0; done < len(es); batch++ {
		n := purge(t, s, at(1000), 3)
		if want := min(3, len(es)-done); n != want {
			t.Fatalf("batch %d purged %d, want %d", batch, n, want)
		}
		for _, i := range wantOrder[:done+n] {
			gone(t, s, es[i])
		}
		for _, i := range wantOrder[done+n:] {
			kept(t, s, es[i], "SUCCEEDED", 2)
		}
		done += n
	}
	if n := purge(t, s, at(1000), 3); n != 0 {
		t.Errorf("purge with nothing left = %d", n)
	}
}

// testPurgeWaitedOnChild keeps a child execution whose parent still waits
// for it (the parent's task, named by the child's ParentToken, is open),
// and purges it once the parent has its result or has ended.
func testPurgeWaitedOnChild(t *testing.T, s store.Store) {
	parent := start(t, s, "parent", at(0), 1)
	must(t, "parent waits", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: parent.Arn, Seq: 1, Input: []byte("2"),
		AddTasks: []store.Task{
			{Token: "wait-a", ExecutionArn: parent.Arn, Ref: 1, Input: "{}", CreatedAt: at(0)},
			{Token: "wait-b", ExecutionArn: parent.Arn, Ref: 2, Input: "{}", CreatedAt: at(0)},
		}}))
	child := func(name, token string) *store.Execution {
		e := execution(name, at(1))
		e.ParentToken = token
		startExecution(t, s, e, store.StepParams{Input: []byte("1"),
			Events: events(1, 1, at(1)), Final: &store.Final{Status: "SUCCEEDED", Output: "{}", StoppedAt: at(2)}})
		return e
	}
	a := child("child-a", "wait-a")
	b := child("child-b", "wait-b")
	orphan := child("orphan", "no-such-task") // its parent stopped waiting long ago

	if n := purge(t, s, at(1000), 10); n != 1 {
		t.Fatalf("purged %d, want 1 (the orphan)", n)
	}
	gone(t, s, orphan)
	kept(t, s, a, "SUCCEEDED", 1)
	kept(t, s, b, "SUCCEEDED", 1)

	// The parent takes a's result: a may go, b is still waited on.
	must(t, "parent takes a's result", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: parent.Arn, Seq: 2, Input: []byte("3"),
		CloseTasks: []string{"wait-a"}}))
	if n := purge(t, s, at(1000), 10); n != 1 {
		t.Fatalf("purged %d, want 1 (child a)", n)
	}
	gone(t, s, a)
	kept(t, s, b, "SUCCEEDED", 1)

	// The parent ends (its tasks with it): b may go; the parent itself
	// only once it ended before the cut-off.
	end(t, s, parent, 3, "ABORTED", at(500))
	if n := purge(t, s, at(400), 10); n != 1 {
		t.Fatalf("purged %d, want 1 (child b)", n)
	}
	gone(t, s, b)
	kept(t, s, parent, "ABORTED", 2)
	if n := purge(t, s, at(1000), 10); n != 1 {
		t.Fatalf("purged %d, want 1 (the parent)", n)
	}
	gone(t, s, parent)
}
