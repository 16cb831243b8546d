package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

const smColumns = `arn, name, type, definition, role_arn, status, revision_id, logging, tracing, description, created_at, updated_at`

func scanStateMachine(sc interface{ Scan(...any) error }) (*store.StateMachine, error) {
	var sm store.StateMachine
	var created, updated int64
	err := sc.Scan(&sm.Arn, &sm.Name, &sm.Type, &sm.Definition, &sm.RoleArn, &sm.Status,
		&sm.RevisionID, &sm.Logging, &sm.Tracing, &sm.Description, &created, &updated)
	if err != nil {
		return nil, err
	}
	sm.CreatedAt, sm.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &sm, nil
}

func (s *Store) CreateStateMachine(ctx context.Context, sm *store.StateMachine) error {
	return s.write(ctx, func(w *writer) error {
		_, err := w.exec(`INSERT INTO state_machines (`+smColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sm.Arn, sm.Name, sm.Type, sm.Definition, sm.RoleArn, sm.Status, sm.RevisionID,
			sm.Logging, sm.Tracing, sm.Description, toNanos(sm.CreatedAt), toNanos(sm.UpdatedAt))
		if isDuplicate(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

func (s *Store) GetStateMachine(ctx context.Context, arn string) (*store.StateMachine, error) {
	sm, err := scanStateMachine(s.queryRow(ctx,
		`SELECT `+smColumns+` FROM state_machines WHERE arn = ?`, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return sm, err
}

func (s *Store) UpdateStateMachine(ctx context.Context, sm *store.StateMachine) error {
	return s.write(ctx, func(w *writer) error {
		n, err := w.execN(`UPDATE state_machines SET name = ?, type = ?, definition = ?, role_arn = ?,
			status = ?, revision_id = ?, logging = ?, tracing = ?, description = ?, updated_at = ?
			WHERE arn = ?`,
			sm.Name, sm.Type, sm.Definition, sm.RoleArn, sm.Status, sm.RevisionID,
			sm.Logging, sm.Tracing, sm.Description, toNanos(sm.UpdatedAt), sm.Arn)
		if err == nil && n == 0 {
			err = store.ErrNotFound
		}
		return err
	})
}

func (s *Store) DeleteStateMachine(ctx context.Context, arn string) error {
	return s.write(ctx, func(w *writer) error {
		n, err := w.execN(`DELETE FROM state_machines WHERE arn = ?`, arn)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		if _, err := w.exec(`DELETE FROM state_machine_versions WHERE state_machine_arn = ?`, arn); err != nil {
			return err
		}
		if _, err := w.exec(`DELETE FROM state_machine_aliases WHERE state_machine_arn = ?`, arn); err != nil {
			return err
		}
		_, err = w.exec(`DELETE FROM tags WHERE arn = ?`, arn)
		return err
	})
}

func (s *Store) ListStateMachines(ctx context.Context, p store.ListParams) ([]*store.StateMachine, string, error) {
	var out []*store.StateMachine
	next, err := s.listByCreation(ctx, "state_machines", smColumns, p, func(rows *sql.Rows) (int64, string, error) {
		sm, err := scanStateMachine(rows)
		if err != nil {
			return 0, "", err
		}
		out = append(out, sm)
		return toNanos(sm.CreatedAt), sm.Arn, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

func (s *Store) CreateActivity(ctx context.Context, a *store.Activity) error {
	return s.write(ctx, func(w *writer) error {
		_, err := w.exec(`INSERT INTO activities (arn, name, created_at) VALUES (?, ?, ?)`,
			a.Arn, a.Name, toNanos(a.CreatedAt))
		if isDuplicate(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
}

func (s *Store) GetActivity(ctx context.Context, arn string) (*store.Activity, error) {
	var a store.Activity
	var created int64
	err := s.queryRow(ctx, `SELECT arn, name, created_at FROM activities WHERE arn = ?`, arn).
		Scan(&a.Arn, &a.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.CreatedAt = fromNanos(created)
	return &a, nil
}

func (s *Store) DeleteActivity(ctx context.Context, arn string) error {
	return s.write(ctx, func(w *writer) error {
		n, err := w.execN(`DELETE FROM activities WHERE arn = ?`, arn)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		_, err = w.exec(`DELETE FROM tags WHERE arn = ?`, arn)
		return err
	})
}

func (s *Store) ListActivities(ctx context.Context, p store.ListParams) ([]*store.Activity, string, error) {
	var out []*store.Activity
	next, err := s.listByCreation(ctx, "activities", "arn, name, created_at", p, func(rows *sql.Rows) (int64, string, error) {
		var a store.Activity
		var created int64
		if err := rows.Scan(&a.Arn, &a.Name, &created); err != nil {
			return 0, "", err
		}
		a.CreatedAt = fromNanos(created)
		out = append(out, &a)
		return created, a.Arn, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// listByCreation pages a table by (created_at, arn) ascending. scan reads
// one row and returns its sort key.
//
// An ArnPrefix becomes a range on arn rather than LIKE: the range needs no
// escaping of the caller's text ('%' and '_' are plain bytes in it) and the
// primary key's index can serve it. The range applies to every page, so a
// token, which is only a position, cannot reach rows outside it.
func (s *Store) listByCreation(ctx context.Context, table, columns string, p store.ListParams,
	scan func(*sql.Rows) (int64, string, error)) (string, error) {
	if p.Limit <= 0 {
		return "", store.ErrInvalidLimit
	}
	query := `SELECT ` + columns + ` FROM ` + table + ` WHERE 1`
	var args []any
	if p.ArnPrefix != "" {
		query += ` AND arn >= ?`
		args = append(args, p.ArnPrefix)
		if end, ok := prefixEnd(p.ArnPrefix); ok {
			query += ` AND arn < ?`
			args = append(args, end)
		}
	}
	if p.Token != "" {
		at, arn, err := sqlkit.DecodeKey(p.Token)
		if err != nil {
			return "", err
		}
		query += ` AND (created_at, arn) > (?, ?)`
		args = append(args, at, arn)
	}
	// One row more than the page says whether another page follows.
	query += ` ORDER BY created_at, arn LIMIT ?`
	args = append(args, p.Limit+1)
	return s.pageRows(ctx, query, args, p.Limit, scan)
}

// prefixEnd is the least string greater than every string that starts
// with prefix, so that "starts with prefix" is prefix <= s < end under
// SQLite's BINARY collation (byte order). ok is false when there is no such
// string (prefix is all 0xff bytes): then every s >= prefix starts with it.
func prefixEnd(prefix string) (end string, ok bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

func (s *Store) pageRows(ctx context.Context, query string, args []any, limit int,
	scan func(*sql.Rows) (int64, string, error)) (string, error) {
	rows, err := s.rquery(ctx, query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	type key struct {
		at  int64
		arn string
	}
	keys, more, err := sqlkit.Page(rows, limit, func(r *sql.Rows) (key, error) {
		at, arn, err := scan(r)
		return key{at, arn}, err
	})
	if err != nil || !more {
		return "", err
	}
	last := keys[len(keys)-1]
	return sqlkit.EncodeKey(last.at, last.arn), nil
}

func (s *Store) TagResource(ctx context.Context, p store.TagResourceParams) error {
	if len(p.Tags) == 0 {
		return nil
	}
	return s.write(ctx, func(w *writer) error {
		for k, v := range p.Tags {
			if _, err := w.exec(`INSERT INTO tags (arn, key, value) VALUES (?, ?, ?)
				ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`, p.Arn, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) UntagResource(ctx context.Context, p store.UntagResourceParams) error {
	if len(p.Keys) == 0 {
		return nil
	}
	return s.write(ctx, func(w *writer) error {
		for _, k := range p.Keys {
			if _, err := w.exec(`DELETE FROM tags WHERE arn = ? AND key = ?`, p.Arn, k); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) ListTags(ctx context.Context, arn string) (map[string]string, error) {
	rows, err := s.rquery(ctx, `SELECT key, value FROM tags WHERE arn = ?`, arn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store/sqlite: tags: %w", err)
	}
	return out, nil
}
