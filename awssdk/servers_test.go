package awssdk_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/auth"
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

// port gives the Port a configuration pointing every service at endpoint.
func port(endpoint string) awssdk.Port {
	return awssdk.Port{Config: func(ctx context.Context, service string) (aws.Config, error) {
		return aws.Config{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(endpoint),
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, nil
			}),
			// A failure is the test's subject; retrying it only slows
			// the test down.
			RetryMaxAttempts: 1,
		}, nil
	}}
}

// startS3 serves S3 with gofakes3 in process.
func startS3(t *testing.T) string {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess runs a server process and waits until its port accepts
// connections. The wait is generous: a loaded machine starts Python and
// Node slowly.
func startProcess(t *testing.T, port int, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	logf := filepath.Join(t.TempDir(), "server.log")
	out, err := os.Create(logf)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		out.Close()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf)
			t.Fatalf("%s did not listen on %s: %s", name, addr, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startMoto serves SQS (its JSON protocol, which the pinned SDK speaks;
// goaws v0.4.5 serves only the older query protocol), SNS and EventBridge
// with moto's server, which the machines have installed.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatal("needs moto_server (pip moto[server]) on PATH")
	}
	p := freePort(t)
	return startProcess(t, p, bin, "-H", "127.0.0.1", "-p", fmt.Sprint(p))
}

// dynaliteVersion is the pinned DynamoDB implementation, installed with
// npm into a cache directory on first use.
const dynaliteVersion = "4.0.0"

func startDynalite(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("needs node")
	}
	base, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "statecraft-dynalite")
	cli := filepath.Join(dir, "node_modules", "dynalite", "cli.js")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// go test runs packages in parallel: one install at a time.
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	var pkg struct{ Version string }
	b, _ := os.ReadFile(filepath.Join(dir, "node_modules", "dynalite", "package.json"))
	if json.Unmarshal(b, &pkg) != nil || pkg.Version != dynaliteVersion {
		cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "dynalite@"+dynaliteVersion)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm install dynalite@%s: %v\n%s", dynaliteVersion, err, out)
		}
	}
	_ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	p := freePort(t)
	// Tables become ACTIVE at once: a table's CREATING phase is not what
	// these tests are about.
	return startProcess(t, p, "node", cli, "--host", "127.0.0.1", "--port", fmt.Sprint(p), "--createTableMs", "0")
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
