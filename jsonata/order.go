package jsonata

// Object key order. JSONata preserves insertion order of object keys
// ($keys, $each, $spread, $string, wildcards, ...) but objects in the jsonv
// model are Go maps. The evaluator therefore records the key order of the
// objects it builds in a per-evaluation registry keyed by map identity
// (the registry also holds the map, so an address cannot be reused while
// it is recorded). Input objects are ordered by Options.KeyOrder when the
// embedder supplies it, and sorted by key otherwise.

import (
	"reflect"
	"sort"
	"unsafe"
)

type orderEntry struct {
	m    map[string]any
	keys []string
}

func mapID(m map[string]any) unsafe.Pointer { return reflect.ValueOf(m).UnsafePointer() }

// setOrder records the key order of m (which the evaluator built).
func (ev *evaluator) setOrder(m map[string]any, keys []string) {
	if ev == nil || len(m) < 2 {
		return
	}
	if ev.order == nil {
		ev.order = map[unsafe.Pointer]*orderEntry{}
	}
	ev.order[mapID(m)] = &orderEntry{m: m, keys: keys}
}

// addKey notes that k was (or may have been) added to m.
func (ev *evaluator) addKey(m map[string]any, k string) {
	if ev == nil {
		return
	}
	keys := ev.keysOf(m)
	for _, x := range keys {
		if x == k {
			return
		}
	}
	ev.setOrder(m, append(keys[:len(keys):len(keys)], k))
}

// keysOf returns m's keys in insertion order where known, sorted otherwise.
func (ev *evaluator) keysOf(m map[string]any) []string {
	if len(m) == 0 {
		return nil
	}
	var keys []string
	if ev != nil {
		if ev.order != nil {
			if e := ev.order[mapID(m)]; e != nil {
				keys = e.keys
			}
		}
		if keys == nil && ev.keyOrder != nil {
			keys = ev.keyOrder(m)
		}
	}
	if keys == nil {
		return sortedKeys(m)
	}
	// the recorded order must describe m exactly; repair it otherwise
	if len(keys) == len(m) {
		ok := true
		for _, k := range keys {
			if _, in := m[k]; !in {
				ok = false
				break
			}
		}
		if ok && !hasDup(keys) {
			return keys
		}
	}
	seen := make(map[string]bool, len(m))
	out := make([]string, 0, len(m))
	for _, k := range keys {
		if _, in := m[k]; in && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func hasDup(keys []string) bool {
	if len(keys) < 8 {
		for i := range keys {
			for j := i + 1; j < len(keys); j++ {
				if keys[i] == keys[j] {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// objBuilder builds an object value, remembering key order.
type objBuilder struct {
	ev   *evaluator
	m    map[string]any
	keys []string
}

func (ev *evaluator) newObject(n int) *objBuilder {
	return &objBuilder{ev: ev, m: make(map[string]any, n), keys: make([]string, 0, n)}
}

func (o *objBuilder) set(k string, v any) {
	if _, ok := o.m[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.m[k] = v
}

func (o *objBuilder) value() map[string]any {
	o.ev.setOrder(o.m, o.keys)
	return o.m
}
