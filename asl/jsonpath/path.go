// Package jsonpath evaluates the JSONPath side of the Amazon States Language:
// paths ($ for the state input, $$ for the context object, $name for a
// variable), payload templates (Parameters, ResultSelector, ItemSelector,
// Arguments with ".$" keys) and intrinsic functions (States.Format, ...).
//
// Simple paths ($.a.b[0]['c']) are compiled to a slice of steps and walked
// directly, because they are nearly all of what real definitions use and the
// interpreter's speed rests on them. Paths with wildcards, filters, slices or
// deep scans are handed to ohler55/ojg.
package jsonpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ohler55/ojg/jp"

	"github.com/statecraft/statecraft/jsonv"
)

// Root says what a path starts from.
type Root uint8

const (
	RootInput    Root = iota // $
	RootContext              // $$
	RootVariable             // $name
)

type step struct {
	key     string
	index   int
	isIndex bool
}

// Path is a compiled path. The zero value is not valid; use Parse.
type Path struct {
	text  string
	root  Root
	name  string // variable name when root is RootVariable
	steps []step
	expr  jp.Expr // set when the path is not simple
	// setCost bounds how much Set can grow a document beyond the size of
	// the value it places (see SetGrowth).
	setCost int
}

// Scope is what paths are evaluated against.
type Scope struct {
	Input any
	// Env supplies the context object ($$), variables ($name) and
	// randomness; nil means none of them. It is an interface so that the
	// interpreter can pass itself without allocating closures per state.
	Env Env
	// Spare is room for more keys that EvalBound leaves in a template's
	// top-level object, for a caller that will add fields to the payload
	// it owns (a ResultPath of a later state) without growing it.
	Spare int
}

// Env is what a Scope needs beyond the input. Each method reports false
// when it has nothing to give.
type Env interface {
	// ContextObject returns the context object; it is a method so that the
	// object is only built when a definition actually reads it.
	ContextObject() (any, bool)
	Variable(name string) (any, bool)
	// Random supplies randomness (States.UUID, States.MathRandom without a
	// seed). The interpreter draws it from a generator seeded by the event
	// being applied, so replaying an execution gives the same values.
	Random() (uint64, bool)
}

// FuncEnv is an Env made of optional functions, for tests and simple hosts.
type FuncEnv struct {
	Context func() any
	Var     func(name string) (any, bool)
	Rand    func() uint64
}

func (f FuncEnv) ContextObject() (any, bool) {
	if f.Context == nil {
		return nil, false
	}
	return f.Context(), true
}

func (f FuncEnv) Variable(name string) (any, bool) {
	if f.Var == nil {
		return nil, false
	}
	return f.Var(name)
}

func (f FuncEnv) Random() (uint64, bool) {
	if f.Rand == nil {
		return 0, false
	}
	return f.Rand(), true
}

// Parse compiles a path. It accepts every JSONPath form AWS accepts; the
// caller decides whether a path must be a reference path (IsReference).
func Parse(s string) (*Path, error) {
	p := &Path{text: s}
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("path %q must start with '$'", s)
	}
	rest := s[1:]
	switch {
	case strings.HasPrefix(rest, "$"):
		p.root = RootContext
		rest = rest[1:]
	case rest == "" || rest[0] == '.' || rest[0] == '[':
		p.root = RootInput
	default:
		p.root = RootVariable
		n := 0
		for n < len(rest) {
			r, size := utf8.DecodeRuneInString(rest[n:])
			if r == '.' || r == '[' {
				break
			}
			if !(unicode.IsLetter(r) || r == '_' || (n > 0 && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || unicode.Is(unicode.Pc, r)))) {
				return nil, fmt.Errorf("path %q: invalid variable name", s)
			}
			n += size
		}
		p.name = rest[:n]
		rest = rest[n:]
	}
	if steps, ok := parseSimple(rest); ok {
		p.steps = steps
		for _, st := range steps {
			if !st.isIndex {
				p.setCost += jsonv.Size(st.key, 0) + 3
			}
		}
		return p, nil
	}
	expr, err := jp.ParseString("$" + rest)
	if err != nil {
		return nil, fmt.Errorf("path %q: %v", s, err)
	}
	p.expr = expr
	return p, nil
}

// MustParse is Parse for paths known to be valid.
func MustParse(s string) *Path {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

// parseSimple compiles dot names, quoted bracket names and non-negative
// indexes; anything else reports false.
func parseSimple(s string) ([]step, bool) {
	var steps []step
	for len(s) > 0 {
		switch s[0] {
		case '.':
			s = s[1:]
			n := 0
			for n < len(s) && s[n] != '.' && s[n] != '[' {
				n++
			}
			name := s[:n]
			if name == "" || strings.ContainsAny(name, "*@?()'\",:= <>!") {
				return nil, false
			}
			steps = append(steps, step{key: name})
			s = s[n:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, false
			}
			inner := s[1:end]
			if len(inner) >= 2 && (inner[0] == '\'' && inner[len(inner)-1] == '\'' || inner[0] == '"' && inner[len(inner)-1] == '"') {
				name := inner[1 : len(inner)-1]
				if strings.ContainsAny(name, "'\"\\") {
					return nil, false
				}
				steps = append(steps, step{key: name})
			} else {
				i, err := strconv.Atoi(inner)
				if err != nil || i < 0 || strings.HasPrefix(inner, "+") {
					return nil, false
				}
				steps = append(steps, step{index: i, isIndex: true})
			}
			s = s[end+1:]
		default:
			return nil, false
		}
	}
	return steps, true
}

// String returns the path as written.
func (p *Path) String() string { return p.text }

// Root says whether the path reads the input, the context or a variable.
func (p *Path) Root() Root { return p.root }

// Variable returns the variable name of a $name path.
func (p *Path) Variable() string { return p.name }

// IsReference reports whether the path names one node (no wildcards, filters,
// slices or scans): the only kind ResultPath and Choice Variable accept.
func (p *Path) IsReference() bool { return p.expr == nil }

// IsInputReference reports whether the path names one node of the input
// ($, not $$ or a variable): what it selects is a sub-tree of the input, so
// its encoding is no longer than the input's.
func (p *Path) IsInputReference() bool { return p.root == RootInput && p.expr == nil }

// SetGrowth bounds the growth of Set: for a reference path,
// jsonv.Size(Set(doc, value)) <= jsonv.Size(doc) + jsonv.Size(value) +
// SetGrowth(). Each field step may add at most its key, a colon, a comma
// and (when the object was missing) a pair of braces; an index step only
// replaces an element.
func (p *Path) SetGrowth() int { return p.setCost }

// IsRoot reports whether the path is exactly "$".
func (p *Path) IsRoot() bool { return p.root == RootInput && p.expr == nil && len(p.steps) == 0 }

// Get evaluates the path. A reference path reports found=false when a step is
// missing; other paths return the array of every match.
func (p *Path) Get(s *Scope) (any, bool) {
	var doc any
	switch p.root {
	case RootInput:
		doc = s.Input
	case RootContext:
		if s.Env == nil {
			return nil, false
		}
		v, ok := s.Env.ContextObject()
		if !ok {
			return nil, false
		}
		doc = v
	case RootVariable:
		if s.Env == nil {
			return nil, false
		}
		v, ok := s.Env.Variable(p.name)
		if !ok {
			return nil, false
		}
		doc = v
	}
	return p.GetFrom(doc)
}

// GetFrom evaluates the path's steps against doc, ignoring the path's root.
func (p *Path) GetFrom(doc any) (any, bool) {
	if p.expr != nil {
		res := p.expr.Get(doc)
		if res == nil {
			res = []any{}
		}
		return res, true
	}
	for _, st := range p.steps {
		if st.isIndex {
			arr, ok := doc.([]any)
			if !ok || st.index >= len(arr) {
				return nil, false
			}
			doc = arr[st.index]
			continue
		}
		obj, ok := doc.(*jsonv.Object)
		if !ok {
			return nil, false
		}
		doc, ok = obj.Get(st.key)
		if !ok {
			return nil, false
		}
	}
	return doc, true
}

// ErrNotReference is returned by Set for paths that do not name one node.
var ErrNotReference = errors.New("not a reference path")

// Set returns doc with value placed at the path, creating missing objects on
// the way. doc itself is not changed: every container on the path is copied.
func (p *Path) Set(doc, value any) (any, error) {
	if p.expr != nil || p.root != RootInput {
		return nil, ErrNotReference
	}
	return set(doc, p.steps, value)
}

// SetOwned is Set for a caller that owns doc's top level: when doc is an
// object and the path's first step names a field, that field is replaced
// in doc itself instead of in a copy (containers below it are still
// copied). The caller must know that nothing else refers to doc and that
// value does not contain it.
func (p *Path) SetOwned(doc, value any) (any, error) {
	if p.expr != nil || p.root != RootInput {
		return nil, ErrNotReference
	}
	obj, ok := doc.(*jsonv.Object)
	if !ok || len(p.steps) == 0 || p.steps[0].isIndex || obj == nil {
		return set(doc, p.steps, value)
	}
	key := p.steps[0].key
	i := obj.Index(key)
	var cur any
	if i >= 0 {
		cur = obj.ValueAt(i)
	}
	child, err := set(cur, p.steps[1:], value)
	if err != nil {
		return nil, err
	}
	if i >= 0 {
		obj.SetAt(i, child)
	} else {
		obj.Add(key, child)
	}
	return obj, nil
}

func set(doc any, steps []step, value any) (any, error) {
	if len(steps) == 0 {
		return value, nil
	}
	st := steps[0]
	if st.isIndex {
		arr, ok := doc.([]any)
		if !ok || st.index >= len(arr) {
			return nil, fmt.Errorf("index [%d] is out of range or not an array", st.index)
		}
		child, err := set(arr[st.index], steps[1:], value)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(arr))
		copy(out, arr)
		out[st.index] = child
		return out, nil
	}
	var obj *jsonv.Object
	switch d := doc.(type) {
	case *jsonv.Object:
		obj = d
	case nil:
		// A missing node is created; an explicit null is not an object.
		if doc != nil {
			return nil, fmt.Errorf("cannot set field '%s' on a non-object", st.key)
		}
	default:
		return nil, fmt.Errorf("cannot set field '%s' on a non-object", st.key)
	}
	child, err := set(obj.Value(st.key), steps[1:], value)
	if err != nil {
		return nil, err
	}
	// A replaced key keeps its position and a new one goes last, as AWS
	// merges a ResultPath into the input (JavaScript object semantics).
	return obj.With(st.key, child), nil
}

// Bracketed renders a simple path the way AWS quotes it in errors:
// $['a']['b'][0].
func (p *Path) Bracketed() string {
	if p.expr != nil {
		return p.text
	}
	var b strings.Builder
	switch p.root {
	case RootContext:
		b.WriteString("$$")
	case RootVariable:
		b.WriteString("$" + p.name)
	default:
		b.WriteString("$")
	}
	for _, st := range p.steps {
		if st.isIndex {
			b.WriteString("[" + strconv.Itoa(st.index) + "]")
		} else {
			b.WriteString("['" + st.key + "']")
		}
	}
	return b.String()
}

// Field returns the field name of a path of one field on the input ($.a,
// $['a']) and true, "" and false for any other path: a host may place a
// value there directly.
func (p *Path) Field() (string, bool) {
	if p == nil || p.expr != nil || p.root != RootInput || len(p.steps) != 1 || p.steps[0].isIndex {
		return "", false
	}
	return p.steps[0].key, true
}
