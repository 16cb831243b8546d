package engine

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
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
		{name: "a .sync nested execution is not started", def: `{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m"},"End":true}`,
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

// A tested request-response states:startExecution starts the execution,
// through the port an execution's task uses: its result and its errors
// are an execution's, and the child has no parent.
func TestTestStateStartsExecution(t *testing.T) {
	const childDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"doubled.$":"States.MathAdd($.n, $.n)"},"End":true}}}`
	task := func(params string) string {
		return `{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":` + params + `,
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true}`
	}
	cases := []struct {
		name   string
		def    string
		status string
		err    string
		cause  string // a part of it
		child  string // the started child's name, "*" for any
		output string // the child's
	}{
		{name: "named", def: task(`{"StateMachineArn":"` + childArn + `","Name":"named","Input":{"n.$":"$.in"}}`),
			status: "SUCCEEDED", child: "named", output: `{"doubled":2}`},
		{name: "unnamed, input as text", def: task(`{"StateMachineArn":"` + childArn + `","Input":"{\"n\":4}"}`),
			status: "SUCCEEDED", child: "*", output: `{"doubled":8}`},
		{name: "JSONata Arguments", def: `{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::states:startExecution",
			"Arguments":{"StateMachineArn":"` + childArn + `","Name":"jsonata","Input":{"n":"{% $states.input.in + 2 %}"}},"End":true}`,
			status: "SUCCEEDED", child: "jsonata", output: `{"doubled":6}`},
		{name: "no such machine, caught", def: task(`{"StateMachineArn":"` + childArn + `-missing"}`),
			status: "CAUGHT_ERROR", err: "StepFunctions.StateMachineDoesNotExistException", cause: "State Machine Does Not Exist"},
		{name: "no such machine", def: `{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"` + childArn + `-missing"},"End":true}`,
			status: "FAILED", err: "StepFunctions.StateMachineDoesNotExistException", cause: childArn + "-missing"},
		{name: "another account's machine", def: task(`{"StateMachineArn":"arn:aws:states:us-east-1:999999999999:stateMachine:child"}`),
			status: "CAUGHT_ERROR", err: "StepFunctions.AccessDeniedException", cause: "another account or region"},
		{name: "another region's machine", def: task(`{"StateMachineArn":"arn:aws:states:eu-west-1:123456789012:stateMachine:child"}`),
			status: "CAUGHT_ERROR", err: "StepFunctions.AccessDeniedException", cause: "another account or region"},
		// States.ALL does not catch States.Runtime.
		{name: "no StateMachineArn", def: task(`{"Input":{}}`),
			status: "FAILED", err: "States.Runtime", cause: "no StateMachineArn"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, memstore.New())
			h.child(childDef)
			res := h.testState(c.def)
			str := func(p *string) string {
				if p == nil {
					return ""
				}
				return *p
			}
			if res.Status != c.status || str(res.Error) != c.err || !strings.Contains(str(res.Cause), c.cause) {
				t.Fatalf("status %s, error %q %q, output %s", res.Status, str(res.Error), str(res.Cause), str(res.Output))
			}
			kids, _, err := h.st.ListExecutions(context.Background(), store.ListExecutionsParams{StateMachineArn: childArn, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if c.child == "" {
				if len(kids) != 0 {
					t.Fatalf("started %d executions", len(kids))
				}
				return
			}
			if len(kids) != 1 || c.child != "*" && kids[0].Name != c.child {
				t.Fatalf("started %+v, want one named %s", kids, c.child)
			}
			kid := h.wait(kids[0].Arn)
			out, err := jsonv.ParseString(*res.Output)
			if err != nil {
				t.Fatal(err)
			}
			o := out.(*jsonv.Object)
			if o.Value("ExecutionArn") != kid.Arn || o.Value("StartDate") != kid.StartedAt.UnixMilli() || len(o.Keys()) != 2 {
				t.Errorf("output %s, child %s started %v", *res.Output, kid.Arn, kid.StartedAt)
			}
			if kid.Status != "SUCCEEDED" || kid.Output != c.output || kid.ParentToken != "" {
				t.Errorf("child %s %s %q, parent %q", kid.Status, kid.Error, kid.Output, kid.ParentToken)
			}
			if c.child == "*" && !uuidName.MatchString(kid.Name) {
				t.Errorf("child's name %q, want a UUID", kid.Name)
			}
		})
	}
}

var uuidName = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// testState tests a state defined alone on h's engine, as the API does.
func (h *harness) testState(def string) *TestResult {
	h.t.Helper()
	if probs := asl.ValidateState([]byte(def), asl.ValidateOptions{}); len(probs) > 0 {
		h.t.Fatal(probs)
	}
	sm, err := asl.ParseState([]byte(def), "StateName")
	if err != nil {
		h.t.Fatal(err)
	}
	res, err := h.eng.TestState(context.Background(), &StateTest{
		Machine: sm, State: sm.Start, Region: "us-east-1", Account: "123456789012",
		RoleArn: "arn:aws:iam::123456789012:role/r", Input: jsonv.ObjectOf("in", int64(1)),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// Starting twice under one name is StartExecution's: the same input while
// the first runs answers the first, another input is
// ExecutionAlreadyExists. Unnamed starts are two executions; an EXPRESS
// child runs on its own, with no parent to report to.
func TestTestStateStartsExecutionTwice(t *testing.T) {
	h := newHarness(t, memstore.New())
	// Waits long enough that the second test finds the first running.
	h.child(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	start := func(params string) *TestResult {
		return h.testState(`{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":` + params + `,"End":true}`)
	}
	first := start(`{"StateMachineArn":"` + childArn + `","Name":"once","Input":{"a":1}}`)
	again := start(`{"StateMachineArn":"` + childArn + `","Name":"once","Input":{"a":1}}`)
	if first.Status != "SUCCEEDED" || again.Status != "SUCCEEDED" || *first.Output != *again.Output {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	other := start(`{"StateMachineArn":"` + childArn + `","Name":"once","Input":{"a":2}}`)
	if other.Status != "FAILED" || *other.Error != "StepFunctions.ExecutionAlreadyExistsException" || !strings.Contains(*other.Cause, ":execution:child:once") {
		t.Fatalf("another input: %+v", other)
	}
	start(`{"StateMachineArn":"` + childArn + `"}`)
	start(`{"StateMachineArn":"` + childArn + `"}`)
	kids, _, err := h.st.ListExecutions(context.Background(), store.ListExecutionsParams{StateMachineArn: childArn, Limit: 10})
	if err != nil || len(kids) != 3 {
		t.Fatalf("%d executions, %v", len(kids), err)
	}

	if err := h.st.CreateStateMachine(context.Background(), expressMachine(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)); err != nil {
		t.Fatal(err)
	}
	res := start(`{"StateMachineArn":"` + expressSmArn + `","Name":"fast-child"}`)
	if res.Status != "SUCCEEDED" || !strings.Contains(*res.Output, ":express:fast:fast-child:") {
		t.Fatalf("EXPRESS child: %+v %s", res, *res.Output)
	}
	h.eng.mu.Lock()
	n := len(h.eng.children)
	h.eng.mu.Unlock()
	if n != 0 {
		t.Errorf("%d EXPRESS children kept for a parent", n)
	}
}
