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
// evaluator would go, and n.fastDollar, whether $$ is read) once n's
// operands are annotated.
func classifyFast(n *node) {
	n.fast = fastNone
	defer func() {
		if n.fast != fastNone {
			n.fastDollar = readsDollar(n)
		}
	}()
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
		if d > 100 {
			return
		}
		n.fast, n.fastDepth = fastMerge, 3+d
	}
}

// readsDollar reports whether a node of a fast shape reads $$.
func readsDollar(n *node) bool {
	switch n.kind {
	case nVariable:
		return n.op == "$"
	case nPath:
		return n.items[0].kind == nVariable && n.items[0].op == "$"
	case nBinary:
		return readsDollar(n.lhs) || readsDollar(n.rhs)
	case nObject:
		for _, p := range n.pairs {
			if p[1].fastDollar {
				return true
			}
		}
	case nFunction:
		for _, it := range n.items[0].items {
			if it.fastDollar {
				return true
			}
		}
	}
	return false
}

// evalFast is evalIn for an expression of a fast shape, when nothing
// unusual happens: it answers (result, error, true) only when evalIn would
// give that very answer, and false otherwise (a value of an unexpected
// type, a limit near, a shadowed built-in, ...), having changed nothing,
// so that evalIn does it all.
func (e *Expr) evalFast(input any, bindings map[string]any, names []string, vals []any, opts Options) (any, error, bool) {
	n := e.ast
	if n == nil || n.fast == fastNone {
		return nil, nil, false
	}
	switch input.(type) {
	case []any, *array, undefinedType:
		// evalIn wraps an array input; leave that to it
		return nil, nil, false
	}
	maxDepth, maxSteps := opts.MaxDepth, opts.MaxSteps
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
	for i, k := range names {
		for _, j := range names[:i] {
			if j == k {
				// the scope below would find the first value, evalIn
				// takes the last
				return nil, nil, false
			}
		}
	}
	ev := evaluator{maxDepth: math.MaxInt32, maxSteps: math.MaxInt}
	top := env{names: names, vals: vals, vars: bindings, parent: builtinEnv}
	scope := &top
	if n.fastDollar {
		// $$, as evalIn binds it over the bindings
		dn, dv := [1]string{"$"}, [1]any{input}
		scope = &env{names: dn[:], vals: dv[:], parent: &top}
	}
	res, ok := ev.fast(n, input, scope)
	if !ok {
		return nil, nil, false
	}
	if isUndef(res) {
		return nil, ErrUndefined, ev.steps*4+fastStepMargin <= maxSteps
	}
	if f, ok := res.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return nil, nil, false
	}
	out, _ := ev.export(res)
	if ev.steps*4+fastStepMargin > maxSteps {
		return nil, nil, false
	}
	return out, nil, true
}

// fastStepMargin is what evalFast leaves between the steps it counted
// (times four) and the limit: the evaluator's own accounting (signature
// checks, builder ticks) stays well inside it.
const fastStepMargin = 256

// fast evaluates a node of a fast shape; false when evalIn must.
func (ev *evaluator) fast(n *node, input any, env *env) (any, bool) {
	ev.steps++
	switch n.fast {
	case fastLit:
		return n.val, true
	case fastPath:
		v, steps, ok := pathOperand(n, input, env)
		ev.steps += steps
		return v, ok && fastValue(v)
	case fastVar:
		v := varOperand(n, env)
		return v, fastValue(v)
	case fastFused:
		return ev.evalFused(n, input, env)
	case fastAndOr:
		l, ok := ev.fast(n.lhs, input, env)
		if !ok || !fastTruthValue(l) {
			return nil, false
		}
		lt := ev.truthy(l)
		if lt == (n.binop == opOr) {
			return lt, true
		}
		r, ok := ev.fast(n.rhs, input, env)
		if !ok || !fastTruthValue(r) {
			return nil, false
		}
		return ev.truthy(r), true
	case fastObject:
		out := objBuilder{o: jsonv.NewObject(len(n.pairs))}
		for _, p := range n.pairs {
			v, ok := ev.fast(p[1], input, env)
			if !ok {
				return nil, false
			}
			if !isUndef(v) {
				out.set(p[0].val.(string), v)
			}
		}
		return out.o, true
	case fastMerge:
		if env.shadows("merge") {
			return nil, false // a binding shadows the built-in
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
			v, ok := ev.fast(it, input, env)
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
				ev.steps++
				for _, p := range it.pairs {
					v, ok := ev.fast(p[1], input, env)
					if !ok {
						return nil, false
					}
					if !isUndef(v) {
						ev.steps++
						out.set(p[0].val.(string), v)
					}
				}
				continue
			}
			m := objs[i]
			if out.o.Len() == 0 {
				// into an empty object: the keys are distinct
				for k, v := range m.All() {
					ev.steps++
					if _, idx := arrayIndex(k); idx {
						out.set(k, v)
					} else {
						out.o.Append(k, v)
					}
				}
				continue
			}
			for k, v := range m.All() {
				ev.steps++
				out.set(k, v)
			}
		}
		return out.o, true
	}
	return nil, false
}

// shadows reports whether a scope from e up to the built-ins binds name.
func (e *env) shadows(name string) bool {
	for s := e; s != nil && s != builtinEnv; s = s.parent {
		for _, n := range s.names {
			if n == name {
				return true
			}
		}
		if s.vars != nil {
			if _, ok := s.vars[name]; ok {
				return true
			}
		}
	}
	return false
}

// fastValue reports whether v is a value the fast shapes pass on as
// evalIn would: not an engine sequence, nor a function (which a binding
// may hold unconverted).
func fastValue(v any) bool {
	switch v.(type) {
	case *array, function, Function:
		return false
	}
	return true
}

// fastTruthValue reports whether truthy(v) is a plain test of v (no
// arrays or functions to look into).
func fastTruthValue(v any) bool {
	switch v.(type) {
	case []any, *array, function, Function:
		return false
	}
	return true
}
