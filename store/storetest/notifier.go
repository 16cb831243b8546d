package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// exerciseNotifier checks store.Notifier on a driver that implements it
// (one that several nodes share); the others skip it, as River's suite
// skips the listener of a driver without one. The notifications here
// come from the store the listener uses: the contract has the sender's
// own node hear them too, so the round trip through the database is
// exercised without a second node.
func exerciseNotifier(t *testing.T, open func(*testing.T) store.Store) {
	if _, ok := open(t).(store.Notifier); !ok {
		t.Skip("the driver does not implement store.Notifier: it serves one node")
	}
	notifier := func(t *testing.T) store.Notifier { return open(t).(store.Notifier) }
	t.Run("RoundTrip", func(t *testing.T) {
		n := notifier(t)
		l := listen(t, n)
		l.ready(t, n)
		const act = "arn:aws:states:us-east-1:123456789012:activity:act"
		must(t, "Notify", n.Notify(ctxT(t), store.ChannelActivity, act))
		must(t, "Notify", n.Notify(ctxT(t), store.ChannelTimers, ""))
		for _, want := range []note{{store.ChannelActivity, act}, {store.ChannelTimers, ""}} {
			if got := l.next(t); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		}
	})
	t.Run("LargestPayload", func(t *testing.T) {
		n := notifier(t)
		l := listen(t, n)
		l.ready(t, n)
		payload := strings.Repeat("é", 500) // 1,000 bytes
		must(t, "Notify", n.Notify(ctxT(t), store.ChannelActivity, payload))
		if got := l.next(t); got.payload != payload {
			t.Errorf("a payload of %d bytes came back as %d bytes", len(payload), len(got.payload))
		}
	})
	t.Run("EveryListener", func(t *testing.T) {
		n := notifier(t)
		a, b := listen(t, n), listen(t, n)
		a.ready(t, n)
		b.ready(t, n)
		must(t, "Notify", n.Notify(ctxT(t), store.ChannelActivity, "both"))
		for _, l := range []*listener{a, b} {
			if got := l.next(t); got.payload != "both" {
				t.Errorf("got %+v, want the payload both", got)
			}
		}
	})
	t.Run("OrderOfOneSender", func(t *testing.T) {
		n := notifier(t)
		l := listen(t, n)
		l.ready(t, n)
		const count = 50
		for i := range count {
			must(t, "Notify", n.Notify(ctxT(t), store.ChannelActivity, fmt.Sprint("n-", i)))
		}
		for i := range count {
			if got, want := l.next(t).payload, fmt.Sprint("n-", i); got != want {
				t.Fatalf("notification %d is %s, want %s", i, got, want)
			}
		}
	})
	t.Run("ListenEndsWithItsContext", func(t *testing.T) {
		n := notifier(t)
		l := listen(t, n)
		l.ready(t, n)
		l.cancel()
		select {
		case err := <-l.done:
			if err != nil {
				t.Errorf("Listen after its context ended = %v, want nil", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Listen did not return when its context ended")
		}
	})
}

type note struct{ channel, payload string }

// listener runs Listen and queues what it hears, so that fn never blocks.
type listener struct {
	mu     sync.Mutex
	queue  []note
	signal chan struct{} // has a value when queue may have grown
	cancel context.CancelFunc
	done   chan error
}

func listen(t *testing.T, n store.Notifier) *listener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{signal: make(chan struct{}, 1), cancel: cancel, done: make(chan error, 1)}
	go func() {
		l.done <- n.Listen(ctx, func(channel, payload string) {
			l.mu.Lock()
			l.queue = append(l.queue, note{channel, payload})
			l.mu.Unlock()
			select {
			case l.signal <- struct{}{}:
			default:
			}
		})
	}()
	t.Cleanup(cancel)
	return l
}

// probe is the payload prefix of the notifications ready sends.
const probe = "storetest-probe-"

// ready waits until the listener hears this store: Listen has no signal
// for having started, and what is sent before it has is lost, so probes
// go out until one comes back. Probes heard later are skipped by next.
func (l *listener) ready(t *testing.T, n store.Notifier) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		must(t, "Notify probe", n.Notify(ctxT(t), store.ChannelTimers, fmt.Sprint(probe, i)))
		wait := time.NewTimer(50 * time.Millisecond)
		select {
		case <-l.signal:
		case <-wait.C:
		case err := <-l.done:
			t.Fatalf("Listen returned before it heard anything: %v", err)
		}
		wait.Stop()
		l.mu.Lock()
		heard := len(l.queue) > 0
		l.queue = l.queue[:0]
		l.mu.Unlock()
		if heard {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("Listen heard no notification sent by its own store in 30s")
		}
	}
}

// next returns the next notification that is not a probe.
func (l *listener) next(t *testing.T) note {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		for len(l.queue) > 0 {
			x := l.queue[0]
			l.queue = l.queue[1:]
			if !strings.HasPrefix(x.payload, probe) {
				l.mu.Unlock()
				return x
			}
		}
		l.mu.Unlock()
		select {
		case <-l.signal:
		case err := <-l.done:
			t.Fatalf("Listen returned while a notification was awaited: %v", err)
		case <-deadline.C:
			t.Fatal("no notification in 30s")
		}
	}
}
