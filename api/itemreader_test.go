package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/itemreader"
)

// fakeS3 is an in-memory S3 on 127.0.0.1 holding buckets, and an item
// reader (ItemReader, ResultWriter) that reaches it.
type fakeS3 struct {
	be    *s3mem.Backend
	items *itemreader.Reader
}

func newFakeS3(t *testing.T, buckets ...string) *fakeS3 {
	t.Helper()
	be := s3mem.New()
	for _, b := range buckets {
		if err := be.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	s3srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(s3srv.Close)
	r, err := itemreader.New(itemreader.Config{Endpoint: s3srv.URL, AccessKeyID: "AKID", SecretAccessKey: "SECRET", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	return &fakeS3{be: be, items: r}
}

func (s *fakeS3) put(t *testing.T, bucket, key, body string) {
	t.Helper()
	if _, err := s.be.PutObject(bucket, key, map[string]string{}, strings.NewReader(body), int64(len(body)), nil); err != nil {
		t.Fatal(err)
	}
}

// get is an object's body; a missing object fails the test.
func (s *fakeS3) get(t *testing.T, bucket, key string) []byte {
	t.Helper()
	o, err := s.be.GetObject(bucket, key, nil)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	defer o.Contents.Close()
	b, _ := io.ReadAll(o.Contents)
	return b
}

// s3Env is a test server whose engine reads items from an in-memory S3
// on 127.0.0.1 holding objects (key -> body) in bucket "data".
func s3Env(t *testing.T, objects map[string]string) *testEnv {
	t.Helper()
	s3 := newFakeS3(t, "data")
	for k, body := range objects {
		s3.put(t, "data", k, body)
	}
	return newEnvEngine(t, nil, engine.Options{Items: s3.items})
}

func runMachine(t *testing.T, c *sfn.Client, name, def, input string, want types.ExecutionStatus) *sfn.DescribeExecutionOutput {
	t.Helper()
	ctx := context.Background()
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r")}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(input)}))(t)
	return waitDescribe(t, c, aws.ToString(ex.ExecutionArn), want)
}

// A Distributed Map over a 1,000-row CSV in S3, 100 rows a batch: ten
// children, each with its hundred rows (the header row names the
// columns, all values strings), in order.
func TestSDKItemReaderCSVBatches(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("id,name\n")
	for i := range 1000 {
		fmt.Fprintf(&csv, "%d,row %d\n", i, i)
	}
	e := s3Env(t, map[string]string{"rows/all.csv": csv.String()})
	c := e.newClient("us-east-1")
	def := compact(`{
		"StartAt": "Rows",
		"States": {
			"Rows": {
				"Type": "Map",
				"ItemReader": {
					"Resource": "arn:aws:states:::s3:getObject",
					"ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
					"Parameters": {"Bucket.$": "$.bucket", "Key": "rows/all.csv"}
				},
				"ItemBatcher": {"MaxItemsPerBatch": 100, "BatchInput": {"run.$": "$.run"}},
				"ItemProcessor": {
					"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
					"StartAt": "Count",
					"States": {"Count": {"Type": "Pass", "Parameters": {"n.$": "States.ArrayLength($.Items)", "first.$": "$.Items[0]", "run.$": "$.BatchInput.run"}, "End": true}}
				},
				"End": true
			}
		}
	}`)
	out := runMachine(t, c, "csv-batches", def, `{"bucket":"data","run":"r1"}`, types.ExecutionStatusSucceeded)
	var got []struct {
		N     int               `json:"n"`
		First map[string]string `json:"first"`
		Run   string            `json:"run"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("got %d batches, want 10: %s", len(got), aws.ToString(out.Output))
	}
	for i, b := range got {
		want := map[string]string{"id": fmt.Sprint(i * 100), "name": fmt.Sprintf("row %d", i*100)}
		if b.N != 100 || fmt.Sprint(b.First) != fmt.Sprint(want) || b.Run != "r1" {
			t.Errorf("batch %d: %+v, want 100 items starting with %v", i, b, want)
		}
	}
}

// JSONata Arguments and MaxItems, and the error of a key that is not
// there, which Catch sees.
func TestSDKItemReaderJSONataAndMissingKey(t *testing.T) {
	e := s3Env(t, map[string]string{"in.jsonl": "{\"v\":1}\n{\"v\":2}\n{\"v\":3}\n"})
	c := e.newClient("us-east-1")
	def := compact(`{
		"QueryLanguage": "JSONata",
		"StartAt": "Read",
		"States": {
			"Read": {
				"Type": "Map",
				"ItemReader": {
					"Resource": "arn:aws:states:::s3:getObject",
					"ReaderConfig": {"InputType": "JSONL", "MaxItems": "{% $states.input.max %}"},
					"Arguments": {"Bucket": "data", "Key": "{% $states.input.key %}"}
				},
				"ItemProcessor": {
					"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
					"StartAt": "Double",
					"States": {"Double": {"Type": "Pass", "Output": "{% $states.input.v * 2 %}", "End": true}}
				},
				"Catch": [{"ErrorEquals": ["States.ItemReaderFailed"], "Output": "{% $states.errorOutput %}", "Next": "Caught"}],
				"End": true
			},
			"Caught": {"Type": "Succeed"}
		}
	}`)
	out := runMachine(t, c, "jsonata-read", def, `{"key":"in.jsonl","max":2}`, types.ExecutionStatusSucceeded)
	if got := aws.ToString(out.Output); got != `[2,4]` {
		t.Fatalf("output %s, want [2,4]", got)
	}
	ctx := context.Background()
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: out.StateMachineArn, Input: aws.String(`{"key":"gone.jsonl","max":2}`)}))(t)
	out = waitDescribe(t, c, aws.ToString(ex.ExecutionArn), types.ExecutionStatusSucceeded)
	var caught struct{ Error, Cause string }
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &caught); err != nil {
		t.Fatal(err)
	}
	if caught.Error != "States.ItemReaderFailed" || !strings.Contains(caught.Cause, "NoSuchKey") {
		t.Fatalf("caught %+v, want States.ItemReaderFailed naming NoSuchKey", caught)
	}
}

// Without an object store, a Map with an ItemReader fails and says which
// setting is missing.
func TestSDKItemReaderNoStore(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	def := compact(`{
		"StartAt": "Read",
		"States": {
			"Read": {
				"Type": "Map",
				"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "data", "Prefix": "x/"}},
				"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
				"End": true
			}
		}
	}`)
	out := runMachine(t, c, "no-store", def, `{}`, types.ExecutionStatusFailed)
	if aws.ToString(out.Error) != "States.ItemReaderFailed" || !strings.Contains(aws.ToString(out.Cause), "--s3-endpoint") {
		t.Fatalf("error %s (%s), want States.ItemReaderFailed naming --s3-endpoint", aws.ToString(out.Error), aws.ToString(out.Cause))
	}
}
