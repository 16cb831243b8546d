package jsonata

import (
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

// Typical ASL expressions, evaluated on a pre-compiled Expr with $states
// bound as a map, the way the ASL layer calls the engine.

func benchStates() map[string]any {
	items := make([]any, 100)
	for i := range items {
		items[i] = map[string]any{"x": int64(i), "name": "item", "price": float64(i) / 4}
	}
	return map[string]any{
		"states": jsonv.Normalize(map[string]any{
			"input": map[string]any{
				"a":     map[string]any{"b": "deep value"},
				"items": items,
				"first": "Ada",
				"last":  "Lovelace",
			},
			"context": map[string]any{"Execution": map[string]any{"Id": "exec-1"}},
		}),
	}
}

func benchExpr(b *testing.B, src string) {
	e, err := Compile(src)
	if err != nil {
		b.Fatal(err)
	}
	bindings := benchStates()
	if _, err := e.Eval(nil, bindings); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Eval(nil, bindings); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFieldPath(b *testing.B) { benchExpr(b, `$states.input.a.b`) }

func BenchmarkMapLambda100(b *testing.B) {
	benchExpr(b, `$map($states.input.items, function($v){$v.x * 2})`)
}

func BenchmarkConcat(b *testing.B) {
	benchExpr(b, `$states.input.first & " " & $states.input.last`)
}

func BenchmarkFilterPath100(b *testing.B) {
	benchExpr(b, `$states.input.items[price > 10].name`)
}

func BenchmarkSum100(b *testing.B) {
	benchExpr(b, `$sum($states.input.items.price)`)
}

func BenchmarkObject(b *testing.B) {
	benchExpr(b, `{"id": $states.context.Execution.Id, "name": $states.input.first & " " & $states.input.last, "n": $count($states.input.items), "ok": $states.input.a.b = "deep value" ? "yes" : "no"}`)
}
