package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

const aliasColumns = `state_machine_arn, name, description, version1, weight1, version2, weight2, created_at, updated_at`

func scanAlias(row pgx.Row) (*store.StateMachineAlias, error) {
	var a store.StateMachineAlias
	var r sqlkit.RouteColumns
	var w1, w2 int32
	if err := row.Scan(&a.StateMachineArn, &a.Name, &a.Description, &r.Version1, &w1, &r.Version2, &w2, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	r.Weight1, r.Weight2 = int64(w1), int64(w2)
	a.Arn = arn.Alias(a.StateMachineArn, a.Name)
	a.Routes = r.Routes(a.StateMachineArn)
	a.CreatedAt, a.UpdatedAt = ut(a.CreatedAt), ut(a.UpdatedAt)
	return &a, nil
}

// lockMachine locks a machine's row for the rest of the transaction:
// every write of an alias, and the deletion of a version, takes it first,
// so that an alias never comes to route to a version being deleted.
func lockMachine(b *pgx.Batch, smArn string) {
	b.Queue(`SELECT 1 FROM state_machines WHERE arn = $1 FOR UPDATE`, smArn).Exec(atLeastOne)
}

// versionsExist checks, after lockMachine, that the machine has every
// version the routes name.
func versionsExist(ctx context.Context, tx pgx.Tx, smArn string, r sqlkit.RouteColumns) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM state_machine_versions WHERE state_machine_arn = $1 AND version = ANY($2)`,
		smArn, r.Versions()).Scan(&n); err != nil {
		return err
	}
	if n != len(r.Versions()) {
		return store.ErrNotFound
	}
	return nil
}

func (s *Store) CreateStateMachineAlias(ctx context.Context, p store.CreateAliasParams) (*store.StateMachineAlias, bool, error) {
	r, err := sqlkit.Routes(p.StateMachineArn, p.Routes)
	if err != nil {
		return nil, false, err
	}
	var out *store.StateMachineAlias
	created := false
	err = s.txThen(ctx, func(b *pgx.Batch) { lockMachine(b, p.StateMachineArn) }, func(tx pgx.Tx) error {
		out, created = nil, false
		if err := versionsExist(ctx, tx, p.StateMachineArn, r); err != nil {
			return err
		}
		have, err := scanAlias(tx.QueryRow(ctx, `SELECT `+aliasColumns+` FROM state_machine_aliases
			WHERE state_machine_arn = $1 AND name = $2`, p.StateMachineArn, p.Name))
		if err == nil {
			out = have
			return sqlkit.CreateAgain(have, p)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if p.MaxAliases > 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM state_machine_aliases WHERE state_machine_arn = $1`, p.StateMachineArn).Scan(&n); err != nil {
				return err
			}
			if n >= p.MaxAliases {
				return store.ErrLimitExceeded
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO state_machine_aliases (`+aliasColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
			p.StateMachineArn, p.Name, p.Description, r.Version1, r.Weight1, r.Version2, r.Weight2, p.CreatedAt); err != nil {
			return err
		}
		out = sqlkit.NewAlias(p, r, ut(p.CreatedAt))
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
		WHERE state_machine_arn = $1 AND name = $2`, smArn, name))
	if errors.Is(err, pgx.ErrNoRows) {
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
	err = s.txThen(ctx, func(b *pgx.Batch) {
		// The machine's row goes with its aliases: a missing machine is a
		// missing alias.
		lockMachine(b, smArn)
	}, func(tx pgx.Tx) error {
		out = nil
		a, err := scanAlias(tx.QueryRow(ctx, `SELECT `+aliasColumns+` FROM state_machine_aliases
			WHERE state_machine_arn = $1 AND name = $2`, smArn, name))
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if p.Routes != nil {
			if err := versionsExist(ctx, tx, smArn, routes); err != nil {
				return err
			}
		}
		r, err := sqlkit.ApplyUpdate(a, p, routes)
		if err != nil {
			return err
		}
		a.UpdatedAt = ut(p.UpdatedAt)
		if _, err := tx.Exec(ctx, `UPDATE state_machine_aliases SET description = $3, version1 = $4, weight1 = $5, version2 = $6, weight2 = $7, updated_at = $8
			WHERE state_machine_arn = $1 AND name = $2`,
			smArn, name, a.Description, r.Version1, r.Weight1, r.Version2, r.Weight2, p.UpdatedAt); err != nil {
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
	return s.exec(ctx, atLeastOne, `DELETE FROM state_machine_aliases WHERE state_machine_arn = $1 AND name = $2`, smArn, name)
}

// ListStateMachineAliases pages one machine's aliases by (created_at,
// name); its token holds the last alias's ARN, whose name is that alias's
// within any machine.
func (s *Store) ListStateMachineAliases(ctx context.Context, p store.ListAliasesParams) ([]*store.StateMachineAlias, string, error) {
	if p.Limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	query := `SELECT ` + aliasColumns + ` FROM state_machine_aliases WHERE state_machine_arn = $1`
	args := []any{p.StateMachineArn}
	n, ok := sqlkit.AliasVersion(p)
	if !ok {
		return nil, "", nil
	}
	if n != 0 {
		args = append(args, n)
		query += ` AND (version1 = $2 OR version2 = $2)`
	}
	if p.Token != "" {
		at, last, err := decodeToken(p.Token)
		if err != nil {
			return nil, "", err
		}
		name, err := sqlkit.AliasAfter(last)
		if err != nil {
			return nil, "", err
		}
		args = append(args, at, name)
		query += ` AND (created_at, name) > ($` + strconv.Itoa(len(args)-1) + `, $` + strconv.Itoa(len(args)) + `)`
	}
	args = append(args, p.Limit+1)
	query += ` ORDER BY created_at, name LIMIT $` + strconv.Itoa(len(args))
	var out []*store.StateMachineAlias
	next, err := s.pageRows(ctx, query, args, p.Limit, func(rows pgx.Rows) (time.Time, string, error) {
		a, err := scanAlias(rows)
		if err != nil {
			return time.Time{}, "", err
		}
		out = append(out, a)
		return a.CreatedAt, a.Arn, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}
