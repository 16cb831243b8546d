//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || windows)

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// lockFile refuses: without a lock that the kernel drops with the
// process, two servers could share a database, and a lock file without
// one would be left stale by every crash.
func lockFile(*os.File) error {
	return fmt.Errorf("no file locking on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
