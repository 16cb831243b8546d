// Package cloudformation is the end-to-end test of Statecraft's
// CloudFormation API with the real AWS CLI, the way the user-onboarding
// blog post deploys its template: it builds the binary, starts
// `statecraft server` on a free port, and runs `aws cloudformation ...
// --endpoint-url` in examples/user-onboarding. It follows e2e/awscli's
// harness (a package of its own, so that each stays within go test's
// default timeout on a loaded machine). The AWS CLI (the pip v1 on PATH)
// and Node.js must be on PATH.
package cloudformation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/e2e/internal/server"
)

const (
	region  = "us-east-1"
	account = "123456789012"
)

// cli runs the AWS CLI against the server with nothing of the user's AWS
// setup, as the README's development pair.
type cli struct {
	path, endpoint, dir string
	env                 []string
	serviceErr          int // exit code of an error the service answered
}

func newCLI(t *testing.T, path, endpoint, dir string) *cli {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if upper := strings.ToUpper(name); strings.HasPrefix(upper, "AWS_") || strings.HasSuffix(upper, "_PROXY") {
			continue
		}
		env = append(env, kv)
	}
	empty := filepath.Join(dir, "empty-aws-file")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(env, "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_DEFAULT_REGION="+region,
		"AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty, "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1")
	c := &cli{path: path, endpoint: endpoint, dir: dir, env: env, serviceErr: 255}
	cmd := exec.Command(path, "--version")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws --version: %v\n%s", err, out)
	}
	if !bytes.HasPrefix(out, []byte("aws-cli/1.")) {
		c.serviceErr = 254
	}
	t.Logf("AWS CLI: %s", bytes.TrimSpace(out))
	return c
}

// result is one run of the CLI.
type result struct {
	args           []string
	stdout, stderr []byte
	code           int
	err            error
}

func (r result) String() string {
	return fmt.Sprintf("aws %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// aws runs `aws SERVICE ARGS --endpoint-url E --output json` in dir.
func (c *cli) aws(dir, service string, args ...string) result {
	full := append([]string{service}, args...)
	full = append(full, "--endpoint-url", c.endpoint, "--output", "json")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path, full...)
	cmd.Env = slices.Clone(c.env)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r := result{args: full}
	if err := cmd.Run(); err != nil {
		r.code = -1
		if exit, ok := err.(*exec.ExitError); ok {
			r.code = exit.ExitCode()
		} else {
			r.err = err
		}
	}
	r.stdout, r.stderr = stdout.Bytes(), stderr.Bytes()
	return r
}

// nextSecond waits until the wall clock is past prev's Unix second.
func nextSecond(prev time.Time) {
	for time.Now().Unix() == prev.Unix() {
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *cli) cfn(dir string, args ...string) result { return c.aws(dir, "cloudformation", args...) }

func (c *cli) decode(t *testing.T, r result, v any) {
	t.Helper()
	if r.err != nil || r.code != 0 {
		t.Fatalf("%v (err %v)", r, r.err)
	}
	if v != nil {
		if err := json.Unmarshal(r.stdout, v); err != nil {
			t.Fatalf("%v\ndecoding the output: %v", r, err)
		}
	}
}

func (c *cli) cfnOK(t *testing.T, dir string, v any, args ...string) {
	t.Helper()
	c.decode(t, c.cfn(dir, args...), v)
}

// ok runs `aws stepfunctions ARGS`.
func (c *cli) ok(t *testing.T, v any, args ...string) {
	t.Helper()
	c.decode(t, c.aws(c.dir, "stepfunctions", args...), v)
}

func (c *cli) file(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + p
}

func (c *cli) smArn(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", region, account, name)
}

type execution struct{ Status, Output, Error, Cause string }

// waitStatus polls describe-execution until the execution has ended, and
// checks its status. The deadline guards against hanging; the seed's
// handlers fail 30% of the time and are retried with back-off.
func (c *cli) waitStatus(t *testing.T, arn, want string) execution {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var ex execution
		c.ok(t, &ex, "describe-execution", "--execution-arn", arn)
		if ex.Status != "RUNNING" || time.Now().After(deadline) {
			if ex.Status != want {
				t.Fatalf("execution %s: status %s (error %q, cause %q), want %s", arn, ex.Status, ex.Error, ex.Cause, want)
			}
			return ex
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type history struct {
	Events []struct{ Type string } `json:"events"`
}

// retried reports whether h shows a Lambda call that failed and was
// scheduled again by its state's Retry (no state exited in between).
func retried(h history) bool {
	failed := false
	for _, e := range h.Events {
		switch e.Type {
		case "LambdaFunctionFailed":
			failed = true
		case "TaskStateExited":
			failed = false
		case "LambdaFunctionScheduled":
			if failed {
				return true
			}
		}
	}
	return false
}

func types(h history) []string {
	var out []string
	for _, e := range h.Events {
		out = append(out, e.Type)
	}
	return out
}

type stackEvents struct {
	StackEvents []struct {
		LogicalResourceId, ResourceStatus, ResourceStatusReason string
	}
}

// TestCloudFormation deploys the user-onboarding example with the seed's
// own commands (plus --endpoint-url), runs the machine it made, updates
// and deletes the stack; a template with a broken resource rolls back;
// `aws cloudformation deploy` creates and updates a stack by change sets.
func TestCloudFormation(t *testing.T) {
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("this end-to-end test needs the AWS CLI (aws) on PATH: %v", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("this end-to-end test needs Node.js (node) on PATH for the example's functions: %v", err)
	}
	dir := t.TempDir()
	endpoint := server.Start(t, dir)
	c := newCLI(t, path, endpoint, dir)
	example, err := filepath.Abs("../../examples/user-onboarding")
	if err != nil {
		t.Fatal(err)
	}

	// The seed's installation, unchanged but for the endpoint.
	var created struct{ StackId string }
	c.cfnOK(t, example, &created, "create-stack", "--stack-name", "example", "--template-body", "file://template.yml", "--capabilities", "CAPABILITY_IAM")
	if !strings.HasPrefix(created.StackId, "arn:aws:cloudformation:us-east-1:123456789012:stack/example/") {
		t.Fatalf("StackId %q", created.StackId)
	}
	c.cfnOK(t, example, nil, "wait", "stack-create-complete", "--stack-name", "example")
	var stacks struct {
		Stacks []struct {
			StackStatus string
			Outputs     []struct{ OutputKey, OutputValue string }
		}
	}
	c.cfnOK(t, example, &stacks, "describe-stacks", "--stack-name", "example")
	if len(stacks.Stacks) != 1 || stacks.Stacks[0].StackStatus != "CREATE_COMPLETE" || len(stacks.Stacks[0].Outputs) != 1 {
		t.Fatalf("describe-stacks: %+v", stacks)
	}
	var res struct {
		StackResourceDetail struct{ PhysicalResourceId, ResourceStatus string }
	}
	c.cfnOK(t, example, &res, "describe-stack-resource", "--stack-name", "example", "--logical-resource-id", "StateMachineOnboardingInstall")
	sm := res.StackResourceDetail.PhysicalResourceId
	if sm != stacks.Stacks[0].Outputs[0].OutputValue || !strings.HasPrefix(sm, "arn:aws:states:us-east-1:123456789012:stateMachine:") {
		t.Fatalf("state machine %q, output %+v", sm, stacks.Stacks[0].Outputs)
	}
	var list struct {
		StackResourceSummaries []struct{ LogicalResourceId, ResourceType, ResourceStatus string }
	}
	c.cfnOK(t, example, &list, "list-stack-resources", "--stack-name", "example")
	if len(list.StackResourceSummaries) != 6 {
		t.Errorf("list-stack-resources: %+v", list)
	}

	// The machine runs the two inline functions.
	input := filepath.Join(example, "input.json")
	var started struct{ ExecutionArn string }
	c.ok(t, &started, "start-execution", "--state-machine-arn", sm, "--name", "cfn-alice", "--input", "file://"+input)
	c.waitStatus(t, started.ExecutionArn, "SUCCEEDED")
	var h history
	c.ok(t, &h, "get-execution-history", "--execution-arn", started.ExecutionArn)
	if !slices.Contains(types(h), "LambdaFunctionSucceeded") {
		t.Errorf("history: %v", types(h))
	}
	// The seed's retries: its handlers fail 30% of the time, so an
	// execution of its five Lambda tasks shows a retry with probability
	// 1-0.7^5 = 0.83; twelve executions without one (p < 1e-9) mean the
	// Retry does not work.
	for i := 0; !retried(h); i++ {
		if i == 12 {
			t.Fatalf("no retry seen in 13 executions; last history: %v", types(h))
		}
		c.ok(t, &started, "start-execution", "--state-machine-arn", sm, "--name", fmt.Sprintf("cfn-retry-%d", i), "--input", "file://"+input)
		c.waitStatus(t, started.ExecutionArn, "SUCCEEDED")
		c.ok(t, &h, "get-execution-history", "--execution-arn", started.ExecutionArn)
	}

	// update-stack: a shorter wait, the machine updated in place.
	tpl, err := os.ReadFile(filepath.Join(example, "template.yml"))
	if err != nil {
		t.Fatal(err)
	}
	updated := strings.ReplaceAll(string(tpl), `"Seconds": 3`, `"Seconds": 1`)
	if updated == string(tpl) {
		t.Fatal("the example's Wait states changed: update this test")
	}
	c.cfnOK(t, example, nil, "update-stack", "--stack-name", "example", "--template-body", c.file(t, "updated.yml", updated), "--capabilities", "CAPABILITY_IAM")
	c.cfnOK(t, example, nil, "wait", "stack-update-complete", "--stack-name", "example")
	var desc struct{ Definition string }
	c.ok(t, &desc, "describe-state-machine", "--state-machine-arn", sm)
	if !strings.Contains(desc.Definition, `"Seconds": 1`) {
		t.Errorf("definition after update-stack: %s", desc.Definition)
	}
	if r := c.cfn(example, "update-stack", "--stack-name", "example", "--template-body", "file://"+filepath.Join(dir, "updated.yml"), "--capabilities", "CAPABILITY_IAM"); r.code != c.serviceErr ||
		!bytes.Contains(r.stderr, []byte("An error occurred (ValidationError) when calling the UpdateStack operation: No updates are to be performed.")) {
		t.Errorf("an update without changes: %v", r)
	}

	// The seed's clean-up.
	c.cfnOK(t, example, nil, "delete-stack", "--stack-name", "example")
	c.cfnOK(t, example, nil, "wait", "stack-delete-complete", "--stack-name", "example")
	if r := c.cfn(example, "describe-stacks", "--stack-name", "example"); r.code != c.serviceErr ||
		!bytes.Contains(r.stderr, []byte("An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id example does not exist")) {
		t.Errorf("describe-stacks after delete: %v", r)
	}
	var machines struct{ StateMachines []any }
	c.ok(t, &machines, "list-state-machines")
	if len(machines.StateMachines) != 0 {
		t.Errorf("state machines left after delete-stack: %+v", machines)
	}

	// A broken resource rolls the stack back.
	bad := `
Resources:
  Worker: {Type: 'AWS::StepFunctions::Activity', Properties: {Name: cfn-worker}}
  Broken:
    Type: AWS::StepFunctions::StateMachine
    DependsOn: Worker
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/r
      Definition: {StartAt: Nowhere, States: {P: {Type: Pass, End: true}}}
`
	c.cfnOK(t, example, nil, "create-stack", "--stack-name", "broken", "--template-body", c.file(t, "broken.yml", bad))
	if r := c.cfn(example, "wait", "stack-create-complete", "--stack-name", "broken"); r.code == 0 || !bytes.Contains(r.stderr, []byte("ROLLBACK_COMPLETE")) {
		t.Errorf("waiting for a stack that rolls back: %v", r)
	}
	var ev stackEvents
	c.cfnOK(t, example, &ev, "describe-stack-events", "--stack-name", "broken")
	var seq []string
	for _, e := range ev.StackEvents {
		seq = append(seq, e.LogicalResourceId+":"+e.ResourceStatus)
	}
	want := "broken:ROLLBACK_COMPLETE Worker:DELETE_COMPLETE Worker:DELETE_IN_PROGRESS broken:ROLLBACK_IN_PROGRESS Broken:CREATE_FAILED Broken:CREATE_IN_PROGRESS Worker:CREATE_COMPLETE Worker:CREATE_IN_PROGRESS broken:CREATE_IN_PROGRESS"
	if got := strings.Join(seq, " "); got != want {
		t.Errorf("events of the rolled back stack\n got %s\nwant %s", got, want)
	}

	// Without CAPABILITY_IAM the example is refused.
	if r := c.cfn(example, "create-stack", "--stack-name", "nocaps", "--template-body", "file://template.yml"); r.code != c.serviceErr ||
		!bytes.Contains(r.stderr, []byte("An error occurred (InsufficientCapabilitiesException) when calling the CreateStack operation: Requires capabilities : [CAPABILITY_IAM]")) {
		t.Errorf("create-stack without capabilities: %v", r)
	}

	// `aws cloudformation deploy`: change sets, CREATE then UPDATE.
	act := "Parameters: {Suffix: {Type: String, Default: one}}\nResources:\n  A: {Type: 'AWS::StepFunctions::Activity', Properties: {Name: !Sub 'deployed-${Suffix}'}}\n"
	file := filepath.Join(dir, "deployed.yml")
	if err := os.WriteFile(file, []byte(act), 0o644); err != nil {
		t.Fatal(err)
	}
	var last time.Time
	for _, args := range [][]string{{}, {"--parameter-overrides", "Suffix=two"}} {
		// The CLI names its change set after the Unix second it runs in
		// (awscli-cloudformation-package-deploy-<seconds>), and a stack's
		// executed change set keeps its name, as on AWS: two deploys of
		// one stack in the same second would collide, which AWS, slower
		// to deploy, never shows. The CLI picks the name some time after
		// it starts, so the second that counts is the one the previous
		// deploy ended in, not the one it started in.
		nextSecond(last)
		r := c.cfn(example, append([]string{"deploy", "--stack-name", "deployed", "--template-file", file}, args...)...)
		last = time.Now()
		if r.code != 0 || !bytes.Contains(r.stdout, []byte("Successfully created/updated stack - deployed")) {
			t.Fatalf("deploy: %v", r)
		}
	}
	// A SAM template, deployed as SAM users do: a change set with the
	// transform expanded (the roles it makes need CAPABILITY_IAM).
	sam := `Transform: AWS::Serverless-2016-10-31
Resources:
  Double:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: cfn-double
      Runtime: nodejs20.x
      Handler: index.handler
      InlineCode: |
        exports.handler = async (event) => ({n: event.n * 2});
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: cfn-sam
      Definition:
        StartAt: Double
        States:
          Double: {Type: Task, Resource: "${DoubleArn}", End: true}
      DefinitionSubstitutions:
        DoubleArn: !GetAtt Double.Arn
      Policies:
        - LambdaInvokePolicy: {FunctionName: !Ref Double}
`
	samFile := filepath.Join(dir, "sam.yml")
	if err := os.WriteFile(samFile, []byte(sam), 0o644); err != nil {
		t.Fatal(err)
	}
	nextSecond(last)
	r := c.cfn(example, "deploy", "--stack-name", "sam", "--template-file", samFile)
	last = time.Now()
	if r.code == 0 ||
		!bytes.Contains(append(r.stdout, r.stderr...), []byte("CAPABILITY_IAM")) {
		t.Errorf("deploying SAM's roles without CAPABILITY_IAM: %v", r)
	}
	nextSecond(last)
	if r := c.cfn(example, "deploy", "--stack-name", "sam", "--template-file", samFile, "--capabilities", "CAPABILITY_IAM"); r.code != 0 {
		t.Fatalf("deploy of a SAM template: %v", r)
	}
	var samRun struct{ ExecutionArn string }
	c.ok(t, &samRun, "start-execution", "--state-machine-arn", c.smArn("cfn-sam"), "--input", `{"n": 21}`)
	if ex := c.waitStatus(t, samRun.ExecutionArn, "SUCCEEDED"); ex.Output != `{"n":42}` {
		t.Errorf("output of the SAM machine: %s", ex.Output)
	}

	var acts struct{ Activities []struct{ Name string } }
	c.ok(t, &acts, "list-activities")
	b, _ := json.Marshal(acts)
	if !strings.Contains(string(b), `"deployed-two"`) || strings.Contains(string(b), `"deployed-one"`) {
		t.Errorf("activities after two deploys: %s", b)
	}
}
