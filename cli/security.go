package cli

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/project"
)

// keyring is who may use the server: the accounts of the credentials
// file and of the project file's accounts section, or, with none
// configured, the development pair local/local.
func keyring(o ServerOptions, p *project.Project) (*auth.Keyring, error) {
	var accounts []auth.Account
	if o.Credentials != "" {
		accs, err := auth.LoadCredentials(o.Credentials, os.LookupEnv)
		if err != nil {
			return nil, err
		}
		accounts = append(accounts, accs...)
	}
	if p != nil {
		accounts = append(accounts, p.Accounts...)
	}
	if len(accounts) == 0 {
		return auth.DevelopmentKeyring(o.Account), nil
	}
	return auth.NewKeyring(accounts)
}

// checkExposure refuses to serve the development pair beyond loopback:
// everyone who read the README knows it. It warns when a non-loopback
// address is served without TLS, where signatures still protect
// integrity but execution data crosses the network in the clear.
func checkExposure(ln net.Listener, k *auth.Keyring, tls bool, log *slog.Logger) error {
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok || addr.IP.IsLoopback() {
		return nil
	}
	if k.Development() {
		return fmt.Errorf("refusing to listen on %s, which is not a loopback address, with no credentials configured: "+
			"the development pair local/local works only on loopback. Configure accounts with --credentials FILE "+
			"(or STATECRAFT_CREDENTIALS, or \"credentials\" in the --config file), or listen on 127.0.0.1", ln.Addr())
	}
	if !tls {
		log.Warn("listening on a non-loopback address without TLS: requests are authenticated, but execution data crosses the network in the clear; set --tls-cert and --tls-key", "listen", ln.Addr().String())
	}
	return nil
}

// certReloader serves a certificate and key pair from files, read again
// on SIGHUP, so that a renewed certificate is picked up without a
// restart. A reload that fails keeps the pair in use.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	mu                sync.RWMutex
	cert              *tls.Certificate
	stop              chan struct{}
}

func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log, stop: make(chan struct{})}
	if err := r.reload(); err != nil {
		return nil, err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-hup:
				if err := r.reload(); err != nil {
					log.Error("TLS certificate not reloaded; the previous one stays in use", "err", err)
				} else {
					log.Info("TLS certificate reloaded", "cert", certFile)
				}
			case <-r.stop:
				return
			}
		}
	}()
	return r, nil
}

func (r *certReloader) reload() error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate %s and key %s: %w", r.certFile, r.keyFile, err)
	}
	r.mu.Lock()
	r.cert = &cert
	r.mu.Unlock()
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cert, nil
}

func (r *certReloader) Close() { close(r.stop) }

// tlsConfig serves HTTP/2 and HTTP/1.1 with TLS 1.2 at least.
func (r *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{GetCertificate: r.get, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
}

// limitListener accepts at most n connections at once: past that, new
// connections wait in the kernel's backlog until one closes, so that no
// number of clients can exhaust the server's file descriptors.
type limitListener struct {
	net.Listener
	sem    chan struct{}
	closed chan struct{}
	once   sync.Once
}

func newLimitListener(l net.Listener, n int) net.Listener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), closed: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// plainErrorTail ends every error net/http answers by itself, before any
// handler runs, on an HTTP/1.1 connection (a malformed request line or
// header, a control character in a header value, a missing Host,
// headers too large): one write of the status line, these headers, and
// the status text as a plain-text body.
const plainErrorTail = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// modelledErrors rewrites those plain-text answers into the JSON error
// shape every AWS SDK parses ({"__type", "message"}), so that a client
// whose request the server could not even read still gets an error it
// understands instead of a body it fails to decode. It sits on the raw
// connection and only recognises a whole write of exactly that form:
// a handler's responses are buffered and carry other headers.
type modelledErrors struct{ net.Listener }

func (l modelledErrors) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &modelledErrorConn{Conn: c}, nil
}

type modelledErrorConn struct{ net.Conn }

func (c *modelledErrorConn) Write(p []byte) (int, error) {
	if out, ok := modelledError(p); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func modelledError(p []byte) ([]byte, bool) {
	// Every write of every response passes here: only one that starts
	// like a 4xx status line is looked at further (and copied).
	if len(p) < 13 || p[9] != '4' || !bytes.HasPrefix(p, []byte("HTTP/1.1 ")) || !bytes.Contains(p, []byte(plainErrorTail)) {
		return nil, false
	}
	rest, ok := strings.CutPrefix(string(p), "HTTP/1.1 ")
	if !ok || len(rest) < 4 || rest[0] != '4' {
		return nil, false
	}
	status, body, ok := strings.Cut(rest, plainErrorTail)
	if !ok || body != status {
		return nil, false
	}
	code, text, _ := strings.Cut(status, " ")
	name := "SerializationException"
	if code == "431" {
		name = "RequestHeaderFieldsTooLarge"
	}
	msg, _ := json.Marshal(map[string]string{
		"__type":  "com.amazon.coral.service#" + name,
		"message": "The request could not be read: " + text,
	})
	out := "HTTP/1.1 " + code + " " + http.StatusText(atoi(code)) + "\r\n" +
		"Content-Type: application/x-amz-json-1.0\r\nX-Amzn-ErrorType: " + name + "\r\n" +
		"Content-Length: " + fmt.Sprint(len(msg)) + "\r\nConnection: close\r\n\r\n" + string(msg)
	return []byte(out), true
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
