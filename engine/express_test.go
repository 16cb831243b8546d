package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
	"github.com/statecraft/statecraft/taskport"
)

const expressSmArn = "arn:aws:states:us-east-1:123456789012:stateMachine:fast"

func expressMachine(def string) *store.StateMachine {
	return &store.StateMachine{Arn: expressSmArn, Name: "fast", Type: "EXPRESS", Definition: def, RoleArn: "arn:aws:iam::123456789012:role/r", Status: "ACTIVE", CreatedAt: time.Now()}
}

// runExpress runs an EXPRESS execution to its end and checks that nothing
// of it reached the store.
func (h *harness) runExpress(def, in string) *store.Execution {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rec := h.eng.RunExpress(ctx, expressMachine(def), "x", input(in), "")
	h.nothingStored(rec.Arn)
	return rec
}

func (h *harness) nothingStored(arn string) {
	h.t.Helper()
	if !strings.Contains(arn, ":express:fast:") {
		h.t.Fatalf("ARN %s", arn)
	}
	if _, err := h.st.GetExecution(context.Background(), arn); !errors.Is(err, store.ErrNotFound) {
		h.t.Errorf("the store has the EXPRESS execution %s: %v", arn, err)
	}
}

// doublingPort doubles $.n, failing the first attempt of each state with
// Flaky; in the state "Block" it waits until the call is cut short.
func doublingPort(calls *atomic.Int32) taskport.Port {
	return taskport.Func(func(ctx context.Context, req taskport.Request) (any, error) {
		calls.Add(1)
		if req.StateName == "Block" {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		if !strings.HasPrefix(req.ExecutionArn, "arn:aws:states:us-east-1:123456789012:express:fast:x:") || req.Token == "" {
			return nil, errors.New("unexpected request")
		}
		if req.Attempt == 0 {
			return nil, taskport.Fail("Flaky", "first attempt")
		}
		n, _ := jsonv.Integer(req.Input.(*jsonv.Object).Map()["n"])
		return map[string]any{"n": 2 * n}, nil
	})
}

func TestExpressRuns(t *testing.T) {
	retry := `"Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":1}]`
	catch := `"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}]`
	cases := []struct {
		name, def, in  string
		status, output string // output: a substring of it
		errName, cause string
		noPort         bool
		calls          int32
	}{
		{name: "pass, wait, choice", in: `{"v":2}`, status: "SUCCEEDED", output: `{"v":2,"big":false}`,
			def: `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"C"},
				"C":{"Type":"Choice","Choices":[{"Variable":"$.v","NumericGreaterThan":5,"Next":"Big"}],"Default":"Small"},
				"Big":{"Type":"Pass","Result":true,"ResultPath":"$.big","End":true},
				"Small":{"Type":"Pass","Result":false,"ResultPath":"$.big","End":true}}}`},
		{name: "fail", in: `{}`, status: "FAILED", errName: "No", cause: "never",
			def: `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"No","Cause":"never"}}}`},
		{name: "task retried", in: `{"n":21}`, status: "SUCCEEDED", output: `{"n":42}`, calls: 2,
			def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:double",` + retry + `,"End":true}}}`},
		{name: "parallel tasks", in: `{"n":1}`, status: "SUCCEEDED", output: `[{"n":2},{"n":2}]`, calls: 4,
			def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
				{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",` + retry + `,"End":true}}},
				{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",` + retry + `,"End":true}}}]}}}`},
		{name: "not supported", in: `{}`, status: "SUCCEEDED", output: `"Error":"Statecraft.ResourceNotSupported"`, noPort: true,
			def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",` + catch + `,"End":true},"Caught":{"Type":"Pass","End":true}}}`},
		{name: "another account's function", in: `{}`, status: "SUCCEEDED", output: `belongs to another account or region`,
			def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:999999999999:function:f",` + catch + `,"End":true},"Caught":{"Type":"Pass","End":true}}}`},
		{name: "task timeout", in: `{}`, status: "SUCCEEDED", output: `"Error":"States.Timeout"`, calls: 1,
			def: `{"StartAt":"Block","States":{"Block":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":1,` + catch + `,"End":true},"Caught":{"Type":"Pass","End":true}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			port := doublingPort(&calls)
			if c.noPort {
				port = nil
			}
			h := newPortHarness(t, memstore.New(), port)
			rec := h.runExpress(c.def, c.in)
			if rec.Status != c.status || !strings.Contains(rec.Output, c.output) || rec.Error != c.errName || rec.Cause != c.cause {
				t.Fatalf("got %s output %s error %q cause %q", rec.Status, rec.Output, rec.Error, rec.Cause)
			}
			if rec.Input != c.in || rec.StartedAt.IsZero() || rec.StoppedAt.Before(rec.StartedAt) {
				t.Errorf("record %+v", rec)
			}
			if calls.Load() != c.calls {
				t.Errorf("%d calls, want %d", calls.Load(), c.calls)
			}
		})
	}
}

// An EXPRESS execution's activity tasks wait in the activity's queue: a
// worker gets both tasks of a Parallel state before it answers either
// (they are dispatched at once, not one after the other), heartbeats, and
// its answers reach the execution by the token.
func TestExpressActivities(t *testing.T) {
	h := newHarness(t, memstore.New())
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + actArn + `","HeartbeatSeconds":60,"End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"` + actArn + `","Parameters":{"b.$":"$.n"},"End":true}}}]}}}`
	done := make(chan *store.Execution)
	go func() {
		done <- h.eng.RunExpress(context.Background(), expressMachine(def), "x", input(`{"n":5}`), "")
	}()
	ctx := context.Background()
	var tasks []*store.Task
	for len(tasks) < 2 {
		task, err := h.eng.GetActivityTask(ctx, actArn, "w", 10*time.Second)
		if err != nil || task == nil {
			t.Fatalf("task %d: %v %v", len(tasks), task, err)
		}
		tasks = append(tasks, task)
	}
	for _, task := range tasks {
		if !strings.Contains(task.ExecutionArn, ":express:fast:x:") || !task.Started || task.WorkerName != "w" {
			t.Errorf("task %+v", task)
		}
		if err := h.eng.SendTaskHeartbeat(ctx, task.Token); err != nil {
			t.Errorf("heartbeat: %v", err)
		}
		if err := h.eng.SendTaskSuccess(ctx, task.Token, `{"in":`+task.Input+`}`); err != nil {
			t.Fatal(err)
		}
	}
	rec := <-done
	if rec.Status != "SUCCEEDED" || !strings.Contains(rec.Output, `{"in":{"n":5}}`) || !strings.Contains(rec.Output, `{"in":{"b":5}}`) {
		t.Fatalf("got %s %s", rec.Status, rec.Output)
	}
	h.nothingStored(rec.Arn)
	if err := h.eng.SendTaskSuccess(ctx, tasks[0].Token, `{}`); !errors.Is(err, ErrTaskTimedOut) {
		t.Errorf("answer after the end: %v, want ErrTaskTimedOut", err)
	}
	if err := h.eng.SendTaskHeartbeat(ctx, tasks[0].Token); !errors.Is(err, ErrTaskTimedOut) {
		t.Errorf("heartbeat after the end: %v, want ErrTaskTimedOut", err)
	}
}

// Tokens of a live EXPRESS execution are checked: a forged one is refused,
// a second answer finds the task closed.
func TestExpressTokens(t *testing.T) {
	h := newHarness(t, memstore.New())
	ctx := context.Background()
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + actArn + `","Next":"W"},"W":{"Type":"Wait","Seconds":3600,"End":true}}}`
	start := h.eng.StartExpress(expressMachine(def), "x", input(`{}`), "")
	if start.Status != "RUNNING" {
		t.Fatalf("started %+v", start)
	}
	task, err := h.eng.GetActivityTask(ctx, actArn, "w", 10*time.Second)
	if err != nil || task == nil {
		t.Fatalf("task: %v %v", task, err)
	}
	forged := task.Token[:len(task.Token)-2] + "xx"
	if err := h.eng.SendTaskSuccess(ctx, forged, `{}`); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("forged token: %v, want ErrInvalidToken", err)
	}
	if err := h.eng.SendTaskFailure(ctx, task.Token, "Err", "cause"); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.SendTaskSuccess(ctx, task.Token, `{}`); !errors.Is(err, ErrTaskTimedOut) {
		t.Errorf("second answer: %v, want ErrTaskTimedOut", err)
	}
	// The failure ended the execution: it is gone from memory.
	h.eng.mu.Lock()
	live := len(h.eng.express)
	h.eng.mu.Unlock()
	if live != 0 {
		t.Errorf("%d EXPRESS executions still held", live)
	}
}

// An activity task that times out leaves its queue: no worker is handed a
// task whose execution no longer waits for it.
func TestExpressActivityTimeout(t *testing.T) {
	h := newHarness(t, memstore.New())
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + actArn + `","TimeoutSeconds":1,"End":true}}}`
	rec := h.runExpress(def, `{}`)
	if rec.Status != "FAILED" || rec.Error != "States.Timeout" {
		t.Fatalf("got %s %s", rec.Status, rec.Error)
	}
	h.eng.mu.Lock()
	queued := len(h.eng.queue(actArn).express)
	h.eng.mu.Unlock()
	if queued != 0 {
		t.Errorf("%d tasks left in the queue", queued)
	}
}

// A task handed to a poller that went away goes back to the queue, for
// the next poller.
func TestExpressRelease(t *testing.T) {
	h := newHarness(t, memstore.New())
	ctx := context.Background()
	h.eng.StartExpress(expressMachine(`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"`+actArn+`","End":true}}}`), "x", input(`{}`), "")
	first, err := h.eng.GetActivityTask(ctx, actArn, "gone", 10*time.Second)
	if err != nil || first == nil {
		t.Fatalf("task: %v %v", first, err)
	}
	h.eng.release(first)
	again, err := h.eng.GetActivityTask(ctx, actArn, "next", 10*time.Second)
	if err != nil || again == nil || again.Token != first.Token || again.WorkerName != "next" {
		t.Fatalf("after release: %+v %v", again, err)
	}
}

// A callback's call gets the token; whoever holds it answers.
func TestExpressCallback(t *testing.T) {
	tokens := make(chan string, 1)
	port := taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
		tokens <- req.Token
		return map[string]any{"StatusCode": int64(200)}, nil
	})
	h := newPortHarness(t, memstore.New(), port)
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"f","Payload":{"token.$":"$$.Task.Token"}},"End":true}}}`
	done := make(chan *store.Execution)
	go func() { done <- h.eng.RunExpress(context.Background(), expressMachine(def), "x", input(`{}`), "") }()
	token := <-tokens
	if err := h.eng.SendTaskSuccess(context.Background(), token, `{"answered":true}`); err != nil {
		t.Fatal(err)
	}
	if rec := <-done; rec.Status != "SUCCEEDED" || rec.Output != `{"answered":true}` {
		t.Fatalf("got %s %s", rec.Status, rec.Output)
	}
}

// Nested executions, both ways: an EXPRESS parent starts STANDARD and
// EXPRESS children, and a STANDARD parent starts EXPRESS ones.
func TestExpressNested(t *testing.T) {
	const child = `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"doubled.$":"States.MathAdd($.n, $.n)"},"End":true}}}`
	cases := []struct {
		name, resource, parentType, childType string
		want                                  []string
	}{
		{"express parent, standard child, .sync", "arn:aws:states:::states:startExecution.sync", "EXPRESS", "STANDARD",
			[]string{`"Status":"SUCCEEDED"`, `"Output":"{\"doubled\":42}"`, `:execution:child:`}},
		{"express parent, standard child", "arn:aws:states:::states:startExecution", "EXPRESS", "STANDARD",
			[]string{`"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:child:`}},
		{"express parent, express child, .sync:2", "arn:aws:states:::states:startExecution.sync:2", "EXPRESS", "EXPRESS",
			[]string{`"Output":{"doubled":42}`, `:express:child:`}},
		{"standard parent, express child, .sync", "arn:aws:states:::states:startExecution.sync", "STANDARD", "EXPRESS",
			[]string{`"Status":"SUCCEEDED"`, `"Output":"{\"doubled\":42}"`}},
		{"standard parent, express child", "arn:aws:states:::states:startExecution", "STANDARD", "EXPRESS",
			[]string{`"ExecutionArn":"arn:aws:states:us-east-1:123456789012:express:child:`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, memstore.New())
			sm := &store.StateMachine{Arn: childArn, Name: "child", Type: c.childType, Definition: child, RoleArn: "arn:aws:iam::123456789012:role/r", Status: "ACTIVE", CreatedAt: time.Now()}
			if err := h.st.CreateStateMachine(context.Background(), sm); err != nil {
				t.Fatal(err)
			}
			def := parentDef(c.resource, childArn)
			var rec *store.Execution
			if c.parentType == "EXPRESS" {
				rec = h.runExpress(def, `{"n":21}`)
			} else {
				started, err := h.eng.StartExecution(context.Background(), h.machine(def), "p", input(`{"n":21}`), "")
				if err != nil {
					t.Fatal(err)
				}
				rec = h.wait(started.Arn)
			}
			if rec.Status != "SUCCEEDED" {
				t.Fatalf("parent %s %s %s", rec.Status, rec.Error, rec.Cause)
			}
			for _, w := range c.want {
				if !strings.Contains(rec.Output, w) {
					t.Errorf("output %s, want %s in it", rec.Output, w)
				}
			}
		})
	}
}

// An EXPRESS execution ends after its 5 minutes (shortened here) TIMED_OUT,
// and when its StartSyncExecution caller goes away, ABORTED.
func TestExpressEnds(t *testing.T) {
	h := newHarness(t, memstore.New())
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`

	ctx, cancel := context.WithCancel(context.Background())
	var rec *store.Execution
	var wg sync.WaitGroup
	wg.Go(func() { rec = h.eng.RunExpress(ctx, expressMachine(def), "x", input(`{}`), "") })
	cancel()
	wg.Wait()
	if rec.Status != "ABORTED" {
		t.Errorf("caller gone: %s", rec.Status)
	}

	defer func(d time.Duration) { expressLimit = d }(expressLimit)
	expressLimit = 50 * time.Millisecond
	rec = h.runExpress(def, `{}`)
	if rec.Status != "TIMED_OUT" || rec.Error != "States.Timeout" || !strings.Contains(rec.Cause, "5 minutes") {
		t.Errorf("limit: %s %s %s", rec.Status, rec.Error, rec.Cause)
	}
}

// EXPRESS executions live in memory: when the engine stops they end
// (ABORTED), and their tokens then find a closed task.
func TestExpressLostWhenTheEngineStops(t *testing.T) {
	h := newHarness(t, memstore.New())
	ctx := context.Background()
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + actArn + `","End":true}}}`
	done := make(chan *store.Execution)
	go func() { done <- h.eng.RunExpress(ctx, expressMachine(def), "x", input(`{}`), "") }()
	task, err := h.eng.GetActivityTask(ctx, actArn, "w", 10*time.Second)
	if err != nil || task == nil {
		t.Fatalf("task: %v %v", task, err)
	}
	h.stop()
	rec := <-done
	if rec.Status != "ABORTED" || rec.Error != errServerStopped {
		t.Fatalf("got %s %s", rec.Status, rec.Error)
	}
	if err := h.eng.SendTaskSuccess(ctx, task.Token, `{}`); !errors.Is(err, ErrTaskTimedOut) {
		t.Errorf("answer after the stop: %v, want ErrTaskTimedOut", err)
	}
}

func TestIsExpressArn(t *testing.T) {
	for arn, want := range map[string]bool{
		"arn:aws:states:us-east-1:123456789012:express:m:n:id":   true,
		"arn:aws:states:us-east-1:123456789012:execution:m:n":    false,
		"arn:aws-cn:states:cn-north-1:123456789012:express:m:n:": true,
		"arn:aws:states:us-east-1:123456789012:express":          false,
		"": false,
	} {
		if got := isExpressArn(arn); got != want {
			t.Errorf("isExpressArn(%q) = %v", arn, got)
		}
	}
}
