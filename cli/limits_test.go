package cli

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth/authtest"
)

// closedWithin waits until the server closes c (a read returns EOF or a
// reset) and returns how long that took; it gives up after limit.
func closedWithin(c net.Conn, limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(limit))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return time.Since(start), false
			}
			return time.Since(start), true
		}
	}
}

// Idle connections, connections that never finish their headers, and
// connections that trickle a body are all closed by the server within
// its configured bounds, and the server keeps serving.
func TestSlowAndIdleConnectionsAreClosed(t *testing.T) {
	o := DefaultServerOptions()
	o.ReadHeaderTimeout = Duration(1 * time.Second)
	o.ReadTimeout = Duration(2 * time.Second)
	o.IdleTimeout = Duration(2 * time.Second)
	o.MaxConnections = 1000
	addr, _, _ := startTestServer(t, o)

	// A generous margin: the bound is what the server promises, the
	// margin only keeps a loaded machine from failing the test.
	const margin = 30 * time.Second
	type kind struct {
		name  string
		open  func() (net.Conn, error)
		bound time.Duration
	}
	dial := func(prefix string, trickle bool) func() (net.Conn, error) {
		return func() (net.Conn, error) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			if prefix != "" {
				if _, err := io.WriteString(c, prefix); err != nil {
					return nil, err
				}
			}
			if trickle {
				go func() {
					for i := 0; i < 200; i++ {
						time.Sleep(500 * time.Millisecond)
						if _, err := c.Write([]byte("x")); err != nil {
							return
						}
					}
				}()
			}
			return c, nil
		}
	}
	kinds := []kind{
		{"silent", dial("", false), time.Duration(o.ReadHeaderTimeout)},
		{"half headers", dial("POST / HTTP/1.1\r\nHost: x\r\n", false), time.Duration(o.ReadHeaderTimeout)},
		{"trickled body", dial("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n\r\n{", true), time.Duration(o.ReadTimeout)},
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for _, k := range kinds {
		for i := 0; i < 40; i++ {
			c, err := k.open()
			if err != nil {
				t.Fatalf("%s: %v", k.name, err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				took, closed := closedWithin(c, k.bound+margin)
				if !closed {
					mu.Lock()
					failures = append(failures, k.name+": still open after "+took.String())
					mu.Unlock()
				}
			}()
		}
	}
	// Idle keep-alive: a request answered, then nothing.
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
		if err := authtest.Sign(req, authtest.AccessKeyID, authtest.SecretAccessKey, authtest.Region); err != nil {
			t.Fatal(err)
		}
		if err := req.Write(c); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			took, closed := closedWithin(c, time.Duration(o.IdleTimeout)+margin)
			if !closed {
				mu.Lock()
				failures = append(failures, "idle keep-alive: still open after "+took.String())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	// The server still serves.
	req, _ := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	resp, err := authtest.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after the slow clients: %s", resp.Status)
	}
}

// Past MaxConnections, connections wait to be accepted: the server holds
// no more open at once, and serves the waiting ones when others close.
func TestMaxConnections(t *testing.T) {
	o := DefaultServerOptions()
	o.MaxConnections = 8
	o.ReadHeaderTimeout = Duration(2 * time.Second)
	addr, _, _ := startTestServer(t, o)
	var held []net.Conn
	for i := 0; i < o.MaxConnections; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	// One more: the kernel completes the handshake (backlog), but the
	// server does not read it until a slot frees, so its request is not
	// answered while the others are held open (they send nothing and are
	// closed after ReadHeaderTimeout).
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	req, _ := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	if err := authtest.Sign(req, authtest.AccessKeyID, authtest.SecretAccessKey, authtest.Region); err != nil {
		t.Fatal(err)
	}
	if err := req.Write(extra); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 12)
	_ = extra.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if n, err := extra.Read(line); err == nil || n > 0 {
		t.Fatalf("a connection past the limit was served at once: %q", line[:n])
	}
	// Eventually the held connections time out, a slot frees, and the
	// extra request is answered.
	_ = extra.SetReadDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.ReadFull(extra, line); err != nil || string(line) != "HTTP/1.1 200" {
		t.Fatalf("the waiting connection: %q %v", line, err)
	}
	for _, c := range held {
		// Each was closed by the server, not left open.
		if _, closed := closedWithin(c, 60*time.Second); !closed {
			t.Error("a held connection is still open")
		}
		c.Close()
	}
}

// A request net/http cannot read (a control character in X-Amz-Target,
// no Host, oversized headers) gets an error in the JSON shape the SDKs
// parse, not a plain-text body.
func TestUnreadableRequestsGetModelledErrors(t *testing.T) {
	addr, _, _ := startTestServer(t, DefaultServerOptions())
	for _, c := range []struct{ name, req, status, errType string }{
		{"control character", "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.List\x01Machines\r\nContent-Length: 2\r\n\r\n{}", "400", "SerializationException"},
		{"no host", "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "400", "SerializationException"},
		{"bad request line", "GARBAGE\r\n\r\n", "400", "SerializationException"},
		{"huge headers", "POST / HTTP/1.1\r\nHost: x\r\nX-A: " + strings.Repeat("a", 2<<20) + "\r\n\r\n", "431", "RequestHeaderFieldsTooLarge"},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
		go func() { _, _ = io.WriteString(conn, c.req) }()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		var e map[string]string
		if resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" || json.Unmarshal(body, &e) != nil ||
			e["__type"] != "com.amazon.coral.service#"+c.errType || e["message"] == "" || !strings.HasPrefix(resp.Status, c.status) {
			t.Errorf("%s: %s %v %s", c.name, resp.Status, resp.Header, body)
		}
	}
}
