package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

const versionColumns = `state_machine_arn, version, definition, role_arn, revision_id, description, created_at`

func scanVersion(sc interface{ Scan(...any) error }) (*store.StateMachineVersion, error) {
	var v store.StateMachineVersion
	var created int64
	if err := sc.Scan(&v.StateMachineArn, &v.Version, &v.Definition, &v.RoleArn, &v.RevisionID, &v.Description, &created); err != nil {
		return nil, err
	}
	v.Arn = arn.Version(v.StateMachineArn, v.Version)
	v.CreatedAt = fromNanos(created)
	return &v, nil
}

// PublishStateMachineVersion checks the revision, looks for a version of
// it, counts and inserts in one write, so that concurrent publishes and
// updates cannot interleave between the checks and the insert.
func (s *Store) PublishStateMachineVersion(ctx context.Context, p store.PublishVersionParams) (*store.StateMachineVersion, bool, error) {
	var out *store.StateMachineVersion
	created := false
	err := s.write(ctx, func(w *writer) error {
		var rev string
		var last int64
		err := w.queryRow(`SELECT revision_id, last_version FROM state_machines WHERE arn = ?`, p.StateMachineArn).Scan(&rev, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if rev != p.RevisionID {
			return store.ErrConflict
		}
		v, err := scanVersion(w.queryRow(`SELECT `+versionColumns+` FROM state_machine_versions
			WHERE state_machine_arn = ? AND revision_id = ? ORDER BY version DESC LIMIT 1`, p.StateMachineArn, p.RevisionID))
		if err == nil {
			out = v
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if p.MaxVersions > 0 {
			var n int
			if err := w.queryRow(`SELECT count(*) FROM state_machine_versions WHERE state_machine_arn = ?`, p.StateMachineArn).Scan(&n); err != nil {
				return err
			}
			if n >= p.MaxVersions {
				return store.ErrLimitExceeded
			}
		}
		out = &store.StateMachineVersion{
			StateMachineArn: p.StateMachineArn, Version: last + 1, Definition: p.Definition, RoleArn: p.RoleArn,
			RevisionID: p.RevisionID, Description: p.Description, CreatedAt: p.CreatedAt.UTC(),
		}
		out.Arn = arn.Version(out.StateMachineArn, out.Version)
		if _, err := w.exec(`UPDATE state_machines SET last_version = ? WHERE arn = ?`, out.Version, p.StateMachineArn); err != nil {
			return err
		}
		if _, err := w.exec(`INSERT INTO state_machine_versions (`+versionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			out.StateMachineArn, out.Version, out.Definition, out.RoleArn, out.RevisionID, out.Description, toNanos(p.CreatedAt)); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

func (s *Store) GetStateMachineVersion(ctx context.Context, versionArn string) (*store.StateMachineVersion, error) {
	smArn, n, ok := arn.SplitVersion(versionArn)
	if !ok {
		return nil, store.ErrNotFound
	}
	v, err := scanVersion(s.queryRow(ctx, `SELECT `+versionColumns+` FROM state_machine_versions
		WHERE state_machine_arn = ? AND version = ?`, smArn, n))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return v, err
}

// ListStateMachineVersions's token is the last number returned ("v1."
// versions the format).
func (s *Store) ListStateMachineVersions(ctx context.Context, p store.ListVersionsParams) ([]*store.StateMachineVersion, string, error) {
	if p.Limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	query := `SELECT ` + versionColumns + ` FROM state_machine_versions WHERE state_machine_arn = ?`
	args := []any{p.StateMachineArn}
	if p.Token != "" {
		before, err := sqlkit.DecodeVersion(p.Token)
		if err != nil {
			return nil, "", err
		}
		query += ` AND version < ?`
		args = append(args, before)
	}
	query += ` ORDER BY version DESC LIMIT ?`
	args = append(args, p.Limit+1)
	rows, err := s.rquery(ctx, query, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out, more, err := sqlkit.Page(rows, p.Limit, func(r *sql.Rows) (*store.StateMachineVersion, error) { return scanVersion(r) })
	if err != nil || !more {
		return out, "", err
	}
	return out, sqlkit.EncodeVersion(out[len(out)-1].Version), nil
}

func (s *Store) DeleteStateMachineVersion(ctx context.Context, versionArn string) error {
	smArn, n, ok := arn.SplitVersion(versionArn)
	if !ok {
		return store.ErrNotFound
	}
	return s.write(ctx, func(w *writer) error {
		var routed int
		if err := w.queryRow(`SELECT count(*) FROM state_machine_aliases
			WHERE state_machine_arn = ? AND (version1 = ? OR version2 = ?)`, smArn, n, n).Scan(&routed); err != nil {
			return err
		}
		if routed > 0 {
			return store.ErrConflict
		}
		c, err := w.execN(`DELETE FROM state_machine_versions WHERE state_machine_arn = ? AND version = ?`, smArn, n)
		if err == nil && c == 0 {
			err = store.ErrNotFound
		}
		return err
	})
}
