package itemreader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// object is one entry of a listing.
type object struct {
	key, etag, class string
	size             int64
	modified         int64 // epoch seconds; 0 when unknown
}

// s3Err is an error of the store in S3's terms: its error code and
// message, which the failure reported to the Map repeats.
type s3Err struct{ code, msg string }

func (e *s3Err) Error() string { return e.code + ": " + e.msg }

// objectStore is where items are read from and results written to: an
// S3-compatible endpoint, or a directory of the host (Config.Dir).
type objectStore interface {
	// get returns the object's bytes, at most max+1 of them.
	get(ctx context.Context, bucket, key, versionID string, max int64) ([]byte, error)
	// list calls each for the objects under prefix, in key order, until
	// each returns false.
	list(ctx context.Context, bucket, prefix string, each func(object) bool) error
	put(ctx context.Context, bucket, key string, body []byte) error
}

// s3Store is an S3-compatible endpoint.
type s3Store struct{ c *s3.Client }

func s3Error(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &s3Err{code: ae.ErrorCode(), msg: ae.ErrorMessage()}
	}
	return err
}

func (s *s3Store) get(ctx context.Context, bucket, key, versionID string, max int64) ([]byte, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := s.c.GetObject(ctx, in)
	if err != nil {
		return nil, s3Error(err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		return nil, s3Error(err)
	}
	return body, nil
}

func (s *s3Store) list(ctx context.Context, bucket, prefix string, each func(object) bool) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	p := s3.NewListObjectsV2Paginator(s.c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s3Error(err)
		}
		for _, o := range page.Contents {
			ob := object{key: aws.ToString(o.Key), etag: aws.ToString(o.ETag), size: aws.ToInt64(o.Size), class: string(o.StorageClass)}
			if o.LastModified != nil {
				ob.modified = o.LastModified.Unix()
			}
			if !each(ob) {
				return nil
			}
		}
	}
	return nil
}

func (s *s3Store) put(ctx context.Context, bucket, key string, body []byte) error {
	_, err := s.c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		ContentType: aws.String("application/json"),
	})
	return s3Error(err)
}

// storeFailure reports a store error as AWS words an S3 error, with S3's
// own code, under the error name (States.ItemReaderFailed or
// States.ResultWriterFailed).
func storeFailure(name string, err error, bucket, key string) error {
	var se *s3Err
	if errors.As(err, &se) {
		what := bucket
		if key != "" {
			what += "/" + key
		}
		return failAs(name, "%s (Service: S3, Error Code: %s, Object: %s)", se.msg, se.code, what)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	if name == errWriter {
		return failAs(name, "Writing to the object store failed: %v", err)
	}
	return failAs(name, "Reading from the object store failed: %v", err)
}

var errNoSuchKey = &s3Err{code: "NoSuchKey", msg: "The specified key does not exist."}

func errorf(code, format string, args ...any) error {
	return &s3Err{code: code, msg: fmt.Sprintf(format, args...)}
}
