package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store/memstore"
	"github.com/statecraft/statecraft/taskport"
)

// testOne tests a state defined alone, as the API does.
func testOne(t *testing.T, ctx context.Context, tasks taskport.Port, def string, mock *TaskMock, trace *taskport.HTTPTrace) (*TestResult, error) {
	t.Helper()
	if probs := asl.ValidateState([]byte(def), asl.ValidateOptions{}); len(probs) > 0 {
		t.Fatal(probs)
	}
	sm, err := asl.ParseState([]byte(def), "StateName")
	if err != nil {
		t.Fatal(err)
	}
	e := New(memstore.New(), Options{Tasks: tasks})
	return e.TestState(ctx, &StateTest{
		Machine: sm, State: sm.Start, Region: "us-east-1", Account: "123456789012",
		Input: jsonv.ObjectOf("in", int64(1)), Mock: mock, Trace: trace,
	})
}

func TestTestState(t *testing.T) {
	block := taskport.Func(func(ctx context.Context, _ taskport.Request) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	lambda := `"Resource":"arn:aws:states:::lambda:invoke"`
	cases := []struct {
		name    string
		def     string
		tasks   taskport.Port
		mock    *TaskMock
		limit   time.Duration
		status  string
		err     string
		cause   string // a part of it
		output  string
		next    string
		backoff time.Duration
	}{
		{name: "the port's result", def: `{"Type":"Task",` + lambda + `,"Next":"N"}`,
			tasks:  taskport.Func(func(context.Context, taskport.Request) (any, error) { return map[string]any{"ok": true}, nil }),
			status: "SUCCEEDED", output: `{"ok":true}`, next: "N"},
		{name: "the port's failure", def: `{"Type":"Task",` + lambda + `,"End":true}`,
			tasks: taskport.Func(func(context.Context, taskport.Request) (any, error) {
				return nil, taskport.Fail("Lambda.Unknown", "boom")
			}),
			status: "FAILED", err: "Lambda.Unknown", cause: "boom"},
		{name: "any other error of the port", def: `{"Type":"Task",` + lambda + `,"End":true}`,
			tasks:  taskport.Func(func(context.Context, taskport.Request) (any, error) { return nil, errors.New("disk full") }),
			status: "FAILED", err: "States.TaskFailed", cause: "disk full"},
		{name: "a resource the port does not run", def: `{"Type":"Task",` + lambda + `,"End":true}`,
			tasks:  taskport.Func(func(context.Context, taskport.Request) (any, error) { return nil, taskport.ErrNotSupported }),
			status: "FAILED", err: taskport.ErrorNotSupported},
		{name: "no port", def: `{"Type":"Task",` + lambda + `,"End":true}`, status: "FAILED", err: taskport.ErrorNotSupported},
		{name: "a nested execution is not started", def: `{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m"},"End":true}`,
			tasks:  taskport.Func(func(context.Context, taskport.Request) (any, error) { return nil, taskport.ErrNotSupported }),
			status: "FAILED", err: taskport.ErrorNotSupported},
		{name: "another account's function", def: `{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:999999999999:function:f","End":true}`,
			tasks:  taskport.Func(func(context.Context, taskport.Request) (any, error) { panic("called") }),
			status: "FAILED", err: "States.TaskFailed", cause: "another account"},
		{name: "the state's TimeoutSeconds, caught", def: `{"Type":"Task",` + lambda + `,"TimeoutSeconds":1,"Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Late"}],"End":true}`,
			tasks: block, status: "CAUGHT_ERROR", err: "States.Timeout", next: "Late", output: `{"Error":"States.Timeout","Cause":""}`},
		{name: "the test's own limit", def: `{"Type":"Task",` + lambda + `,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true}`,
			tasks: block, limit: 50 * time.Millisecond, status: "FAILED", err: "States.Timeout", cause: "did not complete within 50ms"},
		{name: "a mocked result", def: `{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:a","ResultPath":"$.r","End":true}`,
			mock: &TaskMock{Result: "done"}, status: "SUCCEEDED", output: `{"in":1,"r":"done"}`},
		{name: "a mocked error", def: `{"Type":"Task",` + lambda + `,"Retry":[{"ErrorEquals":["Mocked"],"IntervalSeconds":4}],"End":true}`,
			mock: &TaskMock{Failed: true, Error: "Mocked", Cause: "as asked"}, status: "RETRIABLE", err: "Mocked", cause: "as asked", backoff: 4 * time.Second},
		{name: "a wait does not wait", def: `{"Type":"Wait","Seconds":99999999,"Next":"Later"}`,
			status: "SUCCEEDED", output: `{"in":1}`, next: "Later"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.limit > 0 {
				defer func(d time.Duration) { testStateLimit = d }(testStateLimit)
				testStateLimit = c.limit
			}
			start := time.Now()
			res, err := testOne(t, context.Background(), c.tasks, c.def, c.mock, nil)
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > 10*time.Second {
				t.Errorf("the test took %v", time.Since(start))
			}
			str := func(p *string) string {
				if p == nil {
					return ""
				}
				return *p
			}
			if res.Status != c.status || str(res.Error) != c.err || !strings.Contains(str(res.Cause), c.cause) || res.NextState != c.next || str(res.Output) != c.output {
				t.Errorf("status %s, error %q %q, next %q, output %s", res.Status, str(res.Error), str(res.Cause), res.NextState, str(res.Output))
			}
			if got := res.Inspect.RetryBackoff; (got == nil) != (c.backoff == 0) || got != nil && *got != c.backoff {
				t.Errorf("retry backoff %v, want %v", got, c.backoff)
			}
		})
	}
}

// The port is asked as by an execution of the caller's account and
// region, and the HTTP trace reaches it.
func TestTestStateRequest(t *testing.T) {
	trace := &taskport.HTTPTrace{}
	var got taskport.Request
	res, err := testOne(t, context.Background(), taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
		got = req
		return nil, nil
	}), `{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"x.$":"$.in"},"TimeoutSeconds":30,"End":true}`, nil, trace)
	if err != nil || res.Status != "SUCCEEDED" {
		t.Fatalf("%v %+v", err, res)
	}
	if got.StateName != "StateName" || !strings.HasPrefix(got.ExecutionArn, "arn:aws:states:us-east-1:123456789012:express:") ||
		got.Timeout != 30*time.Second || got.Trace != trace || jsonv.String(got.Input) != `{"x":1}` {
		t.Errorf("request %+v", got)
	}
	if in := res.Inspect; in.Input == nil || *in.Input != `{"in":1}` || in.AfterParameters == nil || *in.AfterParameters != `{"x":1}` || in.Result == nil || *in.Result != `null` {
		t.Errorf("inspection %+v", in)
	}
}

// A caller that goes away ends the test.
func TestTestStateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, err := testOne(t, ctx, taskport.Func(func(ctx context.Context, _ taskport.Request) (any, error) {
		cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	}), `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`, nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}
