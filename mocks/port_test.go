package mocks

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// The port answers each attempt of a mocked state with its next response:
// Throw as a *taskport.Failure (what Retry and Catch see), Return as the
// result; a state the test case does not mock, or an attempt past the
// last response, stops the run with an error that is not a task failure.
func TestPort(t *testing.T) {
	cfg, err := Parse([]byte(awsExample))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := cfg.TestCase("LambdaSQSIntegration", "RetryPath")
	if err != nil {
		t.Fatal(err)
	}
	p := tc.Port()
	call := func(state string) (any, error) {
		return p.Invoke(context.Background(), taskport.Request{StateName: state, Resource: "arn:aws:states:::lambda:invoke"})
	}
	for i, want := range []string{"Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException"} {
		_, err := call("LambdaState")
		var f *taskport.Failure
		if !errors.As(err, &f) || f.Name != want {
			t.Fatalf("attempt %d: %v, want a %s failure", i, err, want)
		}
	}
	out, err := call("LambdaState")
	if err != nil || !strings.Contains(jsonv.String(out), `"body":"Hello from Lambda!"`) {
		t.Fatalf("attempt 3: %s %v", jsonv.String(out), err)
	}
	var f *taskport.Failure
	if _, err := call("LambdaState"); err == nil || errors.As(err, &f) {
		t.Errorf("past the last response: %v, want an error that stops the run", err)
	}
	if _, err := call("Unmocked"); err == nil || errors.As(err, &f) || !strings.Contains(err.Error(), `"Unmocked"`) {
		t.Errorf("unmocked state: %v", err)
	}
}
