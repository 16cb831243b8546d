package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

// countingNext counts the engine's reads of queued tasks.
type countingNext struct {
	store.Store
	mu    sync.Mutex
	reads int
}

func (c *countingNext) NextTasks(ctx context.Context, p store.NextTasksParams) ([]*store.Task, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Store.NextTasks(ctx, p)
}

func (c *countingNext) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// Tasks queued while no poller waits go to later pollers oldest first,
// from the engine's hints: once the store has been found empty, no poller
// reads it again.
func TestDispatchFromHints(t *testing.T) {
	st := &countingNext{Store: memstore.New()}
	h := newHarness(t, st)
	sm := h.machine(activityMachine(""))
	ctx := context.Background()
	// A first poll finds the store empty, which is what lets later
	// pollers trust the hints.
	if task, err := h.eng.GetActivityTask(ctx, actArn, "w", time.Millisecond); err != nil || task != nil {
		t.Fatalf("first poll = %+v, %v; want nothing", task, err)
	}
	reads := st.count()
	var arns []string
	for i := range 5 {
		rec, err := h.eng.StartExecution(ctx, sm, fmt.Sprint("e", i), input(fmt.Sprintf(`{"i":%d}`, i)), "")
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, rec.Arn)
	}
	for i := range 5 {
		task, err := h.eng.GetActivityTask(ctx, actArn, "w", time.Second)
		if err != nil || task == nil {
			t.Fatalf("poll %d: %+v, %v", i, task, err)
		}
		if task.ExecutionArn != arns[i] || !task.Started || task.WorkerName != "w" {
			t.Fatalf("poll %d got %+v, want the task of %s", i, task, arns[i])
		}
		if err := h.eng.SendTaskSuccess(ctx, task.Token, `{}`); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.count() - reads; n != 0 {
		t.Errorf("pollers read the store %d times; the hints should have served them", n)
	}
	for _, arn := range arns {
		if rec := h.wait(arn); rec.Status != "SUCCEEDED" {
			t.Errorf("%s: %s", arn, rec.Status)
		}
	}
}

// Tasks this node has no hint of, queued before it started (by an engine
// that has gone), are found in the store.
func TestDispatchFromStoreAfterRestart(t *testing.T) {
	st := memstore.New()
	first := newHarness(t, st)
	sm := first.machine(activityMachine(""))
	ctx := context.Background()
	rec, err := first.eng.StartExecution(ctx, sm, "before", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	first.stop()
	second := newHarness(t, st)
	task, err := second.eng.GetActivityTask(ctx, actArn, "w", time.Second)
	if err != nil || task == nil || task.ExecutionArn != rec.Arn {
		t.Fatalf("the new engine's poller got %+v, %v; want the task queued before it started", task, err)
	}
	if err := second.eng.SendTaskSuccess(ctx, task.Token, `{}`); err != nil {
		t.Fatal(err)
	}
	if got := second.wait(rec.Arn); got.Status != "SUCCEEDED" {
		t.Fatalf("status %s", got.Status)
	}
}

// Many pollers and many tasks: every task is handed out exactly once, and
// none waits for a long poll to expire (the polls would time out first).
func TestDispatchManyPollers(t *testing.T) {
	h := newHarness(t, memstore.New())
	sm := h.machine(activityMachine(""))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n, pollers = 200, 16
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range pollers {
		wg.Go(func() {
			for ctx.Err() == nil {
				task, err := h.eng.GetActivityTask(ctx, actArn, fmt.Sprint("w", w), time.Minute)
				if err != nil || task == nil {
					if ctx.Err() == nil {
						t.Errorf("poller %d: %+v, %v", w, task, err)
					}
					return
				}
				mu.Lock()
				seen[task.Token]++
				mu.Unlock()
				if err := h.eng.SendTaskSuccess(context.Background(), task.Token, `{}`); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var arns []string
	for i := range n {
		rec, err := h.eng.StartExecution(context.Background(), sm, fmt.Sprint("m", i), input(`{}`), "")
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, rec.Arn)
	}
	for _, arn := range arns {
		if rec := h.wait(arn); rec.Status != "SUCCEEDED" {
			t.Errorf("%s: %s", arn, rec.Status)
		}
	}
	cancel()
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d distinct tasks handed out, want %d", len(seen), n)
	}
	for tok, k := range seen {
		if k != 1 {
			t.Errorf("task %s handed out %d times", tok, k)
		}
	}
}
