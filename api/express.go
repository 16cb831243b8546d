package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/runner"
	"github.com/statecraft/statecraft/taskport"
)

// Express executions run in memory with runner.Run, not on the durable
// engine: AWS gives them at-most-once (sync) or at-least-once (async)
// semantics and no history API, so there is nothing to persist. Their task
// resources all fail with Statecraft.ResourceNotSupported for now (Retry
// and Catch still apply); activities and callbacks cannot reach here,
// CreateStateMachine rejects them for EXPRESS as AWS does.

// expressMaxDuration is AWS's limit on an Express execution.
const expressMaxDuration = 5 * time.Minute

var unsupportedResource = taskport.Func(func(context.Context, taskport.Request) (any, error) {
	return nil, taskport.ErrNotSupported
})

// expressArn names an Express execution; the trailing id makes it unique
// even when a name is reused, which Express allows.
func expressArn(smArn, name string) string {
	return strings.Replace(smArn, ":stateMachine:", ":express:", 1) + ":" + name + ":" + newUUID()
}

type expressResult struct {
	arn         string
	start, stop time.Time
	status      string
	output      string
	hasOutput   bool
	err, cause  string
	hasErr      bool
	hasCause    bool
}

// runExpress runs an execution to its end, or to the Express time limit.
func (s *server) runExpress(ctx context.Context, a *startArgs, arn string, start time.Time) *expressResult {
	res := &expressResult{arn: arn, start: start}
	fail := func(name, cause string) *expressResult {
		res.status, res.err, res.cause, res.hasErr, res.hasCause = "FAILED", name, cause, true, true
		res.stop = s.stamp()
		return res
	}
	m, err := s.eng.ExpressMachine(a.sm.Definition)
	if err != nil {
		// Validated at create: only a bug gets here.
		s.log.Error("express definition does not parse", "stateMachine", a.sm.Arn, "err", err)
		return fail("States.Runtime", "The state machine definition could not be parsed: "+err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, expressMaxDuration)
	defer cancel()
	smName := a.sm.Arn[strings.LastIndex(a.sm.Arn, ":")+1:]
	r, err := runner.Run(ctx, m, runner.Options{
		Info: interp.Info{
			ExecutionArn:     arn,
			Name:             a.name,
			StateMachineArn:  a.sm.Arn,
			StateMachineName: smName,
			RoleArn:          a.sm.RoleArn,
			Region:           regionOfArn(a.sm.Arn),
			StartTime:        start,
			Input:            a.in.Value,
		},
		Tasks: unsupportedResource,
	})
	if err != nil {
		if errors.Is(err, runner.ErrStuck) {
			return fail("States.Runtime", "The execution waits for an event that an Express execution cannot receive.")
		}
		s.log.Error("express execution failed to run", "execution", arn, "err", err)
		return fail("States.Runtime", err.Error())
	}
	res.stop = s.stamp()
	res.status = string(r.Status)
	if r.Status == interp.Aborted && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		res.status = string(interp.TimedOut)
		r.Error, r.HasError, r.Cause, r.HasCause = "States.Timeout", true, "The execution exceeded the Express limit of 5 minutes.", true
	}
	if r.Status == interp.Succeeded {
		res.output, res.hasOutput = jsonv.String(r.Output), true
	}
	res.err, res.hasErr, res.cause, res.hasCause = r.Error, r.HasError, r.Cause, r.HasCause
	return res
}

func regionOfArn(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// startExpress starts an asynchronous Express execution. It outlives the
// request, so it does not take the request's context.
func (s *server) startExpress(a *startArgs) (string, time.Time) {
	arn := expressArn(a.sm.Arn, a.name)
	start := s.stamp()
	go func() {
		res := s.runExpress(context.Background(), a, arn, start)
		s.log.Debug("express execution ended", "execution", arn, "status", res.status, "error", res.err)
	}()
	return arn, start
}

type billingDetails struct {
	BilledMemoryUsedInMB         int64 `json:"billedMemoryUsedInMB"`
	BilledDurationInMilliseconds int64 `json:"billedDurationInMilliseconds"`
}

type startSyncExecutionOutput struct {
	ExecutionArn    string          `json:"executionArn"`
	StateMachineArn string          `json:"stateMachineArn"`
	Name            string          `json:"name"`
	StartDate       epoch           `json:"startDate"`
	StopDate        epoch           `json:"stopDate"`
	Status          string          `json:"status"`
	Error           *string         `json:"error,omitempty"`
	Cause           *string         `json:"cause,omitempty"`
	Input           string          `json:"input"`
	InputDetails    dataDetails     `json:"inputDetails"`
	Output          *string         `json:"output,omitempty"`
	OutputDetails   *dataDetails    `json:"outputDetails,omitempty"`
	TraceHeader     string          `json:"traceHeader,omitempty"`
	BillingDetails  *billingDetails `json:"billingDetails"`
}

// startSyncExecution answers 200 however the workflow ends: the outcome is
// in status, error and cause.
func (s *server) startSyncExecution(c *call) (any, error) {
	readIncludedData(c.in)
	args, err := s.readStart(c)
	if err != nil {
		return nil, err
	}
	if args.sm.Type != typeExpress {
		return nil, serviceError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
	}
	arn := expressArn(args.sm.Arn, args.name)
	res := s.runExpress(c.ctx, args, arn, s.stamp())
	out := &startSyncExecutionOutput{
		ExecutionArn: arn, StateMachineArn: args.sm.Arn, Name: args.name,
		StartDate: epoch(res.start), StopDate: epoch(res.stop), Status: res.status,
		Input: args.in.Text, InputDetails: dataDetails{Included: true}, TraceHeader: args.trace,
		BillingDetails: billing(res.stop.Sub(res.start)),
	}
	if res.hasErr {
		out.Error = &res.err
	}
	if res.hasCause {
		out.Cause = &res.cause
	}
	if res.hasOutput {
		out.Output, out.OutputDetails = &res.output, &dataDetails{Included: true}
	}
	return out, nil
}

// billing applies AWS's Express rounding: duration up to the next 100 ms,
// memory in 64 MB steps (an in-memory run here never needs more than the
// first).
func billing(d time.Duration) *billingDetails {
	ms := (d.Milliseconds() + 99) / 100 * 100
	if ms < 100 {
		ms = 100
	}
	return &billingDetails{BilledMemoryUsedInMB: 64, BilledDurationInMilliseconds: ms}
}
