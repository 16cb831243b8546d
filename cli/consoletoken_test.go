package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/console"
)

// signIn posts a login body to the console and returns the session
// cookie, the CSRF token and who signed in.
func signIn(t *testing.T, endpoint, body string) (*http.Cookie, map[string]any, int) {
	t.Helper()
	resp, err := http.Post(endpoint+"/console/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &info)
	for _, c := range resp.Cookies() {
		if c.Name == console.CookieName {
			return c, info, resp.StatusCode
		}
	}
	return nil, info, resp.StatusCode
}

// A token minted from the server's data directory signs in to its
// console as the key it names, with the key's account and role; the
// session reaches the API and not /metrics.
func TestConsoleTokenSignsIn(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.yaml")
	if err := os.WriteFile(creds, []byte(`accounts:
  - id: "444455556666"
    keys:
      - accessKeyId: AKIAOPS
        secretAccessKey: ops-secret-1234
        role: operator
`), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	o := DefaultServerOptions()
	o.Data, o.Credentials, o.MetricsToken = data, creds, "metrics-token-0123456789"
	addr, _, _ := startTestServer(t, o)
	endpoint := "http://" + addr

	st, err := os.Stat(filepath.Join(data, console.KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("console key: %v %v", st, err)
	}
	var stdout, stderr bytes.Buffer
	if err := ConsoleToken(ConsoleTokenOptions{Data: data, AccessKeyID: "AKIAOPS", TTL: time.Hour}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSuffix(stdout.String(), "\n")
	if strings.Contains(tok, "\n") || !strings.Contains(stderr.String(), "AKIAOPS") {
		t.Fatalf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	cookie, info, status := signIn(t, endpoint, `{"token":"`+tok+`"}`)
	if status != 200 || cookie == nil || info["account"] != "444455556666" || info["role"] != "operator" || info["accessKeyId"] != "AKIAOPS" {
		t.Fatalf("token login: %d %v", status, info)
	}
	req, _ := http.NewRequest("POST", endpoint+"/console/api", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	req.Header.Set(console.CSRFHeader, info["csrfToken"].(string))
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"stateMachines"`) {
		t.Errorf("ListStateMachines through the session: %d %s", resp.StatusCode, b)
	}
	// /metrics stays the scrapers': a console session is no token there.
	req, _ = http.NewRequest("GET", endpoint+"/metrics", nil)
	req.AddCookie(cookie)
	if code := statusOf(t, req); code != 401 {
		t.Errorf("/metrics with a console session: %d", code)
	}
	// The console reads them through the session.
	req, _ = http.NewRequest("GET", endpoint+"/console/metrics", nil)
	req.AddCookie(cookie)
	if code := statusOf(t, req); code != 200 {
		t.Errorf("/console/metrics with the session: %d", code)
	}
	// The key pair signs in too; the development pair does not, on a
	// server with credentials.
	if _, _, code := signIn(t, endpoint, `{"accessKeyId":"AKIAOPS","secretAccessKey":"ops-secret-1234"}`); code != 200 {
		t.Errorf("key pair login: %d", code)
	}
	if _, _, status := signIn(t, endpoint, `{"accessKeyId":"local","secretAccessKey":"local"}`); status != 401 {
		t.Errorf("development pair on a server with credentials: %d", status)
	}
	// A token for a key the server does not have is refused.
	stdout.Reset()
	if err := ConsoleToken(ConsoleTokenOptions{Data: data, AccessKeyID: "AKIAGONE", TTL: time.Hour}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, _, status := signIn(t, endpoint, `{"token":"`+strings.TrimSpace(stdout.String())+`"}`); status != 401 {
		t.Errorf("token of a key not in the keyring: %d", status)
	}
}

// With no credentials configured, a token for the development pair signs
// in (from loopback, as the pair itself).
func TestConsoleTokenDevelopmentPair(t *testing.T) {
	o := DefaultServerOptions()
	o.Data = t.TempDir()
	addr, _, _ := startTestServer(t, o)
	endpoint := "http://" + addr
	var stdout bytes.Buffer
	if err := ConsoleToken(ConsoleTokenOptions{Data: o.Data, AccessKeyID: "local", TTL: time.Minute}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, info, status := signIn(t, endpoint, `{"token":"`+strings.TrimSpace(stdout.String())+`"}`); status != 200 || info["account"] != "123456789012" || info["role"] != "admin" {
		t.Errorf("token login: %d %v", status, info)
	}
}

func TestConsoleTokenErrors(t *testing.T) {
	data := t.TempDir()
	if _, err := console.LoadOrCreateKey(data); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		o    ConsoleTokenOptions
		want string
	}{
		{"no key id", ConsoleTokenOptions{Data: data, TTL: time.Hour}, "--access-key-id is required"},
		{"no ttl", ConsoleTokenOptions{Data: data, AccessKeyID: "A"}, "--ttl"},
		{"negative ttl", ConsoleTokenOptions{Data: data, AccessKeyID: "A", TTL: -time.Hour}, "--ttl"},
		{"ttl too long", ConsoleTokenOptions{Data: data, AccessKeyID: "A", TTL: 8 * 24 * time.Hour}, "at most 168h"},
		{"no server started there", ConsoleTokenOptions{Data: t.TempDir(), AccessKeyID: "A", TTL: time.Hour}, "creates it when it starts"},
	} {
		var stdout bytes.Buffer
		err := ConsoleToken(tc.o, &stdout, io.Discard)
		var ee *ExitError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errorsAs(err, &ee) || ee.Code != 1 || stdout.Len() != 0 {
			t.Errorf("%s: %v, stdout %q", tc.name, err, stdout.String())
		}
	}
}

func statusOf(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func errorsAs(err error, target **ExitError) bool {
	e, ok := err.(*ExitError)
	*target = e
	return ok
}
