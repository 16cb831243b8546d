package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

// bus is a store.Notifier over one shared in-memory store, standing in for
// PostgreSQL's LISTEN/NOTIFY between engine nodes.
type bus struct {
	*memstore.Store
	mu   sync.Mutex
	subs []func(string, string)
}

func (b *bus) Notify(_ context.Context, channel, payload string) error {
	b.mu.Lock()
	subs := make([]func(string, string), len(b.subs))
	copy(subs, b.subs)
	b.mu.Unlock()
	for _, fn := range subs {
		fn(channel, payload)
	}
	return nil
}

func (b *bus) Listen(ctx context.Context, fn func(string, string)) error {
	b.mu.Lock()
	b.subs = append(b.subs, fn)
	b.mu.Unlock()
	<-ctx.Done()
	return nil
}

var _ store.Notifier = (*bus)(nil)

// Two engine nodes share one store: a worker long-polling node B gets the
// task of an execution started on node A without polling again, and both
// nodes applying events to the same execution never repeat a transition.
func TestTwoNodesShareAStore(t *testing.T) {
	shared := &bus{Store: memstore.New()}
	a := newHarness(t, shared)
	b := newHarness(t, shared)
	sm := a.machine(activityMachine(""))
	ctx := context.Background()

	got := make(chan string, 1)
	go func() {
		task, err := b.eng.GetActivityTask(ctx, actArn, "on-b", 20*time.Second)
		if err != nil || task == nil {
			got <- ""
			return
		}
		got <- task.Token
	}()
	time.Sleep(100 * time.Millisecond) // let the worker block on node B
	rec, err := a.eng.StartExecution(ctx, sm, "x", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	var token string
	select {
	case token = <-got:
	case <-time.After(2 * time.Minute):
		t.Fatal("node B's worker was not woken by node A's task")
	}
	if token == "" {
		t.Fatal("no task on node B")
	}
	// Node A holds the execution in memory, but the result arrives on node
	// B: B's commit must not conflict with a stale copy, and A must not
	// repeat anything afterwards.
	if err := b.eng.SendTaskSuccess(ctx, token, `{"ok":true}`); err != nil {
		t.Fatal(err)
	}
	rec = a.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" {
		t.Fatalf("status %s", rec.Status)
	}
	a.types(rec.Arn) // ids 1..n, no repeats
}

// A node whose in-memory copy went stale (another node moved the execution
// on) replays it and applies the event, instead of failing the caller.
func TestStaleCopyReplaysOnConflict(t *testing.T) {
	shared := &bus{Store: memstore.New()}
	a := newHarness(t, shared)
	b := newHarness(t, shared)
	sm := a.machine(`{"StartAt":"T1","States":{
		"T1":{"Type":"Task","Resource":"` + actArn + `","Next":"T2"},
		"T2":{"Type":"Task","Resource":"` + actArn + `","End":true}}}`)
	ctx := context.Background()
	rec, err := a.eng.StartExecution(ctx, sm, "s", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	// Node B completes the first task: node A's copy is now stale.
	t1, err := b.eng.GetActivityTask(ctx, actArn, "b", 5*time.Second)
	if err != nil || t1 == nil {
		t.Fatalf("first task: %v", err)
	}
	if err := b.eng.SendTaskSuccess(ctx, t1.Token, `{"step":1}`); err != nil {
		t.Fatal(err)
	}
	// Node A completes the second one.
	t2, err := a.eng.GetActivityTask(ctx, actArn, "a", 5*time.Second)
	if err != nil || t2 == nil {
		t.Fatalf("second task: %v", err)
	}
	if err := a.eng.SendTaskSuccess(ctx, t2.Token, `{"step":2}`); err != nil {
		t.Fatalf("node A with a stale copy: %v", err)
	}
	rec = a.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" || rec.Output != `{"step":2}` {
		t.Fatalf("got %s %s", rec.Status, rec.Output)
	}
	a.types(rec.Arn)
}
