package interp_test

import (
	"strings"
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// passChain is a definition of n Pass states, state(i) giving each one's
// fields beyond Type and Next/End.
func passChain(n int, state func(i int) string) string {
	var b strings.Builder
	b.WriteString(`{"StartAt":"P0","States":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		next := `"End":true`
		if i < n-1 {
			next = `"Next":"P` + itoa(i+1) + `"`
		}
		b.WriteString(`"P` + itoa(i) + `":{"Type":"Pass",` + state(i) + `,` + next + `}`)
	}
	b.WriteString(`}}`)
	return b.String()
}

func itoa(i int) string { return jsonv.String(int64(i)) }

// TestPlannedStatesMatchGeneralPath runs each definition through the
// planned paths of simple states (plan.go), with history off and on, and
// through the general path alone (history on), and wants the same
// execution: status, output and its key order, error, cause, transitions,
// event count, and with history the same events, texts included.
func TestPlannedStatesMatchGeneralPath(t *testing.T) {
	cases := []struct {
		name, def, input string
		maxPayload       int
	}{
		{name: "result at a field", def: passChain(6, func(i int) string {
			return `"Result":{"k":` + itoa(i) + `},"ResultPath":"$.r"`
		}), input: `{"v":"payload","k":-1}`},
		{name: "result at new fields", def: passChain(5, func(i int) string {
			return `"Result":` + itoa(i) + `,"ResultPath":"$.f` + itoa(i%3) + `"`
		}), input: `{"v":"x"}`},
		{name: "result replaces", def: passChain(4, func(i int) string {
			return `"Result":{"i":` + itoa(i) + `,"s":"a\"b"}`
		}), input: `{}`},
		{name: "result with root paths", def: passChain(4, func(i int) string {
			return `"InputPath":"$","OutputPath":"$","Result":[` + itoa(i) + `],"ResultPath":"$.r"`
		}), input: `{"a":1}`},
		{name: "result onto null", def: passChain(3, func(i int) string {
			return `"Result":"x","ResultPath":"$.r"`
		}), input: `null`},
		{name: "result onto a string", def: passChain(3, func(i int) string {
			return `"Result":"x","ResultPath":"$.r"`
		}), input: `"text"`},
		{name: "result onto an array", def: passChain(3, func(i int) string {
			return `"Result":"x","ResultPath":"$.r"`
		}), input: `[1,2]`},
		{name: "parameters from fields", def: passChain(6, func(i int) string {
			return `"Parameters":{"v.$":"$.v","prev.$":"$.k","k":` + itoa(i) + `}`
		}), input: `{"v":"payload","k":-1}`},
		{name: "parameters with objects and a repeated key", def: passChain(5, func(i int) string {
			return `"Parameters":{"o.$":"$.o","a":1,"a.$":"$.n","n.$":"$.n","f":1.5,"b":true,"z":null}`
		}), input: `{"o":{"x":[1,{"y":"z"}]},"n":3}`},
		{name: "parameters missing a field", def: passChain(4, func(i int) string {
			if i == 2 {
				return `"Parameters":{"gone.$":"$.nothere"}`
			}
			return `"Parameters":{"v.$":"$.v"}`
		}), input: `{"v":"payload"}`},
		{name: "parameters with escapes and literals between fields", def: passChain(4, func(i int) string {
			return `"Parameters":{"a\"q":"x\\y","o.$":"$.o","lit":{"k":[1,2.5,null,true,-0.125]},"n.$":"$.n","z":"\u00e9\n","e":{}}`
		}), input: `{"o":{"x":[1,{"y":"z\n"}],"f":1e300},"n":-3}`},
		{name: "parameters of input fields only", def: passChain(3, func(i int) string {
			return `"Parameters":{"n.$":"$.n","o.$":"$.o"}`
		}), input: `{"o":"\u2028","n":1.5}`},
		{name: "payload limit on a result", maxPayload: 120, def: passChain(12, func(i int) string {
			return `"Result":"0123456789","ResultPath":"$.f` + itoa(i) + `"`
		}), input: `{"v":"x"}`},
		{name: "payload limit on parameters", maxPayload: 60, def: passChain(6, func(i int) string {
			return `"Parameters":{"v.$":"$.v","w.$":"$.v","n":` + itoa(i) + `}`
		}), input: `{"v":"0123456789012345678901234"}`},
		{name: "no payload limit", maxPayload: -1, def: passChain(5, func(i int) string {
			if i%2 == 0 {
				return `"Parameters":{"v.$":"$.v","n":` + itoa(i) + `}`
			}
			return `"Result":"r","ResultPath":"$.r"`
		}), input: `{"v":"x"}`},
		{name: "choice loop", def: `{"StartAt":"Init","States":{
			"Init":{"Type":"Pass","Parameters":{"n.$":"$.n","tag":"w2"},"Next":"Check"},
			"Check":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":50,"Next":"Big"}],"Default":"Small"},
			"Big":{"Type":"Pass","Result":"big","ResultPath":"$.size","Next":"Done"},
			"Small":{"Type":"Pass","Result":"small","ResultPath":"$.size","Next":"Done"},
			"Done":{"Type":"Succeed"}}}`, input: `{"n":77}`},
		{name: "choice with no match and no default", def: `{"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":50,"Next":"S"}]},
			"S":{"Type":"Succeed"}}}`, input: `{"n":7}`},
		{name: "choice on a missing variable", def: `{"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$.gone","NumericGreaterThan":50,"Next":"S"}],"Default":"S"},
			"S":{"Type":"Succeed"}}}`, input: `{"n":7}`},
		{name: "choice loop counting down", def: `{"StartAt":"Init","States":{
			"Init":{"Type":"Pass","Parameters":{"n.$":"$.n"},"Next":"Check"},
			"Check":{"Type":"Choice","Choices":[{"And":[{"Variable":"$.n","IsPresent":true},{"Variable":"$.n","NumericGreaterThan":0}],"Next":"Dec"}],"Default":"Done"},
			"Dec":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, -1)","was.$":"$.n"},"Next":"Check"},
			"Done":{"Type":"Succeed","InputPath":"$","OutputPath":"$"}}}`, input: `{"n":5}`},
		{name: "succeed with an output path", def: `{"StartAt":"P","States":{
			"P":{"Type":"Pass","Result":{"a":{"b":1}},"ResultPath":"$.r","Next":"S"},
			"S":{"Type":"Succeed","OutputPath":"$.r.a"}}}`, input: `{}`},
		{name: "results added to the input's text", def: passChain(5, func(i int) string {
			return `"Result":{"k":"` + itoa(i) + `\n"},"ResultPath":"$.f` + itoa(i%2) + `"`
		}), input: `{"v":"x"}`},
		{name: "results added after parameters", def: passChain(6, func(i int) string {
			if i%3 == 0 {
				return `"Parameters":{"v.$":"$.v","n":` + itoa(i) + `}`
			}
			return `"Result":[` + itoa(i) + `],"ResultPath":"$.r` + itoa(i) + `"`
		}), input: `{"v":{"deep":[1,"a"]}}`},
		{name: "result added to an empty object", def: passChain(3, func(i int) string {
			return `"Result":"x","ResultPath":"$.r` + itoa(i) + `"`
		}), input: `{}`},
		{name: "parameters on a fresh input", def: passChain(3, func(i int) string {
			return `"Parameters":{"v.$":"$.v","k":` + itoa(i) + `}`
		}), input: `{"v":[1,2,3]}`},
		{name: "parameters on an array input", def: passChain(2, func(i int) string {
			return `"Parameters":{"v.$":"$.v"}`
		}), input: `[1]`},
		{name: "inline map", def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","End":true,
			"ItemProcessor":{"StartAt":"A","States":{
				"A":{"Type":"Pass","Parameters":{"id.$":"$.id","ok":true},"Next":"B"},
				"B":{"Type":"Pass","Result":"done","ResultPath":"$.s","End":true}}}}}}`,
			input: `{"items":[{"id":1},{"id":2},{"id":3},{"id":4}]}`},
		{name: "inline map with a failing iteration tolerated", def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ToleratedFailureCount":1,"End":true,
			"ItemProcessor":{"StartAt":"A","States":{
				"A":{"Type":"Pass","Parameters":{"id.$":"$.id"},"Next":"B"},
				"B":{"Type":"Choice","Choices":[{"Variable":"$.id","NumericEquals":2,"Next":"F"}],"Default":"C"},
				"C":{"Type":"Pass","Result":1,"ResultPath":"$.r","End":true},
				"F":{"Type":"Fail","Error":"E","Cause":"two"}}}}}}`,
			input: `{"items":[{"id":1},{"id":2},{"id":3}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := func(hist, planned bool) *interp.Execution {
				m := compile(t, c.def, interp.Options{History: hist, MaxPayload: c.maxPayload})
				if !planned {
					interp.WithoutPlans(m)
				}
				x, _ := m.Start(interp.Info{ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:sm:x", Input: parseJSON(t, c.input)}, t0, 1)
				return x
			}
			fast, recorded, general := run(false, true), run(true, true), run(true, false)
			if len(recorded.History) != len(general.History) {
				t.Fatalf("planned: %d events, general: %d", len(recorded.History), len(general.History))
			}
			for i := range general.History {
				p, g := recorded.History[i].AppendJSON(nil), general.History[i].AppendJSON(nil)
				if string(p) != string(g) {
					t.Fatalf("event %d planned:\n%s\ngeneral:\n%s", i, p, g)
				}
			}
			if fast.Status != recorded.Status || !jsonv.Equal(fast.Output, recorded.Output) || fast.EventCount() != recorded.EventCount() {
				t.Fatalf("history off: %s %s, %d events; on: %s %s, %d events", fast.Status, jsonv.String(fast.Output), fast.EventCount(),
					recorded.Status, jsonv.String(recorded.Output), recorded.EventCount())
			}
			if fast.Status != general.Status || fast.Error != general.Error || fast.Cause != general.Cause ||
				fast.Transitions != general.Transitions || fast.EventCount() != general.EventCount() {
				t.Fatalf("history off: %s %q %q, %d transitions, %d events; history on: %s %q %q, %d transitions, %d events",
					fast.Status, fast.Error, fast.Cause, fast.Transitions, fast.EventCount(),
					general.Status, general.Error, general.Cause, general.Transitions, general.EventCount())
			}
			if !jsonv.Equal(fast.Output, general.Output) || !jsonv.SameOrder(fast.Output, general.Output) {
				t.Fatalf("output with history off %s, on %s", jsonv.String(fast.Output), jsonv.String(general.Output))
			}
		})
	}
}

// The same Machine runs many executions: a planned state must not leave
// anything behind in the definition (a Result is placed, never changed).
func TestPlannedResultIsNotShared(t *testing.T) {
	m := compile(t, passChain(3, func(i int) string {
		return `"Result":{"k":` + itoa(i) + `},"ResultPath":"$.r"`
	}), interp.Options{})
	for i := 0; i < 3; i++ {
		x, _ := m.Start(interp.Info{Input: parseJSON(t, `{"v":1}`)}, t0, 1)
		if got := jsonv.String(x.Output); got != `{"v":1,"r":{"k":2}}` {
			t.Fatalf("run %d: output %s", i, got)
		}
	}
}
