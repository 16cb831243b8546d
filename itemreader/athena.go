package itemreader

import (
	"bufio"
	"bytes"
	"context"
	"strings"

	"github.com/statecraft/statecraft/taskport"
)

// athenaItems reads the data files an Athena data manifest lists (the
// <query id>-manifest.csv an UNLOAD writes to the query result location:
// one s3://bucket/key a line). Each file is read in the manifest's order,
// gunzipped when compressed (UNLOAD compresses text and JSON files with
// gzip by default), and parsed as InputType says; its items follow the
// previous file's, up to MaxItems.
//
// UNLOAD writes its data files under the TO location, which is commonly
// another bucket than the result location holding the manifest, so a file
// may be in any bucket of the configured store, as any bucket can be named
// by the definition itself; never another host.
func (rd *Reader) athenaItems(ctx context.Context, body []byte, r *request) (any, error) {
	type file struct{ bucket, key string }
	var files []file
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, len(body)+1)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		rest, ok := strings.CutPrefix(text, "s3://")
		bucket, key, _ := strings.Cut(rest, "/")
		if !ok || !bucketName.MatchString(bucket) || key == "" {
			return nil, fail("Line %d of the Athena manifest %s/%s is not the S3 URI of a data file (s3://bucket/key): %q", line, r.bucket, r.key, text)
		}
		files = append(files, file{bucket, key})
	}
	if err := sc.Err(); err != nil {
		return nil, fail("Reading the Athena manifest %s/%s failed: %v", r.bucket, r.key, err)
	}
	items := []any{}
	for _, f := range files {
		left := int64(0)
		if r.maxItems > 0 {
			left = r.maxItems - int64(len(items))
			if left <= 0 {
				break
			}
		}
		data, err := rd.fetch(ctx, f.bucket, f.key, "")
		if err != nil {
			return nil, err
		}
		if data, err = rd.gunzip(data); err != nil {
			if _, ok := err.(*taskport.Failure); ok {
				return nil, err
			}
			return nil, fail("The data file %s/%s is not valid gzip: %v", f.bucket, f.key, err)
		}
		var got any
		switch r.inputType {
		case "CSV":
			one := *r
			one.maxItems = left
			got, err = csvItems(data, &one)
		case "JSONL":
			got, err = jsonlItems(data, left)
		case "PARQUET":
			got, err = parquetItems(data, left)
		default:
			return nil, fail("Statecraft does not read Athena data files with InputType %q.", r.inputType)
		}
		if err != nil {
			return nil, inFile(err, f.bucket, f.key)
		}
		items = append(items, got.([]any)...)
	}
	return items, nil
}

// inFile names the data file a parse failure is about: the parsers speak
// of "the object", and a manifest lists many.
func inFile(err error, bucket, key string) error {
	if f, ok := err.(*taskport.Failure); ok {
		return taskport.Fail(f.Name, "The data file "+bucket+"/"+key+" of the Athena manifest: "+f.Cause)
	}
	return err
}
