package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// TestSecondOpenLocked opens a database that a Store holds, from this
// process and from another: both are refused with ErrLocked, and the
// refused opener changes nothing, not even the holder's claimed tasks.
func TestSecondOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "statecraft.db")
	s := openTest(t, path)
	ctx := t.Context()
	const act = "arn:aws:states:us-east-1:123456789012:activity:a"
	if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution("e"), Step: store.StepParams{Input: []byte("1"),
		AddTasks: []store.Task{{Token: "tok", Ref: 1, ActivityArn: act, Input: "{}", CreatedAt: time.Now()}}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitStep(ctx, store.StepParams{ExecutionArn: "e", Seq: 1,
		ClaimTasks: []store.TaskClaim{{Token: "tok", WorkerName: "w1"}}}); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(path, DefaultOptions())
	if err == nil {
		s2.Close()
		t.Fatal("a second Open of a database in use succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	want := fmt.Sprintf("%s is locked by %s (process %d)", path, path+".lock", os.Getpid())
	if !strings.Contains(err.Error(), want) {
		t.Errorf("second Open = %q, want it to say %q", err, want)
	}

	// Another process, as a second server would be.
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "STATECRAFT_TEST_OPEN="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "LOCKED: ") || !strings.Contains(string(out), "(process "+strconv.Itoa(os.Getpid())+")") {
		t.Fatalf("helper process did not find the database locked by this process:\n%s", out)
	}

	task, err := s.GetTask(ctx, "tok")
	if err != nil || !task.Started || task.WorkerName != "w1" {
		t.Fatalf("after refused opens the claimed task is %+v, %v; want it still claimed by w1", task, err)
	}
	// The holder goes on writing.
	if err := s.TagResource(ctx, store.TagResourceParams{Arn: "arn", Tags: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
}

// TestMain runs the other process of TestSecondOpenLocked when asked to:
// it opens the database and says how that went.
func TestMain(m *testing.M) {
	if path := os.Getenv("STATECRAFT_TEST_OPEN"); path != "" {
		s, err := Open(path, DefaultOptions())
		switch {
		case err == nil:
			s.Close()
			fmt.Println("OPENED")
		case errors.Is(err, ErrLocked):
			fmt.Println("LOCKED: " + err.Error())
		default:
			fmt.Println("ERROR: " + err.Error())
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestLockReleased checks that Close gives the database up to the next
// opener, and that the lock file then names the new holder.
func TestLockReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "statecraft.db")
	for i := range 3 {
		s, err := Open(path, DefaultOptions())
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		b, err := os.ReadFile(path + ".lock")
		if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
			t.Errorf("lock file = %q, %v; want this pid", b, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFileModes checks the database, its -wal and -shm files and the
// lock file are private to their owner, whatever the umask, and that
// files an older version left readable by others are restricted.
func TestFileModes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "statecraft.db")
	check := func(when string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Errorf("%s: %v", when, err)
				continue
			}
			if m := fi.Mode().Perm(); m != 0o600 {
				t.Errorf("%s: %s has mode %04o, want 0600", when, filepath.Base(p), m)
			}
		}
	}
	s, err := Open(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartExecution(t.Context(), store.StartExecutionParams{Execution: testExecution("e"), Step: store.StepParams{Input: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	check("new database")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// As an older version left them: world-readable. The -wal and -shm
	// files may be gone after a clean close; make them exist.
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	opts := DefaultOptions()
	opts.Log = slog.New(slog.NewTextHandler(&logs, nil))
	s, err = Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.TagResource(t.Context(), store.TagResourceParams{Arn: "arn", Tags: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	check("reopened")
	if n := strings.Count(logs.String(), "mode restricted to 0600"); n != 4 {
		t.Errorf("%d files logged as restricted, want 4:\n%s", n, logs.String())
	}
}
