package awssdk_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/awsconf"
	"github.com/statecraft/statecraft/awssdk"
	"github.com/statecraft/statecraft/integrations/testservers"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// TestCredentials calls S3 (gofakes3 behind a recorder) under a Task's
// Credentials: the role is assumed at the STS the settings name, signed
// with the base key, and the calls reach S3 with the temporary key and
// session token, assumed once for the execution's two calls. A role STS
// refuses fails the task with States.TaskFailed before S3 is called, and
// a Port that cannot assume roles refuses rather than use its own key.
func TestCredentials(t *testing.T) {
	const (
		role  = "arn:aws:iam::210987654321:role/reader"
		other = "arn:aws:iam::210987654321:role/unknown"
		exec  = "arn:aws:states:us-east-1:123456789012:express:m:x:1"
	)
	s3 := testservers.NewRecorder(t, testservers.S3(t))
	sts := testservers.NewSTS(t, keyID, secret, role)
	base := awsconf.Service{AccessKeyIDEnv: "TEST_KEY_ID", SecretAccessKeyEnv: "TEST_SECRET"}
	s3s, stss := base, base
	s3s.Endpoint, s3s.PathStyle = s3.URL, true
	stss.Endpoint = sts.URL
	cfgs := &awsconf.Configs{Region: "us-east-1", Services: map[string]awsconf.Service{"s3": s3s, awsconf.STS: stss},
		LookupEnv: func(name string) (string, bool) {
			v, ok := map[string]string{"TEST_KEY_ID": keyID, "TEST_SECRET": secret}[name]
			return v, ok
		}}
	p := awssdk.New(cfgs)
	ctx := context.Background()
	call := func(action, params, role string) (any, error) {
		in, err := jsonv.ParseString(params)
		if err != nil {
			t.Fatal(err)
		}
		return p.Invoke(ctx, taskport.Request{Resource: "arn:aws:states:::aws-sdk:s3:" + action, Input: in, ExecutionArn: exec, RoleArn: role})
	}
	for _, c := range [][2]string{{"createBucket", `{"Bucket":"creds"}`}, {"putObject", `{"Bucket":"creds","Key":"k","Body":{"v":1}}`}} {
		if _, err := call(c[0], c[1], ""); err != nil {
			t.Fatalf("%s: %v", c[0], err)
		}
	}
	if n := len(sts.Calls()); n != 0 {
		t.Fatalf("%d AssumeRole calls without Credentials", n)
	}
	before := len(s3.Signers())
	for range 2 {
		out, err := call("getObject", `{"Bucket":"creds","Key":"k"}`, role)
		if err != nil {
			t.Fatal(err)
		}
		if body, _ := out.(*jsonv.Object).Value("Body").(string); body != `{"v":1}` {
			t.Fatalf("getObject: %s", jsonv.String(out))
		}
	}
	calls := sts.Calls()
	if len(calls) != 1 || calls[0].Caller != keyID || calls[0].RoleArn != role || calls[0].RoleSessionName != awsconf.SessionName(exec) {
		t.Fatalf("AssumeRole calls %+v, want one by %s for %s", calls, keyID, role)
	}
	signers := s3.Signers()[before:]
	if len(signers) != 2 {
		t.Fatalf("S3 saw %d requests, want 2", len(signers))
	}
	for _, s := range signers {
		if s.AccessKeyID != calls[0].AccessKeyID || s.SessionToken != calls[0].SessionToken {
			t.Errorf("S3 saw %+v, want the temporary key %s with its token", s, calls[0].AccessKeyID)
		}
	}

	before = len(s3.Signers())
	_, err := call("getObject", `{"Bucket":"creds","Key":"k"}`, other)
	var f *taskport.Failure
	if !errors.As(err, &f) || f.Name != "States.TaskFailed" ||
		!strings.HasPrefix(f.Cause, "Step Functions could not assume the role of the task's Credentials: User: ") ||
		!strings.HasSuffix(strings.SplitN(f.Cause, "Request ID:", 2)[0], "sts:AssumeRole on resource: "+other+" (Service: Sts, Status Code: 403, Error Code: AccessDenied, ") {
		t.Fatalf("refused role: %v", err)
	}
	if n := len(s3.Signers()) - before; n != 0 {
		t.Errorf("S3 saw %d requests under a refused role", n)
	}

	noRoles := awssdk.Port{Config: cfgs.For, Settings: cfgs.Settings}
	in, _ := jsonv.ParseString(`{"Bucket":"creds","Key":"k"}`)
	_, err = noRoles.Invoke(ctx, taskport.Request{Resource: "arn:aws:states:::aws-sdk:s3:getObject", Input: in, ExecutionArn: exec, RoleArn: role})
	if !errors.As(err, &f) || f.Name != "States.TaskFailed" || !strings.Contains(f.Cause, role) {
		t.Fatalf("a Port without RoleConfig: %v", err)
	}
}
