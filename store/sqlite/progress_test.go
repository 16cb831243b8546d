package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

// TestMigrateExecProgress opens a database in the format before migration
// 0012, where an execution's seq, event count and transitions sat in its
// executions row: Open moves them to exec_progress, and steps go on from
// them.
func TestMigrateExecProgress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := migratedTo(t, path, 11)
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

// migratedTo creates a database at path with the migrations up to
// version applied, and returns it open.
func migratedTo(t *testing.T, path string, version int) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := sqlkit.Migrations(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version > version {
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
	return db
}

// TestMigrateEventsPacked opens a database from before migration 0013,
// with a row per event: its histories read as before, a step repeating
// an event id is still refused (by exec_progress.last_event, which the
// migration fills in), and a new step's events share a row.
func TestMigrateEventsPacked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := migratedTo(t, path, 12)
	for _, q := range []string{
		`INSERT INTO executions (id, arn, state_machine_arn, name, definition, role_arn, input, status, output, error,
			has_error, cause, has_cause, trace_header, seed, started_at, stopped_at)
			VALUES (1, 'x', 'arn:sm', 'x', '{}', '', '{}', 'RUNNING', '', '', 0, '', 0, '', 1, 1, 0)`,
		`INSERT INTO exec_progress (id, seq, events, transitions, running) VALUES (1, 1, 3, 1, 1)`,
		`INSERT INTO inputs (exec_id, seq, body) VALUES (1, 1, x'31')`,
		`INSERT INTO events (exec_id, id, type, ts, body) VALUES (1, 1, 'ExecutionStarted', 10, x'7b7d'),
			(1, 2, 'PassStateEntered', 11, x'7b7d'), (1, 3, 'PassStateExited', 12, x'7b7d')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openTest(t, path)
	ctx := t.Context()
	history := func() []int64 {
		evs, err := s.History(ctx, store.HistoryParams{ExecutionArn: "x", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, ev := range evs {
			ids = append(ids, ev.ID)
		}
		return ids
	}
	if h := history(); !slices.Equal(h, []int64{1, 2, 3}) {
		t.Fatalf("history after the migration: %v", h)
	}
	ev := func(id int64) store.Event {
		return store.Event{ID: id, Type: "T", Timestamp: time.Unix(0, id), Body: []byte("{}")}
	}
	if err := s.CommitStep(ctx, store.StepParams{ExecutionArn: "x", Seq: 1, Input: []byte("2"),
		Events: []store.Event{ev(3), ev(4)}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a step repeating event 3: %v, want ErrConflict", err)
	}
	if err := s.CommitStep(ctx, store.StepParams{ExecutionArn: "x", Seq: 1, Input: []byte("2"),
		Events: []store.Event{ev(4), ev(5), ev(6)}}); err != nil {
		t.Fatal(err)
	}
	if h := history(); !slices.Equal(h, []int64{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("history after a step: %v", h)
	}
	var rows, last int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*), max(last_id) FROM events WHERE id > 3`).Scan(&rows, &last); err != nil || rows != 1 || last != 6 {
		t.Fatalf("the step's events are in %d rows, last_id %d (%v); want one row, 6", rows, last, err)
	}
	// The inputs: the old step's row of inputs, the new step's in its
	// events' row, and one of a step without events in inputs again.
	if err := s.CommitStep(ctx, store.StepParams{ExecutionArn: "x", Seq: 2, Input: []byte("3")}); err != nil {
		t.Fatal(err)
	}
	ins, err := s.Inputs(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range ins {
		got = append(got, strconv.FormatInt(in.Seq, 10)+":"+string(in.Body))
	}
	if !slices.Equal(got, []string{"1:1", "2:2", "3:3"}) {
		t.Errorf("inputs: %v", got)
	}
	var inEvents int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE seq = 2 AND input = x'32'`).Scan(&inEvents); err != nil || inEvents != 1 {
		t.Errorf("the input of the step with events is in %d of its rows (%v), want 1", inEvents, err)
	}
}

// TestGatheredRows: within a batch the steps' events and inputs go into
// shared INSERTs (rowBatch). An op in a savepoint of its own between the
// steps sees the rows of the steps before it. One step whose event is a
// duplicate fails them all; the batch is then run again, each op in a
// savepoint, and only that step fails.
func TestGatheredRows(t *testing.T) {
	for _, dup := range []bool{false, true} {
		t.Run(map[bool]string{false: "all good", true: "one duplicate"}[dup], func(t *testing.T) {
			testGatheredRows(t, dup)
		})
	}
}

func testGatheredRows(t *testing.T, dup bool) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"))
	ctx := t.Context()
	ev := func(id int64) []store.Event {
		return []store.Event{{ID: id, Type: "T", Timestamp: time.Now(), Body: []byte("{}")}}
	}
	for _, arn := range []string{"a", "b", "d"} {
		if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: testExecution(arn),
			Step: store.StepParams{Input: []byte("0"), Events: ev(1)}}); err != nil {
			t.Fatal(err)
		}
	}
	if dup {
		// A stray row of b's at id 2, which exec_progress does not count:
		// the step's check (last_event) passes and its row is refused
		// only when the rows go in.
		if err := s.write(ctx, func(w *writer) error {
			_, err := w.exec(`INSERT INTO events (exec_id, id, type, ts, body)
				SELECT id, 2, 'T', 0, x'' FROM executions WHERE arn = 'b'`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	release, entered := make(chan struct{}), make(chan struct{})
	go s.write(context.Background(), func(*writer) error {
		close(entered)
		<-release
		return nil
	})
	<-entered
	var seen int
	ops := []func() error{
		func() error {
			return s.CommitStep(ctx, store.StepParams{ExecutionArn: "a", Seq: 1, Input: []byte("1"), Events: ev(2)})
		},
		func() error {
			return s.CommitStep(ctx, store.StepParams{ExecutionArn: "b", Seq: 1, Input: []byte("1"), Events: ev(2)})
		},
		func() error {
			return s.write(ctx, func(w *writer) error {
				return w.queryRow(`SELECT count(*) FROM events JOIN executions x ON x.id = exec_id WHERE x.arn = 'a'`).Scan(&seen)
			})
		},
		func() error {
			return s.CommitStep(ctx, store.StepParams{ExecutionArn: "d", Seq: 1, Input: []byte("1"), Events: ev(2)})
		},
	}
	errs := make([]error, len(ops))
	var wg gosync.WaitGroup
	for i, op := range ops {
		wg.Go(func() { errs[i] = op() })
		for len(s.ops) < i+1 { // queued in this order
			time.Sleep(time.Millisecond)
		}
	}
	r0 := s.w.redone.Load()
	close(release)
	wg.Wait()
	want := map[string]int64{"a": 2, "b": 2, "d": 2}
	wantRedone := int64(0)
	if dup {
		if !errors.Is(errs[1], store.ErrConflict) {
			t.Errorf("step with a duplicate event: %v, want ErrConflict", errs[1])
		}
		errs[1] = nil
		want["b"], wantRedone = 1, 1
	}
	if errs[0] != nil || errs[1] != nil || errs[2] != nil || errs[3] != nil {
		t.Fatalf("errs = %v", errs)
	}
	if n := s.w.redone.Load() - r0; n != wantRedone {
		t.Errorf("batch run again %d times, want %d", n, wantRedone)
	}
	if seen != 2 {
		t.Errorf("the op between the steps saw %d events of a, want 2", seen)
	}
	for arn, want := range want {
		e, err := s.GetExecution(ctx, arn)
		if err != nil || e.Seq != want || e.Events != want {
			t.Errorf("%s: %+v, %v; want seq and events %d", arn, e, err, want)
		}
		in, err := s.Inputs(ctx, arn)
		if err != nil || int64(len(in)) != want {
			t.Errorf("%s: %d inputs, %v; want %d", arn, len(in), err, want)
		}
	}
}
