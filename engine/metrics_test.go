package engine

import (
	"context"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

// waitFor polls cond until it holds, failing after a while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A poller waiting raises the pollers gauge and lowers it when it is
// handed a task or gives up; a task claimed leaves the store's queue; the
// counters see the executions start, their states entered and their end.
func TestStatsPollersQueueAndCounters(t *testing.T) {
	h := newHarness(t, memstore.New())
	sm := h.machine(activityMachine(""))
	ctx := context.Background()
	if s := h.eng.Stats(); s.ExecutionsStarted != 0 || s.StateTransitions != 0 || len(s.PollersWaiting) != 0 || len(s.ExecutionsFinished) != 0 {
		t.Fatalf("new engine: %+v", s)
	}
	waiting := func() int64 { return h.eng.Stats().PollersWaiting[actArn] }
	queued := func() int64 {
		q, err := h.st.QueuedTasks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return q[actArn]
	}

	// Two pollers wait: the gauge counts both.
	pctx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	got := make(chan *store.Task, 2)
	for _, w := range []string{"w1", "w2"} {
		go func() {
			task, err := h.eng.GetActivityTask(pctx, actArn, w, 10*time.Second)
			if err != nil {
				t.Error(err)
			}
			got <- task
		}()
	}
	waitFor(t, "two pollers waiting", func() bool { return waiting() == 2 })

	// A task scheduled goes to one of them: one left waiting, none queued.
	one, err := h.eng.StartExecution(ctx, sm, "one", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	task := <-got
	if task == nil {
		t.Fatal("a waiting poller was handed no task")
	}
	waitFor(t, "one poller waiting", func() bool { return waiting() == 1 })
	// The task was handed out before its claim committed (a store of one
	// node): it leaves the queue once the claim has.
	waitFor(t, "the task claimed", func() bool { return queued() == 0 })
	if err := h.eng.SendTaskSuccess(ctx, task.Token, `{}`); err != nil {
		t.Fatal(err)
	}
	h.wait(one.Arn)

	// The other poller gives up: none waiting.
	stopPolling()
	if task := <-got; task != nil {
		t.Fatalf("a cancelled poll was handed %+v", task)
	}
	if n := waiting(); n != 0 {
		t.Fatalf("pollers waiting after they left = %d, want 0", n)
	}

	// With nobody polling, a task is queued; a claim takes it off the
	// queue, and a poll that finds a task at once never counts as waiting.
	two, err := h.eng.StartExecution(ctx, sm, "two", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if n := queued(); n != 1 {
		t.Fatalf("queued with no poller = %d, want 1", n)
	}
	task, err = h.eng.GetActivityTask(ctx, actArn, "w3", time.Second)
	if err != nil || task == nil {
		t.Fatalf("claim: %v %v", task, err)
	}
	waitFor(t, "the task claimed", func() bool { return queued() == 0 })
	if err := h.eng.SendTaskFailure(ctx, task.Token, "Boom", ""); err != nil {
		t.Fatal(err)
	}
	h.wait(two.Arn)

	// Three starts (a repeated start of a running execution is none);
	// states entered: T by "one", T and Caught by "two", W by "long"; two
	// ended, both SUCCEEDED ("two" caught its failure).
	long := h.machine(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	for range 2 {
		if _, err := h.eng.StartExecution(ctx, long, "long", input(`{}`), ""); err != nil {
			t.Fatal(err)
		}
	}
	s := h.eng.Stats()
	if s.ExecutionsStarted != 3 || s.StateTransitions != 4 || len(s.ExecutionsFinished) != 1 || s.ExecutionsFinished["SUCCEEDED"] != 2 || s.PollersWaiting[actArn] != 0 {
		t.Fatalf("stats %+v, want 3 started, 4 transitions, 2 SUCCEEDED, 0 pollers", s)
	}
}
