package interp

import (
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

// ataBind's reusable $states object: a step whose object another step
// took over gets its own values back, and an expression that may hold on
// to $states gets an object of its own.
func TestAtaBindStatesScratch(t *testing.T) {
	x := &Execution{}
	f := &frame{}
	states := func(names []string, vals []any) *jsonv.Object {
		for i, n := range names {
			if n == "states" {
				return vals[i].(*jsonv.Object)
			}
		}
		t.Fatal("no $states")
		return nil
	}
	a := &ataCtx{input: int64(1)}
	b := &ataCtx{input: int64(2), result: "r", hasResult: true}
	sa := states(x.ataBind(f, a, false, false, nil))
	if jsonv.String(sa) != `{"input":1}` {
		t.Fatalf("a: %s", jsonv.String(sa))
	}
	sb := states(x.ataBind(f, b, false, false, nil))
	if sb != sa || jsonv.String(sb) != `{"input":2,"result":"r"}` {
		t.Fatalf("b: %s", jsonv.String(sb))
	}
	if sa := states(x.ataBind(f, a, false, false, nil)); jsonv.String(sa) != `{"input":1}` {
		t.Fatalf("a again: %s", jsonv.String(sa))
	}
	held := states(x.ataBind(f, a, false, true, nil))
	if held == sa || jsonv.String(held) != `{"input":1}` {
		t.Fatalf("held: %s (scratch %v)", jsonv.String(held), held == sa)
	}
	states(x.ataBind(f, b, false, false, nil))
	if jsonv.String(held) != `{"input":1}` {
		t.Fatalf("held after b: %s", jsonv.String(held))
	}
}

// Two steps on the same object input share the object's making; a step
// with a result after them does not see their $states, nor they its.
func TestAtaBindStatesShared(t *testing.T) {
	x := &Execution{}
	f := &frame{}
	in := jsonv.ObjectOf("n", int64(1))
	get := func(names []string, vals []any) string { return jsonv.String(vals[len(vals)-1]) }
	a, b := &ataCtx{input: in}, &ataCtx{input: in}
	if s := get(x.ataBind(f, a, false, false, nil)); s != `{"input":{"n":1}}` {
		t.Fatal(s)
	}
	gen := x.ata.gen
	if s := get(x.ataBind(f, b, false, false, nil)); s != `{"input":{"n":1}}` || x.ata.gen != gen {
		t.Fatalf("%s, generation %d after %d", s, x.ata.gen, gen)
	}
	r := &ataCtx{input: in, result: int64(2), hasResult: true}
	if s := get(x.ataBind(f, r, false, false, nil)); s != `{"input":{"n":1},"result":2}` {
		t.Fatal(s)
	}
	for _, c := range []*ataCtx{a, b} {
		if s := get(x.ataBind(f, c, false, false, nil)); s != `{"input":{"n":1}}` {
			t.Fatal(s)
		}
	}
	if s := get(x.ataBind(f, r, false, false, nil)); s != `{"input":{"n":1},"result":2}` {
		t.Fatal(s)
	}
}
