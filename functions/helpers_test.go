package functions

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// goFunctionDir builds testdata/gofn (once per test binary) into a directory
// holding the binary both as "gofn" (go1.x) and as "bootstrap" (provided).
func goFunctionDir(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = err
			return
		}
		buildDir, buildErr = os.MkdirTemp("", "statecraft-gofn-")
		if buildErr != nil {
			return
		}
		out, err := exec.Command(goBin, "build", "-o", filepath.Join(buildDir, "gofn"), "./testdata/gofn").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, string(out)}
			return
		}
		data, err := os.ReadFile(filepath.Join(buildDir, "gofn"))
		if err == nil {
			err = os.WriteFile(filepath.Join(buildDir, "bootstrap"), data, 0o755)
		}
		buildErr = err
	})
	if buildErr != nil {
		tb.Fatalf("building testdata/gofn: %v", buildErr)
	}
	return buildDir
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func needNode(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		tb.Skip("node is not installed")
	}
}

func needBash(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		tb.Skip("bash is not installed")
	}
}

// testAccount is the default account of newTestHost's hosts.
const testAccount = "111122223333"

func newTestHost(tb testing.TB) *Host {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h := NewHost(HostOptions{Region: "eu-west-1", Account: testAccount, Log: log})
	tb.Cleanup(func() {
		if err := h.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return h
}

// nodeFunc registers testdata/node with the given handler under name.
func nodeFunc(tb testing.TB, h *Host, name, handler string, mod ...func(*Function)) {
	tb.Helper()
	f := Function{Name: name, Runtime: "nodejs20.x", Handler: handler, CodeDir: "testdata/node", Timeout: 20 * time.Second}
	for _, m := range mod {
		m(&f)
	}
	if err := h.Register(f); err != nil {
		tb.Fatal(err)
	}
}

func invoke(tb testing.TB, h *Host, name, payload string) *Result {
	tb.Helper()
	return invokeMeta(tb, h, name, payload, InvokeMeta{})
}

func invokeMeta(tb testing.TB, h *Host, name, payload string, meta InvokeMeta) *Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := h.Invoke(ctx, testAccount, name, []byte(payload), meta)
	if err != nil {
		tb.Fatalf("Invoke %s: %v", name, err)
	}
	return res
}

// ok checks the invocation succeeded and decodes its payload into v.
func ok(tb testing.TB, res *Result, v any) {
	tb.Helper()
	if res.FunctionError != "" {
		tb.Fatalf("unexpected function error %s: %s\npayload: %s\nlogs:\n%s", res.ErrorType, res.ErrorMessage, res.Payload, res.Logs)
	}
	if v != nil {
		if err := json.Unmarshal(res.Payload, v); err != nil {
			tb.Fatalf("payload %s: %v", res.Payload, err)
		}
	}
}

// failed checks the invocation failed with errType and returns the error
// document.
func failed(tb testing.TB, res *Result, errType string) map[string]any {
	tb.Helper()
	if res.FunctionError != "Unhandled" || res.ErrorType != errType {
		tb.Fatalf("got FunctionError %q ErrorType %q (%s), want Unhandled %s\npayload: %s\nlogs:\n%s",
			res.FunctionError, res.ErrorType, res.ErrorMessage, errType, res.Payload, res.Logs)
	}
	var doc map[string]any
	if err := json.Unmarshal(res.Payload, &doc); err != nil {
		tb.Fatalf("error payload %s: %v", res.Payload, err)
	}
	if doc["errorType"] != errType || doc["errorMessage"] != res.ErrorMessage {
		tb.Fatalf("error document %s does not match ErrorType %q ErrorMessage %q", res.Payload, errType, res.ErrorMessage)
	}
	return doc
}

// eventually polls cond for up to 20 s.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pidAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}
