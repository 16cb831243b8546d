package jsonata

import (
	"regexp"

	"github.com/statecraft/statecraft/jsonv"
)

// function is any callable JSONata value.
type function interface{ arity() int }

type lambda struct {
	n     *node
	env   *env
	input any
}

func (l *lambda) arity() int { return len(l.n.params) }

type builtinFn func(ev *evaluator, args []any, input any, pos int) (any, error)

type builtin struct {
	needsEnv bool // reads ev.callEnv (the caller's environment), like $eval
	name     string
	sig      *signature
	fn       builtinFn
	nargs    int
}

func (b *builtin) arity() int {
	if b.sig != nil {
		return len(b.sig.params)
	}
	return b.nargs
}

type placeholderType struct{}

type partialFn struct {
	fn   any
	args []any
}

func (p *partialFn) arity() int {
	n := 0
	for _, a := range p.args {
		if _, ok := a.(placeholderType); ok {
			n++
		}
	}
	return n
}

type regexFn struct{ re *regexp.Regexp }

func (r *regexFn) arity() int { return 1 }

func (ev *evaluator) evalCall(n *node, input any, env *env, applyTo *any) (any, error) {
	proc, err := ev.eval(n.procedure, input, env)
	if err != nil {
		return nil, err
	}
	var args []any
	if applyTo != nil {
		args = make([]any, 0, len(n.items)+1)
		args = append(args, *applyTo)
	} else if len(n.items) > 0 {
		args = make([]any, 0, len(n.items))
	}
	for _, a := range n.items {
		v, err := ev.eval(a, input, env)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	if !isFunction(proc) {
		code := "T1006"
		if p := n.procedure; p.kind == nPath && len(p.items) > 0 && p.items[0].kind == nName && !isUndef(env.lookup(p.items[0].op)) {
			code = "T1005"
		}
		return nil, &Error{Code: code, Position: n.pos, Message: messages[code]}
	}
	if b, ok := proc.(*builtin); ok && b.needsEnv {
		saved := ev.callEnv
		ev.callEnv = env
		defer func() { ev.callEnv = saved }()
	}
	return ev.apply(proc, args, input, n.pos)
}

func (ev *evaluator) apply(proc any, args []any, input any, pos int) (any, error) {
	res, err := ev.applyInner(proc, args, input, pos)
	return ev.runTailCalls(res, err, pos)
}

// runTailCalls completes a call whose result is a tail call (a thunk),
// looping instead of recursing.
func (ev *evaluator) runTailCalls(res any, err error, pos int) (any, error) {
	for err == nil {
		l, ok := res.(*lambda)
		if !ok || !l.n.thunk {
			break
		}
		ev.steps++
		if ev.steps > ev.maxSteps {
			return nil, &Error{Code: "U1002", Position: pos, Message: messages["U1002"]}
		}
		body := l.n.body
		next, err2 := ev.eval(body.procedure, l.input, l.env)
		if err2 != nil {
			return nil, err2
		}
		var nargs []any
		for _, a := range body.items {
			v, err2 := ev.eval(a, l.input, l.env)
			if err2 != nil {
				return nil, err2
			}
			nargs = append(nargs, v)
		}
		if !isFunction(next) {
			return nil, &Error{Code: "T1006", Position: body.pos, Message: messages["T1006"]}
		}
		if b, ok := next.(*builtin); ok && b.needsEnv {
			// A tail call of $eval sees the lambda's scope, as any other
			// call of it does.
			saved := ev.callEnv
			ev.callEnv = l.env
			res, err = ev.applyInner(next, nargs, l.input, body.pos)
			ev.callEnv = saved
			continue
		}
		res, err = ev.applyInner(next, nargs, l.input, body.pos)
	}
	return res, err
}

func (ev *evaluator) applyInner(proc any, args []any, input any, pos int) (any, error) {
	// Depth is counted per evaluated expression, as jsonata-js's depth
	// guard does; a call's body is one more expression deep. Builtins that
	// call back (HOFs) get here again only through a lambda's eval.
	ev.steps++
	if ev.steps > ev.maxSteps {
		return nil, &Error{Code: "U1002", Position: pos, Message: messages["U1002"]}
	}
	switch f := proc.(type) {
	case *lambda:
		if f.n.thunk {
			return f, nil
		}
		if f.n.sig != nil {
			var err error
			if args, err = f.n.sig.validate(args, input, pos); err != nil {
				return nil, err
			}
		}
		return ev.callLambda(f, args)
	case *builtin:
		// native work grows with the size of the arguments
		work := 0
		for _, a := range args {
			switch x := a.(type) {
			case string:
				work += len(x) / 16
			case []any:
				work += len(x) / 4
			case *array:
				work += len(x.items) / 4
			}
		}
		if work > 0 {
			if err := ev.charge(work, pos); err != nil {
				return nil, err
			}
		}
		if f.sig != nil {
			var err error
			if args, err = f.sig.validate(args, input, pos); err != nil {
				return nil, err
			}
		}
		return f.fn(ev, args, input, pos)
	case *partialFn:
		full := make([]any, 0, len(f.args))
		i := 0
		for _, a := range f.args {
			if _, ok := a.(placeholderType); ok {
				if i < len(args) {
					full = append(full, args[i])
				} else {
					full = append(full, undefined)
				}
				i++
			} else {
				full = append(full, a)
			}
		}
		return ev.apply(f.fn, full, input, pos)
	case *regexFn:
		var s any = undefined
		if len(args) > 0 {
			s = args[0]
		}
		str, ok := s.(string)
		if !ok {
			return undefined, nil
		}
		return ev.regexMatchObject(f.re, str, 0), nil
	}
	return nil, &Error{Code: "T1006", Position: pos, Message: messages["T1006"]}
}

// callLambda runs a lambda's body on args (already checked against its
// signature) in a new scope.
func (ev *evaluator) callLambda(f *lambda, args []any) (any, error) {
	local := ev.newScope(f.env)
	switch np := len(f.n.params); {
	case np == 1 && len(f.n.scopeNames) == 1:
		local.valBuf[0] = undefined
		if len(args) > 0 {
			local.valBuf[0] = args[0]
		}
		local.vals = local.valBuf[:1]
		local.names = f.n.scopeNames[:1:1] // full slice: appends must not touch the node
	case np > 0:
		if np <= len(local.valBuf) {
			local.vals = local.valBuf[:np]
		} else {
			local.vals = make([]any, np, np+2)
		}
		for i := range local.vals {
			if i < len(args) {
				local.vals[i] = args[i]
			} else {
				local.vals[i] = undefined
			}
		}
		// params may repeat a name; later ones win, as with a map
		names := f.n.scopeNames
		if len(names) != np {
			names = dedupParams(f.n.params)
		}
		local.names = names[:np:np] // full slice: appends must not touch the node
	}
	res, err := ev.eval(f.n.body, f.input, local)
	ev.releaseScope(local)
	return res, err
}

// regexMatchObject returns JSONata's match object for the first match at or
// after offset (in bytes), or undefined.
func (ev *evaluator) regexMatchObject(re *regexp.Regexp, s string, offset int) any {
	if offset > len(s) {
		return undefined
	}
	loc := re.FindStringSubmatchIndex(s[offset:])
	if loc == nil {
		return undefined
	}
	groups := []any{}
	for i := 2; i+1 < len(loc); i += 2 {
		if loc[i] < 0 {
			groups = append(groups, "")
		} else {
			groups = append(groups, s[offset+loc[i]:offset+loc[i+1]])
		}
	}
	start, end := offset+loc[0], offset+loc[1]
	m := jsonv.NewObject(5)
	m.Append("match", s[start:end])
	m.Append("start", float64(strLen(s[:start])))
	m.Append("end", float64(strLen(s[:end])))
	m.Append("groups", groups)
	m.Append("next", &builtin{name: "next", nargs: 0, fn: func(ev *evaluator, args []any, input any, pos int) (any, error) {
		next := end
		if end == start {
			next = end + 1
		}
		return ev.regexMatchObject(re, s, next), nil
	}})
	return m
}

func (ev *evaluator) evalPartial(n *node, input any, env *env) (any, error) {
	proc, err := ev.eval(n.procedure, input, env)
	if err != nil {
		return nil, err
	}
	if !isFunction(proc) {
		code := "T1008"
		if p := n.procedure; p.kind == nPath && len(p.items) > 0 && p.items[0].kind == nName && !isUndef(env.lookup(p.items[0].op)) {
			code = "T1007"
		}
		return nil, &Error{Code: code, Position: n.pos, Message: messages[code]}
	}
	var args []any
	for _, a := range n.items {
		if a.kind == nPlaceholer {
			args = append(args, placeholderType{})
			continue
		}
		v, err := ev.eval(a, input, env)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	return &partialFn{fn: proc, args: args}, nil
}

func (ev *evaluator) evalApply(n *node, input any, env *env) (any, error) {
	lhs, err := ev.eval(n.lhs, input, env)
	if err != nil {
		return nil, err
	}
	if n.rhs.kind == nFunction {
		return ev.evalCall(n.rhs, input, env, &lhs)
	}
	fn, err := ev.eval(n.rhs, input, env)
	if err != nil {
		return nil, err
	}
	if !isFunction(fn) {
		return nil, &Error{Code: "T2006", Position: n.pos, Value: fn, Message: messages["T2006"]}
	}
	if isFunction(lhs) {
		first := lhs
		return &builtin{name: "composed", nargs: 1, fn: func(ev *evaluator, args []any, input any, pos int) (any, error) {
			r, err := ev.apply(first, args, input, pos)
			if err != nil {
				return nil, err
			}
			return ev.apply(fn, []any{r}, input, pos)
		}}, nil
	}
	return ev.apply(fn, []any{lhs}, input, n.pos)
}

// callHOF calls fn with as many of args as it accepts.
func (ev *evaluator) callHOF(fn any, pos int, args ...any) (any, error) {
	f, ok := fn.(function)
	if !ok {
		return nil, &Error{Code: "T1006", Position: pos, Message: messages["T1006"]}
	}
	n := f.arity()
	if b, ok := fn.(*builtin); ok {
		if b.sig == nil && b.nargs == 0 {
			n = len(args)
		} else if b.name == "string" {
			n = 1 // jsonata-js: string(arg, prettify = false) has length 1
		}
	}
	if n < len(args) {
		args = args[:n]
	}
	return ev.apply(fn, args, undefined, pos)
}

func (ev *evaluator) deepClone(v any) any {
	ev.tick()
	switch x := v.(type) {
	case *jsonv.Object:
		out := x.Clone(0)
		for i := 0; i < out.Len(); i++ {
			out.SetAt(i, ev.deepClone(out.ValueAt(i)))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ev.deepClone(e)
		}
		return out
	case *array:
		out := make([]any, len(x.items))
		for i, e := range x.items {
			out[i] = ev.deepClone(e)
		}
		return out
	}
	return v
}

func (ev *evaluator) transformer(n *node, env *env) any {
	env.capture()
	sig, _ := parseSignature("<(oa):o>")
	return &builtin{name: "transform", sig: sig, fn: func(ev *evaluator, args []any, input any, pos int) (any, error) {
		if len(args) == 0 || isUndef(args[0]) {
			return undefined, nil
		}
		result := ev.deepClone(args[0])
		matches, err := ev.eval(n.lhs, result, env)
		if err != nil {
			return nil, err
		}
		if isUndef(matches) {
			return result, nil
		}
		items, ok := asArray(matches)
		if !ok {
			items = []any{matches}
		}
		for _, match := range items {
			update, err := ev.eval(n.update, match, env)
			if err != nil {
				return nil, err
			}
			target, isMap := match.(*jsonv.Object)
			if !isUndef(update) {
				um, ok := update.(*jsonv.Object)
				if !ok {
					return nil, &Error{Code: "T2011", Position: n.update.pos, Value: update, Message: messages["T2011"]}
				}
				if isMap {
					for k, v := range um.All() {
						target.Set(k, v)
					}
				}
			}
			if n.del != nil {
				dels, err := ev.eval(n.del, match, env)
				if err != nil {
					return nil, err
				}
				if isUndef(dels) {
					continue
				}
				list, ok := asArray(dels)
				if !ok {
					list = []any{dels}
				}
				for _, d := range list {
					if _, ok := d.(string); !ok {
						return nil, &Error{Code: "T2012", Position: n.del.pos, Value: dels, Message: messages["T2012"]}
					}
				}
				if isMap {
					for _, d := range list {
						target.Delete(d.(string))
					}
				}
			}
		}
		return result, nil
	}}
}

// dedupParams returns params unchanged unless a name repeats, in which
// case earlier duplicates are renamed out of the way so lookups find the
// last binding.
func dedupParams(params []string) []string {
	for i := range params {
		for j := i + 1; j < len(params); j++ {
			if params[i] == params[j] {
				out := append([]string(nil), params...)
				for a := range out {
					for b := a + 1; b < len(out); b++ {
						if out[a] == out[b] {
							out[a] = "\x00dup"
						}
					}
				}
				return out
			}
		}
	}
	return params
}

// eachIndexed calls fn on every item as callIndexed does, in order,
// handing each result to yield, or, when yield is nil, appending the
// defined ones to *out. A lambda with at most one parameter and no
// signature runs its body in one scope rebound per item (as long as no
// closure captures it), instead of a call each.
func (ev *evaluator) eachIndexed(fn any, pos int, items []any, arr any, yield func(i int, r any), out *[]any) error {
	l, ok := fn.(*lambda)
	if !ok || l.n.sig != nil || l.n.thunk || len(l.n.params) > 1 || len(l.n.scopeNames) != len(l.n.params) {
		for i, it := range items {
			r, err := ev.callIndexed(fn, pos, it, i, arr)
			if err != nil {
				return err
			}
			if yield != nil {
				yield(i, r)
			} else if !isUndef(r) {
				*out = append(*out, r)
			}
		}
		return nil
	}
	body, input := l.n.body, l.input
	// a fused body binds nothing in the scope and captures nothing, so
	// its parameter is all that changes from one item to the next
	fused := body.fused && len(l.n.params) == 1
	var local *env
	bound := false
	for i, it := range items {
		// what callIndexed and callLambda do
		ev.steps++
		if ev.steps > ev.maxSteps {
			return &Error{Code: "U1002", Position: pos, Message: messages["U1002"]}
		}
		if local == nil {
			local = ev.newScope(l.env)
			bound = false
		}
		if fused && bound {
			local.valBuf[0] = it
		} else {
			if len(l.n.params) == 1 {
				local.valBuf[0] = it
				local.vals = local.valBuf[:1]
				local.names = l.n.scopeNames[:1:1] // full slice: appends must not touch the node
			} else {
				local.names, local.vals = nil, nil
			}
			local.vars = nil
			bound = true
		}
		res, err := ev.eval(body, input, local)
		if local.captured {
			local = nil // the closure keeps it
		}
		if rl, ok := res.(*lambda); ok && err == nil && rl.n.thunk {
			res, err = ev.runTailCalls(res, err, pos)
		}
		if err != nil {
			return err
		}
		if yield != nil {
			yield(i, res)
		} else if !isUndef(res) {
			*out = append(*out, res)
		}
	}
	if local != nil {
		ev.releaseScope(local)
	}
	return nil
}

// callIndexed is callHOF(fn, pos, item, index, array) that only builds the
// arguments fn accepts (most callbacks take just the item).
func (ev *evaluator) callIndexed(fn any, pos int, item any, index int, arr any) (any, error) {
	if l, ok := fn.(*lambda); ok && l.n.sig == nil && !l.n.thunk {
		// what callHOF and apply do for a lambda without a signature
		ev.steps++
		if ev.steps > ev.maxSteps {
			return nil, &Error{Code: "U1002", Position: pos, Message: messages["U1002"]}
		}
		var res any
		var err error
		if len(l.n.params) <= 1 {
			// a lambda copies its arguments into its scope before its body
			// runs, so one argument slice can serve every call
			args := ev.arg1[:]
			args[0] = item
			res, err = ev.callLambda(l, args)
		} else {
			res, err = ev.callLambda(l, []any{item, boxNum(float64(index)), arr})
		}
		if l, ok := res.(*lambda); ok && err == nil && l.n.thunk {
			return ev.runTailCalls(res, err, pos)
		}
		return res, err
	}
	if l, ok := fn.(*lambda); ok && len(l.n.params) <= 1 {
		args := ev.arg1[:]
		args[0] = item
		return ev.callHOF(fn, pos, args...)
	}
	return ev.callHOF(fn, pos, item, boxNum(float64(index)), arr)
}
