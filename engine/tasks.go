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

// waiter returns the channel that is closed when a task is next queued for
// an activity. Taking it before looking for a task means no wake-up is lost.
func (e *Engine) waiter(activityArn string) chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	ch, ok := e.waiters[activityArn]
	if !ok {
		ch = make(chan struct{})
		e.waiters[activityArn] = ch
	}
	return ch
}

func (e *Engine) notifyActivity(activityArn string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ch, ok := e.waiters[activityArn]; ok {
		close(ch)
		delete(e.waiters, activityArn)
	}
}

// GetActivityTask long-polls for a task of an activity for up to wait. It
// returns nil, nil when none arrived. A task handed out is recorded as
// ActivityStarted before it is returned.
func (e *Engine) GetActivityTask(ctx context.Context, activityArn, worker string, wait time.Duration) (*store.Task, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		ch := e.waiter(activityArn)
		t, err := e.st.ClaimTask(ctx, activityArn, worker)
		if err == nil {
			// The claim is committed. Record it whether or not the poller
			// is still there, and if it has gone (or the step failed),
			// queue the task again: nobody else would ever be given it.
			err := e.apply(context.WithoutCancel(ctx), t.ExecutionArn, interp.Event{Kind: interp.TaskStarted, Ref: t.Ref, WorkerName: worker})
			if err != nil && !errors.Is(err, errIgnored) {
				if errors.Is(err, errNotRunning) || errors.Is(err, ErrExecutionDoesNotExist) {
					continue // the execution ended meanwhile: look for another task
				}
				e.release(t)
				return nil, err
			}
			if ctx.Err() != nil {
				e.release(t)
				return nil, nil
			}
			return t, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		e.pollerWaiting(activityArn, 1) // counted for Stats while it waits
		woken := false
		select {
		case <-ch:
			woken = true
		case <-deadline.C:
		case <-ctx.Done():
		case <-e.stopping:
		}
		e.pollerWaiting(activityArn, -1)
		if !woken {
			return nil, nil
		}
	}
}

// release puts a claimed activity task back in its queue, for a poller
// that went away while it was being handed the task. The task is closed
// and added again unclaimed in one step of its execution, under the
// execution's lock, so a task closed meanwhile stays closed. A task whose
// release fails stays claimed until the next restart queues it again.
func (e *Engine) release(t *store.Task) {
	ctx := context.Background()
	l, err := e.acquire(ctx, t.ExecutionArn)
	if err != nil {
		return // ended: its tasks are closed
	}
	defer l.mu.Unlock()
	if l.x.Status != interp.Running {
		return
	}
	open, err := e.st.GetTask(ctx, t.Token)
	if err != nil {
		return // closed meanwhile
	}
	back := *open
	back.Started, back.WorkerName = false, ""
	step := store.StepParams{ExecutionArn: l.arn, Seq: l.seq, CloseTasks: []string{t.Token}, AddTasks: []store.Task{back}}
	if err := e.st.CommitStep(ctx, step); err != nil {
		e.log.Warn("queueing a task again", "execution", l.arn, "err", err)
		return
	}
	e.notifyActivity(t.ActivityArn)
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
	t, err := e.openTask(ctx, token)
	if err != nil {
		return err
	}
	ev.Ref = t.Ref
	err = e.apply(ctx, t.ExecutionArn, ev)
	if errors.Is(err, errIgnored) || errors.Is(err, errNotRunning) {
		return ErrTaskTimedOut
	}
	return err
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
	err := e.apply(ctx, arn, interp.Event{Kind: interp.Stop, Error: errName, Cause: cause})
	if err != nil && !errors.Is(err, errNotRunning) {
		return nil, err
	}
	return e.st.GetExecution(ctx, arn)
}
