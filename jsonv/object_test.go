package jsonv

import (
	"strconv"
	"testing"
)

// Objects keep insertion order through Set, Delete and Insert, below and
// above the size at which lookups switch to an index.
func TestObjectOrder(t *testing.T) {
	for _, n := range []int{3, indexAt, indexAt + 1, 40} {
		o := NewObject(0)
		for i := n - 1; i >= 0; i-- {
			o.Set("k"+strconv.Itoa(i), int64(i))
		}
		o.Set("k0", "again") // a present key keeps its place
		if o.Len() != n || o.KeyAt(n-1) != "k0" || o.Value("k0") != "again" {
			t.Fatalf("n=%d: %s", n, String(o))
		}
		o.Delete("k" + strconv.Itoa(n-1)) // the first key
		if o.Len() != n-1 || o.KeyAt(0) != "k"+strconv.Itoa(n-2) || o.Has("k"+strconv.Itoa(n-1)) {
			t.Fatalf("n=%d after delete: %s", n, String(o))
		}
		for i, k := range o.Keys() {
			if v, ok := o.Get(k); !ok || v != o.ValueAt(i) {
				t.Fatalf("n=%d: lookup of %s gives %v", n, k, v)
			}
		}
		o.Insert(0, "first", true)
		if o.KeyAt(0) != "first" || o.Value("first") != true || o.Value("k0") != "again" {
			t.Fatalf("n=%d after insert: %s", n, String(o))
		}
		c := o.With("new", 1)
		if c.KeyAt(c.Len()-1) != "new" || o.Has("new") {
			t.Fatalf("n=%d: With changed the original or misplaced the key", n)
		}
		if s := o.Sorted(); SortedKeys(o)[0] != s.KeyAt(0) || !Equal(s, o) {
			t.Fatalf("n=%d: Sorted %s", n, String(s))
		}
	}
}

func TestCanonicalIgnoresOrder(t *testing.T) {
	a, _ := ParseString(`{"b":[{"y":1,"x":2}],"a":null}`)
	b, _ := ParseString(`{"a":null,"b":[{"x":2,"y":1}]}`)
	if string(AppendCanonical(nil, a)) != string(AppendCanonical(nil, b)) || !Equal(a, b) {
		t.Errorf("canonical %s vs %s", AppendCanonical(nil, a), AppendCanonical(nil, b))
	}
	if String(a) == String(b) {
		t.Error("Marshal must keep each object's own order")
	}
}

// HasKeyAt answers for a position in range only, and never panics on one
// out of it (a stale hint) or on a nil object.
func TestObjectHasKeyAt(t *testing.T) {
	o := NewObject(0)
	o.Set("a", 1)
	o.Set("r", 2)
	var none *Object
	for _, c := range []struct {
		o    *Object
		i    int
		k    string
		want bool
	}{
		{o, 1, "r", true},
		{o, 0, "r", false},
		{o, 2, "r", false},
		{o, -1, "a", false},
		{none, 0, "a", false},
	} {
		if got := c.o.HasKeyAt(c.i, c.k); got != c.want {
			t.Errorf("HasKeyAt(%d, %q) on an object of %d keys = %v, want %v", c.i, c.k, c.o.Len(), got, c.want)
		}
	}
}
