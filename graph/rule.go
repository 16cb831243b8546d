package graph

import (
	"strings"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/jsonv"
)

// comparisons are the symbols of the comparison operators.
var comparisons = map[asl.Op]string{
	asl.OpStringEquals:               "==",
	asl.OpStringLessThan:             "<",
	asl.OpStringGreaterThan:          ">",
	asl.OpStringLessThanEquals:       "<=",
	asl.OpStringGreaterThanEquals:    ">=",
	asl.OpStringMatches:              "matches",
	asl.OpNumericEquals:              "==",
	asl.OpNumericLessThan:            "<",
	asl.OpNumericGreaterThan:         ">",
	asl.OpNumericLessThanEquals:      "<=",
	asl.OpNumericGreaterThanEquals:   ">=",
	asl.OpBooleanEquals:              "==",
	asl.OpTimestampEquals:            "==",
	asl.OpTimestampLessThan:          "<",
	asl.OpTimestampGreaterThan:       ">",
	asl.OpTimestampLessThanEquals:    "<=",
	asl.OpTimestampGreaterThanEquals: ">=",
}

// typeTests are the names of the type-test operators.
var typeTests = map[asl.Op]string{
	asl.OpIsNull:      "IsNull",
	asl.OpIsPresent:   "IsPresent",
	asl.OpIsNumeric:   "IsNumeric",
	asl.OpIsString:    "IsString",
	asl.OpIsBoolean:   "IsBoolean",
	asl.OpIsTimestamp: "IsTimestamp",
}

// FormatRule renders a Choice rule as a one-line expression:
//
//	$.activities == 0
//	$.x > $.limit              (a ...Path operator: the operand is a path)
//	$.s matches "a*"
//	IsPresent($.x)             (IsPresent: true)
//	not(IsNull($.x))           (IsNull: false)
//	and($.a == 1, or($.b < 2, not($.c == "x")))
//
// String, timestamp and other literal operands are shown as JSON. A JSONata
// rule shows its Condition without the {% %} delimiters.
func FormatRule(r *asl.ChoiceRule) string {
	if r == nil {
		return "?"
	}
	variable := "?"
	if r.Variable != nil {
		variable = r.Variable.String()
	}
	switch r.Op {
	case asl.OpAnd, asl.OpOr, asl.OpNot:
		parts := make([]string, len(r.Children))
		for i, c := range r.Children {
			parts[i] = FormatRule(c)
		}
		return strings.ToLower(opName(r.Op)) + "(" + strings.Join(parts, ", ") + ")"
	case asl.OpNone:
		if r.Condition != nil {
			return conditionLabel(r.Condition)
		}
		return "?"
	}
	if sym, ok := comparisons[r.Op]; ok {
		operand := jsonv.String(r.Value)
		if r.ValuePath != nil {
			operand = r.ValuePath.String()
		}
		return variable + " " + sym + " " + operand
	}
	if name, ok := typeTests[r.Op]; ok {
		test := name + "(" + variable + ")"
		switch r.Value {
		case true:
			return test
		case false:
			return "not(" + test + ")"
		}
		if r.ValuePath != nil {
			return test + " == " + r.ValuePath.String()
		}
		return test + " == " + jsonv.String(r.Value)
	}
	return "?"
}

// opName is the ASL field name of an operator.
func opName(op asl.Op) string {
	for name, o := range asl.OpNames {
		if o == op {
			return name
		}
	}
	return "?"
}

// conditionLabel shows a JSONata Condition: a "{% ... %}" string as the
// expression inside, anything else as JSON.
func conditionLabel(c any) string {
	s, ok := c.(string)
	if !ok {
		if c == nil {
			return "?"
		}
		return jsonv.String(c)
	}
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{%") && strings.HasSuffix(t, "%}") && len(t) >= 4 {
		return strings.TrimSpace(t[2 : len(t)-2])
	}
	return s
}
