package interp

import (
	"time"

	"github.com/statecraft/statecraft/jsonv"
)

// A Distributed Map's children run as frames of their parent and leave no
// events in its history; AWS gives each child a history of its own. Since
// the interpreter is deterministic, a host rebuilds a child's history on
// request: it replays the parent's stored inputs into an execution started
// with StartWatching, which records the events of that one child, numbered
// from 1 as a STANDARD execution's, from its ExecutionStarted (its input)
// to its ExecutionSucceeded, ExecutionFailed, ExecutionTimedOut or
// ExecutionAborted, with an ExecutionRedriven where a redrive of the
// parent ran it again. Nothing else of the replay is recorded.

// childWatch is the history of the child being watched.
type childWatch struct {
	name   string // the child's name (childName)
	state  string // the name of the Distributed Map state that ran it
	nextID int64
	events []HistoryEvent
}

func (w *childWatch) emit(now time.Time, prev int64, typ string, d *Details) int64 {
	w.nextID++
	w.events = append(w.events, HistoryEvent{ID: w.nextID, PreviousEventID: prev, Timestamp: now, Type: typ, Details: d})
	return w.nextID
}

// StartWatching begins an execution as Start does, to be replayed from
// its stored inputs, recording instead of its own history only that of
// the Map Run child named child (the last part of its ARN); ChildHistory
// returns it. Only the Map Runs of the execution's own states have
// children with histories.
func (m *Machine) StartWatching(info Info, now time.Time, seed uint64, child string) *Execution {
	x := m.newExecution(info, now, seed, false)
	x.hist = true
	x.watch = &childWatch{name: child}
	if m.def.TimeoutSeconds > 0 {
		x.execTimer = x.newTimerRef()
		x.cmds = append(x.cmds, Command{Kind: StartTimer, Ref: x.execTimer, Due: now.Add(time.Duration(m.def.TimeoutSeconds) * time.Second)})
	}
	x.begin(startState(m.def), nil)
	x.takeCommands()
	return x
}

// ChildHistory is the history of the child StartWatching named, as far as
// the inputs applied so far took it; nil when it never started.
func (x *Execution) ChildHistory() []HistoryEvent {
	if x.watch == nil {
		return nil
	}
	return x.watch.events
}

// watchStarted records the ExecutionStarted of Map Run child c of f when
// it is the one watched.
func (x *Execution) watchStarted(f *frame, c *frame) {
	if x.watch == nil || f.silent || x.watch.nextID > 0 || childName(f.mapRunArn, c.index) != x.watch.name {
		return
	}
	c.watched = true
	c.last = 0
	x.watch.state = f.state.Name
	// Its first state's event points at 0, as an execution's does.
	x.emit(c, 0, "ExecutionStarted", &Details{Input: ptr(jsonv.String(c.dist.itemIn)), More: &MoreDetails{RoleArn: x.Info.RoleArn}})
}

// watchEnded records how watched child c ended.
func (x *Execution) watchEnded(c *frame) {
	if !c.watched {
		return
	}
	switch {
	case c.aborted:
		// Stopped by StopExecution: as a stopped execution's, the event
		// follows none.
		x.emit(c, 0, "ExecutionAborted", errDetails(c.err))
	case c.err == nil:
		x.emit(c, c.last, "ExecutionSucceeded", &Details{Output: ptr(jsonv.String(c.out))})
	case c.err.name == "States.Timeout":
		x.emit(c, c.last, "ExecutionTimedOut", errDetails(c.err))
	default:
		x.emit(c, c.last, "ExecutionFailed", errDetails(c.err))
	}
}

func errDetails(err *stateError) *Details {
	d := &Details{}
	if err.name != "" {
		d.Error = ptr(err.name)
	}
	if err.hasCause {
		d.Cause = ptr(err.cause)
	}
	return d
}

// HasQuietChange reports whether the last event applied changed the
// execution without recording an event in its history: a Map Run child's
// activity task started, which the child's own history shows
// (ActivityStarted). The host stores such an event as an input, so that
// a rebuilt child history has it.
func (x *Execution) HasQuietChange() bool { return x.quiet }

// ChildState is the name of the Distributed Map state whose Map Run ran
// the child StartWatching named, "" when it never started.
func (x *Execution) ChildState() string {
	if x.watch == nil {
		return ""
	}
	return x.watch.state
}
