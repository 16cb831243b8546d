package postgres

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/statecraft/statecraft/store"
)

const stackColumns = `account, region, stack_id, stack_name, deleted, document, created_at, version`

func scanStack(row pgx.Row) (*store.Stack, error) {
	var st store.Stack
	if err := row.Scan(&st.Account, &st.Region, &st.StackID, &st.StackName, &st.Deleted, &st.Document, &st.CreatedAt, &st.Version); err != nil {
		return nil, err
	}
	st.CreatedAt = st.CreatedAt.UTC()
	return &st, nil
}

// PutStack locks the stack's row (FOR UPDATE) before comparing versions,
// so that of two nodes putting the same version one waits and then finds
// it stale; two inserts of one id or one live name meet at the unique
// indexes.
func (s *Store) PutStack(ctx context.Context, p store.PutStackParams) (int64, error) {
	var version int64
	err := s.txThen(ctx, func(*pgx.Batch) {}, func(tx pgx.Tx) error {
		var have int64
		err := tx.QueryRow(ctx, `SELECT version FROM cloudformation_stacks WHERE account = $1 AND region = $2 AND stack_id = $3 FOR UPDATE`,
			p.Account, p.Region, p.StackID).Scan(&have)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if p.Version != 0 {
				return store.ErrNotFound
			}
		case err != nil:
			return err
		case p.Version != have:
			return store.ErrStaleVersion
		}
		if !p.Deleted {
			var other string
			err := tx.QueryRow(ctx, `SELECT stack_id FROM cloudformation_stacks WHERE account = $1 AND region = $2 AND stack_name = $3 AND NOT deleted`,
				p.Account, p.Region, p.StackName).Scan(&other)
			if err == nil && other != p.StackID {
				return store.ErrAlreadyExists
			}
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		version = p.Version + 1
		if p.Version == 0 {
			_, err = tx.Exec(ctx, `INSERT INTO cloudformation_stacks (`+stackColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				p.Account, p.Region, p.StackID, p.StackName, p.Deleted, p.Document, p.CreatedAt, version)
			return stackErr(err)
		}
		_, err = tx.Exec(ctx, `UPDATE cloudformation_stacks SET stack_name = $1, deleted = $2, document = $3, version = $4
			WHERE account = $5 AND region = $6 AND stack_id = $7`,
			p.StackName, p.Deleted, p.Document, version, p.Account, p.Region, p.StackID)
		return stackErr(err)
	})
	if err != nil {
		return 0, err
	}
	return version, nil
}

// stackErr names the unique index a concurrent put hit: another insert
// of the id is a stale version 0, another live stack of the name exists.
func stackErr(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return err
	}
	switch pgErr.ConstraintName {
	case "cloudformation_stacks_pkey":
		return store.ErrStaleVersion
	case "cloudformation_stacks_live_name":
		return store.ErrAlreadyExists
	}
	return err
}

func (s *Store) GetStack(ctx context.Context, account, region, stackID string) (*store.Stack, error) {
	st, err := scanStack(s.queryRow(ctx, `SELECT `+stackColumns+` FROM cloudformation_stacks WHERE account = $1 AND region = $2 AND stack_id = $3`,
		account, region, stackID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return st, err
}

func (s *Store) ListStacks(ctx context.Context, p store.ListStacksParams) ([]*store.Stack, error) {
	query := `SELECT ` + stackColumns + ` FROM cloudformation_stacks WHERE account = $1 AND region = $2`
	args := []any{p.Account, p.Region}
	if p.Account == "" {
		query, args = `SELECT `+stackColumns+` FROM cloudformation_stacks WHERE true`, nil
	}
	if p.StackName != "" {
		query += ` AND stack_name = $` + strconv.Itoa(len(args)+1) + ` AND NOT deleted`
		args = append(args, p.StackName)
	}
	rows, err := s.query(ctx, query+` ORDER BY created_at, stack_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Stack
	for rows.Next() {
		st, err := scanStack(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

func (s *Store) DeleteStack(ctx context.Context, account, region, stackID string, version int64) error {
	return s.txThen(ctx, func(*pgx.Batch) {}, func(tx pgx.Tx) error {
		var have int64
		err := tx.QueryRow(ctx, `SELECT version FROM cloudformation_stacks WHERE account = $1 AND region = $2 AND stack_id = $3 FOR UPDATE`,
			account, region, stackID).Scan(&have)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if have != version {
			return store.ErrStaleVersion
		}
		_, err = tx.Exec(ctx, `DELETE FROM cloudformation_stacks WHERE account = $1 AND region = $2 AND stack_id = $3`, account, region, stackID)
		return err
	})
}
