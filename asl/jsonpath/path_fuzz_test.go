package jsonpath

import (
	"errors"
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

const fuzzPathDocJSON = `{"a":{"b":[1,{"c":"d"},[true,null]],"e":""},"list":[{"k":1},{"k":2,"x":[3]}],` +
	`"n":-2.5,"s":"str","null":null,"weird key":{"$":1,"..":2,"'":3},"":{"":0}}`

// FuzzPath parses arbitrary path text. Whatever parses must evaluate
// against a small document (input, context and variable roots) and be
// usable as a ResultPath without panicking; neither may change the
// document, and a successful Set must put the value where Get finds it.
func FuzzPath(f *testing.F) {
	for _, s := range []string{
		`$`, `$$`, `$.a`, `$.a.b[1].c`, `$['a']['b'][0]`, `$["a"]["e"]`, `$.a.b[2][1]`,
		`$.list[*].k`, `$.list[?(@.k > 1)]`, `$..k`, `$.a.b[0:2]`, `$.a.b[-1]`, `$.list[0,1]`,
		`$['weird key']['$']`, `$['weird key']['..']`, `$[''][''] `, `$.missing.deeper`,
		`$$.Execution.Input.a`, `$$.Map.Item.Value`, `$$.State.Name`, `$var`, `$var.field[0]`,
		`$.a.b[99]`, `$.s.x`, `$.null.x`, `$.n[0]`, `$[0]`, `$.`, `$..`, `$[`, `$[']`, `$['a'`,
		`$[+1]`, `$[1e3]`, `$[99999999999999999999]`, `$.a..b`, `$.*`, `$[*]`, `$..*`,
		`$[?(@.k == 'x')]`, `$.a['b'][1]["c"]`, `$.ä.ö`, "$.\xff", `$ex`, `$1`, `$_x.y`,
		`$.a[(@.length-1)]`, `$.a[?(@)]`, `$['a','s']`, `$.a.b[::2]`, `$.a.b[::-1]`, `$.a[0][0][0][0]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse(%q) returned a path and an error", s)
			}
			return
		}
		if p.String() != s {
			t.Fatalf("String() = %q, want %q", p.String(), s)
		}
		_ = p.Bracketed()

		doc, err := jsonv.ParseString(fuzzPathDocJSON)
		if err != nil {
			t.Fatal(err)
		}
		ctx, _ := jsonv.ParseString(`{"Execution":{"Input":` + fuzzPathDocJSON + `},"State":{"Name":"S"},"Map":{"Item":{"Index":0,"Value":[1]}}}`)
		before := jsonv.String(doc)
		scope := &Scope{
			Input: doc,
			Env: FuncEnv{
				Context: func() any { return ctx },
				Var: func(name string) (any, bool) {
					if name == "var" {
						return doc, true
					}
					return nil, false
				},
			},
		}
		if v, ok := p.Get(scope); ok {
			_ = jsonv.Marshal(v)
		}
		if v, ok := p.GetFrom(doc); ok {
			_ = jsonv.Marshal(v)
		}

		value := map[string]any{"set": int64(1)}
		out, err := p.Set(doc, value)
		switch {
		case !p.IsReference() || p.Root() != RootInput:
			if !errors.Is(err, ErrNotReference) {
				t.Fatalf("Set on %q (not an input reference path): err %v", s, err)
			}
		case err == nil:
			got, ok := p.GetFrom(out)
			if !ok || !jsonv.Equal(got, value) {
				t.Fatalf("after Set(%q), Get gives %v, %v", s, jsonv.String(got), ok)
			}
			if p.IsRoot() && !jsonv.Equal(out, value) {
				t.Fatalf("Set on $ gave %s", jsonv.String(out))
			}
		}
		if out, err := p.Set(nil, "x"); err == nil && p.IsReference() && p.Root() == RootInput {
			if got, ok := p.GetFrom(out); !ok || got != "x" {
				t.Fatalf("Set(%q) on null input: Get gives %v, %v", s, got, ok)
			}
		}
		if after := jsonv.String(doc); after != before {
			t.Fatalf("%q changed the document:\n%s\n%s", s, before, after)
		}
	})
}
