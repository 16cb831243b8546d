package interp

import (
	"fmt"
	"maps"
	"slices"
	"time"
	"unsafe"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/asl/jsonpath"
	"github.com/statecraft/statecraft/jsonv"
)

// Execution is one run of a Machine. It is driven by Start and Apply only.
type Execution struct {
	Info   Info
	Status Status
	Output any
	Error  string
	Cause  string
	// HasError distinguishes a failure with an empty error name from none.
	HasError bool
	HasCause bool
	// hist says events are recorded (the bools sit together: the struct
	// stays in a smaller allocation class).
	hist bool
	// quiet marks an event that changed the execution without a history
	// event of its own (HasQuietChange).
	quiet bool
	// History holds the events recorded so far when Options.History is set.
	// A host may take and clear it between calls.
	History []HistoryEvent
	// Transitions counts states entered, retries included (what AWS bills).
	// The states of an Express child of a Distributed Map are not in it
	// (AWS bills the child as an Express execution), but each start of
	// such a child is: AWS charges "one state transition for each child
	// workflow execution that the Distributed Map state starts"
	// (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html).
	Transitions int64
	// expressSteps counts the states Express children entered: spinning
	// bounds them with the rest.
	expressSteps int64
	runFrom      int64 // Transitions+expressSteps when the current step began
	// keyHint is where a planned Pass state last found its ResultPath
	// field in its input (jsonv.Object.HasKeyAt).
	keyHint int

	m         *Machine
	nextID    int64
	root      *frame
	waiting   map[int64]*frame
	now       time.Time
	rng       uint64
	work      []*frame
	cmds      []Command
	execTimer int64
	timerSeq  int64
	// watch, when not nil, records the history of one Map Run child
	// instead of the execution's (StartWatching).
	watch     *childWatch
	rootFrame frame
	workBuf   [4]*frame
	sc        jsonpath.Scope
	scFrame   *frame
	scItem    *jsonv.Object
	// JSONata: Step Functions' functions, made once, and the scratch
	// of the bindings (ataBind), made on first use and kept by Release.
	ataFn map[string]any
	ata   *ataScratch
	// redrives counts the execution's redrives; redriveTime is the last.
	redrives    int64
	redriveTime time.Time
	// runs are the open Map Runs by ARN, runLog what changed in Map Runs
	// since the host last took it (maprun.go).
	runs   map[string]*frame
	runLog *mapRunLog
	// afterEnd holds the WriteAfterEnd tasks of the execution's last end,
	// by Ref.
	afterEnd map[int64]*Task
	// childLimits are the timers of the Express children of Distributed
	// Maps, by ref: each times its child out (expresschild.go).
	childLimits map[int64]*frame
	// test is set when the execution tests a single state (TestState):
	// it records what the state computed and stops at its transition.
	test *stateTest
	// hb holds what only recording history needs (histBufs), allocated
	// with the first event recorded, so that an execution without history
	// stays small.
	hb *histBufs
}

// histBufs are an execution's buffers for recording history. What events
// point into (their details, the texts of their inputs and outputs) stays
// valid and unchanged once handed out, until the host hands the events
// back with ClearHistory: only then are the buffers written again, by this
// execution's next events or, after Release, by a later execution of the
// same Machine.
type histBufs struct {
	// memo is the last JSON text rendered for a history event of frame
	// memoFrame (the text field of that event's Details), of the object
	// memoObj or the array whose first element is memoArr: a state's input
	// is the previous state's output, and a Choice passes its input on, so
	// the same value would otherwise be encoded two or three times (see
	// memoText). Events that reuse it point to the same text.
	memo      *string
	memoObj   *jsonv.Object
	memoArr   *any
	memoLen   int
	memoFrame *frame
	memoExit  bool
	// cleared says that the host handed the events back (ClearHistory)
	// when the execution had counted clearedAt events: if it has counted
	// no more when it is released, nothing points into the buffers and
	// they go to the next execution with the Execution itself.
	cleared   bool
	clearedAt int64
	// block holds the details of events, handed out in order: block[:next]
	// are in use. Past its end they come from new blocks of a few, and
	// spilled counts those handed out before the current block, so that
	// the block is made larger once it can be written again.
	block   []Details
	next    int
	spilled int
	// events is the array History was made with, which ClearHistory hands
	// back.
	events []HistoryEvent
	// arena holds the bytes of the texts memoText rendered, one after
	// another: the texts are strings over it, and append only ever writes
	// past the bytes already handed out (see render).
	arena []byte
	// start is the rarer details of ExecutionStarted.
	start MoreDetails
	// firstArena is the arena's first chunk, so that the texts of a short
	// execution cost no allocation of their own.
	firstArena [minArena]byte
}

// maxBlock bounds the details block that ClearHistory makes larger: a
// step that records more events takes the rest a few at a time.
const maxBlock = 256

// Texts are rendered into chunks of between minArena and maxArena bytes
// (a larger text gets a chunk of its own size): a chunk lives as long as
// any text in it, so a long execution whose host takes its events keeps
// at most the last chunk beyond them.
const (
	minArena = 256
	maxArena = 8 << 10
)

// render returns the JSON text of v as a string over the arena. The bytes
// of a text are never written again: the arena is only appended to, and
// when a text does not fit, append moves on to a new array and leaves the
// old one, with the texts in it, as it was.
func (b *histBufs) render(v any) string {
	n := len(b.arena)
	if n == 0 && cap(b.arena) == 0 {
		b.arena = b.firstArena[:0]
	}
	return b.keep(jsonv.Append(b.arena, v), n, cap(b.arena))
}

// renderAdded is render for an object whose text is obj with the field
// key: v added at its end (obj the text of a non-empty object).
func (b *histBufs) renderAdded(obj, key string, v any) string {
	n := len(b.arena)
	if n == 0 && cap(b.arena) == 0 {
		b.arena = b.firstArena[:0]
	}
	out := append(b.arena, obj[:len(obj)-1]...)
	out = append(out, ',')
	out = jsonv.AppendString(out, key)
	out = append(out, ':')
	out = jsonv.Append(out, v)
	out = append(out, '}')
	return b.keep(out, n, cap(b.arena))
}

// renderParts is render for a payload whose text is parts, with the
// values of its input fields in vals.
func (b *histBufs) renderParts(parts []textPart, vals *paramVals) string {
	n := len(b.arena)
	if n == 0 && cap(b.arena) == 0 {
		b.arena = b.firstArena[:0]
	}
	out := b.arena
	for i := range parts {
		out = append(out, parts[i].text...)
		if j := parts[i].field; j >= 0 {
			out = jsonv.Append(out, vals[j])
		}
	}
	return b.keep(out, n, cap(b.arena))
}

// keep makes out[n:], a text just appended to the arena whose capacity
// was old, part of the arena and returns it.
func (b *histBufs) keep(out []byte, n, old int) string {
	if cap(out) != old && n > 0 {
		// append grew the arena into a new array, with a copy of the
		// earlier texts in front that nothing refers to: move the text to
		// a chunk of its own instead of keeping that copy alive.
		t := out[n:]
		chunk := make([]byte, len(t), max(len(t), min(2*old, maxArena)))
		copy(chunk, t)
		b.arena = chunk
		return unsafe.String(&chunk[0], len(chunk))
	}
	b.arena = out
	return unsafe.String(&out[n], len(out)-n)
}

// bufs returns the execution's history buffers.
func (x *Execution) bufs() *histBufs {
	if x.hb == nil {
		x.hb = &histBufs{}
	}
	return x.hb
}

type phase uint8

const (
	phaseEnter    phase = iota // about to enter f.state with f.input
	phaseTask                  // waiting for a task result
	phaseWait                  // Wait state timer
	phaseRetry                 // retry back-off timer
	phaseChildren              // Parallel branches / Map iterations running
	phaseRead                  // a Distributed Map waits for its items (ItemReader)
	phaseWrite                 // a Distributed Map waits for its results to be exported (ResultWriter)
	phaseDone
)

type frameKind uint8

const (
	frameRoot frameKind = iota
	frameBranch
	frameIteration
)

// frame is one thread of control: the top level, a Parallel branch or a Map
// iteration. Nested frames are what make Parallel and Map part of the same
// pure execution state.
type frame struct {
	parent *frame
	index  int
	scope  *asl.StateMachine

	state *asl.State
	// plan is state's plan when known (planOf checks that it is).
	plan      *plan
	input     any // raw state input
	eff       any // after InputPath
	taskInput any // after Parameters
	// Upper bounds on jsonv.Size of input, eff and taskInput, 0 when
	// unknown: a state whose output is built from values of known size
	// checks the payload limit without measuring the output again.
	inBound, effBound, taskBound int
	// owned is the top-level object this frame built for its current
	// input (a ResultPath copy or a Parameters payload) while nothing else
	// can refer to it; see ownsInput.
	owned unsafe.Pointer
	ref   int64

	kind    frameKind
	phase   phase
	queued  bool
	started bool // the current task's TaskStarted was recorded
	// aborted marks a frame stopped because a sibling failed (or its
	// parent did): a redrive runs it again.
	aborted bool
	// dist is what a Distributed Map child keeps of its run (nil for any
	// other frame).
	dist *distChild
	// silent frames record no history (Distributed Map children);
	// watched ones are the child whose own history is being rebuilt
	// (StartWatching), and its frames.
	silent, watched bool
	// express marks the frames of an Express child of a Distributed Map:
	// AWS bills that child as an Express execution (a request and its
	// duration), not by state transitions, so the states it enters are
	// not the parent's Transitions.
	express bool
	// childFailed marks a Parallel/Map error that came from a child, which
	// AWS closes with a <Type>StateFailed event unless the state retries.
	childFailed bool

	enteredID int64
	// enteredPrev is the previousEventId of the StateEntered event.
	enteredPrev int64
	enteredAt   time.Time
	last        int64 // previousEventId for the next event of this thread
	retries     []int64
	retryCount  int

	// fanout holds a Parallel or Map state's children; it is allocated
	// when the frame first runs such a state, so that the frames of simple
	// states (and the Execution holding the root frame) stay small.
	*fanout

	// vars holds the variables this frame's states assigned (Assign): the
	// top level's, or one Parallel branch's or Map iteration's own scope.
	vars map[string]any
	// pending is the current state's evaluated Assign, bound when it exits.
	pending *jsonv.Object

	// Done frames report to their parent with these; outBound bounds
	// jsonv.Size(out) (0: unknown).
	out      any
	outBound int
	err      *stateError
}

// distChild times a Distributed Map child, whose record Map Run listings
// and a ResultWriter show, and keeps its input as it started.
type distChild struct {
	began, ended time.Time
	itemIn       any // the child's input as it started
	// limitRef is the timer of an Express child's time limit (0: none).
	limitRef int64
}

// fanout is the state of a Parallel or Map state's children.
type fanout struct {
	children    []*frame
	results     []any
	items       []any
	nextItem    int
	running     int
	maxConc     int
	failures    int
	tolCount    int64
	tolPct      float64
	tolerant    bool
	childErr    *stateError
	lastSucceed int64
	mapRunArn   string
	// run is the open Map Run of a Distributed Map (nil once it ended);
	// updCount and updPct say that an UpdateMapRun set a tolerance the
	// state did not.
	run              *MapRun
	updCount, updPct bool
	// weights is how many items each child of a batching Map carries
	// (nil when each child takes one item), and itemCount how many items
	// the Map has: tolerated failures count items, not children.
	weights   []int
	itemCount int
	// read holds the items an ItemReader read (haveRead: they arrived)
	// until the Map starts with them; readMax is the attempt's MaxItems.
	read     []any
	haveRead bool
	readMax  int64
	// redrives counts a Distributed Map's Map Run redrives; endedRun is its
	// Map Run once it stopped, which a redrive reopens; rerun counts the
	// redrives that ran each child again, by index, and rerunAt when the
	// last did.
	redrives int64
	// failed is the error of a Map Run that failed while its results are
	// exported (exportFailed): the Map fails with it once they are.
	failed   *stateError
	endedRun *MapRun
	rerun    map[int]int64
	rerunAt  map[int]time.Time
	// redriveQueue holds, in index order, the unsuccessful children a
	// redrive runs again once MaxConcurrency lets them start (AWS's
	// PENDING_REDRIVE).
	redriveQueue []*frame
	// writeTask is the export a Map in phaseWrite waits for: an end of
	// the execution before its answer owes it again (oweWrites).
	writeTask *Task
	// spare is an iteration frame that finished and was retired (see
	// retire), for the next iteration to reuse; doneBound sums the bounds
	// of the retired iterations' outputs, doneUnknown says one was unknown.
	spare       *frame
	doneBound   int
	doneUnknown bool
}

// stateError is an error raised while running a state.
type stateError struct {
	name     string
	cause    string
	hasCause bool
	// runtime errors are never retried and only caught explicitly.
	runtime bool
	// evalFailed marks a JSONata error not yet recorded with an
	// EvaluationFailed event; location is the field it names.
	evalFailed bool
	location   string
}

func errorf(name, format string, args ...any) *stateError {
	return &stateError{name: name, cause: fmt.Sprintf(format, args...), hasCause: true}
}

// Start begins an execution at time now; seed feeds its randomness.
func (m *Machine) Start(info Info, now time.Time, seed uint64) (*Execution, []Command) {
	x := m.newExecution(info, now, seed, m.opts.History)
	if m.def.TimeoutSeconds > 0 {
		x.execTimer = x.newTimerRef()
		x.cmds = append(x.cmds, Command{Kind: StartTimer, Ref: x.execTimer, Due: now.Add(time.Duration(m.def.TimeoutSeconds) * time.Second)})
	}
	x.begin(startState(m.def), nil)
	return x, x.takeCommands()
}

// newExecution makes an execution and records its ExecutionStarted.
func (m *Machine) newExecution(info Info, now time.Time, seed uint64, hist bool) *Execution {
	if info.StartTime.IsZero() {
		info.StartTime = now
	}
	// Release left a pooled Execution zeroed, as new would.
	x, _ := m.free.Get().(*Execution)
	if x == nil {
		x = new(Execution)
	}
	x.Info, x.Status, x.m, x.now, x.rng, x.hist = info, Running, m, now, seed, hist
	var d *Details
	if x.hist {
		// Room for as many events and details as the Machine's executions
		// have recorded in a step so far (bounded: see maxEventsHint),
		// unless a released execution left room enough.
		n := max(int(m.events.Load()), 8)
		b := x.bufs()
		if cap(b.events) < n {
			b.events = make([]HistoryEvent, 0, n)
		}
		x.History = b.events[:0]
		if len(b.block) < n {
			b.block = make([]Details, n)
		}
		d = x.details()
		d.Input, d.More = x.memoText(&x.rootFrame, info.Input, false, true, d), &b.start
		b.start.RoleArn, b.start.StateMachineVersionArn, b.start.StateMachineAliasArn = info.RoleArn, info.StateMachineVersionArn, info.StateMachineAliasArn
	}
	x.emit(nil, 0, "ExecutionStarted", d)
	return x
}

// Release gives x's memory back to its Machine for a later execution to
// reuse, when the host has finished with x: an execution that runs to its
// end in process would otherwise leave its Execution, about a kilobyte, as
// garbage, and collecting it cost more than interpreting simple states.
// What x handed out stays valid and unchanged: its Output, Error, Cause,
// History (events and their details), commands and Info are not backed by
// memory that is reused, only the Execution struct itself is, and the
// memory of the events the host handed back with ClearHistory when x
// recorded none since. After Release
// x must not be used (it can no longer be redriven); releasing it again
// does nothing unless it has been reused meanwhile.
func (x *Execution) Release() {
	m := x.m
	if m == nil {
		return
	}
	// Zeroing drops every reference x held, so a pooled Execution keeps
	// nothing alive, and the next execution starts from a clean struct.
	a := x.ata
	b := x.hb
	if b != nil && (!b.cleared || b.clearedAt != x.nextID || x.watch != nil) {
		b = nil // events recorded since the host last cleared History
	}
	*x = Execution{}
	if a != nil {
		// JSONata's scratch is kept for the next execution, emptied.
		*a = ataScratch{}
		x.ata = a
	}
	if b != nil {
		// The history buffers too: the host handed their events back
		// (ClearHistory cleared them). A list or an arena chunk that a
		// long step made large is left to the collector, not kept for
		// every later execution.
		b.cleared, b.clearedAt = false, 0
		b.start = MoreDetails{}
		if cap(b.events) > maxBlock {
			b.events = nil
		}
		if cap(b.arena) > maxArena {
			b.arena = nil
		}
		x.hb = b
	}
	m.free.Put(x)
}

// begin runs the top level from state st on the execution's input, with
// the variables vars (nil: none).
func (x *Execution) begin(st *asl.State, vars map[string]any) {
	// The root frame and the first slots of the work stack live inside the
	// Execution: one allocation instead of three for a simple execution.
	x.rootFrame.kind = frameRoot
	x.rootFrame.scope = x.m.def
	x.rootFrame.state = st
	if p := x.m.first; p != nil && p.st == st {
		x.rootFrame.plan = p
	}
	x.rootFrame.input = x.Info.Input
	x.rootFrame.vars = vars
	x.root = &x.rootFrame
	x.work = x.workBuf[:0]
	x.push(x.root)
	x.run()
}

// startState is the state a scope starts at.
func startState(sm *asl.StateMachine) *asl.State {
	if sm.Start != nil {
		return sm.Start
	}
	return sm.States[sm.StartAt]
}

// Apply feeds one event to a running execution and returns the commands it
// produced. Events for unknown refs (a task that was cancelled, a timer that
// was superseded) are ignored, which makes at-least-once delivery safe.
func (x *Execution) Apply(ev Event) []Command {
	x.quiet = false
	if x.Status != Running {
		if ev.Kind == Redrive {
			return x.redrive(ev)
		}
		return nil
	}
	if ev.Kind == Redrive {
		return nil
	}
	if ev.Kind == UpdateMapRun {
		if !x.applyUpdateMapRun(ev) {
			return nil
		}
		return x.takeCommands()
	}
	if ev.Kind == StopMapRunChild {
		if !x.applyStopMapRunChild(ev) {
			return nil
		}
		return x.takeCommands()
	}
	if ev.Kind == TimerFired && x.childLimits[ev.Ref] != nil {
		x.now = ev.Time
		if ev.Seed != 0 {
			x.rng = ev.Seed
		}
		x.expressChildTimedOut(x.childLimits[ev.Ref])
		x.run()
		return x.takeCommands()
	}
	if ev.Kind != Stop && !(ev.Kind == TimerFired && ev.Ref == x.execTimer && ev.Ref != 0) {
		// An event about a ref nothing waits for, or of the wrong kind for
		// what waits (a timer event for a task), changes nothing: not the
		// waiting set, not the clock, not the seed.
		f, ok := x.waiting[ev.Ref]
		if !ok || (ev.Kind == TimerFired) == (f.phase == phaseTask || f.phase == phaseRead || f.phase == phaseWrite) {
			return nil
		}
	}
	x.now = ev.Time
	if ev.Seed != 0 {
		x.rng = ev.Seed
	}
	switch ev.Kind {
	case Stop:
		x.finishExecution(Aborted, nil, &stateError{name: ev.Error, cause: ev.Cause, hasCause: ev.Cause != ""}, "ExecutionAborted")
		return x.takeCommands()
	case TimerFired:
		if ev.Ref == x.execTimer && ev.Ref != 0 {
			x.finishExecution(TimedOut, nil, &stateError{name: "States.Timeout", cause: "", hasCause: false}, "ExecutionTimedOut")
			return x.takeCommands()
		}
	}
	f, ok := x.waiting[ev.Ref]
	if !ok {
		return nil
	}
	switch ev.Kind {
	case TaskStarted:
		if f.phase == phaseTask {
			x.taskStarted(f, ev.WorkerName)
		}
		return x.takeCommands()
	case TaskSucceeded:
		if f.phase == phaseWrite {
			delete(x.waiting, ev.Ref)
			f.writeTask = nil // answered: its results need not be kept
			x.resultsWritten(f, ev.Output)
			break
		}
		if f.phase == phaseRead {
			delete(x.waiting, ev.Ref)
			x.itemsRead(f, ev.Output)
			break
		}
		if f.phase != phaseTask {
			return nil
		}
		delete(x.waiting, ev.Ref)
		x.taskSucceeded(f, ev.Output)
	case TaskFailed, TaskTimedOut:
		if f.phase == phaseWrite {
			delete(x.waiting, ev.Ref)
			f.writeTask = nil
			x.writeFailed(f, ev.Error, ev.Cause)
			break
		}
		if f.phase == phaseRead {
			delete(x.waiting, ev.Ref)
			x.readFailed(f, ev.Error, ev.Cause)
			break
		}
		if f.phase != phaseTask {
			return nil
		}
		delete(x.waiting, ev.Ref)
		x.taskFailed(f, ev.Kind == TaskTimedOut, ev.Error, ev.Cause)
	case TimerFired:
		delete(x.waiting, ev.Ref)
		switch f.phase {
		case phaseWait:
			x.waitDone(f)
		case phaseRetry:
			x.retryNow(f)
		}
	}
	x.run()
	return x.takeCommands()
}

func (x *Execution) takeCommands() []Command {
	c := x.cmds
	x.cmds = nil
	return c
}

func (x *Execution) push(f *frame) {
	if !f.queued {
		f.queued = true
		x.work = append(x.work, f)
	}
}

func (x *Execution) run() {
	x.runFrom = x.Transitions + x.expressSteps
	for len(x.work) > 0 && x.Status == Running && !x.overLimit() {
		f := x.work[len(x.work)-1]
		x.work = x.work[:len(x.work)-1]
		f.queued = false
		x.advance(f)
	}
	if x.Status == Running && x.spinning() {
		x.finishExecution(Failed, nil, &stateError{name: ErrRuntime, cause: fmt.Sprintf("The execution entered %d states without waiting for a task, a timer or any other input: it loops without end.", x.m.maxStep), hasCause: true}, "ExecutionFailed")
	} else if x.Status == Running && x.overLimit() {
		x.finishExecution(Failed, nil, &stateError{name: ErrRuntime, cause: fmt.Sprintf("The execution reached the limit of %d history events.", x.m.opts.MaxEvents), hasCause: true}, "ExecutionFailed")
	}
	if x.Status != Running {
		x.work = x.work[:0]
	}
}

// overLimit reports whether the execution must stop: at its history
// limit, or spinning. advance checks it after every state, so a loop of
// Pass and Choice states cannot keep a step from returning.
func (x *Execution) overLimit() bool {
	// One event is kept in reserve for the ExecutionFailed that reports it.
	return (x.m.opts.MaxEvents > 0 && x.nextID >= x.m.opts.MaxEvents) || x.spinning()
}

// step counts a state entered (or a retry) by frame f: a billed
// transition, unless f runs in an Express child.
func (x *Execution) step(f *frame) {
	if f.express {
		x.expressSteps++
	} else {
		x.Transitions++
	}
}

func (x *Execution) spinning() bool {
	return x.Transitions+x.expressSteps-x.runFrom >= x.m.maxStep
}

func (x *Execution) wait(f *frame, ph phase, ref int64) {
	f.phase = ph
	f.ref = ref
	if x.waiting == nil {
		x.waiting = make(map[int64]*frame)
	}
	x.waiting[ref] = f
}

// emit appends a history event and returns its id. Ids are counted even
// with history off, because causes quote them ("entered at the event id #2").
func (x *Execution) emit(f *frame, prev int64, typ string, d *Details) int64 {
	if f != nil && f.silent {
		// Distributed Map children are executions of their own; they leave
		// no trace in the parent's history.
		if f.watched {
			return x.watch.emit(x.now, prev, typ, d)
		}
		return 0
	}
	x.nextID++
	if x.hist && x.watch == nil {
		x.record(prev, typ, d)
	}
	return x.nextID
}

// emitOn is emit for an event of a frame that is not silent, in an
// execution that keeps history.
func (x *Execution) emitOn(prev int64, typ string, d *Details) int64 {
	x.nextID++
	if x.watch == nil {
		x.record(prev, typ, d)
	}
	return x.nextID
}

// record appends the event x.nextID to the history (out of emit, which
// stays small enough to be inlined where history is off).
func (x *Execution) record(prev int64, typ string, d *Details) {
	h := x.History
	n := len(h)
	if n == cap(h) {
		x.recordGrow(prev, typ, d)
		return
	}
	h = h[:n+1]
	e := &h[n]
	e.ID, e.PreviousEventID, e.Timestamp, e.Type, e.Details = x.nextID, prev, x.now, typ, d
	x.History = h
}

// recordGrow is record for a list that has no room left.
func (x *Execution) recordGrow(prev int64, typ string, d *Details) {
	if n := len(x.History) + 1; n <= maxEventsHint && int32(n) > x.m.events.Load() {
		// The list outgrows what the hint made room for: the next
		// executions start with room for this one's events so far. (The
		// hint only grows, so it needs checking when the list does.)
		x.m.events.Store(int32(n))
	}
	x.History = append(x.History, HistoryEvent{ID: x.nextID, PreviousEventID: prev, Timestamp: x.now, Type: typ, Details: d})
}

// text is the JSON text of v for a history event, or nil with history off.
func (x *Execution) text(v any) *string {
	if !x.hist {
		return nil
	}
	s := jsonv.String(v)
	return &s
}

// textFor is text for an event of frame f: nothing when f is silent.
func (x *Execution) textFor(f *frame, v any) *string {
	if !x.hist || f.silent && !f.watched {
		return nil
	}
	s := jsonv.String(v)
	return &s
}

func (x *Execution) history() bool { return x.hist }

// maxEventsHint bounds Machine.events: a long execution's list grows as
// it goes instead of being made that large for every execution.
const maxEventsHint = 64

// details returns zeroed Details for one event, the next of the
// execution's block (newExecution makes it as large as the Machine's
// executions record events in a step, bounded by maxEventsHint).
func (x *Execution) details() *Details {
	b := x.bufs()
	if b.next < len(b.block) {
		d := &b.block[b.next]
		b.next++
		return d
	}
	return b.spill()
}

// spill returns Details past the end of the block, allocated four at a
// time: an execution with history records two or more per state.
func (b *histBufs) spill() *Details {
	b.spilled += len(b.block)
	b.block = make([]Details, 4)
	b.next = 1
	return &b.block[0]
}

// ClearHistory tells x that the host is done with the events in History:
// it has stored or encoded what it needs of them and keeps no reference
// to them, to their details or to their texts. x empties History and
// records its next events into the same memory; when x records none
// before Release, the memory goes with the Execution to the Machine's next
// execution. A host that keeps the events (runner.Run returns them) does
// not call it, and they stay valid after Release.
func (x *Execution) ClearHistory() {
	x.History = x.History[:0]
	b := x.hb
	if b == nil || x.watch != nil {
		// A watching execution's details are the child's history's.
		return
	}
	b.clear()
	b.cleared, b.clearedAt = true, x.nextID
	// The list History was made with, or the larger one it grew into.
	b.events = x.History
}

// clear makes the block and the arena free to be written again. The memo
// goes with the texts (a step's events seldom share a text with the next
// step's).
func (b *histBufs) clear() {
	if b.spilled > 0 {
		// A new block with room for all of the events recorded since the
		// block was last cleared (up to maxBlock).
		b.block = make([]Details, min(b.spilled+b.next, maxBlock))
		b.spilled = 0
	} else {
		clear(b.block[:b.next])
	}
	b.next = 0
	b.arena = b.arena[:0]
	b.forget()
}

// forget drops the memo.
func (b *histBufs) forget() {
	b.memo, b.memoObj, b.memoArr, b.memoLen, b.memoFrame, b.memoExit = nil, nil, nil, 0, nil, false
}

// remember makes *text, the text of v just rendered for an event of frame
// f on the side exit says, the memo.
func (b *histBufs) remember(text *string, v any, f *frame, exit bool) {
	b.memo, b.memoFrame, b.memoExit = text, f, exit
	b.memoObj, b.memoArr, b.memoLen = nil, nil, 0
	switch y := v.(type) {
	case *jsonv.Object:
		b.memoObj = y
	case []any:
		if len(y) > 0 {
			b.memoArr, b.memoLen = &y[0], len(y)
		}
	}
}

// recall returns the memo when it is the text of v (the very object or
// array) rendered for an event of frame f on the other side of a state
// boundary than exit says, nil otherwise.
func (b *histBufs) recall(f *frame, v any, exit bool) *string {
	if b.memoFrame != f || b.memoExit == exit {
		return nil
	}
	switch y := v.(type) {
	case *jsonv.Object:
		if y == nil || y != b.memoObj {
			return nil
		}
	case []any:
		if len(y) == 0 || &y[0] != b.memoArr || len(y) != b.memoLen {
			return nil
		}
	default:
		return nil
	}
	b.memoExit = exit
	return b.memo
}

// memoText is text for an event of frame f (nothing when f is silent),
// held in d (the event's details, of which it is the only text).
// A state's input is the previous state's output as it is, and a Choice
// or Succeed state passes its input on unchanged, so the same value would
// otherwise be encoded two or three times: the text is reused when v is
// the very object or array the frame's last text was rendered from, and
// that text was rendered on the other side of a state boundary (exit
// says which side this text is for). An exit's text serves the next
// entry of the same frame, which follows it with nothing run between;
// an entry's serves the exit of a state that cannot change its input in
// place (reuse false for the others: see ownsInput). A state that failed
// after changing its input in place therefore never passes stale text on.
func (x *Execution) memoText(f *frame, v any, reuse, exit bool, d *Details) *string {
	if !x.hist || f == nil || f.silent && !f.watched {
		return nil
	}
	return x.memoTextOn(f, v, reuse, exit, d)
}

// memoTextOn is memoText for a frame whose events are recorded.
func (x *Execution) memoTextOn(f *frame, v any, reuse, exit bool, d *Details) *string {
	if reuse {
		if t := x.bufs().hit(f, v, exit); t != nil {
			return t
		}
	}
	return x.newText(f, v, reuse, exit, d)
}

// hit is recall for an object (the common payload), small enough to be
// inlined where it is asked.
func (b *histBufs) hit(f *frame, v any, exit bool) *string {
	if o, ok := v.(*jsonv.Object); ok && o == b.memoObj && o != nil && b.memoFrame == f && b.memoExit != exit {
		b.memoExit = exit
		return b.memo
	}
	return nil
}

// newText is memoTextOn past its first question: the memo of an array,
// or a text rendered.
func (x *Execution) newText(f *frame, v any, reuse, exit bool, d *Details) *string {
	b := x.bufs()
	if reuse {
		if t := b.recall(f, v, exit); t != nil {
			return t
		}
	}
	d.text = b.render(v)
	b.remember(&d.text, v, f, exit)
	return &d.text
}

// SetHistory turns event recording on or off for this execution. A host
// that rebuilds an execution by replaying its inputs does so with history
// off (the events are already stored) and then turns it on.
func (x *Execution) SetHistory(on bool) { x.hist = on }

// EventCount is the number of history events the execution has produced,
// recorded or not; a replay must arrive at the stored count.
func (x *Execution) EventCount() int64 { return x.nextID }

// rand is splitmix64 over the execution's seed: deterministic under replay.
func (x *Execution) rand() uint64 {
	x.rng += 0x9e3779b97f4a7c15
	z := x.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (x *Execution) finishExecution(st Status, out any, err *stateError, typ string) {
	x.Status = st
	x.abortRuns()
	prev := int64(0)
	if x.root != nil {
		prev = x.root.last
	}
	switch st {
	case Succeeded:
		x.Output = out
		var d *Details
		if x.hist {
			d = x.details()
			d.Output = x.memoText(x.root, out, true, false, d)
		}
		x.emit(nil, prev, "ExecutionSucceeded", d)
	default:
		var d *Details
		if x.hist {
			d = &Details{}
		}
		if err != nil {
			x.Error, x.Cause = err.name, err.cause
			// A Fail state may name no error and StopExecution may give
			// none; a timeout always has one.
			x.HasError = err.name != "" || st == TimedOut
			x.HasCause = err.hasCause
			if d != nil && x.HasError {
				d.Error = ptr(err.name)
			}
			if d != nil && err.hasCause {
				d.Cause = ptr(err.cause)
			}
		}
		if st == Aborted {
			prev = 0
		}
		x.emit(nil, prev, typ, d)
	}
	// Everything still pending is dropped: tell the host.
	// In ref order: map order would make the commands differ between
	// replays of the same events.
	for _, ref := range sortedRefs(x.waiting) {
		x.cmds = append(x.cmds, Command{Kind: Cancel, Ref: ref})
	}
	if x.execTimer != 0 && st != TimedOut {
		x.cmds = append(x.cmds, Command{Kind: Cancel, Ref: x.execTimer})
	}
	for _, ref := range sortedRefs(x.childLimits) {
		x.childLimits[ref].dist.limitRef = 0
		x.cmds = append(x.cmds, Command{Kind: Cancel, Ref: ref})
	}
	x.childLimits = nil
	x.waiting = nil
}

// frameDone is called when a frame reached a terminal state or failed.
func (x *Execution) frameDone(f *frame, out any, err *stateError) {
	f.phase = phaseDone
	f.out, f.err = out, err
	switch f.kind {
	case frameRoot:
		if err != nil {
			x.finishExecution(Failed, nil, err, "ExecutionFailed")
		} else {
			x.finishExecution(Succeeded, out, nil, "")
		}
	default:
		x.childDone(f.parent, f)
	}
}

// scope returns the path scope for a frame's current state. It is one
// struct per execution, reused, with the execution itself as its Env:
// allocating a scope and its closures per evaluation dominated the cost of
// simple states.
func (x *Execution) scope(f *frame, input any) *jsonpath.Scope {
	x.sc.Input = input
	x.sc.Env = x
	x.scFrame = f
	x.scItem = nil
	return &x.sc
}

// ContextObject implements jsonpath.Env for the frame being evaluated.
func (x *Execution) ContextObject() (any, bool) {
	return x.contextObject(x.scFrame, x.scItem), true
}

// Variable implements jsonpath.Env: the innermost scope that assigned the
// name wins. A Distributed Map child is an execution of its own and sees no
// outer variables.
func (x *Execution) Variable(name string) (any, bool) {
	for f := x.scFrame; f != nil; f = f.parent {
		if v, ok := f.vars[name]; ok {
			return v, true
		}
		if f.kind == frameIteration && f.parent != nil && f.parent.state.Distributed {
			break
		}
	}
	return nil, false
}

// Random implements jsonpath.Env.
func (x *Execution) Random() (uint64, bool) { return x.rand(), true }

// recording reports whether events of frame f are kept.
func (x *Execution) recording(f *frame) bool {
	return x.hist && (f == nil || !f.silent || f.watched)
}

// contextObject builds $$ in the order AWS gives it, as recorded in the
// conformance cases context_object_test_context_object__TestSnfBase__
// test_input_path and base_test_base__TestSnfBase__test_query_context_
// object_values: Execution (Id, Input, StartTime, Name, RoleArn,
// RedriveCount), StateMachine (Id, Name), State (Name, EnteredTime, then
// RetryCount, which no recording shows), then Task and Map.
func (x *Execution) contextObject(f *frame, item *jsonv.Object) any {
	if c := x.testContext(f); c != nil {
		return c
	}
	info := &x.Info
	state := jsonv.NewObject(3)
	state.Append("Name", f.state.Name)
	state.Append("EnteredTime", formatTime(f.enteredAt))
	switch f.state.Type {
	case asl.TypeTask, asl.TypeParallel, asl.TypeMap:
		state.Append("RetryCount", int64(f.retryCount))
	}
	exe := jsonv.ObjectOf(
		"Id", info.ExecutionArn,
		"Input", info.Input,
		"StartTime", formatTime(info.StartTime),
		"Name", info.Name,
		"RoleArn", info.RoleArn,
		"RedriveCount", x.redrives,
	)
	if x.redrives > 0 {
		exe.Append("RedriveTime", formatTime(x.redriveTime))
	}
	c := jsonv.NewObject(5)
	c.Append("Execution", exe)
	c.Append("StateMachine", jsonv.ObjectOf("Id", info.StateMachineArn, "Name", info.StateMachineName))
	c.Append("State", state)
	if f.state.Type == asl.TypeTask && info.TaskToken != nil && f.ref != 0 {
		c.Append("Task", jsonv.ObjectOf("Token", info.TaskToken(f.ref)))
	}
	if item != nil {
		c.Append("Map", jsonv.ObjectOf("Item", item))
	}
	return c
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// sortedRefs lists what is pending in a stable order (map order is random,
// and replays must produce the same commands).
func sortedRefs(m map[int64]*frame) []int64 {
	if len(m) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}
