package asl

import (
	"strings"
	"testing"
)

func TestRuns(t *testing.T) {
	cases := map[string]bool{
		"arn:aws:lambda:us-east-1:123456789012:function:f":                 true,
		"arn:aws:lambda:us-east-1:123456789012:function:f:live":            true,
		"arn:aws:states:us-east-1:123456789012:activity:a":                 true,
		"arn:aws:states:::lambda:invoke":                                   true,
		"arn:aws:states:::lambda:invoke.waitForTaskToken":                  true,
		"arn:aws:states:::http:invoke":                                     true,
		"arn:aws:states:::states:startExecution.sync:2":                    true,
		"arn:aws:states:::sqs:sendMessage.waitForTaskToken":                true,
		"arn:aws:states:::sns:publish":                                     true,
		"arn:aws:states:::dynamodb:updateItem":                             true,
		"arn:aws:states:::events:putEvents.waitForTaskToken":               true,
		"arn:aws:states:::dynamodb:getItem.waitForTaskToken":               false,
		"arn:aws:states:::sqs:sendMessage.sync":                            false,
		"arn:aws:states:::glue:startJobRun.sync":                           false,
		"arn:aws:states:::http:invoke.waitForTaskToken":                    false,
		"arn:aws:states:::aws-sdk:svctest:doThing":                         false,
		"arn:aws:states:us-east-1:123456789012:stateMachine:x":             false,
		"arn:aws:ecs:us-east-1:123456789012:task-definition/x":             false,
		"arn:aws:states:::dynamodb:getItemX":                               false,
		"arn:aws:states:us-east-1:123456789012:activity:":                  false,
		"arn:aws:states:::lambda:invoke.sync":                              false,
		"arn:aws:states:us-east-1::sqs:sendMessage":                        false,
		"arn:aws:states:::states:startExecution.waitForTaskToken":          true,
		"arn:aws:states:::aws-sdk:svctest:doThing.waitForTaskToken":        false,
		"arn:aws:lambda:us-east-1:123456789012:function:":                  false,
		"arn:aws:states:::dynamodb:putItem":                                true,
		"arn:aws:states:::dynamodb:deleteItem":                             true,
		"arn:aws:states:::states:startExecution":                           true,
		"arn:aws:states:::states:startExecution.sync":                      true,
		"arn:aws:states:::sns:publish.waitForTaskToken":                    true,
		"arn:aws:states:::events:putEvents":                                true,
		"arn:aws:states:::sqs:sendMessage":                                 true,
		"arn:aws:states:::aws-sdk:svctest":                                 false,
		"arn:aws:states:::aws-sdk:svctest:":                                false,
		"arn:aws:states:::aws-sdk:unregistered:getObject.waitForTaskToken": false,
	}
	check := func() {
		for r, want := range cases {
			if got := Runs(r); got != want {
				t.Errorf("Runs(%s) = %v, want %v", r, got, want)
			}
		}
	}
	check()
	// The package that runs aws-sdk tasks registers its services.
	RegisterAWSSDKServices("svctest")
	defer func() { sdkMu.Lock(); delete(sdkServices, "svctest"); sdkMu.Unlock() }()
	cases["arn:aws:states:::aws-sdk:svctest:doThing"] = true
	cases["arn:aws:states:::aws-sdk:svctest:doThing.waitForTaskToken"] = true
	check()
	if list := strings.Join(SupportedResources(), " "); !strings.Contains(list, "aws-sdk:SERVICE:ACTION (SERVICE one of svctest)") {
		t.Errorf("SupportedResources() = %s", list)
	}
}

func TestValidateRunnable(t *testing.T) {
	def := `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "End": true}}}`
	if p := Validate([]byte(def), ValidateOptions{}); p != nil {
		t.Fatalf("without Runnable: %v", p)
	}
	p := Validate([]byte(def), ValidateOptions{Runnable: true})
	if len(p) != 1 || p[0].Code != CodeNotImplemented || !strings.Contains(p[0].Message, "cannot run the resource arn:aws:states:::glue:startJobRun.sync") ||
		!strings.Contains(p[0].Message, "arn:aws:states:::sqs:sendMessage.waitForTaskToken") || !strings.Contains(p[0].Message, "arn:aws:lambda:REGION:ACCOUNT:function:NAME") {
		t.Fatalf("got %v", p)
	}
}
