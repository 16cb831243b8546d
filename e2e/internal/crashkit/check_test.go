package crashkit

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// An attempt that times out moves $$.State.RetryCount on, so the attempts
// after it differ from an uninterrupted run's: the history to compare with
// is the reference run replayed with the same attempt timing out.
func TestTimedOutAttemptReplayed(t *testing.T) {
	def := `{"StartAt": "Work", "States": {"Work": {"Type": "Task",
		"Resource": "arn:aws:states:us-east-1:123456789012:activity:kit-work", "TimeoutSeconds": 4,
		"Parameters": {"try.$": "$$.State.RetryCount"},
		"ResultSelector": {"ok.$": "$.ok"},
		"Retry": [
			{"ErrorEquals": ["Custom.Flaky"], "IntervalSeconds": 1, "MaxAttempts": 3},
			{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 3}],
		"End": true}}}`
	w := &Workload{Activities: []*Activity{{Name: "kit-work", Decide: func(input string) (string, string, string) {
		var in struct{ Try int }
		_ = json.Unmarshal([]byte(input), &in)
		if in.Try < 2 {
			return "", "Custom.Flaky", "not yet"
		}
		return `{"ok":true}`, "", ""
	}}}}
	m := &Machine{Name: "kit", Activity: true, Timeouts: true, Def: def,
		Arn: "arn:aws:states:us-east-1:123456789012:stateMachine:kit"}
	e := &Execution{Name: "x", M: m, Input: `{}`, Arn: "arn:aws:states:us-east-1:123456789012:execution:kit:x"}

	plain, h0, err := w.runInProcess(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	late, h1, err := w.runInProcess(e, map[int]string{0: "States.Timeout"})
	if err != nil {
		t.Fatal(err)
	}
	if !SameResult(plain, late) || plain.Status != "SUCCEEDED" {
		t.Fatalf("uninterrupted %s, with a timeout %s: want the same success", Show(plain), Show(late))
	}
	n0, t0 := withoutTimedOut(h0)
	n1, t1 := withoutTimedOut(h1)
	if len(t0) != 0 || !reflect.DeepEqual(t1, map[int]string{0: "States.Timeout"}) {
		t.Fatalf("timed-out attempts %v and %v", t0, t1)
	}
	// Leaving the timed-out attempt out is not enough: one Custom.Flaky
	// fewer follows it.
	if len(diffMultiset(n1, n0)) == 0 {
		t.Fatalf("the histories with and without a timeout are alike:\n%s", strings.Join(n1, "\n"))
	}
	// A transition repeated shows.
	var exited string
	for _, ev := range n1 {
		if strings.HasPrefix(ev, "TaskStateExited") {
			exited = ev
		}
	}
	d := diffMultiset(append(n1, exited), n1)
	if len(d) != 1 || !strings.HasPrefix(d[0], "repeated: 1 more") {
		t.Fatalf("a repeated TaskStateExited gives %q", d)
	}
}
