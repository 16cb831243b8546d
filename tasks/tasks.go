// Package tasks runs the Task resources that Statecraft runs itself, as
// one engine.Invoker: Lambda functions (the legacy
// arn:aws:lambda:REGION:ACCOUNT:function:NAME form and the optimized
// arn:aws:states:::lambda:invoke integration) on local processes through a
// functions.Host, and HTTP tasks (arn:aws:states:::http:invoke) through
// httptask. It owns the mapping between Lambda's answers and what Step
// Functions makes of them: result shapes and error names.
package tasks

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/httptask"
	"github.com/statecraft/statecraft/jsonv"
)

// Invoker routes task resources to local functions and HTTP calls. A nil
// Functions or HTTP leaves those resources unsupported.
type Invoker struct {
	Functions *functions.Host
	HTTP      *httptask.Invoker
	// Log receives each invocation's captured stdout and stderr, tagged
	// with the execution and state, so a function's output can be read
	// beside the execution that caused it. Nil discards it.
	Log *slog.Logger
}

// Invoke implements engine.Invoker.
func (i *Invoker) Invoke(ctx context.Context, req engine.InvokeRequest) (any, error) {
	res := strings.TrimSuffix(req.Resource, ".waitForTaskToken")
	parts := strings.SplitN(res, ":", 7)
	switch {
	case len(parts) >= 7 && parts[2] == "lambda" && parts[5] == "function":
		if i.Functions == nil {
			return nil, engine.ErrNotSupported
		}
		return i.legacy(ctx, req, res, functionName(parts[6]), req.Input)
	case len(parts) == 7 && parts[2] == "states" && parts[3] == "" && parts[5] == "lambda" && parts[6] == "invoke":
		if i.Functions == nil {
			return nil, engine.ErrNotSupported
		}
		return i.invoke(ctx, req, req.Input)
	case len(parts) == 7 && parts[2] == "states" && parts[5] == "http":
		if i.HTTP == nil {
			return nil, engine.ErrNotSupported
		}
		return i.HTTP.Invoke(ctx, req)
	}
	return nil, engine.ErrNotSupported
}

// functionName takes "NAME" or "NAME:QUALIFIER" (a version or alias; local
// functions have only $LATEST, so the qualifier is ignored).
func functionName(s string) string {
	name, _, _ := strings.Cut(s, ":")
	return name
}

// nameFromParameter accepts what Lambda's FunctionName accepts: a name, a
// partial ARN (ACCOUNT:function:NAME) or a full ARN, each with an optional
// qualifier.
func nameFromParameter(s string) string {
	if i := strings.Index(s, "function:"); i >= 0 {
		return functionName(s[i+len("function:"):])
	}
	return functionName(s)
}

// legacy invokes a function named by its ARN: the task's result is the
// function's response itself.
func (i *Invoker) legacy(ctx context.Context, req engine.InvokeRequest, arn, name string, input any) (any, error) {
	res, err := i.call(ctx, req, arn, name, jsonv.Marshal(input))
	if err != nil {
		return nil, err
	}
	return jsonv.Parse(res.Payload)
}

// invoke is the optimized integration: Parameters carry FunctionName and
// Payload, and the result wraps the response the way the Lambda API does.
func (i *Invoker) invoke(ctx context.Context, req engine.InvokeRequest, input any) (any, error) {
	params, _ := input.(map[string]any)
	fn, _ := params["FunctionName"].(string)
	if fn == "" {
		return nil, &engine.TaskError{Name: "States.Runtime", Cause: "The lambda:invoke integration needs a FunctionName parameter."}
	}
	name := nameFromParameter(fn)
	payload := []byte("{}")
	if p, ok := params["Payload"]; ok {
		payload = jsonv.Marshal(p)
	}
	if t, _ := params["InvocationType"].(string); t == "Event" {
		// Asynchronous: Lambda accepts the event and answers 202 at once.
		go func() { _, _ = i.Functions.Invoke(context.Background(), name, payload, functions.InvokeMeta{}) }()
		return map[string]any{"StatusCode": int64(202), "Payload": "", "SdkHttpMetadata": httpMetadata(202, ""), "SdkResponseMetadata": map[string]any{"RequestId": ""}}, nil
	}
	res, err := i.call(ctx, req, fn, name, payload)
	if err != nil {
		return nil, err
	}
	out, err := jsonv.Parse(res.Payload)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"ExecutedVersion":     "$LATEST",
		"Payload":             out,
		"SdkHttpMetadata":     httpMetadata(200, res.requestID),
		"SdkResponseMetadata": map[string]any{"RequestId": res.requestID},
		"StatusCode":          int64(200),
	}, nil
}

type result struct {
	*functions.Result
	requestID string
}

// call runs one invocation and turns a function error into the task error
// Step Functions reports: the error's type is the error name and the
// error document (errorMessage, errorType, stackTrace) is the cause.
func (i *Invoker) call(ctx context.Context, req engine.InvokeRequest, ref, name string, payload []byte) (*result, error) {
	id := newRequestID()
	res, err := i.Functions.Invoke(ctx, name, payload, functions.InvokeMeta{RequestID: id})
	if err == nil && i.Log != nil {
		i.Log.Info("function invoked", "execution", req.ExecutionArn, "state", req.StateName, "function", name,
			"requestId", id, "duration", res.Duration, "error", res.ErrorType, "output", strings.TrimRight(res.Logs, "\n"))
	}
	switch {
	case errors.Is(err, functions.ErrFunctionNotFound):
		return nil, &engine.TaskError{Name: "Lambda.ResourceNotFoundException", Cause: fmt.Sprintf("Function not found: %s (Service: Lambda, Status Code: 404, Request ID: %s)", ref, id)}
	case errors.Is(err, functions.ErrInvalidRequestContent):
		return nil, &engine.TaskError{Name: "Lambda.InvalidRequestContentException", Cause: err.Error()}
	case err != nil:
		return nil, err
	}
	if res.FunctionError != "" {
		name := res.ErrorType
		if name == "" {
			name = functions.ErrorTypeUnknown
		}
		return nil, &engine.TaskError{Name: name, Cause: string(res.Payload)}
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
