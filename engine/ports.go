package engine

import (
	"context"
	"errors"
	"strings"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/taskport"

	"github.com/statecraft/statecraft/jsonv"
)

// Task resources. Every attempt of every Task state, in a STANDARD or an
// EXPRESS execution, runs through one taskport.Port chosen by the
// resource's kind:
//
//   - activities (arn:aws:states:REGION:ACCOUNT:activity:NAME) are handed
//     to GetActivityTask pollers (dispatch.go); the worker answers with the
//     task token;
//   - nested executions (arn:aws:states:::states:startExecution, .sync,
//     .sync:2, .waitForTaskToken) start a child (nested.go);
//   - callbacks (.waitForTaskToken on any other resource) call
//     Options.Tasks with the token and wait for whoever holds it;
//   - everything else goes to Options.Tasks (local functions, HTTP tasks).
//
// What differs between the two kinds of execution is only where a task is
// kept while it runs. A STANDARD execution makes it durable first, in the
// step's commit: an activity's task row is its queue entry, and the other
// kinds get a row and an outbox timer whose firing calls the port, so a
// crash neither loses nor repeats the call's effect on the execution. An
// EXPRESS execution keeps its tasks in memory (express.go) and calls the
// port at once.

// errPending is what a port of the engine returns when it has handed the
// task on (to an activity worker, a callback's callee, a child
// execution): the outcome arrives later, with the task token.
var errPending = errors.New("engine: the task's outcome arrives later, with its token")

type resourceKind int

const (
	kindOther resourceKind = iota
	kindActivity
	kindCallback
	kindNested
	kindItems // a Distributed Map's ItemReader or ResultWriter
)

func taskKind(resource, executionArn string) resourceKind {
	if resource == interp.ItemReaderResource || resource == interp.ResultWriterResource {
		return kindItems
	}
	parts := strings.SplitN(resource, ":", 7)
	switch {
	case isActivity(resource):
		if foreignResource(resource, executionArn) {
			// Never queued where the other account's workers would get
			// it: the invoke path fails the task instead. Under a role of
			// that account it is (kindOf).
			return kindOther
		}
		return kindActivity
	case len(parts) == 7 && parts[2] == "states" && parts[5] == "states" && strings.HasPrefix(parts[6], "startExecution"):
		return kindNested
	case strings.HasSuffix(resource, ".waitForTaskToken"):
		return kindCallback
	}
	return kindOther
}

// kindOf is taskKind for a task of an execution whose state machine has
// machineRole. An activity under Credentials is queued in its role's
// account, where that account's workers poll for it: a foreign activity
// is queued when it is the role's, and an activity the role cannot reach
// (or a role that cannot be assumed) goes through the invoke path, which
// fails the task saying why.
func (e *Engine) kindOf(t *interp.Task, executionArn, machineRole string) resourceKind {
	if t.RoleArn == "" || !isActivity(t.Resource) {
		return taskKind(t.Resource, executionArn)
	}
	if _, fail := e.roleAccount(taskport.Request{Resource: t.Resource, ExecutionArn: executionArn, RoleArn: t.RoleArn}, machineRole); fail != nil {
		return kindOther
	}
	return kindActivity
}

func isActivity(resource string) bool {
	parts := strings.SplitN(resource, ":", 7)
	return len(parts) >= 6 && parts[2] == "states" && parts[5] == "activity"
}

// port is the Port that runs resources of a kind; nil when nothing does.
func (e *Engine) port(kind resourceKind) taskport.Port {
	switch kind {
	case kindActivity:
		return taskport.Func(e.queueActivity)
	case kindNested:
		return taskport.Func(e.startNested)
	case kindCallback:
		return callback{e.opts.Tasks}
	case kindItems:
		return e.opts.Items
	}
	return e.opts.Tasks
}

// Tasks is the port that runs the resources the engine does not run
// itself (Options.Tasks: local functions, HTTP tasks), nil when none
// does. The API's TestState calls a tested Task state's resource through
// it, as an execution of this engine would.
func (e *Engine) Tasks() taskport.Port { return e.opts.Tasks }

// callback is the .waitForTaskToken pattern: the call hands the token on
// and the task waits for its holder to answer. A resource that no port
// runs waits as well: the definition may pass $$.Task.Token anywhere (an
// activity's input, another execution's) and whoever gets it answers.
// Only a call that fails ends the task now.
type callback struct{ next taskport.Port }

func (c callback) Invoke(ctx context.Context, req taskport.Request) (any, error) {
	if c.next == nil {
		return nil, errPending
	}
	_, err := c.next.Invoke(ctx, req)
	if err == nil || errors.Is(err, taskport.ErrNotSupported) {
		return nil, errPending
	}
	return nil, err
}

// runTask runs one task attempt through the port of its kind and returns
// the event that ends the task, or pending when the outcome arrives later
// with the token. The call's context ends with ctx or at the task's
// TimeoutSeconds, which times the task out.
func (e *Engine) runTask(ctx context.Context, kind resourceKind, req taskport.Request, machineRole string) (ev interp.Event, pending bool) {
	if kind == kindItems {
		return e.readItems(ctx, req), false
	}
	if req.RoleArn != "" && !taskport.RoleAssumedByPort(req.Resource) {
		acct, fail := e.roleAccount(req, machineRole)
		if fail != nil {
			return *fail, false
		}
		req.Account = acct
	} else if foreignResource(req.Resource, req.ExecutionArn) {
		return interp.Event{Kind: interp.TaskFailed, Error: "States.TaskFailed",
			Cause: "The resource " + req.Resource + " belongs to another account or region than the execution " + req.ExecutionArn + "; an execution can only use its own account's resources in its own region."}, false
	}
	p := e.port(kind)
	if p == nil {
		return failedEvent(taskport.NotSupported(req.Resource)), false
	}
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.Timeout)
		defer cancel()
	}
	out, err := p.Invoke(ctx, req)
	if errors.Is(err, errPending) {
		return interp.Event{}, true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return interp.Event{Kind: interp.TaskTimedOut, Error: interp.ErrTimeout}, false
	}
	return outcome(req.Resource, out, err), false
}

// outcome is the event that ends a task a port answered: its result, or
// the failure it reported.
func outcome(resource string, out any, err error) interp.Event {
	var f *taskport.Failure
	switch {
	case err == nil:
		// A port written in Go may answer with Go maps: bring them into
		// the model (this walks arrays, not Objects).
		return interp.Event{Kind: interp.TaskSucceeded, Output: jsonv.Normalize(out)}
	case errors.Is(err, taskport.ErrNotSupported):
		return failedEvent(taskport.NotSupported(resource))
	case errors.As(err, &f):
		return failedEvent(f)
	}
	return interp.Event{Kind: interp.TaskFailed, Error: "States.TaskFailed", Cause: err.Error()}
}

func failedEvent(f *taskport.Failure) interp.Event {
	if f.TimedOut() {
		return interp.Event{Kind: interp.TaskTimedOut, Error: f.Name, Cause: f.Cause}
	}
	return interp.Event{Kind: interp.TaskFailed, Error: f.Name, Cause: f.Cause}
}

// NoItemStore is the cause of a Map whose ItemReader ran on a server with
// no object store configured.
const NoItemStore = "No object store is configured to read items from or write results to: start the server with --s3-endpoint (or STATECRAFT_S3_ENDPOINT, or \"s3Endpoint\" in its config file) naming an S3-compatible endpoint, or with --s3-dir naming a directory whose subdirectories are the buckets."

// readItems runs an item read or a results export through Options.Items.
// Whatever goes wrong fails the Map with States.ItemReaderFailed (or
// States.ResultWriterFailed) unless the port names another error, as AWS
// reports a Map Run that could not read its items or write its results.
func (e *Engine) readItems(ctx context.Context, req taskport.Request) interp.Event {
	name := interp.ErrItemReaderFailed
	if req.Resource == interp.ResultWriterResource {
		name = interp.ErrResultWriterFailed
	}
	if e.opts.Items == nil {
		return interp.Event{Kind: interp.TaskFailed, Error: name, Cause: NoItemStore}
	}
	return itemsEvent(ctx, e.opts.Items, req, name)
}

// itemsEvent runs an item read or results export through p; name is the
// error of a failure p does not name.
func itemsEvent(ctx context.Context, p taskport.Port, req taskport.Request, name string) interp.Event {
	out, err := p.Invoke(ctx, req)
	var f *taskport.Failure
	switch {
	case err == nil:
		return interp.Event{Kind: interp.TaskSucceeded, Output: out}
	case errors.As(err, &f):
		return failedEvent(f)
	}
	return interp.Event{Kind: interp.TaskFailed, Error: name, Cause: err.Error()}
}

// roleAccount assumes the role of a task's Credentials and answers the
// account the task then runs in, or the event that fails the task: the
// role cannot be assumed, or the resource is outside the role's account.
func (e *Engine) roleAccount(req taskport.Request, machineRole string) (string, *interp.Event) {
	acct, err := e.assumeRole(req.RoleArn, req.ExecutionArn, machineRole)
	if err != nil {
		return "", &interp.Event{Kind: interp.TaskFailed, Error: "States.TaskFailed",
			Cause: "Step Functions could not assume the role of the task's Credentials: " + err.Error()}
	}
	if foreignTo(req.Resource, req.ExecutionArn, acct) {
		return "", &interp.Event{Kind: interp.TaskFailed, Error: "States.TaskFailed",
			Cause: "The resource " + req.Resource + " belongs to another account or region than the role " + req.RoleArn + " of the task's Credentials; a task runs in its role's account, in its execution's region."}
	}
	return acct, nil
}

// assumeRole is Options.AssumeRole, or the refusal of a server that has
// no roles to assume.
func (e *Engine) assumeRole(role, executionArn, machineRole string) (string, error) {
	if e.opts.AssumeRole == nil {
		return "", errors.New("this server has no roles to assume (the iamRoles of accounts in --credentials)")
	}
	return e.opts.AssumeRole(role, executionArn, machineRole)
}

// foreignTo tells whether a resource is outside the account a task runs
// in (under its Credentials' role) or its execution's partition and
// region. An ARN without an account is in every scope.
func foreignTo(resource, executionArn, account string) bool {
	r, err1 := arn.Parse(resource)
	x, err2 := arn.Parse(executionArn)
	if err1 != nil || err2 != nil || r.Account == "" {
		return false
	}
	return r.Partition != x.Partition || r.Region != x.Region || r.Account != account
}
