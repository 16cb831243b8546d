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
	"github.com/statecraft/statecraft/store/memstore"
	"github.com/statecraft/statecraft/taskport"
)

const fnArn = "arn:aws:lambda:us-east-1:123456789012:function:double"

func newPortHarness(t *testing.T, st *memstore.Store, inv taskport.Port) *harness {
	t.Helper()
	h := &harness{t: t, st: st, eng: New(st, Options{Tasks: inv}), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { _ = h.eng.Run(ctx); close(h.done) }()
	t.Cleanup(h.stop)
	return h
}

func TestPortRetries(t *testing.T) {
	var calls atomic.Int32
	inv := taskport.Func(func(ctx context.Context, req taskport.Request) (any, error) {
		n := calls.Add(1)
		if req.Resource != fnArn || req.StateName != "Double" {
			return nil, errors.New("unexpected request")
		}
		if n <= 2 {
			return nil, &taskport.Failure{Name: "Error", Cause: "error happened"}
		}
		in := req.Input.(*jsonv.Object).Map()
		return map[string]any{"n": in["n"].(int64) * 2}, nil
	})
	h := newPortHarness(t, memstore.New(), inv)
	sm := h.machine(`{"StartAt":"Double","States":{"Double":{"Type":"Task","Resource":"` + fnArn + `",
		"Retry":[{"ErrorEquals":["States.TaskFailed"],"IntervalSeconds":1,"MaxAttempts":3,"BackoffRate":1}],"End":true}}}`)
	rec, err := h.eng.StartExecution(context.Background(), sm, "r", input(`{"n":21}`), "")
	if err != nil {
		t.Fatal(err)
	}
	rec = h.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" || rec.Output != `{"n":42}` || calls.Load() != 3 {
		t.Fatalf("got %s %s after %d calls", rec.Status, rec.Output, calls.Load())
	}
	got := strings.Join(h.types(rec.Arn), " ")
	if strings.Count(got, "LambdaFunctionFailed") != 2 || !strings.Contains(got, "LambdaFunctionSucceeded") {
		t.Fatalf("history %s", got)
	}
}

func TestPortTimeout(t *testing.T) {
	inv := taskport.Func(func(ctx context.Context, req taskport.Request) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	h := newPortHarness(t, memstore.New(), inv)
	sm := h.machine(`{"StartAt":"Slow","States":{"Slow":{"Type":"Task","Resource":"` + fnArn + `","TimeoutSeconds":1,"End":true}}}`)
	rec, err := h.eng.StartExecution(context.Background(), sm, "slow", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	rec = h.wait(rec.Arn)
	if rec.Status != "FAILED" || rec.Error != "States.Timeout" {
		t.Fatalf("got %s %s %s", rec.Status, rec.Error, rec.Cause)
	}
}

// An invocation that was running when the server stopped runs again after
// the restart: nothing waits forever for a result that was lost.
func TestInvocationSurvivesRestart(t *testing.T) {
	old := invokeWatch
	invokeWatch = 500 * time.Millisecond
	defer func() { invokeWatch = old }()

	st := memstore.New()
	started := make(chan struct{})
	var once sync.Once
	stuck := taskport.Func(func(ctx context.Context, req taskport.Request) (any, error) {
		once.Do(func() { close(started) })
		<-ctx.Done() // never answers: the process "dies" with it
		return nil, ctx.Err()
	})
	h1 := newPortHarness(t, st, stuck)
	sm := h1.machine(`{"StartAt":"F","States":{"F":{"Type":"Task","Resource":"` + fnArn + `","End":true}}}`)
	rec, err := h1.eng.StartExecution(context.Background(), sm, "again", input(`{"n":1}`), "")
	if err != nil {
		t.Fatal(err)
	}
	<-started
	h1.stop()

	ok := taskport.Func(func(ctx context.Context, req taskport.Request) (any, error) { return req.Input, nil })
	h2 := newPortHarness(t, st, ok)
	rec = h2.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" || rec.Output != `{"n":1}` {
		t.Fatalf("got %s %s %s", rec.Status, rec.Output, rec.Error)
	}
	v, _ := jsonv.ParseString(rec.Output)
	if v == nil {
		t.Fatal("no output")
	}
}
