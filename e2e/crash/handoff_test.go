package crash

// Two windows of the activity hand-off that random kills hit only now and
// then, made deterministic: the engine on the SQLite store in process.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/sqlite"
)

const handoffDef = `{"StartAt": "Work", "States": {"Work": {"Type": "Task",
	"Resource": "arn:aws:states:us-east-1:123456789012:activity:crash-work", "End": true}}}`

func handoffMachine(t *testing.T, st store.Store) *store.StateMachine {
	t.Helper()
	sm := &store.StateMachine{Arn: "arn:aws:states:us-east-1:123456789012:stateMachine:handoff", Name: "handoff",
		Type: "STANDARD", Definition: handoffDef, RoleArn: role, Status: "ACTIVE", CreatedAt: time.Now()}
	if err := st.CreateStateMachine(t.Context(), sm); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatal(err)
	}
	return sm
}

// oneInput is the input both tests start their execution with.
func oneInput(t *testing.T) *engine.Input {
	t.Helper()
	in, err := engine.ParseInput(`{"i":1}`)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func quietEngine(st store.Store) *engine.Engine {
	return engine.New(st, engine.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// countEvents counts an execution's events of one type.
func countEvents(t *testing.T, st store.Store, arn, typ string) int {
	t.Helper()
	evs, err := st.History(t.Context(), store.HistoryParams{ExecutionArn: arn, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// cancelOnClaim ends the poller's context as soon as its claim of a task
// has committed: the worker gave up its GetActivityTask just then.
type cancelOnClaim struct {
	*sqlite.Store
	cancel context.CancelFunc
}

func (s *cancelOnClaim) CommitStep(ctx context.Context, step store.StepParams) error {
	err := s.Store.CommitStep(ctx, step)
	if err == nil && len(step.ClaimTasks) > 0 && s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	return err
}

// A poller that goes away while it is being handed a task must not take
// the task with it: the next poller gets it. A task of an execution this
// server started is handed out before its claim commits, so its poller
// can only have gone by then (cancelled before it polls); one of an
// execution started before a restart is handed out once its claim has
// committed, and its poller goes away just then.
func TestHandOffToVanishedPoller(t *testing.T) {
	for _, tc := range []struct {
		name    string
		restart bool // the execution was started by the server before
	}{
		{"handed out before the claim commits", false},
		{"handed out once the claim has committed", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			base, err := sqlite.Open(filepath.Join(t.TempDir(), "db"), sqlite.DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer base.Close()
			st := &cancelOnClaim{Store: base}
			eng := quietEngine(st)
			rec, err := eng.StartExecution(ctx, handoffMachine(t, st), "x", oneInput(t), "")
			if err != nil {
				t.Fatal(err)
			}
			act := activityArn(workActivity)

			pctx, pcancel := context.WithCancel(ctx)
			defer pcancel()
			if tc.restart {
				eng = quietEngine(st)
				st.cancel = pcancel
			} else {
				pcancel()
			}
			if got, err := eng.GetActivityTask(pctx, act, "gone", time.Second); got != nil {
				t.Fatalf("GetActivityTask for a poller that had gone = %+v, %v; want no task", got, err)
			}
			got, err := eng.GetActivityTask(ctx, act, "next", time.Second)
			if err != nil || got == nil {
				t.Fatalf("the next poller got %+v, %v: the task handed to the poller that had gone is lost", got, err)
			}
			if err := eng.SendTaskSuccess(ctx, got.Token, `{"ok":true}`); err != nil {
				t.Fatal(err)
			}
			end, err := base.GetExecution(ctx, rec.Arn)
			if err != nil || end.Status != "SUCCEEDED" {
				t.Fatalf("execution = %+v, %v; want SUCCEEDED", end, err)
			}
			if n := countEvents(t, base, rec.Arn, "ActivityStarted"); n != 1 {
				t.Errorf("%d ActivityStarted events, want 1", n)
			}
		})
	}
}

// A task claimed by a server that was then killed (say before its answer
// reached the worker) is handed out again by the next server, and either
// delivery can complete it, once.
func TestClaimedTaskHandedOutAgainAfterRestart(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "db")
	st1, err := sqlite.Open(path, sqlite.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	eng1 := quietEngine(st1)
	rec, err := eng1.StartExecution(ctx, handoffMachine(t, st1), "x", oneInput(t), "")
	if err != nil {
		t.Fatal(err)
	}
	act := activityArn(workActivity)
	first, err := eng1.GetActivityTask(ctx, act, "w1", time.Second)
	if err != nil || first == nil {
		t.Fatalf("GetActivityTask = %+v, %v", first, err)
	}
	st1.Close() // the server is gone; what it committed stays

	st2, err := sqlite.Open(path, sqlite.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	eng2 := quietEngine(st2)
	again, err := eng2.GetActivityTask(ctx, act, "w2", time.Second)
	if err != nil || again == nil {
		t.Fatalf("after the restart GetActivityTask = %+v, %v: the claimed task is stranded", again, err)
	}
	if again.Token != first.Token {
		t.Fatalf("handed out %s, want the claimed task %s", again.Token, first.Token)
	}
	if err := eng2.SendTaskSuccess(ctx, first.Token, `{"by":"w1"}`); err != nil {
		t.Fatalf("the first worker's answer: %v", err)
	}
	if err := eng2.SendTaskSuccess(ctx, again.Token, `{"by":"w2"}`); !errors.Is(err, engine.ErrTaskTimedOut) {
		t.Fatalf("the second delivery's answer: %v, want %v", err, engine.ErrTaskTimedOut)
	}
	end, err := st2.GetExecution(ctx, rec.Arn)
	if err != nil || end.Status != "SUCCEEDED" || end.Output != `{"by":"w1"}` {
		t.Fatalf("execution = %+v, %v; want SUCCEEDED with the first answer", end, err)
	}
	if n := countEvents(t, st2, rec.Arn, "ActivityStarted"); n != 1 {
		t.Errorf("%d ActivityStarted events, want 1", n)
	}
}

// killBeforeClaim stands for a server killed after it handed a task to
// its poller and before the claim's commit (ActivityStarted) reached the
// disk: the claim's step waits until killed, then is lost.
type killBeforeClaim struct {
	*sqlite.Store
	handed, killed chan struct{}
}

// QueueStep is the claim's other way to the disk: on this store of one
// node the engine queues a claim's step (store.StepQueue) and the
// worker's answer behind it. The claim's step is held, then lost, in the
// same way; the other steps are queued as they come.
func (s *killBeforeClaim) QueueStep(ctx context.Context, step store.StepParams, after, q *store.QueuedStep) {
	if len(step.ClaimTasks) > 0 {
		close(s.handed)
		go func() {
			<-s.killed
			q.Finish(errors.New("killed before the claim reached the disk"))
		}()
		return
	}
	s.Store.QueueStep(ctx, step, after, q)
}

func (s *killBeforeClaim) CommitStep(ctx context.Context, step store.StepParams) error {
	if len(step.ClaimTasks) > 0 {
		close(s.handed)
		<-s.killed
		return errors.New("killed before the claim committed")
	}
	return s.Store.CommitStep(ctx, step)
}

// A task is handed to its poller before its claim commits; should the
// server die in between, the next server hands the same task out again
// (same token), the first worker's answer is still accepted, once, and
// the history repeats nothing and lacks nothing: the first worker may
// also answer before anyone polls again, and its answer then records the
// ActivityStarted the lost claim did not.
func TestKilledBetweenHandOffAndClaimCommit(t *testing.T) {
	for _, pollAgain := range []bool{true, false} {
		t.Run(fmt.Sprintf("polled again %v", pollAgain), func(t *testing.T) {
			killedBetweenHandOffAndClaimCommit(t, pollAgain)
		})
	}
}

func killedBetweenHandOffAndClaimCommit(t *testing.T, pollAgain bool) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "db")
	base, err := sqlite.Open(path, sqlite.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st1 := &killBeforeClaim{Store: base, handed: make(chan struct{}), killed: make(chan struct{})}
	eng1 := quietEngine(st1)
	rec, err := eng1.StartExecution(ctx, handoffMachine(t, st1), "x", oneInput(t), "")
	if err != nil {
		t.Fatal(err)
	}
	act := activityArn(workActivity)
	// The claim's commit cannot happen before the kill: the task the
	// poller gets was handed out before it.
	first, err := eng1.GetActivityTask(ctx, act, "w1", time.Second)
	if err != nil || first == nil {
		t.Fatalf("GetActivityTask = %+v, %v; want the task before its claim commits", first, err)
	}
	<-st1.handed
	base.Close() // the kill: nothing more reaches the disk
	close(st1.killed)

	st2, err := sqlite.Open(path, sqlite.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if n := countEvents(t, st2, rec.Arn, "ActivityStarted"); n != 0 {
		t.Fatalf("%d ActivityStarted events committed; the claim should have been lost", n)
	}
	eng2 := quietEngine(st2)
	var again *store.Task
	if pollAgain {
		again, err = eng2.GetActivityTask(ctx, act, "w2", time.Second)
		if err != nil || again == nil {
			t.Fatalf("after the restart GetActivityTask = %+v, %v: the task handed out before the kill is lost", again, err)
		}
		if again.Token != first.Token {
			t.Fatalf("handed out %s, want the same task %s", again.Token, first.Token)
		}
	}
	if err := eng2.SendTaskSuccess(ctx, first.Token, `{"by":"w1"}`); err != nil {
		t.Fatalf("the first worker's answer: %v", err)
	}
	if again != nil {
		if err := eng2.SendTaskSuccess(ctx, again.Token, `{"by":"w2"}`); !errors.Is(err, engine.ErrTaskTimedOut) {
			t.Fatalf("the second delivery's answer: %v, want %v", err, engine.ErrTaskTimedOut)
		}
	}
	end, err := st2.GetExecution(ctx, rec.Arn)
	if err != nil || end.Status != "SUCCEEDED" || end.Output != `{"by":"w1"}` {
		t.Fatalf("execution = %+v, %v; want SUCCEEDED with the first answer", end, err)
	}
	evs, err := st2.History(ctx, store.HistoryParams{ExecutionArn: rec.Arn, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, ev := range evs {
		if ev.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i+1, ev.ID)
		}
		types = append(types, ev.Type)
	}
	want := "[ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded]"
	if got := fmt.Sprint(types); got != want {
		t.Errorf("history %s, want %s", got, want)
	}
}
