package jsonata

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/jsonv"
)

func mustParse(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonv.ParseString(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

const doc = `{"a":{"b":{"c":42}},"n":[1,2,3],"s":"Hello",
 "orders":[{"id":1,"items":[{"p":"x","q":2},{"p":"y","q":1}]},{"id":2,"items":[{"p":"x","q":5}]}]}`

func TestEval(t *testing.T) {
	input := mustParse(t, doc)
	cases := []struct{ expr, want string }{
		// literals
		{`42`, `42`}, {`-1.5`, `-1.5`}, {`"a\u0041"`, `"aA"`}, {`true`, `true`}, {`null`, `null`},
		// paths
		{`a.b.c`, `42`}, {`a.*.c`, `42`}, {`**.c`, `42`}, {`orders.id`, `[1,2]`},
		{`orders.items.p`, `["x","y","x"]`}, {`$.s`, `"Hello"`}, {`$$.a.b.c`, `42`},
		{"`s`", `"Hello"`},
		// predicates
		{`n[0]`, `1`}, {`n[-1]`, `3`}, {`n[$ > 1]`, `[2,3]`}, {`orders[id=2].items.q`, `5`},
		{`orders.items[0].p`, `["x","x"]`}, {`(orders.items)[0].p`, `"x"`}, {`n[[0,2]]`, `[1,3]`},
		{`orders[0].id[]`, `[1]`},
		// operators
		{`1 + 2 * 3`, `7`}, {`7 % 3`, `1`}, {`10 / 4`, `2.5`}, {`1 < 2 and 2 <= 2`, `true`},
		{`"a" & 1 & true`, `"a1true"`}, {`n[0] = 1 ? "y" : "n"`, `"y"`}, {`2 in n`, `true`},
		{`[1..4]`, `[1,2,3,4]`}, {`missing ?? 7`, `7`}, {`0 ?: 9`, `9`},
		// constructors
		{`[n, 4]`, `[1,2,3,4]`}, {`[[1],[2]]`, `[[1],[2]]`}, {`{"k": s}`, `{"k":"Hello"}`},
		{`orders.items{p: $sum(q)}`, `{"x":7,"y":1}`},
		// variables, blocks, functions
		{`($x := 3; $x * $x)`, `9`}, {`$v`, `"bound"`},
		{`($f := function($a, $b){$a + $b}; $f(2, 3))`, `5`},
		{`($inc := λ($x){$x + 1}; n.$inc($))`, `[2,3,4]`},
		{`($fact := function($n){$n <= 1 ? 1 : $n * $fact($n - 1)}; $fact(10))`, `3628800`},
		{`($loop := function($i){$i = 0 ? "done" : $loop($i - 1)}; $loop(5000))`, `"done"`},
		{`s ~> $uppercase()`, `"HELLO"`}, {`($add := $sum ~> $string; $add(n))`, `"6"`},
		{`$substring(?, 1)(s)`, `"ello"`},
		// built-ins
		{`$sum(n)`, `6`}, {`$count(n)`, `3`}, {`$max(n)`, `3`}, {`$min(n)`, `1`}, {`$average(n)`, `2`},
		{`$string(1/3)`, `"0.333333333333333"`}, {`$number("12.5e1")`, `125`}, {`$boolean([])`, `false`},
		{`$not(0)`, `true`}, {`$exists(zz)`, `false`}, {`$length("héllo")`, `5`},
		{`$substring("abcdef", -3, 2)`, `"de"`}, {`$substringBefore("a-b", "-")`, `"a"`},
		{`$substringAfter("a-b", "-")`, `"b"`}, {`$lowercase("AB")`, `"ab"`}, {`$trim("  a   b ")`, `"a b"`},
		{`$contains("abc", /B/i)`, `true`}, {`$split("a,b,c", ",", 2)`, `["a","b"]`}, {`$join(["a","b"], "-")`, `"a-b"`},
		{`$keys(a)`, `"b"`}, {`$lookup(a.b, "c")`, `42`}, {`$append(1, [2])`, `[1,2]`}, {`$reverse(n)`, `[3,2,1]`},
		{`$sort([3,1,2])`, `[1,2,3]`}, {`$sort(n, function($l,$r){$l < $r})`, `[3,2,1]`},
		{`$map(n, function($v, $i){$v * $i})`, `[0,2,6]`}, {`$filter(n, function($v){$v > 1})`, `[2,3]`},
		{`$reduce(n, function($acc, $v){$acc + $v}, 10)`, `16`}, {`$merge([{"a":1},{"b":2}])`, `{"a":1,"b":2}`},
		{`$each({"a":1}, function($v, $k){$k & $v})`, `"a1"`}, {`$type(n)`, `"array"`},
		{`$floor(-1.5)`, `-2`}, {`$ceil(1.2)`, `2`}, {`$round(2.5)`, `2`}, {`$round(1.255, 2)`, `1.26`},
		{`$abs(-3)`, `3`}, {`$power(2, 10)`, `1024`}, {`$sqrt(16)`, `4`},
		{`$millis()`, `1700000000000`}, {`$now()`, `"2023-11-14T22:13:20.000Z"`},
		{`orders^(>id).id`, `[2,1]`}, {`$ ~> |a.b|{"d": 1}, ["c"]|`, ``},
	}
	clock := func() time.Time { return time.Unix(1700000000, 0) }
	for _, c := range cases {
		e, err := Compile(c.expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", c.expr, err)
			continue
		}
		got, err := e.EvalWith(input, map[string]any{"v": "bound"}, Options{Now: clock})
		if err != nil {
			t.Errorf("Eval(%q): %v", c.expr, err)
			continue
		}
		if c.want == "" {
			continue
		}
		if want := mustParse(t, c.want); !jsonv.Equal(want, got) {
			t.Errorf("Eval(%q) = %s, want %s", c.expr, jsonv.String(got), c.want)
		}
	}
}

func TestTransformDoesNotMutateInput(t *testing.T) {
	input := mustParse(t, doc)
	e, err := Compile(`$ ~> |a.b|{"d": 1}, ["c"]|`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Eval(input, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustParse(t, `{"d":1}`); !jsonv.Equal(want, got.(*jsonv.Object).Value("a").(*jsonv.Object).Value("b")) {
		t.Errorf("transform result %s", jsonv.String(got))
	}
	if !jsonv.Equal(mustParse(t, doc), input) {
		t.Errorf("input was mutated: %s", jsonv.String(input))
	}
}

func TestUndefined(t *testing.T) {
	for _, expr := range []string{`nothing`, `a.zz`, `n[5]`, `$x`, `()`} {
		e, err := Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Eval(mustParse(t, doc), nil)
		if !errors.Is(err, ErrUndefined) || got != nil {
			t.Errorf("%q: got %v, %v; want ErrUndefined", expr, got, err)
		}
	}
	// null is a value, not undefined
	e, _ := Compile(`null`)
	if got, err := e.Eval(nil, nil); err != nil || got != nil {
		t.Errorf("null: %v %v", got, err)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct{ expr, code string }{
		{`"abc`, "S0101"}, {`(1`, "S0203"}, {`1 +`, "S0207"}, {`a.1`, "S0213"}, {`1 := 2`, "S0212"},
		{`/* x`, "S0106"}, {`function(a){1}`, "S0208"}, {`]`, "S0211"}, {`1 1`, "S0201"},
		{`"a" + 1`, "T2001"}, {`1 - "a"`, "T2002"}, {`1 < "a"`, "T2009"}, {`{} < 1`, "T2010"},
		{`1/0`, "D1001"}, {`[1..1.5]`, "T2004"}, {`$sum("a")`, "T0412"}, {`$length(1)`, "T0410"}, {`$foo()`, "T1006"},
		{`{1: 2}`, "T1003"}, {`$number("x")`, "D3030"}, {`$error("boom")`, "D3137"},
		{`($f := function($n){$n + $f($n)}; $f(1))`, "U1001"}, {`$now()`, "D3200"},
		{`$sqrt(-1)`, "D3060"}, {`1 ~> 2`, "T2006"}, {`%.a`, "S0217"}, {`a@b`, "S0214"}, {`$random()`, "D3201"},
	}
	for _, c := range cases {
		e, err := Compile(c.expr)
		if err == nil {
			_, err = e.Eval(nil, nil)
		}
		var je *Error
		if !errors.As(err, &je) || je.Code != c.code {
			t.Errorf("%q: got %v, want code %s", c.expr, err, c.code)
			continue
		}
		if je.Error() == "" || !strings.Contains(je.Error(), c.code) {
			t.Errorf("%q: message %q lacks code", c.expr, je.Error())
		}
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)
	if _, err := Compile(deep); err == nil {
		t.Error("deeply nested expression compiled")
	}
	e, err := Compile(`($f := function($n){$f($n + 1)}; $f(0))`)
	if err != nil {
		t.Fatal(err)
	}
	// infinite tail recursion runs in constant depth, so the step limit stops it
	_, err = e.EvalWith(nil, nil, Options{MaxSteps: 100000})
	var je *Error
	if !errors.As(err, &je) || je.Code != "U1002" {
		t.Errorf("got %v, want U1002", err)
	}
}

func FuzzCompileEval(f *testing.F) {
	for _, s := range []string{
		`a.b.c`, `**.c[0]`, `$sum(n) + 1`, `orders.items{p: $sum(q)}`, `[1..3].($ * 2)`,
		`($f := function($x){$x > 0 ? $f($x - 1) : 0}; $f(3))`, `$ ~> |a|{"x":1}|`, `n^(>$)`,
		`$substring(s, -2)`, `/ab+/i`, `$match("abc", /b/)`, `$replace("abc", /b/, "$0$0")`,
		`"\u00e9" & 1e400`, `{"a": [1, {"b": 2}]}.a[1].b`, `$split(s, "")`, `a[][0]`,
		`$map(n, $string)`, `$sort(n, λ($a,$b){$a>$b})`, `$reduce([], $sum)`, `n[[1..2]]`,
		`orders@$o.items#$i[$i>0].{"o": $o, "i": $i, "p": %.id}`, `orders.items.%.%`, `a#$i^($i)`,
		`$formatNumber(1234.5, "#,##0.00;(#)")`, `$formatInteger(42, "w;o")`, `$parseInteger("xlii", "i")`,
		`$fromMillis(0, "[Y0001]-[M01]-[D01] [FNn] [h]:[m01][P] [Z]", "-0500")`, `$toMillis("2024-W01", "[X]-W[W]")`,
		`$formatBase(255, 16)`, `$eval("a.b + 1")`, `$shuffle([1,2,3])`, `$random()`, `$encodeUrl("a b?c=d")`,
		`$decodeUrlComponent("%E2%82%AC")`, `$keys({"b":1,"a":2})`, `$each({"x":1}, function($v,$k){$k})`,
	} {
		f.Add(s)
	}
	input := mustParse(f, doc)
	f.Fuzz(func(t *testing.T, expr string) {
		// a hang crashes the worker, so the fuzzer records the input
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("hang on %q", expr)) })
		defer watchdog.Stop()
		e, err := Compile(expr)
		if err != nil {
			var je *Error
			if !errors.As(err, &je) || je.Code == "U1000" {
				t.Fatalf("Compile(%q): %v", expr, err)
			}
			return
		}
		_, err = e.EvalWith(input, map[string]any{"v": 1.0}, Options{MaxSteps: 20000, MaxDepth: 200,
			Now: func() time.Time { return time.Unix(0, 0) }, Random: func() float64 { return 0.5 }})
		var je *Error
		if errors.As(err, &je) && je.Code == "U1000" {
			t.Fatalf("Eval(%q) hit an internal error: %v", expr, err)
		}
	})
}
