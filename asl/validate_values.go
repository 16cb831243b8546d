package asl

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/statecraft/statecraft/asl/jsonpath"
	"github.com/statecraft/statecraft/jsonv"
)

const vdNoMax = math.MaxInt64

func (v *defValidator) wantString(ptr, name string, val any) {
	if _, ok := val.(string); !ok {
		v.schema(ptr, "Field '%s' must be a string, got %s", name, vdDescribe(val))
	}
}

// wantInt checks an integer field against [min, max] and returns its value.
// orExpr adds the JSONata alternative to the message.
func (v *defValidator) wantInt(ptr, name string, val any, min, max int64, orExpr bool) (int64, bool) {
	i, ok := vdInt(val)
	if ok && i >= min && i <= max {
		return i, true
	}
	var want string
	switch {
	case max != vdNoMax:
		want = fmt.Sprintf("an integer from %d to %d", min, max)
	case min == 1:
		want = "a positive integer"
	case min == 0:
		want = "a non-negative integer"
	default:
		want = fmt.Sprintf("an integer of at least %d", min)
	}
	if orExpr {
		want += " or a JSONata expression \"{% ... %}\""
	}
	v.schema(ptr, "Field '%s' must be %s, got %s", name, want, vdDescribe(val))
	return 0, false
}

// vdInt accepts integral JSON numbers. Integral floats are accepted up to
// 2^53, where float64 stops representing every integer.
func vdInt(val any) (int64, bool) {
	switch x := val.(type) {
	case int64:
		return x, true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return int64(x), true
		}
	}
	return 0, false
}

// vdFiniteNumber rejects the infinities that out-of-range literals such as
// 1e400 decode to.
func vdFiniteNumber(val any) (float64, bool) {
	f, ok := jsonv.Number(val)
	if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// vdParsePath and vdParseIntrinsic shield the validator from panics in the
// query parsers: a path that crashes the parser is an invalid path.
func vdParsePath(s string) (p *jsonpath.Path, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("path %q cannot be parsed", s)
		}
	}()
	return jsonpath.Parse(s)
}

func vdParseIntrinsic(s string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("intrinsic %q cannot be parsed", s)
		}
	}()
	_, err = jsonpath.ParseIntrinsic(s)
	return err
}

// pathField checks a JSONPath field. nullable allows null (InputPath,
// OutputPath, ResultPath discard with null); reference requires a path that
// names a single node.
func (v *defValidator) pathField(ptr, name string, val any, nullable, reference bool) {
	if val == nil && nullable {
		return
	}
	s, ok := val.(string)
	if !ok {
		orNull := ""
		if nullable {
			orNull = " or null"
		}
		v.schema(ptr, "Field '%s' must be a JSONPath string starting with '$'%s, got %s", name, orNull, vdDescribe(val))
		return
	}
	p, err := vdParsePath(s)
	if err != nil {
		v.schema(ptr, "Field '%s' must be a valid JSONPath such as \"$.a.b\": %v", name, err)
		return
	}
	if reference && !p.IsReference() {
		v.schema(ptr, "Field '%s' must be a reference path naming a single node (such as \"$.a.b\" or \"$.a[0]\"; no wildcards, filters, slices or '..'), got %q", name, s)
		return
	}
	if name == "ResultPath" && p.Root() != jsonpath.RootInput {
		v.schema(ptr, "Field 'ResultPath' must be a path into the state input starting with '$' (not the context object '$$' or a variable), got %q", s)
	}
}

// pathOrIntrinsic checks ErrorPath and CausePath, which may also compute
// the text with an intrinsic function.
func (v *defValidator) pathOrIntrinsic(ptr, name string, val any) {
	const want = "a reference path such as \"$.error\" or an intrinsic function call such as \"States.Format('{}', $.code)\""
	s, ok := val.(string)
	if !ok {
		v.schema(ptr, "Field '%s' must be %s, got %s", name, want, vdDescribe(val))
		return
	}
	if strings.HasPrefix(s, "States.") {
		if err := vdParseIntrinsic(s); err != nil {
			v.schema(ptr, "Field '%s' must be %s: %v", name, want, err)
		}
		return
	}
	p, err := vdParsePath(s)
	if err != nil || !p.IsReference() {
		v.schema(ptr, "Field '%s' must be %s, got %q", name, want, s)
	}
}

// templateField checks a payload template (Parameters, ResultSelector,
// ItemSelector): an object whose ".$" keys hold paths or intrinsic calls.
func (v *defValidator) templateField(ptr, name string, val any, depth int) {
	if _, ok := val.(*jsonv.Object); !ok {
		v.schema(ptr, "Field '%s' must be an object (a payload template), got %s", name, vdDescribe(val))
		return
	}
	v.template(ptr, val, depth)
}

// template walks a payload template. A bad ".$" value is reported at the
// object holding the key, which for top-level keys is the template field
// itself: where AWS reports it.
func (v *defValidator) template(ptr string, val any, depth int) {
	if depth > vdMaxDepth {
		v.add(ptr, CodeTooDeeplyNested, "Payload template is nested more than %d levels deep", vdMaxDepth)
		return
	}
	switch x := val.(type) {
	case *jsonv.Object:
		for _, k := range jsonv.SortedKeys(x) {
			if strings.HasSuffix(k, ".$") {
				if !vdValidExpr(x.Value(k)) {
					v.schema(ptr, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", k)
				}
				continue
			}
			v.template(vdPointer(ptr, k), x.Value(k), depth+1)
		}
	case []any:
		for i, e := range x {
			v.template(vdPointer(ptr, fmt.Sprint(i)), e, depth+1)
		}
	}
}

// vdValidExpr reports whether a ".$" value is a path or an intrinsic call.
func vdValidExpr(val any) bool {
	s, ok := val.(string)
	if !ok {
		return false
	}
	switch {
	case strings.HasPrefix(s, "$"):
		_, err := vdParsePath(s)
		return err == nil
	case strings.HasPrefix(s, "States."):
		return vdParseIntrinsic(s) == nil
	}
	return false
}

const vdMaxVariableName = 80

// assign checks an Assign block: an object whose keys are variable names.
// In JSONPath states it is also a payload template.
func (v *defValidator) assign(ptr string, val any, jsonata bool, depth int) {
	obj, ok := val.(*jsonv.Object)
	if !ok {
		v.schema(ptr, "Field 'Assign' must be an object mapping variable names to values, got %s", vdDescribe(val))
		return
	}
	for _, k := range jsonv.SortedKeys(obj) {
		name := k
		if !jsonata {
			name = strings.TrimSuffix(k, ".$")
		}
		if !vdVariableName(name) {
			v.schema(vdPointer(ptr, k), "'%s' is not a valid variable name; expected a letter or '_' followed by letters, digits or '_', at most %d characters, and not 'states'", name, vdMaxVariableName)
		}
	}
	if !jsonata {
		v.template(ptr, obj, depth)
	}
}

// vdVariableName follows the identifier rule paths use for $name, so every
// variable that can be assigned can also be read.
func vdVariableName(s string) bool {
	if s == "" || s == "states" || utf8.RuneCountInString(s) > vdMaxVariableName {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || unicode.Is(unicode.Pc, r)):
		default:
			return false
		}
	}
	return true
}

// objectOrExpr checks JSONata fields that take an object or one expression.
func (v *defValidator) objectOrExpr(ptr, name string, val any) {
	if _, ok := val.(*jsonv.Object); ok {
		return
	}
	if s, ok := val.(string); ok && vdIsExpr(s) {
		return
	}
	v.schema(ptr, "Field '%s' must be an object or a JSONata expression \"{%% ... %%}\", got %s", name, vdDescribe(val))
}

// vdDescribe names a value's type, with the value itself for scalars, for
// "got ..." in messages.
func vdDescribe(val any) string {
	switch x := val.(type) {
	case nil:
		return "null"
	case *jsonv.Object:
		return "an object"
	case []any:
		if len(x) == 0 {
			return "an empty array"
		}
		return "an array"
	case string:
		if utf8.RuneCountInString(x) > 60 {
			x = string([]rune(x)[:57]) + "..."
		}
		return "string " + string(jsonv.AppendString(nil, x))
	case bool:
		return fmt.Sprintf("boolean %t", x)
	}
	if f, ok := jsonv.Number(val); ok {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "a number out of range"
		}
		return "number " + jsonv.String(val)
	}
	return jsonv.TypeName(val)
}
