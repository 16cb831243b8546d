package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/statecraft/statecraft/store"
)

// PurgeExecutions is one transaction: it picks the batch on the index
// executions_stopped and deletes the executions and everything kept for
// them (the tables have no cascading keys: see the first migration). Rows
// another transaction holds (a step racing the purge) are skipped, to be
// purged next time, rather than waited for.
func (s *Store) PurgeExecutions(ctx context.Context, p store.PurgeParams) (int, error) {
	if p.Limit <= 0 {
		return 0, store.ErrInvalidLimit
	}
	var purged int
	err := s.tx(ctx, func(b *pgx.Batch) {
		// Every data-modifying WITH runs, referenced or not; the batch v
		// is read once.
		b.Queue(`WITH v AS (
				SELECT id, arn FROM executions x
				WHERE status <> 'RUNNING' AND stopped_at < $1
				AND (parent_token = '' OR NOT EXISTS (SELECT 1 FROM tasks t WHERE t.token = x.parent_token))
				ORDER BY stopped_at LIMIT $2 FOR UPDATE SKIP LOCKED),
			de AS (DELETE FROM events WHERE exec_id IN (SELECT id FROM v)),
			di AS (DELETE FROM inputs WHERE exec_id IN (SELECT id FROM v)),
			dtm AS (DELETE FROM timers WHERE exec_id IN (SELECT id FROM v)),
			dtk AS (DELETE FROM tasks WHERE exec_id IN (SELECT id FROM v)),
			dtg AS (DELETE FROM tags WHERE arn IN (SELECT arn FROM v)),
			dmr AS (DELETE FROM map_runs WHERE exec_id IN (SELECT id FROM v)),
			dmx AS (DELETE FROM map_run_executions WHERE exec_id IN (SELECT id FROM v)),
			gone AS (DELETE FROM executions WHERE id IN (SELECT id FROM v) RETURNING 1)
			SELECT count(*) FROM gone`, p.StoppedBefore, p.Limit).QueryRow(func(row pgx.Row) error {
			return row.Scan(&purged)
		})
	})
	if err != nil {
		return 0, err
	}
	return purged, nil
}
