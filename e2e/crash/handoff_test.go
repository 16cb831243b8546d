package crash

// Two windows of the activity hand-off that random kills hit only now and
// then, made deterministic: the engine on the SQLite store in process.

import (
	"context"
	"errors"
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
// the task with it: the next poller gets it.
func TestHandOffToVanishedPoller(t *testing.T) {
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
	st.cancel = pcancel
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
