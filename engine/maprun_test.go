package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
	"github.com/statecraft/statecraft/taskport"
)

const dmapDef = `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"End":true,
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
		"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + actArn + `","End":true}}}}}}`

func (h *harness) mapRun(execArn string) *store.MapRun {
	h.t.Helper()
	runs, _, err := h.st.ListMapRuns(context.Background(), store.ListMapRunsParams{ExecutionArn: execArn, Limit: 10})
	if err != nil || len(runs) != 1 {
		h.t.Fatalf("ListMapRuns: %d runs, %v", len(runs), err)
	}
	return runs[0]
}

func (h *harness) queued() int64 {
	h.t.Helper()
	n, err := h.st.QueuedTasks(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return n[actArn]
}

// TestUpdateMapRunSurvivesRestart: an UpdateMapRun is an input of the
// parent, so a new engine on the same store replays it (the Map Run keeps
// its raised MaxConcurrency) and writes no Map Run row twice.
func TestUpdateMapRunSurvivesRestart(t *testing.T) {
	st := memstore.New()
	h1 := newHarness(t, st)
	sm := h1.machine(dmapDef)
	ctx := context.Background()
	rec, err := h1.eng.StartExecution(ctx, sm, "m", input(`[1,2,3,4]`), "")
	if err != nil {
		t.Fatal(err)
	}
	run := h1.mapRun(rec.Arn)
	if run.Status != "RUNNING" || run.ExecutionCounts.Running != 1 || h1.queued() != 1 {
		t.Fatalf("Map Run at start: %+v, %d queued", run, h1.queued())
	}
	if err := h1.eng.UpdateMapRun(ctx, interp.MapRunUpdate{Arn: run.Arn, MaxConcurrency: new(int64(2))}); err != nil {
		t.Fatal(err)
	}
	if run = h1.mapRun(rec.Arn); run.MaxConcurrency != 2 || run.ExecutionCounts.Running != 2 || h1.queued() != 2 {
		t.Fatalf("after UpdateMapRun: %+v, %d queued", run, h1.queued())
	}
	h1.stop()

	h2 := newHarness(t, st)
	for range 4 {
		task, err := h2.eng.GetActivityTask(ctx, actArn, "w", 10*time.Second)
		if err != nil || task == nil {
			t.Fatalf("no task: %v", err)
		}
		// The replayed Map Run still allows two children at once.
		if run := h2.mapRun(rec.Arn); run.ExecutionCounts.Running > 2 {
			t.Fatalf("replayed Map Run runs %d children", run.ExecutionCounts.Running)
		}
		if err := h2.eng.SendTaskSuccess(ctx, task.Token, `1`); err != nil {
			t.Fatal(err)
		}
	}
	rec = h2.wait(rec.Arn)
	run = h2.mapRun(rec.Arn)
	if rec.Status != "SUCCEEDED" || run.Status != "SUCCEEDED" || run.ExecutionCounts.Succeeded != 4 || run.MaxConcurrency != 2 {
		t.Fatalf("at the end: %s, %+v", rec.Status, run)
	}
	kids, _, err := st.ListMapRunExecutions(ctx, store.ListMapRunExecutionsParams{MapRunArn: run.Arn, Limit: 100})
	if err != nil || len(kids) != 4 {
		t.Fatalf("%d children, %v", len(kids), err)
	}
	for _, k := range kids {
		if k.Status != "SUCCEEDED" || k.StoppedAt.IsZero() {
			t.Fatalf("child %+v", k)
		}
	}
	if err := h2.eng.UpdateMapRun(ctx, interp.MapRunUpdate{Arn: run.Arn, MaxConcurrency: new(int64(3))}); !errors.Is(err, ErrMapRunCompleted) {
		t.Fatalf("update of a completed Map Run: %v", err)
	}
	if err := h2.eng.UpdateMapRun(ctx, interp.MapRunUpdate{Arn: run.Arn + "x"}); !errors.Is(err, ErrMapRunDoesNotExist) {
		t.Fatalf("update of no Map Run: %v", err)
	}
}

// TestStopAbortsMapRun: stopping the parent aborts its Map Run and the
// children that were running.
func TestStopAbortsMapRun(t *testing.T) {
	h := newHarness(t, memstore.New())
	sm := h.machine(dmapDef)
	ctx := context.Background()
	rec, err := h.eng.StartExecution(ctx, sm, "s", input(`[1,2,3]`), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.StopExecution(ctx, rec.Arn, "E", "stopped"); err != nil {
		t.Fatal(err)
	}
	h.wait(rec.Arn)
	run := h.mapRun(rec.Arn)
	if run.Status != "ABORTED" || run.StoppedAt.IsZero() || run.ExecutionCounts.Aborted != 1 || run.ExecutionCounts.Pending != 2 {
		t.Fatalf("Map Run after stop: %+v", run)
	}
}

// newOptsHarness is newHarness with an engine made with opts.
func newOptsHarness(t *testing.T, st store.Store, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, st: st, eng: New(st, opts), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { _ = h.eng.Run(ctx); close(h.done) }()
	t.Cleanup(h.stop)
	return h
}

const expressMapDef = `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
		"StartAt":"F","States":{"F":{"Type":"Task","Resource":"` + fnArn + `","End":true}}}}}}`

// TestExpressMapChildrenSurviveRestart: the Express children of a
// Distributed Map run inside their STANDARD parent, so a server that
// stops while they run loses neither: the next one runs what they were
// waiting for again (at least once) and the parent finishes.
func TestExpressMapChildrenSurviveRestart(t *testing.T) {
	old := invokeWatch
	invokeWatch = 500 * time.Millisecond
	defer func() { invokeWatch = old }()
	st := memstore.New()
	started := make(chan struct{})
	var once sync.Once
	stuck := taskport.Func(func(ctx context.Context, req taskport.Request) (any, error) {
		once.Do(func() { close(started) })
		<-ctx.Done()
		return nil, ctx.Err()
	})
	h1 := newOptsHarness(t, st, Options{Tasks: stuck})
	sm := h1.machine(expressMapDef)
	rec, err := h1.eng.StartExecution(context.Background(), sm, "x", input(`[1,2]`), "")
	if err != nil {
		t.Fatal(err)
	}
	<-started
	h1.stop()

	ok := taskport.Func(func(ctx context.Context, req taskport.Request) (any, error) { return req.Input, nil })
	h2 := newOptsHarness(t, st, Options{Tasks: ok})
	rec = h2.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" || rec.Output != `[1,2]` {
		t.Fatalf("parent: %s %s %s", rec.Status, rec.Output, rec.Error)
	}
	if run := h2.mapRun(rec.Arn); run.Status != "SUCCEEDED" || run.ExecutionCounts.Succeeded != 2 || run.ExecutionCounts.Running != 0 {
		t.Fatalf("Map Run: %+v", run)
	}
}

// TestExpressMapChildLimitAfterRestart: an Express child's time limit is
// a timer of its parent, stored with it, so it still fires after a
// restart: the child times out (States.Timeout) and, none tolerated, its
// Map fails with that error.
func TestExpressMapChildLimitAfterRestart(t *testing.T) {
	st := memstore.New()
	h1 := newOptsHarness(t, st, Options{ExpressLimit: time.Second})
	sm := h1.machine(`{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
			"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}}}}`)
	rec, err := h1.eng.StartExecution(context.Background(), sm, "x", input(`[1]`), "")
	if err != nil {
		t.Fatal(err)
	}
	if run := h1.mapRun(rec.Arn); run.ExecutionCounts.Running != 1 {
		t.Fatalf("Map Run at start: %+v", run)
	}
	h1.stop()

	h2 := newOptsHarness(t, st, Options{})
	rec = h2.wait(rec.Arn)
	if rec.Status != "FAILED" || rec.Error != "States.Timeout" {
		t.Fatalf("parent: %s %s %s", rec.Status, rec.Error, rec.Cause)
	}
	if run := h2.mapRun(rec.Arn); run.Status != "FAILED" || run.ExecutionCounts.TimedOut != 1 {
		t.Fatalf("Map Run: %+v", run)
	}
}

// TestRedrivePendingSurvivesRestart: a redrive that holds children back
// for MaxConcurrency (PENDING_REDRIVE) is rebuilt by a new engine's
// replay: the child waiting starts when the running one finishes, and no
// more children run at once than the limit.
func TestRedrivePendingSurvivesRestart(t *testing.T) {
	st := memstore.New()
	h1 := newHarness(t, st)
	sm := h1.machine(`{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"ToleratedFailureCount":1,"End":true,
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
		"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + actArn + `","End":true}}}}}}`)
	ctx := context.Background()
	rec, err := h1.eng.StartExecution(ctx, sm, "p", input(`[1,2]`), "")
	if err != nil {
		t.Fatal(err)
	}
	take := func(h *harness) *store.Task {
		t.Helper()
		task, err := h.eng.GetActivityTask(ctx, actArn, "w", 10*time.Second)
		if err != nil || task == nil {
			t.Fatalf("no task: %v", err)
		}
		return task
	}
	for range 2 {
		if err := h1.eng.SendTaskFailure(ctx, take(h1).Token, "Boom", ""); err != nil {
			t.Fatal(err)
		}
	}
	if rec = h1.wait(rec.Arn); rec.Status != "FAILED" {
		t.Fatalf("parent: %s", rec.Status)
	}
	if _, err := h1.eng.RedriveExecution(ctx, rec.Arn, ""); err != nil {
		t.Fatal(err)
	}
	run := h1.mapRun(rec.Arn)
	if run.ExecutionCounts.Running != 1 || run.ExecutionCounts.PendingRedrive != 1 || run.ExecutionCounts.Failed != 0 {
		t.Fatalf("redriven Map Run: %+v", run.ExecutionCounts)
	}
	h1.stop()

	h2 := newHarness(t, st)
	for range 2 {
		task := take(h2)
		if run := h2.mapRun(rec.Arn); run.ExecutionCounts.Running != 1 {
			t.Fatalf("replayed Map Run runs %d children", run.ExecutionCounts.Running)
		}
		if err := h2.eng.SendTaskSuccess(ctx, task.Token, `1`); err != nil {
			t.Fatal(err)
		}
	}
	rec = h2.wait(rec.Arn)
	run = h2.mapRun(rec.Arn)
	if rec.Status != "SUCCEEDED" || run.ExecutionCounts.Succeeded != 2 || run.ExecutionCounts.PendingRedrive != 0 {
		t.Fatalf("at the end: %s %+v", rec.Status, run.ExecutionCounts)
	}
}
