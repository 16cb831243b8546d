package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/sqlite"
	"github.com/statecraft/statecraft/taskport"
)

// logRecorder keeps every log record so tests can prove that no request
// reached the panic handler or failed internally.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

// errors returns the messages logged at level Error or above.
func (l *logRecorder) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		if r.Level >= slog.LevelError {
			msg := r.Message
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == "err" || a.Key == "panic" || a.Key == "op" {
					msg += " " + a.Key + "=" + a.Value.String()
				}
				return true
			})
			out = append(out, msg)
		}
	}
	return out
}

type testEnv struct {
	t    *testing.T
	srv  *httptest.Server
	st   store.Store
	eng  *engine.Engine
	logs *logRecorder
}

// newEnv serves the API on a real SQLite store and a running engine.
func newEnv(t *testing.T) *testEnv {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with the API authenticating against keyring (nil:
// the development pair).
func newEnvWith(t *testing.T, keyring *auth.Keyring) *testEnv {
	t.Helper()
	return newEnvTasks(t, keyring, nil)
}

// newEnvTasks is newEnvWith with an engine that runs Task resources
// through tasks.
func newEnvTasks(t *testing.T, keyring *auth.Keyring, tasks taskport.Port) *testEnv {
	t.Helper()
	return newEnvEngine(t, keyring, engine.Options{Tasks: tasks})
}

// newEnvEngine is newEnvWith with an engine made with eopts (its Log is
// the test's).
func newEnvEngine(t *testing.T, keyring *auth.Keyring, eopts engine.Options) *testEnv {
	t.Helper()
	return newEnvOptions(t, keyring, eopts, Options{})
}

// newEnvOptions is newEnvEngine with the API's options opts (its Log,
// LongPoll and Auth are the test's).
func newEnvOptions(t *testing.T, keyring *auth.Keyring, eopts engine.Options, opts Options) *testEnv {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "statecraft.db"), sqlite.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	logs := &logRecorder{}
	log := slog.New(logs)
	eopts.Log = log
	eng := engine.New(st, eopts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = eng.Run(ctx)
	}()
	opts.Log, opts.LongPoll = log, 200*time.Millisecond
	if keyring != nil {
		opts.Auth = &auth.Authenticator{Keyring: keyring, Service: SigningName}
	}
	srv := httptest.NewServer(New(st, eng, opts))
	e := &testEnv{t: t, srv: srv, st: st, eng: eng, logs: logs}
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		st.Close()
		if errs := logs.errors(); len(errs) > 0 {
			t.Errorf("errors were logged (bad input must never fail internally):\n%s", strings.Join(errs, "\n"))
		}
	})
	return e
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r response) errType() string {
	s, _ := r.body["__type"].(string)
	return s
}

// shortType is the error name after '#'.
func (r response) shortType() string {
	t := r.errType()
	if i := strings.IndexByte(t, '#'); i >= 0 {
		return t[i+1:]
	}
	return t
}

func (r response) message() string {
	s, _ := r.body["message"].(string)
	return s
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// post sends a raw body to an operation, signed with the development
// pair.
func (e *testEnv) post(op, body string) response {
	e.t.Helper()
	return e.postAs(op, body, "local", "local", "us-east-1")
}

// postAs sends a raw body to an operation signed with a key pair for a
// region.
func (e *testEnv) postAs(op, body, akid, secret, region string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	if op != "" {
		req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	}
	signAs(e.t, req, body, akid, secret, region)
	return e.do(req)
}

// signAs signs req (whose body is body) with SigV4 for Step Functions.
func signAs(t *testing.T, req *http.Request, body, akid, secret, region string) {
	t.Helper()
	signAt(t, req, body, akid, secret, region, time.Now())
}

func signAt(t *testing.T, req *http.Request, body, akid, secret, region string, at time.Time) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "states", region, at); err != nil {
		t.Fatal(err)
	}
}

func (e *testEnv) do(req *http.Request) response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if err := json.Unmarshal(b, &r.body); err != nil {
		e.t.Fatalf("response is not a JSON object: %v: %s", err, b)
	}
	return r
}

// call sends a JSON-encoded request and requires success.
func (e *testEnv) call(op string, in any) response {
	e.t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		e.t.Fatal(err)
	}
	r := e.post(op, string(b))
	if r.status != http.StatusOK {
		e.t.Fatalf("%s %s: %d %s", op, b, r.status, r.raw)
	}
	return r
}

// fail sends a JSON-encoded request and requires an error.
func (e *testEnv) fail(op string, in any) response {
	e.t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		e.t.Fatal(err)
	}
	r := e.post(op, string(b))
	if r.status == http.StatusOK {
		e.t.Fatalf("%s %s: unexpected success: %s", op, b, r.raw)
	}
	return r
}

type obj = map[string]any

const role = "arn:aws:iam::123456789012:role/statecraft"

func compact(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		panic(err)
	}
	return b.String()
}

// Definitions used across tests.
var (
	passDef = compact(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"ok":true},"End":true}}}`)
	waitDef = compact(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}`)
	// refusedDef is valid on AWS and uses a resource Statecraft does not
	// run.
	refusedDef = compact(`{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"arn:aws:states:::glue:startJobRun.sync",
		"Parameters":{"JobName":"j"},"End":true}}}`)
	refusedMsg = "Invalid State Machine Definition: 'NOT_IMPLEMENTED: Statecraft cannot run the resource arn:aws:states:::glue:startJobRun.sync; it runs " +
		strings.Join(asl.SupportedResources(nil), ", ") + " at /States/Work/Resource'"
)

func (e *testEnv) createMachine(name, def, typ string) string {
	e.t.Helper()
	in := obj{"name": name, "definition": def, "roleArn": role}
	if typ != "" {
		in["type"] = typ
	}
	return e.call("CreateStateMachine", in).str("stateMachineArn")
}

func (e *testEnv) waitStatus(execArn string, want string) response {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := e.call("DescribeExecution", obj{"executionArn": execArn})
		if r.str("status") == want {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("execution %s: status %s, want %s: %s", execArn, r.str("status"), want, r.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
