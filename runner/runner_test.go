package runner_test

import (
	"context"
	"errors"
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

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func fixed() time.Time { return t0 }

func machine(t *testing.T, def string) *interp.Machine {
	t.Helper()
	if probs := asl.Validate([]byte(def), asl.ValidateOptions{}); len(probs) > 0 {
		t.Fatalf("invalid definition: %v", probs)
	}
	sm, err := asl.Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	return interp.New(sm, interp.Options{History: true})
}

func types(h []interp.HistoryEvent) string {
	var s []string
	for _, e := range h {
		s = append(s, e.Type)
	}
	return strings.Join(s, " ")
}

const taskThenWait = `{"StartAt":"T","States":{
	"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":"$.r","Next":"W"},
	"W":{"Type":"Wait","Seconds":3600,"Next":"T2"},
	"T2":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":"$.r2","End":true}}}`

func TestRunFastForward(t *testing.T) {
	m := machine(t, taskThenWait)
	var seen []interp.HistoryEvent
	var tasks []string
	res, err := runner.Run(context.Background(), m, runner.Options{
		Info: interp.Info{Input: map[string]any{"in": int64(1)}},
		Tasks: taskport.Func(func(_ context.Context, task taskport.Request) (any, error) {
			tasks = append(tasks, task.StateName+":"+jsonv.String(task.Input))
			return task.StateName, nil
		}),
		FastForward: true,
		Now:         fixed,
		Seed:        1,
		OnEvents:    func(evs []interp.HistoryEvent) { seen = append(seen, evs...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != interp.Succeeded || jsonv.String(res.Output) != `{"in":1,"r":"T","r2":"T2"}` {
		t.Fatalf("status %s output %s", res.Status, jsonv.String(res.Output))
	}
	if strings.Join(tasks, " ") != `T:{"in":1} T2:{"in":1,"r":"T"}` {
		t.Errorf("tasks %v", tasks)
	}
	want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited " +
		"WaitStateEntered WaitStateExited TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded"
	if got := types(res.History); got != want {
		t.Errorf("types\n got %s\nwant %s", got, want)
	}
	// OnEvents saw every event once, in order.
	if len(seen) != len(res.History) {
		t.Fatalf("OnEvents saw %d events, history has %d", len(seen), len(res.History))
	}
	for i := range seen {
		if seen[i].ID != res.History[i].ID || seen[i].Type != res.History[i].Type {
			t.Errorf("OnEvents event %d = %d %s", i, seen[i].ID, seen[i].Type)
		}
	}
	// The clock jumped the hour: everything after the wait is stamped +1h.
	for _, e := range res.History {
		want := t0
		if e.ID >= 8 {
			want = t0.Add(time.Hour)
		}
		if !e.Timestamp.Equal(want) {
			t.Errorf("event %d %s at %v, want %v", e.ID, e.Type, e.Timestamp, want)
		}
	}
	if res.Transitions != 3 {
		t.Errorf("transitions %d", res.Transitions)
	}
}

func TestRunTaskFailureKinds(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`
	tests := []struct {
		name, errName, event string
	}{
		{"custom", "My.Error", "TaskFailed"},
		{"timeout", "States.Timeout", "TaskTimedOut"},
		{"heartbeat", "States.HeartbeatTimeout", "TaskTimedOut"},
		{"empty name", "", "TaskFailed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := runner.Run(context.Background(), machine(t, def), runner.Options{
				Tasks: taskport.Func(func(context.Context, taskport.Request) (any, error) {
					return nil, &taskport.Failure{Name: tc.errName, Cause: "why"}
				}),
				FastForward: true, Now: fixed, Seed: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != interp.Failed || res.Error != tc.errName || res.Cause != "why" || !res.HasCause {
				t.Errorf("result %+v", res)
			}
			if got := types(res.History); !strings.Contains(got, " "+tc.event+" ") {
				t.Errorf("types %s, want a %s event", got, tc.event)
			}
		})
	}
}

// A wrapped Failure still fails the task; any other error stops the
// run and is returned.
func TestRunPortErrors(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`
	boom := errors.New("port broke")
	res, err := runner.Run(context.Background(), machine(t, def), runner.Options{
		Tasks:       taskport.Func(func(context.Context, taskport.Request) (any, error) { return nil, boom }),
		FastForward: true, Now: fixed, Seed: 1,
	})
	if !errors.Is(err, boom) || res != nil || !strings.Contains(err.Error(), `state "T"`) {
		t.Errorf("err %v res %v", err, res)
	}

	res, err = runner.Run(context.Background(), machine(t, def), runner.Options{
		Tasks: taskport.Func(func(context.Context, taskport.Request) (any, error) {
			return nil, errors.Join(errors.New("context"), &taskport.Failure{Name: "Wrapped", Cause: "c"})
		}),
		FastForward: true, Now: fixed, Seed: 1,
	})
	if err != nil || res.Status != interp.Failed || res.Error != "Wrapped" {
		t.Errorf("err %v res %+v", err, res)
	}

	_, err = runner.Run(context.Background(), machine(t, def), runner.Options{FastForward: true, Now: fixed, Seed: 1})
	if err == nil || !strings.Contains(err.Error(), "nothing runs the Task resource") {
		t.Errorf("nil port: err %v", err)
	}
}

func TestRunContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	res, err := runner.Run(ctx, machine(t, taskThenWait), runner.Options{
		Tasks: taskport.Func(func(context.Context, taskport.Request) (any, error) {
			cancel()
			return "x", nil
		}),
		FastForward: true, Now: fixed, Seed: 1,
	})
	// An interrupted run ends ABORTED, as StopExecution would: the task
	// being resolved completes, the wait never does.
	if err != nil {
		t.Fatal(err)
	}
	got := types(res.History)
	if res.Status != interp.Aborted || !strings.HasSuffix(got, "ExecutionAborted") || strings.Contains(got, "WaitStateExited") {
		t.Errorf("status %s history %s", res.Status, got)
	}
}

// Without FastForward the runner waits for timers on its own clock: a
// clock far from the wall clock must neither hang nor skip the wait.
func TestRunRealTimeCustomClock(t *testing.T) {
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.at","End":true}}}`
	offset := 10 * 365 * 24 * time.Hour
	for _, off := range []time.Duration{offset, -offset} {
		clock := func() time.Time { return time.Now().Add(off) }
		due := clock().Add(200 * time.Millisecond).UTC()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := runner.Run(ctx, machine(t, def), runner.Options{
			Info: interp.Info{Input: map[string]any{"at": due.Format(time.RFC3339Nano)}},
			Now:  clock, Seed: 1,
		})
		cancel()
		if err != nil {
			t.Fatalf("offset %v: %v", off, err)
		}
		h := res.History
		if res.Status != interp.Succeeded || len(h) != 4 {
			t.Fatalf("offset %v: status %s, %s", off, res.Status, types(h))
		}
		// The wait ends no earlier than its due time on the run's clock.
		if exited := h[2].Timestamp; exited.Before(due) {
			t.Errorf("offset %v: wait exited at %v, before its due time %v", off, exited, due)
		}
	}
}

// Seed 0 picks a seed from the clock, so a fixed clock gives repeatable
// randomness.
func TestRunSeedFromClock(t *testing.T) {
	def := `{"StartAt":"U","States":{"U":{"Type":"Pass","Parameters":{"id.$":"States.UUID()"},"End":true}}}`
	out := func(now func() time.Time, seed uint64) string {
		res, err := runner.Run(context.Background(), machine(t, def), runner.Options{Now: now, FastForward: true, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return jsonv.String(res.Output)
	}
	a, b := out(fixed, 0), out(fixed, 0)
	if a != b {
		t.Errorf("fixed clock, seed 0: %s then %s", a, b)
	}
	later := func() time.Time { return t0.Add(time.Nanosecond) }
	if c := out(later, 0); c == a {
		t.Errorf("a different clock gave the same UUID %s", c)
	}
	if d := out(fixed, uint64(t0.UnixNano())); d != a {
		t.Errorf("seed 0 should mean the clock's UnixNano: %s vs %s", d, a)
	}
}

// Tasks of parallel branches are resolved in the order they were
// scheduled, and a failure cancels the ones not yet resolved.
func TestRunParallelOrderAndCancel(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
		{"StartAt":"C","States":{"C":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}]}}}`
	var order []string
	res, err := runner.Run(context.Background(), machine(t, def), runner.Options{
		Tasks: taskport.Func(func(_ context.Context, task taskport.Request) (any, error) {
			order = append(order, task.StateName)
			if task.StateName == "B" {
				return nil, &taskport.Failure{Name: "B.Failed"}
			}
			return task.StateName, nil
		}),
		FastForward: true, Now: fixed, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, "") != "AB" {
		t.Errorf("resolved %v, want A then B and C cancelled", order)
	}
	if res.Status != interp.Failed || res.Error != "B.Failed" || res.HasCause && res.Cause != "" {
		t.Errorf("result %+v", res)
	}
}

// A machine without tasks needs no port.
func TestRunNoPortNeeded(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"Next":"S"},"S":{"Type":"Succeed"}}}`
	res, err := runner.Run(context.Background(), machine(t, def), runner.Options{Now: fixed, Seed: 1})
	if err != nil || res.Status != interp.Succeeded || jsonv.String(res.Output) != "1" {
		t.Errorf("err %v res %+v", err, res)
	}
}

// The port is asked with everything the state says about the attempt: its
// limits, retry count, and the token $$.Task.Token names.
func TestRunRequest(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"TimeoutSeconds":30,"HeartbeatSeconds":10,
		"Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":2}],"End":true}}}`
	var got []taskport.Request
	info := interp.Info{
		ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:m:e",
		Input:        map[string]any{"a": int64(1)},
		TaskToken:    func(ref int64) string { return fmt.Sprint("token-", ref) },
	}
	res, err := runner.Run(context.Background(), machine(t, def), runner.Options{
		Info: info,
		Tasks: taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
			got = append(got, req)
			if req.Attempt == 0 {
				return nil, taskport.Fail("Flaky", "first try")
			}
			return "ok", nil
		}),
		FastForward: true, Now: fixed, Seed: 1,
	})
	if err != nil || res.Status != interp.Succeeded {
		t.Fatalf("err %v res %+v", err, res)
	}
	if len(got) != 2 {
		t.Fatalf("%d calls, want 2", len(got))
	}
	for i, req := range got {
		if req.Resource != "arn:aws:states:::lambda:invoke" || req.StateName != "T" || req.Attempt != i ||
			req.Timeout != 30*time.Second || req.Heartbeat != 10*time.Second || req.ExecutionArn != info.ExecutionArn ||
			!strings.HasPrefix(req.Token, "token-") || jsonv.String(req.Input) != `{"a":1}` {
			t.Errorf("call %d: %+v", i, req)
		}
	}
	if got[0].Token == got[1].Token {
		t.Errorf("both attempts had token %s", got[0].Token)
	}
}

// A resource the port does not run fails the task with an error that names
// it, which Catch sees; the run goes on.
func TestRunNotSupported(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
		"Catch":[{"ErrorEquals":["Statecraft.ResourceNotSupported"],"Next":"C"}],"End":true},
		"C":{"Type":"Pass","End":true}}}`
	res, err := runner.Run(context.Background(), machine(t, def), runner.Options{
		Tasks: taskport.Func(func(context.Context, taskport.Request) (any, error) {
			return nil, fmt.Errorf("wrapped: %w", taskport.ErrNotSupported)
		}),
		FastForward: true, Now: fixed, Seed: 1,
	})
	if err != nil || res.Status != interp.Succeeded {
		t.Fatalf("err %v res %+v", err, res)
	}
	out := jsonv.String(res.Output)
	if !strings.Contains(out, `"Error":"Statecraft.ResourceNotSupported"`) || !strings.Contains(out, "arn:aws:states:::sqs:sendMessage") {
		t.Errorf("output %s", out)
	}
}
