package awssdk_test

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/awsconf"
	"github.com/statecraft/statecraft/awssdk"
	"github.com/statecraft/statecraft/integrations/testservers"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// step is one Task attempt against a service: its resource and
// parameters, then either what the result must hold or the failure it
// must end with.
type step struct {
	action string // SERVICE:ACTION
	// params is the Parameters as JSON; ${name} is replaced by a value a
	// previous step saved.
	params string
	// want maps a path in the result (dotted, array indices as numbers)
	// to its value: a string, int64 or bool, isTime, present or absent.
	want map[string]any
	// save keeps values of the result for later steps: name -> path.
	save map[string]string
	// errName and cause (a substring) are the failure expected instead.
	errName, cause string
}

type matcher func(any) bool

var (
	timeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$`)
	// isTime is a timestamp as Step Functions renders it.
	isTime  matcher = func(v any) bool { s, ok := v.(string); return ok && timeRE.MatchString(s) }
	present matcher = func(v any) bool { return v != nil }
	absent  matcher = func(v any) bool { return v == nil }
)

// at is the value at a dotted path, nil when absent.
func at(v any, path string) any {
	for part := range strings.SplitSeq(path, ".") {
		switch x := v.(type) {
		case *jsonv.Object:
			v = x.Value(part)
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func runSteps(t *testing.T, p awssdk.Port, steps []step) {
	t.Helper()
	vars := map[string]string{}
	for i, s := range steps {
		params := s.params
		for k, v := range vars {
			params = strings.ReplaceAll(params, "${"+k+"}", v)
		}
		in, err := jsonv.ParseString(params)
		if err != nil {
			t.Fatalf("step %d (%s): bad params %s: %v", i, s.action, params, err)
		}
		out, err := p.Invoke(context.Background(), taskport.Request{Resource: "arn:aws:states:::aws-sdk:" + s.action, Input: in})
		t.Logf("%s %s -> %s, %v", s.action, params, jsonv.String(out), err)
		if s.errName != "" {
			var f *taskport.Failure
			if !errors.As(err, &f) {
				t.Fatalf("step %d (%s): got %v, %v; want failure %s", i, s.action, jsonv.String(out), err, s.errName)
			}
			if f.Name != s.errName || !strings.Contains(f.Cause, s.cause) {
				t.Errorf("step %d (%s): failure %s: %s; want %s with cause containing %q", i, s.action, f.Name, f.Cause, s.errName, s.cause)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, s.action, err)
		}
		if at(out, "ResultMetadata") != nil {
			t.Errorf("step %d (%s): the result shows ResultMetadata: %s", i, s.action, jsonv.String(out))
		}
		for path, want := range s.want {
			got := at(out, path)
			if m, ok := want.(matcher); ok {
				if !m(got) {
					t.Errorf("step %d (%s): %s = %s, which does not match (result %s)", i, s.action, path, jsonv.String(got), jsonv.String(out))
				}
				continue
			}
			if !jsonv.Equal(got, want) {
				t.Errorf("step %d (%s): %s = %s, want %s (result %s)", i, s.action, path, jsonv.String(got), jsonv.String(want), jsonv.String(out))
			}
		}
		for name, path := range s.save {
			v, ok := at(out, path).(string)
			if !ok {
				t.Fatalf("step %d (%s): nothing to save at %s in %s", i, s.action, path, jsonv.String(out))
			}
			vars[name] = v
		}
	}
}

func TestS3(t *testing.T) {
	runSteps(t, port(testservers.S3(t)), []step{
		{action: "s3:createBucket", params: `{"Bucket":"data"}`},
		// A body is the JSON text of its value, a string's included, and
		// text/plain unless a ContentType is given, as AWS stores it
		// (recorded: "text data" is stored as the 11 bytes "\"text
		// data\"").
		{action: "s3:putObject", params: `{"Bucket":"data","Key":"a/b.txt","Body":"text data"}`,
			want: map[string]any{"ETag": present, "ChecksumType": absent}}, // an enum the service did not send is absent, not ""
		{action: "s3:getObject", params: `{"Bucket":"data","Key":"a/b.txt"}`,
			want: map[string]any{"Body": `"text data"`, "ContentLength": int64(11), "ContentType": "text/plain; charset=UTF-8",
				"LastModified": isTime, "Metadata": jsonv.NewObject(0)}},
		{action: "s3:putObject", params: `{"Bucket":"data","Key":"doc.json","ContentType":"application/json","Body":{"order":{"id":7,"lines":[1,2]}}}`},
		{action: "s3:getObject", params: `{"Bucket":"data","Key":"doc.json"}`,
			want: map[string]any{"Body": `{"order":{"id":7,"lines":[1,2]}}`, "ContentType": "application/json"}},
		{action: "s3:listObjectsV2", params: `{"Bucket":"data","Prefix":"a/"}`,
			want: map[string]any{"Name": "data", "KeyCount": int64(1), "Contents.0.Key": "a/b.txt", "Contents.0.Size": int64(11),
				"Contents.0.LastModified": isTime, "IsTruncated": false, "ContinuationToken": absent}},
		{action: "s3:listBuckets", params: `{}`, want: map[string]any{"Buckets.0.Name": "data", "Buckets.0.CreationDate": isTime}},
		{action: "s3:getObject", params: `{"Bucket":"data","Key":"missing"}`,
			errName: "S3.NoSuchKeyException", cause: "(Service: S3, Status Code: 404, Request ID: "},
		{action: "s3:getObject", params: `{"Bucket":"data","Key":"missing"}`, errName: "S3.NoSuchKeyException", cause: ") (SDK Attempt Count: 1)"},
		{action: "s3:getObject", params: `{"Bucket":"nope","Key":"k"}`, errName: "S3.NoSuchBucketException", cause: "Status Code: 404"},
		// BucketNotEmpty is not in S3's API model: the service's base
		// exception.
		{action: "s3:deleteBucket", params: `{"Bucket":"data"}`, errName: "S3.S3Exception", cause: "(Service: S3, Status Code: 409"},
	})
}

func TestDynamoDB(t *testing.T) {
	runSteps(t, port(testservers.Dynalite(t)), []step{
		{action: "dynamodb:createTable", params: `{"TableName":"orders",
			"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
			"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],
			"BillingMode":"PAY_PER_REQUEST"}`,
			want: map[string]any{"TableDescription.TableName": "orders", "TableDescription.CreationDateTime": isTime,
				"TableDescription.KeySchema.0.KeyType": "HASH"}},
		{action: "dynamodb:putItem", params: `{"TableName":"orders","Item":{"id":{"S":"o-1"},"total":{"N":"42.5"},
			"paid":{"BOOL":true},"tags":{"SS":["a","b"]},"lines":{"L":[{"M":{"sku":{"S":"x"}}}]},"note":{"NULL":true}}}`},
		{action: "dynamodb:getItem", params: `{"TableName":"orders","Key":{"id":{"S":"o-1"}}}`,
			want: map[string]any{"Item.id.S": "o-1", "Item.total.N": "42.5", "Item.paid.BOOL": true, "Item.tags.SS.1": "b",
				"Item.lines.L.0.M.sku.S": "x", "Item.note.NULL": true}},
		{action: "dynamodb:getItem", params: `{"TableName":"orders","Key":{"id":{"S":"none"}}}`, want: map[string]any{"Item": absent}},
		{action: "dynamodb:putItem", params: `{"TableName":"orders","Item":{"id":{"S":"o-1"}},"ConditionExpression":"attribute_not_exists(id)"}`,
			errName: "DynamoDb.ConditionalCheckFailedException", cause: "(Service: DynamoDb, Status Code: 400, Request ID: "},
		{action: "dynamodb:getItem", params: `{"TableName":"missing","Key":{"id":{"S":"x"}}}`,
			errName: "DynamoDb.ResourceNotFoundException", cause: "Service: DynamoDb"},
		// A required member missing is the service's to refuse, as on
		// AWS (recorded: DynamoDb.DynamoDbException "1 validation error
		// detected: Value null at 'item' ..."); ValidationException is
		// not in DynamoDB's API model.
		{action: "dynamodb:putItem", params: `{"TableName":"orders"}`, errName: "DynamoDb.DynamoDbException",
			cause: "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null (Service: DynamoDb, Status Code: 400, Request ID: "},
		{action: "dynamodb:getItem", params: `{"TableName":"orders","Key":{"nope":{"S":"x"}}}`,
			errName: "DynamoDb.DynamoDbException", cause: "(Service: DynamoDb, Status Code: 400"},
	})
}

// TestGoaws runs SQS and SNS against goaws, which speaks SQS's query
// protocol only: the port reaches it because it applies the service's
// protocol setting.
func TestGoaws(t *testing.T) {
	p := port(testservers.Goaws(t))
	t.Run("sqs", func(t *testing.T) {
		runSteps(t, p, []step{
			{action: "sqs:createQueue", params: `{"QueueName":"awssdk-jobs","Attributes":{"VisibilityTimeout":"30"}}`,
				want: map[string]any{"QueueUrl": present}, save: map[string]string{"url": "QueueUrl"}},
			{action: "sqs:sendMessage", params: `{"QueueUrl":"${url}","MessageBody":"hello",
				"MessageAttributes":{"kind":{"DataType":"String","StringValue":"greeting"}}}`,
				want: map[string]any{"MessageId": present, "MD5OfMessageBody": "5d41402abc4b2a76b9719d911017c592"}},
			// The callback pattern sends the same request; the host then
			// waits for the token.
			{action: "sqs:sendMessage.waitForTaskToken", params: `{"QueueUrl":"${url}","MessageBody":"token-1"}`,
				want: map[string]any{"MessageId": present}},
			{action: "sqs:receiveMessage", params: `{"QueueUrl":"${url}","MessageAttributeNames":["All"],"MaxNumberOfMessages":1,"WaitTimeSeconds":1}`,
				want: map[string]any{"Messages.0.Body": "hello", "Messages.0.MessageAttributes.kind.StringValue": "greeting"}},
			{action: "sqs:receiveMessage", params: `{"QueueUrl":"${url}","MaxNumberOfMessages":1,"WaitTimeSeconds":1}`, want: map[string]any{"Messages.0.Body": "token-1"}},
			{action: "sqs:sendMessage", params: `{"QueueUrl":"${url}-gone","MessageBody":"x"}`,
				errName: "Sqs.QueueDoesNotExistException", cause: "Service: Sqs"},
		})
	})
	t.Run("sns", func(t *testing.T) {
		runSteps(t, p, []step{
			{action: "sns:createTopic", params: `{"Name":"awssdk-alerts"}`, save: map[string]string{"topic": "TopicArn"}},
			{action: "sns:publish", params: `{"TopicArn":"${topic}","Message":"hi","Subject":"s"}`, want: map[string]any{"MessageId": present}},
			{action: "sns:listTopics", params: `{}`, want: map[string]any{"Topics.0.TopicArn": present}},
			// goaws answers a missing topic with the code
			// AWS.SimpleNotificationService.NonExistentTopic, which is not
			// in SNS's model (AWS answers NotFound, Sns.NotFoundException):
			// the service's base exception, with goaws's message.
			{action: "sns:publish", params: `{"TopicArn":"${topic}-gone","Message":"hi"}`, errName: "Sns.SnsException",
				cause: "The specified topic does not exist for this wsdl version. (Service: Sns, Status Code: 400"},
		})
	})
}

// TestSettingsByService: the port asks the settings under the names
// awsconf keeps them by (aws-sdk:eventbridge:* uses the events entry),
// and settings that cannot make a configuration fail the task naming why.
func TestSettingsByService(t *testing.T) {
	rec := testservers.NewEventsRecorder(t)
	env := map[string]string{"TEST_KEY_ID": keyID, "TEST_SECRET": secret}
	cfgs := &awsconf.Configs{Region: "us-east-1",
		Services: map[string]awsconf.Service{
			// Nothing listens on port 1: only the events entry reaches
			// the recorder.
			awsconf.Default: {Endpoint: "http://127.0.0.1:1", AccessKeyIDEnv: "TEST_KEY_ID", SecretAccessKeyEnv: "TEST_SECRET"},
			"events":        {Endpoint: rec.URL, AccessKeyIDEnv: "TEST_KEY_ID", SecretAccessKeyEnv: "TEST_SECRET"},
			"sns":           {AccessKeyIDEnv: "UNSET_KEY", SecretAccessKeyEnv: "UNSET_SECRET"},
		},
		LookupEnv: func(name string) (string, bool) { v, ok := env[name]; return v, ok },
	}
	runSteps(t, awssdk.New(cfgs), []step{
		{action: "eventbridge:putEvents", params: `{"Entries":[{"Source":"shop","DetailType":"placed","Detail":"{}"}]}`,
			want: map[string]any{"FailedEntryCount": int64(0)}},
		{action: "sns:publish", params: `{"TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"x"}`,
			errName: "States.TaskFailed", cause: "the environment variable UNSET_KEY is not set"},
	})
	if n := len(rec.Entries()); n != 1 {
		t.Errorf("the recorder got %d entries, want 1", n)
	}
}

// TestEventBridge puts events through the aws-sdk ARN's service name
// (eventbridge), whose settings are those of events, into a recorder of
// PutEvents requests: no EventBridge-compatible server is available.
func TestEventBridge(t *testing.T) {
	rec := testservers.NewEventsRecorder(t)
	runSteps(t, port(rec.URL), []step{
		{action: "eventbridge:putEvents", params: `{"Entries":[{"EventBusName":"orders","Source":"shop","DetailType":"placed","Detail":"{\"id\":1}"}]}`,
			want: map[string]any{"FailedEntryCount": int64(0), "Entries.0.EventId": "event-1"}},
		// A failed entry is a result, not a task failure, as on AWS.
		{action: "eventbridge:putEvents", params: `{"Entries":[{"Source":"test.fail","DetailType":"x","Detail":"{}"}]}`,
			want: map[string]any{"FailedEntryCount": int64(1), "Entries.0.ErrorCode": "InternalFailure", "Entries.0.EventId": absent}},
		// The recorder answers PutEvents only; its error is not in
		// EventBridge's model: the service's base exception.
		{action: "eventbridge:describeEventBus", params: `{"Name":"orders"}`,
			errName: "EventBridge.EventBridgeException", cause: "(Service: EventBridge, Status Code: 400"},
	})
	got := rec.Entries()
	if len(got) != 1 || got[0]["Source"] != "shop" || got[0]["Detail"] != `{"id":1}` || got[0]["EventBusName"] != "orders" {
		t.Errorf("the recorder got %v; want the one shop event", got)
	}
}

func TestLambda(t *testing.T) {
	runSteps(t, port(startLambda(t)), []step{
		// Unlike the optimized lambda:invoke, the SDK integration returns
		// Payload as the function's JSON text and does not fail on a
		// function error.
		{action: "lambda:invoke", params: `{"FunctionName":"echo","Payload":{"a":1}}`,
			want: map[string]any{"StatusCode": int64(200), "Payload": `{"echo":{"a":1}}`, "ExecutedVersion": "$LATEST", "FunctionError": absent}},
		// A blob is its value's JSON text: a string payload reaches the
		// function as a JSON string.
		{action: "lambda:invoke", params: `{"FunctionName":"echo","Payload":"hi"}`,
			want: map[string]any{"Payload": `{"echo":"hi"}`}},
		{action: "lambda:invoke", params: `{"FunctionName":"boom","Payload":"{}"}`,
			want: map[string]any{"StatusCode": int64(200), "FunctionError": "Unhandled"}},
		{action: "lambda:invoke", params: `{"FunctionName":"missing"}`,
			errName: "Lambda.ResourceNotFoundException", cause: "(Service: Lambda, Status Code: 404"},
	})
}

func TestSFN(t *testing.T) {
	def := strings.ReplaceAll(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, `"`, `\"`)
	runSteps(t, port(startSFN(t)), []step{
		{action: "sfn:createStateMachine", params: `{"Name":"child","Definition":"` + def + `","RoleArn":"arn:aws:iam::123456789012:role/r"}`,
			want: map[string]any{"CreationDate": isTime}, save: map[string]string{"sm": "StateMachineArn"}},
		{action: "sfn:startExecution", params: `{"StateMachineArn":"${sm}","Name":"run-1","Input":"{\"k\":1}"}`,
			want: map[string]any{"StartDate": isTime}, save: map[string]string{"ex": "ExecutionArn"}},
		{action: "sfn:describeExecution", params: `{"ExecutionArn":"${ex}"}`,
			want: map[string]any{"Name": "run-1", "Input": `{"k":1}`, "StartDate": isTime}},
		{action: "sfn:startExecution", params: `{"StateMachineArn":"${sm}","Name":"run-1","Input":"{\"k\":2}"}`,
			errName: "Sfn.ExecutionAlreadyExistsException", cause: "(Service: Sfn, Status Code: 400"},
		{action: "sfn:describeExecution", params: `{"ExecutionArn":"${ex}-gone"}`, errName: "Sfn.ExecutionDoesNotExistException"},
	})
}
