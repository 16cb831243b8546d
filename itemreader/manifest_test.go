package itemreader_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// inventory is an S3 Inventory report as S3 publishes it: a manifest
// naming gzip-compressed CSV files whose columns its fileSchema names.
var inventory = map[string]string{
	"inv/src/cfg/2024-01-01T00-00Z/manifest.json": `{
		"sourceBucket": "src", "destinationBucket": "arn:aws:s3:::items", "version": "2016-11-30",
		"creationTimestamp": "1704067200000", "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size, LastModifiedDate",
		"files": [
			{"key": "inv/src/cfg/data/a.csv.gz", "size": 1, "MD5checksum": "x"},
			{"key": "inv/src/cfg/data/b.csv", "size": 1, "MD5checksum": "y"}
		]}`,
	"inv/src/cfg/data/a.csv.gz": gz("\"src\",\"csv/1.csv\",\"5\",\"2024-01-01T00:00:00.000Z\"\n\"src\",\"csv/2.csv\",\"6\",\"2024-01-01T00:00:01.000Z\"\n"),
	"inv/src/cfg/data/b.csv":    "\"src\",\"img/3.png\",\"7\",\"2024-01-01T00:00:02.000Z\"\n",
	"orc/manifest.json":         `{"fileFormat": "ORC", "fileSchema": "struct<bucket:string>", "files": []}`,
	"other/manifest.json":       `{"fileFormat": "CSV", "destinationBucket": "arn:aws:s3:::elsewhere", "fileSchema": "Bucket, Key", "files": []}`,
	"short/manifest.json":       `{"fileFormat": "CSV", "fileSchema": "Bucket, Key, Size", "files": [{"key": "inv/src/cfg/data/b.csv"}]}`,
	"gone/manifest.json":        `{"fileFormat": "CSV", "fileSchema": "Bucket, Key", "files": [{"key": "gone/data.csv.gz"}]}`,
}

func TestManifest(t *testing.T) {
	r := store(t, inventory)
	args := map[string]any{"Bucket": "items", "Key": "inv/src/cfg/2024-01-01T00-00Z/manifest.json"}
	got, err := read(t, r, getObject, args, map[string]any{"InputType": "MANIFEST"})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"Bucket": "src", "Key": "csv/1.csv", "Size": "5", "LastModifiedDate": "2024-01-01T00:00:00.000Z"},
		map[string]any{"Bucket": "src", "Key": "csv/2.csv", "Size": "6", "LastModifiedDate": "2024-01-01T00:00:01.000Z"},
		map[string]any{"Bucket": "src", "Key": "img/3.png", "Size": "7", "LastModifiedDate": "2024-01-01T00:00:02.000Z"},
	}
	if !jsonv.Equal(got, want) {
		t.Fatalf("got %s, want %v", jsonv.String(got), want)
	}
	// Members in the fileSchema's order.
	if first := jsonv.String(got.([]any)[0]); first != `{"Bucket":"src","Key":"csv/1.csv","Size":"5","LastModifiedDate":"2024-01-01T00:00:00.000Z"}` {
		t.Errorf("first item %s: members not in the fileSchema's order", first)
	}
	got, err = read(t, r, getObject, args, map[string]any{"InputType": "MANIFEST", "MaxItems": int64(2)})
	if err != nil || !jsonv.Equal(got, want[:2]) {
		t.Fatalf("MaxItems 2: got %v, %v", got, err)
	}

	for key, cause := range map[string]string{
		"orc/manifest.json":   "CSV format only",
		"other/manifest.json": "destinationBucket",
		"short/manifest.json": "does not match the manifest's fileSchema",
		"gone/manifest.json":  "NoSuchKey",
		"nope/manifest.json":  "NoSuchKey",
	} {
		_, err := read(t, r, getObject, map[string]any{"Bucket": "items", "Key": key}, map[string]any{"InputType": "MANIFEST"})
		var f *taskport.Failure
		if !errors.As(err, &f) || f.Name != interp.ErrItemReaderFailed || !strings.Contains(f.Cause, cause) {
			t.Errorf("%s: got %v, want %s mentioning %q", key, err, interp.ErrItemReaderFailed, cause)
		}
	}
}
