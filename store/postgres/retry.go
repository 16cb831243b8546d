package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reads, like writes, are sent again when their connection turns out to
// be lost (the session ended by the database, a restart): the pool hands
// out a connection it has not checked for up to a second, so a read right
// after a blip would otherwise fail for a reason the next connection does
// not have. A read that has begun returning rows is not sent again.

func (s *Store) query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		rows, err := s.pool.Query(ctx, sql, args...)
		if err == nil || !connectionLost(err) || attempt == writeAttempts || !pause(ctx, &wait) {
			return rows, err
		}
	}
}

func (s *Store) queryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return retryRow{s: s, ctx: ctx, sql: sql, args: args}
}

type retryRow struct {
	s    *Store
	ctx  context.Context
	sql  string
	args []any
}

func (r retryRow) Scan(dest ...any) error {
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := r.s.pool.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
		if err == nil || !connectionLost(err) || attempt == writeAttempts || !pause(r.ctx, &wait) {
			return err
		}
	}
}

// pause waits *wait, then quadruples it; false when ctx ended first.
func pause(ctx context.Context, wait *time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(*wait):
		*wait *= 4
		return true
	}
}
