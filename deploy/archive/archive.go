// Package archive packs a function's code directory into an archive and
// unpacks such an archive, received from a client, into a directory of the
// server's own.
//
// Two formats are read: gzip-compressed tar ("tar.gz") and zip ("zip").
// Pack writes either, deterministically: the same files give the same
// bytes (entries in lexical order, fixed times, owners and modes), so the
// archive's SHA-256 names the code.
//
// Unpack trusts nothing in the archive. It refuses, naming the entry:
// names that are absolute, hold a ".." element, a backslash, a colon (a
// Windows drive or stream) or a NUL, or appear twice; symbolic and hard
// links; devices, FIFOs and any other entry that is not a regular file or
// a directory. It enforces Limits on the archive's size, the unpacked size
// and the number of entries while it reads, so an archive that claims one
// size and holds another is stopped at the limit. It writes into a new
// directory beside the destination and renames it into place only when
// everything was written, so the destination either holds the whole
// archive or does not exist. Directories are created 0700; files 0700 when
// the archive marks them executable (any of the mode's x bits), else 0600.
package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Formats.
const (
	TarGz = "tar.gz"
	Zip   = "zip"
)

// Limits bound what Unpack (and Pack) accept.
type Limits struct {
	// Compressed is the most bytes the archive itself may have.
	Compressed int64
	// Unpacked is the most bytes its files may hold in all.
	Unpacked int64
	// Entries is the most files and directories it may hold.
	Entries int
}

// DefaultLimits are Lambda's: a 50 MB deployment package uploaded directly
// (not through S3) and 250 MB unzipped. Lambda sets no bound on the number
// of files; this one keeps a hostile archive from exhausting inodes while
// leaving room for a large node_modules.
var DefaultLimits = Limits{Compressed: 50 << 20, Unpacked: 250 << 20, Entries: 50000}

// maxName bounds an entry's name, as PATH_MAX does.
const maxName = 4096

// Error is an archive refused: Entry names the offending entry ("" when
// the problem is the archive as a whole).
type Error struct {
	Entry   string
	Message string
}

func (e *Error) Error() string {
	if e.Entry == "" {
		return e.Message
	}
	return fmt.Sprintf("entry %q: %s", e.Entry, e.Message)
}

func refuse(entry, format string, args ...any) error {
	return &Error{Entry: entry, Message: fmt.Sprintf(format, args...)}
}

// Stats says what an archive held.
type Stats struct {
	Files, Dirs int
	Bytes       int64 // the files' total size
}

// CheckName returns why an entry name is refused, or "" when it is a
// relative, slash-separated path that stays below the directory it is
// unpacked into. A trailing slash (a directory) and a leading "./" are
// allowed.
func CheckName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case len(name) > maxName:
		return fmt.Sprintf("name longer than %d bytes", maxName)
	case strings.ContainsRune(name, 0):
		return "name holds a NUL byte"
	case strings.Contains(name, `\`):
		return `name holds a backslash (use "/" to separate directories)`
	case strings.Contains(name, ":"):
		return "name holds a colon (a drive letter or stream name elsewhere)"
	case strings.HasPrefix(name, "/"):
		return "absolute path"
	}
	for _, el := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if el == ".." {
			return `path leaves the directory ("..")`
		}
	}
	return ""
}

// clean turns an accepted entry name into the path below the destination
// ("" for the destination itself, as in "./").
func clean(name string) string {
	c := path.Clean(strings.TrimSuffix(name, "/"))
	if c == "." {
		return ""
	}
	return c
}

// Unpack writes the archive data, in format, into dest, which must not
// exist yet and whose parent must. On any error nothing is left behind.
func Unpack(data []byte, format, dest string, lim Limits) (Stats, error) {
	if int64(len(data)) > lim.Compressed {
		return Stats{}, refuse("", "the archive is %d bytes, more than the %d allowed", len(data), lim.Compressed)
	}
	if _, err := os.Lstat(dest); err == nil {
		return Stats{}, fmt.Errorf("archive: %s already exists", dest)
	}
	tmp := filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-"+random())
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return Stats{}, fmt.Errorf("archive: %w", err)
	}
	u := &unpacker{root: tmp, lim: lim, seen: map[string]bool{}}
	var err error
	switch format {
	case TarGz:
		err = u.tarGz(data)
	case Zip:
		err = u.zip(data)
	default:
		err = refuse("", "unknown archive format %q (use %s or %s)", format, TarGz, Zip)
	}
	if err == nil {
		err = os.Rename(tmp, dest)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return Stats{}, err
	}
	return u.stats, nil
}

type unpacker struct {
	root  string
	lim   Limits
	seen  map[string]bool
	stats Stats
}

// entry checks one entry's name and counts it; it returns the cleaned
// path below the root ("" for the root itself).
func (u *unpacker) entry(name string) (string, error) {
	if msg := CheckName(name); msg != "" {
		return "", refuse(name, "%s", msg)
	}
	rel := clean(name)
	if rel != "" && u.seen[rel] {
		return "", refuse(name, "appears twice in the archive")
	}
	u.seen[rel] = true
	if len(u.seen) > u.lim.Entries {
		return "", refuse("", "the archive holds more than %d entries", u.lim.Entries)
	}
	return rel, nil
}

func (u *unpacker) dir(rel string) error {
	if rel == "" {
		return nil
	}
	u.stats.Dirs++
	// The root holds only what this unpacker created (no links), so
	// MkdirAll cannot be led outside it.
	if err := os.MkdirAll(filepath.Join(u.root, filepath.FromSlash(rel)), 0o700); err != nil {
		return refuse(rel, "%v", err)
	}
	return nil
}

func (u *unpacker) file(name, rel string, executable bool, r io.Reader) error {
	if rel == "" {
		return refuse(name, "a file cannot be the archive's root")
	}
	target := filepath.Join(u.root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return refuse(name, "%v", err)
	}
	mode := os.FileMode(0o600)
	if executable {
		mode = 0o700
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return refuse(name, "%v", err)
	}
	left := u.lim.Unpacked - u.stats.Bytes
	n, err := io.Copy(f, io.LimitReader(r, left+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	u.stats.Bytes += n
	u.stats.Files++
	switch {
	case n > left:
		return refuse("", "the archive unpacks to more than the %d bytes allowed", u.lim.Unpacked)
	case err != nil:
		return refuse(name, "%v", err)
	}
	return nil
}

func (u *unpacker) tarGz(data []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return refuse("", "not a gzip-compressed tar archive: %v", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		// ErrInsecurePath comes with the header; CheckName names the
		// entry and says what is wrong with it.
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return refuse("", "reading the tar archive: %v", err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue // pax metadata for the archive (git archive writes one), not a file
		}
		rel, err := u.entry(h.Name)
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = u.dir(rel)
		case tar.TypeReg: // Next turns the old TypeRegA into TypeReg or TypeDir
			// tar's sizes are exact (the reader gives no more and no
			// less), so a file over the limit is refused unwritten.
			if h.Size > u.lim.Unpacked-u.stats.Bytes {
				return refuse("", "the archive unpacks to more than the %d bytes allowed", u.lim.Unpacked)
			}
			err = u.file(h.Name, rel, h.Mode&0o111 != 0, tr)
		case tar.TypeSymlink:
			err = refuse(h.Name, "symbolic links are not accepted (to %q)", h.Linkname)
		case tar.TypeLink:
			err = refuse(h.Name, "hard links are not accepted (to %q)", h.Linkname)
		case tar.TypeChar, tar.TypeBlock:
			err = refuse(h.Name, "device files are not accepted")
		case tar.TypeFifo:
			err = refuse(h.Name, "FIFOs are not accepted")
		default:
			err = refuse(h.Name, "tar entry type %q is not a regular file or a directory", string(h.Typeflag))
		}
		if err != nil {
			return err
		}
	}
	// Reading on to the end of the gzip stream (tar's padding; bounded)
	// makes gzip check its CRC and length trailer.
	if _, err := io.Copy(io.Discard, io.LimitReader(zr, 1<<20)); err != nil {
		return refuse("", "reading the gzip stream: %v", err)
	}
	return nil
}

func (u *unpacker) zip(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	// Like tar's, zip's ErrInsecurePath comes with a usable reader; each
	// entry is checked below.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return refuse("", "not a zip archive: %v", err)
	}
	if len(zr.File) > u.lim.Entries {
		return refuse("", "the archive holds more than %d entries", u.lim.Entries)
	}
	for _, f := range zr.File {
		rel, err := u.entry(f.Name)
		if err != nil {
			return err
		}
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			err = refuse(f.Name, "symbolic links are not accepted")
		case mode&(fs.ModeDevice|fs.ModeCharDevice) != 0:
			err = refuse(f.Name, "device files are not accepted")
		case mode&fs.ModeNamedPipe != 0:
			err = refuse(f.Name, "FIFOs are not accepted")
		case mode&fs.ModeSocket != 0:
			err = refuse(f.Name, "sockets are not accepted")
		case mode.IsDir() || strings.HasSuffix(f.Name, "/"):
			err = u.dir(rel)
		case !mode.IsRegular():
			err = refuse(f.Name, "not a regular file or a directory (mode %v)", mode)
		default:
			if f.UncompressedSize64 > uint64(u.lim.Unpacked-u.stats.Bytes) {
				return refuse("", "the archive unpacks to more than the %d bytes allowed", u.lim.Unpacked)
			}
			var rc io.ReadCloser
			if rc, err = f.Open(); err != nil {
				return refuse(f.Name, "%v", err)
			}
			err = u.file(f.Name, rel, mode&0o111 != 0, rc)
			rc.Close()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func random() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// epoch is every packed entry's time: zip cannot say 1970, and a fixed
// time keeps the archive's bytes a function of the files alone.
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// packed is one entry Pack writes.
type packed struct {
	name string // slash-separated, relative; a directory's ends in "/"
	path string
	info fs.FileInfo
}

// Pack writes the directory dir as an archive in format to w, entries in
// lexical order, with names relative to dir. It refuses symbolic links and
// anything else that is not a regular file or a directory, and enforces
// lim.Unpacked and lim.Entries (lim.Compressed is the caller's to check on
// what w received).
func Pack(w io.Writer, dir, format string, lim Limits) error {
	if format != TarGz && format != Zip {
		return fmt.Errorf("unknown archive format %q (use %s or %s)", format, TarGz, Zip)
	}
	var items []packed
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link: code is sent as regular files only (copy what it points to into the directory)", p)
		case info.IsDir():
			name += "/"
		case !info.Mode().IsRegular():
			return fmt.Errorf("%s is not a regular file or a directory", p)
		}
		if msg := CheckName(name); msg != "" {
			return fmt.Errorf("%s: %s", p, msg)
		}
		total += info.Size()
		if total > lim.Unpacked {
			return fmt.Errorf("%s holds more than the %d bytes a function's code may have", dir, lim.Unpacked)
		}
		if len(items) == lim.Entries {
			return fmt.Errorf("%s holds more than the %d files and directories a function's code may have", dir, lim.Entries)
		}
		items = append(items, packed{name, p, info})
		return nil
	})
	if err != nil {
		return err
	}
	if format == Zip {
		return packZip(w, items)
	}
	return packTarGz(w, items)
}

// packedMode is the mode an entry is packed with: only whether a file is
// executable survives, so the archive does not depend on the umask.
func packedMode(info fs.FileInfo) int64 {
	if info.IsDir() || info.Mode()&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

func packTarGz(w io.Writer, items []packed) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	for _, it := range items {
		h := &tar.Header{Name: it.name, Mode: packedMode(it.info), ModTime: epoch}
		if it.info.IsDir() {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, it.info.Size()
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !it.info.IsDir() {
			if err := copyFile(tw, it.path, it.info.Size()); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func packZip(w io.Writer, items []packed) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	for _, it := range items {
		h := &zip.FileHeader{Name: it.name, Method: zip.Deflate, Modified: epoch}
		mode := fs.FileMode(packedMode(it.info))
		if it.info.IsDir() {
			h.Method = zip.Store
			mode |= fs.ModeDir
		}
		h.SetMode(mode)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if !it.info.IsDir() {
			if err := copyFile(fw, it.path, it.info.Size()); err != nil {
				return err
			}
		}
	}
	return zw.Close()
}

// copyFile copies exactly size bytes of the file at p: a file that grew
// or shrank since it was listed is an error, not a corrupt archive.
func copyFile(w io.Writer, p string, size int64) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size+1))
	if err == nil && n != size {
		err = fmt.Errorf("%s changed while it was packed", p)
	}
	return err
}
