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

func TestRoleAssumedByPort(t *testing.T) {
	cases := []struct {
		resource string
		want     bool
	}{
		{"arn:aws:states:::sqs:sendMessage", true},
		{"arn:aws:states:::sns:publish.waitForTaskToken", true},
		{"arn:aws:states:::dynamodb:putItem", true},
		{"arn:aws:states:::aws-sdk:s3:getObject", true},
		{"arn:aws:states:::aws-sdk:lambda:invoke", true},
		{"arn:aws-cn:states:::events:putEvents", true},
		{"arn:aws:states:::lambda:invoke", false},
		{"arn:aws:states:::http:invoke", false},
		{"arn:aws:states:::states:startExecution.sync:2", false},
		{"arn:aws:states:us-east-1:123456789012:activity:a", false},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", false},
		{"arn:aws:states:us-east-1::sqs:sendMessage", false},
		{"not an arn", false},
	}
	for _, c := range cases {
		if got := RoleAssumedByPort(c.resource); got != c.want {
			t.Errorf("RoleAssumedByPort(%q) = %v, want %v", c.resource, got, c.want)
		}
	}
}
