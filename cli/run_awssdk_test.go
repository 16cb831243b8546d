package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/integrations/testservers"
)

// TestRunAWSSDK: `statecraft run --services FILE` runs aws-sdk tasks with
// the file's settings: S3 on gofakes3 addressed path-style (pathStyle),
// SQS on goaws, which speaks only the query protocol (protocol: query).
func TestRunAWSSDK(t *testing.T) {
	t.Setenv("RUN_SDK_KEY", "run-sdk")
	t.Setenv("RUN_SDK_SECRET", "run-sdk-secret")
	dir := t.TempDir()
	services := filepath.Join(dir, "services.yaml")
	creds := "\n  accessKeyIdEnv: RUN_SDK_KEY\n  secretAccessKeyEnv: RUN_SDK_SECRET\n"
	cfg := fmt.Sprintf("s3:\n  endpoint: %s\n  pathStyle: true%ssqs:\n  endpoint: %s\n  protocol: query%s",
		testservers.S3(t), creds, testservers.Goaws(t), creds)
	if err := os.WriteFile(services, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	def := filepath.Join(dir, "sdk.asl.json")
	if err := os.WriteFile(def, []byte(`{"StartAt": "Bucket", "States": {
  "Bucket": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:createBucket", "Parameters": {"Bucket": "run-notes"}, "ResultPath": null, "Next": "Put"},
  "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
    "Parameters": {"Bucket": "run-notes", "Key": "n.json", "ContentType": "application/json", "Body.$": "$.note"}, "ResultPath": null, "Next": "Get"},
  "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "Parameters": {"Bucket": "run-notes", "Key": "n.json"},
    "ResultSelector": {"body.$": "$.Body"}, "ResultPath": "$.got", "Next": "Queue"},
  "Queue": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:createQueue", "Parameters": {"QueueName": "run-sdk"},
    "ResultPath": "$.queue", "Next": "Send"},
  "Send": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:sendMessage",
    "Parameters": {"QueueUrl.$": "$.queue.QueueUrl", "MessageBody.$": "$.got.body"}, "ResultSelector": {"md5.$": "$.MD5OfMessageBody"}, "ResultPath": "$.sent", "End": true}
}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	err := Run(context.Background(), RunOptions{Definition: def, Input: `{"note": {"to": "back door"}}`, Services: services, Region: "us-east-1", Account: "123456789012"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	var res struct {
		Status string
		Output struct {
			Got  struct{ Body string }
			Sent struct{ MD5 string }
		}
	}
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	// {"to":"back door"}'s MD5: the body read back is what was sent.
	if res.Status != "SUCCEEDED" || res.Output.Got.Body != `{"to":"back door"}` || res.Output.Sent.MD5 != "73d9bda187e56b9a5cf5f1731d705cec" {
		t.Fatalf("got %s", out.String())
	}
}
