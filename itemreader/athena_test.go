package itemreader_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/itemreader"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// buckets serves several buckets (bucket -> key -> body) from gofakes3.
func buckets(t *testing.T, objects map[string]map[string]string) *itemreader.Reader {
	t.Helper()
	be := s3mem.New()
	for b, objs := range objects {
		if err := be.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
		for k, body := range objs {
			if _, err := be.PutObject(b, k, map[string]string{}, strings.NewReader(body), int64(len(body)), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	r, err := itemreader.New(itemreader.Config{Endpoint: srv.URL, AccessKeyID: "AKID", SecretAccessKey: "SECRET", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// An Athena UNLOAD as Athena leaves it: the manifest in the query result
// location (bucket "results") lists the data files under the UNLOAD's TO
// location (bucket "lake"), gzip-compressed text without a header row.
func TestAthenaManifest(t *testing.T) {
	note := "n"
	r := buckets(t, map[string]map[string]string{
		"results": {
			"athena/q1-manifest.csv":    "s3://lake/unload/q1/part-0.gz\ns3://lake/unload/q1/part-1\n\n",
			"athena/q2-manifest.csv":    "s3://lake/unload/q2/a.json.gz\r\ns3://lake/unload/q2/b.json\r\n",
			"athena/q3-manifest.csv":    "s3://lake/unload/q3/p.parquet\n",
			"athena/hdr-manifest.csv":   "s3://lake/unload/hdr/1.csv\ns3://lake/unload/hdr/2.csv\n",
			"athena/bad-manifest.csv":   "s3://lake/unload/q1/part-1\nhttp://elsewhere/x\n",
			"athena/nob-manifest.csv":   "s3://lake\n",
			"athena/gone-manifest.csv":  "s3://lake/unload/q1/part-1\ns3://lake/unload/gone\n",
			"athena/json-manifest.csv":  "s3://lake/unload/q2/b.json\ns3://lake/unload/q2/broken.json\n",
			"athena/empty-manifest.csv": "",
		},
		"lake": {
			"unload/q1/part-0.gz":   gz("1,Ann\n2,\"B, C\"\n"),
			"unload/q1/part-1":      "3,Cy\n",
			"unload/q2/a.json.gz":   gz("{\"id\":1}\n{\"id\":2}\n"),
			"unload/q2/b.json":      "{\"id\":3}\n",
			"unload/q2/broken.json": "{\"id\":4}\n{nope\n",
			"unload/q3/p.parquet":   parquetFile(t, []parquetRow{{ID: 7, Name: "Pat", Note: &note}}),
			"unload/hdr/1.csv":      "id;name\n1;Ann\n",
			"unload/hdr/2.csv":      "id;name\n2;Bob\n",
		},
	})
	csvGiven := map[string]any{"ManifestType": "ATHENA_DATA", "InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": []any{"id", "name"}}
	with := func(m map[string]any, k string, v any) map[string]any {
		c := map[string]any{k: v}
		for k, v := range m {
			c[k] = v
		}
		return c
	}
	row := func(id, name string) any { return map[string]any{"id": id, "name": name} }
	cases := []struct {
		name, key string
		cfg       map[string]any
		want      any
	}{
		{"csv given", "athena/q1-manifest.csv", csvGiven, []any{row("1", "Ann"), row("2", "B, C"), row("3", "Cy")}},
		{"csv MaxItems within the first file", "athena/q1-manifest.csv", with(csvGiven, "MaxItems", int64(1)), []any{row("1", "Ann")}},
		{"csv MaxItems at a file's end", "athena/q1-manifest.csv", with(csvGiven, "MaxItems", int64(2)), []any{row("1", "Ann"), row("2", "B, C")}},
		{"csv first row of each file", "athena/hdr-manifest.csv",
			map[string]any{"ManifestType": "ATHENA_DATA", "InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "SEMICOLON"},
			[]any{row("1", "Ann"), row("2", "Bob")}},
		{"jsonl", "athena/q2-manifest.csv", map[string]any{"ManifestType": "ATHENA_DATA", "InputType": "JSONL"},
			[]any{map[string]any{"id": int64(1)}, map[string]any{"id": int64(2)}, map[string]any{"id": int64(3)}}},
		{"jsonl MaxItems across files", "athena/q2-manifest.csv", map[string]any{"ManifestType": "ATHENA_DATA", "InputType": "JSONL", "MaxItems": int64(3)},
			[]any{map[string]any{"id": int64(1)}, map[string]any{"id": int64(2)}, map[string]any{"id": int64(3)}}},
		{"parquet", "athena/q3-manifest.csv", map[string]any{"ManifestType": "ATHENA_DATA", "InputType": "PARQUET"},
			[]any{map[string]any{"id": int64(7), "name": "Pat", "score": 0.0, "small": int64(0), "ok": false, "note": "n"}}},
		{"empty manifest", "athena/empty-manifest.csv", csvGiven, []any{}},
	}
	for _, c := range cases {
		got, err := read(t, r, getObject, map[string]any{"Bucket": "results", "Key": c.key}, c.cfg)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !jsonv.Equal(got, jsonv.Normalize(c.want)) {
			t.Errorf("%s: got %s, want %s", c.name, jsonv.String(got), jsonv.String(jsonv.Normalize(c.want)))
		}
	}

	for _, c := range []struct {
		key   string
		cfg   map[string]any
		cause string
	}{
		{"athena/bad-manifest.csv", csvGiven, `Line 2 of the Athena manifest results/athena/bad-manifest.csv is not the S3 URI of a data file (s3://bucket/key): "http://elsewhere/x"`},
		{"athena/nob-manifest.csv", csvGiven, "Line 1 of the Athena manifest"},
		{"athena/gone-manifest.csv", csvGiven, "Error Code: NoSuchKey, Object: lake/unload/gone"},
		{"athena/json-manifest.csv", map[string]any{"ManifestType": "ATHENA_DATA", "InputType": "JSONL"}, "The data file lake/unload/q2/broken.json of the Athena manifest: Line 2 of the JSON Lines object is not valid JSON"},
		{"athena/nope-manifest.csv", csvGiven, "Error Code: NoSuchKey, Object: results/athena/nope-manifest.csv"},
	} {
		_, err := read(t, r, getObject, map[string]any{"Bucket": "results", "Key": c.key}, c.cfg)
		var f *taskport.Failure
		if !errors.As(err, &f) || f.Name != interp.ErrItemReaderFailed || !strings.Contains(f.Cause, c.cause) {
			t.Errorf("%s: got %v, want %s mentioning %q", c.key, err, interp.ErrItemReaderFailed, c.cause)
		}
	}
}

// ManifestType S3_INVENTORY with InputType CSV reads an inventory's
// manifest.json as InputType MANIFEST does.
func TestManifestTypeS3Inventory(t *testing.T) {
	r := store(t, inventory)
	args := map[string]any{"Bucket": "items", "Key": "inv/src/cfg/2024-01-01T00-00Z/manifest.json"}
	want, err := read(t, r, getObject, args, map[string]any{"InputType": "MANIFEST"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := read(t, r, getObject, args, map[string]any{"InputType": "CSV", "ManifestType": "S3_INVENTORY"})
	if err != nil || !jsonv.Equal(got, want) || len(got.([]any)) != 3 {
		t.Fatalf("got %v, %v; want %s", got, err, jsonv.String(want))
	}
	if _, err := read(t, r, getObject, map[string]any{"Bucket": "items", "Key": "orc/manifest.json"}, map[string]any{"InputType": "CSV", "ManifestType": "S3_INVENTORY"}); err == nil || !strings.Contains(err.Error(), "CSV format only") {
		t.Errorf("ORC inventory: %v", err)
	}
}

// The --s3-dir store reads an Athena manifest and its files the same way.
func TestAthenaManifestDir(t *testing.T) {
	r, _ := dirReader(t, map[string]string{
		"athena/q-manifest.csv":   "s3://items/unload/0.gz\ns3://items/unload/1\n",
		"unload/0.gz":             gz("{\"n\":1}\n"),
		"unload/1":                "{\"n\":2}\n",
		"athena/out-manifest.csv": "s3://items/../secret.json\n",
	})
	got, err := read(t, r, getObject, map[string]any{"Bucket": "items", "Key": "athena/q-manifest.csv"}, map[string]any{"ManifestType": "ATHENA_DATA", "InputType": "JSONL"})
	if err != nil || jsonv.String(got) != `[{"n":1},{"n":2}]` {
		t.Fatalf("got %s, %v", jsonv.String(got), err)
	}
	// A key in a manifest resolves inside the store as any key does.
	_, err = read(t, r, getObject, map[string]any{"Bucket": "items", "Key": "athena/out-manifest.csv"}, map[string]any{"ManifestType": "ATHENA_DATA", "InputType": "JSONL"})
	wantFailure(t, "manifest naming ../", err, interp.ErrItemReaderFailed, "NoSuchKey")
}
