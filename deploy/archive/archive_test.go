package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tree writes files (name -> content; a name ending in "/" is a directory,
// a name ending in "*" an executable) under a new directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		mode := os.FileMode(0o644)
		if n, ok := strings.CutSuffix(name, "*"); ok {
			name, mode = n, 0o755
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	return dir
}

// listing describes a directory: "name mode [content]" per entry, in
// WalkDir's order.
func listing(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(filepath.ToSlash(rel) + " " + info.Mode().String())
		if info.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.WriteString(" " + string(data))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func pack(t *testing.T, dir, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Pack(&buf, dir, format, DefaultLimits); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPackUnpackRoundTrip(t *testing.T) {
	src := tree(t, map[string]string{
		"index.js":          "exports.handler = async () => 1;\n",
		"lib/util.js":       "module.exports = 2;\n",
		"lib/deep/data.txt": strings.Repeat("data ", 1000),
		"bootstrap*":        "#!/bin/sh\nexit 0\n",
		"bin/tool*":         "#!/bin/sh\n",
		"empty/":            "",
		"zero.txt":          "",
	})
	want := `. drwx------
bin drwx------
bin/tool -rwx------ #!/bin/sh

bootstrap -rwx------ #!/bin/sh
exit 0

empty drwx------
index.js -rw------- exports.handler = async () => 1;

lib drwx------
lib/deep drwx------
lib/deep/data.txt -rw------- ` + strings.Repeat("data ", 1000) + `
lib/util.js -rw------- module.exports = 2;

zero.txt -rw------- 
`
	for _, format := range []string{TarGz, Zip} {
		t.Run(format, func(t *testing.T) {
			data := pack(t, src, format)
			// The same files give the same bytes, whatever their times.
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(src, "index.js"), later, later); err != nil {
				t.Fatal(err)
			}
			if again := pack(t, src, format); sha256.Sum256(again) != sha256.Sum256(data) {
				t.Fatal("packing the same directory twice gave different archives")
			}
			dest := filepath.Join(t.TempDir(), "code")
			st, err := Unpack(data, format, dest, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if st.Files != 6 || st.Dirs != 4 || st.Bytes != int64(5000+33+20+17+10) {
				t.Errorf("stats %+v", st)
			}
			if got := listing(t, dest); got != want {
				t.Errorf("unpacked:\n%s\nwant:\n%s", got, want)
			}
			// Unpacking never writes into an existing directory.
			if _, err := Unpack(data, format, dest, DefaultLimits); err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Errorf("second unpack into the same place: %v", err)
			}
		})
	}
}

func TestPackRefusesLinks(t *testing.T) {
	src := tree(t, map[string]string{"index.js": "x"})
	if err := os.Symlink("/etc/passwd", filepath.Join(src, "passwd")); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{TarGz, Zip} {
		err := Pack(&bytes.Buffer{}, src, format, DefaultLimits)
		if err == nil || !strings.Contains(err.Error(), "passwd is a symbolic link") {
			t.Errorf("%s: %v", format, err)
		}
	}
	small := tree(t, map[string]string{"a": "12345", "b": "67890"})
	if err := Pack(&bytes.Buffer{}, small, TarGz, Limits{Compressed: 1 << 20, Unpacked: 9, Entries: 10}); err == nil || !strings.Contains(err.Error(), "more than the 9 bytes") {
		t.Errorf("over the unpacked limit: %v", err)
	}
	if err := Pack(&bytes.Buffer{}, small, Zip, Limits{Compressed: 1 << 20, Unpacked: 100, Entries: 1}); err == nil || !strings.Contains(err.Error(), "more than the 1 files") {
		t.Errorf("over the entry limit: %v", err)
	}
}

// entry is one hand-made archive entry.
type entry struct {
	name     string
	typ      byte // tar type flag; for zip, tar.TypeReg, TypeDir, TypeSymlink, TypeChar or TypeFifo
	body     string
	linkname string
}

func tarGz(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Linkname: e.linkname, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		switch e.typ {
		case tar.TypeReg:
			h.SetMode(0o644)
		case tar.TypeDir:
			h.SetMode(fs.ModeDir | 0o755)
		case tar.TypeSymlink:
			h.SetMode(fs.ModeSymlink | 0o777)
		case tar.TypeChar:
			h.SetMode(fs.ModeDevice | fs.ModeCharDevice | 0o644)
		case tar.TypeFifo:
			h.SetMode(fs.ModeNamedPipe | 0o644)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		body := e.body
		if e.typ == tar.TypeSymlink {
			body = e.linkname
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipLying holds one deflated entry whose header claims 10 bytes and whose
// data inflates to 1 MiB.
func zipLying(t *testing.T) []byte {
	t.Helper()
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestCompression)
	fw.Write(make([]byte, 1<<20))
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "bomb", Method: zip.Deflate, CompressedSize64: uint64(raw.Len()), UncompressedSize64: 10})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw.Bytes())
	zw.Close()
	return buf.Bytes()
}

func TestUnpackRefuses(t *testing.T) {
	reg := func(name string) entry { return entry{name: name, typ: tar.TypeReg, body: "x"} }
	small := Limits{Compressed: 1 << 20, Unpacked: 1000, Entries: 5}
	big := strings.Repeat("y", 1001)
	many := []entry{reg("a"), reg("b"), reg("c"), reg("d"), reg("e"), reg("f")}
	cases := []struct {
		name    string
		entries []entry
		tarOnly bool
		want    string
	}{
		{"zip slip", []entry{reg("ok.js"), reg("../evil.js")}, false, `entry "../evil.js": path leaves the directory`},
		{"deep slip", []entry{reg("a/b/../../../evil.js")}, false, `entry "a/b/../../../evil.js": path leaves the directory`},
		{"absolute", []entry{reg("/etc/cron.d/evil")}, false, `entry "/etc/cron.d/evil": absolute path`},
		{"backslash", []entry{reg(`..\evil.js`)}, false, `entry "..\\evil.js": name holds a backslash`},
		{"drive", []entry{reg("C:/evil.js")}, false, `entry "C:/evil.js": name holds a colon`},
		{"drive relative", []entry{reg("C:evil.js")}, false, `entry "C:evil.js": name holds a colon`},
		{"symlink", []entry{{name: "passwd", typ: tar.TypeSymlink, linkname: "/etc/passwd"}}, false, `entry "passwd": symbolic links are not accepted`},
		{"symlink then write through it", []entry{{name: "d", typ: tar.TypeSymlink, linkname: "/tmp"}, reg("d/evil")}, false, `entry "d": symbolic links`},
		{"hard link", []entry{{name: "passwd", typ: tar.TypeLink, linkname: "/etc/passwd"}}, true, `entry "passwd": hard links are not accepted`},
		{"char device", []entry{{name: "null", typ: tar.TypeChar}}, false, `entry "null": device files are not accepted`},
		{"block device", []entry{{name: "sda", typ: tar.TypeBlock}}, true, `entry "sda": device files are not accepted`},
		{"fifo", []entry{{name: "pipe", typ: tar.TypeFifo}}, false, `entry "pipe": FIFOs are not accepted`},
		{"duplicate", []entry{reg("index.js"), reg("./index.js")}, false, `entry "./index.js": appears twice`},
		{"too many entries", many, false, "more than 5 entries"},
		{"unpacked too big", []entry{reg("a"), {name: "big", typ: tar.TypeReg, body: big}}, false, "unpacks to more than the 1000 bytes"},
	}
	for _, c := range cases {
		for _, format := range []string{TarGz, Zip} {
			if c.tarOnly && format == Zip {
				continue
			}
			t.Run(c.name+"/"+format, func(t *testing.T) {
				var data []byte
				if format == TarGz {
					data = tarGz(t, c.entries...)
				} else {
					data = zipOf(t, c.entries...)
				}
				refused(t, data, format, small, c.want)
			})
		}
	}
	t.Run("compressed too big", func(t *testing.T) {
		refused(t, tarGz(t, reg("a")), TarGz, Limits{Compressed: 10, Unpacked: 1000, Entries: 5}, "more than the 10 allowed")
	})
	t.Run("zip lying about its size", func(t *testing.T) {
		refused(t, zipLying(t), Zip, small, `entry "bomb": zip: not a valid zip file`)
	})
	t.Run("gzip bomb", func(t *testing.T) {
		refused(t, tarGz(t, entry{name: "zeros", typ: tar.TypeReg, body: string(make([]byte, 1<<20))}), TarGz, small, "unpacks to more than the 1000 bytes")
	})
	t.Run("not an archive", func(t *testing.T) {
		refused(t, []byte("#!/bin/sh\n"), TarGz, small, "not a gzip-compressed tar archive")
		refused(t, []byte("#!/bin/sh\n"), Zip, small, "not a zip archive")
	})
	t.Run("unknown format", func(t *testing.T) {
		refused(t, tarGz(t, reg("a")), "rar", small, `unknown archive format "rar"`)
	})
}

// refused checks Unpack refuses data with an error containing want and
// leaves nothing behind.
func refused(t *testing.T, data []byte, format string, lim Limits, want string) {
	t.Helper()
	parent := t.TempDir()
	_, err := Unpack(data, format, filepath.Join(parent, "code"), lim)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
	left, _ := os.ReadDir(parent)
	if len(left) != 0 {
		t.Fatalf("a refused archive left %v behind", left)
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"index.js": true, "./index.js": true, "a/b/c.js": true, "dir/": true, "./": true, "...": true, "a..b": true,
		"": false, "..": false, "../a": false, "a/..": false, "/a": false, `a\b`: false, "c:": false, "a\x00b": false,
	} {
		if got := CheckName(name) == ""; got != ok {
			t.Errorf("CheckName(%q) = %q", name, CheckName(name))
		}
	}
}
