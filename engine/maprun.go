package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
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
			ItemCounts:            store.MapRunCounts(r.Items), ExecutionCounts: store.MapRunCounts(r.Executions),
			RedriveCount: r.RedriveCount, RedriveDate: r.RedriveDate}
		_, row.StateMachineArn = arn.MapRunChild(r.Arn, "")
		sp.MapRuns = append(sp.MapRuns, row)
	}
	if len(kids) > 0 {
		sp.MapRunExecutions = make([]store.MapRunExecution, len(kids))
		for i, c := range kids {
			sp.MapRunExecutions[i] = store.MapRunExecution{Arn: c.Arn, MapRunArn: c.MapRunArn, ExecutionArn: l.arn,
				StateMachineArn: c.StateMachineArn, Name: c.Name, ItemCount: c.Items, Status: string(c.Status), StartedAt: c.StartDate, StoppedAt: c.StopDate,
				Input: c.Input, Output: c.Output, Error: c.Error, Cause: c.Cause, HasCause: c.HasCause,
				RedriveCount: c.RedriveCount, RedriveDate: c.RedriveDate}
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

// MapRunChildHistory rebuilds the history of the Map Run child named
// child of execution parentArn: the parent's stored inputs are replayed
// into an interpreter that records that child's events alone
// (interp.Machine.StartWatching), so that the children, which run inside
// their parent, cost no history rows. ErrExecutionDoesNotExist when the
// parent is gone.
func (e *Engine) MapRunChildHistory(ctx context.Context, parentArn, child string) ([]store.Event, error) {
	x, err := e.watchChild(ctx, parentArn, child)
	if err != nil {
		return nil, err
	}
	hist := x.ChildHistory()
	out := make([]store.Event, len(hist))
	for i := range hist {
		h := &hist[i]
		out[i] = store.Event{ID: h.ID, Type: h.Type, Timestamp: h.Timestamp, Body: h.AppendJSON(nil)}
	}
	return out, nil
}

// MapRunChildState names the Distributed Map state of execution parentArn
// that ran the Map Run child named child ("" if none did).
func (e *Engine) MapRunChildState(ctx context.Context, parentArn, child string) (string, error) {
	x, err := e.watchChild(ctx, parentArn, child)
	if err != nil {
		return "", err
	}
	return x.ChildState(), nil
}

// watchChild replays execution parentArn watching its Map Run child named
// child.
func (e *Engine) watchChild(ctx context.Context, parentArn, child string) (*interp.Execution, error) {
	rec, err := e.st.GetExecution(ctx, parentArn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrExecutionDoesNotExist
	}
	if err != nil {
		return nil, err
	}
	mp, err := e.machine(rec.Definition)
	if err != nil {
		return nil, err
	}
	in, err := jsonv.ParseString(rec.Input)
	if err != nil {
		return nil, err
	}
	x := mp.replay.StartWatching(e.info(rec, in, rec.Seed), rec.StartedAt, rec.Seed, child)
	inputs, err := e.st.Inputs(ctx, rec.Arn)
	if err != nil {
		return nil, err
	}
	for _, raw := range inputs {
		if raw.Seq > rec.Seq {
			break // committed after rec was read
		}
		ev, err := decodeInput(raw.Body)
		if err != nil {
			return nil, fmt.Errorf("execution %s input %d: %w", rec.Arn, raw.Seq, err)
		}
		x.Apply(ev)
	}
	return x, nil
}

// stopMapRunChild is StopExecution of a STANDARD child of a Map Run: AWS
// stops it alone ("stopped by the user", MapRunExecutionCounts.aborted),
// which here is an input of its parent, stored and replayed like an
// UpdateMapRun. A child no longer running is left as it is. The record
// returned has the child's ARN, status and dates.
func (e *Engine) stopMapRunChild(ctx context.Context, childArn, errName, cause string) (*store.Execution, error) {
	k, err := e.st.GetMapRunExecution(ctx, childArn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrExecutionDoesNotExist
	}
	if err != nil {
		return nil, err
	}
	if k.Status == "RUNNING" {
		ev := interp.Event{Kind: interp.StopMapRunChild, MapRun: &interp.MapRunUpdate{Arn: k.MapRunArn}, Child: k.Arn, Error: errName, Cause: cause}
		err = e.apply(ctx, k.ExecutionArn, ev, nil)
		if err != nil && !errors.Is(err, errNotRunning) && !errors.Is(err, errIgnored) {
			return nil, err
		}
		if k, err = e.st.GetMapRunExecution(ctx, childArn); err != nil {
			return nil, err
		}
	}
	return &store.Execution{Arn: k.Arn, Name: k.Name, Status: k.Status, StartedAt: k.StartedAt, StoppedAt: k.StoppedAt}, nil
}
