package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/taskport"
)

// nestedWatch is how often a parent waiting on a .sync child checks it, in
// case the child's own report was lost to a crash.
const nestedWatch = 30 * time.Second

// nestedTaskInput is what the task row of a startExecution task keeps: the
// resource (which says .sync, .sync:2 or .waitForTaskToken) and the
// parameters, and the role of the task's Credentials, under which the
// child is started in the role's account.
func nestedTaskInput(resource string, params any, roleArn string) string {
	m := map[string]any{"Resource": resource, "Parameters": params}
	if roleArn != "" {
		m["RoleArn"] = roleArn
	}
	return jsonv.String(m)
}

type nestedTask struct {
	resource string
	smArn    string
	name     string
	input    *Input
}

// nestedRequest rebuilds a startExecution task's request from its row.
func nestedRequest(text, executionArn, token string) (taskport.Request, error) {
	v, err := jsonv.ParseString(text)
	if err != nil {
		return taskport.Request{}, err
	}
	m, _ := v.(*jsonv.Object)
	req := taskport.Request{ExecutionArn: executionArn, Token: token, Input: m.Value("Parameters")}
	req.Resource, _ = m.Value("Resource").(string)
	req.RoleArn, _ = m.Value("RoleArn").(string)
	return req, nil
}

func parseNestedTask(resource string, parameters any, token string) (*nestedTask, error) {
	nt := &nestedTask{resource: resource}
	params, _ := parameters.(*jsonv.Object)
	if params == nil {
		return nil, errors.New("the parameters must be an object with StateMachineArn")
	}
	nt.smArn, _ = params.Value("StateMachineArn").(string)
	if nt.smArn == "" {
		return nil, errors.New("the parameters have no StateMachineArn")
	}
	switch in := params.Value("Input").(type) {
	case nil:
		nt.input = &Input{Text: "{}", Value: jsonv.NewObject(0)}
	case string:
		parsed, err := ParseInput(in)
		if err != nil {
			return nil, fmt.Errorf("Input is not JSON text: %v", err)
		}
		nt.input = parsed
	default:
		nt.input = &Input{Text: jsonv.String(in), Value: in}
	}
	nt.name, _ = params.Value("Name").(string)
	switch {
	case nt.name != "":
	case token == "":
		// A start no task waits on (TestState's) is never repeated: a
		// random UUID, as StartExecution names an unnamed execution.
		nt.name = newExpressID()
	default:
		// Deterministic, so that starting again after a crash finds the
		// same child instead of starting a second one.
		sum := sha256.Sum256([]byte(token))
		nt.name = fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	}
	return nt, nil
}

// pattern is "", ".sync", ".sync:2" or ".waitForTaskToken".
func pattern(resource string) string {
	_, after, _ := strings.Cut(resource, "startExecution")
	return after
}

// nested fires a nested-execution timer of a STANDARD execution: start the
// child if it is not started, and for .sync report its result once it has
// one, or keep watching it.
func (e *Engine) nested(ctx context.Context, t store.Timer) {
	parent, task, token, ok := e.outboxTask(ctx, t)
	if !ok {
		return
	}
	req, err := nestedRequest(task.Input, parent.Arn, token)
	if err != nil {
		e.failParent(ctx, parent.Arn, t.Ref, "States.Runtime", "The task's stored request is not readable: "+err.Error())
		return
	}
	// The fenced move comes first: a node that lost the shard starts and
	// watches nothing; the timer is the new owner's.
	watch := store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerNested, Due: e.now().Add(nestedWatch), Fence: t.Fence}
	if err := e.st.SetTimer(ctx, watch); err != nil {
		if !e.fenced(err, t.Fence) && ctx.Err() == nil {
			e.log.Error("moving a nested execution's timer", "parent", parent.Arn, "err", err)
		}
		return
	}
	if req.RoleArn != "" {
		acct, fail := e.roleAccount(req, parent.RoleArn)
		if fail != nil {
			fail.Ref = t.Ref
			e.deliver(ctx, parent.Arn, *fail)
			return
		}
		req.Account = acct
	}
	out, err := e.startNested(ctx, req)
	var f *taskport.Failure
	switch {
	case errors.Is(err, errPending):
		if p := pattern(req.Resource); p == ".sync" || p == ".sync:2" {
			return // watched again when the moved timer comes due
		}
		// .waitForTaskToken: the child (or anyone) answers with the token.
		_ = e.st.DeleteTimer(ctx, store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerNested, Fence: t.Fence})
	case err == nil, errors.As(err, &f):
		ev := outcome(req.Resource, out, err)
		ev.Ref = t.Ref
		e.deliver(ctx, parent.Arn, ev)
	case ctx.Err() == nil:
		e.log.Error("starting nested execution", "parent", parent.Arn, "err", err)
		_ = e.st.SetTimer(ctx, store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerNested, Due: e.now().Add(time.Second), Fence: t.Fence})
	}
}

// startNested is the port of nested executions: it starts the child (once:
// asking again finds the same child) and answers with what the pattern
// returns, the child's ARN at once or its result once it has one. The
// child is started in req.ExecutionArn's account and region (or in
// req.Account, the role's), and req.Token, the parent's task, is its
// parent link; without a token (TestState's call) it has no parent.
func (e *Engine) startNested(ctx context.Context, req taskport.Request) (any, error) {
	nt, err := parseNestedTask(req.Resource, req.Input, req.Token)
	if err != nil {
		return nil, taskport.Fail("States.Runtime", "Invalid parameters for states:startExecution: "+err.Error())
	}
	child, err := e.startChild(ctx, nt, req.ExecutionArn, req.Token, req.Account)
	if err != nil {
		return nil, err
	}
	switch p := pattern(nt.resource); p {
	case "":
		return jsonv.ObjectOf("ExecutionArn", child.Arn, "StartDate", epochMillis(child.StartedAt)), nil
	case ".sync", ".sync:2":
		if child.Status != "RUNNING" {
			return childResult(child, p == ".sync:2")
		}
	}
	return nil, errPending
}

// startChild starts the child in the account of parent (the ARN of the
// execution whose task starts it), or in account, the one of the role of
// the task's Credentials: the state machine must be there, and the child
// execution then belongs to that account. token is the parent's task,
// which the child reports to; "" starts a child with no parent.
func (e *Engine) startChild(ctx context.Context, nt *nestedTask, parent, token, account string) (*store.Execution, error) {
	switch {
	case parent == "":
		// Every caller names its execution: refuse rather than start a
		// child in whatever account its ARN names.
		return nil, taskport.Fail("States.Runtime", "A nested execution was asked for with no execution to start it in.")
	case account == "" && foreignResource(nt.smArn, parent):
		return nil, taskport.Fail("StepFunctions.AccessDeniedException", fmt.Sprintf("Execution %s is not authorized to perform: states:StartExecution on resource: %s (another account or region)", parent, nt.smArn))
	case account != "" && foreignTo(nt.smArn, parent, account):
		return nil, taskport.Fail("StepFunctions.AccessDeniedException", fmt.Sprintf("The role of the task's Credentials (account %s) is not authorized to perform: states:StartExecution on resource: %s (another account or region)", account, nt.smArn))
	}
	// A version or an alias ARN starts the child as StartExecution would.
	t, err := Resolve(ctx, e.st, nt.smArn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, taskport.Fail("StepFunctions.StateMachineDoesNotExistException", fmt.Sprintf("State Machine Does Not Exist: '%s'", nt.smArn))
	}
	if err != nil {
		return nil, err
	}
	sm := t.Machine
	if sm.Type == "EXPRESS" {
		return e.expressChild(t, nt, token), nil
	}
	child, err := e.startExecution(ctx, sm, nt.name, nt.input, "", token, Through(t))
	if errors.Is(err, ErrExecutionAlreadyExists) {
		prev, gerr := e.st.GetExecution(ctx, arn.Execution(sm.Arn, nt.name))
		if gerr == nil && token != "" && prev.ParentToken == token {
			return prev, nil // ours, started before a crash
		}
		return nil, taskport.Fail("StepFunctions.ExecutionAlreadyExistsException", fmt.Sprintf("Execution Already Exists: '%s'", arn.Execution(sm.Arn, nt.name)))
	}
	return child, err
}

// reportToParent hands a finished STANDARD child's result to the task
// that waits for it.
func (e *Engine) reportToParent(ctx context.Context, childArn string) {
	child, err := e.st.GetExecution(ctx, childArn)
	if err != nil || child.ParentToken == "" {
		return
	}
	e.reportChild(ctx, child)
}

// reportChild hands a finished child's result (STANDARD or EXPRESS) to its
// parent's task, if that is a .sync task still waiting for it.
func (e *Engine) reportChild(ctx context.Context, child *store.Execution) {
	if r, ref, express, err := e.expressTask(child.ParentToken); express {
		if err == nil {
			r.childEnded(ref, child)
		}
		return
	}
	task, err := e.st.GetTask(ctx, child.ParentToken)
	if err != nil {
		return // the parent no longer waits
	}
	req, err := nestedRequest(task.Input, task.ExecutionArn, child.ParentToken)
	if err != nil {
		return
	}
	if p := pattern(req.Resource); p == ".sync" || p == ".sync:2" {
		out, err := childResult(child, p == ".sync:2")
		ev := outcome(req.Resource, out, err)
		ev.Ref = task.Ref
		e.deliver(ctx, task.ExecutionArn, ev)
	}
}

func (e *Engine) deliver(ctx context.Context, arn string, ev interp.Event) {
	err := e.apply(ctx, arn, ev, nil)
	if err != nil && !errors.Is(err, errIgnored) && !errors.Is(err, errNotRunning) && ctx.Err() == nil {
		e.log.Error("reporting to parent execution", "execution", arn, "err", err)
	}
}

func (e *Engine) failParent(ctx context.Context, arn string, ref int64, name, cause string) {
	e.deliver(ctx, arn, interp.Event{Kind: interp.TaskFailed, Ref: ref, Error: name, Cause: cause})
}

// childResult is what a .sync task returns: DescribeExecution's shape,
// with Input and Output as JSON text (.sync) or as JSON (.sync:2). A child
// that did not succeed fails the task with States.TaskFailed, the same
// shape as its cause.
func childResult(child *store.Execution, parsed bool) (any, error) {
	desc := map[string]any{
		"ExecutionArn":    child.Arn,
		"StateMachineArn": child.StateMachineArn,
		"Name":            child.Name,
		"Status":          child.Status,
		"StartDate":       epochMillis(child.StartedAt),
		"StopDate":        epochMillis(child.StoppedAt),
		"Input":           child.Input,
		"InputDetails":    map[string]any{"Included": true},
	}
	if parsed {
		desc["Input"], _ = jsonv.ParseString(child.Input)
	}
	if child.Status == "SUCCEEDED" {
		desc["Output"] = child.Output
		if parsed {
			desc["Output"], _ = jsonv.ParseString(child.Output)
		}
		desc["OutputDetails"] = map[string]any{"Included": true}
		// Sorted keys, as the AWS SDK's DescribeExecution output was
		// always encoded here.
		return jsonv.FromMap(desc), nil
	}
	if child.HasError {
		desc["Error"] = child.Error
	}
	if child.HasCause {
		desc["Cause"] = child.Cause
	}
	return nil, taskport.Fail("States.TaskFailed", jsonv.String(desc))
}

func epochMillis(t time.Time) int64 { return t.UnixMilli() }
