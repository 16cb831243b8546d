// Package tasks runs the Task resources that Statecraft runs itself, as
// one taskport.Port: Lambda functions (the legacy
// arn:aws:lambda:REGION:ACCOUNT:function:NAME form and the optimized
// arn:aws:states:::lambda:invoke integration) on local processes through a
// functions.Host, and HTTP tasks (arn:aws:states:::http:invoke) through
// httptask. It owns the mapping between Lambda's answers and what Step
// Functions makes of them: result shapes and error names.
//
// A task invokes a function of its execution's account: the account a
// function ARN names, or the execution's for a bare FunctionName. A
// function ARN of another account fails the task with
// Lambda.AWSLambdaException (AccessDeniedException), as it does on AWS
// without a cross-account grant.
package tasks

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/httptask"
	"github.com/statecraft/statecraft/integrations"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// Invoker routes task resources to local functions and HTTP calls. A nil
// Functions or HTTP leaves those resources unsupported.
type Invoker struct {
	Functions *functions.Host
	HTTP      *httptask.Invoker
	// Services runs the optimized integrations with AWS services
	// (arn:aws:states:::sqs:sendMessage, dynamodb:putItem, ...: package
	// integrations); SDK the generic arn:aws:states:::aws-sdk:SERVICE:ACTION
	// form. Nil leaves those resources unsupported.
	Services taskport.Port
	SDK      taskport.Port
	// Log receives each invocation's captured stdout and stderr, tagged
	// with the execution and state, so a function's output can be read
	// beside the execution that caused it. Nil discards it.
	Log *slog.Logger
}

// Invoke implements taskport.Port.
func (i *Invoker) Invoke(ctx context.Context, req taskport.Request) (any, error) {
	res := strings.TrimSuffix(req.Resource, ".waitForTaskToken")
	parts := strings.SplitN(res, ":", 7)
	switch {
	case len(parts) >= 7 && parts[2] == "lambda" && parts[5] == "function":
		if i.Functions == nil {
			return nil, taskport.ErrNotSupported
		}
		return i.legacy(ctx, req, res, parts[4], functionName(parts[6]), req.Input)
	case len(parts) == 7 && parts[2] == "states" && parts[3] == "" && parts[5] == "lambda" && parts[6] == "invoke":
		if i.Functions == nil {
			return nil, taskport.ErrNotSupported
		}
		return i.invoke(ctx, req, req.Input)
	case len(parts) == 7 && parts[2] == "states" && parts[5] == "http":
		if i.HTTP == nil {
			return nil, taskport.ErrNotSupported
		}
		return i.HTTP.Invoke(ctx, req)
	case len(parts) == 7 && parts[2] == "states" && parts[3] == "" && parts[5] == "aws-sdk":
		if i.SDK == nil {
			return nil, taskport.ErrNotSupported
		}
		return i.SDK.Invoke(ctx, req)
	case len(parts) == 7 && parts[2] == "states" && parts[3] == "" && integrations.Service(req.Resource) != "":
		if i.Services == nil {
			return nil, taskport.ErrNotSupported
		}
		return i.Services.Invoke(ctx, req)
	}
	return nil, taskport.ErrNotSupported
}

// functionName takes "NAME" or "NAME:QUALIFIER" (a version or alias; local
// functions have only $LATEST, so the qualifier is ignored).
func functionName(s string) string {
	name, _, _ := strings.Cut(s, ":")
	return name
}

// fromParameter accepts what Lambda's FunctionName accepts: a name, a
// partial ARN (ACCOUNT:function:NAME) or a full ARN, each with an optional
// qualifier. account is "" when s names none.
func fromParameter(s string) (account, name string) {
	i := strings.Index(s, "function:")
	if i < 0 {
		return "", functionName(s)
	}
	prefix := strings.TrimSuffix(s[:i], ":")
	if j := strings.LastIndex(prefix, ":"); j >= 0 {
		prefix = prefix[j+1:]
	}
	return prefix, functionName(s[i+len("function:"):])
}

// execution is what the task's execution ARN
// (arn:aws:states:REGION:ACCOUNT:execution:... or :express:...) says about
// where it runs; both are "" when the request names no execution.
func execution(req taskport.Request) (region, account string) {
	parts := strings.SplitN(req.ExecutionArn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[2] != "states" {
		return "", ""
	}
	if req.Account != "" {
		// Under a Task's Credentials the task runs in the role's account.
		return parts[3], req.Account
	}
	return parts[3], parts[4]
}

// account decides which account's function a task invokes: the one its
// ARN names, else the execution's. A state machine may invoke only its own
// account's functions, as an execution role without cross-account
// permissions may on AWS: a function ARN of another account fails the task
// the way Lambda's AccessDeniedException does, and nothing runs.
func account(req taskport.Request, named, name string) (string, error) {
	region, exec := execution(req)
	switch {
	case named == "":
		return exec, nil
	case exec == "" || named == exec:
		return named, nil
	}
	if region == "" {
		region = "us-east-1"
	}
	fn := arn.Function(region, named, name)
	whose := "the execution's"
	if req.Account != "" {
		whose = "the role's of the task's Credentials"
	}
	return "", &taskport.Failure{Name: "Lambda.AWSLambdaException", Cause: fmt.Sprintf(
		"User: %s is not authorized to perform: lambda:InvokeFunction on resource: %s because the function belongs to another account than %s (%s) (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: %s)",
		req.ExecutionArn, fn, whose, exec, newRequestID())}
}

// legacy invokes a function named by its ARN: the task's result is the
// function's response itself.
func (i *Invoker) legacy(ctx context.Context, req taskport.Request, arn, acct, name string, input any) (any, error) {
	acct, err := account(req, acct, name)
	if err != nil {
		return nil, err
	}
	res, err := i.call(ctx, req, arn, acct, name, jsonv.Marshal(input))
	if err != nil {
		return nil, err
	}
	return jsonv.Parse(res.Payload)
}

// invoke is the optimized integration: Parameters carry FunctionName and
// Payload, and the result wraps the response the way the Lambda API does.
func (i *Invoker) invoke(ctx context.Context, req taskport.Request, input any) (any, error) {
	params, _ := input.(*jsonv.Object)
	fn, _ := params.Value("FunctionName").(string)
	if fn == "" {
		return nil, &taskport.Failure{Name: "States.Runtime", Cause: "The lambda:invoke integration needs a FunctionName parameter."}
	}
	acct, name := fromParameter(fn)
	acct, err := account(req, acct, name)
	if err != nil {
		return nil, err
	}
	payload := []byte("{}")
	if p, ok := params.Get("Payload"); ok {
		payload = jsonv.Marshal(p)
	}
	if t, _ := params.Value("InvocationType").(string); t == "Event" {
		// Asynchronous: Lambda accepts the event and answers 202 at once.
		go func() { _, _ = i.Functions.Invoke(context.Background(), acct, name, payload, functions.InvokeMeta{}) }()
		return jsonv.FromMap(map[string]any{"StatusCode": int64(202), "Payload": "", "SdkHttpMetadata": httpMetadata(202, ""), "SdkResponseMetadata": map[string]any{"RequestId": ""}}), nil
	}
	res, err := i.call(ctx, req, fn, acct, name, payload)
	if err != nil {
		return nil, err
	}
	out, err := jsonv.Parse(res.Payload)
	if err != nil {
		return nil, err
	}
	// Sorted keys (nested ones too): the order of AWS's documented result.
	return jsonv.FromMap(map[string]any{
		"ExecutedVersion":     "$LATEST",
		"Payload":             out,
		"SdkHttpMetadata":     httpMetadata(200, res.requestID),
		"SdkResponseMetadata": map[string]any{"RequestId": res.requestID},
		"StatusCode":          int64(200),
	}), nil
}

type result struct {
	*functions.Result
	requestID string
}

// call runs one invocation and turns a function error into the task error
// Step Functions reports: the error's type is the error name and the
// error document (errorMessage, errorType, stackTrace) is the cause.
func (i *Invoker) call(ctx context.Context, req taskport.Request, ref, account, name string, payload []byte) (*result, error) {
	id := newRequestID()
	res, err := i.Functions.Invoke(ctx, account, name, payload, functions.InvokeMeta{RequestID: id})
	if err == nil && i.Log != nil {
		i.Log.Info("function invoked", "execution", req.ExecutionArn, "state", req.StateName, "function", name,
			"requestId", id, "duration", res.Duration, "error", res.ErrorType, "output", strings.TrimRight(res.Logs, "\n"))
	}
	switch {
	case errors.Is(err, functions.ErrFunctionNotFound):
		return nil, &taskport.Failure{Name: "Lambda.ResourceNotFoundException", Cause: fmt.Sprintf("Function not found: %s (Service: Lambda, Status Code: 404, Request ID: %s)", ref, id)}
	case errors.Is(err, functions.ErrInvalidRequestContent):
		return nil, &taskport.Failure{Name: "Lambda.InvalidRequestContentException", Cause: err.Error()}
	case err != nil:
		return nil, err
	}
	if res.FunctionError != "" {
		name := res.ErrorType
		if name == "" {
			name = functions.ErrorTypeUnknown
		}
		return nil, &taskport.Failure{Name: name, Cause: string(res.Payload)}
	}
	return &result{Result: res, requestID: id}, nil
}

func httpMetadata(status int64, requestID string) map[string]any {
	headers := map[string]any{
		"Connection":                     "keep-alive",
		"Content-Type":                   "application/json",
		"X-Amz-Executed-Version":         "$LATEST",
		"x-amzn-Remapped-Content-Length": "0",
		"x-amzn-RequestId":               requestID,
	}
	all := map[string]any{}
	for k, v := range headers {
		all[k] = []any{v}
	}
	return map[string]any{"AllHttpHeaders": all, "HttpHeaders": headers, "HttpStatusCode": status}
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
