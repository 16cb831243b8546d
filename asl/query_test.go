package asl

import (
	"strings"
	"testing"

	"github.com/statecraft/statecraft/jsonata"
	"github.com/statecraft/statecraft/jsonv"
)

func TestCompileQuery(t *testing.T) {
	cases := []struct {
		name, field, value string
		bindings           map[string]any
		want               string // JSON of the result
		wantConst          bool
		wantContext        bool
		wantErr            string // substring of the evaluation error
		wantCompileErr     bool
	}{
		{name: "literal object", field: "Output", value: `{"a":1,"b":["x"]}`, want: `{"a":1,"b":["x"]}`, wantConst: true},
		{name: "not an expression: spaces outside", field: "Output", value: `" {% 1 %}"`, want: `" {% 1 %}"`, wantConst: true},
		{name: "expression", field: "Output", value: `"{% 1 + 2 %}"`, want: `3`},
		{name: "nested", field: "Arguments", value: `{"a":{"b":["{% $x %}", 2]}}`, bindings: map[string]any{"x": "v"}, want: `{"a":{"b":["v",2]}}`},
		{name: "undefined names the location", field: "Output", value: `{"r":"{% $nope %}"}`,
			wantErr: "The JSONata expression '$nope' specified for the field 'Output/r' returned nothing (undefined)."},
		{name: "engine error", field: "Output", value: `"{% $undefinedFn() %}"`, wantErr: "threw an error during evaluation. T1006: "},
		{name: "context use", field: "Output", value: `"{% $states.context.State.Name %}"`, wantContext: true, wantErr: "undefined"},
		{name: "whole $states", field: "Output", value: `"{% $states %}"`, wantContext: true, want: `{}`},
		{name: "input only", field: "Output", value: `"{% $states.input.a & $states.result.b %}"`, bindings: map[string]any{
			"states": jsonv.Normalize(map[string]any{"input": map[string]any{"a": "x"}, "result": map[string]any{"b": "y"}})}, want: `"xy"`},
		{name: "bad syntax", field: "Output", value: `"{% 1 + %}"`, wantCompileErr: true},
		{name: "$eval is no function (AWS: T1006 at run time)", field: "Output", value: `"{% $eval('1') %}"`, wantErr: "threw an error during evaluation. T1006: "},
		{name: "$evaluate is a variable", field: "Output", value: `"{% $evaluate %}"`, bindings: map[string]any{"evaluate": int64(1)}, want: `1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := jsonv.ParseString(c.value)
			if err != nil {
				t.Fatal(err)
			}
			q, err := CompileQuery(v, c.field)
			if c.wantCompileErr {
				if err == nil {
					t.Fatal("compiled")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.Const != c.wantConst || q.UsesContext != c.wantContext {
				t.Fatalf("Const %v UsesContext %v", q.Const, q.UsesContext)
			}
			b := c.bindings
			if b == nil {
				b = map[string]any{"states": jsonv.NewObject(0)}
			}
			got, qe := q.Eval(nil, b, jsonata.Options{})
			if c.wantErr != "" {
				if qe == nil || !strings.Contains(qe.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", qe, c.wantErr)
				}
				return
			}
			if qe != nil {
				t.Fatal(qe)
			}
			want, _ := jsonv.ParseString(c.want)
			if !jsonv.Equal(got, want) {
				t.Fatalf("got %s, want %s", jsonv.String(got), c.want)
			}
		})
	}
}

// JSONata states keep their fields compiled on the parsed state.
func TestParseJSONataState(t *testing.T) {
	sm, err := Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Output":{"a":"{% 1 %}"},"Next":"T"}],"Default":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"x":"{% $states.input %}"},"TimeoutSeconds":"{% 5 %}",
			"Catch":[{"ErrorEquals":["States.ALL"],"Output":"{% $states.errorOutput %}","Next":"S"}],"End":true},
		"S":{"Type":"Succeed"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	c := sm.States["C"]
	if c.JSONata == nil || c.Choices[0].ConditionQuery == nil || c.Choices[0].OutputQuery == nil || c.Choices[0].Next != "T" {
		t.Fatalf("choice %+v", c.Choices[0])
	}
	tk := sm.States["T"].JSONata
	if tk.Arguments == nil || tk.TimeoutSeconds == nil || sm.States["T"].Catch[0].OutputQuery == nil {
		t.Fatalf("task %+v", tk)
	}
	if sm.States["T"].Catch[0].OutputQuery.Location != "Output" || tk.Arguments.Fields[0].Location != "Arguments/x" {
		t.Fatalf("locations %q %q", sm.States["T"].Catch[0].OutputQuery.Location, tk.Arguments.Fields[0].Location)
	}
}

// The fast path for plain $states paths gives exactly what the engine
// gives, and leaves anything doubtful to the engine.
func TestQueryFastPath(t *testing.T) {
	input, _ := jsonv.ParseString(`{"a":{"b":"s","n":2,"f":1.5,"z":null,"o":{"x":[1]},"arr":[{"c":1},{"c":2}],"one":[7]},"true":1}`)
	for _, src := range []string{
		"$states.input", "$states.input.a", "$states.input.a.b", "$states.input.a.n", "$states.input.a.f", "$states.input.a.z",
		"$states.input.a.o", "$states.input.a.arr", "$states.input.a.arr.c", "$states.input.a.one", "$states.input.a.missing",
		"$states.input.a.b.c",
	} {
		q, err := CompileQuery("{% "+src+" %}", "Output")
		if err != nil {
			t.Fatal(err)
		}
		if q.FastRoot != "input" {
			t.Fatalf("%s: not recognised as a plain path", src)
		}
		b := map[string]any{"states": jsonv.ObjectOf("input", input)}
		got, gerr := q.Eval(input, b, jsonata.Options{})
		want, werr := q.Expr.EvalWith(input, b, jsonata.Options{})
		if (gerr == nil) != (werr == nil) || !jsonv.Equal(got, want) || jsonv.String(got) != jsonv.String(want) {
			t.Errorf("%s: fast %s (%v), engine %s (%v)", src, jsonv.String(got), gerr, jsonv.String(want), werr)
		}
	}
	for _, src := range []string{"$states.input.`true`", "$states.context.a", "$states.input.a[0]", "($states.input.a)", "$states.input.`a b`"} {
		q, err := CompileQuery("{% "+src+" %}", "Output")
		if err != nil {
			t.Fatal(err)
		}
		if q.FastRoot != "" {
			t.Errorf("%s: taken as a plain path", src)
		}
	}
}
