package postgres

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Notify sends payload on channel to every Listen on every store of this
// schema, this one's included. The Statecraft channel travels in the
// payload, ahead of a newline, on the schema's one PostgreSQL channel.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	_, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, channel+"\n"+payload)
	return err
}

// Listen calls fn for each notification of the schema until ctx ends, or
// the store closes (then it returns ErrClosed). Every
// Listen of the store shares one connection, opened by the first, which
// reconnects by itself when it is lost: the notifications sent meanwhile
// are lost, as the contract allows.
func (s *Store) Listen(ctx context.Context, fn func(channel, payload string)) error {
	id, err := s.hub.add(fn, s.startListening)
	if err != nil {
		return err
	}
	defer s.hub.remove(id)
	select {
	case <-ctx.Done():
		return nil
	case <-s.hub.done:
		return ErrClosed
	}
}

// hub hands each notification to the Listen calls in progress.
type hub struct {
	// mu is held while fns are called, so that a Listen that has
	// returned is never called again; fns must not block.
	mu      sync.Mutex
	subs    map[int]func(string, string)
	next    int
	started bool
	closed  bool
	done    chan struct{} // closed by close
}

func (h *hub) add(fn func(string, string), start func()) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0, ErrClosed
	}
	id := h.next
	h.next++
	h.subs[id] = fn
	if !h.started {
		h.started = true
		start()
	}
	return id, nil
}

func (h *hub) remove(id int) {
	h.mu.Lock()
	delete(h.subs, id)
	h.mu.Unlock()
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

func (h *hub) deliver(n *pgconn.Notification) {
	channel, payload, ok := strings.Cut(n.Payload, "\n")
	if !ok {
		return // not sent by Notify
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, fn := range h.subs {
		fn(channel, payload)
	}
}

// startListening starts the listening connection's loop; called once,
// with s.hub.mu held.
func (s *Store) startListening() {
	s.bgDone.Add(1)
	go s.listenLoop()
}

// Back-off between attempts to regain the listening connection.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 10 * time.Second
)

// listenLoop keeps a connection LISTENing on the schema's channel until
// the store closes, reconnecting with back-off (and jitter, so that the
// nodes of a restarted database do not all knock at once).
func (s *Store) listenLoop() {
	defer s.bgDone.Done()
	wait := listenRetryMin
	lost := false
	for s.bg.Err() == nil {
		err := s.listenOnce(func() {
			if lost {
				s.log.Info("listening for notifications again")
				lost = false
			}
			wait = listenRetryMin
		})
		if s.bg.Err() != nil {
			return
		}
		if !lost {
			s.log.Warn("lost the connection listening for notifications; reconnecting", "err", err)
			lost = true
		}
		jitter := time.Duration(rand.Int64N(int64(wait) / 2))
		select {
		case <-s.bg.Done():
			return
		case <-time.After(wait/2 + jitter):
		}
		wait = min(2*wait, listenRetryMax)
	}
}

// listenOnce connects, LISTENs, calls up, and delivers notifications until
// the connection fails or the store closes.
func (s *Store) listenOnce(up func()) error {
	conn, err := pgx.ConnectConfig(s.bg, s.cfg.Copy())
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(ctx)
	}()
	if _, err := conn.Exec(s.bg, "LISTEN "+quoteIdent(s.channel)); err != nil {
		return err
	}
	s.listenPID.Store(conn.PgConn().PID())
	up()
	return waitAlive(s.bg, conn, s.hub.deliver)
}
