package jsonata

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/statecraft/statecraft/jsonv"
)

// Expr is a compiled JSONata expression. It is immutable and safe for
// concurrent use.
type Expr struct {
	src string
	ast *node
}

// Options tune one evaluation.
type Options struct {
	// Now supplies the clock for $now() and $millis(). It is read at most
	// once per evaluation. Without it those functions fail with D3200,
	// keeping the engine free of hidden inputs.
	Now func() time.Time
	// MaxDepth bounds the nesting of evaluated expressions, including
	// recursion through function calls (default 1000); exceeding it fails
	// with U1001.
	MaxDepth int
	// MaxSteps bounds the total number of evaluation steps (default 10
	// million); exceeding it fails with U1002.
	MaxSteps int
	// Random supplies $random() and $shuffle() with numbers in [0, 1). It
	// is called once per random number. Without it those functions fail
	// with D3201, keeping the engine free of hidden inputs.
	Random func() float64
	// Host, when set, supplies the clock and the random numbers where Now
	// and Random are not set: one interface value, which a host can pass
	// without allocating, where each closure would cost an allocation.
	Host Host
}

// Host is a source of time and random numbers (see Options.Host).
type Host interface {
	Now() time.Time
	Random() float64
}

const (
	defaultMaxDepth = 1000
	defaultMaxSteps = 10_000_000
	// hardMaxDepth keeps the Go stack bounded whatever the options say.
	hardMaxDepth = 20000
)

// Compile parses a JSONata expression. Errors are *Error values.
func Compile(expr string) (e *Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, &Error{Code: "U1000", Message: fmt.Sprintf("internal parser error: %v", r)}
		}
	}()
	ast, err := parse(expr)
	if err != nil {
		return nil, err
	}
	return &Expr{src: expr, ast: ast}, nil
}

// String returns the source text.
func (e *Expr) String() string { return e.src }

// Eval evaluates the expression against input (a jsonv value) with the
// given variable bindings (names without '$'). An undefined result is
// reported as (nil, ErrUndefined), so callers can tell it from JSON null.
func (e *Expr) Eval(input any, bindings map[string]any) (any, error) {
	return e.EvalWith(input, bindings, Options{})
}

// EvalWith is Eval with options.
func (e *Expr) EvalWith(input any, bindings map[string]any, opts Options) (result any, err error) {
	if res, err, ok := e.evalFast(input, bindings, nil, nil, opts.MaxDepth, opts.MaxSteps); ok {
		return res, err
	}
	return e.evalIn(input, bindings, nil, nil, opts)
}

// EvalNamed is EvalWith with the bindings given as names (without '$')
// and their values, in two slices of the same length; a name given twice
// takes its last value. A host that binds a few names for each evaluation
// saves building and walking a map.
func (e *Expr) EvalNamed(input any, names []string, vals []any, opts Options) (result any, err error) {
	// The common shapes without evalIn's setup.
	if res, err, ok := e.evalFast(input, nil, names, vals, opts.MaxDepth, opts.MaxSteps); ok {
		return res, err
	}
	return e.evalIn(input, nil, names, vals, opts)
}

func (e *Expr) evalIn(input any, bindings map[string]any, names []string, vals []any, opts Options) (result any, err error) {
	ev := &evaluator{maxDepth: opts.MaxDepth, maxSteps: opts.MaxSteps, clock: opts.Now, random: opts.Random, host: opts.Host}
	if ev.maxDepth <= 0 {
		ev.maxDepth = defaultMaxDepth
	}
	if ev.maxDepth > hardMaxDepth {
		ev.maxDepth = hardMaxDepth
	}
	if ev.maxSteps <= 0 {
		ev.maxSteps = defaultMaxSteps
	}
	defer func() {
		if r := recover(); r != nil {
			if sl, ok := r.(stepLimit); ok {
				result, err = nil, sl.err
				return
			}
			result, err = nil, &Error{Code: "U1000", Message: fmt.Sprintf("internal evaluation error: %v", r)}
		}
	}()
	env := &ev.top
	env.parent = builtinEnv
	for k, v := range bindings {
		if f, ok := v.(Function); ok {
			b, err := hostBuiltin(k, f)
			if err != nil {
				return nil, err
			}
			v = b
		}
		env.set(k, v)
	}
	for i, k := range names {
		v := vals[i]
		if f, ok := v.(Function); ok {
			b, err := hostBuiltin(k, f)
			if err != nil {
				return nil, err
			}
			v = b
		}
		env.set(k, v)
	}
	env.set("$", input)
	if arr, ok := input.([]any); ok {
		input = &array{items: []any{arr}, seq: true, outerWrapper: true}
	}
	res, err := ev.eval(e.ast, input, env)
	if err != nil {
		return nil, err
	}
	if isUndef(res) {
		return nil, ErrUndefined
	}
	if f, ok := res.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return nil, &Error{Code: "D1001", Position: e.ast.pos, Value: f, Message: messages["D1001"]}
	}
	out, _ := ev.export(res)
	return out, nil
}

type evaluator struct {
	depth, maxDepth int
	steps, maxSteps int
	clock           func() time.Time
	random          func() float64
	host            Host
	callEnv         *env
	freeScopes      []*env // released lambda scopes, see newScope
	arg1            [1]any // reusable argument slice for single-argument callbacks
	now             *time.Time
	top             env // the bindings' scope, allocated with the evaluator
}

// env is a scope. Small scopes (lambda parameters, block variables, tuple
// bindings) keep their bindings in slices, which is cheaper than a map;
// large ones (built-ins, embedder bindings) switch to a map.
type env struct {
	names   []string
	vals    []any
	vars    map[string]any
	parent  *env
	nameBuf [2]string
	valBuf  [2]any
	// captured is set once a closure (lambda, transformer) may hold this
	// scope or a scope below it; such scopes are never reused.
	captured bool
}

// capture marks e and its ancestors as held by a closure. Ancestors of a
// captured scope are captured too, so the walk stops at the first one.
func (e *env) capture() {
	for s := e; s != nil && !s.captured; s = s.parent {
		s.captured = true
	}
}

// newScope returns an empty scope below parent, reusing one released by
// an earlier lambda call when it can.
func (ev *evaluator) newScope(parent *env) *env {
	if n := len(ev.freeScopes); n > 0 {
		e := ev.freeScopes[n-1]
		ev.freeScopes = ev.freeScopes[:n-1]
		e.parent = parent
		return e
	}
	return &env{parent: parent}
}

// releaseScope hands a lambda call's scope back for reuse, unless a
// closure captured it.
func (ev *evaluator) releaseScope(e *env) {
	if e.captured || len(ev.freeScopes) >= 64 {
		return
	}
	// newScope sets parent; stale values in valBuf are only overwritten
	e.names, e.vals, e.vars = nil, nil, nil
	ev.freeScopes = append(ev.freeScopes, e)
}

const envSliceMax = 8

func newEnv(parent *env) *env { return &env{parent: parent} }

func (e *env) set(name string, v any) {
	for i, n := range e.names {
		if n == name {
			e.vals[i] = v
			return
		}
	}
	if e.vars != nil {
		e.vars[name] = v
		return
	}
	if len(e.names) < envSliceMax {
		if e.names == nil {
			e.names, e.vals = e.nameBuf[:0], e.valBuf[:0]
		}
		e.names = append(e.names, name)
		e.vals = append(e.vals, v)
		return
	}
	e.vars = make(map[string]any, 2*envSliceMax)
	e.vars[name] = v
}

func (e *env) lookup(name string) any {
	for s := e; s != nil; s = s.parent {
		for i, n := range s.names {
			if n == name {
				return s.vals[i]
			}
		}
		if s.vars != nil {
			if v, ok := s.vars[name]; ok {
				return v
			}
		}
	}
	return undefined
}

func (ev *evaluator) eval(n *node, input any, env *env) (any, error) {
	if n == nil {
		return undefined, nil
	}
	if n.literal {
		// evalNode would return n.val as it is; same accounting
		if ev.depth+1 > ev.maxDepth {
			return nil, &Error{Code: "U1001", Position: n.pos, Message: messages["U1001"]}
		}
		ev.steps++
		if ev.steps > ev.maxSteps {
			return nil, &Error{Code: "U1002", Position: n.pos, Message: messages["U1002"]}
		}
		return n.val, nil
	}
	ev.depth++
	if ev.depth > ev.maxDepth {
		ev.depth--
		return nil, &Error{Code: "U1001", Position: n.pos, Message: messages["U1001"]}
	}
	ev.steps++
	if ev.steps > ev.maxSteps {
		ev.depth--
		return nil, &Error{Code: "U1002", Position: n.pos, Message: messages["U1002"]}
	}
	if n.directBinary {
		if n.fused {
			if res, ok := ev.evalFused(n, input, env); ok {
				ev.depth--
				return res, nil
			}
		}
		res, err := ev.evalBinary(n, input, env)
		ev.depth--
		return res, err
	}
	if n.directPath {
		// what evalNode and evalPath give when fastSteps ends on a
		// single value or a plain array; otherwise the steps it charged
		// are taken back and evalPath does it all
		mark := ev.steps
		v, i, ok := ev.fastSteps(n, input, env)
		if ok {
			if isUndef(v) {
				ev.depth--
				return v, nil
			}
			if i == len(n.items) {
				switch v.(type) {
				case *array:
				case []any:
					ev.depth--
					return v, nil
				default:
					ev.depth--
					return v, nil
				}
			}
			// evalNode's nPath case with the walk done
			res, err := ev.evalPathFrom(n, input, env, v, i, true)
			ev.depth--
			if err != nil {
				return nil, err
			}
			return unwrapSeq(res), nil
		}
		ev.steps = mark
	}
	res, err := ev.evalNode(n, input, env)
	ev.depth--
	return res, err
}

// evalNode is eval without the depth and step accounting.
func (ev *evaluator) evalNode(n *node, input any, env *env) (any, error) {
	var res any
	var err error
	switch n.kind {
	case nPath:
		res, err = ev.evalPath(n, input, env)
	case nBinary:
		res, err = ev.evalBinary(n, input, env)
	case nNegate:
		res, err = ev.eval(n.lhs, input, env)
		if err == nil && !isUndef(res) {
			f, ok := toNumber(res)
			if !ok {
				return nil, &Error{Code: "D1002", Position: n.pos, Value: res, Message: messages["D1002"]}
			}
			res = -f
		}
	case nName:
		res = ev.lookupField(input, n.op)
	case nString, nNumber, nValue:
		res = n.val
	case nWildcard:
		res = ev.evalWildcard(input)
	case nDescendant:
		res = ev.evalDescendants(input)
	case nCondition:
		var c any
		if c, err = ev.eval(n.cond, input, env); err != nil {
			return nil, err
		}
		if ev.truthy(c) {
			res, err = ev.eval(n.then, input, env)
		} else if n.els != nil {
			res, err = ev.eval(n.els, input, env)
		} else {
			res = undefined
		}
	case nBlock:
		local := newEnv(env)
		res = undefined
		for _, it := range n.items {
			if res, err = ev.eval(it, input, local); err != nil {
				return nil, err
			}
		}
	case nBind:
		if res, err = ev.eval(n.rhs, input, env); err == nil {
			env.set(n.op, res)
		}
	case nRegex:
		res = &regexFn{re: n.re}
	case nParent:
		res = env.lookup(n.slot.label)
	case nFunction:
		res, err = ev.evalCall(n, input, env, nil)
	case nPartial:
		res, err = ev.evalPartial(n, input, env)
	case nVariable:
		if n.op == "" {
			if a, ok := input.(*array); ok && a.outerWrapper && len(a.items) > 0 {
				res = a.items[0]
			} else {
				res = input
			}
		} else {
			res = env.lookup(n.op)
		}
	case nLambda:
		env.capture()
		res = &lambda{n: n, env: env, input: input}
	case nApply:
		res, err = ev.evalApply(n, input, env)
	case nArray:
		res, err = ev.evalArray(n, input, env)
	case nObject:
		res, err = ev.evalGroup(n, input, env)
	case nTransform:
		res = ev.transformer(n, env)
	case nSort:
		items, _ := asArray(input)
		res, err = ev.evalSort(n, items, isTupleStream(input), env)
	default:
		return nil, &Error{Code: "U1003", Position: n.pos, Message: "unsupported expression " + n.kind.String()}
	}
	if err != nil {
		return nil, err
	}
	for _, pred := range n.predicate {
		if res, err = ev.filter(pred, res, env); err != nil {
			return nil, err
		}
	}
	if n.kind != nPath && n.group != nil {
		if res, err = ev.evalGroup(n.group, res, env); err != nil {
			return nil, err
		}
	}
	if a, ok := res.(*array); ok && a.seq && !a.tupleStream {
		if n.keepArray {
			a.keepSingleton = true
		}
		switch {
		case len(a.items) == 0:
			res = undefined
		case len(a.items) == 1 && !a.keepSingleton:
			res = a.items[0]
		}
	}
	return res, nil
}

func (ev *evaluator) lookupField(input any, key string) any {
	ev.tick()
	if items, ok := asArray(input); ok {
		out := []any{}
		for _, it := range items {
			r := ev.lookupField(it, key)
			if isUndef(r) {
				continue
			}
			if sub, ok := asArray(r); ok {
				out = append(out, sub...)
			} else {
				out = append(out, r)
			}
		}
		return newSeq(out...)
	}
	if m, ok := input.(*jsonv.Object); ok {
		if v, ok := m.Get(key); ok {
			return v
		}
	}
	return undefined
}

func sortedKeys(m *jsonv.Object) []string {
	keys := append([]string(nil), m.Keys()...)
	sort.Strings(keys)
	return keys
}

func (ev *evaluator) flatten(v any, out []any) []any {
	ev.tick()
	if items, ok := asArray(v); ok {
		for _, it := range items {
			out = ev.flatten(it, out)
		}
		return out
	}
	return append(out, v)
}

func (ev *evaluator) evalWildcard(input any) any {
	if a, ok := input.(*array); ok && a.outerWrapper && len(a.items) > 0 {
		input = a.items[0]
	}
	out := []any{}
	if items, ok := asArray(input); ok {
		return newSeq(ev.flatten(items, out)...)
	}
	if m, ok := input.(*jsonv.Object); ok {
		for _, k := range ev.keysOf(m) {
			v := m.Value(k)
			if _, isArr := asArray(v); isArr {
				out = ev.flatten(v, out)
			} else {
				out = append(out, v)
			}
		}
	}
	return newSeq(out...)
}

func (ev *evaluator) evalDescendants(input any) any {
	if isUndef(input) {
		return undefined
	}
	var out []any
	var rec func(v any)
	rec = func(v any) {
		ev.tick()
		if items, ok := asArray(v); ok {
			for _, it := range items {
				rec(it)
			}
			return
		}
		out = append(out, v)
		if m, ok := v.(*jsonv.Object); ok {
			for _, k := range ev.keysOf(m) {
				rec(m.Value(k))
			}
		}
	}
	rec(input)
	if len(out) == 1 {
		return out[0]
	}
	return newSeq(out...)
}

func (ev *evaluator) evalPath(n *node, input any, env *env) (any, error) {
	var fastRes any
	fastStart, fastOK := 0, false
	if n.fastSteps > 0 {
		fastRes, fastStart, fastOK = ev.fastSteps(n, input, env)
		if fastOK && fastStart == len(n.items) && !n.keepSingletonArray && n.group == nil && !isUndef(fastRes) {
			if _, ok := asArray(fastRes); !ok {
				return fastRes, nil // what the general code below gives
			}
		}
	}
	return ev.evalPathFrom(n, input, env, fastRes, fastStart, fastOK)
}

// evalPathFrom is evalPath after fastSteps (fastOK: it gave fastRes for
// the steps before fastStart).
func (ev *evaluator) evalPathFrom(n *node, input any, env *env, fastRes any, fastStart int, fastOK bool) (any, error) {
	var one [1]any
	var inItems []any
	if items, ok := asArray(input); ok && n.items[0].kind != nVariable {
		inItems = items
	} else {
		one[0] = input
		inItems = one[:]
	}
	var res any = undefined
	var err error
	isTuple := false
	var tb []any
	tbSet := false
	start := 0
	if fastOK {
		res, start = fastRes, fastStart
		if isUndef(res) {
			// what evalStep gives for no result; the path stops here
			res = &array{items: []any{}, seq: true}
			start = len(n.items)
		} else if items, ok := asArray(res); ok {
			if start == len(n.items) {
				// the last step: evalStep keeps a plain array as it is
				if isSeq(res) {
					out := appendFlat(nil, res)
					if out == nil {
						out = []any{}
					}
					res = &array{items: out, seq: true}
				}
			} else if isCons(res) {
				inItems = []any{res}
			} else if len(items) == 0 {
				res = &array{items: []any{}, seq: true}
				start = len(n.items)
			} else {
				inItems = items // read only: no copy needed
			}
		} else {
			one[0] = res
			inItems = one[:]
		}
	}
	for i := start; i < len(n.items); i++ {
		step := n.items[i]
		if step.tuple {
			isTuple = true
		}
		if i == 0 && step.consArray {
			var seqIn any = input
			if _, ok := asArray(input); !ok || n.items[0].kind == nVariable {
				seqIn = newSeq(input)
			}
			res, err = ev.eval(step, seqIn, env)
		} else if isTuple {
			tb, err = ev.evalTupleStep(step, inItems, tb, tbSet, env)
			tbSet = true
		} else {
			res, err = ev.evalStep(step, inItems, env, i == len(n.items)-1)
		}
		if err != nil {
			return nil, err
		}
		if !isTuple {
			if isUndef(res) {
				break
			}
			if items, ok := asArray(res); ok && len(items) == 0 {
				break
			}
		}
		if !step.hasFocus {
			if items, ok := asArray(res); ok {
				inItems = items
			} else if isUndef(res) {
				inItems = nil
			} else {
				one[0] = res
				inItems = one[:]
			}
		}
	}
	if !isTuple && n.keepSingletonArray {
		if _, ok := asArray(res); !ok && !isUndef(res) {
			res = newSeq(res)
		}
	}
	if isTuple {
		if n.tuple {
			res = &array{items: tb, seq: true, tupleStream: true}
		} else {
			out := make([]any, 0, len(tb))
			for _, t := range tb {
				if v, ok := t.(tuple)["@"]; ok && !isUndef(v) {
					out = append(out, v)
				}
			}
			res = newSeq(out...)
		}
	}
	if n.keepSingletonArray {
		if a, ok := res.(*array); ok {
			if a.cons && !a.seq {
				a = &array{items: []any{a}, seq: true}
				res = a
			}
			a.keepSingleton = true
		} else if items, ok := res.([]any); ok {
			res = &array{items: items, seq: true, keepSingleton: true}
		}
	}
	if n.group != nil {
		if isTuple {
			return ev.evalGroup(n.group, &array{items: tb, seq: true, tupleStream: true}, env)
		}
		return ev.evalGroup(n.group, res, env)
	}
	return res, nil
}

// fastSteps evaluates the first n.fastSteps steps of a path (a variable
// or field name, then plain field names) while the value stays a single non-array value,
// charging the same steps evalStep would. It returns the value of the last
// step done and the index of the next one, and false, having changed
// nothing, when the general machinery must do it all (e.g. to report
// exceeded limits).
func (ev *evaluator) fastSteps(n *node, input any, env *env) (any, int, bool) {
	if n.items[0].kind == nVariable && ev.depth+1 > ev.maxDepth {
		return nil, 0, false
	}
	v, i, steps, ok := walkPath(n, input, env)
	if !ok || ev.steps+steps > ev.maxSteps {
		return nil, 0, false
	}
	ev.steps += steps
	return v, i, true
}

// walkPath is fastSteps without the limits and accounting: the value of
// the last step done, the index of the next one and the steps they cost;
// false when the path does not start on a single value.
func walkPath(n *node, input any, env *env) (v any, i, steps int, ok bool) {
	if n.items[0].kind == nVariable {
		v = unwrapSeq(env.lookup(n.items[0].op))
		steps, i = 1, 1
	} else {
		// a relative path starts from the input: a single value here
		if _, ok := asArray(input); ok || isUndef(input) {
			return nil, 0, 0, false
		}
		v = input
	}
	for ; i < n.fastSteps; i++ {
		if isUndef(v) {
			break
		}
		if _, ok := asArray(v); ok {
			break
		}
		steps += 2 // the step and its lookupField
		if m, ok := v.(*jsonv.Object); ok {
			if f, ok := m.Get(n.items[i].op); ok {
				// evalStep's treatment of a field's sequence value
				if a, ok := f.(*array); ok && a.seq {
					switch {
					case len(a.items) == 0:
						f = undefined
					case len(a.items) == 1 && !a.keepSingleton:
						f = a.items[0]
					}
				}
				v = f
				continue
			}
		}
		v = undefined
	}
	return v, i, steps, true
}

// fusedOperand is what eval gives for an operand of a fused node
// (n.fused), without evaluating it: its value and the steps eval would
// charge; false when eval must do it. The operators treat any value that
// is not a number, string, boolean or null by falling back to evalBinary.
func fusedOperand(o *node, input any, env *env) (any, int, bool) {
	if o.literal {
		return o.val, 1, true
	}
	if o.plainVar {
		return varOperand(o, env), 1, true
	}
	return pathOperand(o, input, env)
}

// varOperand is evalNode's nVariable case and final sequence treatment.
//
//go:noinline
func varOperand(o *node, env *env) any { return unwrapSeq(env.lookup(o.op)) }

// pathOperand is eval on a directPath when that returns what fastSteps
// ends on (walkPath done, with the step eval charges): the value and the
// steps; false when the walk meets an array, which evalPathFrom treats.
func pathOperand(o *node, input any, env *env) (v any, steps int, ok bool) {
	items := o.items
	steps = 1 // eval's
	if items[0].kind == nVariable {
		v = unwrapSeq(env.lookup(items[0].op))
		steps++
		items = items[1:]
	} else {
		switch input.(type) {
		case []any, *array, undefinedType:
			return nil, 0, false
		}
		v = input
	}
	for _, st := range items {
		m, isMap := v.(*jsonv.Object)
		if !isMap {
			switch v.(type) {
			case undefinedType:
				return v, steps, true // the walk stops
			case []any, *array:
				return nil, 0, false
			}
			steps += 2
			v = undefined
			continue
		}
		steps += 2 // the step and its lookupField
		f, found := m.Get(st.op)
		if !found {
			v = undefined
			continue
		}
		// evalStep's treatment of a field's sequence value
		if a, isArr := f.(*array); isArr && a.seq {
			switch {
			case len(a.items) == 0:
				f = undefined
			case len(a.items) == 1 && !a.keepSingleton:
				f = a.items[0]
			}
		}
		v = f
	}
	if _, isArr := v.(*array); isArr {
		return nil, 0, false // evalPathFrom treats it
	}
	return v, steps, true
}

// evalFused is evalBinary on a fused node whose operands are scalars and
// where no limit is reached, charging at once the steps that evalBinary
// would charge; false, having changed nothing, when evalBinary must do it
// (for errors, limits, structured operands). ev.depth is the node's.
func (ev *evaluator) evalFused(n *node, input any, env *env) (any, bool) {
	if ev.depth+int(n.fuseDepth) > ev.maxDepth {
		return nil, false
	}
	var lhs, rhs any
	var steps int
	if l := n.lhs; l.literal {
		lhs, steps = l.val, 1
	} else {
		var ok bool
		if lhs, steps, ok = fusedOperand(l, input, env); !ok {
			return nil, false
		}
	}
	if r := n.rhs; r.literal {
		rhs = r.val
		steps++
	} else {
		v, rsteps, ok := fusedOperand(r, input, env)
		if !ok {
			return nil, false
		}
		rhs = v
		steps += rsteps
	}
	var res any
	if n.binop == opEq || n.binop == opNe {
		if isUndef(lhs) || isUndef(rhs) {
			res = false
		} else {
			// deepEqual on a scalar: one tick
			eq, ok := scalarEqual(lhs, rhs)
			if !ok {
				return nil, false
			}
			steps++
			res = eq == (n.binop == opEq)
		}
	} else {
		// toNumber, quicker for the common number types
		var lf, rf float64
		var lnum, rnum bool
		switch x := lhs.(type) {
		case float64:
			lf, lnum = x, true
		case int64:
			lf, lnum = float64(x), true
		default:
			lf, lnum = otherNumber(lhs)
		}
		switch x := rhs.(type) {
		case float64:
			rf, rnum = x, true
		case int64:
			rf, rnum = float64(x), true
		default:
			rf, rnum = otherNumber(rhs)
		}
		if n.binop <= opMod {
			// arith: opAdd to opMod
			switch {
			case lnum && rnum:
				// x-x is 0 for finite x, NaN for infinities and NaN
				if (lf-lf)+(rf-rf) != 0 {
					return nil, false
				}
				// arithOp, inline
				var r float64
				switch n.binop {
				case opAdd:
					r = lf + rf
				case opSub:
					r = lf - rf
				case opMul:
					r = lf * rf
				case opDiv:
					r = lf / rf
				default:
					r = math.Mod(lf, rf)
				}
				res = boxNum(r)
			case (lnum || isUndef(lhs)) && (rnum || isUndef(rhs)):
				res = undefined
			default:
				return nil, false
			}
		} else {
			// compare: opLt to opGe
			c := 0
			if lnum && rnum {
				switch {
				case lf < rf:
					c = -1
				case lf > rf:
					c = 1
				}
				res = compareResult(n.binop, c)
			} else {
				ls, lstr := lhs.(string)
				rs, rstr := rhs.(string)
				lu, ru := isUndef(lhs), isUndef(rhs)
				switch {
				case !(lnum || lstr || lu) || !(rnum || rstr || ru):
					return nil, false // T2010
				case lu || ru:
					res = undefined
				case lnum != rnum:
					return nil, false // T2009
				default:
					switch {
					case ls < rs:
						c = -1
					case ls > rs:
						c = 1
					}
					res = compareResult(n.binop, c)
				}
			}
		}
	}
	if ev.steps+steps > ev.maxSteps {
		return nil, false
	}
	ev.steps += steps
	return res, true
}

// otherNumber is toNumber, out of line.
//
//go:noinline
func otherNumber(v any) (float64, bool) { return toNumber(v) }

// scalarEqual is deepEqual on numbers, strings, booleans and null; false
// for other values.
func scalarEqual(a, b any) (eq, ok bool) {
	if fa, ok := toNumber(a); ok {
		fb, ok := toNumber(b)
		return ok && fa == fb, true
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y, true
	case bool:
		y, ok := b.(bool)
		return ok && x == y, true
	case nil:
		return b == nil, true
	}
	return false, false
}

// unwrapSeq is evaluation's final treatment of a sequence: an empty one is
// undefined and a singleton its item.
func unwrapSeq(v any) any {
	if a, ok := v.(*array); ok && a.seq && !a.tupleStream {
		switch {
		case len(a.items) == 0:
			return undefined
		case len(a.items) == 1 && !a.keepSingleton:
			return a.items[0]
		}
	}
	return v
}

func frameFromTuple(parent *env, t tuple) *env {
	e := &env{parent: parent}
	for k, v := range t {
		e.set(k, v)
	}
	return e
}

func (ev *evaluator) evalStages(stages []*node, res any, env *env) (any, error) {
	var err error
	for _, st := range stages {
		if st.kind == nIndexStage {
			items, _ := asArray(res)
			for i, t := range items {
				if tp, ok := t.(tuple); ok {
					tp[st.op] = float64(i)
				}
			}
			continue
		}
		if res, err = ev.filter(st, res, env); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// evalTupleStep evaluates one path step over a tuple stream (jsonata-js
// evaluateTupleStep). tb is the incoming stream; tbSet false means none yet.
func (ev *evaluator) evalTupleStep(step *node, input []any, tb []any, tbSet bool, env *env) ([]any, error) {
	if step.kind == nSort {
		var res any
		var err error
		if tbSet {
			if res, err = ev.evalSort(step, tb, true, env); err != nil {
				return nil, err
			}
		} else {
			sorted, err := ev.evalSort(step, input, false, env)
			if err != nil {
				return nil, err
			}
			items, _ := asArray(sorted)
			out := make([]any, len(items))
			for i, it := range items {
				t := tuple{"@": it}
				if step.index != "" {
					t[step.index] = float64(i)
				}
				out[i] = t
			}
			res = &array{items: out, seq: true, tupleStream: true}
		}
		if res, err = ev.evalStages(step.stages, res, env); err != nil {
			return nil, err
		}
		items, _ := asArray(res)
		return items, nil
	}
	if !tbSet {
		tb = make([]any, len(input))
		for i, it := range input {
			tb[i] = tuple{"@": it}
		}
	}
	out := []any{}
	for _, tv := range tb {
		t := tv.(tuple)
		stepEnv := frameFromTuple(env, t)
		res, err := ev.eval(step, t["@"], stepEnv)
		if err != nil {
			return nil, err
		}
		if isUndef(res) {
			continue
		}
		items, ok := asArray(res)
		if !ok {
			items = []any{res}
		}
		ts := isTupleStream(res)
		for bb, item := range items {
			nt := t.clone()
			if ts {
				for k, v := range item.(tuple) {
					nt[k] = v
				}
			} else {
				if step.focus != "" {
					nt[step.focus] = item
					nt["@"] = t["@"]
				} else {
					nt["@"] = item
				}
				if step.index != "" {
					nt[step.index] = float64(bb)
				}
				if step.ancestor != nil {
					nt[step.ancestor.label] = t["@"]
				}
			}
			out = append(out, nt)
		}
	}
	res, err := ev.evalStages(step.stages, &array{items: out, seq: true, tupleStream: true}, env)
	if err != nil {
		return nil, err
	}
	items, _ := asArray(res)
	return items, nil
}

func (ev *evaluator) evalStep(step *node, input []any, env *env, last bool) (any, error) {
	if step.kind == nSort {
		res, err := ev.evalSort(step, input, false, env)
		if err != nil {
			return nil, err
		}
		return ev.evalStages(step.stages, res, env)
	}
	var out []any
	var single any
	count := 0
	// a plain field name needs none of eval's general machinery
	plainName := step.kind == nName && !step.keepArray && len(step.predicate) == 0 && step.group == nil
	for _, item := range input {
		var res any
		var err error
		if plainName {
			ev.steps++
			if ev.steps > ev.maxSteps {
				return nil, &Error{Code: "U1002", Position: step.pos, Message: messages["U1002"]}
			}
			if m, ok := item.(*jsonv.Object); ok {
				// lookupField on an object, inline
				ev.tick()
				var found bool
				if res, found = m.Get(step.op); !found {
					res = undefined
				}
			} else {
				res = ev.lookupField(item, step.op)
			}
			if a, ok := res.(*array); ok && a.seq {
				switch {
				case len(a.items) == 0:
					res = undefined
				case len(a.items) == 1 && !a.keepSingleton:
					res = a.items[0]
				}
			}
		} else if res, err = ev.eval(step, item, env); err != nil {
			return nil, err
		}
		if len(step.stages) > 0 {
			if res, err = ev.evalStages(step.stages, res, env); err != nil {
				return nil, err
			}
		}
		if isUndef(res) {
			continue
		}
		count++
		if count == 1 {
			single = res
			continue
		}
		if count == 2 {
			out = make([]any, 0, len(input))
			out = appendFlat(out, single)
		}
		out = appendFlat(out, res)
	}
	if count == 1 {
		if _, ok := asArray(single); !ok {
			// a singleton sequence: the path carries the bare value
			return single, nil
		} else if last && !isSeq(single) {
			return single, nil
		}
		out = appendFlat(nil, single)
	}
	if out == nil {
		out = []any{}
	}
	return &array{items: out, seq: true}, nil
}

func (ev *evaluator) filter(pred *node, input any, env *env) (any, error) {
	out := []any{}
	if isUndef(input) {
		return newSeq(), nil
	}
	ts := isTupleStream(input)
	wrap := func(out []any) any {
		a := newSeq(out...)
		a.tupleStream = ts
		return a
	}
	items, ok := asArray(input)
	if !ok {
		items = []any{input}
	}
	if pred.kind == nNumber {
		f, _ := pred.val.(float64)
		idx := int(math.Max(math.Min(math.Floor(f), 1e15), -1e15))
		if idx < 0 {
			idx += len(items)
		}
		if idx >= 0 && idx < len(items) {
			item := items[idx]
			if sub, ok := asArray(item); ok {
				return sub, nil
			}
			out = append(out, item)
		}
		return wrap(out), nil
	}
	for i, item := range items {
		ctx, penv := item, env
		if ts {
			if t, ok := item.(tuple); ok {
				ctx, penv = t["@"], frameFromTuple(env, t)
			}
		}
		res, err := ev.eval(pred, ctx, penv)
		if err != nil {
			return nil, err
		}
		if b, ok := res.(bool); ok {
			// a boolean is its own truth value
			if b {
				out = append(out, item)
			}
			continue
		}
		if f, ok := toNumber(res); ok {
			res = []any{f}
		}
		if nums, ok := asArray(res); ok && len(nums) > 0 && allNumbers(nums) {
			for _, nv := range nums {
				f, _ := toNumber(nv)
				ii := int(math.Max(math.Min(math.Floor(f), 1e15), -1e15))
				if ii < 0 {
					ii += len(items)
				}
				if ii == i {
					out = append(out, item)
				}
			}
		} else if ev.truthy(res) {
			out = append(out, item)
		}
	}
	return wrap(out), nil
}

func allNumbers(items []any) bool {
	for _, it := range items {
		if _, ok := toNumber(it); !ok {
			return false
		}
	}
	return true
}

func (ev *evaluator) evalArray(n *node, input any, env *env) (any, error) {
	out := []any{}
	for _, it := range n.items {
		v, err := ev.eval(it, input, env)
		if err != nil {
			return nil, err
		}
		if isUndef(v) {
			continue
		}
		if it.kind == nArray {
			out = append(out, v)
		} else if items, ok := asArray(v); ok {
			if err := ev.charge(len(items)/4, it.pos); err != nil {
				return nil, err
			}
			out = append(out, items...)
		} else {
			out = append(out, v)
		}
	}
	if n.consArray {
		return &array{items: out, cons: true}, nil
	}
	return out, nil
}

func (ev *evaluator) evalGroup(n *node, input any, scope *env) (any, error) {
	reduce := isTupleStream(input)
	items, ok := asArray(input)
	if !reduce && len(n.pairs) <= maxSingleGroupPairs {
		// one item (an object constructor on a single value): no grouping
		switch {
		case !ok:
			return ev.evalObjectOf(n, input, scope)
		case len(items) == 0:
			return ev.evalObjectOf(n, undefined, scope)
		case len(items) == 1:
			return ev.evalObjectOf(n, items[0], scope)
		}
	}
	if !ok {
		items = []any{input}
	}
	if len(items) == 0 && !reduce {
		items = []any{undefined}
	}
	type entry struct {
		data  any
		items []any // accumulated data once a key has several items
		multi bool
		index int
	}
	groups := map[string]*entry{}
	var order []string
	for _, item := range items {
		ctx, kenv := item, scope
		if reduce {
			if t, ok := item.(tuple); ok {
				ctx, kenv = t["@"], frameFromTuple(scope, t)
			}
		}
		for pi, pair := range n.pairs {
			k, err := ev.eval(pair[0], ctx, kenv)
			if err != nil {
				return nil, err
			}
			if isUndef(k) {
				continue
			}
			key, ok := k.(string)
			if !ok {
				return nil, &Error{Code: "T1003", Position: pair[0].pos, Value: k, Message: messages["T1003"]}
			}
			if g, ok := groups[key]; ok {
				if g.index != pi {
					return nil, &Error{Code: "D1009", Position: pair[0].pos, Value: key, Message: messages["D1009"]}
				}
				// $append semantics, accumulated in one slice
				if !g.multi {
					g.multi = true
					if items, ok := asArray(g.data); ok {
						g.items = append([]any(nil), items...)
					} else {
						g.items = []any{g.data}
					}
				}
				if items, ok := asArray(item); ok {
					g.items = append(g.items, items...)
				} else {
					g.items = append(g.items, item)
				}
			} else {
				groups[key] = &entry{data: item, index: pi}
				order = append(order, key)
			}
		}
	}
	out := ev.newObject(len(order))
	for _, key := range order {
		g := groups[key]
		if g.multi {
			g.data = g.items
		}
		ctx, venv := g.data, scope
		if reduce {
			t := reduceTupleStream(g.data)
			ctx = t["@"]
			delete(t, "@")
			venv = frameFromTuple(scope, t)
		}
		v, err := ev.eval(n.pairs[g.index][1], ctx, venv)
		if err != nil {
			return nil, err
		}
		if !isUndef(v) {
			out.set(key, v)
		}
	}
	return out.value(), nil
}

const maxSingleGroupPairs = 16

// evalObjectOf is evalGroup for a single item: every key comes from a
// different pair, so a repeated key is always an error (D1009).
func (ev *evaluator) evalObjectOf(n *node, item any, scope *env) (any, error) {
	type keyed struct {
		key  string
		pair int
	}
	var buf [maxSingleGroupPairs]keyed
	keys := buf[:0]
	for pi, pair := range n.pairs {
		k, err := ev.eval(pair[0], item, scope)
		if err != nil {
			return nil, err
		}
		if isUndef(k) {
			continue
		}
		key, ok := k.(string)
		if !ok {
			return nil, &Error{Code: "T1003", Position: pair[0].pos, Value: k, Message: messages["T1003"]}
		}
		for _, e := range keys {
			if e.key == key {
				return nil, &Error{Code: "D1009", Position: pair[0].pos, Value: key, Message: messages["D1009"]}
			}
		}
		keys = append(keys, keyed{key, pi})
	}
	out := ev.newObject(len(keys))
	for _, e := range keys {
		v, err := ev.eval(n.pairs[e.pair][1], item, scope)
		if err != nil {
			return nil, err
		}
		if !isUndef(v) {
			out.set(e.key, v)
		}
	}
	return out.value(), nil
}

func reduceTupleStream(data any) tuple {
	if t, ok := data.(tuple); ok {
		return t.clone()
	}
	items, _ := asArray(data)
	// $append of each key's values across the tuples: undefined values
	// drop out, a single value stays as it is, several are concatenated
	vals := map[string][]any{}
	for _, it := range items {
		for k, v := range it.(tuple) {
			list := vals[k]
			if !isUndef(v) {
				list = append(list, v)
			}
			vals[k] = list
		}
	}
	res := make(tuple, len(vals))
	for k, list := range vals {
		switch len(list) {
		case 0:
			res[k] = undefined
		case 1:
			res[k] = list[0]
		default:
			var out []any
			for _, v := range list {
				if vi, ok := asArray(v); ok {
					out = append(out, vi...)
				} else {
					out = append(out, v)
				}
			}
			res[k] = out
		}
	}
	return res
}

// appendValues is $append: sequences and arrays are concatenated.
func appendValues(a, b any) any {
	if isUndef(a) {
		return b
	}
	if isUndef(b) {
		return a
	}
	var out []any
	if items, ok := asArray(a); ok {
		out = append(out, items...)
	} else {
		out = append(out, a)
	}
	if items, ok := asArray(b); ok {
		out = append(out, items...)
	} else {
		out = append(out, b)
	}
	return out
}

func (ev *evaluator) evalSort(n *node, items []any, tuples bool, scope *env) (any, error) {
	var sortErr error
	sorted := append([]any(nil), items...)
	ctx := func(v any) (any, *env) {
		if t, ok := v.(tuple); ok && tuples {
			return t["@"], frameFromTuple(scope, t)
		}
		return v, scope
	}
	cmp := func(a, b any) int {
		for _, term := range n.terms {
			ac, aenv := ctx(a)
			av, err := ev.eval(term.expr, ac, aenv)
			if err != nil {
				sortErr = err
				return 0
			}
			bc, benv := ctx(b)
			bv, err := ev.eval(term.expr, bc, benv)
			if err != nil {
				sortErr = err
				return 0
			}
			c, err := compareSortValues(av, bv, term.expr.pos)
			if err != nil {
				sortErr = err
				return 0
			}
			if c == 0 {
				continue
			}
			if term.descending && !isUndef(av) && !isUndef(bv) {
				c = -c
			}
			return c
		}
		return 0
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		if sortErr != nil {
			return false
		}
		return cmp(sorted[i], sorted[j]) < 0
	})
	if sortErr != nil {
		return nil, sortErr
	}
	res := newSeq(sorted...)
	res.tupleStream = tuples
	return res, nil
}

func compareSortValues(a, b any, pos int) (int, error) {
	if isUndef(a) {
		if isUndef(b) {
			return 0, nil
		}
		return 1, nil
	}
	if isUndef(b) {
		return -1, nil
	}
	fa, aNum := toNumber(a)
	fb, bNum := toNumber(b)
	sa, aStr := a.(string)
	sb, bStr := b.(string)
	if !(aNum || aStr) || !(bNum || bStr) {
		return 0, &Error{Code: "T2008", Position: pos, Message: messages["T2008"]}
	}
	if aNum != bNum {
		return 0, &Error{Code: "T2007", Position: pos, Message: messages["T2007"]}
	}
	switch {
	case aNum && fa < fb, aStr && sa < sb:
		return -1, nil
	case aNum && fa > fb, aStr && sa > sb:
		return 1, nil
	}
	return 0, nil
}

func (ev *evaluator) evalBinary(n *node, input any, env *env) (any, error) {
	lhs, err := ev.eval(n.lhs, input, env)
	if err != nil {
		return nil, err
	}
	switch n.binop {
	case opAnd:
		if !ev.truthy(lhs) {
			return false, nil
		}
		rhs, err := ev.eval(n.rhs, input, env)
		if err != nil {
			return nil, err
		}
		return ev.truthy(rhs), nil
	case opOr:
		if ev.truthy(lhs) {
			return true, nil
		}
		rhs, err := ev.eval(n.rhs, input, env)
		if err != nil {
			return nil, err
		}
		return ev.truthy(rhs), nil
	case opCoalesce:
		if !isUndef(lhs) {
			return lhs, nil
		}
		return ev.eval(n.rhs, input, env)
	case opElvis:
		if ev.truthy(lhs) {
			return lhs, nil
		}
		return ev.eval(n.rhs, input, env)
	}
	var rhs any
	if r := n.rhs; r != nil && r.literal {
		// eval's literal case, inline
		if ev.depth+1 > ev.maxDepth {
			return nil, &Error{Code: "U1001", Position: r.pos, Message: messages["U1001"]}
		}
		ev.steps++
		if ev.steps > ev.maxSteps {
			return nil, &Error{Code: "U1002", Position: r.pos, Message: messages["U1002"]}
		}
		rhs = r.val
	} else if rhs, err = ev.eval(r, input, env); err != nil {
		return nil, err
	}
	switch n.binop {
	case opAdd, opSub, opMul, opDiv, opMod:
		return arith(n, lhs, rhs)
	case opEq, opNe:
		if isUndef(lhs) || isUndef(rhs) {
			return false, nil
		}
		eq := ev.deepEqual(lhs, rhs)
		if n.binop == opEq {
			return eq, nil
		}
		return !eq, nil
	case opLt, opLe, opGt, opGe:
		return compare(n, lhs, rhs)
	case opConcat:
		ls, rs := "", ""
		if !isUndef(lhs) {
			if ls, err = ev.stringifyOrdered(lhs, false); err != nil {
				return nil, err
			}
		}
		if !isUndef(rhs) {
			if rs, err = ev.stringifyOrdered(rhs, false); err != nil {
				return nil, err
			}
		}
		if n := (len(ls) + len(rs)) / 16; n > 0 {
			if err := ev.charge(n, 0); err != nil {
				return nil, err
			}
		}
		return ls + rs, nil
	case opIn:
		if isUndef(lhs) {
			return false, nil
		}
		items, ok := asArray(rhs)
		if !ok {
			items = []any{rhs}
		}
		for _, it := range items {
			if ev.deepEqual(it, lhs) {
				if _, isMap := lhs.(*jsonv.Object); !isMap {
					return true, nil
				}
			}
		}
		return false, nil
	case opRange:
		return ev.rangeOp(n, lhs, rhs)
	}
	return nil, &Error{Code: "S0204", Position: n.pos, Token: n.op, Message: messages["S0204"]}
}

func arith(n *node, lhs, rhs any) (any, error) {
	if lf, ok := toNumber(lhs); ok {
		if rf, ok := toNumber(rhs); ok && !math.IsInf(lf, 0) && !math.IsNaN(lf) && !math.IsInf(rf, 0) && !math.IsNaN(rf) {
			return arithOp(n.binop, lf, rf), nil // the common case of arithChecked
		}
	}
	return arithChecked(n, lhs, rhs)
}

func arithChecked(n *node, lhs, rhs any) (any, error) {
	lf, lok := toNumber(lhs)
	rf, rok := toNumber(rhs)
	if !lok && !isUndef(lhs) {
		return nil, &Error{Code: "T2001", Position: n.pos, Token: n.op, Value: lhs, Message: messages["T2001"]}
	}
	if !rok && !isUndef(rhs) {
		return nil, &Error{Code: "T2002", Position: n.pos, Token: n.op, Value: rhs, Message: messages["T2002"]}
	}
	if isUndef(lhs) || isUndef(rhs) {
		return undefined, nil
	}
	if math.IsInf(lf, 0) || math.IsNaN(lf) {
		return nil, &Error{Code: "D1001", Position: n.pos, Value: lf, Message: messages["D1001"]}
	}
	if math.IsInf(rf, 0) || math.IsNaN(rf) {
		return nil, &Error{Code: "D1001", Position: n.pos, Value: rf, Message: messages["D1001"]}
	}
	return arithOp(n.binop, lf, rf), nil
}

func arithOp(op binop, lf, rf float64) any {
	var r float64
	switch op {
	case opAdd:
		r = lf + rf
	case opSub:
		r = lf - rf
	case opMul:
		r = lf * rf
	case opDiv:
		r = lf / rf
	case opMod:
		r = math.Mod(lf, rf)
	}
	return boxNum(r)
}

func compare(n *node, lhs, rhs any) (any, error) {
	if lf, ok := toNumber(lhs); ok {
		if rf, ok := toNumber(rhs); ok {
			// the common case of the general code below
			c := 0
			switch {
			case lf < rf:
				c = -1
			case lf > rf:
				c = 1
			}
			return compareResult(n.binop, c), nil
		}
	}
	lf, lnum := toNumber(lhs)
	rf, rnum := toNumber(rhs)
	ls, lstr := lhs.(string)
	rs, rstr := rhs.(string)
	lok := lnum || lstr || isUndef(lhs)
	rok := rnum || rstr || isUndef(rhs)
	if !lok || !rok {
		v := lhs
		if lok {
			v = rhs
		}
		return nil, &Error{Code: "T2010", Position: n.pos, Token: n.op, Value: v, Message: messages["T2010"]}
	}
	if isUndef(lhs) || isUndef(rhs) {
		return undefined, nil
	}
	if lnum != rnum {
		return nil, &Error{Code: "T2009", Position: n.pos, Token: n.op, Value: lhs, Message: messages["T2009"]}
	}
	var c int
	if lnum {
		switch {
		case lf < rf:
			c = -1
		case lf > rf:
			c = 1
		}
	} else {
		switch {
		case ls < rs:
			c = -1
		case ls > rs:
			c = 1
		}
	}
	return compareResult(n.binop, c), nil
}

func compareResult(op binop, c int) bool {
	switch op {
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

const maxRange = 10_000_000

func (ev *evaluator) rangeOp(n *node, lhs, rhs any) (any, error) {
	lf, lok := toNumber(lhs)
	rf, rok := toNumber(rhs)
	if !isUndef(lhs) && (!lok || lf != math.Trunc(lf)) {
		return nil, &Error{Code: "T2003", Position: n.pos, Value: lhs, Message: messages["T2003"]}
	}
	if !isUndef(rhs) && (!rok || rf != math.Trunc(rf)) {
		return nil, &Error{Code: "T2004", Position: n.pos, Value: rhs, Message: messages["T2004"]}
	}
	if isUndef(lhs) || isUndef(rhs) || lf > rf {
		return undefined, nil
	}
	if rf-lf >= maxRange {
		return nil, &Error{Code: "D2014", Position: n.pos, Value: rf - lf + 1, Message: messages["D2014"]}
	}
	size := int(rf-lf) + 1
	if err := ev.charge(size/4, n.pos); err != nil { // before allocating
		return nil, err
	}
	out := make([]any, size)
	for i := range out {
		out[i] = boxNum(lf + float64(i))
	}
	return out, nil
}

// evalUndefinedInput evaluates with no input document at all (JSONata's
// undefined input), as the conformance suite needs.
func (e *Expr) evalUndefinedInput(bindings map[string]any, opts Options) (any, error) {
	return e.EvalWith(undefined, bindings, opts)
}

// appendFlat appends a step result, flattening sequences and input arrays
// but not constructed arrays.
func appendFlat(out []any, res any) []any {
	if items, ok := asArray(res); ok && !isCons(res) {
		return append(out, items...)
	}
	return append(out, res)
}

// charge counts work done natively (e.g. building a range) against the
// step limit, so that no expression can allocate or loop without bound.
func (ev *evaluator) charge(n, pos int) error {
	ev.steps += n
	if ev.steps > ev.maxSteps {
		return &Error{Code: "U1002", Position: pos, Message: messages["U1002"]}
	}
	return nil
}
