package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/sqlite"
)

// sfnCall makes one signed Step Functions call and decodes its answer; a
// status other than 200 is an error carrying the body.
func sfnCall(ctx context.Context, addr, op string, in any) (map[string]any, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := authtest.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: %s %s", op, resp.Status, b)
	}
	out := map[string]any{}
	return out, json.Unmarshal(b, &out)
}

func mustCall(t *testing.T, addr, op string, in any) map[string]any {
	t.Helper()
	out, err := sfnCall(t.Context(), addr, op, in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitStatus polls an execution until it is no longer RUNNING.
func waitStatus(t *testing.T, addr, arn string) string {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if st := mustCall(t, addr, "DescribeExecution", map[string]any{"executionArn": arn})["status"].(string); st != "RUNNING" {
			return st
		}
	}
	t.Fatalf("%s still running after a minute", arn)
	return ""
}

const (
	testRole    = "arn:aws:iam::123456789012:role/backup"
	workArn     = "arn:aws:states:us-east-1:123456789012:activity:work"
	tenantKey   = "0123456789abcdef-acme"
	testProject = "tenants:\n  acme:\n    apiKeys: [\"" + tenantKey + "\"]\n"
)

// TestBackupUnderLoadAndRestore backs up a server's data directory
// several times while executions run through it, and checks every
// backup on its own: it passes SQLite's integrity check, holds every
// execution that had ended before the backup began, and holds each
// execution between two of its steps, its history whole (ids 1..n).
// Then it restores the last backup into a new directory and serves it:
// an execution caught in a Wait finishes, activity tasks (one claimed by
// a worker before the backup, one not) are there to be polled and
// complete their executions, a finished execution is described with its
// history, and the tenants and the console token key came along.
func TestBackupUnderLoadAndRestore(t *testing.T) {
	dir := t.TempDir()
	proj := filepath.Join(dir, "statecraft.yaml")
	if err := os.WriteFile(proj, []byte(testProject), 0o600); err != nil {
		t.Fatal(err)
	}
	o := DefaultServerOptions()
	o.Data, o.NoSync, o.Project = filepath.Join(dir, "data"), true, proj
	addr, _, _ := startTestServer(t, o)

	mustCall(t, addr, "CreateActivity", map[string]any{"name": "work"})
	machine := func(name, def string) string {
		return mustCall(t, addr, "CreateStateMachine", map[string]any{"name": name, "definition": def, "roleArn": testRole})["stateMachineArn"].(string)
	}
	quick := machine("quick", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Result":{"x":1},"Next":"C"},"C":{"Type":"Pass","End":true}}}`)
	waiter := machine("waiter", `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.wait","Next":"P"},"P":{"Type":"Pass","End":true}}}`)
	worker := machine("worker", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+workArn+`","End":true}}}`)

	// Two executions on the activity: one task a worker takes before the
	// backups, one left queued.
	var workExecs []string
	for range 2 {
		workExecs = append(workExecs, mustCall(t, addr, "StartExecution", map[string]any{"stateMachineArn": worker, "input": `{"job":1}`})["executionArn"].(string))
	}
	claimed := mustCall(t, addr, "GetActivityTask", map[string]any{"activityArn": workArn, "workerName": "before"})["taskToken"].(string)
	for _, arn := range workExecs {
		for scheduled := false; !scheduled; time.Sleep(10 * time.Millisecond) {
			h := mustCall(t, addr, "GetExecutionHistory", map[string]any{"executionArn": arn})
			for _, e := range h["events"].([]any) {
				scheduled = scheduled || e.(map[string]any)["type"] == "ActivityScheduled"
			}
		}
	}

	// The load: executions started one after another by a few clients,
	// each recorded once DescribeExecution says it has ended.
	var mu sync.Mutex
	var ended []string
	loadCtx, stopLoad := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	loadErr := make(chan error, 4)
	for range 3 {
		wg.Go(func() {
			for loadCtx.Err() == nil {
				out, err := sfnCall(loadCtx, addr, "StartExecution", map[string]any{"stateMachineArn": quick, "input": `{"n":1}`})
				for err == nil {
					var d map[string]any
					if d, err = sfnCall(loadCtx, addr, "DescribeExecution", map[string]any{"executionArn": out["executionArn"]}); err != nil {
						break
					}
					if st := d["status"]; st == "SUCCEEDED" {
						mu.Lock()
						ended = append(ended, d["executionArn"].(string))
						mu.Unlock()
						break
					} else if st != "RUNNING" {
						err = fmt.Errorf("%s: %s", d["executionArn"], st)
					}
				}
				if err != nil {
					if loadCtx.Err() == nil {
						loadErr <- err
					}
					return
				}
			}
		})
	}
	defer func() { stopLoad(); wg.Wait() }()
	endedNow := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(ended)
	}

	// Each round starts an execution that waits, then backs up. The
	// backups go on until three are checked and the last caught the
	// waiting execution in its Wait; should a backup come after the Wait
	// is over, the next round waits twice as long.
	var last, waiting string
	wait := 2
	for round := 0; ; round++ {
		for n := len(endedNow()); len(endedNow()) < n+10; time.Sleep(5 * time.Millisecond) {
			select {
			case err := <-loadErr:
				t.Fatalf("load: %v", err)
			default:
			}
		}
		waiting = mustCall(t, addr, "StartExecution", map[string]any{"stateMachineArn": waiter, "input": fmt.Sprintf(`{"wait":%d}`, wait)})["executionArn"].(string)
		before := endedNow()
		last = filepath.Join(dir, fmt.Sprintf("backup-%d", round))
		var stdout bytes.Buffer
		if err := Backup(t.Context(), BackupOptions{Data: o.Data, Out: last}, &stdout, io.Discard); err != nil {
			t.Fatalf("backup %d: %v", round, err)
		}
		if !strings.Contains(stdout.String(), "executions (") || !strings.Contains(stdout.String(), "backed up "+o.Data+" to "+last) {
			t.Errorf("backup %d printed %q", round, stdout.String())
		}
		status := checkBackup(t, last, before)
		t.Logf("backup %d: %d executions, %d of them ended before it began; the %ds Wait %s", round, len(status), len(before), wait, status[waiting])
		for _, arn := range workExecs {
			if status[arn] != "RUNNING" {
				t.Fatalf("backup %d holds %s as %q, want RUNNING on its activity task", round, arn, status[arn])
			}
		}
		if round >= 2 && status[waiting] == "RUNNING" {
			break
		}
		if status[waiting] != "RUNNING" {
			wait *= 2
		}
	}
	stopLoad()
	wg.Wait()

	// Restored into a directory that does not exist yet.
	restored := filepath.Join(dir, "restored")
	var stdout bytes.Buffer
	if err := Restore(t.Context(), RestoreOptions{Backup: last, Data: restored}, &stdout, io.Discard); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(stdout.String(), "restored "+last) || !strings.Contains(stdout.String(), "statecraft server --data "+restored) {
		t.Errorf("restore printed %q", stdout.String())
	}
	checkModes(t, restored)
	for _, name := range []string{"console.key", "workflows.json"} {
		a, _ := os.ReadFile(filepath.Join(o.Data, name))
		b, err := os.ReadFile(filepath.Join(restored, name))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("restored %s differs from the original (%v)", name, err)
		}
	}

	// Served without the project: the tenants are the restored file's.
	o2 := DefaultServerOptions()
	o2.Data, o2.NoSync = restored, true
	addr2, _, _ := startTestServer(t, o2)

	if st := waitStatus(t, addr2, waiting); st != "SUCCEEDED" {
		t.Errorf("the execution restored in its Wait ended %s", st)
	}
	h := mustCall(t, addr2, "GetExecutionHistory", map[string]any{"executionArn": waiting})
	if evs := h["events"].([]any); evs[len(evs)-1].(map[string]any)["type"] != "ExecutionSucceeded" {
		t.Errorf("the waiting execution's history ends %v", evs[len(evs)-1])
	}

	tokens := map[string]bool{}
	for len(tokens) < 2 {
		tok := mustCall(t, addr2, "GetActivityTask", map[string]any{"activityArn": workArn, "workerName": "after"})["taskToken"].(string)
		if tok == "" {
			t.Fatalf("the restored server has %d activity tasks, want 2", len(tokens))
		}
		tokens[tok] = true
	}
	if !tokens[claimed] {
		t.Error("the task a worker had taken before the backup is not handed out again")
	}
	for tok := range tokens {
		mustCall(t, addr2, "SendTaskSuccess", map[string]any{"taskToken": tok, "output": `{"done":true}`})
	}
	for _, arn := range workExecs {
		if st := waitStatus(t, addr2, arn); st != "SUCCEEDED" {
			t.Errorf("%s ended %s after its restored task was completed", arn, st)
		}
	}

	done := endedNow()[0]
	d := mustCall(t, addr2, "DescribeExecution", map[string]any{"executionArn": done})
	if d["status"] != "SUCCEEDED" || d["output"] != `{"x":1}` {
		t.Errorf("a finished execution, restored: %v", d)
	}
	evs := mustCall(t, addr2, "GetExecutionHistory", map[string]any{"executionArn": done})["events"].([]any)
	for i, e := range evs {
		if id := e.(map[string]any)["id"].(float64); int(id) != i+1 {
			t.Fatalf("restored history of %s: event %d has id %v", done, i, id)
		}
	}
	if evs[len(evs)-1].(map[string]any)["type"] != "ExecutionSucceeded" {
		t.Errorf("restored history of %s ends %v", done, evs[len(evs)-1])
	}

	for key, want := range map[string]int{tenantKey: 200, "0123456789abcdef-nobody": 401} {
		req, _ := http.NewRequest("GET", "http://"+addr2+"/v1/workflows", nil)
		req.Header.Set("X-Api-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /v1/workflows with key %s on the restored server: %s, want %d", key, resp.Status, want)
		}
	}
	// A console token minted from the original directory signs in to the
	// restored server: the key came along.
	var tok bytes.Buffer
	if err := ConsoleToken(ConsoleTokenOptions{Data: o.Data, AccessKeyID: "local", TTL: time.Minute}, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, info, status := signIn(t, "http://"+addr2, `{"token":"`+strings.TrimSpace(tok.String())+`"}`); status != 200 {
		t.Errorf("console token of the original directory on the restored server: %d %v", status, info)
	}
}

// checkBackup checks one backup as TestBackupUnderLoadAndRestore
// promises, and returns the status of each execution in it.
func checkBackup(t *testing.T, backup string, ended []string) map[string]string {
	t.Helper()
	checkModes(t, backup)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(backup, "statecraft.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("%s: integrity_check %q, %v", backup, check, err)
	}
	status := map[string]string{}
	rows, err := db.Query(`SELECT arn, status FROM executions`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var arn, st string
		if err := rows.Scan(&arn, &st); err != nil {
			t.Fatal(err)
		}
		status[arn] = st
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for _, arn := range ended {
		if status[arn] != "SUCCEEDED" {
			t.Errorf("%s: %s had ended before the backup began; the backup holds it as %q", backup, arn, status[arn])
		}
	}
	// Every history runs 1..n from ExecutionStarted; an execution the
	// backup holds as ended ends with its ending event, one it holds as
	// running does not.
	// A row of events holds a step's events (store/sqlite's history.go):
	// the last event is the last one packed into the last row.
	rows, err = db.Query(`SELECT e.arn, e.status, sum(coalesce(v.last_id, v.id) - v.id + 1), min(v.id),
			max(coalesce(v.last_id, v.id)),
			(SELECT type FROM events WHERE exec_id = e.id AND id = 1),
			(SELECT type FROM events WHERE exec_id = e.id ORDER BY id DESC LIMIT 1),
			(SELECT more FROM events WHERE exec_id = e.id ORDER BY id DESC LIMIT 1)
		FROM executions e JOIN events v ON v.exec_id = e.id GROUP BY e.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	histories := 0
	for rows.Next() {
		var arn, st, first, lastType string
		var n, lo, hi int
		var more []byte
		if err := rows.Scan(&arn, &st, &n, &lo, &hi, &first, &lastType, &more); err != nil {
			t.Fatal(err)
		}
		last, err := sqlite.UnpackEvents(nil, store.Event{Type: lastType}, more)
		if err != nil {
			t.Fatal(err)
		}
		lastType = last[len(last)-1].Type
		histories++
		if lo != 1 || hi != n || first != "ExecutionStarted" || (st == "SUCCEEDED") != (lastType == "ExecutionSucceeded") {
			t.Errorf("%s: %s (%s) has %d events, ids %d..%d, from %s to %s", backup, arn, st, n, lo, hi, first, lastType)
		}
	}
	if histories != len(status) {
		t.Errorf("%s: %d executions, %d with a history", backup, len(status), histories)
	}
	return status
}

// checkModes checks a backup or a restored directory is private like a
// data directory: 0700 directories, files readable by their owner only.
func checkModes(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if m := fi.Mode().Perm(); d.IsDir() && m != 0o700 || !d.IsDir() && m&0o077 != 0 {
			t.Errorf("%s has mode %04o", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// newDataDir makes a data directory as a server that has stopped leaves
// it: a database, tenants, the console key, deployed code, and the files
// a server makes and removes as it goes.
func newDataDir(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	code := filepath.Join(data, "functions", "123456789012", "f", "abc123")
	if err := os.MkdirAll(code, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(data, "statecraft.db"), sqlite.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]fs.FileMode{
		"workflows.json":     0o600,
		"console.key":        0o600,
		"workflows.json.tmp": 0o600, // being saved
		"functions/123456789012/f/abc123/bootstrap":    0o700,
		"functions/123456789012/f/abc123/lib/x.js":     0o644,
		"functions/123456789012/f/.abc123.old-xyz/old": 0o600, // being removed
		"functions/123456789012/f/.def456.tmp-xyz/new": 0o600, // being unpacked
	} {
		p := filepath.Join(data, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("contents of "+name), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	return data
}

// A backup holds the data directory's files but the live database's and
// the transient ones, keeps the owner's execute bit, and restores them.
func TestBackupCopiesTheDirectory(t *testing.T) {
	data := newDataDir(t)
	out := filepath.Join(t.TempDir(), "b")
	var stdout bytes.Buffer
	if err := Backup(t.Context(), BackupOptions{Data: data, Out: out}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if want := "other files: 4"; !strings.Contains(stdout.String(), want) || !strings.Contains(stdout.String(), "(console.key, functions/, workflows.json)") {
		t.Errorf("backup printed %q, want it to say %q and name the files", stdout.String(), want)
	}
	var got []string
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	want := []string{"console.key", "functions/123456789012/f/abc123/bootstrap", "functions/123456789012/f/abc123/lib/x.js",
		"statecraft-backup.json", "statecraft.db", "workflows.json"}
	if !slices.Equal(got, want) {
		t.Errorf("backup holds %v, want %v", got, want)
	}
	checkModes(t, out)
	restored := filepath.Join(t.TempDir(), "r")
	if err := Restore(t.Context(), RestoreOptions{Backup: out, Data: restored}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	checkModes(t, restored)
	for _, name := range want[:3] {
		b, err := os.ReadFile(filepath.Join(restored, filepath.FromSlash(name)))
		if err != nil || string(b) != "contents of "+name {
			t.Errorf("restored %s: %q, %v", name, b, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(restored, "functions/123456789012/f/abc123/bootstrap")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("restored executable: %v, %v", fi.Mode(), err)
	}
	// The restored directory opens as a server's would.
	st, err := sqlite.Open(filepath.Join(restored, "statecraft.db"), sqlite.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}

func TestBackupRefuses(t *testing.T) {
	data := newDataDir(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyDir := filepath.Join(dir, "empty")
	if err := os.Mkdir(emptyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	notData := t.TempDir()
	link := filepath.Join(t.TempDir(), "linked")
	if err := os.Symlink(filepath.Join(data, "console.key"), link); err != nil {
		t.Fatal(err)
	}
	withLink := newDataDir(t)
	if err := os.Symlink(link, filepath.Join(withLink, "functions", "link")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, data, out, want string
	}{
		{"existing file", data, file, file + " exists"},
		{"existing empty directory", data, emptyDir, emptyDir + " exists"},
		{"inside the data directory", data, filepath.Join(data, "functions", "b"), "is inside the data directory"},
		{"no database", notData, filepath.Join(dir, "b1"), "holds no statecraft.db"},
		{"missing data directory", filepath.Join(dir, "none"), filepath.Join(dir, "b2"), "no such file"},
		{"a symbolic link", withLink, filepath.Join(dir, "b3"), "is a symbolic link"},
		{"no output", data, "", "give the directory"},
	} {
		err := Backup(t.Context(), BackupOptions{Data: c.data, Out: c.out}, io.Discard, io.Discard)
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != 1 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Backup = %v, want exit 1 saying %q", c.name, err, c.want)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "mine" {
		t.Errorf("the existing file became %q", b)
	}
	// Nothing left behind: not the refused outputs, not a temporary one.
	names, _ := dirNames(dir)
	if !slices.Equal(names, []string{"empty", "file"}) {
		t.Errorf("refused backups left %v", names)
	}
	if names, _ := dirNames(emptyDir); len(names) != 0 {
		t.Errorf("the existing directory now holds %v", names)
	}
}

func TestRestoreRefuses(t *testing.T) {
	data := newDataDir(t)
	backup := filepath.Join(t.TempDir(), "b")
	if err := Backup(t.Context(), BackupOptions{Data: data, Out: backup}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	restore := func(from, into string) error {
		return Restore(t.Context(), RestoreOptions{Backup: from, Data: into}, io.Discard, io.Discard)
	}
	refused := func(what string, err error, want string) {
		t.Helper()
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != 1 || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Restore = %v, want exit 1 saying %q", what, err, want)
		}
	}

	// A directory with something in it, named.
	full := t.TempDir()
	for _, name := range []string{"notes.txt", "statecraft.db"} {
		if err := os.WriteFile(filepath.Join(full, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	refused("a non-empty directory", restore(backup, full), "is not empty (it holds notes.txt, statecraft.db)")
	if names, _ := dirNames(full); !slices.Equal(names, []string{"notes.txt", "statecraft.db"}) {
		t.Errorf("the refused directory now holds %v", names)
	}

	// A directory a server is running on.
	o := DefaultServerOptions()
	o.Data, o.NoSync = t.TempDir(), true
	startTestServer(t, o)
	err := restore(backup, o.Data)
	refused("a server's directory", err, "is in use by a Statecraft server")
	if ee := (*ExitError)(nil); !errors.As(err, &ee) || !errors.Is(ee.Err, sqlite.ErrLocked) {
		t.Errorf("the refusal %v does not wrap sqlite.ErrLocked", err)
	}
	// A server's directory is not empty either: the lock is what is said.
	if strings.Contains(err.Error(), "not empty") {
		t.Errorf("the refusal of a server's directory talks of its files: %v", err)
	}

	// A file, not a directory.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	refused("a file", restore(backup, file), "not a directory")

	// What is not a whole backup: no manifest (a data directory, say),
	// a file changed, a file missing, a file added.
	refused("a data directory as the backup", restore(data, t.TempDir()), "has no statecraft-backup.json")
	damaged := copyBackup(t, backup)
	if err := os.WriteFile(filepath.Join(damaged, "console.key"), []byte("changed"), 0o600); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "target")
	refused("a damaged backup", restore(damaged, target), "the backup is damaged")
	// It leaves the directory as a failed restore can: its lock file, no
	// database, nothing else; and a good restore is taken there after.
	if names, _ := dirNames(target); !slices.Equal(names, []string{"statecraft.db.lock"}) {
		t.Errorf("a failed restore left %v", names)
	}
	missing := copyBackup(t, backup)
	os.Remove(filepath.Join(missing, "workflows.json"))
	refused("a backup missing a file", restore(missing, t.TempDir()), "lacks files its statecraft-backup.json lists: workflows.json")
	extra := copyBackup(t, backup)
	os.WriteFile(filepath.Join(extra, "stray"), nil, 0o600)
	refused("a backup with a stray file", restore(extra, t.TempDir()), "holds files its statecraft-backup.json does not list: stray")
	corrupt := copyBackup(t, backup)
	b, _ := os.ReadFile(filepath.Join(corrupt, "statecraft.db"))
	copy(b[len(b)/2&^4095:], bytes.Repeat([]byte{0xff}, 4096))
	os.WriteFile(filepath.Join(corrupt, "statecraft.db"), b, 0o600)
	fixManifest(t, corrupt, "statecraft.db")
	refused("a database that fails its check", restore(corrupt, t.TempDir()), "the backup's database")

	if err := restore(backup, target); err != nil {
		t.Fatalf("restore into the directory a failed restore left: %v", err)
	}
}

// copyBackup copies a backup directory to a new one, to damage.
func copyBackup(t *testing.T, backup string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(dst, os.DirFS(backup)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// fixManifest makes the manifest agree with the file name as it now is,
// as a damage the manifest cannot see.
func fixManifest(t *testing.T, backup, name string) {
	t.Helper()
	p := filepath.Join(backup, ManifestFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f, err := hashFile(filepath.Join(backup, name))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Files {
		if m.Files[i].Path == name {
			m.Files[i].Size, m.Files[i].SHA256 = f.Size, f.SHA256
		}
	}
	b, _ = json.Marshal(m)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
