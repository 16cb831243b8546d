package workflowapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/ivr"
)

// as is ctx carrying the principal the service acts as for a tenant's
// account: what the Step Functions API checks every call against.
func (s *Service) as(ctx context.Context, account, tenant string) context.Context {
	return auth.WithPrincipal(ctx, &auth.Principal{AccessKeyID: "workflowapi:" + tenant, Account: account, Role: auth.RoleOperator, Region: s.opts.Region, Via: "tenant"})
}

// machineArn resolves a workflow's state machine in an account.
func (s *Service) machineArn(account, sm string) string {
	if strings.HasPrefix(sm, "arn:") {
		return sm
	}
	return arn.StateMachine(s.opts.Region, account, sm)
}

// executionArn is the ARN of execution name of a state machine.

// Execution is what the API returns about an execution.
type Execution struct {
	ExecutionID  string          `json:"executionId"`
	ExecutionArn string          `json:"executionArn"`
	Tenant       string          `json:"tenant"`
	Workflow     string          `json:"workflow"`
	Status       string          `json:"status"`
	StartDate    time.Time       `json:"startDate"`
	StopDate     *time.Time      `json:"stopDate,omitempty"`
	Input        json.RawMessage `json:"input,omitempty"`
	Output       json.RawMessage `json:"output,omitempty"`
	Error        string          `json:"error,omitempty"`
	Cause        string          `json:"cause,omitempty"`
	StatusURL    string          `json:"statusUrl"`
}

// start starts a tenant's workflow.
func (s *Service) start(ctx context.Context, t *Tenant, workflow, input string) (*Execution, error) {
	s.mu.RLock()
	sm, ok := t.Workflows[workflow]
	s.mu.RUnlock()
	if !ok {
		return nil, notFound("no workflow %q", workflow)
	}
	if strings.TrimSpace(input) == "" {
		input = "{}"
	}
	if !json.Valid([]byte(input)) {
		return nil, badRequest("the body (the execution input) must be JSON")
	}
	var rb [12]byte
	_, _ = rand.Read(rb[:])
	name := t.Name + "." + hex.EncodeToString(rb[:])
	out, err := s.opts.SFN.StartExecution(s.as(ctx, s.account(t), t.Name), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.machineArn(s.account(t), sm)),
		Name:            aws.String(name),
		Input:           aws.String(input),
	})
	if err != nil {
		return nil, s.sfnError(err, workflow)
	}
	return &Execution{
		ExecutionID:  name,
		ExecutionArn: aws.ToString(out.ExecutionArn),
		Tenant:       t.Name,
		Workflow:     workflow,
		Status:       "RUNNING",
		StartDate:    aws.ToTime(out.StartDate).UTC(),
		StatusURL:    "/v1/workflows/" + workflow + "/executions/" + name,
	}, nil
}

// describe reads one of a tenant's executions.
func (s *Service) describe(ctx context.Context, t *Tenant, workflow, id string) (*Execution, error) {
	s.mu.RLock()
	sm, ok := t.Workflows[workflow]
	s.mu.RUnlock()
	if !ok {
		return nil, notFound("no workflow %q", workflow)
	}
	if !strings.HasPrefix(id, t.Name+".") || strings.ContainsAny(id, ":/") {
		return nil, notFound("no execution %q of workflow %q", id, workflow)
	}
	out, err := s.opts.SFN.DescribeExecution(s.as(ctx, s.account(t), t.Name), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn.Execution(s.machineArn(s.account(t), sm), id))})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "ExecutionDoesNotExist" || ae.ErrorCode() == "InvalidArn" || ae.ErrorCode() == "AccessDeniedException") {
			return nil, notFound("no execution %q of workflow %q", id, workflow)
		}
		return nil, s.sfnError(err, workflow)
	}
	e := &Execution{
		ExecutionID:  id,
		ExecutionArn: aws.ToString(out.ExecutionArn),
		Tenant:       t.Name,
		Workflow:     workflow,
		Status:       string(out.Status),
		StartDate:    aws.ToTime(out.StartDate).UTC(),
		Error:        aws.ToString(out.Error),
		Cause:        aws.ToString(out.Cause),
		StatusURL:    "/v1/workflows/" + workflow + "/executions/" + id,
	}
	if out.StopDate != nil {
		d := out.StopDate.UTC()
		e.StopDate = &d
	}
	if out.Input != nil && json.Valid([]byte(*out.Input)) {
		e.Input = json.RawMessage(*out.Input)
	}
	if out.Output != nil && json.Valid([]byte(*out.Output)) {
		e.Output = json.RawMessage(*out.Output)
	}
	return e, nil
}

// checkMachines checks that the workflows' state machines exist in an
// account.
func (s *Service) checkMachines(ctx context.Context, account string, wfs map[string]string) error {
	ctx = s.as(ctx, account, "admin")
	for name, sm := range wfs {
		if strings.TrimSpace(sm) == "" {
			return badRequest("workflow %q: stateMachine is required", name)
		}
		if a, err := arn.ParseStates(sm); strings.HasPrefix(sm, "arn:") && (err != nil || a.Type != "stateMachine") {
			return badRequest("workflow %q: %q is not a state machine ARN", name, sm)
		}
		_, err := s.opts.SFN.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(s.machineArn(account, sm))})
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) && (ae.ErrorCode() == "StateMachineDoesNotExist" || ae.ErrorCode() == "InvalidArn" || ae.ErrorCode() == "ValidationException") {
				return badRequest("workflow %q: state machine %s does not exist", name, sm)
			}
			if errors.As(err, &ae) && ae.ErrorCode() == "AccessDeniedException" {
				return badRequest("workflow %q: state machine %s belongs to another account than the tenant's (%s)", name, sm, account)
			}
			return s.sfnError(err, name)
		}
	}
	return nil
}

// sfnError turns a Step Functions error into an API error.
func (s *Service) sfnError(err error, workflow string) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "StateMachineDoesNotExist", "StateMachineDeleting":
			return &apiErr{status: http.StatusConflict, code: "WorkflowUnavailable", msg: fmt.Sprintf("workflow %q: its state machine is not deployed: %s", workflow, ae.ErrorMessage())}
		case "AccessDeniedException":
			return &apiErr{status: http.StatusConflict, code: "WorkflowUnavailable", msg: fmt.Sprintf("workflow %q: its state machine belongs to another account than the tenant's", workflow)}
		case "InvalidExecutionInput", "ValidationException", "InvalidName", "InvalidArn":
			return badRequest("%s", ae.ErrorMessage())
		case "ExecutionLimitExceeded", "ThrottlingException":
			return &apiErr{status: http.StatusTooManyRequests, code: "Throttled", msg: ae.ErrorMessage()}
		}
	}
	s.log.Error("step functions call failed", "workflow", workflow, "err", err)
	return &apiErr{status: http.StatusInternalServerError, code: "InternalError", msg: "internal error"}
}

// StartRouted starts the workflow routed to the called number with the
// call's input; ok is false when the number is not routed.
func (s *Service) StartRouted(ctx context.Context, caller, called, dialogID string) (*Execution, bool, error) {
	t, wf, ok := s.route(called)
	if !ok {
		return nil, false, nil
	}
	input, _ := json.Marshal(map[string]string{"callerNumber": caller, "calledNumber": called, "dialogId": dialogID})
	e, err := s.start(ctx, t, wf, string(input))
	if err != nil {
		return nil, true, err
	}
	s.log.Info("inbound call started a workflow", "tenant", t.Name, "workflow", wf, "called", called, "caller", caller, "execution", e.ExecutionArn)
	return e, true, nil
}

// IVRRouter is the service as the inbound-call router of a media service
// running in the same process.
func (s *Service) IVRRouter() ivr.Router { return ivrRouter{s} }

type ivrRouter struct{ s *Service }

func (r ivrRouter) HasRoute(_ context.Context, number string) error {
	if !r.s.Routed(number) {
		return ivr.ErrNoRoute
	}
	return nil
}

func (r ivrRouter) StartInbound(ctx context.Context, in ivr.InboundStart) (string, error) {
	e, ok, err := r.s.StartRouted(ctx, in.CallerNumber, in.CalledNumber, in.DialogID)
	if !ok {
		return "", ivr.ErrNoRoute
	}
	if err != nil {
		return "", err
	}
	return e.ExecutionArn, nil
}
