package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
)

// nestedWatch is how often a parent waiting on a .sync child checks it, in
// case the child's own report was lost to a crash.
const nestedWatch = 30 * time.Second

// nestedTaskInput is what the task row of a startExecution task keeps: the
// resource (which says .sync, .sync:2 or .waitForTaskToken) and the
// parameters.
func nestedTaskInput(resource string, params any) string {
	return jsonv.String(map[string]any{"Resource": resource, "Parameters": params})
}

type nestedTask struct {
	resource string
	smArn    string
	name     string
	input    string
}

func parseNestedTask(text, token string) (*nestedTask, error) {
	v, err := jsonv.ParseString(text)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	nt := &nestedTask{}
	nt.resource, _ = m["Resource"].(string)
	params, _ := m["Parameters"].(map[string]any)
	if params == nil {
		return nil, errors.New("the parameters must be an object with StateMachineArn")
	}
	nt.smArn, _ = params["StateMachineArn"].(string)
	if nt.smArn == "" {
		return nil, errors.New("the parameters have no StateMachineArn")
	}
	switch in := params["Input"].(type) {
	case nil:
		nt.input = "{}"
	case string:
		if _, err := jsonv.ParseString(in); err != nil {
			return nil, fmt.Errorf("Input is not JSON text: %v", err)
		}
		nt.input = in
	default:
		nt.input = jsonv.String(in)
	}
	nt.name, _ = params["Name"].(string)
	if nt.name == "" {
		// Deterministic, so that starting again after a crash finds the
		// same child instead of starting a second one.
		sum := sha256.Sum256([]byte(token))
		nt.name = fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	}
	return nt, nil
}

func (nt *nestedTask) pattern() string {
	_, after, _ := strings.Cut(nt.resource, "startExecution")
	return after // "", ".sync", ".sync:2" or ".waitForTaskToken"
}

// nested fires a nested-execution timer: start the child if it is not
// started, and for .sync report its result once it has one.
func (e *Engine) nested(ctx context.Context, t store.Timer) {
	parent, task, token, ok := e.outboxTask(ctx, t)
	if !ok {
		return
	}
	nt, err := parseNestedTask(task.Input, token)
	if err != nil {
		e.failParent(ctx, parent.Arn, t.Ref, "States.Runtime", "Invalid parameters for states:startExecution: "+err.Error())
		return
	}
	child, err := e.startChild(ctx, nt, token)
	if err != nil {
		var fe *failure
		if errors.As(err, &fe) {
			e.failParent(ctx, parent.Arn, t.Ref, fe.name, fe.cause)
			return
		}
		if ctx.Err() == nil {
			e.log.Error("starting nested execution", "parent", parent.Arn, "err", err)
			_ = e.st.SetTimer(ctx, store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerNested, Due: e.now().Add(time.Second)})
		}
		return
	}
	switch nt.pattern() {
	case "":
		out := map[string]any{"ExecutionArn": child.Arn, "StartDate": epochMillis(child.StartedAt)}
		e.deliver(ctx, parent.Arn, interp.Event{Kind: interp.TaskSucceeded, Ref: t.Ref, Output: out})
	case ".sync", ".sync:2":
		if child.Status != "RUNNING" {
			e.deliver(ctx, parent.Arn, childResult(child, t.Ref, nt.pattern() == ".sync:2"))
			return
		}
		_ = e.st.SetTimer(ctx, store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: store.TimerNested, Due: e.now().Add(nestedWatch)})
	default:
		// .waitForTaskToken: the child (or anyone) answers with the token.
		_ = e.st.DeleteTimer(ctx, t)
	}
}

type failure struct{ name, cause string }

func (f *failure) Error() string { return f.name + ": " + f.cause }

func (e *Engine) startChild(ctx context.Context, nt *nestedTask, token string) (*store.Execution, error) {
	if parent, ok := TokenExecution(token); ok && foreignResource(nt.smArn, parent) {
		return nil, &failure{"StepFunctions.AccessDeniedException", fmt.Sprintf("Execution %s is not authorized to perform: states:StartExecution on resource: %s (another account or region)", parent, nt.smArn)}
	}
	sm, err := e.st.GetStateMachine(ctx, nt.smArn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &failure{"StepFunctions.StateMachineDoesNotExistException", fmt.Sprintf("State Machine Does Not Exist: '%s'", nt.smArn)}
	}
	if err != nil {
		return nil, err
	}
	if sm.Type == "EXPRESS" {
		return nil, &failure{"StepFunctions.StateMachineTypeNotSupportedException", "Nested EXPRESS executions are not supported by this server yet."}
	}
	child, err := e.startExecution(ctx, sm, nt.name, nt.input, "", token)
	if errors.Is(err, ErrExecutionAlreadyExists) {
		prev, gerr := e.st.GetExecution(ctx, ExecutionArn(sm.Arn, nt.name))
		if gerr == nil && prev.ParentToken == token {
			return prev, nil // ours, started before a crash
		}
		return nil, &failure{"StepFunctions.ExecutionAlreadyExistsException", fmt.Sprintf("Execution Already Exists: '%s'", ExecutionArn(sm.Arn, nt.name))}
	}
	if errors.Is(err, ErrInvalidInput) {
		return nil, &failure{"StepFunctions.InvalidExecutionInputException", err.Error()}
	}
	return child, err
}

// reportToParent hands a finished child's result to the .sync task that
// waits for it.
func (e *Engine) reportToParent(ctx context.Context, childArn string) {
	child, err := e.st.GetExecution(ctx, childArn)
	if err != nil || child.ParentToken == "" {
		return
	}
	task, err := e.st.GetTask(ctx, child.ParentToken)
	if err != nil {
		return // the parent no longer waits
	}
	nt, err := parseNestedTask(task.Input, child.ParentToken)
	if err != nil {
		return
	}
	if p := nt.pattern(); p == ".sync" || p == ".sync:2" {
		e.deliver(ctx, task.ExecutionArn, childResult(child, task.Ref, p == ".sync:2"))
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
// with Input and Output as JSON text (.sync) or as JSON (.sync:2).
func childResult(child *store.Execution, ref int64, parsed bool) interp.Event {
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
		return interp.Event{Kind: interp.TaskSucceeded, Ref: ref, Output: desc}
	}
	if child.HasError {
		desc["Error"] = child.Error
	}
	if child.HasCause {
		desc["Cause"] = child.Cause
	}
	return interp.Event{Kind: interp.TaskFailed, Ref: ref, Error: "States.TaskFailed", Cause: jsonv.String(desc)}
}

func epochMillis(t time.Time) int64 { return t.UnixMilli() }
