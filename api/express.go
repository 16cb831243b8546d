package api

import (
	"time"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
)

// EXPRESS executions run on the engine, in memory (engine.RunExpress,
// engine.StartExpress): nothing of them is stored, so the execution APIs
// (DescribeExecution, GetExecutionHistory, StopExecution) do not take
// their ARNs, as on AWS.

// startExpress starts an asynchronous Express execution, which outlives
// the request.
func (s *server) startExpress(a *startArgs) *store.Execution {
	rec := s.eng.StartExpress(a.sm, a.name, a.in, a.trace, engine.Through(a.target))
	s.log.Debug("express execution started", "execution", rec.Arn)
	return rec
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
	res := s.eng.RunExpress(c.ctx, args.sm, args.name, args.in, args.trace, engine.Through(args.target))
	out := &startSyncExecutionOutput{
		ExecutionArn: res.Arn, StateMachineArn: args.sm.Arn, Name: args.name,
		StartDate: epoch(res.StartedAt), StopDate: epoch(res.StoppedAt), Status: res.Status,
		Input: args.in.Text, InputDetails: dataDetails{Included: true}, TraceHeader: args.trace,
		BillingDetails: billing(res.StoppedAt.Sub(res.StartedAt)),
	}
	if res.HasError {
		out.Error = &res.Error
	}
	if res.HasCause {
		out.Cause = &res.Cause
	}
	if res.Status == "SUCCEEDED" {
		out.Output, out.OutputDetails = &res.Output, &dataDetails{Included: true}
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
