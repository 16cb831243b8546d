package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// loadStore runs executions on s until ctx ends, each through start, two
// steps and an end, every write adding events with the next ids; ended
// receives each execution's ARN once its ending is committed.
func loadStore(ctx context.Context, t *testing.T, s *Store, workers int, ended func(string)) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			ev := func(ids ...int64) []store.Event {
				var out []store.Event
				for _, id := range ids {
					out = append(out, store.Event{ID: id, Type: "Pass", Timestamp: time.Now(), Body: []byte(`{"x":"` + strings.Repeat("y", 200) + `"}`)})
				}
				return out
			}
			for i := 0; ctx.Err() == nil; i++ {
				arn := fmt.Sprintf("e-%d-%d", w, i)
				err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution(arn),
					Step: store.StepParams{Input: []byte("1"), Events: ev(1, 2)}})
				if err == nil {
					err = s.CommitStep(ctx, store.StepParams{ExecutionArn: arn, Seq: 1, Input: []byte("2"), Events: ev(3, 4, 5)})
				}
				if err == nil {
					err = s.CommitStep(ctx, store.StepParams{ExecutionArn: arn, Seq: 2, Input: []byte("3"), Events: ev(6),
						Final: &store.Final{Status: "SUCCEEDED", Output: "{}", StoppedAt: time.Now()}})
				}
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("load: %v", err)
					}
					return
				}
				ended(arn)
			}
		})
	}
	return &wg
}

// TestSnapshotUnderLoad snapshots a database while executions commit to
// it: every snapshot passes the integrity check, holds every execution
// that had ended when it began, and catches each execution between two
// commits, never inside one (its events run 1..n, its inputs 1..seq).
func TestSnapshotUnderLoad(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, filepath.Join(dir, "statecraft.db"))
	var mu sync.Mutex
	var ended []string
	ctx, stop := context.WithCancel(t.Context())
	wg := loadStore(ctx, t, s, 4, func(arn string) { mu.Lock(); ended = append(ended, arn); mu.Unlock() })
	defer func() { stop(); wg.Wait() }()

	for i := range 5 {
		// Some executions end before each snapshot.
		for {
			mu.Lock()
			n := len(ended)
			mu.Unlock()
			if n > 20*(i+1) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		mu.Lock()
		before := append([]string(nil), ended...)
		mu.Unlock()
		dst := filepath.Join(dir, fmt.Sprintf("snap%d.db", i))
		sum, err := Snapshot(t.Context(), filepath.Join(dir, "statecraft.db"), dst)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Executions < int64(len(before)) || sum.Bytes == 0 {
			t.Errorf("snapshot %d: %+v, but %d executions had ended before it", i, sum, len(before))
		}
		checkSnapshot(t, dst, before)
	}
}

// checkSnapshot opens a snapshot on its own and checks what
// TestSnapshotUnderLoad promises of it.
func checkSnapshot(t *testing.T, path string, ended []string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", path, m)
	}
	db, err := sql.Open("sqlite", fileDSN(path, "ro"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check, mode string
	var av, version int
	for q, dst := range map[string]any{"PRAGMA integrity_check": &check, "PRAGMA journal_mode": &mode, "PRAGMA auto_vacuum": &av, "PRAGMA user_version": &version} {
		if err := db.QueryRow(q).Scan(dst); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	latest, _ := schemaVersion()
	if check != "ok" || mode != "delete" || av != autoVacuumIncremental || version != latest {
		t.Errorf("%s: integrity_check %q, journal_mode %q, auto_vacuum %d, user_version %d", path, check, mode, av, version)
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
	rows.Close()
	for _, arn := range ended {
		if status[arn] != "SUCCEEDED" {
			t.Errorf("%s: %s had ended before the snapshot; it holds it as %q", path, arn, status[arn])
		}
	}
	var broken int
	err = db.QueryRow(`SELECT count(*) FROM executions e JOIN exec_progress p USING (id) WHERE
		(SELECT sum(coalesce(last_id, id) - id + 1) FROM events WHERE exec_id = e.id) != (SELECT max(coalesce(last_id, id)) FROM events WHERE exec_id = e.id)
		OR (SELECT min(id) FROM events WHERE exec_id = e.id) != 1
		OR (SELECT count(*) FROM inputs WHERE exec_id = e.id) + (SELECT count(seq) FROM events WHERE exec_id = e.id) != p.seq
		OR (e.status = 'SUCCEEDED') != (p.seq = 3)
		OR (e.status = 'RUNNING') != p.running`).Scan(&broken)
	if err != nil || broken != 0 {
		t.Errorf("%s: %d executions caught inside a commit (%v)", path, broken, err)
	}
}

// A snapshot of a database no Store has open is the same, and taking it
// leaves the database as it was, WAL and all, for the next Open.
func TestSnapshotOfClosedDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "statecraft.db")
	s, err := Open(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	var ended []string
	var mu sync.Mutex
	wg := loadStore(ctx, t, s, 1, func(arn string) {
		mu.Lock()
		defer mu.Unlock()
		if ended = append(ended, arn); len(ended) == 10 {
			stop()
		}
	})
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "snap.db")
	sum, err := Snapshot(t.Context(), path, dst)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Executions != int64(len(ended)) || sum.Running != 0 {
		t.Errorf("summary %+v, want %d executions all ended", sum, len(ended))
	}
	checkSnapshot(t, dst, ended)
	// The copy opens as a store, in WAL mode again, with everything in it.
	s2 := openTest(t, dst)
	for _, arn := range ended {
		if e, err := s2.GetExecution(t.Context(), arn); err != nil || e.Status != "SUCCEEDED" {
			t.Errorf("%s in the opened copy: %+v, %v", arn, e, err)
		}
	}
	var mode string
	if err := s2.rdb.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("the opened copy's journal_mode = %q, %v", mode, err)
	}
	openTest(t, path) // the source still opens
}

func TestSnapshotRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "statecraft.db")
	openTest(t, path)
	exists := filepath.Join(dir, "exists.db")
	if err := os.WriteFile(exists, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Snapshot(t.Context(), path, exists); !errors.Is(err, os.ErrExist) {
		t.Errorf("Snapshot onto an existing file = %v, want ErrExist", err)
	}
	if b, _ := os.ReadFile(exists); string(b) != "mine" {
		t.Errorf("the existing file was changed to %q", b)
	}
	if _, err := Snapshot(t.Context(), filepath.Join(dir, "none.db"), filepath.Join(dir, "out.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Snapshot of a missing database = %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("Snapshot created the missing database")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Snapshot(ctx, path, filepath.Join(dir, "cancelled.db")); err == nil {
		t.Error("Snapshot with an ended context succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "cancelled.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed Snapshot left its file behind (%v)", err)
	}
}

// Verify refuses what a restore must not put in place: a damaged file,
// a file that is no database of ours, a schema from a newer binary.
func TestVerifyRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "statecraft.db")
	s := openTest(t, path)
	ctx, stop := context.WithCancel(t.Context())
	var n int
	loadStore(ctx, t, s, 1, func(string) {
		if n++; n == 50 {
			stop()
		}
	}).Wait()
	good := filepath.Join(dir, "good.db")
	if _, err := Snapshot(t.Context(), path, good); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// Garbage over a page in the middle: a b-tree page the check walks.
	damaged := append([]byte(nil), b...)
	copy(damaged[len(b)/2&^4095:], strings.Repeat("\xff", 4096))
	newer := filepath.Join(dir, "newer.db")
	if err := os.WriteFile(newer, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", fileDSN(newer, "rw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	empty := filepath.Join(dir, "empty.db")
	db, err = sql.Open("sqlite", "file:"+empty)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"damaged.db": {damaged, ""},
		"text.db":    {[]byte("not a database at all, but long enough to look like a header of one"), "not a database"},
		"newer.db":   {nil, "schema version 999 is newer than this binary's"},
		"empty.db":   {nil, "not a Statecraft database"},
	} {
		p := filepath.Join(dir, name)
		if c.data != nil {
			if err := os.WriteFile(p, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Verify(t.Context(), p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Verify(%s) = %v, want an error saying %q", name, err, c.want)
		}
	}
	if _, err := Verify(t.Context(), good); err != nil {
		t.Errorf("Verify of the good copy: %v", err)
	}
}

// Lock keeps a Store off the database and a Store keeps Lock off it.
func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "statecraft.db")
	l, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, DefaultOptions()); !errors.Is(err, ErrLocked) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open while Lock holds the database = %v, want ErrLocked", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused Open created the database (%v)", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	openTest(t, path)
	if l, err := Lock(path); !errors.Is(err, ErrLocked) {
		if l != nil {
			l.Close()
		}
		t.Fatalf("Lock while a Store holds the database = %v, want ErrLocked", err)
	}
}
