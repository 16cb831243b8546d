package integrations

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/awsconf"
	"github.com/statecraft/statecraft/integrations/testservers"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

func env(string) (string, bool) { return "test", true }

func key() awsconf.Service {
	return awsconf.Service{AccessKeyIDEnv: "TEST_KEY_ID", SecretAccessKeyEnv: "TEST_SECRET"}
}

// servers starts every server and a Port configured for them.
func servers(t *testing.T) (*Port, *awsconf.Configs, *testservers.EventsRecorder) {
	t.Helper()
	goaws, ddb, events := testservers.Goaws(t), testservers.Dynalite(t), testservers.NewEventsRecorder(t)
	with := func(endpoint string) awsconf.Service { s := key(); s.Endpoint = endpoint; return s }
	sq := with(goaws)
	sq.Protocol = "query"
	cfgs := &awsconf.Configs{Region: "us-east-1", LookupEnv: env, Services: map[string]awsconf.Service{
		"sqs": sq, "sns": with(goaws), "dynamodb": with(ddb), "events": with(events.URL),
	}}
	return &Port{Configs: cfgs}, cfgs, events
}

func js(t *testing.T, s string) any {
	t.Helper()
	v, err := jsonv.ParseString(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func invoke(p *Port, resource string, params any) (*jsonv.Object, error) {
	out, err := p.Invoke(context.Background(), taskport.Request{Resource: resource, Input: params})
	o, _ := out.(*jsonv.Object)
	return o, err
}

func failure(t *testing.T, err error, name string) {
	t.Helper()
	var f *taskport.Failure
	if !errors.As(err, &f) || f.Name != name {
		t.Fatalf("got %v, want a task failure %s", err, name)
	}
	if f.Cause == "" {
		t.Fatalf("%s has no cause", name)
	}
}

func TestSQSAndSNS(t *testing.T) {
	p, cfgs, _ := servers(t)
	ctx := context.Background()
	cfg, err := cfgs.For(ctx, "sqs")
	if err != nil {
		t.Fatal(err)
	}
	q := sqs.NewFromConfig(cfg, cfgs.Settings("sqs").SQSOptions)
	if _, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("integrations-q")}); err != nil {
		t.Fatal(err)
	}
	queueURL := testservers.QueueURL(*cfg.BaseEndpoint, "integrations-q")

	// A JSON MessageBody is sent as its text; the result is SendMessage's
	// response with Step Functions' metadata.
	out, err := invoke(p, "arn:aws:states:::sqs:sendMessage", js(t, `{"QueueUrl": "`+queueURL+`", "MessageBody": {"order": 7, "token": "tok"}}`))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"order":7,"token":"tok"}`
	sum := md5.Sum([]byte(body))
	if out.Value("MD5OfMessageBody") != hex.EncodeToString(sum[:]) || out.Value("MessageId") == "" {
		t.Errorf("sendMessage result %s", jsonv.String(out))
	}
	meta, _ := out.Value("SdkHttpMetadata").(*jsonv.Object)
	if st, _ := meta.Value("HttpStatusCode").(int64); st != 200 || !out.Has("SdkResponseMetadata") {
		t.Errorf("sendMessage metadata %s", jsonv.String(out))
	}
	got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queueURL})
	if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != body {
		t.Fatalf("received %+v, %v; want the body %s", got, err, body)
	}

	_, err = invoke(p, "arn:aws:states:::sqs:sendMessage", js(t, `{"QueueUrl": "`+testservers.QueueURL(*cfg.BaseEndpoint, "no-such-queue")+`", "MessageBody": "x"}`))
	failure(t, err, "SQS.AmazonSQSException")
	for field, params := range map[string]string{
		"Body":     `{"QueueUrl": "` + queueURL + `", "MessageBody": "x", "Body": "y"}`,
		"queueUrl": `{"queueUrl": "` + queueURL + `", "MessageBody": "x"}`,
	} {
		_, err = invoke(p, "arn:aws:states:::sqs:sendMessage", js(t, params))
		failure(t, err, "States.Runtime")
		if !strings.Contains(err.Error(), `"`+field+`"`) {
			t.Errorf("unknown field %s not named: %v", field, err)
		}
	}

	ncfg, _ := cfgs.For(ctx, "sns")
	topic, err := sns.NewFromConfig(ncfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("integrations-t")})
	if err != nil {
		t.Fatal(err)
	}
	out, err = invoke(p, "arn:aws:states:::sns:publish", js(t, `{"TopicArn": "`+*topic.TopicArn+`", "Message": {"hello": "world"}}`))
	if err != nil || out.Value("MessageId") == "" || !out.Has("SdkHttpMetadata") {
		t.Fatalf("publish: %v, %v", jsonv.String(out), err)
	}
	_, err = invoke(p, "arn:aws:states:::sns:publish", js(t, `{"TopicArn": "arn:aws:sns:us-east-1:123456789012:no-such-topic", "Message": "x"}`))
	failure(t, err, "SNS.NotFoundException")
}

func TestDynamoDB(t *testing.T) {
	p, cfgs, _ := servers(t)
	ctx := context.Background()
	cfg, err := cfgs.For(ctx, "dynamodb")
	if err != nil {
		t.Fatal(err)
	}
	_, err = dynamodb.NewFromConfig(cfg).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("orders"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name, resource, params string
		failure                string
		check                  func(*jsonv.Object) bool
	}{
		{"put", "putItem", `{"TableName": "orders", "Item": {"id": {"S": "o1"}, "n": {"N": "1"}, "tags": {"SS": ["b", "a"]}, "m": {"M": {"ok": {"BOOL": true}}}}}`, "",
			func(o *jsonv.Object) bool { return o.Has("SdkHttpMetadata") && !o.Has("Attributes") }},
		{"put if absent", "putItem", `{"TableName": "orders", "Item": {"id": {"S": "o1"}}, "ConditionExpression": "attribute_not_exists(id)"}`, "DynamoDB.ConditionalCheckFailedException", nil},
		{"get", "getItem", `{"TableName": "orders", "Key": {"id": {"S": "o1"}}}`, "",
			func(o *jsonv.Object) bool {
				return jsonv.String(o.Value("Item")) == `{"id":{"S":"o1"},"m":{"M":{"ok":{"BOOL":true}}},"n":{"N":"1"},"tags":{"SS":["a","b"]}}`
			}},
		{"update", "updateItem", `{"TableName": "orders", "Key": {"id": {"S": "o1"}}, "UpdateExpression": "SET n = n + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "UPDATED_NEW"}`, "",
			func(o *jsonv.Object) bool { return jsonv.String(o.Value("Attributes")) == `{"n":{"N":"2"}}` }},
		{"delete", "deleteItem", `{"TableName": "orders", "Key": {"id": {"S": "o1"}}, "ReturnValues": "ALL_OLD"}`, "",
			func(o *jsonv.Object) bool {
				return jsonv.String(o.Value("Attributes").(*jsonv.Object).Value("n")) == `{"N":"2"}`
			}},
		{"get deleted", "getItem", `{"TableName": "orders", "Key": {"id": {"S": "o1"}}}`, "",
			func(o *jsonv.Object) bool { return !o.Has("Item") }},
		{"no such table", "getItem", `{"TableName": "nope", "Key": {"id": {"S": "o1"}}}`, "DynamoDB.ResourceNotFoundException", nil},
		{"bad attribute value", "putItem", `{"TableName": "orders", "Item": {"id": "o1"}}`, "States.Runtime", nil},
		{"field updateItem lacks", "updateItem", `{"TableName": "orders", "Key": {"id": {"S": "o1"}}, "Item": {"id": {"S": "o1"}}}`, "States.Runtime", nil},
		{"field getItem lacks", "getItem", `{"TableName": "orders", "Key": {"id": {"S": "o1"}}, "Item": {"id": {"S": "o1"}}}`, "States.Runtime", nil},
	}
	for _, s := range steps {
		out, err := invoke(p, "arn:aws:states:::dynamodb:"+s.resource, js(t, s.params))
		if s.failure != "" {
			var f *taskport.Failure
			if !errors.As(err, &f) || f.Name != s.failure {
				t.Fatalf("%s: got %v, %v; want %s", s.name, jsonv.String(out), err, s.failure)
			}
			continue
		}
		if err != nil || !s.check(out) {
			t.Fatalf("%s: got %s, %v", s.name, jsonv.String(out), err)
		}
	}
}

func TestEventBridge(t *testing.T) {
	p, _, rec := servers(t)
	out, err := invoke(p, "arn:aws:states:::events:putEvents", js(t, `{"Entries": [{"Source": "test.orders", "DetailType": "placed", "Detail": {"id": 1}, "EventBusName": "default"}]}`))
	if err != nil || out.Value("FailedEntryCount") != int64(0) {
		t.Fatalf("putEvents: %s, %v", jsonv.String(out), err)
	}
	got := rec.Entries()
	if len(got) != 1 || got[0]["Detail"] != `{"id":1}` || got[0]["DetailType"] != "placed" {
		t.Fatalf("recorded %v; want the entry with its Detail as JSON text", got)
	}
	_, err = invoke(p, "arn:aws:states:::events:putEvents", js(t, `{"Entries": [{"Source": "test.fail", "DetailType": "x", "Detail": "{}"}]}`))
	failure(t, err, "EventBridge.FailedEntry")
}

func TestResources(t *testing.T) {
	p := &Port{Configs: &awsconf.Configs{}}
	for _, r := range []string{"arn:aws:states:::dynamodb:getItem.waitForTaskToken", "arn:aws:states:::sqs:sendMessage.sync", "arn:aws:states:::sqs:deleteMessage", "arn:aws:states:::lambda:invoke"} {
		if Runs(r) {
			t.Errorf("Runs(%s)", r)
		}
		if _, err := p.Invoke(context.Background(), taskport.Request{Resource: r}); !errors.Is(err, taskport.ErrNotSupported) {
			t.Errorf("%s: %v, want not supported", r, err)
		}
	}
	for _, r := range Supported() {
		if !Runs(r) {
			t.Errorf("Supported lists %s but Runs refuses it", r)
		}
	}
	if len(Supported()) != 10 {
		t.Errorf("Supported() = %v", Supported())
	}
}

// TestValidationAccepts: what this package runs, validation accepts.
func TestValidationAccepts(t *testing.T) {
	for _, r := range Supported() {
		if !asl.Runs(r, nil) {
			t.Errorf("asl.Runs refuses %s, which integrations runs", r)
		}
	}
}

// TestUnreachable: a service that cannot be reached fails the task with
// the SDK's client error, and a missing key variable names itself.
func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	s := key()
	s.Endpoint = closed
	p := &Port{Configs: &awsconf.Configs{Region: "us-east-1", LookupEnv: env, Services: map[string]awsconf.Service{
		"dynamodb": s,
		"sns":      {AccessKeyIDEnv: "UNSET_KEY", SecretAccessKeyEnv: "UNSET_SECRET"},
	}}}
	_, err = invoke(p, "arn:aws:states:::dynamodb:getItem", js(t, `{"TableName": "t", "Key": {"id": {"S": "x"}}}`))
	failure(t, err, "DynamoDB.SdkClientException")
	p.Configs.LookupEnv = func(string) (string, bool) { return "", false }
	_, err = invoke(p, "arn:aws:states:::sns:publish", js(t, `{"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "x"}`))
	failure(t, err, "States.TaskFailed")
	if !strings.Contains(err.Error(), "UNSET_KEY is not set") {
		t.Errorf("the missing variable is not named: %v", err)
	}
}
