package durable

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/sqlite"
)

// BenchmarkRestartWaiting fills a SQLite store with 100,000 executions
// (STATECRAFT_BENCH_WAITING for another count, such as 1,000,000) that
// wait an hour, fsync off for the filling, stops the engine and closes the
// store, then measures a restart as the server does it: sqlite.Open (fsync
// on), engine.New, Run. The engine holds no timer in memory: timers are
// rows, indexed by due time, and Run keeps only the next due time, so a
// timer is armed once it is in the index, and the restart has armed every
// one when Run has read the earliest. That is what armed-ms is: from the
// Open to the end of Run's first NextTimer. fired-ms is from the Open to
// the end of one more execution whose 1-second Wait fell due while the
// server was down: its timer had to be found among the others and fired.
// rss-restart-MiB is the process's RSS growth over the restart (a fresh
// process has the same plus the Go runtime's own).
func BenchmarkRestartWaiting(b *testing.B) {
	for range b.N {
		restartWaiting(b)
	}
}

// firstNextTimer records when NextTimer first returned.
type firstNextTimer struct {
	store.Store
	once sync.Once
	at   chan time.Time
}

func (s *firstNextTimer) NextTimer(ctx context.Context, p store.NextTimerParams) (time.Time, bool, error) {
	due, ok, err := s.Store.NextTimer(ctx, p)
	if err == nil {
		s.once.Do(func() { s.at <- time.Now() })
	}
	return due, ok, err
}

func restartWaiting(b *testing.B) {
	b.StopTimer()
	count := waitingN(b)
	e := newEnv(b, false, engine.Options{})
	path := e.path
	sm := e.machine("wait", `{"StartAt":"Pause","States":{"Pause":{"Type":"Wait","Seconds":3600,"Next":"Done"},"Done":{"Type":"Succeed"}}}`)
	soon := e.machine("soon", `{"StartAt":"Pause","States":{"Pause":{"Type":"Wait","Seconds":1,"Next":"Done"},"Done":{"Type":"Succeed"}}}`)
	ctx := context.Background()
	fillStart := time.Now()
	startWaiting(b, e, sm, 0, count)
	fill := time.Since(fillStart)
	canary, err := e.eng.StartExecution(ctx, soon, "canary", mustInput(`{}`), "")
	if err != nil {
		b.Fatal(err)
	}
	e.stop()
	// The canary's timer falls due while the server is down.
	time.Sleep(time.Until(canary.StartedAt.Add(1100 * time.Millisecond)))
	_, rss0 := memNow()

	b.StartTimer()
	t0 := time.Now()
	sopts := sqlite.DefaultOptions()
	sopts.Sync = true
	sq, err := sqlite.Open(path, sopts)
	if err != nil {
		b.Fatal(err)
	}
	opened := time.Since(t0)
	cs := &countingStore{Store: sq}
	first := &firstNextTimer{Store: cs, at: make(chan time.Time, 1)}
	e2 := startEnv(b, sq, cs, first, engine.Options{})
	armedAt := <-first.at
	select {
	case <-e2.eng.Done(ctx, canary.Arn):
	case <-time.After(5 * time.Minute):
		b.Fatal("the canary's timer did not fire within 5 minutes of the restart")
	}
	fired := time.Since(t0)
	b.StopTimer()
	_, rss1 := memNow()

	rec, err := sq.GetExecution(ctx, canary.Arn)
	if err != nil || rec.Status != "SUCCEEDED" {
		b.Fatalf("canary: %v %v, want SUCCEEDED", rec, err)
	}
	// The others still wait, their timers an hour after they started.
	if running := countRunning(b, sq, sm); running != count {
		b.Fatalf("%d executions running, want %d", running, count)
	}
	next, ok, err := sq.NextTimer(ctx, store.NextTimerParams{})
	if err != nil || !ok || next.Before(fillStart.Add(time.Hour-time.Second)) {
		b.Fatalf("next timer %v %v %v, want one an hour after %v", next, ok, err, fillStart)
	}
	b.ReportMetric(float64(count)/fill.Seconds(), "fill-starts/s")
	b.ReportMetric(float64(opened.Microseconds())/1000, "open-ms")
	b.ReportMetric(float64(armedAt.Sub(t0).Microseconds())/1000, "armed-ms")
	b.ReportMetric(float64(fired.Microseconds())/1000, "fired-ms")
	b.ReportMetric((float64(rss1)-float64(rss0))/(1<<20), "rss-restart-MiB")
	b.ReportMetric(float64(rss1)/(1<<20), "rss-MiB")
	b.ReportMetric(float64(fileSize(path)+fileSize(path+"-wal"))/(1<<20), "disk-MiB")
	b.ReportMetric(0, "ns/op")
	e2.stop()
}
