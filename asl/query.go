package asl

import (
	"errors"
	"maps"
	"strings"

	"github.com/statecraft/statecraft/jsonata"

	"github.com/statecraft/statecraft/jsonv"
)

// Query is the value of a field of a JSONata state (Arguments, Output,
// Assign, Items, Condition, Seconds, ...): a literal, a "{% expression %}"
// string, or an object or array holding expressions at any depth. Each
// expression is compiled once, when the definition is parsed.
type Query struct {
	// Location names the field as AWS reports it: "Output",
	// "Output/result", "Assign/x".
	Location string
	// Const marks a value with no expression anywhere: Lit is the value.
	Const bool
	Lit   any
	// Expr is set for a "{% ... %}" string; Src is its trimmed text.
	Expr   *jsonata.Expr
	Src    string
	noEval bool // mentions $eval, which must not resolve
	// Keys and Fields are an object's members (sorted by key); Items an
	// array's elements.
	Keys   []string
	Fields []*Query
	Items  []*Query
	IsObj  bool
	IsArr  bool
	// UsesContext is set when an expression may read $states.context (or
	// the whole $states), so evaluation builds the context object only then.
	UsesContext bool
	// HoldsStates is set when an expression may take the $states object
	// itself as a value, not only the members it reads (UsesContext, or
	// a parent operator that could climb back to it). Without it, the
	// evaluation leaves nothing that refers to $states, and the host may
	// reuse that object.
	HoldsStates bool
	// Funcs lists the Step Functions functions ($partition, $uuid, ...)
	// the expressions mention, so that only those are bound.
	Funcs []string
	// FastRoot and fastPath are set for a plain field path such as
	// $states.input.a.b: FastRoot names the $states member ("input",
	// "result" or "errorOutput"), fastPath the fields below it.
	FastRoot string
	fastPath []string
	// CmpRoot, cmpPath, cmpOp and cmpNum are set for a comparison of a
	// plain field path of $states with a number, such as
	// $states.input.n > 50 (jsonata.Expr.PathComparison), which
	// FastCompare answers when the path leads to a number.
	CmpRoot string
	cmpPath []string
	cmpOp   string
	cmpNum  float64
	// LitSize is the size of Lit (Const queries); FrameSize, of an
	// object's braces, commas and keys with their colons (IsObj queries):
	// the size of an object value is FrameSize plus its members' sizes.
	LitSize   int
	FrameSize int
}

// ExtraFunctions are the functions Step Functions adds to JSONata.
var ExtraFunctions = []string{"partition", "range", "hash", "random", "uuid", "parse"}

// IsExpression reports whether s is a JSONata expression string "{% ... %}".
func IsExpression(s string) bool {
	return len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}")
}

// QueryCompileError is a JSONata expression that does not compile.
type QueryCompileError struct {
	Location string
	Src      string
	Err      error
}

func (e *QueryCompileError) Error() string {
	return "the JSONata expression '" + e.Src + "' specified for the field '" + e.Location + "' is invalid: " + e.Err.Error()
}

// CompileQuery compiles a JSONata-state field value found at location.
func CompileQuery(v any, location string) (*Query, error) {
	q := &Query{Location: location}
	switch x := v.(type) {
	case string:
		if !IsExpression(x) {
			q.Const, q.Lit, q.LitSize = true, x, jsonv.StringSize(x)
			return q, nil
		}
		src := strings.TrimSpace(x[2 : len(x)-2])
		e, err := jsonata.Compile(src)
		if err != nil {
			return nil, &QueryCompileError{Location: location, Src: src, Err: err}
		}
		q.Expr, q.Src = e, src
		// AWS accepts $eval in a definition but has no such function: a
		// call fails at run time with T1006, whatever the engine offers.
		q.noEval = usesEval(src)
		q.UsesContext = readsContext(src)
		q.HoldsStates = q.UsesContext || strings.Contains(src, "%")
		q.FastRoot, q.fastPath = simplePath(src)
		if name, fields, op, num, ok := e.PathComparison(); ok && name == "states" && len(fields) > 0 {
			switch fields[0] {
			case "input", "result", "errorOutput":
				q.CmpRoot, q.cmpPath, q.cmpOp, q.cmpNum = fields[0], fields[1:], op, num
			}
		}
		for _, name := range ExtraFunctions {
			if mentions(src, "$"+name) {
				q.Funcs = append(q.Funcs, name)
			}
		}
		return q, nil
	case *jsonv.Object:
		q.IsObj = true
		q.Const = true
		// Fields keep the definition's order, which the output keeps.
		for k, e := range x.All() {
			c, err := CompileQuery(e, location+"/"+k)
			if err != nil {
				return nil, err
			}
			q.Keys = append(q.Keys, k)
			q.Fields = append(q.Fields, c)
			q.Const = q.Const && c.Const
			q.UsesContext = q.UsesContext || c.UsesContext
			q.HoldsStates = q.HoldsStates || c.HoldsStates
			q.Funcs = mergeNames(q.Funcs, c.Funcs)
		}
		q.FrameSize = 2
		if len(q.Keys) > 0 {
			q.FrameSize += len(q.Keys) - 1
		}
		for _, k := range q.Keys {
			q.FrameSize += jsonv.StringSize(k) + 1
		}
		if q.Const {
			q.Lit, q.LitSize = x, jsonv.Size(x, 0)
		}
		return q, nil
	case []any:
		q.IsArr = true
		q.Const = true
		for i, e := range x {
			c, err := CompileQuery(e, location+"["+itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			q.Items = append(q.Items, c)
			q.Const = q.Const && c.Const
			q.UsesContext = q.UsesContext || c.UsesContext
			q.HoldsStates = q.HoldsStates || c.HoldsStates
			q.Funcs = mergeNames(q.Funcs, c.Funcs)
		}
		if q.Const {
			q.Lit, q.LitSize = x, jsonv.Size(x, 0)
		}
		return q, nil
	}
	q.Const, q.Lit, q.LitSize = true, v, jsonv.Size(v, 0)
	return q, nil
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func mergeNames(a, b []string) []string {
	for _, n := range b {
		found := false
		for _, m := range a {
			found = found || m == n
		}
		if !found {
			a = append(a, n)
		}
	}
	return a
}

// simplePath recognises "$states.<input|result|errorOutput>(.name)*" with
// plain identifiers, which FastEval answers without the engine.
func simplePath(src string) (string, []string) {
	parts := strings.Split(src, ".")
	if len(parts) < 2 || parts[0] != "$states" {
		return "", nil
	}
	switch parts[1] {
	case "input", "result", "errorOutput":
	default:
		return "", nil
	}
	for _, p := range parts[2:] {
		if !plainName(p) {
			return "", nil
		}
	}
	return parts[1], parts[2:]
}

func plainName(s string) bool {
	switch s {
	case "", "and", "or", "in", "true", "false", "null", "function":
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// FastEval evaluates a plain field path (FastRoot set) against the value
// of its $states member when the answer is certain to be the engine's: it
// walks objects only and returns a value that is not an array or a
// fractional-looking number. ok is false when the engine must decide
// (arrays on the way, missing fields, ...).
func (q *Query) FastEval(root any) (v any, ok bool) {
	v = root
	for _, name := range q.fastPath {
		m, isObj := v.(*jsonv.Object)
		if !isObj {
			return nil, false
		}
		if v, ok = m.Get(name); !ok {
			return nil, false
		}
	}
	switch x := v.(type) {
	case []any:
		return nil, false
	case float64:
		if x == float64(int64(x)) {
			return nil, false
		}
	}
	return v, true
}

// FastCompare answers a comparison (CmpRoot set) given the value of its
// $states member, when the path leads through objects to an int64 or
// float64: the engine compares numbers as numbers. ok is false for
// anything else (a missing field, an array, another type), which the
// engine must decide.
func (q *Query) FastCompare(root any) (result, ok bool) {
	v := root
	for _, name := range q.cmpPath {
		m, isObj := v.(*jsonv.Object)
		if !isObj {
			return false, false
		}
		if v, ok = m.Get(name); !ok {
			return false, false
		}
	}
	var f float64
	switch x := v.(type) {
	case int64:
		f = float64(x)
	case float64:
		f = x
	default:
		return false, false
	}
	switch q.cmpOp {
	case "<":
		return f < q.cmpNum, true
	case "<=":
		return f <= q.cmpNum, true
	case ">":
		return f > q.cmpNum, true
	case ">=":
		return f >= q.cmpNum, true
	case "=":
		return f == q.cmpNum, true
	case "!=":
		return f != q.cmpNum, true
	}
	return false, false
}

// usesEval reports whether the expression calls $eval (and not, say, a
// variable named $evaluate).
func usesEval(src string) bool { return mentions(src, "$eval") }

// mentions reports whether src holds the name (with its '$') as a whole
// identifier.
func mentions(src, name string) bool {
	for i := 0; ; {
		j := strings.Index(src[i:], name)
		if j < 0 {
			return false
		}
		k := i + j + len(name)
		if k >= len(src) || !isIdentChar(src[k]) {
			return true
		}
		i = k
	}
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// readsContext is a conservative test for "may read $states.context": any
// mention of $states other than $states.input/.result/.errorOutput.
func readsContext(src string) bool {
	for i := 0; ; {
		j := strings.Index(src[i:], "$states")
		if j < 0 {
			return false
		}
		k := i + j + len("$states")
		rest := src[k:]
		switch {
		case strings.HasPrefix(rest, ".input") && !startsIdent(rest[len(".input"):]):
		case strings.HasPrefix(rest, ".result") && !startsIdent(rest[len(".result"):]):
		case strings.HasPrefix(rest, ".errorOutput") && !startsIdent(rest[len(".errorOutput"):]):
		case len(rest) > 0 && isIdentChar(rest[0]):
			// another variable such as $statesX
		default:
			return true
		}
		i = k
	}
}

func startsIdent(s string) bool { return len(s) > 0 && isIdentChar(s[0]) }

// QueryError is a failed evaluation of a Query.
type QueryError struct {
	Location string
	Src      string
	// Undefined: the expression returned nothing.
	Undefined bool
	// Err is the engine's error otherwise.
	Err error
}

func (e *QueryError) Error() string {
	if e.Undefined {
		return "The JSONata expression '" + e.Src + "' specified for the field '" + e.Location + "' returned nothing (undefined)."
	}
	msg := e.Err.Error()
	var je *jsonata.Error
	if errors.As(e.Err, &je) {
		m := je.Message
		if m == "" {
			m = je.Error()
		}
		if m != "" {
			m = strings.ToUpper(m[:1]) + m[1:]
		}
		msg = je.Code + ": " + m
	}
	return "The JSONata expression '" + e.Src + "' specified for the field '" + e.Location + "' threw an error during evaluation. " + msg
}

// Eval evaluates the query with the given bindings ($states, variables and
// host functions). Literal parts are returned as they are, unshared copies
// are not made: callers must not modify the result in place.
func (q *Query) Eval(input any, bindings map[string]any, opts jsonata.Options) (any, *QueryError) {
	return q.eval(input, binds{m: bindings}, opts)
}

// EvalNamed is Eval with the bindings given as names and values (see
// jsonata.Expr.EvalNamed).
func (q *Query) EvalNamed(input any, names []string, vals []any, opts jsonata.Options) (any, *QueryError) {
	return q.eval(input, binds{names: names, vals: vals}, opts)
}

// binds are bindings in either form.
type binds struct {
	m     map[string]any
	names []string
	vals  []any
}

func (b binds) get(name string) (any, bool) {
	if b.m != nil {
		v, ok := b.m[name]
		return v, ok
	}
	for i, n := range b.names {
		if n == name {
			return b.vals[i], true
		}
	}
	return nil, false
}

func (q *Query) eval(input any, b binds, opts jsonata.Options) (any, *QueryError) {
	if q.Const {
		return q.Lit, nil
	}
	switch {
	case q.Expr != nil:
		if q.FastRoot != "" || q.CmpRoot != "" {
			sv, _ := b.get("states")
			if st, ok := sv.(*jsonv.Object); ok {
				if q.FastRoot != "" {
					if root, ok := st.Get(q.FastRoot); ok {
						if v, ok := q.FastEval(root); ok {
							return v, nil
						}
					}
				} else if root, ok := st.Get(q.CmpRoot); ok {
					if r, ok := q.FastCompare(root); ok {
						return r, nil
					}
				}
			}
		}
		var v any
		var err error
		if b.m != nil {
			bindings := b.m
			if q.noEval {
				bindings = maps.Clone(bindings)
				bindings["eval"] = nil
			}
			v, err = q.Expr.EvalWith(input, bindings, opts)
		} else {
			names, vals := b.names, b.vals
			if q.noEval {
				names = append(names[:len(names):len(names)], "eval")
				vals = append(vals[:len(vals):len(vals)], nil)
			}
			v, err = q.Expr.EvalNamed(input, names, vals, opts)
		}
		if err == jsonata.ErrUndefined {
			return nil, &QueryError{Location: q.Location, Src: q.Src, Undefined: true}
		}
		if err != nil {
			return nil, &QueryError{Location: q.Location, Src: q.Src, Err: err}
		}
		return v, nil
	case q.IsObj:
		out := jsonv.NewObject(len(q.Keys))
		for i, k := range q.Keys {
			v, err := q.Fields[i].eval(input, b, opts)
			if err != nil {
				return nil, err
			}
			out.Set(k, v)
		}
		return out, nil
	case q.IsArr:
		out := make([]any, len(q.Items))
		for i, c := range q.Items {
			v, err := c.eval(input, b, opts)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return q.Lit, nil
}

// TypeProbe compiles "$type((src))" for telling a function result (which
// the engine exports as null) from a real null.
func (q *Query) TypeProbe() *jsonata.Expr {
	if q.Expr == nil {
		return nil
	}
	e, err := jsonata.Compile("$type((" + q.Src + "))")
	if err != nil {
		return nil
	}
	return e
}
