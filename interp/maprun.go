package interp

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/statecraft/statecraft/jsonv"
)

// A Map Run is what DescribeMapRun shows of a Distributed Map: its status,
// limits and counts, and the child executions it started. Its children run
// as frames of the parent (children.go); the interpreter keeps each
// running Map Run's counts as they change and, with history on, a log of
// what changed, which the host takes after each step and stores with it.
// A replay runs with history off and logs nothing: the store already has
// it. Only the Map Runs of the execution's own states are kept: a
// Distributed Map inside a Distributed Map's child has none of its own.

// MapRun is a Map Run as DescribeMapRun shows it.
type MapRun struct {
	Arn string
	// Status is Running, Succeeded, Failed or Aborted.
	Status                     Status
	StartDate, StopDate        time.Time // StopDate zero while running
	MaxConcurrency             int64
	ToleratedFailurePercentage float64
	ToleratedFailureCount      int64
	// Items counts items and Executions child executions: they differ
	// when an ItemBatcher gives each child several items.
	Items, Executions MapRunCounts
	// RedriveCount is how many redrives reopened the Map Run, RedriveDate
	// when the last did.
	RedriveCount int64
	RedriveDate  time.Time
}

// MapRunCounts are a Map Run's itemCounts or executionCounts.
type MapRunCounts struct {
	Pending, Running, Succeeded, Failed, TimedOut, Aborted, Total, ResultsWritten int64
	// PendingRedrive counts the unsuccessful children a redrive will run
	// again once MaxConcurrency lets them start.
	PendingRedrive int64
}

// MapRunChild is one child execution of a Map Run as it now is.
type MapRunChild struct {
	MapRunArn string
	// Arn and StateMachineArn are the child's execution and machine
	// (arn.MapRunChild); Name is the last part of Arn.
	Arn, StateMachineArn, Name string
	Index                      int
	Items                      int64  // how many items it processes (a batch's, or 1)
	Status                     Status // Running, Succeeded, Failed, TimedOut, Aborted or PendingRedrive
	StartDate, StopDate        time.Time
	// Input is the child's input as JSON text, set in the step that
	// started it ("" in a later step's change); Output its output when it
	// succeeded; Error and Cause why it failed.
	Input, Output string
	Error, Cause  string
	HasCause      bool
	// RedriveCount is how many Map Run redrives ran the child again,
	// RedriveDate when the last did.
	RedriveCount int64
	RedriveDate  time.Time
}

// MapRunUpdate is an UpdateMapRun event's change; a nil field is left as
// it is.
type MapRunUpdate struct {
	Arn                        string
	MaxConcurrency             *int64
	ToleratedFailurePercentage *float64
	ToleratedFailureCount      *int64
}

// mapRunLog is what changed in Map Runs since the host last took it.
type mapRunLog struct {
	runs     []*MapRun
	children []MapRunChild
	childAt  map[string]int // child ARN -> its entry in children
}

// TakeMapRunChanges returns the Map Runs and children that changed since
// the last call (each once, as it now is) and forgets them. It returns
// nothing while history is off.
func (x *Execution) TakeMapRunChanges() (runs []MapRun, children []MapRunChild) {
	if x.runLog == nil {
		return nil, nil
	}
	for _, r := range x.runLog.runs {
		runs = append(runs, *r)
	}
	children = x.runLog.children
	x.runLog = nil
	return runs, children
}

// HasMapRunChanges reports whether TakeMapRunChanges has something: a
// step can change a Map Run and nothing else (a child finishing while
// others run, an UpdateMapRun).
func (x *Execution) HasMapRunChanges() bool { return x.runLog != nil }

// MapRunArns lists the Map Runs now running.
func (x *Execution) MapRunArns() []string {
	var out []string
	for a := range x.runs {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

func (x *Execution) logRun(r *MapRun) {
	if !x.hist {
		return
	}
	if x.runLog == nil {
		x.runLog = &mapRunLog{}
	}
	if !slices.Contains(x.runLog.runs, r) {
		x.runLog.runs = append(x.runLog.runs, r)
	}
}

func (x *Execution) logChild(f *frame, c *frame, status Status) {
	if !x.hist {
		return
	}
	if x.runLog == nil {
		x.runLog = &mapRunLog{}
	}
	l := x.runLog
	name, execArn, smArn, redrives, redriveDate := x.childIdentity(f, c)
	ch := MapRunChild{MapRunArn: f.mapRunArn, Arn: execArn, StateMachineArn: smArn, Name: name, Index: c.index,
		Items: weight(f, c.index), Status: status, StartDate: c.dist.began,
		RedriveCount: redrives, RedriveDate: redriveDate}
	switch {
	case status == Running:
		ch.Input = jsonv.String(c.dist.itemIn)
	case status == Succeeded:
		ch.Output = jsonv.String(c.out)
	case c.err != nil:
		ch.Error, ch.Cause, ch.HasCause = c.err.name, c.err.cause, c.err.hasCause
	}
	switch status {
	case Running:
	case PendingRedrive:
		// It waits with the dates of the attempt that did not succeed.
		ch.StopDate = c.dist.ended
	default:
		ch.StopDate = x.now
	}
	if i, ok := l.childAt[execArn]; ok {
		ch.Input = l.children[i].Input // started in this step
		l.children[i] = ch
		return
	}
	if l.childAt == nil {
		l.childAt = map[string]int{}
	}
	l.childAt[execArn] = len(l.children)
	l.children = append(l.children, ch)
}

// childName is the name of child i of a Map Run: a UUID drawn from the
// Map Run's ARN and the index, so that it takes nothing of the
// execution's randomness and is the same whenever it is computed.
func childName(mapRunArn string, i int) string {
	h := sha256.Sum256([]byte(mapRunArn + "\x00" + strconv.Itoa(i)))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// runStarted opens the Map Run of Distributed Map frame f, once its items
// and limits are known.
func (x *Execution) runStarted(f *frame) {
	f.run = nil
	if f.silent {
		return
	}
	n := int64(len(f.items))
	r := &MapRun{Arn: f.mapRunArn, Status: Running, StartDate: x.now, MaxConcurrency: int64(f.maxConc),
		ToleratedFailurePercentage: f.tolPct, ToleratedFailureCount: f.tolCount,
		Items:      MapRunCounts{Pending: int64(f.itemCount), Total: int64(f.itemCount)},
		Executions: MapRunCounts{Pending: n, Total: n}}
	f.run = r
	if x.runs == nil {
		x.runs = map[string]*frame{}
	}
	x.runs[r.Arn] = f
	x.logRun(r)
}

// weight is how many items child i of Map frame f carries.
func weight(f *frame, i int) int64 {
	if f.weights != nil {
		return int64(f.weights[i])
	}
	return 1
}

// runChildStarted counts child c of f's Map Run as running.
func (x *Execution) runChildStarted(f *frame, c *frame) {
	r := f.run
	if r == nil {
		return
	}
	w := weight(f, c.index)
	r.Executions.Pending--
	r.Executions.Running++
	r.Items.Pending -= w
	r.Items.Running += w
	x.logRun(r)
	x.logChild(f, c, Running)
}

// runChildDone counts child c of f's Map Run as finished.
func (x *Execution) runChildDone(f *frame, c *frame) {
	r := f.run
	if r == nil {
		return
	}
	w := weight(f, c.index)
	r.Executions.Running--
	r.Items.Running -= w
	status := Succeeded
	switch {
	case c.aborted:
		status = Aborted
		r.Executions.Aborted++
		r.Items.Aborted += w
	case c.err == nil:
		r.Executions.Succeeded++
		r.Items.Succeeded += w
	case c.err.name == "States.Timeout":
		status = TimedOut
		r.Executions.TimedOut++
		r.Items.TimedOut += w
	default:
		status = Failed
		r.Executions.Failed++
		r.Items.Failed += w
	}
	x.logRun(r)
	x.logChild(f, c, status)
}

// endRun closes f's Map Run with status: the children still running are
// aborted with it. It does nothing when f has no open Map Run.
func (x *Execution) endRun(f *frame, status Status) {
	if f.fanout == nil || f.run == nil {
		return
	}
	r := f.run
	f.run = nil
	f.endedRun = r
	delete(x.runs, r.Arn)
	// Children still waiting for their redrive did not run again: they
	// count as what they were, for the next redrive to rerun.
	for _, c := range f.redriveQueue {
		w := weight(f, c.index)
		r.Executions.PendingRedrive--
		r.Items.PendingRedrive -= w
		st := unsuccessful(c)
		addCount(&r.Executions, st, 1)
		addCount(&r.Items, st, w)
		x.logChild(f, c, st)
	}
	f.redriveQueue = nil
	for _, c := range f.children {
		if c.phase == phaseDone {
			continue
		}
		w := weight(f, c.index)
		r.Executions.Running--
		r.Executions.Aborted++
		r.Items.Running -= w
		r.Items.Aborted += w
		x.logChild(f, c, Aborted)
		if c.watched {
			x.emit(c, 0, "ExecutionAborted", &Details{})
		}
	}
	if status == Succeeded {
		// Every child's result went into the state's output or the
		// ResultWriter's export.
		r.Executions.ResultsWritten = r.Executions.Succeeded + r.Executions.Failed + r.Executions.TimedOut
		r.Items.ResultsWritten = r.Items.Succeeded + r.Items.Failed + r.Items.TimedOut
	}
	r.Status, r.StopDate = status, x.now
	x.logRun(r)
}

// runRedriven reopens the Map Run of Distributed Map frame f, which ended
// without succeeding, for a redrive that runs again the children again
// holds and will run those queued holds as MaxConcurrency allows: the
// first count as running from now, the others as pendingRedrive, no
// longer as failed, timed out or aborted; the children that never
// started are still pending.
func (x *Execution) runRedriven(f *frame, again, queued []*frame) {
	r := f.endedRun
	if r == nil {
		return
	}
	f.endedRun = nil
	r.Status, r.StopDate = Running, time.Time{}
	r.RedriveCount, r.RedriveDate = f.redrives, x.now
	if f.rerun == nil {
		f.rerun, f.rerunAt = map[int]int64{}, map[int]time.Time{}
	}
	for _, c := range append(again[:len(again):len(again)], queued...) {
		w := weight(f, c.index)
		st := unsuccessful(c)
		addCount(&r.Executions, st, -1)
		addCount(&r.Items, st, -w)
		r.Executions.PendingRedrive++
		r.Items.PendingRedrive += w
	}
	f.run = r
	if x.runs == nil {
		x.runs = map[string]*frame{}
	}
	x.runs[r.Arn] = f
	x.logRun(r)
	for _, c := range again {
		x.runChildRedriven(f, c)
	}
	if !f.state.ExpressChildren {
		// An Express child is not redriven but started anew: the
		// execution that failed stays as it ended.
		for _, c := range queued {
			x.logChild(f, c, PendingRedrive)
		}
	}
}

// runChildRedriven counts child c of f's Map Run, waiting for its
// redrive, as running again.
func (x *Execution) runChildRedriven(f *frame, c *frame) {
	r := f.run
	if r == nil {
		return
	}
	w := weight(f, c.index)
	r.Executions.PendingRedrive--
	r.Items.PendingRedrive -= w
	r.Executions.Running++
	r.Items.Running += w
	f.rerun[c.index]++
	f.rerunAt[c.index] = x.now
	if f.state.ExpressChildren {
		c.dist.began = x.now // a new execution
	}
	x.logRun(r)
	x.logChild(f, c, Running)
}

// unsuccessful is how child c, which did not succeed, ended. A child
// still running when its execution ended (StopExecution) was counted as
// aborted by endRun, though its frame was left as it was, for a redrive.
func unsuccessful(c *frame) Status {
	switch {
	case c.aborted || c.phase != phaseDone:
		return Aborted
	case c.err != nil && c.err.name == "States.Timeout":
		return TimedOut
	}
	return Failed
}

// addCount adds n to the count of status st.
func addCount(m *MapRunCounts, st Status, n int64) {
	switch st {
	case Aborted:
		m.Aborted += n
	case TimedOut:
		m.TimedOut += n
	default:
		m.Failed += n
	}
}

// abortRuns aborts every Map Run still open when the execution ends, and
// owes the export of those that have a ResultWriter (and of those whose
// export was under way: oweWrites). Their WriteAfterEnd
// commands take Refs -1, -2, ... in the order of the Map Runs' ARNs,
// outside the execution's own Refs: drawing them from its counter would
// move the Refs (and task tokens) of whatever a redrive runs next.
func (x *Execution) abortRuns() {
	x.afterEnd = nil
	if len(x.waiting) > 0 {
		x.oweWrites()
	}
	if len(x.runs) == 0 {
		return // the common case: no Distributed Map ran
	}
	for i, a := range x.MapRunArns() {
		f := x.runs[a]
		x.exportAborted(f, -int64(i+1))
		x.endRun(f, Aborted)
	}
}

// updateRun applies an UpdateMapRun to the Map Run of f: the new limits
// hold from now on, so more children may start at once, or the failures
// so far may now exceed what is tolerated.
func (x *Execution) updateRun(f *frame, u *MapRunUpdate) {
	r := f.run
	if u.MaxConcurrency != nil {
		f.maxConc = int(*u.MaxConcurrency)
		r.MaxConcurrency = *u.MaxConcurrency
	}
	if u.ToleratedFailureCount != nil {
		f.tolerant, f.updCount, f.tolCount = true, true, *u.ToleratedFailureCount
		r.ToleratedFailureCount = *u.ToleratedFailureCount
	}
	if u.ToleratedFailurePercentage != nil {
		f.tolerant, f.updPct, f.tolPct = true, true, *u.ToleratedFailurePercentage
		r.ToleratedFailurePercentage = *u.ToleratedFailurePercentage
	}
	x.logRun(r)
	if f.phase != phaseChildren {
		return // its children are done: the results are being exported
	}
	if f.failures > 0 && x.exceeded(f) {
		x.childrenFailed(f, &stateError{name: ErrExceedToleratedFail, cause: "The specified tolerated failure threshold was exceeded", hasCause: true})
		return
	}
	x.push(f)
}

// applyUpdateMapRun handles an UpdateMapRun event; it reports false when
// no running Map Run of this execution has the ARN (the event is then
// ignored, changing nothing).
func (x *Execution) applyUpdateMapRun(ev Event) bool {
	if ev.MapRun == nil {
		return false
	}
	f, ok := x.runs[ev.MapRun.Arn]
	if !ok || f.run == nil {
		return false
	}
	x.now = ev.Time
	if ev.Seed != 0 {
		x.rng = ev.Seed
	}
	x.updateRun(f, ev.MapRun)
	x.run()
	return true
}

// applyStopMapRunChild handles a StopMapRunChild event; it reports false
// when no running child of a running Map Run of this execution has the
// ARN (the event is then ignored, changing nothing).
func (x *Execution) applyStopMapRunChild(ev Event) bool {
	if ev.MapRun == nil {
		return false
	}
	f, ok := x.runs[ev.MapRun.Arn]
	if !ok || f.run == nil || f.phase != phaseChildren || f.state.ExpressChildren {
		return false
	}
	var c *frame
	for _, k := range f.children {
		if k.phase == phaseDone {
			continue
		}
		if _, a, _, _, _ := x.childIdentity(f, k); a == ev.Child {
			c = k
			break
		}
	}
	if c == nil {
		return false
	}
	x.now = ev.Time
	if ev.Seed != 0 {
		x.rng = ev.Seed
	}
	// What the child was doing is cancelled; it ends ABORTED with the
	// error and cause StopExecution gave, and its Map goes on as after a
	// child that did not succeed: within the tolerated failures the other
	// children keep running, beyond them the Map Run fails with that
	// error. A redrive of the parent runs it again.
	x.abortFrame(c)
	c.out, c.outBound = nil, 0
	c.err = &stateError{name: ev.Error, cause: ev.Cause, hasCause: ev.Cause != ""}
	x.childDone(f, c)
	x.run()
	return true
}
