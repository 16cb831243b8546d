package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/statecraft/statecraft/store"
)

const statusRunning = "RUNNING"

// finalStatus holds the statuses an execution can end with.
var finalStatus = map[string]bool{"SUCCEEDED": true, "FAILED": true, "TIMED_OUT": true, "ABORTED": true}

const execColumns = `arn, state_machine_arn, name, definition, role_arn, input, status, output,
	error, has_error, cause, has_cause, trace_header, seed, started_at, stopped_at, seq, events, parent_token,
	state_machine_version_arn, state_machine_alias_arn`

// execSelect is what reads of an execution select: its columns, then those
// a redrive sets (which an insert leaves at their defaults).
const execSelect = execColumns + `, redrive_count, redrive_date, transitions`

func scanExecution(row pgx.Row) (*store.Execution, error) {
	var e store.Execution
	var seed int64
	var stopped, redriven *time.Time
	err := row.Scan(&e.Arn, &e.StateMachineArn, &e.Name, &e.Definition, &e.RoleArn, &e.Input,
		&e.Status, &e.Output, &e.Error, &e.HasError, &e.Cause, &e.HasCause, &e.TraceHeader,
		&seed, &e.StartedAt, &stopped, &e.Seq, &e.Events, &e.ParentToken,
		&e.StateMachineVersionArn, &e.StateMachineAliasArn, &e.RedriveCount, &redriven, &e.Transitions)
	if err != nil {
		return nil, err
	}
	e.Seed = uint64(seed)
	e.StartedAt, e.StoppedAt, e.RedriveDate = ut(e.StartedAt), utp(stopped), utp(redriven)
	return &e, nil
}

// execID is the id of the execution whose ARN is $1, in the statements of
// a step that follow its first: evaluated once per statement (an
// uncorrelated subquery), on the unique index.
const execID = `(SELECT id FROM executions WHERE arn = $1)`

// StartExecution inserts the execution as its first step leaves it (Seq,
// events and, when the step ends it, how it ended), with the step's rows.
func (s *Store) StartExecution(ctx context.Context, p store.StartExecutionParams) error {
	st := p.Step
	st.ExecutionArn, st.Seq = p.Execution.Arn, 0
	if err := checkFinal(&st); err != nil {
		return err
	}
	return s.write(ctx, func(b *pgx.Batch) *int64 {
		xid, _ := queueStep(b, &st, p.Execution, s.shardOf(st.ExecutionArn))
		return xid
	}, nil)
}

// CommitStep writes a step whose first statement moves the execution's
// row, where Seq is checked: when it matches no row, the transaction is
// rolled back with whatever the statements behind it did.
func (s *Store) CommitStep(ctx context.Context, st store.StepParams) error {
	if err := checkFinal(&st); err != nil {
		return err
	}
	matched := new(bool)
	err := s.write(ctx, func(b *pgx.Batch) *int64 {
		queueFence(b, st.Fence)
		var xid *int64
		xid, matched = queueStep(b, &st, nil, s.shardOf(st.ExecutionArn))
		return xid
	}, nil)
	if !*matched && errors.Is(err, errNoMatch) {
		// Rare: say which of the two it was.
		var one int
		err := s.queryRow(ctx, `SELECT 1 FROM executions WHERE arn = $1`, st.ExecutionArn).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return store.ErrConflict
	}
	return err
}

func checkFinal(st *store.StepParams) error {
	if err := store.CheckAfterEnd(st); err != nil {
		return err
	}
	if f := st.Final; f != nil && !finalStatus[f.Status] {
		return fmt.Errorf("store/postgres: step of %s: final status %q", st.ExecutionArn, f.Status)
	}
	return nil
}

// args numbers the parameters of a statement as they are added.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// queueStep queues a step in as few statements as it can, since each
// costs the database more than the rows it writes. The first moves the
// execution's row, or inserts it when start is the execution a first step
// starts, and in the same statement (data-modifying WITH queries, which
// all see the row it returns, and write nothing when it returns none)
// writes the input, the events and the deletions that cannot meet another
// part of the step on the same row. The parts that could (a timer deleted
// and added back, a task closed and added again, an end after timers or
// tasks added) follow as statements of their own, in the contract's order:
// timers deleted then added, tasks closed, claimed, then added, then what
// an end deletes. It returns where the first statement's callback leaves
// the transaction's id, and whether it matched the execution's row.
func queueStep(b *pgx.Batch, st *store.StepParams, start *store.Execution, shard int) (xid *int64, matched *bool) {
	xid, matched = new(int64), new(bool)
	var a args
	arn := a.add(st.ExecutionArn) // $1, as execID says
	seq := st.Seq
	if st.Input != nil {
		seq++
	}
	nEvents := int64(len(st.Events))
	// A redrive moves an ended execution's row: the same statement
	// reopens it (and the step's Final, if any, ends it again).
	where, redo := ` AND status = 'RUNNING'`, ""
	if st.AfterEnd {
		// The end's work done: the row must still be the ended one,
		// locked against a redrive by the UPDATE that changes nothing.
		where = ` AND status IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED')`
	}
	if r := st.Redrive; r != nil {
		where = ` AND status IN ('FAILED', 'TIMED_OUT', 'ABORTED')`
		redo = `, redrive_count = redrive_count + 1, redrive_date = ` + a.add(r.At)
		if st.Final == nil {
			redo += `, status = 'RUNNING', output = '', error = '', has_error = false, cause = '', has_cause = false, stopped_at = NULL`
		}
	}
	var x string
	switch f := st.Final; {
	case start != nil:
		e, status, f := start, statusRunning, &store.Final{}
		var stopped *time.Time
		if st.Final != nil {
			f, status, stopped = st.Final, st.Final.Status, &st.Final.StoppedAt
		}
		x = `INSERT INTO executions (` + execColumns + `, transitions) VALUES (` + arn + `, ` +
			a.add(e.StateMachineArn) + `, ` + a.add(e.Name) + `, ` + a.add(e.Definition) + `, ` + a.add(e.RoleArn) + `, ` +
			a.add(e.Input) + `, ` + a.add(status) + `, ` + a.add(f.Output) + `, ` + a.add(f.Error) + `, ` +
			a.add(f.HasError) + `, ` + a.add(f.Cause) + `, ` + a.add(f.HasCause) + `, ` + a.add(e.TraceHeader) + `, ` +
			a.add(int64(e.Seed)) + `, ` + a.add(e.StartedAt) + `, ` + a.add(stopped) + `, ` + a.add(seq) + `, ` +
			a.add(nEvents) + `, ` + a.add(e.ParentToken) + `, ` + a.add(e.StateMachineVersionArn) + `, ` +
			a.add(e.StateMachineAliasArn) + `, ` + a.add(st.Transitions) + `) RETURNING id`
	case f != nil:
		x = `UPDATE executions SET seq = ` + a.add(seq) + `, events = events + ` + a.add(nEvents) +
			`, transitions = GREATEST(transitions, ` + a.add(st.Transitions) + `)` +
			`, status = ` + a.add(f.Status) + `, output = ` + a.add(f.Output) + `, error = ` + a.add(f.Error) +
			`, has_error = ` + a.add(f.HasError) + `, cause = ` + a.add(f.Cause) + `, has_cause = ` + a.add(f.HasCause) +
			`, stopped_at = ` + a.add(f.StoppedAt) + redo +
			` WHERE arn = ` + arn + ` AND seq = ` + a.add(st.Seq) + where + ` RETURNING id`
	default:
		x = `UPDATE executions SET seq = ` + a.add(seq) + `, events = events + ` + a.add(nEvents) +
			`, transitions = GREATEST(transitions, ` + a.add(st.Transitions) + `)` + redo +
			` WHERE arn = ` + arn + ` AND seq = ` + a.add(st.Seq) + where + ` RETURNING id`
	}
	with := []string{`x AS (` + x + `)`}
	if st.Input != nil {
		with = append(with, `i AS (INSERT INTO inputs (exec_id, seq, body) SELECT id, `+a.add(seq)+`, `+a.add(st.Input)+` FROM x)`)
	}
	if n := len(st.Events); n > 0 {
		ids, types, ts, bodies := make([]int64, n), make([]string, n), make([]time.Time, n), make([][]byte, n)
		for i, ev := range st.Events {
			ids[i], types[i], ts[i], bodies[i] = ev.ID, ev.Type, ev.Timestamp, nonNil(ev.Body)
		}
		with = append(with, `e AS (INSERT INTO events (exec_id, id, type, ts, body) SELECT x.id, u.* FROM x,
			unnest(`+a.add(ids)+`::bigint[], `+a.add(types)+`::text[], `+a.add(ts)+`::timestamptz[], `+a.add(bodies)+`::bytea[]) AS u)`)
	}

	final := st.Final != nil
	endTimers := final && len(st.AddTimers) == 0                          // the end's deletion goes in the first statement
	endTasks := final && len(st.ClaimTasks) == 0 && len(st.AddTasks) == 0 // likewise
	// A timer deleted and added back is moved by the upsert: only the
	// others are deleted, and none when the end deletes them all.
	if dels := timersNotIn(st.DeleteTimers, st.AddTimers); len(dels) > 0 && !endTimers {
		refs, kinds := make([]int64, len(dels)), make([]string, len(dels))
		for i, t := range dels {
			refs[i], kinds[i] = t.Ref, t.Kind
		}
		with = append(with, `dt AS (DELETE FROM timers t USING x, unnest(`+a.add(refs)+`::bigint[], `+a.add(kinds)+`::text[]) AS d(ref, kind)
			WHERE t.exec_id = x.id AND t.ref = d.ref AND t.kind = d.kind)`)
	}
	// Tasks closed go in the first statement unless the step claims or
	// adds one of them: that part must find it closed.
	closeLater := len(st.CloseTasks) > 0 && !endTasks && meets(st.CloseTasks, st.ClaimTasks, st.AddTasks)
	if len(st.CloseTasks) > 0 && !endTasks && !closeLater {
		with = append(with, `ct AS (DELETE FROM tasks t USING x WHERE t.exec_id = x.id AND t.token = ANY(`+a.add(st.CloseTasks)+`::text[]))`)
	}
	// An ended execution waits for nothing: its leftover timers would
	// fire for nobody and its tokens must stop being accepted.
	if endTimers {
		with = append(with, `ft AS (DELETE FROM timers t USING x WHERE t.exec_id = x.id AND t.kind <> `+a.add(store.TimerAfterEnd)+`)`)
	}
	if endTasks {
		with = append(with, `fk AS (DELETE FROM tasks t USING x WHERE t.exec_id = x.id)`)
	}
	b.Queue(`WITH `+strings.Join(with, `, `)+` SELECT pg_current_xact_id()::text::bigint FROM x`, a...).
		QueryRow(func(row pgx.Row) error {
			err := row.Scan(xid)
			if errors.Is(err, pgx.ErrNoRows) {
				return errNoMatch
			}
			*matched = err == nil
			return err
		})

	arnv := st.ExecutionArn
	if len(st.AddTimers) > 0 {
		queueUpsertTimers(b, arnv, shard, st.AddTimers)
	}
	if closeLater {
		b.Queue(`DELETE FROM tasks WHERE exec_id = `+execID+` AND token = ANY($2::text[])`, arnv, st.CloseTasks)
	}
	if n := len(st.ClaimTasks); n > 0 {
		tokens, workers := make([]string, n), make([]string, n)
		for i, c := range st.ClaimTasks {
			tokens[i], workers[i] = c.Token, c.WorkerName
		}
		// Every claim must find its task open and unclaimed: a token
		// claimed twice in the list updates one row, and fails too.
		b.Queue(`UPDATE tasks t SET started = true, worker_name = c.worker
			FROM unnest($2::text[], $3::text[]) AS c(token, worker)
			WHERE t.token = c.token AND t.exec_id = `+execID+` AND NOT t.started`, arnv, tokens, workers).
			Exec(func(ct pgconn.CommandTag) error {
				if ct.RowsAffected() != int64(n) {
					return fmt.Errorf("store/postgres: a claimed task of %s is not open and unclaimed: %w", arnv, store.ErrConflict)
				}
				return nil
			})
	}
	if n := len(st.AddTasks); n > 0 {
		tokens, refs, acts, inputs := make([]string, n), make([]int64, n), make([]string, n), make([]string, n)
		started, workers, hbs, created := make([]bool, n), make([]string, n), make([]int64, n), make([]time.Time, n)
		for i, t := range st.AddTasks {
			tokens[i], refs[i], acts[i], inputs[i] = t.Token, t.Ref, t.ActivityArn, t.Input
			started[i], workers[i], hbs[i], created[i] = t.Started, t.WorkerName, t.HeartbeatSeconds, t.CreatedAt
		}
		// ORDER BY the list's order, so that id, which breaks ties in
		// NextTasks, follows the order the tasks were added in.
		b.Queue(`INSERT INTO tasks (token, exec_id, ref, activity_arn, input, started, worker_name, heartbeat_seconds, created_at)
			SELECT u.token, `+execID+`, u.ref, u.act, u.input, u.started, u.worker, u.hb, u.created
			FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::boolean[], $7::text[], $8::bigint[], $9::timestamptz[])
				WITH ORDINALITY AS u(token, ref, act, input, started, worker, hb, created, n)
			ORDER BY u.n`, arnv, tokens, refs, acts, inputs, started, workers, hbs, created)
	}
	queueMapRuns(b, st)
	if final && !endTimers {
		b.Queue(`DELETE FROM timers WHERE exec_id = `+execID+` AND kind <> $2`, arnv, store.TimerAfterEnd)
	}
	if final && !endTasks {
		b.Queue(`DELETE FROM tasks WHERE exec_id = `+execID, arnv)
	}
	return xid, matched
}

// timersNotIn is the timers of dels whose (Ref, Kind) adds does not hold.
func timersNotIn(dels, adds []store.Timer) []store.Timer {
	if len(adds) == 0 {
		return dels
	}
	var out []store.Timer
	for _, d := range dels {
		if !slices.ContainsFunc(adds, func(t store.Timer) bool { return t.Ref == d.Ref && t.Kind == d.Kind }) {
			out = append(out, d)
		}
	}
	return out
}

// meets tells whether a token of closed is also claimed or added.
func meets(closed []string, claims []store.TaskClaim, adds []store.Task) bool {
	for _, tok := range closed {
		if slices.ContainsFunc(claims, func(c store.TaskClaim) bool { return c.Token == tok }) ||
			slices.ContainsFunc(adds, func(t store.Task) bool { return t.Token == tok }) {
			return true
		}
	}
	return false
}

// queueUpsertTimers inserts timers or moves those of the same (Ref, Kind).
// One statement may not update a row twice, so of timers repeated in the
// list the last is kept, as one upsert after another would leave it.
func queueUpsertTimers(b *pgx.Batch, arn string, shard int, timers []store.Timer) {
	type key struct {
		ref  int64
		kind string
	}
	last := make(map[key]int, len(timers))
	for i, t := range timers {
		last[key{t.Ref, t.Kind}] = i
	}
	var refs []int64
	var kinds []string
	var dues []time.Time
	for i, t := range timers {
		if last[key{t.Ref, t.Kind}] == i {
			refs, kinds, dues = append(refs, t.Ref), append(kinds, t.Kind), append(dues, t.Due)
		}
	}
	b.Queue(`INSERT INTO timers (exec_id, ref, kind, due, shard)
		SELECT `+execID+`, u.*, $5 FROM unnest($2::bigint[], $3::text[], $4::timestamptz[]) AS u
		ON CONFLICT (exec_id, ref, kind) DO UPDATE SET due = excluded.due`, arn, refs, kinds, dues, shard)
}

func (s *Store) GetExecution(ctx context.Context, arn string) (*store.Execution, error) {
	e, err := scanExecution(s.queryRow(ctx, `SELECT `+execSelect+` FROM executions WHERE arn = $1`, arn))
	if errors.Is(err, pgx.ErrNoRows) {
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
	query := `SELECT ` + execSelect + ` FROM executions WHERE true`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.StateMachineArn != "" {
		query += ` AND state_machine_arn = ` + arg(p.StateMachineArn)
	}
	if p.Status != "" {
		query += ` AND status = ` + arg(p.Status)
	}
	// The "<> ''" lets a generic plan use the partial indexes, which
	// leave out the executions started through no version or alias.
	if p.StateMachineVersionArn != "" {
		query += ` AND state_machine_version_arn = ` + arg(p.StateMachineVersionArn) + ` AND state_machine_version_arn <> ''`
	}
	if p.StateMachineAliasArn != "" {
		query += ` AND state_machine_alias_arn = ` + arg(p.StateMachineAliasArn) + ` AND state_machine_alias_arn <> ''`
	}
	switch p.Redriven {
	case "REDRIVEN":
		query += ` AND redrive_count > 0`
	case "NOT_REDRIVEN":
		query += ` AND redrive_count = 0`
	}
	if p.Token != "" {
		at, arn, err := decodeToken(p.Token)
		if err != nil {
			return nil, "", err
		}
		query += ` AND (started_at, arn) < (` + arg(at) + `, ` + arg(arn) + `)`
	}
	query += ` ORDER BY started_at DESC, arn DESC LIMIT ` + arg(p.Limit+1)
	var out []*store.Execution
	next, err := s.pageRows(ctx, query, args, p.Limit, func(rows pgx.Rows) (time.Time, string, error) {
		e, err := scanExecution(rows)
		if err != nil {
			return time.Time{}, "", err
		}
		out = append(out, e)
		return e.StartedAt, e.Arn, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

func (s *Store) Inputs(ctx context.Context, executionArn string) ([]store.Input, error) {
	rows, err := s.query(ctx, `SELECT seq, body FROM inputs WHERE exec_id = `+execID+` ORDER BY seq`, executionArn)
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

func (s *Store) History(ctx context.Context, p store.HistoryParams) ([]store.Event, error) {
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	var rows pgx.Rows
	var err error
	switch {
	case !p.Reverse:
		rows, err = s.query(ctx, `SELECT id, type, ts, body FROM events
			WHERE exec_id = `+execID+` AND id > $2 ORDER BY id LIMIT $3`, p.ExecutionArn, p.AfterID, p.Limit)
	case p.AfterID <= 0:
		rows, err = s.query(ctx, `SELECT id, type, ts, body FROM events
			WHERE exec_id = `+execID+` ORDER BY id DESC LIMIT $2`, p.ExecutionArn, p.Limit)
	default:
		rows, err = s.query(ctx, `SELECT id, type, ts, body FROM events
			WHERE exec_id = `+execID+` AND id < $2 ORDER BY id DESC LIMIT $3`, p.ExecutionArn, p.AfterID, p.Limit)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var ev store.Event
		if err := rows.Scan(&ev.ID, &ev.Type, &ev.Timestamp, &ev.Body); err != nil {
			return nil, err
		}
		ev.Timestamp = ut(ev.Timestamp)
		out = append(out, ev)
	}
	return out, rows.Err()
}

// DueTimers given leases reads their shards' timers only, on
// timers_by_shard_due; without, every shard's, on timers_by_due.
func (s *Store) DueTimers(ctx context.Context, p store.DueTimersParams) ([]store.Timer, error) {
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	if p.Leases != nil && len(p.Leases) == 0 {
		return nil, nil
	}
	var rows pgx.Rows
	var err error
	if p.Leases == nil {
		rows, err = s.query(ctx, `SELECT x.arn, t.ref, t.kind, t.due, t.shard
			FROM timers t JOIN executions x ON x.id = t.exec_id
			WHERE t.due <= $1 ORDER BY t.due, t.exec_id, t.ref, t.kind LIMIT $2`, p.DueBy, p.Limit)
	} else {
		rows, err = s.query(ctx, `SELECT x.arn, t.ref, t.kind, t.due, t.shard
			FROM timers t JOIN executions x ON x.id = t.exec_id
			WHERE t.shard = ANY($3::integer[]) AND t.due <= $1 ORDER BY t.due, t.exec_id, t.ref, t.kind LIMIT $2`,
			p.DueBy, p.Limit, leaseShards(p.Leases))
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var fences map[int]store.Fence
	if p.Leases != nil {
		fences = make(map[int]store.Fence, len(p.Leases))
		for _, l := range p.Leases {
			fences[l.Shard] = l.Fence()
		}
	}
	var out []store.Timer
	for rows.Next() {
		var tm store.Timer
		var shard int
		if err := rows.Scan(&tm.ExecutionArn, &tm.Ref, &tm.Kind, &tm.Due, &shard); err != nil {
			return nil, err
		}
		tm.Due = ut(tm.Due)
		tm.Fence = fences[shard]
		out = append(out, tm)
	}
	return out, rows.Err()
}

func (s *Store) NextTimer(ctx context.Context, p store.NextTimerParams) (time.Time, bool, error) {
	var due *time.Time
	var err error
	switch {
	case p.Leases == nil:
		err = s.queryRow(ctx, `SELECT min(due) FROM timers`).Scan(&due)
	case len(p.Leases) == 0:
		return time.Time{}, false, nil
	default:
		// One index probe per shard, rather than a scan of every
		// shard's timers in due order filtered.
		err = s.queryRow(ctx, `SELECT min(d) FROM unnest($1::integer[]) AS l(shard),
			LATERAL (SELECT due AS d FROM timers t WHERE t.shard = l.shard ORDER BY due LIMIT 1) m`, leaseShards(p.Leases)).Scan(&due)
	}
	if err != nil {
		return time.Time{}, false, err
	}
	if due == nil {
		return time.Time{}, false, nil
	}
	return ut(*due), true, nil
}

// DeleteTimer compares due times as stored, to the microsecond: t.Due
// is what DueTimers read, or the time it was set with, which pgx sends
// cut to the microsecond in both cases.
func (s *Store) DeleteTimer(ctx context.Context, t store.Timer) error {
	if t.Fence.IsZero() {
		if t.Due.IsZero() {
			return s.exec(ctx, nil, `DELETE FROM timers WHERE exec_id = `+execID+` AND ref = $2 AND kind = $3`,
				t.ExecutionArn, t.Ref, t.Kind)
		}
		return s.exec(ctx, nil, `DELETE FROM timers WHERE exec_id = `+execID+` AND ref = $2 AND kind = $3 AND due = $4`,
			t.ExecutionArn, t.Ref, t.Kind, t.Due)
	}
	return s.tx(ctx, func(b *pgx.Batch) {
		queueFence(b, t.Fence)
		if t.Due.IsZero() {
			b.Queue(`DELETE FROM timers WHERE exec_id = `+execID+` AND ref = $2 AND kind = $3`, t.ExecutionArn, t.Ref, t.Kind)
			return
		}
		b.Queue(`DELETE FROM timers WHERE exec_id = `+execID+` AND ref = $2 AND kind = $3 AND due = $4`,
			t.ExecutionArn, t.Ref, t.Kind, t.Due)
	})
}

func (s *Store) SetTimer(ctx context.Context, t store.Timer) error {
	return s.tx(ctx, func(b *pgx.Batch) {
		queueFence(b, t.Fence)
		b.Queue(`SELECT 1 FROM executions WHERE arn = $1`, t.ExecutionArn).QueryRow(func(row pgx.Row) error {
			var one int
			err := row.Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
			return err
		})
		queueUpsertTimers(b, t.ExecutionArn, s.shardOf(t.ExecutionArn), []store.Timer{t})
	})
}

// NextTasks reads the partial index tasks_unclaimed; id breaks ties on
// created_at in the order tasks were added.
func (s *Store) NextTasks(ctx context.Context, p store.NextTasksParams) ([]*store.Task, error) {
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	if p.ActivityArn == "" {
		return nil, nil
	}
	rows, err := s.query(ctx, `SELECT t.token, x.arn, t.ref, t.activity_arn, t.input, t.heartbeat_seconds, t.created_at
		FROM tasks t JOIN executions x ON x.id = t.exec_id
		WHERE t.activity_arn = $1 AND NOT t.started ORDER BY t.created_at, t.id LIMIT $2`, p.ActivityArn, p.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Task
	for rows.Next() {
		var t store.Task
		if err := rows.Scan(&t.Token, &t.ExecutionArn, &t.Ref, &t.ActivityArn, &t.Input, &t.HeartbeatSeconds, &t.CreatedAt); err != nil {
			return nil, err
		}
		t.CreatedAt = ut(t.CreatedAt)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// QueuedTasks reads the partial index tasks_unclaimed, so it costs the
// number of queued tasks, not of open ones.
func (s *Store) QueuedTasks(ctx context.Context) (map[string]int64, error) {
	rows, err := s.query(ctx, `SELECT activity_arn, count(*) FROM tasks
		WHERE NOT started AND activity_arn <> '' GROUP BY activity_arn`)
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
	err := s.queryRow(ctx, `SELECT t.token, x.arn, t.ref, t.activity_arn, t.input, t.started,
		t.worker_name, t.heartbeat_seconds, t.created_at
		FROM tasks t JOIN executions x ON x.id = t.exec_id WHERE t.token = $1`, token).
		Scan(&t.Token, &t.ExecutionArn, &t.Ref, &t.ActivityArn, &t.Input, &t.Started,
			&t.WorkerName, &t.HeartbeatSeconds, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.CreatedAt = ut(t.CreatedAt)
	return &t, nil
}
