package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var now = time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)

func lookupOf(secrets map[string]Secret) Lookup {
	return func(id string) (Secret, bool) { s, ok := secrets[id]; return s, ok }
}

func sign(t *testing.T, r *http.Request, body []byte, akid, secret, token, region, service string, at time.Time) {
	t.Helper()
	h := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(h[:]), service, region, at); err != nil {
		t.Fatal(err)
	}
}

func newRequest(t *testing.T, method, url string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerifyRoundTrip(t *testing.T) {
	secrets := map[string]Secret{"AKID": {SecretAccessKey: "secret-1234"}, "TEMP": {SecretAccessKey: "secret-5678", SessionToken: "tok"}}
	opts := Options{Service: "states", Now: func() time.Time { return now }}
	cases := []struct {
		name, method, url, akid, secret, token, service string
		body                                            string
		header                                          map[string]string
	}{
		{name: "sfn", method: "POST", url: "http://127.0.0.1:8083/", akid: "AKID", secret: "secret-1234", service: "states", body: `{"name":"x"}`,
			header: map[string]string{"X-Amz-Target": "AWSStepFunctions.ListStateMachines", "Content-Type": "application/x-amz-json-1.0"}},
		{name: "lambda path", method: "POST", url: "http://127.0.0.1:8083/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn/invocations", akid: "AKID", secret: "secret-1234", service: "lambda", body: `{}`},
		{name: "query", method: "GET", url: "http://h/path/a%20b?b=2&a=1&c=%2F%20x&a=0", akid: "AKID", secret: "secret-1234", service: "states"},
		{name: "session", method: "POST", url: "http://h/", akid: "TEMP", secret: "secret-5678", token: "tok", service: "states", body: "{}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRequest(t, c.method, c.url, []byte(c.body))
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			sign(t, r, []byte(c.body), c.akid, c.secret, c.token, "us-east-1", c.service, now)
			o := opts
			o.Service = c.service
			res, err := Verify(r, []byte(c.body), lookupOf(secrets), o)
			if err != nil {
				t.Fatalf("Verify: %v\nAuthorization: %s", err, r.Header.Get("Authorization"))
			}
			if res.AccessKeyID != c.akid || res.Region != "us-east-1" {
				t.Fatalf("result %+v", res)
			}
			// Any change to the body breaks it.
			if _, err := Verify(r, []byte(c.body+" "), lookupOf(secrets), o); err == nil || err.(*Error).Name != "InvalidSignatureException" {
				t.Fatalf("tampered body: %v", err)
			}
		})
	}
}

func TestVerifyFailures(t *testing.T) {
	secrets := map[string]Secret{"AKID": {SecretAccessKey: "secret-1234"}}
	body := []byte(`{}`)
	base := func(t *testing.T) *http.Request {
		r := newRequest(t, "POST", "http://127.0.0.1:8083/", body)
		r.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
		return r
	}
	cases := []struct {
		name  string
		prep  func(t *testing.T) *http.Request
		at    time.Time
		wantN string
	}{
		{"unsigned", func(t *testing.T) *http.Request { return base(t) }, now, "MissingAuthenticationTokenException"},
		{"garbage", func(t *testing.T) *http.Request { r := base(t); r.Header.Set("Authorization", "garbage"); return r }, now, "IncompleteSignatureException"},
		{"unknown key", func(t *testing.T) *http.Request {
			r := base(t)
			sign(t, r, body, "NOPE", "secret-1234", "", "us-east-1", "states", now)
			return r
		}, now, "UnrecognizedClientException"},
		{"wrong secret", func(t *testing.T) *http.Request {
			r := base(t)
			sign(t, r, body, "AKID", "wrong-secret", "", "us-east-1", "states", now)
			return r
		}, now, "InvalidSignatureException"},
		{"wrong service", func(t *testing.T) *http.Request {
			r := base(t)
			sign(t, r, body, "AKID", "secret-1234", "", "us-east-1", "lambda", now)
			return r
		}, now, "InvalidSignatureException"},
		{"expired", func(t *testing.T) *http.Request {
			r := base(t)
			sign(t, r, body, "AKID", "secret-1234", "", "us-east-1", "states", now.Add(-16*time.Minute))
			return r
		}, now, "InvalidSignatureException"},
		{"header changed", func(t *testing.T) *http.Request {
			r := base(t)
			sign(t, r, body, "AKID", "secret-1234", "", "us-east-1", "states", now)
			r.Header.Set("X-Amz-Target", "AWSStepFunctions.DeleteStateMachine")
			return r
		}, now, "InvalidSignatureException"},
		{"token for keyless", func(t *testing.T) *http.Request {
			r := base(t)
			sign(t, r, body, "AKID", "secret-1234", "tok", "us-east-1", "states", now)
			return r
		}, now, "UnrecognizedClientException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.prep(t)
			_, err := Verify(r, body, lookupOf(secrets), Options{Service: "states", Now: func() time.Time { return now }})
			e, ok := err.(*Error)
			if !ok || e.Name != c.wantN {
				t.Fatalf("got %v, want %s", err, c.wantN)
			}
			if strings.TrimSpace(e.Message) == "" {
				t.Fatal("empty message")
			}
		})
	}
}

func TestVerifyPresigned(t *testing.T) {
	secrets := map[string]Secret{"AKID": {SecretAccessKey: "secret-1234"}}
	r := newRequest(t, "GET", "http://127.0.0.1:8083/some/path?x=1", nil)
	creds := aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret-1234"}
	q := r.URL.Query()
	q.Set("X-Amz-Expires", "300")
	r.URL.RawQuery = q.Encode()
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "states", "us-east-1", now)
	if err != nil {
		t.Fatal(err)
	}
	pr := newRequest(t, "GET", u, nil)
	opts := Options{Service: "states", Now: func() time.Time { return now.Add(time.Minute) }}
	if _, err := Verify(pr, nil, lookupOf(secrets), opts); err != nil {
		t.Fatalf("presigned: %v (%s)", err, u)
	}
	opts.Now = func() time.Time { return now.Add(6 * time.Minute) }
	if _, err := Verify(pr, nil, lookupOf(secrets), opts); err == nil {
		t.Fatal("an expired presigned URL was accepted")
	}
}
