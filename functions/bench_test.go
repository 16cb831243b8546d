package functions

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkWarmInvoke measures one invocation on a warm process: the host's
// overhead (routing, the Runtime API round trips, log capture) plus the
// runtime's own loop. Compare with BenchmarkLoopbackHTTP from the same run.
func BenchmarkWarmInvoke(b *testing.B) {
	b.Run("nodejs", func(b *testing.B) {
		needNode(b)
		h := newTestHost(b)
		nodeFunc(b, h, "bench", "handlers.asyncOk")
		benchInvoke(b, h, "bench")
	})
	b.Run("go", func(b *testing.B) {
		dir := goFunctionDir(b)
		h := newTestHost(b)
		if err := h.Register(Function{Name: "bench", Runtime: "go1.x", Handler: "gofn", CodeDir: dir}); err != nil {
			b.Fatal(err)
		}
		benchInvoke(b, h, "bench")
	})
}

func benchInvoke(b *testing.B, h *Host, name string) {
	ctx := context.Background()
	payload := []byte(`{"n":1,"name":"bench"}`)
	// Warm up: start the process outside the timed loop.
	if res, err := h.Invoke(ctx, testAccount, name, payload, InvokeMeta{}); err != nil || res.FunctionError != "" {
		b.Fatalf("%v %+v", err, res)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := h.Invoke(ctx, testAccount, name, payload, InvokeMeta{})
		if err != nil || res.FunctionError != "" {
			b.Fatalf("%v %+v", err, res)
		}
	}
}

// BenchmarkLoopbackHTTP is the baseline: one bare keep-alive HTTP request
// and response over 127.0.0.1 with net/http.
func BenchmarkLoopbackHTTP(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"async":true,"n":1}`)
	}))
	defer srv.Close()
	client := srv.Client()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := client.Post(srv.URL, "application/json", strings.NewReader(`{"n":1,"name":"bench"}`))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
