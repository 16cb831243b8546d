package conformance

import (
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

// The recorder replaced a quoted JSON value in a cause, not a JSONata
// expression that only looks like one.
func TestCauseReplacesOnlyJSON(t *testing.T) {
	n := newNormalizer()
	if got, want := n.cause(`The JSONata expression '{'foo': 'bar'}' returned`), `The JSONata expression '{'foo': 'bar'}' returned`; got != want {
		t.Errorf("cause = %q, want %q", got, want)
	}
	if got, want := n.cause(`input '{"a":1}' failed`), `input '<json-input:1>' failed`; got != want {
		t.Errorf("cause = %q, want %q", got, want)
	}
}

// A history recorded before AWS's change has MapStateExited follow
// MapRunSucceeded; it is brought to MapRunStarted, and nothing else moves.
func TestToCurrentMapExit(t *testing.T) {
	v, err := jsonv.ParseString(`[{"id":4,"previousEventId":3,"type":"MapRunStarted"},{"id":5,"previousEventId":4,"type":"MapRunSucceeded"},
		{"id":6,"previousEventId":5,"type":"MapStateSucceeded"},{"id":7,"previousEventId":5,"type":"MapStateExited"},{"id":8,"previousEventId":7,"type":"ExecutionSucceeded"}]`)
	if err != nil {
		t.Fatal(err)
	}
	h := v.([]any)
	toCurrentMapExit(h)
	want := []int64{3, 4, 5, 4, 7}
	for i, e := range h {
		if got, _ := jsonv.Integer(e.(*jsonv.Object).Value("previousEventId")); got != want[i] {
			t.Errorf("event %d follows %d, want %d", i+4, got, want[i])
		}
	}
}
