// Package postgres is the store.Store of a Statecraft server whose data
// lives in PostgreSQL (13 or later) rather than in a file beside it,
// through pgx. It keeps the contract of store.Store, and passes
// store/storetest's suite, as store/sqlite does.
//
// # Several nodes
//
// Any number of Statecraft servers may open one database and schema at
// once: the store is a store.Cluster. The schema's 64 shards are rows of
// the table shards (node, range ID, expiry by the database's clock);
// every timer row carries its execution's shard, so a node reads the
// timers of the shards it leases only, and a write made under a lease
// reads the shard's row FOR SHARE in its own transaction and is refused
// (store.ErrFenced) when another node has acquired the shard since. The
// nodes' own rows (table nodes) say who is alive and what each holds.
// Open migrates the schema under a transaction-level advisory lock, so
// nodes starting together migrate one after the other. A task a worker
// has claimed stays claimed when its node dies or restarts (the contract:
// its worker may hold the token).
//
// # Schemas
//
// Every table lives in one schema, Options.Schema, which Open creates when
// it is missing. Each connection's search_path is that schema alone,
// whatever the URL says, so several Statecraft clusters can share a
// database, a schema each, with locks and notifications of their own.
//
// # Writes
//
// Each write is one transaction, sent as one pgx batch on a pooled
// connection: BEGIN and the write's statements, pipelined, one of which
// reads the transaction's id, then COMMIT once they have answered. A step
// takes as few statements as it can, since each costs the database more
// than the rows it writes: its execution row, input, events and most
// deletions go in one (data-modifying WITH queries), and rows of one kind
// go in one statement whatever their number (INSERT or UPDATE over unnest
// of arrays), so a step of fifty history events costs what a step of one
// does. Statements are prepared once per connection (pgx's statement
// cache). The Seq check comes first; when it fails, the transaction is
// rolled back.
//
// PostgreSQL flushes the WAL of concurrent commits together, so there is no
// committer goroutine as in store/sqlite: concurrency is the pool's size.
//
// A COMMIT that gets no answer (the connection broke) is settled before
// the caller is answered: on another connection, the store asks
// pg_xact_status whether the transaction committed, ending the old session
// if it still holds the transaction open.
//
// # Notifications
//
// The store is a store.Notifier: Notify is pg_notify, and every Listen
// shares one connection of the store's own, which LISTENs and reconnects
// with back-off when it is lost. A schema's notifications travel on a
// channel named after it.
//
// # Schema
//
// The tables are created by migrations/NNNN_*.sql, embedded in the binary
// and applied by Open (or Migrate, for `statecraft migrate`) in one
// transaction under the advisory lock; the table migrations records those
// applied, and a schema newer than the binary is refused.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

// Options tunes a Store. The zero value is usable.
type Options struct {
	// Schema holds the store's tables; "" means DefaultSchema. It is
	// created when missing.
	Schema string
	// NoSync sets synchronous_commit off on the store's connections: a
	// commit is answered before its WAL reaches the disk, so the database
	// server crashing may lose the last commits (it never corrupts them),
	// the trade store/sqlite makes without Options.Sync.
	NoSync bool
	// MaxConns bounds the pool. 0 leaves it to the URL's pool_max_conns,
	// or DefaultMaxConns when the URL has none.
	MaxConns int32
	// Log receives what the store does by itself: the
	// listening connection lost and regained, a commit settled after its
	// connection broke. nil discards.
	Log *slog.Logger
}

// DefaultSchema is the schema a Store uses when Options.Schema is "".
const DefaultSchema = "statecraft"

// DefaultMaxConns is the pool's size when neither Options nor the URL set
// it: enough concurrent transactions for PostgreSQL to share WAL flushes
// between them, few enough not to crowd a small database server.
const DefaultMaxConns = 16

// ErrClosed is returned by writes made after Close.
var ErrClosed = errors.New("store/postgres: closed")

// Store is a store.Store and store.Notifier on a PostgreSQL schema.
type Store struct {
	pool   *pgxpool.Pool
	cfg    *pgx.ConnConfig // for the store's own connection (LISTEN)
	schema string
	where  string // "database D schema S on HOST:PORT", for messages
	log    *slog.Logger

	channel string // the PostgreSQL channel of this schema's notifications
	shards  int    // ShardCount
	hub     hub
	// listenPID is the backend of the listening connection, for tests.
	listenPID atomic.Uint32
	bg        context.Context // ends at Close
	stopBG    context.CancelFunc
	bgDone    sync.WaitGroup

	mu     sync.RWMutex // guards closed against writes starting
	closed bool
	writes sync.WaitGroup // writes under way, which Close waits for

	closeOnce sync.Once

	// commit ends a write's transaction; tests replace it to break the
	// connection around a COMMIT.
	commit func(ctx context.Context, tx pgx.Tx, conn *pgxpool.Conn) error
}

var (
	_ store.Store    = (*Store)(nil)
	_ store.Notifier = (*Store)(nil)
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Open connects to the database connString names (a postgres:// URL or a
// libpq key=value string, as pgx reads it), and creates the schema or
// brings it up to date. ctx bounds Open only.
func Open(ctx context.Context, connString string, opts Options) (*Store, error) {
	schema := opts.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	if len(schema) > maxIdentifier || strings.ContainsRune(schema, 0) {
		return nil, fmt.Errorf("store/postgres: schema %q: at most %d bytes, no NUL", schema, maxIdentifier)
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: %w", err)
	}
	cc := cfg.ConnConfig
	// The schema alone: a table of the same name elsewhere on the path
	// must never be read in its place.
	cc.RuntimeParams["search_path"] = quoteIdent(schema)
	// A node cut off from the database mid-transaction (a partition, a
	// frozen VM) leaves a session idle in its transaction, holding the row
	// locks it took, such as its leases' in a renewal, which other nodes'
	// AcquireShards skips: without this the database would keep it until
	// TCP gives up, a quarter of an hour, and the shards with it. No write
	// of the store's waits between its statements; a transaction is sent
	// as one batch.
	if cc.RuntimeParams["idle_in_transaction_session_timeout"] == "" {
		cc.RuntimeParams["idle_in_transaction_session_timeout"] = "10s"
	}
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = "statecraft"
	}
	if opts.NoSync {
		cc.RuntimeParams["synchronous_commit"] = "off"
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = 10 * time.Second
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	} else if !strings.Contains(connString, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	where := fmt.Sprintf("database %q schema %q on %s:%d", cc.Database, schema, cc.Host, cc.Port)

	s := &Store{
		cfg:     cc,
		schema:  schema,
		where:   where,
		log:     log,
		channel: channelName(schema),
	}
	s.commit = func(ctx context.Context, tx pgx.Tx, _ *pgxpool.Conn) error { return tx.Commit(ctx) }
	s.hub.subs = map[int]func(string, string){}
	s.hub.done = make(chan struct{})
	if _, err := migrateSchema(ctx, cc, schema, where); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: %w", err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM shards`).Scan(&s.shards); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store/postgres: %s: reading the shards: %w", where, err)
	}
	s.pool = pool
	s.bg, s.stopBG = context.WithCancel(context.Background())
	return s, nil
}

// Migration says what Migrate did.
type Migration struct {
	From, To int // schema versions before and after
}

// Migrate creates the schema opts names, or brings it up to this binary's
// version, and says from which version to which; Open does the same
// before it opens. ctx bounds it.
func Migrate(ctx context.Context, connString string, opts Options) (Migration, error) {
	schema := opts.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return Migration{}, fmt.Errorf("store/postgres: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	cfg.RuntimeParams["search_path"] = quoteIdent(schema)
	return migrateSchema(ctx, cfg, schema, fmt.Sprintf("database %q schema %q on %s:%d", cfg.Database, schema, cfg.Host, cfg.Port))
}

// migrateSchema runs the migrations on a connection of its own, in one
// transaction under a transaction-level advisory lock of the schema, so
// that nodes starting together migrate one after the other: the first
// does the work, the others find it done.
func migrateSchema(ctx context.Context, cc *pgx.ConnConfig, schema, where string) (Migration, error) {
	conn, err := pgx.ConnectConfig(ctx, cc.Copy())
	if err != nil {
		return Migration{}, fmt.Errorf("store/postgres: connecting to %s: %w", where, err)
	}
	defer conn.Close(context.Background())
	m, err := migrate(ctx, conn, schema)
	if err != nil {
		return m, fmt.Errorf("store/postgres: %s: %w", where, err)
	}
	return m, nil
}

// maxIdentifier is PostgreSQL's longest identifier (NAMEDATALEN - 1).
const maxIdentifier = 63

func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// lockKey is the advisory lock of a schema: one 64-bit key per schema
// name, advisory locks being per database already. The prefix keeps it
// apart from keys other programs derive from the same names.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("statecraft\x00"))
	h.Write([]byte(schema))
	return int64(h.Sum64())
}

// channelName is the PostgreSQL channel of a schema's notifications: the
// schema's name when it fits in an identifier, else a hash of it.
func channelName(schema string) string {
	if c := "statecraft." + schema; len(c) <= maxIdentifier {
		return c
	}
	h := fnv.New64a()
	h.Write([]byte(schema))
	return "statecraft." + strconv.FormatUint(h.Sum64(), 16)
}

// Close waits for the writes under way, then closes the pool and the
// store's own connections.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.writes.Wait()
		s.stopBG()
		s.hub.close()
		s.bgDone.Wait()
		s.pool.Close()
	})
	return nil
}

// startWrite admits a write unless the store is closed; the caller calls
// s.writes.Done when it is over.
func (s *Store) startWrite() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	s.writes.Add(1)
	return nil
}

// tx is one write: the statements build queues, each with its own check.
// It returns once the transaction has committed, or has certainly not
// (see the package doc, Writes). build's queued callbacks run in order;
// the first error they return, or that a statement raised, rolls the
// transaction back and is returned.
func (s *Store) tx(ctx context.Context, build func(b *pgx.Batch)) error {
	return s.txThen(ctx, build, nil)
}

// txThen is tx with more statements after the batch, in the same
// transaction, for a write whose later statements depend on what the
// first ones read; then, when not nil, runs once the batch has answered
// without error, and its error rolls back as theirs does.
func (s *Store) txThen(ctx context.Context, build func(b *pgx.Batch), then func(tx pgx.Tx) error) error {
	return s.write(ctx, func(b *pgx.Batch) *int64 {
		build(b)
		var xid int64
		b.Queue(`SELECT pg_current_xact_id()::text::bigint`).QueryRow(func(r pgx.Row) error { return r.Scan(&xid) })
		return &xid
	}, then)
}

// write runs a transaction: BEGIN, what build queues, then, COMMIT. build
// returns where one of its statements' callbacks leaves the transaction's
// id (pg_current_xact_id), which a COMMIT without an answer needs; a
// step's first statement returns it, saving a statement of its own.
//
// A write whose connection is lost before its COMMIT is sent (the session
// ended by the database, a restart, a broken socket) has written nothing:
// it is sent again, on another connection, a few times with back-off, so
// that a database blip costs a caller some latency rather than an error.
func (s *Store) write(ctx context.Context, build func(b *pgx.Batch) (xid *int64), then func(tx pgx.Tx) error) error {
	if err := s.startWrite(); err != nil {
		return err
	}
	defer s.writes.Done()
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err, again := s.writeOnce(ctx, build, then)
		if !again || attempt == writeAttempts {
			return err
		}
		s.log.Warn("a write lost its connection before committing: sending it again", "attempt", attempt, "err", err)
		if !pause(ctx, &wait) {
			return err
		}
	}
}

// writeAttempts bounds how often a write whose connection was lost is
// sent: 50 ms, 200 ms and 800 ms apart.
const writeAttempts = 4

// connectionLost tells whether err means that the connection failed, not
// the statement: the session was ended or the server went away.
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// admin_shutdown, crash_shutdown, cannot_connect_now
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var netErr net.Error
	return pgconn.SafeToRetry(err) || errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "conn closed")
}

// writeOnce is one attempt of write; again says that it failed on a lost
// connection before COMMIT, so that it wrote nothing and may be sent again.
func (s *Store) writeOnce(ctx context.Context, build func(b *pgx.Batch) (xid *int64), then func(tx pgx.Tx) error) (err error, again bool) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store/postgres: %w", err), connectionLost(err)
	}
	defer conn.Release() // a connection left in a transaction is destroyed, not reused
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	xidp := build(b)
	br := conn.SendBatch(ctx, b)
	err = br.Close()
	tx := br.Tx()
	if err == nil && then != nil {
		err = then(tx)
	}
	if err != nil {
		// Nothing is committed before COMMIT: a broken connection ends
		// the session and its transaction with it.
		_ = tx.Rollback(context.Background())
		return mapErr(err), connectionLost(err)
	}
	xid := *xidp
	pid := conn.Conn().PgConn().PID()
	// COMMIT is not abandoned when the caller's context ends: its outcome
	// is what the caller must learn.
	err = s.commit(context.WithoutCancel(ctx), tx, conn)
	if err == nil {
		return nil, false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) || errors.Is(err, pgx.ErrTxCommitRollback) {
		return mapErr(err), false // the server answered: not committed
	}
	return s.settle(xid, pid, err), false
}

// settleFor bounds how long a write whose COMMIT got no answer keeps
// asking whether it committed before it gives up and says it cannot tell.
const settleFor = 2 * time.Minute

// ErrCommitUnknown wraps the error of a write whose COMMIT got no answer
// and whose outcome the database could not be asked within settleFor.
var ErrCommitUnknown = errors.New("store/postgres: commit outcome unknown")

// settle finds out whether transaction xid, whose COMMIT on backend pid
// got cause instead of an answer, committed: nil when it did, an error
// when it did not. A transaction still in progress belongs to a session
// the server has not yet found dead (no RST came, say); it is ended, so
// that its outcome is settled one way.
func (s *Store) settle(xid int64, pid uint32, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), settleFor)
	defer cancel()
	wait := 50 * time.Millisecond
	for {
		var status *string
		err := s.pool.QueryRow(ctx, `SELECT pg_xact_status($1::text::xid8)`, strconv.FormatInt(xid, 10)).Scan(&status)
		if err == nil {
			switch {
			case status != nil && *status == "committed":
				s.log.Warn("a commit whose answer was lost did commit", "xid", xid, "err", cause)
				return nil
			case status == nil || *status == "aborted":
				return fmt.Errorf("store/postgres: commit failed, nothing written: %w", cause)
			}
			// In progress: end the session holding it, if it is still
			// that transaction's (the pid may have been reused).
			_, err = s.pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE pid = $1 AND backend_xid::text = $2`, int64(pid), strconv.FormatInt(xid&0xffffffff, 10))
		}
		if err != nil {
			s.log.Warn("asking whether a commit whose answer was lost committed", "xid", xid, "err", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: transaction %d: %w", ErrCommitUnknown, xid, cause)
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// errNoMatch is what a queued check returns when its statement matched
// fewer rows than it must; the caller that queued it says what it means.
var errNoMatch = errors.New("store/postgres: no matching row")

// mapErr turns a unique violation into the contract's error for the key
// it hit; other errors pass through.
func mapErr(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return err
	}
	switch pgErr.ConstraintName {
	case "state_machines_pkey", "activities_pkey", "executions_arn_key":
		return store.ErrAlreadyExists
	case "events_pkey", "tasks_pkey":
		return fmt.Errorf("store/postgres: %s: %w", pgErr.Detail, store.ErrConflict)
	}
	return err
}

// migrate applies the embedded migrations newer than the schema's, all in
// one transaction. Files are named NNNN_what.sql; NNNN is the version the
// schema has once the file has run. Add new files; never edit one that
// has shipped.
func migrate(ctx context.Context, conn *pgx.Conn, schema string) (Migration, error) {
	ms, err := sqlkit.Migrations(migrationFS, "migrations")
	if err != nil {
		return Migration{}, err
	}
	var m Migration
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(schema)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(schema)); err != nil {
			return fmt.Errorf("creating schema %q: %w", schema, err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS migrations (
			version    integer     NOT NULL PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var cur int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM migrations`).Scan(&cur); err != nil {
			return err
		}
		if cur > len(ms) {
			return fmt.Errorf("schema version %d is newer than this binary's %d", cur, len(ms))
		}
		m = Migration{From: cur, To: len(ms)}
		for _, m := range ms[cur:] {
			body, err := migrationFS.ReadFile("migrations/" + m.Name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return err
			}
		}
		return nil
	})
	return m, err
}

// Times: timestamptz holds microseconds; the zero time is stored as it is
// and comes back zero. ut turns what pgx reads (in the local zone) to UTC.
func ut(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// utp is ut for a nullable column: NULL is the zero time.
func utp(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return ut(*t)
}

// nonNil keeps an empty body from being sent as NULL, which the NOT NULL
// column would refuse.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
