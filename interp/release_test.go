package interp_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// releaseDef succeeds with an object built from its input, or fails with
// an error and cause taken from it, so that every value an execution hands
// out (output, error, cause, history details) comes from its own input.
const releaseDef = `{
  "StartAt": "Pick",
  "States": {
    "Pick": {"Type": "Choice", "Choices": [{"And": [{"Variable": "$.fail", "IsPresent": true}, {"Variable": "$.fail", "BooleanEquals": true}], "Next": "Boom"}], "Default": "Shape"},
    "Shape": {"Type": "Pass", "Parameters": {"n.$": "$.n", "tag.$": "$.tag", "list.$": "$.list"}, "Next": "Done"},
    "Done": {"Type": "Succeed"},
    "Boom": {"Type": "Fail", "ErrorPath": "$.tag", "CausePath": "$.cause"}
  }
}`

// handedOut is everything an execution gave its host, as the host keeps it.
type handedOut struct {
	info    interp.Info
	status  interp.Status
	output  any
	err     string
	cause   string
	history []interp.HistoryEvent
	trans   int64
}

func takeOut(x *interp.Execution) handedOut {
	return handedOut{x.Info, x.Status, x.Output, x.Error, x.Cause, x.History, x.Transitions}
}

// snapshot is a deep copy of h as text: pointers followed, nothing shared.
func snapshot(t *testing.T, h handedOut) string {
	t.Helper()
	hist, err := json.Marshal(h.history)
	if err != nil {
		t.Fatal(err)
	}
	return string(h.status) + "|" + jsonv.String(h.info.Input) + "|" + h.info.Name + "|" + jsonv.String(h.output) +
		"|" + h.err + "|" + h.cause + "|" + string(hist) + "|" + strconv.FormatInt(h.trans, 10)
}

// TestReleaseKeepsHandedOutValues runs A, keeps what it handed out,
// releases it, then runs B with different input until B reuses A's memory,
// and checks that A's values are what they were before the release.
func TestReleaseKeepsHandedOutValues(t *testing.T) {
	for _, history := range []bool{true, false} {
		m := compile(t, releaseDef, interp.Options{History: history})
		run := func(name, input string) (*interp.Execution, handedOut) {
			x, cmds := m.Start(interp.Info{Name: name, Input: parseJSON(t, input)}, t0, 1)
			if len(cmds) != 0 || x.Status == interp.Running {
				t.Fatalf("%s did not end: %s", name, x.Status)
			}
			return x, takeOut(x)
		}
		cases := []struct{ a, b string }{
			{`{"n": 1, "tag": "first", "list": [1, 2, {"k": "v"}]}`, `{"n": 2, "tag": "second", "list": ["other"]}`},
			{`{"fail": true, "tag": "ErrA", "cause": "cause of A"}`, `{"fail": true, "tag": "ErrB", "cause": "cause of B"}`},
			{`{"fail": true, "tag": "ErrA", "cause": "cause of A"}`, `{"n": 2, "tag": "second", "list": ["other"]}`},
			{`{"n": 1, "tag": "first", "list": [1, 2, {"k": "v"}]}`, `{"fail": true, "tag": "ErrB", "cause": "cause of B"}`},
		}
		for _, c := range cases {
			var a, b handedOut
			var before string
			reused := false
			// sync.Pool may drop what is put in it (a collection, or at
			// random under the race detector): run A and B again until B
			// lands in A's memory.
			for i := 0; i < 1000 && !reused; i++ {
				var xa, xb *interp.Execution
				xa, a = run("A", c.a)
				if a.status != interp.Succeeded && a.status != interp.Failed || a.status == interp.Failed && a.err != "ErrA" {
					t.Fatalf("A ended %s (%s: %s)", a.status, a.err, a.cause)
				}
				before = snapshot(t, a)
				if history && len(a.history) == 0 {
					t.Fatal("no history recorded")
				}
				xa.Release()
				xa.Release() // a second Release of the same execution does nothing
				xb, b = run("B", c.b)
				reused = xb == xa
				xb.Release()
			}
			if !reused {
				t.Fatal("no execution reused the released one's memory")
			}
			if after := snapshot(t, a); after != before {
				t.Errorf("history=%v: A's values changed when its memory was reused:\nbefore %s\nafter  %s", history, before, after)
			}
			if snapshot(t, b) == before {
				t.Errorf("B handed out the same values as A: %s", before)
			}
			// B itself is whole: a fresh Machine gives the same.
			fresh := compile(t, releaseDef, interp.Options{History: history})
			xf, _ := fresh.Start(interp.Info{Name: "B", Input: parseJSON(t, c.b)}, t0, 1)
			if got, want := snapshot(t, b), snapshot(t, takeOut(xf)); got != want {
				t.Errorf("history=%v: reused execution differs from a fresh one:\ngot  %s\nwant %s", history, got, want)
			}
		}
	}
}
