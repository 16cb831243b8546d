package itemreader

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// dirStore serves buckets from a directory of the host: each
// subdirectory is a bucket, each regular file under it an object whose
// key is its path below the bucket, with "/" between directories.
//
// Every access goes through an os.Root opened on the directory, which
// refuses any name that resolves outside it (".." components, absolute
// symbolic links, links pointing out); on top of that a key that has no
// file name of its own (empty, absolute, with "." or ".." or empty
// segments) is never looked up, so it reads as a key that does not exist
// and cannot be written.
type dirStore struct{ root *os.Root }

func newDirStore(dir string) (*dirStore, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &dirStore{root: r}, nil
}

// filePath is the path of bucket/key under the root, or false when the
// key cannot name a file there.
func filePath(bucket, key string) (string, bool) {
	if key == "" || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\x00\\") {
		return "", false
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, tmpPrefix) {
			return "", false
		}
	}
	return bucket + "/" + key, true
}

// bucket checks that the bucket's directory is there, as S3 answers
// NoSuchBucket before it looks at a key.
func (d *dirStore) bucket(bucket string) error {
	fi, err := d.root.Stat(bucket)
	if err != nil || !fi.IsDir() {
		return errorf("NoSuchBucket", "The specified bucket does not exist")
	}
	return nil
}

func (d *dirStore) get(_ context.Context, bucket, key, versionID string, max int64) ([]byte, error) {
	if err := d.bucket(bucket); err != nil {
		return nil, err
	}
	if versionID != "" && versionID != "null" {
		return nil, errorf("InvalidArgument", "Invalid version id specified")
	}
	p, ok := filePath(bucket, key)
	if !ok {
		return nil, errNoSuchKey
	}
	f, err := d.root.Open(p)
	if err != nil {
		return nil, errNoSuchKey
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, errNoSuchKey
	}
	return io.ReadAll(io.LimitReader(f, max+1))
}

func (d *dirStore) list(ctx context.Context, bucket, prefix string, each func(object) bool) error {
	if err := d.bucket(bucket); err != nil {
		return err
	}
	fsys := d.root.FS()
	var keys []string
	err := fs.WalkDir(fsys, bucket, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == bucket {
				return err
			}
			return nil
		}
		if e.IsDir() {
			// A directory's keys all start with its path: skip those the
			// prefix rules out.
			rel := strings.TrimPrefix(p, bucket)
			rel = strings.TrimPrefix(rel, "/")
			if rel != "" && !strings.HasPrefix(rel+"/", prefix) && !strings.HasPrefix(prefix, rel+"/") {
				return fs.SkipDir
			}
			return nil
		}
		key := strings.TrimPrefix(p, bucket+"/")
		if _, ok := filePath(bucket, key); ok && strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// S3 lists keys in the order of their UTF-8 bytes, which is not a
	// walk's order ("a-b" comes before "a/b").
	slices.Sort(keys)
	for _, key := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		o, ok := d.stat(bucket, key)
		if !ok {
			continue
		}
		if !each(o) {
			return nil
		}
	}
	return nil
}

// stat describes a listed file as S3 does; links that leave the root,
// and whatever is not a regular file, are no objects.
func (d *dirStore) stat(bucket, key string) (object, bool) {
	f, err := d.root.Open(bucket + "/" + key)
	if err != nil {
		return object{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return object{}, false
	}
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return object{}, false
	}
	return object{key: key, etag: `"` + hex.EncodeToString(h.Sum(nil)) + `"`, size: fi.Size(), class: "STANDARD", modified: fi.ModTime().Unix()}, true
}

// tmpPrefix starts the names of files being written; keys never name
// them, so a half-written file is neither read nor listed.
const tmpPrefix = ".statecraft-tmp-"

func (d *dirStore) put(_ context.Context, bucket, key string, body []byte) error {
	if err := d.bucket(bucket); err != nil {
		return err
	}
	p, ok := filePath(bucket, key)
	if !ok {
		return errorf("AccessDenied", "Access Denied")
	}
	dir := path.Dir(p)
	if err := d.root.MkdirAll(dir, 0o755); err != nil {
		return errorf("AccessDenied", "Access Denied")
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := dir + "/" + tmpPrefix + hex.EncodeToString(rnd[:])
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return errorf("AccessDenied", "Access Denied")
	}
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.root.Rename(tmp, p)
	}
	if err != nil {
		_ = d.root.Remove(tmp)
		if errors.Is(err, fs.ErrPermission) {
			return errorf("AccessDenied", "Access Denied")
		}
		return err
	}
	return nil
}
