package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth/authtest"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with serial n.
func writeCert(t *testing.T, dir string, n int64) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: "statecraft-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// Written to temporary names and renamed, as a certificate renewal
	// would, so that a reload never reads half a file.
	for path, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kb}} {
		if err := os.WriteFile(path+".tmp", pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile, cert
}

// The server speaks HTTP/2 and HTTP/1.1 over TLS, and picks up a renewed
// certificate on SIGHUP without a restart.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, first := writeCert(t, dir, 1)
	o := DefaultServerOptions()
	o.TLSCert, o.TLSKey = certFile, keyFile
	addr, stdout, _ := startTestServer(t, o)
	if !strings.Contains(stdout.String(), "listening on https://"+addr) {
		t.Errorf("banner: %s", stdout.String())
	}
	call := func(h2 bool, trust *x509.Certificate) (*http.Response, error) {
		pool := x509.NewCertPool()
		pool.AddCert(trust)
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest("POST", "https://"+addr+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
		c := &http.Client{Transport: &authtest.Transport{Base: tr}, Timeout: 30 * time.Second}
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	for _, c := range []struct {
		h2    bool
		proto string
	}{{true, "HTTP/2.0"}, {false, "HTTP/1.1"}} {
		resp, err := call(c.h2, first)
		if err != nil {
			t.Fatalf("%s: %v", c.proto, err)
		}
		if resp.StatusCode != 200 || resp.Proto != c.proto {
			t.Errorf("%s: %s %s", c.proto, resp.Proto, resp.Status)
		}
	}
	// Plain HTTP on the TLS port is not served.
	if resp, err := http.Post("http://"+addr+"/", "application/json", strings.NewReader("{}")); err == nil && resp.StatusCode == 200 {
		t.Error("plain HTTP was served on the TLS port")
	}

	_, _, second := writeCert(t, dir, 2)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := call(true, second); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the renewed certificate was not served after SIGHUP")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := call(true, first); err == nil {
		t.Error("the old certificate is still served after SIGHUP")
	}
}

// With no credentials configured the server refuses a non-loopback
// address; with credentials it serves it, and warns when without TLS.
func TestExposure(t *testing.T) {
	o := DefaultServerOptions()
	o.Listen, o.Data, o.NoSync = "0.0.0.0:0", t.TempDir(), true
	var stdout, stderr syncBuffer
	err := Server(context.Background(), o, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--credentials") || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("Server on 0.0.0.0 with no credentials: %v", err)
	}
	if _, err := os.Stat(filepath.Join(o.Data, "statecraft.db")); err == nil {
		t.Error("a refused start created the database")
	}

	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.yaml")
	if err := os.WriteFile(creds, []byte("accounts:\n  - id: \"123456789012\"\n    keys:\n      - {accessKeyId: ADMINKEY, secretAccessKey: admin-secret-123, role: admin}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.Credentials = creds
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Server(ctx, o, &stdout, &stderr) }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(stderr.String(), "without TLS") {
		select {
		case err := <-done:
			t.Fatalf("server exited: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no warning about TLS:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
