// Package testservers starts, for tests, real servers that speak the AWS
// services' protocols on 127.0.0.1: goaws (SQS and SNS) in process,
// dynalite (DynamoDB, an npm package run with the machine's node),
// gofakes3 (S3) in process, and an EventBridge PutEvents recorder, since
// no EventBridge-compatible server is available.
package testservers

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Admiral-Piett/goaws/app/conf"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/sirupsen/logrus"
)

// Account is the account goaws names queues and topics in.
const Account = "123456789012"

var (
	goawsOnce     sync.Once
	goawsEndpoint string
	goawsErr      error
)

// Goaws is the endpoint of the process's goaws server (SQS and SNS),
// started the first time: goaws keeps its queues in package state, so
// one serves every test of the process; tests use their own names.
// goaws speaks SQS's query protocol only (set protocol: query).
func Goaws(t testing.TB) string {
	t.Helper()
	goawsOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			goawsErr = err
			return
		}
		port := ln.Addr().(*net.TCPAddr).Port
		dir, err := os.MkdirTemp("", "goaws")
		if err != nil {
			goawsErr = err
			return
		}
		cfg := fmt.Sprintf("Local:\n  Host: 127.0.0.1\n  Port: %d\n  Region: us-east-1\n  AccountId: %q\n", port, Account)
		file := filepath.Join(dir, "goaws.yaml")
		if goawsErr = os.WriteFile(file, []byte(cfg), 0o644); goawsErr != nil {
			return
		}
		// goaws logs every request at info level to stdout; its
		// warnings and errors are what a failing test needs.
		logrus.SetLevel(logrus.WarnLevel)
		conf.LoadYamlConfig(file, "Local")
		go func() { _ = http.Serve(ln, router.New()) }()
		goawsEndpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
	})
	if goawsErr != nil {
		t.Fatalf("goaws: %v", goawsErr)
	}
	return goawsEndpoint
}

// QueueURL is the URL of goaws's queue name.
func QueueURL(endpoint, name string) string { return endpoint + "/" + Account + "/" + name }

// S3 starts an in-memory gofakes3 store and returns its endpoint (path
// style).
func S3(t testing.TB) string {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

// DynaliteVersion is the npm package the DynamoDB tests run.
const DynaliteVersion = "dynalite@4.0.0"

// Dynalite installs dynalite into a cache directory the first time
// (npm, with the machine's node), starts it on a free loopback port and
// returns its endpoint; it stops when the test ends.
func Dynalite(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("the DynamoDB tests run dynalite: install node and npm")
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	dir := filepath.Join(cache, "statecraft-dynalite")
	installMu.Lock()
	err = install(dir)
	installMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	// Port 0 and the port printed back: no window in which another
	// process could take a port picked beforehand.
	script := `const d = require('dynalite')({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0});
const s = d.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port));`
	cmd := exec.Command(node, "-e", script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(out)
	ready := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if p, ok := strings.CutPrefix(lines.Text(), "port "); ok {
				ready <- p
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case p := <-ready:
		return "http://127.0.0.1:" + p
	case <-time.After(2 * time.Minute):
		t.Fatal("dynalite did not start within 2 minutes")
	}
	return ""
}

var installMu sync.Mutex

func install(dir string) error {
	stamp := filepath.Join(dir, ".installed")
	if b, err := os.ReadFile(stamp); err == nil && string(b) == DynaliteVersion {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"private": true}`), 0o644); err != nil {
		return err
	}
	cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--save-exact", DynaliteVersion)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm install %s: %v\n%s", DynaliteVersion, err, out)
	}
	return os.WriteFile(stamp, []byte(DynaliteVersion), 0o644)
}

// EventsRecorder is an HTTP endpoint that answers EventBridge's PutEvents
// (JSON protocol) and records each request's entries. An entry whose
// Source is "test.fail" is answered as a failed entry, so tests see
// FailedEntryCount > 0 as AWS reports it.
type EventsRecorder struct {
	URL string

	mu      sync.Mutex
	entries []map[string]any
}

// NewEventsRecorder starts a recorder, stopped when the test ends.
func NewEventsRecorder(t testing.TB) *EventsRecorder {
	r := &EventsRecorder{}
	authRE := regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=[^/]+/\d{8}/[a-z0-9-]+/events/aws4_request`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fail := func(status int, typ, msg string) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
		}
		if target := req.Header.Get("X-Amz-Target"); target != "AWSEvents.PutEvents" {
			fail(400, "UnknownOperationException", "this recorder answers AWSEvents.PutEvents only, got "+target)
			return
		}
		if !authRE.MatchString(req.Header.Get("Authorization")) {
			fail(403, "IncompleteSignatureException", "the request is not SigV4-signed for events")
			return
		}
		var in struct{ Entries []map[string]any }
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			fail(400, "ValidationException", err.Error())
			return
		}
		type entry struct {
			EventId      string `json:",omitempty"`
			ErrorCode    string `json:",omitempty"`
			ErrorMessage string `json:",omitempty"`
		}
		out := struct {
			Entries          []entry
			FailedEntryCount int
		}{}
		r.mu.Lock()
		for _, e := range in.Entries {
			if e["Source"] == "test.fail" {
				out.Entries = append(out.Entries, entry{ErrorCode: "InternalFailure", ErrorMessage: "the recorder fails entries of source test.fail"})
				out.FailedEntryCount++
				continue
			}
			r.entries = append(r.entries, e)
			out.Entries = append(out.Entries, entry{EventId: fmt.Sprintf("event-%d", len(r.entries))})
		}
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("x-amzn-RequestId", "recorder-request")
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// Entries are the entries put so far.
func (r *EventsRecorder) Entries() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.entries...)
}

// Wait polls until cond holds or a generous minute passes.
func Wait(ctx context.Context, cond func() bool) bool {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}
