package itemreader

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"io"
	"strings"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/jsonv"
)

// manifestItems reads an S3 Inventory report from its manifest.json: each
// row of the data files the manifest lists becomes an item whose members
// are the manifest's fileSchema columns, all strings, as AWS makes them
// ({"Bucket": ..., "Key": ..., "Size": "5", ...}).
//
// The data files are read from the manifest's own bucket, where S3
// Inventory publishes them beside it; a manifest naming another
// destination bucket is refused rather than followed.
func (rd *Reader) manifestItems(ctx context.Context, body []byte, r *request) (any, error) {
	v, err := jsonv.Parse(body)
	if err != nil {
		return nil, fail("The manifest %s/%s is not valid JSON: %v", r.bucket, r.key, err)
	}
	m, ok := v.(*jsonv.Object)
	if !ok {
		return nil, fail("The manifest %s/%s must be a JSON object, but was: %s", r.bucket, r.key, jsonv.String(v))
	}
	if f, _ := m.Value("fileFormat").(string); f != "CSV" {
		return nil, fail("Statecraft reads S3 Inventory reports in CSV format only; the manifest's fileFormat is %s.", jsonv.String(m.Value("fileFormat")))
	}
	if d, has := m.Get("destinationBucket"); has {
		s, _ := d.(string)
		if a, err := arn.Parse(s); err == nil && a.Service == "s3" {
			s = a.Resource
		}
		if s != r.bucket {
			return nil, fail("The manifest's destinationBucket %s is not the bucket it was read from (%s); Statecraft reads the inventory files from the manifest's bucket only.", jsonv.String(d), r.bucket)
		}
	}
	schema, _ := m.Value("fileSchema").(string)
	var cols []string
	seen := map[string]bool{}
	for c := range strings.SplitSeq(schema, ",") {
		c = strings.TrimSpace(c)
		if c == "" || seen[c] {
			return nil, fail("The manifest's fileSchema must name distinct columns, but was: %s", jsonv.String(m.Value("fileSchema")))
		}
		seen[c] = true
		cols = append(cols, c)
	}
	files, ok := m.Value("files").([]any)
	if !ok {
		return nil, fail("The manifest's 'files' must be an array, but was: %s", jsonv.String(m.Value("files")))
	}
	items := []any{}
	for _, f := range files {
		var key string
		if fo, ok := f.(*jsonv.Object); ok {
			key, _ = fo.Value("key").(string)
		}
		if key == "" {
			return nil, fail("Each of the manifest's files must have a 'key', but one was: %s", jsonv.String(f))
		}
		data, err := rd.fetch(ctx, r.bucket, key, "")
		if err != nil {
			return nil, err
		}
		if data, err = rd.gunzip(data); err != nil {
			return nil, fail("The inventory file %s/%s is not valid gzip: %v", r.bucket, key, err)
		}
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = len(cols)
		for r.maxItems <= 0 || int64(len(items)) < r.maxItems {
			row, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fail("The inventory file %s/%s does not match the manifest's fileSchema: %v", r.bucket, key, strings.TrimPrefix(err.Error(), "record on "))
			}
			// Members in the fileSchema's column order, as a CSV
			// file's items follow its header.
			item := jsonv.NewObject(len(cols))
			for i, c := range cols {
				item.Append(c, row[i])
			}
			items = append(items, item)
		}
		if r.maxItems > 0 && int64(len(items)) >= r.maxItems {
			break
		}
	}
	return items, nil
}

// gunzip decompresses a gzip file (as S3 Inventory writes its CSV files
// and Athena's UNLOAD its text and JSON files),
// within the size bound; other data is returned as it is.
func (rd *Reader) gunzip(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, rd.max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > rd.max {
		return nil, fail("A data file decompresses to more than the %d bytes this server reads items from.", rd.max)
	}
	return out, nil
}
