package runner_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/runner"
	"github.com/statecraft/statecraft/taskport"
)

// resultText is a deep copy of a Result as text.
func resultText(t *testing.T, r *runner.Result) string {
	t.Helper()
	hist, err := json.Marshal(r.History)
	if err != nil {
		t.Fatal(err)
	}
	return string(r.Status) + "|" + jsonv.String(r.Output) + "|" + r.Error + "|" + r.Cause + "|" + string(hist)
}

// TestRunResultsSurviveLaterRuns: Run releases each execution to its
// Machine, and the next runs reuse it; a Result already returned must not
// change.
func TestRunResultsSurviveLaterRuns(t *testing.T) {
	m := machine(t, taskThenWait)
	run := func(in int64) *runner.Result {
		res, err := runner.Run(context.Background(), m, runner.Options{
			Info: interp.Info{Input: jsonv.ObjectOf("in", in)},
			Tasks: taskport.Func(func(_ context.Context, task taskport.Request) (any, error) {
				return jsonv.ObjectOf("state", task.StateName, "in", in), nil
			}),
			FastForward: true,
			Now:         fixed,
			Seed:        uint64(in),
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != interp.Succeeded {
			t.Fatalf("run %d ended %s", in, res.Status)
		}
		return res
	}
	first := run(1)
	before := resultText(t, first)
	for i := int64(2); i < 50; i++ {
		if later := resultText(t, run(i)); later == before {
			t.Fatalf("run %d gave run 1's result: %s", i, later)
		}
	}
	if after := resultText(t, first); after != before {
		t.Errorf("run 1's result changed after later runs:\nbefore %s\nafter  %s", before, after)
	}
}
