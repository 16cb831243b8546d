package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/statecraft/statecraft/store/sqlite"
)

// prepareDataDir creates the data directory private to the server's user
// (0700): it holds execution inputs and outputs, tenants' key hashes and
// deployed code. A directory that is open to its group or others, as
// versions before this one created it, is restricted rather than refused,
// with a warning: it is the server's own directory, and refusing would
// stop every existing installation at its next start for a change the
// server can make itself. One it cannot change (another user's) is
// refused.
func prepareDataDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data directory %s: not a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("data directory %s is open to other users (mode %04o) and could not be restricted to 0700: %w", dir, perm, err)
		}
		log.Warn("data directory was open to other users: mode restricted to 0700", "dir", dir, "was", fmt.Sprintf("%04o", perm))
	}
	return nil
}

// openError explains why the database of a data directory did not open;
// a lock held by another server gets a message of its own, since it is
// the one an operator can act on at once.
func openError(dir, dbPath string, err error) error {
	if errors.Is(err, sqlite.ErrLocked) {
		return fmt.Errorf("data directory %s is in use by another Statecraft server; stop it or give this server another --data (%w)", dir, err)
	}
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("opening %s: %w (is the data directory another user's?)", dbPath, err)
	}
	return fmt.Errorf("opening %s: %w", dbPath, err)
}
