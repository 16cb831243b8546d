package jsonpath

import (
	"fmt"
	"strings"

	"github.com/statecraft/statecraft/jsonv"
)

// Expr is the value of a ".$" field: a path or an intrinsic function call.
type Expr struct {
	text      string
	path      *Path
	intrinsic *Intrinsic
}

// ParseExpr compiles the value of a ".$" field.
func ParseExpr(s string) (*Expr, error) {
	if strings.HasPrefix(s, "$") {
		p, err := Parse(s)
		if err != nil {
			return nil, err
		}
		return &Expr{text: s, path: p}, nil
	}
	if strings.HasPrefix(s, "States.") {
		f, err := ParseIntrinsic(s)
		if err != nil {
			return nil, err
		}
		return &Expr{text: s, intrinsic: f}, nil
	}
	return nil, fmt.Errorf("%q is neither a JSONPath nor an intrinsic function call", s)
}

// String returns the expression as written.
func (e *Expr) String() string { return e.text }

// Path returns the path when the expression is one.
func (e *Expr) Path() *Path { return e.path }

// Eval evaluates the expression. A path that matches nothing gives a
// *PathNotFoundError; intrinsic failures give an *Error.
func (e *Expr) Eval(s *Scope) (any, error) {
	if e.path != nil {
		v, ok := e.path.Get(s)
		if !ok {
			return nil, &PathNotFoundError{Path: e.text}
		}
		return v, nil
	}
	return e.intrinsic.Eval(s)
}

// Template is a compiled payload template: Parameters, ResultSelector,
// ItemSelector or Assign. Static parts are kept as built values and shared
// by every evaluation.
type Template struct {
	root    tnode
	static  bool
	literal any
	// size is jsonv.Size(literal) for a static template.
	size int
	// flat: the template is an object of at most maxFlat fields, each a
	// literal or a path (no intrinsic, no nested template), so EvalInto
	// can refill an object in place.
	flat bool
}

// maxFlat is the most fields EvalInto refills in place.
const maxFlat = 8

type tnode interface {
	// eval builds the node's value. With in >= 0 it also returns an upper
	// bound on the value's jsonv.Size, given in, a bound on the input's
	// (0 when unknown); the bound is 0 when it cannot be known.
	eval(s *Scope, in int) (any, int, error)
}

type objectNode struct {
	fields []tfield
	// fixed is the part of the size that does not depend on the input:
	// braces, commas, keys and static values.
	fixed int
	// unique: no two fields have the same output key ("a" and "a.$"), so
	// the payload is built by appending, without looking keys up.
	unique bool
}

type tfield struct {
	key   string // output key (without ".$")
	field string // key as written, for error messages
	node  tnode  // nil when static
	value any
	expr  *Expr
}

type arrayNode struct {
	elems []tfield
	fixed int
}

// CompileTemplate compiles a decoded JSON template. Keys ending in ".$" must
// hold a path or intrinsic call string.
func CompileTemplate(v any) (*Template, error) {
	n, static, err := compileNode(v)
	if err != nil {
		return nil, err
	}
	if static {
		return &Template{static: true, literal: v, size: jsonv.Size(v, 0)}, nil
	}
	t := &Template{root: n}
	if obj, ok := n.(*objectNode); ok && len(obj.fields) <= maxFlat {
		t.flat = true
		for _, f := range obj.fields {
			if f.node != nil || (f.expr != nil && f.expr.path == nil) {
				t.flat = false
			}
		}
	}
	return t, nil
}

// TemplateError names the field whose expression did not compile.
type TemplateError struct {
	Field string
	Err   error
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("the value for the field '%s' must be a valid JSONPath or a valid intrinsic function call: %v", e.Field, e.Err)
}

func (e *TemplateError) Unwrap() error { return e.Err }

func compileNode(v any) (tnode, bool, error) {
	switch x := v.(type) {
	case *jsonv.Object:
		obj := &objectNode{}
		static := true
		for k, val := range x.All() {
			if strings.HasSuffix(k, ".$") {
				s, ok := val.(string)
				if !ok {
					return nil, false, &TemplateError{Field: k, Err: fmt.Errorf("expected a string")}
				}
				e, err := ParseExpr(s)
				if err != nil {
					return nil, false, &TemplateError{Field: k, Err: err}
				}
				obj.fields = append(obj.fields, tfield{key: k[:len(k)-2], field: k, expr: e})
				static = false
				continue
			}
			n, st, err := compileNode(val)
			if err != nil {
				return nil, false, err
			}
			if st {
				obj.fields = append(obj.fields, tfield{key: k, field: k, value: val})
			} else {
				obj.fields = append(obj.fields, tfield{key: k, field: k, node: n})
				static = false
			}
		}
		obj.fields = awsFieldOrder(obj.fields)
		obj.unique = true
		seen := make(map[string]bool, len(obj.fields))
		for _, f := range obj.fields {
			if seen[f.key] {
				obj.unique = false
			}
			seen[f.key] = true
		}
		obj.fixed = containerFixed(len(obj.fields))
		for _, f := range obj.fields {
			obj.fixed += jsonv.Size(f.key, 0) + 1
			if f.node == nil && f.expr == nil {
				obj.fixed += jsonv.Size(f.value, 0)
			}
		}
		return obj, static, nil
	case []any:
		arr := &arrayNode{}
		static := true
		for _, e := range x {
			n, st, err := compileNode(e)
			if err != nil {
				return nil, false, err
			}
			if st {
				arr.elems = append(arr.elems, tfield{value: e})
			} else {
				arr.elems = append(arr.elems, tfield{node: n})
				static = false
			}
		}
		arr.fixed = containerFixed(len(arr.elems))
		for _, e := range arr.elems {
			if e.node == nil {
				arr.fixed += jsonv.Size(e.value, 0)
			}
		}
		return arr, static, nil
	}
	return nil, true, nil
}

// containerFixed is the size of an object's or array's brackets and commas.
func containerFixed(n int) int {
	if n == 0 {
		return 2
	}
	return 2 + n - 1
}

// Eval builds the payload. Path misses come back as *FieldError naming the
// field and path, so the caller can word AWS's States.Runtime cause.
func (t *Template) Eval(s *Scope) (any, error) {
	if t.static {
		return t.literal, nil
	}
	v, _, err := t.root.eval(s, -1)
	return v, err
}

// EvalBound is Eval that also returns an upper bound on jsonv.Size of the
// payload, given in, an upper bound on the size of s.Input (0: unknown).
// The bound is 0 when it cannot be known without measuring (a part of the
// payload comes from the context object, a variable or an intrinsic, or is
// a container taken from an input of unknown size).
func (t *Template) EvalBound(s *Scope, in int) (any, int, error) {
	if t.static {
		return t.literal, t.size, nil
	}
	if o, ok := t.root.(*objectNode); ok && s.Spare > 0 {
		return o.build(s, in, s.Spare)
	}
	return t.root.eval(s, in)
}

// EvalInto is EvalBound that builds the payload in dst, an object the
// caller owns and no longer needs (the input it is evaluated against may
// be dst or lie inside it): every value is read first, then dst is cleared
// and filled. It falls back to a new object when the template is not flat
// (see CanEvalInto) or a value read is dst itself.
func (t *Template) EvalInto(s *Scope, in int, dst *jsonv.Object) (any, int, error) {
	if !t.flat || dst == nil {
		return t.EvalBound(s, in)
	}
	o := t.root.(*objectNode)
	var vals [maxFlat]any
	bound := o.fixed
	for i := range o.fields {
		f := &o.fields[i]
		if f.expr == nil {
			vals[i] = f.value
			continue
		}
		v, err := f.expr.Eval(s)
		if err != nil {
			if pn, ok := err.(*PathNotFoundError); ok {
				return nil, 0, &FieldError{Field: f.field, Path: pn.Path}
			}
			return nil, 0, err
		}
		if m, ok := v.(*jsonv.Object); ok && m == dst {
			return t.EvalBound(s, in)
		}
		vals[i] = v
		if in >= 0 && bound > 0 {
			bound = addBound(bound, exprBound(f.expr, v, in))
		}
	}
	dst.Reset()
	for i := range o.fields {
		if o.unique {
			dst.Append(o.fields[i].key, vals[i])
		} else {
			dst.Set(o.fields[i].key, vals[i])
		}
	}
	if in < 0 {
		bound = 0
	}
	return dst, bound, nil
}

// CanEvalInto reports whether EvalInto can reuse an object.
func (t *Template) CanEvalInto() bool { return t.flat }

// IsStatic reports whether the template has no ".$" fields.
func (t *Template) IsStatic() bool { return t.static }

// FieldError is a path in a template that matched nothing.
type FieldError struct {
	Field string // e.g. "value.$"
	Path  string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("The JSONPath '%s' specified for the field '%s' could not be found in the input", e.Path, e.Field)
}

func (o *objectNode) eval(s *Scope, in int) (any, int, error) { return o.build(s, in, 0) }

// build is eval with room for spare more keys.
func (o *objectNode) build(s *Scope, in int, spare int) (any, int, error) {
	out := jsonv.NewObject(len(o.fields) + spare)
	bound := o.fixed
	for i := range o.fields {
		f := &o.fields[i]
		switch {
		case f.expr != nil:
			v, err := f.expr.Eval(s)
			if err != nil {
				if pn, ok := err.(*PathNotFoundError); ok {
					return nil, 0, &FieldError{Field: f.field, Path: pn.Path}
				}
				return nil, 0, err
			}
			o.put(out, f.key, v)
			if in >= 0 && bound > 0 {
				bound = addBound(bound, exprBound(f.expr, v, in))
			}
		case f.node != nil:
			v, b, err := f.node.eval(s, in)
			if err != nil {
				return nil, 0, err
			}
			o.put(out, f.key, v)
			bound = addBound(bound, b)
		default:
			o.put(out, f.key, f.value)
		}
	}
	if in < 0 {
		bound = 0
	}
	return out, bound, nil
}

// put adds a field to the payload being built.
func (o *objectNode) put(out *jsonv.Object, k string, v any) {
	if o.unique {
		out.Append(k, v)
	} else {
		out.Set(k, v)
	}
}

func (a *arrayNode) eval(s *Scope, in int) (any, int, error) {
	out := make([]any, len(a.elems))
	bound := a.fixed
	for i := range a.elems {
		e := &a.elems[i]
		if e.node != nil {
			v, b, err := e.node.eval(s, in)
			if err != nil {
				return nil, 0, err
			}
			out[i] = v
			bound = addBound(bound, b)
		} else {
			out[i] = e.value
		}
	}
	if in < 0 {
		bound = 0
	}
	return out, bound, nil
}

// addBound adds two size bounds, either of which may be unknown (0).
func addBound(a, b int) int {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a + b
}

// exprBound bounds the size of v, the value of e. A scalar is measured; an
// object or array is bounded by the input's size when e selected it from
// the input, and unknown otherwise.
func exprBound(e *Expr, v any, in int) int {
	switch x := v.(type) {
	case string:
		return jsonv.StringSize(x)
	case int64:
		return jsonv.IntSize(x)
	case *jsonv.Object, []any:
		if e.path != nil && e.path.IsInputReference() {
			return in
		}
		return 0
	}
	return jsonv.Size(v, 0)
}

// awsFieldOrder puts a template's fields in the order AWS gives the
// payload's keys: first the fields whose names do not end in ".$" (values
// and nested templates), in the definition's order, then the ".$" fields in
// the iteration order of a Java HashMap keyed by their names without the
// suffix. The recorded conformance cases show it: ItemSelector
// {"original_input.$", "iteration_input_value.$", "iteration_index.$",
// "from_input_constant.$", "constant_value"} gives constant_value,
// iteration_input_value, from_input_constant, iteration_index,
// original_input (scenarios_..._test_map_state_item_selector_singleton), and
// {"encoded.$", "decoded.$"} gives decoded, encoded, {"Question.$",
// "Answer.$"} gives Answer, Question (assign_test_..._REFERENCE_IN_...).
// JSONata templates keep the definition's order (asl.CompileQuery).
func awsFieldOrder(fields []tfield) []tfield {
	out := make([]tfield, 0, len(fields))
	var dyn []string
	var dynFields []tfield
	for _, f := range fields {
		if f.expr == nil {
			out = append(out, f)
		} else {
			dyn = append(dyn, f.key)
			dynFields = append(dynFields, f)
		}
	}
	for _, i := range javaHashOrder(dyn) {
		out = append(out, dynFields[i])
	}
	return out
}

// FlatField is one field of a flat template (see FlatFields): a literal
// Value, or, when Input is set, the value of the input's field Input
// ("key.$": "$.Input").
type FlatField struct {
	Key   string
	Value any
	Input string
	// IsInput says the field reads the input's field Input.
	IsInput bool
}

// FlatFields describes a template that EvalInto fills in place and whose
// every path is one field of the input: its fields in payload order, the
// fixed part of its size bound, and whether its keys are unique. ok is
// false for any other template. A host may then build the payload itself
// with the same result as EvalInto: the same keys in the same order, the
// same bound (an object or array value bounded by the input's bound).
func (t *Template) FlatFields() (fields []FlatField, fixed int, unique, ok bool) {
	if !t.flat {
		return nil, 0, false, false
	}
	o := t.root.(*objectNode)
	for _, f := range o.fields {
		ff := FlatField{Key: f.key, Value: f.value}
		if f.expr != nil {
			k, isField := f.expr.path.Field()
			if !isField {
				return nil, 0, false, false
			}
			ff.Input, ff.IsInput = k, true
		}
		fields = append(fields, ff)
	}
	return fields, o.fixed, o.unique, true
}
