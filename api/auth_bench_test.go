package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store/sqlite"
)

// benchAPI is the API on SQLite with one state machine, and a signed
// DescribeStateMachine request for it.
func benchAPI(b *testing.B) (http.Handler, http.Header, []byte) {
	b.Helper()
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "db"), sqlite.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := New(st, engine.New(st, engine.Options{Log: log}), Options{Log: log})
	create := httptest.NewRequest("POST", "/", bytes.NewReader([]byte(`{"name":"m","definition":`+quote(passDef)+`,"roleArn":"`+role+`"}`)))
	create.Header.Set("X-Amz-Target", "AWSStepFunctions.CreateStateMachine")
	create.RemoteAddr = "127.0.0.1:1"
	if err := authtest.Sign(create, authtest.AccessKeyID, authtest.SecretAccessKey, authtest.Region); err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, create)
	if rec.Code != 200 {
		b.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	body := []byte(`{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m"}`)
	req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.DescribeStateMachine")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	if err := authtest.Sign(req, authtest.AccessKeyID, authtest.SecretAccessKey, authtest.Region); err != nil {
		b.Fatal(err)
	}
	return h, req.Header, body
}

func serveOnce(b *testing.B, h http.Handler, hdr http.Header, body []byte, ctx context.Context) {
	req := httptest.NewRequest("POST", "/", bytes.NewReader(body)).WithContext(ctx)
	req.Header = hdr.Clone()
	req.RemoteAddr = "127.0.0.1:1"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// BenchmarkDescribeSigned is DescribeStateMachine with its SigV4
// signature verified; BenchmarkDescribeUnsigned is the same request
// served as an in-process caller's (the principal given, nothing
// verified), the baseline to quote it against.
func BenchmarkDescribeSigned(b *testing.B) {
	h, hdr, body := benchAPI(b)
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, h, hdr, body, context.Background())
	}
}

func BenchmarkDescribeUnsigned(b *testing.B) {
	h, hdr, body := benchAPI(b)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{AccessKeyID: "local", Account: "123456789012", Role: auth.RoleAdmin, Region: "us-east-1"})
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, h, hdr, body, ctx)
	}
}
