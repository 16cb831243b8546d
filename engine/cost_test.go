package engine

import (
	"context"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store/memstore"
)

// The billed transitions are stored with every step, so a restart loses
// none: the new engine counts on from the replayed count, and its counter
// has only what it committed itself.
func TestBilledTransitionsSurviveRestart(t *testing.T) {
	st := memstore.New()
	h1 := newHarness(t, st)
	// T, W, M and three iterations of I: 6; T's first attempt is before
	// the restart.
	sm := h1.machine(`{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"` + actArn + `","Next":"W"},
		"W":{"Type":"Wait","Seconds":1,"Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`)
	ctx := context.Background()
	rec, err := h1.eng.StartExecution(ctx, sm, "r", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetExecution(ctx, rec.Arn); got.Transitions != 1 {
		t.Fatalf("stored after the start: %d, want 1", got.Transitions)
	}
	task, err := h1.eng.GetActivityTask(ctx, actArn, "w", 5*time.Second)
	if err != nil || task == nil {
		t.Fatalf("no task: %v", err)
	}
	if n := h1.eng.Stats().BilledTransitions[sm.Arn]; n != 1 {
		t.Errorf("first engine's counter %d, want 1", n)
	}
	h1.stop()

	h2 := newHarness(t, st)
	if err := h2.eng.SendTaskSuccess(ctx, task.Token, `{"items":[1,2,3]}`); err != nil {
		t.Fatal(err)
	}
	rec = h2.wait(rec.Arn)
	if rec.Status != "SUCCEEDED" || rec.Transitions != 6 {
		t.Fatalf("got %s with %d transitions, want SUCCEEDED with 6", rec.Status, rec.Transitions)
	}
	if n := h2.eng.Stats().BilledTransitions[sm.Arn]; n != 5 {
		t.Errorf("second engine's counter %d, want the 5 it committed", n)
	}
}
