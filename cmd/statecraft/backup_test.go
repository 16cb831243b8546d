package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth/authtest"
)

// startServer runs `statecraft server` on data as a process of its own
// and returns its address once it answers; it is stopped with SIGTERM
// when the test ends, or by calling stop.
func startServer(t *testing.T, data string) (addr string, stop func()) {
	t.Helper()
	return startServerWith(t, data)
}

// startServerWith is startServer with more flags.
func startServerWith(t *testing.T, data string, flags ...string) (addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, append([]string{"server", "--data", data, "--listen", addr, "--no-sync"}, flags...)...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("the server did not stop on SIGTERM:\n%s", logs.String())
		}
	}
	t.Cleanup(stop)
	for i := 0; ; i++ {
		if _, err := sfn(addr, "ListActivities", `{}`); err == nil {
			return addr, stop
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the server exited: %v\n%s", err, logs.String())
		default:
		}
		if i > 600 {
			t.Fatalf("the server never answered:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sfn makes one signed Step Functions call and returns its body.
func sfn(addr, op, body string) (string, error) {
	req, _ := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := authtest.Client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		return "", &httpError{resp.Status, b.String()}
	}
	return b.String(), nil
}

type httpError struct{ status, body string }

func (e *httpError) Error() string { return e.status + " " + e.body }

// backup and restore as separate processes from the server's: the
// backup is taken while the server runs, refused onto an existing
// directory; restore is refused into the running server's directory and
// into a non-empty one, and a server started on the restored directory
// serves what the first one had.
func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr, stop := startServer(t, data)
	if _, err := sfn(addr, "CreateActivity", `{"name":"kept"}`); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "backup")
	r := statecraft(t, "", "backup", "--data", data, out)
	if r.code != 0 || !strings.Contains(r.stdout, "backed up "+data+" to "+out) || !strings.Contains(r.stdout, "0 executions (0 running)") {
		t.Fatalf("backup while the server runs: %v", r)
	}
	if r := statecraft(t, "", "backup", "--data", data, out); r.code != 1 || !strings.Contains(r.stderr, out+" exists") {
		t.Errorf("backup onto an existing directory: %v", r)
	}
	// STATECRAFT_DATA names the data directory, as for the server.
	cmd := exec.Command(binary, "backup", filepath.Join(dir, "backup2"))
	cmd.Env = append(os.Environ(), "STATECRAFT_DATA="+data)
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "backed up "+data) {
		t.Errorf("backup with STATECRAFT_DATA: %v\n%s", err, b)
	}
	if r := statecraft(t, "", "backup", "--data", data); r.code != 1 || !strings.Contains(r.stderr, "accepts 1 arg") {
		t.Errorf("backup without OUT: %v", r)
	}

	if r := statecraft(t, "", "restore", out, "--data", data); r.code != 1 || !strings.Contains(r.stderr, "is in use by a Statecraft server") {
		t.Errorf("restore into the running server's directory: %v", r)
	}
	full := filepath.Join(dir, "full")
	os.Mkdir(full, 0o700)
	os.WriteFile(filepath.Join(full, "notes"), nil, 0o600)
	if r := statecraft(t, "", "restore", out, "--data", full); r.code != 1 || !strings.Contains(r.stderr, "not empty (it holds notes)") {
		t.Errorf("restore into a non-empty directory: %v", r)
	}
	stop()

	restored := filepath.Join(dir, "restored")
	r = statecraft(t, "", "restore", out, "--data", restored)
	if r.code != 0 || !strings.Contains(r.stdout, "restored "+out) {
		t.Fatalf("restore: %v", r)
	}
	addr, _ = startServer(t, restored)
	body, err := sfn(addr, "ListActivities", `{}`)
	if err != nil || !strings.Contains(body, `"name":"kept"`) {
		t.Errorf("the restored server's activities: %s, %v", body, err)
	}
}
