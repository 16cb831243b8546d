package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// lockCheck is how long the listening connection may sit idle before it
// is pinged: a connection that dies with a message or a closed socket is
// seen at once, one cut off silently within about this long.
const lockCheck = 5 * time.Second

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
