package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		def  string
		want string // what is printed; "" for a valid definition
	}{
		{"valid", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, ""},
		{"invalid", `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"Q"},"Q":{"Type":"Succeed"},"R":{"Type":"Succeed"}}}`,
			"/States/R: State 'R' is not reachable; expected StartAt, a Next, a Default or a Catch Next of its scope to lead to it\n"},
		// Credentials on a service integration run (the role is assumed
		// through STS).
		{"credentials", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
			"Parameters":{"QueueUrl":"q","MessageBody":"m"},"Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/other"},"End":true}}}`, ""},
		// The aws-sdk integrations are wired in: their actions run and
		// their requests' fields are checked, as CreateStateMachine does.
		{"aws-sdk", `{"StartAt":"Get","States":{"Get":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:getObject",
			"Parameters":{"Bucket":"b","Key.$":"$.key"},"Next":"Put"},"Put":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:dynamodb:putItem",
			"Parameters":{"TableName":"t","Item":{"id":{"S.$":"$.Body"}}},"Next":"Send"},"Send":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken",
			"Parameters":{"QueueUrl":"u","MessageBody.$":"$$.Task.Token"},"End":true}}}`, ""},
		{"aws-sdk unknown field", `{"StartAt":"Put","States":{"Put":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:dynamodb:putItem",
			"Parameters":{"TableName":"t","Item":{"id":{"String":"x"}}},"End":true}}}`,
			"/States/Put/Parameters/Item/id/String: The field \"String\" is not supported by Step Functions\n"},
		{"aws-sdk unknown action", `{"StartAt":"Get","States":{"Get":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:GetObject","End":true}}}`,
			"/States/Get/Resource: Statecraft cannot run the resource arn:aws:states:::aws-sdk:s3:GetObject: the AWS SDK integration for s3 has no action \"GetObject\" (actions are the API's operations in camelCase, as getObject); aws-sdk runs the services dynamodb, eventbridge, lambda, s3, sfn, sns, sqs\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "machine.asl.json")
			if err := os.WriteFile(path, []byte(tc.def), 0o600); err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			err := Validate(path, false, &out)
			if out.String() != tc.want {
				t.Errorf("printed %q, want %q", out.String(), tc.want)
			}
			var exit *ExitError
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid definition: %v", err)
			case tc.want != "" && (!errors.As(err, &exit) || exit.Code != 1):
				t.Errorf("want exit code 1, got %v", err)
			}
		})
	}
}
