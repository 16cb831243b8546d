package itemreader

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/statecraft/statecraft/jsonv"
)

// parquetItems makes each row of a Parquet file an item: an object of the
// column names to the row's values, in the JSON model (see jsonValue).
func parquetItems(body []byte, n int64) (items any, err error) {
	// The decoder works on bytes from the store; a malformed file must
	// fail the Map, not the server.
	defer func() {
		if p := recover(); p != nil {
			items, err = nil, fail("The object is not a valid Parquet file: %v", p)
		}
	}()
	br := bytes.NewReader(body)
	f, err := parquet.OpenFile(br, br.Size())
	if err != nil {
		return nil, fail("The object is not a valid Parquet file: %v", err)
	}
	r := parquet.NewGenericReader[any](br, f.Schema())
	defer r.Close()
	total := r.NumRows()
	if n > 0 && n < total {
		total = n
	}
	// The row count is the file's word: grow as rows really come.
	out := make([]any, 0, min(total, 1024))
	buf := make([]any, 256)
	for int64(len(out)) < total {
		want := min(int64(len(buf)), total-int64(len(out)))
		got, err := r.Read(buf[:want])
		for _, row := range buf[:got] {
			out = append(out, jsonValue(row))
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fail("Reading the Parquet file failed: %v", err)
		}
		if got == 0 {
			break
		}
	}
	return out, nil
}

// jsonValue maps a decoded Parquet value to the JSON model: integers to
// int64 (unsigned ones past int64 to float64), floats to float64, byte
// arrays to strings (base64 when they are not UTF-8), timestamps to
// RFC 3339 strings, groups to objects (keys sorted) and lists to arrays.
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return x
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return float64(x)
		}
		return int64(x)
	case uint:
		return jsonValue(uint64(x))
	case float32:
		return float64(x)
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case map[string]any:
		// The generic reader hands a row as a Go map, its column order
		// lost: the object's keys are sorted.
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return jsonv.FromMap(out)
	}
	return fmt.Sprint(v)
}
