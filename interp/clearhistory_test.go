package interp_test

import (
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/statecraft/statecraft/interp"
)

// clearDef records events over several steps: states before, around and
// after a task, a Choice passing its input on, a Map whose iterations
// record events of their own, and a Parallel.
const clearDef = `{
  "StartAt": "Init",
  "States": {
    "Init": {"Type": "Pass", "Parameters": {"n.$": "$.n", "tag": "t", "items.$": "$.items"}, "Next": "Work"},
    "Work": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:a", "ResultPath": "$.work", "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Big"}], "Default": "Small"},
    "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "Next": "Each"},
    "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "Next": "Each"},
    "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.each", "Next": "Both",
      "ItemProcessor": {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"id.$": "$.id", "ok": true}, "Next": "B"},
        "B": {"Type": "Pass", "Result": "done", "ResultPath": "$.s", "End": true}}}},
    "Both": {"Type": "Parallel", "ResultPath": "$.both", "Next": "Again", "Branches": [
      {"StartAt": "L", "States": {"L": {"Type": "Pass", "Result": 1, "End": true}}},
      {"StartAt": "R", "States": {"R": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:b", "End": true}}}]},
    "Again": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:a", "ResultPath": null, "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}`

// clearInputs are the inputs of the executions, the last with a text
// larger than an arena chunk.
var clearInputs = []string{
	`{"n": 1, "items": [{"id": 1}, {"id": 2}]}`,
	`{"n": 9, "items": [{"id": "x"}, {"id": {"deep": [1, 2, "three"]}}, {"id": null}, {"id": 4}]}`,
	`{"n": 3, "items": []}`,
	`{"n": 7, "items": [{"id": "a long enough string to need more of the arena than the first chunk holds: 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"}]}`,
	`{"n": 8, "items": [{"id": "` + strings.Repeat("0123456789", 1000) + `"}]}`,
}

// runSteps runs an execution of m on input to its end, answering each
// task with its own input and a second later, and returns the JSON of its
// events, step by step. With clear it hands the events of each step back
// (ClearHistory) once it has encoded them, as a durable host does, and
// before releasing the execution. It returns too the array its first
// step's events were recorded in.
func runSteps(t *testing.T, m *interp.Machine, input string, clear bool) ([]string, *interp.HistoryEvent) {
	t.Helper()
	var events []string
	x, cmds := m.Start(interp.Info{Name: "x", Input: parseJSON(t, input)}, t0, 1)
	first := unsafe.SliceData(x.History)
	take := func() {
		for i := range x.History {
			events = append(events, string(x.History[i].AppendJSON(nil)))
		}
		if clear {
			x.ClearHistory()
		} else {
			x.History = x.History[:0]
		}
	}
	take()
	now := t0
	for len(cmds) > 0 {
		c := cmds[0]
		cmds = cmds[1:]
		if c.Kind != interp.RunTask {
			continue
		}
		now = now.Add(time.Second)
		cmds = append(cmds, x.Apply(interp.Event{Kind: interp.TaskSucceeded, Ref: c.Ref, Time: now, Output: c.Task.Input})...)
		take()
	}
	if x.Status != interp.Succeeded {
		t.Fatalf("%s: %s (%s: %s)", input, x.Status, x.Error, x.Cause)
	}
	x.Release()
	return events, first
}

// TestClearHistoryReusesMemory runs executions that hand their events back
// after each step, one Machine for all, and wants the events each step
// recorded to be those of an execution on a Machine of its own, and the
// memory of the events to go from one execution to the next.
func TestClearHistoryReusesMemory(t *testing.T) {
	want := map[string][]string{}
	for _, in := range clearInputs {
		want[in], _ = runSteps(t, compile(t, clearDef), in, false)
	}
	m := compile(t, clearDef)
	var arrays = map[*interp.HistoryEvent]bool{}
	reused := false
	for round := 0; round < 20; round++ {
		for _, in := range clearInputs {
			got, p := runSteps(t, m, in, true)
			if strings.Join(got, "\n") != strings.Join(want[in], "\n") {
				t.Fatalf("round %d, input %s: events\n%s\nwant\n%s", round, in, strings.Join(got, "\n"), strings.Join(want[in], "\n"))
			}
			reused = reused || arrays[p]
			arrays[p] = true
		}
	}
	if !reused {
		t.Fatal("no execution recorded its events into the memory another handed back")
	}
}

// Events recorded after ClearHistory are the host's as any others: a
// Release that follows them keeps them valid.
func TestReleaseKeepsEventsRecordedAfterClear(t *testing.T) {
	m := compile(t, clearDef)
	for i := 0; i < 50; i++ {
		x, cmds := m.Start(interp.Info{Name: "A", Input: parseJSON(t, clearInputs[1])}, t0, 1)
		x.ClearHistory()
		x.Apply(interp.Event{Kind: interp.TaskSucceeded, Ref: cmds[0].Ref, Time: t0.Add(time.Second), Output: "one"})
		kept := x.History
		var before []string
		for j := range kept {
			before = append(before, string(kept[j].AppendJSON(nil)))
		}
		if len(before) == 0 {
			t.Fatal("no events recorded by the step")
		}
		x.Release()
		// Other executions, which may land in x's memory, then hand theirs
		// back and release them.
		for _, in := range clearInputs {
			runSteps(t, m, in, true)
		}
		for j := range kept {
			if got := string(kept[j].AppendJSON(nil)); got != before[j] {
				t.Fatalf("event %d changed after Release:\n%s\nwas\n%s", j, got, before[j])
			}
		}
	}
}
