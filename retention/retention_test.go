package retention

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// fakePurger has a backlog of purgeable executions and records calls.
type fakePurger struct {
	mu      sync.Mutex
	backlog int
	calls   []store.PurgeParams
	fail    int // fail this many calls first
	called  chan struct{}
}

func (f *fakePurger) PurgeExecutions(_ context.Context, p store.PurgeParams) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, p)
	if f.called != nil {
		select {
		case f.called <- struct{}{}:
		default:
		}
	}
	if f.fail > 0 {
		f.fail--
		return 0, errors.New("disk on fire")
	}
	n := min(p.Limit, f.backlog)
	f.backlog -= n
	return n, nil
}

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestPassBatches(t *testing.T) {
	cases := []struct {
		backlog, batch int
		wantCalls      int
	}{
		{0, 200, 1},
		{199, 200, 1},
		{200, 200, 2}, // a full batch may have more behind it
		{450, 200, 3},
		{7, 3, 3},
	}
	for _, c := range cases {
		f := &fakePurger{backlog: c.backlog}
		n, err := Pass(t.Context(), f, Options{Period: time.Hour, Batch: c.batch, Pause: time.Microsecond, Now: func() time.Time { return now }})
		if err != nil || n != c.backlog {
			t.Errorf("backlog %d batch %d: Pass = %d, %v; want %d", c.backlog, c.batch, n, err, c.backlog)
		}
		if len(f.calls) != c.wantCalls {
			t.Errorf("backlog %d batch %d: %d calls, want %d", c.backlog, c.batch, len(f.calls), c.wantCalls)
		}
		for _, p := range f.calls {
			if p.Limit != c.batch || !p.StoppedBefore.Equal(now.Add(-time.Hour)) {
				t.Errorf("call %+v, want limit %d before %v", p, c.batch, now.Add(-time.Hour))
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	f := &fakePurger{backlog: DefaultBatch + 1}
	if n, err := Pass(t.Context(), f, Options{Period: time.Hour}); err != nil || n != DefaultBatch+1 {
		t.Fatalf("Pass = %d, %v", n, err)
	}
	if len(f.calls) != 2 || f.calls[0].Limit != DefaultBatch {
		t.Fatalf("calls %+v", f.calls)
	}
	if d := time.Since(f.calls[0].StoppedBefore.Add(time.Hour)); d < 0 || d > time.Hour {
		t.Errorf("cut-off %v is not an hour before now", f.calls[0].StoppedBefore)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{
		{},
		{Period: -time.Second},
		{Period: time.Hour, Interval: -1},
		{Period: time.Hour, Batch: -1},
		{Period: time.Hour, Pause: -1},
	} {
		f := &fakePurger{backlog: 10}
		if _, err := Pass(t.Context(), f, o); err == nil {
			t.Errorf("Pass accepted %+v", o)
		}
		if err := Run(t.Context(), f, o); err == nil {
			t.Errorf("Run accepted %+v", o)
		}
		if len(f.calls) != 0 {
			t.Errorf("options %+v: purged with invalid options", o)
		}
	}
}

// A pass stops between batches when its context ends.
func TestPassStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	f := &fakePurger{backlog: 1 << 30}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := Pass(ctx, f, Options{Period: time.Hour, Batch: 10, Pause: time.Millisecond}); !errors.Is(err, context.Canceled) {
			t.Errorf("Pass = %v, want context.Canceled", err)
		}
	}()
	cancel()
	<-done
}

// Run passes again every interval, logs what it purged, goes on after a
// failed pass, and returns when its context ends.
func TestRun(t *testing.T) {
	var logs syncBuffer
	f := &fakePurger{backlog: 5, fail: 1, called: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, f, Options{Period: time.Hour, Interval: time.Millisecond, Batch: 100,
			Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	}()
	// The failed pass, the one that purges, then one that finds nothing.
	for range 3 {
		<-f.called
	}
	for !strings.Contains(logs.String(), "purged closed executions") {
		<-f.called
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	out := logs.String()
	for _, want := range []string{"purging closed executions", "disk on fire", "count=5", "stoppedBefore=2025-06-01T11:00:00Z"} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not say %q:\n%s", want, out)
		}
	}
	if f.backlog != 0 {
		t.Errorf("backlog %d left", f.backlog)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
