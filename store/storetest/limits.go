package storetest

import (
	"fmt"
	"testing"

	"github.com/statecraft/statecraft/store"
)

// exerciseLimits checks the Limit rule on every method that takes one: a
// Limit that is not positive is ErrInvalidLimit, never a default page nor
// everything, and a purge given one deletes nothing.
func exerciseLimits(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := ctxT(t)
	must(t, "CreateStateMachine", s.CreateStateMachine(ctx, stateMachine("a", at(0))))
	must(t, "CreateActivity", s.CreateActivity(ctx, activity("a", at(0))))
	e := start(t, s, "x", at(0), 2)
	must(t, "CommitStep", s.CommitStep(ctx, store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTimers: []store.Timer{{Ref: 1, Kind: store.TimerState, Due: at(1)}},
		AddTasks:  []store.Task{{Token: "tok", Ref: 2, ActivityArn: "arn:act", Input: "{}", CreatedAt: at(1)}}}))
	done := start(t, s, "done", at(0), 1)
	end(t, s, done, 1, "SUCCEEDED", at(1))

	calls := []struct {
		name string
		call func(limit int) error
	}{
		{"ListStateMachines", func(limit int) error {
			_, _, err := s.ListStateMachines(ctx, store.ListParams{Limit: limit})
			return err
		}},
		{"ListActivities", func(limit int) error {
			_, _, err := s.ListActivities(ctx, store.ListParams{Limit: limit})
			return err
		}},
		{"ListStateMachineVersions", func(limit int) error {
			_, _, err := s.ListStateMachineVersions(ctx, store.ListVersionsParams{StateMachineArn: smArn, Limit: limit})
			return err
		}},
		{"ListStateMachineAliases", func(limit int) error {
			_, _, err := s.ListStateMachineAliases(ctx, store.ListAliasesParams{StateMachineArn: smArn, Limit: limit})
			return err
		}},
		{"ListExecutions", func(limit int) error {
			_, _, err := s.ListExecutions(ctx, store.ListExecutionsParams{StateMachineArn: smArn, Limit: limit})
			return err
		}},
		{"History", func(limit int) error {
			_, err := s.History(ctx, store.HistoryParams{ExecutionArn: e.Arn, Limit: limit})
			return err
		}},
		{"DueTimers", func(limit int) error {
			_, err := s.DueTimers(ctx, store.DueTimersParams{DueBy: at(100), Limit: limit})
			return err
		}},
		{"NextTasks", func(limit int) error {
			_, err := s.NextTasks(ctx, store.NextTasksParams{ActivityArn: "arn:act", Limit: limit})
			return err
		}},
		{"PurgeExecutions", func(limit int) error {
			_, err := s.PurgeExecutions(ctx, store.PurgeParams{StoppedBefore: at(100), Limit: limit})
			return err
		}},
	}
	for _, c := range calls {
		for _, limit := range []int{0, -1} {
			checkErr(t, fmt.Sprintf("%s with a limit of %d", c.name, limit), c.call(limit), store.ErrInvalidLimit)
		}
	}
	kept(t, s, done, "SUCCEEDED", 2) // the refused purges deleted nothing
	for _, c := range calls {
		must(t, c.name+" with a limit of 1", c.call(1))
	}
	if _, err := s.GetExecution(ctx, done.Arn); err == nil {
		t.Errorf("PurgeExecutions with a limit of 1 kept %s", done.Name)
	}
}
