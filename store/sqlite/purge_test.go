package sqlite

import (
	"bytes"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// TestOldDatabaseVacuumedOnce opens a database made before incremental
// auto-vacuum: Open rebuilds it in that mode once (and says so), keeps
// its rows, and does not do it again.
func TestOldDatabaseVacuumedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "statecraft.db")
	db, err := sql.Open("sqlite", dsn(path, DefaultOptions(), false))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA auto_vacuum = NONE", "PRAGMA journal_mode = WAL"} {
		if _, err := conn.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), `INSERT INTO tags (arn, key, value) VALUES ('arn', 'k', 'v')`); err != nil {
		t.Fatal(err)
	}
	var av int
	if err := conn.QueryRowContext(t.Context(), "PRAGMA auto_vacuum").Scan(&av); err != nil || av != 0 {
		t.Fatalf("old database auto_vacuum = %d, %v; want 0", av, err)
	}
	conn.Close()
	db.Close()

	for i, wantLog := range []bool{true, false} {
		var logs bytes.Buffer
		opts := DefaultOptions()
		opts.Log = slog.New(slog.NewTextHandler(&logs, nil))
		s, err := Open(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(logs.String(), "one-time VACUUM done"); got != wantLog {
			t.Errorf("open %d: VACUUM logged = %v, want %v:\n%s", i, got, wantLog, logs.String())
		}
		if err := s.rdb.QueryRowContext(t.Context(), "PRAGMA auto_vacuum").Scan(&av); err != nil || av != autoVacuumIncremental {
			t.Errorf("open %d: auto_vacuum = %d, %v; want incremental", i, av, err)
		}
		if tags, err := s.ListTags(t.Context(), "arn"); err != nil || tags["k"] != "v" {
			t.Errorf("open %d: tags = %v, %v; the VACUUM lost rows", i, tags, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// A new database is in incremental auto-vacuum mode from its first table.
func TestNewDatabaseIncremental(t *testing.T) {
	var logs bytes.Buffer
	opts := DefaultOptions()
	opts.Log = slog.New(slog.NewTextHandler(&logs, nil))
	s, err := Open(filepath.Join(t.TempDir(), "statecraft.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var av int
	if err := s.rdb.QueryRowContext(t.Context(), "PRAGMA auto_vacuum").Scan(&av); err != nil || av != autoVacuumIncremental {
		t.Errorf("auto_vacuum = %d, %v; want incremental", av, err)
	}
	if strings.Contains(logs.String(), "VACUUM") {
		t.Errorf("a new database was vacuumed:\n%s", logs.String())
	}
}

// pragma reads an integer pragma through the read pool.
func pragma(t *testing.T, s *Store, name string) int64 {
	t.Helper()
	var v int64
	if err := s.rdb.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPurgeGivesSpaceBack checks that purging hands the pages it frees
// back to the file system (incremental vacuum), not only to the free list,
// and that a purge holds the writer for a bounded batch: many small purges,
// not one big one.
func TestPurgeGivesSpaceBack(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "statecraft.db"))
	ctx := t.Context()
	body := bytes.Repeat([]byte("x"), 2000)
	now := time.Now()
	const n = 600
	for i := range n {
		arn := fmt.Sprintf("arn:aws:states:us-east-1:123456789012:execution:sm:%04d", i)
		var evs []store.Event
		for k := range 8 {
			evs = append(evs, store.Event{ID: int64(k + 1), Type: "T", Timestamp: now, Body: body})
		}
		if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution(arn), Step: store.StepParams{Input: body, Events: evs,
			Final: &store.Final{Status: "SUCCEEDED", Output: "{}", StoppedAt: now}}}); err != nil {
			t.Fatal(err)
		}
	}
	full := pragma(t, s, "page_count")
	pageSize := pragma(t, s, "page_size")
	t.Logf("%d executions: %d pages of %d bytes", n, full, pageSize)
	if full*pageSize < n*8*2000 {
		t.Fatalf("only %d pages for %d bytes of events", full, n*8*2000)
	}
	calls := 0
	for {
		k, err := s.PurgeExecutions(ctx, store.PurgeParams{StoppedBefore: now.Add(time.Second), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if k > 100 {
			t.Fatalf("a purge of limit 100 purged %d", k)
		}
		calls++
		if k == 0 {
			break
		}
	}
	// Whatever the batches left on the free list, calls that purge
	// nothing go on giving it back.
	for pragma(t, s, "freelist_count") > 0 && calls < 100 {
		if _, err := s.PurgeExecutions(ctx, store.PurgeParams{StoppedBefore: now.Add(time.Second), Limit: 100}); err != nil {
			t.Fatal(err)
		}
		calls++
	}
	after, free := pragma(t, s, "page_count"), pragma(t, s, "freelist_count")
	t.Logf("after %d purges: %d pages, %d free", calls, after, free)
	if free != 0 {
		t.Errorf("%d pages still on the free list", free)
	}
	if after > full/10 {
		t.Errorf("the database still has %d pages of its %d: the purge did not give the space back", after, full)
	}
}
