package engine

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store/memstore"
	"github.com/statecraft/statecraft/taskport"
)

// An EXPRESS execution's task runs under its Credentials' role, in the
// account AssumeRole answers, as a STANDARD one does (api's
// TestTaskCredentialsAcrossAccounts); a role AssumeRole refuses, or any role
// on an engine without AssumeRole, fails the task with States.TaskFailed
// before the port is called.
func TestExpressTaskCredentials(t *testing.T) {
	const good, bad = "arn:aws:iam::222222222222:role/ok", "arn:aws:iam::222222222222:role/no"
	assume := func(role, executionArn, machineRole string) (string, error) {
		if role == good && strings.Contains(executionArn, ":123456789012:express:") && machineRole == "arn:aws:iam::123456789012:role/r" {
			return "222222222222", nil
		}
		return "", errors.New("refused")
	}
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:222222222222:function:f",
		"Credentials":{"RoleArn.$":"$.role"},"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`
	for _, c := range []struct {
		name, role string
		noAssume   bool
		output     string // a substring
	}{
		{"assumed", good, false, `{"account":"222222222222","role":"` + good + `"}`},
		{"refused", bad, false, `"Cause":"Step Functions could not assume the role of the task's Credentials: refused"`},
		{"no roles", good, true, `this server has no roles to assume`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			port := taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
				calls.Add(1)
				return map[string]any{"account": req.Account, "role": req.RoleArn}, nil
			})
			st := memstore.New()
			opts := Options{Tasks: port, AssumeRole: assume}
			if c.noAssume {
				opts.AssumeRole = nil
			}
			h := &harness{t: t, st: st, eng: New(st, opts), done: make(chan struct{})}
			ctx, cancel := context.WithCancel(context.Background())
			h.cancel = cancel
			go func() { _ = h.eng.Run(ctx); close(h.done) }()
			t.Cleanup(h.stop)
			rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
			defer rcancel()
			rec := h.eng.RunExpress(rctx, expressMachine(def), "x", input(`{"role":"`+c.role+`"}`), "")
			if rec.Status != "SUCCEEDED" || !strings.Contains(rec.Output, c.output) {
				t.Fatalf("got %s %s, want output with %s", rec.Status, rec.Output, c.output)
			}
			if want := map[bool]int32{true: 1, false: 0}[c.name == "assumed"]; calls.Load() != want {
				t.Errorf("%d calls, want %d", calls.Load(), want)
			}
		})
	}
}

// A Task's Credentials on an AWS service integration are the port's to
// assume (through STS): the engine passes the role on without consulting
// AssumeRole, which knows only Statecraft's own roles, and without an
// account.
func TestServiceIntegrationCredentialsGoToThePort(t *testing.T) {
	const role = "arn:aws:iam::222222222222:role/aws-side"
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:getObject",
		"Parameters":{"Bucket":"b","Key":"k"},"Credentials":{"RoleArn.$":"$.role"},"End":true}}}`
	var assumed atomic.Int32
	port := taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
		return map[string]any{"account": req.Account, "role": req.RoleArn}, nil
	})
	st := memstore.New()
	h := &harness{t: t, st: st, done: make(chan struct{}), eng: New(st, Options{Tasks: port,
		AssumeRole: func(string, string, string) (string, error) {
			assumed.Add(1)
			return "", errors.New("not one of Statecraft's roles")
		}})}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { _ = h.eng.Run(ctx); close(h.done) }()
	t.Cleanup(h.stop)
	rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
	defer rcancel()
	rec := h.eng.RunExpress(rctx, expressMachine(def), "x", input(`{"role":"`+role+`"}`), "")
	if rec.Status != "SUCCEEDED" || rec.Output != `{"account":"","role":"`+role+`"}` {
		t.Fatalf("got %s %s", rec.Status, rec.Output)
	}
	if assumed.Load() != 0 {
		t.Errorf("AssumeRole was asked %d times for a service integration's role", assumed.Load())
	}
}
