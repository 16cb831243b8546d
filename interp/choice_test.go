package interp_test

import (
	"testing"

	"github.com/statecraft/statecraft/interp"

	"github.com/statecraft/statecraft/jsonv"
)

// choiceDef is a Choice with one rule leading to Yes and a Default of No.
func choiceDef(rule string) string {
	return `{"StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[` + rule + `],"Default":"No"},
		"Yes":{"Type":"Pass","Result":"yes","End":true},
		"No":{"Type":"Pass","Result":"no","End":true}}}`
}

func TestChoiceOperators(t *testing.T) {
	const input = `{"s":"apple","n":10,"f":2.5,"b":true,"z":null,"ts":"2024-03-01T12:00:00Z",
		"tsOff":"2024-03-01T13:00:00+01:00","later":"2024-03-01T12:00:01Z","bad":"2024-03-01",
		"other":"banana","ten":10,"nine":9.0,"yes":true,"star":"a*b","file":"log-2024.txt","bs":"a\\b",
		"arr":[1,2],"obj":{"k":"v"},"empty":""}`
	tests := []struct {
		name  string
		rule  string
		match bool
	}{
		// Strings.
		{"StringEquals", `{"Variable":"$.s","StringEquals":"apple"}`, true},
		{"StringEquals case", `{"Variable":"$.s","StringEquals":"Apple"}`, false},
		{"StringEquals non-string", `{"Variable":"$.n","StringEquals":"10"}`, false},
		{"StringLessThan", `{"Variable":"$.s","StringLessThan":"banana"}`, true},
		{"StringLessThan equal", `{"Variable":"$.s","StringLessThan":"apple"}`, false},
		{"StringGreaterThan", `{"Variable":"$.s","StringGreaterThan":"Apple"}`, true},
		{"StringLessThanEquals", `{"Variable":"$.s","StringLessThanEquals":"apple"}`, true},
		{"StringGreaterThanEquals", `{"Variable":"$.s","StringGreaterThanEquals":"apples"}`, false},
		{"StringEqualsPath", `{"Variable":"$.s","StringEqualsPath":"$.other"}`, false},
		{"StringLessThanPath", `{"Variable":"$.s","StringLessThanPath":"$.other"}`, true},
		{"StringGreaterThanEqualsPath", `{"Variable":"$.other","StringGreaterThanEqualsPath":"$.s"}`, true},
		{"StringEquals empty", `{"Variable":"$.empty","StringEquals":""}`, true},
		// StringMatches.
		{"StringMatches prefix", `{"Variable":"$.file","StringMatches":"log-*"}`, true},
		{"StringMatches middle", `{"Variable":"$.file","StringMatches":"log-*.txt"}`, true},
		{"StringMatches two stars", `{"Variable":"$.file","StringMatches":"*-*.txt"}`, true},
		{"StringMatches anchored", `{"Variable":"$.file","StringMatches":"log-*.csv"}`, false},
		{"StringMatches no star exact", `{"Variable":"$.s","StringMatches":"apple"}`, true},
		{"StringMatches no star partial", `{"Variable":"$.s","StringMatches":"app"}`, false},
		{"StringMatches star alone", `{"Variable":"$.empty","StringMatches":"*"}`, true},
		{"StringMatches escaped star literal", `{"Variable":"$.star","StringMatches":"a\\*b"}`, true},
		{"StringMatches escaped star not wildcard", `{"Variable":"$.file","StringMatches":"log-\\*"}`, false},
		{"StringMatches regexp chars literal", `{"Variable":"$.file","StringMatches":"log-....\\.txt"}`, false},
		{"StringMatches dot literal", `{"Variable":"$.file","StringMatches":"log-2024.tx?"}`, false},
		{"StringMatches escaped backslash", `{"Variable":"$.bs","StringMatches":"a\\\\b"}`, true},
		{"StringMatches non-string", `{"Variable":"$.n","StringMatches":"*"}`, false},
		// Numbers.
		{"NumericEquals", `{"Variable":"$.n","NumericEquals":10}`, true},
		{"NumericEquals float", `{"Variable":"$.n","NumericEquals":10.0}`, true},
		{"NumericEquals other", `{"Variable":"$.n","NumericEquals":11}`, false},
		{"NumericEquals string", `{"Variable":"$.s","NumericEquals":10}`, false},
		{"NumericLessThan", `{"Variable":"$.f","NumericLessThan":3}`, true},
		{"NumericLessThan equal", `{"Variable":"$.n","NumericLessThan":10}`, false},
		{"NumericGreaterThan", `{"Variable":"$.f","NumericGreaterThan":2.4}`, true},
		{"NumericLessThanEquals", `{"Variable":"$.n","NumericLessThanEquals":10}`, true},
		{"NumericGreaterThanEquals", `{"Variable":"$.f","NumericGreaterThanEquals":2.51}`, false},
		{"NumericEqualsPath", `{"Variable":"$.n","NumericEqualsPath":"$.ten"}`, true},
		{"NumericGreaterThanPath", `{"Variable":"$.n","NumericGreaterThanPath":"$.nine"}`, true},
		{"NumericLessThanEqualsPath", `{"Variable":"$.n","NumericLessThanEqualsPath":"$.nine"}`, false},
		{"NumericEqualsPath non-number", `{"Variable":"$.n","NumericEqualsPath":"$.s"}`, false},
		{"negative", `{"Variable":"$.n","NumericGreaterThan":-1e3}`, true},
		// Booleans.
		{"BooleanEquals", `{"Variable":"$.b","BooleanEquals":true}`, true},
		{"BooleanEquals false", `{"Variable":"$.b","BooleanEquals":false}`, false},
		{"BooleanEquals non-bool", `{"Variable":"$.s","BooleanEquals":true}`, false},
		{"BooleanEqualsPath", `{"Variable":"$.b","BooleanEqualsPath":"$.yes"}`, true},
		// Timestamps.
		{"TimestampEquals", `{"Variable":"$.ts","TimestampEquals":"2024-03-01T12:00:00Z"}`, true},
		{"TimestampEquals other offset", `{"Variable":"$.tsOff","TimestampEquals":"2024-03-01T12:00:00Z"}`, true},
		{"TimestampEquals fraction", `{"Variable":"$.ts","TimestampEquals":"2024-03-01T12:00:00.000Z"}`, true},
		{"TimestampLessThan", `{"Variable":"$.ts","TimestampLessThan":"2024-03-01T12:00:00.001Z"}`, true},
		{"TimestampLessThan equal", `{"Variable":"$.ts","TimestampLessThan":"2024-03-01T12:00:00Z"}`, false},
		{"TimestampGreaterThan", `{"Variable":"$.later","TimestampGreaterThan":"2024-03-01T12:00:00Z"}`, true},
		{"TimestampLessThanEquals", `{"Variable":"$.ts","TimestampLessThanEquals":"2024-03-01T12:00:00Z"}`, true},
		{"TimestampGreaterThanEquals", `{"Variable":"$.ts","TimestampGreaterThanEquals":"2024-03-01T12:00:01Z"}`, false},
		{"TimestampEqualsPath", `{"Variable":"$.ts","TimestampEqualsPath":"$.tsOff"}`, true},
		{"TimestampLessThanPath", `{"Variable":"$.ts","TimestampLessThanPath":"$.later"}`, true},
		{"TimestampGreaterThanPath", `{"Variable":"$.ts","TimestampGreaterThanPath":"$.later"}`, false},
		{"Timestamp invalid variable", `{"Variable":"$.bad","TimestampLessThan":"2030-01-01T00:00:00Z"}`, false},
		{"Timestamp non-string variable", `{"Variable":"$.n","TimestampLessThan":"2030-01-01T00:00:00Z"}`, false},
		{"TimestampEqualsPath invalid operand", `{"Variable":"$.ts","TimestampEqualsPath":"$.bad"}`, false},
		// Type tests.
		{"IsNull", `{"Variable":"$.z","IsNull":true}`, true},
		{"IsNull false on value", `{"Variable":"$.s","IsNull":true}`, false},
		{"IsNull false flag", `{"Variable":"$.s","IsNull":false}`, true},
		{"IsPresent", `{"Variable":"$.s","IsPresent":true}`, true},
		{"IsPresent null", `{"Variable":"$.z","IsPresent":true}`, true},
		{"IsPresent missing", `{"Variable":"$.missing","IsPresent":true}`, false},
		{"IsPresent false missing", `{"Variable":"$.missing.deeper","IsPresent":false}`, true},
		{"IsNumeric int", `{"Variable":"$.n","IsNumeric":true}`, true},
		{"IsNumeric float", `{"Variable":"$.f","IsNumeric":true}`, true},
		{"IsNumeric string", `{"Variable":"$.s","IsNumeric":true}`, false},
		{"IsNumeric false", `{"Variable":"$.s","IsNumeric":false}`, true},
		{"IsString", `{"Variable":"$.s","IsString":true}`, true},
		{"IsString number", `{"Variable":"$.n","IsString":true}`, false},
		{"IsBoolean", `{"Variable":"$.b","IsBoolean":true}`, true},
		{"IsBoolean null", `{"Variable":"$.z","IsBoolean":true}`, false},
		{"IsTimestamp", `{"Variable":"$.ts","IsTimestamp":true}`, true},
		{"IsTimestamp offset", `{"Variable":"$.tsOff","IsTimestamp":true}`, true},
		{"IsTimestamp date only", `{"Variable":"$.bad","IsTimestamp":true}`, false},
		{"IsTimestamp false", `{"Variable":"$.s","IsTimestamp":false}`, true},
		{"IsTimestamp array", `{"Variable":"$.arr","IsTimestamp":true}`, false},
		// Boolean combinations.
		{"And all", `{"And":[{"Variable":"$.n","NumericEquals":10},{"Variable":"$.b","BooleanEquals":true}]}`, true},
		{"And one false", `{"And":[{"Variable":"$.n","NumericEquals":10},{"Variable":"$.b","BooleanEquals":false}]}`, false},
		{"Or one true", `{"Or":[{"Variable":"$.n","NumericEquals":1},{"Variable":"$.s","StringEquals":"apple"}]}`, true},
		{"Or none", `{"Or":[{"Variable":"$.n","NumericEquals":1},{"Variable":"$.s","StringEquals":"pear"}]}`, false},
		{"Not", `{"Not":{"Variable":"$.s","StringEquals":"pear"}}`, true},
		{"Not true", `{"Not":{"Variable":"$.s","StringEquals":"apple"}}`, false},
		{"Nested", `{"And":[{"Not":{"Variable":"$.z","IsPresent":false}},{"Or":[{"Variable":"$.f","NumericLessThan":0},{"Not":{"Variable":"$.s","StringMatches":"b*"}}]}]}`, true},
		// Or short-circuits: the missing path after the match is never read.
		{"Or short-circuit", `{"Or":[{"Variable":"$.b","BooleanEquals":true},{"Variable":"$.missing","StringEquals":"x"}]}`, true},
		{"And short-circuit", `{"And":[{"Variable":"$.b","BooleanEquals":false},{"Variable":"$.missing","StringEquals":"x"}]}`, false},
		// Variables from the context object.
		{"context", `{"Variable":"$$.State.Name","StringEquals":"C"}`, true},
		{"context input", `{"Variable":"$$.Execution.Input.n","NumericEquals":10}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := run(t, compile(t, choiceDef(`{`+tc.rule[1:len(tc.rule)-1]+`,"Next":"Yes"}`)), input, nil)
			out := `"no"`
			if tc.match {
				out = `"yes"`
			}
			check(t, res, want{Status: interp.Succeeded, Output: out})
		})
	}
}

func TestChoiceFirstMatchAndOutput(t *testing.T) {
	def := `{"StartAt":"C","States":{
		"C":{"Type":"Choice","InputPath":"$.in","OutputPath":"$.v","Choices":[
			{"Variable":"$.v","NumericGreaterThan":100,"Next":"Big"},
			{"Variable":"$.v","NumericGreaterThan":10,"Next":"Medium"},
			{"Variable":"$.v","NumericGreaterThan":0,"Next":"Small"}],"Default":"Zero"},
		"Big":{"Type":"Pass","Result":"big","End":true},
		"Medium":{"Type":"Pass","Parameters":{"size":"medium","v.$":"$"},"End":true},
		"Small":{"Type":"Pass","Result":"small","End":true},
		"Zero":{"Type":"Pass","End":true}}}`
	tests := []struct{ input, output string }{
		{`{"in":{"v":500}}`, `"big"`},
		{`{"in":{"v":50}}`, `{"size":"medium","v":50}`},
		{`{"in":{"v":5}}`, `"small"`},
		{`{"in":{"v":0}}`, `0`},
	}
	m := compile(t, def)
	for _, tc := range tests {
		res, _ := run(t, m, tc.input, nil)
		check(t, res, want{Status: interp.Succeeded, Output: tc.output})
		exited := eventsOf(res.History, "ChoiceStateExited")
		if len(exited) != 1 || field(t, exited[0], "output") != jsonTextOf(t, tc.input, "v") {
			t.Errorf("ChoiceStateExited = %v", exited)
		}
	}
}

func jsonTextOf(t *testing.T, input, key string) string {
	return mustJSON(parseJSON(t, input).(*jsonv.Object).Value("in").(*jsonv.Object).Value(key))
}

func TestChoiceErrors(t *testing.T) {
	tests := []struct {
		name, def, input, err, cause string
	}{
		{
			name: "no match and no default",
			def: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"Y"}]},
				"Y":{"Type":"Succeed"}}}`,
			input: `{"n":2}`, err: "States.NoChoiceMatched",
			cause: "An error occurred while executing the state 'C' (entered at the event id #2). Failed to transition out of the state. No Choice matched and no Default was specified.",
		},
		{
			name:  "missing variable",
			def:   choiceDef(`{"Variable":"$.missing","StringEquals":"x","Next":"Yes"}`),
			input: `{}`, err: "States.Runtime",
			cause: "An error occurred while executing the state 'C' (entered at the event id #2). Invalid path '$.missing': The choice state's condition path references an invalid value.",
		},
		{
			name:  "missing operand path",
			def:   choiceDef(`{"Variable":"$.a","StringEqualsPath":"$.missing","Next":"Yes"}`),
			input: `{"a":"x"}`, err: "States.Runtime",
			cause: "An error occurred while executing the state 'C' (entered at the event id #2). Invalid path '$.missing': The choice state's condition path references an invalid value.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := run(t, compile(t, tc.def), tc.input, nil)
			check(t, res, want{Status: interp.Failed, Error: tc.err, Cause: tc.cause,
				Types: []string{"ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"}})
		})
	}
}

// NoChoiceMatched is an ordinary error inside a Parallel branch: a catcher
// on the Parallel sees it.
func TestChoiceNoMatchCaught(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
		"Catch":[{"ErrorEquals":["States.NoChoiceMatched"],"Next":"H","ResultPath":"$.e"}],
		"Branches":[{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"Y"}]},"Y":{"Type":"Succeed"}}}]},
		"H":{"Type":"Pass","OutputPath":"$.e.Error","End":true}}}`
	res, _ := run(t, compile(t, def), `{"n":0}`, nil)
	check(t, res, want{Status: interp.Succeeded, Output: `"States.NoChoiceMatched"`})
}
