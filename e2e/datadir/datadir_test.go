// Package datadir is the end-to-end test of what `statecraft server` does
// to its data directory: one server per directory, and closed executions
// purged after the retention period. It builds the binary and runs it on
// loopback ports it picks itself (--listen 127.0.0.1:0), talking to it
// through the AWS SDK signed with the development key pair.
package datadir

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/sqlite"
)

const (
	region = "us-east-1"
	role   = "arn:aws:iam::123456789012:role/statecraft-e2e"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildServer builds cmd/statecraft once per test binary.
func buildServer(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "statecraft-datadir-")
		if err != nil {
			buildErr = err
			return
		}
		bin := filepath.Join(dir, "statecraft")
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = err
			return
		}
		if out, err := exec.Command(goTool, "build", "-o", bin, "../../cmd/statecraft").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		binPath = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// server is one `statecraft server` process.
type server struct {
	t        *testing.T
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
	out, log string // its stdout and stderr files
	endpoint string
}

var listening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

// launch starts `statecraft server --listen 127.0.0.1:0 --data data args...`
// without waiting for it. The process is killed when the test ends if it
// is still running, and its output is shown if the test failed.
func launch(t *testing.T, name, data string, args ...string) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{t: t, exited: make(chan struct{}), out: filepath.Join(dir, name+".out"), log: filepath.Join(dir, name+".log")}
	stdout, err := os.Create(s.out)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	s.cmd = exec.Command(buildServer(t), append([]string{"server", "--listen", "127.0.0.1:0", "--data", data,
		"--region", region, "--no-sync", "--log-level", "debug"}, args...)...)
	s.cmd.Stdout, s.cmd.Stderr = stdout, stderr
	s.cmd.SysProcAttr = procAttr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.waitErr = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			out, _ := os.ReadFile(s.out)
			log, _ := os.ReadFile(s.log)
			t.Logf("%s stdout:\n%s\n%s log:\n%s", name, out, name, log)
		}
	})
	return s
}

// start launches a server and waits until it answers.
func start(t *testing.T, name, data string, args ...string) *server {
	t.Helper()
	s := launch(t, name, data, args...)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-s.exited:
			log, _ := os.ReadFile(s.log)
			t.Fatalf("%s exited before answering: %v\n%s", name, s.waitErr, log)
		default:
		}
		out, _ := os.ReadFile(s.out)
		if m := listening.FindSubmatch(out); m != nil {
			s.endpoint = string(m[1])
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			_, err := s.client().ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
			cancel()
			if err == nil {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within 2 minutes; stdout:\n%s", name, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the server with SIGTERM (SIGKILL after a minute) and reaps it.
func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(time.Minute):
		s.t.Errorf("server did not stop within a minute of SIGTERM; killing it")
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// disableHostPrefix stops the SDK from prefixing the host of some
// operations (StartSyncExecution's "sync-"), which a loopback address
// cannot take.
func disableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableEndpointHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// client is an SDK client of the server, signing with the development key
// pair local/local. It does not retry: the tests decide what to repeat.
func (s *server) client() *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "development key pair"}, nil
		}),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 90 * time.Second},
		APIOptions:       []func(*middleware.Stack) error{disableHostPrefix},
	})
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// activityMachine is a state machine of one activity task.
func activityMachine(activityArn string) string {
	return `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"` + activityArn + `","TimeoutSeconds":3600,"End":true}}}`
}

// TestSecondServerRefused runs a second server on the data directory of a
// first one that has handed an activity task to a worker. Before the data
// directory was locked, the second server requeued that claimed task at
// start-up and the first one then handed it to a second worker. Now the
// second exits at once, non-zero, saying why; the first goes on serving;
// and the task is delivered once.
func TestSecondServerRefused(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s1 := start(t, "server1", data)
	c := s1.client()
	ctx := ctxT(t)

	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("one-task"),
		Definition: aws.String(activityMachine(*act.ActivityArn)), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("first")})
	if err != nil {
		t.Fatal(err)
	}
	task1, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String("worker-1")})
	if err != nil || task1.TaskToken == nil {
		t.Fatalf("worker 1 got %+v, %v; want the first execution's task", task1, err)
	}

	s2 := launch(t, "server2", data)
	deadline := time.Now().Add(2 * time.Minute)
wait:
	for {
		select {
		case <-s2.exited:
			break wait
		case <-time.After(20 * time.Millisecond):
		}
		if out, _ := os.ReadFile(s2.out); listening.Match(out) {
			// What the lock prevents: the second server queued the claimed
			// task again at start-up and hands it to its own pollers.
			t.Errorf("the second server on the same data directory started serving:\n%s", out)
			s2.endpoint = string(listening.FindSubmatch(out)[1])
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			again, err := s2.client().GetActivityTask(pctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String("worker-3")})
			cancel()
			if err == nil && again.TaskToken != nil && *again.TaskToken == *task1.TaskToken {
				t.Errorf("the task worker 1 holds from the first server was delivered again, to worker 3 by the second")
			}
			s2.stop()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second server on the same data directory is still running after 2 minutes")
		}
	}
	if !t.Failed() {
		var ee *exec.ExitError
		if !errors.As(s2.waitErr, &ee) || ee.ExitCode() <= 0 {
			t.Errorf("second server exited with %v, want a non-zero exit code", s2.waitErr)
		}
		log, _ := os.ReadFile(s2.log)
		if want := "data directory " + data + " is in use by another Statecraft server"; !strings.Contains(string(log), want) {
			t.Errorf("second server's message does not say %q:\n%s", want, log)
		}
	}

	// The first server still serves, and the claimed task is still
	// claimed: with a second execution's task queued behind it, the next
	// poll gets that one, where a requeued first task (older) would come
	// out first.
	second, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("second")})
	if err != nil {
		t.Fatalf("the first server after the second one's attempt: %v", err)
	}
	task2, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String("worker-2")})
	if err != nil || task2.TaskToken == nil {
		t.Fatalf("worker 2 got %+v, %v", task2, err)
	}
	if *task2.TaskToken == *task1.TaskToken {
		t.Fatal("the first execution's task, held by worker 1, was delivered again to worker 2")
	}
	for _, tok := range []*string{task1.TaskToken, task2.TaskToken} {
		if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: tok, Output: aws.String(`{"done":true}`)}); err != nil {
			t.Fatalf("SendTaskSuccess: %v", err)
		}
	}
	for _, arn := range []*string{first.ExecutionArn, second.ExecutionArn} {
		waitStatus(t, c, *arn, "SUCCEEDED")
		h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		started := 0
		for _, ev := range h.Events {
			if ev.Type == "ActivityStarted" {
				started++
			}
		}
		if started != 1 {
			t.Errorf("%s: %d ActivityStarted events, want 1", *arn, started)
		}
	}
}

// waitStatus waits until an execution has the status.
func waitStatus(t *testing.T, c *sfn.Client, arn, status string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		d, err := c.DescribeExecution(ctxT(t), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("DescribeExecution %s: %v", arn, err)
		}
		if string(d.Status) == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s after 2 minutes, want %s", arn, d.Status, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const passMachine = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}}`

// TestRetention runs a server that keeps closed executions for 2 s: an
// execution that ended is gone from the API some time later, history and
// all, while one still running is untouched however old it is.
func TestRetention(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s := start(t, "server", data, "--retention", "2s", "--retention-interval", "200ms")
	c := s.client()
	ctx := ctxT(t)

	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("never-answered")})
	if err != nil {
		t.Fatal(err)
	}
	waiting, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("waiting"),
		Definition: aws.String(activityMachine(*act.ActivityArn)), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	pass, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("pass"),
		Definition: aws.String(passMachine), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	running, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: waiting.StateMachineArn, Name: aws.String("running")})
	if err != nil {
		t.Fatal(err)
	}
	old, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: pass.StateMachineArn, Name: aws.String("old")})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, *old.ExecutionArn, "SUCCEEDED")
	if _, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: old.ExecutionArn}); err != nil {
		t.Fatalf("history of the closed execution before the period: %v", err)
	}

	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: old.ExecutionArn})
		if errorCode(err) == "ExecutionDoesNotExist" {
			break
		}
		if err != nil {
			t.Fatalf("DescribeExecution: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the closed execution is still there 2 minutes after it ended, with a retention of 2s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: old.ExecutionArn}); errorCode(err) != "ExecutionDoesNotExist" {
		t.Errorf("history of the purged execution: %v, want ExecutionDoesNotExist", err)
	}
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: pass.StateMachineArn})
	if err != nil || len(list.Executions) != 0 {
		t.Errorf("ListExecutions after the purge = %+v, %v; want none", list, err)
	}

	// The running execution is older than the period, and stays.
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: running.ExecutionArn})
	if err != nil || d.Status != "RUNNING" {
		t.Fatalf("the running execution: %+v, %v", d, err)
	}
	if since := time.Since(*d.StartDate); since < 2*time.Second {
		t.Fatalf("the running execution started %v ago, not more than the period", since)
	}
	if h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: running.ExecutionArn}); err != nil || len(h.Events) == 0 {
		t.Errorf("history of the running execution: %v events, %v", len(h.Events), err)
	}
	log, _ := os.ReadFile(s.log)
	if !strings.Contains(string(log), "purged closed executions") {
		t.Errorf("the server did not log the purge:\n%s", log)
	}
}

// TestExpressKeepsNothing runs Express executions (with retention off, so
// that nothing is purged) and then looks in the stopped server's database:
// no row for them, where a Standard execution has its row.
func TestExpressKeepsNothing(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s := start(t, "server", data, "--retention", "0")
	c := s.client()
	ctx := ctxT(t)
	express, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("express"), Type: "EXPRESS",
		Definition: aws.String(passMachine), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	standard, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("standard"),
		Definition: aws.String(passMachine), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		out, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: express.StateMachineArn,
			Name: aws.String(fmt.Sprint("sync-", i)), Input: aws.String(`{"pin":"1234"}`)})
		if err != nil || out.Status != "SUCCEEDED" || *out.Output != `{"ok":true}` {
			t.Fatalf("StartSyncExecution: %+v, %v", out, err)
		}
	}
	std, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: standard.StateMachineArn, Name: aws.String("kept")})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, *std.ExecutionArn, "SUCCEEDED")

	s.stop()
	if s.waitErr != nil {
		t.Fatalf("server stopped with %v", s.waitErr)
	}
	// The server has let go of the directory: the store opens.
	st, err := sqlite.Open(filepath.Join(data, "statecraft.db"), sqlite.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, _, err := st.ListExecutions(ctx, store.ListExecutionsParams{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Arn != *std.ExecutionArn {
		for _, e := range all {
			t.Logf("stored: %s (%s)", e.Arn, e.StateMachineArn)
		}
		t.Fatalf("%d executions stored, want only the Standard one", len(all))
	}
}
