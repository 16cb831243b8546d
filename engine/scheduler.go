package engine

import (
	"context"
	"errors"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/store"
)

// Run fires due timers until ctx is done. Only the next due time is held in
// memory; the timers themselves are rows.
func (e *Engine) Run(ctx context.Context) error {
	defer e.stopOnce.Do(func() {
		close(e.stopping)
		e.stop()
	})
	e.listen(ctx)
	if e.cl != nil {
		lctx, stopLeases := context.WithCancel(context.WithoutCancel(ctx))
		leasesDone := make(chan struct{})
		go e.keepLeases(lctx, leasesDone)
		// Runs after drain: the timers in flight have ended, so the
		// shards can go to the other nodes at once.
		defer func() {
			stopLeases()
			<-leasesDone
			e.leaveCluster()
		}()
	}
	for {
		// On a shared store, the timers of this node's shards only; and
		// the store is read at least every poll interval, since another
		// node's timer may come without a notification, and this node's
		// shards change.
		var leases []store.Lease
		wait := time.Minute
		if e.cl != nil {
			leases = e.cl.leases(time.Now())
			wait = e.opts.PollInterval
		}
		var nextDue time.Time
		var ok bool
		var err error
		if e.cl == nil || len(leases) > 0 {
			nextDue, ok, err = e.st.NextTimer(ctx, store.NextTimerParams{Leases: leases})
		}
		if err != nil {
			if ctx.Err() != nil {
				e.drain()
				return nil
			}
			e.log.Error("reading timers", "err", err)
		} else if ok {
			// By the engine's clock, as DueTimers is asked below: were
			// they to disagree (Options.Now), a timer due by one and not
			// the other would spin this loop, deaf to ctx.
			wait = min(wait, nextDue.Sub(e.now()))
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				e.drain()
				return nil
			case <-e.wake:
				t.Stop()
				continue
			case <-t.C:
			}
			if !ok {
				continue // the poll interval passed with nothing due: look again
			}
		}
		due, err := e.st.DueTimers(ctx, store.DueTimersParams{DueBy: e.now(), Limit: 512, Leases: leases})
		if err != nil {
			if ctx.Err() != nil {
				e.drain()
				return nil
			}
			e.log.Error("reading due timers", "err", err)
			continue
		}
		fired := 0
		for _, t := range due {
			e.mu.Lock()
			busy := e.inflight[t]
			if !busy {
				e.inflight[t] = true
			}
			e.mu.Unlock()
			if busy {
				continue
			}
			fired++
			e.sem <- struct{}{}
			// A firing under way when Run is told to stop finishes its
			// write (drain waits for it) rather than being cut off
			// half-way, which would leave its timer to fire again.
			go e.fire(context.WithoutCancel(ctx), t)
		}
		if fired == 0 && len(due) > 0 {
			// Everything due is already being applied: wait for a step to
			// finish instead of spinning.
			select {
			case <-ctx.Done():
				e.drain()
				return nil
			case <-e.wake:
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

// drain waits for timer firings under way, and for the commits of claims
// whose tasks were handed out before them.
func (e *Engine) drain() {
	e.awaitClaims()
	for i := 0; i < cap(e.sem); i++ {
		e.sem <- struct{}{}
	}
	for i := 0; i < cap(e.sem); i++ {
		<-e.sem
	}
}

func (e *Engine) fire(ctx context.Context, t store.Timer) {
	defer func() {
		e.mu.Lock()
		delete(e.inflight, t)
		e.mu.Unlock()
		<-e.sem
		e.kick()
	}()
	switch t.Kind {
	case store.TimerNested:
		e.nested(ctx, t)
		return
	case store.TimerInvoke:
		e.invoke(ctx, t)
		return
	case store.TimerAfterEnd:
		e.afterEnd(ctx, t)
		return
	}
	ev := interp.Event{Kind: interp.TimerFired, Ref: t.Ref}
	switch t.Kind {
	case store.TimerTask:
		ev = interp.Event{Kind: interp.TaskTimedOut, Ref: t.Ref, Error: interp.ErrTimeout}
	case store.TimerHeartbeat:
		ev = interp.Event{Kind: interp.TaskTimedOut, Ref: t.Ref, Error: interp.ErrHeartbeatTimeout}
	}
	err := e.applyFenced(ctx, t.ExecutionArn, ev, nil, t.Fence)
	switch {
	case err == nil:
	case e.fenced(err, t.Fence):
	case errors.Is(err, errIgnored), errors.Is(err, errNotRunning), errors.Is(err, ErrExecutionDoesNotExist):
		// A stale timer: the state it was for has moved on.
		if err := e.st.DeleteTimer(ctx, t); err != nil && !e.fenced(err, t.Fence) && ctx.Err() == nil {
			e.log.Error("deleting stale timer", "execution", t.ExecutionArn, "err", err)
		}
	default:
		if ctx.Err() == nil {
			e.log.Error("firing timer", "execution", t.ExecutionArn, "kind", t.Kind, "err", err)
		}
	}
}
