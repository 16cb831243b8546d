package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

// deletedTimers records the timer kinds each step deletes.
type deletedTimers struct {
	store.Store
	mu    sync.Mutex
	kinds [][]string
}

func (d *deletedTimers) CommitStep(ctx context.Context, step store.StepParams) error {
	var kinds []string
	for _, t := range step.DeleteTimers {
		kinds = append(kinds, t.Kind)
	}
	d.mu.Lock()
	d.kinds = append(d.kinds, kinds)
	d.mu.Unlock()
	return d.Store.CommitStep(ctx, step)
}

func (d *deletedTimers) last() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.kinds[len(d.kinds)-1]
}

// A task's end deletes the task timers its execution armed, and no others:
// none for an activity without TimeoutSeconds or HeartbeatSeconds. The
// timers armed are gone once it has ended, and an answer for the task the
// execution no longer waits for is refused as for a closed task (resolved
// from the execution in memory, without the task's row).
func TestTaskEndDeletesArmedTimersOnly(t *testing.T) {
	for _, tc := range []struct {
		extra string
		want  string
	}{
		{``, `[]`},
		{`"TimeoutSeconds":60,`, `[task]`},
		{`"TimeoutSeconds":60,"HeartbeatSeconds":30,`, `[task heartbeat]`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			st := &deletedTimers{Store: memstore.New()}
			h := newHarness(t, st)
			sm := h.machine(`{"StartAt":"T","States":{
				"T":{"Type":"Task","Resource":"` + actArn + `",` + tc.extra + `"Next":"U"},
				"U":{"Type":"Task","Resource":"` + actArn + `",` + tc.extra + `"End":true}}}`)
			ctx := context.Background()
			rec, err := h.eng.StartExecution(ctx, sm, "x", input(`{}`), "")
			if err != nil {
				t.Fatal(err)
			}
			answer := func() string {
				t.Helper()
				task, err := h.eng.GetActivityTask(ctx, actArn, "w", time.Minute)
				if err != nil || task == nil {
					t.Fatalf("GetActivityTask = %+v, %v", task, err)
				}
				if err := h.eng.SendTaskSuccess(ctx, task.Token, `{}`); err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprint(st.last()); got != tc.want {
					t.Errorf("the step that ended the task deleted timers %s, want %s", got, tc.want)
				}
				return task.Token
			}
			first := answer()
			// The execution, in memory, now waits for U.
			if err := h.eng.SendTaskSuccess(ctx, first, `{}`); !errors.Is(err, ErrTaskTimedOut) {
				t.Errorf("a second answer for T: %v, want %v", err, ErrTaskTimedOut)
			}
			answer()
			if end := h.wait(rec.Arn); end.Status != "SUCCEEDED" {
				t.Fatalf("status %s", end.Status)
			}
			if due, err := st.DueTimers(ctx, store.DueTimersParams{DueBy: time.Now().Add(time.Hour), Limit: 10}); err != nil || len(due) != 0 {
				t.Errorf("timers left: %+v, %v", due, err)
			}
		})
	}
}
