package jsonata

import (
	"math"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

// TestFastShapes compares evalFast's shapes with the general evaluator
// (shortcuts off) on inputs that keep them on the fast path and inputs
// that send them back: results must be the same, key order included, and
// errors the same, message and position included. checkSameSteps also
// requires the same least step and depth limits.
func TestFastShapes(t *testing.T) {
	input := mustParse(t, doc)
	exprs := []string{
		`$states.input.n > 50`, `$states.input.n = 50`, `$states.input.n != "x"`, `$states.input.n <= 50.5`,
		`$states.input.n + 1`, `$states.input.n * 0.5`, `$states.input.s < "m"`,
		`$states.input.n > 50 and $states.input.s = "a"`, `$states.input.n < 0 or $states.input.zz`,
		`$states.input.zz and true`, `$states.input.arr or false`, `$states.input.obj and 1`,
		`$states.input.n`, `$states.input.obj.k`, `$states.input`, `n`, `obj.k`, `$x`, `$$.n`,
		`$merge([$states.input, {'size': 'big'}])`, `$merge([$states.input])`,
		`$merge([$states.input.obj, {"k": $states.input.n, "1": 2, "0": 3, "f": 2.0, "g": 1.5}])`,
		`$merge([{"b": 1, "a": 2}, {"1": 3, "0": 4, "b": 5}])`,
		`$merge([$states.input, {"1": 0, "c": 1, "n": $states.input.zz}])`, `$merge([{"z": 1, "n": 0}, $states.input])`,
		`$merge([$states.input, $states.input.obj, {"k": 1}, $states.input])`,
		`$merge([$states.input, $states.input.zz, {"a": 1}])`, `$merge([$states.input.arr, {"a": 1}])`,
		`$merge([$states.input.s, {"a": 1}])`, `$merge([$states.input, $x])`,
		`{"a": $states.input.n, "b": $states.input.zz, "c": $states.input.arr, "d": 1.0, "10": 1, "2": 2}`,
		`{"k": $states.input.n > 3, "l": {"m": $states.input.s}}`,
	}
	inputs := []any{
		jsonv.ObjectOf("n", int64(77), "s", "a", "obj", jsonv.ObjectOf("k", "v"), "arr", []any{int64(1), int64(2)}),
		jsonv.ObjectOf("n", int64(3), "s", "zz", "obj", jsonv.ObjectOf(), "arr", []any{}),
		jsonv.ObjectOf("n", 50.5, "s", int64(1), "obj", "x"),
		jsonv.ObjectOf("n", 50.0, "s", nil, "obj", []any{jsonv.ObjectOf("k", 1.0)}),
		jsonv.ObjectOf("n", int64(1)<<62, "s", true, "obj", jsonv.ObjectOf("k", []any{jsonv.ObjectOf("k", int64(1))})),
		jsonv.ObjectOf("n", "77", "s", 1e300),
		jsonv.ObjectOf("n", nil),
		jsonv.ObjectOf("b", int64(1), "0", int64(2), "x", 3.0, "1", int64(4), "n", 5.5, "obj", jsonv.ObjectOf("1", 1.0, "k", int64(2))),
		jsonv.ObjectOf(),
		[]any{jsonv.ObjectOf("n", int64(77))},
		"text", int64(5), nil, input,
	}
	for _, in := range inputs {
		for _, x := range []any{int64(2), jsonv.ObjectOf("x", int64(1)), nil} {
			bindings := map[string]any{"states": jsonv.ObjectOf("input", in), "x": x}
			for _, src := range exprs {
				checkSameSteps(t, src, in, bindings)
				checkSameOrder(t, src, in, bindings)
			}
		}
	}
}

// checkSameOrder checks that the result's text (key order included) and
// error are the same with and without the shortcuts, through both ways of
// binding variables.
func checkSameOrder(t *testing.T, src string, input any, bindings map[string]any) {
	t.Helper()
	var names []string
	var vals []any
	for k, v := range bindings {
		names, vals = append(names, k), append(vals, v)
	}
	eval := func(fast bool) (string, string) {
		noFastPaths = !fast
		defer func() { noFastPaths = false }()
		e, err := Compile(src)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		v, err := e.EvalNamed(input, names, vals, Options{})
		v2, err2 := e.EvalWith(input, bindings, Options{})
		if jsonv.String(v) != jsonv.String(v2) || errText(err) != errText(err2) {
			t.Errorf("%q on %s: EvalNamed %s %v, EvalWith %s %v", src, jsonv.String(input), jsonv.String(v), err, jsonv.String(v2), err2)
		}
		return jsonv.String(v), errText(err)
	}
	fv, fe := eval(true)
	sv, se := eval(false)
	if fv != sv || fe != se {
		t.Errorf("%q on %s: %s %s with shortcuts, %s %s without", src, jsonv.String(input), fv, fe, sv, se)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	if je, ok := err.(*Error); ok {
		return je.Code + " " + je.Error() + " " + itoaTest(je.Position)
	}
	return err.Error()
}

func itoaTest(i int) string { return jsonv.String(int64(i)) }

// TestFastTaken checks that the shapes evalFast is for are answered by it,
// and that what must go to the evaluator does.
func TestFastTaken(t *testing.T) {
	in := jsonv.ObjectOf("n", int64(77), "arr", []any{int64(1)})
	st := jsonv.ObjectOf("input", in)
	fn := Function{Call: func([]any) (any, error) { return int64(1), nil }}
	cases := []struct {
		src   string
		names []string
		vals  []any
		fast  bool
	}{
		{`$states.input.n > 50`, []string{"states"}, []any{st}, true},
		{`$merge([$states.input, {'size': 'big'}])`, []string{"states"}, []any{st}, true},
		{`{"a": $states.input.n, "b": [1]}`, []string{"states"}, []any{st}, false},
		{`$states.input.n > 50 and $states.input.n < 100`, []string{"states"}, []any{st}, true},
		{`$merge([$states.input, {'size': 'big'}])`, []string{"states", "merge"}, []any{st, fn}, false},
		{`$merge([$states.input, {'size': 'big'}])`, []string{"merge", "states"}, []any{int64(1), st}, false},
		{`$x + 1`, []string{"x", "x"}, []any{int64(1), int64(2)}, true},
		{`$states.input.n > 50`, []string{"states", "f"}, []any{st, Function{Signature: "<n:n>", Call: fn.Call}}, false},
		{`$states.input.n > 50`, []string{"states", "f"}, []any{st, Function{Signature: "<bad", Call: fn.Call}}, false},
		{`$$.n + $states.input.n`, []string{"states"}, []any{st}, true},
		{`$zz.n`, []string{"states"}, []any{st}, true},
		{`$sum.n`, []string{"states"}, []any{st}, false},
		{`$merge([$states.input.arr, {'size': 'big'}])`, []string{"states"}, []any{st}, false},
		{`$f`, []string{"f"}, []any{fn}, false},
	}
	for _, c := range cases {
		e, err := Compile(c.src)
		if err != nil {
			t.Fatal(err)
		}
		_, _, ok := e.evalFast(in, nil, c.names, c.vals, 0, 0)
		if ok != c.fast {
			t.Errorf("%q %v: fast %v, want %v", c.src, c.names, ok, c.fast)
		}
		// whichever way, the answer is the general one
		got, err := e.EvalNamed(in, c.names, c.vals, Options{})
		noFastPaths = true
		slow, _ := Compile(c.src)
		noFastPaths = false
		want, werr := slow.EvalNamed(in, c.names, c.vals, Options{})
		if jsonv.String(got) != jsonv.String(want) || errText(err) != errText(werr) {
			t.Errorf("%q %v: %s %v, want %s %v", c.src, c.names, jsonv.String(got), err, jsonv.String(want), werr)
		}
	}
	// deep nesting is the evaluator's
	deep := strings.Repeat(`{"a": `, 120) + `$states.input.n` + strings.Repeat(`}`, 120)
	if e, err := Compile(deep); err != nil {
		t.Fatal(err)
	} else if _, _, ok := e.evalFast(in, nil, []string{"states"}, []any{st}, 0, 0); ok {
		t.Error("fast with 120 nested objects")
	}
	// near the limits the evaluator decides
	e, _ := Compile(`$states.input.n > 50`)
	if _, _, ok := e.evalFast(in, nil, []string{"states"}, []any{st}, 0, 10); ok {
		t.Error("fast with MaxSteps 10")
	}
	if _, _, ok := e.evalFast(in, nil, []string{"states"}, []any{st}, 3, 0); ok {
		t.Error("fast with MaxDepth 3")
	}
	_ = math.Inf
}
