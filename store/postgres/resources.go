package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

// exec is a write of one statement; check, when not nil, judges what it
// changed before the transaction commits.
func (s *Store) exec(ctx context.Context, check func(pgconn.CommandTag) error, sql string, args ...any) error {
	return s.tx(ctx, func(b *pgx.Batch) {
		q := b.Queue(sql, args...)
		if check != nil {
			q.Exec(check)
		}
	})
}

// atLeastOne is the check of an update or delete by key: nothing changed
// means nothing was there.
func atLeastOne(ct pgconn.CommandTag) error {
	if ct.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

const smColumns = `arn, name, type, definition, role_arn, status, revision_id, logging, tracing, description, created_at, updated_at`

func scanStateMachine(row pgx.Row) (*store.StateMachine, error) {
	var sm store.StateMachine
	err := row.Scan(&sm.Arn, &sm.Name, &sm.Type, &sm.Definition, &sm.RoleArn, &sm.Status,
		&sm.RevisionID, &sm.Logging, &sm.Tracing, &sm.Description, &sm.CreatedAt, &sm.UpdatedAt)
	if err != nil {
		return nil, err
	}
	sm.CreatedAt, sm.UpdatedAt = ut(sm.CreatedAt), ut(sm.UpdatedAt)
	return &sm, nil
}

func (s *Store) CreateStateMachine(ctx context.Context, sm *store.StateMachine) error {
	return s.exec(ctx, nil, `INSERT INTO state_machines (`+smColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		sm.Arn, sm.Name, sm.Type, sm.Definition, sm.RoleArn, sm.Status, sm.RevisionID,
		sm.Logging, sm.Tracing, sm.Description, sm.CreatedAt, sm.UpdatedAt)
}

func (s *Store) GetStateMachine(ctx context.Context, arn string) (*store.StateMachine, error) {
	sm, err := scanStateMachine(s.queryRow(ctx, `SELECT `+smColumns+` FROM state_machines WHERE arn = $1`, arn))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return sm, err
}

func (s *Store) UpdateStateMachine(ctx context.Context, sm *store.StateMachine) error {
	return s.exec(ctx, atLeastOne, `UPDATE state_machines SET name = $1, type = $2, definition = $3, role_arn = $4,
		status = $5, revision_id = $6, logging = $7, tracing = $8, description = $9, updated_at = $10
		WHERE arn = $11`,
		sm.Name, sm.Type, sm.Definition, sm.RoleArn, sm.Status, sm.RevisionID,
		sm.Logging, sm.Tracing, sm.Description, sm.UpdatedAt, sm.Arn)
}

func (s *Store) DeleteStateMachine(ctx context.Context, arn string) error {
	return s.tx(ctx, func(b *pgx.Batch) {
		b.Queue(`DELETE FROM state_machines WHERE arn = $1`, arn).Exec(atLeastOne)
		b.Queue(`DELETE FROM state_machine_versions WHERE state_machine_arn = $1`, arn)
		b.Queue(`DELETE FROM state_machine_aliases WHERE state_machine_arn = $1`, arn)
		b.Queue(`DELETE FROM tags WHERE arn = $1`, arn)
	})
}

func (s *Store) ListStateMachines(ctx context.Context, p store.ListParams) ([]*store.StateMachine, string, error) {
	var out []*store.StateMachine
	next, err := s.listByCreation(ctx, "state_machines", smColumns, p, func(rows pgx.Rows) (time.Time, string, error) {
		sm, err := scanStateMachine(rows)
		if err != nil {
			return time.Time{}, "", err
		}
		out = append(out, sm)
		return sm.CreatedAt, sm.Arn, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

func (s *Store) CreateActivity(ctx context.Context, a *store.Activity) error {
	return s.exec(ctx, nil, `INSERT INTO activities (arn, name, created_at) VALUES ($1, $2, $3)`,
		a.Arn, a.Name, a.CreatedAt)
}

func (s *Store) GetActivity(ctx context.Context, arn string) (*store.Activity, error) {
	var a store.Activity
	err := s.queryRow(ctx, `SELECT arn, name, created_at FROM activities WHERE arn = $1`, arn).
		Scan(&a.Arn, &a.Name, &a.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.CreatedAt = ut(a.CreatedAt)
	return &a, nil
}

func (s *Store) DeleteActivity(ctx context.Context, arn string) error {
	return s.tx(ctx, func(b *pgx.Batch) {
		b.Queue(`DELETE FROM activities WHERE arn = $1`, arn).Exec(atLeastOne)
		b.Queue(`DELETE FROM tags WHERE arn = $1`, arn)
	})
}

func (s *Store) ListActivities(ctx context.Context, p store.ListParams) ([]*store.Activity, string, error) {
	var out []*store.Activity
	next, err := s.listByCreation(ctx, "activities", "arn, name, created_at", p, func(rows pgx.Rows) (time.Time, string, error) {
		var a store.Activity
		if err := rows.Scan(&a.Arn, &a.Name, &a.CreatedAt); err != nil {
			return time.Time{}, "", err
		}
		a.CreatedAt = ut(a.CreatedAt)
		out = append(out, &a)
		return a.CreatedAt, a.Arn, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// listByCreation pages a table by (created_at, arn) ascending. scan reads
// one row and returns its sort key.
//
// An ArnPrefix becomes a range on arn, never LIKE: the range needs no
// escaping of the caller's text ('%' and '_' are plain bytes in it), and
// the arn column's byte order (COLLATE "C") lets the primary key's index
// serve it. The range applies to every page, so a token, which is only a
// position, cannot reach rows outside it.
func (s *Store) listByCreation(ctx context.Context, table, columns string, p store.ListParams,
	scan func(pgx.Rows) (time.Time, string, error)) (string, error) {
	if p.Limit <= 0 {
		return "", store.ErrInvalidLimit
	}
	query := `SELECT ` + columns + ` FROM ` + table + ` WHERE true`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.ArnPrefix != "" {
		if !utf8.ValidString(p.ArnPrefix) {
			// The database holds valid UTF-8 only: no ARN starts so.
			return "", nil
		}
		query += ` AND arn >= ` + arg(p.ArnPrefix)
		if end, ok := prefixEnd(p.ArnPrefix); ok {
			query += ` AND arn < ` + arg(end)
		}
	}
	if p.Token != "" {
		at, arn, err := decodeToken(p.Token)
		if err != nil {
			return "", err
		}
		query += ` AND (created_at, arn) > (` + arg(at) + `, ` + arg(arn) + `)`
	}
	// One row more than the page says whether another page follows.
	query += ` ORDER BY created_at, arn LIMIT ` + arg(p.Limit+1)
	return s.pageRows(ctx, query, args, p.Limit, scan)
}

// prefixEnd is the least valid UTF-8 string greater than every string
// that starts with prefix, so that "starts with prefix" is prefix <= s <
// end in byte order, which is also code point order. It is prefix with its
// last code point that has a successor replaced by that successor (a
// surrogate is no code point, and strings hold none), and what follows
// dropped. ok is false when no code point of prefix has one (all are
// U+10FFFF): then every s >= prefix starts with it.
func prefixEnd(prefix string) (end string, ok bool) {
	for i := len(prefix); i > 0; {
		r, size := utf8.DecodeLastRuneInString(prefix[:i])
		i -= size
		if r == utf8.MaxRune {
			continue
		}
		r++
		if r >= 0xD800 && r <= 0xDFFF {
			r = 0xE000
		}
		return prefix[:i] + string(r), true
	}
	return "", false
}

func (s *Store) pageRows(ctx context.Context, query string, args []any, limit int,
	scan func(pgx.Rows) (time.Time, string, error)) (string, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	type key struct {
		at  time.Time
		arn string
	}
	keys, more, err := sqlkit.Page(rows, limit, func(r pgx.Rows) (key, error) {
		at, arn, err := scan(r)
		return key{at, arn}, err
	})
	if err != nil || !more {
		return "", err
	}
	last := keys[len(keys)-1]
	return sqlkit.EncodeKey(last.at.UnixMicro(), last.arn), nil
}

// decodeToken reads a listing's token: its key is microseconds.
func decodeToken(tok string) (time.Time, string, error) {
	us, arn, err := sqlkit.DecodeKey(tok)
	return time.UnixMicro(us).UTC(), arn, err
}

func (s *Store) TagResource(ctx context.Context, p store.TagResourceParams) error {
	if len(p.Tags) == 0 {
		return nil
	}
	keys := make([]string, 0, len(p.Tags))
	values := make([]string, 0, len(p.Tags))
	for k, v := range p.Tags {
		keys = append(keys, k)
		values = append(values, v)
	}
	return s.exec(ctx, nil, `INSERT INTO tags (arn, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v)
		ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`, p.Arn, keys, values)
}

func (s *Store) UntagResource(ctx context.Context, p store.UntagResourceParams) error {
	if len(p.Keys) == 0 {
		return nil
	}
	return s.exec(ctx, nil, `DELETE FROM tags WHERE arn = $1 AND key = ANY($2::text[])`, p.Arn, p.Keys)
}

func (s *Store) ListTags(ctx context.Context, arn string) (map[string]string, error) {
	rows, err := s.query(ctx, `SELECT key, value FROM tags WHERE arn = $1`, arn)
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
	return out, rows.Err()
}
