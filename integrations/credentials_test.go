package integrations

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/awsconf"
	"github.com/statecraft/statecraft/integrations/testservers"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/runner"
	"github.com/statecraft/statecraft/taskport"
)

const (
	goodRole = "arn:aws:iam::210987654321:role/writer"
	badRole  = "arn:aws:iam::210987654321:role/nobody"
)

// credsMachine writes then reads an item under the role its input names;
// a role that cannot be assumed is caught.
const credsMachine = `{"StartAt":"Put","States":{
	"Put":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem",
		"Parameters":{"TableName":"creds","Item":{"id":{"S":"a"},"by":{"S.$":"$.who"}}},
		"Credentials":{"RoleArn.$":"$.role"},"ResultPath":null,"Next":"Get",
		"Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.error","Next":"Denied"}]},
	"Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem",
		"Parameters":{"TableName":"creds","Key":{"id":{"S":"a"}}},
		"Credentials":{"RoleArn.$":"$.role"},"ResultSelector":{"by.$":"$.Item.by.S"},"ResultPath":"$.got","End":true},
	"Denied":{"Type":"Pass","End":true}}}`

// TestCredentialsAssumeRole runs Task states with Credentials against a
// real DynamoDB (dynalite) behind a recorder, and an STS that knows one
// role: the calls reach DynamoDB signed with the temporary credentials
// STS issued for the role, one AssumeRole serves both tasks of the
// execution, and a role STS refuses fails the task with States.TaskFailed
// that a Catch handles, before anything reaches DynamoDB.
func TestCredentialsAssumeRole(t *testing.T) {
	ddb := testservers.NewRecorder(t, testservers.Dynalite(t))
	sts := testservers.NewSTS(t, "test", "test", goodRole) // env answers "test" for the key variables
	with := func(endpoint string) awsconf.Service { s := key(); s.Endpoint = endpoint; return s }
	cfgs := &awsconf.Configs{Region: "us-east-1", LookupEnv: env, Services: map[string]awsconf.Service{
		"dynamodb": with(ddb.URL), awsconf.STS: with(sts.URL),
	}}
	ctx := context.Background()
	cfg, err := cfgs.For(ctx, "dynamodb")
	if err != nil {
		t.Fatal(err)
	}
	_, err = dynamodb.NewFromConfig(cfg).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("creds"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	if probs := asl.Validate([]byte(credsMachine), asl.ValidateOptions{Runnable: true}); len(probs) > 0 {
		t.Fatalf("the definition is refused: %v", probs)
	}
	sm, err := asl.Parse([]byte(credsMachine))
	if err != nil {
		t.Fatal(err)
	}
	port := &Port{Configs: cfgs}
	run := func(execution, role string) *runner.Result {
		t.Helper()
		res, err := runner.Run(ctx, interp.New(sm, interp.Options{History: true}), runner.Options{
			Info: interp.Info{ExecutionArn: execution, Input: js(t, `{"who":"`+execution+`","role":"`+role+`"}`)},
			// No Statecraft roles at all: a service integration's role
			// must be assumed through STS, not the server's keyring.
			Tasks: port,
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	const exec1 = "arn:aws:states:us-east-1:123456789012:execution:creds:one"
	before := len(ddb.Signers())
	res := run(exec1, goodRole)
	if res.Status != interp.Succeeded || jsonv.String(res.Output) != `{"who":"`+exec1+`","role":"`+goodRole+`","got":{"by":"`+exec1+`"}}` {
		t.Fatalf("status %s output %s error %s %s", res.Status, jsonv.String(res.Output), res.Error, res.Cause)
	}
	calls := sts.Calls()
	if len(calls) != 1 {
		t.Fatalf("AssumeRole calls %+v, want one for both tasks", calls)
	}
	c := calls[0]
	if c.Caller != "test" || c.RoleArn != goodRole || c.RoleSessionName != awsconf.SessionName(exec1) || c.AccessKeyID == "" {
		t.Errorf("AssumeRole call %+v", c)
	}
	signers := ddb.Signers()[before:]
	if len(signers) != 2 {
		t.Fatalf("DynamoDB saw %d requests, want 2: %+v", len(signers), signers)
	}
	for _, s := range signers {
		if s.AccessKeyID != c.AccessKeyID || s.SessionToken != c.SessionToken {
			t.Errorf("DynamoDB saw %+v, want the role's temporary key %s and its session token", s, c.AccessKeyID)
		}
	}
	var scheduled int
	for _, e := range res.History {
		if e.Type == "TaskScheduled" {
			scheduled++
			if e.Details == nil || e.Details.More == nil || e.Details.More.TaskCredentials != goodRole {
				t.Errorf("TaskScheduled without the role: %+v", e.Details)
			}
		}
	}
	if scheduled != 2 {
		t.Errorf("%d TaskScheduled events", scheduled)
	}

	// Another execution is another session: the role is assumed again.
	const exec2 = "arn:aws:states:us-east-1:123456789012:execution:creds:two"
	if res := run(exec2, goodRole); res.Status != interp.Succeeded {
		t.Fatalf("second execution: %s %s %s", res.Status, res.Error, res.Cause)
	}
	if calls := sts.Calls(); len(calls) != 2 || calls[1].RoleSessionName != awsconf.SessionName(exec2) {
		t.Errorf("AssumeRole calls after a second execution: %+v", calls)
	}

	before = len(ddb.Signers())
	res = run("arn:aws:states:us-east-1:123456789012:execution:creds:three", badRole)
	out, _ := res.Output.(*jsonv.Object)
	errObj, _ := out.Value("error").(*jsonv.Object)
	cause, _ := errObj.Value("Cause").(string)
	if res.Status != interp.Succeeded || errObj.Value("Error") != "States.TaskFailed" ||
		!strings.HasPrefix(cause, "Step Functions could not assume the role of the task's Credentials: User: ") ||
		!strings.Contains(cause, "is not authorized to perform: sts:AssumeRole on resource: "+badRole+" (Service: Sts, Status Code: 403, Error Code: AccessDenied, Request ID: ") {
		t.Fatalf("refused role: status %s output %s", res.Status, jsonv.String(res.Output))
	}
	if n := len(ddb.Signers()) - before; n != 0 {
		t.Errorf("DynamoDB saw %d requests under a refused role", n)
	}

	// The failure as the port reports it, without a Catch.
	_, err = port.Invoke(ctx, taskport.Request{Resource: "arn:aws:states:::dynamodb:getItem", Input: js(t, `{"TableName":"creds","Key":{"id":{"S":"a"}}}`),
		ExecutionArn: exec1, RoleArn: badRole})
	failure(t, err, "States.TaskFailed")
}

// TestCredentialsUnreachableSTS fails the task, catchably, when STS
// cannot be reached.
func TestCredentialsUnreachableSTS(t *testing.T) {
	s := key()
	s.Endpoint = "http://127.0.0.1:1" // nothing listens on port 1
	cfgs := &awsconf.Configs{Region: "us-east-1", LookupEnv: env, Services: map[string]awsconf.Service{awsconf.Default: s}}
	p := &Port{Configs: cfgs}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := p.Invoke(ctx, taskport.Request{Resource: "arn:aws:states:::sqs:sendMessage", Input: js(t, `{"QueueUrl":"http://127.0.0.1:1/q","MessageBody":"m"}`),
		ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:m:x", RoleArn: goodRole})
	failure(t, err, "States.TaskFailed")
	if f := err.(*taskport.Failure); !strings.Contains(f.Cause, "could not assume the role of the task's Credentials: Unable to execute HTTP request: ") {
		t.Errorf("cause %q", f.Cause)
	}
}
