// Package store defines how Statecraft persists state machines, activities,
// executions and their histories. Store is one interface with one shared
// conformance suite (store/storetest) that every driver must pass, in the
// manner of River's driver tests; store/sqlite is the embedded default.
//
// Executions are event-sourced: a step commits the interpreter input it
// applied, the history events it produced, and the timers and tasks it
// created or closed, in one transaction. An execution that is not in memory
// is rebuilt by replaying its inputs through the (deterministic)
// interpreter, so nothing but rows is kept for a waiting execution.
package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors every driver returns for the same conditions.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict means a step was committed against a stale sequence number
	// (another writer applied an input to the execution first), repeated an
	// event id, or came after the execution ended.
	ErrConflict = errors.New("store: conflicting step")
	// ErrInvalidToken is a page token this store did not issue.
	ErrInvalidToken = errors.New("store: invalid page token")
	// ErrInvalidLimit is a Limit that is not positive.
	ErrInvalidLimit = errors.New("store: limit must be positive")
	// ErrLimitExceeded means a write would take a resource past a limit
	// the caller set (PublishVersionParams.MaxVersions).
	ErrLimitExceeded = errors.New("store: limit exceeded")
)

// StateMachine is a stored state machine.
type StateMachine struct {
	Arn         string
	Name        string
	Type        string // STANDARD or EXPRESS
	Definition  string
	RoleArn     string
	Status      string // ACTIVE or DELETING
	RevisionID  string
	Logging     string // JSON text of loggingConfiguration, "" when unset
	Tracing     string // JSON text of tracingConfiguration, "" when unset
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// StateMachineVersion is a published version of a state machine: an
// immutable snapshot of its definition and role at one revision. Versions
// are numbered from 1 per state machine; a number is never reused while
// the machine exists, even after its version is deleted.
type StateMachineVersion struct {
	// Arn is the machine's ARN qualified by the number: "<machine arn>:<n>".
	Arn             string
	StateMachineArn string
	Version         int64
	Definition      string
	RoleArn         string
	// RevisionID is the machine's revision the version was published from.
	RevisionID  string
	Description string
	CreatedAt   time.Time
}

// VersionArn is the ARN of version n of a state machine.
func VersionArn(stateMachineArn string, n int64) string {
	return stateMachineArn + ":" + strconv.FormatInt(n, 10)
}

// SplitVersionArn splits a version ARN into its machine's ARN and the
// number; ok is false when arn is not "<machine arn>:<n>" with n >= 1
// written canonically (no sign, no leading zero).
func SplitVersionArn(arn string) (stateMachineArn string, n int64, ok bool) {
	i := strings.LastIndexByte(arn, ':')
	if i < 0 {
		return "", 0, false
	}
	q := arn[i+1:]
	n, err := strconv.ParseInt(q, 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != q {
		return "", 0, false
	}
	return arn[:i], n, true
}

// Activity is a stored activity.
type Activity struct {
	Arn       string
	Name      string
	CreatedAt time.Time
}

// Execution is a stored execution: its identity, what it runs, and how it
// ended. Its history and inputs are stored as rows of their own.
type Execution struct {
	Arn             string
	StateMachineArn string
	Name            string
	Definition      string // the definition as it was when the execution started
	RoleArn         string
	Input           string // JSON text
	Status          string // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
	Output          string // JSON text when SUCCEEDED
	Error           string
	HasError        bool
	Cause           string
	HasCause        bool
	TraceHeader     string
	// ParentToken is the task token of the Task state that started this
	// execution (arn:aws:states:::states:startExecution), "" for none.
	ParentToken string
	Seed        uint64 // the interpreter's randomness seed, for replay
	StartedAt   time.Time
	StoppedAt   time.Time // zero while running
	// Seq is the number of inputs applied so far; a step must name it.
	Seq int64
	// Events is the number of history events.
	Events int64
}

// Event is one history event row. Body is the event's JSON as
// GetExecutionHistory returns it.
type Event struct {
	ID        int64
	Type      string
	Timestamp time.Time
	Body      []byte
}

// Input is one interpreter input applied to an execution, serialised by
// the engine; Seq counts from 1.
type Input struct {
	Seq  int64
	Body []byte
}

// Timer kinds.
const (
	TimerState     = "state"     // Wait states and retry back-offs (interpreter refs)
	TimerTask      = "task"      // a task's TimeoutSeconds
	TimerHeartbeat = "heartbeat" // a task's HeartbeatSeconds
	TimerNested    = "nested"    // starts a nested execution and watches it until the parent has its result
	TimerInvoke    = "invoke"    // runs a task this server runs itself (local functions, HTTP) and watches it
)

// Timer is a due time for an execution. Timers are rows ordered by due
// time: nothing runs per waiting execution.
type Timer struct {
	ExecutionArn string
	Ref          int64
	Kind         string
	Due          time.Time
}

// Task is a unit of work handed out by token: an activity task or a
// callback (.waitForTaskToken) task.
type Task struct {
	Token            string
	ExecutionArn     string
	Ref              int64
	ActivityArn      string // "" for callbacks
	Input            string // JSON text handed to the worker
	Started          bool
	WorkerName       string
	HeartbeatSeconds int64
	CreatedAt        time.Time
}

// TaskClaim hands one task to a worker within a step.
type TaskClaim struct {
	Token      string
	WorkerName string
}

// StartExecutionParams is a new execution and its first step.
type StartExecutionParams struct {
	Execution *Execution
	Step      StepParams
}

// StepParams is one committed step of an execution.
type StepParams struct {
	ExecutionArn string
	// Seq is the execution's Seq before this step; the commit fails with
	// ErrConflict when it has moved on.
	Seq          int64
	Input        []byte // nil when the step applied no new input
	Events       []Event
	AddTimers    []Timer
	DeleteTimers []Timer // matched on (Ref, Kind)
	AddTasks     []Task
	CloseTasks   []string // tokens
	// ClaimTasks hands open, unclaimed tasks of this execution to a
	// worker. The step fails with ErrConflict, writing nothing, when one
	// is unknown, closed or already claimed, so two pollers can never both
	// be handed a task.
	ClaimTasks []TaskClaim
	// Final is set when the execution ended in this step.
	Final *Final
}

// Final is how an execution ended.
type Final struct {
	Status    string
	Output    string
	Error     string
	HasError  bool
	Cause     string
	HasCause  bool
	StoppedAt time.Time
}

// ListParams pages a listing. Token is opaque: what the previous page
// returned as next.
type ListParams struct {
	Limit int
	Token string
	// ArnPrefix, when not "", lists only the rows whose ARN starts with it
	// byte for byte: the API passes "arn:PARTITION:states:REGION:ACCOUNT:"
	// so that a caller sees its own account and region only.
	ArnPrefix string
}

// ListExecutionsParams filters and pages executions, newest first.
type ListExecutionsParams struct {
	StateMachineArn string
	Status          string // "" for all
	Limit           int
	Token           string
}

// PublishVersionParams publishes a version of a state machine from its
// current revision.
type PublishVersionParams struct {
	StateMachineArn string
	// RevisionID must be the machine's current revision; when the machine
	// has moved on (an update came in between), the publish fails with
	// ErrConflict and nothing is written.
	RevisionID  string
	Definition  string
	RoleArn     string
	Description string
	CreatedAt   time.Time
	// MaxVersions bounds how many versions the machine may have at once:
	// publishing one more fails with ErrLimitExceeded. 0 means no bound.
	MaxVersions int
}

// ListVersionsParams pages the versions of one state machine, newest
// (highest number) first.
type ListVersionsParams struct {
	StateMachineArn string
	Limit           int
	Token           string
}

// PurgeParams selects closed executions to purge.
type PurgeParams struct {
	// StoppedBefore: executions that ended strictly before it may go.
	StoppedBefore time.Time
	// Limit caps how many executions one call purges: a purge shares the
	// store with live steps, so it comes in batches the caller sizes,
	// never all at once.
	Limit int
}

// HistoryParams pages a history.
type HistoryParams struct {
	ExecutionArn string
	AfterID      int64 // ascending: events with id > AfterID; reverse: id < AfterID (0: from the end)
	Reverse      bool
	Limit        int
}

// DueTimersParams selects the timers that are due.
type DueTimersParams struct {
	DueBy time.Time
	Limit int
}

// NextTasksParams selects the queued tasks of an activity.
type NextTasksParams struct {
	ActivityArn string
	Limit       int
}

// TagResourceParams sets tags on a resource.
type TagResourceParams struct {
	Arn  string
	Tags map[string]string
}

// UntagResourceParams deletes tags of a resource.
type UntagResourceParams struct {
	Arn  string
	Keys []string
}

// Store is what the engine and the API need from persistence. Every
// method is safe for concurrent use. Rules every driver keeps (the shared
// suite in storetest checks each):
//   - times come back in UTC, equal to the millisecond at least;
//   - every method that returns or deletes a number of rows that grows
//     with the data takes a Limit and handles at most that many; a Limit
//     <= 0 is ErrInvalidLimit. There is no default and no "all": a caller
//     that forgot the field would otherwise read a table into memory on a
//     shared server, or get a default page and take it for everything. The
//     API's default page size is the API's own (api/paging.go);
//   - listings: the next token
//     is "" on the last page, a token the store did not issue is
//     ErrInvalidToken; state machines and activities list by creation time
//     then ARN, executions newest first;
//   - a listing with ListParams.ArnPrefix holds only rows whose ARN starts
//     with it, on every page: a token is a position, never a grant, so a
//     token issued under one prefix and presented with another either
//     fails with ErrInvalidToken or lists the other prefix's rows only;
//   - Seq counts the inputs applied; a step with an Input advances it by one;
//   - within a step, timer deletions happen before additions and task
//     closings before additions (a task can be handed back to its queue by
//     closing and adding it in one step); a step with
//     Final removes the execution's timers and open tasks, and an ended
//     execution takes no more steps (ErrConflict);
//   - DeleteTimer deletes only while the timer is still due when it says (a
//     heartbeat may have moved it after the timer loop read it);
//   - NextTasks never lists callback tasks (ActivityArn "").
//   - deleting a state machine deletes its versions (and its count of
//     version numbers: a machine created again under the same ARN starts
//     from version 1).
type Store interface {
	CreateStateMachine(ctx context.Context, sm *StateMachine) error
	GetStateMachine(ctx context.Context, arn string) (*StateMachine, error)
	UpdateStateMachine(ctx context.Context, sm *StateMachine) error
	DeleteStateMachine(ctx context.Context, arn string) error
	ListStateMachines(ctx context.Context, p ListParams) ([]*StateMachine, string, error)

	// PublishStateMachineVersion publishes the next version of a state
	// machine atomically: ErrNotFound when the machine does not exist,
	// ErrConflict when its revision is no longer p.RevisionID,
	// ErrLimitExceeded past p.MaxVersions. It is idempotent per revision:
	// when a version of p.RevisionID exists, that version is returned and
	// nothing is written (created is false).
	PublishStateMachineVersion(ctx context.Context, p PublishVersionParams) (v *StateMachineVersion, created bool, err error)
	// GetStateMachineVersion finds a version by its ARN, ErrNotFound when
	// it does not exist (or the ARN names no version).
	GetStateMachineVersion(ctx context.Context, arn string) (*StateMachineVersion, error)
	// ListStateMachineVersions lists a machine's versions newest first; a
	// machine without versions, or none at all, lists nothing.
	ListStateMachineVersions(ctx context.Context, p ListVersionsParams) ([]*StateMachineVersion, string, error)
	// DeleteStateMachineVersion deletes one version, ErrNotFound when it
	// does not exist. Its number is not reused.
	DeleteStateMachineVersion(ctx context.Context, arn string) error

	CreateActivity(ctx context.Context, a *Activity) error
	GetActivity(ctx context.Context, arn string) (*Activity, error)
	DeleteActivity(ctx context.Context, arn string) error
	ListActivities(ctx context.Context, p ListParams) ([]*Activity, string, error)

	// StartExecution inserts a new execution together with its first step
	// (p.Step.Seq must be 0). ErrAlreadyExists when the ARN is taken.
	StartExecution(ctx context.Context, p StartExecutionParams) error
	GetExecution(ctx context.Context, arn string) (*Execution, error)
	ListExecutions(ctx context.Context, p ListExecutionsParams) ([]*Execution, string, error)
	// CommitStep applies one step atomically and durably.
	CommitStep(ctx context.Context, step StepParams) error
	Inputs(ctx context.Context, executionArn string) ([]Input, error)
	History(ctx context.Context, p HistoryParams) ([]Event, error)

	// DueTimers returns timers due at or before p.DueBy, earliest first.
	DueTimers(ctx context.Context, p DueTimersParams) ([]Timer, error)
	// NextTimer returns the earliest due time, ok=false when there is none.
	NextTimer(ctx context.Context) (time.Time, bool, error)
	// DeleteTimer removes a timer that fired without a step (a stale one).
	DeleteTimer(ctx context.Context, t Timer) error
	// SetTimer inserts or moves a timer (heartbeats move theirs).
	SetTimer(ctx context.Context, t Timer) error

	// NextTasks reads, without claiming them, up to p.Limit of the oldest
	// unclaimed open tasks of an activity: oldest CreatedAt first, ties in
	// the order they were added. None is an empty result, not an error. A
	// task is claimed by a step's ClaimTasks, in the same commit as the
	// history event that records it.
	NextTasks(ctx context.Context, p NextTasksParams) ([]*Task, error)
	// GetTask finds an open task by token, ErrNotFound when it is closed or
	// unknown.
	GetTask(ctx context.Context, token string) (*Task, error)
	// QueuedTasks counts, per activity ARN, the open activity tasks no
	// worker has claimed yet (the ones NextTasks lists). It only
	// reads; activities with none queued are absent from the map, and
	// callback tasks are never counted.
	QueuedTasks(ctx context.Context) (map[string]int64, error)

	// PurgeExecutions deletes up to p.Limit executions that ended before
	// p.StoppedBefore, those that ended first first, with everything kept
	// for them (inputs, history, tags, and any timers or tasks left), and
	// returns how many it deleted; their ARNs are then unknown
	// (ErrNotFound). It never deletes a running execution, nor a child
	// execution that its parent still waits on (its ParentToken names an
	// open task): the parent reads the child's result from its row.
	PurgeExecutions(ctx context.Context, p PurgeParams) (purged int, err error)

	TagResource(ctx context.Context, p TagResourceParams) error
	UntagResource(ctx context.Context, p UntagResourceParams) error
	ListTags(ctx context.Context, arn string) (map[string]string, error)

	Close() error
}

// Notifier is implemented by stores that several engine nodes share (on
// PostgreSQL, LISTEN/NOTIFY). The engine publishes wake-ups, a task queued
// for an activity or a timer added, and listens for other nodes' so that a
// worker long-polling one node gets a task scheduled by another at once.
// A store used by one process need not implement it.
//
// Nodes need no leases for correctness: every step names the execution's
// Seq, so when two nodes apply an event to the same execution one commit
// fails with ErrConflict, and that node drops its copy and replays.
type Notifier interface {
	Notify(ctx context.Context, channel, payload string) error
	// Listen calls fn for every notification until ctx is done.
	Listen(ctx context.Context, fn func(channel, payload string)) error
}

// Notification channels.
const (
	ChannelActivity = "statecraft_activity" // payload: the activity ARN
	ChannelTimers   = "statecraft_timers"   // payload: empty
)
