package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/storetest"
)

func openTest(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) store.Store { return openTest(t, filepath.Join(t.TempDir(), "db")) })
}

func testExecution(arn string) *store.Execution {
	return &store.Execution{
		Arn: arn, StateMachineArn: "arn:sm", Name: arn, Input: "{}",
		StartedAt: time.Now(),
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	ctx := t.Context()
	s, err := Open(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution("e"), Step: store.StepParams{Input: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.CommitStep(ctx, store.StepParams{ExecutionArn: "e", Seq: 1}); !errors.Is(err, ErrClosed) {
		t.Fatalf("CommitStep after Close: %v", err)
	}

	s = openTest(t, path)
	e, err := s.GetExecution(ctx, "e")
	if err != nil || e.Seq != 1 {
		t.Fatalf("after reopen: %+v, %v", e, err)
	}
	var v int
	migrations, _ := migrationFS.ReadDir("migrations")
	if err := s.rdb.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("user_version = %d, %v", v, err)
	}
	var mode string
	if err := s.rdb.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.write(t.Context(), func(w *writer) error {
		_, err := w.exec("PRAGMA user_version = 99")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, DefaultOptions())
	if err == nil {
		s2.Close()
		t.Fatal("Open accepted a schema newer than the binary's")
	}
	if !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open = %v, want the schema refused", err)
	}
	// The refusal let go of the lock.
	s2, err = Open(path, DefaultOptions())
	if s2 != nil {
		s2.Close()
	}
	if errors.Is(err, ErrLocked) {
		t.Fatalf("a failed Open kept the lock: %v", err)
	}
}

func TestReadersAreReadOnly(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"))
	if _, err := s.rdb.ExecContext(t.Context(), "DELETE FROM tags"); err == nil {
		t.Fatal("a reader connection could write")
	}
}

// TestGroupCommit checks that concurrent steps share transactions, and
// that a step failing inside a shared transaction fails alone.
func TestGroupCommit(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"))
	ctx := t.Context()
	const n = 64
	for i := range n {
		if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution(fmt.Sprint(i)), Step: store.StepParams{Input: []byte("1")}}); err != nil {
			t.Fatal(err)
		}
	}
	b0, o0 := s.w.batches.Load(), s.w.batched.Load()
	var wg sync.WaitGroup
	var conflicts atomic.Int64
	for i := range n {
		wg.Go(func() {
			for k := range int64(20) {
				err := s.CommitStep(ctx, store.StepParams{
					ExecutionArn: fmt.Sprint(i), Seq: 1 + k, Input: []byte("x"),
					Events: []store.Event{{ID: 1 + k, Type: "T", Timestamp: time.Now(), Body: []byte("{}")}},
				})
				if err != nil {
					t.Error(err)
					return
				}
				// A stale duplicate, always a conflict, interleaved with
				// the others' good steps.
				err = s.CommitStep(ctx, store.StepParams{ExecutionArn: fmt.Sprint(i), Seq: k, Input: []byte("y")})
				if !errors.Is(err, store.ErrConflict) {
					t.Errorf("stale step: %v", err)
					return
				}
				conflicts.Add(1)
			}
		})
	}
	wg.Wait()
	batches, ops := s.w.batches.Load()-b0, s.w.batched.Load()-o0
	t.Logf("%d ops in %d transactions", ops, batches)
	if ops != 2*n*20 {
		t.Errorf("%d ops committed, want %d", ops, 2*n*20)
	}
	if batches >= ops {
		t.Errorf("no grouping: %d transactions for %d ops", batches, ops)
	}
	for i := range n {
		e, err := s.GetExecution(ctx, fmt.Sprint(i))
		if err != nil || e.Seq != 21 || e.Events != 20 {
			t.Fatalf("execution %d: %+v, %v", i, e, err)
		}
	}
}

// TestFailingOpFailsAlone puts an op that writes and then fails between
// two good ones in one batch: its savepoint must undo its write only.
func TestFailingOpFailsAlone(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"))
	ctx := t.Context()
	release := make(chan struct{})
	entered := make(chan struct{})
	go s.write(context.Background(), func(*writer) error {
		close(entered)
		<-release
		return nil
	})
	<-entered
	boom := errors.New("boom")
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, arn := range []string{"a", "b", "c"} {
		wg.Go(func() {
			errs[i] = s.write(ctx, func(w *writer) error {
				if _, err := w.exec(`INSERT INTO tags (arn, key, value) VALUES (?, 'k', 'v')`, arn); err != nil {
					return err
				}
				if arn == "b" {
					return boom
				}
				return nil
			})
		})
	}
	for len(s.ops) < 3 {
		time.Sleep(time.Millisecond)
	}
	b0 := s.w.batches.Load()
	close(release)
	wg.Wait()
	if errs[0] != nil || !errors.Is(errs[1], boom) || errs[2] != nil {
		t.Fatalf("errs = %v", errs)
	}
	if n := s.w.batches.Load() - b0; n != 2 { // the blocking op's, then the three's
		t.Errorf("%d transactions, want 2", n)
	}
	for arn, want := range map[string]int{"a": 1, "b": 0, "c": 1} {
		tags, err := s.ListTags(ctx, arn)
		if err != nil || len(tags) != want {
			t.Errorf("tags of %s = %v, %v; want %d", arn, tags, err, want)
		}
	}
}

// TestDeferredStepWaitsForCompany: a deferred step (a claim's) queued
// alone waits for another step to share its commit, and the first step
// that is not deferred starts that commit at once. The window is
// stretched to an hour, so the step waits for the second one whatever the
// machine's speed.
func TestDeferredStepWaitsForCompany(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"))
	s.deferWindow.Store(int64(time.Hour))
	ctx := t.Context()
	arn := "arn:aws:states:us-east-1:123456789012:execution:sm:x"
	if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution(arn)}); err != nil {
		t.Fatal(err)
	}
	ev := func(id int64) []store.Event {
		return []store.Event{{ID: id, Type: "PassStateEntered", Timestamp: time.Now(), Body: []byte("{}")}}
	}
	b0 := s.w.batches.Load()
	claim, answer := store.NewDeferredStep(), store.NewQueuedStep()
	s.QueueStep(ctx, store.StepParams{ExecutionArn: arn, Seq: 0, Input: []byte("a"), Events: ev(1)}, nil, claim)
	select {
	case <-claim.Done():
		t.Fatalf("the deferred step committed alone (%v), within its hour's window", claim.Err())
	case <-time.After(50 * time.Millisecond):
	}
	s.QueueStep(ctx, store.StepParams{ExecutionArn: arn, Seq: 1, Input: []byte("b"), Events: ev(2)}, claim, answer)
	if err := claim.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := answer.Wait(); err != nil {
		t.Fatal(err)
	}
	if n := s.w.batches.Load() - b0; n != 1 {
		t.Errorf("%d commits, want the one both steps share", n)
	}
}

// TestFailingStepFailsAlone is TestFailingOpFailsAlone for steps, which
// run without a savepoint: a step refused before it writes fails alone in
// the batch as it is; one that fails once it has written makes the whole
// batch run again, every op in a savepoint, and still fails alone.
func TestFailingStepFailsAlone(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name   string
		fail   error // what op "b" returns
		writes bool  // whether it writes first
		redone int64
	}{
		{"refused before writing", store.ErrConflict, false, 0},
		{"conflict after writing", store.ErrConflict, true, 1},
		{"other error after writing", boom, true, 1},
		{"other error before writing", boom, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, filepath.Join(t.TempDir(), "db"))
			ctx := t.Context()
			release := make(chan struct{})
			entered := make(chan struct{})
			go s.write(context.Background(), func(*writer) error {
				close(entered)
				<-release
				return nil
			})
			<-entered
			arns := []string{"a", "b", "c", "d"}
			errs := make([]error, len(arns))
			var wg sync.WaitGroup
			for i, arn := range arns {
				fn := func(w *writer) error {
					if arn != "b" || tc.writes {
						if _, err := w.exec(`INSERT INTO tags (arn, key, value) VALUES (?, 'k', 'v')`, arn); err != nil {
							return err
						}
					}
					if arn == "b" {
						return tc.fail
					}
					return nil
				}
				wg.Go(func() {
					if arn == "c" { // an op in a savepoint of its own, between steps
						errs[i] = s.write(ctx, fn)
					} else {
						errs[i] = s.writeStep(ctx, fn)
					}
				})
				for len(s.ops) < i+1 { // queued in this order
					time.Sleep(time.Millisecond)
				}
			}
			b0, r0 := s.w.batches.Load(), s.w.redone.Load()
			close(release)
			wg.Wait()
			if errs[0] != nil || !errors.Is(errs[1], tc.fail) || errs[2] != nil || errs[3] != nil {
				t.Fatalf("errs = %v", errs)
			}
			if n := s.w.batches.Load() - b0; n != 2 {
				t.Errorf("%d transactions, want 2", n)
			}
			if n := s.w.redone.Load() - r0; n != tc.redone {
				t.Errorf("batch run again %d times, want %d", n, tc.redone)
			}
			for arn, want := range map[string]int{"a": 1, "b": 0, "c": 1, "d": 1} {
				tags, err := s.ListTags(ctx, arn)
				if err != nil || len(tags) != want {
					t.Errorf("tags of %s = %v, %v; want %d", arn, tags, err, want)
				}
			}
		})
	}
}

// TestCancelledWhileQueued checks that a caller that gives up before its
// op is taken gets its context's error and the op never runs.
func TestCancelledWhileQueued(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"))
	// Hold the committer inside an op so the next one stays queued.
	release := make(chan struct{})
	entered := make(chan struct{})
	go s.write(context.Background(), func(*writer) error {
		close(entered)
		<-release
		return nil
	})
	<-entered
	ctx, cancel := context.WithCancel(t.Context())
	ran := false
	errc := make(chan error)
	go func() {
		errc <- s.write(ctx, func(*writer) error { ran = true; return nil })
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("write = %v, want context.Canceled", err)
	}
	close(release)
	// A write after it proves the committer has moved past the dropped op.
	if err := s.TagResource(t.Context(), store.TagResourceParams{Arn: "arn", Tags: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Fatal("a cancelled op ran")
	}
}

func TestPathWithQueryCharacters(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "a?b#c%d.db"))
	if err := s.TagResource(t.Context(), store.TagResourceParams{Arn: "arn", Tags: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
}

// benchStep is one step of a benchmark execution: a new input, three
// events and a timer re-armed, roughly a Task state completing.
func benchStep(arn string, seq int64, body []byte, now time.Time) store.StepParams {
	id := 3*seq + 1
	return store.StepParams{
		ExecutionArn: arn,
		Seq:          seq,
		Input:        body,
		Events: []store.Event{
			{ID: id, Type: "TaskSucceeded", Timestamp: now, Body: body},
			{ID: id + 1, Type: "TaskStateExited", Timestamp: now, Body: body},
			{ID: id + 2, Type: "TaskStateEntered", Timestamp: now, Body: body},
		},
		AddTimers: []store.Timer{{ExecutionArn: arn, Ref: 1, Kind: store.TimerTask, Due: now.Add(time.Minute)}},
	}
}

var benchBody = []byte(`{"id":1,"type":"TaskSucceeded","timestamp":"2025-01-01T00:00:00Z","taskSucceededEventDetails":{"resource":"invoke","resourceType":"lambda","output":"{\"ok\":true}"}}`)

// BenchmarkCommitStep commits steps from 100 goroutines per CPU, each
// driving its own execution, with fsync on: the group-commit path.
func BenchmarkCommitStep(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "db"))
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(100)
	b.ResetTimer()
	b0, o0 := s.w.batches.Load(), s.w.batched.Load()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		// ARNs as long as real ones: key size is part of what is measured.
		arn := fmt.Sprintf("arn:aws:states:us-east-1:123456789012:execution:order-fulfilment:%08d-6f1c-4d2a-9b7e-3c5d1a2b4e6f", next.Add(1))
		if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution(arn), Step: store.StepParams{}}); err != nil {
			b.Error(err)
			return
		}
		for seq := int64(0); pb.Next(); seq++ {
			if err := s.CommitStep(ctx, benchStep(arn, seq, benchBody, time.Now())); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.ReportMetric(float64(3*b.N)/elapsed.Seconds(), "events/s")
	if n := s.w.batches.Load() - b0; n > 0 {
		b.ReportMetric(float64(s.w.batched.Load()-o0)/float64(n), "ops/commit")
	}
}

// BenchmarkRawInsertBatched is the ceiling to compare BenchmarkCommitStep
// with: the same event rows inserted by plain prepared INSERTs, 100 to a
// transaction, on a file with the same settings and schema.
func BenchmarkRawInsertBatched(b *testing.B) {
	path := filepath.Join(b.TempDir(), "db")
	s, err := Open(path, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	const arn = "arn:aws:states:us-east-1:123456789012:execution:order-fulfilment:00000000-6f1c-4d2a-9b7e-3c5d1a2b4e6f"
	if err := s.StartExecution(context.Background(), store.StartExecutionParams{Execution: testExecution(arn), Step: store.StepParams{}}); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path, DefaultOptions(), false))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var id int64
	if err := db.QueryRow(`SELECT id FROM executions WHERE arn = ?`, arn).Scan(&id); err != nil {
		b.Fatal(err)
	}
	ins, err := db.Prepare(`INSERT INTO events (exec_id, id, type, ts, body) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	defer ins.Close()

	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		st := tx.Stmt(ins)
		for j := 0; j < 100 && i < b.N; j, i = j+1, i+1 {
			if _, err := st.Exec(id, i+1, "TaskSucceeded", time.Now().UnixNano(), benchBody); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
