package interp

import (
	"time"

	"github.com/statecraft/statecraft/asl"
)

// RedriveCount is how many times the execution was redriven.
func (x *Execution) RedriveCount() int64 { return x.redrives }

// redrive applies a Redrive event to an execution that ended without
// succeeding. The frames keep the state each thread of control was in when
// the execution ended (a failed state, a task cut short by StopExecution,
// the children of a Parallel or Map), so the redrive reopens them: a state
// that failed or was cut short is entered again with the input it had,
// its retry counters at zero; a Parallel or Map whose children failed
// keeps the children that succeeded, with their results, and reruns the
// others. Everything is appended to the same history after an
// ExecutionRedriven event.
func (x *Execution) redrive(ev Event) []Command {
	if x.Status == Running || x.Status == Succeeded || x.root == nil || x.test != nil {
		return nil
	}
	x.now = ev.Time
	if ev.Seed != 0 {
		x.rng = ev.Seed
	}
	x.redrives++
	x.redriveTime = ev.Time
	x.Status = Running
	x.Output = nil
	x.Error, x.Cause, x.HasError, x.HasCause = "", "", false, false
	var d *Details
	if x.hist {
		d = &Details{More: &MoreDetails{RedriveCount: ptr(x.redrives)}}
	}
	id := x.emit(nil, x.nextID, "ExecutionRedriven", d)
	if x.m.def.TimeoutSeconds > 0 {
		// The redriven execution has its TimeoutSeconds again, counted
		// from the redrive.
		x.execTimer = x.newTimerRef()
		x.cmds = append(x.cmds, Command{Kind: StartTimer, Ref: x.execTimer, Due: x.now.Add(time.Duration(x.m.def.TimeoutSeconds) * time.Second)})
	}
	x.work = x.work[:0]
	x.reopen(x.root, id)
	x.run()
	return x.takeCommands()
}

// reopen makes frame f run again after a redrive; prev is the id its next
// event follows.
func (x *Execution) reopen(f *frame, prev int64) {
	// A frame the execution's end left on the work stack still reads as
	// queued.
	f.queued = false
	f.aborted = false
	f.err, f.out, f.outBound = nil, nil, 0
	f.last = prev
	f.owned = nil
	f.started = false
	f.childFailed = false
	f.retries, f.retryCount = nil, 0
	if f.fanout != nil && f.results != nil && (f.state.Type == asl.TypeParallel || f.state.Type == asl.TypeMap) {
		x.reopenChildren(f, prev)
		return
	}
	// The state failed (or was cut short) on its own: enter it again with
	// the input it had.
	f.phase = phaseEnter
	x.push(f)
}

// rerunChild runs child c of Parallel or Map frame f again after a
// redrive; prev is the id its next event follows. An Express child of a
// Distributed Map cannot be redriven: AWS starts it anew (StartExecution),
// a new execution from the processor's first state, with the input it had
// and a time limit of its own.
func (x *Execution) rerunChild(f, c *frame, prev int64) {
	if !f.state.ExpressChildren {
		x.reopen(c, prev)
		return
	}
	p := f.state.Processor
	c.state, c.input, c.inBound, c.vars, c.pending = startState(p), c.dist.itemIn, 0, nil, nil
	c.fanout = nil
	x.reopen(c, prev)
	x.startChildLimit(c)
}

// reopenChildren reopens a Parallel or Map state whose children did not
// all succeed: those that did keep their results, the others run again.
func (x *Execution) reopenChildren(f *frame, prev int64) {
	st := f.state
	f.phase = phaseChildren
	f.childErr = nil
	f.running = 0
	f.failures = 0
	if st.Distributed && f.mapRunArn != "" {
		f.redrives++
		var d *Details
		if x.recording(f) {
			d = &Details{More: &MoreDetails{MapRunArn: f.mapRunArn, RedriveCount: ptr(f.redrives)}}
		}
		if id := x.emit(f, prev, "MapRunRedriven", d); id != 0 {
			prev = id
		}
		f.last = prev
	}
	f.lastSucceed = prev
	var again []*frame
	for _, c := range f.children {
		if c.phase == phaseDone && c.err == nil && !c.aborted {
			continue
		}
		f.results[c.index] = nil
		again = append(again, c)
	}
	f.redriveQueue = nil
	if st.Distributed && f.maxConc > 0 && len(again) > f.maxConc {
		// A Map Run's redrive holds to its MaxConcurrency: the rest wait
		// as PENDING_REDRIVE and start as running children finish (pump).
		again, f.redriveQueue = again[:f.maxConc], again[f.maxConc:]
	}
	f.running = len(again)
	if st.Distributed {
		x.runRedriven(f, again, f.redriveQueue)
	}
	// Iterations start in index order, as they first did; the stack is
	// LIFO, so the parent goes first and the first child last.
	starts := make([]int64, len(again))
	for i, c := range again {
		starts[i] = prev
		if c.watched {
			// The child's own history goes on as the parent's does.
			starts[i] = x.emit(c, x.watch.nextID, "ExecutionRedriven", &Details{More: &MoreDetails{RedriveCount: ptr(f.rerun[c.index])}})
		}
		if st.Type == asl.TypeMap && !st.Distributed {
			if id := x.emit(f, prev, "MapIterationStarted", x.iterationDetails(f, c.index)); id != 0 {
				starts[i] = id
			}
		}
	}
	x.push(f)
	for i := len(again) - 1; i >= 0; i-- {
		x.rerunChild(f, again[i], starts[i])
	}
}
