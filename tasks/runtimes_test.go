package tasks

import (
	"context"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/lambdaapi"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

// runtimesHost registers a Go function built with aws-lambda-go, a bash
// custom runtime (provided) and a Node handler set, all from the functions
// package's test data, each with a 1 s timeout.
func runtimesHost(t *testing.T) *functions.Host {
	t.Helper()
	for _, bin := range []string{"go", "node", "bash"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("these tests run real %s processes: %v", bin, err)
		}
	}
	goDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(goDir, "gofn"), ".")
	build.Dir = "../functions/testdata/gofn"
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the aws-lambda-go function: %v\n%s", err, out)
	}
	provided, _ := filepath.Abs("../functions/testdata/provided")
	node, _ := filepath.Abs("../functions/testdata/node")
	h := functions.NewHost(functions.HostOptions{})
	t.Cleanup(func() { h.Close() })
	for _, f := range []functions.Function{
		{Name: "gofn", Runtime: "go1.x", Handler: "gofn", CodeDir: goDir, Timeout: time.Second},
		{Name: "bashfn", Runtime: "provided.al2023", CodeDir: provided, Timeout: time.Second},
		{Name: "crash", Runtime: "nodejs20.x", Handler: "handlers.crash", CodeDir: node, Timeout: time.Second},
		{Name: "loop", Runtime: "nodejs20.x", Handler: "handlers.loop", CodeDir: node, Timeout: time.Second},
		{Name: "typeError", Runtime: "nodejs20.x", Handler: "handlers.typeError", CodeDir: node, Timeout: time.Second},
	} {
		if err := h.Register(f); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// Each function outcome ends the Task state the way Step Functions reports
// it: the error name Retry and Catch match is the runtime's errorType.
func TestRuntimesFromAStateMachine(t *testing.T) {
	h := runtimesHost(t)
	st := memstore.New()
	eng := engine.New(st, engine.Options{Tasks: &Invoker{Functions: h}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go eng.Run(ctx)

	cases := []struct {
		name, function, input string
		wantError             string // "" for success
		wantOutput            string // substring of the output on success
	}{
		{"go success", "gofn", `{"name":"ada"}`, "", `"greeting":"hello ada"`},
		{"go error", "gofn", `{"mode":"error"}`, "errorString", ""},
		{"go custom error type", "gofn", `{"mode":"custom","name":"user"}`, "NotFoundError", ""},
		{"go crash", "gofn", `{"mode":"exit"}`, "Runtime.ExitError", ""},
		{"go timeout", "gofn", `{"mode":"sleep"}`, "Sandbox.Timedout", ""},
		{"bash success", "bashfn", `{"n":1}`, "", `"function":"bashfn"`},
		{"bash handler error", "bashfn", `{"x":"fail"}`, "BashError", ""},
		{"bash crash", "bashfn", `{"x":"exit"}`, "Runtime.ExitError", ""},
		{"bash malformed response", "bashfn", `{"x":"badjson"}`, "Runtime.InvalidResponse", ""},
		{"node crash", "crash", `{}`, "Runtime.ExitError", ""},
		{"node timeout", "loop", `{}`, "Sandbox.Timedout", ""},
		{"node TypeError", "typeError", `{}`, "TypeError", ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			arn := "arn:aws:states:us-east-1:123456789012:stateMachine:rt" + string(rune('a'+i))
			def := `{"StartAt":"Call","States":{
				"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"` + c.function + `","Payload.$":"$"},
					"OutputPath":"$.Payload","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
				"Caught":{"Type":"Pass","End":true}}}`
			sm := &store.StateMachine{Arn: arn, Name: "rt", Type: "STANDARD", RoleArn: "r", Definition: def, CreatedAt: time.Now()}
			if err := st.CreateStateMachine(ctx, sm); err != nil {
				t.Fatal(err)
			}
			rec, err := eng.StartExecution(ctx, sm, "x", mustInput(c.input), "")
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-eng.Done(ctx, rec.Arn):
			case <-time.After(3 * time.Minute):
				t.Fatal("execution did not finish")
			}
			rec, _ = st.GetExecution(ctx, rec.Arn)
			if rec.Status != "SUCCEEDED" {
				t.Fatalf("status %s %s %s", rec.Status, rec.Error, rec.Cause)
			}
			out, _ := jsonv.ParseString(rec.Output)
			var m map[string]any
			if o, ok := out.(*jsonv.Object); ok {
				m = o.Map()
			}
			if c.wantError == "" {
				if !strings.Contains(rec.Output, c.wantOutput) {
					t.Fatalf("output %s, want it to contain %s", rec.Output, c.wantOutput)
				}
				return
			}
			if m["Error"] != c.wantError {
				t.Fatalf("caught %s, want error %s", rec.Output, c.wantError)
			}
		})
	}
}

// The same Go and bash functions answer through the Lambda Invoke API.
func TestRuntimesThroughTheInvokeAPI(t *testing.T) {
	h := runtimesHost(t)
	signed := &auth.Authenticator{Keyring: auth.DevelopmentKeyring(auth.DefaultAccount), Service: lambdaapi.SigningName}
	srv := httptest.NewServer(signed.Middleware(lambdaapi.MaxRequest+1, lambdaapi.AuthError, lambdaapi.Handler(h, nil)))
	defer srv.Close()
	for _, c := range []struct {
		function, body, funcErr, has string
	}{
		{"gofn", `{"name":"grace"}`, "", `"greeting":"hello grace"`},
		{"gofn", `{"mode":"custom","name":"x"}`, "Unhandled", `NotFoundError`},
		{"bashfn", `{"n":2}`, "", `"echo":{"n":2}`},
		{"bashfn", `{"x":"fail"}`, "Unhandled", `"errorType":"BashError"`},
	} {
		resp, err := authtest.Client.Post(srv.URL+"/2015-03-31/functions/"+c.function+"/invocations", "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != c.funcErr || !strings.Contains(b.String(), c.has) {
			t.Fatalf("%s %s: %s function-error %q body %s", c.function, c.body, resp.Status, resp.Header.Get("X-Amz-Function-Error"), b.String())
		}
	}
}
