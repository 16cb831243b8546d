package interp_test

import (
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// A Pass state with Result and ResultPath changes its input in place when
// the frame built that input itself and nothing else can see it. Whatever
// else did see a value (the execution input, a variable, a task, a
// sibling branch, a Map item, an earlier state's output) must not change.
func TestResultPathInPlaceIsInvisible(t *testing.T) {
	tests := []struct {
		name, def, input, output string
	}{
		{"execution input", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},
			"B":{"Type":"Pass","Result":2,"ResultPath":"$.b","Next":"C"},
			"C":{"Type":"Pass","Parameters":{"orig.$":"$$.Execution.Input","now.$":"$"},"End":true}}}`,
			`{"x":0}`, `{"orig":{"x":0},"now":{"x":0,"a":1,"b":2}}`},
		{"variable", `{"StartAt":"P","States":{
			"P":{"Type":"Pass","Parameters":{"x.$":"$.x"},"Next":"V"},
			"V":{"Type":"Pass","Assign":{"saved.$":"$"},"Next":"R"},
			"R":{"Type":"Pass","Result":"changed","ResultPath":"$.x","Next":"S"},
			"S":{"Type":"Pass","Result":"again","ResultPath":"$.y","Next":"O"},
			"O":{"Type":"Pass","Parameters":{"saved.$":"$saved","now.$":"$"},"End":true}}}`,
			`{"x":0}`, `{"saved":{"x":0},"now":{"x":"changed","y":"again"}}`},
		{"choice rule variable", `{"StartAt":"P","States":{
			"P":{"Type":"Pass","Parameters":{"x.$":"$.x"},"Next":"C"},
			"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Assign":{"saved.$":"$"},"Next":"R"}]},
			"R":{"Type":"Pass","Result":"changed","ResultPath":"$.x","Next":"O"},
			"O":{"Type":"Pass","Parameters":{"saved.$":"$saved","now.$":"$"},"End":true}}}`,
			`{"x":0}`, `{"saved":{"x":0},"now":{"x":"changed"}}`},
		{"self reference", `{"StartAt":"P","States":{
			"P":{"Type":"Pass","Parameters":{"x":1},"Next":"Q"},
			"Q":{"Type":"Pass","Parameters":{"self.$":"$","x":2},"Next":"R"},
			"R":{"Type":"Pass","Result":3,"ResultPath":"$.x","Next":"S"},
			"S":{"Type":"Pass","Result":4,"ResultPath":"$.self.y","End":true}}}`,
			`{}`, `{"self":{"x":1,"y":4},"x":3}`},
		{"parallel branches", `{"StartAt":"P","States":{
			"P":{"Type":"Pass","Parameters":{"x.$":"$.x"},"Next":"Par"},
			"Par":{"Type":"Parallel","ResultPath":"$.r","Next":"R","Branches":[
				{"StartAt":"B1","States":{"B1":{"Type":"Pass","Result":1,"ResultPath":"$.b","Next":"B2"},"B2":{"Type":"Pass","Result":2,"ResultPath":"$.c","End":true}}},
				{"StartAt":"C1","States":{"C1":{"Type":"Pass","End":true}}}]},
			"R":{"Type":"Pass","Result":9,"ResultPath":"$.z","End":true}}}`,
			`{"x":0}`, `{"x":0,"r":[{"x":0,"b":1,"c":2},{"x":0}],"z":9}`},
		{"map items", `{"StartAt":"M","States":{
			"M":{"Type":"Map","ItemsPath":"$.items","ResultPath":"$.out","ItemProcessor":{"StartAt":"I","States":{
				"I":{"Type":"Pass","Result":1,"ResultPath":"$.seen","Next":"J"},
				"J":{"Type":"Pass","Result":2,"ResultPath":"$.again","End":true}}},"Next":"After"},
			"After":{"Type":"Pass","Result":"x","ResultPath":"$.items[0].k","End":true}}}`,
			`{"items":[{"i":0},{"i":1}]}`, `{"items":[{"i":0,"k":"x"},{"i":1}],"out":[{"i":0,"seen":1,"again":2},{"i":1,"seen":1,"again":2}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := parseJSON(t, tc.input)
			inText := jsonv.String(in)
			res, _ := run(t, compile(t, tc.def, interp.Options{History: true}), tc.input, nil)
			check(t, res, want{Status: interp.Succeeded, Output: tc.output})
			if jsonv.String(in) != inText {
				t.Errorf("input changed")
			}
		})
	}
}

// A task's input is the host's to keep: the state after the task must not
// change it, even though the task's ResultPath made a copy the frame owns.
func TestTaskInputNotChangedLater(t *testing.T) {
	def := `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Parameters":{"x.$":"$.x"},"Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":"$.r","Next":"R"},
		"R":{"Type":"Pass","Result":"changed","ResultPath":"$.x","Next":"S"},
		"S":{"Type":"Pass","Result":"more","ResultPath":"$.y","End":true}}}`
	res, rec := run(t, compile(t, def), `{"x":0}`, func(string, int, any) (any, error) { return "ok", nil })
	check(t, res, want{Status: interp.Succeeded, Output: `{"x":"changed","r":"ok","y":"more"}`})
	if got := jsonv.String(rec.calls[0].Input); got != `{"x":0}` {
		t.Errorf("task input now reads %s", got)
	}
}

// The same machine run twice on one input value gives the same output: the
// first run changed nothing it did not own.
func TestInPlaceRepeatable(t *testing.T) {
	def := `{"StartAt":"A","States":{
		"A":{"Type":"Pass","Result":{"k":1},"ResultPath":"$.r","Next":"B"},
		"B":{"Type":"Pass","Result":{"k":2},"ResultPath":"$.r","Next":"C"},
		"C":{"Type":"Pass","Result":{"k":3},"ResultPath":"$.r.s","End":true}}}`
	m := compile(t, def, interp.Options{})
	in := parseJSON(t, `{"v":"p"}`)
	var outs []string
	for i := 0; i < 2; i++ {
		info := testInfo(in)
		x, _ := m.Start(info, t0, 1)
		if x.Status != interp.Succeeded {
			t.Fatalf("status %s", x.Status)
		}
		outs = append(outs, jsonv.String(x.Output))
	}
	if outs[0] != outs[1] || outs[0] != `{"v":"p","r":{"k":2,"s":{"k":3}}}` {
		t.Errorf("outputs %v", outs)
	}
	if jsonv.String(in) != `{"v":"p"}` {
		t.Errorf("input changed: %s", jsonv.String(in))
	}
	// The definition's Result literals are untouched.
	for name, want := range map[string]string{"A": `{"k":1}`, "B": `{"k":2}`, "C": `{"k":3}`} {
		if got := jsonv.String(m.Definition().States[name].Result); got != want {
			t.Errorf("state %s's Result now reads %s", name, got)
		}
	}
}

// A Pass state's Parameters payload is built in the object of its input
// when the frame owns that input and the payload replaces it.
func TestParametersReuseInput(t *testing.T) {
	tests := []struct {
		name, def, input, output, cause string
	}{
		{"chain", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Parameters":{"v.$":"$.v","k":0},"Next":"B"},
			"B":{"Type":"Pass","Parameters":{"v.$":"$.v","prev.$":"$.k","k":1},"Next":"C"},
			"C":{"Type":"Pass","Parameters":{"v.$":"$.v","prev.$":"$.k","k":2},"End":true}}}`,
			`{"v":"p","k":-1}`, `{"v":"p","prev":1,"k":2}`, ""},
		{"self", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Parameters":{"v.$":"$.v"},"Next":"B"},
			"B":{"Type":"Pass","Parameters":{"self.$":"$","w.$":"$.v"},"Next":"C"},
			"C":{"Type":"Pass","Parameters":{"inner.$":"$.self","w.$":"$.w"},"End":true}}}`,
			`{"v":"p"}`, `{"inner":{"v":"p"},"w":"p"}`, ""},
		{"input path", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Parameters":{"o":{"x":1},"y":2},"Next":"B"},
			"B":{"Type":"Pass","Parameters":{"o":{"x":1},"y.$":"$.y"},"Next":"C"},
			"C":{"Type":"Pass","InputPath":"$.o","Parameters":{"got.$":"$","x.$":"$.x"},"End":true}}}`,
			`{}`, `{"got":{"x":1},"x":1}`, ""},
		{"context and variables", `{"StartAt":"V","States":{
			"V":{"Type":"Pass","Assign":{"var.$":"$"},"Next":"A"},
			"A":{"Type":"Pass","Parameters":{"a":1},"Next":"B"},
			"B":{"Type":"Pass","Parameters":{"name.$":"$$.State.Name","var.$":"$var","a.$":"$.a"},"End":true}}}`,
			`{"q":1}`, `{"name":"B","var":{"q":1},"a":1}`, ""},
		{"error shows the input", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Parameters":{"a":1},"Next":"B"},
			"B":{"Type":"Pass","Parameters":{"x.$":"$.a","y.$":"$.missing"},"End":true}}}`,
			`{}`, "", `An error occurred while executing the state 'B' (entered at the event id #4). The JSONPath '$.missing' specified for the field 'y.$' could not be found in the input '{"a":1}'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := run(t, compile(t, tc.def, interp.Options{History: true}), tc.input, nil)
			if tc.cause != "" {
				check(t, res, want{Status: interp.Failed, Error: "States.Runtime", Cause: tc.cause})
				return
			}
			check(t, res, want{Status: interp.Succeeded, Output: tc.output})
			// Every state's recorded output is what the next state was
			// recorded as entering with.
			var lastOut string
			for _, e := range res.History {
				if e.Details == nil {
					continue
				}
				if e.Details.Input != nil && lastOut != "" && *e.Details.Input != lastOut {
					t.Errorf("%s entered with %s after output %s", e.Details.Name, *e.Details.Input, lastOut)
				}
				if e.Details.Output != nil {
					lastOut = *e.Details.Output
				}
			}
		})
	}
}

// Parameters built in place never reach a task's input afterwards.
func TestParametersReuseTaskInput(t *testing.T) {
	def := `{"StartAt":"A","States":{
		"A":{"Type":"Pass","Parameters":{"x":1},"Next":"B"},
		"B":{"Type":"Pass","Parameters":{"x.$":"$.x","y":2},"Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":null,"Next":"C"},
		"C":{"Type":"Pass","Parameters":{"z":3},"Next":"D"},
		"D":{"Type":"Pass","Parameters":{"z.$":"$.z","w":4},"End":true}}}`
	res, rec := run(t, compile(t, def), `{}`, func(string, int, any) (any, error) { return "ok", nil })
	check(t, res, want{Status: interp.Succeeded, Output: `{"z":3,"w":4}`})
	if got := jsonv.String(rec.calls[0].Input); got != `{"y":2,"x":1}` {
		t.Errorf("task input now reads %s", got)
	}
}
