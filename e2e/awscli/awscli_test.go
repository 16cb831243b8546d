// Package awscli is the end-to-end test of `statecraft server` with the
// real AWS CLI: it builds the binary, starts the server on a free port and
// drives it with `aws stepfunctions ... --endpoint-url`, the way a user
// following the README would. It works with AWS CLI v1 (pip) and v2
// (Debian's awscli package); the CLI must be on PATH.
package awscli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/e2e/internal/server"
)

const (
	region  = "us-east-1"
	account = "123456789012"
	role    = "arn:aws:iam::123456789012:role/statecraft-e2e"
)

func TestAWSCLI(t *testing.T) {
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("this end-to-end test needs the AWS CLI (aws) on PATH, and it is missing (%v); "+
			"install it with `apt-get install awscli` (scripts/test.sh does that when aws is missing) or `pip install awscli`", err)
	}
	dir := t.TempDir()
	endpoint := server.Start(t, dir)
	c := newCLI(t, path, endpoint, dir)
	t.Logf("AWS CLI: %s (%s); server: %s", c.version, path, endpoint)

	// The subtests are independent (each makes its own resources), so they
	// run in parallel against the one server; the server is stopped after
	// all of them.
	t.Run("StateMachineLifecycle", c.testLifecycle)
	t.Run("HistoryPagination", c.testHistoryPagination)
	t.Run("StopExecution", c.testStopExecution)
	t.Run("ActivityRoundTrip", c.testActivity)
	t.Run("ValidateDefinition", c.testValidate)
	t.Run("Errors", c.testErrors)
	t.Run("StartSyncExecution", c.testSync)
	t.Run("AliasRoundTrip", c.testAlias)
	t.Run("TestState", c.testTestState)
	t.Run("RedriveExecution", c.testRedrive)
	// RedriveExecution is newer than the rest of the API: Debian's CLI v2
	// runs the test too when its model knows the operation (bookworm's
	// 2.9 predates it).
	t.Run("RedriveExecutionDebianCLI", func(t *testing.T) {
		d := newCLI(t, debianCLI(t), endpoint, dir)
		help := exec.Command(d.path, "stepfunctions", "help")
		help.Env = append(d.env, "PAGER=cat", "MANPAGER=cat")
		if out, _ := help.CombinedOutput(); !bytes.Contains(out, []byte("redrive-execution")) {
			t.Skipf("%s has no redrive-execution", d.version)
		}
		d.testRedrive(t)
	})
	t.Run("MapRun", c.testMapRun)
}

// cli runs the AWS CLI against the server in a clean environment.
type cli struct {
	path     string
	version  string // `aws --version`
	major    int    // 1 or 2
	endpoint string
	env      []string
	dir      string
	// serviceErr is the exit code for an error answered by the service:
	// 255 in v1, 254 in v2.
	serviceErr int
}

func newCLI(t *testing.T, path, endpoint, dir string) *cli {
	t.Helper()
	// Nothing of the user's AWS setup or proxies may leak in; the
	// README's development pair, which a server with no credentials
	// accepts from loopback.
	env := cleanEnv(dir, "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_CLI_AUTO_PROMPT=off")
	c := &cli{path: path, endpoint: endpoint, env: env, dir: dir}
	cmd := exec.Command(path, "--version")
	cmd.Env = env
	out, err := cmd.CombinedOutput() // v1 once printed it on stderr
	if err != nil {
		t.Fatalf("aws --version: %v\n%s", err, out)
	}
	c.version = strings.TrimSpace(string(out))
	m := regexp.MustCompile(`aws-cli/(\d+)\.`).FindStringSubmatch(c.version)
	if m == nil {
		t.Fatalf("aws --version: cannot tell the CLI version from %q", c.version)
	}
	c.major, _ = strconv.Atoi(m[1])
	switch c.major {
	case 1:
		c.serviceErr = 255
	default:
		c.serviceErr = 254
	}
	return c
}

// result is one run of the CLI.
type result struct {
	args           []string
	stdout, stderr []byte
	code           int
	err            error // could not run it at all
}

func (r result) String() string {
	return fmt.Sprintf("aws %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// run runs `aws stepfunctions ARGS --endpoint-url E --output json` with
// extra environment variables (which override the clean ones). It does not
// touch t, so it can run in a goroutine.
func (c *cli) run(ctx context.Context, extraEnv []string, args ...string) result {
	full := append([]string{"stepfunctions"}, args...)
	full = append(full, "--endpoint-url", c.endpoint, "--output", "json")
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path, full...)
	cmd.Env = append(slices.Clone(c.env), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r := result{args: args}
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			r.err = err
		}
		r.code = -1
		if exit != nil {
			r.code = exit.ExitCode()
		}
	}
	r.stdout, r.stderr = stdout.Bytes(), stderr.Bytes()
	return r
}

// ok runs the CLI, fails the test unless it exits 0, and decodes its JSON
// output into v (when v is not nil).
func (c *cli) ok(t *testing.T, v any, args ...string) {
	t.Helper()
	c.decode(t, c.run(context.Background(), nil, args...), v)
}

func (c *cli) decode(t *testing.T, r result, v any) {
	t.Helper()
	if r.err != nil || r.code != 0 {
		t.Fatalf("%v (err %v)", r, r.err)
	}
	if v == nil {
		return
	}
	if err := json.Unmarshal(r.stdout, v); err != nil {
		t.Fatalf("%v\ndecoding the output: %v", r, err)
	}
}

// fails runs the CLI and checks that it reports the service error name.
func (c *cli) fails(t *testing.T, name string, args ...string) string {
	t.Helper()
	r := c.run(context.Background(), nil, args...)
	want := fmt.Sprintf("An error occurred (%s) when calling the ", name)
	if r.code != c.serviceErr || !bytes.Contains(r.stderr, []byte(want)) {
		t.Errorf("want exit %d and %q on stderr; got %v", c.serviceErr, want, r)
	}
	return string(r.stderr)
}

// file writes a file into the test's directory and returns its file://
// URL for the CLI.
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

func (c *cli) createMachine(t *testing.T, name, definition string, extra ...string) string {
	t.Helper()
	var out struct {
		StateMachineArn string
		CreationDate    json.RawMessage
	}
	args := append([]string{"create-state-machine", "--name", name, "--definition", c.file(t, name+".asl.json", definition), "--role-arn", role}, extra...)
	c.ok(t, &out, args...)
	if out.StateMachineArn != c.smArn(name) {
		t.Fatalf("create-state-machine: stateMachineArn %q, want %q", out.StateMachineArn, c.smArn(name))
	}
	checkStamp(t, "create-state-machine creationDate", out.CreationDate)
	return out.StateMachineArn
}

// checkStamp checks a timestamp of the CLI's output: v1 prints epoch
// seconds, v2 ISO 8601 (its default cli_timestamp_format).
func checkStamp(t *testing.T, what string, raw json.RawMessage) time.Time {
	t.Helper()
	var when time.Time
	var num float64
	var text string
	switch {
	case json.Unmarshal(raw, &num) == nil:
		when = time.UnixMilli(int64(num * 1000))
	case json.Unmarshal(raw, &text) == nil:
		var err error
		if when, err = time.Parse(time.RFC3339, text); err != nil {
			t.Errorf("%s: %q is not a timestamp: %v", what, text, err)
			return time.Time{}
		}
	default:
		t.Errorf("%s: %s is not a timestamp", what, raw)
		return time.Time{}
	}
	if d := time.Since(when); d > time.Hour || d < -time.Hour {
		t.Errorf("%s: %v is not around now", what, when)
	}
	return when
}

type execution struct {
	ExecutionArn    string
	StateMachineArn string
	Name            string
	Status          string
	Input           string
	Output          string
	Error           string
	Cause           string
	StartDate       json.RawMessage
	StopDate        json.RawMessage
}

// waitStatus polls describe-execution until the execution is no longer
// RUNNING and checks that it ended with status want.
func (c *cli) waitStatus(t *testing.T, arn, want string) execution {
	t.Helper()
	// A guard against hanging, not a speed check: CLI calls take seconds
	// each on a loaded machine.
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
		time.Sleep(100 * time.Millisecond)
	}
}

type event struct {
	ID                          int64  `json:"id"`
	PreviousEventID             int64  `json:"previousEventId"`
	Type                        string `json:"type"`
	ActivityStartedEventDetails *struct {
		WorkerName string `json:"workerName"`
	} `json:"activityStartedEventDetails"`
	ExecutionAbortedEventDetails *struct {
		Error string `json:"error"`
		Cause string `json:"cause"`
	} `json:"executionAbortedEventDetails"`
}

type history struct {
	Events []event `json:"events"`
	// NextToken is the CLI's own pagination token (--max-items).
	NextToken string `json:"NextToken"`
}

func types(events []event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Type)
	}
	return out
}

// jsonEqual compares two JSON texts as values.
func jsonEqual(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s: %q is not JSON: %v", what, got, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expectation %q: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// The README's path: create from a file, describe, list, update, run,
// read the history, list executions by status, tag, delete.
func (c *cli) testLifecycle(t *testing.T) {
	t.Parallel()
	def1 := `{
  "Comment": "e2e: greet <someone> & finish",
  "StartAt": "Greet",
  "States": {
    "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}
`
	def2 := strings.Replace(def1, "hello {}", "hi {}", 1)
	arn := c.createMachine(t, "cli-lifecycle", def1, "--tags", "key=team,value=core")

	type machine struct {
		StateMachineArn, Name, Status, Definition, RoleArn, Type string
		CreationDate                                             json.RawMessage
	}
	var desc machine
	c.ok(t, &desc, "describe-state-machine", "--state-machine-arn", arn)
	if desc.StateMachineArn != arn || desc.Name != "cli-lifecycle" || desc.Status != "ACTIVE" || desc.Type != "STANDARD" || desc.RoleArn != role {
		t.Errorf("describe-state-machine = %+v", desc)
	}
	if desc.Definition != def1 {
		t.Errorf("describe-state-machine definition = %q, want the file's text byte for byte: %q", desc.Definition, def1)
	}

	var list struct{ StateMachines []machine }
	c.ok(t, &list, "list-state-machines")
	found := false
	for _, m := range list.StateMachines {
		if m.StateMachineArn == arn {
			found = true
			if m.Name != "cli-lifecycle" || m.Type != "STANDARD" {
				t.Errorf("list-state-machines entry = %+v", m)
			}
			checkStamp(t, "list-state-machines creationDate", m.CreationDate)
		}
	}
	if !found {
		t.Errorf("list-state-machines does not list %s: %+v", arn, list.StateMachines)
	}

	var upd struct{ UpdateDate json.RawMessage }
	c.ok(t, &upd, "update-state-machine", "--state-machine-arn", arn, "--definition", c.file(t, "cli-lifecycle-v2.asl.json", def2))
	checkStamp(t, "update-state-machine updateDate", upd.UpdateDate)
	// The execution's output shows that the update took.

	var start struct {
		ExecutionArn string
		StartDate    json.RawMessage
	}
	c.ok(t, &start, "start-execution", "--state-machine-arn", arn, "--name", "run-1", "--input", `{"who": "cli"}`)
	wantExec := fmt.Sprintf("arn:aws:states:%s:%s:execution:cli-lifecycle:run-1", region, account)
	if start.ExecutionArn != wantExec {
		t.Fatalf("start-execution executionArn = %q, want %q", start.ExecutionArn, wantExec)
	}
	checkStamp(t, "start-execution startDate", start.StartDate)
	ex := c.waitStatus(t, start.ExecutionArn, "SUCCEEDED")
	if ex.Name != "run-1" || ex.StateMachineArn != arn {
		t.Errorf("describe-execution = %+v", ex)
	}
	jsonEqual(t, "execution input", ex.Input, `{"who": "cli"}`)
	jsonEqual(t, "execution output (the updated definition)", ex.Output, `{"greeting": "hi cli"}`)
	checkStamp(t, "describe-execution stopDate", ex.StopDate)

	var h history
	c.ok(t, &h, "get-execution-history", "--execution-arn", start.ExecutionArn)
	want := []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"}
	if got := types(h.Events); !slices.Equal(got, want) {
		t.Errorf("get-execution-history types = %v, want %v", got, want)
	}

	var execs struct{ Executions []execution }
	c.ok(t, &execs, "list-executions", "--state-machine-arn", arn, "--status-filter", "SUCCEEDED")
	if len(execs.Executions) != 1 || execs.Executions[0].ExecutionArn != start.ExecutionArn || execs.Executions[0].Status != "SUCCEEDED" {
		t.Errorf("list-executions --status-filter SUCCEEDED = %+v", execs.Executions)
	}

	// Tags: one from create-state-machine, two added, one removed.
	c.ok(t, nil, "tag-resource", "--resource-arn", arn, "--tags", "key=env,value=dev", "key=owner,value=ops team")
	c.ok(t, nil, "untag-resource", "--resource-arn", arn, "--tag-keys", "owner", "no-such-key")
	var tags struct {
		Tags []struct{ Key, Value string }
	}
	c.ok(t, &tags, "list-tags-for-resource", "--resource-arn", arn)
	gotTags := map[string]string{}
	for _, tag := range tags.Tags {
		gotTags[tag.Key] = tag.Value
	}
	if want := map[string]string{"team": "core", "env": "dev"}; !reflect.DeepEqual(gotTags, want) {
		t.Errorf("list-tags-for-resource = %v, want %v", gotTags, want)
	}

	c.ok(t, nil, "delete-state-machine", "--state-machine-arn", arn)
	c.fails(t, "StateMachineDoesNotExist", "describe-state-machine", "--state-machine-arn", arn)
}

// A Map over 30 items makes a history longer than the server's default
// page of 100 events; the CLI pages through it by itself, and with
// --max-items / --starting-token on top of the server's nextToken.
func (c *cli) testHistoryPagination(t *testing.T) {
	t.Parallel()
	arn := c.createMachine(t, "cli-map", `{
  "StartAt": "Fan",
  "States": {
    "Fan": {
      "Type": "Map",
      "ItemsPath": "$.items",
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"},
        "StartAt": "Square",
        "States": {"Square": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($, 0)"}, "End": true}}
      },
      "End": true
    }
  }
}`)
	var items []int
	for i := range 30 {
		items = append(items, i)
	}
	input, _ := json.Marshal(map[string]any{"items": items})
	var start struct{ ExecutionArn string }
	c.ok(t, &start, "start-execution", "--state-machine-arn", arn, "--input", string(input))
	ex := c.waitStatus(t, start.ExecutionArn, "SUCCEEDED")
	var out []map[string]int
	if err := json.Unmarshal([]byte(ex.Output), &out); err != nil || len(out) != 30 || out[29]["n"] != 29 {
		t.Errorf("Map output = %s (%v)", ex.Output, err)
	}

	// The whole history: the CLI follows the server's nextToken itself.
	var full history
	c.ok(t, &full, "get-execution-history", "--execution-arn", start.ExecutionArn)
	n := len(full.Events)
	if n <= 100 {
		t.Fatalf("history has %d events; the test wants more than one server page (100)", n)
	}
	for i, e := range full.Events {
		if e.ID != int64(i+1) {
			t.Fatalf("event %d has id %d: %v", i, e.ID, types(full.Events))
		}
	}
	got := types(full.Events)
	if got[0] != "ExecutionStarted" || got[n-1] != "ExecutionSucceeded" {
		t.Errorf("history runs from %s to %s", got[0], got[n-1])
	}
	counts := map[string]int{}
	for _, ty := range got {
		counts[ty]++
	}
	if counts["MapIterationStarted"] != 30 || counts["MapIterationSucceeded"] != 30 || counts["PassStateExited"] != 30 ||
		counts["MapStateStarted"] != 1 || counts["MapStateSucceeded"] != 1 {
		t.Errorf("history event counts = %v", counts)
	}

	// The CLI's pagination: two pages of 10 fetched 7 at a time (so the
	// CLI's token holds a server nextToken plus a truncation), then the
	// rest from the second token.
	page := func(args ...string) history {
		t.Helper()
		var h history
		c.ok(t, &h, append([]string{"get-execution-history", "--execution-arn", start.ExecutionArn}, args...)...)
		return h
	}
	p1 := page("--max-items", "10", "--page-size", "7")
	if len(p1.Events) != 10 || p1.NextToken == "" {
		t.Fatalf("first page: %d events, NextToken %q", len(p1.Events), p1.NextToken)
	}
	p2 := page("--max-items", "10", "--page-size", "7", "--starting-token", p1.NextToken)
	if len(p2.Events) != 10 || p2.NextToken == "" {
		t.Fatalf("second page: %d events, NextToken %q", len(p2.Events), p2.NextToken)
	}
	rest := page("--starting-token", p2.NextToken)
	if rest.NextToken != "" {
		t.Errorf("last page has NextToken %q", rest.NextToken)
	}
	all := slices.Concat(p1.Events, p2.Events, rest.Events)
	if !reflect.DeepEqual(all, full.Events) {
		t.Errorf("paged history (%d events: %v) differs from the whole history (%d events)", len(all), types(all), n)
	}
}

// stop-execution of an execution sitting in a Wait state.
func (c *cli) testStopExecution(t *testing.T) {
	t.Parallel()
	arn := c.createMachine(t, "cli-stop", `{"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 600, "End": true}}}`)
	var start struct{ ExecutionArn string }
	c.ok(t, &start, "start-execution", "--state-machine-arn", arn, "--name", "waiting")
	var stop struct{ StopDate json.RawMessage }
	c.ok(t, &stop, "stop-execution", "--execution-arn", start.ExecutionArn, "--error", "User.Cancelled", "--cause", "no longer needed")
	checkStamp(t, "stop-execution stopDate", stop.StopDate)
	ex := c.waitStatus(t, start.ExecutionArn, "ABORTED")
	if ex.Error != "User.Cancelled" || ex.Cause != "no longer needed" {
		t.Errorf("aborted execution: error %q cause %q", ex.Error, ex.Cause)
	}
	checkStamp(t, "aborted stopDate", ex.StopDate)
	var execs struct{ Executions []execution }
	c.ok(t, &execs, "list-executions", "--state-machine-arn", arn, "--status-filter", "ABORTED")
	if len(execs.Executions) != 1 || execs.Executions[0].ExecutionArn != start.ExecutionArn {
		t.Errorf("list-executions --status-filter ABORTED = %+v", execs.Executions)
	}
	var h history
	c.ok(t, &h, "get-execution-history", "--execution-arn", start.ExecutionArn)
	want := []string{"ExecutionStarted", "WaitStateEntered", "ExecutionAborted"}
	if got := types(h.Events); !slices.Equal(got, want) {
		t.Errorf("history = %v, want %v", got, want)
	} else if d := h.Events[2].ExecutionAbortedEventDetails; d == nil || d.Error != "User.Cancelled" || d.Cause != "no longer needed" {
		t.Errorf("executionAbortedEventDetails = %+v", d)
	}
}

type activityTask struct {
	TaskToken string
	Input     string
}

// An activity worker made of CLI calls: get-activity-task (a long poll,
// hence --cli-read-timeout 70 above the server's 60 s), then
// send-task-success, or send-task-failure caught by the state's Catch.
func (c *cli) testActivity(t *testing.T) {
	t.Parallel()
	var act struct {
		ActivityArn  string
		CreationDate json.RawMessage
	}
	c.ok(t, &act, "create-activity", "--name", "cli-worker")
	if want := fmt.Sprintf("arn:aws:states:%s:%s:activity:cli-worker", region, account); act.ActivityArn != want {
		t.Fatalf("activityArn = %q, want %q", act.ActivityArn, want)
	}
	checkStamp(t, "create-activity creationDate", act.CreationDate)
	def := `{
  "StartAt": "Work",
  "States": {
    "Work": {
      "Type": "Task",
      "Resource": "ACTIVITY",
      "TimeoutSeconds": 120,
      "HeartbeatSeconds": 60,
      "Catch": [{"ErrorEquals": ["Worker.Failed"], "ResultPath": "$.error", "Next": "Recovered"}],
      "End": true
    },
    "Recovered": {"Type": "Pass", "End": true}
  }
}`
	arn := c.createMachine(t, "cli-activity", strings.Replace(def, "ACTIVITY", act.ActivityArn, 1))

	// A worker already polling when the task is scheduled gets it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// On a loaded machine start-execution can take longer than the
	// server's 60 s long poll, which then answers empty: poll again, as a
	// real worker would.
	poll := func() result {
		for {
			r := c.run(ctx, nil, "get-activity-task", "--activity-arn", act.ActivityArn, "--worker-name", "cli-worker-1", "--cli-read-timeout", "70")
			if r.err != nil || r.code != 0 || ctx.Err() != nil || bytes.Contains(r.stdout, []byte("taskToken")) {
				return r
			}
		}
	}
	polled := make(chan result, 1)
	go func() { polled <- poll() }()
	var start struct{ ExecutionArn string }
	c.ok(t, &start, "start-execution", "--state-machine-arn", arn, "--input", `{"job": 1}`)
	var task activityTask
	select {
	case r := <-polled:
		c.decode(t, r, &task)
	case <-time.After(5 * time.Minute):
		cancel()
		t.Fatalf("get-activity-task, polling when the task was scheduled, returned no task within 5 minutes")
	}
	if task.TaskToken == "" {
		t.Fatalf("get-activity-task returned no task: %+v", task)
	}
	jsonEqual(t, "activity task input", task.Input, `{"job": 1}`)
	c.ok(t, nil, "send-task-success", "--task-token", task.TaskToken, "--task-output", `{"done": true, "by": "cli"}`)
	ex := c.waitStatus(t, start.ExecutionArn, "SUCCEEDED")
	jsonEqual(t, "execution output", ex.Output, `{"done": true, "by": "cli"}`)
	var h history
	c.ok(t, &h, "get-execution-history", "--execution-arn", start.ExecutionArn)
	want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if got := types(h.Events); !slices.Equal(got, want) {
		t.Errorf("history = %v, want %v", got, want)
	} else if d := h.Events[3].ActivityStartedEventDetails; d == nil || d.WorkerName != "cli-worker-1" {
		t.Errorf("activityStartedEventDetails = %+v", d)
	}

	// A task scheduled before the poll, and a failure that the Catch turns
	// into a success.
	c.ok(t, &start, "start-execution", "--state-machine-arn", arn, "--input", `{"job": 2}`)
	task = activityTask{}
	c.decode(t, poll(), &task)
	if task.TaskToken == "" {
		t.Fatalf("get-activity-task returned no task: %+v", task)
	}
	jsonEqual(t, "second activity task input", task.Input, `{"job": 2}`)
	c.ok(t, nil, "send-task-failure", "--task-token", task.TaskToken, "--error", "Worker.Failed", "--cause", "disk full")
	ex = c.waitStatus(t, start.ExecutionArn, "SUCCEEDED")
	jsonEqual(t, "caught failure output", ex.Output, `{"job": 2, "error": {"Error": "Worker.Failed", "Cause": "disk full"}}`)
}

func (c *cli) testValidate(t *testing.T) {
	t.Parallel()
	type diagnostic struct{ Severity, Code, Message, Location string }
	var out struct {
		Result      string
		Diagnostics []diagnostic
	}
	good := c.file(t, "valid.asl.json", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`)
	r := c.run(context.Background(), nil, "validate-state-machine-definition", "--definition", good)
	if r.code == 252 && bytes.Contains(r.stderr, []byte("Invalid choice")) {
		// Usage error: the command came in 2024, after e.g. Debian 12's 2.9.19.
		t.Skipf("%s has no `stepfunctions validate-state-machine-definition` command", c.version)
	}
	c.decode(t, r, &out)
	if out.Result != "OK" || len(out.Diagnostics) != 0 {
		t.Errorf("valid definition: %+v", out)
	}
	bad := c.file(t, "invalid.asl.json", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}, "B": {"Type": "Succeed"}}}`)
	c.ok(t, &out, "validate-state-machine-definition", "--definition", bad, "--type", "STANDARD")
	if out.Result != "FAIL" || !slices.ContainsFunc(out.Diagnostics, func(d diagnostic) bool {
		return d.Severity == "ERROR" && d.Code != "" && strings.Contains(d.Message, "Nowhere") && d.Location == "/States/A/Next"
	}) {
		t.Errorf("invalid definition: %+v", out)
	}
}

// Service errors reach the user as the CLI's "An error occurred (Name)"
// with its service-error exit code.
func (c *cli) testErrors(t *testing.T) {
	t.Parallel()
	missing := fmt.Sprintf("arn:aws:states:%s:%s:execution:no-such-machine:no-such-run", region, account)
	stderr := c.fails(t, "ExecutionDoesNotExist", "describe-execution", "--execution-arn", missing)
	if !strings.Contains(stderr, missing) {
		t.Errorf("the message does not name the execution: %s", stderr)
	}
	stderr = c.fails(t, "InvalidDefinition", "create-state-machine", "--name", "cli-invalid", "--role-arn", role,
		"--definition", c.file(t, "cli-invalid.asl.json", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}`))
	if !strings.Contains(stderr, "Invalid State Machine Definition") {
		t.Errorf("InvalidDefinition message: %s", stderr)
	}
	arn := c.createMachine(t, "cli-errors", `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`)
	c.fails(t, "InvalidExecutionInput", "start-execution", "--state-machine-arn", arn, "--input", `{"unterminated": `)
}

// StartSyncExecution carries the "sync-" host prefix, which the CLI puts in
// front of the --endpoint-url host (sync-127.0.0.1 does not resolve).
// Recent botocore has an opt-out (AWS_DISABLE_HOST_PREFIX_INJECTION or
// disable_host_prefix_injection in the config file); with any CLI, an HTTP
// proxy setting pointing at the server itself works too, as the CLI then
// sends the request (Host: sync-127.0.0.1:PORT) to the proxy without
// resolving the name, and the server ignores the Host.
func (c *cli) testSync(t *testing.T) {
	t.Parallel()
	arn := c.createMachine(t, "cli-express", `{
  "StartAt": "Double",
  "States": {
    "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.v, $.v)"}, "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericGreaterThan": 10, "Next": "TooBig"}], "Default": "Fine"},
    "TooBig": {"Type": "Fail", "Error": "Value.TooBig", "Cause": "v exceeds 10"},
    "Fine": {"Type": "Succeed"}
  }
}`, "--type", "EXPRESS")

	optOutConfig := filepath.Join(c.dir, "aws-config-no-host-prefix")
	if err := os.WriteFile(optOutConfig, []byte("[default]\ndisable_host_prefix_injection = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ways := []struct {
		name     string
		env      []string
		optional bool // an opt-out that older CLIs do not know
	}{
		{"AWS_DISABLE_HOST_PREFIX_INJECTION", []string{"AWS_DISABLE_HOST_PREFIX_INJECTION=true"}, true},
		{"disable_host_prefix_injection", []string{"AWS_CONFIG_FILE=" + optOutConfig}, true},
		{"HTTP_PROXY", []string{"HTTP_PROXY=" + c.endpoint, "http_proxy=" + c.endpoint}, false},
	}
	type syncResult struct {
		ExecutionArn, StateMachineArn, Name, Status, Input, Output, Error, Cause string
		StartDate, StopDate                                                      json.RawMessage
		BillingDetails                                                           *struct {
			BilledMemoryUsedInMB, BilledDurationInMilliseconds int64
		}
	}
	sync := func(env []string, args ...string) (syncResult, result) {
		r := c.run(context.Background(), env, append([]string{"start-sync-execution", "--state-machine-arn", arn}, args...)...)
		var out syncResult
		if r.code == 0 {
			if err := json.Unmarshal(r.stdout, &out); err != nil {
				t.Errorf("%v\ndecoding: %v", r, err)
			}
		}
		return out, r
	}
	for i, way := range ways {
		name := fmt.Sprintf("run-%d", i)
		out, r := sync(way.env, "--name", name, "--input", `{"v": 2}`)
		if r.code != 0 && way.optional && bytes.Contains(r.stderr, []byte("sync-127.0.0.1")) {
			t.Logf("%s ignores the %s opt-out of host prefixes (%s); the HTTP_PROXY way is checked instead",
				c.version, way.name, bytes.TrimSpace(r.stderr))
			continue
		}
		if r.code != 0 {
			t.Errorf("start-sync-execution with %s: %v", way.name, r)
			continue
		}
		if out.Status != "SUCCEEDED" || out.StateMachineArn != arn || out.Name != name || out.BillingDetails == nil ||
			!strings.HasPrefix(out.ExecutionArn, fmt.Sprintf("arn:aws:states:%s:%s:express:cli-express:%s:", region, account, name)) {
			t.Errorf("start-sync-execution with %s = %+v", way.name, out)
		}
		jsonEqual(t, "sync output", out.Output, `{"v": 4}`)
		jsonEqual(t, "sync input", out.Input, `{"v": 2}`)
		checkStamp(t, "sync startDate", out.StartDate)
		checkStamp(t, "sync stopDate", out.StopDate)
	}
	// A failing workflow is still a 200 (exit 0) with the outcome in the
	// body.
	out, r := sync(ways[2].env, "--input", `{"v": 6}`)
	if r.code != 0 || out.Status != "FAILED" || out.Error != "Value.TooBig" || out.Cause != "v exceeds 10" || out.Output != "" {
		t.Errorf("failing start-sync-execution = %+v\n%v", out, r)
	}
}

// An alias round trip, as a user following the README does it: publish
// two versions, point an alias at the first, run through it, move it to
// the second, and see the rules that tie versions and aliases.
func (c *cli) testAlias(t *testing.T) {
	t.Parallel()
	def := func(v int) string {
		return fmt.Sprintf(`{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": %d}, "End": true}}}`, v)
	}
	arn := c.createMachine(t, "cli-alias", def(1), "--publish")
	var upd struct{ StateMachineVersionArn string }
	c.ok(t, &upd, "update-state-machine", "--state-machine-arn", arn, "--definition", c.file(t, "cli-alias-2.asl.json", def(2)), "--publish")
	v1, v2 := arn+":1", arn+":2"
	if upd.StateMachineVersionArn != v2 {
		t.Fatalf("update-state-machine --publish: %q, want %q", upd.StateMachineVersionArn, v2)
	}

	var created struct {
		StateMachineAliasArn string
		CreationDate         json.RawMessage
	}
	c.ok(t, &created, "create-state-machine-alias", "--name", "live", "--description", "what users get",
		"--routing-configuration", fmt.Sprintf(`[{"stateMachineVersionArn": %q, "weight": 100}]`, v1))
	live := created.StateMachineAliasArn
	if live != arn+":live" {
		t.Fatalf("create-state-machine-alias: %q", live)
	}
	checkStamp(t, "create-state-machine-alias creationDate", created.CreationDate)

	type alias struct {
		StateMachineAliasArn, Name, Description string
		RoutingConfiguration                    []struct {
			StateMachineVersionArn string
			Weight                 int
		}
	}
	var desc alias
	c.ok(t, &desc, "describe-state-machine-alias", "--state-machine-alias-arn", live)
	if desc.StateMachineAliasArn != live || desc.Name != "live" || desc.Description != "what users get" ||
		len(desc.RoutingConfiguration) != 1 || desc.RoutingConfiguration[0].StateMachineVersionArn != v1 || desc.RoutingConfiguration[0].Weight != 100 {
		t.Errorf("describe-state-machine-alias = %+v", desc)
	}
	var list struct {
		StateMachineAliases []struct{ StateMachineAliasArn string }
	}
	c.ok(t, &list, "list-state-machine-aliases", "--state-machine-arn", arn)
	if len(list.StateMachineAliases) != 1 || list.StateMachineAliases[0].StateMachineAliasArn != live {
		t.Errorf("list-state-machine-aliases = %+v", list)
	}

	var started struct{ ExecutionArn string }
	c.ok(t, &started, "start-execution", "--state-machine-arn", live, "--name", "through-live")
	if want := fmt.Sprintf("arn:aws:states:%s:%s:execution:cli-alias:through-live", region, account); started.ExecutionArn != want {
		t.Errorf("start-execution through the alias: %q, want %q", started.ExecutionArn, want)
	}
	c.waitStatus(t, started.ExecutionArn, "SUCCEEDED")
	var ex struct {
		StateMachineArn, StateMachineVersionArn, StateMachineAliasArn, Output string
	}
	c.ok(t, &ex, "describe-execution", "--execution-arn", started.ExecutionArn)
	if ex.StateMachineArn != arn || ex.StateMachineVersionArn != v1 || ex.StateMachineAliasArn != live {
		t.Errorf("describe-execution = %+v", ex)
	}
	jsonEqual(t, "output through the alias", ex.Output, `{"v": 1}`)

	// The alias moves to version 2; version 1 may then go, version 2 not.
	var moved struct{ UpdateDate json.RawMessage }
	c.ok(t, &moved, "update-state-machine-alias", "--state-machine-alias-arn", live,
		"--routing-configuration", fmt.Sprintf(`[{"stateMachineVersionArn": %q, "weight": 100}]`, v2))
	checkStamp(t, "update-state-machine-alias updateDate", moved.UpdateDate)
	stderr := c.fails(t, "ConflictException", "delete-state-machine-version", "--state-machine-version-arn", v2)
	if !strings.Contains(stderr, "Current list of aliases referencing this version: [live]") {
		t.Errorf("deleting a routed version: %s", stderr)
	}
	c.ok(t, nil, "delete-state-machine-version", "--state-machine-version-arn", v1)
	c.fails(t, "ValidationException", "create-state-machine-alias", "--name", "split",
		"--routing-configuration", fmt.Sprintf(`[{"stateMachineVersionArn": %q, "weight": 70}, {"stateMachineVersionArn": %q, "weight": 20}]`, v2, v1))

	c.ok(t, nil, "delete-state-machine-alias", "--state-machine-alias-arn", live)
	c.fails(t, "ResourceNotFound", "describe-state-machine-alias", "--state-machine-alias-arn", live)
	c.ok(t, nil, "delete-state-machine-version", "--state-machine-version-arn", v2)
}

// test-state is sent to a "sync-" host too; the HTTP_PROXY way reaches
// the server with any CLI version.
func (c *cli) testTestState(t *testing.T) {
	t.Parallel()
	env := []string{"HTTP_PROXY=" + c.endpoint, "http_proxy=" + c.endpoint}
	type output struct {
		Status, Output, Error, Cause, NextState string
		InspectionData                          map[string]json.RawMessage
	}
	testState := func(args ...string) (output, result) {
		r := c.run(context.Background(), env, append([]string{"test-state"}, args...)...)
		var out output
		if r.code == 0 {
			if err := json.Unmarshal(r.stdout, &out); err != nil {
				t.Errorf("%v\ndecoding: %v", r, err)
			}
		}
		return out, r
	}

	// A Choice state: where it goes, and its data flow.
	out, r := testState("--definition", `{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"Many"}],"Default":"One"}`,
		"--input", `{"n": 2}`, "--inspection-level", "DEBUG")
	if r.code != 0 || out.Status != "SUCCEEDED" || out.NextState != "Many" {
		t.Fatalf("test-state of a Choice state: %+v\n%v", out, r)
	}
	jsonEqual(t, "choice output", out.Output, `{"n": 2}`)
	var input, afterInputPath string
	if json.Unmarshal(out.InspectionData["input"], &input) != nil || json.Unmarshal(out.InspectionData["afterInputPath"], &afterInputPath) != nil {
		t.Fatalf("inspectionData %s", r.stdout)
	}
	jsonEqual(t, "choice input", input, `{"n": 2}`)
	jsonEqual(t, "choice afterInputPath", afterInputPath, `{"n": 2}`)

	// A Task state whose mocked error a retrier would retry, with the
	// retries already made.
	out, r = testState("--definition", `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"MaxAttempts":3}],"End":true}`,
		"--mock", `{"errorOutput":{"error":"Flaky","cause":"try again"}}`, "--state-configuration", `{"retrierRetryCount":2}`, "--inspection-level", "TRACE")
	if r.code != 0 || out.Status != "RETRIABLE" || out.Error != "Flaky" || out.Cause != "try again" || out.Output != "" {
		t.Fatalf("test-state of a retriable Task state: %+v\n%v", out, r)
	}
	var details struct{ RetryIndex, RetryBackoffIntervalSeconds *int }
	if err := json.Unmarshal(out.InspectionData["errorDetails"], &details); err != nil || details.RetryIndex == nil || *details.RetryIndex != 0 ||
		details.RetryBackoffIntervalSeconds == nil || *details.RetryBackoffIntervalSeconds != 8 {
		t.Errorf("errorDetails %s", out.InspectionData["errorDetails"])
	}

	// What TestState refuses, as AWS does.
	_, r = testState("--definition", `{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}]}`)
	if want := "An error occurred (InvalidDefinition) when calling the TestState operation: TestState API does not support Map or Parallel states"; r.code != c.serviceErr || !bytes.Contains(r.stderr, []byte(want)) {
		t.Errorf("test-state of a Parallel state: want %q; got %v", want, r)
	}
	_, r = testState("--definition", `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`)
	if want := "An error occurred (ValidationException) when calling the TestState operation: RoleArn must be specified when testing a Task state"; r.code != c.serviceErr || !bytes.Contains(r.stderr, []byte(want)) {
		t.Errorf("test-state of a Task state without a role: want %q; got %v", want, r)
	}
}

// redrive-execution: an execution failed by its activity worker is
// redriven (the CLI fills in the clientToken), its task handed out again,
// and it succeeds; the history goes on after ExecutionRedriven.
func (c *cli) testRedrive(t *testing.T) {
	t.Parallel()
	var act struct{ ActivityArn string }
	suffix := fmt.Sprintf("-v%d", c.major)
	c.ok(t, &act, "create-activity", "--name", "cli-redrive-worker"+suffix)
	def := `{"StartAt": "Prepare", "States": {
  "Prepare": {"Type": "Pass", "Result": {"job": 3}, "Next": "Work"},
  "Work": {"Type": "Task", "Resource": "ACTIVITY", "End": true}}}`
	arn := c.createMachine(t, "cli-redrive"+suffix, strings.Replace(def, "ACTIVITY", act.ActivityArn, 1))
	poll := func() activityTask {
		t.Helper()
		deadline := time.Now().Add(5 * time.Minute)
		for {
			var task activityTask
			c.ok(t, &task, "get-activity-task", "--activity-arn", act.ActivityArn, "--cli-read-timeout", "70")
			if task.TaskToken != "" {
				return task
			}
			if time.Now().After(deadline) {
				t.Fatalf("no activity task within 5 minutes")
			}
		}
	}
	var start struct{ ExecutionArn string }
	c.ok(t, &start, "start-execution", "--state-machine-arn", arn)
	task := poll()
	c.ok(t, nil, "send-task-failure", "--task-token", task.TaskToken, "--error", "Worker.Broken", "--cause", "try later")
	c.waitStatus(t, start.ExecutionArn, "FAILED")
	var described struct {
		RedriveStatus string
		RedriveCount  int
	}
	c.ok(t, &described, "describe-execution", "--execution-arn", start.ExecutionArn)
	if described.RedriveStatus != "REDRIVABLE" || described.RedriveCount != 0 {
		t.Errorf("failed execution: %+v", described)
	}

	var red struct{ RedriveDate json.RawMessage }
	c.ok(t, &red, "redrive-execution", "--execution-arn", start.ExecutionArn)
	checkStamp(t, "redrive-execution redriveDate", red.RedriveDate)
	task = poll()
	jsonEqual(t, "task input after the redrive", task.Input, `{"job": 3}`)
	c.ok(t, nil, "send-task-success", "--task-token", task.TaskToken, "--task-output", `{"ok": true}`)
	c.waitStatus(t, start.ExecutionArn, "SUCCEEDED")
	c.ok(t, &described, "describe-execution", "--execution-arn", start.ExecutionArn)
	if described.RedriveStatus != "NOT_REDRIVABLE" || described.RedriveCount != 1 {
		t.Errorf("redriven execution: %+v", described)
	}
	var h history
	c.ok(t, &h, "get-execution-history", "--execution-arn", start.ExecutionArn)
	got := types(h.Events)
	i := slices.Index(got, "ExecutionRedriven")
	want := []string{"ExecutionRedriven", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if i < 0 || !slices.Equal(got[i:], want) || h.Events[i].PreviousEventID != h.Events[i].ID-1 {
		t.Errorf("history = %v", got)
	}
	var execs struct{ Executions []execution }
	c.ok(t, &execs, "list-executions", "--state-machine-arn", arn, "--redrive-filter", "REDRIVEN")
	if len(execs.Executions) != 1 || execs.Executions[0].ExecutionArn != start.ExecutionArn {
		t.Errorf("list-executions --redrive-filter REDRIVEN = %+v", execs.Executions)
	}
	stderr := c.fails(t, "ExecutionNotRedrivable", "redrive-execution", "--execution-arn", start.ExecutionArn)
	if !strings.Contains(stderr, "Execution is SUCCEEDED and cannot be redriven") {
		t.Errorf("redrive of a succeeded execution: %s", stderr)
	}
}

// testMapRun runs a Distributed Map and reads its Map Run with
// list-map-runs, describe-map-run and list-executions --map-run-arn.
func (c *cli) testMapRun(t *testing.T) {
	t.Parallel()
	arn := c.createMachine(t, "cli-maprun", `{"StartAt": "M", "States": {"M": {"Type": "Map", "Label": "Fan", "End": true,
		"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
			"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}`)
	var started struct{ ExecutionArn string }
	c.ok(t, &started, "start-execution", "--state-machine-arn", arn, "--input", `[1, 2, 3]`)
	c.waitStatus(t, started.ExecutionArn, "SUCCEEDED")
	var runs struct {
		MapRuns []struct {
			ExecutionArn, MapRunArn, StateMachineArn string
			StartDate, StopDate                      json.RawMessage
		}
	}
	c.ok(t, &runs, "list-map-runs", "--execution-arn", started.ExecutionArn)
	if len(runs.MapRuns) != 1 || runs.MapRuns[0].ExecutionArn != started.ExecutionArn || runs.MapRuns[0].StateMachineArn != arn+"/Fan" {
		t.Fatalf("list-map-runs = %+v", runs)
	}
	checkStamp(t, "list-map-runs stopDate", runs.MapRuns[0].StopDate)
	runArn := runs.MapRuns[0].MapRunArn
	var run struct {
		MapRunArn, ExecutionArn, Status string
		MaxConcurrency                  int
		ToleratedFailurePercentage      float64
		ItemCounts, ExecutionCounts     struct{ Succeeded, Total, Running, Pending int }
	}
	c.ok(t, &run, "describe-map-run", "--map-run-arn", runArn)
	if run.MapRunArn != runArn || run.ExecutionArn != started.ExecutionArn || run.Status != "SUCCEEDED" ||
		run.ItemCounts.Succeeded != 3 || run.ItemCounts.Total != 3 || run.ExecutionCounts.Succeeded != 3 {
		t.Errorf("describe-map-run = %+v", run)
	}
	var kids struct {
		Executions []struct{ ExecutionArn, MapRunArn, Status string }
	}
	c.ok(t, &kids, "list-executions", "--map-run-arn", runArn)
	if len(kids.Executions) != 3 || kids.Executions[0].MapRunArn != runArn || kids.Executions[0].Status != "SUCCEEDED" {
		t.Errorf("list-executions --map-run-arn = %+v", kids)
	}
	c.fails(t, "ValidationException", "update-map-run", "--map-run-arn", runArn, "--max-concurrency", "2")
}
