package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/statecraft/statecraft/store"
)

// exerciseTasks checks the task queue: reading it, claiming from it by
// steps, and counting it.
func exerciseTasks(t *testing.T, open func(*testing.T) store.Store) {
	run(t, open, []test{
		{"Claim", testTasksClaim},
		{"GetTask", testTasksGetTask},
		{"Queued", testTasksQueued},
	})
}

// claimNext claims the oldest queued task of an activity in a step of its
// execution that adds no input (so Seq stays seq), the way the engine
// hands a task to a poller; nil when none is queued.
func claimNext(t *testing.T, s store.Store, seq int64, activity, worker string) *store.Task {
	t.Helper()
	next, err := s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: activity, Limit: 1})
	must(t, "NextTasks", err)
	if len(next) == 0 {
		return nil
	}
	c := next[0]
	must(t, "claim", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: c.ExecutionArn, Seq: seq,
		ClaimTasks: []store.TaskClaim{{Token: c.Token, WorkerName: worker}}}))
	return c
}

func testTasksClaim(t *testing.T, s store.Store) {
	const act, otherAct = "arn:aws:states:us-east-1:123456789012:activity:act", "arn:aws:states:us-east-1:123456789012:activity:other"
	next, err := s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: act, Limit: 10})
	must(t, "NextTasks on empty", err)
	if len(next) != 0 {
		t.Fatalf("NextTasks on empty = %+v", next)
	}
	e := start(t, s, "x", at(0), 0)
	task := func(tok, activity string, created int) store.Task {
		return store.Task{Token: tok, ExecutionArn: e.Arn, Ref: int64(created), ActivityArn: activity,
			Input: `{"tok":"` + tok + `"}`, HeartbeatSeconds: 30, CreatedAt: at(created)}
	}
	// Added out of age order; t3 and t3b tie on age and go in the order
	// added. Started tasks, other activities' tasks and callbacks are
	// never listed.
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTasks: []store.Task{
			task("t3", act, 3), task("t1", act, 1), task("cb", "", 0), task("o", otherAct, 0),
			task("t3b", act, 3), task("t2", act, 2),
		},
	}))
	tokens := func(ts []*store.Task) (out []string) {
		for _, x := range ts {
			out = append(out, x.Token)
		}
		return out
	}
	next, err = s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: act, Limit: 3})
	must(t, "NextTasks", err)
	if got := fmt.Sprint(tokens(next)); got != "[t1 t2 t3]" {
		t.Errorf("NextTasks(3) = %s, want [t1 t2 t3]", got)
	}
	if x := next[0]; x.ExecutionArn != e.Arn || x.ActivityArn != act || x.Input != `{"tok":"t1"}` ||
		x.HeartbeatSeconds != 30 || x.Started || x.Ref != 1 {
		t.Errorf("NextTasks[0] = %+v", x)
	}
	checkTime(t, "NextTasks CreatedAt", next[0].CreatedAt, at(1))
	// Listing claims nothing.
	next, err = s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: act, Limit: 10})
	must(t, "NextTasks again", err)
	if got := fmt.Sprint(tokens(next)); got != "[t1 t2 t3 t3b]" {
		t.Errorf("NextTasks(10) = %s, want [t1 t2 t3 t3b]", got)
	}
	for _, want := range []string{"t1", "t2", "t3", "t3b"} {
		got := claimNext(t, s, 2, act, "worker-"+want)
		if got == nil || got.Token != want {
			t.Fatalf("claimed %+v, want %s", got, want)
		}
		stored, err := s.GetTask(ctxT(t), want)
		must(t, "GetTask claimed", err)
		if !stored.Started || stored.WorkerName != "worker-"+want {
			t.Errorf("claimed task stored as %+v", stored)
		}
	}
	if got := claimNext(t, s, 2, act, "w"); got != nil {
		t.Errorf("all claimed, yet %s was listed", got.Token)
	}
	next, err = s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: "", Limit: 10})
	must(t, "NextTasks of callbacks", err)
	if len(next) != 0 {
		t.Errorf("NextTasks listed callbacks: %v", tokens(next))
	}
	if got := claimNext(t, s, 2, otherAct, "w2"); got == nil || got.Token != "o" {
		t.Errorf("claimed other = %+v", got)
	}

	// A claim of a task that is claimed, closed, unknown or another
	// execution's fails with ErrConflict and writes nothing of its step.
	other := start(t, s, "y", at(0), 0)
	must(t, "CommitStep other", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: other.Arn, Seq: 1, Input: []byte("1"),
		AddTasks: []store.Task{{Token: "y1", Ref: 1, ActivityArn: act, Input: "{}", CreatedAt: at(9)}}}))
	must(t, "CommitStep close", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"),
		AddTasks: []store.Task{task("fresh", act, 20), task("gone", act, 21)}}))
	must(t, "CommitStep close", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Input: []byte("3"), CloseTasks: []string{"gone"}}))
	for _, tok := range []string{"t1", "gone", "nope", "y1"} {
		err := s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 4, Input: []byte("4"),
			Events:     []store.Event{{ID: 1, Type: "ActivityStarted", Timestamp: at(30), Body: []byte("{}")}},
			ClaimTasks: []store.TaskClaim{{Token: "fresh", WorkerName: "w"}, {Token: tok, WorkerName: "w"}}})
		checkErr(t, "claim of "+tok, err, store.ErrConflict)
	}
	if x, err := s.GetTask(ctxT(t), "fresh"); err != nil || x.Started {
		t.Errorf("a failed claim step claimed fresh: %+v, %v", x, err)
	}
	if got, err := s.GetExecution(ctxT(t), e.Arn); err != nil || got.Seq != 4 {
		t.Errorf("a failed claim step moved Seq: %+v, %v", got, err)
	}

	// Concurrent claims, each poller listing then claiming, hand each
	// task out once.
	var tasks []store.Task
	for i := range 20 {
		tasks = append(tasks, task(fmt.Sprintf("c%02d", i), act, 100+i))
	}
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 4, Input: []byte("4"), AddTasks: tasks,
	}))
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for {
				next, err := s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: act, Limit: 4})
				if err != nil {
					t.Error(err)
					return
				}
				var mine []*store.Task
				for _, x := range next {
					if x.ExecutionArn == e.Arn && strings.HasPrefix(x.Token, "c") {
						mine = append(mine, x)
					}
				}
				if len(mine) == 0 {
					return
				}
				c := mine[w%len(mine)]
				err = s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 5,
					ClaimTasks: []store.TaskClaim{{Token: c.Token, WorkerName: fmt.Sprint("w", w)}}})
				if errors.Is(err, store.ErrConflict) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[c.Token]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Errorf("concurrent claims handed out %d distinct tasks, want 20", len(seen))
	}
	for tok, n := range seen {
		if n != 1 {
			t.Errorf("task %s handed out %d times", tok, n)
		}
	}
}

func testTasksGetTask(t *testing.T, s store.Store) {
	_, err := s.GetTask(ctxT(t), "unknown")
	checkErr(t, "GetTask unknown", err, store.ErrNotFound)
	e := start(t, s, "x", at(0), 0)
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTasks: []store.Task{{Token: "tok", ExecutionArn: e.Arn, Ref: 5, Input: `{"a":1}`, CreatedAt: at(1)}},
	}))
	got, err := s.GetTask(ctxT(t), "tok")
	must(t, "GetTask", err)
	if got.Token != "tok" || got.Ref != 5 || got.Input != `{"a":1}` || got.Started {
		t.Errorf("GetTask = %+v", got)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, at(1))
	must(t, "CommitStep close", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"), CloseTasks: []string{"tok"},
	}))
	_, err = s.GetTask(ctxT(t), "tok")
	checkErr(t, "GetTask closed", err, store.ErrNotFound)
}

func testTasksQueued(t *testing.T, s store.Store) {
	const act, otherAct = "arn:aws:states:us-east-1:123456789012:activity:act", "arn:aws:states:us-east-1:123456789012:activity:other"
	queued := func(what string, want map[string]int64) {
		t.Helper()
		got, err := s.QueuedTasks(ctxT(t))
		must(t, "QueuedTasks", err)
		if len(got) != len(want) {
			t.Errorf("%s: QueuedTasks = %v, want %v", what, got, want)
			return
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: QueuedTasks = %v, want %v", what, got, want)
				return
			}
		}
	}
	queued("empty store", map[string]int64{})
	e := start(t, s, "x", at(0), 0)
	task := func(tok, activity string, created int) store.Task {
		return store.Task{Token: tok, ExecutionArn: e.Arn, Ref: int64(created), ActivityArn: activity, Input: "{}", CreatedAt: at(created)}
	}
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTasks: []store.Task{task("a1", act, 1), task("a2", act, 2), task("a3", act, 3), task("o1", otherAct, 1), task("cb", "", 1)},
	}))
	queued("added", map[string]int64{act: 3, otherAct: 1})

	// A claimed task leaves the queue; a task claimed and handed back (closed
	// and added again unstarted in one step) joins it again.
	if got := claimNext(t, s, 2, act, "w"); got == nil || got.Token != "a1" {
		t.Fatalf("claimed %+v, want a1", got)
	}
	queued("one claimed", map[string]int64{act: 2, otherAct: 1})
	got := claimNext(t, s, 2, otherAct, "w")
	if got == nil {
		t.Fatal("nothing claimed of the other activity")
	}
	queued("other claimed", map[string]int64{act: 2})
	back := *got
	back.Started, back.WorkerName = false, ""
	must(t, "hand back", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, CloseTasks: []string{got.Token}, AddTasks: []store.Task{back}}))
	queued("handed back", map[string]int64{act: 2, otherAct: 1})

	// Closed tasks are not queued, and an ended execution's tasks are gone.
	must(t, "close", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"), CloseTasks: []string{"a3"}}))
	queued("one closed", map[string]int64{act: 1, otherAct: 1})
	must(t, "end", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Input: []byte("3"),
		Final: &store.Final{Status: "SUCCEEDED", Output: "{}", StoppedAt: at(5)}}))
	queued("ended", map[string]int64{})
}
