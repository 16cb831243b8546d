package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

const versionColumns = `state_machine_arn, version, definition, role_arn, revision_id, description, created_at`

func scanVersion(row pgx.Row) (*store.StateMachineVersion, error) {
	var v store.StateMachineVersion
	if err := row.Scan(&v.StateMachineArn, &v.Version, &v.Definition, &v.RoleArn, &v.RevisionID, &v.Description, &v.CreatedAt); err != nil {
		return nil, err
	}
	v.Arn = arn.Version(v.StateMachineArn, v.Version)
	v.CreatedAt = ut(v.CreatedAt)
	return &v, nil
}

// PublishStateMachineVersion locks the machine's row first (FOR UPDATE),
// so that concurrent publishes and updates of the machine wait for each
// other between its checks and its insert. Publishing is rare: the
// statements after the lock go one at a time, each after the last.
func (s *Store) PublishStateMachineVersion(ctx context.Context, p store.PublishVersionParams) (*store.StateMachineVersion, bool, error) {
	var rev string
	var last int64
	var out *store.StateMachineVersion
	created := false
	err := s.txThen(ctx, func(b *pgx.Batch) {
		b.Queue(`SELECT revision_id, last_version FROM state_machines WHERE arn = $1 FOR UPDATE`, p.StateMachineArn).
			QueryRow(func(row pgx.Row) error {
				err := row.Scan(&rev, &last)
				if errors.Is(err, pgx.ErrNoRows) {
					return store.ErrNotFound
				}
				return err
			})
	}, func(tx pgx.Tx) error {
		if rev != p.RevisionID {
			return store.ErrConflict
		}
		v, err := scanVersion(tx.QueryRow(ctx, `SELECT `+versionColumns+` FROM state_machine_versions
			WHERE state_machine_arn = $1 AND revision_id = $2 ORDER BY version DESC LIMIT 1`, p.StateMachineArn, p.RevisionID))
		if err == nil {
			out = v // published already: commit nothing new
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if p.MaxVersions > 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM state_machine_versions WHERE state_machine_arn = $1`, p.StateMachineArn).Scan(&n); err != nil {
				return err
			}
			if n >= p.MaxVersions {
				return store.ErrLimitExceeded
			}
		}
		out = &store.StateMachineVersion{
			StateMachineArn: p.StateMachineArn, Version: last + 1, Definition: p.Definition, RoleArn: p.RoleArn,
			RevisionID: p.RevisionID, Description: p.Description, CreatedAt: ut(p.CreatedAt),
		}
		out.Arn = arn.Version(out.StateMachineArn, out.Version)
		if _, err := tx.Exec(ctx, `UPDATE state_machines SET last_version = $1 WHERE arn = $2`, out.Version, p.StateMachineArn); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO state_machine_versions (`+versionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			out.StateMachineArn, out.Version, out.Definition, out.RoleArn, out.RevisionID, out.Description, p.CreatedAt); err != nil {
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
		WHERE state_machine_arn = $1 AND version = $2`, smArn, n))
	if errors.Is(err, pgx.ErrNoRows) {
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
	before := int64(1<<63 - 1)
	if p.Token != "" {
		var err error
		if before, err = sqlkit.DecodeVersion(p.Token); err != nil {
			return nil, "", err
		}
	}
	rows, err := s.query(ctx, `SELECT `+versionColumns+` FROM state_machine_versions
		WHERE state_machine_arn = $1 AND version < $2 ORDER BY version DESC LIMIT $3`, p.StateMachineArn, before, p.Limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out, more, err := sqlkit.Page(rows, p.Limit, func(r pgx.Rows) (*store.StateMachineVersion, error) { return scanVersion(r) })
	if err != nil || !more {
		return out, "", err
	}
	return out, sqlkit.EncodeVersion(out[len(out)-1].Version), nil
}

// DeleteStateMachineVersion locks the machine's row, as an alias's
// writes do, so that no alias comes to route to the version between the
// check and the delete.
func (s *Store) DeleteStateMachineVersion(ctx context.Context, versionArn string) error {
	smArn, n, ok := arn.SplitVersion(versionArn)
	if !ok {
		return store.ErrNotFound
	}
	return s.tx(ctx, func(b *pgx.Batch) {
		b.Queue(`SELECT 1 FROM state_machines WHERE arn = $1 FOR UPDATE`, smArn).Exec(atLeastOne)
		b.Queue(`SELECT count(*) FROM state_machine_aliases WHERE state_machine_arn = $1 AND (version1 = $2 OR version2 = $2)`, smArn, n).
			QueryRow(func(row pgx.Row) error {
				var routed int
				if err := row.Scan(&routed); err != nil {
					return err
				}
				if routed > 0 {
					return store.ErrConflict
				}
				return nil
			})
		b.Queue(`DELETE FROM state_machine_versions WHERE state_machine_arn = $1 AND version = $2`, smArn, n).Exec(atLeastOne)
	})
}
