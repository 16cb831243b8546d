package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
)

// Summary is what a database file holds, as Snapshot and Verify read it.
type Summary struct {
	// SchemaVersion is the last migration applied to it.
	SchemaVersion int
	// StateMachines counts the state machines, Executions every
	// execution kept, Running those of them not yet ended.
	StateMachines, Executions, Running int64
	// Bytes is the size of the file.
	Bytes int64
}

// Snapshot writes a transactionally consistent copy of the database at src
// to the new file dst (mode 0600), while a Store in this process or
// another may be committing to it, and checks the copy with Verify.
//
// The copy is VACUUM INTO on a read-only connection of its own. It reads
// the whole database in one read transaction, which under WAL sees the
// database as of its first read whatever the writer commits meanwhile,
// and neither waits for the other. SQLite's online backup API gives the
// same snapshot only when sqlite3_backup_step copies every page in one
// call: stepped a few pages at a time, as it is meant for a live
// database, it starts over each time another connection commits, and a
// server under steady load commits every few milliseconds. In one call it
// would be the same read transaction, but it copies the free pages that
// purges leave too, which VACUUM INTO drops; VACUUM INTO keeps the page
// size, auto_vacuum mode and user_version (the schema version).
//
// Snapshot takes no lock a Store takes: not the lock file, which keeps a
// second Store off the database and not readers, and not SQLite's write
// lock. While the copy runs the Store's checkpoints cannot pass it, so the
// WAL grows by what is committed meanwhile; journal_size_limit trims it
// afterwards.
//
// The copy is in rollback-journal mode (VACUUM INTO does not carry WAL
// mode over), so it is one file, read without a -wal beside it; Open puts
// it back in WAL mode.
func Snapshot(ctx context.Context, src, dst string) (Summary, error) {
	// src must exist: opening a missing one read-only fails rather than
	// creating it, but say so plainly.
	if fi, err := os.Stat(src); err != nil {
		return Summary{}, fmt.Errorf("store/sqlite: %w", err)
	} else if !fi.Mode().IsRegular() {
		return Summary{}, fmt.Errorf("store/sqlite: %s is not a regular file", src)
	}
	// VACUUM INTO accepts an empty file, so dst is made here: O_EXCL
	// refuses one that exists, and the mode is the database's, not
	// SQLite's 0644.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Summary{}, fmt.Errorf("store/sqlite: snapshot: %w", err)
	}
	f.Close()
	sum, err := snapshot(ctx, src, dst)
	if err != nil {
		os.Remove(dst)
		os.Remove(dst + "-journal")
		return Summary{}, fmt.Errorf("store/sqlite: snapshot of %s: %w", src, err)
	}
	return sum, nil
}

func snapshot(ctx context.Context, src, dst string) (Summary, error) {
	db, err := sql.Open("sqlite", fileDSN(src, "ro"))
	if err != nil {
		return Summary{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// The driver interrupts the statement when ctx ends.
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return Summary{}, err
	}
	if err := db.Close(); err != nil {
		return Summary{}, err
	}
	return Verify(ctx, dst)
}

// Verify checks the database file at path, which no Store may have open
// (a copy: a snapshot, or one being restored), and tells what it holds.
// It refuses a file that fails PRAGMA integrity_check, one that is not a
// Statecraft database, and one whose schema is newer than this binary's;
// it changes nothing.
func Verify(ctx context.Context, path string) (Summary, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Summary{}, fmt.Errorf("store/sqlite: %w", err)
	}
	db, err := sql.Open("sqlite", fileDSN(path, "ro"))
	if err != nil {
		return Summary{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	fail := func(err error) (Summary, error) {
		return Summary{}, fmt.Errorf("store/sqlite: %s: %w", path, err)
	}
	// integrity_check answers "ok" alone, or one row per problem.
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fail(err)
	}
	var problems []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return fail(err)
		}
		if p != "ok" && len(problems) < 10 {
			problems = append(problems, p)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fail(err)
	}
	if len(problems) > 0 {
		return fail(fmt.Errorf("integrity check failed: %s", strings.Join(problems, "; ")))
	}
	s := Summary{Bytes: fi.Size()}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&s.SchemaVersion); err != nil {
		return fail(err)
	}
	latest, err := schemaVersion()
	if err != nil {
		return fail(err)
	}
	switch {
	case s.SchemaVersion == 0:
		return fail(errors.New("not a Statecraft database (no schema)"))
	case s.SchemaVersion > latest:
		return fail(fmt.Errorf("schema version %d is newer than this binary's %d", s.SchemaVersion, latest))
	}
	err = db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM state_machines),
		(SELECT count(*) FROM executions), (SELECT count(*) FROM executions WHERE status = ?)`, statusRunning).
		Scan(&s.StateMachines, &s.Executions, &s.Running)
	if err != nil {
		return fail(err)
	}
	return s, nil
}

// schemaVersion is the version a database has once Open has migrated it.
func schemaVersion() (int, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	return len(entries), err
}

// fileDSN opens path with mode ro or rw, never creating it. Busy_timeout
// covers a reader that arrives while the Store's writer recovers or
// checkpoints the WAL.
func fileDSN(path, mode string) string {
	q := url.Values{}
	q.Set("mode", mode)
	q.Add("_pragma", "busy_timeout(5000)")
	p := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + p + "?" + q.Encode()
}

// Lock takes the lock that Open holds on the database at path, without
// opening the database, and holds it until the Closer is closed: for a
// tool that writes the file itself (a restore) and must keep every Store
// off it meanwhile. It fails as Open does, wrapping ErrLocked, when a
// Store or another Lock holds it.
func Lock(path string) (io.Closer, error) {
	return acquireLock(path, slog.New(slog.DiscardHandler))
}
