package interp_test

import (
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// TestPlannedJSONataStatesMatchGeneralPath is TestPlannedStatesMatchGeneralPath
// for the JSONata states planned by planATA: with history off they take
// the planned paths, with history on the general one, and the executions
// must be the same, errors included.
func TestPlannedJSONataStatesMatchGeneralPath(t *testing.T) {
	const w2 = `{"QueryLanguage":"JSONata","StartAt":"Init","States":{
		"Init":{"Type":"Pass","Output":{"n":"{% $states.input.n %}","tag":"w2"},"Next":"Check"},
		"Check":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 50 %}","Next":"Big"}],"Default":"Small"},
		"Big":{"Type":"Pass","Output":"{% $merge([$states.input, {'size': 'big'}]) %}","Next":"Done"},
		"Small":{"Type":"Pass","Output":"{% $merge([$states.input, {'size': 'small'}]) %}","Next":"Done"},
		"Done":{"Type":"Succeed"}}}`
	choice := func(cond string) string {
		return `{"QueryLanguage":"JSONata","StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Condition":"` + cond + `","Next":"S"}],"Default":"F"},
			"S":{"Type":"Succeed"},"F":{"Type":"Pass","End":true}}}`
	}
	pass := func(output string) string {
		return `{"QueryLanguage":"JSONata","StartAt":"P","States":{
			"P":{"Type":"Pass","Output":` + output + `,"Next":"S"},"S":{"Type":"Succeed"}}}`
	}
	cases := []struct {
		name, def, input string
		maxPayload       int
	}{
		{name: "w2 big", def: w2, input: `{"n":77}`},
		{name: "w2 small", def: w2, input: `{"n":3}`},
		{name: "w2 float", def: w2, input: `{"n":50.5}`},
		{name: "w2 string", def: w2, input: `{"n":"77"}`},
		{name: "w2 missing", def: w2, input: `{}`},
		{name: "w2 array input", def: w2, input: `[1]`},
		{name: "w2 payload limit", def: w2, input: `{"n":77}`, maxPayload: 30},
		{name: "w2 payload limit on the template", def: w2, input: `{"n":77}`, maxPayload: 18},
		{name: "w2 payload just within the limit", def: w2, input: `{"n":77}`, maxPayload: 32},
		{name: "template with escapes", def: pass(`{"a\"b":"x\ny","s":"{% $states.input.s %}","o":{"k":[1,"\u0001"]},"n":"{% $states.input.n %}"}`),
			input: `{"s":"q\"\u0002","n":-12}`, maxPayload: 80},
		{name: "template with escapes over the limit", def: pass(`{"a\"b":"x\ny","s":"{% $states.input.s %}","o":{"k":[1,"\u0001"]},"n":"{% $states.input.n %}"}`),
			input: `{"s":"q\"\u0002","n":-12}`, maxPayload: 60},
		{name: "template with an object member", def: pass(`{"i":"{% $states.input %}","t":"x"}`), input: `{"s":"abc"}`, maxPayload: 30},
		{name: "choice no match no default", def: `{"QueryLanguage":"JSONata","StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 50 %}","Next":"S"}]},
			"S":{"Type":"Succeed"}}}`, input: `{"n":7}`},
		{name: "choice not boolean", def: choice(`{% $states.input.n %}`), input: `{"n":7}`},
		{name: "choice function result", def: choice(`{% $sum %}`), input: `{"n":7}`},
		{name: "choice error", def: choice(`{% $states.input.n > 'a' %}`), input: `{"n":7}`},
		{name: "choice undefined", def: choice(`{% $states.input.zz > 1 %}`), input: `{"n":7}`},
		{name: "choice context", def: choice(`{% $states.context.State.Name = 'C' %}`), input: `{"n":7}`},
		{name: "choice several rules", def: `{"QueryLanguage":"JSONata","StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n < 0 %}","Next":"F"},
				{"Condition":"{% $states.input.n > 5 and $states.input.s = 'x' %}","Next":"S"}],"Default":"F"},
			"S":{"Type":"Succeed"},"F":{"Type":"Fail","Error":"E"}}}`, input: `{"n":7,"s":"x"}`},
		{name: "pass output undefined", def: pass(`"{% $states.input.zz %}"`), input: `{"n":7}`},
		{name: "pass output error", def: pass(`"{% $merge([$states.input, 1]) %}"`), input: `{"n":7}`},
		{name: "pass states", def: pass(`"{% $states %}"`), input: `{"n":7}`},
		{name: "pass states input", def: pass(`{"a":"{% $states.input %}","b":"{% $states.input.n * 2 %}"}`), input: `{"n":7}`},
		{name: "pass no output", def: `{"QueryLanguage":"JSONata","StartAt":"P","States":{
			"P":{"Type":"Pass","Next":"S"},"S":{"Type":"Succeed"}}}`, input: `{"n":7}`},
		{name: "pass end", def: `{"QueryLanguage":"JSONata","StartAt":"P","States":{
			"P":{"Type":"Pass","Output":"{% $states.input.n + 1 %}","End":true}}}`, input: `{"n":7}`},
		{name: "variables", def: `{"QueryLanguage":"JSONata","StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"x":"{% $states.input.n %}","y":1},"Next":"B"},
			"B":{"Type":"Choice","Choices":[{"Condition":"{% $x > 5 %}","Next":"C"}],"Default":"C"},
			"C":{"Type":"Pass","Output":"{% $merge([$states.input, {'x': $x}]) %}","Next":"S"},
			"S":{"Type":"Succeed"}}}`, input: `{"n":7}`},
		{name: "inline map", def: `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.items %}","End":true,
			"ItemProcessor":{"StartAt":"A","States":{
				"A":{"Type":"Pass","Output":"{% $merge([$states.input, {'ok': true}]) %}","Next":"B"},
				"B":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.id = 2 %}","Next":"F"}],"Default":"C"},
				"C":{"Type":"Succeed"},
				"F":{"Type":"Fail","Error":"E","Cause":"two"}}}}}}`,
			input: `{"items":[{"id":1},{"id":3}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := func(hist bool) *interp.Execution {
				m := compile(t, c.def, interp.Options{History: hist, MaxPayload: c.maxPayload})
				x, _ := m.Start(interp.Info{ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:sm:x", Input: parseJSON(t, c.input)}, t0, 1)
				return x
			}
			fast, general := run(false), run(true)
			if fast.Status != general.Status || fast.Error != general.Error || fast.Cause != general.Cause ||
				fast.Transitions != general.Transitions || fast.EventCount() != general.EventCount() {
				t.Fatalf("history off: %s %q %q, %d transitions, %d events; history on: %s %q %q, %d transitions, %d events",
					fast.Status, fast.Error, fast.Cause, fast.Transitions, fast.EventCount(),
					general.Status, general.Error, general.Cause, general.Transitions, general.EventCount())
			}
			if !jsonv.Equal(fast.Output, general.Output) || !jsonv.SameOrder(fast.Output, general.Output) {
				t.Fatalf("output with history off %s, on %s", jsonv.String(fast.Output), jsonv.String(general.Output))
			}
			t.Logf("%s %s %q %d", fast.Status, jsonv.String(fast.Output), fast.Cause, fast.Transitions)
		})
	}
}
