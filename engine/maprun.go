package engine

import (
	"context"
	"errors"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/store"
)

// Errors of UpdateMapRun.
var (
	ErrMapRunDoesNotExist = errors.New("map run does not exist")
	ErrMapRunCompleted    = errors.New("map run has completed")
)

// mapRunRows adds to a step the Map Runs and children its interpreter
// step changed. A replay logs none: the rows were written with the steps
// that first made them.
func (e *Engine) mapRunRows(l *live, sp *store.StepParams) {
	runs, kids := l.x.TakeMapRunChanges()
	for _, r := range runs {
		row := store.MapRun{Arn: r.Arn, ExecutionArn: l.arn, Status: string(r.Status), StartedAt: r.StartDate, StoppedAt: r.StopDate,
			MaxConcurrency: r.MaxConcurrency, ToleratedFailurePercentage: r.ToleratedFailurePercentage,
			ToleratedFailureCount: r.ToleratedFailureCount,
			ItemCounts:            store.MapRunCounts(r.Items), ExecutionCounts: store.MapRunCounts(r.Executions)}
		_, row.StateMachineArn = arn.MapRunChild(r.Arn, "")
		sp.MapRuns = append(sp.MapRuns, row)
	}
	if len(kids) > 0 {
		sp.MapRunExecutions = make([]store.MapRunExecution, len(kids))
		for i, c := range kids {
			sp.MapRunExecutions[i] = store.MapRunExecution{Arn: c.Arn, MapRunArn: c.MapRunArn, ExecutionArn: l.arn,
				StateMachineArn: c.StateMachineArn, Name: c.Name, ItemCount: c.Items, Status: string(c.Status), StartedAt: c.StartDate, StoppedAt: c.StopDate,
				Input: c.Input, Output: c.Output, Error: c.Error, Cause: c.Cause, HasCause: c.HasCause}
		}
	}
}

// MapRunUpdate is an UpdateMapRun's change (a nil field is left as it
// is), as the interpreter takes it.
type MapRunUpdate = interp.MapRunUpdate

// UpdateMapRun changes a running Map Run's limits: the change is an input
// of its parent execution, stored with the step that applies it, so that
// a replay applies it again at the same point.
func (e *Engine) UpdateMapRun(ctx context.Context, u MapRunUpdate) error {
	r, err := e.st.GetMapRun(ctx, u.Arn)
	if errors.Is(err, store.ErrNotFound) {
		return ErrMapRunDoesNotExist
	}
	if err != nil {
		return err
	}
	if r.Status != "RUNNING" {
		return ErrMapRunCompleted
	}
	err = e.apply(ctx, r.ExecutionArn, interp.Event{Kind: interp.UpdateMapRun, MapRun: &u}, nil)
	if errors.Is(err, errNotRunning) || errors.Is(err, errIgnored) || errors.Is(err, ErrExecutionDoesNotExist) {
		return ErrMapRunCompleted
	}
	return err
}
