package engine

import (
	"context"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// TestState runs one state on its own, as AWS's TestState API does (see
// interp.Machine.TestState): the engine hosts it as it hosts an EXPRESS
// execution of a machine of the state's own, in the caller's account and
// region, except that nothing waits and nothing is kept. A Task state's
// resource is called once, through the port that runs the resources the
// engine does not run itself, within the state's TimeoutSeconds and the
// test's TestStateMaxDuration. Of the engine's own resources, only a
// request-response states:startExecution runs, as on AWS: it starts a real
// execution. Those that wait (activities, callbacks, .sync) are not run:
// the API refuses them, or a mock answers for them.

// TestStateMaxDuration is how long AWS lets a TestState call run; a test
// that runs longer fails with States.Timeout.
const TestStateMaxDuration = 5 * time.Minute

// testStateLimit is TestStateMaxDuration, a var so tests can shorten it.
var testStateLimit = TestStateMaxDuration

// StateTest is one state to test.
type StateTest struct {
	// Machine is the definition the state belongs to: the whole machine,
	// or the scope asl.ParseState made of a state defined alone.
	Machine *asl.StateMachine
	State   *asl.State
	// Region and Account are the caller's; RoleArn feeds $$.Execution.
	Region, Account, RoleArn string
	Input                    any
	Variables                map[string]any
	// RetryCount is the retries already made by the retrier that matches
	// the state's error (see interp.TestOptions).
	RetryCount int64
	// Mock, when set, is the task's outcome: the resource is not called.
	// For a Map or Parallel state it is its children's outcome: they do
	// not run.
	Mock *TaskMock
	// MapFailures, when HasMapFailures, is how many iterations of a
	// mocked Map failed (TestState's mapIterationFailureCount).
	MapFailures    int64
	HasMapFailures bool
	// Items, when set, answers a mocked Distributed Map's ItemReader
	// (TestState's mapItemReaderData): the engine's object store is never
	// read for a test. Without it, such a read fails.
	Items taskport.Port
	// Context, when set, is the tested state's context object ($$).
	Context *jsonv.Object
	// Trace, when set, receives the HTTP exchange of an HTTP task.
	Trace *taskport.HTTPTrace
}

// TaskMock is a task's outcome given in advance: its result, or, when
// Failed, its error and cause.
type TaskMock struct {
	Result       any
	Failed       bool
	Error, Cause string
	// HasCause is false when the mock gave no cause.
	HasCause bool
}

// TestResult is how a tested state ended, with its values as JSON text.
type TestResult struct {
	// Status is SUCCEEDED, FAILED, RETRIABLE or CAUGHT_ERROR.
	Status    string
	Output    *string // nil when the state has none
	Error     *string
	Cause     *string
	NextState string
	Inspect   TestInspection
}

// TestInspection is what the state computed (interp.Inspection as JSON
// text): nil for what it did not.
type TestInspection struct {
	Input, AfterInputPath, AfterParameters, AfterArguments *string
	Result, AfterResultSelector, AfterResultPath           *string
	Variables                                              *string
	// A mocked Map state's stages and limits (interp.Inspection).
	AfterItemsPath, AfterItemSelector, AfterItemBatcher *string
	MaxConcurrency, ToleratedFailureCount               *int64
	ToleratedFailurePercentage                          *float64
	RetryIndex, CatchIndex                              *int
	// RetryBackoff is set when the status is RETRIABLE.
	RetryBackoff *time.Duration
}

// TestState runs t. It returns an error only when ctx ends first (the
// caller went away).
func (e *Engine) TestState(ctx context.Context, t *StateTest) (*TestResult, error) {
	smName, execName := newExpressID(), newExpressID()
	smArn := arn.StateMachine(t.Region, t.Account, smName)
	info := interp.Info{
		ExecutionArn: arn.ExpressExecution(smArn, execName, newExpressID()), Name: execName,
		StateMachineArn: smArn, StateMachineName: smName, RoleArn: t.RoleArn, Region: t.Region,
		StartTime: e.now(), Input: t.Input,
	}
	testCtx, cancel := context.WithTimeout(ctx, testStateLimit)
	defer cancel()
	m := interp.New(t.Machine, interp.Options{})
	opts := interp.TestOptions{Info: info, Variables: t.Variables, RetryCount: t.RetryCount, Seed: randomSeed(), Context: t.Context}
	if mock := t.Mock; mock != nil && (t.State.Type == asl.TypeMap || t.State.Type == asl.TypeParallel) {
		opts.Children = &interp.ChildrenMock{Result: mock.Result, Failed: mock.Failed, Error: mock.Error, Cause: mock.Cause, HasCause: mock.HasCause,
			FailedIterations: t.MapFailures, HasFailedIterations: t.HasMapFailures}
	}
	test, cmds := m.TestState(t.State, opts, e.now())
	for !test.Done() {
		c := nextCommand(cmds)
		var ev interp.Event
		switch {
		case c == nil:
			// Only a state nested in the tested one waits for anything
			// else, and nested states do not run in a test: the API tests
			// a Map or Parallel state only with a mock for its children.
			ev = interp.Event{Kind: interp.Stop, Error: interp.ErrRuntime, Cause: "The tested state waits for something a test cannot give."}
		case c.Kind == interp.StartTimer:
			// A tested state does not wait.
			ev = interp.Event{Kind: interp.TimerFired, Ref: c.Ref}
		default:
			ev = e.testTask(testCtx, c, info, t)
			ev.Ref = c.Ref
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if testCtx.Err() != nil {
			ev = interp.Event{Kind: interp.Stop, Error: interp.ErrTimeout, Cause: "The test did not complete within " + testStateLimit.String() + "."}
		}
		ev.Time = e.now()
		cmds = test.Apply(ev)
	}
	return testResult(test), nil
}

// nextCommand is the first command that needs an answer: a task to run or
// a timer to fire.
func nextCommand(cmds []interp.Command) *interp.Command {
	for i := range cmds {
		if cmds[i].Kind == interp.RunTask || cmds[i].Kind == interp.StartTimer {
			return &cmds[i]
		}
	}
	return nil
}

// testTask runs a tested Task state's task, or answers it with the mock,
// and returns the event that ends it.
func (e *Engine) testTask(ctx context.Context, c *interp.Command, info interp.Info, t *StateTest) interp.Event {
	if c.Task.Resource == interp.ItemReaderResource {
		if t.Items == nil {
			return interp.Event{Kind: interp.TaskFailed, Error: interp.ErrItemReaderFailed, Cause: "A tested Map reads its items from stateConfiguration.mapItemReaderData, and none was given."}
		}
		return itemsEvent(ctx, t.Items, taskport.Request{Resource: c.Task.Resource, Input: c.Task.Input, StateName: c.Task.StateName}, interp.ErrItemReaderFailed)
	}
	if mock := t.Mock; mock != nil {
		if mock.Failed {
			return failedEvent(&taskport.Failure{Name: mock.Error, Cause: mock.Cause})
		}
		return interp.Event{Kind: interp.TaskSucceeded, Output: mock.Result}
	}
	task := c.Task
	req := taskport.Request{
		Resource: task.Resource, Input: task.Input,
		Timeout:      time.Duration(task.TimeoutSeconds) * time.Second,
		Heartbeat:    time.Duration(task.HeartbeatSeconds) * time.Second,
		ExecutionArn: info.ExecutionArn, StateName: task.StateName, Attempt: task.Attempt,
		Trace: t.Trace, RoleArn: task.RoleArn,
	}
	kind := kindOther
	if taskKind(task.Resource, info.ExecutionArn) == kindNested && pattern(task.Resource) == "" {
		// Started as an execution's request-response task starts it, in
		// the caller's account (info's ARN is there), through the same
		// port, so its errors are an execution's. But with no token: the
		// tested state is no execution, so the child has no parent, as on
		// AWS. All it knows of its starter is what its Input passes: an
		// AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID taken from
		// $$.Execution.Id names the test's made-up execution. (What AWS's
		// console makes of such a child is not documented.)
		kind = kindNested
	}
	// Any other resource is a call that answers: the engine's own kinds
	// that wait for others never run here.
	ev, pending := e.runTask(ctx, kind, req, t.RoleArn)
	if pending {
		// Only a pattern that waits pends, and none reaches here.
		return interp.Event{Kind: interp.TaskFailed, Error: interp.ErrRuntime, Cause: "The tested task waits for an outcome a test cannot wait for."}
	}
	return ev
}

func testResult(test *interp.StateTest) *TestResult {
	status := test.Status()
	out := &TestResult{Status: string(status), NextState: test.NextState()}
	if v, ok := test.Output(); ok {
		out.Output = jsonText(v)
	}
	if status != interp.TestSucceeded {
		name, cause, hasName, hasCause := test.Error()
		if hasName {
			out.Error = &name
		}
		if hasCause {
			out.Cause = &cause
		}
	}
	in := test.Inspection()
	d := func(v interp.Data) *string {
		if !v.Set {
			return nil
		}
		return jsonText(v.Value)
	}
	out.Inspect = TestInspection{
		Input: d(in.Input), AfterInputPath: d(in.AfterInputPath), AfterParameters: d(in.AfterParameters),
		AfterArguments: d(in.AfterArguments), Result: d(in.Result), AfterResultSelector: d(in.AfterResultSelector),
		AfterResultPath: d(in.AfterResultPath),
	}
	if in.Variables != nil {
		out.Inspect.Variables = jsonText(in.Variables)
	}
	out.Inspect.AfterItemsPath, out.Inspect.AfterItemSelector, out.Inspect.AfterItemBatcher = d(in.AfterItemsPath), d(in.AfterItemSelector), d(in.AfterItemBatcher)
	if v := in.MaxConcurrency; v.Set {
		n, _ := jsonv.Integer(v.Value)
		out.Inspect.MaxConcurrency = &n
	}
	if v := in.ToleratedFailureCount; v.Set {
		n, _ := jsonv.Integer(v.Value)
		out.Inspect.ToleratedFailureCount = &n
	}
	if v := in.ToleratedFailurePercentage; v.Set {
		p, _ := jsonv.Number(v.Value)
		out.Inspect.ToleratedFailurePercentage = &p
	}
	if in.RetryIndex >= 0 {
		out.Inspect.RetryIndex = &in.RetryIndex
	}
	if in.CatchIndex >= 0 {
		out.Inspect.CatchIndex = &in.CatchIndex
	}
	if status == interp.TestRetriable {
		out.Inspect.RetryBackoff = &in.RetryBackoff
	}
	return out
}

func jsonText(v any) *string {
	s := jsonv.String(v)
	return &s
}
