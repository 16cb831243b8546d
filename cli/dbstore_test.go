package cli

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/store/postgres/pgtest"
)

// pgServer is a Server running on PostgreSQL, stopped by stop.
type pgServer struct {
	addr   string
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	exited chan error
}

// startServer runs Server with o on a free loopback port until stop (or
// the test's end), and returns once it answers.
func startServer(t *testing.T, o ServerOptions) *pgServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.Listen = ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s := &pgServer{addr: o.Listen, stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, exited: make(chan error, 1)}
	go func() { s.exited <- Server(ctx, o, s.stdout, s.stderr) }()
	t.Cleanup(func() { s.stop(t) })
	for i := 0; ; i++ {
		if strings.Contains(s.stdout.String(), "listening on") {
			return s
		}
		select {
		case err := <-s.exited:
			t.Fatalf("server exited: %v\n%s", err, s.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if i > 1200 {
			t.Fatal("server never started")
		}
	}
}

// stop ends the server and waits for it, so that its store's lock is free.
func (s *pgServer) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.exited:
		if err != nil {
			t.Errorf("Server returned %v\n%s", err, s.stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Error("server did not stop")
	}
}

func (s *pgServer) client() *sfn.Client {
	return sfn.New(sfn.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String("http://" + s.addr),
		Credentials:      authtest.Credentials("", ""),
		RetryMaxAttempts: 1,
	})
}

func pgOptions(t *testing.T) ServerOptions {
	o := DefaultServerOptions()
	o.Data = t.TempDir()
	o.DB = pgtest.URL(t)
	o.DBSchema = pgtest.Schema(t)
	return o
}

// TestServerOnPostgresSurvivesRestarts runs an execution with a Wait and
// an activity on a server on PostgreSQL, restarting the server during the
// Wait and again while a worker holds the activity's task: the execution
// finishes with its output, and its history counts from 1 without a gap.
func TestServerOnPostgresSurvivesRestarts(t *testing.T) {
	o := pgOptions(t)
	ctx := t.Context()
	srv := startServer(t, o)
	if banner := srv.stdout.String(); !strings.Contains(banner, "store: PostgreSQL ") || !strings.Contains(banner, ", schema "+o.DBSchema+";") {
		t.Fatalf("banner does not name the store: %s", srv.stdout.String())
	}
	c := srv.client()
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name:    aws.String("restartable"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt": "Pause", "States": {
			"Pause": {"Type": "Wait", "Seconds": 1, "Next": "Work"},
			"Work": {"Type": "Task", "Resource": "` + *act.ActivityArn + `", "End": true}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"n": 7}`)})
	if err != nil {
		t.Fatal(err)
	}

	// The Wait's timer is a row: the next server fires it.
	srv.stop(t)
	srv = startServer(t, o)
	c = srv.client()
	var token, input string
	for token == "" {
		task, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String("w")})
		if err != nil {
			t.Fatal(err)
		}
		token, input = aws.ToString(task.TaskToken), aws.ToString(task.Input)
	}
	if input != `{"n":7}` {
		t.Errorf("task input = %s", input)
	}

	// The worker holds the token across a restart: it still answers.
	srv.stop(t)
	srv = startServer(t, o)
	c = srv.client()
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"done": true}`)}); err != nil {
		t.Fatal(err)
	}
	var desc *sfn.DescribeExecutionOutput
	for deadline := time.Now().Add(time.Minute); ; {
		desc, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if desc.Status != sfntypes.ExecutionStatusRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if desc.Status != sfntypes.ExecutionStatusSucceeded || aws.ToString(desc.Output) != `{"done":true}` {
		t.Fatalf("execution %s with output %s, want SUCCEEDED with {\"done\":true}", desc.Status, aws.ToString(desc.Output))
	}
	hist, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, ev := range hist.Events {
		if ev.Id != int64(i+1) {
			t.Fatalf("event %d has id %d", i+1, ev.Id)
		}
		types = append(types, string(ev.Type))
	}
	for _, want := range []string{"WaitStateExited", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "ExecutionSucceeded"} {
		if !strings.Contains(strings.Join(types, " "), want) {
			t.Errorf("history %v has no %s", types, want)
		}
	}
}

// TestServerDBSettingChecked refuses a db setting that is not a
// PostgreSQL URL, naming the setting, and reports a database it cannot
// reach.
func TestServerDBSettingChecked(t *testing.T) {
	for _, db := range []string{"mysql://root@127.0.0.1/test", "host=127.0.0.1 dbname=test", "/var/lib/statecraft.db", "postgres//127.0.0.1/test"} {
		o := DefaultServerOptions()
		o.Data, o.Listen, o.DB = t.TempDir(), "127.0.0.1:0", db
		err := Server(t.Context(), o, &syncBuffer{}, &syncBuffer{})
		if err == nil || !strings.Contains(err.Error(), "db (--db, STATECRAFT_DB, config key db) must be a postgres://") {
			t.Errorf("db %q: %v, want it refused naming the setting", db, err)
		}
	}
	o := DefaultServerOptions()
	o.Data, o.Listen, o.DBSchema = t.TempDir(), "127.0.0.1:0", "x"
	if err := Server(t.Context(), o, &syncBuffer{}, &syncBuffer{}); err == nil || !strings.Contains(err.Error(), "db-schema") {
		t.Errorf("db-schema without db: %v", err)
	}
	pgtest.URL(t)
	o = DefaultServerOptions()
	o.Data, o.Listen, o.DB = t.TempDir(), "127.0.0.1:0", "postgres://postgres:secret@127.0.0.1:1/test?connect_timeout=5"
	err := Server(t.Context(), o, &syncBuffer{}, &syncBuffer{})
	if err == nil || !strings.Contains(err.Error(), `db: store/postgres: connecting to database "test" schema "statecraft" on 127.0.0.1:1`) {
		t.Errorf("unreachable database: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestServerSettingsDB(t *testing.T) {
	env := map[string]string{"STATECRAFT_DB": "postgres://u@h/d", "STATECRAFT_DB_SCHEMA": "blue"}
	o, err := ServerSettings("", func(k string) string { return env[k] }, DefaultServerOptions(), func(string) bool { return false })
	if err != nil || o.DB != "postgres://u@h/d" || o.DBSchema != "blue" {
		t.Fatalf("settings from the environment: %+v, %v", o, err)
	}
}
