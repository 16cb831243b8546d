package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

const statusRunning = "RUNNING"

// finalStatus holds the statuses an execution can end with.
var finalStatus = map[string]bool{"SUCCEEDED": true, "FAILED": true, "TIMED_OUT": true, "ABORTED": true}

// execColumns are those StartExecution sets.
const execColumns = `arn, state_machine_arn, name, definition, role_arn, input, status, output,
	error, has_error, cause, has_cause, trace_header, seed, started_at, stopped_at, parent_token,
	state_machine_version_arn, state_machine_alias_arn`

// execSelect is what reads of an execution select, from execFrom, in
// scanExecution's order.
const execSelect = `arn, state_machine_arn, name, definition, role_arn, input, status, output,
	error, has_error, cause, has_cause, trace_header, seed, started_at, stopped_at, seq, events, parent_token,
	state_machine_version_arn, state_machine_alias_arn, redrive_count, redrive_date, transitions`

// execFrom joins an execution's row to its counters, which steps update
// apart from it (see migration 0012).
const execFrom = `executions JOIN exec_progress USING (id)`

// redrivable holds the statuses a step's Redrive may reopen.
var redrivable = map[string]bool{"FAILED": true, "TIMED_OUT": true, "ABORTED": true}

func scanExecution(sc interface{ Scan(...any) error }) (*store.Execution, error) {
	var e store.Execution
	var seed, started, stopped, redriven int64
	err := sc.Scan(&e.Arn, &e.StateMachineArn, &e.Name, &e.Definition, &e.RoleArn, &e.Input,
		&e.Status, &e.Output, &e.Error, &e.HasError, &e.Cause, &e.HasCause, &e.TraceHeader,
		&seed, &started, &stopped, &e.Seq, &e.Events, &e.ParentToken,
		&e.StateMachineVersionArn, &e.StateMachineAliasArn, &e.RedriveCount, &redriven, &e.Transitions)
	if err != nil {
		return nil, err
	}
	e.Seed = uint64(seed)
	e.StartedAt, e.StoppedAt, e.RedriveDate = fromNanos(started), fromNanos(stopped), fromNanos(redriven)
	return &e, nil
}

func (s *Store) StartExecution(ctx context.Context, p store.StartExecutionParams) error {
	e := p.Execution
	arn := e.Arn
	step := p.Step
	step.ExecutionArn, step.Seq = arn, 0
	return s.writeStep(ctx, func(w *writer) error {
		res, err := w.exec(`INSERT INTO executions (`+execColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', '', '', 0, '', 0, ?, ?, ?, 0, ?, ?, ?)`,
			e.Arn, e.StateMachineArn, e.Name, e.Definition, e.RoleArn, e.Input,
			e.TraceHeader, int64(e.Seed), toNanos(e.StartedAt), e.ParentToken,
			e.StateMachineVersionArn, e.StateMachineAliasArn)
		if isDuplicate(err) {
			return store.ErrAlreadyExists
		}
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := w.exec(`INSERT INTO exec_progress (id, seq, events, transitions, running) VALUES (?, 0, 0, 0, 1)`, id); err != nil {
			return err
		}
		// The step below finds the row by it, without a read.
		w.remember(arn, id)
		return applyStep(w, &step)
	})
}

func (s *Store) CommitStep(ctx context.Context, step store.StepParams) error {
	return s.writeStep(ctx, func(w *writer) error { return applyStep(w, &step) })
}

// applyStep is one step inside the committer's transaction. The seq check
// comes first, so a conflicting step writes nothing and its savepoint has
// nothing to undo.
func applyStep(w *writer, st *store.StepParams) error {
	arn := st.ExecutionArn
	if !st.Fence.IsZero() {
		return store.ErrNoShards
	}
	if f := st.Final; f != nil && !finalStatus[f.Status] {
		return fmt.Errorf("store/sqlite: step of %s: final status %q", arn, f.Status)
	}
	if st.AfterEnd {
		return applyAfterEnd(w, st)
	}
	seq := st.Seq
	if st.Input != nil {
		seq++
	}
	// A step's events come after every event of the history, in order:
	// exec_progress.last_event checks it, as the events table's key, one
	// per row of events (history.go), cannot.
	firstEvent, lastEvent := int64(math.MaxInt64), int64(0) // no events: no check
	for i, ev := range st.Events {
		if i > 0 && ev.ID <= lastEvent {
			return fmt.Errorf("store/sqlite: events of %s out of order (%d after %d): %w", arn, ev.ID, lastEvent, store.ErrConflict)
		}
		lastEvent = ev.ID
	}
	if len(st.Events) > 0 {
		firstEvent = st.Events[0].ID
	}
	var id int64
	if st.Redrive == nil {
		// The common step: the seq and status checks are the UPDATE's
		// condition, on the row id the writer remembers for the ARN, so
		// one statement does what a read and a write did. Only when it
		// matches nothing is the row read, to tell why.
		var ok bool
		id, ok = w.ids[arn]
		if !ok {
			var err error
			if id, err = w.lookupID(arn); err != nil {
				return err
			}
		}
		n, err := w.execN(`UPDATE exec_progress SET seq = ?, events = events + ?, transitions = max(transitions, ?),
			running = ?, last_event = max(last_event, ?) WHERE id = ? AND seq = ? AND running = 1 AND last_event < ?`,
			seq, len(st.Events), st.Transitions, boolInt(st.Final == nil), lastEvent, id, st.Seq, firstEvent)
		if err != nil {
			return err
		}
		if n != 1 {
			delete(w.ids, arn)
			if _, err := w.lookupID(arn); err != nil {
				return err // ErrNotFound
			}
			return store.ErrConflict
		}
		if f := st.Final; f != nil {
			if err := endExecution(w, id, f); err != nil {
				return err
			}
			// Only a redrive steps it again, and that reads the row.
			delete(w.ids, arn)
		}
	} else {
		// Read, check, then write by rowid: the committer is the only
		// writer, so nothing can move the row in between.
		var cur int64
		var status string
		err := w.queryRow(`SELECT id, seq, status FROM `+execFrom+` WHERE arn = ?`, arn).Scan(&id, &cur, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if cur != st.Seq || !redrivable[status] {
			return store.ErrConflict
		}
		if _, err := w.exec(`UPDATE executions SET status = 'RUNNING', output = '', error = '', has_error = 0,
			cause = '', has_cause = 0, stopped_at = 0, redrive_count = redrive_count + 1, redrive_date = ?
			WHERE id = ?`, toNanos(st.Redrive.At), id); err != nil {
			return err
		}
		n, err := w.execN(`UPDATE exec_progress SET seq = ?, events = events + ?, transitions = max(transitions, ?),
			running = ?, last_event = max(last_event, ?) WHERE id = ? AND last_event < ?`,
			seq, len(st.Events), st.Transitions, boolInt(st.Final == nil), lastEvent, id, firstEvent)
		if err != nil {
			return err
		}
		if n != 1 {
			return store.ErrConflict // an event id already in the history
		}
		if f := st.Final; f != nil {
			if err := endExecution(w, id, f); err != nil {
				return err
			}
		}
	}

	if st.Input != nil && len(st.Events) == 0 {
		if err := w.inputs.add(w, id, seq, st.Input); err != nil {
			if isDuplicate(err) {
				return fmt.Errorf("store/sqlite: input %d of %s: %w", seq, arn, store.ErrConflict)
			}
			return err
		}
	}
	var inSeq, in any // NULL without an input
	if st.Input != nil {
		inSeq, in = seq, nonNil(st.Input)
	}
	if err := insertEvents(w, id, st.Events, inSeq, in); err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("store/sqlite: events %d-%d of %s: %w", st.Events[0].ID, st.Events[len(st.Events)-1].ID, arn, store.ErrConflict)
		}
		return err
	}
	// Deletions before additions, so a step that deletes a timer and adds
	// it back (a retry re-arming its back-off) ends with the timer set.
	for _, t := range st.DeleteTimers {
		if _, err := w.exec(`DELETE FROM timers WHERE exec_id = ? AND ref = ? AND kind = ?`,
			id, t.Ref, t.Kind); err != nil {
			return err
		}
	}
	for _, t := range st.AddTimers {
		if err := upsertTimer(w, id, t); err != nil {
			return err
		}
	}
	for _, tok := range st.CloseTasks {
		if _, err := w.exec(`DELETE FROM tasks WHERE token = ? AND exec_id = ?`, tok, id); err != nil {
			return err
		}
	}
	for _, c := range st.ClaimTasks {
		n, err := w.execN(`UPDATE tasks SET started = 1, worker_name = ?
			WHERE token = ? AND exec_id = ? AND started = 0`, c.WorkerName, c.Token, id)
		if err != nil {
			return err
		}
		if n != 1 {
			return store.ErrConflict
		}
	}
	for _, t := range st.AddTasks {
		_, err := w.exec(`INSERT INTO tasks (token, exec_id, ref, activity_arn, input, started,
			worker_name, heartbeat_seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Token, id, t.Ref, t.ActivityArn, t.Input, boolInt(t.Started), t.WorkerName,
			t.HeartbeatSeconds, toNanos(t.CreatedAt))
		if isDuplicate(err) {
			return fmt.Errorf("store/sqlite: task %s of %s: %w", t.Token, arn, store.ErrConflict)
		}
		if err != nil {
			return err
		}
	}
	if err := writeMapRuns(w, id, st); err != nil {
		return err
	}
	if st.Final != nil {
		// An ended execution waits for nothing: its leftover timers would
		// fire for nobody and its tokens must stop being accepted.
		if _, err := w.exec(`DELETE FROM timers WHERE exec_id = ? AND kind <> ?`, id, store.TimerAfterEnd); err != nil {
			return err
		}
		if _, err := w.exec(`DELETE FROM tasks WHERE exec_id = ?`, id); err != nil {
			return err
		}
	}
	return nil
}

// endExecution records how an execution ended, on its row (its counters
// and running flag are the step's).
func endExecution(w *writer, id int64, f *store.Final) error {
	_, err := w.exec(`UPDATE executions SET status = ?, output = ?, error = ?, has_error = ?, cause = ?, has_cause = ?,
		stopped_at = ? WHERE id = ?`,
		f.Status, f.Output, f.Error, boolInt(f.HasError), f.Cause, boolInt(f.HasCause), toNanos(f.StoppedAt), id)
	return err
}

// applyAfterEnd is an AfterEnd step: the execution must still be ended
// at Seq. The committer is the only writer, so nothing can move the row
// between the read and the writes.
func applyAfterEnd(w *writer, st *store.StepParams) error {
	if err := store.CheckAfterEnd(st); err != nil {
		return err
	}
	var id, cur int64
	var status string
	err := w.queryRow(`SELECT id, seq, status FROM `+execFrom+` WHERE arn = ?`, st.ExecutionArn).Scan(&id, &cur, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	if cur != st.Seq || !finalStatus[status] {
		return store.ErrConflict
	}
	for _, t := range st.DeleteTimers {
		if _, err := w.exec(`DELETE FROM timers WHERE exec_id = ? AND ref = ? AND kind = ?`,
			id, t.Ref, t.Kind); err != nil {
			return err
		}
	}
	return writeMapRuns(w, id, st)
}

// nonNil keeps an empty body from being stored as NULL, which the NOT NULL
// column would refuse.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// execID finds an execution's row id; ErrNotFound when there is none.
func execID(w *writer, arn string) (int64, error) {
	if id, ok := w.ids[arn]; ok {
		return id, nil
	}
	return w.lookupID(arn)
}

// lookupID reads an execution's row id and remembers it (see writer.ids);
// ErrNotFound when there is none.
func (w *writer) lookupID(arn string) (int64, error) {
	var id int64
	err := w.queryRow(`SELECT id FROM executions WHERE arn = ?`, arn).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	w.remember(arn, id)
	return id, nil
}

// remember keeps an execution's row id for its next steps.
func (w *writer) remember(arn string, id int64) {
	if len(w.ids) >= maxIDs {
		clear(w.ids)
	}
	w.ids[arn] = id
}

// maxRows is the most rows one multi-row INSERT writes.
const maxRows = 64

// rowBatch gathers rows for one table's multi-row INSERTs. Within a group
// commit's bare steps (see op.bare) the rows of every step go into the
// same few INSERTs, written when maxRows have gathered and before the
// COMMIT, instead of one INSERT per step and table: the statements' own
// cost (binding, running the program, resetting it) is paid per batch
// rather than per step. A failure then cannot be told apart from the
// other steps' rows, so, as for any bare step that fails once it has
// written, the committer rolls the batch back and runs it again with
// every op in a savepoint, where each step writes its own rows at once.
type rowBatch struct {
	head  string // INSERT INTO table (columns) VALUES
	cols  int
	stmts [maxRows + 1]*sql.Stmt // by row count, prepared on first use
	args  []any
}

func (b *rowBatch) rows() int { return len(b.args) / b.cols }

// add appends a row; with defer off (or a full batch) it writes at once.
func (b *rowBatch) add(w *writer, row ...any) error {
	b.args = append(b.args, row...)
	if !w.deferRows || b.rows() >= maxRows {
		return b.flush(w)
	}
	return nil
}

// flush writes the rows gathered so far.
func (b *rowBatch) flush(w *writer) error {
	args := b.args
	defer func() {
		clear(b.args)
		b.args = b.args[:0]
	}()
	for len(args) > 0 {
		n := min(len(args)/b.cols, maxRows)
		st := b.stmts[n]
		if st == nil {
			q := strings.Builder{}
			q.WriteString(b.head)
			for k := range n {
				if k > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?")
				q.WriteString(strings.Repeat(", ?", b.cols-1))
				q.WriteString(")")
			}
			var err error
			if st, err = w.stmt(q.String()); err != nil {
				return err
			}
			b.stmts[n] = st
		}
		if _, err := st.ExecContext(bg, args[:n*b.cols]...); err != nil {
			return err
		}
		w.wrote = true
		args = args[n*b.cols:]
	}
	return nil
}

// discard drops the rows gathered past the first keep.
func (b *rowBatch) discard(keep int) {
	clear(b.args[keep*b.cols:])
	b.args = b.args[:keep*b.cols]
}

// insertEvents writes (or, see rowBatch, gathers) a step's events, in
// one row when their ids follow on (history.go), the step's input (seq
// and in, NULL without one) in the first.
func insertEvents(w *writer, id int64, evs []store.Event, seq, in any) error {
	if len(evs) > 1 && packable(evs) {
		ev := &evs[0]
		return w.events.add(w, id, ev.ID, ev.Type, toNanos(ev.Timestamp), nonNil(ev.Body), packEvents(evs[1:]), evs[len(evs)-1].ID, seq, in)
	}
	for i, ev := range evs {
		if i == 1 {
			seq, in = nil, nil
		}
		if err := w.events.add(w, id, ev.ID, ev.Type, toNanos(ev.Timestamp), nonNil(ev.Body), nil, nil, seq, in); err != nil {
			return err
		}
	}
	return nil
}

func upsertTimer(w *writer, id int64, t store.Timer) error {
	_, err := w.exec(`INSERT INTO timers (exec_id, ref, kind, due) VALUES (?, ?, ?, ?)
		ON CONFLICT (exec_id, ref, kind) DO UPDATE SET due = excluded.due`,
		id, t.Ref, t.Kind, toNanos(t.Due))
	return err
}

func (s *Store) GetExecution(ctx context.Context, arn string) (*store.Execution, error) {
	e, err := scanExecution(s.queryRow(ctx,
		`SELECT `+execSelect+` FROM `+execFrom+` WHERE arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return e, err
}

// ListExecutions without a StateMachineArn has no index to help it: it
// sorts every execution for each page (tests use it, the API never).
func (s *Store) ListExecutions(ctx context.Context, p store.ListExecutionsParams) ([]*store.Execution, string, error) {
	if p.Limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	query := `SELECT ` + execSelect + ` FROM ` + execFrom + ` WHERE 1`
	var args []any
	if p.StateMachineArn != "" {
		query += ` AND state_machine_arn = ?`
		args = append(args, p.StateMachineArn)
	}
	if p.Status != "" {
		query += ` AND status = ?`
		args = append(args, p.Status)
	}
	// The "!= ''" lets SQLite use the partial indexes, which leave out
	// the executions started through no version or alias.
	if p.StateMachineVersionArn != "" {
		query += ` AND state_machine_version_arn = ? AND state_machine_version_arn != ''`
		args = append(args, p.StateMachineVersionArn)
	}
	if p.StateMachineAliasArn != "" {
		query += ` AND state_machine_alias_arn = ? AND state_machine_alias_arn != ''`
		args = append(args, p.StateMachineAliasArn)
	}
	switch p.Redriven {
	case "REDRIVEN":
		query += ` AND redrive_count > 0`
	case "NOT_REDRIVEN":
		query += ` AND redrive_count = 0`
	}
	if p.Token != "" {
		at, arn, err := sqlkit.DecodeKey(p.Token)
		if err != nil {
			return nil, "", err
		}
		query += ` AND (started_at, arn) < (?, ?)`
		args = append(args, at, arn)
	}
	query += ` ORDER BY started_at DESC, arn DESC LIMIT ?`
	args = append(args, p.Limit+1)
	var out []*store.Execution
	next, err := s.pageRows(ctx, query, args, p.Limit, func(rows *sql.Rows) (int64, string, error) {
		e, err := scanExecution(rows)
		if err != nil {
			return 0, "", err
		}
		out = append(out, e)
		return toNanos(e.StartedAt), e.Arn, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

func (s *Store) Inputs(ctx context.Context, executionArn string) ([]store.Input, error) {
	// A step with events has its input in its first event's row, one
	// without in inputs (migration 0013), and so does every step before
	// that migration.
	rows, err := s.query(ctx, `SELECT seq, input FROM events
			WHERE exec_id = (SELECT id FROM executions WHERE arn = ?1) AND seq IS NOT NULL
		UNION ALL SELECT seq, body FROM inputs
			WHERE exec_id = (SELECT id FROM executions WHERE arn = ?1)
		ORDER BY seq`, executionArn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Input
	for rows.Next() {
		var in store.Input
		if err := rows.Scan(&in.Seq, &in.Body); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// History reads the rows that hold the events asked for: rows hold a
// step's events each (history.go), so a page may begin inside a row,
// whose events before the page are skipped, and needs no more rows than
// events.
func (s *Store) History(ctx context.Context, p store.HistoryParams) ([]store.Event, error) {
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	var rows *sql.Rows
	var err error
	switch {
	case !p.Reverse:
		// From the row holding event AfterID+1: the last that begins at
		// or before it. One more row than events, as that row may end
		// before it (it does when the history has no such event).
		rows, err = s.query(ctx, `SELECT id, type, ts, body, more FROM events
			WHERE exec_id = (SELECT id FROM executions WHERE arn = ?1)
			AND id >= coalesce((SELECT max(id) FROM events
				WHERE exec_id = (SELECT id FROM executions WHERE arn = ?1) AND id <= ?2 + 1), 0)
			ORDER BY id LIMIT ?3 + 1`,
			p.ExecutionArn, p.AfterID, p.Limit)
	case p.AfterID <= 0:
		rows, err = s.query(ctx, `SELECT id, type, ts, body, more FROM events
			WHERE exec_id = (SELECT id FROM executions WHERE arn = ?) ORDER BY id DESC LIMIT ?`,
			p.ExecutionArn, p.Limit)
	default:
		rows, err = s.query(ctx, `SELECT id, type, ts, body, more FROM events
			WHERE exec_id = (SELECT id FROM executions WHERE arn = ?) AND id < ? ORDER BY id DESC LIMIT ?`,
			p.ExecutionArn, p.AfterID, p.Limit)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out, row []store.Event
	for rows.Next() && len(out) < p.Limit {
		var ev store.Event
		var ts int64
		var more []byte
		if err := rows.Scan(&ev.ID, &ev.Type, &ts, &ev.Body, &more); err != nil {
			return nil, err
		}
		ev.Timestamp = fromNanos(ts)
		if row, err = UnpackEvents(row[:0], ev, more); err != nil {
			return nil, err
		}
		if !p.Reverse {
			for _, ev := range row {
				if ev.ID > p.AfterID && len(out) < p.Limit {
					out = append(out, ev)
				}
			}
			continue
		}
		for i := len(row) - 1; i >= 0; i-- {
			if (p.AfterID <= 0 || row[i].ID < p.AfterID) && len(out) < p.Limit {
				out = append(out, row[i])
			}
		}
	}
	return out, rows.Err()
}

func (s *Store) DueTimers(ctx context.Context, p store.DueTimersParams) ([]store.Timer, error) {
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	if p.Leases != nil {
		return nil, store.ErrNoShards
	}
	// The limit is part of the text, not a parameter: SQLite re-prepares a
	// statement whose LIMIT is bound at every run, which would cost the
	// timer loop a parse per pass (it always asks for the same limit).
	rows, err := s.query(ctx, `SELECT x.arn, t.ref, t.kind, t.due
		FROM timers t JOIN executions x ON x.id = t.exec_id
		WHERE t.due <= ? ORDER BY t.due, t.exec_id, t.ref, t.kind LIMIT `+strconv.Itoa(p.Limit), toNanos(p.DueBy))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Timer
	for rows.Next() {
		var tm store.Timer
		var due int64
		if err := rows.Scan(&tm.ExecutionArn, &tm.Ref, &tm.Kind, &due); err != nil {
			return nil, err
		}
		tm.Due = fromNanos(due)
		out = append(out, tm)
	}
	return out, rows.Err()
}

func (s *Store) NextTimer(ctx context.Context, p store.NextTimerParams) (time.Time, bool, error) {
	if p.Leases != nil {
		return time.Time{}, false, store.ErrNoShards
	}
	var due sql.NullInt64
	if err := s.queryRow(ctx, `SELECT min(due) FROM timers`).Scan(&due); err != nil {
		return time.Time{}, false, err
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return fromNanos(due.Int64), true, nil
}

func (s *Store) DeleteTimer(ctx context.Context, t store.Timer) error {
	if !t.Fence.IsZero() {
		return store.ErrNoShards
	}
	return s.write(ctx, func(w *writer) error {
		_, err := w.exec(`DELETE FROM timers
			WHERE exec_id = (SELECT id FROM executions WHERE arn = ?) AND ref = ? AND kind = ?
			AND (? = 0 OR due = ?)`, t.ExecutionArn, t.Ref, t.Kind, toNanos(t.Due), toNanos(t.Due))
		return err
	})
}

func (s *Store) SetTimer(ctx context.Context, t store.Timer) error {
	if !t.Fence.IsZero() {
		return store.ErrNoShards
	}
	return s.write(ctx, func(w *writer) error {
		id, err := execID(w, t.ExecutionArn)
		if err != nil {
			return err
		}
		return upsertTimer(w, id, t)
	})
}

// NextTasks reads the partial index tasks_unclaimed; the rowid breaks
// ties on created_at in the order tasks were added.
func (s *Store) NextTasks(ctx context.Context, p store.NextTasksParams) ([]*store.Task, error) {
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	if p.ActivityArn == "" {
		return nil, nil
	}
	rows, err := s.query(ctx, `SELECT t.token, x.arn, t.ref, t.activity_arn, t.input,
		t.heartbeat_seconds, t.created_at
		FROM tasks t JOIN executions x ON x.id = t.exec_id
		WHERE t.activity_arn = ? AND t.started = 0 ORDER BY t.created_at, t.rowid LIMIT ?`, p.ActivityArn, p.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Task
	for rows.Next() {
		var t store.Task
		var created int64
		if err := rows.Scan(&t.Token, &t.ExecutionArn, &t.Ref, &t.ActivityArn, &t.Input,
			&t.HeartbeatSeconds, &created); err != nil {
			return nil, err
		}
		t.CreatedAt = fromNanos(created)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// QueuedTasks reads the partial index tasks_unclaimed (started = 0), so
// it costs the number of queued tasks, not of open ones.
func (s *Store) QueuedTasks(ctx context.Context) (map[string]int64, error) {
	rows, err := s.query(ctx, `SELECT activity_arn, count(*) FROM tasks
		WHERE started = 0 AND activity_arn != '' GROUP BY activity_arn`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var arn string
		var n int64
		if err := rows.Scan(&arn, &n); err != nil {
			return nil, err
		}
		out[arn] = n
	}
	return out, rows.Err()
}

func (s *Store) GetTask(ctx context.Context, token string) (*store.Task, error) {
	var t store.Task
	var created int64
	err := s.queryRow(ctx, `SELECT t.token, x.arn, t.ref, t.activity_arn, t.input, t.started,
		t.worker_name, t.heartbeat_seconds, t.created_at
		FROM tasks t JOIN executions x ON x.id = t.exec_id WHERE t.token = ?`, token).
		Scan(&t.Token, &t.ExecutionArn, &t.Ref, &t.ActivityArn, &t.Input, &t.Started,
			&t.WorkerName, &t.HeartbeatSeconds, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.CreatedAt = fromNanos(created)
	return &t, nil
}
