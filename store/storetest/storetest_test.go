package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

// bus is the smallest correct store.Notifier, in process, over the
// in-memory store: the Notifier area is checked against it here, so that
// when it fails on a driver that several nodes share, the driver is at
// fault and not the suite.
type bus struct {
	*memstore.Store
	mu   sync.Mutex
	subs map[int]func(string, string)
	n    int
}

func (b *bus) Notify(_ context.Context, channel, payload string) error {
	b.mu.Lock()
	defer b.mu.Unlock() // held while delivering: one sender's order is kept
	for _, fn := range b.subs {
		fn(channel, payload)
	}
	return nil
}

func (b *bus) Listen(ctx context.Context, fn func(string, string)) error {
	b.mu.Lock()
	id := b.n
	b.n++
	b.subs[id] = fn
	b.mu.Unlock()
	<-ctx.Done()
	b.mu.Lock()
	delete(b.subs, id)
	b.mu.Unlock()
	return nil
}

var _ store.Notifier = (*bus)(nil)

func TestNotifierArea(t *testing.T) {
	exerciseNotifier(t, func(*testing.T) store.Store {
		return &bus{Store: memstore.New(), subs: map[int]func(string, string){}}
	})
}
