package interp

import (
	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/asl/jsonpath"
	"github.com/statecraft/statecraft/jsonv"
)

// choose returns the first matching rule, nil when none matches.
func (x *Execution) choose(f *frame, sc *jsonpath.Scope) (*asl.ChoiceRule, *stateError) {
	for _, r := range f.state.Choices {
		ok, err := x.evalRule(f, r, sc)
		if err != nil {
			return nil, err
		}
		if ok {
			return r, nil
		}
	}
	return nil, nil
}

func (x *Execution) evalRule(f *frame, r *asl.ChoiceRule, sc *jsonpath.Scope) (bool, *stateError) {
	switch r.Op {
	case asl.OpAnd:
		for _, c := range r.Children {
			ok, err := x.evalRule(f, c, sc)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case asl.OpOr:
		for _, c := range r.Children {
			ok, err := x.evalRule(f, c, sc)
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		}
		return false, nil
	case asl.OpNot:
		ok, err := x.evalRule(f, r.Children[0], sc)
		return !ok, err
	case asl.OpNone:
		return false, x.runtimeErr(f, "The Choice rule has no comparison operator.")
	}
	v, found := r.Variable.Get(sc)
	switch r.Op {
	case asl.OpIsPresent:
		return found == r.Value.(bool), nil
	}
	if !found {
		return false, x.runtimeErr(f, "Invalid path '"+r.Variable.String()+"': The choice state's condition path references an invalid value.")
	}
	switch r.Op {
	case asl.OpIsNull:
		return (v == nil) == asBool(r.Value), nil
	case asl.OpIsNumeric:
		return jsonv.IsNumber(v) == asBool(r.Value), nil
	case asl.OpIsString:
		_, ok := v.(string)
		return ok == asBool(r.Value), nil
	case asl.OpIsBoolean:
		_, ok := v.(bool)
		return ok == asBool(r.Value), nil
	case asl.OpIsTimestamp:
		s, ok := v.(string)
		if ok {
			_, ok = asl.ParseTimestamp(s)
		}
		return ok == asBool(r.Value), nil
	}
	operand := r.Value
	if r.ValuePath != nil {
		ov, ok := r.ValuePath.Get(sc)
		if !ok {
			return false, x.runtimeErr(f, "Invalid path '"+r.ValuePath.String()+"': The choice state's condition path references an invalid value.")
		}
		operand = ov
	}
	switch r.Op {
	case asl.OpStringEquals, asl.OpStringLessThan, asl.OpStringGreaterThan, asl.OpStringLessThanEquals, asl.OpStringGreaterThanEquals:
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		return compare(r.Op-asl.OpStringEquals, cmpString(a, b)), nil
	case asl.OpStringMatches:
		a, ok := v.(string)
		if !ok {
			return false, nil
		}
		if r.Pattern == nil {
			s, _ := operand.(string)
			p, err := asl.CompilePattern(s)
			if err != nil {
				return false, nil
			}
			return p.Match(a), nil
		}
		return r.Pattern.Match(a), nil
	case asl.OpNumericEquals, asl.OpNumericLessThan, asl.OpNumericGreaterThan, asl.OpNumericLessThanEquals, asl.OpNumericGreaterThanEquals:
		c, ok := cmpNumber(v, operand)
		if !ok {
			return false, nil
		}
		return compare(r.Op-asl.OpNumericEquals, c), nil
	case asl.OpBooleanEquals:
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b, nil
	case asl.OpTimestampEquals, asl.OpTimestampLessThan, asl.OpTimestampGreaterThan, asl.OpTimestampLessThanEquals, asl.OpTimestampGreaterThanEquals:
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		a, ok := asl.ParseTimestamp(s)
		if !ok {
			return false, nil
		}
		b := r.Time
		if r.ValuePath != nil {
			os, ok := operand.(string)
			if !ok {
				return false, nil
			}
			if b, ok = asl.ParseTimestamp(os); !ok {
				return false, nil
			}
		}
		return compare(r.Op-asl.OpTimestampEquals, a.Compare(b)), nil
	}
	return false, nil
}

func asBool(v any) bool {
	b, _ := v.(bool)
	return b
}

// compare applies the k-th operator of a family (Equals, LessThan,
// GreaterThan, LessThanEquals, GreaterThanEquals) to a three-way result.
func compare(k asl.Op, c int) bool {
	switch k {
	case 0:
		return c == 0
	case 1:
		return c < 0
	case 2:
		return c > 0
	case 3:
		return c <= 0
	default:
		return c >= 0
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpNumber(a, b any) (int, bool) {
	if ia, ok := a.(int64); ok {
		if ib, ok := b.(int64); ok {
			switch {
			case ia < ib:
				return -1, true
			case ia > ib:
				return 1, true
			}
			return 0, true
		}
	}
	fa, ok1 := jsonv.Number(a)
	fb, ok2 := jsonv.Number(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	switch {
	case fa < fb:
		return -1, true
	case fa > fb:
		return 1, true
	}
	return 0, true
}
