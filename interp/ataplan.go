package interp

import (
	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/jsonv"
)

// JSONata states enter can run without the general path: a Pass state
// without Assign (its Output evaluated or its input passed on), a Succeed
// state without Output, and a Choice state with no Assign or Output
// anywhere (its own or a rule's), which passes its input on. Each planned
// path takes the steps the general path (enterGeneral, enterJSONata,
// ataFinish) takes on a frame that records nothing and is not under test,
// without its questions.

// planATA marks p ataPass, ataChoice or ataSucceed when its state
// qualifies.
func planATA(p *plan) {
	st := p.st
	j := st.JSONata
	if j == nil || j.Assign != nil {
		return
	}
	switch st.Type {
	case asl.TypePass:
		p.ataPass = true
	case asl.TypeSucceed:
		p.ataSucceed = j.Output == nil
	case asl.TypeChoice:
		if j.Output != nil {
			return
		}
		for _, r := range st.Choices {
			if r.AssignQuery != nil || r.OutputQuery != nil || r.ConditionQuery == nil {
				return
			}
		}
		p.ataChoice = true
	}
}

// ataEntered is enterGeneral's entry for a planned JSONata state: the
// StateEntered event counted, not recorded.
func (x *Execution) ataEntered(f *frame) {
	x.Transitions++
	f.enteredAt = x.now
	f.retries = nil
	f.retryCount = 0
	f.pending = nil
	f.enteredPrev = f.last
	x.nextID++
	f.enteredID = x.nextID
	f.last = x.nextID
	// A JSONata state never keeps ownership of its input (keepsOwnership).
	f.owned = nil
	f.eff = f.input
}

// enterATAPass is enter for a state planned as ataPass.
func (x *Execution) enterATAPass(f *frame, p *plan) bool {
	x.ataEntered(f)
	out, ob := f.input, f.inBound
	if q := p.st.JSONata.Output; q != nil {
		c := ataCtx{input: f.input}
		v, err := x.ataEval(f, &c, q)
		if err != nil {
			x.raise(f, err)
			return false
		}
		out, ob = v, templateSize(q, v)
	}
	st := p.st
	if st.End {
		return x.complete(f, out, ob)
	}
	// exitTo: the size check, StateExited counted (no variables to
	// bind), and on.
	ob, ok := x.checkSize(f, out, ob)
	if !ok {
		return false
	}
	x.nextID++
	f.last = x.nextID
	return x.goTo(f, st.Next, st.NextState, out, ob)
}

// enterATASucceed is enter for a state planned as ataSucceed.
func (x *Execution) enterATASucceed(f *frame, p *plan) bool {
	x.ataEntered(f)
	return x.complete(f, f.input, f.inBound)
}

// enterATAChoice is enter for a state planned as ataChoice.
func (x *Execution) enterATAChoice(f *frame, p *plan) bool {
	x.ataEntered(f)
	st := p.st
	c := ataCtx{input: f.input}
	next, ns := st.Default, st.DefaultState
	for _, r := range st.Choices {
		v, err := x.ataEval(f, &c, r.ConditionQuery)
		if err != nil {
			x.raise(f, err)
			return false
		}
		b, ok := v.(bool)
		if !ok {
			x.raise(f, x.typeError(f, &c, r.ConditionQuery, "boolean", v))
			return false
		}
		if b {
			next, ns = r.Next, r.NextState
			break
		}
	}
	if next == "" {
		x.raise(f, noChoiceMatched(f))
		return false
	}
	ob, ok := x.checkSize(f, f.input, f.inBound)
	if !ok {
		return false
	}
	// exitTo: StateExited counted (no variables to bind), and on.
	x.nextID++
	f.last = x.nextID
	return x.goTo(f, next, ns, f.input, ob)
}

// templateSize is the size of v, the value of the field q evaluated, when
// q is a literal or an object whose members are literals, strings and
// integers: what checkSize would measure, worked out from the sizes the
// definition gave. 0 when unknown.
func templateSize(q *asl.Query, v any) int {
	if q.Const {
		return q.LitSize
	}
	o, ok := v.(*jsonv.Object)
	if !ok || !q.IsObj || o.Len() != len(q.Keys) {
		return 0
	}
	b := q.FrameSize
	for i, fq := range q.Fields {
		if fq.Const {
			b += fq.LitSize
			continue
		}
		switch y := o.ValueAt(i).(type) {
		case string:
			b += jsonv.StringSize(y)
		case int64:
			b += jsonv.IntSize(y)
		default:
			return 0
		}
	}
	return b
}
