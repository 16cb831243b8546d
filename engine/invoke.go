package engine

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
)

// Invoker runs Task resources that this server runs itself: local
// functions (arn:aws:lambda:...:function:NAME, arn:aws:states:::lambda:invoke)
// and HTTP tasks.
type Invoker interface {
	// Invoke runs one task attempt and returns its result. A *TaskError
	// fails the task with that error name (Retry and Catch see it);
	// ErrNotSupported says the invoker does not run this resource.
	Invoke(ctx context.Context, req InvokeRequest) (any, error)
}

// InvokeRequest is one task attempt.
type InvokeRequest struct {
	Resource     string
	Input        any
	Timeout      time.Duration // the state's TimeoutSeconds; 0 when unset
	ExecutionArn string
	StateName    string
	// Token is the task token ($$.Task.Token), for .waitForTaskToken
	// integrations whose callee answers with SendTaskSuccess.
	Token string
}

// TaskError fails a task with a Step Functions error name and cause.
type TaskError struct {
	Name  string
	Cause string
}

func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }

// ErrNotSupported is what an Invoker returns for a resource it does not run.
var ErrNotSupported = errors.New("resource not supported")

// invokeWatch is how long after an invocation's deadline the engine tries
// again if it never heard back (the server died while it ran).
var invokeWatch = 30 * time.Second // a var so tests can shorten it

func invokeTaskInput(t *interp.Task) string {
	return jsonv.String(map[string]any{"Resource": t.Resource, "Input": t.Input, "TimeoutSeconds": t.TimeoutSeconds, "StateName": t.StateName})
}

// invoke fires an invoke timer: it starts the invocation in its own
// goroutine (a function may run for minutes, and must not hold a timer
// worker) and moves the timer out as a watchdog.
func (e *Engine) invoke(ctx context.Context, t store.Timer) {
	parent, task, token, ok := e.outboxTask(ctx, t)
	if !ok {
		return
	}
	v, err := jsonv.ParseString(task.Input)
	if err != nil {
		e.failParent(ctx, parent.Arn, t.Ref, "States.Runtime", "The task's stored request is not readable: "+err.Error())
		return
	}
	m, _ := v.(map[string]any)
	req := InvokeRequest{ExecutionArn: parent.Arn, Token: token, Input: m["Input"]}
	req.Resource, _ = m["Resource"].(string)
	req.StateName, _ = m["StateName"].(string)
	if secs, ok := jsonv.Integer(m["TimeoutSeconds"]); ok && secs > 0 {
		req.Timeout = time.Duration(secs) * time.Second
	}
	e.mu.Lock()
	if e.invoking == nil {
		e.invoking = map[string]bool{}
	}
	running := e.invoking[token]
	e.invoking[token] = true
	e.mu.Unlock()
	if running {
		// Still running here: the watchdog only matters after a restart.
		_ = e.st.SetTimer(ctx, store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerInvoke, Due: e.now().Add(invokeWatch)})
		return
	}
	watch := invokeWatch
	if req.Timeout > 0 {
		watch += req.Timeout
	}
	if err := e.st.SetTimer(ctx, store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerInvoke, Due: e.now().Add(watch)}); err != nil {
		e.mu.Lock()
		delete(e.invoking, token)
		e.mu.Unlock()
		return
	}
	go func() {
		defer func() {
			e.mu.Lock()
			delete(e.invoking, token)
			e.mu.Unlock()
		}()
		ev := e.runInvoker(req)
		if strings.HasSuffix(req.Resource, ".waitForTaskToken") {
			// The callee answers later with SendTaskSuccess/Failure; only a
			// failed call ends the task now. Nothing to call is fine too:
			// someone else was handed the token.
			if ev.Kind == interp.TaskSucceeded || ev.Error == "Statecraft.ResourceNotSupported" {
				_ = e.st.DeleteTimer(context.Background(), store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerInvoke})
				return
			}
		}
		select {
		case <-e.stopping:
			// Cut short by shutdown: not the task's failure. The watchdog
			// timer runs it again after the restart.
			return
		default:
		}
		ev.Ref = t.Ref
		e.deliver(context.Background(), parent.Arn, ev)
	}()
}

func (e *Engine) runInvoker(req InvokeRequest) interp.Event {
	notSupported := interp.Event{Kind: interp.TaskFailed, Error: "Statecraft.ResourceNotSupported", Cause: "This server cannot run the resource " + req.Resource + "."}
	if foreignResource(req.Resource, req.ExecutionArn) {
		return interp.Event{Kind: interp.TaskFailed, Error: "States.TaskFailed",
			Cause: "The resource " + req.Resource + " belongs to another account or region than the execution " + req.ExecutionArn + "; an execution can only use its own account's resources in its own region."}
	}
	if e.opts.Invoker == nil {
		return notSupported
	}
	life, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		select {
		case <-e.stopping:
			stop()
		case <-life.Done():
		}
	}()
	ctx := life
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(life, req.Timeout)
		defer cancel()
	}
	out, err := e.opts.Invoker.Invoke(ctx, req)
	var te *TaskError
	switch {
	case err == nil:
		return interp.Event{Kind: interp.TaskSucceeded, Output: out}
	case errors.Is(err, ErrNotSupported):
		return notSupported
	case errors.As(err, &te):
		return interp.Event{Kind: interp.TaskFailed, Error: te.Name, Cause: te.Cause}
	case errors.Is(err, context.DeadlineExceeded):
		return interp.Event{Kind: interp.TaskTimedOut, Error: interp.ErrTimeout}
	}
	return interp.Event{Kind: interp.TaskFailed, Error: "States.TaskFailed", Cause: err.Error()}
}

// outboxTask finds the open task an outbox timer (invoke, nested) stands
// for. When the execution or the task is gone there is nothing left to do,
// and the timer is deleted.
func (e *Engine) outboxTask(ctx context.Context, t store.Timer) (*store.Execution, *store.Task, string, bool) {
	parent, err := e.st.GetExecution(ctx, t.ExecutionArn)
	if err != nil {
		_ = e.st.DeleteTimer(ctx, t)
		return nil, nil, "", false
	}
	token := TaskToken(parent.Arn, t.Ref, parent.Seed)
	task, err := e.st.GetTask(ctx, token)
	if err != nil {
		_ = e.st.DeleteTimer(ctx, t)
		return nil, nil, "", false
	}
	return parent, task, token, true
}
