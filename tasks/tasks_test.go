package tasks

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

func host(t *testing.T) *functions.Host {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("these tests run real Node.js handlers: install node")
	}
	h := functions.NewHost(functions.HostOptions{})
	t.Cleanup(func() { h.Close() })
	dir, _ := filepath.Abs("testdata/fns")
	for _, name := range []string{"double", "flaky", "invalid"} {
		if err := h.Register(functions.Function{Name: name, Runtime: "nodejs20.x", Handler: "calc." + name, CodeDir: dir, Concurrency: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func TestLambdaResults(t *testing.T) {
	inv := &Invoker{Functions: host(t)}
	ctx := context.Background()

	out, err := inv.Invoke(ctx, engine.InvokeRequest{Resource: "arn:aws:lambda:us-east-1:123456789012:function:double", Input: map[string]any{"n": int64(21)}})
	if err != nil || !jsonv.Equal(out, map[string]any{"n": int64(42)}) {
		t.Fatalf("legacy ARN: %v %v", jsonv.String(out), err)
	}

	out, err = inv.Invoke(ctx, engine.InvokeRequest{Resource: "arn:aws:states:::lambda:invoke", Input: map[string]any{
		"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:double:$LATEST",
		"Payload":      map[string]any{"n": int64(5)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	m := out.(map[string]any)
	if !jsonv.Equal(m["Payload"], map[string]any{"n": int64(10)}) || m["StatusCode"] != int64(200) || m["ExecutedVersion"] != "$LATEST" {
		t.Fatalf("lambda:invoke result %s", jsonv.String(out))
	}

	_, err = inv.Invoke(ctx, engine.InvokeRequest{Resource: "arn:aws:lambda:us-east-1:123456789012:function:invalid", Input: map[string]any{}})
	var te *engine.TaskError
	if !errors.As(err, &te) || te.Name != "ValidationError" || !strings.Contains(te.Cause, `"errorMessage":"bad input"`) {
		t.Fatalf("handler error: %v", err)
	}

	_, err = inv.Invoke(ctx, engine.InvokeRequest{Resource: "arn:aws:lambda:us-east-1:123456789012:function:nope", Input: map[string]any{}})
	if !errors.As(err, &te) || te.Name != "Lambda.ResourceNotFoundException" {
		t.Fatalf("missing function: %v", err)
	}

	if _, err := inv.Invoke(ctx, engine.InvokeRequest{Resource: "arn:aws:states:::sqs:sendMessage"}); !errors.Is(err, engine.ErrNotSupported) {
		t.Fatalf("other resources: %v", err)
	}
}

// A durable execution calls a real Node handler that fails twice with
// Error; Retry on States.TaskFailed carries it to success, as on AWS.
func TestRetriedLambdaInADurableExecution(t *testing.T) {
	st := memstore.New()
	eng := engine.New(st, engine.Options{Invoker: &Invoker{Functions: host(t)}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go eng.Run(ctx)
	sm := &store.StateMachine{Arn: "arn:aws:states:us-east-1:123456789012:stateMachine:flaky", Name: "flaky", Type: "STANDARD", RoleArn: "r", CreatedAt: time.Now(),
		Definition: `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:flaky",
			"Retry":[{"ErrorEquals":["States.TaskFailed"],"IntervalSeconds":1,"MaxAttempts":3,"BackoffRate":1}],"End":true}}}`}
	if err := st.CreateStateMachine(ctx, sm); err != nil {
		t.Fatal(err)
	}
	rec, err := eng.StartExecution(ctx, sm, "x", `{}`, "")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-eng.Done(ctx, rec.Arn):
	case <-time.After(3 * time.Minute):
		t.Fatal("execution did not finish")
	}
	rec, _ = st.GetExecution(ctx, rec.Arn)
	if rec.Status != "SUCCEEDED" || rec.Output != `{"calls":3}` {
		t.Fatalf("got %s %s %s", rec.Status, rec.Output, rec.Cause)
	}
	evs, _ := st.History(ctx, store.HistoryParams{ExecutionArn: rec.Arn, Limit: 100})
	var failed int
	for _, ev := range evs {
		if ev.Type == "LambdaFunctionFailed" {
			failed++
			if !strings.Contains(string(ev.Body), `"error":"Error"`) {
				t.Fatalf("LambdaFunctionFailed %s", ev.Body)
			}
		}
	}
	if failed != 2 {
		t.Fatalf("%d LambdaFunctionFailed events, want 2", failed)
	}
}
