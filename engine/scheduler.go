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
	for {
		wait := time.Minute
		next, ok, err := e.st.NextTimer(ctx, store.NextTimerParams{})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			e.log.Error("reading timers", "err", err)
		} else if ok {
			wait = time.Until(next)
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
		}
		due, err := e.st.DueTimers(ctx, store.DueTimersParams{DueBy: e.now(), Limit: 512})
		if err != nil {
			if ctx.Err() != nil {
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
			go e.fire(ctx, t)
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

// drain waits for timer firings under way.
func (e *Engine) drain() {
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
	}
	ev := interp.Event{Kind: interp.TimerFired, Ref: t.Ref}
	switch t.Kind {
	case store.TimerTask:
		ev = interp.Event{Kind: interp.TaskTimedOut, Ref: t.Ref, Error: interp.ErrTimeout}
	case store.TimerHeartbeat:
		ev = interp.Event{Kind: interp.TaskTimedOut, Ref: t.Ref, Error: interp.ErrHeartbeatTimeout}
	}
	err := e.apply(ctx, t.ExecutionArn, ev, nil)
	switch {
	case err == nil:
	case errors.Is(err, errIgnored), errors.Is(err, errNotRunning), errors.Is(err, ErrExecutionDoesNotExist):
		// A stale timer: the state it was for has moved on.
		if err := e.st.DeleteTimer(ctx, t); err != nil && ctx.Err() == nil {
			e.log.Error("deleting stale timer", "execution", t.ExecutionArn, "err", err)
		}
	default:
		if ctx.Err() == nil {
			e.log.Error("firing timer", "execution", t.ExecutionArn, "kind", t.Kind, "err", err)
		}
	}
}
