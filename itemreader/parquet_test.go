package itemreader_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

type parquetRow struct {
	ID    int64   `parquet:"id"`
	Name  string  `parquet:"name"`
	Score float64 `parquet:"score"`
	Small int32   `parquet:"small"`
	OK    bool    `parquet:"ok"`
	Note  *string `parquet:"note,optional"`
}

func parquetFile(t *testing.T, rows []parquetRow) string {
	t.Helper()
	var b bytes.Buffer
	if err := parquet.Write(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestParquet(t *testing.T) {
	note := "hi"
	r := store(t, map[string]string{
		"rows.parquet": parquetFile(t, []parquetRow{
			{ID: 1, Name: "Ann", Score: 1.5, Small: 7, OK: true, Note: &note},
			{ID: 2, Name: "Bob", Score: 2, Small: -1},
			{ID: 3, Name: "Cy"},
		}),
		"bad.parquet": "PAR1 not really",
	})
	got, err := read(t, r, getObject, map[string]any{"Bucket": "items", "Key": "rows.parquet"}, map[string]any{"InputType": "PARQUET"})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"id": int64(1), "name": "Ann", "score": 1.5, "small": int64(7), "ok": true, "note": "hi"},
		map[string]any{"id": int64(2), "name": "Bob", "score": 2.0, "small": int64(-1), "ok": false, "note": nil},
		map[string]any{"id": int64(3), "name": "Cy", "score": 0.0, "small": int64(0), "ok": false, "note": nil},
	}
	if !jsonv.Equal(got, want) {
		t.Fatalf("got %s\nwant %#v", jsonv.String(got), want)
	}
	// A row's columns come as a Go map: sorted keys.
	if first := jsonv.String(got.([]any)[0]); first != `{"id":1,"name":"Ann","note":"hi","ok":true,"score":1.5,"small":7}` {
		t.Errorf("first row %s: keys not sorted", first)
	}
	got, err = read(t, r, getObject, map[string]any{"Bucket": "items", "Key": "rows.parquet"}, map[string]any{"InputType": "PARQUET", "MaxItems": int64(2)})
	if err != nil || !jsonv.Equal(got, want[:2]) {
		t.Fatalf("MaxItems 2: %v, %v", got, err)
	}
	_, err = read(t, r, getObject, map[string]any{"Bucket": "items", "Key": "bad.parquet"}, map[string]any{"InputType": "PARQUET"})
	var f *taskport.Failure
	if !errors.As(err, &f) || f.Name != interp.ErrItemReaderFailed || !strings.Contains(f.Cause, "not a valid Parquet file") {
		t.Fatalf("bad file: %v", err)
	}
}
