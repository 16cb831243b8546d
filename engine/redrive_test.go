package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

// A failed execution is redriven, the engine restarts while the rerun
// waits, and the replay (which applies the redrive again) finishes it: only
// the failed branch ran again.
func TestRedriveAcrossRestart(t *testing.T) {
	st := memstore.New()
	h1 := newHarness(t, st)
	sm := h1.machine(`{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + actArn + `","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Pass","Result":"b","End":true}}}]}}}`)
	ctx := context.Background()
	rec, err := h1.eng.StartExecution(ctx, sm, "redrive", input(`{"n":1}`), "")
	if err != nil {
		t.Fatal(err)
	}
	task, err := h1.eng.GetActivityTask(ctx, actArn, "w", 5*time.Second)
	if err != nil || task == nil {
		t.Fatalf("no task: %v", err)
	}
	if err := h1.eng.SendTaskFailure(ctx, task.Token, "Broken", "not yet"); err != nil {
		t.Fatal(err)
	}
	if rec = h1.wait(rec.Arn); rec.Status != "FAILED" {
		t.Fatalf("first run: %s", rec.Status)
	}
	failedEvents := rec.Events
	h1.stop()

	h2 := newHarness(t, st)
	at, err := h2.eng.RedriveExecution(ctx, rec.Arn, "token-1")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetExecution(ctx, rec.Arn)
	if got.Status != "RUNNING" || got.RedriveCount != 1 || !got.RedriveDate.Equal(at) || got.HasError {
		t.Fatalf("redriven: %+v", got)
	}
	// The same token again is the same redrive; another is refused.
	if again, err := h2.eng.RedriveExecution(ctx, rec.Arn, "token-1"); err != nil || !again.Equal(at) {
		t.Errorf("repeated token: %v %v, want %v", again, err, at)
	}
	var nr *NotRedrivableError
	if _, err := h2.eng.RedriveExecution(ctx, rec.Arn, "token-2"); !errors.As(err, &nr) || nr.Reason != "Execution is RUNNING and cannot be redriven" {
		t.Errorf("redrive of a running execution: %v", err)
	}
	task, err = h2.eng.GetActivityTask(ctx, actArn, "w", 5*time.Second)
	if err != nil || task == nil || task.Input != `{"n":1}` {
		t.Fatalf("no task after the redrive: %v %+v", err, task)
	}
	h2.stop()

	h3 := newHarness(t, st)
	if err := h3.eng.SendTaskSuccess(ctx, task.Token, `"a"`); err != nil {
		t.Fatal(err)
	}
	rec = h3.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" || rec.Output != `["a","b"]` || rec.RedriveCount != 1 {
		t.Fatalf("after the redrive: %s %s %s", rec.Status, rec.Output, rec.Error)
	}
	types := h3.types(rec.Arn)
	tail := strings.Join(types[failedEvents:], " ")
	if want := "ExecutionRedriven TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ParallelStateSucceeded ParallelStateExited ExecutionSucceeded"; tail != want {
		t.Errorf("after the redrive:\n got %s\nwant %s", tail, want)
	}
	if _, err := h3.eng.RedriveExecution(ctx, rec.Arn, ""); !errors.As(err, &nr) || nr.Reason != "Execution is SUCCEEDED and cannot be redriven" {
		t.Errorf("redrive of a succeeded execution: %v", err)
	}
	if _, err := h3.eng.RedriveExecution(ctx, rec.Arn+"x", ""); !errors.Is(err, ErrExecutionDoesNotExist) {
		t.Errorf("redrive of an unknown execution: %v", err)
	}
}

// The limits AWS sets on a redrive, in its words.
func TestRedriveReason(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		status         string
		started, ended time.Duration // before now
		events         int64
		want           string
	}{
		{"FAILED", time.Hour, time.Minute, 10, ""},
		{"ABORTED", time.Hour, time.Minute, 10, ""},
		{"TIMED_OUT", time.Hour, time.Minute, 10, ""},
		{"RUNNING", time.Hour, 0, 10, "Execution is RUNNING and cannot be redriven"},
		{"SUCCEEDED", time.Hour, time.Minute, 10, "Execution is SUCCEEDED and cannot be redriven"},
		{"FAILED", 20 * 24 * time.Hour, 15 * 24 * time.Hour, 10, "Execution redrivable period exceeded"},
		{"FAILED", 366 * 24 * time.Hour, time.Hour, 10, "Execution has exceeded the max execution time"},
		{"FAILED", time.Hour, time.Minute, 24999, "Execution history event limit exceeded"},
	}
	for _, c := range cases {
		rec := &store.Execution{Status: c.status, StartedAt: now.Add(-c.started), StoppedAt: now.Add(-c.ended), Events: c.events}
		if got := RedriveReason(rec, now); got != c.want {
			t.Errorf("%+v: %q, want %q", c, got, c.want)
		}
	}
}
