package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
)

// release puts a claimed activity task back in its queue, for a poller
// that went away while it was being handed the task. The task is closed
// and added again unclaimed in one step of its execution, under the
// execution's lock, so a task closed meanwhile stays closed. A task whose
// release fails stays claimed until the next restart queues it again.
func (e *Engine) release(t *store.Task) {
	if isExpressArn(t.ExecutionArn) {
		e.releaseExpress(t)
		return
	}
	// A task handed out before its claim committed: once the commit has
	// ended, the pollers woken below can claim the task again.
	e.awaitClaim(t.Token)
	for range 16 {
		err := e.releaseOnce(t)
		if err == nil {
			e.notifyActivity(t.ActivityArn, nil)
			return
		}
		if !errors.Is(err, store.ErrConflict) {
			if !errors.Is(err, errNotRunning) && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, ErrExecutionDoesNotExist) {
				e.log.Warn("queueing a task again", "execution", t.ExecutionArn, "err", err)
			}
			return
		}
		// Another node's step came first: this copy is stale.
		e.evict(t.ExecutionArn)
	}
}

func (e *Engine) releaseOnce(t *store.Task) error {
	ctx := context.Background()
	l, err := e.acquire(ctx, t.ExecutionArn)
	if err != nil {
		return err // ended: its tasks are closed
	}
	defer l.mu.Unlock()
	if l.x.Status != interp.Running {
		return errNotRunning
	}
	open, err := e.st.GetTask(ctx, t.Token)
	if err != nil {
		return err // closed meanwhile
	}
	back := *open
	back.Started, back.WorkerName = false, ""
	return e.commit(ctx, l, store.StepParams{ExecutionArn: l.arn, Seq: l.seq, CloseTasks: []string{t.Token}, AddTasks: []store.Task{back}})
}

// openTask resolves a token to its open task.
func (e *Engine) openTask(ctx context.Context, token string) (*store.Task, error) {
	t, err := e.st.GetTask(ctx, token)
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	// A well-formed token of a real execution belongs to a closed task.
	arn, ref, ok := parseToken(token)
	if !ok {
		return nil, ErrInvalidToken
	}
	rec, err := e.st.GetExecution(ctx, arn)
	if err != nil || TaskToken(arn, ref, rec.Seed) != token {
		return nil, ErrInvalidToken
	}
	return nil, ErrTaskTimedOut
}

func (e *Engine) complete(ctx context.Context, token string, ev interp.Event) error {
	if r, ref, express, err := e.expressTask(token); express {
		if err != nil {
			return err
		}
		return r.answer(ref, ev)
	}
	if e.sq != nil {
		// The task's claim may be queued on the store, not yet committed
		// (queueClaim): the answer is built on top of it and queued right
		// behind it, rather than waiting for its commit. Should the claim
		// fail, the store refuses the answer and it takes the ordinary
		// path below, which finds the task as the store has it.
		if arn, ref, exact, ok := e.liveToken(token); ok && exact {
			ev := ev
			ev.Ref = ref
			err := e.applyOnce(ctx, arn, ev, nil, store.Fence{}, nil, token)
			switch {
			case errors.Is(err, errNotQueued), errors.Is(err, store.ErrConflict):
			case errors.Is(err, errIgnored), errors.Is(err, errNotRunning):
				return ErrTaskTimedOut
			default:
				return err
			}
		}
	}
	e.awaitClaim(token)
	arn, ref, exact, ok := e.liveToken(token)
	if !ok || (!exact && e.handsOutEarly()) {
		t, err := e.openTask(ctx, token)
		if err != nil {
			return err
		}
		arn, ref = t.ExecutionArn, t.Ref
		if t.ActivityArn != "" && !t.Started {
			if err := e.startHandedOut(ctx, t); err != nil {
				return err
			}
		}
	}
	ev.Ref = ref
	err := e.apply(ctx, arn, ev, nil)
	if errors.Is(err, errIgnored) || errors.Is(err, errNotRunning) {
		return ErrTaskTimedOut
	}
	return err
}

// liveToken resolves the token of an execution this node has in memory
// without reading the task's row: the token names the execution and the
// task's ref, and the execution's seed proves it genuine. Whether the task
// is still open is then the execution's to say: it waits for a task
// exactly as long as the task's row exists (the step that ends the one
// closes the other), and ignores an answer for one it no longer waits for,
// which complete reports as the store's missing row would be. exact: the
// copy is one this process started and has made every step through (see
// claim).
func (e *Engine) liveToken(token string) (arn string, ref int64, exact, ok bool) {
	arn, ref, ok = parseToken(token)
	if !ok {
		return "", 0, false, false
	}
	e.mu.Lock()
	l, ok := e.live[arn]
	if ok {
		exact = l.exact
	}
	e.mu.Unlock()
	if !ok || TaskToken(arn, ref, l.seed) != token {
		return "", 0, false, false
	}
	return arn, ref, exact, true
}

// startHandedOut records ActivityStarted for an activity task a worker
// answers though the store has it unclaimed: it was handed out before its
// claim committed, and the claim was lost (the server died first, or the
// commit failed). The answer then follows ActivityStarted in the history,
// as after any other delivery. The worker's name went with the lost
// claim: the event has none. A poller claiming the task meanwhile is
// serialised with this step by the execution's lock; whichever comes
// second finds the task started and records nothing.
//
// On a store of one node a live copy the process started itself (exact)
// has recorded every claim it handed out (a claim whose commit failed
// drops the copy), so only answers reaching other copies read the row.
func (e *Engine) startHandedOut(ctx context.Context, t *store.Task) error {
	err := e.apply(ctx, t.ExecutionArn, interp.Event{Kind: interp.TaskStarted, Ref: t.Ref}, &store.TaskClaim{Token: t.Token})
	switch {
	case err == nil, errors.Is(err, errIgnored), errors.Is(err, errNotRunning), errors.Is(err, store.ErrConflict):
		// Recorded, or started or closed meanwhile: the answer's own
		// step says what it finds.
		return nil
	default:
		return err
	}
}

// SendTaskSuccess completes a task with its output (JSON text).
func (e *Engine) SendTaskSuccess(ctx context.Context, token, output string) error {
	v, err := jsonv.ParseString(output)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidOutput, err)
	}
	return e.complete(ctx, token, interp.Event{Kind: interp.TaskSucceeded, Output: v})
}

// SendTaskFailure fails a task.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	return e.complete(ctx, token, interp.Event{Kind: interp.TaskFailed, Error: errName, Cause: cause})
}

// SendTaskHeartbeat restarts a task's heartbeat clock.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	if r, ref, express, err := e.expressTask(token); express {
		if err != nil {
			return err
		}
		return r.beat(ref)
	}
	e.awaitClaim(token)
	t, err := e.openTask(ctx, token)
	if err != nil {
		return err
	}
	if t.HeartbeatSeconds > 0 {
		err := e.st.SetTimer(ctx, store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerHeartbeat, Due: e.now().Add(time.Duration(t.HeartbeatSeconds) * time.Second)})
		if err != nil {
			return err
		}
		e.kick()
	}
	return nil
}

// StopExecution aborts a running execution. Stopping one that has already
// ended changes nothing.
func (e *Engine) StopExecution(ctx context.Context, arn, errName, cause string) (*store.Execution, error) {
	err := e.apply(ctx, arn, interp.Event{Kind: interp.Stop, Error: errName, Cause: cause}, nil)
	if errors.Is(err, ErrExecutionDoesNotExist) || errors.Is(err, store.ErrNotFound) {
		if rec, cerr := e.stopMapRunChild(ctx, arn, errName, cause); !errors.Is(cerr, ErrExecutionDoesNotExist) {
			return rec, cerr
		}
		return nil, err
	}
	if err != nil && !errors.Is(err, errNotRunning) {
		return nil, err
	}
	return e.st.GetExecution(ctx, arn)
}

// TokenActivity is the activity a task token's task is queued on, "" for
// a task of another kind or a token no open task has. An activity task
// under Credentials may be queued in another account than its
// execution's: that account's workers answer its token.
func (e *Engine) TokenActivity(ctx context.Context, token string) string {
	if r, ref, express, err := e.expressTask(token); express {
		if err != nil {
			return ""
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if t := r.tasks[ref]; t != nil && t.kind == kindActivity {
			return t.resource
		}
		return ""
	}
	t, err := e.st.GetTask(ctx, token)
	if err != nil {
		return ""
	}
	return t.ActivityArn
}
