package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/statecraft/statecraft/jsonv"
)

// undefinedType is the engine's internal marker for JSONata's undefined.
type undefinedType struct{}

var undefined any = undefinedType{}

func isUndef(v any) bool {
	_, ok := v.(undefinedType)
	return ok
}

// array is an engine-built array carrying JSONata's sequence flags. Plain
// []any values (from input data and bindings) are arrays without flags.
type array struct {
	items         []any
	seq           bool // a result sequence, unwrapped when singleton
	cons          bool // built by an array constructor in a path step
	keepSingleton bool
	outerWrapper  bool
	tupleStream   bool // items are tuples (focus/index/ancestor bindings)
}

// tuple is one entry of a tuple stream: "@" is the context value, other
// keys are variable bindings.
type tuple map[string]any

func (t tuple) clone() tuple {
	out := make(tuple, len(t)+2)
	for k, v := range t {
		out[k] = v
	}
	return out
}

func isTupleStream(v any) bool {
	a, ok := v.(*array)
	return ok && a != nil && a.tupleStream
}

func newSeq(items ...any) *array {
	if items == nil {
		items = []any{}
	}
	return &array{items: items, seq: true}
}

func asArray(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case *array:
		if x == nil {
			return nil, false
		}
		return x.items, true
	}
	return nil, false
}

func isSeq(v any) bool {
	a, ok := v.(*array)
	return ok && a != nil && a.seq
}

func isCons(v any) bool {
	a, ok := v.(*array)
	return ok && a != nil && a.cons
}

// toNumber reads a JSON number in any of the model's number types.
func toNumber(v any) (float64, bool) { return jsonv.Number(v) }

func isFunction(v any) bool {
	_, ok := v.(function)
	return ok
}

// truthy implements JSONata's boolean casting; undefined is false.
func truthy(v any) bool { return (*evaluator)(nil).truthy(v) }

// truthy implements JSONata's boolean casting; traversal of nested
// arrays is charged to the step limit.
func (ev *evaluator) truthy(v any) bool {
	switch x := v.(type) {
	case undefinedType, nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case *jsonv.Object:
		return x.Len() > 0
	case function:
		return false
	}
	if items, ok := asArray(v); ok {
		ev.tick()
		if len(items) == 1 {
			return ev.truthy(items[0])
		}
		for _, it := range items {
			if ev.truthy(it) {
				return true
			}
		}
		return false
	}
	if f, ok := toNumber(v); ok {
		return f != 0 && !math.IsNaN(f)
	}
	return false
}

func deepEqual(a, b any) bool { return (*evaluator)(nil).deepEqual(a, b) }

func (ev *evaluator) deepEqual(a, b any) bool {
	ev.tick()
	if isUndef(a) || isUndef(b) {
		return isUndef(a) && isUndef(b)
	}
	if fa, ok := toNumber(a); ok {
		fb, ok := toNumber(b)
		return ok && fa == fb
	}
	if ia, ok := asArray(a); ok {
		ib, ok := asArray(b)
		if !ok || len(ia) != len(ib) {
			return false
		}
		for i := range ia {
			if !ev.deepEqual(ia[i], ib[i]) {
				return false
			}
		}
		return true
	}
	switch x := a.(type) {
	case *jsonv.Object:
		y, ok := b.(*jsonv.Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for k, xv := range x.All() {
			yv, ok := y.Get(k)
			if !ok || !ev.deepEqual(xv, yv) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	return false
}

// formatNumber renders a number the way JavaScript's String() does.
func formatNumber(f float64) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	if f == 0 {
		return "0"
	}
	return string(jsonv.AppendFloat(nil, f))
}

// stringNumber renders numbers for $string and JSON output: 15 significant
// digits, as JSONata does.
func stringNumber(f float64) string {
	if f == math.Trunc(f) {
		return formatNumber(f)
	}
	g, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	if err != nil {
		return formatNumber(f)
	}
	return formatNumber(g)
}

// stringify implements $string for non-string values, object keys in
// order.
func stringify(v any, pretty bool) (string, error) {
	return (*evaluator)(nil).stringifyOrdered(v, pretty)
}

// stringifyOrdered is stringify counting steps against ev's budget.
func (ev *evaluator) stringifyOrdered(v any, pretty bool) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	if f, ok := toNumber(v); ok {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "", &Error{Code: "D3001", Value: v, Message: messages["D3001"]}
		}
		return stringNumber(f), nil
	}
	if isFunction(v) {
		return "", nil
	}
	if f, ok := ev.firstNonFinite(v, 0); ok {
		return "", &Error{Code: "D1001", Value: f, Message: messages["D1001"]}
	}
	var b strings.Builder
	ev.writeJSON(&b, v, pretty, "")
	return b.String(), nil
}

func (ev *evaluator) writeJSON(b *strings.Builder, v any, pretty bool, indent string) {
	ev.tick()
	switch x := v.(type) {
	case undefinedType, nil:
		b.WriteString("null")
		return
	case string:
		if len(x) >= 256 && ev != nil {
			ev.steps += len(x) / 16
			ev.tick()
		}
		b.Write(jsonv.AppendString(nil, x))
		return
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
		return
	case function:
		b.WriteString(`""`)
		return
	case *jsonv.Object:
		keys := make([]string, 0, x.Len())
		for k, e := range x.All() {
			if !isUndef(e) {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		inner := indent + "  "
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if pretty {
				b.WriteString("\n" + inner)
			}
			b.Write(jsonv.AppendString(nil, k))
			b.WriteByte(':')
			if pretty {
				b.WriteByte(' ')
			}
			ev.writeJSON(b, x.Value(k), pretty, inner)
		}
		if pretty {
			b.WriteString("\n" + indent)
		}
		b.WriteByte('}')
		return
	}
	if items, ok := asArray(v); ok {
		if len(items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		inner := indent + "  "
		n := 0
		for _, it := range items {
			if isUndef(it) {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			if pretty {
				b.WriteString("\n" + inner)
			}
			ev.writeJSON(b, it, pretty, inner)
		}
		if pretty {
			b.WriteString("\n" + indent)
		}
		b.WriteByte(']')
		return
	}
	if f, ok := toNumber(v); ok {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			b.WriteString("null")
			return
		}
		b.WriteString(stringNumber(f))
		return
	}
	b.WriteString("null")
}

// export converts an engine value into the jsonv model: sequences become
// []any, integral floats become int64, undefined members are dropped and
// functions become nil. Unchanged sub-trees are shared, not copied.
func export(v any) (any, bool) { return (*evaluator)(nil).export(v) }

func (ev *evaluator) export(v any) (any, bool) {
	ev.tick()
	switch x := v.(type) {
	case float64:
		return exportFloat(x, v)
	case *array:
		out := make([]any, len(x.items))
		k, floats := 0, 0
		for _, it := range x.items {
			if f, ok := it.(float64); ok {
				// export's float64 case, inline; its tick is charged
				// after the loop (the loop is bounded by the items)
				floats++
				out[k], _ = exportFloat(f, it)
				k++
				continue
			}
			switch it.(type) {
			case string, int64, bool, nil:
				// left as they are, their ticks charged likewise
				floats++
				out[k] = it
				k++
				continue
			case undefinedType:
				continue
			}
			out[k], _ = ev.export(it)
			k++
		}
		if ev != nil && floats > 0 {
			ev.steps += floats
			if ev.steps > ev.maxSteps {
				panic(stepLimit{&Error{Code: "U1002", Message: messages["U1002"]}})
			}
		}
		return out[:k], true
	case []any:
		var out []any
		for i, it := range x {
			e, changed := ev.export(it)
			if changed || isUndef(it) {
				if out == nil {
					out = make([]any, 0, len(x))
					out = append(out, x[:i]...)
				}
			}
			if out != nil && !isUndef(it) {
				out = append(out, e)
			}
		}
		if out != nil {
			return out, true
		}
		return x, false
	case *jsonv.Object:
		return ev.exportObject(x)
	case function:
		return nil, true
	case undefinedType:
		return nil, true
	case int, int32, float32:
		return jsonv.Normalize(v), true
	}
	return v, false
}

// exportObject is export's object case, out of export, whose frame stays
// small for the scalars it is called on most.
func (ev *evaluator) exportObject(x *jsonv.Object) (any, bool) {
	var out *jsonv.Object
	scalars := 0
	for i := 0; i < x.Len(); i++ {
		it := x.ValueAt(i)
		switch it.(type) {
		case string, int64, bool, nil:
			// export leaves these as they are; their ticks are
			// charged after the loop (bounded by the members)
			scalars++
			continue
		}
		e, changed := ev.export(it)
		if changed || isUndef(it) {
			if out == nil {
				out = x.Clone(0)
			}
			if isUndef(it) {
				out.Delete(x.KeyAt(i))
			} else {
				out.Set(x.KeyAt(i), e)
			}
		}
	}
	if ev != nil && scalars > 0 {
		ev.steps += scalars
		if ev.steps > ev.maxSteps {
			panic(stepLimit{&Error{Code: "U1002", Message: messages["U1002"]}})
		}
	}
	if out != nil {
		return out, true
	}
	return x, false
}

// exportFloat is export of f, boxed in v: an integral f of magnitude
// below 2^53 becomes int64.
func exportFloat(f float64, v any) (any, bool) {
	// int64(f) is implementation-defined for NaN, infinities and numbers
	// out of range, but never compares equal to f with |f| < 2^53 then
	if i := int64(f); float64(i) == f && i > -1<<53 && i < 1<<53 {
		if uint64(i) < uint64(len(smallInts)) {
			return smallInts[i], true
		}
		return i, true
	}
	return v, false
}

// strLen counts UTF-16 code units like JavaScript's String.length.
func strLen(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func toUTF16(s string) []uint16 { return utf16.Encode([]rune(s)) }

func fromUTF16(u []uint16) string { return string(utf16.Decode(u)) }

// firstNonFinite finds an Infinity or NaN inside a structure, which
// JSON cannot represent ($string fails with D1001 as jsonata-js does).
func (ev *evaluator) firstNonFinite(v any, depth int) (float64, bool) {
	ev.tick()
	if depth > 10000 {
		return 0, false
	}
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return x, true
		}
	case *jsonv.Object:
		for _, e := range x.All() {
			if f, ok := ev.firstNonFinite(e, depth+1); ok {
				return f, true
			}
		}
	default:
		if items, ok := asArray(v); ok {
			for _, e := range items {
				if f, ok := ev.firstNonFinite(e, depth+1); ok {
					return f, true
				}
			}
		}
	}
	return 0, false
}

// stepLimit is panicked by tick and recovered by EvalWith, so that deep
// structure traversals can stop without threading errors through.
type stepLimit struct{ err *Error }

// tick charges one step for structure traversal (nested or shared
// structures can be exponentially large when walked). A nil evaluator
// (use outside an evaluation) is not limited.
func (ev *evaluator) tick() {
	if ev == nil {
		return
	}
	ev.steps++
	if ev.steps > ev.maxSteps {
		panic(stepLimit{&Error{Code: "U1002", Message: messages["U1002"]}})
	}
}

// smallNums holds boxed small non-negative integers, so that common
// numeric results (counts, indexes, small arithmetic) need no allocation
// when stored in an interface.
var smallNums = func() (t [1024]any) {
	for i := range t {
		t[i] = float64(i)
	}
	return
}()

// smallInts holds boxed small non-negative int64 values, for export.
var smallInts = func() (t [1024]any) {
	for i := range t {
		t[i] = int64(i)
	}
	return
}()

// boxNum stores f in an interface, reusing a shared box for small
// integers.
func boxNum(f float64) any {
	// int(f) is implementation-defined for NaN and numbers out of range,
	// but then never a small index that converts back to f; -0 is not 0
	if i := int(f); uint(i) < uint(len(smallNums)) && float64(i) == f && (i != 0 || math.Float64bits(f) == 0) {
		return smallNums[i]
	}
	return f
}
