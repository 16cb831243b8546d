package sqlite

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// ErrLocked means another process (or another Store in this one) has the
// database open: Open found its lock file locked. The error Open returns
// wraps it with the paths and, when the lock file says it, the holder's
// process id.
var ErrLocked = errors.New("store/sqlite: database in use by another process")

// errHeld is what lockFile returns when the lock is someone else's.
var errHeld = errors.New("lock held")

// lockPath is the lock file of the database at path.
func lockPath(path string) string { return path + ".lock" }

// acquireLock takes the exclusive lock that makes a Store the database's
// only user, before anything opens the database itself: SQLite's own
// locks serialise transactions, not processes, and a second process that
// got in would requeue the first one's claimed tasks and run the same
// executions. The lock belongs to the open file, so it lasts until the
// file is closed (Close, or the kernel when the process dies): a crash
// never leaves a stale lock behind. The file is never removed, since a
// process could lock a removed file while another creates a new one.
func acquireLock(path string, log *slog.Logger) (*os.File, error) {
	lp := lockPath(path)
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: lock file: %w", err)
	}
	if err := lockFile(f); err != nil {
		defer f.Close()
		if errors.Is(err, errHeld) {
			holder := ""
			if pid := readPid(f); pid > 0 {
				holder = " (process " + strconv.Itoa(pid) + ")"
			}
			return nil, fmt.Errorf("%w: %s is locked by %s%s", ErrLocked, path, lp, holder)
		}
		return nil, fmt.Errorf("store/sqlite: locking %s: %w", lp, err)
	}
	// Ours now: tighten a file an older version made with a looser mode,
	// and record who holds it for the next opener's error message.
	if err := restrictMode(lp, log); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store/sqlite: lock file %s: %w", lp, err)
	}
	return f, nil
}

// readPid reads the holder's pid from a lock file; 0 when it says none
// (the holder may be between truncating and writing it).
func readPid(f *os.File) int {
	b := make([]byte, 32)
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// restrictMode makes an existing file readable and writable by its owner
// only: a database holds execution inputs and outputs. A missing file is
// left missing.
func restrictMode(path string, log *slog.Logger) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store/sqlite: %w", err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("store/sqlite: %s is readable by others (mode %04o) and could not be restricted: %w", path, fi.Mode().Perm(), err)
	}
	log.Warn("file was readable by others: mode restricted to 0600", "file", path, "was", fmt.Sprintf("%04o", fi.Mode().Perm()))
	return nil
}
