// Package itemreader reads the items of a Distributed Map's ItemReader
// from an S3-compatible object store the operator configured. It is the
// engine's port for interp.ItemReaderResource requests: the interpreter
// asks for items, this package does the I/O.
//
// A request only names a bucket and a key or prefix: every read goes to
// the one endpoint of the Config, so nothing a definition or an execution
// input says can make the server reach another host or a local path.
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
	"github.com/aws/smithy-go"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// Config names the object store.
type Config struct {
	// Endpoint is the store's base URL (http://127.0.0.1:9000).
	Endpoint string
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
	c   *s3.Client
	max int64
}

// New makes a Reader for c.
func New(c Config) (*Reader, error) {
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
	m := c.MaxObjectBytes
	if m <= 0 {
		m = DefaultMaxObjectBytes
	}
	return &Reader{c: s3.New(o), max: m}, nil
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
}

// bucketName is S3's rule for bucket names; checking it keeps a name from
// becoming anything but one label of the configured endpoint's host (or
// one segment of its path).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.\-_]{1,253}[a-z0-9]$`)

func fail(format string, args ...any) error {
	return taskport.Fail(interp.ErrItemReaderFailed, fmt.Sprintf(format, args...))
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

// s3Failure reports an S3 error as AWS words them, with S3's own code.
func s3Failure(err error, r *request) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		what := r.bucket
		if r.key != "" {
			what += "/" + r.key
		}
		return fail("%s (Service: S3, Error Code: %s, Object: %s)", ae.ErrorMessage(), ae.ErrorCode(), what)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return fail("Reading from the object store failed: %v", err)
}

func (rd *Reader) getObject(ctx context.Context, r *request) (any, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(r.key)}
	if r.versionID != "" {
		in.VersionId = aws.String(r.versionID)
	}
	out, err := rd.c.GetObject(ctx, in)
	if err != nil {
		return nil, s3Failure(err, r)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, rd.max+1))
	if err != nil {
		return nil, s3Failure(err, r)
	}
	if int64(len(body)) > rd.max {
		return nil, fail("The object %s/%s is larger than the %d bytes this server reads items from.", r.bucket, r.key, rd.max)
	}
	switch r.inputType {
	case "JSON":
		return jsonItems(body, r.maxItems)
	case "JSONL":
		return jsonlItems(body, r.maxItems)
	case "CSV":
		return csvItems(body, r)
	}
	return nil, fail("Statecraft does not read InputType %q.", r.inputType)
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
	in := &s3.ListObjectsV2Input{Bucket: aws.String(r.bucket)}
	if r.prefix != "" {
		in.Prefix = aws.String(r.prefix)
	}
	p := s3.NewListObjectsV2Paginator(rd.c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s3Failure(err, r)
		}
		for _, o := range page.Contents {
			if r.maxItems > 0 && int64(len(items)) >= r.maxItems {
				return items, nil
			}
			class := string(o.StorageClass)
			if class == "" {
				// AWS always names the class; some compatible stores
				// leave out the default one.
				class = "STANDARD"
			}
			item := map[string]any{
				"Key":          aws.ToString(o.Key),
				"Etag":         aws.ToString(o.ETag),
				"Size":         aws.ToInt64(o.Size),
				"StorageClass": class,
			}
			if o.LastModified != nil {
				item["LastModified"] = o.LastModified.Unix()
			}
			// Sorted keys, as in AWS's documented example of an item.
			items = append(items, jsonv.FromMap(item))
		}
	}
	return items, nil
}
