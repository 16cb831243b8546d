// Package itemreader reads the items of a Distributed Map's ItemReader
// from an S3-compatible object store the operator configured. It is the
// engine's port for interp.ItemReaderResource requests: the interpreter
// asks for items, this package does the I/O.
//
// A request only names a bucket and a key or prefix: every read goes to
// the one endpoint of the Config, so nothing a definition or an execution
// input says can make the server reach another host or a local path.
// With Config.Dir instead, the store is a directory of the host, and
// every name resolves inside it (see dirStore).
package itemreader

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// Config names the object store: an S3-compatible Endpoint, or a Dir.
type Config struct {
	// Endpoint is the store's base URL (http://127.0.0.1:9000).
	Endpoint string
	// Dir, instead of an Endpoint, serves the buckets from a directory of
	// the host: each subdirectory is a bucket, each file below it an
	// object keyed by its path. Nothing outside Dir can be named.
	Dir string
	// Region signs the requests; "us-east-1" when empty.
	Region string
	// AccessKeyID and SecretAccessKey sign the requests; both empty sends
	// them unsigned, for a store that allows anonymous reads.
	AccessKeyID, SecretAccessKey string
	// PathStyle addresses buckets as endpoint/bucket/key rather than
	// bucket.endpoint/key: most self-hosted stores (MinIO, Ceph, SeaweedFS)
	// need it.
	PathStyle bool
	// HTTPClient sends the requests; http.DefaultClient when nil.
	HTTPClient *http.Client
	// MaxObjectBytes bounds the object read (DefaultMaxObjectBytes when
	// 0): the items are held in memory and stored in the execution's
	// history.
	MaxObjectBytes int64
}

// DefaultMaxObjectBytes is the largest object read by default.
const DefaultMaxObjectBytes = 256 << 20

// Reader reads items from one store. It implements taskport.Port.
type Reader struct {
	st  objectStore
	max int64
}

// New makes a Reader for c.
func New(c Config) (*Reader, error) {
	m := c.MaxObjectBytes
	if m <= 0 {
		m = DefaultMaxObjectBytes
	}
	if c.Dir != "" {
		if c.Endpoint != "" {
			return nil, errors.New("itemreader: an endpoint and a directory are exclusive")
		}
		d, err := newDirStore(c.Dir)
		if err != nil {
			return nil, fmt.Errorf("itemreader: %w", err)
		}
		return &Reader{st: d, max: m}, nil
	}
	if c.Endpoint == "" {
		return nil, errors.New("itemreader: no endpoint")
	}
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	o := s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(c.Endpoint),
		UsePathStyle: c.PathStyle,
		// Some S3-compatible stores reject the checksum headers newer
		// SDKs send by default.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if c.HTTPClient != nil {
		o.HTTPClient = c.HTTPClient
	}
	if c.AccessKeyID != "" || c.SecretAccessKey != "" {
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Source: "statecraft"}, nil
		})
	}
	return &Reader{st: &s3Store{c: s3.New(o)}, max: m}, nil
}

// request is one item read, as interp.ItemReaderResource describes it.
type request struct {
	resource  string
	bucket    string
	key       string
	prefix    string
	versionID string
	inputType string
	headerLoc string
	headers   []string
	delimiter rune
	maxItems  int64
	// manifestType is ReaderConfig.ManifestType: "ATHENA_DATA" or
	// "S3_INVENTORY" when the object read lists the data files.
	manifestType string
}

// bucketName is S3's rule for bucket names; checking it keeps a name from
// becoming anything but one label of the configured endpoint's host (or
// one segment of its path).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.\-_]{1,253}[a-z0-9]$`)

const errReader, errWriter = interp.ErrItemReaderFailed, interp.ErrResultWriterFailed

func fail(format string, args ...any) error { return failAs(errReader, format, args...) }

func failAs(name, format string, args ...any) error {
	return taskport.Fail(name, fmt.Sprintf(format, args...))
}

func parse(in any) (*request, error) {
	m, _ := in.(*jsonv.Object)
	args, _ := m.Value("Arguments").(*jsonv.Object)
	cfg, _ := m.Value("ReaderConfig").(*jsonv.Object)
	r := &request{delimiter: ','}
	r.resource, _ = m.Value("Resource").(string)
	str := func(k string) (string, error) {
		v, ok := args.Get(k)
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fail("The ItemReader's '%s' must be a string, but was: %s", k, jsonv.String(v))
		}
		return s, nil
	}
	var err error
	if r.bucket, err = str("Bucket"); err != nil {
		return nil, err
	}
	if r.key, err = str("Key"); err != nil {
		return nil, err
	}
	if r.prefix, err = str("Prefix"); err != nil {
		return nil, err
	}
	if r.versionID, err = str("VersionId"); err != nil {
		return nil, err
	}
	if !bucketName.MatchString(r.bucket) {
		return nil, fail("The ItemReader's 'Bucket' must be a bucket name, but was: %s", jsonv.String(args.Value("Bucket")))
	}
	if r.resource == asl.ReaderGetObject && r.key == "" {
		return nil, fail("The ItemReader's 'Key' must name the object to read.")
	}
	r.inputType, _ = cfg.Value("InputType").(string)
	r.manifestType, _ = cfg.Value("ManifestType").(string)
	r.headerLoc, _ = cfg.Value("CSVHeaderLocation").(string)
	if hs, ok := cfg.Value("CSVHeaders").([]any); ok {
		for _, h := range hs {
			s, _ := h.(string)
			r.headers = append(r.headers, s)
		}
	}
	switch d, _ := cfg.Value("CSVDelimiter").(string); d {
	case "PIPE":
		r.delimiter = '|'
	case "SEMICOLON":
		r.delimiter = ';'
	case "SPACE":
		r.delimiter = ' '
	case "TAB":
		r.delimiter = '\t'
	}
	r.maxItems, _ = jsonv.Integer(cfg.Value("MaxItems"))
	return r, nil
}

// Invoke reads the items a request asks for, or writes the results of a
// Map Run (interp.ResultWriterResource).
func (rd *Reader) Invoke(ctx context.Context, req taskport.Request) (any, error) {
	if req.Resource == interp.ResultWriterResource {
		return rd.write(ctx, req.Input)
	}
	r, err := parse(req.Input)
	if err != nil {
		return nil, err
	}
	switch r.resource {
	case asl.ReaderGetObject:
		return rd.getObject(ctx, r)
	case asl.ReaderListObjectsV2:
		return rd.list(ctx, r)
	}
	return nil, fail("Statecraft does not read items with %s.", r.resource)
}

func (rd *Reader) getObject(ctx context.Context, r *request) (any, error) {
	body, err := rd.fetch(ctx, r.bucket, r.key, r.versionID)
	if err != nil {
		return nil, err
	}
	switch r.manifestType {
	case "ATHENA_DATA":
		return rd.athenaItems(ctx, body, r)
	case "S3_INVENTORY":
		// An inventory's manifest.json, read as InputType MANIFEST
		// reads it: CSV inventory files, columns from its fileSchema.
		return rd.manifestItems(ctx, body, r)
	case "":
	default:
		return nil, fail("Statecraft does not read ManifestType %q.", r.manifestType)
	}
	if items, ok, err := textItems(body, r); ok {
		return items, err
	}
	switch r.inputType {
	case "MANIFEST":
		return rd.manifestItems(ctx, body, r)
	case "PARQUET":
		return parquetItems(body, r.maxItems)
	}
	return nil, fail("Statecraft does not read InputType %q.", r.inputType)
}

// textItems reads an object's text as its InputType says when that is
// JSON, JSONL or CSV; ok is false for any other InputType.
func textItems(body []byte, r *request) (items any, ok bool, err error) {
	switch r.inputType {
	case "JSON":
		items, err = jsonItems(body, r.maxItems)
	case "JSONL":
		items, err = jsonlItems(body, r.maxItems)
	case "CSV":
		items, err = csvItems(body, r)
	default:
		return nil, false, nil
	}
	return items, true, err
}

// fetch reads one object, within the size bound.
func (rd *Reader) fetch(ctx context.Context, bucket, key, versionID string) ([]byte, error) {
	body, err := rd.st.get(ctx, bucket, key, versionID, rd.max)
	if err != nil {
		return nil, storeFailure(errReader, err, bucket, key)
	}
	if int64(len(body)) > rd.max {
		return nil, fail("The object %s/%s is larger than the %d bytes this server reads items from.", bucket, key, rd.max)
	}
	return body, nil
}

func limit(items []any, n int64) []any {
	if n > 0 && int64(len(items)) > n {
		return items[:n]
	}
	return items
}

func jsonItems(body []byte, n int64) (any, error) {
	v, err := jsonv.Parse(body)
	if err != nil {
		return nil, fail("The object is not valid JSON: %v", err)
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fail("The JSON object must hold an array of items.")
	}
	return limit(arr, n), nil
}

func jsonlItems(body []byte, n int64) (any, error) {
	items := []any{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, len(body)+1)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if n > 0 && int64(len(items)) >= n {
			break
		}
		v, err := jsonv.Parse(text)
		if err != nil {
			return nil, fail("Line %d of the JSON Lines object is not valid JSON: %v", line, err)
		}
		items = append(items, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fail("Reading the JSON Lines object failed: %v", err)
	}
	return items, nil
}

// csvItems makes each row an object of the column names to the row's
// values, all strings, as AWS does.
func csvItems(body []byte, r *request) (any, error) {
	cr := csv.NewReader(bytes.NewReader(body))
	cr.Comma = r.delimiter
	cr.ReuseRecord = false
	headers := r.headers
	if r.headerLoc == "FIRST_ROW" {
		row, err := cr.Read()
		if err == io.EOF {
			return []any{}, nil
		}
		if err != nil {
			return nil, fail("The CSV object's first row is not valid CSV: %v", err)
		}
		headers = row
	} else {
		cr.FieldsPerRecord = len(headers)
	}
	seen := map[string]bool{}
	for _, h := range headers {
		if seen[h] {
			return nil, fail("CSV headers cannot contain duplicates.")
		}
		seen[h] = true
	}
	items := []any{}
	for r.maxItems <= 0 || int64(len(items)) < r.maxItems {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fail("The CSV object is not valid CSV: %v", strings.TrimPrefix(err.Error(), "record on "))
		}
		// Keys in the columns' order, as AWS gives them.
		item := jsonv.NewObject(len(headers))
		for i, h := range headers {
			item.Set(h, row[i])
		}
		items = append(items, item)
	}
	return items, nil
}

// list makes each object under the prefix an item, with the members and
// spelling AWS gives them ("Etag", LastModified in epoch seconds).
func (rd *Reader) list(ctx context.Context, r *request) (any, error) {
	items := []any{}
	err := rd.st.list(ctx, r.bucket, r.prefix, func(o object) bool {
		if r.maxItems > 0 && int64(len(items)) >= r.maxItems {
			return false
		}
		class := o.class
		if class == "" {
			// AWS always names the class; some compatible stores
			// leave out the default one.
			class = "STANDARD"
		}
		item := map[string]any{"Key": o.key, "Etag": o.etag, "Size": o.size, "StorageClass": class}
		if o.modified != 0 {
			item["LastModified"] = o.modified
		}
		// Sorted keys, as in AWS's documented example of an item.
		items = append(items, jsonv.FromMap(item))
		return true
	})
	if err != nil {
		return nil, storeFailure(errReader, err, r.bucket, "")
	}
	return items, nil
}

// Data answers item reads with data given in advance instead of an
// object: TestState's stateConfiguration.mapItemReaderData, "the data read
// by ItemReader in Distributed Map states as found in its original
// source". Only an object read as JSON, JSON Lines or CSV has such a
// text; a listing, a manifest or a Parquet file is refused, and so is a
// results export. Nothing is fetched: no store is reached.
func Data(text string) taskport.Port { return dataReader(text) }

type dataReader string

func (d dataReader) Invoke(_ context.Context, req taskport.Request) (any, error) {
	if req.Resource != interp.ItemReaderResource {
		return nil, failAs(errWriter, "A test writes no results.")
	}
	r, err := parse(req.Input)
	if err != nil {
		return nil, err
	}
	if r.resource != asl.ReaderGetObject || r.manifestType != "" {
		return nil, fail("The items of a test come from its mapItemReaderData, which stands for an object read as JSON, JSONL or CSV, not for what %s reads here.", r.resource)
	}
	if items, ok, err := textItems([]byte(d), r); ok {
		return items, err
	}
	return nil, fail("The items of a test come from its mapItemReaderData, which stands for an object read as JSON, JSONL or CSV, not as %q.", r.inputType)
}
