package workflowapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/inproc"
	"github.com/statecraft/statecraft/ivr"
	"github.com/statecraft/statecraft/ivr/workflowapi"
	"github.com/statecraft/statecraft/store/sqlite"
)

const (
	admin = "admin-key-0123456789abcdef"
	keyA  = "tenant-a-key-0123456789"
	keyB  = "tenant-b-key-0123456789"
)

type env struct {
	srv  *httptest.Server
	sfn  *sfn.Client
	file string
	svc  *workflowapi.Service
}

// newEnv runs an engine and API on SQLite with the workflow API on top,
// and a state machine "echo" (a Pass state) and "wait" (a Wait).
func newEnv(t *testing.T, file string) *env {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "db"), sqlite.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := engine.New(st, engine.Options{Log: log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(ctx) }()
	h := api.New(st, eng, api.Options{Log: log})
	client := inproc.StepFunctions(h, &auth.Principal{AccessKeyID: "test", Account: "123456789012", Role: auth.RoleAdmin, Region: "us-east-1", Via: "internal"})
	for name, def := range map[string]string{
		"echo": `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`,
		"wait": `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}`,
	} {
		if _, err := client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def),
			RoleArn: aws.String("arn:aws:iam::123456789012:role/x")}); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := workflowapi.New(workflowapi.Options{SFN: client, AdminKeys: []string{admin}, File: file, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		st.Close()
	})
	return &env{srv: srv, sfn: client, file: file, svc: svc}
}

func (e *env) do(t *testing.T, method, path, key, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(strings.TrimSpace(string(data))) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s %s: %d not JSON: %s", method, path, resp.StatusCode, data)
		}
	}
	if resp.StatusCode >= 400 && (out == nil || out["message"] == "") {
		t.Errorf("%s %s: %d without a message", method, path, resp.StatusCode)
	}
	return resp.StatusCode, out
}

func TestTenantsWorkflowsAndRoutes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "workflows.json")
	e := newEnv(t, file)
	if err := e.svc.ApplyTenants([]workflowapi.TenantConfig{{Name: "a", APIKeys: []string{keyA},
		Workflows: map[string]string{"hello": "echo"}, Numbers: map[string]string{"+46 (10) 123": "hello"}}}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		method, path, key, body string
		want                    int
	}{
		{"PUT", "/v1/admin/tenants/b", admin, `{"apiKeys": ["` + keyB + `"]}`, 201},
		{"PUT", "/v1/admin/tenants/b/workflows/slow", admin, `{"stateMachine": "wait"}`, 200},
		{"PUT", "/v1/admin/tenants/b/workflows/hello", admin, `{"stateMachine": "arn:aws:states:us-east-1:123456789012:stateMachine:echo"}`, 200},
		{"PUT", "/v1/admin/tenants/b/numbers/+4620", admin, `{"workflow": "slow"}`, 200},
		{"PUT", "/v1/admin/tenants/b/numbers/+4610123", admin, `{"workflow": "slow"}`, 409}, // a's number
		{"PUT", "/v1/admin/tenants/c", admin, `{"apiKeys": ["` + keyA + `"]}`, 409},         // a's key
		{"PUT", "/v1/admin/tenants/bad name", admin, `{}`, 400},
		{"PUT", "/v1/admin/tenants/b", admin, `[1,2]`, 400},
		{"DELETE", "/v1/admin/tenants/b/workflows/slow", admin, ``, 409}, // routed
		{"DELETE", "/v1/admin/tenants/nobody", admin, ``, 404},
		{"GET", "/v1/admin/tenants/b", admin, ``, 200},
		{"GET", "/v1/admin/tenants", "wrong-admin-key-0123456", ``, 401},
		{"GET", "/v1/ivr/routes/+46%2010%20123", admin, ``, 200},
		{"GET", "/v1/ivr/routes/+4699", admin, ``, 404},
		{"GET", "/v1/nothing-here", keyA, ``, 404},
	}
	for _, s := range steps {
		if code, out := e.do(t, s.method, s.path, s.key, s.body); code != s.want {
			t.Errorf("%s %s: %d %v, want %d", s.method, s.path, code, out, s.want)
		}
	}

	// A starts hello and reads it; its output is the input.
	code, st := e.do(t, "POST", "/v1/workflows/hello/executions", keyA, `{"x": 1}`)
	if code != 201 {
		t.Fatalf("start: %d %v", code, st)
	}
	var got map[string]any
	for i := 0; i < 200; i++ {
		_, got = e.do(t, "GET", st["statusUrl"].(string), keyA, "")
		if got["status"] != "RUNNING" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got["status"] != "SUCCEEDED" || got["output"].(map[string]any)["x"] != 1.0 || got["stopDate"] == nil {
		t.Errorf("execution: %v", got)
	}
	// B has a workflow of the same name on the same machine, and still
	// cannot read A's execution.
	if code, _ := e.do(t, "GET", st["statusUrl"].(string), keyB, ""); code != 404 {
		t.Errorf("B reads A's execution: %d", code)
	}

	// Inbound routing over HTTP, as a separate media service uses it.
	r := &ivr.HTTPRouter{Endpoint: e.srv.URL, Key: admin}
	ctx := context.Background()
	if err := r.HasRoute(ctx, "+4610123"); err != nil {
		t.Errorf("HasRoute: %v", err)
	}
	if err := r.HasRoute(ctx, "+4611"); !errors.Is(err, ivr.ErrNoRoute) {
		t.Errorf("HasRoute of an unrouted number: %v", err)
	}
	arn, err := r.StartInbound(ctx, ivr.InboundStart{CallerNumber: "+4670", CalledNumber: "+46-20", DialogID: "dabc@local"})
	if err != nil || !strings.Contains(arn, ":execution:wait:b.") {
		t.Errorf("StartInbound: %q %v", arn, err)
	}
	desc, err := e.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil || aws.ToString(desc.Input) != `{"calledNumber":"+46-20","callerNumber":"+4670","dialogId":"dabc@local"}` {
		t.Errorf("inbound execution input: %v %v", desc, err)
	}
	if _, err := (&ivr.HTTPRouter{Endpoint: e.srv.URL, Key: keyA}).StartInbound(ctx, ivr.InboundStart{CalledNumber: "+4620", DialogID: "d"}); err == nil {
		t.Errorf("a tenant key started an inbound workflow")
	}

	// Generated keys work and are shown once.
	code, k := e.do(t, "POST", "/v1/admin/tenants/b/keys", admin, ``)
	if code != 201 {
		t.Fatalf("new key: %d %v", code, k)
	}
	if code, _ := e.do(t, "GET", "/v1/workflows", k["apiKey"].(string), ""); code != 200 {
		t.Errorf("generated key: %d", code)
	}

	// What the admin API configured survives a restart; keys are stored
	// hashed.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), keyB) || !strings.Contains(string(data), "sha256:") {
		t.Errorf("the file holds plain keys or no hashes:\n%s", data)
	}
	e2 := newEnv(t, file)
	if code, out := e2.do(t, "GET", "/v1/workflows", keyB, ""); code != 200 || len(out["workflows"].([]any)) != 2 {
		t.Errorf("after restart: %d %v", code, out)
	}
	if code, _ := e2.do(t, "DELETE", "/v1/admin/tenants/b", admin, ""); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _ := e2.do(t, "GET", "/v1/workflows", keyB, ""); code != 401 {
		t.Errorf("deleted tenant's key: %d", code)
	}
}

// asAccount is ctx acting as an admin of account.
func asAccount(account string) context.Context {
	return auth.WithPrincipal(context.Background(), &auth.Principal{AccessKeyID: "test-" + account, Account: account, Role: auth.RoleAdmin, Region: "us-east-1", Via: "internal"})
}

func TestTenantAccounts(t *testing.T) {
	e := newEnv(t, "")
	const other = "111111111111"
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}`
	if _, err := e.sfn.CreateStateMachine(asAccount(other), &sfn.CreateStateMachineInput{Name: aws.String("pin"), Definition: aws.String(def),
		RoleArn: aws.String("arn:aws:iam::111111111111:role/x")}); err != nil {
		t.Fatal(err)
	}
	// The tenant's workflow is its account's machine; the default
	// account's machines are not its to name.
	if code, out := e.do(t, "PUT", "/v1/admin/tenants/acme", admin, `{"account":"`+other+`","apiKeys":["`+keyA+`"],"workflows":{"pin":"pin"}}`); code != 201 || out["account"] != other {
		t.Fatalf("put tenant: %d %v", code, out)
	}
	if code, out := e.do(t, "PUT", "/v1/admin/tenants/acme/workflows/echo", admin, `{"stateMachine":"arn:aws:states:us-east-1:123456789012:stateMachine:echo"}`); code != 400 {
		t.Errorf("another account's machine as a workflow: %d %v", code, out)
	}
	if code, out := e.do(t, "PUT", "/v1/admin/tenants/acme", admin, `{"account":"12"}`); code != 400 {
		t.Errorf("bad account: %d %v", code, out)
	}
	code, st := e.do(t, "POST", "/v1/workflows/pin/executions", keyA, `{"pin":"1234"}`)
	if code != 201 || !strings.Contains(st["executionArn"].(string), ":"+other+":") {
		t.Fatalf("start: %d %v", code, st)
	}
	arn := st["executionArn"].(string)
	// Its own account sees it; the default account does not.
	if out, err := e.sfn.DescribeExecution(asAccount(other), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)}); err != nil || aws.ToString(out.Input) != `{"pin":"1234"}` {
		t.Errorf("the tenant's account: %v %v", out, err)
	}
	_, err := e.sfn.DescribeExecution(asAccount("123456789012"), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("another account read the tenant's execution: %v", err)
	}
	if _, err := e.sfn.StopExecution(asAccount("123456789012"), &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)}); err == nil {
		t.Error("another account stopped the tenant's execution")
	}

	// Key rotation: add a key, revoke the old one by its id.
	code, added := e.do(t, "POST", "/v1/admin/tenants/acme/keys", admin, `{"apiKey":"`+keyB+`"}`)
	if code != 201 || added["keyId"] == "" {
		t.Fatalf("add key: %d %v", code, added)
	}
	_, view := e.do(t, "GET", "/v1/admin/tenants/acme", admin, "")
	ids, _ := view["keyIds"].([]any)
	if len(ids) != 2 {
		t.Fatalf("key ids: %v", view)
	}
	for _, id := range ids {
		if id != added["keyId"] {
			if code, out := e.do(t, "DELETE", "/v1/admin/tenants/acme/keys/"+id.(string), admin, ""); code != 204 {
				t.Fatalf("revoke: %d %v", code, out)
			}
		}
	}
	if code, _ := e.do(t, "GET", "/v1/workflows", keyA, ""); code != 401 {
		t.Errorf("the revoked key still works: %d", code)
	}
	if code, out := e.do(t, "GET", "/v1/workflows", keyB, ""); code != 200 {
		t.Errorf("the new key: %d %v", code, out)
	}
	if code, _ := e.do(t, "DELETE", "/v1/admin/tenants/acme/keys/0000000000000000", admin, ""); code != 404 {
		t.Errorf("revoking an unknown key: %d", code)
	}
}
