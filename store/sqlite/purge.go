package sqlite

import (
	"context"
	"fmt"

	"github.com/statecraft/statecraft/store"
)

// vacuumPages caps the pages one purge hands back to the file system
// (PRAGMA incremental_vacuum moves pages from the end of the file into
// free ones and truncates it). 2048 pages of 4 KiB, 8 MiB, keep the op
// short; what is left stays on the free list, where new rows reuse it,
// and the next purge goes on.
const vacuumPages = 2048

// PurgeExecutions is one op of the committer, so it commits with
// whatever steps are queued beside it and holds the writer for one batch
// of deletions only; the caller sizes the batch. The free pages the
// deletions leave are given back to the file system in the same op.
func (s *Store) PurgeExecutions(ctx context.Context, p store.PurgeParams) (int, error) {
	if p.Limit <= 0 {
		return 0, store.ErrInvalidLimit
	}
	var purged int
	err := s.write(ctx, func(w *writer) error {
		st, err := w.stmt(`SELECT id, arn FROM executions x
			WHERE status != 'RUNNING' AND stopped_at < ?
			AND (parent_token = '' OR NOT EXISTS (SELECT 1 FROM tasks t WHERE t.token = x.parent_token))
			ORDER BY stopped_at LIMIT ?`)
		if err != nil {
			return err
		}
		rows, err := st.QueryContext(bg, toNanos(p.StoppedBefore), p.Limit)
		if err != nil {
			return err
		}
		type victim struct {
			id  int64
			arn string
		}
		var vs []victim
		for rows.Next() {
			var v victim
			if err := rows.Scan(&v.id, &v.arn); err != nil {
				rows.Close()
				return err
			}
			vs = append(vs, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(vs) > 0 {
			clear(w.ids) // a purged row's id can be given to a new one
		}
		for _, v := range vs {
			// The cascades would do the first four; saying it keeps the
			// purge whole should foreign keys ever be off.
			for _, q := range []string{
				`DELETE FROM events WHERE exec_id = ?`,
				`DELETE FROM inputs WHERE exec_id = ?`,
				`DELETE FROM timers WHERE exec_id = ?`,
				`DELETE FROM tasks WHERE exec_id = ?`,
				`DELETE FROM map_run_executions WHERE exec_id = ?`,
				`DELETE FROM map_runs WHERE exec_id = ?`,
				`DELETE FROM executions WHERE id = ?`,
			} {
				if _, err := w.exec(q, v.id); err != nil {
					return err
				}
			}
			if _, err := w.exec(`DELETE FROM tags WHERE arn = ?`, v.arn); err != nil {
				return err
			}
		}
		if err := w.vacuum(vacuumPages); err != nil {
			return err
		}
		purged = len(vs)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return purged, nil
}

// vacuum gives up to n free pages back to the file system.
func (w *writer) vacuum(n int) error {
	var free int
	if err := w.queryRow(`PRAGMA freelist_count`).Scan(&free); err != nil {
		return err
	}
	if free == 0 {
		return nil
	}
	// The pragma frees a page per row it steps; Exec steps to the end.
	_, err := w.conn.ExecContext(bg, fmt.Sprintf(`PRAGMA incremental_vacuum(%d)`, min(free, n)))
	return err
}
