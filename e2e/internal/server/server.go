// Package server starts the real `statecraft server` binary for the
// end-to-end tests, as a user following the README would: built from
// cmd/statecraft, listening on a free loopback port, and ready once its
// banner shows the CLI command and it answers the API.
package server

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth/authtest"
)

// Start builds cmd/statecraft (from a test of a package in e2e/, whose
// directory is the working directory), runs `statecraft server` on a free
// port and returns its endpoint once it answers. The server is stopped
// (SIGINT, then SIGKILL) when the test ends, and its log is shown if the
// test failed.
func Start(t testing.TB, dir string, extraArgs ...string) string {
	t.Helper()
	bin := filepath.Join(dir, "statecraft")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/statecraft")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	stdoutPath, stderrPath := filepath.Join(dir, "server.out"), filepath.Join(dir, "server.log")
	stdout, err := os.Create(stdoutPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	// Port 0: the server picks a free port and prints its endpoint, so
	// there is no window in which another process can take the port.
	srv := exec.Command(bin, append([]string{"server", "--listen", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--log-level", "debug"}, extraArgs...)...)
	srv.Stdout, srv.Stderr = stdout, stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	t.Cleanup(func() {
		_ = srv.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(60 * time.Second):
			t.Errorf("server did not stop within 60s of SIGINT; killing it")
			_ = srv.Process.Kill()
			<-exited
		}
		if t.Failed() {
			out, _ := os.ReadFile(stdoutPath)
			log, _ := os.ReadFile(stderrPath)
			t.Logf("server stdout:\n%s\nserver log:\n%s", out, log)
		}
	})

	listening := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(stderrPath)
			t.Fatalf("server exited before answering: %v\n%s", err, log)
		default:
		}
		out, _ := os.ReadFile(stdoutPath)
		// The banner is written a line at a time, the CLI command last:
		// it is looked for until the deadline, not in the first read that
		// finds the endpoint.
		if m := listening.FindSubmatch(out); m != nil {
			endpoint := string(m[1])
			if bytes.Contains(out, []byte("aws stepfunctions list-state-machines --endpoint-url "+endpoint)) && answers(endpoint) {
				return endpoint
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not answer, or its banner did not show the CLI command, within 2 minutes; stdout:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answers tells whether the server answers the API (signed with the
// development pair: a server with credentials answers it with an error,
// which is an answer too).
func answers(endpoint string) bool {
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := authtest.Client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusBadRequest
}
