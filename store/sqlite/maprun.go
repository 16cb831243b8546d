package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

const mapRunColumns = `r.arn, x.arn, r.state_machine_arn, r.status, r.started_at, r.stopped_at,
	r.max_concurrency, r.tolerated_failure_percentage, r.tolerated_failure_count, r.item_counts, r.execution_counts,
	r.redrive_count, r.redrive_date`

const mapRunExecColumns = `c.arn, c.map_run_arn, x.arn, c.state_machine_arn, c.name, c.status, c.started_at, c.stopped_at,
	c.error, c.cause, c.has_cause, c.item_count, c.redrive_count, c.redrive_date`

// writeMapRuns writes a step's Map Runs and children into execution id's
// rows; each is one upsert by ARN.
func writeMapRuns(w *writer, id int64, st *store.StepParams) error {
	for _, r := range st.MapRuns {
		items, _ := json.Marshal(r.ItemCounts)
		execs, _ := json.Marshal(r.ExecutionCounts)
		if _, err := w.exec(`INSERT INTO map_runs (arn, exec_id, state_machine_arn, status, started_at, stopped_at,
			max_concurrency, tolerated_failure_percentage, tolerated_failure_count, item_counts, execution_counts,
			redrive_count, redrive_date)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (arn) DO UPDATE SET status = excluded.status, stopped_at = excluded.stopped_at,
			max_concurrency = excluded.max_concurrency, tolerated_failure_percentage = excluded.tolerated_failure_percentage,
			tolerated_failure_count = excluded.tolerated_failure_count, item_counts = excluded.item_counts,
			execution_counts = excluded.execution_counts, redrive_count = excluded.redrive_count,
			redrive_date = excluded.redrive_date`,
			r.Arn, id, r.StateMachineArn, r.Status, toNanos(r.StartedAt), toNanos(r.StoppedAt),
			r.MaxConcurrency, r.ToleratedFailurePercentage, r.ToleratedFailureCount, string(items), string(execs),
			r.RedriveCount, toNanos(r.RedriveDate)); err != nil {
			return err
		}
	}
	for _, c := range st.MapRunExecutions {
		if _, err := w.exec(`INSERT INTO map_run_executions (arn, map_run_arn, exec_id, state_machine_arn, name, status, started_at, stopped_at,
				input, output, error, cause, has_cause, item_count, redrive_count, redrive_date)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (arn) DO UPDATE SET status = excluded.status, stopped_at = excluded.stopped_at,
				input = CASE WHEN excluded.input = '' THEN input ELSE excluded.input END,
				output = excluded.output, error = excluded.error, cause = excluded.cause, has_cause = excluded.has_cause,
				redrive_count = excluded.redrive_count, redrive_date = excluded.redrive_date`,
			c.Arn, c.MapRunArn, id, c.StateMachineArn, c.Name, c.Status, toNanos(c.StartedAt), toNanos(c.StoppedAt),
			c.Input, c.Output, c.Error, c.Cause, boolInt(c.HasCause), c.ItemCount, c.RedriveCount, toNanos(c.RedriveDate)); err != nil {
			return err
		}
	}
	return nil
}

func scanMapRun(sc interface{ Scan(...any) error }) (*store.MapRun, error) {
	var r store.MapRun
	var started, stopped, redriven int64
	var items, execs string
	if err := sc.Scan(&r.Arn, &r.ExecutionArn, &r.StateMachineArn, &r.Status, &started, &stopped,
		&r.MaxConcurrency, &r.ToleratedFailurePercentage, &r.ToleratedFailureCount, &items, &execs,
		&r.RedriveCount, &redriven); err != nil {
		return nil, err
	}
	r.StartedAt, r.StoppedAt, r.RedriveDate = fromNanos(started), fromNanos(stopped), fromNanos(redriven)
	if err := json.Unmarshal([]byte(items), &r.ItemCounts); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(execs), &r.ExecutionCounts); err != nil {
		return nil, err
	}
	return &r, nil
}

func scanMapRunExec(sc interface{ Scan(...any) error }, more ...any) (*store.MapRunExecution, error) {
	var c store.MapRunExecution
	var started, stopped, redriven int64
	dest := []any{&c.Arn, &c.MapRunArn, &c.ExecutionArn, &c.StateMachineArn, &c.Name, &c.Status, &started, &stopped, &c.Error, &c.Cause, &c.HasCause, &c.ItemCount,
		&c.RedriveCount, &redriven}
	if err := sc.Scan(append(dest, more...)...); err != nil {
		return nil, err
	}
	c.StartedAt, c.StoppedAt, c.RedriveDate = fromNanos(started), fromNanos(stopped), fromNanos(redriven)
	return &c, nil
}

func (s *Store) GetMapRun(ctx context.Context, arn string) (*store.MapRun, error) {
	r, err := scanMapRun(s.queryRow(ctx, `SELECT `+mapRunColumns+`
		FROM map_runs r JOIN executions x ON x.id = r.exec_id WHERE r.arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return r, err
}

func (s *Store) GetMapRunExecution(ctx context.Context, arn string) (*store.MapRunExecution, error) {
	var input, output string
	c, err := scanMapRunExec(s.queryRow(ctx, `SELECT `+mapRunExecColumns+`, c.input, c.output
		FROM map_run_executions c JOIN executions x ON x.id = c.exec_id WHERE c.arn = ?`, arn), &input, &output)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.Input, c.Output = input, output
	return c, nil
}

func (s *Store) ListMapRuns(ctx context.Context, p store.ListMapRunsParams) ([]*store.MapRun, string, error) {
	if p.Limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	query := `SELECT ` + mapRunColumns + ` FROM map_runs r JOIN executions x ON x.id = r.exec_id WHERE x.arn = ?`
	args := []any{p.ExecutionArn}
	if p.Token != "" {
		at, arn, err := sqlkit.DecodeKey(p.Token)
		if err != nil {
			return nil, "", err
		}
		query += ` AND (r.started_at, r.arn) < (?, ?)`
		args = append(args, at, arn)
	}
	query += ` ORDER BY r.started_at DESC, r.arn DESC LIMIT ?`
	args = append(args, p.Limit+1)
	var out []*store.MapRun
	next, err := s.pageRows(ctx, query, args, p.Limit, func(rows *sql.Rows) (int64, string, error) {
		r, err := scanMapRun(rows)
		if err != nil {
			return 0, "", err
		}
		out = append(out, r)
		return toNanos(r.StartedAt), r.Arn, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

func (s *Store) ListMapRunExecutions(ctx context.Context, p store.ListMapRunExecutionsParams) ([]*store.MapRunExecution, string, error) {
	if p.Limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	query := `SELECT ` + mapRunExecColumns + ` FROM map_run_executions c JOIN executions x ON x.id = c.exec_id WHERE c.map_run_arn = ?`
	args := []any{p.MapRunArn}
	if p.Status != "" {
		query += ` AND c.status = ?`
		args = append(args, p.Status)
	}
	switch p.Redriven {
	case "REDRIVEN":
		query += ` AND c.redrive_count > 0`
	case "NOT_REDRIVEN":
		query += ` AND c.redrive_count = 0`
	}
	if p.Token != "" {
		at, arn, err := sqlkit.DecodeKey(p.Token)
		if err != nil {
			return nil, "", err
		}
		query += ` AND (c.started_at, c.arn) < (?, ?)`
		args = append(args, at, arn)
	}
	query += ` ORDER BY c.started_at DESC, c.arn DESC LIMIT ?`
	args = append(args, p.Limit+1)
	var out []*store.MapRunExecution
	next, err := s.pageRows(ctx, query, args, p.Limit, func(rows *sql.Rows) (int64, string, error) {
		c, err := scanMapRunExec(rows)
		if err != nil {
			return 0, "", err
		}
		out = append(out, c)
		return toNanos(c.StartedAt), c.Arn, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}
