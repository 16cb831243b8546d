package interp

import (
	"maps"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/jsonv"
)

// Testing one state on its own, as the TestState API does. The state runs
// through the same code as in an execution (an Execution whose top level
// starts at it), with four differences, all AWS's:
//
//   - it stops at its transition: the state it would go to is reported,
//     not entered;
//   - an error a retrier would retry is reported as retriable, with the
//     retrier and the delay, instead of waiting and retrying;
//   - a Wait state does not wait;
//   - the values the state computed on its way (after InputPath, after
//     Parameters, the result, ...) are kept for the caller to inspect.
//
// A test may also give the context object the state sees, and a mock that
// stands for a Map's or Parallel's children, which then do not run.
//
// A Task state asks its host to run the task, as in an execution: the
// host answers with Apply.

// TestStatus is how a tested state ended, as TestState reports it.
type TestStatus string

const (
	TestSucceeded   TestStatus = "SUCCEEDED"
	TestFailed      TestStatus = "FAILED"
	TestRetriable   TestStatus = "RETRIABLE"
	TestCaughtError TestStatus = "CAUGHT_ERROR"
)

// TestOptions describe the run of a tested state.
type TestOptions struct {
	// Info feeds the context object; Info.Input is the state's input.
	Info Info
	// Variables are the variables the state sees, as if earlier states
	// had assigned them.
	Variables map[string]any
	// RetryCount is how many times the retrier that matches the state's
	// error has already retried it (TestState's retrierRetryCount): the
	// error is retriable while it is below the retrier's MaxAttempts, and
	// the reported delay is the one before the next attempt. It is also
	// $$.State.RetryCount.
	RetryCount int64
	// Seed feeds the state's randomness (States.UUID, jitter).
	Seed uint64
	// Context, when set, is the context object the tested state sees ($$,
	// $states.context) instead of the one the execution would build: AWS
	// replaces it whole (an empty object gives an empty $$).
	Context *jsonv.Object
	// Children, when set, answers a Map or Parallel state for its
	// children, which do not run: the state's own data flow runs up to
	// them and from their result on.
	Children *ChildrenMock
}

// ChildrenMock is the outcome of a tested Map's iterations or Parallel's
// branches, given in advance (TestState's mock with stateConfiguration).
type ChildrenMock struct {
	// Result is the state's result: its ResultSelector, ResultPath (or
	// JSONata Output) and OutputPath apply to it.
	Result any
	// Failed, with Error and Cause, is a child's error, which the state
	// fails with (and its Retry and Catch see).
	Failed       bool
	Error, Cause string
	HasCause     bool
	// FailedIterations is how many of a Map's iterations failed
	// (mapIterationFailureCount), checked against what the Map
	// tolerates; HasFailedIterations is false when not given.
	FailedIterations    int64
	HasFailedIterations bool
}

// Data is one value of a state's data flow; Set is false when the state
// did not produce it.
type Data struct {
	Value any
	Set   bool
}

func set(v any) Data { return Data{Value: v, Set: true} }

// Inspection is what a tested state computed, as TestState's DEBUG level
// shows it. Which values a state has depends on its type and query
// language, and follows what AWS reports: a JSONPath state has
// AfterInputPath, a Task or Pass state the stages of its result, a
// JSONata Task AfterArguments and Result.
type Inspection struct {
	Input               Data
	AfterInputPath      Data
	AfterParameters     Data
	AfterArguments      Data
	Result              Data
	AfterResultSelector Data
	AfterResultPath     Data
	// Variables are the variables after the state: those it was given and
	// those it assigned. Nil when there are none.
	Variables map[string]any
	// RetryIndex is the retrier that matched the state's error, CatchIndex
	// the catcher that caught it; -1 for none.
	RetryIndex, CatchIndex int
	// RetryBackoff is the delay before the retry, when the status is
	// TestRetriable.
	RetryBackoff time.Duration
	// A mocked Map state's own stages, before its iterations would start:
	// the items after ItemsPath (JSONPath), after ItemSelector and after
	// ItemBatcher (the batches), each Set only when the state has that
	// field, and its limits as evaluated. MaxConcurrency is 0 when
	// unlimited; the tolerated failures are Set only when the state
	// declares them.
	AfterItemsPath, AfterItemSelector, AfterItemBatcher Data
	MaxConcurrency                                      Data
	ToleratedFailureCount, ToleratedFailurePercentage   Data
}

// StateTest is one run of a single state. It is driven like an Execution:
// carry out the commands TestState and Apply return (a Task state's one
// RunTask) until Done.
type StateTest struct {
	x *Execution
	t *stateTest
}

// stateTest is what an Execution testing a state records.
type stateTest struct {
	retryCount int64
	context    *jsonv.Object
	children   *ChildrenMock
	status     TestStatus // set when the state ended other than by its outcome
	next       string
	caught     *stateError
	insp       Inspection
}

// TestState runs the state st, which must belong to m's definition, on its
// own at time now.
func (m *Machine) TestState(st *asl.State, opts TestOptions, now time.Time) (*StateTest, []Command) {
	x := m.newExecution(opts.Info, now, opts.Seed, false)
	x.test = &stateTest{retryCount: opts.RetryCount, context: opts.Context, children: opts.Children, insp: Inspection{RetryIndex: -1, CatchIndex: -1}}
	x.begin(st, maps.Clone(opts.Variables))
	return &StateTest{x: x, t: x.test}, x.takeCommands()
}

// Apply feeds an event (a task's outcome, or Stop to give up) to the
// running test.
func (s *StateTest) Apply(ev Event) []Command { return s.x.Apply(ev) }

// Done reports whether the state has ended.
func (s *StateTest) Done() bool { return s.x.Status != Running }

// Status is how the state ended.
func (s *StateTest) Status() TestStatus {
	switch {
	case s.t.status != "":
		return s.t.status
	case s.x.Status == Succeeded && s.t.caught != nil:
		return TestCaughtError
	case s.x.Status == Succeeded:
		return TestSucceeded
	}
	return TestFailed
}

// Output is the state's output; ok is false when it has none (it failed,
// or its error is retriable).
func (s *StateTest) Output() (out any, ok bool) {
	if s.x.Status != Succeeded {
		return nil, false
	}
	return s.x.Output, true
}

// Error is the error the state failed with, or the one it caught or would
// retry.
func (s *StateTest) Error() (name, cause string, hasName, hasCause bool) {
	if e := s.t.caught; e != nil {
		return e.name, e.cause, true, e.hasCause
	}
	return s.x.Error, s.x.Cause, s.x.HasError, s.x.HasCause
}

// NextState is the state the tested one would go to: its Next, the Choice
// rule's or the catcher's; "" when it ends the execution or failed.
func (s *StateTest) NextState() string { return s.t.next }

// Inspection is what the state computed.
func (s *StateTest) Inspection() Inspection {
	in := s.t.insp
	if vars := s.x.root.vars; len(vars) > 0 {
		in.Variables = vars
	}
	return in
}

// probe is the record of a test for frame f: the tested state is the top
// level; anything nested in it runs as in an execution.
func (x *Execution) probe(f *frame) *stateTest {
	if x.test == nil || f != x.root {
		return nil
	}
	return x.test
}

// stopTest ends a test at the tested state's transition to next, with
// output out.
func (x *Execution) stopTest(t *stateTest, next string, out any) {
	t.next = next
	x.finishExecution(Succeeded, out, nil, "")
}

// retriable ends a test whose error a retrier would retry after delay.
func (x *Execution) retriable(t *stateTest, e *stateError, delay time.Duration) {
	t.status = TestRetriable
	t.insp.RetryBackoff = delay
	x.finishExecution(Failed, nil, e, "ExecutionFailed")
}

// testContext is the context object a test gave for frame f, or nil.
func (x *Execution) testContext(f *frame) *jsonv.Object {
	if t := x.probe(f); t != nil && t.context != nil {
		// A copy of the top level: $$ is built afresh for each use, and
		// what reads it may keep it.
		return t.context.Clone(0)
	}
	return nil
}

// mockedChildren is the mock that answers for the children of f, the
// tested Map or Parallel state, or nil.
func (x *Execution) mockedChildren(f *frame) *ChildrenMock {
	if t := x.probe(f); t != nil {
		return t.children
	}
	return nil
}

// inspectMap records a mocked Map's stages before its iterations, arr
// being its items (after ItemsPath, or as read) and items what its
// children would take (selected, or batched). It reports false after
// raising an error.
func (x *Execution) inspectMap(f *frame, arr []any) bool {
	t := x.probe(f)
	st := f.state
	if st.JSONata == nil && st.ItemReader == nil {
		t.insp.AfterItemsPath = set(arr)
	}
	if (st.JSONata != nil && st.JSONata.ItemSelector != nil) || (st.JSONata == nil && st.ItemSelector != nil) {
		sel := make([]any, len(arr))
		for i, item := range arr {
			v, err := x.selectItem(f, i, item)
			if err != nil {
				x.raise(f, err)
				return false
			}
			sel[i] = v
		}
		t.insp.AfterItemSelector = set(sel)
	}
	if batching(st) {
		t.insp.AfterItemBatcher = set(f.items)
	}
	t.insp.MaxConcurrency = set(int64(f.maxConc))
	if st.HasToleratedFailureCount || st.ToleratedFailureCountPath != nil || (st.JSONata != nil && st.JSONata.ToleratedFailureCount != nil) {
		t.insp.ToleratedFailureCount = set(f.tolCount)
	}
	if st.HasToleratedFailurePercentage || st.ToleratedFailurePercentagePath != nil || (st.JSONata != nil && st.JSONata.ToleratedFailurePercentage != nil) {
		t.insp.ToleratedFailurePercentage = set(f.tolPct)
	}
	return true
}

// runMocked ends the tested Map or Parallel state f with the mock's
// outcome instead of running its children: a child's error, the
// tolerated failures exceeded, or the mock's result as the state's.
func (x *Execution) runMocked(f *frame, m *ChildrenMock) bool {
	st := f.state
	if m.Failed {
		x.mockFailed(f, &stateError{name: m.Error, cause: m.Cause, hasCause: m.HasCause})
		return false
	}
	if st.Type == asl.TypeMap && m.HasFailedIterations {
		// As an execution counts them (childDone): the threshold is only
		// there when the Map declares one, which is also what AWS answers
		// a Map without one (the mapIterationFailureCount recordings).
		f.failures = int(m.FailedIterations)
		if x.exceeded(f) {
			x.mockFailed(f, &stateError{name: ErrExceedToleratedFail, cause: "The specified tolerated failure threshold was exceeded", hasCause: true})
			return false
		}
	}
	switch st.Type {
	case asl.TypeMap:
		x.emit(f, f.last, "MapStateSucceeded", nil)
	default:
		x.emit(f, f.last, "ParallelStateSucceeded", nil)
	}
	f.children, f.results, f.items, f.weights = nil, nil, nil, nil
	return x.fanoutResult(f, m.Result, 0)
}

// mockFailed fails the tested Map or Parallel state f with err, as a
// failed child would (childrenFailed), no child having run.
func (x *Execution) mockFailed(f *frame, err *stateError) {
	f.childErr = err
	f.childFailed = true
	f.phase = phaseEnter
	x.raise(f, err)
}
