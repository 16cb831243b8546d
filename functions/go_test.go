package functions

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// A function built with github.com/aws/aws-lambda-go runs unchanged, as
// go1.x (Handler = the executable) and as provided.al2023 (bootstrap).
func TestGoFunction(t *testing.T) {
	t.Parallel()
	dir := goFunctionDir(t)
	h := newTestHost(t)
	for _, f := range []Function{
		{Name: "go1x", Runtime: "go1.x", Handler: "gofn", CodeDir: dir, Timeout: time.Second},
		{Name: "al2023", Runtime: "provided.al2023", CodeDir: dir, Timeout: time.Second},
	} {
		t.Run(f.Runtime, func(t *testing.T) {
			if err := h.Register(f); err != nil {
				t.Fatal(err)
			}
			var out struct {
				Greeting, RequestID, FunctionName, FunctionARN string
				HasDeadline                                    bool
				Count, Pid                                     int
			}
			res := invokeMeta(t, h, f.Name, `{"name":"gopher"}`, InvokeMeta{RequestID: "req-go-1"})
			ok(t, res, &out)
			if out.Greeting != "hello gopher" || out.RequestID != "req-go-1" || out.FunctionName != f.Name ||
				out.FunctionARN != "arn:aws:lambda:eu-west-1:111122223333:function:"+f.Name || !out.HasDeadline || out.Count != 1 {
				t.Fatalf("payload %s", res.Payload)
			}
			if !strings.Contains(res.Logs, "handled gopher") {
				t.Errorf("logs:\n%s", res.Logs)
			}

			// A returned error: aws-lambda-go names it after the error's Go type.
			res = invoke(t, h, f.Name, `{"mode":"error"}`)
			goError(t, res, "errorString", "go handler failed")
			res = invoke(t, h, f.Name, `{"mode":"custom","name":"thing"}`)
			goError(t, res, "NotFoundError", "thing not found")

			// The process survived both errors.
			ok(t, invoke(t, h, f.Name, `{"name":"again"}`), &out)
			if out.Count != 4 {
				t.Fatalf("count %d: the process was not reused", out.Count)
			}
			pid := out.Pid

			// A panic is reported with the panic value's type, and then the
			// process exits.
			res = invoke(t, h, f.Name, `{"mode":"panic"}`)
			goError(t, res, "string", "go handler panicked")
			ok(t, invoke(t, h, f.Name, `{}`), &out)
			if out.Pid == pid || out.Count != 1 {
				t.Fatalf("after a panic: pid %d (was %d) count %d, want a new process", out.Pid, pid, out.Count)
			}

			res = invokeMeta(t, h, f.Name, `{"mode":"exit"}`, InvokeMeta{RequestID: "req-go-exit"})
			failed(t, res, "Runtime.ExitError")
			if res.ErrorMessage != "RequestId: req-go-exit Error: Runtime exited with error: exit status 2" {
				t.Errorf("ErrorMessage %q", res.ErrorMessage)
			}

			res = invokeMeta(t, h, f.Name, `{"mode":"sleep"}`, InvokeMeta{RequestID: "req-go-sleep"})
			failed(t, res, "Sandbox.Timedout")
			if res.ErrorMessage != "RequestId: req-go-sleep Error: Task timed out after 1.00 seconds" {
				t.Errorf("ErrorMessage %q", res.ErrorMessage)
			}
		})
	}
}

func goError(t *testing.T, res *Result, errType, msg string) {
	t.Helper()
	if res.FunctionError != "Unhandled" || res.ErrorType != errType || res.ErrorMessage != msg {
		t.Fatalf("got %q %q %q, want Unhandled %q %q\npayload %s", res.FunctionError, res.ErrorType, res.ErrorMessage, errType, msg, res.Payload)
	}
	// The payload is aws-lambda-go's own error document.
	var doc messages.InvokeResponse_Error
	if err := json.Unmarshal(res.Payload, &doc); err != nil || doc.Type != errType || doc.Message != msg {
		t.Fatalf("payload %s (%v)", res.Payload, err)
	}
}
