package asl

import (
	"slices"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/jsonv"
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
	var sdk *AWSSDK
	check := func() {
		for r, want := range cases {
			if got := Runs(r, sdk); got != want {
				t.Errorf("Runs(%s) = %v, want %v", r, got, want)
			}
		}
	}
	check()
	// The package that runs aws-sdk tasks describes its services.
	sdk = &AWSSDK{Services: []string{"svctest"}, Supported: func(svc, action string) bool { return action == "doThing" }}
	cases["arn:aws:states:::aws-sdk:svctest:otherThing"] = false
	cases["arn:aws:states:::aws-sdk:svctest:doThing"] = true
	cases["arn:aws:states:::aws-sdk:svctest:doThing.waitForTaskToken"] = true
	check()
	if list := strings.Join(SupportedResources(sdk), " "); !strings.Contains(list, "aws-sdk:SERVICE:ACTION (SERVICE one of svctest)") {
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

// TestValidateAWSSDK: with the package that runs aws-sdk tasks
// described in ValidateOptions.AWSSDK, an action it lacks is refused naming the action and its
// services, and a Parameters or Arguments field the action's request does
// not have is refused at its pointer with the registered message.
func TestValidateAWSSDK(t *testing.T) {
	sdk := &AWSSDK{
		Services:  []string{"other", "svctest"},
		Supported: func(svc, action string) bool { return action == "doThing" },
		CheckParameters: func(svc, action string, params any) ([]string, string) {
			o, _ := params.(*jsonv.Object)
			if o == nil || !o.Has("Bad") {
				return nil, ""
			}
			return []string{"Bad", "a/b"}, `The field "a/b" is not supported by Step Functions`
		},
	}
	task := func(resource, params string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + resource + `",` + params + `"End":true}}}`
	}
	for _, c := range []struct {
		name, def string
		opts      ValidateOptions
		want      []Problem
	}{
		{"runs", task("arn:aws:states:::aws-sdk:svctest:doThing", `"Parameters":{"Good":1},`), ValidateOptions{Runnable: true, AWSSDK: sdk}, nil},
		{"unknown action", task("arn:aws:states:::aws-sdk:svctest:doOther.waitForTaskToken", ""), ValidateOptions{Runnable: true, AWSSDK: sdk}, []Problem{{
			Pointer: "/States/T/Resource", Code: CodeNotImplemented,
			Message: `Statecraft cannot run the resource arn:aws:states:::aws-sdk:svctest:doOther.waitForTaskToken: the AWS SDK integration for svctest has no action "doOther" (actions are the API's operations in camelCase, as getObject); aws-sdk runs the services other, svctest`}}},
		{"unknown field", task("arn:aws:states:::aws-sdk:svctest:doThing", `"Parameters":{"Bad":{}},`), ValidateOptions{Runnable: true, AWSSDK: sdk}, []Problem{{
			Pointer: "/States/T/Parameters/Bad/a~1b", Code: CodeSchema, Message: `The field "a/b" is not supported by Step Functions`}}},
		{"unknown field in Arguments", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:svctest:doThing","Arguments":{"Bad":1},"End":true}}}`,
			ValidateOptions{Runnable: true, AWSSDK: sdk}, []Problem{{Pointer: "/States/T/Arguments/Bad/a~1b", Code: CodeSchema, Message: `The field "a/b" is not supported by Step Functions`}}},
		// Without Runnable (mocks answer the tasks) neither is checked.
		{"not runnable", task("arn:aws:states:::aws-sdk:svctest:doOther", `"Parameters":{"Bad":1},`), ValidateOptions{AWSSDK: sdk}, nil},
	} {
		got := Validate([]byte(c.def), c.opts)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
