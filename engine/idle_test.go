package engine

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store/memstore"
)

// An execution that waits on timers alone, far off, leaves memory once its
// step commits, and is replayed from the store when its timer fires; one
// that waits on a task, or on a near timer, stays.
func TestIdleExecutionsLeaveMemory(t *testing.T) {
	const retryMachine = `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"` + actArn + `","End":true,
		     "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":3600,"MaxAttempts":1}]}}}`
	for _, c := range []struct {
		name string
		def  string
		// fail fails the first activity task (a Retry then waits);
		// before and after are how many activity tasks then succeed,
		// before the test moves the clock on, and after.
		fail          bool
		before, after int
		// kept: in memory once started (and after the first task failed);
		// history: the events when it has ended.
		kept    bool
		history string
	}{
		{name: "long Wait", def: `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"Next":"D"},"D":{"Type":"Succeed"}}}`,
			history: "ExecutionStarted WaitStateEntered WaitStateExited SucceedStateEntered SucceedStateExited ExecutionSucceeded"},
		{name: "long Wait, execution timeout later", def: `{"TimeoutSeconds":7200,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`,
			history: "ExecutionStarted WaitStateEntered WaitStateExited ExecutionSucceeded"},
		{name: "long Wait in each Parallel branch", def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":3600,"End":true}}},
			{"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":4000,"End":true}}}]}}}`,
			history: "ExecutionStarted ParallelStateEntered ParallelStateStarted WaitStateEntered WaitStateEntered WaitStateExited WaitStateExited ParallelStateSucceeded ParallelStateExited ExecutionSucceeded"},
		{name: "long Retry back-off", def: retryMachine, fail: true, after: 1,
			history: "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted ActivityFailed ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded"},
		{name: "short Wait", def: `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}`, kept: true,
			history: "ExecutionStarted WaitStateEntered WaitStateExited ExecutionSucceeded"},
		{name: "long Wait beside a task", def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":3600,"End":true}}},
			{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"` + actArn + `","End":true}}}]}}}`, kept: true, before: 1,
			history: "ExecutionStarted ParallelStateEntered ParallelStateStarted WaitStateEntered TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited WaitStateExited ParallelStateSucceeded ParallelStateExited ExecutionSucceeded"},
		{name: "task", def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + actArn + `","End":true}}}`, kept: true, before: 1,
			history: "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The engine's clock runs two hours behind, so that no timer
			// falls due until the test moves it on.
			var offset atomic.Int64
			offset.Store(int64(-2 * time.Hour))
			clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
			st := memstore.New()
			h := &harness{t: t, st: st, eng: New(st, Options{Now: clock}), done: make(chan struct{})}
			ctx, cancel := context.WithCancel(context.Background())
			h.cancel = cancel
			go func() { _ = h.eng.Run(ctx); close(h.done) }()
			t.Cleanup(h.stop)

			sm := h.machine(c.def)
			rec, err := h.eng.StartExecution(ctx, sm, "idle", input(`{}`), "")
			if err != nil {
				t.Fatal(err)
			}
			if c.fail {
				task, err := h.eng.GetActivityTask(ctx, actArn, "w", time.Minute)
				if err != nil || task == nil {
					t.Fatalf("no task: %v", err)
				}
				if err := h.eng.SendTaskFailure(ctx, task.Token, "Boom", ""); err != nil {
					t.Fatal(err)
				}
			}
			h.eng.mu.Lock()
			_, inMemory := h.eng.live[rec.Arn]
			h.eng.mu.Unlock()
			if inMemory != c.kept {
				t.Fatalf("in memory: %v, want %v", inMemory, c.kept)
			}
			answer := func(n int) {
				for range n {
					task, err := h.eng.GetActivityTask(ctx, actArn, "w", time.Minute)
					if err != nil || task == nil {
						t.Fatalf("no task: %v", err)
					}
					if err := h.eng.SendTaskSuccess(ctx, task.Token, `{"ok":1}`); err != nil {
						t.Fatal(err)
					}
				}
			}
			answer(c.before)
			// Every timer is due but the execution timeout's.
			offset.Store(int64(-2*time.Hour + 4001*time.Second))
			h.eng.kick()
			answer(c.after)
			rec = h.wait(rec.Arn)
			if rec.Status != "SUCCEEDED" {
				t.Fatalf("got %s %s %s", rec.Status, rec.Error, rec.Cause)
			}
			if got := strings.Join(h.types(rec.Arn), " "); got != c.history {
				t.Fatalf("history\n got %s\nwant %s", got, c.history)
			}
		})
	}
}
