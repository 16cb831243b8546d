package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/statecraft/statecraft/store"
)

const stackColumns = `account, region, stack_id, stack_name, deleted, document, created_at, version`

func scanStack(sc interface{ Scan(...any) error }) (*store.Stack, error) {
	var st store.Stack
	var created int64
	if err := sc.Scan(&st.Account, &st.Region, &st.StackID, &st.StackName, &st.Deleted, &st.Document, &created, &st.Version); err != nil {
		return nil, err
	}
	st.CreatedAt = fromNanos(created)
	return &st, nil
}

// PutStack reads the stored version and the name's holder in the write
// that puts, which the one writer orders with every other.
func (s *Store) PutStack(ctx context.Context, p store.PutStackParams) (int64, error) {
	var version int64
	err := s.write(ctx, func(w *writer) error {
		var have int64
		err := w.queryRow(`SELECT version FROM cloudformation_stacks WHERE account = ? AND region = ? AND stack_id = ?`,
			p.Account, p.Region, p.StackID).Scan(&have)
		switch {
		case errors.Is(err, sql.ErrNoRows):
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
			err := w.queryRow(`SELECT stack_id FROM cloudformation_stacks WHERE account = ? AND region = ? AND stack_name = ? AND deleted = 0`,
				p.Account, p.Region, p.StackName).Scan(&other)
			if err == nil && other != p.StackID {
				return store.ErrAlreadyExists
			}
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		version = p.Version + 1
		if p.Version == 0 {
			_, err = w.exec(`INSERT INTO cloudformation_stacks (`+stackColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				p.Account, p.Region, p.StackID, p.StackName, p.Deleted, p.Document, toNanos(p.CreatedAt), version)
			return err
		}
		_, err = w.exec(`UPDATE cloudformation_stacks SET stack_name = ?, deleted = ?, document = ?, version = ?
			WHERE account = ? AND region = ? AND stack_id = ?`,
			p.StackName, p.Deleted, p.Document, version, p.Account, p.Region, p.StackID)
		return err
	})
	if err != nil {
		return 0, err
	}
	return version, nil
}

func (s *Store) GetStack(ctx context.Context, account, region, stackID string) (*store.Stack, error) {
	st, err := scanStack(s.queryRow(ctx, `SELECT `+stackColumns+` FROM cloudformation_stacks WHERE account = ? AND region = ? AND stack_id = ?`,
		account, region, stackID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return st, err
}

func (s *Store) ListStacks(ctx context.Context, p store.ListStacksParams) ([]*store.Stack, error) {
	query := `SELECT ` + stackColumns + ` FROM cloudformation_stacks WHERE account = ? AND region = ?`
	args := []any{p.Account, p.Region}
	if p.Account == "" {
		query, args = `SELECT `+stackColumns+` FROM cloudformation_stacks WHERE 1 = 1`, nil
	}
	if p.StackName != "" {
		query += ` AND stack_name = ? AND deleted = 0`
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
	return s.write(ctx, func(w *writer) error {
		var have int64
		err := w.queryRow(`SELECT version FROM cloudformation_stacks WHERE account = ? AND region = ? AND stack_id = ?`,
			account, region, stackID).Scan(&have)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if have != version {
			return store.ErrStaleVersion
		}
		_, err = w.exec(`DELETE FROM cloudformation_stacks WHERE account = ? AND region = ? AND stack_id = ?`, account, region, stackID)
		return err
	})
}
