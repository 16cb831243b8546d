package interp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// JSONata states beyond what the recorded conformance cases cover: Task,
// Parallel and Catch fields, $states visibility, scoping, errors and
// Step Functions' extra functions.
func TestJSONataStates(t *testing.T) {
	const ata = `"QueryLanguage":"JSONata",`
	cases := []struct {
		name, def, input string
		fn               script
		want             string // output JSON, or "" when failing
		wantError        string
		wantCause        string // substring
	}{
		{name: "task arguments and default output is the result",
			def: `{` + ata + `"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
				"Arguments":{"x":"{% $states.input.a * 2 %}","lit":[1,"{% $states.input.a %}"]},"End":true}}}`,
			input: `{"a":21}`, fn: echo, want: `{"x":42,"lit":[1,21]}`},
		{name: "task output sees result and input",
			def: `{` + ata + `"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
				"Output":{"r":"{% $states.result.v %}","i":"{% $states.input.k %}"},"End":true}}}`,
			input: `{"k":"key"}`, fn: func(string, int, any) (any, error) { return jsonv.ObjectOf("v", int64(5)), nil },
			want: `{"r":5,"i":"key"}`},
		{name: "catch output and assign see errorOutput",
			def: `{` + ata + `"StartAt":"T","States":{
				"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Assign":{"v":"task"},
					"Catch":[{"ErrorEquals":["States.ALL"],"Output":{"e":"{% $states.errorOutput.Error %}","in":"{% $states.input.n %}"},
						"Assign":{"v":"{% $states.errorOutput.Cause %}"},"Next":"P"}],"End":true},
				"P":{"Type":"Pass","Output":{"out":"{% $states.input %}","v":"{% $v %}"},"End":true}}}`,
			input: `{"n":1}`, fn: func(string, int, any) (any, error) { return nil, fail("Boom", "why") },
			want: `{"out":{"e":"Boom","in":1},"v":"why"}`},
		{name: "catch without output passes the error output",
			def: `{` + ata + `"StartAt":"T","States":{
				"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"Next":"P"}],"End":true},
				"P":{"Type":"Pass","End":true}}}`,
			input: `{}`, fn: func(string, int, any) (any, error) { return nil, fail("Boom", "why") },
			want: `{"Error":"Boom","Cause":"why"}`},
		{name: "retry re-evaluates arguments with the retry count",
			def: `{` + ata + `"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
				"Arguments":{"try":"{% $states.context.State.RetryCount %}"},
				"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":2}],"End":true}}}`,
			input: `{}`, fn: func(_ string, attempt int, in any) (any, error) {
				if attempt < 2 {
					return nil, fail("Again", "")
				}
				return in, nil
			},
			want: `{"try":2}`},
		{name: "assign and output see the values from before the state",
			def: `{` + ata + `"StartAt":"A","States":{
				"A":{"Type":"Pass","Assign":{"x":1,"y":2},"Next":"B"},
				"B":{"Type":"Pass","Assign":{"x":"{% $y %}","y":"{% $x %}"},"Output":{"x":"{% $x %}"},"Next":"C"},
				"C":{"Type":"Pass","Output":{"before":"{% $states.input.x %}","x":"{% $x %}","y":"{% $y %}"},"End":true}}}`,
			input: `{}`, want: `{"before":1,"x":2,"y":1}`},
		{name: "parallel arguments, branch variables do not leak",
			def: `{` + ata + `"StartAt":"A","States":{
				"A":{"Type":"Pass","Assign":{"outer":"o"},"Next":"P"},
				"P":{"Type":"Parallel","Arguments":{"n":"{% $states.input.n + 1 %}"},"Branches":[
					{"StartAt":"B1","States":{"B1":{"Type":"Pass","Assign":{"inner":1},"Next":"B2"},
						"B2":{"Type":"Pass","Output":{"n":"{% $states.input.n %}","outer":"{% $outer %}","inner":"{% $inner %}"},"End":true}}},
					{"StartAt":"C1","States":{"C1":{"Type":"Pass","Output":"{% $exists($inner) %}","End":true}}}],
					"Output":{"r":"{% $states.result %}","leak":"{% $exists($inner) %}"},"End":true}}}`,
			input: `{"n":1}`, want: `{"r":[{"n":2,"outer":"o","inner":1},false],"leak":false}`},
		{name: "map items, item selector with index and value",
			def: `{` + ata + `"StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.xs %}",
				"ItemSelector":{"i":"{% $states.context.Map.Item.Index %}","v":"{% $states.context.Map.Item.Value %}","all":"{% $count($states.input.xs) %}"},
				"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Output":"{% $states.input.v & '@' & $states.input.i %}","End":true}}},
				"Output":"{% $join($states.result, ',') %}","End":true}}}`,
			input: `{"xs":["a","b"]}`, want: `"a@0,b@1"`},
		{name: "map iterations do not leak variables; catch assign writes the outer scope",
			def: `{` + ata + `"StartAt":"M","States":{"M":{"Type":"Map","Items":[1,2],
				"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Assign":{"it":"{% $states.input %}"},"Next":"F"},
					"F":{"Type":"Fail","Error":"E","Cause":"{% 'item ' & $it %}"}}},
				"Catch":[{"ErrorEquals":["E"],"Assign":{"caught":"{% $states.errorOutput.Cause %}"},"Next":"P"}],"End":true},
				"P":{"Type":"Pass","Output":{"caught":"{% $caught %}","it":"{% $exists($it) %}"},"End":true}}}`,
			input: `{}`, want: `{"caught":"item 1","it":false}`},
		{name: "jsonpath state reads a jsonata variable and back",
			def: `{"StartAt":"A","States":{
				"A":{"Type":"Pass","QueryLanguage":"JSONata","Assign":{"a":"{% 40 + 2 %}"},"Next":"B"},
				"B":{"Type":"Pass","Parameters":{"a.$":"$a"},"Assign":{"b.$":"$a"},"Next":"C"},
				"C":{"Type":"Pass","QueryLanguage":"JSONata","Output":{"in":"{% $states.input %}","b":"{% $b %}"},"End":true}}}`,
			input: `{}`, want: `{"in":{"a":42},"b":42}`},
		{name: "choice condition must be boolean",
			def: `{` + ata + `"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n %}","Next":"D"}],"Default":"D"},
				"D":{"Type":"Succeed"}}}`,
			input: `{"n":1}`, wantError: "States.QueryEvaluationError",
			wantCause: "The JSONata expression '$states.input.n' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was 'number' for value: 1"},
		{name: "choice without match and default",
			def:   `{` + ata + `"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% false %}","Next":"D"}]},"D":{"Type":"Succeed"}}}`,
			input: `{}`, wantError: "States.NoChoiceMatched"},
		{name: "fail error and cause from expressions",
			def:   `{` + ata + `"StartAt":"F","States":{"F":{"Type":"Fail","Error":"{% 'E.' & $states.input.code %}","Cause":"{% $string($states.input) %}"}}}`,
			input: `{"code":7}`, wantError: "E.7", wantCause: `{"code":7}`},
		{name: "undefined in arguments names the field",
			def:   `{` + ata + `"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"a":{"b":"{% $nope %}"}},"End":true}}}`,
			input: `{}`, fn: echo, wantError: "States.QueryEvaluationError",
			wantCause: "The JSONata expression '$nope' specified for the field 'Arguments/a/b' returned nothing (undefined)."},
		{name: "evaluation errors are catchable",
			def: `{` + ata + `"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":"{% $nope %}",
				"Catch":[{"ErrorEquals":["States.QueryEvaluationError"],"Output":"{% $states.errorOutput.Error %}","Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`,
			input: `{}`, fn: echo, want: `"States.QueryEvaluationError"`},
		{name: "engine errors carry the code",
			def:   `{` + ata + `"StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% 1 + 'a' %}","End":true}}}`,
			input: `{}`, wantError: "States.QueryEvaluationError", wantCause: "threw an error during evaluation. T2002: "},
		{name: "wait seconds from an expression",
			def:   `{` + ata + `"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% $states.input.s %}","Output":"{% $states.input.s %}","End":true}}}`,
			input: `{"s":5}`, want: `5`},
		{name: "wait seconds must be an integer",
			def:   `{` + ata + `"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% $states.input.s %}","End":true}}}`,
			input: `{"s":"x"}`, wantError: "States.QueryEvaluationError", wantCause: "Expected 'integer', but was 'string'"},
		{name: "task timeout must be positive",
			def:   `{` + ata + `"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":"{% $states.input.t %}","End":true}}}`,
			input: `{"t":0}`, fn: echo, wantError: "States.QueryEvaluationError", wantCause: "TimeoutSeconds"},
		{name: "extra functions",
			def: `{` + ata + `"StartAt":"P","States":{"P":{"Type":"Pass","Output":{
				"p":"{% $partition([1,2,3], 2) %}","r":"{% $range(0, 4, 2) %}","h":"{% $hash('abc', 'SHA-256') %}",
				"parse":"{% $parse('{\"a\":[1]}') %}","u":"{% $length($uuid()) %}","rnd":"{% $random() < 1 and $random() >= 0 %}",
				"seeded":"{% $random(7) = $random(7) %}"},"End":true}}}`,
			input: `{}`, want: `{"p":[[1,2],[3]],"r":[0,2,4],"h":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
				"parse":{"a":[1]},"u":36,"rnd":true,"seeded":true}`},
		{name: "context object",
			def:   `{` + ata + `"StartAt":"P","States":{"P":{"Type":"Pass","Output":{"n":"{% $states.context.State.Name %}","e":"{% $states.context.Execution.Name %}","all":"{% $exists($states.context.Execution.StartTime) %}"},"End":true}}}`,
			input: `{}`, want: `{"n":"P","e":"exec-1","all":true}`},
		{name: "variable over 256 KiB",
			def:   `{` + ata + `"StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"big":"{% $join($map([1..30000], function($i){'0123456789'}), '') %}"},"End":true}}}`,
			input: `{}`, wantError: "States.DataLimitExceeded", wantCause: "'big'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := compile(t, c.def)
			res, _ := run(t, m, c.input, c.fn)
			if c.wantError != "" {
				if res.Status != interp.Failed || res.Error != c.wantError || !strings.Contains(res.Cause, c.wantCause) {
					t.Fatalf("got %s %q %q, want FAILED %q with cause containing %q", res.Status, res.Error, res.Cause, c.wantError, c.wantCause)
				}
				return
			}
			want := parseJSON(t, c.want)
			if res.Status != interp.Succeeded || !jsonv.Equal(res.Output, want) {
				t.Fatalf("got %s %s (%s %s), want %s\n%s", res.Status, jsonv.String(res.Output), res.Error, res.Cause, c.want, dump(res.History))
			}
		})
	}
}

// A failed evaluation is recorded as EvaluationFailed (state, location,
// error, cause) before the state's failure.
func TestJSONataEvaluationFailedEvent(t *testing.T) {
	m := compile(t, `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% 'x' %}",
		"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`)
	res, _ := run(t, m, `{}`, nil)
	got := types(res.History)
	want := []string{"ExecutionStarted", "MapStateEntered", "EvaluationFailed", "MapStateFailed", "ExecutionFailed"}
	if !equalStrings(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	d := detailsJSON(t, res.History[2])
	if d["location"] != "Items" || d["state"] != "M" || d["error"] != "States.QueryEvaluationError" {
		t.Fatalf("EvaluationFailed details %s", jsonv.String(d))
	}
}

// The Task's evaluated TimeoutSeconds and HeartbeatSeconds reach the task
// and its TaskScheduled event.
func TestJSONataTaskLimits(t *testing.T) {
	m := compile(t, `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"TimeoutSeconds":"{% $states.input.t %}","HeartbeatSeconds":"{% $states.input.t - 1 %}","End":true}}}`)
	_, rec := run(t, m, `{"t":30}`, echo)
	if len(rec.calls) != 1 || rec.calls[0].Task.Timeout != 30*time.Second || rec.calls[0].Task.Heartbeat != 29*time.Second {
		t.Fatalf("calls %+v", rec.calls)
	}
}

// Expressions are compiled when the definition is parsed; bad ones are
// definition errors. ($eval is not: AWS accepts it and fails the call, see
// TestJSONataEvalIsNoFunction.)
func TestJSONataDefinitionErrors(t *testing.T) {
	for _, def := range []string{
		`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% 1 + %}","End":true}}}`,
		`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"a":["{% 1 + %}"]},"End":true}}}`,
	} {
		if p := asl.Validate([]byte(def), asl.ValidateOptions{}); len(p) == 0 {
			t.Errorf("Validate accepted %s", def)
		}
		if _, err := asl.Parse([]byte(def)); err == nil {
			t.Errorf("Parse accepted %s", def)
		}
	}
}

// AWS accepts a definition calling $eval and fails the state at run time
// with T1006 (its JSONata has no $eval), catchable as
// States.QueryEvaluationError.
func TestJSONataEvalIsNoFunction(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"r":"{% $eval('1+1') %}"},"End":true}}}`
	if p := asl.Validate([]byte(def), asl.ValidateOptions{}); len(p) != 0 {
		t.Fatalf("Validate refused $eval: %v", p)
	}
	m := compile(t, def)
	x, _ := run(t, m, `{}`, echo)
	if x.Status != interp.Failed || x.Error != "States.QueryEvaluationError" || !strings.Contains(x.Cause, "threw an error during evaluation. T1006: ") {
		t.Fatalf("got %s %s %s", x.Status, x.Error, x.Cause)
	}
}

// $shuffle draws from the execution's seeded randomness: same seed, same
// order; the result is a permutation.
func TestJSONataShuffleIsSeeded(t *testing.T) {
	m := compile(t, `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"r":"{% $shuffle([1,2,3,4,5,6,7,8]) %}"},"End":true}}}`)
	a, _ := run(t, m, `{}`, echo)
	b, _ := run(t, m, `{}`, echo)
	if a.Status != interp.Succeeded {
		t.Fatalf("got %s %s %s", a.Status, a.Error, a.Cause)
	}
	ga, gb := jsonv.String(a.Output), jsonv.String(b.Output)
	if ga != gb {
		t.Errorf("same seed, different shuffles: %s, %s", ga, gb)
	}
	r, _ := a.Output.(*jsonv.Object).Value("r").([]any)
	seen := map[int64]bool{}
	for _, v := range r {
		n, _ := v.(int64)
		seen[n] = true
	}
	if len(r) != 8 || len(seen) != 8 {
		t.Errorf("not a permutation: %s", ga)
	}
}
