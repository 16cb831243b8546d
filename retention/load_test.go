package retention

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/sqlite"
)

// The steady-load test's sizes. The load writes loadBytes of payload
// (inputs and events); without purging, or with purging that leaves the
// space on SQLite's free list, the database file alone would pass dbBound
// several times over. With it, the database holds what ended in the last
// loadPeriod or so. The WAL's high-water mark depends on how checkpoints
// interleave with the writers, which a busy machine changes (20 MiB to
// 27 MiB seen with other builds running, 13 MiB for both files on a quiet
// one), so the two files together get a looser bound, still half of what
// the load would leave unpurged.
const (
	loadPeriod = 200 * time.Millisecond
	loadBytes  = 96 << 20
	dbBound    = 24 << 20
	sizeBound  = 48 << 20
	idleBound  = 4 << 20 // the database once everything closed is purged
	loadEvents = 6
	running    = 20
)

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// TestSteadyLoad starts and finishes executions without a pause while the
// retention loop runs with a short period. Executions closed longer ago
// than the period, and their histories, are purged; the running ones are
// untouched; and the database file with its WAL stays within a bound that
// the load, kept whole, would exceed several times. The test is bound by
// the bytes written, not by time, so a slow machine only makes it slower.
func TestSteadyLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "statecraft.db")
	opts := sqlite.DefaultOptions()
	opts.Sync = false
	s, err := sqlite.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	ctx := t.Context()
	input := bytes.Repeat([]byte("i"), 1024)
	body := bytes.Repeat([]byte("e"), 1536)
	perExecution := int64(len(input) + (loadEvents+1)*len(body))
	exec := func(name string) *store.Execution {
		return &store.Execution{
			Arn:             "arn:aws:states:us-east-1:123456789012:execution:load:" + name,
			StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:load",
			Name:            name, Input: string(input), StartedAt: time.Now(),
		}
	}
	events := func(from, n int) []store.Event {
		var evs []store.Event
		for i := range n {
			evs = append(evs, store.Event{ID: int64(from + i), Type: "TaskStateEntered", Timestamp: time.Now(), Body: body})
		}
		return evs
	}

	// Executions that run throughout, started before the load: older
	// than the period, but not closed.
	var runningArns []string
	for i := range running {
		e := exec(fmt.Sprintf("running-%02d", i))
		if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: e, Step: store.StepParams{Input: input, Events: events(1, loadEvents),
			AddTimers: []store.Timer{{Ref: 1, Kind: store.TimerState, Due: time.Now().Add(time.Hour)}}}}); err != nil {
			t.Fatal(err)
		}
		runningArns = append(runningArns, e.Arn)
	}

	var logs syncBuffer
	loopCtx, stopLoop := context.WithCancel(ctx)
	loopDone := make(chan error, 1)
	go func() {
		loopDone <- Run(loopCtx, s, Options{Period: loadPeriod, Interval: 50 * time.Millisecond, Batch: 200,
			Log: slog.New(slog.NewTextHandler(&logs, nil))})
	}()
	defer func() {
		stopLoop()
		<-loopDone
	}()

	// The load: a few writers, each starting an execution and ending it.
	var written, started atomic.Int64
	var firstArns sync.Map // a sample of what the purge must take
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	began := time.Now()
	for w := range 4 {
		wg.Go(func() {
			for i := 0; loadCtx.Err() == nil; i++ {
				e := exec(fmt.Sprintf("w%d-%07d", w, i))
				err := s.StartExecution(loadCtx, store.StartExecutionParams{Execution: e, Step: store.StepParams{Input: input, Events: events(1, loadEvents)}})
				if err == nil {
					// Not loadCtx: an execution started is ended, so that
					// only the running ones are running when the load stops.
					err = s.CommitStep(ctx, store.StepParams{ExecutionArn: e.Arn, Seq: 1, Events: events(loadEvents+1, 1),
						Final: &store.Final{Status: "SUCCEEDED", Output: "{}", StoppedAt: time.Now()}})
				}
				if errors.Is(err, context.Canceled) {
					return
				}
				if err != nil {
					t.Error(err)
					stopLoad()
					return
				}
				if i < 5 {
					firstArns.Store(e.Arn, true)
				}
				started.Add(1)
				if written.Add(perExecution) >= loadBytes {
					stopLoad()
				}
			}
		})
	}
	var peak, peakDB, peakWAL int64
	sample := func() {
		db, wal := fileSize(path), fileSize(path+"-wal")
		peak, peakDB, peakWAL = max(peak, db+wal), max(peakDB, db), max(peakWAL, wal)
	}
	for loadCtx.Err() == nil {
		sample()
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	sample()
	took := time.Since(began)
	t.Logf("%d executions, %d MiB of payload in %v; database + WAL at most %.1f MiB (database %.1f, WAL %.1f)",
		started.Load(), written.Load()>>20, took.Round(time.Millisecond), float64(peak)/(1<<20), float64(peakDB)/(1<<20), float64(peakWAL)/(1<<20))
	if t.Failed() {
		return
	}
	if peakDB > dbBound {
		t.Fatalf("the database reached %.1f MiB under the load, want at most %d MiB", float64(peakDB)/(1<<20), dbBound>>20)
	}
	if peak > sizeBound {
		t.Fatalf("database + WAL reached %.1f MiB under the load, want at most %d MiB", float64(peak)/(1<<20), sizeBound>>20)
	}

	// Once the last ones have aged out, only the running executions are
	// left, whole.
	deadline := time.Now().Add(2 * time.Minute)
	var left []*store.Execution
	for {
		left, err = allExecutions(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == running || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) != running {
		for _, e := range left[:min(len(left), 30)] {
			t.Logf("left: %s %s stopped %v", e.Arn, e.Status, e.StoppedAt)
		}
		t.Fatalf("%d executions left two minutes after the load, want the %d running ones", len(left), running)
	}
	for _, e := range left {
		if e.Status != "RUNNING" {
			t.Errorf("%s (%s) is left", e.Arn, e.Status)
		}
	}
	for _, arn := range runningArns {
		evs, err := s.History(ctx, store.HistoryParams{ExecutionArn: arn, Limit: loadEvents + 1})
		if err != nil || len(evs) != loadEvents {
			t.Errorf("running %s: %d events, %v; want %d", arn, len(evs), err, loadEvents)
		}
		if ins, err := s.Inputs(ctx, arn); err != nil || len(ins) != 1 {
			t.Errorf("running %s: %d inputs, %v", arn, len(ins), err)
		}
	}
	if due, err := s.DueTimers(ctx, store.DueTimersParams{DueBy: time.Now().Add(2 * time.Hour), Limit: running + 1}); err != nil || len(due) != running {
		t.Errorf("timers of the running executions: %d, %v; want %d", len(due), err, running)
	}
	firstArns.Range(func(k, _ any) bool {
		arn := k.(string)
		if _, err := s.GetExecution(ctx, arn); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: GetExecution = %v, want ErrNotFound", arn, err)
		}
		if evs, err := s.History(ctx, store.HistoryParams{ExecutionArn: arn, Limit: 1}); err != nil || len(evs) != 0 {
			t.Errorf("%s: %d events left, %v", arn, len(evs), err)
		}
		return true
	})

	// The space came back: the closed database is about the size of the
	// running executions. (A pass that purges nothing still gives back
	// what earlier ones left on the free list; let one more run.)
	time.Sleep(200 * time.Millisecond)
	stopLoop()
	if err := <-loopDone; err != nil {
		t.Fatal(err)
	}
	loopDone <- nil // for the deferred wait
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	if size := fileSize(path) + fileSize(path+"-wal"); size > idleBound {
		t.Errorf("with only the running executions left, the database is %.1f MiB, want at most %d MiB", float64(size)/(1<<20), idleBound>>20)
	}
	t.Logf("after the load: %.2f MiB", float64(fileSize(path))/(1<<20))
}

// allExecutions lists every execution, a page at a time.
func allExecutions(ctx context.Context, s store.Store) ([]*store.Execution, error) {
	var all []*store.Execution
	token := ""
	for {
		page, next, err := s.ListExecutions(ctx, store.ListExecutionsParams{Limit: 1000, Token: token})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		token = next
	}
}
