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
	if o.Data == "" {
		o.Data = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- Server(ctx, o, stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Server returned %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("server did not stop")
		}
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr, stdout, stderr
		}
		select {
		case err := <-done:
			t.Fatalf("server exited: %v\n%s", err, stderr.String())
		default:
		}
		if i > 600 {
			t.Fatalf("server never listened: %v", err)
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
