package interp

import (
	"maps"
	"time"

	"github.com/statecraft/statecraft/asl"
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
	status     TestStatus // set when the state ended other than by its outcome
	next       string
	caught     *stateError
	insp       Inspection
}

// TestState runs the state st, which must belong to m's definition, on its
// own at time now.
func (m *Machine) TestState(st *asl.State, opts TestOptions, now time.Time) (*StateTest, []Command) {
	x := m.newExecution(opts.Info, now, opts.Seed, false)
	x.test = &stateTest{retryCount: opts.RetryCount, insp: Inspection{RetryIndex: -1, CatchIndex: -1}}
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
