package asl

import (
	"math"
	"testing"

	"github.com/statecraft/statecraft/jsonata"
	"github.com/statecraft/statecraft/jsonv"
)

// FastCompare gives the engine's answer whenever it answers, on values
// of every kind, and answers the plain number cases.
func TestFastCompareMatchesEngine(t *testing.T) {
	exprs := []string{
		`$states.input.n > 50`, `$states.input.n >= 50`, `$states.input.n < 50`, `$states.input.n <= 50`,
		`$states.input.n = 50`, `$states.input.n != 50`, `50 < $states.input.n`, `50 >= $states.input.n`,
		`-1.5 = $states.input.n`, `$states.input.a.b > 0.25`, `$states.result.n > 1`, `$states.errorOutput.n > 1`,
		`$states.input.n > 9007199254740993`,
	}
	values := []any{int64(77), int64(50), int64(-2), 50.0, 50.5, -1.5, 0.3, int64(1) << 62, int64(9007199254740993),
		math.MaxInt64, "77", "x", true, nil, []any{int64(77)}, jsonv.ObjectOf("b", int64(1))}
	for _, src := range exprs {
		q, err := CompileQuery("{% "+src+" %}", "Condition")
		if err != nil {
			t.Fatal(err)
		}
		if q.CmpRoot == "" {
			t.Errorf("%s: not a fast comparison", src)
			continue
		}
		for _, v := range values {
			for _, in := range []any{jsonv.ObjectOf("n", v, "a", jsonv.ObjectOf("b", v)), jsonv.ObjectOf("m", v), v} {
				states := jsonv.ObjectOf("input", in, "result", in, "errorOutput", in)
				want, werr := q.Expr.EvalWith(in, map[string]any{"states": states}, jsonata.Options{})
				root, _ := states.Get(q.CmpRoot)
				got, ok := q.FastCompare(root)
				if _, isNum := v.(int64); !ok && (isNum || isFloat(v)) && in != v && !isMissing(q, in) {
					t.Errorf("%s on %s: not answered", src, jsonv.String(in))
				}
				if ok && (werr != nil || want != got) {
					t.Errorf("%s on %s: %v, engine %v %v", src, jsonv.String(in), got, want, werr)
				}
			}
		}
	}
	for _, src := range []string{`$states.input.n > 'a'`, `$states.input.n + 1 > 2`, `$x.n > 1`, `$states.context.n > 1`,
		`$states.input.n > $states.input.m`, `n > 1`, `$states.input.n in [1]`, `$states.input.n > true`} {
		q, err := CompileQuery("{% "+src+" %}", "Condition")
		if err != nil {
			t.Fatal(err)
		}
		if q.CmpRoot != "" {
			t.Errorf("%s: a fast comparison", src)
		}
	}
}

func isFloat(v any) bool { _, ok := v.(float64); return ok }

// isMissing: the path of q does not lead to a value in in.
func isMissing(q *Query, in any) bool {
	v := in
	for _, k := range q.cmpPath {
		m, ok := v.(*jsonv.Object)
		if !ok {
			return true
		}
		if v, ok = m.Get(k); !ok {
			return true
		}
	}
	return false
}
