package engine

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

const smArn = "arn:aws:states:us-east-1:123456789012:stateMachine:test"
const actArn = "arn:aws:states:us-east-1:123456789012:activity:work"

type harness struct {
	t      *testing.T
	st     store.Store
	eng    *Engine
	cancel context.CancelFunc
	done   chan struct{}
}

func newHarness(t *testing.T, st store.Store) *harness {
	t.Helper()
	h := &harness{t: t, st: st, eng: New(st, Options{}), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { _ = h.eng.Run(ctx); close(h.done) }()
	t.Cleanup(h.stop)
	return h
}

// input parses an execution input the test spells out.
func input(text string) *Input {
	in, err := ParseInput(text)
	if err != nil {
		panic(err)
	}
	return in
}

func (h *harness) stop() {
	h.cancel()
	<-h.done
}

func (h *harness) machine(def string) *store.StateMachine {
	h.t.Helper()
	sm := &store.StateMachine{Arn: smArn, Name: "test", Type: "STANDARD", Definition: def, RoleArn: "arn:aws:iam::123456789012:role/r", Status: "ACTIVE", CreatedAt: time.Now()}
	if err := h.st.CreateStateMachine(context.Background(), sm); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		h.t.Fatal(err)
	}
	return sm
}

func (h *harness) wait(arn string) *store.Execution {
	h.t.Helper()
	select {
	case <-h.eng.Done(context.Background(), arn):
	case <-time.After(3 * time.Minute):
		h.t.Fatalf("execution %s did not finish", arn)
	}
	rec, err := h.st.GetExecution(context.Background(), arn)
	if err != nil {
		h.t.Fatal(err)
	}
	return rec
}

// types returns the event types of an execution's history, checking that
// ids run 1..n without gaps or repeats.
func (h *harness) types(arn string) []string {
	h.t.Helper()
	evs, err := h.st.History(context.Background(), store.HistoryParams{ExecutionArn: arn, Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for i, ev := range evs {
		if ev.ID != int64(i+1) {
			h.t.Fatalf("event %d has id %d", i+1, ev.ID)
		}
		out = append(out, ev.Type)
	}
	return out
}

func TestWaitThenSucceed(t *testing.T) {
	h := newHarness(t, memstore.New())
	sm := h.machine(`{"StartAt":"P","States":{
		"P":{"Type":"Pass","Result":{"x":1},"Next":"W"},
		"W":{"Type":"Wait","Seconds":1,"Next":"D"},
		"D":{"Type":"Succeed"}}}`)
	start := time.Now()
	rec, err := h.eng.StartExecution(context.Background(), sm, "e1", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	rec = h.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" || rec.Output != `{"x":1}` {
		t.Fatalf("got %s %s", rec.Status, rec.Output)
	}
	if time.Since(start) < 990*time.Millisecond { // start times are kept to the millisecond
		t.Fatal("the Wait did not wait")
	}
	got := strings.Join(h.types(rec.Arn), " ")
	want := "ExecutionStarted PassStateEntered PassStateExited WaitStateEntered WaitStateExited SucceedStateEntered SucceedStateExited ExecutionSucceeded"
	if got != want {
		t.Fatalf("history\n got %s\nwant %s", got, want)
	}
}

func TestStartIsIdempotentWhileRunning(t *testing.T) {
	h := newHarness(t, memstore.New())
	sm := h.machine(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	ctx := context.Background()
	a, err := h.eng.StartExecution(ctx, sm, "same", input(`{"a":1}`), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.eng.StartExecution(ctx, sm, "same", input(`{"a":1}`), "")
	if err != nil || b.Arn != a.Arn || !b.StartedAt.Equal(a.StartedAt) {
		t.Fatalf("second start: %v %+v", err, b)
	}
	if _, err := h.eng.StartExecution(ctx, sm, "same", input(`{"a":2}`), ""); !errors.Is(err, ErrExecutionAlreadyExists) {
		t.Fatalf("different input: %v, want ErrExecutionAlreadyExists", err)
	}
	if _, err := h.eng.StopExecution(ctx, a.Arn, "Why", "because"); err != nil {
		t.Fatal(err)
	}
	rec := h.wait(a.Arn)
	if rec.Status != "ABORTED" || rec.Error != "Why" || rec.Cause != "because" {
		t.Fatalf("after stop: %+v", rec)
	}
	if _, err := h.eng.StartExecution(ctx, sm, "same", input(`{"a":1}`), ""); !errors.Is(err, ErrExecutionAlreadyExists) {
		t.Fatalf("closed execution: %v, want ErrExecutionAlreadyExists", err)
	}
}

func activityMachine(extra string) string {
	return `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"` + actArn + `",` + extra + `"ResultPath":"$.result","End":true,
		     "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Caught"}]},
		"Caught":{"Type":"Pass","End":true}}}`
}

func TestActivityWorker(t *testing.T) {
	h := newHarness(t, memstore.New())
	sm := h.machine(activityMachine(""))
	ctx := context.Background()
	rec, err := h.eng.StartExecution(ctx, sm, "act", input(`{"n":2}`), "")
	if err != nil {
		t.Fatal(err)
	}
	task, err := h.eng.GetActivityTask(ctx, actArn, "worker-1", 5*time.Second)
	if err != nil || task == nil {
		t.Fatalf("no task: %v", err)
	}
	if task.Input != `{"n":2}` {
		t.Fatalf("task input %s", task.Input)
	}
	if err := h.eng.SendTaskSuccess(ctx, task.Token, `{"doubled":4}`); err != nil {
		t.Fatal(err)
	}
	rec = h.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" || rec.Output != `{"n":2,"result":{"doubled":4}}` {
		t.Fatalf("got %s %s", rec.Status, rec.Output)
	}
	got := strings.Join(h.types(rec.Arn), " ")
	want := "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded"
	if got != want {
		t.Fatalf("history\n got %s\nwant %s", got, want)
	}
	evs, _ := h.st.History(ctx, store.HistoryParams{ExecutionArn: rec.Arn, Limit: 10})
	var started struct {
		Details struct {
			WorkerName string `json:"workerName"`
		} `json:"activityStartedEventDetails"`
	}
	_ = json.Unmarshal(evs[3].Body, &started)
	if started.Details.WorkerName != "worker-1" {
		t.Fatalf("ActivityStarted %s", evs[3].Body)
	}
	if err := h.eng.SendTaskSuccess(ctx, task.Token, `{}`); !errors.Is(err, ErrTaskTimedOut) {
		t.Fatalf("second success: %v, want ErrTaskTimedOut", err)
	}
	if err := h.eng.SendTaskSuccess(ctx, "not-a-token", `{}`); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("bad token: %v, want ErrInvalidToken", err)
	}
	forged := task.Token[:len(task.Token)-2] + "xx"
	if err := h.eng.SendTaskSuccess(ctx, forged, `{}`); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("forged token: %v, want ErrInvalidToken", err)
	}
}

// A worker waiting in GetActivityTask gets a task scheduled after it began
// to wait, without polling again.
func TestActivityLongPollHandOff(t *testing.T) {
	h := newHarness(t, memstore.New())
	sm := h.machine(activityMachine(""))
	ctx := context.Background()
	got := make(chan error, 1)
	go func() {
		task, err := h.eng.GetActivityTask(ctx, actArn, "w", 10*time.Second)
		if err == nil && task == nil {
			err = errors.New("no task")
		}
		if err == nil {
			err = h.eng.SendTaskFailure(ctx, task.Token, "Boom", "it broke")
		}
		got <- err
	}()
	time.Sleep(100 * time.Millisecond)
	rec, err := h.eng.StartExecution(ctx, sm, "late", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	rec = h.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" || !strings.Contains(rec.Output, `"Error":"Boom"`) {
		t.Fatalf("got %s %s", rec.Status, rec.Output)
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	h := newHarness(t, memstore.New())
	sm := h.machine(activityMachine(`"HeartbeatSeconds":1,`))
	ctx := context.Background()
	rec, err := h.eng.StartExecution(ctx, sm, "hb", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	task, err := h.eng.GetActivityTask(ctx, actArn, "w", 5*time.Second)
	if err != nil || task == nil {
		t.Fatalf("no task: %v", err)
	}
	// Heartbeats keep it alive past one heartbeat interval...
	for i := 0; i < 3; i++ {
		time.Sleep(400 * time.Millisecond)
		if err := h.eng.SendTaskHeartbeat(ctx, task.Token); err != nil {
			t.Fatal(err)
		}
	}
	// ...and silence lets it time out.
	rec = h.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" || !strings.Contains(rec.Output, `"Error":"States.HeartbeatTimeout"`) {
		t.Fatalf("got %s %s", rec.Status, rec.Output)
	}
	if err := h.eng.SendTaskHeartbeat(ctx, task.Token); !errors.Is(err, ErrTaskTimedOut) {
		t.Fatalf("heartbeat after timeout: %v, want ErrTaskTimedOut", err)
	}
}

// A new engine on the same store (a restart) rebuilds executions from
// their inputs and carries on with the same event numbering.
func TestRestartReplaysExecutions(t *testing.T) {
	st := memstore.New()
	h1 := newHarness(t, st)
	sm := h1.machine(`{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"` + actArn + `","Next":"W"},
		"W":{"Type":"Wait","Seconds":1,"Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`)
	ctx := context.Background()
	rec, err := h1.eng.StartExecution(ctx, sm, "r", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	task, err := h1.eng.GetActivityTask(ctx, actArn, "w", 5*time.Second)
	if err != nil || task == nil {
		t.Fatalf("no task: %v", err)
	}
	h1.stop()

	h2 := newHarness(t, st)
	if err := h2.eng.SendTaskSuccess(ctx, task.Token, `{"items":[1,2,3]}`); err != nil {
		t.Fatal(err)
	}
	rec = h2.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" || rec.Output != `[1,2,3]` {
		t.Fatalf("got %s %s %s", rec.Status, rec.Error, rec.Output)
	}
	h2.types(rec.Arn) // ids 1..n, no repeats
}

func TestUnsupportedResourceFailsTheTask(t *testing.T) {
	h := newHarness(t, memstore.New())
	sm := h.machine(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}`)
	rec, err := h.eng.StartExecution(context.Background(), sm, "u", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	rec = h.wait(rec.Arn)
	if rec.Status != "FAILED" || rec.Error != "Statecraft.ResourceNotSupported" {
		t.Fatalf("got %+v", rec)
	}
}

func TestTaskTokenRoundTrip(t *testing.T) {
	tok := TaskToken("arn:aws:states:us-east-1:1:execution:m:e", 42, 7)
	arn, ref, ok := parseToken(tok)
	if !ok || arn != "arn:aws:states:us-east-1:1:execution:m:e" || ref != 42 {
		t.Fatalf("parseToken(%q) = %q %d %v", tok, arn, ref, ok)
	}
	if TaskToken("arn:aws:states:us-east-1:1:execution:m:e", 42, 8) == tok {
		t.Fatal("tokens must depend on the execution's seed")
	}
}
