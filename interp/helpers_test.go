package interp_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/runner"
	"github.com/statecraft/statecraft/taskport"
)

// t0 is the fixed start time of every test execution.
var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// fixedClock never moves: with FastForward the runner's virtual clock is
// what advances, so timestamps depend only on timers, never on how fast the
// test machine is.
func fixedClock() time.Time { return t0 }

// compile validates and parses a definition and prepares a Machine.
func compile(t testing.TB, def string, opts ...interp.Options) *interp.Machine {
	t.Helper()
	if probs := asl.Validate([]byte(def), asl.ValidateOptions{}); len(probs) > 0 {
		t.Fatalf("definition does not validate: %v", probs)
	}
	sm, err := asl.Parse([]byte(def))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	o := interp.Options{History: true}
	if len(opts) > 0 {
		o = opts[0]
	}
	return interp.New(sm, o)
}

// parseJSON parses a JSON text into a model value.
func parseJSON(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonv.ParseString(s)
	if err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	return v
}

// call is one task invocation as the task port saw it.
type call struct {
	State   string
	Attempt int
	Input   any
	Task    taskport.Request
}

// script answers a task: a result, or a *taskport.Failure to fail it.
type script func(state string, attempt int, input any) (any, error)

// recorder wraps a script and records every call.
type recorder struct {
	calls []call
	fn    script
}

func (r *recorder) Invoke(_ context.Context, task taskport.Request) (any, error) {
	r.calls = append(r.calls, call{State: task.StateName, Attempt: task.Attempt, Input: task.Input, Task: task})
	if r.fn == nil {
		return task.Input, nil
	}
	return r.fn(task.StateName, task.Attempt, task.Input)
}

func fail(name, cause string) error { return &taskport.Failure{Name: name, Cause: cause} }

// echo succeeds every task with its own input.
func echo(_ string, _ int, in any) (any, error) { return in, nil }

// run drives m on input (JSON text) to completion with FastForward and a
// fixed clock.
func run(t testing.TB, m *interp.Machine, input string, fn script) (*runner.Result, *recorder) {
	t.Helper()
	rec := &recorder{fn: fn}
	res, err := runner.Run(context.Background(), m, runner.Options{
		Info:        testInfo(parseJSON(t, input)),
		Tasks:       rec,
		FastForward: true,
		Now:         fixedClock,
		Seed:        42,
	})
	if err != nil {
		t.Fatalf("runner.Run: %v", err)
	}
	return res, rec
}

func testInfo(input any) interp.Info {
	return interp.Info{
		ExecutionArn:     "arn:aws:states:us-east-1:123456789012:execution:test:exec-1",
		Name:             "exec-1",
		StateMachineArn:  "arn:aws:states:us-east-1:123456789012:stateMachine:test",
		StateMachineName: "test",
		RoleArn:          "arn:aws:iam::123456789012:role/test",
		Region:           "us-east-1",
		Input:            input,
	}
}

// types lists the event types of a history.
func types(h []interp.HistoryEvent) []string {
	out := make([]string, len(h))
	for i, e := range h {
		out[i] = e.Type
	}
	return out
}

// dump renders a history for failure messages.
func dump(h []interp.HistoryEvent) string {
	var b strings.Builder
	for _, e := range h {
		b.Write(e.AppendJSON(nil))
		b.WriteByte('\n')
	}
	return b.String()
}

// eventsOf returns the events of the given type, in order.
func eventsOf(h []interp.HistoryEvent, typ string) []interp.HistoryEvent {
	var out []interp.HistoryEvent
	for _, e := range h {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// offsets gives each event's time since t0, for events of type typ.
func offsets(h []interp.HistoryEvent, typ string) []time.Duration {
	var out []time.Duration
	for _, e := range eventsOf(h, typ) {
		out = append(out, e.Timestamp.Sub(t0))
	}
	return out
}

func secs(ss ...float64) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// want is the expected end of an execution. Empty fields are not checked,
// except that Status is always checked.
type want struct {
	Status interp.Status
	Output string // JSON text; "" means don't check
	Error  string
	Cause  string // exact cause; "" means don't check
	// CauseContains is checked when set.
	CauseContains string
	Types         []string // exact event type sequence when set
}

func check(t testing.TB, res *runner.Result, w want) {
	t.Helper()
	if res.Status != w.Status {
		t.Fatalf("status = %s (error %q cause %q), want %s\nhistory:\n%s", res.Status, res.Error, res.Cause, w.Status, dump(res.History))
	}
	if w.Output != "" {
		if !jsonv.Equal(res.Output, parseJSON(t, w.Output)) {
			t.Errorf("output = %s, want %s", jsonv.String(res.Output), w.Output)
		}
	}
	if w.Error != "" && res.Error != w.Error {
		t.Errorf("error = %q, want %q (cause %q)", res.Error, w.Error, res.Cause)
	}
	if w.Cause != "" && res.Cause != w.Cause {
		t.Errorf("cause = %q, want %q", res.Cause, w.Cause)
	}
	if w.CauseContains != "" && !strings.Contains(res.Cause, w.CauseContains) {
		t.Errorf("cause = %q, want it to contain %q", res.Cause, w.CauseContains)
	}
	if w.Types != nil && !equalStrings(types(res.History), w.Types) {
		t.Errorf("event types:\n got %s\nwant %s", strings.Join(types(res.History), " "), strings.Join(w.Types, " "))
	}
}

// checkChain verifies the invariants every history must keep: ids count
// from 1, previousEventId points backwards, timestamps never decrease.
func checkChain(t testing.TB, h []interp.HistoryEvent) {
	t.Helper()
	for i, e := range h {
		if e.ID != int64(i+1) {
			t.Fatalf("event %d has id %d\n%s", i, e.ID, dump(h))
		}
		if e.PreviousEventID < 0 || e.PreviousEventID >= e.ID {
			t.Fatalf("event %d (%s) has previousEventId %d\n%s", e.ID, e.Type, e.PreviousEventID, dump(h))
		}
		if i > 0 && e.Timestamp.Before(h[i-1].Timestamp) {
			t.Fatalf("event %d (%s) goes back in time\n%s", e.ID, e.Type, dump(h))
		}
	}
}

// detailsJSON is the JSON of one event's details member, for assertions on
// specific fields.
func detailsJSON(t testing.TB, e interp.HistoryEvent) map[string]any {
	t.Helper()
	v := parseJSON(t, string(e.AppendJSON(nil)))
	obj := v.(*jsonv.Object)
	d, _ := obj.Value(interp.DetailsKey(e.Type)).(*jsonv.Object)
	return d.Map()
}

// field returns a string field of an event's details.
func field(t testing.TB, e interp.HistoryEvent, name string) any {
	t.Helper()
	return detailsJSON(t, e)[name]
}

func mustJSON(v any) string { return jsonv.String(v) }

var _ = fmt.Sprintf
