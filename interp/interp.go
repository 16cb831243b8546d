package interp

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/statecraft/statecraft/asl"
)

// Status is an execution's status as the Step Functions API names it.
type Status string

const (
	Running   Status = "RUNNING"
	Succeeded Status = "SUCCEEDED"
	Failed    Status = "FAILED"
	TimedOut  Status = "TIMED_OUT"
	Aborted   Status = "ABORTED"
	// PendingRedrive is a Map Run child that a redrive will run again
	// once the Map Run's MaxConcurrency lets it start.
	PendingRedrive Status = "PENDING_REDRIVE"
)

// DefaultMaxPayload is AWS's 256 KiB payload limit.
const DefaultMaxPayload = 262144

// Options tune a Machine.
type Options struct {
	// History records GetExecutionHistory events in Execution.History.
	// Express-style runs leave it off and pay nothing for events.
	History bool
	// MaxPayload is the payload limit in bytes: 0 means AWS's 256 KiB,
	// negative means no limit.
	MaxPayload int
	// MaxEvents fails an execution whose history would grow past this many
	// events, as AWS does at 25,000 for Standard executions; 0 means no
	// limit (Express executions have none).
	MaxEvents int64
	// MaxTransitionsPerStep bounds the states one step (Start or Apply)
	// may enter (0: DefaultMaxTransitionsPerStep). Only a loop that never
	// waits for anything reaches it: one that records events stops at the
	// history limit first, but Express executions have no such limit,
	// Distributed Map children record nothing, and the pure interpreter
	// has no clock to time them out. The execution fails with
	// States.Runtime instead of hanging its driver.
	MaxTransitionsPerStep int64
	// ExpressChildLimit is how long an Express child of a Distributed Map
	// (ExecutionType EXPRESS) may run before it times out with
	// States.Timeout: 0 means AWS's 5 minutes. Tests shorten it.
	ExpressChildLimit time.Duration
}

// DefaultExpressChildLimit is AWS's limit on an Express execution's
// duration, which holds for each Express child of a Distributed Map.
const DefaultExpressChildLimit = 5 * time.Minute

// DefaultMaxTransitionsPerStep is the default Options.MaxTransitionsPerStep.
const DefaultMaxTransitionsPerStep = 10_000_000

// DefaultMaxEvents is AWS's history limit for a Standard execution.
const DefaultMaxEvents = 25000

// Machine is a definition ready to run. It is safe for concurrent use: all
// per-execution state lives in Execution.
type Machine struct {
	def   *asl.StateMachine
	plans map[*asl.State]*plan
	first *plan // the plan of the start state
	// events is the most history events an execution of this Machine
	// recorded in one step, up to maxEventsHint: the next ones size their
	// event list and details for it at once. Only a sizing hint (what
	// executions record never depends on it), kept atomically since
	// executions run concurrently.
	events atomic.Int32
	// free holds released Executions (Execution.Release); a sync.Pool
	// because executions of one Machine run concurrently.
	free    sync.Pool
	opts    Options
	limit   int
	maxStep int64
}

// New prepares a parsed definition for running.
func New(def *asl.StateMachine, opts Options) *Machine {
	m := &Machine{def: def, opts: opts, limit: opts.MaxPayload, maxStep: opts.MaxTransitionsPerStep, plans: buildPlans(def)}
	m.first = m.plans[startState(def)]
	if m.limit == 0 {
		m.limit = DefaultMaxPayload
	}
	if m.maxStep <= 0 {
		m.maxStep = DefaultMaxTransitionsPerStep
	}
	return m
}

// Definition returns the machine's definition.
func (m *Machine) Definition() *asl.StateMachine { return m.def }

// Info identifies an execution; it feeds the context object ($$).
type Info struct {
	ExecutionArn     string
	Name             string
	StateMachineArn  string
	StateMachineName string
	RoleArn          string
	// StateMachineVersionArn and StateMachineAliasArn are the version and
	// alias the execution was started through, "" for none; its
	// ExecutionStarted event names them.
	StateMachineVersionArn string
	StateMachineAliasArn   string
	Region                 string
	StartTime              time.Time
	Input                  any
	// TaskToken makes the token a Task state with a callback sees as
	// $$.Task.Token; ref identifies the task. Nil means no tokens.
	TaskToken func(ref int64) string
}

// EventKind says what happened outside the interpreter.
type EventKind uint8

const (
	TaskStarted   EventKind = iota + 1 // a worker took the task (activities)
	TaskSucceeded                      // Output holds the result
	TaskFailed                         // Error and Cause say why
	TaskTimedOut                       // Error is States.Timeout or States.HeartbeatTimeout
	TimerFired                         // a StartTimer command's time came
	Stop                               // StopExecution: Error and Cause as given
	// Redrive reopens an execution that FAILED, TIMED_OUT or was ABORTED
	// (RedriveExecution): it reruns only what did not succeed. It is
	// ignored by a running or succeeded execution.
	Redrive
	UpdateMapRun // UpdateMapRun: MapRun says what changes
	// StopMapRunChild is StopExecution of a running STANDARD child of a
	// Map Run: MapRun.Arn names the Map Run, Child the child's execution
	// ARN, Error and Cause are as given. The child is aborted; its Map
	// counts it as a child that did not succeed.
	StopMapRunChild
)

// Event is one input to Apply.
type Event struct {
	Kind       EventKind
	Time       time.Time
	Ref        int64 // the task or timer the event is about
	Output     any
	Error      string
	Cause      string
	WorkerName string
	// MapRun is an UpdateMapRun's Map Run and new limits.
	MapRun *MapRunUpdate
	// Child is the execution ARN of the Map Run child a StopMapRunChild
	// stops.
	Child string
	// Seed seeds the randomness used while applying this event (jitter,
	// States.UUID, States.MathRandom). Record it to replay exactly.
	Seed uint64
}

// CommandKind says what the interpreter asks its host to do.
type CommandKind uint8

const (
	RunTask    CommandKind = iota + 1 // Task holds what to run
	StartTimer                        // fire TimerFired with Ref at Due
	Cancel                            // forget the task or timer Ref
	// WriteAfterEnd is a Task (a ResultWriter's export) the host runs
	// once the step that ended the execution is committed, and keeps
	// owing across restarts until it is done; Execution.AfterEndTask
	// gives it again by Ref, after a replay.
	WriteAfterEnd
)

// Command is one thing for the host to carry out.
type Command struct {
	Kind CommandKind
	Ref  int64
	Due  time.Time
	Task *Task
}

// Task is a unit of work for a Task state.
type Task struct {
	Resource         string
	Input            any
	StateName        string
	TimeoutSeconds   int64 // 0: none
	HeartbeatSeconds int64 // 0: none
	Attempt          int   // 0 for the first try, then 1, 2, ... on retries
	// RoleArn is the role of the state's Credentials, evaluated: the
	// host runs the task under it (in its account) or fails the task when
	// the role cannot be assumed. "" without Credentials.
	RoleArn string
}
