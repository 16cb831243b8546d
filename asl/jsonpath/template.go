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
}

type tnode interface {
	eval(s *Scope) (any, error)
}

type objectNode struct {
	fields []tfield
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
}

// CompileTemplate compiles a decoded JSON template. Keys ending in ".$" must
// hold a path or intrinsic call string.
func CompileTemplate(v any) (*Template, error) {
	n, static, err := compileNode(v)
	if err != nil {
		return nil, err
	}
	if static {
		return &Template{static: true, literal: v}, nil
	}
	return &Template{root: n}, nil
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
	case map[string]any:
		obj := &objectNode{}
		static := true
		for _, k := range jsonv.SortedKeys(x) {
			val := x[k]
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
		return arr, static, nil
	}
	return nil, true, nil
}

// Eval builds the payload. Path misses come back as *FieldError naming the
// field and path, so the caller can word AWS's States.Runtime cause.
func (t *Template) Eval(s *Scope) (any, error) {
	if t.static {
		return t.literal, nil
	}
	return t.root.eval(s)
}

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

func (o *objectNode) eval(s *Scope) (any, error) {
	out := make(map[string]any, len(o.fields))
	for i := range o.fields {
		f := &o.fields[i]
		switch {
		case f.expr != nil:
			v, err := f.expr.Eval(s)
			if err != nil {
				if pn, ok := err.(*PathNotFoundError); ok {
					return nil, &FieldError{Field: f.field, Path: pn.Path}
				}
				return nil, err
			}
			out[f.key] = v
		case f.node != nil:
			v, err := f.node.eval(s)
			if err != nil {
				return nil, err
			}
			out[f.key] = v
		default:
			out[f.key] = f.value
		}
	}
	return out, nil
}

func (a *arrayNode) eval(s *Scope) (any, error) {
	out := make([]any, len(a.elems))
	for i := range a.elems {
		e := &a.elems[i]
		if e.node != nil {
			v, err := e.node.eval(s)
			if err != nil {
				return nil, err
			}
			out[i] = v
		} else {
			out[i] = e.value
		}
	}
	return out, nil
}
