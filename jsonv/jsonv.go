// Package jsonv holds the JSON value model that the rest of Statecraft shares:
// a decoded document is a tree of *Object, []any, string, int64, float64,
// bool and nil. Values are treated as immutable once built, so states can
// share sub-trees without copying; anything that changes a value builds new
// containers along the changed path.
//
// Objects keep their keys in document order (see Object), because Step
// Functions does: outputs, histories and JSONata's $keys show keys where the
// input or the definition put them.
//
// Parsing is our own strict parser (parse.go), which decodes integers to
// int64 (exact for IDs and counters, unlike encoding/json's float64) and
// builds ordered objects directly. Encoding is our own too: AWS prints JSON
// without HTML escaping, and keys in order.
package jsonv

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// Parse decodes one JSON text. Numbers too large for int64 become float64.
// It never panics: input comes from API callers and task workers, and the
// underlying parser has been seen to panic on some malformed documents.
func Parse(data []byte) (v any, err error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("unexpected end of JSON input")
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("invalid JSON: %v", r)
		}
	}()
	v, ok := parseStrict(data)
	if !ok {
		return nil, parseError(data)
	}
	return v, nil
}

// ParseString is Parse for a string.
func ParseString(s string) (any, error) {
	return Parse([]byte(s))
}

// Marshal encodes v as compact JSON with object keys in order and no HTML
// escaping. Values outside the model (structs, other number types) are
// handled for int, int32, uint and float32 by conversion, and Go maps with
// sorted keys; anything else encodes as null.
func Marshal(v any) []byte {
	return Append(make([]byte, 0, 64), v)
}

// String is Marshal as a string.
func String(v any) string {
	// The buffer is this call's own and never written again: the string
	// can take it over instead of copying it.
	b := Marshal(v)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Append appends the encoding of v to b.
func Append(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		if x {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case string:
		return AppendString(b, x)
	case int64:
		if uint64(x) < 100 {
			// Small counts and indexes, the most common numbers.
			if x < 10 {
				return append(b, byte('0'+x))
			}
			return append(b, byte('0'+x/10), byte('0'+x%10))
		}
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float64:
		return AppendFloat(b, x)
	case float32:
		return AppendFloat(b, float64(x))
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = Append(b, e)
		}
		return append(b, ']')
	case *Object:
		b = append(b, '{')
		for i, k := range x.Keys() {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k)
			b = append(b, ':')
			b = Append(b, x.vals[i])
		}
		return append(b, '}')
	case map[string]any:
		b = append(b, '{')
		keys := sortedMapKeys(x)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k)
			b = append(b, ':')
			b = Append(b, x[k])
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// SortedKeys returns the keys of o in byte order, for output that must not
// depend on document order (validation messages, canonical forms).
func SortedKeys(o *Object) []string {
	keys := append([]string(nil), o.Keys()...)
	sort.Strings(keys)
	return keys
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AppendFloat formats numbers the way JavaScript does:
// integral values without a fraction, otherwise the shortest round-trip form.
func AppendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		// JavaScript's form: 1e-7, 1e+21 (Go pads the exponent: 1e-07).
		n := len(b)
		b = strconv.AppendFloat(b, f, 'e', -1, 64)
		for i := n; i < len(b)-2; i++ {
			if (b[i] == '-' || b[i] == '+') && b[i+1] == '0' {
				return append(b[:i+1], b[i+2:]...)
			}
		}
		return b
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string literal.
func AppendString(b []byte, s string) []byte {
	// Most strings (keys, names, ids) need no escaping: find the first
	// byte that does, and copy everything before it at once.
	i := 0
	if len(s) <= 16 && cap(b)-len(b) >= len(s)+2 {
		// A short string (a key, a name) into room already there: store
		// each byte as it is checked, cheaper than a copy call.
		n := len(b)
		o := b[n : n+len(s)+2]
		o[0] = '"'
		d := o[1 : len(s)+1]
		for i < len(d) && i < len(s) && plain[s[i]] {
			d[i] = s[i]
			i++
		}
		if i == len(s) {
			o[len(o)-1] = '"'
			return b[:n+len(s)+2]
		}
		i = 0
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	if i == len(s) {
		n := len(b)
		b = slices.Grow(b, len(s)+2)[:n+len(s)+2]
		b[n] = '"'
		copy(b[n+1:], s)
		b[n+1+len(s)] = '"'
		return b
	}
	b = append(b, '"')
	start := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plain marks the bytes a JSON string holds as they are: printable ASCII
// but the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Size returns the length in bytes of Marshal(v), stopping early once the
// count passes limit (when limit > 0), so that checking small payloads
// against the 256 KiB limit costs a walk, not an encoding.
func Size(v any, limit int) int {
	n := 0
	size(v, &n, limit)
	return n
}

func size(v any, n *int, limit int) {
	if limit > 0 && *n > limit {
		return
	}
	switch x := v.(type) {
	case nil:
		*n += 4
	case bool:
		if x {
			*n += 4
		} else {
			*n += 5
		}
	case string:
		*n += stringSize(x)
	case int64:
		*n += intSize(x)
	case int:
		*n += intSize(int64(x))
	case float64:
		var buf [32]byte
		*n += len(AppendFloat(buf[:0], x))
	case []any:
		*n += 2
		if len(x) > 0 {
			*n += len(x) - 1
		}
		for _, e := range x {
			size(e, n, limit)
		}
	case *Object:
		*n += 2
		if x.Len() > 0 {
			*n += x.Len() - 1
		}
		for i, k := range x.Keys() {
			*n += stringSize(k) + 1
			// The common scalar members without a call.
			switch y := x.vals[i].(type) {
			case string:
				*n += stringSize(y)
			case int64:
				*n += intSize(y)
			default:
				size(y, n, limit)
			}
		}
	case map[string]any:
		*n += 2
		if len(x) > 0 {
			*n += len(x) - 1
		}
		for k, e := range x {
			*n += stringSize(k) + 1
			size(e, n, limit)
		}
	default:
		*n += len(Marshal(v))
	}
}

func intSize(i int64) int {
	n := 1
	if i < 0 {
		n++
		if i == math.MinInt64 {
			return 20
		}
		i = -i
	}
	for i >= 10 {
		i /= 10
		n++
	}
	return n
}

func stringSize(s string) int {
	n := 2 + len(s)
	for i := 0; i < len(s); i++ {
		n += int(escapeExtra[s[i]])
	}
	return n
}

// StringSize is the size of s encoded as a JSON string, quotes included:
// Size(s) without the type switch.
func StringSize(s string) int { return stringSize(s) }

// IntSize is Size of an int64.
func IntSize(i int64) int { return intSize(i) }

// escapeExtra is how many bytes past one a byte takes in a JSON string
// (what size counts for it).
var escapeExtra = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = 5 // \u00XX
	}
	for _, c := range []byte{'"', '\\', '\n', '\r', '\t', '\b', '\f'} {
		t[c] = 1
	}
	return t
}()

// Equal reports whether a and b are the same JSON value; numbers compare by
// value, so int64(1) equals float64(1).
func Equal(a, b any) bool {
	switch x := a.(type) {
	case *Object:
		// Key order does not make two objects different values.
		y, ok := b.(*Object)
		if m, isMap := b.(map[string]any); isMap {
			y, ok = FromMap(m), true
		}
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, k := range x.Keys() {
			yv, ok := y.Get(k)
			if !ok || !Equal(x.vals[i], yv) {
				return false
			}
		}
		return true
	case map[string]any:
		if o, ok := b.(*Object); ok {
			return Equal(o, a)
		}
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !Equal(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
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
	if fa, ok := Number(a); ok {
		fb, ok := Number(b)
		if !ok {
			return false
		}
		ia, aInt := a.(int64)
		ib, bInt := b.(int64)
		if aInt && bInt {
			return ia == ib
		}
		return fa == fb
	}
	return false
}

// Number returns v as float64 when v is a JSON number.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case float32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// IsNumber reports whether v is a JSON number.
func IsNumber(v any) bool {
	_, ok := Number(v)
	return ok
}

// Integer returns v as int64 when v is a JSON number with no fraction.
func Integer(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), true
		}
	}
	return 0, false
}

// Normalize converts a value built from Go literals or encoding/json
// (float64, int, []map...) into the model: Go ints become int64 and Go maps
// become Objects with sorted keys (a map has no order to keep). Arrays are
// changed in place. Objects are already in the model and are not walked,
// so normalizing a value built by the model costs a walk of its arrays only:
// cheap enough for the boundary where Go code (task ports) hands values in.
func Normalize(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case []any:
		// Only elements that change are written: an array already in the
		// model may be shared (a mocked result served to several
		// executions at once) and must not be written to.
		for i, e := range x {
			switch e.(type) {
			case int, int32, float32, map[string]any:
				x[i] = Normalize(e)
			case []any:
				Normalize(e)
			}
		}
	case map[string]any:
		return FromMap(x)
	}
	return v
}

// TypeName names v's JSON type as error messages use it.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case *Object, map[string]any:
		return "object"
	case []any:
		return "array"
	}
	if IsNumber(v) {
		return "number"
	}
	return "unknown"
}
