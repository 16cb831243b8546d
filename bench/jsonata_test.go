package bench

import (
	"testing"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/asl/jsonpath"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonata"
	"github.com/statecraft/statecraft/jsonv"
)

// exprInput is the state input the expression benchmarks read.
func exprInput() any {
	items := make([]any, 100)
	for i := range items {
		items[i] = jsonv.ObjectOf("v", int64(i))
	}
	return jsonv.ObjectOf("a", jsonv.ObjectOf("b", "deep"), "name", "World", "items", items)
}

// BenchmarkExpr compares the cost of one evaluation of typical ASL
// expressions in JSONata (a compiled asl.Query with $states bound, as a
// JSONata state evaluates it) with their JSONPath or intrinsic equivalents
// in the same run. Bindings are built once, outside the loop: the
// per-state cost of building them shows in BenchmarkW2ChoiceJSONata.
//
//	go test -run XXX -bench Expr ./bench/
func BenchmarkExpr(b *testing.B) {
	in := exprInput()
	bindings := map[string]any{"states": jsonv.ObjectOf("input", in)}
	ata := func(name, src string) {
		b.Run("jsonata/"+name, func(b *testing.B) {
			q, err := asl.CompileQuery("{% "+src+" %}", "Output")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, qe := q.Eval(in, bindings, jsonata.Options{}); qe != nil {
					b.Fatal(qe)
				}
			}
		})
	}
	path := func(name, src string) {
		b.Run("jsonpath/"+name, func(b *testing.B) {
			p, err := jsonpath.Parse(src)
			if err != nil {
				b.Fatal(err)
			}
			sc := &jsonpath.Scope{Input: in}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, ok := p.Get(sc); !ok {
					b.Fatal("no match")
				}
			}
		})
	}
	intrinsic := func(name, src string) {
		b.Run("jsonpath/"+name, func(b *testing.B) {
			f, err := jsonpath.ParseIntrinsic(src)
			if err != nil {
				b.Fatal(err)
			}
			sc := &jsonpath.Scope{Input: in}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := f.Eval(sc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	ata("field", "$states.input.a.b")
	// The same through the engine: parentheses defeat the plain-path
	// fast path.
	ata("field-engine", "($states.input.a.b)")
	path("field", "$.a.b")
	ata("project100", "$states.input.items.v")
	path("project100", "$.items[*].v")
	ata("map100", "$map($states.input.items, function($x){ $x.v * 2 })")
	ata("concat", "'Hello ' & $states.input.name & '!'")
	intrinsic("concat", "States.Format('Hello {}!', $.name)")
}

// w2JSONata is workload W2 (Pass -> Choice -> Pass -> Succeed) written as a
// JSONata machine.
const w2JSONata = `{"QueryLanguage":"JSONata","StartAt":"Init","States":{
	"Init":{"Type":"Pass","Output":{"n":"{% $states.input.n %}","tag":"w2"},"Next":"Check"},
	"Check":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 50 %}","Next":"Big"}],"Default":"Small"},
	"Big":{"Type":"Pass","Output":"{% $merge([$states.input, {'size': 'big'}]) %}","Next":"Done"},
	"Small":{"Type":"Pass","Output":"{% $merge([$states.input, {'size': 'small'}]) %}","Next":"Done"},
	"Done":{"Type":"Succeed"}}}`

// BenchmarkW2ChoiceJSONata is BenchmarkW2Choice's machine in JSONata: the
// per-transition cost of JSONata states next to the JSONPath W2.
func BenchmarkW2ChoiceJSONata(b *testing.B) {
	def := []byte(w2JSONata)
	if problems := asl.Validate(def, asl.ValidateOptions{}); len(problems) > 0 {
		b.Fatal(problems)
	}
	sm, err := asl.Parse(def)
	if err != nil {
		b.Fatal(err)
	}
	var ins [100]any
	for i := range ins {
		ins[i] = jsonv.ObjectOf("n", int64(i))
	}
	m := interp.New(sm, interp.Options{})
	b.ReportAllocs()
	b.ResetTimer()
	var transitions int64
	for i := 0; i < b.N; i++ {
		transitions += runOne(b, m, ins[i%100], false)
	}
	elapsed := b.Elapsed().Seconds()
	b.ReportMetric(float64(transitions)/elapsed, "transitions/s")
	b.ReportMetric(elapsed*1e9/float64(transitions), "ns/transition")
}

// The JSONata W2 gives the JSONPath W2's outputs.
func TestW2JSONataMatchesJSONPath(t *testing.T) {
	sm, err := asl.Parse([]byte(w2JSONata))
	if err != nil {
		t.Fatal(err)
	}
	m := interp.New(sm, interp.Options{})
	for _, n := range []int64{3, 77} {
		x, _ := m.Start(info(jsonv.ObjectOf("n", n)), start, 1)
		want := map[string]any{"n": n, "tag": "w2", "size": "small"}
		if n > 50 {
			want["size"] = "big"
		}
		if x.Status != interp.Succeeded || !jsonv.Equal(x.Output, want) {
			t.Fatalf("n=%d: %s %s (%s)", n, x.Status, jsonv.String(x.Output), x.Cause)
		}
	}
}
