package engine

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
	"github.com/statecraft/statecraft/store/sqlite"
	"github.com/statecraft/statecraft/taskport"
)

const writerDef = `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"End":true,
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
		"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + actArn + `","End":true}}},
	"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"res"}}}}}`

// TestAfterEndWriteSurvivesRestart: StopExecution ends a parent whose
// Distributed Map has a ResultWriter at once, and owes the aborted Map
// Run's export. The engine dies while writing (its object store never
// answers); a new engine on the same SQLite database does the write, with
// the child that succeeded, the one the stop aborted and the item never
// started, then records it: the Map Run counts the results written, the
// owed timer is gone, and the execution is as the stop left it.
func TestAfterEndWriteSurvivesRestart(t *testing.T) {
	old := invokeWatch
	invokeWatch = 200 * time.Millisecond // the watchdog that rewrites after the restart
	t.Cleanup(func() { invokeWatch = old })
	path := filepath.Join(t.TempDir(), "db")
	ctx := context.Background()

	st1, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	called := make(chan struct{}, 8)
	hang := taskport.Func(func(ctx context.Context, req taskport.Request) (any, error) {
		called <- struct{}{}
		<-ctx.Done() // the process dies before the store answers
		return nil, ctx.Err()
	})
	h1 := &harness{t: t, st: st1, eng: New(st1, Options{Items: hang}), done: make(chan struct{})}
	runCtx, cancel := context.WithCancel(ctx)
	h1.cancel = cancel
	go func() { _ = h1.eng.Run(runCtx); close(h1.done) }()
	sm := h1.machine(writerDef)
	rec, err := h1.eng.StartExecution(ctx, sm, "p", input(`[1,2,3]`), "")
	if err != nil {
		t.Fatal(err)
	}
	task, err := h1.eng.GetActivityTask(ctx, actArn, "w", 10*time.Second)
	if err != nil || task == nil {
		t.Fatalf("no task: %v", err)
	}
	if err := h1.eng.SendTaskSuccess(ctx, task.Token, `"one"`); err != nil {
		t.Fatal(err)
	}
	if task, err = h1.eng.GetActivityTask(ctx, actArn, "w", 10*time.Second); err != nil || task == nil {
		t.Fatalf("no second task: %v", err)
	}
	stopped, err := h1.eng.StopExecution(ctx, rec.Arn, "Halt", "")
	if err != nil {
		t.Fatal(err)
	}
	if stopped.Status != "ABORTED" || stopped.StoppedAt.IsZero() {
		t.Fatalf("after StopExecution: %s, stopped at %v", stopped.Status, stopped.StoppedAt)
	}
	<-called // the write began, and never ends
	h1.stop()
	if err := st1.Close(); err != nil {
		t.Fatal(err)
	}

	st2, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	if timers := afterEndTimers(t, st2, rec.Arn); len(timers) != 1 {
		t.Fatalf("owed writes after the crash: %+v", timers)
	}
	run, _, err := st2.ListMapRuns(ctx, store.ListMapRunsParams{ExecutionArn: rec.Arn, Limit: 1})
	if err != nil || len(run) != 1 || run[0].Status != "ABORTED" || run[0].ExecutionCounts.ResultsWritten != 0 {
		t.Fatalf("Map Run before the write: %+v %v", run, err)
	}
	var mu sync.Mutex
	var reqs []taskport.Request
	write := taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		reqs = append(reqs, req)
		return map[string]any{"Bucket": "out", "Key": "res/manifest.json"}, nil
	})
	h2 := &harness{t: t, st: st2, eng: New(st2, Options{Items: write}), done: make(chan struct{})}
	runCtx, cancel = context.WithCancel(ctx)
	h2.cancel = cancel
	go func() { _ = h2.eng.Run(runCtx); close(h2.done) }()
	t.Cleanup(h2.stop)
	var r *store.MapRun
	for i := 0; ; i++ {
		if r, err = st2.GetMapRun(ctx, run[0].Arn); err != nil {
			t.Fatal(err)
		}
		if r.ExecutionCounts.ResultsWritten != 0 {
			break
		}
		if i == 6000 {
			t.Fatalf("the owed write was never done after the restart: %+v", r)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r.ExecutionCounts.ResultsWritten != 2 || r.ItemCounts.ResultsWritten != 2 || r.Status != "ABORTED" {
		t.Fatalf("Map Run after the write: %+v", r)
	}
	if timers := afterEndTimers(t, st2, rec.Arn); len(timers) != 0 {
		t.Fatalf("owed writes after the write: %+v", timers)
	}
	if after, err := st2.GetExecution(ctx, rec.Arn); err != nil || after.Status != "ABORTED" || after.Seq != stopped.Seq || after.Events != stopped.Events {
		t.Fatalf("the write moved the execution: %+v %v (stopped: %+v)", after, err, stopped)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 1 || reqs[0].Resource != interp.ResultWriterResource {
		t.Fatalf("writes after the restart: %+v", reqs)
	}
	in := reqs[0].Input.(*jsonv.Object)
	results := in.Value("Results").(*jsonv.Object)
	succeeded, _ := results.Value("SUCCEEDED").([]any)
	failed, _ := results.Value("FAILED").([]any)
	pending, _ := results.Value("PENDING").([]any)
	if in.Value("MapRunArn") != r.Arn || len(succeeded) != 1 || len(failed) != 1 || len(pending) != 1 {
		t.Fatalf("the write: %s", jsonv.String(in))
	}
	if s := succeeded[0].(*jsonv.Object); s.Value("Output") != `"one"` || s.Value("Status") != "SUCCEEDED" {
		t.Fatalf("SUCCEEDED: %s", jsonv.String(s))
	}
	if f := failed[0].(*jsonv.Object); f.Value("Status") != "ABORTED" || f.Value("Input") != "2" || f.Value("StopDate") == nil {
		t.Fatalf("FAILED: %s", jsonv.String(f))
	}
	if p := pending[0].(*jsonv.Object); p.Value("Input") != "3" || p.Value("Status") != "PENDING" {
		t.Fatalf("PENDING: %s", jsonv.String(p))
	}
}

func afterEndTimers(t *testing.T, st store.Store, arn string) []store.Timer {
	t.Helper()
	all, err := st.DueTimers(context.Background(), store.DueTimersParams{DueBy: time.Now().Add(time.Hour), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Timer
	for _, tm := range all {
		if tm.ExecutionArn == arn && tm.Kind == store.TimerAfterEnd {
			out = append(out, tm)
		}
	}
	return out
}

// TestAfterEndWriteGivesUp: an owed write the object store refuses is
// tried afterEndTries times, then given up: the execution has ended, so
// nothing fails, and the owed timer goes without resultsWritten.
func TestAfterEndWriteGivesUp(t *testing.T) {
	old := invokeWatch
	invokeWatch = 50 * time.Millisecond // the retry's delay
	t.Cleanup(func() { invokeWatch = old })
	ctx := context.Background()
	var mu sync.Mutex
	tries := 0
	refuse := taskport.Func(func(context.Context, taskport.Request) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		tries++
		return nil, taskport.Fail("S3.NoSuchBucket", "The specified bucket does not exist")
	})
	st := memstore.New()
	h := &harness{t: t, st: st, eng: New(st, Options{Items: refuse}), done: make(chan struct{})}
	runCtx, cancel := context.WithCancel(ctx)
	h.cancel = cancel
	go func() { _ = h.eng.Run(runCtx); close(h.done) }()
	t.Cleanup(h.stop)
	rec, err := h.eng.StartExecution(ctx, h.machine(writerDef), "p", input(`[1,2]`), "")
	if err != nil {
		t.Fatal(err)
	}
	if task, err := h.eng.GetActivityTask(ctx, actArn, "w", 10*time.Second); err != nil || task == nil {
		t.Fatalf("no task: %v", err)
	}
	if _, err := h.eng.StopExecution(ctx, rec.Arn, "", ""); err != nil {
		t.Fatal(err)
	}
	for i := 0; len(afterEndTimers(t, st, rec.Arn)) != 0; i++ {
		if i == 6000 {
			t.Fatal("the refused write was never given up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if tries != afterEndTries {
		t.Fatalf("%d tries, want %d", tries, afterEndTries)
	}
	if r := h.mapRun(rec.Arn); r.Status != "ABORTED" || r.ExecutionCounts.ResultsWritten != 0 {
		t.Fatalf("Map Run after the refused write: %+v", r)
	}
}

// TestAfterEndWriteRedriven: a redrive while the owed write runs wins:
// the write's record is refused (the redrive moved the execution on),
// so the aborted attempt's results are not counted on the reopened Map
// Run, the owed timer goes at its next firing, and the redriven Map Run
// writes its own results when it ends.
func TestAfterEndWriteRedriven(t *testing.T) {
	old := invokeWatch
	invokeWatch = 50 * time.Millisecond // the owed timer's next firing
	t.Cleanup(func() { invokeWatch = old })
	ctx := context.Background()
	var mu sync.Mutex
	var writes []int // the SUCCEEDED results of each write
	began, release := make(chan struct{}, 8), make(chan struct{})
	port := taskport.Func(func(ctx context.Context, req taskport.Request) (any, error) {
		res := req.Input.(*jsonv.Object).Value("Results").(*jsonv.Object)
		mu.Lock()
		first := len(writes) == 0
		writes = append(writes, len(res.Value("SUCCEEDED").([]any)))
		mu.Unlock()
		if first {
			began <- struct{}{}
			<-release
		}
		return map[string]any{"Bucket": "out", "Key": "res/manifest.json"}, nil
	})
	st := memstore.New()
	h := &harness{t: t, st: st, eng: New(st, Options{Items: port}), done: make(chan struct{})}
	runCtx, cancel := context.WithCancel(ctx)
	h.cancel = cancel
	go func() { _ = h.eng.Run(runCtx); close(h.done) }()
	t.Cleanup(h.stop)
	rec, err := h.eng.StartExecution(ctx, h.machine(writerDef), "p", input(`[1,2]`), "")
	if err != nil {
		t.Fatal(err)
	}
	answer := func() {
		t.Helper()
		task, err := h.eng.GetActivityTask(ctx, actArn, "w", 10*time.Second)
		if err != nil || task == nil {
			t.Fatalf("no task: %v", err)
		}
		if err := h.eng.SendTaskSuccess(ctx, task.Token, `1`); err != nil {
			t.Fatal(err)
		}
	}
	answer()
	if _, err := h.eng.StopExecution(ctx, rec.Arn, "", ""); err != nil {
		t.Fatal(err)
	}
	<-began
	if _, err := h.eng.RedriveExecution(ctx, rec.Arn, ""); err != nil {
		t.Fatal(err)
	}
	close(release)
	answer()
	if end := h.wait(rec.Arn); end.Status != "SUCCEEDED" {
		t.Fatalf("the redriven execution %s", end.Status)
	}
	for i := 0; len(afterEndTimers(t, st, rec.Arn)) != 0; i++ {
		if i == 6000 {
			t.Fatal("the owed timer of the redriven execution stayed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(writes) != 2 || writes[0] != 1 || writes[1] != 2 {
		t.Fatalf("writes (their SUCCEEDED counts): %v", writes)
	}
	if r := h.mapRun(rec.Arn); r.Status != "SUCCEEDED" || r.ExecutionCounts.ResultsWritten != 2 ||
		r.ExecutionCounts.Succeeded != 2 || r.ExecutionCounts.Failed != 0 || r.ExecutionCounts.Aborted != 0 {
		t.Fatalf("Map Run at the end: %+v", r)
	}
}

// TestAfterEndWriteOnACluster: on nodes sharing a store, the owed write
// is done by the owner of the execution's shard, with fenced writes, as
// any timer's work.
func TestAfterEndWriteOnACluster(t *testing.T) {
	st := newSharedBus(8)
	var mu sync.Mutex
	writes := 0
	port := taskport.Func(func(context.Context, taskport.Request) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		writes++
		return map[string]any{"Bucket": "out", "Key": "res/manifest.json"}, nil
	})
	var nodes []*harness
	for _, id := range []string{"a", "b"} {
		h := &harness{t: t, st: st, eng: New(st, Options{NodeID: id, ShardLease: time.Second, PollInterval: 50 * time.Millisecond, Items: port}), done: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		h.cancel = cancel
		go func() { _ = h.eng.Run(ctx); close(h.done) }()
		t.Cleanup(h.stop)
		nodes = append(nodes, h)
	}
	a := nodes[0]
	ctx := context.Background()
	rec, err := a.eng.StartExecution(ctx, a.machine(writerDef), "p", input(`[1,2]`), "")
	if err != nil {
		t.Fatal(err)
	}
	if task, err := nodes[1].eng.GetActivityTask(ctx, actArn, "w", 10*time.Second); err != nil || task == nil {
		t.Fatalf("no task: %v", err)
	}
	if _, err := nodes[1].eng.StopExecution(ctx, rec.Arn, "", ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the owed write recorded", func() bool {
		return a.mapRun(rec.Arn).ExecutionCounts.ResultsWritten == 1 && len(afterEndTimers(t, st, rec.Arn)) == 0
	})
	mu.Lock()
	defer mu.Unlock()
	// At least once: a node that loses the shard during the write leaves
	// it to the next owner, which writes the same files again.
	if writes == 0 {
		t.Fatal("no write")
	}
}
