package interp

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unsafe"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/asl/jsonpath"
	"github.com/statecraft/statecraft/jsonv"
)

// Predefined error names.
const (
	ErrAll                 = "States.ALL"
	ErrTimeout             = "States.Timeout"
	ErrTaskFailed          = "States.TaskFailed"
	ErrRuntime             = "States.Runtime"
	ErrDataLimitExceeded   = "States.DataLimitExceeded"
	ErrNoChoiceMatched     = "States.NoChoiceMatched"
	ErrHeartbeatTimeout    = "States.HeartbeatTimeout"
	ErrExceedToleratedFail = "States.ExceedToleratedFailureThreshold"
)

// advance runs a frame until it blocks, finishes or hands over to a child.
func (x *Execution) advance(f *frame) {
	for x.Status == Running {
		if x.overLimit() {
			x.push(f) // run ends the execution
			return
		}
		switch f.phase {
		case phaseEnter:
			if !x.enter(f) {
				return
			}
		case phaseChildren:
			if !x.pump(f) {
				return
			}
		default:
			return
		}
	}
}

func (x *Execution) runtimeErr(f *frame, detail string) *stateError {
	return &stateError{
		name:     ErrRuntime,
		cause:    fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", f.state.Name, f.enteredID, detail),
		hasCause: true,
		runtime:  true,
	}
}

// enter runs the state f.state on f.input. It reports whether the frame
// moved on to its next state and can keep running inline.
func (x *Execution) enter(f *frame) bool {
	if x.test == nil && !f.silent {
		if p := x.planOf(f); p != nil {
			switch {
			case p.passResult:
				if x.hist {
					return x.enterPassResultRecorded(f, p)
				}
				return x.enterPassResult(f, p)
			case p.passParams:
				if x.hist {
					return x.enterPassParamsRecorded(f, p)
				}
				return x.enterPassParams(f, p)
			case p.choice:
				return x.enterChoice(f, p)
			case p.succeed:
				return x.enterSucceed(f, p)
			// The planned JSONata paths record no events: with history
			// on, those states take the general path.
			case x.hist:
			case p.ataPass:
				return x.enterATAPass(f, p)
			case p.ataChoice:
				return x.enterATAChoice(f, p)
			case p.ataSucceed:
				return x.enterATASucceed(f, p)
			}
		}
	}
	return x.enterGeneral(f)
}

// enterGeneral is enter for any state.
func (x *Execution) enterGeneral(f *frame) bool {
	st := f.state
	x.step(f)
	f.enteredAt = x.now
	f.retries = nil
	f.retryCount = 0
	f.pending = nil
	var d *Details
	var typ string
	if x.recording(f) {
		d = x.details()
		d.Name, d.Input = st.Name, x.memoText(f, f.input, true, false, d)
		typ = enteredType(st.Type)
	}
	f.enteredPrev = f.last
	f.enteredID = x.emit(f, f.last, typ, d)
	f.last = f.enteredID
	t := x.probe(f)
	if t != nil {
		t.insp.Input = set(f.input)
		f.retryCount = int(t.retryCount)
	}

	if f.owned != nil && !keepsOwnership(st) {
		f.owned = nil
	}
	if st.JSONata != nil {
		return x.enterJSONata(f)
	}
	if st.Type == asl.TypeFail {
		if t != nil {
			// A Fail state has no InputPath; AWS shows its input as the
			// value after it all the same.
			t.insp.AfterInputPath = set(f.input)
		}
		x.failState(f)
		return false
	}
	eff, err := x.applyPath(f, st.InputPath, f.input)
	if err != nil {
		x.raise(f, err)
		return false
	}
	f.eff = eff
	if t != nil {
		t.insp.AfterInputPath = set(eff)
	}
	f.effBound = pathBound(st.InputPath, f.inBound)
	switch st.Type {
	case asl.TypePass:
		result, rb := eff, f.effBound
		if st.Parameters != nil {
			var v any
			var b int
			var err *stateError
			if !st.HasResult && !st.ResultPath.Set && st.Assign == nil && st.Parameters.CanEvalInto() && x.ownsInput(f) {
				// The payload replaces the input, which this frame owns
				// and will not need again: build it in the input's object.
				v, b, err = x.templateInto(f, st.Parameters, eff, f.effBound, f.input.(*jsonv.Object))
			} else {
				// The payload becomes this frame's own input when it is
				// the output: leave room for a field a later state's
				// ResultPath may add to it in place.
				spare := 0
				if !st.End && !st.HasResult && !st.ResultPath.Set && st.Assign == nil {
					spare = 1
				}
				v, b, err = x.templateBoundSpare(f, st.Parameters, eff, f.effBound, spare)
			}
			if err != nil {
				x.raise(f, err)
				return false
			}
			result, rb = v, b
		}
		if t != nil {
			if st.HasResult {
				// AWS shows a Pass state's Result as its result, and
				// nothing of the InputPath and Parameters it ignores.
				t.insp.AfterInputPath = Data{}
				t.insp.Result = set(st.Result)
				t.insp.AfterResultSelector = set(st.Result)
			} else {
				t.insp.AfterParameters = set(result)
				t.insp.AfterResultSelector = set(result)
			}
		}
		if st.HasResult {
			result, rb = st.Result, st.ResultSize
		} else if st.Parameters != nil && !st.Parameters.IsStatic() && !st.ResultPath.Set && st.Assign == nil {
			// A fresh payload that becomes the output as it is: nothing
			// else refers to it.
			f.owned = mapPointer(result)
		}
		if !x.prepareAssign(f, st.Assign, result) {
			return false
		}
		return x.withResult(f, result, rb)
	case asl.TypeSucceed:
		out, serr := x.applyPath(f, st.OutputPath, eff)
		if serr != nil {
			x.raise(f, serr)
			return false
		}
		return x.complete(f, out, pathBound(st.OutputPath, f.effBound))
	case asl.TypeChoice:
		r, serr := x.choose(f, x.scope(f, eff))
		if serr != nil {
			x.raise(f, serr)
			return false
		}
		next, ns := st.Default, st.DefaultState
		assign := st.Assign
		if r != nil {
			next, ns = r.Next, r.NextState
			if r.Assign != nil {
				assign = r.Assign
			}
		}
		if next != "" && !x.prepareAssign(f, assign, eff) {
			return false
		}
		if next == "" {
			x.raise(f, noChoiceMatched(f))
			return false
		}
		out, serr := x.applyPath(f, st.OutputPath, eff)
		if serr != nil {
			x.raise(f, serr)
			return false
		}
		return x.exitTo(f, out, next, ns, pathBound(st.OutputPath, f.effBound))
	case asl.TypeWait:
		return x.startWait(f)
	case asl.TypeTask, asl.TypeParallel, asl.TypeMap:
		return x.body(f)
	}
	x.raise(f, x.runtimeErr(f, "Unknown state type "+st.Type))
	return false
}

// noChoiceMatched is the error of a Choice state whose rules all failed
// and that has no Default.
func noChoiceMatched(f *frame) *stateError {
	return &stateError{name: ErrNoChoiceMatched, cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). Failed to transition out of the state. No Choice matched and no Default was specified.", f.state.Name, f.enteredID), hasCause: true}
}

// body runs the part of a Task, Parallel or Map state that a retry repeats.
// Parameters are part of it: each attempt sees its own $$.State.RetryCount
// (and, for a Task, its own $$.Task.Token).
func (x *Execution) body(f *frame) bool {
	st := f.state
	if st.Type == asl.TypeTask {
		// The ref is the id the scheduling event is about to get, so that
		// $$.Task.Token (evaluated in Parameters before the event exists)
		// and the event agree without shifting AWS's event numbering.
		f.ref = x.nextID + 1
		if f.silent {
			f.ref = x.newTimerRef()
		}
	}
	f.taskInput, f.taskBound = f.eff, f.effBound
	if st.JSONata != nil {
		f.taskBound = 0
		if st.Type != asl.TypeMap && !x.ataArguments(f) {
			return false
		}
	} else if st.Parameters != nil {
		v, b, err := x.templateBound(f, st.Parameters, f.eff, f.effBound)
		if err != nil {
			x.raise(f, err)
			return false
		}
		f.taskInput, f.taskBound = v, b
	}
	if t := x.probe(f); t != nil && st.Type == asl.TypeTask {
		if st.JSONata != nil {
			t.insp.AfterArguments = set(f.taskInput)
		} else {
			t.insp.AfterParameters = set(f.taskInput)
		}
	}
	switch st.Type {
	case asl.TypeTask:
		x.scheduleTask(f)
		return false
	case asl.TypeParallel:
		return x.startParallel(f)
	default:
		return x.startMap(f)
	}
}

// applyPath applies InputPath or OutputPath.
func (x *Execution) applyPath(f *frame, p asl.IOPath, v any) (any, *stateError) {
	if !p.Set || (p.Path != nil && p.Path.IsRoot()) {
		return v, nil
	}
	if p.Null {
		return jsonv.NewObject(0), nil
	}
	out, ok := p.Path.Get(x.scope(f, v))
	if !ok {
		return nil, x.runtimeErr(f, fmt.Sprintf("Invalid path '%s' : No results for path: %s", p.Path.String(), p.Path.Bracketed()))
	}
	return out, nil
}

// pathBound bounds the size of what InputPath or OutputPath p selects from
// a value of size at most b: a sub-tree is never larger than its tree.
func pathBound(p asl.IOPath, b int) int {
	switch {
	case !p.Set:
		return b
	case p.Null:
		return 2 // {}
	case p.Path.IsInputReference():
		return b
	}
	return 0
}

func (x *Execution) template(f *frame, t *jsonpath.Template, input any) (any, *stateError) {
	v, err := t.Eval(x.scope(f, input))
	if err != nil {
		return nil, x.evalErr(f, err, input)
	}
	return v, nil
}

// templateBound is template that also bounds the size of the payload,
// given in, a bound on the size of input (see Template.EvalBound).
func (x *Execution) templateBound(f *frame, t *jsonpath.Template, input any, in int) (any, int, *stateError) {
	return x.templateBoundSpare(f, t, input, in, 0)
}

// templateBoundSpare is templateBound leaving room for spare more keys in
// the payload's object (see jsonpath.Scope.Spare).
func (x *Execution) templateBoundSpare(f *frame, t *jsonpath.Template, input any, in int, spare int) (any, int, *stateError) {
	if x.m.limit <= 0 {
		v, err := x.template(f, t, input)
		return v, 0, err
	}
	sc := x.scope(f, input)
	sc.Spare = spare
	v, b, err := t.EvalBound(sc, in)
	sc.Spare = 0
	if err != nil {
		return nil, 0, x.evalErr(f, err, input)
	}
	return v, b, nil
}

func (x *Execution) evalErr(f *frame, err error, input any) *stateError {
	var fe *jsonpath.FieldError
	var pe *jsonpath.PathNotFoundError
	var je *jsonpath.Error
	switch {
	case errors.As(err, &fe):
		return x.runtimeErr(f, fmt.Sprintf("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", fe.Path, fe.Field, jsonv.String(input)))
	case errors.As(err, &pe):
		return x.runtimeErr(f, fmt.Sprintf("The JSONPath '%s' could not be found in the input '%s'", pe.Path, jsonv.String(input)))
	case errors.As(err, &je):
		if je.Name == ErrRuntime {
			return x.runtimeErr(f, je.Cause)
		}
		return &stateError{name: je.Name, cause: je.Cause, hasCause: true}
	}
	return x.runtimeErr(f, err.Error())
}

// keepsOwnership reports whether a frame may keep owning its input through
// state st: only states that cannot hand the input to anything else (a
// task, a child frame, a variable) and pass it on or change it in place.
func keepsOwnership(st *asl.State) bool {
	if st.JSONata != nil || st.Assign != nil {
		return false
	}
	switch st.Type {
	case asl.TypePass, asl.TypeSucceed:
		return true
	case asl.TypeChoice:
		for _, r := range st.Choices {
			if r.Assign != nil {
				return false
			}
		}
		return true
	}
	return false
}

// ownsInput reports whether f's input is the object f owns: one it built
// itself and that nothing else (a task, a child, a variable, the host)
// refers to, so that it may be changed in place.
func (x *Execution) ownsInput(f *frame) bool {
	return f.owned != nil && mapPointer(f.input) == f.owned
}

// mapPointer identifies an object by its map header; nil for anything else.
func mapPointer(v any) unsafe.Pointer {
	m, ok := v.(*jsonv.Object)
	if !ok {
		return nil
	}
	return *(*unsafe.Pointer)(unsafe.Pointer(&m))
}

// checkBounds makes every size bound be checked against a measurement
// (tests turn it on).
var checkBounds bool

func verifyBound(f *frame, v any, b int) {
	if n := jsonv.Size(v, 0); n > b {
		panic(fmt.Sprintf("state %q: size bound %d below the size %d of %s", f.state.Name, b, n, jsonv.String(v)))
	}
}

// templateInto is templateBound building the payload in dst (see
// Template.EvalInto).
func (x *Execution) templateInto(f *frame, t *jsonpath.Template, input any, in int, dst *jsonv.Object) (any, int, *stateError) {
	if x.m.limit <= 0 {
		in = -1 // no bound needed
	}
	v, b, err := t.EvalInto(x.scope(f, input), in, dst)
	if err != nil {
		return nil, 0, x.evalErr(f, err, input)
	}
	return v, b, nil
}

// withResult applies ResultPath (onto the raw state input) and OutputPath;
// rb bounds the size of result (0: unknown).
func (x *Execution) withResult(f *frame, result any, rb int) bool {
	st := f.state
	var merged any
	var mb int
	switch {
	case !st.ResultPath.Set:
		merged, mb = result, rb
	case st.ResultPath.Null:
		merged, mb = f.input, f.inBound
	default:
		p := st.ResultPath.Path
		var v any
		var err error
		if st.HasResult && x.ownsInput(f) {
			// The input is this frame's own copy and the result a literal
			// of the definition (it cannot contain the input): set the
			// field in place.
			v, err = p.SetOwned(f.input, result)
		} else {
			v, err = p.Set(f.input, result)
		}
		if err != nil {
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("Invalid path '%s': Unable to apply ResultPath to the state input: %v", st.ResultPath.Path.String(), err)))
			return false
		}
		merged = v
		if !p.IsRoot() {
			// Set copied the input's top level: the copy is this frame's.
			f.owned = mapPointer(v)
		}
		switch {
		case p.IsRoot():
			mb = rb
		case f.inBound > 0 && rb > 0:
			mb = f.inBound + rb + p.SetGrowth()
		}
	}
	if t := x.probe(f); t != nil {
		t.insp.AfterResultPath = set(merged)
	}
	out, serr := x.applyPath(f, st.OutputPath, merged)
	if serr != nil {
		x.raise(f, serr)
		return false
	}
	return x.complete(f, out, pathBound(st.OutputPath, mb))
}

// complete ends the current state with its output and moves on; ob bounds
// the output's size (0: unknown).
func (x *Execution) complete(f *frame, out any, ob int) bool {
	st := f.state
	if st.Type == asl.TypeSucceed || st.End {
		ob, ok := x.checkSize(f, out, ob)
		if !ok {
			return false
		}
		x.exitEvent(f, out)
		f.outBound = ob
		x.frameDone(f, out, nil)
		return false
	}
	return x.exitTo(f, out, st.Next, st.NextState, ob)
}

// checkSize enforces the payload limit on out, of size at most b (0:
// unknown). Only a payload whose bound is over the limit or unknown is
// measured. It returns a bound on out's size (its size when measured), or
// false when the state failed.
func (x *Execution) checkSize(f *frame, out any, b int) (int, bool) {
	if x.m.limit <= 0 {
		return 0, true
	}
	if b > 0 && b <= x.m.limit {
		if checkBounds {
			verifyBound(f, out, b)
		}
		return b, true
	}
	n := jsonv.Size(out, x.m.limit)
	if n > x.m.limit {
		x.raise(f, &stateError{name: ErrDataLimitExceeded, cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", f.state.Name), hasCause: true})
		return 0, false
	}
	return n, true
}

func (x *Execution) exitEvent(f *frame, out any) {
	var d *Details
	var typ string
	if x.recording(f) {
		typ = exitedType(f.state.Type)
		d = x.details()
		switch f.state.Type {
		case asl.TypeChoice, asl.TypeSucceed:
			d.Name, d.Output = f.state.Name, x.memoText(f, out, true, true, d)
		default:
			d.Name, d.Output = f.state.Name, x.memoText(f, out, false, true, d)
		}
		if f.pending != nil {
			d.Assigned = make(map[string]string, f.pending.Len())
			for k, v := range f.pending.All() {
				d.Assigned[k] = jsonv.String(v)
			}
		}
	}
	// Variables take their new values as the state exits: everything the
	// state evaluated (its OutputPath included) saw the old ones.
	if f.pending != nil {
		if f.vars == nil {
			f.vars = make(map[string]any, f.pending.Len())
		}
		for k, v := range f.pending.All() {
			f.vars[k] = v
		}
		f.pending = nil
	}
	f.last = x.emit(f, f.last, typ, d)
}

// prepareAssign evaluates a state's (or the matched Choice rule's or
// Catch's) Assign against $ = input, with the variables as they were when
// the state was entered; exitEvent binds the values. It reports false when
// the evaluation failed and the error was raised.
func (x *Execution) prepareAssign(f *frame, t *jsonpath.Template, input any) bool {
	if t == nil {
		return true
	}
	v, err := t.Eval(x.scope(f, input))
	if err != nil {
		x.raise(f, x.evalErr(f, err, input))
		return false
	}
	m, _ := v.(*jsonv.Object)
	if m.Len() == 0 {
		return true // "Assign": {} assigns nothing and records nothing
	}
	if err := x.checkAssign(f, m); err != nil {
		x.raise(f, err)
		return false
	}
	f.pending = m
	return true
}

// exitTo leaves the current state for next; ns is the state next names
// when the definition resolved it (nil: look it up).
func (x *Execution) exitTo(f *frame, out any, next string, ns *asl.State, ob int) bool {
	// Choice only selects from its input, which was already within limits.
	if f.state.Type != asl.TypeChoice {
		var ok bool
		if ob, ok = x.checkSize(f, out, ob); !ok {
			return false
		}
	}
	x.exitEvent(f, out)
	return x.goTo(f, next, ns, out, ob)
}

// goTo moves f to the state next (ns when resolved) with the given input,
// of size at most ib (0: unknown).
func (x *Execution) goTo(f *frame, next string, ns *asl.State, input any, ib int) bool {
	if t := x.probe(f); t != nil {
		x.stopTest(t, next, input)
		return false
	}
	if ns == nil {
		var ok bool
		if ns, ok = f.scope.States[next]; !ok {
			x.frameDone(f, nil, x.runtimeErr(f, "Missing 'Next' target: "+next))
			return false
		}
	}
	if checkBounds && ib > 0 {
		verifyBound(f, input, ib)
	}
	if p := f.plan; p != nil && p.st == f.state {
		f.plan = p.successor(ns)
	} else {
		f.plan = nil
	}
	f.state = ns
	f.input = input
	f.inBound = ib
	f.phase = phaseEnter
	if f.fanout != nil {
		// The children of the state left behind are no redrive's business.
		f.children, f.results = nil, nil
	}
	return true
}

func (x *Execution) failState(f *frame) {
	st := f.state
	e := &stateError{}
	sc := x.scope(f, f.input)
	if st.HasError {
		e.name = st.Error
	}
	if st.HasCause {
		e.cause, e.hasCause = st.Cause, true
	}
	if st.ErrorPath != nil {
		v, err := st.ErrorPath.Eval(sc)
		if err != nil {
			x.frameDone(f, nil, x.failPathErr(f, err, "ErrorPath"))
			return
		}
		e.name = stringOf(v)
	}
	if st.CausePath != nil {
		v, err := st.CausePath.Eval(sc)
		if err != nil {
			x.frameDone(f, nil, x.failPathErr(f, err, "CausePath"))
			return
		}
		e.cause, e.hasCause = stringOf(v), true
	}
	x.frameDone(f, nil, e)
}

func (x *Execution) failPathErr(f *frame, err error, field string) *stateError {
	var pe *jsonpath.PathNotFoundError
	if errors.As(err, &pe) {
		return x.runtimeErr(f, fmt.Sprintf("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", pe.Path, field, jsonv.String(f.input)))
	}
	return x.evalErr(f, err, f.input)
}

func stringOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return jsonv.String(v)
}

// ---- Wait ----

func (x *Execution) startWait(f *frame) bool {
	st := f.state
	sc := x.scope(f, f.eff)
	var due time.Time
	switch {
	case st.HasSeconds:
		due = x.now.Add(time.Duration(st.Seconds) * time.Second)
	case st.HasTimestamp:
		due = st.Timestamp
	case st.SecondsPath != nil:
		v, ok := st.SecondsPath.Get(sc)
		if !ok {
			x.raise(f, x.runtimeErr(f, "The SecondsPath parameter does not reference an input value: "+st.SecondsPath.String()))
			return false
		}
		n, isInt := jsonv.Integer(v)
		if _, isFloat := v.(float64); isFloat || !isInt {
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The SecondsPath parameter cannot be parsed as a long value: %s == %s", st.SecondsPath.String(), stringOf(v))))
			return false
		}
		if n < 0 {
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The SecondsPath parameter references a negative value: %s == %d", st.SecondsPath.String(), n)))
			return false
		}
		if n >= 1<<31 {
			x.raise(f, x.runtimeErr(f, "Wait state delay is too long."))
			return false
		}
		due = x.now.Add(time.Duration(n) * time.Second)
	case st.TimestampPath != nil:
		v, ok := st.TimestampPath.Get(sc)
		if !ok {
			x.raise(f, x.runtimeErr(f, "The TimestampPath parameter does not reference an input value: "+st.TimestampPath.String()))
			return false
		}
		s, _ := v.(string)
		t, ok := asl.ParseTimestamp(s)
		if !ok {
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", st.TimestampPath.String(), stringOf(v))))
			return false
		}
		due = t
	}
	if !due.After(x.now) || x.probe(f) != nil {
		// A tested Wait state does not wait.
		return x.waitDone(f)
	}
	ref := x.newTimerRef()
	x.wait(f, phaseWait, ref)
	x.cmds = append(x.cmds, Command{Kind: StartTimer, Ref: ref, Due: due})
	return false
}

// Timer refs live in their own (negative) space so they never shift the
// history event ids, which must match AWS's.
func (x *Execution) newTimerRef() int64 {
	x.timerSeq--
	return x.timerSeq
}

func (x *Execution) waitDone(f *frame) bool {
	if j := f.state.JSONata; j != nil {
		f.phase = phaseEnter
		if x.ataFinish(f, &ataCtx{input: f.input}, j.Assign, j.Output, "", false) {
			x.push(f)
		}
		return false
	}
	if !x.prepareAssign(f, f.state.Assign, f.eff) {
		return false
	}
	out, err := x.applyPath(f, f.state.OutputPath, f.eff)
	if err != nil {
		x.raise(f, err)
		return false
	}
	f.phase = phaseEnter
	if x.complete(f, out, pathBound(f.state.OutputPath, f.effBound)) {
		x.push(f)
	}
	return false
}

// ---- Errors: Retry and Catch ----

func matches(list []string, e *stateError) bool {
	for _, n := range list {
		switch {
		case n == e.name:
			return true
		case n == ErrAll:
			if e.name != ErrRuntime {
				return true
			}
		case n == ErrTaskFailed:
			if !strings.HasPrefix(e.name, "States.") {
				return true
			}
		}
	}
	return false
}

// raise handles an error in f's current state: retry, catch, or fail the
// frame.
func (x *Execution) raise(f *frame, e *stateError) {
	st := f.state
	if e.evalFailed {
		e.evalFailed = false
		x.evaluationFailed(f, e)
	}
	t := x.probe(f)
	if !e.runtime && len(st.Retry) > 0 {
		if f.retries == nil {
			f.retries = make([]int64, len(st.Retry))
		}
		for i, r := range st.Retry {
			if !matches(r.ErrorEquals, e) {
				continue
			}
			attempts := f.retries[i]
			if t != nil {
				// A tested state has made the retries it was told of.
				attempts = t.retryCount
				t.insp.RetryIndex = i
			}
			if attempts < r.MaxAttempts {
				delay := float64(r.IntervalSeconds) * math.Pow(r.BackoffRate, float64(attempts))
				if r.MaxDelaySeconds > 0 && delay > float64(r.MaxDelaySeconds) {
					delay = float64(r.MaxDelaySeconds)
				}
				if !(delay <= maxRetryDelay) {
					// Past ~292 years a time.Duration wraps into the past.
					delay = maxRetryDelay
				}
				if r.JitterFull {
					delay *= float64(x.rand()>>11) / (1 << 53)
				}
				if t != nil {
					x.retriable(t, e, time.Duration(delay*float64(time.Second)))
					return
				}
				f.retries[i]++
				f.retryCount++
				f.childFailed = false
				ref := x.newTimerRef()
				x.wait(f, phaseRetry, ref)
				x.cmds = append(x.cmds, Command{Kind: StartTimer, Ref: ref, Due: x.now.Add(time.Duration(delay * float64(time.Second)))})
				return
			}
			break
		}
	}
	if f.childFailed {
		f.childFailed = false
		f.last = x.emit(f, f.last, failedType(st.Type), nil)
	}
	for ci, c := range st.Catch {
		if !matches(c.ErrorEquals, e) {
			continue
		}
		if t != nil {
			t.insp.CatchIndex = ci
			t.caught = e
		}
		errOut := jsonv.ObjectOf("Error", e.name, "Cause", e.cause)
		if !e.hasCause {
			errOut.Set("Cause", "")
		}
		var out any
		if st.JSONata != nil {
			v, err := x.ataCatch(f, c, errOut)
			if err != nil {
				if err.evalFailed {
					err.evalFailed = false
					x.evaluationFailed(f, err)
				}
				x.frameDone(f, nil, err)
				return
			}
			x.exitEvent(f, v)
			if x.goTo(f, c.Next, c.NextState, v, 0) {
				x.push(f)
			}
			return
		}
		switch {
		case !c.ResultPath.Set:
			out = errOut
		case c.ResultPath.Null:
			out = f.input
		default:
			v, err := c.ResultPath.Path.Set(f.input, errOut)
			if err != nil {
				x.frameDone(f, nil, x.runtimeErr(f, "Unable to apply the Catch ResultPath: "+err.Error()))
				return
			}
			out = v
		}
		f.pending = nil
		if c.Assign != nil {
			v, err := c.Assign.Eval(x.scope(f, errOut))
			if err != nil {
				x.frameDone(f, nil, x.evalErr(f, err, errOut))
				return
			}
			m, _ := v.(*jsonv.Object)
			if err := x.checkAssign(f, m); err != nil {
				x.frameDone(f, nil, err)
				return
			}
			f.pending = m
		}
		x.exitEvent(f, out)
		if x.goTo(f, c.Next, c.NextState, out, 0) {
			x.push(f)
		}
		return
	}
	x.frameDone(f, nil, e)
}

// maxRetryDelay (about 146 years, in seconds) bounds a computed retry
// delay so that it always converts to a positive time.Duration.
const maxRetryDelay = float64(1<<62) / float64(time.Second)

func (x *Execution) retryNow(f *frame) {
	x.step(f)
	f.phase = phaseEnter
	if f.fanout != nil {
		// A retry runs every child again, whatever a failed attempt left.
		f.children, f.results = nil, nil
	}
	if x.body(f) {
		x.push(f)
	}
}

// Event type names per state type, as constants: concatenating them per
// state showed up as an allocation on every transition, and looking them up
// in a map as hashing; with history off they are not needed at all.
func enteredType(t string) string {
	switch t {
	case asl.TypePass:
		return "PassStateEntered"
	case asl.TypeTask:
		return "TaskStateEntered"
	case asl.TypeChoice:
		return "ChoiceStateEntered"
	case asl.TypeWait:
		return "WaitStateEntered"
	case asl.TypeSucceed:
		return "SucceedStateEntered"
	case asl.TypeFail:
		return "FailStateEntered"
	case asl.TypeParallel:
		return "ParallelStateEntered"
	case asl.TypeMap:
		return "MapStateEntered"
	}
	return ""
}

func exitedType(t string) string {
	switch t {
	case asl.TypePass:
		return "PassStateExited"
	case asl.TypeTask:
		return "TaskStateExited"
	case asl.TypeChoice:
		return "ChoiceStateExited"
	case asl.TypeWait:
		return "WaitStateExited"
	case asl.TypeSucceed:
		return "SucceedStateExited"
	case asl.TypeFail:
		return "FailStateExited"
	case asl.TypeParallel:
		return "ParallelStateExited"
	case asl.TypeMap:
		return "MapStateExited"
	}
	return ""
}

func failedType(t string) string {
	switch t {
	case asl.TypePass:
		return "PassStateFailed"
	case asl.TypeTask:
		return "TaskStateFailed"
	case asl.TypeChoice:
		return "ChoiceStateFailed"
	case asl.TypeWait:
		return "WaitStateFailed"
	case asl.TypeSucceed:
		return "SucceedStateFailed"
	case asl.TypeFail:
		return "FailStateFailed"
	case asl.TypeParallel:
		return "ParallelStateFailed"
	case asl.TypeMap:
		return "MapStateFailed"
	}
	return ""
}
