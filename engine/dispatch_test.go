package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

// countingNext counts the engine's reads of queued tasks.
type countingNext struct {
	store.Store
	mu    sync.Mutex
	reads int
}

func (c *countingNext) NextTasks(ctx context.Context, p store.NextTasksParams) ([]*store.Task, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Store.NextTasks(ctx, p)
}

func (c *countingNext) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// Tasks queued while no poller waits go to later pollers oldest first,
// from the engine's hints: once the store has been found empty, no poller
// reads it again.
func TestDispatchFromHints(t *testing.T) {
	st := &countingNext{Store: memstore.New()}
	h := newHarness(t, st)
	sm := h.machine(activityMachine(""))
	ctx := context.Background()
	// A first poll finds the store empty, which is what lets later
	// pollers trust the hints.
	if task, err := h.eng.GetActivityTask(ctx, actArn, "w", time.Millisecond); err != nil || task != nil {
		t.Fatalf("first poll = %+v, %v; want nothing", task, err)
	}
	reads := st.count()
	var arns []string
	for i := range 5 {
		rec, err := h.eng.StartExecution(ctx, sm, fmt.Sprint("e", i), input(fmt.Sprintf(`{"i":%d}`, i)), "")
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, rec.Arn)
	}
	for i := range 5 {
		task, err := h.eng.GetActivityTask(ctx, actArn, "w", time.Second)
		if err != nil || task == nil {
			t.Fatalf("poll %d: %+v, %v", i, task, err)
		}
		if task.ExecutionArn != arns[i] || !task.Started || task.WorkerName != "w" {
			t.Fatalf("poll %d got %+v, want the task of %s", i, task, arns[i])
		}
		if err := h.eng.SendTaskSuccess(ctx, task.Token, `{}`); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.count() - reads; n != 0 {
		t.Errorf("pollers read the store %d times; the hints should have served them", n)
	}
	for _, arn := range arns {
		if rec := h.wait(arn); rec.Status != "SUCCEEDED" {
			t.Errorf("%s: %s", arn, rec.Status)
		}
	}
}

// Tasks this node has no hint of, queued before it started (by an engine
// that has gone), are found in the store.
func TestDispatchFromStoreAfterRestart(t *testing.T) {
	st := memstore.New()
	first := newHarness(t, st)
	sm := first.machine(activityMachine(""))
	ctx := context.Background()
	rec, err := first.eng.StartExecution(ctx, sm, "before", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	first.stop()
	second := newHarness(t, st)
	task, err := second.eng.GetActivityTask(ctx, actArn, "w", time.Second)
	if err != nil || task == nil || task.ExecutionArn != rec.Arn {
		t.Fatalf("the new engine's poller got %+v, %v; want the task queued before it started", task, err)
	}
	if err := second.eng.SendTaskSuccess(ctx, task.Token, `{}`); err != nil {
		t.Fatal(err)
	}
	if got := second.wait(rec.Arn); got.Status != "SUCCEEDED" {
		t.Fatalf("status %s", got.Status)
	}
}

// Many pollers and many tasks: every task is handed out exactly once, and
// none waits for a long poll to expire (the polls would time out first).
func TestDispatchManyPollers(t *testing.T) {
	h := newHarness(t, memstore.New())
	sm := h.machine(activityMachine(""))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n, pollers = 200, 16
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range pollers {
		wg.Go(func() {
			for ctx.Err() == nil {
				task, err := h.eng.GetActivityTask(ctx, actArn, fmt.Sprint("w", w), time.Minute)
				if err != nil || task == nil {
					if ctx.Err() == nil {
						t.Errorf("poller %d: %+v, %v", w, task, err)
					}
					return
				}
				mu.Lock()
				seen[task.Token]++
				mu.Unlock()
				if err := h.eng.SendTaskSuccess(context.Background(), task.Token, `{}`); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var arns []string
	for i := range n {
		rec, err := h.eng.StartExecution(context.Background(), sm, fmt.Sprint("m", i), input(`{}`), "")
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, rec.Arn)
	}
	for _, arn := range arns {
		if rec := h.wait(arn); rec.Status != "SUCCEEDED" {
			t.Errorf("%s: %s", arn, rec.Status)
		}
	}
	cancel()
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d distinct tasks handed out, want %d", len(seen), n)
	}
	for tok, k := range seen {
		if k != 1 {
			t.Errorf("task %s handed out %d times", tok, k)
		}
	}
}

// gatedClaims holds the commits of claims until gate is closed; failFor's
// claims then fail, as commits that never reach the disk.
type gatedClaims struct {
	store.Store
	gate    chan struct{}
	failFor string
}

func (s *gatedClaims) CommitStep(ctx context.Context, step store.StepParams) error {
	if len(step.ClaimTasks) > 0 {
		<-s.gate
		if step.ClaimTasks[0].WorkerName == s.failFor {
			return errors.New("the disk went away")
		}
	}
	return s.Store.CommitStep(ctx, step)
}

// On a store of its own the engine hands a task to its poller before the
// claim commits; the worker's answer and heartbeat wait for that commit,
// so the history is in order. A claim that never commits leaves the task
// queued: the next poller gets it, same token, and the first worker's
// answer is still accepted, once.
func TestHandOutBeforeClaimCommits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		failFor string // the worker whose claim never commits
		again   bool   // another poller gets the task before w1 answers
	}{
		{"claim commits", "", false},
		{"claim never commits, handed out again", "w1", true},
		// The answer itself records ActivityStarted, which the lost
		// claim did not.
		{"claim never commits, answered first", "w1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &gatedClaims{Store: memstore.New(), gate: make(chan struct{}), failFor: tc.failFor}
			h := newHarness(t, st)
			sm := h.machine(activityMachine(`"HeartbeatSeconds":600,`))
			ctx := context.Background()
			rec, err := h.eng.StartExecution(ctx, sm, "x", input(`{}`), "")
			if err != nil {
				t.Fatal(err)
			}
			// The claim's commit is held (or fails), so the poll can only
			// return before it has committed.
			task, err := h.eng.GetActivityTask(ctx, actArn, "w1", time.Minute)
			if err != nil || task == nil || !task.Started || task.WorkerName != "w1" {
				t.Fatalf("GetActivityTask = %+v, %v", task, err)
			}
			var second *store.Task
			if tc.failFor != "" {
				close(st.gate)
			}
			if tc.again {
				second, err = h.eng.GetActivityTask(ctx, actArn, "w2", time.Minute)
				if err != nil || second == nil || second.Token != task.Token {
					t.Fatalf("the next poller got %+v, %v; want the task again, token %s", second, err, task.Token)
				}
			}
			beat := make(chan error, 1)
			answered := make(chan error, 1)
			go func() {
				beat <- h.eng.SendTaskHeartbeat(ctx, task.Token)
				answered <- h.eng.SendTaskSuccess(ctx, task.Token, `{"by":"w1"}`)
			}()
			if tc.failFor == "" {
				close(st.gate)
			}
			if err := <-beat; err != nil {
				t.Fatalf("the first worker's heartbeat: %v", err)
			}
			if err := <-answered; err != nil {
				t.Fatalf("the first worker's answer: %v", err)
			}
			if second != nil {
				if err := h.eng.SendTaskSuccess(ctx, second.Token, `{"by":"w2"}`); !errors.Is(err, ErrTaskTimedOut) {
					t.Fatalf("the second delivery's answer: %v, want %v", err, ErrTaskTimedOut)
				}
			}
			wantW1Answered(t, h, rec.Arn)
		})
	}
}

// gatedQueue is a store that queues steps (store.StepQueue): it holds a
// claim's step, and every step queued after it, until release; with
// fail, the claim's step then fails, as a commit that never reaches the
// disk. behind gets each step queued behind a held claim; refused counts
// the steps the store refused because the step they follow was not
// applied.
type gatedQueue struct {
	*memstore.Store
	fail    bool
	behind  chan store.StepParams
	mu      sync.Mutex
	open    bool
	held    []func()
	refused atomic.Int32
}

func (s *gatedQueue) QueueStep(ctx context.Context, step store.StepParams, after, q *store.QueuedStep) {
	s.mu.Lock()
	if !s.open && (len(step.ClaimTasks) > 0 || len(s.held) > 0) {
		if len(s.held) > 0 {
			s.behind <- step
		}
		s.held = append(s.held, func() { s.pass(ctx, step, after, q) })
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.pass(ctx, step, after, q)
}

func (s *gatedQueue) pass(ctx context.Context, step store.StepParams, after, q *store.QueuedStep) {
	if s.fail && len(step.ClaimTasks) > 0 {
		q.Finish(errors.New("the disk went away"))
		return
	}
	q.Then(func(err error) {
		if after != nil && errors.Is(err, store.ErrConflict) {
			s.refused.Add(1)
		}
	})
	s.Store.QueueStep(ctx, step, after, q)
}

func (s *gatedQueue) release() {
	s.mu.Lock()
	s.open = true
	held := s.held
	s.held = nil
	s.mu.Unlock()
	for _, f := range held {
		f()
	}
}

// On a store that queues steps, a worker's answer to a task handed out
// before its claim committed is built on top of the claim and queued
// right behind it, without waiting for its commit; it returns once both
// have committed. If the claim fails, the store refuses the answer, which
// then records the missing ActivityStarted and its result, once.
func TestAnswerQueuedBehindClaim(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprint("claim fails=", fail), func(t *testing.T) {
			st := &gatedQueue{Store: memstore.New(), fail: fail, behind: make(chan store.StepParams, 16)}
			h := newHarness(t, st)
			sm := h.machine(activityMachine(""))
			ctx := context.Background()
			rec, err := h.eng.StartExecution(ctx, sm, "x", input(`{}`), "")
			if err != nil {
				t.Fatal(err)
			}
			task, err := h.eng.GetActivityTask(ctx, actArn, "w1", time.Minute)
			if err != nil || task == nil || !task.Started {
				t.Fatalf("GetActivityTask = %+v, %v", task, err)
			}
			answered := make(chan error, 1)
			go func() { answered <- h.eng.SendTaskSuccess(ctx, task.Token, `{"by":"w1"}`) }()
			select {
			case step := <-st.behind:
				if len(step.CloseTasks) != 1 || step.CloseTasks[0] != task.Token {
					t.Fatalf("queued behind the claim: %+v; want the answer", step)
				}
			case err := <-answered:
				t.Fatalf("answered (%v) while its claim was held", err)
			case <-time.After(10 * time.Second):
				t.Fatal("the answer was not queued behind its held claim")
			}
			select {
			case err := <-answered:
				t.Fatalf("answered (%v) before its claim committed", err)
			case <-time.After(10 * time.Millisecond):
			}
			st.release()
			if err := <-answered; err != nil {
				t.Fatalf("the answer: %v", err)
			}
			if n, want := st.refused.Load(), map[bool]int32{false: 0, true: 1}[fail]; n != want {
				t.Errorf("%d steps refused behind a claim not applied, want %d", n, want)
			}
			wantW1Answered(t, h, rec.Arn)
		})
	}
}

// jitterStore delays claims' commits, store reads of queued tasks and
// the answers of starts by random short spells, so that claims handed
// out before their commit overlap the other ways a poller finds a task.
type jitterStore struct{ store.Store }

func jitter() { time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond) }

func (s *jitterStore) CommitStep(ctx context.Context, step store.StepParams) error {
	if len(step.ClaimTasks) > 0 {
		jitter()
	}
	return s.Store.CommitStep(ctx, step)
}

// StartExecution answers late: a poller reading the store may find the
// new execution's task before the engine that started it has gone on.
func (s *jitterStore) StartExecution(ctx context.Context, p store.StartExecutionParams) error {
	err := s.Store.StartExecution(ctx, p)
	jitter()
	return err
}

func (s *jitterStore) NextTasks(ctx context.Context, p store.NextTasksParams) ([]*store.Task, error) {
	jitter()
	return s.Store.NextTasks(ctx, p)
}

// Every task is handed out exactly once, with no crash, however pollers
// find it: handed from the step that queued it, from the hints, from the
// store (tasks queued before a restart, and reads forced while claims are
// still committing), by pollers whose long polls keep ending and starting
// again. Run it many times (-count) when touching dispatch.
//
// With QueueStep, claims' steps are queued (store.StepQueue) and commit
// late, one by one in queue order, and answers are queued behind them.
func TestDispatchStressExactlyOnce(t *testing.T) {
	t.Run("CommitStep", func(t *testing.T) {
		dispatchStress(t, &jitterStore{Store: memstore.New()})
	})
	t.Run("QueueStep", func(t *testing.T) {
		m := memstore.New()
		st := &jitterQueue{jitterStore: jitterStore{Store: m}, sq: m, ops: make(chan func(), 1024)}
		go st.run()
		defer close(st.ops)
		dispatchStress(t, st)
	})
}

// jitterQueue is a jitterStore that queues steps (store.StepQueue): they
// commit one at a time, in queue order, each after a random short spell.
type jitterQueue struct {
	jitterStore
	sq  store.StepQueue
	ops chan func()
}

func (s *jitterQueue) QueueStep(ctx context.Context, step store.StepParams, after, q *store.QueuedStep) {
	s.ops <- func() { s.sq.QueueStep(ctx, step, after, q) }
}

func (s *jitterQueue) run() {
	for op := range s.ops {
		jitter()
		op()
	}
}

func dispatchStress(t *testing.T, st store.Store) {
	first := newHarness(t, st)
	const before, after, pollers = 60, 240, 24
	sm := first.machine(`{"StartAt":"T1","States":{
		"T1":{"Type":"Task","Resource":"` + actArn + `","Next":"T2"},
		"T2":{"Type":"Task","Resource":"` + actArn + `","End":true}}}`)
	var arns []string
	for i := range before {
		rec, err := first.eng.StartExecution(context.Background(), sm, fmt.Sprint("before-", i), input(`{}`), "")
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, rec.Arn)
	}
	first.stop() // the next engine has no hint of these
	h := newHarness(t, st)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range pollers {
		wg.Go(func() {
			for ctx.Err() == nil {
				// Short polls: pollers keep leaving and coming back.
				wait := time.Duration(1+rand.IntN(20)) * time.Millisecond
				task, err := h.eng.GetActivityTask(ctx, actArn, fmt.Sprint("w", w), wait)
				if err != nil {
					t.Errorf("poller %d: %v", w, err)
					return
				}
				if task == nil {
					continue
				}
				mu.Lock()
				seen[task.Token]++
				mu.Unlock()
				if rand.IntN(4) == 0 {
					if err := h.eng.SendTaskHeartbeat(context.Background(), task.Token); err != nil {
						t.Errorf("heartbeat: %v", err)
					}
				}
				if err := h.eng.SendTaskSuccess(context.Background(), task.Token, `{}`); err != nil {
					t.Errorf("answer of %s: %v", task.Token, err)
				}
			}
		})
	}
	// Store reads forced at random: as if another path had found the
	// store may hold tasks without a hint.
	wg.Go(func() {
		for ctx.Err() == nil {
			h.eng.notifyActivity(actArn, nil)
			jitter()
		}
	})
	var started sync.WaitGroup
	var amu sync.Mutex
	for s := range 4 {
		started.Go(func() {
			for i := s; i < after; i += 4 {
				rec, err := h.eng.StartExecution(context.Background(), sm, fmt.Sprint("after-", i), input(`{}`), "")
				if err != nil {
					t.Error(err)
					return
				}
				amu.Lock()
				arns = append(arns, rec.Arn)
				amu.Unlock()
			}
		})
	}
	started.Wait()
	for _, arn := range arns {
		if rec := h.wait(arn); rec.Status != "SUCCEEDED" {
			t.Errorf("%s: %s", arn, rec.Status)
		}
	}
	cancel()
	wg.Wait()
	if len(seen) != 2*len(arns) {
		t.Errorf("%d distinct tasks handed out, want %d", len(seen), 2*len(arns))
	}
	for tok, k := range seen {
		if k != 1 {
			t.Errorf("task %s handed out %d times", tok, k)
		}
	}
	for _, arn := range arns {
		n := 0
		for _, typ := range h.types(arn) {
			if typ == "ActivityStarted" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%s: %d ActivityStarted events, want 2", arn, n)
		}
	}
}

// wantW1Answered checks that the one-activity execution arn succeeded with
// worker w1's answer, its task started and answered once.
func wantW1Answered(t *testing.T, h *harness, arn string) {
	t.Helper()
	end := h.wait(arn)
	if end.Status != "SUCCEEDED" || end.Output != `{"result":{"by":"w1"}}` {
		t.Fatalf("execution = %s %s; want SUCCEEDED with w1's answer", end.Status, end.Output)
	}
	got := fmt.Sprint(h.types(arn))
	want := "[ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded]"
	if got != want {
		t.Errorf("history %s, want %s", got, want)
	}
}
