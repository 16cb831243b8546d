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
	"github.com/statecraft/statecraft/taskport"
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

// mustInput parses an execution input the test spells out.
func mustInput(text string) *engine.Input {
	in, err := engine.ParseInput(text)
	if err != nil {
		panic(err)
	}
	return in
}

func TestLambdaResults(t *testing.T) {
	inv := &Invoker{Functions: host(t)}
	ctx := context.Background()

	out, err := inv.Invoke(ctx, taskport.Request{Resource: "arn:aws:lambda:us-east-1:123456789012:function:double", Input: jsonv.Normalize(map[string]any{"n": int64(21)})})
	if err != nil || !jsonv.Equal(out, map[string]any{"n": int64(42)}) {
		t.Fatalf("legacy ARN: %v %v", jsonv.String(out), err)
	}

	out, err = inv.Invoke(ctx, taskport.Request{Resource: "arn:aws:states:::lambda:invoke", Input: jsonv.Normalize(map[string]any{
		"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:double:$LATEST",
		"Payload":      map[string]any{"n": int64(5)},
	})})
	if err != nil {
		t.Fatal(err)
	}
	m := out.(*jsonv.Object).Map()
	if !jsonv.Equal(m["Payload"], map[string]any{"n": int64(10)}) || m["StatusCode"] != int64(200) || m["ExecutedVersion"] != "$LATEST" {
		t.Fatalf("lambda:invoke result %s", jsonv.String(out))
	}

	_, err = inv.Invoke(ctx, taskport.Request{Resource: "arn:aws:lambda:us-east-1:123456789012:function:invalid", Input: jsonv.Normalize(map[string]any{})})
	var te *taskport.Failure
	if !errors.As(err, &te) || te.Name != "ValidationError" || !strings.Contains(te.Cause, `"errorMessage":"bad input"`) {
		t.Fatalf("handler error: %v", err)
	}

	_, err = inv.Invoke(ctx, taskport.Request{Resource: "arn:aws:lambda:us-east-1:123456789012:function:nope", Input: jsonv.Normalize(map[string]any{})})
	if !errors.As(err, &te) || te.Name != "Lambda.ResourceNotFoundException" {
		t.Fatalf("missing function: %v", err)
	}

	if _, err := inv.Invoke(ctx, taskport.Request{Resource: "arn:aws:states:::sqs:sendMessage"}); !errors.Is(err, taskport.ErrNotSupported) {
		t.Fatalf("other resources: %v", err)
	}
}

// A durable execution calls a real Node handler that fails twice with
// Error; Retry on States.TaskFailed carries it to success, as on AWS.
func TestRetriedLambdaInADurableExecution(t *testing.T) {
	st := memstore.New()
	eng := engine.New(st, engine.Options{Tasks: &Invoker{Functions: host(t)}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go eng.Run(ctx)
	sm := &store.StateMachine{Arn: "arn:aws:states:us-east-1:123456789012:stateMachine:flaky", Name: "flaky", Type: "STANDARD", RoleArn: "r", CreatedAt: time.Now(),
		Definition: `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:flaky",
			"Retry":[{"ErrorEquals":["States.TaskFailed"],"IntervalSeconds":1,"MaxAttempts":3,"BackoffRate":1}],"End":true}}}`}
	if err := st.CreateStateMachine(ctx, sm); err != nil {
		t.Fatal(err)
	}
	rec, err := eng.StartExecution(ctx, sm, "x", mustInput(`{}`), "")
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

// A task invokes its execution's account's function: the account its ARN
// names, or the execution's for a bare name. Another account's function of
// the same name is not the task's, and an ARN naming another account fails
// the task without running anything.
func TestLambdaTasksStayInTheirAccount(t *testing.T) {
	h := host(t) // double, flaky and invalid in the host's account, 123456789012
	const other = "210987654321"
	dir, _ := filepath.Abs("testdata/fns")
	// The other account's "double" fails, so a test can tell which ran.
	if err := h.Register(functions.Function{Account: other, Name: "double", Runtime: "nodejs20.x", Handler: "calc.invalid", CodeDir: dir}); err != nil {
		t.Fatal(err)
	}
	inv := &Invoker{Functions: h}
	ctx := context.Background()
	const mine = "arn:aws:states:us-east-1:123456789012:execution:m:e"
	const theirs = "arn:aws:states:eu-west-1:" + other + ":execution:m:e"
	input := map[string]any{"n": int64(4)}
	var te *taskport.Failure
	for _, c := range []struct {
		name, exec, resource string
		params               map[string]any // for lambda:invoke
		wantErr              string         // task error name; "" for {"n":8}
	}{
		{"own ARN", mine, "arn:aws:lambda:us-east-1:123456789012:function:double", nil, ""},
		{"bare name, own account", mine, "arn:aws:states:::lambda:invoke", map[string]any{"FunctionName": "double", "Payload": input}, ""},
		{"partial ARN, own account", mine, "arn:aws:states:::lambda:invoke", map[string]any{"FunctionName": "123456789012:function:double", "Payload": input}, ""},
		{"bare name, other account", theirs, "arn:aws:states:::lambda:invoke", map[string]any{"FunctionName": "double", "Payload": input}, "ValidationError"},
		{"other account's own ARN", theirs, "arn:aws:lambda:eu-west-1:" + other + ":function:double", nil, "ValidationError"},
		{"ARN of another account", theirs, "arn:aws:lambda:us-east-1:123456789012:function:flaky", nil, "Lambda.AWSLambdaException"},
		{"lambda:invoke ARN of another account", theirs, "arn:aws:states:::lambda:invoke", map[string]any{"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:flaky"}, "Lambda.AWSLambdaException"},
		{"lambda:invoke ARN of another account, async", theirs, "arn:aws:states:::lambda:invoke", map[string]any{"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:flaky", "InvocationType": "Event"}, "Lambda.AWSLambdaException"},
		{"lambda:invoke to the other account", mine, "arn:aws:states:::lambda:invoke", map[string]any{"FunctionName": "arn:aws:lambda:us-east-1:" + other + ":function:double", "Payload": input}, "Lambda.AWSLambdaException"},
		{"partial ARN of another account", mine, "arn:aws:states:::lambda:invoke", map[string]any{"FunctionName": other + ":function:double:$LATEST", "Payload": input}, "Lambda.AWSLambdaException"},
		{"the other account has no flaky", theirs, "arn:aws:states:::lambda:invoke", map[string]any{"FunctionName": "flaky"}, "Lambda.ResourceNotFoundException"},
		// Under a Task's Credentials (Account set by the host) the task
		// runs in the role's account: its functions, not the execution's.
		{"bare name under the other account's role", mine + "#" + other, "arn:aws:states:::lambda:invoke", map[string]any{"FunctionName": "double", "Payload": input}, "ValidationError"},
		{"other account's ARN under its role", mine + "#" + other, "arn:aws:lambda:us-east-1:" + other + ":function:double", nil, "ValidationError"},
		{"own ARN under the other account's role", mine + "#" + other, "arn:aws:lambda:us-east-1:123456789012:function:flaky", nil, "Lambda.AWSLambdaException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			exec, acct, _ := strings.Cut(c.exec, "#")
			req := taskport.Request{ExecutionArn: exec, Account: acct, Resource: c.resource, Input: jsonv.Normalize(input)}
			if c.params != nil {
				req.Input = jsonv.Normalize(c.params)
			}
			out, err := inv.Invoke(ctx, req)
			if c.wantErr == "" {
				if m, ok := out.(*jsonv.Object); err != nil || !ok {
					t.Fatalf("got %v %v", jsonv.String(out), err)
				} else if p, wrapped := m.Get("Payload"); wrapped {
					out = p
				}
				if !jsonv.Equal(out, map[string]any{"n": int64(8)}) {
					t.Fatalf("got %s", jsonv.String(out))
				}
				return
			}
			if !errors.As(err, &te) || te.Name != c.wantErr {
				t.Fatalf("got %v %v, want task error %s", jsonv.String(out), err, c.wantErr)
			}
			if c.wantErr == "Lambda.AWSLambdaException" && (!strings.Contains(te.Cause, "Error Code: AccessDeniedException") || !strings.Contains(te.Cause, exec)) {
				t.Fatalf("cause %s", te.Cause)
			}
		})
	}
	// The refused calls ran nothing: flaky, which counts its calls and
	// succeeds on every third, succeeds on its own third call.
	for call := 1; call <= 3; call++ {
		out, err := inv.Invoke(ctx, taskport.Request{ExecutionArn: mine, Resource: "arn:aws:lambda:us-east-1:123456789012:function:flaky", Input: jsonv.Normalize(input)})
		if call < 3 && err == nil || call == 3 && (err != nil || !jsonv.Equal(out, map[string]any{"calls": int64(3)})) {
			t.Fatalf("own call %d of flaky: %s %v (a refused call ran it)", call, jsonv.String(out), err)
		}
	}
}

// TestServiceAndSDKRouting: optimized service integrations go to
// Services, arn:aws:states:::aws-sdk:* to SDK, each with the request as
// the engine gave it; without the port the resource is not supported.
func TestServiceAndSDKRouting(t *testing.T) {
	var got []string
	port := func(name string) taskport.Port {
		return taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
			got = append(got, name+" "+req.Resource)
			return name, nil
		})
	}
	full := &Invoker{Services: port("services"), SDK: port("sdk")}
	cases := []struct {
		resource, want string
	}{
		{"arn:aws:states:::sqs:sendMessage", "services"},
		{"arn:aws:states:::sqs:sendMessage.waitForTaskToken", "services"},
		{"arn:aws:states:::sns:publish", "services"},
		{"arn:aws:states:::dynamodb:putItem", "services"},
		{"arn:aws:states:::events:putEvents.waitForTaskToken", "services"},
		{"arn:aws:states:::aws-sdk:s3:getObject", "sdk"},
		{"arn:aws:states:::aws-sdk:dynamodb:query", "sdk"},
		{"arn:aws:states:::glue:startJobRun", ""},
	}
	for _, c := range cases {
		got = nil
		out, err := full.Invoke(context.Background(), taskport.Request{Resource: c.resource, Input: jsonv.NewObject(0)})
		if c.want == "" {
			if !errors.Is(err, taskport.ErrNotSupported) || len(got) != 0 {
				t.Errorf("%s: got %v, %v, calls %v; want not supported", c.resource, out, err, got)
			}
			continue
		}
		if err != nil || out != c.want || len(got) != 1 || got[0] != c.want+" "+c.resource {
			t.Errorf("%s: got %v, %v, calls %v; want %s", c.resource, out, err, got, c.want)
		}
		if _, err := (&Invoker{}).Invoke(context.Background(), taskport.Request{Resource: c.resource}); !errors.Is(err, taskport.ErrNotSupported) {
			t.Errorf("%s without ports: got %v, want not supported", c.resource, err)
		}
	}
}
