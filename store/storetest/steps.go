package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/statecraft/statecraft/store"
)

// exerciseSteps checks CommitStep: what a step writes, in what order, and
// that a step is refused whole when it conflicts, alone or under
// concurrent writers.
func exerciseSteps(t *testing.T, open func(*testing.T) store.Store) {
	run(t, open, []test{
		{"Events", testCommitStepEvents},
		{"WithoutInput", testCommitStepWithoutInput},
		{"Timers", testCommitStepTimers},
		{"Tasks", testCommitStepTasks},
		{"DuplicateToken", testCommitStepDuplicateToken},
		{"PartsAreTheStepsExecution", testCommitStepPartsAreTheStepsExecution},
		{"Final", testCommitStepFinal},
		{"Transitions", testCommitStepTransitions},
		{"FinalStatus", testCommitStepFinalStatus},
		{"StaleSeq", testCommitStepStaleSeq},
		{"Missing", testCommitStepMissing},
		{"Atomic", testCommitStepAtomic},
		{"Concurrent/ManyExecutions", testConcurrencyManyExecutions},
		{"Concurrent/SameSeq", testConcurrencySameSeq},
		{"Concurrent/MixedConflicts", testConcurrencyMixedConflicts},
		{"Queued/InOrder", testQueueStepInOrder},
		{"Queued/RefusedBehindRefused", testQueueStepRefusedBehindRefused},
		{"Queued/Deferred", testQueueStepDeferred},
	})
}

// stepQueue is s as a store.StepQueue; the test is skipped for a store
// that does not queue steps.
func stepQueue(t *testing.T, s store.Store) store.StepQueue {
	q, ok := s.(store.StepQueue)
	if !ok {
		t.Skip("the store does not queue steps")
	}
	return q
}

// A step queued behind another, before that one has committed, commits
// after it.
func testQueueStepInOrder(t *testing.T, s store.Store) {
	sq := stepQueue(t, s)
	e := start(t, s, "x", at(0), 1)
	q1, q2 := store.NewQueuedStep(), store.NewQueuedStep()
	sq.QueueStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte("a"), Events: events(2, 1, at(1))}, nil, q1)
	sq.QueueStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte("b"), Events: events(3, 1, at(2))}, q1, q2)
	must(t, "first", q1.Wait())
	must(t, "second", q2.Wait())
	got := getExecution(t, s, e.Arn)
	if got.Seq != 3 || got.Events != 3 {
		t.Errorf("Seq, Events = %d, %d, want 3, 3", got.Seq, got.Events)
	}
}

// A deferred step commits, alone or with a step queued behind it.
func testQueueStepDeferred(t *testing.T, s store.Store) {
	sq := stepQueue(t, s)
	e := start(t, s, "x", at(0), 1)
	alone := store.NewDeferredStep()
	if !alone.Deferred() || store.NewQueuedStep().Deferred() {
		t.Fatal("Deferred does not tell NewDeferredStep's steps from NewQueuedStep's")
	}
	sq.QueueStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte("a"), Events: events(2, 1, at(1))}, nil, alone)
	must(t, "deferred step alone", alone.Wait())
	q1, q2 := store.NewDeferredStep(), store.NewQueuedStep()
	sq.QueueStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte("b"), Events: events(3, 1, at(2))}, nil, q1)
	sq.QueueStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Input: []byte("c"), Events: events(4, 1, at(3))}, q1, q2)
	must(t, "deferred step", q1.Wait())
	must(t, "step behind it", q2.Wait())
	if got := getExecution(t, s, e.Arn); got.Seq != 4 || got.Events != 4 {
		t.Errorf("Seq, Events = %d, %d, want 4, 4", got.Seq, got.Events)
	}
}

// A step queued behind one that is refused is refused too, even when
// another step has meanwhile brought the execution to the Seq it names.
func testQueueStepRefusedBehindRefused(t *testing.T, s store.Store) {
	sq := stepQueue(t, s)
	e := start(t, s, "x", at(0), 1)
	refused, other, behind := store.NewQueuedStep(), store.NewQueuedStep(), store.NewQueuedStep()
	sq.QueueStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 0, Input: []byte("a"), Events: events(2, 1, at(1))}, nil, refused)
	sq.QueueStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte("c"), Events: events(2, 1, at(1))}, nil, other)
	sq.QueueStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte("b"), Events: events(3, 1, at(2))}, refused, behind)
	if err := refused.Wait(); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale step: %v, want ErrConflict", err)
	}
	must(t, "the other copy's step", other.Wait())
	if err := behind.Wait(); !errors.Is(err, store.ErrConflict) {
		t.Errorf("step behind the refused one: %v, want ErrConflict", err)
	}
	got := getExecution(t, s, e.Arn)
	if got.Seq != 2 || got.Events != 2 {
		t.Errorf("Seq, Events = %d, %d, want 2, 2", got.Seq, got.Events)
	}
	ins, err := s.Inputs(ctxT(t), e.Arn)
	must(t, "Inputs", err)
	if len(ins) != 2 || string(ins[1].Body) != "c" {
		t.Errorf("Inputs = %+v, want the start's and c", ins)
	}
}

func testCommitStepEvents(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 2)
	must(t, "CommitStep 1", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("a"), Events: events(3, 3, at(1)),
	}))
	must(t, "CommitStep 2", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 2, Input: []byte("b"), Events: events(6, 1, at(2)),
	}))
	got := getExecution(t, s, e.Arn)
	if got.Seq != 3 || got.Events != 6 {
		t.Errorf("Seq, Events = %d, %d, want 3, 6", got.Seq, got.Events)
	}
	if h := ids(history(t, s, e.Arn)); !slices.Equal(h, []int64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("history ids = %v", h)
	}
}

func testCommitStepWithoutInput(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Events: events(2, 2, at(1)),
	}))
	got := getExecution(t, s, e.Arn)
	if got.Seq != 1 || got.Events != 3 {
		t.Errorf("Seq, Events = %d, %d, want 1, 3", got.Seq, got.Events)
	}
	ins, err := s.Inputs(ctxT(t), e.Arn)
	must(t, "Inputs", err)
	if len(ins) != 1 {
		t.Errorf("Inputs = %+v, want only the first", ins)
	}
}

func testCommitStepTimers(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	tm := func(ref int64, kind string, due int) store.Timer {
		return store.Timer{ExecutionArn: e.Arn, Ref: ref, Kind: kind, Due: at(due)}
	}
	must(t, "add", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTimers: []store.Timer{tm(1, store.TimerState, 10), tm(2, store.TimerTask, 20), tm(2, store.TimerHeartbeat, 5)},
	}))
	if got := timersOf(t, s, e.Arn); len(got) != 3 {
		t.Fatalf("timers = %+v, want 3", got)
	}
	// Delete matches (Ref, Kind) whatever the Due given; the same ref of
	// another kind stays. Deleting and re-adding in one step keeps it.
	must(t, "delete", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"),
		DeleteTimers: []store.Timer{tm(2, store.TimerTask, 999), tm(1, store.TimerState, 0)},
		AddTimers:    []store.Timer{tm(1, store.TimerState, 15)},
	}))
	got := timersOf(t, s, e.Arn)
	if len(got) != 2 || got[0].Ref != 2 || got[0].Kind != store.TimerHeartbeat ||
		got[1].Ref != 1 || got[1].Kind != store.TimerState {
		t.Fatalf("timers = %+v, want heartbeat 2 then state 1", got)
	}
	checkTime(t, "re-added Due", got[1].Due, at(15))
	// Adding an existing timer moves it.
	must(t, "move", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 3, Input: []byte("3"),
		AddTimers: []store.Timer{tm(2, store.TimerHeartbeat, 50)},
	}))
	got = timersOf(t, s, e.Arn)
	if len(got) != 2 || got[1].Kind != store.TimerHeartbeat {
		t.Fatalf("timers = %+v", got)
	}
	checkTime(t, "moved Due", got[1].Due, at(50))
}

func testCommitStepTasks(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	task := func(tok string) store.Task {
		return store.Task{Token: tok, ExecutionArn: e.Arn, Ref: 3, Input: "{}", CreatedAt: at(1)}
	}
	must(t, "add", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTasks: []store.Task{task("cb-1"), task("cb-2")},
	}))
	for _, tok := range []string{"cb-1", "cb-2"} {
		got, err := s.GetTask(ctxT(t), tok)
		must(t, "GetTask "+tok, err)
		if got.ActivityArn != "" || got.ExecutionArn != e.Arn {
			t.Errorf("GetTask %s = %+v", tok, got)
		}
	}
	must(t, "close", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"),
		CloseTasks: []string{"cb-1", "never-existed"},
	}))
	_, err := s.GetTask(ctxT(t), "cb-1")
	checkErr(t, "GetTask closed", err, store.ErrNotFound)
	_, err = s.GetTask(ctxT(t), "cb-2")
	must(t, "GetTask still open", err)
}

func testCommitStepFinal(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState, Due: at(100)}},
		AddTasks:  []store.Task{{Token: "tok", ExecutionArn: e.Arn, Ref: 1, ActivityArn: "arn:act", CreatedAt: at(1)}},
	}))
	must(t, "final CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"), Events: events(2, 1, at(2)),
		Final: &store.Final{
			Status: "FAILED", Error: "States.TaskFailed", HasError: true,
			Cause: "", HasCause: true, StoppedAt: at(2),
		},
	}))
	got := getExecution(t, s, e.Arn)
	if got.Status != "FAILED" || got.Error != "States.TaskFailed" || !got.HasError ||
		got.Cause != "" || !got.HasCause || got.Output != "" || got.Seq != 3 || got.Events != 2 {
		t.Errorf("ended execution = %+v", got)
	}
	checkTime(t, "StoppedAt", got.StoppedAt, at(2))
	if tms := timersOf(t, s, e.Arn); len(tms) != 0 {
		t.Errorf("ended execution keeps timers %+v", tms)
	}
	_, err := s.GetTask(ctxT(t), "tok")
	checkErr(t, "GetTask of an ended execution", err, store.ErrNotFound)
	// Nothing more can be committed to it, even at its current Seq: not a
	// step, not a second ending.
	err = s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Input: []byte("3"), Events: events(3, 1, at(3))})
	checkErr(t, "step after end", err, store.ErrConflict)
	err = s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Events: events(3, 1, at(3)),
		Final: &store.Final{Status: "ABORTED", StoppedAt: at(3)}})
	checkErr(t, "second ending", err, store.ErrConflict)
	if got := getExecution(t, s, e.Arn); got.Seq != 3 || got.Events != 2 || got.Status != "FAILED" {
		t.Errorf("after refused step = %+v", got)
	}
}

func testCommitStepStaleSeq(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"), Events: events(2, 1, at(1)),
		AddTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState, Due: at(10)}},
		AddTasks:  []store.Task{{Token: "keep", ExecutionArn: e.Arn, Ref: 1, ActivityArn: "arn:act", CreatedAt: at(1)}},
	}))
	for _, seq := range []int64{1, 0, 5} {
		err := s.CommitStep(ctxT(t), store.StepParams{
			ExecutionArn: e.Arn, Seq: seq, Input: []byte("stale"), Events: events(3, 2, at(2)),
			AddTimers:    []store.Timer{{ExecutionArn: e.Arn, Ref: 9, Kind: store.TimerState, Due: at(1)}},
			DeleteTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState}},
			AddTasks:     []store.Task{{Token: "stale", ExecutionArn: e.Arn, Ref: 2, CreatedAt: at(2)}},
			CloseTasks:   []string{"keep"},
			Final:        &store.Final{Status: "SUCCEEDED", StoppedAt: at(2)},
		})
		checkErr(t, fmt.Sprintf("CommitStep with Seq %d", seq), err, store.ErrConflict)
	}
	got := getExecution(t, s, e.Arn)
	if got.Seq != 2 || got.Events != 2 || got.Status != "RUNNING" {
		t.Errorf("after conflicts = %+v", got)
	}
	if h := ids(history(t, s, e.Arn)); !slices.Equal(h, []int64{1, 2}) {
		t.Errorf("history ids = %v", h)
	}
	ins, err := s.Inputs(ctxT(t), e.Arn)
	must(t, "Inputs", err)
	if len(ins) != 2 {
		t.Errorf("Inputs = %d, want 2", len(ins))
	}
	if tms := timersOf(t, s, e.Arn); len(tms) != 1 || tms[0].Ref != 1 {
		t.Errorf("timers = %+v", tms)
	}
	_, err = s.GetTask(ctxT(t), "keep")
	must(t, "GetTask keep", err)
	_, err = s.GetTask(ctxT(t), "stale")
	checkErr(t, "GetTask stale", err, store.ErrNotFound)
}

// testCommitStepAtomic has a step fail after some of its rows would have
// been written: an event whose ID is already in the history.
func testCommitStepAtomic(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 2)
	err := s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		Events:    append(events(3, 2, at(1)), events(2, 1, at(1))...),
		AddTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState, Due: at(10)}},
		AddTasks:  []store.Task{{Token: "tok", ExecutionArn: e.Arn, Ref: 1, CreatedAt: at(1)}},
	})
	checkErr(t, "a step repeating an event ID", err, store.ErrConflict)
	got := getExecution(t, s, e.Arn)
	if got.Seq != 1 || got.Events != 2 {
		t.Errorf("after failed step Seq, Events = %d, %d, want 1, 2", got.Seq, got.Events)
	}
	if h := ids(history(t, s, e.Arn)); !slices.Equal(h, []int64{1, 2}) {
		t.Errorf("history ids = %v", h)
	}
	if ins, _ := s.Inputs(ctxT(t), e.Arn); len(ins) != 1 {
		t.Errorf("Inputs = %+v", ins)
	}
	if tms := timersOf(t, s, e.Arn); len(tms) != 0 {
		t.Errorf("timers = %+v", tms)
	}
	_, err = s.GetTask(ctxT(t), "tok")
	checkErr(t, "GetTask", err, store.ErrNotFound)
	// The execution is not damaged: the same Seq commits now.
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"), Events: events(3, 1, at(1)),
	}))
}

func testCommitStepMissing(t *testing.T, s store.Store) {
	err := s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: "arn:nope", Seq: 0, Input: []byte("1")})
	checkErr(t, "CommitStep", err, store.ErrNotFound)
}

func testConcurrencyManyExecutions(t *testing.T, s store.Store) {
	const n, steps = 50, 4
	var es []*store.Execution
	for i := range n {
		es = append(es, start(t, s, fmt.Sprint("x", i), at(i), 1))
	}
	var wg sync.WaitGroup
	for i, e := range es {
		wg.Go(func() {
			for k := range int64(steps) {
				err := s.CommitStep(ctxT(t), store.StepParams{
					ExecutionArn: e.Arn, Seq: 1 + k, Input: []byte(fmt.Sprint(k)),
					Events:    events(int(2+3*k), 3, at(i)),
					AddTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState, Due: at(100 + i)}},
				})
				if err != nil {
					t.Errorf("CommitStep %s step %d: %v", e.Name, k, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, e := range es {
		got := getExecution(t, s, e.Arn)
		if got.Seq != 1+steps || got.Events != 1+3*steps {
			t.Errorf("%s: Seq, Events = %d, %d, want %d, %d", e.Name, got.Seq, got.Events, 1+steps, 1+3*steps)
		}
		if n := len(history(t, s, e.Arn)); n != 1+3*steps {
			t.Errorf("%s: %d events stored", e.Name, n)
		}
	}
}

func testConcurrencySameSeq(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	for round := range int64(10) {
		seq := 1 + round
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Go(func() {
				errs[g] = s.CommitStep(ctxT(t), store.StepParams{
					ExecutionArn: e.Arn, Seq: seq, Input: []byte(fmt.Sprint(g)),
					Events: events(int(2+seq), 1, at(1)),
				})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrConflict):
				t.Fatalf("round %d: %v, want nil or ErrConflict", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d commits succeeded, want 1 (errs %v)", round, ok, errs)
		}
	}
	got := getExecution(t, s, e.Arn)
	if got.Seq != 11 || got.Events != 11 {
		t.Errorf("Seq, Events = %d, %d, want 11, 11", got.Seq, got.Events)
	}
}

// testConcurrencyMixedConflicts has winners and losers commit at the same
// time, so a driver that batches commits must fail the losers alone.
func testConcurrencyMixedConflicts(t *testing.T, s store.Store) {
	const n = 20
	var es []*store.Execution
	for i := range n {
		es = append(es, start(t, s, fmt.Sprint("x", i), at(i), 1))
	}
	errs := make([][2]error, n)
	var wg sync.WaitGroup
	for i, e := range es {
		for g := range 2 {
			wg.Go(func() {
				errs[i][g] = s.CommitStep(ctxT(t), store.StepParams{
					ExecutionArn: e.Arn, Seq: 1, Input: []byte(fmt.Sprint(g)),
					Events:    events(2, 1+g, at(1)), // loser and winner differ in event count
					AddTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: int64(g), Kind: store.TimerState, Due: at(50)}},
				})
			})
		}
	}
	wg.Wait()
	for i, e := range es {
		winner := -1
		for g, err := range errs[i] {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("%s: both commits succeeded", e.Name)
				}
				winner = g
			case !errors.Is(err, store.ErrConflict):
				t.Fatalf("%s: %v", e.Name, err)
			}
		}
		if winner < 0 {
			t.Fatalf("%s: no commit succeeded: %v", e.Name, errs[i])
		}
		got := getExecution(t, s, e.Arn)
		if got.Seq != 2 || got.Events != int64(2+winner) {
			t.Errorf("%s: Seq, Events = %d, %d, want 2, %d", e.Name, got.Seq, got.Events, 2+winner)
		}
		ins, err := s.Inputs(ctxT(t), e.Arn)
		must(t, "Inputs", err)
		if len(ins) != 2 || string(ins[1].Body) != fmt.Sprint(winner) {
			t.Errorf("%s: inputs %+v, want the winner's", e.Name, ins)
		}
		tms := timersOf(t, s, e.Arn)
		if len(tms) != 1 || tms[0].Ref != int64(winner) {
			t.Errorf("%s: timers %+v, want only the winner's", e.Name, tms)
		}
	}
}

// testCommitStepDuplicateToken adds a task whose token is open already,
// in this execution or another: the step conflicts and writes nothing.
func testCommitStepDuplicateToken(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	other := start(t, s, "y", at(0), 1)
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTasks: []store.Task{{Token: "tok", Ref: 1, ActivityArn: "arn:act", Input: "{}", CreatedAt: at(1)}}}))
	for _, x := range []*store.Execution{e, other} {
		seq := getExecution(t, s, x.Arn).Seq
		err := s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: x.Arn, Seq: seq, Input: []byte("again"),
			Events:   events(2, 1, at(2)),
			AddTasks: []store.Task{{Token: "tok", Ref: 2, Input: "{}", CreatedAt: at(2)}}})
		checkErr(t, "adding an open token to "+x.Name, err, store.ErrConflict)
		if got := getExecution(t, s, x.Arn); got.Seq != seq || got.Events != 1 {
			t.Errorf("%s after the refused step: Seq, Events = %d, %d", x.Name, got.Seq, got.Events)
		}
	}
	task, err := s.GetTask(ctxT(t), "tok")
	must(t, "GetTask", err)
	if task.ExecutionArn != e.Arn || task.Ref != 1 {
		t.Errorf("the open task became %+v", task)
	}
}

// testCommitStepPartsAreTheStepsExecution adds timers and tasks that name
// another execution (or none): they are stored as the step's.
func testCommitStepPartsAreTheStepsExecution(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 0)
	other := start(t, s, "y", at(0), 0)
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTimers: []store.Timer{
			{ExecutionArn: other.Arn, Ref: 1, Kind: store.TimerState, Due: at(5)},
			{Ref: 2, Kind: store.TimerState, Due: at(6)},
		},
		AddTasks: []store.Task{{Token: "tok", ExecutionArn: other.Arn, Ref: 3, Input: "{}", CreatedAt: at(1)}}}))
	if tms := timersOf(t, s, e.Arn); len(tms) != 2 {
		t.Errorf("the step's execution has timers %+v, want 2", tms)
	}
	if tms := timersOf(t, s, other.Arn); len(tms) != 0 {
		t.Errorf("the other execution has timers %+v", tms)
	}
	task, err := s.GetTask(ctxT(t), "tok")
	must(t, "GetTask", err)
	if task.ExecutionArn != e.Arn {
		t.Errorf("task stored under %s, want %s", task.ExecutionArn, e.Arn)
	}
	// DeleteTimers too match the step's execution's timers.
	must(t, "CommitStep delete", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"),
		DeleteTimers: []store.Timer{{ExecutionArn: other.Arn, Ref: 1, Kind: store.TimerState}}}))
	if tms := timersOf(t, s, e.Arn); len(tms) != 1 || tms[0].Ref != 2 {
		t.Errorf("after deleting ref 1: %+v", tms)
	}
}

// testCommitStepFinalStatus ends an execution with statuses an execution
// cannot end with: each step fails and writes nothing.
func testCommitStepFinalStatus(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	for _, status := range []string{"", "RUNNING", "DONE", "succeeded"} {
		err := s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte("2"),
			Events: events(2, 1, at(1)), Final: &store.Final{Status: status, StoppedAt: at(1)}})
		if err == nil {
			t.Errorf("ending with status %q succeeded", status)
		}
		if got := getExecution(t, s, e.Arn); got.Status != "RUNNING" || got.Seq != 1 || got.Events != 1 {
			t.Fatalf("after ending with %q: %+v", status, got)
		}
	}
	for _, status := range []string{"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"} {
		x := start(t, s, "end-"+status, at(0), 1)
		end(t, s, x, 1, status, at(2))
		if got := getExecution(t, s, x.Arn); got.Status != status {
			t.Errorf("ended as %s, stored %s", status, got.Status)
		}
	}
}

// testCommitStepTransitions checks that the billed transitions a step
// names are stored with the execution, in the start, in later steps and in
// the final one, and that a step naming fewer (one that only claims a task)
// leaves the count as it is.
func testCommitStepTransitions(t *testing.T, s store.Store) {
	e := execution("x", at(0))
	startExecution(t, s, e, store.StepParams{Input: []byte(`"start"`), Events: events(1, 2, at(0)), Transitions: 2})
	if got := getExecution(t, s, e.Arn).Transitions; got != 2 {
		t.Fatalf("Transitions after start = %d, want 2", got)
	}
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("a"), Events: events(3, 1, at(1)), Transitions: 5,
	}))
	must(t, "CommitStep without a count", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2}))
	if got := getExecution(t, s, e.Arn).Transitions; got != 5 {
		t.Fatalf("Transitions after a step without a count = %d, want 5", got)
	}
	must(t, "end", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte("b"),
		Events: events(4, 1, at(2)), Transitions: 7, Final: &store.Final{Status: "SUCCEEDED", Output: "{}", StoppedAt: at(2)}}))
	got := getExecution(t, s, e.Arn)
	if got.Transitions != 7 {
		t.Errorf("Transitions after the end = %d, want 7", got.Transitions)
	}
	list, _, err := s.ListExecutions(ctxT(t), store.ListExecutionsParams{StateMachineArn: e.StateMachineArn, Limit: 10})
	must(t, "ListExecutions", err)
	if len(list) != 1 || list[0].Transitions != 7 {
		t.Errorf("ListExecutions = %+v, want the execution with 7 transitions", list)
	}
}
