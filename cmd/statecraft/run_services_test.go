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
