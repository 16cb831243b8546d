package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/httptask"
	"github.com/statecraft/statecraft/tasks"
)

// callees is an HTTP service on 127.0.0.1 that HTTP tasks call: it keeps
// each call's JSON body by path, and answers {"ok":true}.
type callees struct {
	*httptest.Server
	mu    sync.Mutex
	calls map[string][]map[string]any
}

const calleesKey = "test-key"

func newCallees(t *testing.T) *callees {
	c := &callees{calls: map[string][]map[string]any{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != calleesKey {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		c.calls[r.URL.Path] = append(c.calls[r.URL.Path], body)
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(c.Close)
	return c
}

// waitCall waits for a call to path whose body has run, and returns it.
func (c *callees) waitCall(t *testing.T, path, run string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		c.mu.Lock()
		for _, body := range c.calls[path] {
			if body["run"] == run {
				c.mu.Unlock()
				return body
			}
		}
		c.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no call to %s for run %s", path, run)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type connections map[string]*httptask.Connection

func (c connections) Connection(arn string) (*httptask.Connection, bool) {
	conn, ok := c[arn]
	return conn, ok
}

// localFunctions runs a Node handler, "double", as a local Lambda function.
func localFunctions(t *testing.T) *functions.Host {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("this test runs a real Node.js handler: install node")
	}
	dir := t.TempDir()
	code := "exports.handler = async (event) => ({ n: event.n * 2 })\n"
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	h := functions.NewHost(functions.HostOptions{})
	t.Cleanup(func() { h.Close() })
	if err := h.Register(functions.Function{Name: "double", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: dir}); err != nil {
		t.Fatal(err)
	}
	return h
}

const expressConn = "arn:aws:events:us-east-1:123456789012:connection/callees/1"

// httpCall is an HTTP Task state calling path on the callees with body.
func httpCall(url, path, body, rest string) string {
	return `{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
		"Parameters":{"ApiEndpoint":"` + url + path + `","Method":"POST",
			"Authentication":{"ConnectionArn":"` + expressConn + `"},"RequestBody":` + body + `},` + rest + `}`
}

// An EXPRESS state machine runs every Task resource a STANDARD one does: a
// local Lambda function, an HTTP task and a nested execution, started both
// ways through the AWS SDK. A synchronous run answers with the output; an
// asynchronous one is not describable, so its end shows in what its last
// task did. On a server with Options.ExpressAllTasks the same machine also
// runs an activity (a worker polling GetActivityTask and answering
// SendTaskSuccess) and waits for a nested execution (.sync), which AWS
// refuses in EXPRESS machines.
func TestSDKExpressRunsTasks(t *testing.T) {
	for _, all := range []bool{false, true} {
		t.Run(fmt.Sprintf("ExpressAllTasks=%v", all), func(t *testing.T) { testSDKExpressRunsTasks(t, all) })
	}
}

func testSDKExpressRunsTasks(t *testing.T, all bool) {
	srv := newCallees(t)
	conns := connections{expressConn: {Arn: expressConn, APIKey: &httptask.APIKeyAuth{Name: "X-Api-Key", Value: calleesKey}}}
	e := newEnvOptions(t, nil, engine.Options{Tasks: &tasks.Invoker{Functions: localFunctions(t), HTTP: &httptask.Invoker{Connections: conns}}},
		Options{ExpressAllTasks: all})
	c := e.newClient("us-east-1")
	ctx := context.Background()
	worked := make(chan string, 2)
	// Work and Wait are an activity and a nested .sync execution: on a
	// server without ExpressAllTasks the machine has neither.
	work, wait, workerOut := `"Next":"Done"`, "", ""
	if all {
		act := must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")}))(t)
		workCtx, stopWork := context.WithCancel(ctx)
		var worker sync.WaitGroup
		worker.Go(func() { activityWorker(workCtx, t, e.newClient("us-east-1"), aws.ToString(act.ActivityArn), worked) })
		t.Cleanup(func() {
			stopWork()
			worker.Wait()
		})
		work = `"Next":"Work"`
		wait = `"Work":{"Type":"Task","Resource":"` + aws.ToString(act.ActivityArn) + `","TimeoutSeconds":60,
			"Parameters":{"run.$":"$.run"},"ResultPath":"$.worked","Next":"Wait"},
		"Wait":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
			"Parameters":{"StateMachineArn":"CHILD","Input":{"run.$":"$.run"}},
			"ResultSelector":{"status.$":"$.Status"},"ResultPath":"$.waited","Next":"Done"},`
		workerOut = `,"worker.$":"$.worked.by","waited.$":"$.waited.status"`
	}

	child := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("child"), RoleArn: aws.String(role),
		Definition: aws.String(compact(`{"StartAt":"Tell","States":{"Tell":` + httpCall(srv.URL, "/child", `{"run.$":"$.run"}`, `"End":true`) + `}}`)),
	}))(t)
	def := compact(`{"StartAt":"Double","States":{
		"Double":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
			"Parameters":{"FunctionName":"double","Payload":{"n.$":"$.n"}},
			"ResultSelector":{"n.$":"$.Payload.n"},"ResultPath":"$.doubled","Next":"Notify"},
		"Notify":` + httpCall(srv.URL, "/notify", `{"run.$":"$.run","n.$":"$.doubled.n"}`,
		`"ResultSelector":{"status.$":"$.StatusCode","body.$":"$.ResponseBody"},"ResultPath":"$.notified","Next":"Child"`) + `,
		"Child":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution",
			"Parameters":{"StateMachineArn":"` + aws.ToString(child.StateMachineArn) + `","Input":{"run.$":"$.run"}},
			"ResultSelector":{"arn.$":"$.ExecutionArn"},"ResultPath":"$.child",` + work + `},
		` + strings.ReplaceAll(wait, "CHILD", aws.ToString(child.StateMachineArn)) + `
		"Done":` + httpCall(srv.URL, "/done", `{"run.$":"$.run","n.$":"$.doubled.n"`+workerOut+`}`, `"ResultPath":null,"End":true`) + `}}`)
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("express-tasks"), Definition: aws.String(def), RoleArn: aws.String(role), Type: types.StateMachineTypeExpress,
	}))(t)

	res := must(c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"run":"sync","n":21}`)}))(t)
	if res.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("StartSyncExecution: %s %s %s", res.Status, aws.ToString(res.Error), aws.ToString(res.Cause))
	}
	var out struct {
		Doubled  struct{ N int }
		Notified struct {
			Status int
			Body   map[string]any
		}
		Child  struct{ Arn string }
		Worked struct{ By, Run string }
		Waited struct{ Status string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(res.Output)), &out); err != nil {
		t.Fatal(err)
	}
	if out.Doubled.N != 42 || out.Notified.Status != 200 || out.Notified.Body["ok"] != true || !strings.Contains(out.Child.Arn, ":execution:child:") {
		t.Errorf("output %s", aws.ToString(res.Output))
	}
	if all {
		if out.Worked != (struct{ By, Run string }{"worker-1", "sync"}) || out.Waited.Status != "SUCCEEDED" {
			t.Errorf("output %s", aws.ToString(res.Output))
		}
		if run := <-worked; run != "sync" {
			t.Errorf("the worker worked for %s", run)
		}
	}
	if body := srv.waitCall(t, "/notify", "sync"); body["n"] != float64(42) {
		t.Errorf("the HTTP task sent %v", body)
	}
	waitDescribe(t, c, out.Child.Arn, types.ExecutionStatusSucceeded)
	srv.waitCall(t, "/child", "sync")

	async := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"run":"async","n":5}`)}))(t)
	if !strings.Contains(aws.ToString(async.ExecutionArn), ":express:express-tasks:") {
		t.Errorf("async ARN %s", aws.ToString(async.ExecutionArn))
	}
	body := srv.waitCall(t, "/done", "async")
	if body["n"] != float64(10) || all && (body["worker"] != "worker-1" || body["waited"] != "SUCCEEDED") {
		t.Errorf("the last task sent %v", body)
	}
	if all {
		if run := <-worked; run != "async" {
			t.Errorf("the worker worked for %s", run)
		}
	}
	srv.waitCall(t, "/child", "async")
	// The children are STANDARD executions: their last step may still be
	// committing after their HTTP call was heard. The store closes with
	// the test, so wait for every child to have ended.
	list := must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: child.StateMachineArn}))(t)
	want := 2 // a Child for each run; with all, a Wait too
	if all {
		want = 4
	}
	if len(list.Executions) != want {
		t.Errorf("%d child executions, want %d", len(list.Executions), want)
	}
	for _, x := range list.Executions {
		waitDescribe(t, c, aws.ToString(x.ExecutionArn), types.ExecutionStatusSucceeded)
	}
}

// activityWorker long-polls GetActivityTask and answers each task with
// {"by": "worker-1", "run": the task's run}, until ctx ends; it tells
// worked each run it worked for.
func activityWorker(ctx context.Context, t *testing.T, c *sfn.Client, activityArn string, worked chan<- string) {
	for ctx.Err() == nil {
		task, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(activityArn), WorkerName: aws.String("worker-1")})
		if err != nil || task.TaskToken == nil {
			continue
		}
		var in struct{ Run string }
		if err := json.Unmarshal([]byte(aws.ToString(task.Input)), &in); err != nil {
			t.Errorf("task input %s: %v", aws.ToString(task.Input), err)
			return
		}
		out := `{"by":"worker-1","run":"` + in.Run + `"}`
		if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(out)}); err != nil {
			t.Errorf("SendTaskSuccess: %v", err)
			return
		}
		select {
		case worked <- in.Run:
		default:
			t.Errorf("a task too many, for %s", in.Run)
		}
	}
}
