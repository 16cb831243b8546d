package engine

import (
	"context"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/taskport"
)

// The outbox of a STANDARD execution's calls (callbacks, local functions,
// HTTP tasks): the step that schedules a task commits its row and a timer
// due now; firing the timer calls the port. The timer then stays as a
// watchdog that calls again if the server died during the call.

// invokeWatch is how long after an invocation's deadline the engine tries
// again if it never heard back (the server died while it ran).
var invokeWatch = 30 * time.Second // a var so tests can shorten it

func invokeTaskInput(t *interp.Task) string {
	m := map[string]any{"Resource": t.Resource, "Input": t.Input, "TimeoutSeconds": t.TimeoutSeconds, "StateName": t.StateName}
	if t.HeartbeatSeconds > 0 {
		m["HeartbeatSeconds"] = t.HeartbeatSeconds
	}
	if t.Attempt > 0 {
		m["Attempt"] = int64(t.Attempt)
	}
	if t.RoleArn != "" {
		m["RoleArn"] = t.RoleArn
	}
	return jsonv.String(m)
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
	m, _ := v.(*jsonv.Object)
	req := taskport.Request{ExecutionArn: parent.Arn, Token: token, Input: m.Value("Input")}
	req.Resource, _ = m.Value("Resource").(string)
	req.StateName, _ = m.Value("StateName").(string)
	if secs, ok := jsonv.Integer(m.Value("TimeoutSeconds")); ok && secs > 0 {
		req.Timeout = time.Duration(secs) * time.Second
	}
	if secs, ok := jsonv.Integer(m.Value("HeartbeatSeconds")); ok && secs > 0 {
		req.Heartbeat = time.Duration(secs) * time.Second
	}
	if n, ok := jsonv.Integer(m.Value("Attempt")); ok {
		req.Attempt = int(n)
	}
	req.RoleArn, _ = m.Value("RoleArn").(string)
	e.mu.Lock()
	if e.invoking == nil {
		e.invoking = map[string]bool{}
	}
	running := e.invoking[token]
	e.invoking[token] = true
	e.mu.Unlock()
	if running {
		// Still running here: the watchdog only matters after a restart.
		_ = e.st.SetTimer(ctx, store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerInvoke, Due: e.now().Add(invokeWatch), Fence: t.Fence})
		return
	}
	watch := invokeWatch
	if req.Timeout > 0 {
		watch += req.Timeout
	}
	// The fenced move of the timer is what claims the invocation for this
	// node: a node that lost the shard is refused here, before it calls.
	if err := e.st.SetTimer(ctx, store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerInvoke, Due: e.now().Add(watch), Fence: t.Fence}); err != nil {
		e.fenced(err, t.Fence)
		e.mu.Lock()
		delete(e.invoking, token)
		e.mu.Unlock()
		return
	}
	e.goInvoking(token, func(life context.Context) {
		ev, pending := e.runTask(life, taskKind(req.Resource, req.ExecutionArn), req, parent.RoleArn)
		if pending {
			// The holder of the token answers later: only the watchdog
			// had to go.
			_ = e.st.DeleteTimer(context.Background(), store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerInvoke, Fence: t.Fence})
			return
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
	})
}

// goInvoking runs fn on a goroutine of its own, with a context that ends
// when the engine stops, and takes key out of e.invoking once fn returns.
// The caller has put key there.
func (e *Engine) goInvoking(key string, fn func(life context.Context)) {
	go func() {
		defer func() {
			e.mu.Lock()
			delete(e.invoking, key)
			e.mu.Unlock()
		}()
		life, stop := context.WithCancel(context.Background())
		defer stop()
		go func() {
			select {
			case <-e.stopping:
				stop()
			case <-life.Done():
			}
		}()
		fn(life)
	}()
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
