package engine

import (
	"container/list"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/taskport"
)

// Errors the API maps to Step Functions errors.
var (
	ErrExecutionAlreadyExists = errors.New("execution already exists")
	ErrExecutionDoesNotExist  = errors.New("execution does not exist")
	ErrInvalidToken           = errors.New("invalid task token")
	ErrTaskTimedOut           = errors.New("the task token has either expired or the task associated with the token has already been closed")
	ErrInvalidOutput          = errors.New("invalid output")
	ErrInvalidDefinition      = errors.New("invalid definition")
	ErrInvalidInput           = errors.New("invalid execution input")

	// errNotRunning and errIgnored are internal: the event had no effect.
	errNotRunning = errors.New("execution is not running")
	errIgnored    = errors.New("event ignored")
	// errNotQueued: the answer's claim is not queued on the copy found
	// (applyOnce's follows); the answer takes the ordinary path.
	errNotQueued = errors.New("claim not queued on this copy")
)

// Options configure an Engine.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
	// MaxLive bounds the executions kept in memory; the least recently used
	// are dropped and replayed from the store when next needed.
	MaxLive int
	// Workers bounds how many timer firings are applied at once.
	Workers int
	// SkipValidation runs definitions the engine has not seen through
	// asl.Parse only, not asl.Validate (the checks CreateStateMachine
	// makes, which the API has already applied to what it stores). For
	// benchmarks and tests of shapes the validator refuses on purpose,
	// such as the shared W3 workload with Retry IntervalSeconds 0, the way
	// its peer figures were taken; never set it behind the API.
	SkipValidation bool
	// NodeID names this node in a cluster of nodes sharing a
	// store.Cluster; "" picks a random one. Address is where it serves
	// the API, for the cluster's view. ShardLease is how long its shard
	// leases last (DefaultShardLease when 0): a node that dies has its
	// shards taken over after about that long. PollInterval bounds how
	// long a node waiting for work on a shared store goes without reading
	// it (DefaultPollInterval when 0). All are ignored on a store that is
	// not shared, which has one node.
	NodeID       string
	Address      string
	ShardLease   time.Duration
	PollInterval time.Duration
	// Tasks runs the Task resources the engine does not run itself (it
	// runs activities and nested executions): local functions, HTTP
	// tasks, and the call of a .waitForTaskToken callback. Nil fails such
	// tasks with Statecraft.ResourceNotSupported, except callbacks, which
	// then only wait for their token.
	Tasks taskport.Port
	// Items reads the items of Distributed Maps with an ItemReader: its
	// requests have Resource interp.ItemReaderResource and answer with
	// the items. It also exports the results of those with a ResultWriter
	// (Resource interp.ResultWriterResource), answering with the
	// manifest's bucket and key. Nil fails such Maps with
	// States.ItemReaderFailed (States.ResultWriterFailed), naming the
	// setting that configures an object store.
	Items taskport.Port
	// ExpressLimit is how long an Express child of a Distributed Map
	// (ExecutionType EXPRESS) may run: 0 means AWS's 5 minutes
	// (ExpressMaxDuration). Only tests, which cannot wait that long, set
	// it.
	ExpressLimit time.Duration
	// AssumeRole decides whether an execution may run a task under the
	// role its Task state's Credentials name, and answers the account the
	// task then runs in (auth.Keyring.AssumeRole). Nil fails every task
	// with Credentials: no role can be assumed. AWS service integrations
	// (taskport.RoleAssumedByPort) do not ask it: their port assumes the
	// role through STS.
	AssumeRole func(role, executionArn, machineRole string) (account string, err error)
}

// Engine runs executions. Create one with New, then call Run.
type Engine struct {
	st   store.Store
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	live     map[string]*live
	lru      *list.List
	machines map[string]*machinePair
	queues   map[string]*activityQueue // activity ARN -> its pollers and known tasks
	claiming map[string]*pendingClaim  // task tokens this node's pollers are claiming, until the claim's commit ends
	done     map[string][]chan struct{}
	inflight map[store.Timer]bool
	invoking map[string]bool // task tokens whose invocation runs in this process
	// afterEndFails counts the refused tries of each write an ended
	// execution owes (afterend.go), by execution and Ref.
	afterEndFails map[string]int
	express       map[string]*expressRun
	children      map[string]*expressRun // EXPRESS children by their parent's task token

	wake     chan struct{}
	sem      chan struct{}
	stopping chan struct{} // closed when Run ends: long polls return at once
	stopOnce sync.Once
	// alive ends with Run, and with it every EXPRESS execution (they
	// live in this process only).
	alive context.Context
	stop  context.CancelFunc

	counters counters // for Stats

	cl *cluster // nil unless the store is a store.Cluster
	// sq is the store as a store.StepQueue, on a store of one node that
	// queues steps (handsOutEarly); nil otherwise. A claim's step is then
	// queued and the execution left unlocked before it commits, and its
	// answer queued behind it (queueClaim).
	sq store.StepQueue
}

type live struct {
	mu     sync.Mutex
	arn    string
	parent string // the parent task's token for a nested execution
	x      *interp.Execution
	seq    int64
	seed   uint64
	sm     string // the state machine's ARN, for the billed-transition counters
	billed int64  // transitions committed so far
	elem   *list.Element
	gone   bool // evicted: reload before use
	// exact is set on a copy that has made every step of its execution
	// (started here, not replayed); armed is then every kind of task
	// timer its steps have added, so ending a task deletes only those
	// kinds (none for an activity without TimeoutSeconds or
	// HeartbeatSeconds) instead of trying all four. Kinds, not refs: a
	// byte per execution, whatever it waits for.
	exact bool
	armed timerKinds
	// started: the step that started the execution has committed. A copy
	// is kept before that commit, which may still fail (Done).
	started atomic.Bool
	// pending is a claim's step queued on the store (Engine.sq) and
	// applied to this copy before it has committed (queueClaim);
	// pendingToken is its task's token. Every step built on this copy
	// while it is set is queued behind it, and refused with it (commit).
	pending      *store.QueuedStep
	pendingToken string
}

// timerKinds is a set of task timer kinds.
type timerKinds uint8

const (
	armedTask timerKinds = 1 << iota
	armedHeartbeat
	armedNested
	armedInvoke
	armedAll = armedTask | armedHeartbeat | armedNested | armedInvoke
)

// arm records that a step adds a task timer of kind.
func (l *live) arm(kind string) {
	switch kind {
	case store.TimerTask:
		l.armed |= armedTask
	case store.TimerHeartbeat:
		l.armed |= armedHeartbeat
	case store.TimerNested:
		l.armed |= armedNested
	case store.TimerInvoke:
		l.armed |= armedInvoke
	}
}

// taskTimers are the timers a task of ref may have, to delete when it ends.
func (l *live) taskTimers(ref int64) []store.Timer {
	armed := l.armed
	if !l.exact {
		armed = armedAll
	}
	var out []store.Timer
	for _, k := range [...]struct {
		bit  timerKinds
		kind string
	}{{armedTask, store.TimerTask}, {armedHeartbeat, store.TimerHeartbeat}, {armedNested, store.TimerNested}, {armedInvoke, store.TimerInvoke}} {
		if armed&k.bit != 0 {
			out = append(out, store.Timer{ExecutionArn: l.arn, Ref: ref, Kind: k.kind})
		}
	}
	return out
}

// machinePair holds one definition's machines: live records history for
// STANDARD executions, replay rebuilds them silently, express runs EXPRESS
// executions in memory (no history, and no history-event limit, as on AWS).
type machinePair struct {
	live, replay, express *interp.Machine
}

// New creates an engine on st.
func New(st store.Store, opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.MaxLive <= 0 {
		opts.MaxLive = 10000
	}
	if opts.Workers <= 0 {
		opts.Workers = 64
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	alive, stop := context.WithCancel(context.Background())
	var cl *cluster
	if c, ok := st.(store.Cluster); ok {
		cl = newCluster(c, opts)
	}
	e := &Engine{
		cl:       cl,
		alive:    alive,
		stop:     stop,
		express:  map[string]*expressRun{},
		children: map[string]*expressRun{},
		st:       st,
		opts:     opts,
		log:      opts.Log,
		live:     map[string]*live{},
		lru:      list.New(),
		machines: map[string]*machinePair{},
		queues:   map[string]*activityQueue{},
		claiming: map[string]*pendingClaim{},
		done:     map[string][]chan struct{}{},
		inflight: map[store.Timer]bool{},
		wake:     make(chan struct{}, 1),
		stopping: make(chan struct{}),
		sem:      make(chan struct{}, opts.Workers),
	}
	if sq, ok := st.(store.StepQueue); ok && e.handsOutEarly() {
		e.sq = sq
	}
	return e
}

func (e *Engine) now() time.Time { return e.opts.Now().UTC() }

// machine returns the parsed definition, cached by its text.
func (e *Engine) machine(def string) (*machinePair, error) {
	e.mu.Lock()
	mp, ok := e.machines[def]
	e.mu.Unlock()
	if ok {
		return mp, nil
	}
	if !e.opts.SkipValidation {
		if problems := asl.Validate([]byte(def), asl.ValidateOptions{}); len(problems) > 0 {
			return nil, fmt.Errorf("%w: %s", ErrInvalidDefinition, problems[0].String())
		}
	}
	sm, err := asl.Parse([]byte(def))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDefinition, err)
	}
	opts := interp.Options{History: true, MaxEvents: interp.DefaultMaxEvents, ExpressChildLimit: e.opts.ExpressLimit}
	mp = &machinePair{live: interp.New(sm, opts)}
	opts.History = false
	mp.replay = interp.New(sm, opts)
	mp.express = interp.New(sm, interp.Options{ExpressChildLimit: e.opts.ExpressLimit})
	e.mu.Lock()
	if len(e.machines) > 1000 {
		e.machines = map[string]*machinePair{}
	}
	e.machines[def] = mp
	e.mu.Unlock()
	return mp, nil
}

func randomSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	s := binary.LittleEndian.Uint64(b[:])
	if s == 0 {
		s = 1
	}
	return s
}

// info builds the interpreter's view of an execution; replay must build
// exactly the same.
func (e *Engine) info(rec *store.Execution, input any, seed uint64) interp.Info {
	smName := rec.StateMachineArn[strings.LastIndex(rec.StateMachineArn, ":")+1:]
	return interp.Info{
		ExecutionArn:     rec.Arn,
		Name:             rec.Name,
		StateMachineArn:  rec.StateMachineArn,
		StateMachineName: smName,
		RoleArn:          rec.RoleArn,
		Region:           regionOf(rec.Arn),

		StateMachineVersionArn: rec.StateMachineVersionArn,
		StateMachineAliasArn:   rec.StateMachineAliasArn,
		StartTime:              rec.StartedAt,
		Input:                  input,
		TaskToken:              taskTokenFunc(rec.Arn, seed),
	}
}

// taskTokenFunc binds an execution's ARN and seed, and nothing else: a
// closure over the whole stored record would keep it alive for as long as
// the execution stays in memory.
func taskTokenFunc(arn string, seed uint64) func(int64) string {
	return func(ref int64) string { return TaskToken(arn, ref, seed) }
}

// TaskToken is the token of task ref of an execution: the execution and ref
// in the clear (so a closed task can be told from a forged token) and a
// hash keyed by the execution's secret seed.
func TaskToken(executionArn string, ref int64, seed uint64) string {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(executionArn))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(ref, 10)))
	sum := h.Sum(nil)
	head := base64.RawURLEncoding.EncodeToString([]byte(executionArn + "\x00" + strconv.FormatInt(ref, 10)))
	return head + "." + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// TokenExecution is the ARN of the execution a task token was issued
// for, as the token says (not proof that the token is genuine).
func TokenExecution(token string) (string, bool) {
	arn, _, ok := parseToken(token)
	return arn, ok
}

// parseToken splits a token into its execution and ref.
func parseToken(token string) (string, int64, bool) {
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return "", 0, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "", 0, false
	}
	arn, refText, ok := strings.Cut(string(raw), "\x00")
	if !ok {
		return "", 0, false
	}
	ref, err := strconv.ParseInt(refText, 10, 64)
	if err != nil {
		return "", 0, false
	}
	return arn, ref, true
}

// StartExecution starts a STANDARD execution (of a version, with
// Through). Starting again with the same name and input while the first is
// running returns the first (AWS's idempotency); otherwise a used name is
// ErrExecutionAlreadyExists.
func (e *Engine) StartExecution(ctx context.Context, sm *store.StateMachine, name string, input *Input, traceHeader string, opts ...StartOption) (*store.Execution, error) {
	return e.startExecution(ctx, sm, name, input, traceHeader, "", opts...)
}

func (e *Engine) startExecution(ctx context.Context, sm *store.StateMachine, name string, input *Input, traceHeader, parentToken string, opts ...StartOption) (*store.Execution, error) {
	sm, o := runs(sm, opts)
	execArn := arn.Execution(sm.Arn, name)
	// A name already used is found by the store's insert, which refuses it
	// (ErrAlreadyExists, answered below), not by a read first: that read
	// was a transaction of its own for every start.
	mp, err := e.machine(sm.Definition)
	if err != nil {
		return nil, err
	}
	now := e.now().Truncate(time.Millisecond)
	rec := &store.Execution{
		Arn:             execArn,
		StateMachineArn: sm.Arn,
		Name:            name,
		Definition:      sm.Definition,
		RoleArn:         sm.RoleArn,
		Input:           input.Text,
		Status:          "RUNNING",
		TraceHeader:     traceHeader,
		ParentToken:     parentToken,
		Seed:            randomSeed(),
		StartedAt:       now,

		StateMachineVersionArn: o.versionArn(),
		StateMachineAliasArn:   o.aliasArn,
	}
	x, cmds := mp.live.Start(e.info(rec, input.Value, rec.Seed), now, rec.Seed)
	l := &live{arn: execArn, x: x, seed: rec.Seed, parent: parentToken, sm: sm.Arn, exact: true}
	step := e.buildStep(l, nil, cmds)
	// Kept, and locked, before the commit that makes the execution
	// visible, until finishStep is done: whoever finds its task in the
	// store (a poller reading it) then waits for this copy rather than
	// load one of its own. A copy kept after the commit could be stale:
	// a poller's copy may have taken steps meanwhile, even ended the
	// execution and left memory, and the dispatch hands tasks out before
	// their claim commits only from a copy known to be current (claim).
	l.mu.Lock()
	kept := x.Status == interp.Running && !e.idle(l, cmds) && e.keep(l) == l
	if err := e.st.StartExecution(ctx, store.StartExecutionParams{Execution: rec, Step: step}); err != nil {
		if kept {
			e.evict(execArn)
		}
		l.gone = true
		l.mu.Unlock()
		if errors.Is(err, store.ErrAlreadyExists) {
			if prev, err2 := e.st.GetExecution(ctx, execArn); err2 == nil && prev.Status == "RUNNING" && prev.Input == input.Text {
				return prev, nil
			}
			return nil, ErrExecutionAlreadyExists
		}
		return nil, err
	}
	l.started.Store(true)
	e.counters.started.Add(1)
	e.countStep(l, &step)
	x.ClearHistory()
	woke := e.finishStep(l, cmds, step.AddTasks)
	l.mu.Unlock()
	if woke {
		yieldToPoller()
	}
	return rec, nil
}

// idleAfter is how far off the next timer of an execution that waits on
// timers alone must be for the engine to drop it from memory once its
// step commits. Such an execution is replayed from the store when its
// timer fires, which costs about a step's reads; kept, it costs a few KB
// of memory for as long as it waits (an hour's Wait, a day's), which at a
// million waiting executions is gigabytes. Under this, the replay would
// cost more than the memory saves.
const idleAfter = 30 * time.Second

// idle tells whether an execution that has just committed a step should
// leave memory: it waits on timers only, and the timers this step armed
// are all at least idleAfter away. (A timer armed by an earlier step may
// be nearer; dropping the execution then costs one replay, no more.)
func (e *Engine) idle(l *live, cmds []interp.Command) bool {
	if !l.x.TimersOnly() {
		return false
	}
	soon := e.now().Add(idleAfter)
	armed := false
	for _, c := range cmds {
		if c.Kind == interp.StartTimer {
			if c.Due.Before(soon) {
				return false
			}
			armed = true
		}
	}
	return armed
}

// keep puts an execution into the in-memory set, dropping the least
// recently used beyond MaxLive, and returns the copy kept: l, or the copy
// of the same execution kept before it (l is then gone).
func (e *Engine) keep(l *live) *live {
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.live[l.arn]; ok {
		// The first copy kept wins: every copy is made from the store
		// after the step that made it worth keeping, so the one kept is
		// as new as l, and may have moved on since. Two copies both
		// taking steps would each be stale to the other.
		if old != l {
			l.gone = true
		}
		e.lru.MoveToFront(old.elem)
		return old
	}
	e.live[l.arn] = l
	l.elem = e.lru.PushFront(l)
	for e.lru.Len() > e.opts.MaxLive {
		back := e.lru.Back()
		v := back.Value.(*live)
		e.lru.Remove(back)
		delete(e.live, v.arn)
		v.gone = true
	}
	return l
}

func (e *Engine) evict(arn string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l, ok := e.live[arn]; ok {
		e.lru.Remove(l.elem)
		delete(e.live, arn)
		l.gone = true
	}
}

// acquire returns the execution locked, loading it when it is not in
// memory.
func (e *Engine) acquire(ctx context.Context, arn string) (*live, error) {
	for {
		e.mu.Lock()
		l, ok := e.live[arn]
		if ok {
			e.lru.MoveToFront(l.elem)
		}
		e.mu.Unlock()
		if !ok {
			var err error
			l, err = e.load(ctx, arn)
			if err != nil {
				return nil, err
			}
			l = e.keep(l) // or the copy someone else loaded first
		}
		l.mu.Lock()
		if !l.gone {
			return l, nil
		}
		l.mu.Unlock()
	}
}

// load rebuilds an execution by replaying its inputs.
func (e *Engine) load(ctx context.Context, arn string) (*live, error) {
	rec, err := e.st.GetExecution(ctx, arn)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrExecutionDoesNotExist
		}
		return nil, err
	}
	if rec.Status != "RUNNING" {
		return nil, errNotRunning
	}
	return e.replay(ctx, rec)
}

// replay rebuilds the execution rec describes, running or ended, from its
// stored inputs.
func (e *Engine) replay(ctx context.Context, rec *store.Execution) (*live, error) {
	arn := rec.Arn
	mp, err := e.machine(rec.Definition)
	if err != nil {
		return nil, err
	}
	in, err := jsonv.ParseString(rec.Input)
	if err != nil {
		return nil, err
	}
	x, _ := mp.replay.Start(e.info(rec, in, rec.Seed), rec.StartedAt, rec.Seed)
	inputs, err := e.st.Inputs(ctx, arn)
	if err != nil {
		return nil, err
	}
	for _, raw := range inputs {
		if raw.Seq > rec.Seq {
			// Committed after rec was read (a step of a copy loaded by
			// another caller): replay the state rec describes, so the
			// checks below hold; that copy is the one acquire keeps.
			break
		}
		ev, err := decodeInput(raw.Body)
		if err != nil {
			return nil, fmt.Errorf("execution %s input %d: %w", arn, raw.Seq, err)
		}
		x.Apply(ev)
	}
	if x.EventCount() != rec.Events {
		return nil, fmt.Errorf("execution %s: replay produced %d events, the store holds %d", arn, x.EventCount(), rec.Events)
	}
	x.SetHistory(true)
	return &live{arn: arn, x: x, seq: rec.Seq, seed: rec.Seed, parent: rec.ParentToken, sm: rec.StateMachineArn, billed: x.Transitions}, nil
}

// apply feeds one event to an execution and commits the step. A conflict
// means another engine node moved the execution on: the stale copy is
// dropped, and the event is applied once more to the state replayed from
// the store.
func (e *Engine) apply(ctx context.Context, arn string, ev interp.Event, claim *store.TaskClaim) error {
	return e.applyFenced(ctx, arn, ev, claim, store.Fence{})
}

// applyFenced is apply for a write made on a shard's behalf (a timer
// firing): the step carries the shard's fence, and the store refuses it
// with ErrFenced when another node has taken the shard.
func (e *Engine) applyFenced(ctx context.Context, arn string, ev interp.Event, claim *store.TaskClaim, fence store.Fence) error {
	return e.applyTries(ctx, arn, ev, claim, fence, nil)
}

// applyTries is applyFenced with applyOnce's out.
func (e *Engine) applyTries(ctx context.Context, arn string, ev interp.Event, claim *store.TaskClaim, fence store.Fence, out handOut) error {
	// On one node a conflict means this copy was behind a step of the
	// same process (rare: one retry); on a shared store, other nodes'
	// steps (a Map's iterations answered through different nodes) can
	// overtake it several times in a row, each retry replaying the
	// execution from the store.
	tries := 2
	if e.cl != nil {
		tries = 16
	}
	var err error
	for range tries {
		err = e.applyOnce(ctx, arn, ev, claim, fence, out, "")
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	return err
}

// handOut is given to applyOnce with a claim by a poller that may have its
// task before the claim commits (claim). applyOnce calls it, under the
// execution's lock, once the claim's step is built, with commit, which
// commits the step and then unlocks the execution (or, for a claim's step
// queued by queueClaim, the execution already unlocked, waits for the
// commit and drops the copy if it failed). handOut either runs
// commit on a goroutine of its own and returns nil, the task being the
// poller's from then on, or calls commit and returns what it returns.
type handOut func(l *live, commit func() error) error

// applyOnce applies one event in one committed step. With a claim (a
// TaskStarted for a poller) the same commit claims the task, so a task is
// never recorded as started without being handed out; the claim fails
// with ErrConflict when another poller has the task. out, when set, may
// let the poller have the task while the commit runs (see claim); the
// execution stays locked until the commit ends.
//
// follows, when set, is the token of a task whose claim's step must be
// queued on the copy found (queueClaim): the event (its answer) is then
// built on that copy and queued behind the claim. errNotQueued when the
// copy has no such claim pending.
func (e *Engine) applyOnce(ctx context.Context, arn string, ev interp.Event, claim *store.TaskClaim, fence store.Fence, out handOut, follows string) error {
	l, err := e.acquire(ctx, arn)
	if err != nil {
		return err
	}
	locked := true // until out takes the unlock over
	defer func() {
		if locked {
			l.mu.Unlock()
		}
	}()
	if follows != "" && (l.pending == nil || l.pendingToken != follows || !l.exact) {
		return errNotQueued
	}
	x := l.x
	if x.Status != interp.Running {
		return errNotRunning
	}
	ev.Time = e.now()
	ev.Seed = randomSeed()
	cmds := x.Apply(ev)
	if len(x.History) == 0 && len(cmds) == 0 && !x.HasMapRunChanges() && !x.HasQuietChange() && x.Status == interp.Running {
		if claim != nil {
			// ActivityStarted is already recorded: a task queued again
			// after a restart, or one another poller has just claimed.
			// The claim alone is the step, if the task is still queued.
			if t, err := e.st.GetTask(ctx, claim.Token); err != nil || t.Started {
				return errIgnored // closed, or claimed: nothing to retry
			}
			err := e.commit(ctx, l, store.StepParams{ExecutionArn: l.arn, Seq: l.seq, ClaimTasks: []store.TaskClaim{*claim}})
			if errors.Is(err, store.ErrConflict) {
				if rec, gerr := e.st.GetExecution(ctx, arn); gerr == nil && rec.Seq != l.seq {
					l.gone = true
					e.evict(arn)
				}
			}
			return err
		}
		// Ignored: stale, or this copy is behind another engine node's
		// steps. Only the store can tell, and only this rare path asks it,
		// once a claim's step this copy has applied ahead of the store
		// has ended (queueClaim).
		if q := l.pending; q != nil && q.Wait() != nil {
			l.gone = true
			e.evict(arn)
			return store.ErrConflict
		}
		if rec, err := e.st.GetExecution(ctx, arn); err == nil && rec.Seq != l.seq {
			l.gone = true
			e.evict(arn)
			return store.ErrConflict
		}
		return errIgnored
	}
	step := e.buildStep(l, &ev, cmds)
	step.Fence = fence
	if claim != nil {
		step.ClaimTasks = []store.TaskClaim{*claim}
		if out != nil {
			locked = false
			claimed := step // only this copy escapes to the closure
			if e.sq != nil && e.current(l) {
				q := e.queueClaim(ctx, l, &claimed, cmds, claim.Token)
				l.mu.Unlock()
				return out(l, func() error { return e.claimCommitted(l, q) })
			}
			return out(l, func() error {
				defer l.mu.Unlock()
				_, err := e.commitApplied(ctx, l, &claimed, cmds)
				return err
			})
		}
	}
	woke, err := e.commitApplied(ctx, l, &step, cmds)
	if woke {
		locked = false
		l.mu.Unlock()
		yieldToPoller()
	}
	return err
}

// commitApplied commits the step applyOnce built, l locked, and acts on
// it. woke: the step handed a task to a waiting poller (finishStep).
func (e *Engine) commitApplied(ctx context.Context, l *live, step *store.StepParams, cmds []interp.Command) (woke bool, err error) {
	if err := e.commit(ctx, l, *step); err != nil {
		// Memory ran ahead of the store: forget it, the store is the truth.
		l.gone = true
		e.evict(l.arn)
		return false, err
	}
	woke = e.stepDone(l, step, cmds)
	if l.x.Status == interp.Running && e.idle(l, cmds) {
		e.evict(l.arn)
	}
	return woke, nil
}

// commit commits a step built on l, l locked: on a copy with a claim's
// step pending, queued behind it, and refused (ErrConflict) if it fails.
func (e *Engine) commit(ctx context.Context, l *live, step store.StepParams) error {
	q := l.pending
	if q == nil {
		return e.st.CommitStep(ctx, step)
	}
	select {
	case <-q.Done():
		if q.Err() != nil {
			return store.ErrConflict // this copy ran ahead of the store
		}
		l.pending, l.pendingToken = nil, ""
		return e.st.CommitStep(ctx, step)
	default:
	}
	next := store.NewQueuedStep()
	e.sq.QueueStep(ctx, step, q, next)
	return next.Wait()
}

// current tells whether l is a copy known to be current: one this
// process started (exact) and still keeps, every step of the execution
// having gone through it. evict marks a copy gone under e.mu.
func (e *Engine) current(l *live) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return l.exact && !l.gone
}

// queueClaim queues a claim's step, built on l (locked, current), on the
// store (e.sq) and applies it to l at once, as if committed: the
// execution can be unlocked before the commit, and the task's answer,
// built on top of the claim, queued right behind it (complete), instead
// of waiting for the claim's commit to build its own. The store applies
// the two in order, the answer only if the claim was applied, and one
// fsync makes both durable; the answer's caller is answered only then.
// Until claimCommitted has seen the commit, every step built on l is
// queued behind the claim's (commit). Should it fail, l is dropped
// (claimCommitted) and every step queued behind it refused.
func (e *Engine) queueClaim(ctx context.Context, l *live, step *store.StepParams, cmds []interp.Command, token string) *store.QueuedStep {
	after := l.pending
	if after != nil {
		select {
		case <-after.Done():
			if after.Err() == nil {
				after = nil
			}
		default:
		}
	}
	// Nobody waits for the claim's commit but a step queued behind it,
	// which starts that commit at once: the store may hold it a moment
	// for company (store.NewDeferredStep), so a worker in this process
	// reads its task before the commit takes a core.
	q := store.NewDeferredStep()
	e.sq.QueueStep(ctx, *step, after, q)
	l.pending, l.pendingToken = q, token
	e.stepDone(l, step, cmds)
	return q
}

// stepDone moves l past a step it applied, committed or (queueClaim)
// queued: the next Seq, the step counted, its events handed back to the
// interpreter (they are encoded in step), and what it asks for done
// (finishStep, whose woke it returns).
func (e *Engine) stepDone(l *live, step *store.StepParams, cmds []interp.Command) bool {
	l.seq++
	e.countStep(l, step)
	l.x.ClearHistory()
	return e.finishStep(l, cmds, step.AddTasks)
}

// claimCommitted waits for a claim's step queued by queueClaim. On failure
// the copy, which applied it, is dropped: the steps queued behind it are
// refused, and the next reads the store. Its pending mark is cleared when
// the copy is free (a step holding it clears it itself, commit).
func (e *Engine) claimCommitted(l *live, q *store.QueuedStep) error {
	err := q.Wait()
	if err != nil {
		// Under l's lock, as commitApplied does: acquire reads gone
		// under it.
		l.mu.Lock()
		l.gone = true
		e.evict(l.arn)
		if l.pending == q {
			l.pending, l.pendingToken = nil, ""
		}
		l.mu.Unlock()
		return err
	}
	if l.mu.TryLock() {
		if l.pending == q {
			l.pending, l.pendingToken = nil, ""
		}
		l.mu.Unlock()
	}
	return nil
}

// yieldToPoller is called, with no lock held, by a goroutine that has just
// handed a task to a poller waiting in GetActivityTask. The poller was made
// ready on this goroutine's core, where the scheduler keeps it (in a slot
// other cores take from only after a while) until this goroutine blocks:
// after the rest of its own call, an HTTP response to encode and write.
// Yielding lets the poller run first, so the waiting worker gets its task
// before whoever called the step that queued it gets an answer.
func yieldToPoller() { runtime.Gosched() }

// eventBodyHint is the room buildStep makes per history event body;
// larger ones cost a reallocation, as every body's growth from nothing did.
const eventBodyHint = 384

// buildStep turns what the interpreter produced into one store step.
func (e *Engine) buildStep(l *live, ev *interp.Event, cmds []interp.Command) store.StepParams {
	x := l.x
	sp := store.StepParams{ExecutionArn: l.arn, Seq: l.seq, Transitions: x.Transitions}
	if ev != nil {
		sp.Input = encodeInput(*ev)
	}
	if n := len(x.History); n > 0 {
		// The step's bodies share one buffer, sized for typical events,
		// instead of each growing its own from nothing. A body is capped
		// at its end, so appending the next never touches it, and one
		// left behind by a reallocation keeps its old array.
		sp.Events = make([]store.Event, 0, n)
		buf := make([]byte, 0, n*eventBodyHint)
		for i := range x.History {
			h := &x.History[i]
			start := len(buf)
			buf = h.AppendJSON(buf)
			sp.Events = append(sp.Events, store.Event{ID: h.ID, Type: h.Type, Timestamp: h.Timestamp, Body: buf[start:len(buf):len(buf)]})
		}
	}
	e.mapRunRows(l, &sp)
	now := e.now()
	if ev != nil {
		switch ev.Kind {
		case interp.TaskSucceeded, interp.TaskFailed, interp.TaskTimedOut:
			sp.CloseTasks = append(sp.CloseTasks, TaskToken(l.arn, ev.Ref, l.seed))
			sp.DeleteTimers = append(sp.DeleteTimers, l.taskTimers(ev.Ref)...)
		case interp.TimerFired:
			sp.DeleteTimers = append(sp.DeleteTimers, store.Timer{ExecutionArn: l.arn, Ref: ev.Ref, Kind: store.TimerState})
		}
	}
	for _, c := range cmds {
		switch c.Kind {
		case interp.RunTask:
			t := c.Task
			kind := e.kindOf(t, l.arn, l.x.Info.RoleArn)
			if kind == kindOther || kind == kindCallback || kind == kindItems {
				// Same outbox as nested executions: the invocation survives a
				// crash between this commit and running it.
				sp.AddTasks = append(sp.AddTasks, store.Task{
					Token:        TaskToken(l.arn, c.Ref, l.seed),
					ExecutionArn: l.arn,
					Ref:          c.Ref,
					Input:        invokeTaskInput(t),
					CreatedAt:    now,
				})
				sp.AddTimers = append(sp.AddTimers, store.Timer{ExecutionArn: l.arn, Ref: c.Ref, Kind: store.TimerInvoke, Due: now})
			}
			if kind == kindNested {
				// The task row and a timer due now are the durable outbox:
				// firing the timer starts the child (idempotently) and keeps
				// watching it until this task has its result.
				sp.AddTasks = append(sp.AddTasks, store.Task{
					Token:        TaskToken(l.arn, c.Ref, l.seed),
					ExecutionArn: l.arn,
					Ref:          c.Ref,
					Input:        nestedTaskInput(t.Resource, t.Input, t.RoleArn),
					CreatedAt:    now,
				})
				sp.AddTimers = append(sp.AddTimers, store.Timer{ExecutionArn: l.arn, Ref: c.Ref, Kind: store.TimerNested, Due: now})
			}
			if kind == kindActivity {
				task := store.Task{
					Token:            TaskToken(l.arn, c.Ref, l.seed),
					ExecutionArn:     l.arn,
					Ref:              c.Ref,
					Input:            jsonv.String(t.Input),
					HeartbeatSeconds: t.HeartbeatSeconds,
					CreatedAt:        now,
				}
				task.ActivityArn = t.Resource
				sp.AddTasks = append(sp.AddTasks, task)
			}
			if t.TimeoutSeconds > 0 {
				sp.AddTimers = append(sp.AddTimers, store.Timer{ExecutionArn: l.arn, Ref: c.Ref, Kind: store.TimerTask, Due: now.Add(time.Duration(t.TimeoutSeconds) * time.Second)})
			}
			if t.HeartbeatSeconds > 0 {
				sp.AddTimers = append(sp.AddTimers, store.Timer{ExecutionArn: l.arn, Ref: c.Ref, Kind: store.TimerHeartbeat, Due: now.Add(time.Duration(t.HeartbeatSeconds) * time.Second)})
			}
		case interp.StartTimer:
			sp.AddTimers = append(sp.AddTimers, store.Timer{ExecutionArn: l.arn, Ref: c.Ref, Kind: store.TimerState, Due: c.Due})
		case interp.WriteAfterEnd:
			// The end's Final keeps this timer: it is the durable record
			// of the write the end owes (afterend.go).
			sp.AddTimers = append(sp.AddTimers, store.Timer{ExecutionArn: l.arn, Ref: c.Ref, Kind: store.TimerAfterEnd, Due: now})
		case interp.Cancel:
			sp.DeleteTimers = append(sp.DeleteTimers, store.Timer{ExecutionArn: l.arn, Ref: c.Ref, Kind: store.TimerState})
			sp.DeleteTimers = append(sp.DeleteTimers, l.taskTimers(c.Ref)...)
			sp.CloseTasks = append(sp.CloseTasks, TaskToken(l.arn, c.Ref, l.seed))
		}
	}
	if x.Status != interp.Running {
		f := &store.Final{Status: string(x.Status), Error: x.Error, HasError: x.HasError, Cause: x.Cause, HasCause: x.HasCause, StoppedAt: now}
		if x.Status == interp.Succeeded {
			f.Output = jsonv.String(x.Output)
		}
		sp.Final = f
	}
	for _, t := range sp.AddTimers {
		l.arm(t.Kind)
	}
	return sp
}

// finishStep acts on a committed step: wakes pollers and the scheduler,
// runs what this server runs itself, and reports finished executions.
// woke: it handed a task to a waiting poller.
func (e *Engine) finishStep(l *live, cmds []interp.Command, added []store.Task) (woke bool) {
	var timers bool
	for _, c := range cmds {
		switch c.Kind {
		case interp.RunTask:
			// The committed rows say whether the task was queued on its
			// activity (kindOf decided it when the step was built).
			var t *store.Task
			for i := range added {
				if added[i].Ref == c.Ref && added[i].ActivityArn != "" {
					t = new(added[i])
					break
				}
			}
			kind := taskKind(c.Task.Resource, l.arn)
			if t != nil {
				kind = kindActivity
			} else if kind == kindActivity {
				kind = kindOther
			}
			switch kind {
			case kindActivity:
				if e.notifyActivity(c.Task.Resource, t) {
					woke = true
				} else {
					// No poller here took it: tell the other nodes'.
					e.publish(store.ChannelActivity, c.Task.Resource)
				}
			case kindNested:
				timers = true
			default:
				timers = true
			}
			if c.Task.TimeoutSeconds > 0 || c.Task.HeartbeatSeconds > 0 {
				timers = true
			}
		case interp.StartTimer, interp.WriteAfterEnd:
			timers = true
		}
	}
	if timers {
		e.kick()
		if e.cl != nil {
			// The shard's owner fires its timers: wake it, unless it is
			// this node.
			if shard := store.ShardOf(l.arn, e.cl.c.ShardCount()); !e.cl.holds(shard, time.Now()) {
				e.publish(store.ChannelTimers, strconv.Itoa(shard))
			}
		}
	}
	if l.x.Status != interp.Running {
		if l.parent != "" {
			go e.reportToParent(context.Background(), l.arn)
		}
		e.evict(l.arn)
		e.mu.Lock()
		chans := e.done[l.arn]
		delete(e.done, l.arn)
		e.mu.Unlock()
		for _, ch := range chans {
			close(ch)
		}
	}
	return woke
}

// publish tells other engine nodes on a shared store, when the store can.
func (e *Engine) publish(channel, payload string) {
	n, ok := e.st.(store.Notifier)
	if !ok {
		return
	}
	if err := n.Notify(context.Background(), channel, payload); err != nil {
		e.log.Warn("notifying other nodes", "channel", channel, "err", err)
	}
}

// listen wakes this node's pollers and timer loop for other nodes' work.
func (e *Engine) listen(ctx context.Context) {
	n, ok := e.st.(store.Notifier)
	if !ok {
		return
	}
	go func() {
		err := n.Listen(ctx, func(channel, payload string) {
			switch channel {
			case store.ChannelActivity:
				e.notifyActivity(payload, nil)
			case store.ChannelTimers:
				if shard, err := strconv.Atoi(payload); err != nil || e.cl == nil || e.cl.holds(shard, time.Now()) {
					e.kick()
				}
			}
		})
		if err != nil && ctx.Err() == nil {
			e.log.Error("listening for other nodes", "err", err)
		}
	}()
}

func (e *Engine) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Done returns a channel closed when the execution has ended (at once when
// it has already ended or does not exist).
func (e *Engine) Done(ctx context.Context, arn string) <-chan struct{} {
	ch := make(chan struct{})
	e.mu.Lock()
	e.done[arn] = append(e.done[arn], ch)
	// A copy this process started and still keeps, on a store it has to
	// itself, has made every step of the execution: once its start has
	// committed it is running, and its end, which evicts it before
	// closing the channels registered, will close ch. No read is needed
	// to know it has not ended.
	l, kept := e.live[arn]
	running := kept && l.exact && !l.gone && l.started.Load() && e.handsOutEarly()
	e.mu.Unlock()
	if running {
		return ch
	}
	if rec, err := e.st.GetExecution(ctx, arn); err != nil || rec.Status != "RUNNING" {
		// Close it only if it is still registered: an execution that
		// ended meanwhile has closed (and removed) it already.
		e.mu.Lock()
		chans := e.done[arn]
		registered := false
		for i, c := range chans {
			if c == ch {
				e.done[arn] = append(chans[:i], chans[i+1:]...)
				registered = true
				break
			}
		}
		if len(e.done[arn]) == 0 {
			delete(e.done, arn)
		}
		e.mu.Unlock()
		if registered {
			close(ch)
		}
	}
	return ch
}

// foreignResource tells whether a resource ARN names an account or region
// other than the execution's: an execution reaches only its own account's
// resources in its own region.
func foreignResource(resource, executionArn string) bool {
	return !arn.SameScope(resource, executionArn)
}

func regionOf(s string) string {
	a, _ := arn.Parse(s)
	return a.Region
}
