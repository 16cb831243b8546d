package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/statecraft/statecraft/store/sqlite"
)

// RestoreOptions are the settings of `statecraft restore`.
type RestoreOptions struct {
	// Backup is a directory that Backup wrote.
	Backup string
	// Data is the data directory to restore into: absent, or empty; ""
	// means $STATECRAFT_DATA, else the server's default.
	Data string
}

// restoringDB is the name the database is copied to in the data
// directory; renamed to databaseFile last, so that a restore cut short
// leaves no database a server would open.
const restoringDB = "." + databaseFile + ".restoring"

// Restore copies a backup into a data directory that is absent or empty,
// from which `statecraft server --data` then serves what the backup held.
// It refuses a directory that holds anything (naming what), and one a
// server holds; it holds the directory's lock itself until it is done, so
// no server starts on a half-restored directory. Every file must match
// the backup's manifest and the database must pass its integrity check
// before the database is put in place; a restore that fails removes what
// it copied.
func Restore(ctx context.Context, o RestoreOptions, stdout, stderr io.Writer) error {
	if o.Backup == "" {
		return &ExitError{Code: 1, Err: errors.New("restore: give the backup directory to restore")}
	}
	if o.Data == "" {
		o.Data = cmp.Or(os.Getenv("STATECRAFT_DATA"), DefaultServerOptions().Data)
	}
	m, err := readManifest(o.Backup)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	lock, err := claimDataDir(o.Data, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	defer lock.Close()
	sum, err := restoreFiles(ctx, o.Backup, o.Data, m)
	if err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("restore into %s: %w (what it had copied is removed)", o.Data, err)}
	}
	if err := lock.Close(); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	fmt.Fprintf(stdout, "restored %s (snapshot taken %s of %s) into %s\n", o.Backup, m.Taken.Format(time.RFC3339), m.Data, o.Data)
	fmt.Fprintf(stdout, "  database: %d executions (%d running), %d state machines, %s\n", sum.Executions, sum.Running, sum.StateMachines, size(sum.Bytes))
	fmt.Fprintf(stdout, "  other files: %d%s\n", len(m.Files)-1, named(m.Files))
	fmt.Fprintf(stdout, "  statecraft server --data %s\n", o.Data)
	return nil
}

// readManifest reads a backup's manifest and checks that it describes
// the directory: a file it lists that is not there, or a file there that
// it does not list, and the backup is refused.
func readManifest(dir string) (*manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has no %s: it is not a Statecraft backup, or one whose writing was cut short", dir, ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	bad := func(format string, a ...any) (*manifest, error) {
		return nil, fmt.Errorf("%s: %s", filepath.Join(dir, ManifestFile), fmt.Sprintf(format, a...))
	}
	if m.Format != manifestFormat {
		return bad("backup format %d; this binary restores format %d", m.Format, manifestFormat)
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		reserved := f.Path == ManifestFile || f.Path == restoringDB || f.Path != databaseFile && liveDatabase(f.Path)
		if !fs.ValidPath(f.Path) || f.Path == "." || reserved {
			return bad("%q is not a file a backup holds", f.Path)
		}
		if listed[f.Path] {
			return bad("%s is listed twice", f.Path)
		}
		if _, err := parseMode(f.Mode); err != nil {
			return bad("%s: %v", f.Path, err)
		}
		listed[f.Path] = true
	}
	if !listed[databaseFile] {
		return bad("no %s listed", databaseFile)
	}
	var extra []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." || d.IsDir() {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != ManifestFile && !listed[rel] {
			extra = append(extra, rel)
		}
		delete(listed, rel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(extra) > 0 {
		return nil, fmt.Errorf("%s holds files its %s does not list: %s", dir, ManifestFile, list(extra))
	}
	if len(listed) > 0 {
		return nil, fmt.Errorf("%s lacks files its %s lists: %s", dir, ManifestFile, list(slices.Sorted(maps.Keys(listed))))
	}
	return &m, nil
}

// claimDataDir makes sure dir is absent or empty, creating it, and takes
// its database's lock. A lock file left by a server that has stopped, or
// by a restore that failed, is all an empty directory may hold.
func claimDataDir(dir string, log *slog.Logger) (io.Closer, error) {
	lockName := databaseFile + ".lock"
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("data directory: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("data directory %s: not a directory", dir)
	default:
		names, err := dirNames(dir)
		if err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		if slices.Contains(names, lockName) {
			// Whether a server holds it is the first thing to say.
			l, err := sqlite.Lock(filepath.Join(dir, databaseFile))
			if err != nil {
				return nil, restoreLockError(dir, err)
			}
			l.Close()
		}
		if names = slices.DeleteFunc(names, func(n string) bool { return n == lockName }); len(names) > 0 {
			return nil, fmt.Errorf("data directory %s is not empty (it holds %s): restore into an empty or new directory", dir, list(names))
		}
	}
	// Made 0700, or restricted to it, as the server does.
	if err := prepareDataDir(dir, log); err != nil {
		return nil, err
	}
	l, err := sqlite.Lock(filepath.Join(dir, databaseFile))
	if err != nil {
		return nil, restoreLockError(dir, err)
	}
	// Checked again under the lock: something may have got in meanwhile.
	names, err := dirNames(dir)
	if err == nil {
		if names = slices.DeleteFunc(names, func(n string) bool { return n == lockName }); len(names) > 0 {
			err = fmt.Errorf("data directory %s is not empty (it holds %s): restore into an empty or new directory", dir, list(names))
		}
	}
	if err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func restoreLockError(dir string, err error) error {
	if errors.Is(err, sqlite.ErrLocked) {
		return fmt.Errorf("data directory %s is in use by a Statecraft server: stop it first, and restore into an empty directory (%w)", dir, err)
	}
	return err
}

// restoreFiles copies the backup's files into the claimed, empty
// directory data, the database last, and tells what the database holds;
// on failure it removes what it made.
func restoreFiles(ctx context.Context, backup, data string, m *manifest) (_ sqlite.Summary, err error) {
	var made []string // files, then directories, in the order made
	defer func() {
		if err != nil {
			for _, p := range slices.Backward(made) {
				os.Remove(p)
			}
		}
	}()
	dirs := []string{data}
	mkdirs := func(rel string) error {
		var missing []string
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			p := filepath.Join(data, filepath.FromSlash(d))
			if _, err := os.Lstat(p); err == nil {
				break
			}
			missing = append(missing, p)
		}
		for _, p := range slices.Backward(missing) {
			if err := os.Mkdir(p, 0o700); err != nil {
				return err
			}
			made = append(made, p)
			dirs = append(dirs, p)
		}
		return nil
	}
	for _, f := range m.Files {
		if err := ctx.Err(); err != nil {
			return sqlite.Summary{}, err
		}
		if err := mkdirs(f.Path); err != nil {
			return sqlite.Summary{}, err
		}
		src := filepath.Join(backup, filepath.FromSlash(f.Path))
		dst := filepath.Join(data, filepath.FromSlash(f.Path))
		if f.Path == databaseFile {
			dst = filepath.Join(data, restoringDB)
		}
		mode, _ := parseMode(f.Mode) // checked by readManifest
		got, err := copyFile(src, dst, mode)
		if err != nil {
			return sqlite.Summary{}, err
		}
		made = append(made, dst)
		if got.Size != f.Size || got.SHA256 != f.SHA256 {
			return sqlite.Summary{}, fmt.Errorf("%s is not what the backup's %s says (%d bytes, SHA-256 %s, where it lists %d bytes, %s): the backup is damaged",
				src, ManifestFile, got.Size, got.SHA256, f.Size, f.SHA256)
		}
	}
	db := filepath.Join(data, restoringDB)
	sum, err := sqlite.Verify(ctx, db)
	if err != nil {
		return sqlite.Summary{}, fmt.Errorf("the backup's database: %w", err)
	}
	for _, d := range slices.Backward(dirs) {
		if err := syncDir(d); err != nil {
			return sqlite.Summary{}, err
		}
	}
	if err := os.Rename(db, filepath.Join(data, databaseFile)); err != nil {
		return sqlite.Summary{}, err
	}
	made = append(made, filepath.Join(data, databaseFile))
	return sum, syncDir(data)
}

// dirNames lists a directory's entries, sorted.
func dirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// list names a few of names, and how many others there are.
func list(names []string) string {
	const most = 5
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
}
