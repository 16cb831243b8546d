package interp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/runner"
)

// Variables (Assign) in JSONPath states: evaluated against the state's
// result (Pass, Task) or input (Choice, Wait), bound when the state exits,
// visible from the next state on, inner scopes reading outer variables.
func TestAssignVariables(t *testing.T) {
	cases := []struct {
		name, def, input, want string
		wantError              string
	}{
		{"pass result then read", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Result":{"n":7},"Assign":{"seven.$":"$.n","lit":"x"},"Next":"B"},
			"B":{"Type":"Pass","Parameters":{"s.$":"$seven","l.$":"$lit"},"End":true}}}`, `{}`, `{"s":7,"l":"x"}`, ""},
		{"bound at exit: own OutputPath sees the old value", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"v":1},"Next":"B"},
			"B":{"Type":"Pass","Assign":{"v":2},"OutputPath":"$v","Next":"C"},
			"C":{"Type":"Pass","Parameters":{"then.$":"$v"},"End":true}}}`, `{}`, `{"then":2}`, ""},
		{"swap", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"x":1,"y":2},"Next":"B"},
			"B":{"Type":"Pass","Assign":{"x.$":"$y","y.$":"$x"},"Next":"C"},
			"C":{"Type":"Pass","Parameters":{"x.$":"$x","y.$":"$y"},"End":true}}}`, `{}`, `{"x":2,"y":1}`, ""},
		{"choice rule assign wins over the state's", `{"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":5,"Assign":{"size":"big"},"Next":"D"}],
				"Assign":{"size":"small"},"Default":"D"},
			"D":{"Type":"Pass","Parameters":{"size.$":"$size"},"End":true}}}`, `{"n":9}`, `{"size":"big"}`, ""},
		{"choice default uses the state's", `{"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":5,"Assign":{"size":"big"},"Next":"D"}],
				"Assign":{"size":"small"},"Default":"D"},
			"D":{"Type":"Pass","Parameters":{"size.$":"$size"},"End":true}}}`, `{"n":1}`, `{"size":"small"}`, ""},
		{"map iterations read outer variables", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"k":10},"Result":[1,2],"Next":"M"},
			"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Parameters":{"v.$":"States.MathAdd($, $k)"},"End":true}}},"End":true}}}`,
			`{}`, `[{"v":11},{"v":12}]`, ""},
		{"variables in paths", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"items":[3,4],"conc":"1"},"Next":"M"},
			"M":{"Type":"Map","ItemsPath":"$items","MaxConcurrencyPath":"$conc","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
			`{}`, `[3,4]`, ""},
		{"fail reads variables", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"e":"Boom","c":"why"},"Next":"F"},
			"F":{"Type":"Fail","ErrorPath":"$e","CausePath":"$c"}}}`, `{}`, "", "Boom"},
		{"missing path in Assign fails the state", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"x.$":"$.nope"},"End":true}}}`, `{}`, "", "States.Runtime"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if p := asl.Validate([]byte(c.def), asl.ValidateOptions{}); len(p) > 0 {
				t.Fatalf("invalid definition: %v", p)
			}
			def, err := asl.Parse([]byte(c.def))
			if err != nil {
				t.Fatal(err)
			}
			in, _ := jsonv.ParseString(c.input)
			res, err := runner.Run(context.Background(), interp.New(def, interp.Options{History: true}), runner.Options{
				Info: interp.Info{Input: in}, FastForward: true, Seed: 1,
				Now: func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if c.wantError != "" {
				if res.Status != interp.Failed || res.Error != c.wantError {
					t.Fatalf("got %s %s %s, want FAILED %s", res.Status, res.Error, res.Cause, c.wantError)
				}
				return
			}
			want, _ := jsonv.ParseString(c.want)
			if res.Status != interp.Succeeded || !jsonv.Equal(res.Output, want) {
				t.Fatalf("got %s %s (%s %s), want %s", res.Status, jsonv.String(res.Output), res.Error, res.Cause, c.want)
			}
		})
	}
}

// StateExited carries what was assigned, as JSON text per variable.
func TestAssignedVariablesInHistory(t *testing.T) {
	def, _ := asl.Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"s":"hi","n":4.3},"End":true}}}`))
	res, err := runner.Run(context.Background(), interp.New(def, interp.Options{History: true}), runner.Options{Info: interp.Info{Input: jsonv.NewObject(0)}, FastForward: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var exited string
	for i := range res.History {
		if res.History[i].Type == "PassStateExited" {
			exited = string(res.History[i].AppendJSON(nil))
		}
	}
	if !strings.Contains(exited, `"assignedVariables":{"n":"4.3","s":"\"hi\""},"assignedVariablesDetails":{"truncated":false}`) {
		t.Fatalf("PassStateExited = %s", exited)
	}
}
