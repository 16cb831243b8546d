package auth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/sigv4"
)

func TestNewKeyringRefusesBadAccounts(t *testing.T) {
	good := Key{AccessKeyID: "AKIAGOOD", SecretAccessKey: "secret-123", Role: RoleAdmin}
	cases := []struct {
		name string
		accs []Account
		want string
	}{
		{"short account id", []Account{{ID: "123", Keys: []Key{good}}}, "12 digits"},
		{"duplicate account", []Account{{ID: "111111111111", Keys: []Key{good}}, {ID: "111111111111"}}, "declared twice"},
		{"duplicate key", []Account{{ID: "111111111111", Keys: []Key{good}}, {ID: "222222222222", Keys: []Key{good}}}, "used twice"},
		{"short secret", []Account{{ID: "111111111111", Keys: []Key{{AccessKeyID: "AKIAX", SecretAccessKey: "short", Role: RoleAdmin}}}}, "at least 8"},
		{"bad role", []Account{{ID: "111111111111", Keys: []Key{{AccessKeyID: "AKIAX", SecretAccessKey: "secret-123", Role: "root"}}}}, "role \"root\""},
		{"dev pair", []Account{{ID: "111111111111", Keys: []Key{{AccessKeyID: "local", SecretAccessKey: "localsecret", Role: RoleAdmin}}}}, "reserved"},
		{"bad region", []Account{{ID: "111111111111", Regions: []string{"US_EAST"}, Keys: []Key{good}}}, "not a region"},
		{"no keys", []Account{{ID: "111111111111"}}, "no access keys"},
	}
	for _, c := range cases {
		if _, err := NewKeyring(c.accs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

func TestRoles(t *testing.T) {
	cases := []struct {
		action                          string
		admin, operator, worker, reader bool
	}{
		{"states:CreateStateMachine", true, false, false, false},
		{"states:DeleteStateMachine", true, false, false, false},
		{"states:TagResource", true, false, false, false},
		{"statecraft:Deploy", true, false, false, false},
		{"states:StartExecution", true, true, false, false},
		{"states:StopExecution", true, true, false, false},
		{"lambda:InvokeFunction", true, true, false, false},
		{"states:GetActivityTask", true, true, true, false},
		{"states:SendTaskSuccess", true, true, true, false},
		{"states:DescribeExecution", true, true, false, true},
		{"states:ListStateMachines", true, true, false, true},
		{"statecraft:DescribeCluster", true, false, false, false}, // the nodes' addresses and load are the operator's of the whole service, not an account's
		{"states:CreateStateMachineAlias", true, false, false, false},
		{"states:UpdateStateMachineAlias", true, false, false, false},
		{"states:DeleteStateMachineAlias", true, false, false, false},
		{"states:DescribeStateMachineAlias", true, true, false, true},
		{"states:ListStateMachineAliases", true, true, false, true},
		{"states:SomethingNew", true, false, false, false},
	}
	for _, c := range cases {
		for role, want := range map[Role]bool{RoleAdmin: c.admin, RoleOperator: c.operator, RoleWorker: c.worker, RoleReadOnly: c.reader} {
			if got := role.Allows(c.action); got != want {
				t.Errorf("%s allows %s: %v, want %v", role, c.action, got, want)
			}
		}
	}
	if Role("").Allows("states:DescribeExecution") {
		t.Error("an empty role allows something")
	}
}

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, "creds.yaml")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := map[string]string{"ADMIN_SECRET": "from-the-environment"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	accs, err := LoadCredentials(write(`accounts:
  - id: "111122223333"
    name: payments
    regions: [us-east-1]
    keys:
      - accessKeyId: AKIAADMIN
        secretAccessKey: ${env:ADMIN_SECRET}
        role: admin
      - accessKeyId: AKIATEMP
        secretAccessKey: ${env:TEMP_SECRET:-default-secret}
        sessionToken: token-1
        expires: 2027-01-01T00:00:00Z
        role: worker
`), getenv)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeyring(accs)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := k.Lookup("AKIAADMIN")
	if !ok || c.SecretAccessKey != "from-the-environment" || c.Account.ID != "111122223333" || c.Role != RoleAdmin {
		t.Fatalf("admin key: %+v", c)
	}
	c, _ = k.Lookup("AKIATEMP")
	if c.SecretAccessKey != "default-secret" || c.SessionToken != "token-1" || !c.Expires.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("temporary key: %+v", c)
	}
	for _, bad := range []struct{ text, want string }{
		{"accounts:\n  - id: \"111122223333\"\n    keys:\n      - {accessKeyId: A1234, secretAccessKey: \"${env:UNSET}\", role: admin}\n", "UNSET is not set"},
		{"accounts:\n  - id: \"111122223333\"\n    keys:\n      - {accessKeyId: A1234, secretAccessKey: secret-123, role: admin, extra: 1}\n", "extra"},
		{"accounts:\n  - id: \"111122223333\"\n    keys:\n      - {accessKeyId: A1234, secretAccessKey: secret-123}\n", "role: required"},
		{"accounts:\n  - id: \"111122223333\"\n    keys:\n      - {accessKeyId: A1234, secretAccessKey: secret-123, role: admin, expires: tomorrow}\n", "RFC 3339"},
		{"accounts: []\n", "none declared"},
		{"acounts: []\n", "acounts"},
	} {
		if _, err := LoadCredentials(write(bad.text), getenv); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want an error with %q", bad.text, err, bad.want)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	k, err := NewKeyring([]Account{
		{ID: "111111111111", Regions: []string{"eu-west-1"}, Keys: []Key{{AccessKeyID: "AKIAEU", SecretAccessKey: "eu-secret-123", Role: RoleOperator}}},
		{ID: "222222222222", Keys: []Key{{AccessKeyID: "AKIAOLD", SecretAccessKey: "old-secret-123", Role: RoleAdmin, Expires: time.Now().Add(-time.Hour)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &Authenticator{Keyring: k, Service: "states"}
	req := func(akid, secret, region, remote string) *http.Request {
		r := httptest.NewRequest("POST", "http://127.0.0.1:8083/", strings.NewReader("{}"))
		r.RemoteAddr = remote
		if err := authtest.Sign(r, akid, secret, region); err != nil {
			t.Fatal(err)
		}
		return r
	}
	p, err := a.Authenticate(req("AKIAEU", "eu-secret-123", "eu-west-1", "10.1.2.3:5"), []byte("{}"))
	if err != nil || p.Account != "111111111111" || p.Role != RoleOperator || p.Region != "eu-west-1" || p.Via != "sigv4" {
		t.Fatalf("principal %+v, %v", p, err)
	}
	for _, c := range []struct {
		name string
		r    *http.Request
		want string
	}{
		{"region the account may not use", req("AKIAEU", "eu-secret-123", "us-east-1", "127.0.0.1:5"), sigv4.UnrecognizedClient},
		{"expired key", req("AKIAOLD", "old-secret-123", "us-east-1", "127.0.0.1:5"), sigv4.ExpiredToken},
		{"dev pair off with credentials", req("local", "local", "us-east-1", "127.0.0.1:5"), sigv4.UnrecognizedClient},
	} {
		_, err := a.Authenticate(c.r, []byte("{}"))
		if e, ok := err.(*sigv4.Error); !ok || e.Name != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}

	dev := &Authenticator{Keyring: DevelopmentKeyring(DefaultAccount), Service: "states"}
	if p, err := dev.Authenticate(req("local", "local", "us-east-1", "127.0.0.1:5"), []byte("{}")); err != nil || p.Account != DefaultAccount || p.Role != RoleAdmin {
		t.Fatalf("dev pair on loopback: %+v %v", p, err)
	}
	if p, err := dev.Authenticate(req("local", "local", "us-east-1", "[::1]:5"), []byte("{}")); err != nil || p == nil {
		t.Fatalf("dev pair on IPv6 loopback: %v", err)
	}
	_, err = dev.Authenticate(req("local", "local", "us-east-1", "192.168.1.9:5"), []byte("{}"))
	if e, ok := err.(*sigv4.Error); !ok || e.Name != sigv4.UnrecognizedClient {
		t.Fatalf("dev pair from the network: %v", err)
	}
}

func TestMiddleware(t *testing.T) {
	a := &Authenticator{Keyring: DevelopmentKeyring(DefaultAccount), Service: "lambda"}
	var seen *Principal
	var body string
	h := a.Middleware(16, func(w http.ResponseWriter, r *http.Request, err error) {
		w.WriteHeader(403)
		_, _ = w.Write([]byte(err.Error()))
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = PrincipalFrom(r.Context())
		b := make([]byte, 64)
		n, _ := r.Body.Read(b)
		body = string(b[:n])
	}))
	r := httptest.NewRequest("POST", "http://127.0.0.1/2015-03-31/functions/f/invocations", strings.NewReader(`{"a":1}`))
	r.RemoteAddr = "127.0.0.1:9"
	if err := authtest.Sign(r, "local", "local", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if seen == nil || seen.Account != DefaultAccount || body != `{"a":1}` {
		t.Fatalf("handler saw %+v, body %q (%d %s)", seen, body, rec.Code, rec.Body)
	}
	// Over the limit: refused before verification.
	r = httptest.NewRequest("POST", "http://127.0.0.1/2015-03-31/functions/f/invocations", strings.NewReader(strings.Repeat("x", 17)))
	r.RemoteAddr = "127.0.0.1:9"
	_ = authtest.Sign(r, "local", "local", "us-east-1")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "too large") {
		t.Fatalf("oversized: %d %s", rec.Code, rec.Body)
	}
	// Unsigned: refused.
	r = httptest.NewRequest("POST", "http://127.0.0.1/2015-03-31/functions/f/invocations", strings.NewReader("{}"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), sigv4.MissingAuthenticationToken) {
		t.Fatalf("unsigned: %d %s", rec.Code, rec.Body)
	}
}

// countingReader counts the bytes read from it.
type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

// A request signed with a key the server does not know is refused before
// a byte of its body is read: reading bodies takes a known key.
func TestUnknownKeysAreRefusedBeforeTheBody(t *testing.T) {
	a := &Authenticator{Keyring: DevelopmentKeyring(DefaultAccount), Service: "lambda"}
	for _, c := range []struct {
		name, akid, remote string
	}{
		{"unknown key", "AKIDNOBODY", "127.0.0.1:9"},
		{"dev pair off loopback", "local", "203.0.113.9:9"},
	} {
		r := httptest.NewRequest("POST", "http://127.0.0.1/2015-03-31/functions/f/invocations", strings.NewReader("{}"))
		r.RemoteAddr = c.remote
		_ = authtest.Sign(r, c.akid, "whatever", "us-east-1")
		body := &countingReader{}
		r.Body = io.NopCloser(body)
		rec := httptest.NewRecorder()
		reached := false
		a.Middleware(1<<30, func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(403) },
			http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })).ServeHTTP(rec, r)
		if rec.Code != 403 || reached || body.n != 0 {
			t.Errorf("%s: %d, handler reached %v, %d body bytes read", c.name, rec.Code, reached, body.n)
		}
	}
}
