package itemreader_test

import (
	"context"
	"errors"
	"io"
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

const runArn = "arn:aws:states:us-east-1:123456789012:mapRun:m/Map:0b5f27a0-090b-4ac6-9beb-243cd77144a7"

func writer(t *testing.T) (*itemreader.Reader, *s3mem.Backend) {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket("out"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	r, err := itemreader.New(itemreader.Config{Endpoint: srv.URL, AccessKeyID: "AKID", SecretAccessKey: "SECRET", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	return r, be
}

func write(r *itemreader.Reader, bucket, outputType string, succeeded, failed []any) (any, error) {
	return r.Invoke(context.Background(), taskport.Request{Resource: interp.ResultWriterResource, Input: jsonv.Normalize(map[string]any{
		"Resource":     "arn:aws:states:::s3:putObject",
		"Arguments":    map[string]any{"Bucket": bucket, "Prefix": "jobs/"},
		"WriterConfig": map[string]any{"Transformation": "NONE", "OutputType": outputType},
		"MapRunArn":    runArn,
		"Results":      map[string]any{"SUCCEEDED": succeeded, "FAILED": failed},
	})})
}

func object(t *testing.T, be *s3mem.Backend, key string) string {
	t.Helper()
	o, err := be.GetObject("out", key, nil)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	defer o.Contents.Close()
	b, _ := io.ReadAll(o.Contents)
	return string(b)
}

// The manifest and the result files, as JSON and as JSON Lines; a status
// without results has no file and an empty list.
func TestWriteResults(t *testing.T) {
	ok := []any{map[string]any{"Status": "SUCCEEDED", "Output": `{"a":1}`}, map[string]any{"Status": "SUCCEEDED", "Output": `2`}}
	bad := []any{map[string]any{"Status": "FAILED", "Error": "E", "Cause": "C"}}
	for _, ot := range []string{"JSON", "JSONL"} {
		r, be := writer(t)
		got, err := write(r, "out", ot, ok, bad)
		if err != nil {
			t.Fatal(err)
		}
		dir := "jobs/0b5f27a0-090b-4ac6-9beb-243cd77144a7/"
		if !jsonv.Equal(got, map[string]any{"Bucket": "out", "Key": dir + "manifest.json"}) {
			t.Fatalf("%s: answered %v", ot, got)
		}
		succeeded, failed := object(t, be, dir+"SUCCEEDED_0.json"), object(t, be, dir+"FAILED_0.json")
		wantOK := `[{"Output":"{\"a\":1}","Status":"SUCCEEDED"},{"Output":"2","Status":"SUCCEEDED"}]`
		wantBad := `[{"Cause":"C","Error":"E","Status":"FAILED"}]`
		if ot == "JSONL" {
			wantOK = "{\"Output\":\"{\\\"a\\\":1}\",\"Status\":\"SUCCEEDED\"}\n{\"Output\":\"2\",\"Status\":\"SUCCEEDED\"}\n"
			wantBad = "{\"Cause\":\"C\",\"Error\":\"E\",\"Status\":\"FAILED\"}\n"
		}
		if succeeded != wantOK || failed != wantBad {
			t.Errorf("%s files:\n%s\n%s", ot, succeeded, failed)
		}
		m, err := jsonv.Parse([]byte(object(t, be, dir+"manifest.json")))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"DestinationBucket": "out", "MapRunArn": runArn, "ResultFiles": map[string]any{
			"FAILED":    []any{map[string]any{"Key": dir + "FAILED_0.json", "Size": int64(len(wantBad))}},
			"PENDING":   []any{},
			"SUCCEEDED": []any{map[string]any{"Key": dir + "SUCCEEDED_0.json", "Size": int64(len(wantOK))}},
		}}
		if jsonv.String(m) != jsonv.String(want) {
			t.Errorf("%s manifest %s\nwant %s", ot, jsonv.String(m), jsonv.String(want))
		}
	}
}

// A bucket the store does not have fails the write with
// States.ResultWriterFailed, quoting S3's error.
func TestWriteResultsFails(t *testing.T) {
	r, _ := writer(t)
	_, err := write(r, "missing", "JSON", nil, []any{map[string]any{"Status": "FAILED"}})
	var f *taskport.Failure
	if !errors.As(err, &f) || f.Name != interp.ErrResultWriterFailed || !strings.Contains(f.Cause, "NoSuchBucket") {
		t.Fatalf("got %v", err)
	}
}
