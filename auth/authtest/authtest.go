// Package authtest signs test requests with SigV4, as the AWS SDKs do, so
// that tests of any door reach it as a real client would.
package authtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The development pair, which every server with no credentials accepts
// from loopback.
const (
	AccessKeyID     = "local"
	SecretAccessKey = "local"
	Region          = "us-east-1"
)

// Service is the signing name of a request's door, told by its path.
func Service(path string) string {
	switch {
	case strings.HasPrefix(path, "/2015-03-31/functions/"):
		return "lambda"
	case strings.HasPrefix(path, "/statecraft/"):
		return "statecraft"
	}
	return "states"
}

// Sign signs req with a key pair for region, reading and restoring its
// body.
func Sign(req *http.Request, akid, secret, region string) error {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return err
		}
		req.Body.Close()
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	sum := sha256.Sum256(body)
	return v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), Service(req.URL.Path), region, time.Now())
}

// Transport signs every request with the development pair.
type Transport struct {
	// Base sends the signed requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// AccessKeyID, SecretAccessKey and Region override the development
	// pair and us-east-1.
	AccessKeyID, SecretAccessKey, Region string
}

func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	akid, secret, region := t.AccessKeyID, t.SecretAccessKey, t.Region
	if akid == "" {
		akid, secret = AccessKeyID, SecretAccessKey
	}
	if region == "" {
		region = Region
	}
	if err := Sign(r, akid, secret, region); err != nil {
		return nil, err
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// Client is an HTTP client that signs every request with the development
// pair.
var Client = &http.Client{Transport: &Transport{}}

// Credentials provides a key pair to an AWS SDK client; the zero values
// give the development pair.
func Credentials(akid, secret string) aws.CredentialsProvider {
	if akid == "" {
		akid, secret = AccessKeyID, SecretAccessKey
	}
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, Source: "authtest"}, nil
	})
}
