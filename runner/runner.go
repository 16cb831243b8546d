// Package runner drives one execution of the interpreter to completion in
// process: it runs Task states through a taskport.Port, one at a time,
// keeps timers in a heap and either sleeps until they are due or, with
// FastForward, jumps the clock. It is what `statecraft run`, the conformance suite and the
// in-process benchmarks use; the durable engine is a different host of the
// same interpreter.
package runner

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/taskport"

	"github.com/statecraft/statecraft/jsonv"
)

// Options configure Run.
type Options struct {
	Info interp.Info
	// Tasks runs Task states. A *taskport.Failure fails the task (it can be
	// retried and caught; States.Timeout and States.HeartbeatTimeout time
	// it out), a resource it does not run fails the task with
	// Statecraft.ResourceNotSupported, and any other error stops the run.
	Tasks taskport.Port
	// Items reads a Distributed Map's items (interp.ItemReaderResource)
	// and writes its results (interp.ResultWriterResource), as
	// engine.Options.Items does; nil fails such Maps with
	// States.ItemReaderFailed or States.ResultWriterFailed.
	Items       taskport.Port
	FastForward bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Seed seeds the execution's randomness; 0 picks one from the clock.
	Seed uint64
	// OnEvents sees history events as they are recorded (needs History on
	// the machine).
	OnEvents func([]interp.HistoryEvent)
	// AssumeRole decides whether a task may run under the role of its
	// Credentials and answers the role's account, as
	// engine.Options.AssumeRole does; nil fails every task with
	// Credentials but those of AWS service integrations, whose port
	// assumes the role through STS (taskport.RoleAssumedByPort).
	AssumeRole func(role, executionArn, machineRole string) (account string, err error)
}

// Result is how the execution ended.
type Result struct {
	Status      interp.Status
	Output      any
	Error       string
	Cause       string
	HasError    bool
	HasCause    bool
	History     []interp.HistoryEvent
	Transitions int64
}

// ErrStuck means the execution waits for something this runner cannot give.
var ErrStuck = errors.New("execution is waiting for an event that will never come")

type timer struct {
	ref int64
	due time.Time
	seq int64
}

type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// Run executes m on opts.Info.Input until it ends.
func Run(ctx context.Context, m *interp.Machine, opts Options) (*Result, error) {
	clock := opts.Now
	if clock == nil {
		clock = time.Now
	}
	now := clock()
	virtual := now
	current := func() time.Time {
		if opts.FastForward {
			return virtual
		}
		return clock()
	}
	seed := opts.Seed
	if seed == 0 {
		seed = uint64(now.UnixNano())
	}
	// An input built in Go may hold Go maps: bring it into the model.
	opts.Info.Input = jsonv.Normalize(opts.Info.Input)
	x, cmds := m.Start(opts.Info, now, seed)
	var (
		tasks    []interp.Command
		timers   timerHeap
		seq      int64
		canceled = map[int64]bool{}
		seen     int
	)
	flush := func() {
		if opts.OnEvents != nil && len(x.History) > seen {
			opts.OnEvents(x.History[seen:])
			seen = len(x.History)
		}
	}
	take := func(cs []interp.Command) {
		for _, c := range cs {
			switch c.Kind {
			case interp.RunTask:
				tasks = append(tasks, c)
			case interp.StartTimer:
				seq++
				heap.Push(&timers, timer{ref: c.Ref, due: c.Due, seq: seq})
			case interp.Cancel:
				canceled[c.Ref] = true
			}
		}
	}
	take(cmds)
	flush()
	for x.Status == interp.Running {
		if ctx.Err() != nil {
			// Interrupted: stop the execution as StopExecution would, so the
			// caller still gets a result (ABORTED) and a complete history.
			take(x.Apply(interp.Event{Kind: interp.Stop, Time: current()}))
			break
		}
		var ev interp.Event
		switch {
		case len(tasks) > 0:
			c := tasks[0]
			tasks = tasks[1:]
			if canceled[c.Ref] {
				continue
			}
			port := opts.Tasks
			items := itemsError(c.Task.Resource)
			if items != "" {
				port = opts.Items
				if port == nil {
					port = noItems(items)
				}
			}
			if port == nil {
				return nil, fmt.Errorf("state %q: nothing runs the Task resource %s", c.Task.StateName, c.Task.Resource)
			}
			x.Apply(interp.Event{Kind: interp.TaskStarted, Time: current(), Ref: c.Ref, WorkerName: "statecraft-run"})
			req := request(c, opts.Info)
			var out any
			var err error
			if req.Account, err = assume(opts, req); err == nil {
				out, err = port.Invoke(ctx, req)
			}
			if err != nil && items != "" && !errors.Is(err, context.Canceled) {
				// Whatever goes wrong reading or writing fails the Map, as
				// the engine reports it.
				var f *taskport.Failure
				if !errors.As(err, &f) {
					err = taskport.Fail(items, err.Error())
				}
			}
			ev = interp.Event{Time: current(), Ref: c.Ref}
			var tf *taskport.Failure
			if errors.Is(err, taskport.ErrNotSupported) {
				tf = taskport.NotSupported(c.Task.Resource)
			}
			switch {
			case err == nil:
				ev.Kind, ev.Output = interp.TaskSucceeded, jsonv.Normalize(out)
			case tf != nil || errors.As(err, &tf):
				ev.Kind, ev.Error, ev.Cause = interp.TaskFailed, tf.Name, tf.Cause
				if tf.TimedOut() {
					ev.Kind = interp.TaskTimedOut
				}
			default:
				return nil, fmt.Errorf("state %q: %w", c.Task.StateName, err)
			}
		case timers.Len() > 0:
			t := heap.Pop(&timers).(timer)
			if canceled[t.ref] {
				continue
			}
			if opts.FastForward {
				if t.due.After(virtual) {
					virtual = t.due
				}
			} else if d := t.due.Sub(clock()); d > 0 {
				// Measured on the run's clock, not the wall clock: a custom
				// Now far from time.Now must neither hang nor skip the wait.
				select {
				case <-time.After(d):
				case <-ctx.Done():
					heap.Push(&timers, t)
					continue
				}
			}
			ev = interp.Event{Kind: interp.TimerFired, Time: current(), Ref: t.ref}
		default:
			return nil, ErrStuck
		}
		take(x.Apply(ev))
		flush()
	}
	flush()
	res := &Result{
		Status:      x.Status,
		Output:      x.Output,
		Error:       x.Error,
		Cause:       x.Cause,
		HasError:    x.HasError,
		HasCause:    x.HasCause,
		History:     x.History,
		Transitions: x.Transitions,
	}
	// The Result holds only values Release leaves valid; the Execution
	// itself goes back to m for the next run.
	x.Release()
	return res, nil
}

// itemsError is the error of a failed item read or results write, or ""
// for any other resource.
func itemsError(resource string) string {
	switch resource {
	case interp.ItemReaderResource:
		return interp.ErrItemReaderFailed
	case interp.ResultWriterResource:
		return interp.ErrResultWriterFailed
	}
	return ""
}

// NoItemStore is the cause of a Map that reads items or writes results
// when Options.Items is nil.
const NoItemStore = "No object store is configured to read items from or write results to."

type noItems string

func (n noItems) Invoke(context.Context, taskport.Request) (any, error) {
	return nil, taskport.Fail(string(n), NoItemStore)
}

// assume answers the account a task with Credentials runs in ("" for
// one without), or the failure of a role that cannot be assumed.
func assume(opts Options, req taskport.Request) (string, error) {
	if req.RoleArn == "" || taskport.RoleAssumedByPort(req.Resource) {
		// An AWS service integration's port assumes the role through STS.
		return "", nil
	}
	if opts.AssumeRole == nil {
		return "", taskport.Fail("States.TaskFailed", "Step Functions could not assume the role of the task's Credentials: no roles are configured to assume here ("+req.RoleArn+")")
	}
	acct, err := opts.AssumeRole(req.RoleArn, req.ExecutionArn, opts.Info.RoleArn)
	if err != nil {
		return "", taskport.Fail("States.TaskFailed", "Step Functions could not assume the role of the task's Credentials: "+err.Error())
	}
	return acct, nil
}

// request is what the port is asked for one RunTask command.
func request(c interp.Command, info interp.Info) taskport.Request {
	t := c.Task
	req := taskport.Request{
		Resource:     t.Resource,
		Input:        t.Input,
		Timeout:      time.Duration(t.TimeoutSeconds) * time.Second,
		Heartbeat:    time.Duration(t.HeartbeatSeconds) * time.Second,
		ExecutionArn: info.ExecutionArn,
		StateName:    t.StateName,
		Attempt:      t.Attempt,
		RoleArn:      t.RoleArn,
	}
	if info.TaskToken != nil {
		req.Token = info.TaskToken(c.Ref)
	}
	return req
}
