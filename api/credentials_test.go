package api

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/taskport"
)

// A Task's Credentials across two accounts of a credentials file (the
// YAML of --credentials): A's state machine runs a task under B's role, in
// B (the port sees B's account), when B's role trusts A's account or A's
// machine role; a role that does not trust A, that B lacks, of an account
// the file lacks, or a resource outside the role's account fails the task
// with States.TaskFailed, which Catch sees, and nothing runs.
// twoAccountKeyring is the keyring of a credentials file with accounts A
// (111111111111) and B (222222222222); B's roles are invoker (trusts A),
// team/by-role (trusts machineRole) and closed (trusts a third account).
func twoAccountKeyring(t *testing.T, machineRole string) *auth.Keyring {
	t.Helper()
	file := filepath.Join(t.TempDir(), "credentials.yaml")
	if err := os.WriteFile(file, []byte(`accounts:
  - id: "111111111111"
    keys:
      - {accessKeyId: A_ADMIN, secretAccessKey: admin-secret, role: admin}
  - id: "222222222222"
    keys:
      - {accessKeyId: B_ADMIN, secretAccessKey: b-admin-secret, role: admin}
    iamRoles:
      - {name: invoker, trust: ["111111111111"]}
      - {name: team/by-role, trust: ["`+machineRole+`"]}
      - {name: closed, trust: ["333333333333"]}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	accounts, err := auth.LoadCredentials(file, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	k, err := auth.NewKeyring(accounts)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTaskCredentialsAcrossAccounts(t *testing.T) {
	const machineRole = "arn:aws:iam::111111111111:role/orders-machine"
	k := twoAccountKeyring(t, machineRole)
	calls := make(chan taskport.Request, 10)
	port := taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
		calls <- req
		return map[string]any{"ranIn": req.Account, "role": req.RoleArn}, nil
	})
	e := newEnvEngine(t, k, engine.Options{Tasks: port, AssumeRole: k.AssumeRole})
	const fnB = "arn:aws:lambda:us-east-1:222222222222:function:work"
	def := func(resource string) string {
		return `{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"` + resource + `","Credentials":{"RoleArn.$":"$.role"},
				"Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
			"Caught":{"Type":"Pass","OutputPath":"$.err","End":true}}}`
	}
	create := func(name, resource, roleArn string) string {
		return e.as("A_ADMIN", "CreateStateMachine", obj{"name": name, "definition": def(resource), "roleArn": roleArn}).str("stateMachineArn")
	}
	smB := create("to-b", fnB, role)
	smByRole := create("to-b-by-role", fnB, machineRole)
	smA := create("to-a", "arn:aws:lambda:us-east-1:111111111111:function:own", role)
	run := func(sm, roleArn string) response {
		t.Helper()
		ex := e.as("A_ADMIN", "StartExecution", obj{"stateMachineArn": sm, "input": `{"role":"` + roleArn + `"}`}).str("executionArn")
		var r response
		for range 500 {
			if r = e.as("A_ADMIN", "DescribeExecution", obj{"executionArn": ex}); r.str("status") != "RUNNING" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		return r
	}

	for _, c := range []struct{ sm, role string }{
		{smB, "arn:aws:iam::222222222222:role/invoker"},
		{smByRole, "arn:aws:iam::222222222222:role/team/by-role"},
	} {
		r := run(c.sm, c.role)
		if r.str("status") != "SUCCEEDED" || r.str("output") != `{"ranIn":"222222222222","role":"`+c.role+`"}` {
			t.Fatalf("%s: %s", c.role, r.raw)
		}
		req := <-calls
		if req.Resource != fnB || req.Account != "222222222222" || !strings.Contains(req.ExecutionArn, ":111111111111:") {
			t.Errorf("call %+v", req)
		}
		h := e.as("A_ADMIN", "GetExecutionHistory", obj{"executionArn": r.str("executionArn")})
		var hist struct {
			Events []struct {
				Type    string
				Details *struct {
					TaskCredentials struct{ RoleArn string }
				} `json:"lambdaFunctionScheduledEventDetails"`
			}
		}
		if err := json.Unmarshal([]byte(h.raw), &hist); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range hist.Events {
			if ev.Type == "LambdaFunctionScheduled" {
				found = ev.Details != nil && ev.Details.TaskCredentials.RoleArn == c.role
			}
		}
		if !found {
			t.Errorf("%s: no LambdaFunctionScheduled with taskCredentials: %s", c.role, h.raw)
		}
	}

	for _, c := range []struct{ sm, role, cause string }{
		{smB, "arn:aws:iam::222222222222:role/closed", "the role's trust names neither the account 111111111111 nor the state machine's role"},
		{smByRole, "arn:aws:iam::222222222222:role/invoker", ""}, // A's account is trusted, whatever A's role
		{smB, "arn:aws:iam::222222222222:role/team/by-role", "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/team/by-role"},
		{smB, "arn:aws:iam::222222222222:role/nope", "account 222222222222 has no such role"},
		{smB, "arn:aws:iam::999999999999:role/invoker", "no account 999999999999 is configured"},
		{smA, "arn:aws:iam::222222222222:role/invoker", "belongs to another account or region than the role arn:aws:iam::222222222222:role/invoker"},
	} {
		r := run(c.sm, c.role)
		if c.cause == "" {
			if r.str("status") != "SUCCEEDED" {
				t.Errorf("%s: %s", c.role, r.raw)
			}
			<-calls
			continue
		}
		var caught struct{ Error, Cause string }
		if r.str("status") != "SUCCEEDED" || json.Unmarshal([]byte(r.str("output")), &caught) != nil ||
			caught.Error != "States.TaskFailed" || !strings.Contains(caught.Cause, c.cause) {
			t.Errorf("%s: %s, want a caught States.TaskFailed mentioning %q", c.role, r.raw, c.cause)
		}
	}
	select {
	case req := <-calls:
		t.Errorf("a task ran although its role could not be assumed: %+v", req)
	default:
	}
}

// An activity task under B's role is queued on B's activity: B's worker
// (its own keys) gets it and answers its token (EXPRESS machines have no
// activities, as on AWS). A .sync child started under B's role runs in B:
// B describes it, A does not see it. A role that does not trust A, or a
// resource of neither the role's account (A's own activity, A's machine),
// fails the task with States.TaskFailed, which Catch sees.
func TestTaskCredentialsActivityAndChildInRoleAccount(t *testing.T) {
	k := twoAccountKeyring(t, "arn:aws:iam::111111111111:role/none")
	e := newEnvEngine(t, k, engine.Options{AssumeRole: k.AssumeRole})
	const invoker, closed = "arn:aws:iam::222222222222:role/invoker", "arn:aws:iam::222222222222:role/closed"
	actB := e.as("B_ADMIN", "CreateActivity", obj{"name": "work"}).str("activityArn")
	actA := e.as("A_ADMIN", "CreateActivity", obj{"name": "work"}).str("activityArn")
	childB := e.as("B_ADMIN", "CreateStateMachine", obj{"name": "child", "roleArn": role,
		"definition": `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"in.$":"$.n"},"End":true}}}`}).str("stateMachineArn")
	childA := e.as("A_ADMIN", "CreateStateMachine", obj{"name": "child", "roleArn": role, "definition": passDef}).str("stateMachineArn")
	if !strings.Contains(actB, ":222222222222:") || !strings.Contains(childB, ":222222222222:") || !strings.Contains(actA, ":111111111111:") {
		t.Fatalf("ARNs %s %s %s", actB, childB, actA)
	}
	def := func(task string) string {
		return `{"StartAt":"T","States":{
			"T":{"Type":"Task",` + task + `,"Credentials":{"RoleArn.$":"$.role"},
				"Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
			"Caught":{"Type":"Pass","OutputPath":"$.err","End":true}}}`
	}
	activity := func(a string) string { return `"Resource":"` + a + `"` }
	nested := func(sm string) string {
		return `"Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"` + sm + `","Input":{"n":7}}`
	}
	create := func(name, typ, task string) string {
		t.Helper()
		r := e.as("A_ADMIN", "CreateStateMachine", obj{"name": name, "type": typ, "definition": def(task), "roleArn": role})
		if r.str("stateMachineArn") == "" {
			t.Fatalf("CreateStateMachine %s: %s", name, r.raw)
		}
		return r.str("stateMachineArn")
	}
	wait := func(ex string) response {
		t.Helper()
		var r response
		for range 500 {
			if r = e.as("A_ADMIN", "DescribeExecution", obj{"executionArn": ex}); r.str("status") != "RUNNING" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		return r
	}
	start := func(sm, roleArn string) string {
		return e.as("A_ADMIN", "StartExecution", obj{"stateMachineArn": sm, "input": `{"role":"` + roleArn + `"}`}).str("executionArn")
	}
	caught := func(what string, r response, name, cause string) {
		t.Helper()
		var c struct{ Error, Cause string }
		if r.str("status") != "SUCCEEDED" || json.Unmarshal([]byte(r.str("output")), &c) != nil ||
			c.Error != name || !strings.Contains(c.Cause, cause) {
			t.Errorf("%s: %s, want a caught %s mentioning %q", what, r.raw, name, cause)
		}
	}

	// The activity: B's worker gets the task of A's execution and answers it.
	actSM := create("act-b", "STANDARD", activity(actB))
	ex := start(actSM, invoker)
	var task response
	for range 50 {
		if task = e.as("B_ADMIN", "GetActivityTask", obj{"activityArn": actB}); task.str("taskToken") != "" {
			break
		}
	}
	if task.str("taskToken") == "" || !strings.Contains(task.str("input"), invoker) {
		t.Fatalf("B's worker got no task: %s", task.raw)
	}
	if r := e.as("B_ADMIN", "SendTaskSuccess", obj{"taskToken": task.str("taskToken"), "output": `{"by":"B"}`}); r.status != 200 {
		t.Fatalf("B's SendTaskSuccess: %s", r.raw)
	}
	if r := wait(ex); r.str("status") != "SUCCEEDED" || r.str("output") != `{"by":"B"}` {
		t.Fatalf("activity in B: %s", r.raw)
	}

	// The nested child: started in B, B's to describe.
	nestSM := create("nest-b", "STANDARD", nested(childB))
	r := wait(start(nestSM, invoker))
	var out struct{ ExecutionArn, Status string }
	if r.str("status") != "SUCCEEDED" || json.Unmarshal([]byte(r.str("output")), &out) != nil || out.Status != "SUCCEEDED" ||
		!strings.HasPrefix(out.ExecutionArn, "arn:aws:states:us-east-1:222222222222:execution:child:") {
		t.Fatalf("child in B: %s", r.raw)
	}
	if d := e.as("B_ADMIN", "DescribeExecution", obj{"executionArn": out.ExecutionArn}); d.str("status") != "SUCCEEDED" || d.str("output") != `{"in":7}` {
		t.Errorf("B describes its child: %s", d.raw)
	}
	if d := e.as("A_ADMIN", "DescribeExecution", obj{"executionArn": out.ExecutionArn}); d.status == 200 {
		t.Errorf("A describes B's child: %s", d.raw)
	}

	// Failures: a role that does not trust A, and resources outside the
	// role's account.
	// (States.TaskFailed in Catch matches every task failure but a
	// timeout; a refused StartExecution is named as the service names it.)
	for i, c := range []struct{ name, task, role, error, cause string }{
		{"activity, untrusted role", activity(actB), closed, "States.TaskFailed", "the role's trust names neither the account 111111111111"},
		{"activity of A under B's role", activity(actA), invoker, "States.TaskFailed", "belongs to another account or region than the role " + invoker},
		{"child, untrusted role", nested(childB), closed, "States.TaskFailed", "the role's trust names neither the account 111111111111"},
		{"child of A under B's role", nested(childA), invoker, "StepFunctions.AccessDeniedException", "is not authorized to perform: states:StartExecution on resource: " + childA},
	} {
		sm := create(fmt.Sprintf("failing-%d", i), "STANDARD", c.task)
		caught(c.name, wait(start(sm, c.role)), c.error, c.cause)
	}
	// Nothing was queued on either activity by the failed tasks.
	for _, q := range []struct{ key, act string }{{"B_ADMIN", actB}, {"A_ADMIN", actA}} {
		if r := e.as(q.key, "GetActivityTask", obj{"activityArn": q.act}); r.str("taskToken") != "" {
			t.Errorf("a failed task was queued on %s: %s", q.act, r.raw)
		}
	}
}
