package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

const aliasColumns = `state_machine_arn, name, description, version1, weight1, version2, weight2, created_at, updated_at`

func scanAlias(sc interface{ Scan(...any) error }) (*store.StateMachineAlias, error) {
	var a store.StateMachineAlias
	var r sqlkit.RouteColumns
	var created, updated int64
	if err := sc.Scan(&a.StateMachineArn, &a.Name, &a.Description, &r.Version1, &r.Weight1, &r.Version2, &r.Weight2, &created, &updated); err != nil {
		return nil, err
	}
	a.Arn = arn.Alias(a.StateMachineArn, a.Name)
	a.Routes = r.Routes(a.StateMachineArn)
	a.CreatedAt, a.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &a, nil
}

// versionsExist checks, inside a write, that the machine has every
// version the routes name.
func versionsExist(w *writer, smArn string, r sqlkit.RouteColumns) error {
	for _, n := range r.Versions() {
		var one int
		err := w.queryRow(`SELECT 1 FROM state_machine_versions WHERE state_machine_arn = ? AND version = ?`, smArn, n).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// CreateStateMachineAlias checks the machine, its versions, an alias of
// the name and the count in the one write that inserts, so that a
// version's deletion (which checks the aliases in its own write) cannot
// come in between.
func (s *Store) CreateStateMachineAlias(ctx context.Context, p store.CreateAliasParams) (*store.StateMachineAlias, bool, error) {
	r, err := sqlkit.Routes(p.StateMachineArn, p.Routes)
	if err != nil {
		return nil, false, err
	}
	var out *store.StateMachineAlias
	created := false
	err = s.write(ctx, func(w *writer) error {
		var one int
		err := w.queryRow(`SELECT 1 FROM state_machines WHERE arn = ?`, p.StateMachineArn).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := versionsExist(w, p.StateMachineArn, r); err != nil {
			return err
		}
		have, err := scanAlias(w.queryRow(`SELECT `+aliasColumns+` FROM state_machine_aliases
			WHERE state_machine_arn = ? AND name = ?`, p.StateMachineArn, p.Name))
		if err == nil {
			out = have
			return sqlkit.CreateAgain(have, p)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if p.MaxAliases > 0 {
			var n int
			if err := w.queryRow(`SELECT count(*) FROM state_machine_aliases WHERE state_machine_arn = ?`, p.StateMachineArn).Scan(&n); err != nil {
				return err
			}
			if n >= p.MaxAliases {
				return store.ErrLimitExceeded
			}
		}
		if _, err := w.exec(`INSERT INTO state_machine_aliases (`+aliasColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.StateMachineArn, p.Name, p.Description, r.Version1, r.Weight1, r.Version2, r.Weight2,
			toNanos(p.CreatedAt), toNanos(p.CreatedAt)); err != nil {
			return err
		}
		out = sqlkit.NewAlias(p, r, p.CreatedAt.UTC())
		created = true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

func (s *Store) GetStateMachineAlias(ctx context.Context, aliasArn string) (*store.StateMachineAlias, error) {
	smArn, name, ok := arn.SplitAlias(aliasArn)
	if !ok {
		return nil, store.ErrNotFound
	}
	a, err := scanAlias(s.queryRow(ctx, `SELECT `+aliasColumns+` FROM state_machine_aliases
		WHERE state_machine_arn = ? AND name = ?`, smArn, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return a, err
}

func (s *Store) UpdateStateMachineAlias(ctx context.Context, p store.UpdateAliasParams) (*store.StateMachineAlias, error) {
	smArn, name, routes, err := sqlkit.AliasUpdate(p)
	if err != nil {
		return nil, err
	}
	var out *store.StateMachineAlias
	err = s.write(ctx, func(w *writer) error {
		a, err := scanAlias(w.queryRow(`SELECT `+aliasColumns+` FROM state_machine_aliases
			WHERE state_machine_arn = ? AND name = ?`, smArn, name))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if p.Routes != nil {
			if err := versionsExist(w, smArn, routes); err != nil {
				return err
			}
		}
		r, err := sqlkit.ApplyUpdate(a, p, routes)
		if err != nil {
			return err
		}
		a.UpdatedAt = p.UpdatedAt.UTC()
		if _, err := w.exec(`UPDATE state_machine_aliases SET description = ?, version1 = ?, weight1 = ?, version2 = ?, weight2 = ?, updated_at = ?
			WHERE state_machine_arn = ? AND name = ?`,
			a.Description, r.Version1, r.Weight1, r.Version2, r.Weight2, toNanos(p.UpdatedAt), smArn, name); err != nil {
			return err
		}
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) DeleteStateMachineAlias(ctx context.Context, aliasArn string) error {
	smArn, name, ok := arn.SplitAlias(aliasArn)
	if !ok {
		return store.ErrNotFound
	}
	return s.write(ctx, func(w *writer) error {
		n, err := w.execN(`DELETE FROM state_machine_aliases WHERE state_machine_arn = ? AND name = ?`, smArn, name)
		if err == nil && n == 0 {
			err = store.ErrNotFound
		}
		return err
	})
}

// ListStateMachineAliases pages one machine's aliases by (created_at,
// name); its token holds the last alias's ARN, whose name is that alias's
// within any machine.
func (s *Store) ListStateMachineAliases(ctx context.Context, p store.ListAliasesParams) ([]*store.StateMachineAlias, string, error) {
	if p.Limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	query := `SELECT ` + aliasColumns + ` FROM state_machine_aliases WHERE state_machine_arn = ?`
	args := []any{p.StateMachineArn}
	n, ok := sqlkit.AliasVersion(p)
	if !ok {
		return nil, "", nil
	}
	if n != 0 {
		query += ` AND (version1 = ? OR version2 = ?)`
		args = append(args, n, n)
	}
	if p.Token != "" {
		at, last, err := sqlkit.DecodeKey(p.Token)
		if err != nil {
			return nil, "", err
		}
		name, err := sqlkit.AliasAfter(last)
		if err != nil {
			return nil, "", err
		}
		query += ` AND (created_at, name) > (?, ?)`
		args = append(args, at, name)
	}
	query += ` ORDER BY created_at, name LIMIT ?`
	args = append(args, p.Limit+1)
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out, more, err := sqlkit.Page(rows, p.Limit, func(r *sql.Rows) (*store.StateMachineAlias, error) { return scanAlias(r) })
	if err != nil || !more {
		return out, "", err
	}
	last := out[len(out)-1]
	return out, sqlkit.EncodeKey(toNanos(last.CreatedAt), last.Arn), nil
}
