package jsonv

import (
	"iter"
	"sort"
)

// Object is a JSON object that keeps its keys in document (insertion)
// order, as Step Functions does: a Pass Result, a template or a JSONata
// constructor comes out with its keys where the author wrote them.
//
// Keys and values sit in two parallel slices. Most objects in a state
// machine's data are small, and a linear scan over a few strings beats a
// map; an index is built once an object grows past indexAt keys. The index
// is built by Set (never by Get), so an object that is shared after being
// built is only ever read, and readers on several goroutines need no lock.
//
// Like every value in the model an Object is immutable once built: Set,
// Delete and friends are for the code that is building it. A nil *Object
// reads as an empty object.
type Object struct {
	keys []string
	vals []any
	idx  map[string]int
}

// indexAt is the size past which lookups use a map. Below it a scan is
// faster than hashing (measured on the bench workloads' objects).
const indexAt = 12

// NewObject returns an empty object with room for n keys. Small objects
// (the common case: templates, task results) take one allocation, their
// keys and values stored beside the header.
func NewObject(n int) *Object {
	switch {
	case n <= 0:
		return &Object{}
	case n <= 2:
		s := &struct {
			o Object
			k [2]string
			v [2]any
		}{}
		s.o.keys, s.o.vals = s.k[:0], s.v[:0]
		return &s.o
	case n <= 4:
		s := &struct {
			o Object
			k [4]string
			v [4]any
		}{}
		s.o.keys, s.o.vals = s.k[:0], s.v[:0]
		return &s.o
	case n <= 8:
		s := &struct {
			o Object
			k [8]string
			v [8]any
		}{}
		s.o.keys, s.o.vals = s.k[:0], s.v[:0]
		return &s.o
	}
	return &Object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// Small is room for an object of up to four keys inside a structure that
// reuses one object of its own: it comes with the structure's allocation,
// not one of its own as NewObject's.
type Small struct {
	o Object
	k [4]string
	v [4]any
}

// Object empties s's object and returns it. It builds in s's room while
// it fits; it is valid until the next call.
func (s *Small) Object() *Object {
	clear(s.v[:])
	s.o.keys, s.o.vals, s.o.idx = s.k[:0], s.v[:0], nil
	return &s.o
}

// ObjectOf builds an object from key, value pairs, in that order; a
// repeated key keeps its first position and takes the last value. Go ints
// and maps among the values are converted as Normalize does, but values
// already in the model are not walked.
func ObjectOf(kv ...any) *Object {
	o := NewObject(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		switch v.(type) {
		case int, int32, float32, map[string]any:
			v = Normalize(v)
		}
		o.Set(kv[i].(string), v)
	}
	return o
}

// Len is the number of keys.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

func (o *Object) find(k string) int {
	if o == nil {
		return -1
	}
	if o.idx != nil {
		if i, ok := o.idx[k]; ok {
			return i
		}
		return -1
	}
	// Comparing the first bytes before the strings keeps a scan over a few
	// short keys (the common object) from calling memequal on each miss.
	n := len(k)
	if n == 0 {
		for i, x := range o.keys {
			if len(x) == 0 {
				return i
			}
		}
		return -1
	}
	c := k[0]
	for i, x := range o.keys {
		if len(x) == n && x[0] == c && x == k {
			return i
		}
	}
	return -1
}

// Index returns the position of k, -1 when absent, for a caller that
// reads and then replaces a value (ValueAt, SetAt) with one lookup.
func (o *Object) Index(k string) int { return o.find(k) }

// HasKeyAt reports whether the key at position i is k, false when i is
// out of range: a caller that sets the same field of like objects again
// and again (a chain of Pass states with one ResultPath) checks where it
// found it last before it scans.
func (o *Object) HasKeyAt(i int, k string) bool {
	return uint(i) < uint(o.Len()) && o.keys[i] == k
}

// Get returns the value of k.
func (o *Object) Get(k string) (any, bool) {
	if i := o.find(k); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// Value returns the value of k, nil when absent.
func (o *Object) Value(k string) any {
	if i := o.find(k); i >= 0 {
		return o.vals[i]
	}
	return nil
}

// Has reports whether k is present.
func (o *Object) Has(k string) bool { return o.find(k) >= 0 }

// Set gives k the value v: a present key keeps its position, a new one
// goes last (the rule of JavaScript objects, which Step Functions and
// JSONata follow).
func (o *Object) Set(k string, v any) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	if len(o.keys) == cap(o.keys) || len(o.vals) == cap(o.vals) {
		o.grow()
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	if o.idx != nil {
		o.idx[k] = len(o.keys) - 1
	} else if len(o.keys) > indexAt {
		o.reindex()
	}
}

// Append adds k, which the caller knows is not present, at the end.
func (o *Object) Append(k string, v any) {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	if o.idx != nil {
		o.idx[k] = len(o.keys) - 1
	} else if len(o.keys) > indexAt {
		o.reindex()
	}
}

// Add is Append for an object that was built before and may be full: it
// grows keys and values together (see grow), one allocation instead of
// two. Append, for objects being built at their final size, stays small
// enough to be inlined.
func (o *Object) Add(k string, v any) {
	if len(o.keys) == cap(o.keys) || len(o.vals) == cap(o.vals) {
		o.grow()
	}
	o.Append(k, v)
}

// grow makes room for more keys. A small object's keys and values move
// together into one larger block, as NewObject lays them out: one
// allocation where two appends would make two.
func (o *Object) grow() {
	n := 2 * max(len(o.keys), 2)
	var c *Object
	if n <= 8 {
		c = NewObject(n)
	} else {
		c = &Object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
	}
	o.keys = append(c.keys, o.keys...)
	o.vals = append(c.vals, o.vals...)
}

func (o *Object) reindex() {
	if len(o.keys) <= indexAt {
		o.idx = nil
		return
	}
	o.idx = make(map[string]int, len(o.keys))
	for i, k := range o.keys {
		o.idx[k] = i
	}
}

// Delete removes k; the others keep their order.
func (o *Object) Delete(k string) {
	i := o.find(k)
	if i < 0 {
		return
	}
	o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i:i], o.vals[i+1:]...)
	if o.idx != nil {
		o.reindex()
	}
}

// Keys returns the keys in order. The slice belongs to the object: the
// caller must not change it.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	return o.keys
}

// KeyAt and ValueAt read the i-th entry.
func (o *Object) KeyAt(i int) string { return o.keys[i] }

// ValueAt returns the i-th value.
func (o *Object) ValueAt(i int) any { return o.vals[i] }

// SetAt replaces the i-th value.
func (o *Object) SetAt(i int, v any) { o.vals[i] = v }

// All iterates the entries in order.
func (o *Object) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		if o == nil {
			return
		}
		for i, k := range o.keys {
			if !yield(k, o.vals[i]) {
				return
			}
		}
	}
}

// Clone returns a shallow copy with room for extra more keys.
func (o *Object) Clone(extra int) *Object {
	n := o.Len()
	c := NewObject(n + extra)
	c.keys = append(c.keys, o.Keys()...)
	if n > 0 {
		c.vals = append(c.vals, o.vals...)
		if o.idx != nil {
			c.reindex()
		}
	}
	return c
}

// With returns a copy of o with k set to v (o is unchanged).
func (o *Object) With(k string, v any) *Object {
	c := o.Clone(1)
	c.Set(k, v)
	return c
}

// Sorted returns a copy of o with its keys in byte order, for the places
// that must not depend on order (hashing by content, canonical forms).
func (o *Object) Sorted() *Object {
	c := o.Clone(0)
	sort.Sort(byKey{c})
	c.reindex()
	return c
}

type byKey struct{ o *Object }

func (b byKey) Len() int           { return len(b.o.keys) }
func (b byKey) Less(i, j int) bool { return b.o.keys[i] < b.o.keys[j] }
func (b byKey) Swap(i, j int) {
	b.o.keys[i], b.o.keys[j] = b.o.keys[j], b.o.keys[i]
	b.o.vals[i], b.o.vals[j] = b.o.vals[j], b.o.vals[i]
}

// Map returns the entries as a Go map (order lost), for code that hands a
// value to encoding/json or to APIs outside the model.
func (o *Object) Map() map[string]any {
	m := make(map[string]any, o.Len())
	for i, k := range o.Keys() {
		m[k] = o.vals[i]
	}
	return m
}

// FromMap builds an object from a Go map, keys sorted (a map has no order
// to keep), its values normalized (see Normalize).
func FromMap(m map[string]any) *Object {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := NewObject(len(keys))
	for _, k := range keys {
		o.Append(k, Normalize(m[k]))
	}
	return o
}

// ValueForKey, SetValueForKey, RemoveValueForKey and Keys make an Object a
// jp.Keyed, so ojg's JSONPath (wildcards, filters, scans) walks it in order.

// ValueForKey is Get under ojg's name.
func (o *Object) ValueForKey(k string) (any, bool) { return o.Get(k) }

// SetValueForKey is Set under ojg's name.
func (o *Object) SetValueForKey(k string, v any) { o.Set(k, v) }

// RemoveValueForKey is Delete under ojg's name.
func (o *Object) RemoveValueForKey(k string) { o.Delete(k) }

// MarshalJSON lets encoding/json encode an Object in order (for values
// that end up inside structs encoded by encoding/json).
func (o *Object) MarshalJSON() ([]byte, error) { return Marshal(o), nil }

// Reset empties o, keeping its storage, for a caller that owns o and
// rebuilds it in place.
func (o *Object) Reset() {
	clear(o.vals)
	o.keys = o.keys[:0]
	o.vals = o.vals[:0]
	o.idx = nil
}

// Insert puts k, which the caller knows is not present, at position i.
func (o *Object) Insert(i int, k string, v any) {
	o.keys = append(o.keys, "")
	o.vals = append(o.vals, nil)
	copy(o.keys[i+1:], o.keys[i:])
	copy(o.vals[i+1:], o.vals[i:])
	o.keys[i], o.vals[i] = k, v
	if o.idx != nil || len(o.keys) > indexAt {
		o.reindex()
	}
}

// AppendCanonical appends the encoding of v with every object's keys in
// byte order: equal values (in the sense of Equal, whatever their key
// order) encode alike, so it serves as a key for sets of values.
func AppendCanonical(b []byte, v any) []byte {
	switch x := v.(type) {
	case *Object:
		b = append(b, '{')
		for i, k := range SortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k)
			b = append(b, ':')
			b = AppendCanonical(b, x.Value(k))
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendCanonical(b, e)
		}
		return append(b, ']')
	}
	return Append(b, v)
}

// SameOrder reports whether the objects in a and b, two values Equal (or
// a looser equality) found equal, list their keys in the same order, at
// every depth: Equal ignores order, as JSON does, and this is the order
// AWS and jsonata-js keep and tests compare.
func SameOrder(a, b any) bool {
	switch x := a.(type) {
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, k := range x.Keys() {
			if y.KeyAt(i) != k || !SameOrder(x.ValueAt(i), y.ValueAt(i)) {
				return false
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !SameOrder(x[i], y[i]) {
				return false
			}
		}
	}
	return true
}
