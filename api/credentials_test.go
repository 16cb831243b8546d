package api

import (
	"context"
	"encoding/json"
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
func TestTaskCredentialsAcrossAccounts(t *testing.T) {
	const machineRole = "arn:aws:iam::111111111111:role/orders-machine"
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
