package jsonata

import (
	"math"

	"github.com/statecraft/statecraft/jsonv"
)

// fastShape names the expression shapes that evalFast answers without an
// evaluator of its own (no heap-allocated evaluator, no scope built from
// the bindings, no array or sequence values along the way): the ones
// embedders evaluate most often, such as a JSONata state's
// "$states.input.n > 50" or "$merge([$states.input, {'size': 'big'}])".
type fastShape uint8

const (
	fastNone   fastShape = iota
	fastLit              // literal
	fastPath             // directPath from a variable (not $) or the input
	fastVar              // plainVar
	fastFused            // fused arithmetic, comparison or equality
	fastAndOr            // and / or of fast operands
	fastObject           // object constructor: literal distinct keys, fast values
	fastMerge            // $merge([fast, ...]) of the built-in $merge
)

// classifyFast sets n.fast (and n.fastDepth, a bound on how deep the
// evaluator would go) once n's operands are annotated.
func classifyFast(n *node) {
	n.fast = fastNone
	if noFastPaths {
		return
	}
	plain := len(n.predicate) == 0 && len(n.stages) == 0 && n.group == nil && !n.keepArray &&
		!n.keepSingletonArray && !n.tuple && !n.consArray
	switch {
	case n.literal:
		n.fast, n.fastDepth = fastLit, 1
	case n.directPath && (n.items[0].kind == nName || n.items[0].kind == nVariable && n.items[0].op != ""):
		n.fast, n.fastDepth = fastPath, 2
	case n.plainVar:
		n.fast, n.fastDepth = fastVar, 1
	case n.fused:
		n.fast, n.fastDepth = fastFused, 1+n.fuseDepth
	case n.kind == nBinary && n.directBinary && (n.binop == opAnd || n.binop == opOr):
		if n.lhs.fast != fastNone && n.rhs.fast != fastNone {
			n.fast, n.fastDepth = fastAndOr, 1+max(n.lhs.fastDepth, n.rhs.fastDepth)
		}
	case n.kind == nObject && plain && len(n.pairs) <= maxSingleGroupPairs:
		d := uint8(0)
		for i, p := range n.pairs {
			k, ok := p[0].val.(string)
			if !p[0].literal || !ok || p[1].fast == fastNone {
				return
			}
			for _, q := range n.pairs[:i] {
				if q[0].val == k {
					return // D1009
				}
			}
			d = max(d, p[1].fastDepth)
		}
		n.fast, n.fastDepth = fastObject, 1+d
	case n.kind == nFunction && plain && len(n.items) == 1 && n.procedure != nil &&
		n.procedure.plainVar && n.procedure.op == "merge":
		a := n.items[0]
		if a.kind != nArray || len(a.predicate) != 0 || len(a.stages) != 0 || a.group != nil || a.keepArray ||
			a.keepSingletonArray || a.tuple || a.consArray || len(a.items) == 0 {
			return
		}
		d := uint8(0)
		for _, it := range a.items {
			if it.fast == fastNone || it.kind == nArray {
				return
			}
			d = max(d, it.fastDepth)
		}
		n.fast, n.fastDepth = fastMerge, 3+d
	}
	if n.fastDepth > 100 {
		// deeply nested: the evaluator's (and fastDepth stays small)
		n.fast, n.fastDepth = fastNone, 0
	}
}

// evalFast is evalIn for an expression of a fast shape, when nothing
// unusual happens: it answers (result, error, true) only when evalIn would
// give that very answer, and false otherwise (a value of an unexpected
// type, a limit near, a shadowed built-in, ...), having changed nothing,
// so that evalIn does it all.
func (e *Expr) evalFast(input any, bindings map[string]any, names []string, vals []any, maxDepth, maxSteps int) (any, error, bool) {
	n := e.ast
	if n == nil || n.fast == fastNone {
		return nil, nil, false
	}
	switch input.(type) {
	case []any, *array, undefinedType:
		// evalIn wraps an array input; leave that to it
		return nil, nil, false
	}
	if maxDepth <= 0 {
		maxDepth = defaultMaxDepth
	}
	if maxSteps <= 0 {
		maxSteps = defaultMaxSteps
	}
	// The walk below charges fewer steps and levels than the evaluator
	// would; far enough from the limits, both succeed.
	if maxDepth < 2*int(n.fastDepth)+8 || maxSteps < fastStepMargin {
		return nil, nil, false
	}
	var s fastScope
	s.input, s.names, s.vals, s.m = input, names, vals, bindings
	res, ok := s.eval(n)
	if !ok {
		return nil, nil, false
	}
	// A function with a signature is checked when evalIn binds it, used
	// or not.
	for _, v := range vals {
		if f, ok := v.(Function); ok && f.Signature != "" {
			return nil, nil, false
		}
	}
	if len(bindings) > 0 {
		for _, v := range bindings {
			if f, ok := v.(Function); ok && f.Signature != "" {
				return nil, nil, false
			}
		}
	}
	switch x := res.(type) {
	case undefinedType:
		return nil, ErrUndefined, s.steps*4+fastStepMargin <= maxSteps
	case bool, string, int64, nil:
		// export leaves these as they are
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, nil, false // D1001
		}
		res, _ = exportFloat(x, res)
	default:
		if o, ok := res.(*jsonv.Object); !ok || o != s.done {
			var steps int
			res, steps = exportCounting(res)
			s.steps += steps
		}
	}
	if s.steps*4+fastStepMargin > maxSteps {
		return nil, nil, false
	}
	return res, nil, true
}

// exportCounting is export, and the steps it took. (Out of evalFast,
// whose frame stays small: the evaluator is large.)
func exportCounting(v any) (any, int) {
	ev := evaluator{maxDepth: math.MaxInt32, maxSteps: math.MaxInt}
	v, _ = ev.export(v)
	return v, ev.steps
}

// fastStepMargin is what evalFast leaves between the steps it counted
// (times four) and the limit: the evaluator's own accounting (signature
// checks, builder ticks) stays well inside it.
const fastStepMargin = 256

// fastScope is what evalFast's walk sees: the input, the bindings as
// evalIn was given them, and the steps counted.
type fastScope struct {
	input any
	names []string
	vals  []any
	m     map[string]any
	steps int
	// done is an object built with its members exported already.
	done *jsonv.Object
}

// lookup is the value of the variable name as evalIn's scopes give it
// ($$ over the bindings, the last of a name given twice, the built-ins
// under them); false for a built-in or a function, which the walk leaves
// to the evaluator.
func (s *fastScope) lookup(name string) (any, bool) {
	var v any
	found := false
	if name == "$" {
		v, found = s.input, true
	} else {
		for i := len(s.names) - 1; i >= 0; i-- {
			if s.names[i] == name {
				v, found = s.vals[i], true
				break
			}
		}
		if !found && s.m != nil {
			v, found = s.m[name]
		}
	}
	if !found {
		if !isUndef(builtinEnv.lookup(name)) {
			return nil, false
		}
		return undefined, true
	}
	v = unwrapSeq(v)
	return v, fastValue(v)
}

// shadows reports whether a binding hides the built-in name.
func (s *fastScope) shadows(name string) bool {
	for _, n := range s.names {
		if n == name {
			return true
		}
	}
	if s.m != nil {
		if _, ok := s.m[name]; ok {
			return true
		}
	}
	return false
}

// eval evaluates a node of a fast shape; false when evalIn must.
func (s *fastScope) eval(n *node) (any, bool) {
	s.steps++
	switch n.fast {
	case fastLit:
		return n.val, true
	case fastVar:
		return s.lookup(n.op)
	case fastPath:
		items := n.items
		var v any
		if items[0].kind == nVariable {
			var ok bool
			if v, ok = s.lookup(items[0].op); !ok {
				return nil, false
			}
			items = items[1:]
		} else {
			v = s.input
		}
		for _, st := range items {
			s.steps += 2
			switch m := v.(type) {
			case *jsonv.Object:
				f, found := m.Get(st.op)
				if !found {
					v = undefined
					continue
				}
				v = f
			case []any, *array:
				return nil, false // mapped over: the evaluator's
			case undefinedType:
				return v, true
			default:
				v = undefined
			}
		}
		return v, fastValue(v)
	case fastFused:
		l, ok := s.eval(n.lhs)
		if !ok {
			return nil, false
		}
		r, ok := s.eval(n.rhs)
		if !ok {
			return nil, false
		}
		return fastBinary(n.binop, l, r)
	case fastAndOr:
		l, ok := s.eval(n.lhs)
		if !ok || !fastTruthValue(l) {
			return nil, false
		}
		lt := truthy(l)
		if lt == (n.binop == opOr) {
			return lt, true
		}
		r, ok := s.eval(n.rhs)
		if !ok || !fastTruthValue(r) {
			return nil, false
		}
		return truthy(r), true
	case fastObject:
		return s.object(n)
	case fastMerge:
		return s.merge(n)
	}
	return nil, false
}

// object is eval of an object constructor (out of eval, whose frame
// stays small for the common shapes).
func (s *fastScope) object(n *node) (any, bool) {
	out := objBuilder{o: jsonv.NewObject(len(n.pairs))}
	for _, p := range n.pairs {
		v, ok := s.eval(p[1])
		if !ok {
			return nil, false
		}
		if !isUndef(v) {
			out.set(p[0].val.(string), v)
		}
	}
	return out.o, true
}

// merge is eval of $merge([...]).
func (s *fastScope) merge(n *node) (any, bool) {
	if s.shadows("merge") {
		return nil, false // a binding hides the built-in
	}
	items := n.items[0].items
	var objs [8]*jsonv.Object
	if len(items) > len(objs) {
		return nil, false
	}
	size := 0
	for i, it := range items {
		if it.fast == fastObject {
			// merged from its pairs below, without the object
			size += len(it.pairs)
			continue
		}
		v, ok := s.eval(it)
		if !ok {
			return nil, false
		}
		m, ok := v.(*jsonv.Object)
		if !ok || m == nil {
			// undefined items are dropped, arrays flattened, other
			// values fail the signature: the evaluator's business
			return nil, false
		}
		objs[i] = m
		size += m.Len()
	}
	out := objBuilder{o: jsonv.NewObject(size)}
	for i, it := range items {
		if it.fast == fastObject {
			// Setting the pairs one by one is setting the object they
			// make: its keys are distinct, and set puts array-index
			// keys in their place either way.
			s.steps++
			for _, p := range it.pairs {
				v, ok := s.eval(p[1])
				if !ok {
					return nil, false
				}
				if !isUndef(v) {
					s.steps++
					out.set(p[0].val.(string), s.exported(v))
				}
			}
			continue
		}
		m := objs[i]
		s.steps += m.Len()
		if out.o.Len() == 0 {
			// into an empty object: the keys are distinct
			for j := 0; j < m.Len(); j++ {
				k, v := m.KeyAt(j), s.exported(m.ValueAt(j))
				if _, idx := arrayIndex(k); idx {
					out.set(k, v)
				} else {
					out.o.Append(k, v)
				}
			}
			continue
		}
		for j := 0; j < m.Len(); j++ {
			out.set(m.KeyAt(j), s.exported(m.ValueAt(j)))
		}
	}
	// Its members are exported as they are placed: evalFast need not
	// walk it again.
	s.steps++
	s.done = out.o
	return out.o, true
}

// exported is export of a member of an object being built, its steps
// counted.
func (s *fastScope) exported(v any) any {
	s.steps++
	switch x := v.(type) {
	case string, int64, bool, nil:
		return v
	case float64:
		v, _ = exportFloat(x, v)
		return v
	}
	v, steps := exportCounting(v)
	s.steps += steps
	return v
}

// fastBinary is evalFused's operator on operand values: false where
// evalBinary would fail or look further (structured operands, numbers
// that are not finite, mixed types).
func fastBinary(op binop, lhs, rhs any) (any, bool) {
	if op == opEq || op == opNe {
		if isUndef(lhs) || isUndef(rhs) {
			return false, true
		}
		eq, ok := scalarEqual(lhs, rhs)
		if !ok {
			return nil, false
		}
		return eq == (op == opEq), true
	}
	lf, lnum := fastNumber(lhs)
	rf, rnum := fastNumber(rhs)
	if op <= opMod {
		switch {
		case lnum && rnum:
			// x-x is 0 for finite x, NaN for infinities and NaN
			if (lf-lf)+(rf-rf) != 0 {
				return nil, false
			}
			return arithOp(op, lf, rf), true
		case (lnum || isUndef(lhs)) && (rnum || isUndef(rhs)):
			return undefined, true
		}
		return nil, false
	}
	c := 0
	if lnum && rnum {
		switch {
		case lf < rf:
			c = -1
		case lf > rf:
			c = 1
		}
		return compareResult(op, c), true
	}
	ls, lstr := lhs.(string)
	rs, rstr := rhs.(string)
	lu, ru := isUndef(lhs), isUndef(rhs)
	switch {
	case !(lnum || lstr || lu) || !(rnum || rstr || ru):
		return nil, false // T2010
	case lu || ru:
		return undefined, true
	case lnum != rnum:
		return nil, false // T2009
	}
	switch {
	case ls < rs:
		c = -1
	case ls > rs:
		c = 1
	}
	return compareResult(op, c), true
}

// fastNumber is toNumber, quicker for the common number types.
func fastNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return otherNumber(v)
}

// fastValue reports whether v is a value the fast shapes pass on as
// evalIn would: not an engine sequence, nor a function (which a binding
// may hold unconverted).
func fastValue(v any) bool {
	// The data types first: a concrete case is a comparison, the
	// function interface a runtime lookup.
	switch v.(type) {
	case *jsonv.Object, string, int64, float64, bool, nil, []any, undefinedType:
		return true
	case *array, Function:
		return false
	}
	_, isFn := v.(function)
	return !isFn
}

// fastTruthValue reports whether truthy(v) is a plain test of v (no
// arrays or functions to look into).
func fastTruthValue(v any) bool {
	switch v.(type) {
	case *jsonv.Object, string, int64, float64, bool, nil, undefinedType:
		return true
	case []any, *array, Function:
		return false
	}
	_, isFn := v.(function)
	return !isFn
}

// PathComparison reports whether the expression compares a plain field
// path from a variable with a number literal, as "$states.input.n > 50"
// or "10 <= $x.a.b" does: the variable's name (without '$'), the fields,
// the operator ("<", "<=", ">", ">=", "=" or "!=", with the path on its
// left) and the number. An embedder may answer such a test without
// binding the variable when the path leads through objects to a number
// (int64 or float64): the answer is the numbers' comparison. Anything
// else (a missing field, an array, another type) is the evaluator's.
func (e *Expr) PathComparison() (name string, fields []string, op string, num float64, ok bool) {
	n := e.ast
	if n == nil || n.fast != fastFused {
		return "", nil, "", 0, false
	}
	switch n.binop {
	case opLt, opLe, opGt, opGe, opEq, opNe:
	default:
		return "", nil, "", 0, false
	}
	path, lit, swapped := n.lhs, n.rhs, false
	if path.fast != fastPath {
		path, lit, swapped = n.rhs, n.lhs, true
	}
	f, isNum := lit.val.(float64)
	if path.fast != fastPath || lit.fast != fastLit || !isNum || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", nil, "", 0, false
	}
	v := path.items[0]
	if v.kind != nVariable || v.op == "" || v.op == "$" {
		return "", nil, "", 0, false
	}
	for _, st := range path.items[1:] {
		fields = append(fields, st.op)
	}
	op = n.op
	if swapped {
		// 50 < $x.n is $x.n > 50
		switch op {
		case "<":
			op = ">"
		case "<=":
			op = ">="
		case ">":
			op = "<"
		case ">=":
			op = "<="
		}
	}
	return v.op, fields, op, f, true
}
