package functions

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// copyBootstrap copies a testdata bootstrap into a fresh code directory and
// makes it executable (whatever mode the checkout gave it).
func copyBootstrap(t *testing.T, from string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", from, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestProvidedBootstrap(t *testing.T) {
	t.Parallel()
	needBash(t)
	h := newTestHost(t)
	dir := copyBootstrap(t, "provided")
	if err := h.Register(Function{Name: "bash", Runtime: "provided.al2", Handler: "function.handler", CodeDir: dir, Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Echo     map[string]any
		Function string
	}
	res := invoke(t, h, "bash", `{"hello":"world"}`)
	ok(t, res, &out)
	if out.Echo["hello"] != "world" || out.Function != "bash" {
		t.Fatalf("payload %s", res.Payload)
	}
	if !strings.Contains(res.Logs, "bootstrap starting for handler function.handler") || !strings.Contains(res.Logs, `{"hello":"world"}`) {
		t.Errorf("logs:\n%s", res.Logs)
	}

	res = invoke(t, h, "bash", `{"mode":"fail"}`)
	failed(t, res, "BashError")
	if res.ErrorMessage != "asked to fail" {
		t.Errorf("ErrorMessage %q", res.ErrorMessage)
	}

	res = invoke(t, h, "bash", `{"mode":"badjson"}`)
	failed(t, res, "Runtime.InvalidResponse")
	if !strings.Contains(res.ErrorMessage, `"this is not json"`) {
		t.Errorf("ErrorMessage %q", res.ErrorMessage)
	}

	// All three ran on the first process.
	if n := h.Processes(testAccount, "bash"); n != 1 {
		t.Errorf("%d processes", n)
	}

	res = invokeMeta(t, h, "bash", `{"mode":"exit"}`, InvokeMeta{RequestID: "req-bash-exit"})
	failed(t, res, "Runtime.ExitError")
	if res.ErrorMessage != "RequestId: req-bash-exit Error: Runtime exited with error: exit status 3" || !strings.Contains(res.Logs, "exiting") {
		t.Errorf("ErrorMessage %q logs:\n%s", res.ErrorMessage, res.Logs)
	}

	// A timeout also stops what the bootstrap started (here sleep).
	res = invoke(t, h, "bash", `{"mode":"sleep"}`)
	failed(t, res, "Sandbox.Timedout")
	ok(t, invoke(t, h, "bash", `{"again":true}`), &out)
}

func TestProvidedInitError(t *testing.T) {
	t.Parallel()
	needBash(t)
	h := newTestHost(t)
	dir := copyBootstrap(t, "provided-initerr")
	if err := h.Register(Function{Name: "initerr", Runtime: "provided", CodeDir: dir}); err != nil {
		t.Fatal(err)
	}
	res := invoke(t, h, "initerr", `{}`)
	failed(t, res, "Runtime.ConfigError")
	if res.ErrorMessage != "missing configuration" || !strings.Contains(res.Logs, "init failed") {
		t.Fatalf("ErrorMessage %q logs:\n%s", res.ErrorMessage, res.Logs)
	}
	if n := h.Processes(testAccount, "initerr"); n != 0 {
		t.Errorf("%d processes after an init error", n)
	}
}

func TestProvidedMissingBootstrap(t *testing.T) {
	t.Parallel()
	h := newTestHost(t)
	dir := t.TempDir()
	if err := h.Register(Function{Name: "empty", Runtime: "provided.al2023", CodeDir: dir}); err != nil {
		t.Fatal(err)
	}
	res := invoke(t, h, "empty", `{}`)
	failed(t, res, "Runtime.InvalidEntrypoint")
	if !strings.Contains(res.ErrorMessage, "Couldn't find valid bootstrap(s): ["+filepath.Join(dir, "bootstrap")+"]") {
		t.Errorf("ErrorMessage %q", res.ErrorMessage)
	}
	if n := h.Processes(testAccount, "empty"); n != 0 {
		t.Errorf("%d processes", n)
	}
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	h := newTestHost(t)
	dir := t.TempDir()
	for _, f := range []Function{
		{Name: "bad name!", Runtime: "provided", CodeDir: dir},
		{Name: "f", Runtime: "python3.12", Handler: "x.y", CodeDir: dir},
		{Name: "f", Runtime: "nodejs20.x", CodeDir: dir},
		{Name: "f", Runtime: "go1.x", CodeDir: dir},
		{Name: "f", Runtime: "provided", CodeDir: filepath.Join(dir, "missing")},
		{Name: "f", Runtime: "provided", CodeDir: dir, Env: map[string]string{"AWS_REGION": "x"}},
	} {
		if err := h.Register(f); err == nil {
			t.Errorf("Register(%+v) accepted", f)
		}
	}
}

func TestInvokeErrors(t *testing.T) {
	t.Parallel()
	h := newTestHost(t)
	ctx := context.Background()
	if _, err := h.Invoke(ctx, testAccount, "nope", nil, InvokeMeta{}); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("unknown function: %v", err)
	}
	if err := h.Register(Function{Name: "f", Runtime: "provided", CodeDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Invoke(ctx, testAccount, "f", []byte("{not json"), InvokeMeta{}); !errors.Is(err, ErrInvalidRequestContent) {
		t.Errorf("invalid payload: %v", err)
	}
	h.Close()
	if _, err := h.Invoke(ctx, testAccount, "f", nil, InvokeMeta{}); !errors.Is(err, ErrClosed) {
		t.Errorf("closed host: %v", err)
	}
}
