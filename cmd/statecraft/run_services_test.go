package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqsschemas "github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/statecraft/statecraft/integrations/testservers"
)

// TestRunServices: `statecraft run` sends to a goaws queue through the
// optimized SQS integration, the queue's settings from a --services file
// or from the project file's services section.
func TestRunServices(t *testing.T) {
	goaws := testservers.Goaws(t)
	t.Setenv("RUN_SVC_KEY", "k")
	t.Setenv("RUN_SVC_SECRET", "s")
	q := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(goaws), Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")},
		func(o *sqs.Options) { o.Protocol = awsquery.New(sqsschemas.AmazonSQS) })
	if _, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("run-services")}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	settings := fmt.Sprintf("sqs:\n  endpoint: %s\n  protocol: query\n  accessKeyIdEnv: RUN_SVC_KEY\n  secretAccessKeyEnv: RUN_SVC_SECRET\n", goaws)
	indented := "services:\n  " + strings.ReplaceAll(strings.TrimSpace(settings), "\n", "\n  ") + "\n"
	files := map[string]string{"services.yaml": settings, "statecraft.yaml": indented,
		"send.asl.json": `{"StartAt": "Send", "States": {"Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
  "Parameters": {"QueueUrl": "` + testservers.QueueURL(goaws, "run-services") + `", "MessageBody.$": "$"}, "End": true}}}`}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	def := filepath.Join(dir, "send.asl.json")
	for _, args := range [][]string{
		{"--services", filepath.Join(dir, "services.yaml")},
		{"--project", filepath.Join(dir, "statecraft.yaml")},
	} {
		x := mustRun(t, "", append([]string{"run", def, "--input", `{"n": 1}`}, args...)...)
		if x.status != "SUCCEEDED" || !strings.Contains(string(x.fields["output"]), "MessageId") {
			t.Fatalf("%v: %s %s", args, x.status, x.fields["output"])
		}
		got, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(testservers.QueueURL(goaws, "run-services"))})
		if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != `{"n":1}` {
			t.Fatalf("%v: queue holds %+v, %v", args, got, err)
		}
		if _, err := q.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(testservers.QueueURL(goaws, "run-services")), ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunServicesUnderRole: `statecraft run` sends under a Task's
// Credentials: the role is assumed at the --services file's sts endpoint
// and the message reaches goaws signed with its temporary key; a role
// STS refuses fails the run with States.TaskFailed.
func TestRunServicesUnderRole(t *testing.T) {
	const role = "arn:aws:iam::210987654321:role/sender"
	goaws := testservers.Goaws(t)
	seen := testservers.NewRecorder(t, goaws)
	sts := testservers.NewSTS(t, "run-key", "run-secret", role)
	t.Setenv("RUN_ROLE_KEY", "run-key")
	t.Setenv("RUN_ROLE_SECRET", "run-secret")
	q := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(goaws), Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")},
		func(o *sqs.Options) { o.Protocol = awsquery.New(sqsschemas.AmazonSQS) })
	if _, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("run-role")}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const keys = "  accessKeyIdEnv: RUN_ROLE_KEY\n  secretAccessKeyEnv: RUN_ROLE_SECRET\n"
	settings := fmt.Sprintf("sqs:\n  endpoint: %s\n  protocol: query\n%ssts:\n  endpoint: %s\n%s", seen.URL, keys, sts.URL, keys)
	def := `{"StartAt": "Send", "States": {"Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
  "Parameters": {"QueueUrl": "` + testservers.QueueURL(goaws, "run-role") + `", "MessageBody": "m"}, "Credentials": {"RoleArn.$": "$.role"}, "End": true}}}`
	for name, body := range map[string]string{"services.yaml": settings, "send.asl.json": def} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"run", filepath.Join(dir, "send.asl.json"), "--services", filepath.Join(dir, "services.yaml"), "--input"}
	x := mustRun(t, "", append(args, `{"role": "`+role+`"}`)...)
	if x.status != "SUCCEEDED" || !strings.Contains(string(x.fields["output"]), "MessageId") {
		t.Fatalf("%s %s", x.status, x.fields["output"])
	}
	calls, signers := sts.Calls(), seen.Signers()
	if len(calls) != 1 || calls[0].Caller != "run-key" || len(signers) != 1 ||
		signers[0].AccessKeyID != calls[0].AccessKeyID || signers[0].SessionToken != calls[0].SessionToken {
		t.Fatalf("AssumeRole calls %+v; goaws saw %+v", calls, signers)
	}
	r := statecraft(t, "", append(args, `{"role": "arn:aws:iam::210987654321:role/other"}`)...)
	if x := decodeExecution(t, r.stdout); x.status != "FAILED" || !strings.Contains(r.stdout, "States.TaskFailed") || !strings.Contains(r.stdout, "Error Code: AccessDenied") {
		t.Fatalf("refused role: exit %d %s", r.code, r.stdout)
	}
	if n := len(seen.Signers()); n != 1 {
		t.Errorf("goaws saw %d requests, want none under the refused role", n)
	}
}
