package taskport

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestFailure(t *testing.T) {
	for _, c := range []struct {
		name     string
		timedOut bool
	}{
		{"States.Timeout", true},
		{"States.HeartbeatTimeout", true},
		{"States.TaskFailed", false},
		{"Lambda.TimeoutException", false},
		{"", false},
	} {
		var f *Failure
		if err := fmt.Errorf("wrapped: %w", Fail(c.name, "why")); !errors.As(err, &f) || f.Name != c.name || f.Cause != "why" {
			t.Fatalf("%q: %v", c.name, err)
		}
		if f.TimedOut() != c.timedOut {
			t.Errorf("%q: TimedOut() = %v", c.name, f.TimedOut())
		}
	}
	f := NotSupported("arn:aws:states:::sqs:sendMessage")
	if f.Name != ErrorNotSupported || !strings.Contains(f.Cause, "arn:aws:states:::sqs:sendMessage") {
		t.Errorf("NotSupported = %+v", f)
	}
}
