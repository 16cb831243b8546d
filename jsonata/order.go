package jsonata

// Object key order. JSONata preserves the insertion order of object keys
// ($keys, $each, $spread, $string, wildcards, ...); jsonv objects keep
// theirs, so input objects are visited in document order and objects the
// evaluator builds in construction order.

import (
	"github.com/statecraft/statecraft/jsonv"
)

// keysOf returns m's keys in order.
func (ev *evaluator) keysOf(m *jsonv.Object) []string { return m.Keys() }

// objBuilder builds an object value in construction order.
type objBuilder struct {
	o *jsonv.Object
}

func (ev *evaluator) newObject(n int) *objBuilder {
	return &objBuilder{o: jsonv.NewObject(n)}
}

// set follows JavaScript's property order, which jsonata-js objects have
// and the test suite's expectations show (object-constructor case010): keys
// that are array indexes ("0", "42") come first in ascending numeric order,
// then the others in insertion order.
func (o *objBuilder) set(k string, v any) {
	if n, ok := arrayIndex(k); ok && !o.o.Has(k) {
		i := 0
		for ; i < o.o.Len(); i++ {
			m, isIndex := arrayIndex(o.o.KeyAt(i))
			if !isIndex || m > n {
				break
			}
		}
		o.o.Insert(i, k, v)
		return
	}
	o.o.Set(k, v)
}

// arrayIndex reports whether k is a canonical array index of JavaScript
// (0 to 2^32-2, no sign or leading zero).
func arrayIndex(k string) (uint64, bool) {
	if len(k) == 0 || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n < 1<<32-1
}

func (o *objBuilder) value() *jsonv.Object { return o.o }
