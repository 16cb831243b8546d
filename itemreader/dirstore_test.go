package itemreader_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/itemreader"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// dirReader serves dir/store, whose subdirectory "items" holds files
// (key -> body); dir itself also holds a secret file beside the store, and
// the store holds links out to it.
func dirReader(t *testing.T, files map[string]string) (*itemreader.Reader, string) {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "store")
	for k, body := range files {
		p := filepath.Join(root, "items", filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "items"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.json"), []byte(`["secret"]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "secret.json"), filepath.Join(root, "items", "abs-link.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../secret.json", filepath.Join(root, "items", "rel-link.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(root, "items", "outside")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	r, err := itemreader.New(itemreader.Config{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	return r, dir
}

func wantFailure(t *testing.T, what string, err error, name, cause string) {
	t.Helper()
	var f *taskport.Failure
	if !errors.As(err, &f) || f.Name != name || !strings.Contains(f.Cause, cause) {
		t.Errorf("%s: got %v, want %s mentioning %q", what, err, name, cause)
	}
}

func TestDirStoreReads(t *testing.T) {
	r, _ := dirReader(t, map[string]string{
		"a.json":       `[1,2,3]`,
		"in/b.jsonl":   "{\"v\":1}\n",
		"in/c/d.csv":   "x\n1\n",
		"in-e.txt":     "e",
		"other/f.json": "[]",
	})
	got, err := read(t, r, getObject, map[string]any{"Bucket": "items", "Key": "a.json"}, map[string]any{"InputType": "JSON", "MaxItems": int64(2)})
	if err != nil || !reflect.DeepEqual(got, []any{int64(1), int64(2)}) {
		t.Fatalf("a.json: got %v, %v", got, err)
	}
	got, err = read(t, r, getObject, map[string]any{"Bucket": "items", "Key": "in/c/d.csv"}, map[string]any{"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})
	if err != nil || !jsonv.Equal(got, []any{map[string]any{"x": "1"}}) {
		t.Fatalf("d.csv: got %v, %v", got, err)
	}
	got, err = read(t, r, listObjects, map[string]any{"Bucket": "items", "Prefix": "in"}, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range got.([]any) {
		m := it.(*jsonv.Object)
		keys = append(keys, m.Value("Key").(string))
		if e, _ := m.Value("Etag").(string); len(e) != 34 || m.Value("StorageClass") != "STANDARD" {
			t.Errorf("item %v: want a quoted MD5 Etag and STANDARD", m)
		}
	}
	// S3's byte order ("in-e.txt" before "in/..."); the link leading out
	// of the store is no object.
	if want := []string{"in-e.txt", "in/b.jsonl", "in/c/d.csv"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("listed %v, want %v", keys, want)
	}
	got, err = read(t, r, listObjects, map[string]any{"Bucket": "items"}, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range got.([]any) {
		if k := it.(*jsonv.Object).Value("Key").(string); strings.Contains(k, "link") || strings.HasPrefix(k, "outside") {
			t.Errorf("listed %s, a link out of the store", k)
		}
	}
}

// Nothing a request names reads outside the directory: not "..", not an
// absolute key, not a link leading out; each fails as S3 would answer a
// key that is not there.
func TestDirStoreConfined(t *testing.T) {
	r, _ := dirReader(t, map[string]string{"a.json": `[1]`})
	for _, key := range []string{
		"../../secret.json", "../items/a.json", "/etc/passwd", "a.json/..", "./a.json", "x//a.json",
		"abs-link.json", "rel-link.json", "outside/secret.json", "", "in\\..\\a.json",
	} {
		_, err := read(t, r, getObject, map[string]any{"Bucket": "items", "Key": key}, map[string]any{"InputType": "JSON"})
		if key == "" {
			wantFailure(t, "empty key", err, interp.ErrItemReaderFailed, "'Key'")
			continue
		}
		wantFailure(t, key, err, interp.ErrItemReaderFailed, "Error Code: NoSuchKey")
	}
	for _, b := range []string{"escape", "nobucket"} {
		_, err := read(t, r, getObject, map[string]any{"Bucket": b, "Key": "secret.json"}, map[string]any{"InputType": "JSON"})
		wantFailure(t, b, err, interp.ErrItemReaderFailed, "Error Code: NoSuchBucket")
		_, err = read(t, r, listObjects, map[string]any{"Bucket": b}, map[string]any{})
		wantFailure(t, b+" list", err, interp.ErrItemReaderFailed, "Error Code: NoSuchBucket")
	}
	for _, prefix := range []string{"../", "outside/", "/"} {
		got, err := read(t, r, listObjects, map[string]any{"Bucket": "items", "Prefix": prefix}, map[string]any{})
		if err != nil || len(got.([]any)) != 0 {
			t.Errorf("prefix %q: got %v, %v; want no objects", prefix, got, err)
		}
	}
}

func TestDirStoreWrites(t *testing.T) {
	r, dir := dirReader(t, nil)
	out, err := write(r, "items", "JSON", []any{map[string]any{"Output": "1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := out.(*jsonv.Object).Value("Key").(string)
	b, err := os.ReadFile(filepath.Join(dir, "store", "items", filepath.FromSlash(key)))
	if err != nil || !strings.Contains(string(b), "SUCCEEDED_0.json") {
		t.Fatalf("manifest %s: %s, %v", key, b, err)
	}
	_, err = write(r, "nobucket", "JSON", []any{map[string]any{"Output": "1"}}, nil)
	wantFailure(t, "no bucket", err, interp.ErrResultWriterFailed, "Error Code: NoSuchBucket")
	_, err = write(r, "escape", "JSON", []any{map[string]any{"Output": "1"}}, nil)
	wantFailure(t, "escape", err, interp.ErrResultWriterFailed, "Error Code: NoSuchBucket")
	for _, prefix := range []string{"../..", "/tmp", "outside", "a/../.."} {
		_, err := writePrefix(r, "items", prefix)
		wantFailure(t, prefix, err, interp.ErrResultWriterFailed, "Error Code: AccessDenied")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "store" && e.Name() != "secret.json" {
			t.Errorf("%s written outside the store", e.Name())
		}
	}
}

func writePrefix(r *itemreader.Reader, bucket, prefix string) (any, error) {
	return r.Invoke(context.Background(), taskport.Request{Resource: interp.ResultWriterResource, Input: jsonv.Normalize(map[string]any{
		"Resource":  "arn:aws:states:::s3:putObject",
		"Arguments": map[string]any{"Bucket": bucket, "Prefix": prefix},
		"MapRunArn": runArn,
		"Results":   map[string]any{"SUCCEEDED": []any{map[string]any{"Output": "1"}}},
	})})
}
