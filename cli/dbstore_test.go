package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/jackc/pgx/v5"

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
	desc := waitEnded(t, c, start.ExecutionArn)
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

// TestTwoNodesOnPostgres starts two servers on one database and schema,
// as a newcomer following the README would: both serve the same state
// machines; an execution started on the first, waiting, is finished by
// the second once the first has stopped (its shards handed over), and a
// worker polling the second gets a task the first's execution queued.
func TestTwoNodesOnPostgres(t *testing.T) {
	o := pgOptions(t)
	o.MetricsToken = "scrape"
	ctx := t.Context()
	a, b := startTwoNodes(t, o)
	ca, cb := a.client(), b.client()
	act, err := ca.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := ca.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name:    aws.String("shared"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt": "Work", "States": {
			"Work": {"Type": "Task", "Resource": "` + *act.ActivityArn + `", "Next": "Pause"},
			"Pause": {"Type": "Wait", "Seconds": 2, "End": true}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The second node serves what the first created.
	if _, err := cb.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn}); err != nil {
		t.Fatal(err)
	}
	// A worker long-polls the second node; the task comes from the first.
	type polled struct {
		token string
		err   error
	}
	got := make(chan polled, 1)
	go func() {
		for {
			task, err := cb.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String("w")})
			if err != nil || aws.ToString(task.TaskToken) != "" {
				got <- polled{aws.ToString(task.TaskToken), err}
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // the poll is waiting on the second node
	start, err := ca.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("e1"), Input: aws.String(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	var p polled
	select {
	case p = <-got:
	case <-time.After(time.Minute):
		t.Fatal("the worker polling the second node never got the task the first queued")
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	// The answer goes to the first node; the Wait that follows must be
	// fired by whichever node holds the execution's shard once the first
	// has gone.
	if _, err := ca.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(p.token), Output: aws.String(`{"ok":1}`)}); err != nil {
		t.Fatal(err)
	}
	a.stop(t)
	desc := waitEnded(t, cb, start.ExecutionArn)
	if desc.Status != sfntypes.ExecutionStatusSucceeded || aws.ToString(desc.Output) != `{"ok":1}` {
		t.Fatalf("execution %s with output %s, want SUCCEEDED with {\"ok\":1}", desc.Status, aws.ToString(desc.Output))
	}
	hist, err := cb.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range hist.Events {
		if ev.Id != int64(i+1) {
			t.Fatalf("event %d has id %d", i+1, ev.Id)
		}
	}
	// The node left holds every shard, and says so.
	req, _ := http.NewRequest("GET", "http://"+b.addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer scrape")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `statecraft_shards_held{node="two"} 64`) {
		t.Errorf("metrics of the node left do not show it holding the 64 shards:\n%s", body)
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

// TestServerSurvivesLostConnections ends every database session of a
// server, twice: it goes on, reconnecting, and runs an execution with a
// Wait to its end.
func TestServerSurvivesLostConnections(t *testing.T) {
	o := pgOptions(t)
	app := "statecraft-" + o.DBSchema // its sessions, among the other tests'
	o.DB += "?application_name=" + app
	o.ShardLease = Duration(time.Second)
	srv := startServer(t, o)
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	cut := func() {
		var ended int
		if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&ended); err != nil || ended == 0 {
			t.Fatalf("ending the server's sessions: %d ended, %v", ended, err)
		}
	}
	c := srv.client()
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String("waits"),
		RoleArn:    aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 2, "Next": "Done"}, "Done": {"Type": "Pass", "Result": {"done": true}, "End": true}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	cut()
	time.Sleep(500 * time.Millisecond)
	cut()
	var desc *sfn.DescribeExecutionOutput
	for deadline := time.Now().Add(time.Minute); ; {
		select {
		case err := <-srv.exited:
			srv.cancel = nil
			t.Fatalf("the server exited when its sessions were ended: %v", err)
		default:
		}
		// A call may meet a connection ended under it; the next one
		// gets a new one.
		desc, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
		if err == nil && (desc.Status != sfntypes.ExecutionStatusRunning || time.Now().After(deadline)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DescribeExecution: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if desc.Status != sfntypes.ExecutionStatusSucceeded || aws.ToString(desc.Output) != `{"done":true}` {
		t.Fatalf("execution %s with output %s", desc.Status, aws.ToString(desc.Output))
	}
}

// TestNestedAndStopAcrossNodes stops, through one node, an execution the
// other started; then a parent started on the first node waits (.sync:2)
// on a child that waits in turn, the first node stops, and the second
// finishes both: the child's timer and the parent's watch are rows of
// shards the second takes over.
func TestNestedAndStopAcrossNodes(t *testing.T) {
	ctx := t.Context()
	a, b := startTwoNodes(t, pgOptions(t))
	ca, cb := a.client(), b.client()
	role := aws.String("arn:aws:iam::123456789012:role/r")
	long, err := ca.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("long"), RoleArn: role,
		Definition: aws.String(`{"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 600, "End": true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	started, err := ca.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: long.StateMachineArn, Name: aws.String("l1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cb.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: started.ExecutionArn, Error: aws.String("Halt"), Cause: aws.String("from the other node")}); err != nil {
		t.Fatal(err)
	}
	desc, err := ca.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Status != sfntypes.ExecutionStatusAborted || aws.ToString(desc.Error) != "Halt" {
		t.Fatalf("stopped through the other node: %s %s", desc.Status, aws.ToString(desc.Error))
	}

	child, err := ca.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("child"), RoleArn: role,
		Definition: aws.String(`{"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
			"Done": {"Type": "Pass", "Parameters": {"y.$": "$.x"}, "End": true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	parent, err := ca.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("parent"), RoleArn: role,
		Definition: aws.String(`{"StartAt": "Child", "States": {"Child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
			"Parameters": {"StateMachineArn": "` + *child.StateMachineArn + `", "Name": "kid", "Input": {"x": 7}},
			"OutputPath": "$.Output", "End": true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ca.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: parent.StateMachineArn, Name: aws.String("p1")})
	if err != nil {
		t.Fatal(err)
	}
	// The child is started by the parent's timer, on whichever node holds
	// the parent's shard; wait for it, then stop the first node.
	kid := strings.Replace(*child.StateMachineArn, ":stateMachine:", ":execution:", 1) + ":kid"
	for deadline := time.Now().Add(time.Minute); ; {
		if _, err := cb.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(kid)}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child execution was never started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.stop(t)
	desc = waitEnded(t, cb, p.ExecutionArn)
	if desc.Status != sfntypes.ExecutionStatusSucceeded || aws.ToString(desc.Output) != `{"y":7}` {
		t.Fatalf("parent %s with output %s, want SUCCEEDED with {\"y\":7}", desc.Status, aws.ToString(desc.Output))
	}
}

// startTwoNodes starts nodes "one" and "two" with o on its database and
// schema, each with a data directory of its own, leases of a second.
func startTwoNodes(t *testing.T, o ServerOptions) (a, b *pgServer) {
	t.Helper()
	o.ShardLease = Duration(time.Second)
	o1, o2 := o, o
	o1.NodeID, o2.NodeID = "one", "two"
	o2.Data = t.TempDir()
	return startServer(t, o1), startServer(t, o2)
}

// waitEnded reads an execution through c until it has ended, or a minute
// has passed, and returns what it read last.
func waitEnded(t *testing.T, c *sfn.Client, arn *string) *sfn.DescribeExecutionOutput {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		desc, err := c.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		if desc.Status != sfntypes.ExecutionStatusRunning || time.Now().After(deadline) {
			return desc
		}
		time.Sleep(20 * time.Millisecond)
	}
}
