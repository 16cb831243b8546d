package store

import (
	"context"
	"errors"
	"time"
)

// Errors every driver returns for the same conditions; the Store doc says
// which method returns which. Drivers may wrap them: test with errors.Is.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict means a write was computed from a state that is no
	// longer the stored one. It wrote nothing; the writer re-reads.
	ErrConflict = errors.New("store: conflicting write")
	// ErrInvalidToken is a page token this store did not issue.
	ErrInvalidToken = errors.New("store: invalid page token")
	// ErrInvalidLimit is a Limit that is not positive.
	ErrInvalidLimit = errors.New("store: limit must be positive")
	// ErrLimitExceeded means a write would take a resource past a limit
	// the caller set (PublishVersionParams.MaxVersions,
	// CreateAliasParams.MaxAliases).
	ErrLimitExceeded = errors.New("store: limit exceeded")
	// ErrStaleVersion means a PutStack named a version of the stack that
	// is no longer the stored one: another writer (another node) put it
	// first. It wrote nothing; the writer re-reads.
	ErrStaleVersion = errors.New("store: stale stack version")
)

// Store is what the engine and the API need from persistence. This
// comment, with those of its methods and of the types they take, is the
// whole contract: every driver keeps it, storetest.Exercise checks it,
// and each rule is written here once.
//
// Transactions and durability. Every method is safe for concurrent use.
// Every write is one transaction: it happens whole or not at all, and a
// write that returns an error has written nothing. A write that returns
// nil is committed: every read that begins afterwards, by any caller,
// sees it, and it survives the process crashing (and the machine, unless
// the driver was told to trade that for speed: store/sqlite's
// Options.Sync). A driver that loses its connection during a commit finds
// out whether the commit happened before it answers. A read sees only
// committed writes, as one snapshot: a listing page never mixes two
// states of the store.
//
// Executions move by steps (StepParams). A step names the execution's
// Seq, the number of inputs applied to it so far, and the database
// refuses it with ErrConflict, inside the step's own transaction, when
// Seq has moved on. Of two writers that computed a step from the same
// state, one commits and the other learns that it is stale, so no
// transition is applied twice whoever writes: callers of one process or
// nodes sharing the database.
//
// Errors. ErrNotFound: a method that looks something up by its key (the
// Get, Update and Delete methods, CommitStep, SetTimer,
// PublishStateMachineVersion, CreateStateMachineAlias) finds nothing; a
// method that reads what something owns (Inputs, History,
// ListStateMachineVersions, ListStateMachineAliases, ListTags) returns
// nothing instead. ErrAlreadyExists: a create names a taken key.
// ErrConflict: a step against a stale Seq or an ended execution (an
// AfterEnd step: a running one), a step that repeats an event ID, adds a
// task whose token is open or claims a task that is not open and
// unclaimed in its execution, a publish against a replaced revision, and
// the deletion of a version an alias routes to. Anything else is the driver's own error.
//
// Limits. Every method that returns or deletes a number of rows that
// grows with the data takes a Limit and handles at most that many;
// Limit <= 0 is ErrInvalidLimit. There is no default and no "all": a
// caller that forgot the field would otherwise read a table into memory
// on a shared server, or get a default page and take it for everything.
// The API's default page size is the API's own (api/paging.go).
//
// Listings. A page holds the rows that follow the token, in the
// listing's order: state machines, activities and aliases by CreatedAt
// then ARN, ascending; executions, Map Runs and Map Runs' children by
// StartedAt then ARN, descending; versions by number, descending. The next token is "" exactly when the
// page ends with the last row. A token is a position, the sort key of the
// page's last row, never a grant: the next page starts after it whatever
// was added or deleted since, and presented with another filter (another
// ArnPrefix, machine, version, alias or status) it lists that filter's
// rows only or is ErrInvalidToken. A token the store did not issue is
// ErrInvalidToken.
//
// Times come back in UTC, equal to what was stored to the millisecond at
// least; the zero time comes back zero.
//
// Several nodes. A driver that several engine nodes share (store/postgres)
// keeps every rule above across all of them, implements Cluster, and adds
// what follows. A driver for one process needs none of it: store/sqlite's
// lock file keeps every other process out, so its one node owns every
// timer and nothing can fence it; it refuses leases and fences.
//
//   - Shards. An execution belongs to shard ShardOf(arn, n) of the n shards
//     the database was created with; n never changes, so neither does an
//     execution's shard. A node owns a shard while it holds the shard's
//     lease, a row (shard, node, range ID, expiry). AcquireShards takes
//     shards that are free or expired, incrementing each
//     one's range ID and setting its expiry; RenewShards moves the expiry
//     of leases still at their range IDs (a lease it does not return is
//     lost); ReleaseShards frees leases for the others at once (a node
//     draining); ListShards lists every lease. Expiry is judged by the
//     database's clock, never a node's, and a node stops a shard's work
//     once it cannot renew in time by its own clock, measured from before
//     it sent the renewal.
//   - Fences. A write a node makes because it owns a shard carries the
//     Fence it was made under (shard and range ID): the step that applies
//     a fired timer's event, and the SetTimer and DeleteTimer calls with
//     which the timer loop fires, moves or drops a timer. The driver checks
//     the fence in the write's own transaction, against the lease row
//     locked so that AcquireShards waits for the write (FOR SHARE against
//     its UPDATE, on PostgreSQL), and refuses a write whose range ID is no
//     longer the shard's with ErrFenced, writing nothing. Expiry alone
//     fences nothing: until another node acquires the shard, the old
//     owner's writes are still the only ones. A node that gets ErrFenced
//     has lost the shard and stops its timers' work.
//   - Callers' writes. A write that answers a caller (StartExecution, a
//     task's result or heartbeat, StopExecution, a poller's claim, a child
//     execution reporting to its parent, the result of an invocation the
//     timer loop started) is made by whichever node has it, without a
//     fence: Seq orders it against every other step, and the loser replays
//     and applies its event again, as on one node; a heartbeat's SetTimer
//     only moves a due time, which the owner's DeleteTimer checks.
//     An execution thus moves one step at a time whoever writes to it: the
//     database checks Seq on every step, and the fence of every write made
//     on a shard's behalf.
//   - Timers fire once. DueTimers and NextTimer given a node's leases read
//     only their shards' timers, so one node sees a timer: its shard's
//     owner. It fires the timer with a fenced write before anything else:
//     the step applying the timer's event (which deletes it) or, for
//     TimerInvoke and TimerNested, a SetTimer moving it past the time the
//     work may take. A stale owner is refused before it starts; an owner
//     that dies during the work leaves the timer to come due again for the
//     shard's next owner. Work is at least once, as AWS's tasks are; the
//     transition it leads to is once, by Seq.
//   - Tasks are handed out once. A poller on any node claims a task by a
//     step with ClaimTasks, which checks in its transaction that the task
//     is open and unclaimed: of two pollers, on one node or two, one gets
//     it. A claimed task stays claimed when its node dies, since its
//     worker may hold the token and no token is handed out twice; a task
//     no worker got ends by its TimeoutSeconds or HeartbeatSeconds timer.
//     (store/sqlite's Open instead puts the claims of the process before
//     it back in the queue: with one node, a claim can lose its answer
//     only in a restart, and delivery there is at least once.)
//   - What another node sees. A read returns what any node committed
//     before it began. Nothing a node keeps in memory is authoritative: it
//     acts on it only through a write carrying Seq or a fence, which the
//     database refuses when it is stale.
//   - Wake-ups travel by Notifier (a task queued for pollers on another
//     node, a timer added to a shard another node owns), and correctness
//     never rests on them: a notification can be lost, so a node waiting
//     for work reads the store at least every poll interval (pollers
//     NextTasks, the timer loop NextTimer) whether or not one came.
//     Notifications make hand-offs between nodes fast, not possible.
type Store interface {
	// CreateStateMachine stores a machine; ErrAlreadyExists when its ARN
	// is taken.
	CreateStateMachine(ctx context.Context, sm *StateMachine) error
	GetStateMachine(ctx context.Context, arn string) (*StateMachine, error)
	// UpdateStateMachine replaces every field of the stored machine but
	// Arn and CreatedAt.
	UpdateStateMachine(ctx context.Context, sm *StateMachine) error
	// DeleteStateMachine deletes a machine with its versions, aliases and
	// tags, and its count of version numbers (a machine created again
	// under the ARN starts from version 1). Its executions stay: each has
	// its own copy of the definition.
	DeleteStateMachine(ctx context.Context, arn string) error
	ListStateMachines(ctx context.Context, p ListParams) ([]*StateMachine, string, error)

	// PublishStateMachineVersion publishes the next version of a machine
	// from its current revision; ErrConflict when the revision is no
	// longer p.RevisionID, ErrLimitExceeded past p.MaxVersions. It is
	// idempotent per revision: when a version of p.RevisionID exists,
	// that version is returned and nothing is written (created is false).
	PublishStateMachineVersion(ctx context.Context, p PublishVersionParams) (v *StateMachineVersion, created bool, err error)
	// GetStateMachineVersion finds a version by its ARN; ErrNotFound also
	// when the ARN names no version.
	GetStateMachineVersion(ctx context.Context, arn string) (*StateMachineVersion, error)
	ListStateMachineVersions(ctx context.Context, p ListVersionsParams) ([]*StateMachineVersion, string, error)
	// DeleteStateMachineVersion deletes one version; ErrConflict while an
	// alias routes to it. Its number is not given out again while the
	// machine exists.
	DeleteStateMachineVersion(ctx context.Context, arn string) error

	// CreateStateMachineAlias stores an alias routing to versions of its
	// machine. ErrNotFound when the machine or a routed version does not
	// exist, checked in the write's own transaction, so that no alias
	// ever routes to a deleted version; ErrLimitExceeded past
	// p.MaxAliases. It is idempotent: when the machine has an alias of the
	// name with the same description and routes (in the same order), that
	// alias is returned and nothing is written (created is false); one
	// that differs is ErrAlreadyExists.
	CreateStateMachineAlias(ctx context.Context, p CreateAliasParams) (a *StateMachineAlias, created bool, err error)
	// GetStateMachineAlias finds an alias by its ARN; ErrNotFound also
	// when the ARN names no alias.
	GetStateMachineAlias(ctx context.Context, arn string) (*StateMachineAlias, error)
	// UpdateStateMachineAlias changes an alias's description or routes and
	// returns it as it now is; ErrNotFound when the alias or a routed
	// version does not exist (the routed versions checked as
	// CreateStateMachineAlias checks them).
	UpdateStateMachineAlias(ctx context.Context, p UpdateAliasParams) (*StateMachineAlias, error)
	// DeleteStateMachineAlias deletes an alias; the versions it routed to
	// stay.
	DeleteStateMachineAlias(ctx context.Context, arn string) error
	ListStateMachineAliases(ctx context.Context, p ListAliasesParams) ([]*StateMachineAlias, string, error)

	// PutStack stores a CloudFormation stack's record, whose document
	// the store does not read. p.Version 0 inserts a new stack:
	// ErrStaleVersion when its id is taken, ErrAlreadyExists when a
	// stack of the account and region that is not Deleted has its name.
	// Otherwise p.Version must be the stored version (ErrNotFound when
	// there is no such stack, ErrStaleVersion when it has changed since);
	// the put replaces the record. It returns the new version, the old
	// one plus 1 (1 for a new stack), so that of two writers who read
	// the same version only one can write.
	PutStack(ctx context.Context, p PutStackParams) (version int64, err error)
	// GetStack finds a stack by account, region and id; ErrNotFound.
	GetStack(ctx context.Context, account, region, stackID string) (*Stack, error)
	// ListStacks lists the stacks of an account and region, deleted ones
	// included unless p.StackName names the one not Deleted, oldest
	// first (by CreatedAt, then id).
	ListStacks(ctx context.Context, p ListStacksParams) ([]*Stack, error)
	// DeleteStack removes a stack's record if version is its stored one
	// (ErrNotFound, ErrStaleVersion as for PutStack).
	DeleteStack(ctx context.Context, account, region, stackID string, version int64) error

	// CreateActivity stores an activity; ErrAlreadyExists when its ARN is
	// taken.
	CreateActivity(ctx context.Context, a *Activity) error
	GetActivity(ctx context.Context, arn string) (*Activity, error)
	// DeleteActivity deletes an activity and its tags. The tasks queued
	// on it stay open until their executions close them.
	DeleteActivity(ctx context.Context, arn string) error
	ListActivities(ctx context.Context, p ListParams) ([]*Activity, string, error)

	// StartExecution stores a new execution, RUNNING, together with its
	// first step; ErrAlreadyExists when its ARN is taken (purging an
	// execution frees its ARN).
	StartExecution(ctx context.Context, p StartExecutionParams) error
	GetExecution(ctx context.Context, arn string) (*Execution, error)
	ListExecutions(ctx context.Context, p ListExecutionsParams) ([]*Execution, string, error)
	// CommitStep commits one step of a running execution.
	CommitStep(ctx context.Context, step StepParams) error
	// Inputs returns all of an execution's inputs, by Seq: replay needs
	// every one, and there are no more of them than history events.
	Inputs(ctx context.Context, executionArn string) ([]Input, error)
	History(ctx context.Context, p HistoryParams) ([]Event, error)

	// DueTimers returns the timers due at or before p.DueBy, earliest
	// first (those due at the same instant in no set order).
	DueTimers(ctx context.Context, p DueTimersParams) ([]Timer, error)
	// NextTimer returns the earliest due time of the timers p selects; ok
	// is false when there is none.
	NextTimer(ctx context.Context, p NextTimerParams) (due time.Time, ok bool, err error)
	// SetTimer inserts a timer, or moves the execution's timer of the
	// same Ref and Kind to t.Due (a heartbeat pushes its timer back so).
	// The execution may have ended: a heartbeat racing the end leaves a
	// timer that fires for nothing, or goes when the execution is purged.
	SetTimer(ctx context.Context, t Timer) error
	// DeleteTimer deletes a timer that fired without a step (a stale
	// one), matched on execution, Ref and Kind, and only while it is
	// still due when t.Due says: a heartbeat may have moved it after the
	// timer loop read it. A zero t.Due deletes it whenever it is due. A
	// timer that is not there is not an error. SetTimer and DeleteTimer
	// check t.Fence when it is not zero (ErrFenced).
	DeleteTimer(ctx context.Context, t Timer) error

	// NextTasks reads, without claiming them, the unclaimed open tasks of
	// p.ActivityArn: oldest CreatedAt first, ties in the order they were
	// added. Callback tasks (ActivityArn "") are never listed. A task is
	// claimed by a step's ClaimTasks, in the same commit as the event that
	// records it.
	NextTasks(ctx context.Context, p NextTasksParams) ([]*Task, error)
	// GetTask finds an open task, claimed or not, by its token;
	// ErrNotFound when it is closed or unknown.
	GetTask(ctx context.Context, token string) (*Task, error)
	// QueuedTasks counts, per activity ARN, the tasks NextTasks would
	// list; activities with none are absent from the map.
	QueuedTasks(ctx context.Context) (map[string]int64, error)

	// GetMapRun finds a Map Run by its ARN.
	GetMapRun(ctx context.Context, arn string) (*MapRun, error)
	// ListMapRuns pages the Map Runs of p.ExecutionArn, by StartedAt then
	// ARN, descending; nothing (not ErrNotFound) for an execution that has
	// none or does not exist.
	ListMapRuns(ctx context.Context, p ListMapRunsParams) ([]*MapRun, string, error)
	// GetMapRunExecution finds a Map Run's child execution by its ARN.
	GetMapRunExecution(ctx context.Context, arn string) (*MapRunExecution, error)
	// ListMapRunExecutions pages the child executions of p.MapRunArn, by
	// StartedAt then ARN, descending.
	ListMapRunExecutions(ctx context.Context, p ListMapRunExecutionsParams) ([]*MapRunExecution, string, error)

	// PurgeExecutions deletes up to p.Limit executions that ended before
	// p.StoppedBefore, those that ended first first, with everything kept
	// for them (inputs, history, tags, Map Runs and their children, and
	// any timers or tasks left), and
	// returns how many it deleted. It never deletes a running execution,
	// nor a child execution that its parent still waits on (its
	// ParentToken names an open task): the parent reads the child's
	// result from its row.
	PurgeExecutions(ctx context.Context, p PurgeParams) (purged int, err error)

	// TagResource sets tags on an ARN, overwriting the keys it has. The
	// store does not check that the resource exists: the API does, with
	// the error its resource type needs.
	TagResource(ctx context.Context, p TagResourceParams) error
	// UntagResource deletes tags; a key that is not there is not an error.
	UntagResource(ctx context.Context, p UntagResourceParams) error
	// ListTags returns an ARN's tags, an empty map when it has none.
	ListTags(ctx context.Context, arn string) (map[string]string, error)

	// Close waits for the writes under way and releases the store; no
	// method may be called after it.
	Close() error
}

// Notifier is how engine nodes that share a database wake each other. A
// driver that several nodes share implements it (PostgreSQL: NOTIFY, and
// LISTEN on a connection of its own); a driver for one process does not,
// and its engine has nobody to wake. The engine notifies after the commit
// that made the work and listens while it runs; Store's doc ("Several
// nodes") says what travels this way and why nothing may depend on it.
//
// Notify sends payload on channel to every Listen in progress on every
// node sharing the database, the sender's own included, and returns once
// it is sent. Each listener gets each notification sent while it listens
// once, in the order one node sent them; a notification sent while a
// node was not listening (starting, reconnecting) is lost to it. Listen
// calls fn for each, one at a time, until ctx is done, then returns nil;
// it returns an error once it can no longer listen (its connection
// lost), and may be called again. fn must not block. Channels are the
// Channel constants; a payload is at most 1,000 bytes.
type Notifier interface {
	Notify(ctx context.Context, channel, payload string) error
	Listen(ctx context.Context, fn func(channel, payload string)) error
}

// Notification channels.
const (
	ChannelActivity = "statecraft_activity" // a task was queued; payload: its activity ARN
	ChannelTimers   = "statecraft_timers"   // a timer was added; payload: empty
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
// are numbered from 1 per state machine.
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

// StateMachineAlias is a named pointer to one or two versions of a state
// machine, which share the executions started through it by weight.
type StateMachineAlias struct {
	// Arn is the machine's ARN qualified by the name: "<machine arn>:<name>".
	Arn             string
	StateMachineArn string
	Name            string
	Description     string
	// Routes are one or two distinct versions of the machine, in the
	// order they were given.
	Routes    []AliasRoute
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AliasRoute is one version an alias routes to, with its share of the
// executions, a percentage.
type AliasRoute struct {
	VersionArn string
	Weight     int
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
	// StateMachineVersionArn is the version the execution runs when it
	// was started through a version or an alias, "" otherwise;
	// StateMachineAliasArn the alias, "" when not started through one.
	StateMachineVersionArn string
	StateMachineAliasArn   string
	StartedAt              time.Time
	StoppedAt              time.Time // zero while running
	// Seq is the number of inputs applied so far; a step must name it.
	Seq int64
	// Events is the number of history events.
	Events int64
	// RedriveCount is how many times a step's Redrive reopened the
	// execution; RedriveDate is when the last did (zero for none).
	RedriveCount int64
	RedriveDate  time.Time
	// Transitions is the state transitions AWS would bill the execution
	// (states entered, retries included), as its last step set it.
	Transitions int64
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
	// TimerAfterEnd is work the end of an execution owes (a Map Run's
	// ResultWriter export when the end aborted it): a step's Final keeps
	// it, and the step that records the work done (AfterEnd) deletes it.
	TimerAfterEnd = "afterend"
)

// Timer is a due time for an execution, keyed by (ExecutionArn, Ref,
// Kind). Timers are rows ordered by due time: nothing runs per waiting
// execution.
type Timer struct {
	ExecutionArn string
	Ref          int64
	Kind         string
	Due          time.Time
	// Fence is not stored: DueTimers and NextTimer's callers with leases
	// get each timer with its shard's fence, and SetTimer and DeleteTimer
	// check the fence they are given ("Several nodes").
	Fence Fence
}

// Task is a unit of work handed out by token: an activity task or a
// callback (.waitForTaskToken) task.
type Task struct {
	Token            string
	ExecutionArn     string
	Ref              int64
	ActivityArn      string // "" for callbacks
	Input            string // JSON text handed to the worker
	Started          bool   // claimed by a worker
	WorkerName       string
	HeartbeatSeconds int64
	CreatedAt        time.Time
}

// TaskClaim hands one task to a worker within a step.
type TaskClaim struct {
	Token      string
	WorkerName string
}

// StartExecutionParams starts an execution with its first step.
type StartExecutionParams struct {
	// Execution is stored RUNNING at Seq 0 with no events, whatever its
	// Status, Seq, Events and ending fields say.
	Execution *Execution
	// Step is applied to it at once, in the same transaction (its
	// ExecutionArn and Seq are the new execution's and 0, whatever they
	// say); its Final may end the execution in the same commit.
	Step StepParams
}

// StepParams is one step of an execution, committed whole. Its parts
// apply in this order, so that one step can undo and redo: the Seq check;
// Redrive; Input and Events; DeleteTimers, then AddTimers (a back-off re-armed);
// CloseTasks, ClaimTasks, then AddTasks (a claimed task handed back to
// its queue is closed and added unclaimed); then Final, which also
// deletes the execution's timers (but those of kind TimerAfterEnd, the
// work its end owes) and closes its tasks, since an ended execution
// waits for nothing and takes no more steps but AfterEnd ones. The timers and
// tasks of a step are its execution's, whatever their own ExecutionArn
// fields say.
type StepParams struct {
	ExecutionArn string
	// Seq is the execution's Seq the step was computed from; ErrConflict
	// when it has moved on or the execution has ended (unless the step
	// redrives it).
	Seq int64
	// Redrive, when not nil, reopens an execution that ended FAILED,
	// TIMED_OUT or ABORTED (ErrConflict when it is running or
	// SUCCEEDED): it is RUNNING again with no output, error, cause or stop
	// time, its RedriveCount grows by one and its RedriveDate is
	// Redrive.At. Its timers and tasks are those the step adds. The same
	// step may end it again with Final.
	Redrive *Redrive
	// Input is the interpreter input the step applied, nil for none; with
	// one, the execution's Seq moves on by one.
	Input []byte
	// Events are appended to the history; an ID it holds already is
	// ErrConflict.
	Events []Event
	// DeleteTimers are matched on (Ref, Kind), whatever their Due; one
	// that is not there is not an error.
	DeleteTimers []Timer
	// AddTimers inserts timers, moving those of the same (Ref, Kind).
	AddTimers []Timer
	// CloseTasks are tokens; one that is not open is not an error.
	CloseTasks []string
	// ClaimTasks hands open, unclaimed tasks of the execution to workers;
	// ErrConflict when one is unknown, closed, claimed or another
	// execution's, so two pollers are never handed one task.
	ClaimTasks []TaskClaim
	// AddTasks opens tasks; ErrConflict when a token is open already.
	AddTasks []Task
	// MapRuns are written whole, created or replacing the row of the same
	// ARN, as the execution's (whatever their ExecutionArn says);
	// MapRunExecutions likewise, after them, but for the Input of a child
	// that has one (see MapRunExecution). A step writes only the Map
	// Runs and children it changed, so their cost follows the children
	// that started or ended, not how many a Map Run has.
	MapRuns          []MapRun
	MapRunExecutions []MapRunExecution
	// Final ends the execution; its Status is SUCCEEDED, FAILED,
	// TIMED_OUT or ABORTED, and any other fails the step.
	Final *Final
	// Fence, when not zero, is the lease the step is made under (a timer
	// firing): ErrFenced when its shard has moved on ("Several nodes").
	Fence Fence
	// Transitions is the execution's count of billed state transitions
	// after the step; the stored count only grows (a smaller one, such as
	// the 0 of a step that only claims a task, leaves it as it is).
	Transitions int64
	// AfterEnd makes this the step of an ended execution that records
	// work its end owed as done: Seq must still be the execution's and
	// the execution ended (ErrConflict otherwise: a redrive reopened it).
	// Such a step may only delete timers and write Map Runs (and their
	// children); anything else in it fails the step (CheckAfterEnd).
	AfterEnd bool
}

// CheckAfterEnd refuses an AfterEnd step that holds more than it may.
func CheckAfterEnd(st *StepParams) error {
	if !st.AfterEnd {
		return nil
	}
	if st.Redrive != nil || st.Input != nil || len(st.Events) > 0 || len(st.AddTimers) > 0 ||
		len(st.CloseTasks) > 0 || len(st.ClaimTasks) > 0 || len(st.AddTasks) > 0 || st.Final != nil {
		return errors.New("store: an AfterEnd step of " + st.ExecutionArn + " may only delete timers and write Map Runs")
	}
	return nil
}

// Redrive is when a step reopened its ended execution.
type Redrive struct {
	At time.Time
}

// MapRun is a Distributed Map's run, as DescribeMapRun shows it; the
// engine writes it with the steps of its parent execution.
type MapRun struct {
	Arn             string
	ExecutionArn    string // the parent execution
	StateMachineArn string // the machine its children run: "<parent's machine>/<label>"
	Status          string // RUNNING, SUCCEEDED, FAILED or ABORTED
	StartedAt       time.Time
	StoppedAt       time.Time // zero while running

	MaxConcurrency             int64
	ToleratedFailurePercentage float64
	ToleratedFailureCount      int64
	ItemCounts                 MapRunCounts
	ExecutionCounts            MapRunCounts
	// RedriveCount is how many redrives of the parent reopened the Map
	// Run; RedriveDate is when the last did (zero for none).
	RedriveCount int64
	RedriveDate  time.Time
}

// MapRunCounts are the counts of a Map Run's items or child executions.
type MapRunCounts struct {
	Pending, Running, Succeeded, Failed, TimedOut, Aborted, Total, ResultsWritten int64
	// PendingRedrive counts the children a redrive will run again once
	// the Map Run's MaxConcurrency lets them start.
	PendingRedrive int64 `json:",omitempty"`
}

// MapRunExecution is a child execution of a Map Run, as ListExecutions
// lists it.
type MapRunExecution struct {
	Arn             string
	MapRunArn       string
	ExecutionArn    string // the Map Run's parent execution
	StateMachineArn string
	Name            string
	ItemCount       int64  // the items it processes
	Status          string // RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED
	StartedAt       time.Time
	StoppedAt       time.Time // zero while running
	// Input (JSON text) is written when the child is created: a later
	// write with Input "" keeps it. Output (JSON text, when SUCCEEDED),
	// Error and Cause are replaced with the rest. ListMapRunExecutions
	// leaves Input and Output out.
	Input, Output string
	Error, Cause  string
	HasCause      bool
	// RedriveCount is how many Map Run redrives ran the child again;
	// RedriveDate is when the last did (zero for none).
	RedriveCount int64
	RedriveDate  time.Time
}

// ListMapRunsParams pages the Map Runs of an execution.
type ListMapRunsParams struct {
	ExecutionArn string
	Limit        int
	Token        string
}

// ListMapRunExecutionsParams pages the child executions of a Map Run.
type ListMapRunExecutionsParams struct {
	MapRunArn string
	Status    string // "" for every status
	// Redriven, when not "", lists only the children redriven at least
	// once ("REDRIVEN") or never ("NOT_REDRIVEN").
	Redriven string
	Limit    int
	Token    string
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

// ListParams pages state machines or activities.
type ListParams struct {
	Limit int
	Token string // what the previous page returned as next, "" for the first
	// ArnPrefix, when not "", lists only the rows whose ARN starts with it
	// byte for byte: the API passes "arn:PARTITION:states:REGION:ACCOUNT:"
	// so that a caller sees its own account and region only.
	ArnPrefix string
}

// ListExecutionsParams pages executions.
type ListExecutionsParams struct {
	StateMachineArn string // "" for every machine's
	Status          string // "" for every status
	// StateMachineVersionArn and StateMachineAliasArn, when not "", list
	// only the executions that recorded that version or alias.
	StateMachineVersionArn string
	StateMachineAliasArn   string
	// Redriven, when not "", lists only the executions redriven at least
	// once ("REDRIVEN") or never ("NOT_REDRIVEN").
	Redriven string
	Limit    int
	Token    string
}

// PublishVersionParams publishes a version of a state machine from its
// current revision.
type PublishVersionParams struct {
	StateMachineArn string
	// RevisionID must be the machine's current revision.
	RevisionID  string
	Definition  string
	RoleArn     string
	Description string
	CreatedAt   time.Time
	// MaxVersions bounds how many versions the machine may have at once;
	// 0 means no bound.
	MaxVersions int
}

// ListVersionsParams pages the versions of one state machine.
type ListVersionsParams struct {
	StateMachineArn string
	Limit           int
	Token           string
}

// Stack is a CloudFormation stack's record (package cloudformation keeps
// the stack in Document, as JSON); a deleted stack keeps its record but
// frees its name.
type Stack struct {
	Account, Region, StackID, StackName string
	Deleted                             bool
	Document                            []byte
	CreatedAt                           time.Time
	Version                             int64
}

// PutStackParams stores a stack (Store.PutStack). CreatedAt is kept from
// the first put.
type PutStackParams struct {
	Account, Region, StackID, StackName string
	Deleted                             bool
	Document                            []byte
	CreatedAt                           time.Time
	// Version is the version the writer read; 0 for a new stack.
	Version int64
}

// ListStacksParams lists the stacks of an account and region; StackName,
// when not "", only the one of that name not Deleted. Account "" lists
// every account's stacks in every region (a server starting).
type ListStacksParams struct {
	Account, Region, StackName string
}

// CreateAliasParams creates an alias of a state machine.
type CreateAliasParams struct {
	StateMachineArn string
	Name            string
	Description     string
	// Routes are one or two distinct versions of StateMachineArn whose
	// weights add up to 100; the caller checks that, and a driver refuses
	// anything else as an error of its own.
	Routes    []AliasRoute
	CreatedAt time.Time
	// MaxAliases bounds how many aliases the machine may have at once; 0
	// means no bound.
	MaxAliases int
}

// UpdateAliasParams changes an alias. A nil field is left as it is.
type UpdateAliasParams struct {
	Arn         string
	Description *string
	Routes      []AliasRoute // as CreateAliasParams.Routes; nil keeps them
	UpdatedAt   time.Time
}

// ListAliasesParams pages the aliases of one state machine.
type ListAliasesParams struct {
	StateMachineArn string
	// VersionArn, when not "", lists only the aliases that route to it.
	VersionArn string
	Limit      int
	Token      string
}

// HistoryParams pages a history by event ID.
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
	// Leases, when not nil, selects the timers of these leases' shards
	// only, each returned with its lease's fence; a non-nil empty slice
	// selects none. nil selects every timer, unfenced: one node, or a
	// tool. A store that is not a Cluster refuses leases.
	Leases []Lease
}

// NextTimerParams selects the timers NextTimer looks at, as
// DueTimersParams.Leases does.
type NextTimerParams struct {
	Leases []Lease
}

// NextTasksParams selects the queued tasks of an activity.
type NextTasksParams struct {
	ActivityArn string
	Limit       int
}

// PurgeParams selects closed executions to purge. Limit sizes the batch:
// a purge shares the store with live steps, so it comes in batches the
// caller sizes, never all at once.
type PurgeParams struct {
	// StoppedBefore: executions that ended strictly before it may go.
	StoppedBefore time.Time
	Limit         int
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

// StepQueue is implemented by a store whose steps go through one writer,
// in the order they are queued, on this process alone (SQLite's
// committer, memstore's lock): a step can be queued before the one it
// follows has committed. PostgreSQL does not implement it: its steps
// commit on separate connections in no order between them.
//
// QueueStep queues step and returns once it is queued, before it commits
// (memstore: once applied); q, made by NewQueuedStep, then says how it
// ended (Wait), once the step is durable, as CommitStep would return. A
// step queued after QueueStep has returned for another is applied after
// it, and a commit that makes it durable makes every step queued before
// it durable too.
// A step whose q was made by NewDeferredStep (a claim's ActivityStarted,
// which the worker holding the task does not wait for) may wait up to
// the store's DeferWindow for other steps to share its commit, instead of
// starting one of its own at once; a step queued behind it that is not
// deferred starts that commit at once.
// With after set (a step queued earlier on this store), step is applied
// only if after was: if after failed, was dropped, or its transaction
// did not commit, step is refused with ErrConflict, whatever its Seq says.
// Seq alone could not tell: another copy of the execution may have made a
// different step at after's Seq meanwhile.
type StepQueue interface {
	QueueStep(ctx context.Context, step StepParams, after, q *QueuedStep)
}

// QueuedStep is a step queued with StepQueue.QueueStep.
type QueuedStep struct {
	done chan struct{}
	err  error
	// applied is the store's writer's own: whether the step's writes are
	// in the transaction that is committing or has committed. Only the
	// writer reads and writes it.
	applied bool
	then    []func(error)
	// deferred: see NewDeferredStep.
	deferred bool
}

// DeferWindow is how long a store that queues steps may hold a deferred
// step (NewDeferredStep) for company before committing it alone: long
// enough for a worker in the server's own process to read the task it
// was handed before the commit takes a core (on 2 cores the commit's
// 100-180 µs of CPU otherwise ran first), short beside a task's run.
const DeferWindow = 2 * time.Millisecond

// NewQueuedStep makes a step's handle for StepQueue.QueueStep.
func NewQueuedStep() *QueuedStep { return &QueuedStep{done: make(chan struct{})} }

// NewDeferredStep makes the handle of a step nobody waits for at once,
// whose commit may wait up to DeferWindow for other steps to share it
// (StepQueue).
func NewDeferredStep() *QueuedStep {
	return &QueuedStep{done: make(chan struct{}), deferred: true}
}

// Deferred tells whether q was made by NewDeferredStep; a nil q is not.
func (q *QueuedStep) Deferred() bool { return q != nil && q.deferred }

// Then adds f, to be called with the step's outcome before Wait returns
// it, on the store's goroutine (f must not block); for a store wrapping
// another, before it passes q on.
func (q *QueuedStep) Then(f func(error)) { q.then = append(q.then, f) }

// Finish records how the step ended; for StepQueue's implementations,
// once.
func (q *QueuedStep) Finish(err error) {
	for _, f := range q.then {
		f(err)
	}
	q.then = nil
	q.err = err
	close(q.done)
}

// SetApplied and Applied are for the store's writer, which alone calls
// them: whether the step's writes are in a transaction that is committing
// or has committed.
func (q *QueuedStep) SetApplied(ok bool) { q.applied = ok }

// Applied: see SetApplied. A nil step counts as applied.
func (q *QueuedStep) Applied() bool { return q == nil || q.applied }

// Wait returns the step's outcome once it has one: nil once it is durable.
func (q *QueuedStep) Wait() error {
	<-q.done
	return q.err
}

// Done is closed when the step has its outcome (Err).
func (q *QueuedStep) Done() <-chan struct{} { return q.done }

// Err is the step's outcome; only after Done is closed.
func (q *QueuedStep) Err() error { return q.err }
