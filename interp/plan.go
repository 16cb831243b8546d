package interp

import (
	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/asl/jsonpath"
	"github.com/statecraft/statecraft/jsonv"
)

// plan is what enter needs to know of a state that it can run without the
// general path, worked out once per Machine. A chain of such states (a
// loop of Pass states with a Result, as in W1) then touches one small
// record per state, laid out side by side, instead of the definition's
// large State structs and their parsed paths.
type plan struct {
	st   *asl.State
	next *plan // the plan of st.NextState (nil: none or not planned)
	// succ are the plans of every state st may go to (Next, Default,
	// Choice rules, Catchers), so that goTo follows a pointer instead of
	// looking the next state up.
	succ []*plan
	// firsts are the plans of the start states of a Map's processor (one)
	// or a Parallel's branches, for the frames it starts.
	firsts []*plan
	// passResult: a Pass state with a Result placed at the field key of
	// its input (ResultPath "$.key"), or replacing its input (key "",
	// no ResultPath), with no InputPath, OutputPath, Parameters or Assign,
	// not an End state. Other states go through enter's general path.
	passResult bool
	key        string
	result     any
	resultSize int
	growth     int
	// passParams: a Pass state whose Parameters are literals and fields
	// of its input (jsonpath.Template.FlatFields), with no InputPath,
	// OutputPath, ResultPath, Result or Assign, not an End state: run in
	// the input's object when the frame owns it, as Template.EvalInto
	// would, with no path evaluated.
	passParams bool
	fields     []jsonpath.FlatField
	fixed      int
	unique     bool
	// paramText is the JSON text of a passParams state's output with
	// unique keys, in parts (paramsText): its history records the text
	// without encoding the keys and literal values again.
	paramText []textPart
	// choice: a JSONPath Choice state with no Assign (its own or a
	// rule's), no InputPath or OutputPath; succeed: a Succeed state with
	// neither path. Both pass their input on as it is.
	choice, succeed bool
	// entType and exitType are the types of st's StateEntered and
	// StateExited events.
	entType, exitType string
	// ataPass, ataChoice, ataSucceed: JSONata states planned by planATA
	// (ataplan.go).
	ataPass, ataChoice, ataSucceed bool
}

// buildPlans plans every state of the definition, nested ones included.
// Field names are interned across the definition, so that a key placed by
// one state and looked up by the next compares equal by pointer.
func buildPlans(def *asl.StateMachine) map[*asl.State]*plan {
	var states []*asl.State
	var walk func(sm *asl.StateMachine)
	walk = func(sm *asl.StateMachine) {
		if sm == nil {
			return
		}
		for _, st := range sm.States {
			states = append(states, st)
			for _, b := range st.Branches {
				walk(b)
			}
			walk(st.Processor)
		}
	}
	walk(def)
	// One array, so a chain's records sit next to each other in memory.
	plans := make([]plan, len(states))
	byState := make(map[*asl.State]*plan, len(states))
	for i, st := range states {
		plans[i].st = st
		plans[i].entType, plans[i].exitType = enteredType(st.Type), exitedType(st.Type)
		byState[st] = &plans[i]
	}
	intern := map[string]string{}
	for i := range plans {
		p := &plans[i]
		st := p.st
		if st.NextState != nil {
			p.next = byState[st.NextState]
		}
		p.succ = successors(st, byState)
		if st.Processor != nil {
			p.firsts = []*plan{byState[startState(st.Processor)]}
		}
		for _, b := range st.Branches {
			p.firsts = append(p.firsts, byState[startState(b)])
		}
		planParams(p, intern)
		planPlain(p)
		planATA(p)
		if p.next == nil || st.Type != asl.TypePass || st.JSONata != nil || !st.HasResult || st.End || st.NextState == nil ||
			st.Parameters != nil || st.Assign != nil || !plainPath(st.InputPath) || !plainPath(st.OutputPath) {
			continue
		}
		switch rp := st.ResultPath; {
		case !rp.Set:
		case rp.Null:
			continue
		default:
			k, ok := rp.Path.Field()
			if !ok {
				continue
			}
			if s, ok := intern[k]; ok {
				k = s
			} else {
				intern[k] = k
			}
			p.key = k
			p.growth = rp.Path.SetGrowth()
		}
		p.passResult = true
		p.result = st.Result
		p.resultSize = st.ResultSize
	}
	return byState
}

func successors(st *asl.State, byState map[*asl.State]*plan) []*plan {
	var out []*plan
	add := func(s *asl.State) {
		if s == nil {
			return
		}
		p := byState[s]
		for _, q := range out {
			if q == p {
				return
			}
		}
		out = append(out, p)
	}
	add(st.NextState)
	add(st.DefaultState)
	for _, r := range st.Choices {
		add(r.NextState)
	}
	for _, c := range st.Catch {
		add(c.NextState)
	}
	return out
}

// first is the plan of the start state of f's i-th child (a Map's
// iterations all start at the same state), nil when unknown.
func (f *frame) firstPlan(i int) *plan {
	p := f.plan
	if p == nil || p.st != f.state || len(p.firsts) == 0 {
		return nil
	}
	if len(p.firsts) == 1 {
		return p.firsts[0]
	}
	if i < len(p.firsts) {
		return p.firsts[i]
	}
	return nil
}

// successor is the plan of ns when p knows it, nil otherwise.
func (p *plan) successor(ns *asl.State) *plan {
	for _, q := range p.succ {
		if q.st == ns {
			return q
		}
	}
	return nil
}

// planParams marks p passParams when its state qualifies.
func planParams(p *plan, intern map[string]string) {
	st := p.st
	if p.next == nil || st.Type != asl.TypePass || st.JSONata != nil || st.HasResult || st.End || st.Parameters == nil ||
		st.Assign != nil || st.ResultPath.Set || !plainPath(st.InputPath) || !plainPath(st.OutputPath) || st.Parameters.IsStatic() {
		return
	}
	fields, fixed, unique, ok := st.Parameters.FlatFields()
	if !ok || len(fields) > len(paramVals{}) {
		return
	}
	for i := range fields {
		for _, k := range []*string{&fields[i].Key, &fields[i].Input} {
			if s, ok := intern[*k]; ok {
				*k = s
			} else {
				intern[*k] = *k
			}
		}
	}
	p.passParams, p.fields, p.fixed, p.unique = true, fields, fixed, unique
	if unique {
		p.paramText = paramsText(fields)
	}
}

// textPart is a piece of the JSON text of a planned payload: text, then
// the encoding of the value of field (none when field < 0).
type textPart struct {
	text  string
	field int
}

// paramsText splits the JSON text of a payload built from fields (its keys
// unique, in this order) into parts: the keys and the literal values are
// encoded once, here, and only the values of input fields when it is
// recorded, which gives the same text as encoding the payload whole.
func paramsText(fields []jsonpath.FlatField) []textPart {
	var parts []textPart
	b := []byte{'{'}
	for i, fd := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonv.AppendString(b, fd.Key)
		b = append(b, ':')
		if !fd.IsInput {
			b = jsonv.Append(b, fd.Value)
			continue
		}
		parts = append(parts, textPart{string(b), i})
		b = b[:0]
	}
	b = append(b, '}')
	return append(parts, textPart{string(b), -1})
}

// planPlain marks p choice or succeed when its state qualifies.
func planPlain(p *plan) {
	st := p.st
	if st.JSONata != nil || !plainPath(st.InputPath) || !plainPath(st.OutputPath) {
		return
	}
	switch st.Type {
	case asl.TypeSucceed:
		p.succeed = true
	case asl.TypeChoice:
		if st.Assign != nil {
			return
		}
		for _, r := range st.Choices {
			if r.Assign != nil {
				return
			}
		}
		p.choice = true
	}
}

// paramVals holds the values a passParams state reads before it writes.
type paramVals [8]any

// plainPath reports whether an InputPath or OutputPath passes its value
// through unchanged.
func plainPath(p asl.IOPath) bool {
	return !p.Set || (!p.Null && p.Path != nil && p.Path.IsRoot())
}

// enterNext moves the frame on to the planned state's next state, with
// payload input bounded by mb.
func (f *frame) enterNext(p *plan, input any, mb int) {
	next := p.next
	f.state = next.st
	f.plan = next
	f.input = input
	f.inBound = mb
	f.phase = phaseEnter
	if f.fanout != nil {
		f.children, f.results = nil, nil
	}
}

// enterPassParams is enter for a state planned as passParams, on a frame
// that is not silent and not under test. It reads every input field
// first; when the frame does not own its input or a field is missing (the
// general path builds a new payload or raises the error), it hands over to
// enterGeneral before anything changed.
func (x *Execution) enterPassParams(f *frame, p *plan) bool {
	obj, ok := f.input.(*jsonv.Object)
	if !ok || obj == nil {
		return x.enterGeneral(f)
	}
	owned := f.owned != nil && mapPointer(obj) == f.owned
	in := f.inBound
	if x.m.limit <= 0 {
		in = -1 // no bound needed
	}
	var vals paramVals
	bound := p.fixed
	for i := range p.fields {
		fd := &p.fields[i]
		if !fd.IsInput {
			vals[i] = fd.Value
			continue
		}
		j := obj.Index(fd.Input)
		if j < 0 {
			return x.enterGeneral(f)
		}
		v := obj.ValueAt(j)
		vals[i] = v
		if in >= 0 && bound > 0 {
			var b int
			switch y := v.(type) {
			case string:
				b = jsonv.StringSize(y)
			case int64:
				b = jsonv.IntSize(y)
			case *jsonv.Object, []any:
				b = in
			default:
				b = jsonv.Size(v, 0)
			}
			if b > 0 {
				bound += b
			} else {
				bound = 0 // unknown
			}
		}
	}
	if in < 0 {
		bound = 0
	}
	x.entered(f)
	if owned {
		obj.Reset()
	} else {
		// A new payload, the frame's own from now on, with room for a
		// field a later ResultPath may add (as templateBoundSpare leaves).
		obj = jsonv.NewObject(len(p.fields) + 1)
		f.owned = mapPointer(obj)
	}
	for i := range p.fields {
		if p.unique {
			obj.Append(p.fields[i].Key, vals[i])
		} else {
			obj.Set(p.fields[i].Key, vals[i])
		}
	}
	mb := pathBound(p.st.OutputPath, bound)
	if mb, ok = x.checkSize(f, obj, mb); !ok {
		return false
	}
	x.nextID++
	f.last = x.nextID
	f.enterNext(p, obj, mb)
	return true
}

// enterPassParamsRecorded is enterPassParams for an execution that keeps
// history: the same steps, its events recorded. It is a copy rather than
// a check in enterPassParams so that executions without history (loops
// of such states, Parallel branches) pay nothing for it, and its reading
// of the fields is not a function of its own because the call cost W1's
// Parameters chain 4.5% more instructions in callgrind;
// TestPlannedStatesMatchGeneralPath holds both to the general path.
func (x *Execution) enterPassParamsRecorded(f *frame, p *plan) bool {
	obj, ok := f.input.(*jsonv.Object)
	if !ok || obj == nil {
		return x.enterGeneral(f)
	}
	owned := f.owned != nil && mapPointer(obj) == f.owned
	in := f.inBound
	if x.m.limit <= 0 {
		in = -1 // no bound needed
	}
	var vals paramVals
	bound := p.fixed
	for i := range p.fields {
		fd := &p.fields[i]
		if !fd.IsInput {
			vals[i] = fd.Value
			continue
		}
		j := obj.Index(fd.Input)
		if j < 0 {
			return x.enterGeneral(f)
		}
		v := obj.ValueAt(j)
		vals[i] = v
		if in >= 0 && bound > 0 {
			var b int
			switch y := v.(type) {
			case string:
				b = jsonv.StringSize(y)
			case int64:
				b = jsonv.IntSize(y)
			case *jsonv.Object, []any:
				b = in
			default:
				b = jsonv.Size(v, 0)
			}
			if b > 0 {
				bound += b
			} else {
				bound = 0 // unknown
			}
		}
	}
	if in < 0 {
		bound = 0
	}
	x.entered(f)
	// The input's text, before the payload replaces it in place.
	x.recordEntered(f, p)
	if owned {
		obj.Reset()
	} else {
		// A new payload, the frame's own from now on, with room for a
		// field a later ResultPath may add (as templateBoundSpare leaves).
		obj = jsonv.NewObject(len(p.fields) + 1)
		f.owned = mapPointer(obj)
	}
	for i := range p.fields {
		if p.unique {
			obj.Append(p.fields[i].Key, vals[i])
		} else {
			obj.Set(p.fields[i].Key, vals[i])
		}
	}
	mb := pathBound(p.st.OutputPath, bound)
	if mb, ok = x.checkSize(f, obj, mb); !ok {
		return false
	}
	if p.paramText != nil {
		x.exitedParams(f, p, obj, &vals)
	} else {
		x.recordExited(f, p, obj, false)
	}
	f.enterNext(p, obj, mb)
	return true
}

// entered is what entering a state does on a frame that is not silent,
// for a state whose InputPath passes the input as it is: StateEntered
// counted (recordEntered records it when history is kept).
func (x *Execution) entered(f *frame) {
	x.step(f)
	f.enteredAt = x.now
	f.retries = nil
	f.retryCount = 0
	f.pending = nil
	f.enteredPrev = f.last
	x.nextID++
	f.enteredID = x.nextID
	f.last = x.nextID
	f.eff = f.input
	f.effBound = f.inBound
}

// recordEntered records the StateEntered that entered counted, for an
// execution that keeps history (the planned paths run no silent frame).
func (x *Execution) recordEntered(f *frame, p *plan) {
	d := x.details()
	d.Name = p.st.Name
	if d.Input = x.hb.hit(f, f.input, false); d.Input == nil {
		d.Input = x.newText(f, f.input, true, false, d)
	}
	if x.watch == nil {
		x.record(f.enteredPrev, p.entType, d)
	}
}

// exited is the StateExited of a planned state that assigns no variables,
// with output out; reuse is memoText's (false when the state may have
// changed its input in place).
func (x *Execution) exited(f *frame, p *plan, out any, reuse bool) {
	if !x.hist {
		x.nextID++
		f.last = x.nextID
		return
	}
	x.recordExited(f, p, out, reuse)
}

// recordExited records the StateExited of a planned state (see exited).
func (x *Execution) recordExited(f *frame, p *plan, out any, reuse bool) {
	d := x.details()
	d.Name = p.st.Name
	if !reuse {
		d.Output = x.newText(f, out, false, true, d)
	} else if d.Output = x.hb.hit(f, out, true); d.Output == nil {
		d.Output = x.newText(f, out, true, true, d)
	}
	f.last = x.emitOn(f.last, p.exitType, d)
}

// exitedParams records the StateExited of a passParams state with
// unique keys whose output obj holds vals: its text is made from the
// state's parts (paramsText).
func (x *Execution) exitedParams(f *frame, p *plan, obj *jsonv.Object, vals *paramVals) {
	b := x.bufs()
	d := x.details()
	d.text = b.renderParts(p.paramText, vals)
	d.Name, d.Output = p.st.Name, &d.text
	b.remember(&d.text, obj, f, true)
	f.last = x.emitOn(f.last, p.exitType, d)
}

// enterChoice is enter for a state planned as choice.
func (x *Execution) enterChoice(f *frame, p *plan) bool {
	x.entered(f)
	if x.hist {
		x.recordEntered(f, p)
	}
	st := p.st
	r, serr := x.choose(f, x.scope(f, f.input))
	if serr != nil {
		x.raise(f, serr)
		return false
	}
	next, ns := st.Default, st.DefaultState
	if r != nil {
		next, ns = r.Next, r.NextState
	}
	if next == "" {
		x.raise(f, noChoiceMatched(f))
		return false
	}
	// StateExited: no variables to bind, no payload check (a Choice
	// passes on its input, already within the limit).
	x.exited(f, p, f.input, true)
	return x.goTo(f, next, ns, f.input, pathBound(st.OutputPath, f.effBound))
}

// enterSucceed is enter for a state planned as succeed.
func (x *Execution) enterSucceed(f *frame, p *plan) bool {
	x.entered(f)
	if !x.hist {
		return x.complete(f, f.input, pathBound(p.st.OutputPath, f.effBound))
	}
	// complete's steps, its StateExited recorded as planned: a Succeed
	// state assigns no variables and passes its input on.
	x.recordEntered(f, p)
	ob, ok := x.checkSize(f, f.input, pathBound(p.st.OutputPath, f.effBound))
	if !ok {
		return false
	}
	x.recordExited(f, p, f.input, true)
	f.outBound = ob
	x.frameDone(f, f.input, nil)
	return false
}

// planOf returns f's plan for its current state, nil when it has none.
func (x *Execution) planOf(f *frame) *plan {
	if p := f.plan; p != nil && p.st == f.state {
		return p
	}
	p := x.m.plans[f.state]
	f.plan = p
	return p
}

// enterPassResult is enter for a state planned as passResult, on a frame
// that is not silent and not under test: the same steps as the
// general path (events counted, ownership, ResultPath, size check, move
// on) without the general path's questions.
func (x *Execution) enterPassResult(f *frame, p *plan) bool {
	for {
		x.entered(f)
		merged, mb := p.result, p.resultSize
		if p.key != "" {
			obj, ok := f.input.(*jsonv.Object)
			if !ok || obj == nil {
				// Not an object: the general path raises the error.
				return x.withResult(f, p.result, p.resultSize)
			}
			if f.owned != nil && mapPointer(obj) == f.owned {
				// The input is this frame's own copy and the result a literal
				// of the definition: set the field in place. (setResult,
				// written out: the call cost W1 result 14% of its
				// instructions in callgrind.)
				i := x.keyHint
				if !obj.HasKeyAt(i, p.key) {
					i = obj.Index(p.key)
				}
				if i < 0 {
					obj.Add(p.key, p.result)
				} else {
					obj.SetAt(i, p.result)
					x.keyHint = i
				}
			} else {
				obj = obj.With(p.key, p.result)
				f.owned = mapPointer(obj)
			}
			merged = obj
			mb = 0
			if f.inBound > 0 && p.resultSize > 0 {
				mb = f.inBound + p.resultSize + p.growth
			}
		}
		mb = pathBound(p.st.OutputPath, mb)
		if uint(mb-1) >= uint(x.m.limit) { // checkSize, unless 0 < mb <= limit
			var ok bool
			if mb, ok = x.checkSize(f, merged, mb); !ok {
				return false
			}
		}
		// StateExited: no variables to bind.
		x.nextID++
		f.last = x.nextID
		if checkBounds && mb > 0 {
			verifyBound(f, merged, mb)
		}
		f.enterNext(p, merged, mb)
		// A chain of planned Pass states runs on in this loop: advance's
		// loop would ask only what it asks (the execution still runs, its
		// state held for a step within the limits).
		if p = f.plan; !p.passResult || x.overLimit() {
			return true
		}
	}
}

// setResult sets the planned Pass state p's Result at its field in obj,
// in place, and reports whether the field was new. It looks first where
// the last planned Pass state found its field (a chain of them often sets
// one field again and again).
func (x *Execution) setResult(obj *jsonv.Object, p *plan) (added bool) {
	i := x.keyHint
	if !obj.HasKeyAt(i, p.key) {
		if i = obj.Index(p.key); i < 0 {
			obj.Add(p.key, p.result)
			return true
		}
	}
	obj.SetAt(i, p.result)
	x.keyHint = i
	return false
}

// enterPassResultRecorded is enterPassResult for an execution that keeps
// history (apart, so that the loops of Pass states of executions without
// history pay nothing for it): the same steps, its events recorded. When
// the Result is a new field of an object with fields, the output's text
// is the input's with that field (passResultAdded).
func (x *Execution) enterPassResultRecorded(f *frame, p *plan) bool {
	obj, _ := f.input.(*jsonv.Object)
	if p.key != "" && obj == nil {
		// Not an object: the general path raises the error.
		return x.enterGeneral(f)
	}
	x.entered(f)
	x.recordEntered(f, p)
	merged, mb := p.result, p.resultSize
	if p.key != "" {
		in, added := obj, false
		if f.owned != nil && mapPointer(obj) == f.owned {
			added = x.setResult(obj, p)
		} else {
			added = obj.Index(p.key) < 0
			obj = obj.With(p.key, p.result)
			f.owned = mapPointer(obj)
		}
		if added && obj.Len() > 1 {
			return x.passResultAdded(f, p, in, obj)
		}
		merged = obj
		mb = 0
		if f.inBound > 0 && p.resultSize > 0 {
			mb = f.inBound + p.resultSize + p.growth
		}
	}
	mb, ok := x.checkSize(f, merged, pathBound(p.st.OutputPath, mb))
	if !ok {
		return false
	}
	x.recordExited(f, p, merged, false)
	if checkBounds && mb > 0 {
		verifyBound(f, merged, mb)
	}
	x.moveOn(f, p, merged, mb)
	return true
}

// passResultAdded ends enterPassResultRecorded for an output out
// that is the input in (the very object, or a copy of it) with the field
// p.key added at its end: its text is the input's with that field
// (exitedAdded).
func (x *Execution) passResultAdded(f *frame, p *plan, in, out *jsonv.Object) bool {
	mb := 0
	if f.inBound > 0 && p.resultSize > 0 {
		mb = f.inBound + p.resultSize + p.growth
	}
	mb, ok := x.checkSize(f, out, pathBound(p.st.OutputPath, mb))
	if !ok {
		return false
	}
	x.exitedAdded(f, p, in, out)
	if checkBounds && mb > 0 {
		verifyBound(f, out, mb)
	}
	x.moveOn(f, p, out, mb)
	return true
}

// moveOn takes f to the state after p's with input in, of size at most
// mb (0: unknown).
func (x *Execution) moveOn(f *frame, p *plan, in any, mb int) {
	f.state = p.next.st
	f.plan = p.next
	f.input = in
	f.inBound = mb
	f.phase = phaseEnter
	if f.fanout != nil {
		f.children, f.results = nil, nil
	}
}

// exitedAdded is exited for a passResult state whose output out is its
// input in (the very object, or a copy of it) with the field p.key added
// at its end. When the text this state's StateEntered recorded is in's,
// the output's text is that text with the field appended, rendered
// without encoding in again.
func (x *Execution) exitedAdded(f *frame, p *plan, in, out *jsonv.Object) {
	b := x.hb
	if b == nil || b.memoFrame != f || b.memoExit || b.memoObj != in || len(*b.memo) < 2 || (*b.memo)[len(*b.memo)-1] != '}' {
		x.exited(f, p, out, false)
		return
	}
	d := x.details()
	d.text = b.renderAdded(*b.memo, p.key, p.result)
	d.Name, d.Output = p.st.Name, &d.text
	b.remember(&d.text, out, f, true)
	f.last = x.emitOn(f.last, p.exitType, d)
}
