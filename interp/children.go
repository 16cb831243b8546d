package interp

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/jsonv"
)

func (x *Execution) startParallel(f *frame) bool {
	st := f.state
	if f.fanout == nil {
		f.fanout = &fanout{}
	}
	f.last = x.emit(f, f.last, "ParallelStateStarted", nil)
	if m := x.mockedChildren(f); m != nil {
		// AWS reports no afterInputPath for a Parallel state, even one
		// with an InputPath (the recorded mocked Parallel tests).
		x.probe(f).insp.AfterInputPath = Data{}
		return x.runMocked(f, m)
	}
	n := len(st.Branches)
	f.children = make([]*frame, n)
	f.results = make([]any, n)
	f.running = n
	f.childErr = nil
	f.phase = phaseChildren
	for i, b := range st.Branches {
		f.children[i] = &frame{parent: f, kind: frameBranch, index: i, scope: b, state: startState(b), input: f.taskInput, inBound: f.taskBound, last: f.last,
			silent: f.silent, watched: f.watched, express: f.express}
	}
	// Branches run in order: the stack is LIFO, so push the last one first.
	x.push(f)
	for i := n - 1; i >= 0; i-- {
		f.children[i].plan = f.firstPlan(i)
		x.push(f.children[i])
	}
	return false
}

func (x *Execution) startMap(f *frame) bool {
	st := f.state
	if f.fanout == nil {
		f.fanout = &fanout{}
	}
	read, haveRead := f.takeRead()
	if reads(st) && !haveRead {
		return x.readItems(f)
	}
	if st.JSONata != nil {
		arr, ok := x.ataMapSetup(f, read, haveRead)
		if !ok {
			return false
		}
		return x.mapStarted(f, arr)
	}
	sc := x.scope(f, f.taskInput)
	var items any = f.taskInput
	if haveRead {
		items = read
	} else if st.ItemsPath.Set && !st.ItemsPath.Null && !st.ItemsPath.Path.IsRoot() {
		v, ok := st.ItemsPath.Path.Get(sc)
		if !ok {
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("Invalid path '%s' : No results for path: %s", st.ItemsPath.Path.String(), st.ItemsPath.Path.Bracketed())))
			return false
		}
		items = v
	}
	arr, ok := items.([]any)
	if !ok {
		x.raise(f, x.runtimeErr(f, fmt.Sprintf("Item input path '%s' does not reference a JSON array: %s", itemsPathText(st), jsonv.String(items))))
		return false
	}
	f.maxConc = int(st.MaxConcurrency)
	if st.MaxConcurrencyPath != nil {
		v, ok := st.MaxConcurrencyPath.Get(sc)
		n, isInt := jsonv.Integer(numeric(v))
		if !ok || !isInt || n < 0 || n > math.MaxInt32 {
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The MaxConcurrencyPath field refers to value \"%s\" which is not a valid integer: %s", stringOf(v), st.MaxConcurrencyPath.String())))
			return false
		}
		f.maxConc = int(n)
	}
	var d *Details
	if x.recording(f) {
		d = &Details{More: &MoreDetails{Length: ptr(int64(len(arr)))}}
	}
	f.last = x.emit(f, f.last, "MapStateStarted", d)
	f.tolerant = false
	f.tolCount, f.tolPct = 0, 0
	if st.HasToleratedFailureCount {
		f.tolerant, f.tolCount = true, st.ToleratedFailureCount
	}
	if st.HasToleratedFailurePercentage {
		f.tolerant, f.tolPct = true, st.ToleratedFailurePercentage
	}
	if st.ToleratedFailureCountPath != nil {
		v, ok := st.ToleratedFailureCountPath.Get(sc)
		n, isInt := jsonv.Integer(numeric(v))
		if !ok || !isInt {
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The ToleratedFailureCountPath field refers to value \"%s\" which is not a valid integer: %s", stringOf(v), st.ToleratedFailureCountPath.String())))
			return false
		}
		if n < 0 {
			x.raise(f, x.runtimeErr(f, "ToleratedFailureCount cannot be negative."))
			return false
		}
		f.tolerant, f.tolCount = true, n
	}
	if st.ToleratedFailurePercentagePath != nil {
		v, ok := st.ToleratedFailurePercentagePath.Get(sc)
		p, isNum := jsonv.Number(numeric(v))
		if !ok || !isNum {
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The ToleratedFailurePercentagePath field refers to value \"%s\" which is not a valid float: %s", stringOf(v), st.ToleratedFailurePercentagePath.String())))
			return false
		}
		if p < 0 || p > 100 {
			x.raise(f, x.runtimeErr(f, "ToleratedFailurePercentage must be between 0 and 100."))
			return false
		}
		f.tolerant, f.tolPct = true, p
	}
	return x.mapStarted(f, arr)
}

// mapStarted records MapRunStarted for a Distributed Map once the Map's
// items and limits are known, and starts iterating. A batching Map makes
// its batches first: each child then takes one batch.
func (x *Execution) mapStarted(f *frame, arr []any) bool {
	st := f.state
	f.items, f.weights, f.itemCount = arr, nil, len(arr)
	if batching(st) {
		batches, weights, ok := x.batches(f, arr)
		if !ok {
			return false
		}
		f.items, f.weights = batches, weights
	}
	if m := x.mockedChildren(f); m != nil {
		if !x.inspectMap(f, arr) {
			return false
		}
		return x.runMocked(f, m)
	}
	if st.Distributed {
		f.mapRunArn = x.mapRunArn(st)
		f.last = x.emit(f, f.last, "MapRunStarted", &Details{More: &MoreDetails{MapRunArn: f.mapRunArn}})
	}
	f.results = make([]any, len(f.items))
	f.children = f.children[:0]
	f.doneBound, f.doneUnknown = 0, false
	f.nextItem, f.running, f.failures = 0, 0, 0
	f.childErr = nil
	f.lastSucceed = f.last
	f.phase = phaseChildren
	f.updCount, f.updPct = false, false
	f.endedRun, f.rerun, f.rerunAt, f.redriveQueue = nil, nil, nil, nil
	if st.Distributed {
		x.runStarted(f)
	}
	return true
}

func itemsPathText(st *asl.State) string {
	if st.ItemsPath.Path != nil {
		return st.ItemsPath.Path.String()
	}
	return "$"
}

// pump starts Map iterations while concurrency allows and finishes the
// state once every child is done. It reports whether f can keep running.
func (x *Execution) pump(f *frame) bool {
	st := f.state
	if len(f.redriveQueue) > 0 && (f.maxConc <= 0 || f.running < f.maxConc) {
		// A child a redrive reruns goes before the items never started.
		c := f.redriveQueue[0]
		f.redriveQueue = f.redriveQueue[1:]
		if len(f.redriveQueue) == 0 {
			f.redriveQueue = nil
		}
		f.running++
		x.runChildRedriven(f, c)
		start := f.last
		if c.watched {
			start = x.emit(c, x.watch.nextID, "ExecutionRedriven", &Details{More: &MoreDetails{RedriveCount: ptr(f.rerun[c.index])}})
		}
		x.push(f)
		x.rerunChild(f, c, start)
		return false
	}
	if st.Type == asl.TypeMap && f.nextItem < len(f.items) && (f.maxConc <= 0 || f.running < f.maxConc) {
		i := f.nextItem
		f.nextItem++
		started := f.last
		if !st.Distributed {
			started = x.emit(f, f.last, "MapIterationStarted", x.iterationDetails(f, i))
		}
		input := f.items[i]
		switch {
		case f.weights != nil:
			// A batch: its items were selected when it was made.
		case st.JSONata != nil && st.JSONata.ItemSelector != nil:
			v, err := x.ataItem(f, i, input)
			if err != nil {
				x.abortChildren(f)
				x.raise(f, err)
				return false
			}
			input = v
		case st.ItemSelector != nil:
			sc := x.scope(f, f.taskInput)
			x.scItem = jsonv.ObjectOf("Index", int64(i), "Value", f.items[i])
			v, err := st.ItemSelector.Eval(sc)
			if err != nil {
				// Iterations already running die with the Map.
				x.abortChildren(f)
				x.raise(f, x.evalErr(f, err, f.taskInput))
				return false
			}
			input = v
		}
		p := st.Processor
		c := f.spare
		if c != nil {
			f.spare = nil
			if x.hb != nil && x.hb.memoFrame == c {
				x.hb.memoFrame = nil
			}
			*c = frame{}
		} else {
			c = new(frame)
		}
		// Field by field: a composite literal assigned through a pointer
		// is built aside and copied.
		c.parent, c.kind, c.index, c.scope, c.state = f, frameIteration, i, p, startState(p)
		c.plan = f.firstPlan(0)
		c.input, c.last, c.silent, c.watched = input, started, f.silent || st.Distributed, f.watched && !st.Distributed
		c.express = f.express || st.ExpressChildren
		if st.Distributed {
			c.dist = &distChild{began: x.now, itemIn: input}
		}
		if f.children == nil {
			f.children = make([]*frame, 0, len(f.items))
		}
		f.children = append(f.children, c)
		if st.Distributed {
			x.watchStarted(f, c)
		}
		f.running++
		if st.Distributed {
			x.runChildStarted(f, c)
		}
		if st.ExpressChildren {
			x.startChildLimit(c)
		}
		// The iteration runs first; f comes back to start the next one.
		x.push(f)
		x.push(c)
		return false
	}
	if f.running > 0 {
		return false
	}
	if f.childErr != nil {
		return false
	}
	// Every child finished well.
	if st.Type == asl.TypeMap && st.ResultWriter != nil {
		return x.writeResults(f)
	}
	results := f.results
	rb := resultsBound(f.children, len(results))
	if f.doneUnknown {
		rb = 0
	} else if rb > 0 {
		rb += f.doneBound
	}
	return x.fanoutSucceeded(f, results, rb)
}

// fanoutSucceeded ends a Parallel or Map state whose children all finished
// well (or within the tolerated failures) with result, of bound rb.
func (x *Execution) fanoutSucceeded(f *frame, result any, rb int) bool {
	st := f.state
	prev := x.nextID
	if f.watched {
		prev = x.watch.nextID
	}
	switch {
	case st.Type == asl.TypeMap && st.Distributed:
		// MapStateExited follows the event that opened the Map Run
		// (MapRunStarted, or MapRunRedriven), not MapRunSucceeded: see
		// HISTORY.md, "Distributed Map".
		opened := f.last
		x.endRun(f, Succeeded)
		x.emit(f, x.emit(f, f.last, "MapRunSucceeded", nil), "MapStateSucceeded", nil)
		prev = opened
	case st.Type == asl.TypeMap:
		prev = f.lastSucceed
		x.emit(f, prev, "MapStateSucceeded", nil)
	default:
		x.emit(f, prev, "ParallelStateSucceeded", nil)
	}
	f.last = prev
	f.children = nil
	f.results, f.items, f.weights = nil, nil, nil
	return x.fanoutResult(f, result, rb)
}

// fanoutResult ends a Parallel or Map state with result, of bound rb, the
// result of its children: ResultSelector, Assign, ResultPath.
func (x *Execution) fanoutResult(f *frame, result any, rb int) bool {
	st := f.state
	rb, ok := x.checkSize(f, result, rb)
	if !ok {
		return false
	}
	if st.JSONata != nil {
		f.phase = phaseEnter
		return x.ataResult(f, result)
	}
	if st.ResultSelector != nil {
		v, b, err := x.templateBound(f, st.ResultSelector, result, rb)
		if err != nil {
			x.raise(f, err)
			return false
		}
		result, rb = v, b
	}
	if t := x.probe(f); t != nil {
		// Without the result itself: AWS reports none for a Map or a
		// Parallel state.
		t.insp.AfterResultSelector = set(result)
	}
	f.phase = phaseEnter
	if !x.prepareAssign(f, st.Assign, result) {
		return false
	}
	return x.withResult(f, result, rb)
}

// resultsBound bounds the size of the array of n results of the children
// (0: unknown), from the bounds they finished with.
func resultsBound(children []*frame, n int) int {
	if len(children) != n {
		return 0
	}
	b := containerSize(n)
	for _, c := range children {
		if c == retired {
			continue // its bound is in doneBound
		}
		if c == nil || c.err != nil || c.outBound <= 0 {
			return 0
		}
		b += c.outBound
	}
	return b
}

// containerSize is the size of the brackets and commas of an array or
// object of n members.
func containerSize(n int) int {
	if n == 0 {
		return 2
	}
	return n + 1
}

// childDone records a finished branch or iteration.
func (x *Execution) childDone(f *frame, c *frame) {
	if f.phase != phaseChildren {
		return // the parent already failed or was aborted
	}
	f.running--
	if c.dist != nil {
		c.dist.ended = x.now
	}
	x.stopChildLimit(c)
	st := f.state
	if st.Distributed {
		x.runChildDone(f, c)
		x.watchEnded(c)
	}
	if c.err != nil {
		if st.Type == asl.TypeMap && !st.Distributed {
			x.emit(f, c.last, "MapIterationFailed", x.iterationDetails(f, c.index))
		}
		if !st.Distributed {
			f.last = c.last
		}
		err := c.err
		if st.Type == asl.TypeMap && f.tolerant {
			// A failed batch fails every item in it: AWS counts the
			// threshold in items ("Tolerated failure threshold for
			// Distributed Map state"; MapRunItemCounts.failed, "items
			// processed in child workflow executions that have failed").
			if f.weights != nil {
				f.failures += f.weights[c.index]
			} else {
				f.failures++
			}
			f.results[c.index] = jsonv.ObjectOf("Error", c.err.name, "Cause", c.err.cause)
			if !x.exceeded(f) {
				x.push(f)
				return
			}
			err = &stateError{name: ErrExceedToleratedFail, cause: "The specified tolerated failure threshold was exceeded", hasCause: true}
		}
		x.childrenFailed(f, err)
		return
	}
	f.results[c.index] = c.out
	if st.Type == asl.TypeMap && !st.Distributed {
		f.lastSucceed = x.emit(f, c.last, "MapIterationSucceeded", x.iterationDetails(f, c.index))
		f.last = c.last
		x.retire(f, c)
	}
	x.push(f)
}

// retired stands in f.children for an inline Map iteration that succeeded
// and whose frame was handed to the next iteration: a redrive keeps its
// result (in f.results) and runs it no more, and nothing else reads a
// finished iteration of an inline Map. A Map over 10,000 items then
// holds one frame at a time instead of 10,000.
var retired = &frame{phase: phaseDone}

// retire hands c, an iteration of the inline Map f that just succeeded,
// to the next iteration. Frames that a host or a test may look at again
// (those of a Distributed Map's children, of an execution under test)
// are left alone.
func (x *Execution) retire(f *frame, c *frame) {
	if c.silent || c.watched || x.test != nil || c.index >= len(f.children) || f.children[c.index] != c {
		return
	}
	if c.outBound > 0 {
		f.doneBound += c.outBound
	} else {
		f.doneUnknown = true
	}
	f.children[c.index] = retired
	f.spare = c
}

// childrenFailed fails a Parallel or Map state whose child failed with
// err (or whose failures exceed what it tolerates), aborting the others.
func (x *Execution) childrenFailed(f *frame, err *stateError) {
	st := f.state
	x.endRun(f, Failed)
	x.abortChildren(f)
	if st.Distributed {
		d := &Details{Error: ptr(err.name)}
		if err.hasCause {
			d.Cause = ptr(err.cause)
		}
		f.last = x.emit(f, f.last, "MapRunFailed", d)
	}
	f.childErr = err
	f.childFailed = true
	if st.Distributed && st.ResultWriter != nil && st.ResultWriter.Resource != "" {
		x.exportFailed(f, err)
		return
	}
	f.phase = phaseEnter
	x.raise(f, err)
}

// iterationDetails are the details of a MapIteration* event of Map frame
// f, or nil when f's events are not recorded.
func (x *Execution) iterationDetails(f *frame, i int) *Details {
	if !x.recording(f) {
		return nil
	}
	return &Details{Name: f.state.Name, More: &MoreDetails{Index: ptr(int64(i))}}
}

func (x *Execution) exceeded(f *frame) bool {
	if f.updCount || f.state.HasToleratedFailureCount || f.state.ToleratedFailureCountPath != nil {
		if int64(f.failures) > f.tolCount {
			return true
		}
	}
	if f.updPct || f.state.HasToleratedFailurePercentage || f.state.ToleratedFailurePercentagePath != nil {
		n := f.itemCount
		if n > 0 && float64(f.failures)*100/float64(n) > f.tolPct {
			return true
		}
	}
	return false
}

// abortChildren stops every unfinished child of f (and their children),
// cancelling whatever they wait for. The children stay until f leaves its
// state: a redrive reruns the ones that did not succeed.
func (x *Execution) abortChildren(f *frame) {
	x.endRun(f, Aborted)
	for _, c := range f.children {
		x.abortFrame(c)
	}
	f.running = 0
}

func (x *Execution) abortFrame(c *frame) {
	if c.phase == phaseDone {
		return
	}
	x.stopChildLimit(c)
	x.endRun(c, Aborted)
	switch c.phase {
	case phaseTask, phaseWait, phaseRetry, phaseRead, phaseWrite:
		delete(x.waiting, c.ref)
		x.cmds = append(x.cmds, Command{Kind: Cancel, Ref: c.ref})
		if c.phase == phaseWrite {
			c.writeTask = nil
		}
	case phaseChildren:
		x.abortChildren(c)
	}
	c.phase = phaseDone
	c.aborted = true
	if c.dist != nil {
		c.dist.ended = x.now
	}
}

// mapRunArn names the Map Run of a Distributed Map:
// arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:ID.
func (x *Execution) mapRunArn(st *asl.State) string {
	id := x.uuid()
	label := st.Label
	if label == "" {
		label = id[:8]
	}
	return arn.MapRun(x.Info.StateMachineArn, label, id)
}

// uuid is a version 4 UUID from the execution's deterministic randomness.
func (x *Execution) uuid() string {
	a, b := x.rand(), x.rand()
	a = (a &^ (0xf << 12)) | (4 << 12)
	b = (b &^ (0x3 << 62)) | (0x2 << 62)
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// numeric reads a number written as a string ("1"), which AWS accepts in
// the Map state's *Path fields; anything else is returned unchanged.
func numeric(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f
	}
	return v
}
