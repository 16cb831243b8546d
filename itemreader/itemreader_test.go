package itemreader_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/itemreader"
	"github.com/statecraft/statecraft/taskport"

	"github.com/statecraft/statecraft/jsonv"
)

// store serves an in-memory S3 on 127.0.0.1 holding objects (key ->
// body) in bucket "items", and returns a Reader of it.
func store(t *testing.T, objects map[string]string) *itemreader.Reader {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket("items"); err != nil {
		t.Fatal(err)
	}
	for k, body := range objects {
		if _, err := be.PutObject("items", k, map[string]string{}, strings.NewReader(body), int64(len(body)), nil); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	r, err := itemreader.New(itemreader.Config{Endpoint: srv.URL, Region: "us-east-1", AccessKeyID: "AKID", SecretAccessKey: "SECRET", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func read(t *testing.T, r *itemreader.Reader, resource string, args, cfg map[string]any) (any, error) {
	t.Helper()
	return r.Invoke(context.Background(), taskport.Request{Resource: interp.ItemReaderResource,
		Input: jsonv.Normalize(map[string]any{"Resource": resource, "Arguments": args, "ReaderConfig": cfg})})
}

const getObject, listObjects = "arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2"

func TestFormats(t *testing.T) {
	r := store(t, map[string]string{
		"a.json":   `[{"id":1},"two",3]`,
		"a.jsonl":  "{\"id\":1}\n\n{\"id\":2}\n[3]\n",
		"a.csv":    "id,name\n1,\"Ann, B\"\n2,Bob\n",
		"g.csv":    "1|Ann\n2|Bob\n",
		"obj.json": `{"not":"an array"}`,
		"dup.csv":  "a,a\n1,2\n",
	})
	cases := []struct {
		name string
		key  string
		cfg  map[string]any
		want any
	}{
		{"json", "a.json", map[string]any{"InputType": "JSON"}, []any{map[string]any{"id": int64(1)}, "two", int64(3)}},
		{"json max", "a.json", map[string]any{"InputType": "JSON", "MaxItems": int64(2)}, []any{map[string]any{"id": int64(1)}, "two"}},
		{"jsonl", "a.jsonl", map[string]any{"InputType": "JSONL"}, []any{map[string]any{"id": int64(1)}, map[string]any{"id": int64(2)}, []any{int64(3)}}},
		{"csv first row", "a.csv", map[string]any{"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
			[]any{map[string]any{"id": "1", "name": "Ann, B"}, map[string]any{"id": "2", "name": "Bob"}}},
		{"csv given pipe max", "g.csv", map[string]any{"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": []any{"n", "who"}, "CSVDelimiter": "PIPE", "MaxItems": int64(1)},
			[]any{map[string]any{"n": "1", "who": "Ann"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := read(t, r, getObject, map[string]any{"Bucket": "items", "Key": c.key}, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonv.Equal(got, jsonv.Normalize(c.want)) {
				t.Fatalf("got %#v, want %#v", got, c.want)
			}
		})
	}

	fails := []struct {
		name, key string
		cfg       map[string]any
		cause     string
	}{
		{"missing key", "nope.json", map[string]any{"InputType": "JSON"}, "NoSuchKey"},
		{"not an array", "obj.json", map[string]any{"InputType": "JSON"}, "must hold an array"},
		{"duplicate headers", "dup.csv", map[string]any{"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}, "CSV headers cannot contain duplicates."},
	}
	for _, c := range fails {
		t.Run(c.name, func(t *testing.T) {
			_, err := read(t, r, getObject, map[string]any{"Bucket": "items", "Key": c.key}, c.cfg)
			var f *taskport.Failure
			if !errors.As(err, &f) || f.Name != interp.ErrItemReaderFailed || !strings.Contains(f.Cause, c.cause) {
				t.Fatalf("got %v, want %s mentioning %q", err, interp.ErrItemReaderFailed, c.cause)
			}
		})
	}
}

func TestListObjects(t *testing.T) {
	objs := map[string]string{"other/x": "x"}
	for i := range 3 {
		objs[fmt.Sprintf("in/%d.txt", i)] = strings.Repeat("y", i+1)
	}
	r := store(t, objs)
	got, err := read(t, r, listObjects, map[string]any{"Bucket": "items", "Prefix": "in/"}, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	items := got.([]any)
	if len(items) != 3 {
		t.Fatalf("got %d items, want 3: %v", len(items), items)
	}
	for i, it := range items {
		m := it.(*jsonv.Object).Map()
		if m["Key"] != fmt.Sprintf("in/%d.txt", i) || m["Size"] != int64(i+1) || m["StorageClass"] != "STANDARD" {
			t.Errorf("item %d: %v", i, m)
		}
		if e, _ := m["Etag"].(string); !strings.HasPrefix(e, `"`) {
			t.Errorf("item %d: Etag %q, want S3's quoted ETag", i, e)
		}
		if _, ok := m["LastModified"].(int64); !ok {
			t.Errorf("item %d: LastModified %v, want epoch seconds", i, m["LastModified"])
		}
	}
	got, err = read(t, r, listObjects, map[string]any{"Bucket": "items", "Prefix": "in/"}, map[string]any{"MaxItems": int64(2)})
	if err != nil || len(got.([]any)) != 2 {
		t.Fatalf("MaxItems 2: got %v, %v", got, err)
	}
}

// A bucket name is one label of the configured endpoint, never a host or
// a path of its own.
func TestBucketNameChecked(t *testing.T) {
	r := store(t, nil)
	for _, b := range []any{"evil.example.com/..", "../etc", "a", int64(3), "http://x"} {
		_, err := read(t, r, getObject, map[string]any{"Bucket": b, "Key": "k"}, map[string]any{"InputType": "JSON"})
		var f *taskport.Failure
		if !errors.As(err, &f) || f.Name != interp.ErrItemReaderFailed {
			t.Errorf("bucket %v: got %v, want %s", b, err, interp.ErrItemReaderFailed)
		}
	}
}

// Data parses the text it is given as the object would be, and reads
// nothing else.
func TestData(t *testing.T) {
	args := map[string]any{"Bucket": "items", "Key": "k"}
	cases := []struct {
		name, text, resource string
		cfg                  map[string]any
		want                 any
		cause                string // a failure's cause, "" for none
	}{
		{name: "json", text: `[1,{"a":2}]`, resource: getObject, cfg: map[string]any{"InputType": "JSON"}, want: []any{int64(1), map[string]any{"a": int64(2)}}},
		{name: "jsonl max", text: "1\n2\n3\n", resource: getObject, cfg: map[string]any{"InputType": "JSONL", "MaxItems": int64(2)}, want: []any{int64(1), int64(2)}},
		{name: "csv", text: "id\n7\n", resource: getObject, cfg: map[string]any{"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}, want: []any{map[string]any{"id": "7"}}},
		{name: "not json", text: `[1,`, resource: getObject, cfg: map[string]any{"InputType": "JSON"}, cause: "not valid JSON"},
		{name: "listing", text: `[]`, resource: listObjects, cfg: map[string]any{}, cause: "not for what"},
		{name: "parquet", text: `x`, resource: getObject, cfg: map[string]any{"InputType": "PARQUET"}, cause: `not as "PARQUET"`},
		{name: "manifest", text: `{}`, resource: getObject, cfg: map[string]any{"InputType": "CSV", "ManifestType": "S3_INVENTORY"}, cause: "not for what"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := itemreader.Data(c.text).Invoke(context.Background(), taskport.Request{Resource: interp.ItemReaderResource,
				Input: jsonv.Normalize(map[string]any{"Resource": c.resource, "Arguments": args, "ReaderConfig": c.cfg})})
			if c.cause != "" {
				var f *taskport.Failure
				if !errors.As(err, &f) || f.Name != interp.ErrItemReaderFailed || !strings.Contains(f.Cause, c.cause) {
					t.Fatalf("got %v, %v, want %s mentioning %q", got, err, interp.ErrItemReaderFailed, c.cause)
				}
				return
			}
			if err != nil || !jsonv.Equal(got, jsonv.Normalize(c.want)) {
				t.Fatalf("got %#v, %v, want %#v", got, err, c.want)
			}
		})
	}
}
