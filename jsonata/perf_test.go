package jsonata

import (
	"math"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

// TestFastPaths covers the evaluator's shortcuts (reused lambda scopes,
// plain variable paths, ...) against results that the general machinery
// gives.
func TestFastPaths(t *testing.T) {
	input := mustParse(t, doc)
	cases := []struct{ expr, want string }{
		// lambda scopes are reused between calls unless a closure holds them
		{`$map([1,2,3], function($v){function(){$v}}) ~> $map(function($f){$f()})`, `[1,2,3]`},
		{`$map([1,2,3], function($v){($g := function(){$v}; $g)}).$()`, `[1,2,3]`},
		{`($fs := $map([1,2], function($v){ {"f": function(){$v * 10}} }); $fs.f.$())`, ``},
		{`$map([{"a":1},{"a":2}], function($v){ $v ~> |$|{"b": $v.a}| })`, `[{"a":1,"b":1},{"a":2,"b":2}]`},
		{`($f := function($n){$n <= 1 ? [$n] : [$f($n - 1), $n]}; $f(4))`, `[1,2,3,4]`},
		{`$map([1,2], function($v){$map([10,20], function($w){$v + $w})})`, `[[11,21],[12,22]]`},
		{`$map([1,2], function($v){($x := $v * 2; $x)})`, `[2,4]`},
		{`$map([1,2], function($v){$x := $v * 3})`, `[3,6]`},
		{`$map([1,2], function($v){$eval("$v + 1") + 0})`, `[2,3]`},
		{`$map([1,2], function($v){ {"f": $eval("function(){$v}")} }) ~> $map(function($o){($g := $o.f; $g())})`, `[1,2]`},
		{`$map([1,2,3], function($v, $i){$i})`, `[0,1,2]`},
		{`$reduce([1,2,3], function($a, $b){$a + $b})`, `6`},
		// callbacks: direct lambda calls, tail calls, signatures, arities
		{`$map([1,2], function($v){$string($v)})`, `["1","2"]`},
		{`$map([1,2], λ($v)<n:n>{$v * 2})`, `[2,4]`},
		{`$map([1,2], function($v, $i, $a){[$v, $i, $count($a)]})`, `[[1,0,2],[2,1,2]]`},
		{`$map([1,2], function($v, $i, $a, $x){$exists($x)})`, `[false,false]`},
		{`$map([1,2], function(){7})`, `[7,7]`},
		{`$map([1,2], function($v, $v){$v})`, `[0,1]`},
		{`$filter($o.orders, function($v){$v.id > 1}).id`, `2`},
		{`$filter([1,2,3,4], function($v){$v % 2 = 0})`, `[2,4]`},
		{`$filter([1,2,3], function($v){$boolean($v - 2)})`, `[1,3]`},
		{`$filter([1,2,3], function(){true})`, `[1,2,3]`},
		{`$filter([1,2,3], function($v, $i){$i > 0})`, `[2,3]`},
		{`($fs := $filter([1,2,3], function($v){($g := function(){$v}; $v > 1)}); $fs)`, `[2,3]`},
		{`$map([1,2,3], function($v){($v > 1 ? function(){$v} : $v)}) ~> $map(function($f){$type($f) = "function" ? $f() : $f})`, `[1,2,3]`},
		{`$map([1,2,3], function($v){[$x := $v, $y := $x * 2, $y]})`, `[[1,2,2],[2,4,4],[3,6,6]]`},
		{`$map([1,2,3], function($v){$exists($x) ? 0 : ($x := $v)})`, `[1,2,3]`},
		{`$map([1,2,3], function($v){$x := ($exists($x) ? 0 : $v)})`, `[1,2,3]`},
		{`$map([1,2,3], function(){$x := ($exists($x) ? 0 : 5)})`, `[5,5,5]`},
		{`$map([1,2,3], function($v){$a := $b := $c := $d := $e := $f := $g := $h := $i := ($exists($i) ? 0 : $v)})`, `[1,2,3]`},
		{`$map([1,2], function($v){$map([3,4], function($w){$v * $w})})`, `[[3,4],[6,8]]`},
		{`$map($o.orders, function($v){$v.id * 2})`, `[2,4]`},
		{`$map($o.orders, function($v){$v.items.q})`, `[[2,1],5]`},
		{`($f := function($n){$n = 0 ? 0 : $f($n - 1)}; $map([3, 4], $f))`, `[0,0]`},
		// variable paths
		{`$o.a.b.c`, `42`}, {`$o.n`, `[1,2,3]`}, {`$o.n[0]`, `1`}, {`$o.orders.id`, `[1,2]`},
		{`$o.orders.items.p`, `["x","y","x"]`}, {`$o.a.zz.c`, ``}, {`$o.s.x`, ``},
		{`$o.a.b.c.d`, ``}, {`$seq.a`, `[1,2]`}, {`$arr.a`, `[1,2]`}, {`$one.a`, `1`},
		{`$o.orders[id = 2].items.q`, `5`}, {`$o.orders.items[q > 1].p`, `["x","x"]`},
		{`$count($o.orders.items)`, `3`}, {`$sum($o.orders.items.q)`, `8`},
		// object constructors
		{`{"a": 1, "b": $o.s, "c": $o.zz}`, `{"a":1,"b":"Hello"}`}, {`{"a": 1, "a": 2}`, `ERR:D1009`},
		{`{1: 2}`, `ERR:T1003`}, {`{$o.zz: 1, "k": 2}`, `{"k":2}`}, {`$keys({"z": 1, "a": 2, "m": 3})`, `["z","a","m"]`},
		{`$string({"z": 1, "a": {"y": 1, "b": 2}})`, `"{\"z\":1,\"a\":{\"y\":1,\"b\":2}}"`},
		{`[{"a": 1}].{"k": a}`, `{"k":1}`}, {`[].{"k": 1}`, `[]`}, {`orders{"k": $count(items)}`, `{"k":3}`},
		{`a.b{"c": c + 1}`, `{"c":43}`}, {`orders.items{p: q}`, `{"x":[2,5],"y":1}`},
		{`{"a": $, "b": $.s}.b`, `"Hello"`}, {`{"k": 1, "l": function(){2}}.l()`, `2`},
		// relative paths
		{`a.b.c`, `42`}, {`a.zz`, ``}, {`orders.id`, `[1,2]`}, {`orders[$count(items) > 1].id`, `1`},
		{`a.b.c[]`, `[42]`}, {`a.b{"k": c}`, `{"k":42}`}, {`s.x`, ``}, {`n.x`, ``},
		{`orders.items[q > 1].p`, `["x","x"]`}, {`orders[0].items[0].p`, `"x"`},
		{`$map(orders, function($o){$o.items[p = "x"].q})`, `[2,5]`},
		{`$.a.b.c`, `42`}, {`$$.a.b.c`, `42`}, {`a.b.(c)`, `42`}, {`a.b.c.%.c`, `42`},
		{`$o.a.b[]`, `[{"c":42}]`},
		// operators over direct operands
		{`$o.a.b.c + 1`, `43`}, {`$o.a.b.c * $o.n[1]`, `84`}, {`$o.zz + 1`, ``}, {`$o.n = [1,2,3]`, `true`},
		{`$o.s & "!" & $o.zz`, `"Hello!"`}, {`$o.a.b.c > 40 and $o.s = "Hello"`, `true`},
		{`$o.s + 1`, `ERR:T2001`}, {`1 - $o.s`, `ERR:T2002`}, {`$o.n > 1`, `ERR:T2010`}, {`$o.a < "x"`, `ERR:T2010`},
		{`1 / 0 + 1`, `ERR:D1001`}, {`$o.s in ["Hello"]`, `true`}, {`$o.a.b.c % 5`, `2`},
		{`$map($o.n, function($v){$v / 2})`, `[0.5,1,1.5]`},
		// fused operators on literals, variables and plain paths
		{`$map([1,2,3], function($v){$v * 2})`, `[2,4,6]`}, {`$map([1,2,3], function($v){10 - $v})`, `[9,8,7]`},
		{`$map($o.orders, function($v){$v.id + 1})`, `[2,3]`}, {`$map($o.orders, function($v){2 - $v.id})`, `[1,0]`},
		{`$map($o.orders, function($v){$v.id / $v.id})`, `[1,1]`}, {`$map($o.orders, function($v){$v.items * 2})`, `ERR:T2001`},
		{`$map($o.orders, function($v){$v.zz * 2})`, ``}, {`$map($o.orders, function($v){$v.id.x % 2})`, ``},
		{`$map([{"x": 1}, {"y": 2}, 3, "s", null, [4]], function($v){$v.x * 2})`, `2`},
		{`$map([{"x": [1, 2]}], function($v){$v.x * 2})`, `ERR:T2001`},
		{`$map([{"x": 1}, [{"x": 2}], {"x": 3}, 5], function($v){$v.x * 2})`, `[2,4,6]`},
		{`$map([{"x": 1}, {"x": "a"}], function($v){$v.x * 2})`, `ERR:T2001`},
		{`$filter([{"x": 1}, [{"x": 2}], {"x": 3}], function($v){$v.x > 1})`, `[[{"x":2}],{"x":3}]`},
		{`$o.a.b.c + $o.a.b.c`, `84`}, {`$o.zz * 2`, ``}, {`2 * $o.zz`, ``}, {`$o.zz * $o.zz`, ``},
		{`$o.s * 2`, `ERR:T2001`}, {`2 * $o.s`, `ERR:T2002`}, {`$o.a * 2`, `ERR:T2001`}, {`$o.n * 2`, `ERR:T2001`},
		{`$o.zz * "x"`, `ERR:T2002`}, {`true * $o.zz`, `ERR:T2001`}, {`$seq * 2`, `ERR:T2001`}, {`$one.a * 2`, `2`},
		{`$inf * 2`, `ERR:D1001`}, {`2 - $inf`, `ERR:D1001`}, {`$nan + 1`, `ERR:D1001`}, {`$inf + $o.zz`, ``},
		{`$inf < 1`, `false`}, {`$nan = $nan`, `false`}, {`$inf = $inf`, `true`}, {`$o.a.b.c % 5 = 2`, `true`},
		{`$o.s < "z"`, `true`}, {`$o.s >= "Hello"`, `true`}, {`"a" > $o.s`, `true`}, {`$o.a.b.c > 41`, `true`},
		{`$o.a.b.c <= 41`, `false`}, {`$o.s > 1`, `ERR:T2009`}, {`1 > $o.s`, `ERR:T2009`}, {`$o.zz < 1`, ``},
		{`$o.s < $o.zz`, ``}, {`true < $o.zz`, `ERR:T2010`}, {`$o.zz < null`, `ERR:T2010`}, {`$o.a < 1`, `ERR:T2010`},
		{`$o.s = "Hello"`, `true`}, {`$o.a.b.c != 42`, `false`}, {`$o.zz = 1`, `false`}, {`$o.zz != 1`, `false`},
		{`$o.a.b.c = "42"`, `false`}, {`"42" = $o.a.b.c`, `false`}, {`null = $o.zz`, `false`}, {`null = null`, `true`},
		{`true = true`, `true`}, {`true != false`, `true`}, {`null = 0`, `false`}, {`0 = null`, `false`},
		{`$o.a = $o.a`, `true`}, {`$o.orders[0] = $o.orders[0]`, `true`}, {`$o.n = $o.n`, `true`},
		{`($f := function(){1}; [$f = 1, 1 = $f, $f != "x", $f = $f])`, `[false,false,true,false]`},
		{`($f := function(){1}; $f * 2)`, `ERR:T2001`}, {`($f := function(){1}; $f < 2)`, `ERR:T2010`},
		{`orders[id > 1].id`, `2`}, {`orders.items[q >= 2].p`, `["x","x"]`}, {`orders.items[p = "y"].q`, `1`},
		{`[1, {"q": 3}, "x", [{"q": 4}], {"q": 0}][q > 1].q`, `[3,4]`}, {`$filter($o.orders, function($v){$v.id = 2}).id`, `2`},
		{`$filter([1,2,3,4], function($v){$v > 2})`, `[3,4]`}, {`$map([1,2], function($v){$v.x = $v})`, `[false,false]`},
		{`$o.a.b.c ? $o.s : 0`, `"Hello"`}, {`$o.zz ?? $o.s`, `"Hello"`}, {`$o.n ?: 0`, `[1,2,3]`}, {`$o.a.b.c[]`, `[42]`}, {`$o.n.$`, `[1,2,3]`},
	}
	bindings := map[string]any{
		"o":   input,
		"arr": []any{jsonv.ObjectOf("a", 1.0), jsonv.ObjectOf("a", 2.0)},
		"one": []any{jsonv.ObjectOf("a", 1.0)},
		"inf": math.Inf(1),
		"nan": math.NaN(),
	}
	seq, err := Compile(`[{"a":1},{"a":2}].$`)
	if err != nil {
		t.Fatal(err)
	}
	if bindings["seq"], err = seq.Eval(nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		checkSameSteps(t, c.expr, input, bindings)
		e, err := Compile(c.expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", c.expr, err)
			continue
		}
		got, err := e.Eval(input, bindings)
		if code, ok := strings.CutPrefix(c.want, "ERR:"); ok {
			if !isCode(err, code) {
				t.Errorf("Eval(%q) = %v, %v, want error %s", c.expr, got, err, code)
			}
			continue
		}
		if c.want == "" {
			if err != nil && err != ErrUndefined {
				t.Errorf("Eval(%q): %v", c.expr, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Eval(%q): %v", c.expr, err)
			continue
		}
		if want := mustParse(t, c.want); !jsonv.Equal(want, got) {
			t.Errorf("Eval(%q) = %s, want %s", c.expr, jsonv.String(got), c.want)
		}
	}
}

// checkSameSteps checks that expr needs exactly as many steps with the
// evaluator's shortcuts as without (the least MaxSteps that succeeds), and
// gives the same result.
func checkSameSteps(t *testing.T, expr string, input any, bindings map[string]any) {
	t.Helper()
	least := func(fast bool) (int, int, any, error) {
		noFastPaths = !fast
		defer func() { noFastPaths = false }()
		e, err := Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		want, wantErr := e.Eval(input, bindings)
		lo, hi := 1, 100000
		for lo < hi {
			mid := (lo + hi) / 2
			if _, err := e.EvalWith(input, bindings, Options{MaxSteps: mid}); isCode(err, "U1002") {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		steps := lo
		lo, hi = 1, 1000
		for lo < hi {
			mid := (lo + hi) / 2
			if _, err := e.EvalWith(input, bindings, Options{MaxDepth: mid}); isCode(err, "U1001") {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		return steps, lo, want, wantErr
	}
	fast, fd, fv, ferr := least(true)
	slow, sd, sv, serr := least(false)
	if fast != slow || fd != sd {
		t.Errorf("%q: needs %d steps, depth %d with shortcuts, %d, %d without", expr, fast, fd, slow, sd)
	}
	if !jsonv.Equal(fv, sv) || (ferr == nil) != (serr == nil) || (ferr != nil && ferr.Error() != serr.Error()) {
		t.Errorf("%q: %s, %v with shortcuts, %s, %v without", expr, jsonv.String(fv), ferr, jsonv.String(sv), serr)
	}
}

func isCode(err error, code string) bool {
	je, ok := err.(*Error)
	return ok && je.Code == code
}

// TestConcurrentShared evaluates expressions that use the shared compile
// time state (signature match caches, annotated nodes) from several
// goroutines; run with -race.
func TestConcurrentShared(t *testing.T) {
	exprs := []string{
		`$map($states.input.items, function($v){$v.x * 2})`,
		`$states.input.items[price > 10].name`,
		`$sum($states.input.items.price)`,
		`$string($states.input.items[0].x) & $string(true) & $string("s") & $string([1])`,
		`$filter($states.input.items, function($v){$v.x % 3 = 0}) ~> $count()`,
		`$states.input.first & " " & $states.input.last`,
	}
	bindings := benchStates()
	want := make([]string, len(exprs))
	compiled := make([]*Expr, len(exprs))
	for i, src := range exprs {
		e, err := Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Eval(nil, bindings)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		compiled[i], want[i] = e, jsonv.String(got)
	}
	done := make(chan bool)
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- true }()
			for i := 0; i < 50; i++ {
				for j, e := range compiled {
					got, err := e.Eval(nil, bindings)
					if err != nil || jsonv.String(got) != want[j] {
						t.Errorf("%s: got %s %v", exprs[j], jsonv.String(got), err)
						return
					}
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
}

// TestExportNumbers checks the Go types of exported numbers: integral
// ones below 2^53 in magnitude become int64, others stay float64.
func TestExportNumbers(t *testing.T) {
	nums := `[1, 1.5, 2000, -3, -0, 9007199254740992, 9007199254740991, -9007199254740991, -9007199254740992, 1e300, 255, 256, 1023, 1024]`
	want := []any{int64(1), 1.5, int64(2000), int64(-3), int64(0), float64(9007199254740992), int64(9007199254740991),
		int64(-9007199254740991), float64(-9007199254740992), 1e300, int64(255), int64(256), int64(1023), int64(1024)}
	for _, src := range []string{nums, `$map(` + nums + `, function($v){$v})`, `$map(` + nums + `, function($v){$v * 1})`} {
		e, err := Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Eval(nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		items, ok := got.([]any)
		if !ok || len(items) != len(want) {
			t.Fatalf("%s = %#v", src, got)
		}
		for i := range want {
			if items[i] != want[i] {
				t.Errorf("%s: item %d = %#v, want %#v", src, i, items[i], want[i])
			}
		}
	}
	for src, want := range map[string]any{`1.5`: 1.5, `2000`: int64(2000), `-0`: int64(0), `1e300`: 1e300, `7`: int64(7)} {
		e, _ := Compile(src)
		if got, err := e.Eval(nil, nil); err != nil || got != want {
			t.Errorf("%s = %#v, %v, want %#v", src, got, err, want)
		}
	}
}

// TestFusedOperands checks evalFused against evalBinary (results, errors,
// least MaxSteps and MaxDepth) on operands of every kind it reads:
// literals, variables and plain paths holding each type of value.
func TestFusedOperands(t *testing.T) {
	input := mustParse(t, doc)
	seq, err := Compile(`[{"a":1},{"a":2}].$`)
	if err != nil {
		t.Fatal(err)
	}
	sv, _ := seq.Eval(nil, nil)
	bindings := map[string]any{
		"o": input, "i": int64(3), "f": 2.5, "s": "str", "b": true, "z": nil, "arr": []any{1.0, 2.0},
		"m": jsonv.ObjectOf("a", int64(1)), "inf": math.Inf(-1), "seq": sv, "ni": int(4), "f32": float32(1.5),
	}
	ops := []string{"+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">="}
	operands := []string{`1`, `-2.5`, `"str"`, `true`, `null`, `$i`, `$f`, `$s`, `$b`, `$z`, `$arr`, `$m`, `$inf`,
		`$seq`, `$ni`, `$f32`, `$zz`, `$o.a.b.c`, `$o.s`, `$o.n`, `$o.a`, `$o.a.zz.c`, `$o.s.x`, `$o.orders.id`, `$seq.a`,
		`a.b.c`, `s`, `zz`, `orders.id`}
	for _, op := range ops {
		for _, l := range operands {
			for _, r := range operands {
				checkSameSteps(t, l+" "+op+" "+r, input, bindings)
			}
		}
		for _, r := range []string{`1`, `"x"`, `$v`, `$v.x`, `x`, `$v.x.y`} {
			checkSameSteps(t, `$map([1, "s", {"x": 2}, {"x": "t"}, {"x": {"y": 3}}, [{"x": 4}], null, true], function($v){$v.x `+op+` `+r+`})`, input, bindings)
			checkSameSteps(t, `$map([{"x": 2}, {"x": 3.5}, {"y": 1}], function($v){$v.x `+op+` `+r+`})`, input, bindings)
			checkSameSteps(t, `[1, "s", {"x": 2}, {"x": "t"}, {"x": {"y": 3}}, [{"x": 4}], null, true][x `+op+` `+r+`]`, input, bindings)
		}
	}
}
