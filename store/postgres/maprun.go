package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/statecraft/statecraft/store"
)

const mapRunColumns = `r.arn, x.arn, r.state_machine_arn, r.status, r.started_at, r.stopped_at,
	r.max_concurrency, r.tolerated_failure_percentage, r.tolerated_failure_count, r.item_counts, r.execution_counts`

const mapRunExecColumns = `c.arn, c.map_run_arn, x.arn, c.state_machine_arn, c.name, c.status, c.started_at, c.stopped_at,
	c.error, c.cause, c.has_cause, c.item_count`

func stopTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// queueMapRuns queues the upserts of a step's Map Runs and children, one
// statement each however many rows: it follows the step's first
// statement, in its transaction, and is rolled back with it.
func queueMapRuns(b *pgx.Batch, st *store.StepParams) {
	if n := len(st.MapRuns); n > 0 {
		arns, sms, statuses := make([]string, n), make([]string, n), make([]string, n)
		started, stopped := make([]time.Time, n), make([]*time.Time, n)
		maxc, tolc := make([]int64, n), make([]int64, n)
		tolp := make([]float64, n)
		items, execs := make([]string, n), make([]string, n)
		// One statement may not update a row twice: of a Map Run listed
		// twice, the last is kept, as one upsert after another would.
		last := map[string]int{}
		for i, r := range st.MapRuns {
			last[r.Arn] = i
		}
		k := 0
		for i, r := range st.MapRuns {
			if last[r.Arn] != i {
				continue
			}
			ic, _ := json.Marshal(r.ItemCounts)
			ec, _ := json.Marshal(r.ExecutionCounts)
			arns[k], sms[k], statuses[k], started[k], stopped[k] = r.Arn, r.StateMachineArn, r.Status, r.StartedAt, stopTime(r.StoppedAt)
			maxc[k], tolp[k], tolc[k], items[k], execs[k] = r.MaxConcurrency, r.ToleratedFailurePercentage, r.ToleratedFailureCount, string(ic), string(ec)
			k++
		}
		b.Queue(`INSERT INTO map_runs (arn, exec_id, state_machine_arn, status, started_at, stopped_at,
				max_concurrency, tolerated_failure_percentage, tolerated_failure_count, item_counts, execution_counts)
			SELECT u.arn, `+execID+`, u.sm, u.status, u.started, u.stopped, u.maxc, u.tolp, u.tolc, u.items, u.execs
			FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::bigint[],
				$8::double precision[], $9::bigint[], $10::text[], $11::text[])
				AS u(arn, sm, status, started, stopped, maxc, tolp, tolc, items, execs)
			ON CONFLICT (arn) DO UPDATE SET status = excluded.status, stopped_at = excluded.stopped_at,
				max_concurrency = excluded.max_concurrency, tolerated_failure_percentage = excluded.tolerated_failure_percentage,
				tolerated_failure_count = excluded.tolerated_failure_count, item_counts = excluded.item_counts,
				execution_counts = excluded.execution_counts`,
			st.ExecutionArn, arns[:k], sms[:k], statuses[:k], started[:k], stopped[:k], maxc[:k], tolp[:k], tolc[:k], items[:k], execs[:k])
	}
	if n := len(st.MapRunExecutions); n > 0 {
		last := map[string]int{}
		for i, c := range st.MapRunExecutions {
			last[c.Arn] = i
		}
		arns, runs, sms, names, statuses := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		started, stopped := make([]time.Time, 0, n), make([]*time.Time, 0, n)
		inputs, outputs, errs, causes, hasCause := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]bool, 0, n)
		items := make([]int64, 0, n)
		for i, c := range st.MapRunExecutions {
			if last[c.Arn] != i {
				continue
			}
			if c.Input == "" {
				// The child's input from earlier in the list, if any:
				// the row keeps its own otherwise.
				for j := i - 1; j >= 0; j-- {
					if prev := st.MapRunExecutions[j]; prev.Arn == c.Arn && prev.Input != "" {
						c.Input = prev.Input
						break
					}
				}
			}
			arns, runs, sms, names, statuses = append(arns, c.Arn), append(runs, c.MapRunArn), append(sms, c.StateMachineArn), append(names, c.Name), append(statuses, c.Status)
			started, stopped = append(started, c.StartedAt), append(stopped, stopTime(c.StoppedAt))
			inputs, outputs, errs, causes, hasCause = append(inputs, c.Input), append(outputs, c.Output), append(errs, c.Error), append(causes, c.Cause), append(hasCause, c.HasCause)
			items = append(items, c.ItemCount)
		}
		b.Queue(`INSERT INTO map_run_executions (arn, map_run_arn, exec_id, state_machine_arn, name, status, started_at, stopped_at,
				input, output, error, cause, has_cause, item_count)
			SELECT u.arn, u.run, `+execID+`, u.sm, u.name, u.status, u.started, u.stopped, u.input, u.output, u.error, u.cause, u.has_cause, u.items
			FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[],
				$9::text[], $10::text[], $11::text[], $12::text[], $13::boolean[], $14::bigint[])
				AS u(arn, run, sm, name, status, started, stopped, input, output, error, cause, has_cause, items)
			ON CONFLICT (arn) DO UPDATE SET status = excluded.status, stopped_at = excluded.stopped_at,
				input = CASE WHEN excluded.input = '' THEN map_run_executions.input ELSE excluded.input END,
				output = excluded.output, error = excluded.error, cause = excluded.cause, has_cause = excluded.has_cause`,
			st.ExecutionArn, arns, runs, sms, names, statuses, started, stopped, inputs, outputs, errs, causes, hasCause, items)
	}
}

func scanMapRun(row pgx.Row) (*store.MapRun, error) {
	var r store.MapRun
	var stopped *time.Time
	var items, execs string
	if err := row.Scan(&r.Arn, &r.ExecutionArn, &r.StateMachineArn, &r.Status, &r.StartedAt, &stopped,
		&r.MaxConcurrency, &r.ToleratedFailurePercentage, &r.ToleratedFailureCount, &items, &execs); err != nil {
		return nil, err
	}
	r.StartedAt, r.StoppedAt = ut(r.StartedAt), utp(stopped)
	if err := json.Unmarshal([]byte(items), &r.ItemCounts); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(execs), &r.ExecutionCounts); err != nil {
		return nil, err
	}
	return &r, nil
}

func scanMapRunExec(row pgx.Row, more ...any) (*store.MapRunExecution, error) {
	var c store.MapRunExecution
	var stopped *time.Time
	dest := []any{&c.Arn, &c.MapRunArn, &c.ExecutionArn, &c.StateMachineArn, &c.Name, &c.Status, &c.StartedAt, &stopped, &c.Error, &c.Cause, &c.HasCause, &c.ItemCount}
	if err := row.Scan(append(dest, more...)...); err != nil {
		return nil, err
	}
	c.StartedAt, c.StoppedAt = ut(c.StartedAt), utp(stopped)
	return &c, nil
}

func (s *Store) GetMapRun(ctx context.Context, arn string) (*store.MapRun, error) {
	r, err := scanMapRun(s.queryRow(ctx, `SELECT `+mapRunColumns+`
		FROM map_runs r JOIN executions x ON x.id = r.exec_id WHERE r.arn = $1`, arn))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return r, err
}

func (s *Store) GetMapRunExecution(ctx context.Context, arn string) (*store.MapRunExecution, error) {
	var input, output string
	c, err := scanMapRunExec(s.queryRow(ctx, `SELECT `+mapRunExecColumns+`, c.input, c.output
		FROM map_run_executions c JOIN executions x ON x.id = c.exec_id WHERE c.arn = $1`, arn), &input, &output)
	if errors.Is(err, pgx.ErrNoRows) {
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
	args := []any{p.ExecutionArn}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	query := `SELECT ` + mapRunColumns + ` FROM map_runs r JOIN executions x ON x.id = r.exec_id WHERE r.exec_id = ` + execID
	if p.Token != "" {
		at, arn, err := decodeToken(p.Token)
		if err != nil {
			return nil, "", err
		}
		query += ` AND (r.started_at, r.arn) < (` + arg(at) + `, ` + arg(arn) + `)`
	}
	query += ` ORDER BY r.started_at DESC, r.arn DESC LIMIT ` + arg(p.Limit+1)
	var out []*store.MapRun
	next, err := s.pageRows(ctx, query, args, p.Limit, func(rows pgx.Rows) (time.Time, string, error) {
		r, err := scanMapRun(rows)
		if err != nil {
			return time.Time{}, "", err
		}
		out = append(out, r)
		return r.StartedAt, r.Arn, nil
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
	args := []any{p.MapRunArn}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	query := `SELECT ` + mapRunExecColumns + ` FROM map_run_executions c JOIN executions x ON x.id = c.exec_id WHERE c.map_run_arn = $1`
	if p.Status != "" {
		query += ` AND c.status = ` + arg(p.Status)
	}
	if p.Token != "" {
		at, arn, err := decodeToken(p.Token)
		if err != nil {
			return nil, "", err
		}
		query += ` AND (c.started_at, c.arn) < (` + arg(at) + `, ` + arg(arn) + `)`
	}
	query += ` ORDER BY c.started_at DESC, c.arn DESC LIMIT ` + arg(p.Limit+1)
	var out []*store.MapRunExecution
	next, err := s.pageRows(ctx, query, args, p.Limit, func(rows pgx.Rows) (time.Time, string, error) {
		c, err := scanMapRunExec(rows)
		if err != nil {
			return time.Time{}, "", err
		}
		out = append(out, c)
		return c.StartedAt, c.Arn, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}
