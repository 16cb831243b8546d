package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// takeLock takes the schema's advisory lock on s.lock, the connection that
// holds it until Close, or says who holds it. It reads no table of the
// schema, which may not exist yet.
func (s *Store) takeLock(ctx context.Context) error {
	key := lockKey(s.schema)
	var ok bool
	if err := s.lock.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		return fmt.Errorf("store/postgres: %s: taking the lock: %w", s.where, err)
	}
	if ok {
		return nil
	}
	holder := ""
	// pg_locks splits a bigint key into classid (high half) and objid.
	var pid int32
	var addr, app string
	var since time.Time
	err := s.lock.QueryRow(ctx, `SELECT a.pid, coalesce(host(a.client_addr), 'a local socket'), a.application_name, a.backend_start
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 1`,
		int64(uint64(key)>>32), int64(uint64(key)&0xffffffff)).Scan(&pid, &addr, &app, &since)
	if err == nil {
		holder = fmt.Sprintf(" (its session: backend %d, %q from %s since %s)", pid, app, addr, since.UTC().Format(time.RFC3339))
	}
	return fmt.Errorf("another Statecraft server uses %s%s; several nodes are not supported yet: %w", s.where, holder, ErrLocked)
}

// lockCheck is how long the lock's connection may sit idle before it is
// pinged: a connection that dies with a message or a closed socket is seen
// at once, one cut off silently within about this long.
const lockCheck = 5 * time.Second

// watchLock waits on the lock's connection for it to fail. The lock is
// the session's, so the connection failing may have freed it for another
// server: the store fails (see the package doc).
func (s *Store) watchLock() {
	defer s.bgDone.Done()
	if err := waitAlive(s.bg, s.lock, nil); err != nil && s.bg.Err() == nil {
		s.fail(err)
	}
}

// waitAlive reads conn until ctx ends or conn fails, handing fn the
// notifications that arrive (fn may be nil), and pings conn whenever it
// has been silent for lockCheck. It returns nil when ctx ends.
func waitAlive(ctx context.Context, conn *pgx.Conn, fn func(*pgconn.Notification)) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, lockCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			if fn != nil {
				fn(n)
			}
			continue
		}
		if !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, lockCheck)
		err = conn.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
