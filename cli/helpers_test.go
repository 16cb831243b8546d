package cli

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// startTestServer runs Server on a free loopback port with o's limits and
// returns its address; it stops when the test ends.
func startTestServer(t *testing.T, o ServerOptions) (addr string, stdout, stderr *syncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	o.Listen = addr
	if o.Data == "" || o.Data == DefaultServerOptions().Data {
		// Never the working directory's: each test has its own.
		o.Data = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	exited := make(chan struct{})
	var serverErr error
	go func() { serverErr = Server(ctx, o, stdout, stderr); close(exited) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
			if serverErr != nil && !t.Failed() {
				t.Errorf("Server returned %v", serverErr)
			}
		case <-time.After(60 * time.Second):
			t.Error("server did not stop")
		}
	})
	// The server listens before it opens its data directory: it is ready
	// when the API answers, or it has exited.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, werr := c.Write([]byte("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"))
			n, rerr := c.Read(make([]byte, 16))
			c.Close()
			if werr == nil && rerr == nil && n > 0 {
				return addr, stdout, stderr
			}
		}
		select {
		case <-exited:
			t.Fatalf("server exited: %v\n%s", serverErr, stderr.String())
		default:
		}
		if i > 600 {
			t.Fatalf("server never answered: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncBuffer is a log that the server writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
