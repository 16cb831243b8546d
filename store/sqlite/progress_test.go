package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

// TestMigrateExecProgress opens a database in the format before migration
// 0012, where an execution's seq, event count and transitions sat in its
// executions row: Open moves them to exec_progress, and steps go on from
// them.
func TestMigrateExecProgress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := sqlkit.Migrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version >= 12 {
			break
		}
		body, err := migrationFS.ReadFile("migrations/" + m.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := db.Exec("PRAGMA user_version = " + strconv.Itoa(m.Version)); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct {
		arn, status        string
		seq, events, trans int
	}{{"running", "RUNNING", 2, 3, 4}, {"done", "SUCCEEDED", 5, 9, 7}} {
		if _, err := db.Exec(`INSERT INTO executions (arn, state_machine_arn, name, definition, role_arn, input,
			status, output, error, has_error, cause, has_cause, trace_header, seed, started_at, stopped_at, seq, events,
			transitions) VALUES (?, 'arn:sm', ?, '{}', '', '{}', ?, '', '', 0, '', 0, '', 1, 1, 0, ?, ?, ?)`,
			r.arn, r.arn, r.status, r.seq, r.events, r.trans); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openTest(t, path)
	ctx := t.Context()
	for _, want := range []struct {
		arn, status              string
		seq, events, transitions int64
	}{{"running", "RUNNING", 2, 3, 4}, {"done", "SUCCEEDED", 5, 9, 7}} {
		e, err := s.GetExecution(ctx, want.arn)
		if err != nil {
			t.Fatal(err)
		}
		if e.Status != want.status || e.Seq != want.seq || e.Events != want.events || e.Transitions != want.transitions {
			t.Errorf("%s after the migration: status %s seq %d events %d transitions %d, want %+v",
				want.arn, e.Status, e.Seq, e.Events, e.Transitions, want)
		}
	}
	if err := s.CommitStep(ctx, store.StepParams{ExecutionArn: "running", Seq: 2, Input: []byte("x"), Transitions: 5}); err != nil {
		t.Fatal(err)
	}
	if e, err := s.GetExecution(ctx, "running"); err != nil || e.Seq != 3 || e.Transitions != 5 {
		t.Fatalf("after a step: %+v, %v", e, err)
	}
	if err := s.CommitStep(ctx, store.StepParams{ExecutionArn: "done", Seq: 5, Input: []byte("x")}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("step of an ended execution: %v, want ErrConflict", err)
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('executions')
		WHERE name IN ('seq', 'events', 'transitions')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("executions keeps %d of the moved columns (%v)", n, err)
	}
}
