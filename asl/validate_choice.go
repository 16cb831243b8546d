package asl

import (
	"fmt"
	"strings"

	"github.com/statecraft/statecraft/jsonv"
)

type vdOperand uint8

const (
	vdOperandString vdOperand = iota
	vdOperandNumber
	vdOperandBool
	vdOperandTimestamp
	vdOperandPath
	vdOperandLogic // And, Or, Not
)

// vdOperators maps every Choice rule operator to the operand it takes.
var vdOperators = func() map[string]vdOperand {
	m := map[string]vdOperand{
		"And": vdOperandLogic, "Or": vdOperandLogic, "Not": vdOperandLogic,
		"StringMatches": vdOperandString,
		"IsNull":        vdOperandBool, "IsPresent": vdOperandBool, "IsNumeric": vdOperandBool,
		"IsString": vdOperandBool, "IsBoolean": vdOperandBool, "IsTimestamp": vdOperandBool,
		"BooleanEquals": vdOperandBool, "BooleanEqualsPath": vdOperandPath,
	}
	for _, cmp := range []string{"Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"} {
		m["String"+cmp] = vdOperandString
		m["Numeric"+cmp] = vdOperandNumber
		m["Timestamp"+cmp] = vdOperandTimestamp
		m["String"+cmp+"Path"] = vdOperandPath
		m["Numeric"+cmp+"Path"] = vdOperandPath
		m["Timestamp"+cmp+"Path"] = vdOperandPath
	}
	return m
}()

const vdOperatorHint = "a comparison such as StringEquals, NumericGreaterThan, TimestampLessThan, BooleanEquals, IsPresent (with 'Variable'), or one of 'And', 'Or', 'Not'"

func (v *defValidator) choiceState(st *vdState) {
	raw, ok := st.obj.Get("Choices")
	if !ok {
		v.schema(st.ptr, "Missing required field 'Choices'; expected a non-empty array of Choice rules")
	} else if rules, isArr := raw.([]any); !isArr || len(rules) == 0 {
		v.schema(st.field("Choices"), "Field 'Choices' must be a non-empty array of Choice rules, got %s", vdDescribe(raw))
	} else {
		for i, r := range rules {
			ptr := vdPointer(st.field("Choices"), fmt.Sprint(i))
			if st.jsonata {
				v.conditionRule(st, ptr, r)
			} else {
				v.choiceRule(st, ptr, r, true, 0)
			}
		}
	}
	if d, ok := st.obj.Get("Default"); ok {
		if name, isStr := d.(string); isStr {
			st.edges = append(st.edges, vdEdge{target: name, ptr: st.field("Default")})
		} else {
			v.schema(st.field("Default"), "Field 'Default' must be a string naming the state to go to when no rule matches, got %s", vdDescribe(d))
		}
	}
}

// ruleNext checks the Next of a top-level rule and records the transition.
func (v *defValidator) ruleNext(st *vdState, ptr string, obj *jsonv.Object) {
	next, ok := obj.Get("Next")
	if !ok {
		v.schema(ptr, "Missing required field 'Next'; a top-level Choice rule needs the name of the state to go to when it matches")
		return
	}
	name, isStr := next.(string)
	if !isStr {
		v.schema(vdPointer(ptr, "Next"), "Field 'Next' must be a string naming the state to go to, got %s", vdDescribe(next))
		return
	}
	st.edges = append(st.edges, vdEdge{target: name, ptr: vdPointer(ptr, "Next")})
}

// conditionRule checks a JSONata Choice rule: a Condition instead of
// Variable and operators.
func (v *defValidator) conditionRule(st *vdState, ptr string, raw any) {
	obj, ok := raw.(*jsonv.Object)
	if !ok {
		v.schema(ptr, "A Choice rule must be an object with 'Condition' and 'Next', got %s", vdDescribe(raw))
		return
	}
	v.ruleNext(st, ptr, obj)
	if _, ok := obj.Get("Condition"); !ok {
		v.schema(ptr, "Missing required field 'Condition'; a JSONata Choice rule needs a JSONata expression \"{%% ... %%}\" that yields a boolean")
	}
	for _, k := range jsonv.SortedKeys(obj) {
		val := obj.Value(k)
		kptr := vdPointer(ptr, k)
		switch k {
		case "Next":
		case "Comment":
			v.wantString(kptr, k, val)
		case "Assign":
			v.assign(kptr, val, true, st.depth)
		case "Output":
		case "Condition":
			s, isStr := val.(string)
			_, isBool := val.(bool)
			if !isBool && !(isStr && vdIsExpr(s)) {
				v.schema(kptr, "Field 'Condition' must be a JSONata expression \"{%% ... %%}\" that yields a boolean, got %s", vdDescribe(val))
			}
		default:
			if _, isOp := vdOperators[k]; isOp || k == "Variable" {
				v.schema(kptr, "Field '%s' is not supported when QueryLanguage is JSONata; use 'Condition' with a JSONata expression instead", k)
			} else {
				v.schema(kptr, "Field '%s' is not supported in a JSONata Choice rule; expected Condition, Next, Assign, Output or Comment", k)
			}
		}
	}
}

// choiceRule checks a JSONPath Choice rule. Top-level rules carry Next (and
// may carry Assign); rules nested in And, Or and Not carry neither.
func (v *defValidator) choiceRule(st *vdState, ptr string, raw any, top bool, depth int) {
	if depth > vdMaxDepth {
		v.add(ptr, CodeTooDeeplyNested, "Choice rules are nested more than %d levels deep; simplify the condition", vdMaxDepth)
		return
	}
	obj, ok := raw.(*jsonv.Object)
	if !ok {
		v.schema(ptr, "A Choice rule must be an object with %s, got %s", vdOperatorHint, vdDescribe(raw))
		return
	}
	if top {
		v.ruleNext(st, ptr, obj)
	}
	var ops []string
	for _, k := range jsonv.SortedKeys(obj) {
		val := obj.Value(k)
		kptr := vdPointer(ptr, k)
		if _, isOp := vdOperators[k]; isOp {
			ops = append(ops, k)
			continue
		}
		switch k {
		case "Variable":
			// Checked below, once the operator is known.
		case "Comment":
			v.wantString(kptr, k, val)
		case "Next", "Assign":
			if !top {
				v.schema(kptr, "Field '%s' is only allowed in a top-level Choice rule, not in one nested in 'And', 'Or' or 'Not'", k)
			} else if k == "Assign" {
				v.assign(kptr, val, false, st.depth)
			}
		case "Condition", "Output":
			v.schema(kptr, "Field '%s' is only supported when QueryLanguage is JSONata; a JSONPath Choice rule uses 'Variable' and a comparison operator", k)
		default:
			v.schema(kptr, "Field '%s' is not supported in a Choice rule; expected 'Variable' with %s", k, vdOperatorHint)
		}
	}
	switch len(ops) {
	case 0:
		v.schema(ptr, "A Choice rule needs exactly one operator: %s", vdOperatorHint)
		return
	case 1:
	default:
		v.schema(ptr, "A Choice rule needs exactly one operator; found %s", vdQuoteList(ops))
		return
	}
	op := ops[0]
	val := obj.Value(op)
	kptr := vdPointer(ptr, op)
	variable, hasVariable := obj.Get("Variable")
	if vdOperators[op] == vdOperandLogic {
		if hasVariable {
			v.schema(vdPointer(ptr, "Variable"), "Field 'Variable' is not used with '%s'; put 'Variable' in each nested rule", op)
		}
		v.logicRule(st, kptr, op, val, depth)
		return
	}
	if !hasVariable {
		v.schema(ptr, "Missing required field 'Variable'; '%s' compares the value at a path such as \"$.status\"", op)
	} else {
		v.pathField(vdPointer(ptr, "Variable"), "Variable", variable, false, true)
	}
	v.operand(kptr, op, val)
}

func (v *defValidator) logicRule(st *vdState, ptr, op string, val any, depth int) {
	if op == "Not" {
		if _, ok := val.(*jsonv.Object); !ok {
			v.schema(ptr, "Field 'Not' must be one Choice rule object, got %s", vdDescribe(val))
			return
		}
		v.choiceRule(st, ptr, val, false, depth+1)
		return
	}
	arr, ok := val.([]any)
	if !ok || len(arr) == 0 {
		v.schema(ptr, "Field '%s' must be a non-empty array of Choice rules, got %s", op, vdDescribe(val))
		return
	}
	for i, r := range arr {
		v.choiceRule(st, vdPointer(ptr, fmt.Sprint(i)), r, false, depth+1)
	}
}

func (v *defValidator) operand(ptr, op string, val any) {
	switch vdOperators[op] {
	case vdOperandString:
		if _, ok := val.(string); !ok {
			v.schema(ptr, "Field '%s' must be a string, got %s", op, vdDescribe(val))
		}
	case vdOperandNumber:
		if _, ok := vdFiniteNumber(val); !ok {
			v.schema(ptr, "Field '%s' must be a number, got %s", op, vdDescribe(val))
		}
	case vdOperandBool:
		if _, ok := val.(bool); !ok {
			v.schema(ptr, "Field '%s' must be a boolean, got %s", op, vdDescribe(val))
		}
	case vdOperandTimestamp:
		s, ok := val.(string)
		if !ok {
			v.schema(ptr, "Field '%s' must be an RFC3339 timestamp string such as \"2016-03-14T01:59:00Z\", got %s", op, vdDescribe(val))
		} else if _, ok := ParseTimestamp(s); !ok {
			v.schema(ptr, "String does not match RFC3339 timestamp")
		}
	case vdOperandPath:
		v.pathField(ptr, op, val, false, true)
	}
}

// vdIsExpr reports whether s is a JSONata expression "{% ... %}".
func vdIsExpr(s string) bool {
	return len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}")
}
