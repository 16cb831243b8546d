package awssdk

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

func TestParseResource(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Resource
		ok   bool
	}{
		{"arn:aws:states:::aws-sdk:s3:listBuckets", Resource{Service: "s3", Action: "listBuckets"}, true},
		{"arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken", Resource{Service: "sqs", Action: "sendMessage", WaitForTaskToken: true}, true},
		{"arn:aws-cn:states:::aws-sdk:dynamodb:getItem", Resource{Service: "dynamodb", Action: "getItem"}, true},
		{"arn:aws:states:::aws-sdk:sfn:startExecution.sync", Resource{}, false}, // no .sync for SDK integrations
		{"arn:aws:states:::aws-sdk:sfn:startExecution.sync:2", Resource{}, false},
		{"arn:aws:states:::aws-sdk:s3", Resource{}, false},
		{"arn:aws:states:::aws-sdk::getObject", Resource{}, false},
		{"arn:aws:states:::sqs:sendMessage", Resource{}, false},
		{"arn:aws:states:us-east-1:123456789012:aws-sdk:s3:listBuckets", Resource{}, false},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", Resource{}, false},
	} {
		got, ok := ParseResource(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseResource(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestSupported(t *testing.T) {
	if got, want := Services(), []string{"dynamodb", "eventbridge", "lambda", "s3", "sfn", "sns", "sqs"}; !slices.Equal(got, want) {
		t.Errorf("Services() = %v, want %v", got, want)
	}
	for _, c := range []struct {
		service, action string
		want            bool
	}{
		{"s3", "getObject", true},
		{"s3", "listObjectsV2", true},
		{"dynamodb", "transactWriteItems", true},
		{"sfn", "startSyncExecution", true},
		{"lambda", "invoke", true},
		{"eventbridge", "putEvents", true},
		{"s3", "GetObject", false},                    // actions are camelCase in the ARN
		{"s3", "selectObjectContent", false},          // an event stream
		{"lambda", "invokeWithResponseStream", false}, // an event stream
		{"s3", "options", false},                      // a method, not an action
		{"s3", "getObject2", false},
		{"s3", "get-object", false},
		{"ec2", "describeInstances", false}, // not in the table
		{"stepfunctions", "startExecution", false},
	} {
		if got := Supported(c.service, c.action); got != c.want {
			t.Errorf("Supported(%q, %q) = %v, want %v", c.service, c.action, got, c.want)
		}
	}
	f := Fields("sqs", "sendMessage")
	for _, want := range []string{"QueueUrl", "MessageBody", "DelaySeconds", "MessageAttributes"} {
		if !slices.Contains(f, want) {
			t.Errorf("Fields(sqs, sendMessage) = %v, lacks %s", f, want)
		}
	}
	if f := Fields("sqs", "nope"); f != nil {
		t.Errorf("Fields of an unknown action = %v", f)
	}
}

// An action this package does not run is ErrNotSupported, so the host
// fails the task with Statecraft.ResourceNotSupported; a parameter the
// action lacks, or a value of the wrong type, is refused by name before
// any request is sent.
func TestInvokeRefuses(t *testing.T) {
	called := false
	p := Port{Config: func(context.Context, string) (aws.Config, error) {
		called = true
		return aws.Config{}, errors.New("no request may be sent")
	}}
	for _, c := range []struct {
		resource, params string
		notSupported     bool
		cause            string
	}{
		{resource: "arn:aws:states:::aws-sdk:ec2:describeInstances", params: `{}`, notSupported: true},
		{resource: "arn:aws:states:::aws-sdk:s3:fooBar", params: `{}`, notSupported: true},
		{resource: "arn:aws:states:::aws-sdk:s3:getObject.sync", params: `{}`, notSupported: true},
		{resource: "arn:aws:states:::aws-sdk:s3:getObject", params: `{"Bucket":"b","Key":"k","Colour":"red"}`,
			cause: `The field "Colour" is not supported by Step Functions at aws-sdk:s3:getObject`},
		{resource: "arn:aws:states:::aws-sdk:s3:getObject", params: `{"bucket":"b"}`,
			cause: `The field "bucket" is not supported`},
		{resource: "arn:aws:states:::aws-sdk:sqs:receiveMessage", params: `{"QueueUrl":"u","MaxNumberOfMessages":"2"}`,
			cause: `The value at "MaxNumberOfMessages" for aws-sdk:sqs:receiveMessage must be an integer that fits int32, not string`},
		{resource: "arn:aws:states:::aws-sdk:s3:listObjectsV2", params: `{"Bucket":"b","FetchOwner":"yes"}`,
			cause: `"FetchOwner" for aws-sdk:s3:listObjectsV2 must be a boolean, not string`},
		{resource: "arn:aws:states:::aws-sdk:sqs:sendMessage", params: `{"QueueUrl":"u","MessageBody":"x","DelaySeconds":1.5}`,
			cause: `"DelaySeconds" for aws-sdk:sqs:sendMessage must be an integer`},
		{resource: "arn:aws:states:::aws-sdk:sqs:sendMessage", params: `{"QueueUrl":"u","MessageBody":"x","DelaySeconds":4294967296}`,
			cause: `must be an integer that fits int32`},
		{resource: "arn:aws:states:::aws-sdk:sqs:sendMessage", params: `{"QueueUrl":"u","MessageBody":"x","MessageAttributes":{"a":{"DataType":"String","Colour":1}}}`,
			cause: `The field "MessageAttributes.a.Colour" is not supported`},
		{resource: "arn:aws:states:::aws-sdk:dynamodb:putItem", params: `{"TableName":"t","Item":{"id":{"X":"1"}}}`,
			cause: `The field "Item.id.X" is not supported`},
		{resource: "arn:aws:states:::aws-sdk:dynamodb:putItem", params: `{"TableName":"t","Item":{"id":{"S":"1","N":"2"}}}`,
			cause: `"Item.id" for aws-sdk:dynamodb:putItem must be an object with exactly one of B, BOOL, BS, L, M, N, NS, NULL, S, SS`},
		{resource: "arn:aws:states:::aws-sdk:dynamodb:batchWriteItem", params: `{"RequestItems":{"t":[{"PutRequest":{"Item":{"n":{"L":{}}}}}]}}`,
			cause: `"RequestItems.t[0].PutRequest.Item.n.L" for aws-sdk:dynamodb:batchWriteItem must be an array, not object`},
		{resource: "arn:aws:states:::aws-sdk:s3:listBuckets", params: `[]`, cause: `must be an object, not array`},
		{resource: "arn:aws:states:::aws-sdk:s3:listBuckets", params: `{"ResultMetadata":{}}`, cause: `The field "ResultMetadata" is not supported`},
	} {
		in, err := jsonv.ParseString(c.params)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Invoke(context.Background(), taskport.Request{Resource: c.resource, Input: in})
		if c.notSupported {
			if !errors.Is(err, taskport.ErrNotSupported) {
				t.Errorf("%s: got %v, want ErrNotSupported", c.resource, err)
			}
			continue
		}
		var f *taskport.Failure
		if !errors.As(err, &f) || f.Name != "States.Runtime" || !strings.Contains(f.Cause, c.cause) {
			t.Errorf("%s %s: got %v; want States.Runtime with %q", c.resource, c.params, err, c.cause)
		}
	}
	if called {
		t.Error("Config was asked for a task that sends nothing")
	}
}

// The codec fills every kind of member the SDK's input shapes have.
func TestDecodeKinds(t *testing.T) {
	in, err := jsonv.ParseString(`{"TableName":"t","Item":{"b":{"B":"raw"},"m":{"M":{"x":{"NS":["1",2]}}},"n":{"NULL":true}},
		"ReturnValues":"ALL_OLD","ExpressionAttributeNames":{"#a":"a"}}`)
	if err != nil {
		t.Fatal(err)
	}
	var got dynamodb.PutItemInput
	if err := decode(in, reflect.ValueOf(&got).Elem(), ""); err != nil {
		t.Fatal(err)
	}
	want := dynamodb.PutItemInput{TableName: aws.String("t"), ReturnValues: types.ReturnValueAllOld,
		ExpressionAttributeNames: map[string]string{"#a": "a"},
		Item: map[string]types.AttributeValue{
			"b": &types.AttributeValueMemberB{Value: []byte(`"raw"`)}, // a blob is its value's JSON text
			// A string member given a number gets its JSON text.
			"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": &types.AttributeValueMemberNS{Value: []string{"1", "2"}}}},
			"n": &types.AttributeValueMemberNULL{Value: true},
		}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decode = %+v\nwant %+v", got, want)
	}
	// Timestamps: ISO 8601 or epoch seconds.
	for _, v := range []any{"2024-05-01T10:00:00.5Z", float64(1714557600.5)} {
		var hi s3.HeadObjectInput
		if err := decode(jsonv.ObjectOf("Bucket", "b", "Key", "k", "IfModifiedSince", v), reflect.ValueOf(&hi).Elem(), ""); err != nil {
			t.Fatal(err)
		}
		if w := time.Date(2024, 5, 1, 10, 0, 0, 5e8, time.UTC); !hi.IfModifiedSince.Equal(w) {
			t.Errorf("IfModifiedSince from %v = %v, want %v", v, hi.IfModifiedSince, w)
		}
	}
}

func TestEncode(t *testing.T) {
	out := dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{
		"z": &types.AttributeValueMemberS{Value: "s"},
		"a": &types.AttributeValueMemberB{Value: []byte("bytes")},
		"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberBOOL{Value: false}}},
		"u": &types.UnknownUnionMember{Tag: "NEW", Value: []byte("v")},
	}, ConsumedCapacity: &types.ConsumedCapacity{TableName: aws.String("t"), CapacityUnits: aws.Float64(0.5)}}
	got, err := encodeOutput(service{name: "dynamodb"}, reflect.ValueOf(out))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ConsumedCapacity":{"CapacityUnits":0.5,"TableName":"t"},"Item":{"a":{"B":"bytes"},"l":{"L":[{"BOOL":false}]},"u":{"NEW":"v"},"z":{"S":"s"}}}`
	if s := jsonv.String(got); s != want {
		t.Errorf("encode = %s\nwant %s", s, want)
	}
	if s := jsonv.String(must(encodeOutput(service{name: "s3"}, reflect.ValueOf(s3.DeleteObjectOutput{})))); s != "{}" {
		t.Errorf("an empty output = %s, want {}", s)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestFormatTime(t *testing.T) {
	for _, c := range []struct {
		ns   int
		want string
	}{
		{0, "2024-05-01T10:00:00Z"},
		{5e8, "2024-05-01T10:00:00.500Z"},
		{123456000, "2024-05-01T10:00:00.123456Z"},
		{1, "2024-05-01T10:00:00.000000001Z"},
	} {
		tm := time.Date(2024, 5, 1, 12, 0, 0, c.ns, time.FixedZone("x", 2*3600))
		if got := formatTime(tm); got != c.want {
			t.Errorf("formatTime(%v) = %s, want %s", tm, got, c.want)
		}
	}
}

// A call that gets no answer from the service is SERVICE.SdkClientException
// with the SDK's reason.
func TestSdkClientException(t *testing.T) {
	p := Port{Config: func(context.Context, string) (aws.Config, error) {
		return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), RetryMaxAttempts: 1,
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
			})}, nil
	}}
	for _, c := range []struct{ resource, params, name, cause string }{
		{"arn:aws:states:::aws-sdk:sqs:listQueues", `{}`, "Sqs.SdkClientException", "Unable to execute HTTP request: dial tcp 127.0.0.1:1: connect: connection refused"},
	} {
		in := must(jsonv.ParseString(c.params))
		_, err := p.Invoke(context.Background(), taskport.Request{Resource: c.resource, Input: in})
		t.Logf("%s: %v", c.resource, err)
		var f *taskport.Failure
		if !errors.As(err, &f) || f.Name != c.name || !strings.Contains(f.Cause, c.cause) {
			t.Errorf("%s: got %v; want %s with %q", c.resource, err, c.name, c.cause)
		}
	}
}

func TestCheckParameters(t *testing.T) {
	for _, c := range []struct {
		service, action, params string
		path                    string // the refused field's path, "/"-joined; "" when the parameters pass
	}{
		{"s3", "getObject", `{"Bucket":"b","Key.$":"$.key"}`, ""},
		{"s3", "getObject", `{"Bucket":"b","Colour":"red"}`, "Colour"},
		{"s3", "getObject", `{"Bucket":"b","colour.$":"$.c"}`, "colour.$"},
		{"s3", "getObject", `{"bucket":"b"}`, "bucket"}, // names are case-sensitive
		{"sqs", "sendMessage", `{"QueueUrl":"u","MessageBody":"m","MessageAttributes":{"a":{"DataType":"String","StringValue.$":"$.v"}}}`, ""},
		{"sqs", "sendMessage", `{"QueueUrl":"u","MessageBody":"m","MessageAttributes":{"a":{"DataType":"String","Value":"v"}}}`, "MessageAttributes/a/Value"},
		{"dynamodb", "putItem", `{"TableName":"t","Item":{"id":{"S.$":"$.id"},"m":{"M":{"x":{"N":"1"}}}}}`, ""},
		{"dynamodb", "putItem", `{"TableName":"t","Item":{"m":{"M":{"x":{"Number":"1"}}}}}`, "Item/m/M/x/Number"},
		{"dynamodb", "transactWriteItems", `{"TransactItems":[{"Put":{"TableName":"t","Item":{}}},{"Delete":{"TableName":"t","Key":{},"Extra":1}}]}`, "TransactItems/1/Delete/Extra"},
		{"dynamodb", "putItem", `{"TableName":"t","Item.$":"$.item"}`, ""},
		// A JSONata expression stands for a whole value.
		{"sqs", "sendMessage", `{"QueueUrl":"u","MessageBody":"m","MessageAttributes":"{% $attrs %}"}`, ""},
	} {
		p, err := jsonv.ParseString(c.params)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckParameters(c.service, c.action, p)
		var fe *FieldError
		switch {
		case c.path == "" && err != nil:
			t.Errorf("%s:%s %s: %v", c.service, c.action, c.params, err)
		case c.path != "" && (!errors.As(err, &fe) || strings.Join(fe.Path, "/") != c.path ||
			fe.Field != strings.TrimSuffix(fe.Path[len(fe.Path)-1], ".$")):
			t.Errorf("%s:%s %s: got %#v, want the field at %q refused", c.service, c.action, c.params, err, c.path)
		}
	}
	if err := CheckParameters("s3", "nope", nil); err == nil {
		t.Error("CheckParameters accepted an unknown action")
	}
}
