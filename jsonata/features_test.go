package jsonata

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/jsonv"
)

func TestNewFeatures(t *testing.T) {
	input := mustParse(t, `{"lib":{"loans":[{"isbn":"1","c":"a"},{"isbn":"2","c":"b"}],
		"books":[{"isbn":"1","title":"One"},{"isbn":"2","title":"Two"}]},
		"z":1,"a":2,"m":{"y":1,"b":2}}`)
	rnd := func() float64 { return 0.25 }
	cases := []struct{ expr, want string }{
		{`lib.loans@$l.books@$b[$l.isbn=$b.isbn].$b.title`, `["One","Two"]`},
		{`lib.books#$i[$i>0].title`, `"Two"`},
		{`lib.books.title.%.isbn`, `["1","2"]`},
		{`$keys({"z":1,"a":2,"m":3})`, `["z","a","m"]`},
		{`$keys($)`, `["lib","z","a","m"]`}, // document order
		{`$string({"b":1,"a":[1,{"d":1,"c":2}]})`, `"{\"b\":1,\"a\":[1,{\"d\":1,\"c\":2}]}"`},
		{`$merge([{"b":1},{"a":2}]) ~> $keys()`, `["b","a"]`},
		{`$formatNumber(1234.5678, "#,##0.00")`, `"1,234.57"`},
		{`$formatInteger(1999, "I")`, `"MCMXCIX"`},
		{`$formatInteger(21, "w;o")`, `"twenty-first"`},
		{`$parseInteger("twelve thousand", "w")`, `12000`},
		{`$fromMillis(1700000000000, "[D1o] [MNn] [Y], [h]:[m01][P]")`, `"14th November 2023, 10:13pm"`},
		{`$toMillis("2023-11-14T22:13:20Z")`, `1700000000000`},
		{`$fromMillis(0)`, `"1970-01-01T00:00:00.000Z"`},
		{`$now("[Y]")`, `"2023"`},
		{`$formatBase(255, 2)`, `"11111111"`},
		{`$encodeUrlComponent("a b&c")`, `"a%20b%26c"`},
		{`$decodeUrl("a%20b")`, `"a b"`},
		{`$eval("z + a")`, `3`},
		{`$random()`, `0.25`},
		{`$count($shuffle([1,2,3]))`, `3`},
		{`$keys(/b/("abc"))`, `["match","start","end","groups","next"]`},
		{`$string($match("abc", /b/))`, `"{\"match\":\"b\",\"index\":1,\"groups\":[]}"`},
	}
	opts := Options{Random: rnd, Now: func() time.Time { return time.UnixMilli(1700000000000) }}
	for _, c := range cases {
		e, err := Compile(c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		got, err := e.EvalWith(input, nil, opts)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if s := jsonv.String(got); s != c.want {
			t.Errorf("%s = %s, want %s", c.expr, s, c.want)
		}
	}
}

// TestConcurrentEval runs one compiled expression with lambdas, tuple
// streams and object construction from many goroutines.
func TestConcurrentEval(t *testing.T) {
	e, err := Compile(`($f := function($x, $y){ $x.v * $y }; items#$i.{"k": $string($i), "v": $f($, 2)})`)
	if err != nil {
		t.Fatal(err)
	}
	input := mustParse(t, `{"items":[{"v":1},{"v":2},{"v":3}]}`)
	want := `[{"k":"0","v":2},{"k":"1","v":4},{"k":"2","v":6}]`
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				got, err := e.Eval(input, nil)
				if err != nil || jsonv.String(got) != want {
					t.Errorf("got %s %v", jsonv.String(got), err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestNoBlowup: shared sub-structures, doubling strings and arrays, and
// quadratic-looking built-ins stay within the step limit instead of
// hanging or exhausting memory.
func TestNoBlowup(t *testing.T) {
	cases := []string{
		`$reduce([1..40], function($a, $b){{"l":$a,"r":$a}}, 1)`,
		`$string($reduce([1..40], function($a, $b){{"l":$a,"r":$a}}, 1))`,
		`$reduce([1..40], function($a, $b){$map([1,2], function(){$a})}, 1).x`,
		`$reduce([1..40], function($a, $b){$map([1,2], function(){$a})}, 1) = 1`,
		`**[$reduce([1..40], function($a, $b){$map([1,2], function(){$a})}, 1)]`,
		`$reduce([1..60], function($a, $b){$a & $a}, "x")`,
		`$reduce([1..60], function($a, $b){$append($a, $a)}, [1])`,
		`$reduce([1..60], function($a, $b){[$a, $a]}, [1])`,
		`$reduce([1..40], function($a, $b){{"l":$a,"r":$a}}, 1) ~> |l|{"x":1}|`,
		`[1..10000000].[1..10000000]`,
		`$pad("", 1000000) & $pad("", 1000000)`,
	}
	for _, src := range cases {
		e, err := Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = e.EvalWith(nil, nil, Options{MaxSteps: 200000})
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s took %v", src, d)
		}
		var je *Error
		if err != nil && (!errors.As(err, &je) || je.Code == "U1000") {
			t.Errorf("%s: %v", src, err)
		}
	}
	// linear algorithms where a naive one is quadratic
	for _, src := range []string{`$count([1..100000]{"a": $}.a)`, `$count($distinct([1..100000]))`} {
		e, _ := Compile(src)
		start := time.Now()
		if got, err := e.Eval(nil, nil); err != nil || got != int64(100000) {
			t.Errorf("%s = %v, %v", src, got, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s took %v", src, d)
		}
	}
}

func TestEvalScope(t *testing.T) {
	for expr, want := range map[string]string{
		`($eval("$x := 5"); $x)`:                    `5`,
		`$map(["$y := 2"], $eval)`:                  `2`,
		`($map(["$sum := 1"], $eval); $sum([1,2]))`: `3`,
	} {
		e, err := Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Eval(nil, nil)
		if err != nil || jsonv.String(got) != want {
			t.Errorf("%s = %s, %v; want %s", expr, jsonv.String(got), err, want)
		}
	}
	// the built-ins are untouched for later evaluations
	e, _ := Compile(`$sum([1,2])`)
	if got, err := e.Eval(nil, nil); err != nil || got != int64(3) {
		t.Errorf("$sum after $eval assignment: %v %v", got, err)
	}
}
