package awssdk_test

import (
	"bufio"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/awsconf"
	"github.com/statecraft/statecraft/awssdk"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/lambdaapi"
	"github.com/statecraft/statecraft/store/sqlite"
)

// The servers the tests call: real implementations of each service's wire
// protocol on 127.0.0.1, so the SDK clients, their serializers and their
// error parsing all run as they do against AWS.

// Every server but Statecraft's own takes any key pair; Statecraft's API
// and Lambda API check SigV4 signatures against these.
const (
	keyID  = "AKIDEXAMPLE"
	secret = "test-secret-key"
)

// port is the Port the server wires in (New), over service settings
// that point every service at endpoint, signed with the test key, with
// the settings compatible servers need: S3 path-style, SQS's query
// protocol (goaws speaks no other). Its calls are retried as in
// production; none of the failures the tests provoke is retryable.
func port(endpoint string) awssdk.Port {
	s := awsconf.Service{Endpoint: endpoint, AccessKeyIDEnv: "TEST_KEY_ID", SecretAccessKeyEnv: "TEST_SECRET"}
	s3, sqs := s, s
	s3.PathStyle = true
	sqs.Protocol = "query"
	return awssdk.New(&awsconf.Configs{
		Region:   "us-east-1",
		Services: map[string]awsconf.Service{awsconf.Default: s, "s3": s3, "sqs": sqs},
		LookupEnv: func(name string) (string, bool) {
			v, ok := map[string]string{"TEST_KEY_ID": keyID, "TEST_SECRET": secret}[name]
			return v, ok
		},
	})
}

// startLambda serves the Lambda Invoke API with Statecraft's own lambdaapi
// over local Node.js functions: echo returns its event, boom throws.
func startLambda(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("needs node")
	}
	dir := t.TempDir()
	code := `module.exports.echo = async (e) => ({ echo: e });
module.exports.boom = async () => { const err = new Error('nope'); err.name = 'BoomError'; throw err };`
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	h := functions.NewHost(functions.HostOptions{})
	t.Cleanup(func() { h.Close() })
	for _, name := range []string{"echo", "boom"} {
		if err := h.Register(functions.Function{Name: name, Runtime: "nodejs20.x", Handler: "index." + name, CodeDir: dir}); err != nil {
			t.Fatal(err)
		}
	}
	a := &auth.Authenticator{Keyring: keyring(t), Service: lambdaapi.SigningName}
	srv := httptest.NewServer(a.Middleware(lambdaapi.MaxRequest+1, lambdaapi.AuthError, lambdaapi.Handler(h, nil)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// startSFN serves the Step Functions API with Statecraft's own API server
// and engine, on a SQLite store.
func startSFN(t *testing.T) string {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "statecraft.db"), sqlite.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng := engine.New(st, engine.Options{Log: log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = eng.Run(ctx)
	}()
	a := &auth.Authenticator{Keyring: keyring(t), Service: api.SigningName}
	srv := httptest.NewServer(api.New(st, eng, api.Options{Log: log, Auth: a}))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		st.Close()
	})
	return srv.URL
}

func keyring(t *testing.T) *auth.Keyring {
	k, err := auth.NewKeyring([]auth.Account{{ID: "123456789012", Keys: []auth.Key{
		{AccessKeyID: keyID, SecretAccessKey: secret, Role: auth.RoleAdmin},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	s := bufio.NewScanner(strings.NewReader(string(p)))
	for s.Scan() {
		w.t.Log(s.Text())
	}
	return len(p), nil
}
