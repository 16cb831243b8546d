package graph

import (
	"testing"

	"github.com/statecraft/statecraft/asl"
)

// parseRule parses one Choice rule given as its fields (without Next).
func parseRule(t *testing.T, fields string) *asl.ChoiceRule {
	t.Helper()
	def := `{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{` + fields + `, "Next": "D"}]}, "D": {"Type": "Succeed"}}}`
	if problems := asl.Validate([]byte(def), asl.ValidateOptions{}); len(problems) > 0 {
		t.Fatalf("rule %s is not valid: %v", fields, problems)
	}
	sm, err := asl.Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	return sm.States["C"].Choices[0]
}

func TestFormatRule(t *testing.T) {
	tests := []struct {
		fields string
		want   string
	}{
		{`"Variable": "$.activities", "NumericEquals": 0`, `$.activities == 0`},
		{`"Variable": "$.x", "NumericGreaterThan": 50`, `$.x > 50`},
		{`"Variable": "$.x", "NumericLessThan": 1.5`, `$.x < 1.5`},
		{`"Variable": "$.x", "NumericLessThanEquals": -3`, `$.x <= -3`},
		{`"Variable": "$.x", "NumericGreaterThanEquals": 1e3`, `$.x >= 1000`},
		{`"Variable": "$.x", "NumericEqualsPath": "$.y"`, `$.x == $.y`},
		{`"Variable": "$.x", "NumericGreaterThanPath": "$$.Execution.Input.limit"`, `$.x > $$.Execution.Input.limit`},
		{`"Variable": "$.s", "StringEquals": "say \"hi\""`, `$.s == "say \"hi\""`},
		{`"Variable": "$.s", "StringLessThan": "m"`, `$.s < "m"`},
		{`"Variable": "$.s", "StringGreaterThan": "m"`, `$.s > "m"`},
		{`"Variable": "$.s", "StringLessThanEquals": "m"`, `$.s <= "m"`},
		{`"Variable": "$.s", "StringGreaterThanEquals": "m"`, `$.s >= "m"`},
		{`"Variable": "$.s", "StringEqualsPath": "$.other"`, `$.s == $.other`},
		{`"Variable": "$.s", "StringMatches": "a*"`, `$.s matches "a*"`},
		{`"Variable": "$.s", "StringMatches": "log-*.txt"`, `$.s matches "log-*.txt"`},
		{`"Variable": "$.b", "BooleanEquals": true`, `$.b == true`},
		{`"Variable": "$.b", "BooleanEqualsPath": "$.c"`, `$.b == $.c`},
		{`"Variable": "$.t", "TimestampEquals": "2024-01-01T00:00:00Z"`, `$.t == "2024-01-01T00:00:00Z"`},
		{`"Variable": "$.t", "TimestampLessThan": "2024-01-01T00:00:00Z"`, `$.t < "2024-01-01T00:00:00Z"`},
		{`"Variable": "$.t", "TimestampGreaterThan": "2024-01-01T00:00:00Z"`, `$.t > "2024-01-01T00:00:00Z"`},
		{`"Variable": "$.t", "TimestampLessThanEquals": "2024-01-01T00:00:00Z"`, `$.t <= "2024-01-01T00:00:00Z"`},
		{`"Variable": "$.t", "TimestampGreaterThanEqualsPath": "$.u"`, `$.t >= $.u`},
		{`"Variable": "$.x", "IsPresent": true`, `IsPresent($.x)`},
		{`"Variable": "$.x", "IsPresent": false`, `not(IsPresent($.x))`},
		{`"Variable": "$.x", "IsNull": true`, `IsNull($.x)`},
		{`"Variable": "$.x", "IsNumeric": false`, `not(IsNumeric($.x))`},
		{`"Variable": "$.x", "IsString": true`, `IsString($.x)`},
		{`"Variable": "$.x", "IsBoolean": true`, `IsBoolean($.x)`},
		{`"Variable": "$.x", "IsTimestamp": true`, `IsTimestamp($.x)`},
		{`"Variable": "$[1].dtmfParams.dtmfBuffer", "StringEquals": ""`, `$[1].dtmfParams.dtmfBuffer == ""`},
		{`"Variable": "$.a['b c']", "NumericEquals": 1`, `$.a['b c'] == 1`},
		{`"Not": {"Variable": "$.x", "NumericEquals": 0}`, `not($.x == 0)`},
		{`"And": [{"Variable": "$.x", "NumericGreaterThan": 50}, {"Variable": "$.x", "NumericLessThan": 100}]`, `and($.x > 50, $.x < 100)`},
		{
			`"Or": [{"Variable": "$.a", "IsPresent": false}, {"And": [{"Variable": "$.b", "StringEquals": "x"}, {"Not": {"Variable": "$.c", "BooleanEquals": true}}]}]`,
			`or(not(IsPresent($.a)), and($.b == "x", not($.c == true)))`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := FormatRule(parseRule(t, tc.fields)); got != tc.want {
				t.Errorf("FormatRule(%s) = %q, want %q", tc.fields, got, tc.want)
			}
		})
	}
}

// TestFormatRuleOdd: rules that only an unvalidated definition or a
// hand-made value holds still format without panicking.
func TestFormatRuleOdd(t *testing.T) {
	tests := []struct {
		rule *asl.ChoiceRule
		want string
	}{
		{nil, "?"},
		{&asl.ChoiceRule{}, "?"},
		{&asl.ChoiceRule{Op: asl.OpNumericEquals, Value: int64(3)}, "? == 3"},
		{&asl.ChoiceRule{Op: asl.OpIsNull, Value: "yes"}, `IsNull(?) == "yes"`},
		{&asl.ChoiceRule{Op: asl.OpAnd}, "and()"},
		{&asl.ChoiceRule{Op: asl.OpNot, Children: []*asl.ChoiceRule{nil}}, "not(?)"},
		{&asl.ChoiceRule{Condition: "{%  $x > 1 %}"}, "$x > 1"},
		{&asl.ChoiceRule{Condition: "not delimited"}, "not delimited"},
		{&asl.ChoiceRule{Condition: true}, "true"},
		{&asl.ChoiceRule{Op: asl.Op(200)}, "?"},
	}
	for _, tc := range tests {
		if got := FormatRule(tc.rule); got != tc.want {
			t.Errorf("FormatRule(%+v) = %q, want %q", tc.rule, got, tc.want)
		}
	}
}
