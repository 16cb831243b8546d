package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/statecraft/statecraft/store/sqlite"
)

// signedCall sends one Step Functions request signed with the
// development key pair, as every client will have to.
func signedCall(t *testing.T, addr, target, body string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "states", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return http.DefaultClient.Do(req)
}

// The data directory is private to the server's user, and so are the
// files in it: a directory an older version made 0755 is restricted, and
// says so in the log.
func TestServerFileModes(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	// A tenant makes the workflow API write workflows.json at start-up.
	proj := filepath.Join(t.TempDir(), "statecraft.yaml")
	if err := os.WriteFile(proj, []byte("tenants:\n  acme:\n    apiKeys: [\"0123456789abcdef-acme\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := DefaultServerOptions()
	o.Data, o.NoSync, o.Project = data, true, proj
	addr, _, logs := startTestServer(t, o)
	// A write, so that the WAL and its index exist.
	resp, err := signedCall(t, addr, "CreateActivity", `{"name":"modes"}`)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("CreateActivity: %s", resp.Status)
	}

	fi, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o700 {
		t.Errorf("data directory mode %04o, want 0700", m)
	}
	if !strings.Contains(logs.String(), "mode restricted to 0700") {
		t.Errorf("the restriction was not logged:\n%s", logs)
	}
	for _, name := range []string{"statecraft.db", "statecraft.db-wal", "statecraft.db-shm", "statecraft.db.lock", "workflows.json"} {
		fi, err := os.Stat(filepath.Join(data, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", name, m)
		}
	}
}

// A new data directory is created 0700.
func TestServerNewDataDir(t *testing.T) {
	data := filepath.Join(t.TempDir(), "a", "data")
	o := DefaultServerOptions()
	o.Data, o.NoSync = data, true
	_, _, logs := startTestServer(t, o)
	fi, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o700 {
		t.Errorf("new data directory mode %04o, want 0700", m)
	}
	if strings.Contains(logs.String(), "restricted") {
		t.Errorf("a new directory was logged as restricted:\n%s", logs)
	}
}

// A second server on the same data directory stops before doing anything,
// saying which directory and why; the first goes on serving.
func TestServerDataDirInUse(t *testing.T) {
	o := DefaultServerOptions()
	o.Data, o.NoSync = t.TempDir(), true
	addr, _, _ := startTestServer(t, o)

	o2 := o
	o2.Listen = "127.0.0.1:0"
	var stdout, stderr bytes.Buffer
	err := Server(context.Background(), o2, &stdout, &stderr)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code == 0 {
		t.Fatalf("second server = %v, want a non-zero exit", err)
	}
	if !errors.Is(ee.Err, sqlite.ErrLocked) {
		t.Errorf("second server's error %v does not wrap sqlite.ErrLocked", err)
	}
	msg := err.Error()
	for _, want := range []string{"data directory " + o.Data + " is in use by another Statecraft server", "--data"} {
		if !strings.Contains(msg, want) {
			t.Errorf("second server's error %q does not say %q", msg, want)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("second server printed a banner: %q", stdout.String())
	}
	resp, err := signedCall(t, addr, "ListStateMachines", `{}`)
	if err != nil {
		t.Fatalf("first server after the second one's attempt: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("first server after the second one's attempt: %s", resp.Status)
	}
}
