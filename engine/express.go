package engine

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/taskport"
)

// EXPRESS executions run in this process's memory, as on AWS, where they
// keep no history (nothing is kept unless CloudWatch logging is set up,
// and this server writes no such logs): nothing of them reaches the store,
// and a server that stops or crashes loses the EXPRESS executions it was
// running. They run every Task resource a STANDARD execution runs, through
// the same ports (ports.go), with their tasks and timers held in memory:
//
//   - an activity task waits in its activity's queue beside the STANDARD
//     ones, so GetActivityTask hands it to a worker; SendTaskSuccess,
//     SendTaskFailure and SendTaskHeartbeat find the live execution by the
//     token, which names it;
//   - a callback's token and a nested .sync child's end reach it the same
//     way;
//   - an execution ends after ExpressMaxDuration at the latest, TIMED_OUT
//     with States.Timeout.
//
// AWS gives an asynchronous EXPRESS execution at-least-once semantics and
// a synchronous one at-most-once. Here each runs once, unless a STANDARD
// parent's watchdog starts an EXPRESS child again after a restart lost the
// first (at least once).

// ExpressMaxDuration is AWS's limit on an EXPRESS execution's duration.
const ExpressMaxDuration = 5 * time.Minute

// expressLimit is ExpressMaxDuration, a var so tests can shorten it.
var expressLimit = ExpressMaxDuration

// Statecraft.ServerStopped aborts the EXPRESS executions still running
// when the engine stops: they are in memory only.
const errServerStopped = "Statecraft.ServerStopped"

// isExpressArn tells an EXPRESS execution's ARN (:express:) from a
// STANDARD one's (:execution:).
func isExpressArn(arn string) bool {
	i := 0
	for n := 0; n < 5; n++ {
		j := strings.IndexByte(arn[i:], ':')
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return strings.HasPrefix(arn[i:], "express:")
}

// RunExpress runs an EXPRESS execution to its end (StartSyncExecution) and
// returns its record, which nothing keeps. If ctx ends first, the caller
// has gone and the execution is stopped: ABORTED.
func (e *Engine) RunExpress(ctx context.Context, sm *store.StateMachine, name string, input *Input, traceHeader string, opts ...StartOption) *store.Execution {
	r := e.startExpress(sm, name, input, traceHeader, "", opts...)
	select {
	case <-r.done:
	case <-ctx.Done():
		r.stop("", "")
		<-r.done
	}
	return &r.rec
}

// StartExpress starts an EXPRESS execution (StartExecution of an EXPRESS
// state machine) and returns at once with its record, RUNNING unless it
// has already ended.
func (e *Engine) StartExpress(sm *store.StateMachine, name string, input *Input, traceHeader string, opts ...StartOption) *store.Execution {
	return e.startExpress(sm, name, input, traceHeader, "", opts...).snapshot()
}

// expressRun is one EXPRESS execution. mu guards everything the execution
// changes; rec is complete and no longer changes once done is closed.
type expressRun struct {
	e    *Engine
	mu   sync.Mutex
	rec  store.Execution
	x    *interp.Execution // nil once the execution has ended (finish)
	seed uint64
	// tasks are the open tasks by ref: what results and tokens may still
	// close. A ref not in it is a task that has ended, and what arrives
	// for it is ignored, as the interpreter ignores it.
	tasks  map[int64]*expressTask
	timers map[int64]*time.Timer // Wait states, retry back-offs, the execution's own TimeoutSeconds
	limit  *time.Timer
	// ctx ends with the execution: every call still running is cut short.
	ctx      context.Context
	cancel   context.CancelFunc
	unwatch  func() bool // stops watching the engine's end
	timedOut bool        // ended by expressLimit
	done     chan struct{}
}

type expressTask struct {
	ref       int64
	resource  string
	kind      resourceKind
	token     string
	cancel    context.CancelFunc
	timeout   *time.Timer
	heartbeat *time.Timer
	beat      time.Duration
	claimed   bool // an activity task a poller has: no longer queued
}

func newExpressID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (e *Engine) startExpress(sm *store.StateMachine, name string, input *Input, traceHeader, parentToken string, opts ...StartOption) *expressRun {
	sm, o := runs(sm, opts)
	r := e.newExpress(sm, o, name, input, traceHeader, parentToken)
	r.start(sm, input)
	return r
}

// newExpress makes the run of sm, which runs already applied o (runs).
func (e *Engine) newExpress(sm *store.StateMachine, o startOptions, name string, input *Input, traceHeader, parentToken string) *expressRun {
	return &expressRun{
		e: e,
		rec: store.Execution{
			Arn:             arn.ExpressExecution(sm.Arn, name, newExpressID()),
			StateMachineArn: sm.Arn,
			Name:            name,
			RoleArn:         sm.RoleArn,
			Input:           input.Text,
			Status:          "RUNNING",
			TraceHeader:     traceHeader,
			ParentToken:     parentToken,
			StartedAt:       e.now().Truncate(time.Millisecond),

			StateMachineVersionArn: o.versionArn(),
			StateMachineAliasArn:   o.aliasArn,
		},
		seed:   randomSeed(),
		tasks:  map[int64]*expressTask{},
		timers: map[int64]*time.Timer{},
		done:   make(chan struct{}),
	}
}

// start runs the execution up to its first wait.
func (r *expressRun) start(sm *store.StateMachine, input *Input) {
	e := r.e
	r.mu.Lock()
	defer r.mu.Unlock()
	mp, err := e.machine(sm.Definition)
	if err != nil {
		// CreateStateMachine validated it: only a bug gets here.
		e.log.Error("express definition does not parse", "stateMachine", sm.Arn, "err", err)
		r.rec.Status, r.rec.StoppedAt = "FAILED", e.now()
		r.rec.Error, r.rec.HasError = "States.Runtime", true
		r.rec.Cause, r.rec.HasCause = "The state machine definition could not be parsed: "+err.Error(), true
		r.forget()
		return
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	e.mu.Lock()
	e.express[r.rec.Arn] = r
	e.mu.Unlock()
	r.unwatch = context.AfterFunc(e.alive, func() {
		r.stop(errServerStopped, "The server stopped while the execution ran; EXPRESS executions are kept in memory only.")
	})
	r.limit = time.AfterFunc(expressLimit, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.x != nil && r.x.Status == interp.Running {
			r.timedOut = true
			_ = r.applyLocked(interp.Event{Kind: interp.Stop})
		}
	})
	x, cmds := mp.express.Start(e.info(&r.rec, input.Value, r.seed), r.rec.StartedAt, r.seed)
	r.x = x
	r.act(cmds)
}

// snapshot copies the record as it is now.
func (r *expressRun) snapshot() *store.Execution {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.rec
	return &rec
}

// stop ends the execution ABORTED (StopExecution's event), unless it has
// ended.
func (r *expressRun) stop(errName, cause string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.applyLocked(interp.Event{Kind: interp.Stop, Error: errName, Cause: cause})
}

// deliver feeds one event to the execution.
func (r *expressRun) deliver(ev interp.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applyLocked(ev)
}

// applyLocked feeds one event to the execution and acts on what it
// produced. An event for a task or timer that has ended is ignored
// (errIgnored); so is everything once the execution has ended
// (errNotRunning).
func (r *expressRun) applyLocked(ev interp.Event) error {
	if r.x == nil || r.x.Status != interp.Running {
		return errNotRunning
	}
	switch ev.Kind {
	case interp.TaskSucceeded, interp.TaskFailed, interp.TaskTimedOut:
		t, ok := r.tasks[ev.Ref]
		if !ok {
			return errIgnored
		}
		r.closeTask(t)
	case interp.TaskStarted:
		if _, ok := r.tasks[ev.Ref]; !ok {
			return errIgnored
		}
	case interp.TimerFired:
		if _, ok := r.timers[ev.Ref]; !ok {
			return errIgnored
		}
		delete(r.timers, ev.Ref)
	}
	ev.Time = r.e.now()
	ev.Seed = randomSeed()
	r.act(r.x.Apply(ev))
	return nil
}

// act carries out the interpreter's commands, and ends the execution when
// it has ended.
func (r *expressRun) act(cmds []interp.Command) {
	for _, c := range cmds {
		switch c.Kind {
		case interp.RunTask:
			r.runTask(c)
		case interp.StartTimer:
			ref := c.Ref
			r.timers[ref] = time.AfterFunc(c.Due.Sub(r.e.now()), func() {
				_ = r.deliver(interp.Event{Kind: interp.TimerFired, Ref: ref})
			})
		case interp.Cancel:
			if tm, ok := r.timers[c.Ref]; ok {
				tm.Stop()
				delete(r.timers, c.Ref)
			}
			if t, ok := r.tasks[c.Ref]; ok {
				r.closeTask(t)
			}
		}
	}
	if r.x != nil && r.x.Status != interp.Running {
		r.finish()
	}
}

// runTask starts one task attempt: the call through its port in a
// goroutine of its own, and its TimeoutSeconds and HeartbeatSeconds
// clocks.
func (r *expressRun) runTask(c interp.Command) {
	task := c.Task
	ref := c.Ref
	t := &expressTask{
		ref:      ref,
		resource: task.Resource,
		kind:     r.e.kindOf(task, r.rec.Arn, r.rec.RoleArn),
		token:    TaskToken(r.rec.Arn, ref, r.seed),
		beat:     time.Duration(task.HeartbeatSeconds) * time.Second,
	}
	req := taskport.Request{
		Resource:     task.Resource,
		Input:        task.Input,
		Timeout:      time.Duration(task.TimeoutSeconds) * time.Second,
		Heartbeat:    t.beat,
		ExecutionArn: r.rec.Arn,
		StateName:    task.StateName,
		Token:        t.token,
		Attempt:      task.Attempt,
		RoleArn:      task.RoleArn,
	}
	r.tasks[ref] = t
	if req.Timeout > 0 {
		t.timeout = time.AfterFunc(req.Timeout, func() {
			_ = r.deliver(interp.Event{Kind: interp.TaskTimedOut, Ref: ref, Error: interp.ErrTimeout})
		})
	}
	if t.beat > 0 {
		t.heartbeat = time.AfterFunc(t.beat, func() {
			_ = r.deliver(interp.Event{Kind: interp.TaskTimedOut, Ref: ref, Error: interp.ErrHeartbeatTimeout})
		})
	}
	if t.kind == kindActivity {
		// Queued at once, under the lock, so that closeTask always finds
		// it to take out of the queue. The call returns at once.
		_, _ = r.e.runTask(r.ctx, t.kind, req, r.rec.RoleArn)
		return
	}
	ctx, cancel := context.WithCancel(r.ctx)
	t.cancel = cancel
	go func() {
		defer cancel()
		ev, pending := r.e.runTask(ctx, t.kind, req, r.rec.RoleArn)
		if pending {
			return
		}
		ev.Ref = ref
		_ = r.deliver(ev)
	}()
}

// closeTask ends an open task: its call is cut short, its clocks stop and
// an activity task still queued leaves its queue.
func (r *expressRun) closeTask(t *expressTask) {
	delete(r.tasks, t.ref)
	if t.cancel != nil {
		t.cancel()
	}
	if t.timeout != nil {
		t.timeout.Stop()
	}
	if t.heartbeat != nil {
		t.heartbeat.Stop()
	}
	if t.kind == kindActivity && !t.claimed {
		r.e.dropExpressActivity(t.resource, t.token)
	}
}

// finish records how the execution ended and lets go of everything it
// held.
func (r *expressRun) finish() {
	x := r.x
	rec := &r.rec
	rec.Status, rec.StoppedAt = string(x.Status), r.e.now()
	rec.Error, rec.HasError, rec.Cause, rec.HasCause = x.Error, x.HasError, x.Cause, x.HasCause
	if r.timedOut {
		rec.Status = string(interp.TimedOut)
		rec.Error, rec.HasError = interp.ErrTimeout, true
		rec.Cause, rec.HasCause = "The execution exceeded the Express limit of 5 minutes.", true
	}
	if x.Status == interp.Succeeded {
		rec.Output = jsonv.String(x.Output)
	}
	// The record now holds copies of all it needs from x: x's memory goes
	// back to the Machine for the next execution (r.x nil reads as ended).
	x.Release()
	r.x = nil
	for _, t := range r.tasks {
		r.closeTask(t)
	}
	for ref, tm := range r.timers {
		tm.Stop()
		delete(r.timers, ref)
	}
	r.limit.Stop()
	r.unwatch()
	r.cancel()
	r.forget()
}

// forget ends the execution's life in the engine: its tokens no longer
// reach it, RunExpress returns, and a parent waiting for it hears of its
// end.
func (r *expressRun) forget() {
	e := r.e
	rec := &r.rec
	e.mu.Lock()
	delete(e.express, rec.Arn)
	e.mu.Unlock()
	close(r.done)
	if rec.ParentToken != "" {
		final := *rec
		go func() {
			e.reportChild(context.Background(), &final)
			e.mu.Lock()
			if e.children[final.ParentToken] == r {
				delete(e.children, final.ParentToken)
			}
			e.mu.Unlock()
		}()
	}
}

// expressTask resolves a task token that names an EXPRESS execution
// (express is false for a STANDARD one's): ErrInvalidToken when it is
// forged, ErrTaskTimedOut when the execution has ended, or was lost with a
// restart (the token cannot be checked then, and is answered as a closed
// task's).
func (e *Engine) expressTask(token string) (r *expressRun, ref int64, express bool, err error) {
	arn, ref, ok := parseToken(token)
	if !ok || !isExpressArn(arn) {
		return nil, 0, false, nil
	}
	e.mu.Lock()
	r = e.express[arn]
	e.mu.Unlock()
	if r == nil {
		return nil, 0, true, ErrTaskTimedOut
	}
	if TaskToken(arn, ref, r.seed) != token {
		return nil, 0, true, ErrInvalidToken
	}
	return r, ref, true, nil
}

// answer closes an open task with its outcome (SendTaskSuccess,
// SendTaskFailure).
func (r *expressRun) answer(ref int64, ev interp.Event) error {
	ev.Ref = ref
	if err := r.deliver(ev); err != nil {
		return ErrTaskTimedOut
	}
	return nil
}

// beat restarts an open task's heartbeat clock.
func (r *expressRun) beat(ref int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.tasks[ref]
	if !ok || r.x == nil || r.x.Status != interp.Running {
		return ErrTaskTimedOut
	}
	if t.heartbeat != nil {
		t.heartbeat.Reset(t.beat)
	}
	return nil
}

// childEnded hands a finished child's result to the .sync task waiting
// for it.
func (r *expressRun) childEnded(ref int64, child *store.Execution) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.tasks[ref]
	if !ok || t.kind != kindNested {
		return
	}
	if p := pattern(t.resource); p == ".sync" || p == ".sync:2" {
		out, err := childResult(child, p == ".sync:2")
		ev := outcome(t.resource, out, err)
		ev.Ref = ref
		_ = r.applyLocked(ev)
	}
}

// expressChild starts the EXPRESS child of a startExecution task, once per
// task: a STANDARD parent asking again (its watchdog) finds the same child
// while this process runs it or reports its end. Without a token (a
// TestState's start) the child is on its own.
func (e *Engine) expressChild(t *Target, nt *nestedTask, token string) *store.Execution {
	sm, o := runs(t.Machine, []StartOption{Through(t)})
	if token == "" {
		// No parent asks again, nor waits for the end.
		r := e.newExpress(sm, o, nt.name, nt.input, "", "")
		r.start(sm, nt.input)
		return r.snapshot()
	}
	e.mu.Lock()
	r, ok := e.children[token]
	if !ok {
		r = e.newExpress(sm, o, nt.name, nt.input, "", token)
		e.children[token] = r
	}
	e.mu.Unlock()
	if !ok {
		r.start(sm, nt.input)
	}
	return r.snapshot()
}
