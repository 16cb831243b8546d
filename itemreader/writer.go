package itemreader

import (
	"bytes"
	"context"
	"strings"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/jsonv"
)

// statuses are the result files AWS writes, in the manifest's order.
var statuses = []string{"FAILED", "PENDING", "SUCCEEDED"}

func wfail(format string, args ...any) error { return failAs(errWriter, format, args...) }

// write exports a Map Run's results as AWS lays them out: under
// Prefix/<Map Run id>/, one STATUS_0.json per status with results and a
// manifest.json naming them; the answer is the manifest's location.
func (rd *Reader) write(ctx context.Context, in any) (any, error) {
	m, _ := in.(*jsonv.Object)
	if res, _ := m.Value("Resource").(string); res != asl.WriterPutObject {
		return nil, wfail("Statecraft does not write results with %s.", jsonv.String(m.Value("Resource")))
	}
	args, _ := m.Value("Arguments").(*jsonv.Object)
	bucket, ok := args.Value("Bucket").(string)
	if !ok || !bucketName.MatchString(bucket) {
		return nil, wfail("The ResultWriter's 'Bucket' must be a bucket name, but was: %s", jsonv.String(args.Value("Bucket")))
	}
	prefix := ""
	if v, has := args.Get("Prefix"); has {
		if prefix, ok = v.(string); !ok {
			return nil, wfail("The ResultWriter's 'Prefix' must be a string, but was: %s", jsonv.String(v))
		}
	}
	runArn, _ := m.Value("MapRunArn").(string)
	cfg, _ := m.Value("WriterConfig").(*jsonv.Object)
	jsonl := cfg.Value("OutputType") == "JSONL"
	results, _ := m.Value("Results").(*jsonv.Object)

	dir := runArn[strings.LastIndexByte(runArn, ':')+1:] + "/"
	if prefix != "" {
		dir = strings.TrimSuffix(prefix, "/") + "/" + dir
	}
	files := map[string]any{}
	for _, st := range statuses {
		list := []any{}
		rs, _ := results.Value(st).([]any)
		if len(rs) > 0 {
			key := dir + st + "_0.json"
			body := encode(rs, jsonl)
			if err := rd.put(ctx, bucket, key, body); err != nil {
				return nil, err
			}
			list = append(list, map[string]any{"Key": key, "Size": int64(len(body))})
		}
		files[st] = list
	}
	manifest := map[string]any{"DestinationBucket": bucket, "MapRunArn": runArn, "ResultFiles": files}
	key := dir + "manifest.json"
	if err := rd.put(ctx, bucket, key, []byte(jsonv.String(manifest))); err != nil {
		return nil, err
	}
	return jsonv.ObjectOf("Bucket", bucket, "Key", key), nil
}

// encode makes a JSON array, or JSON Lines: one result a line.
func encode(rs []any, jsonl bool) []byte {
	var b bytes.Buffer
	if !jsonl {
		b.WriteByte('[')
	}
	for i, r := range rs {
		if i > 0 && !jsonl {
			b.WriteByte(',')
		}
		b.WriteString(jsonv.String(r))
		if jsonl {
			b.WriteByte('\n')
		}
	}
	if !jsonl {
		b.WriteByte(']')
	}
	return b.Bytes()
}

func (rd *Reader) put(ctx context.Context, bucket, key string, body []byte) error {
	if err := rd.st.put(ctx, bucket, key, body); err != nil {
		return storeFailure(errWriter, err, bucket, key)
	}
	return nil
}
