package cli

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/statecraft/statecraft/store/sqlite"
)

// A backup is a directory, not one archive file: the database snapshot is
// written by SQLite straight to its place in the backup, so a backup needs
// the database's size in free space once, where an archive would hold a
// second copy while it is built; the copy inside opens with any SQLite
// tool; and the backup appears whole or not at all by one rename. Who
// wants one file tars it.
//
// Its layout is the data directory's: statecraft.db (the snapshot, in
// rollback-journal mode), the other files of the directory as they were
// (workflows.json, console.key, functions/...), and, written last,
// ManifestFile.

// ManifestFile is the file of a backup that lists what it holds.
const ManifestFile = "statecraft-backup.json"

// databaseFile is the database in a data directory, as Server opens it.
const databaseFile = "statecraft.db"

// manifestFormat is the version of a backup's layout and manifest.
const manifestFormat = 1

// manifest is ManifestFile: what a backup holds, each file with its size
// and SHA-256, so that restore tells a whole backup from a damaged or
// unfinished one before it puts anything in place.
type manifest struct {
	Format int `json:"format"`
	// Taken is when the snapshot began: everything committed before then
	// is in it.
	Taken    time.Time      `json:"taken"`
	Data     string         `json:"data"` // the data directory backed up
	Database manifestDB     `json:"database"`
	Files    []manifestFile `json:"files"`
}

type manifestDB struct {
	SchemaVersion int   `json:"schemaVersion"`
	StateMachines int64 `json:"stateMachines"`
	Executions    int64 `json:"executions"`
	Running       int64 `json:"running"`
}

type manifestFile struct {
	Path   string `json:"path"` // slash-separated, below the backup's root
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Mode is the owner's permission bits, in octal ("0600", "0700" for
	// deployed code that is executable): a backup copied by a tool that
	// drops modes still restores them.
	Mode string `json:"mode"`
}

// BackupOptions are the settings of `statecraft backup`.
type BackupOptions struct {
	// Data is the server's data directory; "" means $STATECRAFT_DATA,
	// else the server's default.
	Data string
	// Out is the backup directory to create; it must not exist.
	Out string
}

// Backup copies a data directory into the new directory o.Out, while its
// server runs or not: the database as a transactionally consistent
// snapshot (sqlite.Snapshot, which takes no lock the server needs), and
// every other file of the directory, then ManifestFile. It prints what
// the backup holds. The backup is built under a temporary name beside
// o.Out and renamed into place once whole, so o.Out is never a partial
// backup, and an existing o.Out is never replaced.
func Backup(ctx context.Context, o BackupOptions, stdout, stderr io.Writer) error {
	if o.Out == "" {
		return &ExitError{Code: 1, Err: errors.New("backup: give the directory to write the backup to")}
	}
	if o.Data == "" {
		o.Data = cmp.Or(os.Getenv("STATECRAFT_DATA"), DefaultServerOptions().Data)
	}
	db := filepath.Join(o.Data, databaseFile)
	if fi, err := os.Stat(o.Data); err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("data directory: %w", err)}
	} else if !fi.IsDir() {
		return &ExitError{Code: 1, Err: fmt.Errorf("data directory %s: not a directory", o.Data)}
	}
	if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s holds no %s: not a Statecraft data directory, or one whose server has not started yet (a server on PostgreSQL is backed up with PostgreSQL's own tools)", o.Data, databaseFile)}
	} else if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	if _, err := os.Lstat(o.Out); err == nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s exists: a backup is written to a new directory, never over anything", o.Out)}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return &ExitError{Code: 1, Err: err}
	}
	parent := filepath.Dir(filepath.Clean(o.Out))
	if inside, err := within(o.Data, parent); err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("backup directory %s: %w", o.Out, err)}
	} else if inside {
		// It would be lost with the directory it saves, and copied into
		// every later backup.
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is inside the data directory %s: write the backup elsewhere", o.Out, o.Data)}
	}

	tmp := filepath.Join(parent, "."+filepath.Base(o.Out)+".tmp-"+rand.Text())
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("backup directory: %w", err)}
	}
	m, err := writeBackup(ctx, o.Data, tmp)
	if err == nil {
		// The last check before the rename: rename replaces an empty
		// directory, so one made meanwhile would be, but nothing else.
		if _, lerr := os.Lstat(o.Out); lerr == nil {
			err = fmt.Errorf("%s appeared while the backup was being written: it is left as it is", o.Out)
		} else if err = os.Rename(tmp, o.Out); err == nil {
			err = syncDir(parent)
		}
	}
	if err != nil {
		os.RemoveAll(tmp)
		return &ExitError{Code: 1, Err: fmt.Errorf("backup of %s: %w", o.Data, err)}
	}

	var files, total int64
	for _, f := range m.Files {
		if f.Path != databaseFile {
			files++
			total += f.Size
		}
	}
	dbSize := m.Files[0].Size
	fmt.Fprintf(stdout, "backed up %s to %s (snapshot taken %s)\n", o.Data, o.Out, m.Taken.Format(time.RFC3339))
	fmt.Fprintf(stdout, "  database: %d executions (%d running), %d state machines, %s\n",
		m.Database.Executions, m.Database.Running, m.Database.StateMachines, size(dbSize))
	fmt.Fprintf(stdout, "  other files: %d, %s%s\n", files, size(total), named(m.Files))
	return nil
}

// writeBackup fills the empty directory dir with a backup of data.
func writeBackup(ctx context.Context, data, dir string) (*manifest, error) {
	// The walk below does not follow a link, not even the one it starts
	// from.
	root, err := filepath.EvalSymlinks(data)
	if err == nil {
		root, err = filepath.Abs(root)
	}
	if err != nil {
		return nil, err
	}
	m := &manifest{Format: manifestFormat, Taken: time.Now().UTC(), Data: root}
	snap := filepath.Join(dir, databaseFile)
	sum, err := sqlite.Snapshot(ctx, filepath.Join(root, databaseFile), snap)
	if err != nil {
		return nil, err
	}
	m.Database = manifestDB{SchemaVersion: sum.SchemaVersion, StateMachines: sum.StateMachines, Executions: sum.Executions, Running: sum.Running}
	f, err := hashFile(snap)
	if err != nil {
		return nil, err
	}
	f.Path = databaseFile
	m.Files = append(m.Files, f)

	dirs := []string{dir}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		// Deploys remove the code no function uses any more, renaming it
		// away first: what vanishes under the walk was garbage.
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if liveDatabase(rel) || transient(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		dst := filepath.Join(dir, rel)
		switch {
		case d.IsDir():
			dirs = append(dirs, dst)
			return os.Mkdir(dst, 0o700)
		case d.Type().IsRegular():
			f, err := copyFile(path, dst, 0)
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			f.Path = filepath.ToSlash(rel)
			m.Files = append(m.Files, f)
			return nil
		}
		return fmt.Errorf("%s is a %s: a backup copies regular files and directories only; move it out of the data directory", path, typeName(d.Type()))
	})
	if err != nil {
		return nil, err
	}

	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeSynced(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// liveDatabase tells the database's own files in a data directory: the
// database reaches a backup through SQLite, and its WAL, index and lock
// are the running server's.
func liveDatabase(rel string) bool {
	switch rel {
	case databaseFile, databaseFile + "-wal", databaseFile + "-shm", databaseFile + "-journal", databaseFile + ".lock":
		return true
	}
	return false
}

// transient tells the files that are being written or removed: a file
// saved by writing NAME.tmp and renaming it (workflows.json), code being
// unpacked or removed by a deploy (.NAME.tmp-RANDOM, .NAME.old-RANDOM).
// None is state: the file it becomes, or was, is.
func transient(name string) bool {
	return strings.HasSuffix(name, ".tmp") ||
		strings.HasPrefix(name, ".") && (strings.Contains(name, ".tmp-") || strings.Contains(name, ".old-"))
}

// copyFile copies the regular file src to the new file dst and syncs
// it. The copy has mode, or when it is 0 the source's owner bits (and
// read and write for the owner). It returns what it copied, without a
// Path.
func copyFile(src, dst string, mode fs.FileMode) (manifestFile, error) {
	in, err := os.Open(src)
	if err != nil {
		return manifestFile{}, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return manifestFile{}, err
	}
	if !fi.Mode().IsRegular() {
		return manifestFile{}, fmt.Errorf("%s is not a regular file", src)
	}
	if mode == 0 {
		mode = fi.Mode().Perm()&0o700 | 0o600
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return manifestFile{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if err = errors.Join(err, out.Close()); err != nil {
		os.Remove(dst)
		return manifestFile{}, err
	}
	return manifestFile{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Mode: fmt.Sprintf("%04o", mode)}, nil
}

// hashFile describes a file the backup wrote itself.
func hashFile(path string) (manifestFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return manifestFile{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return manifestFile{}, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return manifestFile{}, err
	}
	return manifestFile{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Mode: fmt.Sprintf("%04o", fi.Mode().Perm())}, nil
}

// parseMode reads a manifest's mode: owner bits only, readable and
// writable by the owner.
func parseMode(s string) (fs.FileMode, error) {
	var m uint32
	if _, err := fmt.Sscanf(s, "%o", &m); err != nil || len(s) != 4 || m&^0o700 != 0 || m&0o600 != 0o600 {
		return 0, fmt.Errorf("mode %q: want the owner's bits in octal, such as 0600", s)
	}
	return fs.FileMode(m), nil
}

func writeSynced(path string, b []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// syncDir makes the names created in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// within tells whether path is dir or below it, once symbolic links are
// resolved; path must exist.
func within(dir, path string) (bool, error) {
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false, err
	}
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false, err
	}
	if d, err = filepath.Abs(d); err != nil {
		return false, err
	}
	if p, err = filepath.Abs(p); err != nil {
		return false, err
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && filepath.IsLocal(rel), nil
}

func typeName(t fs.FileMode) string {
	switch {
	case t&fs.ModeSymlink != 0:
		return "symbolic link"
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// size writes a byte count for people.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// named lists the top-level names of the files beside the database.
func named(files []manifestFile) string {
	var names []string
	seen := map[string]bool{}
	for _, f := range files {
		top, rest, _ := strings.Cut(f.Path, "/")
		if f.Path == databaseFile || seen[top] {
			continue
		}
		seen[top] = true
		if rest != "" {
			top += "/"
		}
		names = append(names, top)
	}
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + ")"
}
