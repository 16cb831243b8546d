// Package taskport is the one port through which executions run Task
// resources. The durable engine (Standard and Express executions) and the
// in-process runner (`statecraft run`, the conformance suite) both call a
// Port for every Task state attempt; local functions, HTTP tasks, mocked
// responses and the engine's own activities, callbacks and nested
// executions each implement it once. Adding a resource is one more
// implementation, and every kind of execution can then run it.
//
// The package is a leaf: it depends on nothing else in the module, so an
// implementation imports this package and not the engine.
package taskport

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Request is one attempt of a Task state.
type Request struct {
	// Resource is the state's Resource ARN as written, with any integration
	// pattern suffix (.sync, .sync:2, .waitForTaskToken).
	Resource string
	// Input is the task's effective parameters, a jsonv value
	// (*jsonv.Object, []any, string, int64, float64, bool or nil). It is
	// shared with the execution and must not be modified.
	Input any
	// Timeout and Heartbeat are the state's TimeoutSeconds and
	// HeartbeatSeconds; 0 when unset. The host enforces both; they are
	// here for resources that pass them on (a function's own deadline).
	Timeout, Heartbeat time.Duration
	// ExecutionArn names the execution the task belongs to (an :execution:
	// or an :express: ARN). A resource it names in another account or
	// region is never called: the host fails such a task first.
	ExecutionArn string
	StateName    string
	// Token is the task token ($$.Task.Token): what a callback's callee or
	// an activity worker answers with.
	Token string
	// Attempt is 0 for the first try, then 1, 2, ... on retries.
	Attempt int
	// RoleArn is the role of the Task state's Credentials, "" without.
	// The host has assumed it before calling the port: Account is then
	// the role's account, the one the task runs in (whose functions and
	// resources it reaches) instead of the execution's.
	RoleArn, Account string
	// Trace, when set, receives the HTTP exchange of an HTTP task, which
	// the TestState API shows at its TRACE level. Other resources leave
	// it alone.
	Trace *HTTPTrace
}

// HTTPTrace is the HTTP request a task sent and the response it got.
type HTTPTrace struct {
	// RevealSecrets asks for the request as it was sent. Without it, what
	// the task's connection added (its credentials, and its headers,
	// query and body parameters) is left out, and the request shows what
	// the state's own Parameters made of it.
	RevealSecrets bool
	// Request is nil when no request was sent; Response when none came
	// back.
	Request  *HTTPRequest
	Response *HTTPResponse
}

// HTTPRequest is a request as sent.
type HTTPRequest struct {
	Method string
	URL    string
	Header http.Header
	Body   string
}

// HTTPResponse is a response as received; Status is its reason phrase
// ("Not Found").
type HTTPResponse struct {
	Proto      string
	StatusCode int
	Status     string
	Header     http.Header
	Body       string
}

// A Port runs Task resources.
type Port interface {
	// Invoke runs one attempt of a task and returns its result, a jsonv
	// value the state's ResultSelector and ResultPath then see (Go maps and
	// ints are accepted too: the host converts them with jsonv.Normalize,
	// a map's keys sorted). A *Failure
	// fails the task with that error name and cause, which Retry and Catch
	// match; an error that Is ErrNotSupported says the port does not run
	// this resource, and the host fails the task with NotSupported's
	// failure naming it. Any other error fails the task with
	// States.TaskFailed in the durable engine and stops a runner run.
	//
	// ctx ends when the answer no longer matters: the task timed out, the
	// execution ended or the server is stopping.
	Invoke(ctx context.Context, req Request) (any, error)
}

// Func adapts a function to Port.
type Func func(ctx context.Context, req Request) (any, error)

// Invoke calls f.
func (f Func) Invoke(ctx context.Context, req Request) (any, error) { return f(ctx, req) }

// Failure fails a task with a Step Functions error name and cause.
type Failure struct {
	Name  string
	Cause string
}

func (f *Failure) Error() string { return f.Name + ": " + f.Cause }

// Fail is a *Failure as an error.
func Fail(name, cause string) error { return &Failure{Name: name, Cause: cause} }

// ErrNotSupported is what a Port returns for a resource it does not run.
var ErrNotSupported = errors.New("resource not supported")

// ErrorNotSupported is the error name of a task whose resource no port
// runs.
const ErrorNotSupported = "Statecraft.ResourceNotSupported"

// NotSupported is the failure of a task whose resource no port runs: an
// error name Retry and Catch can match, and a cause naming the resource.
func NotSupported(resource string) *Failure {
	return &Failure{Name: ErrorNotSupported, Cause: "This server cannot run the resource " + resource + "."}
}

// TimedOut tells whether the failure is a timeout (States.Timeout or
// States.HeartbeatTimeout): the host then times the task out rather than
// failing it, as it does for a task that ran past its own limits.
func (f *Failure) TimedOut() bool {
	return f.Name == "States.Timeout" || f.Name == "States.HeartbeatTimeout"
}

// RoleAssumedByPort tells whether the port that runs resource assumes
// the role of a Task's Credentials itself: an AWS service integration
// (arn:PARTITION:states:::SERVICE:ACTION other than Statecraft's own
// lambda, http and states resources; aws-sdk ones included), whose call
// is signed with the temporary credentials STS gives for the role, as
// Step Functions makes it. The host then passes Request.RoleArn on
// without assuming one of its own roles, and Request.Account stays "".
func RoleAssumedByPort(resource string) bool {
	parts := strings.SplitN(resource, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "states" || parts[3] != "" || parts[4] != "" {
		return false
	}
	switch parts[5] {
	case "lambda", "http", "states", "activity":
		return false
	}
	return true
}
