// Package services_test runs state machines that call AWS services
// through the real `statecraft server`, against real servers of those
// services on 127.0.0.1: goaws (SQS, SNS), dynalite (DynamoDB), gofakes3
// (S3, reached through the aws-sdk integrations), a recorder of
// EventBridge's PutEvents (no compatible server exists), and an STS test
// server where Task Credentials' roles are assumed. The server reaches
// DynamoDB and S3 through recorders of who signed each request.
package services_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqsschemas "github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/e2e/internal/server"
	"github.com/statecraft/statecraft/integrations/testservers"
)

const role = "arn:aws:iam::123456789012:role/services"

// crossRole is the one role the STS lets the server's base key assume.
const crossRole = "arn:aws:iam::210987654321:role/cross"

type env struct {
	events   *testservers.EventsRecorder
	sts      *testservers.STS
	ddbSeen  *testservers.Recorder // who signed the server's DynamoDB calls
	s3Seen   *testservers.Recorder // and its S3 calls
	sfn      *sfn.Client
	sqs      *sqs.Client
	ddb      *dynamodb.Client
	s3       *s3.Client
	goaws    string
	queueURL string
}

// start runs the real server, with args added to its command line, beside
// the compatible services it is configured to call.
func start(t *testing.T, args ...string) *env {
	goaws, ddbURL, events, s3URL := testservers.Goaws(t), testservers.Dynalite(t), testservers.NewEventsRecorder(t), testservers.S3(t)
	ddbSeen, s3Seen := testservers.NewRecorder(t, ddbURL), testservers.NewRecorder(t, s3URL)
	sts := testservers.NewSTS(t, "services-test", "services-test-secret", crossRole)
	t.Setenv("SVC_KEY_ID", "services-test")
	t.Setenv("SVC_SECRET", "services-test-secret")
	dir := t.TempDir()
	file := filepath.Join(dir, "services.yaml")
	cfg := fmt.Sprintf(`sqs:
  endpoint: %s
  protocol: query
  accessKeyIdEnv: SVC_KEY_ID
  secretAccessKeyEnv: SVC_SECRET
dynamodb:
  endpoint: %s
  accessKeyIdEnv: SVC_KEY_ID
  secretAccessKeyEnv: SVC_SECRET
sns:
  endpoint: %s
  accessKeyIdEnv: SVC_KEY_ID
  secretAccessKeyEnv: SVC_SECRET
eventbridge:
  endpoint: %s
  accessKeyIdEnv: SVC_KEY_ID
  secretAccessKeyEnv: SVC_SECRET
s3:
  endpoint: %s
  pathStyle: true
  accessKeyIdEnv: SVC_KEY_ID
  secretAccessKeyEnv: SVC_SECRET
sts:
  endpoint: %s
  accessKeyIdEnv: SVC_KEY_ID
  secretAccessKeyEnv: SVC_SECRET
`, goaws, ddbSeen.URL, goaws, events.URL, s3Seen.URL, sts.URL)
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	endpoint := server.Start(t, dir, append([]string{"--services", file}, args...)...)
	creds := credentials.NewStaticCredentialsProvider("services-test", "services-test-secret", "")
	e := &env{
		sfn:     sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: authtest.Credentials("", ""), APIOptions: []func(*middleware.Stack) error{noHostPrefix}}),
		sqs:     sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(goaws), Credentials: creds}, func(o *sqs.Options) { o.Protocol = awsquery.New(sqsschemas.AmazonSQS) }),
		ddb:     dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(ddbURL), Credentials: creds}),
		s3:      s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3URL), Credentials: creds, UsePathStyle: true}),
		goaws:   goaws,
		events:  events,
		sts:     sts,
		ddbSeen: ddbSeen,
		s3Seen:  s3Seen,
	}
	ctx := context.Background()
	queue := strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	if _, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue)}); err != nil {
		t.Fatal(err)
	}
	e.queueURL = testservers.QueueURL(goaws, queue)
	if _, err := e.ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("orders"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
	// The objects the machines read with aws-sdk:s3:getObject.
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("notes")}); err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{"o-17", "o-18"} {
		if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("notes"), Key: aws.String("orders/" + order + ".txt"),
			Body: strings.NewReader("deliver " + order + " to the back door")}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// noHostPrefix keeps StartSyncExecution's "sync-" host prefix off the
// loopback endpoint (sync-127.0.0.1 does not resolve).
func noHostPrefix(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("noHostPrefix", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
	}), middleware.Before)
}

func (e *env) create(t *testing.T, name, typ, def string) string {
	t.Helper()
	out, err := e.sfn.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(role), Type: sfntypes.StateMachineType(typ)})
	if err != nil {
		t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return *out.StateMachineArn
}

// wait polls DescribeExecution until the execution ends.
func (e *env) wait(t *testing.T, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		d, err := e.sfn.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != sfntypes.ExecutionStatusRunning {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution still running after 2 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *env) history(t *testing.T, arn string) []sfntypes.HistoryEvent {
	t.Helper()
	out, err := e.sfn.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: &arn, MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return out.Events
}

const sendPutGet = `{
  "StartAt": "Send",
  "States": {
    "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage%s",
      "Parameters": {"QueueUrl": "%s", "MessageBody": {"order.$": "$.order"%s}},
      "ResultPath": "$.sent", "Next": "Put"},
    "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
      "Parameters": {"TableName": "orders", "Item": {"id": {"S.$": "$.order"}, "status": {"S.$": "%s"}}},
      "ResultPath": null, "Next": "Get"},
    "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
      "Parameters": {"TableName": "orders", "Key": {"id": {"S.$": "$.order"}}},
      "ResultSelector": {"status.$": "$.Item.status.S"}, "ResultPath": "$.stored", "Next": "GetSDK"},
    "GetSDK": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
      "Parameters": {"TableName": "orders", "Key": {"id": {"S.$": "$.order"}}, "ConsistentRead": true},
      "ResultSelector": {"status.$": "$.Item.status.S"}, "ResultPath": "$.sdkStored", "Next": "Note"},
    "Note": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
      "Parameters": {"Bucket": "notes", "Key.$": "States.Format('orders/{}.txt', $.order)"},
      "ResultSelector": {"body.$": "$.Body", "length.$": "$.ContentLength"}, "ResultPath": "$.note", "End": true}
  }
}`

// note is what sendPutGet's last two states add to the output: the item
// read again with aws-sdk:dynamodb:getItem and the object read with
// aws-sdk:s3:getObject.
type note struct {
	SDKStored struct{ Status string } `json:"sdkStored"`
	Note      struct {
		Body   string
		Length int
	}
}

func (n note) check(t *testing.T, order, status string) {
	t.Helper()
	body := "deliver " + order + " to the back door"
	if n.SDKStored.Status != status || n.Note.Body != body || n.Note.Length != len(body) {
		t.Errorf("aws-sdk results %+v; want sdkStored.status %q and the object's body %q (%d bytes)", n, status, body, len(body))
	}
}

// TestCallbackQueueAndTable is issue 18's done test: a machine sends to a
// queue with .waitForTaskToken, a worker reads the queue and answers
// SendTaskSuccess through the SDK, then the machine writes the answer to a
// table, reads it back and reads an object. A STANDARD machine is started
// with StartExecution; an EXPRESS one with StartSyncExecution, on a server
// run with --express-all-tasks (AWS refuses .waitForTaskToken in EXPRESS
// machines; TestExpressQueueAndTable runs them without it).
func TestCallbackQueueAndTable(t *testing.T) {
	t.Run("STANDARD", func(t *testing.T) { testCallbackQueueAndTable(t, "STANDARD") })
	t.Run("EXPRESS", func(t *testing.T) { testCallbackQueueAndTable(t, "EXPRESS") })
}

func testCallbackQueueAndTable(t *testing.T, typ string) {
	var args []string
	if typ == "EXPRESS" {
		args = append(args, "--express-all-tasks")
	}
	e := start(t, args...)
	ctx := context.Background()
	def := fmt.Sprintf(sendPutGet, ".waitForTaskToken", e.queueURL, `, "token.$": "$$.Task.Token"`, "$.sent.status")
	sm := e.create(t, "callback", typ, def)

	worker := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			got, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &e.queueURL, MaxNumberOfMessages: 1})
			if err != nil {
				worker <- err
				return
			}
			if len(got.Messages) == 0 {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			var body struct{ Order, Token string }
			if err := json.Unmarshal([]byte(aws.ToString(got.Messages[0].Body)), &body); err != nil {
				worker <- fmt.Errorf("message body %q: %v", aws.ToString(got.Messages[0].Body), err)
				return
			}
			_, err = e.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: &body.Token,
				Output: aws.String(`{"status": "shipped ` + body.Order + `"}`)})
			worker <- err
			return
		}
		worker <- fmt.Errorf("no message in 2 minutes")
	}()

	input := aws.String(`{"order": "o-17"}`)
	var executionArn, output string
	if typ == "EXPRESS" {
		// The synchronous call returns once the worker has answered.
		res, err := e.sfn.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: &sm, Input: input})
		if err != nil {
			t.Fatal(err)
		}
		if err := <-worker; err != nil {
			t.Fatalf("worker: %v", err)
		}
		if res.Status != sfntypes.SyncExecutionStatusSucceeded {
			t.Fatalf("status %s: %s %s", res.Status, aws.ToString(res.Error), aws.ToString(res.Cause))
		}
		output = aws.ToString(res.Output)
	} else {
		run, err := e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &sm, Input: input})
		if err != nil {
			t.Fatal(err)
		}
		if err := <-worker; err != nil {
			t.Fatalf("worker: %v", err)
		}
		d := e.wait(t, *run.ExecutionArn)
		if d.Status != sfntypes.ExecutionStatusSucceeded {
			t.Fatalf("status %s: %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		executionArn, output = *run.ExecutionArn, aws.ToString(d.Output)
	}
	var out struct {
		Stored struct{ Status string }
		note
	}
	if err := json.Unmarshal([]byte(output), &out); err != nil || out.Stored.Status != "shipped o-17" {
		t.Fatalf("output %s: want stored.status \"shipped o-17\"", output)
	}
	out.check(t, "o-17", "shipped o-17")
	item, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "o-17"}}})
	if err != nil || item.Item["status"] == nil {
		t.Fatalf("the table has no item o-17: %+v, %v", item, err)
	}
	if typ == "EXPRESS" {
		return // no history: EXPRESS executions keep none
	}
	// History: what Step Functions records for a service integration.
	var scheduled []string
	for _, ev := range e.history(t, executionArn) {
		if d := ev.TaskScheduledEventDetails; d != nil {
			scheduled = append(scheduled, aws.ToString(d.ResourceType)+":"+aws.ToString(d.Resource))
		}
	}
	if want := "sqs:sendMessage.waitForTaskToken dynamodb:putItem dynamodb:getItem aws-sdk:dynamodb:getItem aws-sdk:s3:getObject"; strings.Join(scheduled, " ") != want {
		t.Errorf("TaskScheduled resources %v, want %s", scheduled, want)
	}
}

// TestExpressQueueAndTable: the same calls in an EXPRESS machine, without
// the callback (AWS refuses .waitForTaskToken in EXPRESS machines).
func TestExpressQueueAndTable(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	def := fmt.Sprintf(sendPutGet, "", e.queueURL, "", "$.sent.MessageId")
	sm := e.create(t, "express", "EXPRESS", def)
	out, err := e.sfn.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: &sm, Input: aws.String(`{"order": "o-18"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != sfntypes.SyncExecutionStatusSucceeded {
		t.Fatalf("status %s: %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	var res struct {
		Sent   struct{ MessageId string }
		Stored struct{ Status string }
		note
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &res); err != nil || res.Sent.MessageId == "" || res.Stored.Status != res.Sent.MessageId {
		t.Fatalf("output %s: want the message id stored and read back", aws.ToString(out.Output))
	}
	res.check(t, "o-18", res.Sent.MessageId)
	got, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &e.queueURL})
	if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != `{"order":"o-18"}` {
		t.Fatalf("queue holds %+v, %v; want the message {\"order\":\"o-18\"}", got, err)
	}
}

// TestFailuresCaught: a missing queue and a failed condition fail their
// tasks with AWS's error names, which Retry and Catch match.
func TestFailuresCaught(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	if _, err := e.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "taken"}}}); err != nil {
		t.Fatal(err)
	}
	def := fmt.Sprintf(`{
  "StartAt": "MissingQueue",
  "States": {
    "MissingQueue": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
      "Parameters": {"QueueUrl": "%s", "MessageBody": "x"},
      "Catch": [{"ErrorEquals": ["SQS.AmazonSQSException"], "ResultPath": "$.queueError", "Next": "PutIfAbsent"}], "End": true},
    "PutIfAbsent": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
      "Parameters": {"TableName": "orders", "Item": {"id": {"S": "taken"}}, "ConditionExpression": "attribute_not_exists(id)"},
      "Retry": [{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "IntervalSeconds": 1, "MaxAttempts": 1}],
      "Catch": [{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": "$.putError", "Next": "MissingKey"}], "End": true},
    "MissingKey": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
      "Parameters": {"Bucket": "notes", "Key": "orders/none.txt"},
      "Catch": [{"ErrorEquals": ["S3.NoSuchKeyException"], "ResultPath": "$.keyError", "Next": "Done"}], "End": true},
    "Done": {"Type": "Succeed"}
  }
}`, testservers.QueueURL(e.goaws, "no-such-queue"))
	sm := e.create(t, "failures", "STANDARD", def)
	run, err := e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &sm})
	if err != nil {
		t.Fatal(err)
	}
	d := e.wait(t, *run.ExecutionArn)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("status %s: %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	var out struct{ QueueError, PutError, KeyError struct{ Error, Cause string } }
	if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &out); err != nil {
		t.Fatal(err)
	}
	if out.QueueError.Error != "SQS.AmazonSQSException" || !strings.Contains(out.QueueError.Cause, "Service: AmazonSQS") {
		t.Errorf("queue error %+v", out.QueueError)
	}
	if out.PutError.Error != "DynamoDB.ConditionalCheckFailedException" || !strings.Contains(out.PutError.Cause, "Error Code: ConditionalCheckFailedException") {
		t.Errorf("put error %+v", out.PutError)
	}
	// The aws-sdk integration's name for S3's NoSuchKey, as Step
	// Functions documents it, and a cause in AWS's form.
	if out.KeyError.Error != "S3.NoSuchKeyException" || !strings.Contains(out.KeyError.Cause, "(Service: S3, Status Code: 404, Request ID: ") {
		t.Errorf("key error %+v", out.KeyError)
	}
	failed := 0
	for _, ev := range e.history(t, *run.ExecutionArn) {
		if d := ev.TaskFailedEventDetails; d != nil && aws.ToString(d.Error) == "DynamoDB.ConditionalCheckFailedException" {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("%d failed putItem attempts in the history, want 2 (the retry)", failed)
	}
}

// TestUnsupportedResourceRefused: CreateStateMachine refuses a Task
// resource the server does not run, naming it and listing what it runs,
// and an aws-sdk task's Parameters field its action's request does not
// have, at its pointer, as AWS does.
func TestUnsupportedResourceRefused(t *testing.T) {
	e := start(t)
	task := func(resource, params string) string {
		return `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "` + resource + `", "Parameters": ` + params + `, "End": true}}}`
	}
	for i, c := range []struct {
		def  string
		want []string // what the message holds
	}{
		{task("arn:aws:states:::glue:startJobRun.sync", `{}`),
			[]string{"arn:aws:states:::glue:startJobRun.sync", "arn:aws:states:::dynamodb:putItem", "arn:aws:states:::aws-sdk:SERVICE:ACTION (SERVICE one of dynamodb, eventbridge, lambda, s3, sfn, sns, sqs)"}},
		{task("arn:aws:states:::aws-sdk:s3:fetchObject", `{}`),
			[]string{`NOT_IMPLEMENTED: Statecraft cannot run the resource arn:aws:states:::aws-sdk:s3:fetchObject: the AWS SDK integration for s3 has no action "fetchObject"`, "aws-sdk runs the services dynamodb, eventbridge, lambda, s3, sfn, sns, sqs", "at /States/T/Resource"}},
		{task("arn:aws:states:::aws-sdk:s3:getObject", `{"Bucket": "notes", "Key": "k", "Range": "bytes=0-9", "Colour": "red"}`),
			[]string{`SCHEMA_VALIDATION_FAILED: The field "Colour" is not supported by Step Functions at /States/T/Parameters/Colour`}},
	} {
		_, err := e.sfn.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
			Name: aws.String(fmt.Sprintf("refused-%d", i)), Definition: aws.String(c.def), RoleArn: aws.String(role)})
		var invalid *sfntypes.InvalidDefinition
		if !errors.As(err, &invalid) {
			t.Errorf("case %d: got %v, want InvalidDefinition", i, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(invalid.ErrorMessage(), w) {
				t.Errorf("case %d: %s\ndoes not say %s", i, invalid.ErrorMessage(), w)
			}
		}
	}
}

// TestTopicAndEventBus: a machine publishes to an SNS topic, then puts an
// event with .waitForTaskToken; the event's consumer (here, the test
// reading the recorder) answers with the token from the event's detail.
func TestTopicAndEventBus(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("services-test", "services-test-secret", "")
	topic, err := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.goaws), Credentials: creds}).
		CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("services-orders")})
	if err != nil {
		t.Fatal(err)
	}
	def := fmt.Sprintf(`{
  "StartAt": "Publish",
  "States": {
    "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
      "Parameters": {"TopicArn": "%s", "Message.$": "$"}, "ResultPath": "$.published", "Next": "Announce"},
    "Announce": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken",
      "Parameters": {"Entries": [{"Source": "statecraft.test", "DetailType": "order", "EventBusName": "default",
        "Detail": {"order.$": "$.order", "token.$": "$$.Task.Token"}}]},
      "ResultPath": "$.answer", "End": true}
  }
}`, *topic.TopicArn)
	sm := e.create(t, "topic-bus", "STANDARD", def)
	run, err := e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &sm, Input: aws.String(`{"order": "o-19"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !testservers.Wait(ctx, func() bool { return len(e.events.Entries()) > 0 }) {
		t.Fatal("no event put within a minute")
	}
	entry := e.events.Entries()[0]
	var detail struct{ Order, Token string }
	if err := json.Unmarshal([]byte(entry["Detail"].(string)), &detail); err != nil || detail.Order != "o-19" || detail.Token == "" {
		t.Fatalf("event %v: want its Detail as JSON text with the order and the token", entry)
	}
	if _, err := e.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: &detail.Token, Output: aws.String(`{"ok": true}`)}); err != nil {
		t.Fatal(err)
	}
	d := e.wait(t, *run.ExecutionArn)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("status %s: %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	var out struct {
		Published struct{ MessageId string }
		Answer    struct{ Ok bool }
	}
	if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &out); err != nil || out.Published.MessageId == "" || !out.Answer.Ok {
		t.Fatalf("output %s: want the published MessageId and the callback's answer", aws.ToString(d.Output))
	}
}

// underRole reads an object and writes an item under the role its input
// names (Credentials.RoleArn.$); a role that cannot be assumed is caught.
const underRole = `{
  "StartAt": "Read",
  "States": {
    "Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
      "Parameters": {"Bucket": "notes", "Key.$": "States.Format('orders/{}.txt', $.order)"},
      "Credentials": {"RoleArn.$": "$.role"},
      "ResultSelector": {"body.$": "$.Body"}, "ResultPath": "$.note", "Next": "Put",
      "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Denied"}]},
    "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
      "Parameters": {"TableName": "orders", "Item": {"id": {"S.$": "$.order"}, "note": {"S.$": "$.note.body"}}},
      "Credentials": {"RoleArn.$": "$.role"}, "ResultPath": null, "End": true},
    "Denied": {"Type": "Pass", "End": true}
  }
}`

// TestServiceCallsUnderRole is issue 14's Credentials on AWS service
// integrations, through the binary: the server assumes the role at the
// sts endpoint of its --services file, signed with its base key, and
// calls S3 (aws-sdk) and DynamoDB (optimized) with the temporary key and
// session token STS issued; the role is assumed once for the execution.
// A role STS refuses fails the task with States.TaskFailed, which Catch
// handles, and the history shows the failure like any task's.
func TestServiceCallsUnderRole(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	sm := e.create(t, "underrole", "STANDARD", underRole)
	run := func(name, input string) (*sfn.DescribeExecutionOutput, []sfntypes.HistoryEvent) {
		t.Helper()
		out, err := e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &sm, Name: aws.String(name), Input: aws.String(input)})
		if err != nil {
			t.Fatal(err)
		}
		d := e.wait(t, *out.ExecutionArn)
		return d, e.history(t, *out.ExecutionArn)
	}

	ddbBefore, s3Before := len(e.ddbSeen.Signers()), len(e.s3Seen.Signers())
	d, hist := run("allowed", `{"order": "o-18", "role": "`+crossRole+`"}`)
	want := `{"order":"o-18","role":"` + crossRole + `","note":{"body":"deliver o-18 to the back door"}}`
	if d.Status != sfntypes.ExecutionStatusSucceeded || aws.ToString(d.Output) != want {
		t.Fatalf("status %s output %s, want %s", d.Status, aws.ToString(d.Output), want)
	}
	item, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "o-18"}}})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := item.Item["note"].(*ddbtypes.AttributeValueMemberS); n == nil || n.Value != "deliver o-18 to the back door" {
		t.Errorf("item %v", item.Item)
	}
	calls := e.sts.Calls()
	if len(calls) != 1 || calls[0].Caller != "services-test" || calls[0].RoleArn != crossRole || !strings.HasPrefix(calls[0].RoleSessionName, "underrole.allowed-") {
		t.Fatalf("AssumeRole calls %+v, want one by the base key for %s", calls, crossRole)
	}
	seen := append(e.s3Seen.Signers()[s3Before:], e.ddbSeen.Signers()[ddbBefore:]...)
	if len(seen) != 2 {
		t.Fatalf("S3 and DynamoDB saw %d requests from the server, want 2: %+v", len(seen), seen)
	}
	for _, s := range seen {
		if s.AccessKeyID != calls[0].AccessKeyID || s.SessionToken != calls[0].SessionToken {
			t.Errorf("a service saw %+v, want the temporary key %s and its session token", s, calls[0].AccessKeyID)
		}
	}
	var roles []string
	for _, ev := range hist {
		if ev.Type == sfntypes.HistoryEventTypeTaskScheduled {
			if c := ev.TaskScheduledEventDetails.TaskCredentials; c != nil {
				roles = append(roles, aws.ToString(c.RoleArn))
			}
		}
	}
	if strings.Join(roles, " ") != crossRole+" "+crossRole {
		t.Errorf("TaskScheduled taskCredentials %v", roles)
	}

	const denied = "arn:aws:iam::210987654321:role/not-trusted"
	ddbBefore, s3Before = len(e.ddbSeen.Signers()), len(e.s3Seen.Signers())
	d, hist = run("denied", `{"order": "o-17", "role": "`+denied+`"}`)
	var out struct {
		Error struct{ Error, Cause string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &out); err != nil || d.Status != sfntypes.ExecutionStatusSucceeded ||
		out.Error.Error != "States.TaskFailed" ||
		!strings.HasPrefix(out.Error.Cause, "Step Functions could not assume the role of the task's Credentials: User: ") ||
		!strings.Contains(out.Error.Cause, "sts:AssumeRole on resource: "+denied+" (Service: Sts, Status Code: 403, Error Code: AccessDenied, Request ID: ") {
		t.Fatalf("denied: status %s output %s", d.Status, aws.ToString(d.Output))
	}
	if n := len(e.s3Seen.Signers()) - s3Before + len(e.ddbSeen.Signers()) - ddbBefore; n != 0 {
		t.Errorf("the services saw %d requests under a refused role", n)
	}
	var failed *sfntypes.TaskFailedEventDetails
	for _, ev := range hist {
		if ev.Type == sfntypes.HistoryEventTypeTaskFailed {
			failed = ev.TaskFailedEventDetails
		}
	}
	if failed == nil || aws.ToString(failed.Error) != "States.TaskFailed" || aws.ToString(failed.Cause) != out.Error.Cause ||
		aws.ToString(failed.Resource) != "s3:getObject" || aws.ToString(failed.ResourceType) != "aws-sdk" {
		if failed == nil {
			t.Fatal("no TaskFailed event")
		}
		t.Errorf("TaskFailed event: error %s cause %s resource %s type %s", aws.ToString(failed.Error), aws.ToString(failed.Cause), aws.ToString(failed.Resource), aws.ToString(failed.ResourceType))
	}
}
