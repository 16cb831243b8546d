// Package sqlite is the embedded store.Store: one SQLite database file in
// WAL mode, through the pure-Go modernc.org/sqlite driver, so a Statecraft
// binary needs neither cgo nor a database server.
//
// # Connections
//
// SQLite allows one writer at a time. Rather than let many connections
// race for the write lock (and hand SQLITE_BUSY to callers when
// busy_timeout runs out), the store owns exactly one writing connection,
// driven by one committer goroutine, and a pool of read-only connections.
// In WAL mode readers never wait for the writer and see every transaction
// committed before they began, so a read that follows a write by the same
// caller sees it.
//
// # Group commit
//
// Every write (CommitStep, StartExecution, and the small ones such as
// CreateStateMachine or TagResource) is queued to the committer as an op.
// The committer takes the first op waiting, drains whatever else is queued
// (up to maxBatch), and applies the lot in one transaction, each op inside
// its own SAVEPOINT: an op that fails, such as a step with a stale Seq, is
// rolled back to its savepoint and fails alone while the others go on.
// Steps, most of the writes, skip the savepoint: one refused by its checks
// has written nothing, and one that fails after writing makes the
// committer roll the batch back and run it again, every op in a savepoint
// (op.bare). A step's events and its input are one row of events
// (history.go), and the batch's rows go into a few multi-row INSERTs
// shared by the batch (rowBatch). The transaction then commits once,
// which with Options.Sync costs one fsync for the whole batch, and only
// then is each caller answered. So a caller returns only once its write is
// durable, yet N executions writing at once share the fsyncs: the batch
// grows by itself while the previous one is being synced, with no timer
// or added latency when the store is idle. The fsync itself runs beside
// the committer (walSyncer), which meanwhile applies the next batch; reads
// wait for the fsync of any batch they may have seen (Store.durable).
// Checkpoints, which copy the WAL into the database file, run beside the
// committer on a connection of their own (checkpointLoop).
//
// A caller whose context ends while its op is still queued gets the
// context's error and the op is dropped; once the committer has taken the
// op, the caller waits for its outcome (one batch at most), so a context
// error from a write always means the write did not happen. Statements on
// the writer never see a caller's context: cancelling one would abort the
// transaction the whole batch shares.
//
// # Schema
//
// The schema lives in migrations/NNNN_*.sql, embedded in the binary and
// applied at Open in one transaction, with PRAGMA user_version recording
// the last one applied; a database whose schema is newer than the binary
// is refused. Times are integer unix nanoseconds. Rows that belong to an
// execution (events, inputs, timers, tasks, and exec_progress, the
// counters a step updates) refer to it by an integer id, not by its ARN.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/internal/sqlkit"
)

// Options tunes a Store. Start from DefaultOptions: the zero value turns
// Sync off.
type Options struct {
	// Sync fsyncs the write-ahead log at every commit, before the commit's
	// callers are answered and before a read returns it, so a committed
	// step survives power loss (synchronous=FULL's guarantee; the fsync is
	// the store's own, see walSyncer). Without it
	// (synchronous=NORMAL) a commit survives the process crashing but the
	// last ones may be lost with the machine.
	Sync bool
	// BusyTimeout bounds how long a connection waits for a lock held by
	// another process using the same file; 0 means 5s. Within one Store
	// there is a single writer, so it is not hit in normal operation.
	BusyTimeout time.Duration
	// Log receives what Open changes on disk by itself (a file mode
	// restricted, the one-time VACUUM of an old database); nil discards.
	Log *slog.Logger
}

// DefaultOptions returns durable settings.
func DefaultOptions() Options {
	return Options{Sync: true, BusyTimeout: 5 * time.Second}
}

// ErrClosed is returned by writes made after Close.
var ErrClosed = errors.New("store/sqlite: closed")

// maxIDs bounds writer.ids: past it the map starts again empty. The
// executions in flight are what it needs to hold.
const maxIDs = 16384

// maxBatch caps one group commit so a long queue cannot hold every op in
// it hostage to one huge transaction.
const maxBatch = 256

// Store is a store.Store on one SQLite file.
type Store struct {
	wdb *sql.DB // one connection, owned by the committer
	rdb *sql.DB // read-only pool
	// rstmts holds the reads prepared on rdb, by query text (see rstmt).
	rstmts sync.Map

	ops chan *op

	mu     sync.RWMutex // guards closed against sends on ops
	closed bool

	done chan struct{} // closed when the committer has exited
	// The checkpointer copies the WAL into the database on a connection
	// of its own (cdb), woken by commits, so that the committer never
	// does it inside a COMMIT (see checkpointLoop).
	cdb      *sql.DB
	ckpt     chan struct{}
	ckptDone chan struct{}
	// ckptOps counts the ops committed since the checkpointer's last pass.
	ckptOps atomic.Int64
	// deferWindow is store.DeferWindow, in nanoseconds; tests stretch it.
	deferWindow atomic.Int64
	closeOnce   sync.Once
	closeErr    error

	w *writer // the committer's; the store reads only its counters

	lock *os.File // holds the lock file's lock until Close
}

var _ store.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Open opens (creating if needed) the database at path and brings its
// schema up to date. It hands the activity tasks that an earlier process
// had claimed back to their queues.
//
// Before it opens the database, Open takes an exclusive lock on the file
// path+".lock" and holds it until Close: a second Open of the same path,
// in this process or another, fails with an error wrapping ErrLocked and
// touches nothing. The database, its -wal and -shm files and the lock file
// are readable by their owner only (0600); Open restricts existing ones
// that are not.
func Open(path string, opts Options) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		// The reader pool and the writer must open the same file; an
		// in-memory or URI name would not give them that.
		return nil, fmt.Errorf("store/sqlite: %q: need a file path", path)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lock, err := acquireLock(path, log)
	if err != nil {
		return nil, err
	}
	s, err := open(path, opts, log)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

// open opens the database once the lock is held.
func open(path string, opts Options, log *slog.Logger) (*Store, error) {
	// SQLite creates the -wal and -shm files with the database's mode, so
	// a database created 0600 here keeps all three private whatever the
	// umask. (SQLite alone would create it 0644.)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: open %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := restrictMode(p, log); err != nil {
			return nil, err
		}
	}

	wdb, err := sql.Open("sqlite", dsn(path, opts, false))
	if err != nil {
		return nil, err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)

	ctx := context.Background()
	conn, err := wdb.Conn(ctx)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("store/sqlite: open %s: %w", path, err)
	}
	fail := func(what string, err error) (*Store, error) {
		conn.Close()
		wdb.Close()
		return nil, fmt.Errorf("store/sqlite: open %s: %s%w", path, what, err)
	}
	// Purged executions free pages; incremental auto-vacuum lets
	// PurgeExecutions hand them back to the file system a few at a time
	// instead of the file keeping its largest size for ever. It must be
	// chosen before the first table is created, so it comes first.
	if err := incrementalVacuum(ctx, conn, path, log); err != nil {
		return fail("auto_vacuum: ", err)
	}
	// journal_mode is persistent and takes the write lock, so it is set
	// once here rather than by every reader connection.
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil || !strings.EqualFold(mode, "wal") {
		if err == nil {
			err = fmt.Errorf("journal_mode is %q", mode)
		}
		return fail("WAL: ", err)
	}
	if err := migrate(ctx, conn); err != nil {
		return fail("", err)
	}
	// Tasks claimed by the process that had the file before are queued
	// again: that process is gone (the lock says so), killed perhaps
	// between committing a claim and answering the worker, and a task no
	// worker holds would be stranded. Delivery is at least once; a worker
	// that did get the task can still complete it by its token.
	if _, err := conn.ExecContext(ctx, `UPDATE tasks SET started = 0, worker_name = '' WHERE started = 1`); err != nil {
		return fail("requeueing claimed tasks: ", err)
	}

	var syncer *walSyncer
	if opts.Sync {
		// The writer's COMMITs leave the fsync to the syncer (see
		// walSyncer); everything before this point committed under
		// synchronous=FULL.
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
			return fail("synchronous: ", err)
		}
		if syncer, err = newWALSyncer(path); err != nil {
			return fail("", err)
		}
	}
	rdb, err := sql.Open("sqlite", dsn(path, opts, true))
	if err != nil {
		if syncer != nil {
			syncer.f.Close()
		}
		return fail("", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)

	cdb, err := sql.Open("sqlite", dsn(path, opts, false))
	if err != nil {
		rdb.Close()
		if syncer != nil {
			syncer.f.Close()
		}
		return fail("", err)
	}
	cdb.SetMaxOpenConns(1)
	cdb.SetMaxIdleConns(1)

	s := &Store{
		wdb:      wdb,
		rdb:      rdb,
		cdb:      cdb,
		ops:      make(chan *op, 4*maxBatch),
		done:     make(chan struct{}),
		ckpt:     make(chan struct{}, 1),
		ckptDone: make(chan struct{}),
	}
	s.deferWindow.Store(int64(store.DeferWindow))
	go s.checkpointLoop()
	s.w = &writer{conn: conn, stmts: map[string]*sql.Stmt{}, ids: map[string]int64{}, syncer: syncer,
		events: rowBatch{head: `INSERT INTO events (exec_id, id, type, ts, body, more, last_id, seq, input) VALUES `, cols: 9},
		inputs: rowBatch{head: `INSERT INTO inputs (exec_id, seq, body) VALUES `, cols: 3}}
	if syncer != nil {
		go syncer.loop(s.w)
	}
	go s.commitLoop(s.w)
	return s, nil
}

// incrementalVacuum puts the database in auto_vacuum = INCREMENTAL mode. A
// new database (no tables yet) only needs the pragma. A database created
// before this mode existed needs a VACUUM to rebuild it in that mode: done
// once, here, before anything else uses the file, and logged, since it
// takes time and disk space in proportion to the database.
func incrementalVacuum(ctx context.Context, conn *sql.Conn, path string, log *slog.Logger) error {
	if _, err := conn.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
		return err
	}
	var av int
	if err := conn.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&av); err != nil {
		return err
	}
	if av == autoVacuumIncremental {
		return nil
	}
	var pages, pageSize int64
	if err := conn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return err
	}
	log.Warn("one-time VACUUM: rebuilding the database in incremental auto-vacuum mode, so that purged executions give their space back",
		"file", path, "mb", pages*pageSize>>20)
	began := time.Now()
	// The copy VACUUM builds goes to a temporary file, not memory (the
	// connection's temp_store), however large the database.
	if _, err := conn.ExecContext(ctx, "PRAGMA temp_store = FILE"); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "VACUUM"); err != nil {
		return fmt.Errorf("VACUUM: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&av); err != nil {
		return err
	}
	if av != autoVacuumIncremental {
		return fmt.Errorf("still %d after VACUUM", av)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return err
	}
	log.Warn("one-time VACUUM done", "file", path, "mb", pages*pageSize>>20, "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// autoVacuumIncremental is what PRAGMA auto_vacuum reads in that mode.
const autoVacuumIncremental = 2

// dsn builds the connection string. Pragmas go in the DSN so that every
// connection the pools open gets them, including ones reopened later.
func dsn(path string, opts Options, readOnly bool) string {
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	sync := "NORMAL"
	if opts.Sync {
		sync = "FULL"
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+sync+")")
	// Savepoints journal the pages each op changes; in a batch of hundreds
	// of steps that statement journal outgrows its in-memory default and
	// would spill to a temp file, doubling the writes.
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// The checkpointer does what SQLite would do in the writer's
		// commits (see checkpointLoop). Its passes run while the writer
		// appends, so under steady load one may never catch up with the
		// end of the WAL, which then cannot start over and would grow
		// without bound: the writer keeps SQLite's own checkpoint at
		// 1,000 pages, which then mostly finds the pages copied already
		// (and the database file synced), and lets the WAL start over.
		q.Add("_pragma", "wal_autocheckpoint(1000)")
		// The writer touches the leaf pages of every execution in flight
		// in each batch; the default 2 MiB cache would reread them.
		q.Add("_pragma", "cache_size(-32768)") // KiB
		// A checkpoint rewinds the WAL but leaves the file at its largest
		// size; past this it is truncated, so one burst (a purge, the
		// one-time VACUUM) does not keep the disk for ever.
		q.Add("_pragma", "journal_size_limit(67108864)")
	}
	// The URI form keeps a path holding '?' or '#' from being cut short.
	p := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + p + "?" + q.Encode()
}

// migrate applies the embedded migrations newer than the database's
// user_version, all in one transaction. Files are named NNNN_what.sql;
// NNNN is the version the schema has once the file has run. Add new files;
// never edit one that has shipped.
func migrate(ctx context.Context, conn *sql.Conn) error {
	ms, err := sqlkit.Migrations(migrationFS, "migrations")
	if err != nil {
		return err
	}

	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	err = func() error {
		var cur int
		if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
			return err
		}
		if cur > len(ms) {
			return fmt.Errorf("schema version %d is newer than this binary's %d", cur, len(ms))
		}
		for _, m := range ms[cur:] {
			body, err := migrationFS.ReadFile("migrations/" + m.Name)
			if err != nil {
				return err
			}
			if _, err := conn.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := conn.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(m.Version)); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		conn.ExecContext(ctx, "ROLLBACK")
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// Close waits for queued writes to commit, then closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.ops)
		s.mu.Unlock()
		<-s.done
		close(s.ckpt)
		<-s.ckptDone
		s.rstmts.Range(func(_, st any) bool {
			st.(*sql.Stmt).Close()
			return true
		})
		s.closeErr = errors.Join(s.rdb.Close(), s.cdb.Close(), s.wdb.Close())
		// Last: the next opener may come in as soon as this is closed.
		s.closeErr = errors.Join(s.closeErr, s.lock.Close())
	})
	return s.closeErr
}

// rstmt returns query prepared on the read pool, preparing it the first
// time. SQLite parses and plans a statement's text each time it is
// prepared, which costs more than the point reads the engine makes on
// every step (GetTask, GetExecution, NextTimer); database/sql keeps one
// prepared copy per pool connection.
func (s *Store) rstmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.rstmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.rdb.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.rstmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// queryRow runs a prepared read of one row.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	var row *sql.Row
	if st, err := s.rstmt(ctx, query); err == nil {
		row = st.QueryRowContext(ctx, args...)
	} else {
		// Only QueryRow makes a Row that carries an error.
		row = s.rdb.QueryRowContext(ctx, query, args...)
	}
	s.durable()
	return row
}

// query runs a prepared read.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.rstmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err == nil {
		s.durable()
	}
	return rows, err
}

// rquery runs a read that is not worth preparing.
func (s *Store) rquery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err == nil {
		s.durable()
	}
	return rows, err
}

// durable waits, with Options.Sync, until every batch a read may have seen
// is fsynced (see walSyncer), so that no read returns what a power loss
// could take back. It is called once the read's statement has taken its
// snapshot: the driver runs a query's first step before QueryContext
// returns, and the snapshot lasts until the rows are closed. Reads that
// see no batch still in flight do not wait.
func (s *Store) durable() {
	if y := s.w.syncer; y != nil {
		// A broken syncer refuses every write; reads go on.
		_ = y.wait()
	}
}

// op states: the committer and a caller whose context ended race to move
// an op out of opQueued, so exactly one of them decides its fate.
const (
	opQueued int32 = iota
	opTaken
	opCancelled
)

type op struct {
	fn    func(w *writer) error
	state atomic.Int32
	done  chan error // buffered: the committer never waits on a caller
	// bare ops (steps) run without a savepoint of their own: a step
	// refused by its checks (a stale seq, a name taken) has written
	// nothing, so there is nothing to undo, and steps are most of the
	// writes. One that fails once it has written makes the committer roll
	// the batch back and run it again, every op in a savepoint.
	bare bool
	// q, for a step queued with QueueStep, is answered instead of done;
	// after is the queued step it must follow (store.StepQueue).
	q, after *store.QueuedStep
}

// answer gives the op's caller its outcome.
func (o *op) answer(err error) {
	if o.q != nil {
		o.q.Finish(err)
		return
	}
	o.done <- err
}

// setApplied records, for a queued step, whether its writes are in the
// batch's transaction.
func (o *op) setApplied(ok bool) {
	if o.q != nil {
		o.q.SetApplied(ok)
	}
}

// write runs fn on the committer inside the next group commit and returns
// once that commit is durable (or fn failed).
func (s *Store) write(ctx context.Context, fn func(w *writer) error) error {
	return s.writeOp(ctx, &op{fn: fn})
}

// writeStep is write for a step (see op.bare).
func (s *Store) writeStep(ctx context.Context, fn func(w *writer) error) error {
	return s.writeOp(ctx, &op{fn: fn, bare: true})
}

func (s *Store) writeOp(ctx context.Context, o *op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.done = make(chan error, 1)
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.ops <- o:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		if o.state.CompareAndSwap(opQueued, opCancelled) {
			return ctx.Err()
		}
		return <-o.done
	}
}

var _ store.StepQueue = (*Store)(nil)

// QueueStep queues step to the committer and returns once it is queued
// (store.StepQueue); ctx bounds only the queueing, not the commit. The
// committer takes ops in the order they were queued and answers a batch
// only once an fsync covers it and every batch before it.
func (s *Store) QueueStep(ctx context.Context, step store.StepParams, after, q *store.QueuedStep) {
	o := &op{fn: func(w *writer) error { return applyStep(w, &step) }, bare: true, q: q, after: after}
	if err := ctx.Err(); err != nil {
		q.Finish(err)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		q.Finish(ErrClosed)
		return
	}
	select {
	case s.ops <- o:
	case <-ctx.Done():
		q.Finish(ctx.Err())
	}
}

func (s *Store) commitLoop(w *writer) {
	defer close(s.done)
	defer w.close()
	batch := make([]*op, 0, maxBatch)
	for o := range s.ops {
		batch = append(batch[:0], o)
	drain:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-s.ops:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		if deferred(batch) {
			batch = s.gather(batch)
		}
		w.commit(batch)
		s.ckptOps.Add(int64(len(batch)))
		clear(batch) // let the ops' closures be collected
		select {
		case s.ckpt <- struct{}{}:
		default:
		}
	}
}

// deferred tells whether every op of batch is a deferred step
// (store.NewDeferredStep), which may wait for company.
func deferred(batch []*op) bool {
	for _, o := range batch {
		if !o.q.Deferred() {
			return false
		}
	}
	return true
}

// gather adds to a batch of deferred steps what is queued within
// store.DeferWindow (s.deferWindow), and stops at the first op that is
// not deferred: its caller waits for the commit, and the deferred steps
// share it.
func (s *Store) gather(batch []*op) []*op {
	t := time.NewTimer(time.Duration(s.deferWindow.Load()))
	defer t.Stop()
	for len(batch) < maxBatch {
		select {
		case o, ok := <-s.ops:
			if !ok {
				return batch
			}
			batch = append(batch, o)
			if !o.q.Deferred() {
				return batch
			}
		case <-t.C:
			return batch
		}
	}
	return batch
}

// checkpointEvery spaces the checkpointer's passes while commits go on:
// at a thousand W3 executions a second the WAL grows by about as many
// pages as SQLite's own automatic checkpoint (every 1,000 pages) allows
// between two of its passes.
const checkpointEvery = 20 * time.Millisecond

// A pass waits for the writer to have been idle for checkpointIdle, or
// for checkpointOps ops committed since the last pass, whichever comes
// first. Its page copies take a core for 100-300 µs (more on a loaded
// machine), and a request served meanwhile waited for them: in
// BenchmarkActivityDispatch the 5% of tasks whose way to the worker
// overlapped a pass took 347 µs at the median, the others 223 µs (a
// runtime trace of one run), so passes right after every commit made
// most of its p99. Under steady load (W3: about 90 ops a commit, 256
// within the checkpointEvery between passes) a pass starts as before; a
// lightly loaded server checkpoints in its pauses, and copies a page
// written by several commits once. Three alternated runs: dispatch p99
// 454-666 µs with this, 750-826 µs with a pass after every commit.
const (
	checkpointIdle = 2 * time.Millisecond
	checkpointOps  = 256
)

// checkpointLoop copies committed pages from the WAL into the database
// file, which lets the writer start the WAL over. SQLite would do it
// itself every 1,000 pages, inside the COMMIT that crossed the line, on
// the committer: its page copies and the database file's fsync would then
// hold up every write queued behind it, where here they run beside the
// committer, on another core. A PASSIVE checkpoint waits for no reader
// and no writer; what it cannot copy yet the next pass does.
func (s *Store) checkpointLoop() {
	defer close(s.ckptDone)
	for range s.ckpt {
		if !s.awaitIdleWriter() {
			return
		}
		s.ckptOps.Store(0)
		var busy, log, done int
		// Errors are left to the next pass; one that lasts only lets the
		// WAL grow, and Close checkpoints it all.
		_ = s.cdb.QueryRowContext(bg, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
		time.Sleep(checkpointEvery)
	}
}

// awaitIdleWriter returns once no commit has come for checkpointIdle, or
// checkpointOps ops have been committed since the last pass; false when
// the store is closing.
func (s *Store) awaitIdleWriter() bool {
	idle := time.NewTimer(checkpointIdle)
	defer idle.Stop()
	for s.ckptOps.Load() < checkpointOps {
		select {
		case _, ok := <-s.ckpt:
			if !ok {
				return false
			}
			idle.Reset(checkpointIdle)
		case <-idle.C:
			return true
		}
	}
	return true
}

// writer is the committer's connection. Only the committer goroutine uses
// it, so its statement cache needs no lock.
type writer struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	errs  []error
	wrote bool // the current op has changed a row

	// ids maps the ARNs of executions being stepped to their row ids,
	// which never change while the row exists: a step then needs no read
	// to find its row. An entry goes when its execution ends, when an op
	// fails (its rolled-back insert may have been the row), when a batch
	// fails, and when executions are purged (a row id can be reused).
	ids map[string]int64
	// events and inputs gather the rows of a batch's steps (see
	// rowBatch), while deferRows is on.
	events, inputs rowBatch
	deferRows      bool

	// Counted so tests and benchmarks can see how well commits group;
	// updated before callers are answered.
	batches, batched atomic.Int64
	redone           atomic.Int64 // batches run again, every op in a savepoint

	// syncer fsyncs committed batches and answers them, with
	// Options.Sync; nil without it (nothing is fsynced at commit).
	syncer *walSyncer
}

// The writer's statements run under a context that is never cancelled: a
// cancelled statement would abort the transaction it shares with other
// callers' ops.
var bg = context.Background()

func (w *writer) stmt(query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(bg, query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = st
	return st, nil
}

func (w *writer) exec(query string, args ...any) (sql.Result, error) {
	st, err := w.stmt(query)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(bg, args...)
	if err == nil && !w.wrote {
		if n, nerr := res.RowsAffected(); nerr != nil || n > 0 {
			w.wrote = true
		}
	}
	return res, err
}

// execN runs query and returns how many rows it changed.
func (w *writer) execN(query string, args ...any) (int64, error) {
	res, err := w.exec(query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (w *writer) queryRow(query string, args ...any) *sql.Row {
	st, err := w.stmt(query)
	if err != nil {
		// A Row carrying err is only made by QueryRow itself, so let the
		// connection report the same failure.
		return w.conn.QueryRowContext(bg, query, args...)
	}
	return st.QueryRowContext(bg, args...)
}

func (w *writer) close() {
	if w.syncer != nil {
		w.syncer.close()
	}
	for _, st := range w.stmts {
		st.Close()
	}
	w.conn.Close()
}

// commit applies a batch of ops in one transaction and answers each.
func (w *writer) commit(batch []*op) {
	live := batch[:0]
	for _, o := range batch {
		if o.state.CompareAndSwap(opQueued, opTaken) {
			live = append(live, o)
		}
	}
	if len(live) == 0 {
		return
	}
	errs := w.errs[:0]
	for range live {
		errs = append(errs, nil)
	}
	w.errs = errs

	answer := func() {
		if y := w.syncer; y != nil {
			// The batch's answers wait for the fsync that covers it
			// (see walSyncer); the committer goes on with the next.
			y.in <- syncBatch{ops: slices.Clone(live), errs: slices.Clone(errs), upTo: y.committed.Load()}
			clear(errs)
			return
		}
		w.batches.Add(1)
		w.batched.Add(int64(len(live)))
		for i, o := range live {
			o.answer(errs[i])
		}
		clear(errs)
	}
	// failAll is for errors that leave the transaction unusable: nothing
	// in the batch committed, whatever its own op said.
	failAll := func(err error) {
		w.dropRows()
		w.exec("ROLLBACK")
		clear(w.ids)
		for i := range errs {
			live[i].setApplied(false)
			if errs[i] == nil {
				errs[i] = err
			}
		}
		answer()
	}

	if y := w.syncer; y != nil {
		if err := y.err(); err != nil {
			for i := range errs {
				errs[i] = err
			}
			answer()
			return
		}
	}

	safe := false // every op in a savepoint
again:
	w.dropRows()
	if _, err := w.exec("BEGIN IMMEDIATE"); err != nil {
		failAll(fmt.Errorf("store/sqlite: begin: %w", err))
		return
	}
	// redo undoes the batch and runs it again, every op in a savepoint.
	redo := func() {
		w.dropRows()
		w.exec("ROLLBACK")
		clear(errs)
		safe = true
		w.redone.Add(1)
	}
	for i, o := range live {
		bare := o.bare && !safe
		w.deferRows = bare
		if !bare {
			// Rows gathered from the bare steps before it go in first,
			// in order, and their failure is not this op's.
			if err := w.flushRows(); err != nil {
				redo()
				goto again
			}
			if _, err := w.exec("SAVEPOINT op"); err != nil {
				failAll(fmt.Errorf("store/sqlite: savepoint: %w", err))
				return
			}
		}
		w.wrote = false
		ev, in := w.events.rows(), w.inputs.rows()
		o.setApplied(false)
		err := store.ErrConflict
		if o.after.Applied() {
			// A queued step that follows one not applied is refused
			// before it writes (store.StepQueue).
			err = o.fn(w)
		}
		if err != nil {
			errs[i] = err
			// Its rolled-back insert may have been a remembered row.
			clear(w.ids)
			if bare {
				if w.wrote || !cleanRefusal(err) {
					// Written, or failed in a way that may have ended
					// the transaction: nothing short of the whole batch
					// can be undone, so undo it and run it again.
					redo()
					goto again
				}
				// Refused before writing: it gathered no rows, but
				// leave none of its own behind if it had.
				w.events.discard(ev)
				w.inputs.discard(in)
				continue
			}
			// Some errors (I/O, full disk) make SQLite roll the whole
			// transaction back, and then the savepoint is gone too.
			if _, rerr := w.exec("ROLLBACK TO op"); rerr != nil {
				failAll(fmt.Errorf("store/sqlite: after %w: %w", err, rerr))
				return
			}
		}
		if !bare {
			if _, err := w.exec("RELEASE op"); err != nil {
				failAll(fmt.Errorf("store/sqlite: release: %w", err))
				return
			}
		}
		if errs[i] == nil {
			o.setApplied(true)
		}
	}
	w.deferRows = false
	if err := w.flushRows(); err != nil {
		redo()
		goto again
	}
	if y := w.syncer; y != nil {
		// Counted before the COMMIT publishes the batch to readers, so a
		// read that sees it waits for its fsync (Store.durable).
		y.committed.Add(1)
	}
	if _, err := w.exec("COMMIT"); err != nil {
		failAll(fmt.Errorf("store/sqlite: commit: %w", err))
		return
	}
	answer()
}

// flushRows writes the rows the batch's steps have gathered.
func (w *writer) flushRows() error {
	if err := w.events.flush(w); err != nil {
		return err
	}
	return w.inputs.flush(w)
}

// dropRows forgets gathered rows, when their transaction is rolled back.
func (w *writer) dropRows() {
	w.events.discard(0)
	w.inputs.discard(0)
}

// cleanRefusal tells the errors with which a step is refused by its own
// checks, before it has written anything and without ending the
// transaction.
func cleanRefusal(err error) bool {
	return errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) ||
		errors.Is(err, store.ErrAlreadyExists) || errors.Is(err, store.ErrNoShards)
}

// sqliteCode is the extended result code of a SQLite error, 0 for others.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isDuplicate(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || c == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// Times are stored as unix nanoseconds; 0 is the zero time, so a time at
// exactly the epoch does not round-trip (no state machine runs in 1970).
func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
