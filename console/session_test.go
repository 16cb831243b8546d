package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth"
)

// Two accounts: A with a key of each role (and two special keys), B with
// an admin.
func twoAccounts(t *testing.T, now time.Time) *auth.Keyring {
	t.Helper()
	k, err := auth.NewKeyring([]auth.Account{
		{ID: "111111111111", Name: "payments", Keys: []auth.Key{
			{AccessKeyID: "A_ADMIN", SecretAccessKey: "admin-secret", Role: auth.RoleAdmin},
			{AccessKeyID: "A_OPERATOR", SecretAccessKey: "operator-secret", Role: auth.RoleOperator},
			{AccessKeyID: "A_WORKER", SecretAccessKey: "worker-secret", Role: auth.RoleWorker},
			{AccessKeyID: "A_READER", SecretAccessKey: "reader-secret", Role: auth.RoleReadOnly},
			{AccessKeyID: "A_TEMP", SecretAccessKey: "temp-secret", SessionToken: "temp-session-token", Role: auth.RoleAdmin},
			{AccessKeyID: "A_EXPIRED", SecretAccessKey: "expired-secret", Expires: now.Add(-time.Minute), Role: auth.RoleAdmin},
			{AccessKeyID: "A_EXPIRING", SecretAccessKey: "expiring-secret", Expires: now.Add(time.Hour), Role: auth.RoleAdmin},
		}},
		{ID: "222222222222", Regions: []string{"eu-west-1"}, Keys: []auth.Key{
			{AccessKeyID: "B_ADMIN", SecretAccessKey: "b-admin-secret", Role: auth.RoleAdmin},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyLogin(akid, secret string) string {
	b, _ := json.Marshal(map[string]string{"accessKeyId": akid, "secretAccessKey": secret})
	return string(b)
}

// manyFailures lets a test fail logins from one address as often as its
// cases need.
func manyFailures(o *Options) { o.Sessions.LoginBurst = 1000 }

func TestLogin(t *testing.T) {
	h := newHarness(t, &fakeAPI{}, twoAccounts(t, newClock().Now()), manyFailures)
	for _, tc := range []struct {
		name        string
		q           request
		status      int
		errType     string
		account     string
		role        string
		akid        string
		startAllows bool
	}{
		{name: "admin", q: request{body: keyLogin("A_ADMIN", "admin-secret")}, status: 200, account: "111111111111", role: "admin", akid: "A_ADMIN", startAllows: true},
		{name: "read-only", q: request{body: keyLogin("A_READER", "reader-secret")}, status: 200, account: "111111111111", role: "read-only", akid: "A_READER"},
		{name: "other account", q: request{body: keyLogin("B_ADMIN", "b-admin-secret")}, status: 200, account: "222222222222", role: "admin", akid: "B_ADMIN", startAllows: true},
		{name: "session token given", q: request{body: `{"accessKeyId":"A_TEMP","secretAccessKey":"temp-secret","sessionToken":"temp-session-token"}`}, status: 200, account: "111111111111", role: "admin", akid: "A_TEMP", startAllows: true},
		{name: "charset parameter", q: request{body: keyLogin("A_ADMIN", "admin-secret"), contentType: "application/json; charset=utf-8"}, status: 200, account: "111111111111", role: "admin", akid: "A_ADMIN", startAllows: true},

		{name: "wrong secret", q: request{body: keyLogin("A_ADMIN", "admin-secreT")}, status: 401, errType: "InvalidCredentials"},
		{name: "secret of another key", q: request{body: keyLogin("A_ADMIN", "reader-secret")}, status: 401, errType: "InvalidCredentials"},
		{name: "secret prefix", q: request{body: keyLogin("A_ADMIN", "admin")}, status: 401, errType: "InvalidCredentials"},
		{name: "unknown key", q: request{body: keyLogin("NOBODY", "admin-secret")}, status: 401, errType: "InvalidCredentials"},
		{name: "development pair on a configured server", q: request{body: devLogin}, status: 401, errType: "InvalidCredentials"},
		{name: "session token missing", q: request{body: keyLogin("A_TEMP", "temp-secret")}, status: 401, errType: "InvalidCredentials"},
		{name: "session token wrong", q: request{body: `{"accessKeyId":"A_TEMP","secretAccessKey":"temp-secret","sessionToken":"x"}`}, status: 401, errType: "InvalidCredentials"},
		{name: "session token on a key without", q: request{body: `{"accessKeyId":"A_ADMIN","secretAccessKey":"admin-secret","sessionToken":"x"}`}, status: 401, errType: "InvalidCredentials"},
		{name: "expired key", q: request{body: keyLogin("A_EXPIRED", "expired-secret")}, status: 401, errType: "InvalidCredentials"},

		{name: "no secret", q: request{body: `{"accessKeyId":"A_ADMIN"}`}, status: 400, errType: "ValidationException"},
		{name: "nothing", q: request{body: `{}`}, status: 400, errType: "ValidationException"},
		{name: "key and token", q: request{body: `{"accessKeyId":"A_ADMIN","secretAccessKey":"admin-secret","token":"x.y"}`}, status: 400, errType: "ValidationException"},
		{name: "unknown field", q: request{body: `{"accessKeyId":"A_ADMIN","secretAccessKey":"admin-secret","role":"admin"}`}, status: 400, errType: "ValidationException"},
		{name: "not JSON", q: request{body: `accessKeyId=A_ADMIN`}, status: 400, errType: "ValidationException"},
		{name: "two objects", q: request{body: keyLogin("A_ADMIN", "admin-secret") + "{}"}, status: 400, errType: "ValidationException"},
		{name: "too large", q: request{body: `{"accessKeyId":"` + strings.Repeat("A", 9000) + `","secretAccessKey":"x"}`}, status: 413, errType: "ValidationException"},

		{name: "form", q: request{body: "accessKeyId=A_ADMIN&secretAccessKey=admin-secret", contentType: "application/x-www-form-urlencoded"}, status: 415, errType: "UnsupportedMediaType"},
		{name: "text/plain", q: request{body: keyLogin("A_ADMIN", "admin-secret"), contentType: "text/plain"}, status: 415, errType: "UnsupportedMediaType"},
		{name: "multipart", q: request{body: keyLogin("A_ADMIN", "admin-secret"), contentType: "multipart/form-data; boundary=x"}, status: 415, errType: "UnsupportedMediaType"},
		{name: "no content type", q: request{body: keyLogin("A_ADMIN", "admin-secret"), contentType: "-"}, status: 415, errType: "UnsupportedMediaType"},
		{name: "another origin", q: request{body: keyLogin("A_ADMIN", "admin-secret"), header: map[string]string{"Origin": "http://127.0.0.1:9999"}}, status: 403, errType: "ForbiddenOrigin"},
		{name: "null origin", q: request{body: keyLogin("A_ADMIN", "admin-secret"), header: map[string]string{"Origin": "null"}}, status: 403, errType: "ForbiddenOrigin"},
		{name: "another scheme", q: request{body: keyLogin("A_ADMIN", "admin-secret"), header: map[string]string{"Origin": "https://127.0.0.1:8083"}}, status: 403, errType: "ForbiddenOrigin"},
		{name: "cross-site fetch", q: request{body: keyLogin("A_ADMIN", "admin-secret"), header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": ""}}, status: 403, errType: "ForbiddenOrigin"},
		{name: "same-site fetch", q: request{body: keyLogin("A_ADMIN", "admin-secret"), header: map[string]string{"Sec-Fetch-Site": "same-site", "Origin": ""}}, status: 403, errType: "ForbiddenOrigin"},
		{name: "no origin (not a browser)", q: request{body: keyLogin("A_ADMIN", "admin-secret"), header: map[string]string{"Origin": ""}}, status: 200, account: "111111111111", role: "admin", akid: "A_ADMIN", startAllows: true},
		{name: "GET", q: request{method: "GET"}, status: 405, errType: "MethodNotAllowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			if q.method == "" {
				q.method = "POST"
			}
			q.path = "/console/login"
			switch q.contentType {
			case "":
				q.contentType = "application/json"
			case "-":
				q.contentType = ""
			}
			w := h.do(q)
			if w.Code != tc.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.status != 200 {
				if got := errorType(t, w); got != tc.errType {
					t.Errorf("__type %q, want %q (%s)", got, tc.errType, w.Body)
				}
				if len(w.Result().Cookies()) != 0 {
					t.Errorf("a refused login set a cookie: %v", w.Header()["Set-Cookie"])
				}
				return
			}
			s := signedInFrom(t, w)
			if s.info["account"] != tc.account || s.info["role"] != tc.role || s.info["accessKeyId"] != tc.akid {
				t.Errorf("signed in as %v", s.info)
			}
			actions, _ := s.info["actions"].(map[string]any)
			if actions["StartExecution"] != tc.startAllows {
				t.Errorf("actions %v for role %s", actions, tc.role)
			}
			if strings.Contains(w.Body.String(), "secret") {
				t.Errorf("the answer holds the secret: %s", w.Body)
			}
		})
	}
}

// The session acts in the server's region, or, for an account limited
// to others, in the first of its own.
func TestSessionRegion(t *testing.T) {
	h := newHarness(t, &fakeAPI{}, twoAccounts(t, newClock().Now()), func(o *Options) { o.Region = "us-west-2" })
	if s := h.login(keyLogin("A_ADMIN", "admin-secret")); s.info["region"] != "us-west-2" {
		t.Errorf("A's session region %v", s.info["region"])
	}
	if s := h.login(keyLogin("B_ADMIN", "b-admin-secret")); s.info["region"] != "eu-west-1" {
		t.Errorf("B's session region %v", s.info["region"])
	}
}

// The development pair signs in only from loopback, with a key pair or a
// token, and its session works only from loopback too.
func TestDevelopmentPairOnlyFromLoopback(t *testing.T) {
	h := newHarness(t, &fakeAPI{}, auth.DevelopmentKeyring(auth.DefaultAccount), nil)
	tok, err := MintToken(h.key, "local", h.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		remote string
		ok     bool
	}{
		{"127.0.0.1:5000", true},
		{"[::1]:5000", true},
		{"127.9.9.9:5000", true},
		{"192.0.2.10:5000", false},
		{"[2001:db8::1]:5000", false},
		{"10.0.0.1:5000", false},
	} {
		for _, body := range []string{devLogin, `{"token":"` + tok + `"}`} {
			w := h.do(request{method: "POST", path: "/console/login", body: body, contentType: "application/json", remote: tc.remote})
			if (w.Code == 200) != tc.ok {
				t.Errorf("%s %s: %d %s", tc.remote, body[:10], w.Code, w.Body)
			}
		}
	}
	s := h.login(devLogin)
	if w := h.do(request{method: "GET", path: "/console/session", sess: s, remote: "192.0.2.10:5000"}); w.Code != http.StatusUnauthorized {
		t.Errorf("a development session from another host: %d %s", w.Code, w.Body)
	}
	if w := h.do(request{method: "GET", path: "/console/session", sess: s}); w.Code != http.StatusOK {
		t.Errorf("the development session from loopback: %d %s", w.Code, w.Body)
	}
}

func TestTokenLogin(t *testing.T) {
	clk := newClock()
	keys := twoAccounts(t, clk.Now())
	h := newHarness(t, &fakeAPI{}, keys, func(o *Options) { o.Now = clk.Now; manyFailures(o) })
	h.clock = clk
	now := clk.Now()
	mint := func(key []byte, akid string, exp time.Time) string {
		tok, err := MintToken(key, akid, exp)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := mint(h.key, "A_OPERATOR", now.Add(time.Hour))
	payload, mac, _ := strings.Cut(good, ".")
	otherPayload, _, _ := strings.Cut(mint(h.key, "A_ADMIN", now.Add(time.Hour)), ".")
	for _, tc := range []struct {
		name    string
		token   string
		status  int
		errType string
	}{
		{"good", good, 200, ""},
		{"expired", mint(h.key, "A_OPERATOR", now.Add(-time.Second)), 401, "ExpiredToken"},
		{"expires now", mint(h.key, "A_OPERATOR", now), 401, "ExpiredToken"},
		{"forged with another key", mint([]byte("another key, 32 bytes long......"), "A_ADMIN", now.Add(time.Hour)), 401, "InvalidCredentials"},
		{"payload swapped", otherPayload + "." + mac, 401, "InvalidCredentials"},
		{"MAC cut", payload + "." + mac[:len(mac)-2], 401, "InvalidCredentials"},
		{"no MAC", payload, 401, "InvalidCredentials"},
		{"revoked key", mint(h.key, "A_REMOVED", now.Add(time.Hour)), 401, "InvalidCredentials"},
		{"expired key", mint(h.key, "A_EXPIRED", now.Add(time.Hour)), 401, "InvalidCredentials"},
		{"garbage", "!!!.???", 401, "InvalidCredentials"},
		{"too long", strings.Repeat("a", 5000) + "." + mac, 401, "InvalidCredentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := h.do(request{method: "POST", path: "/console/login", body: `{"token":"` + tc.token + `"}`, contentType: "application/json"})
			if w.Code != tc.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
			if tc.status != 200 {
				if got := errorType(t, w); got != tc.errType {
					t.Errorf("__type %q, want %q", got, tc.errType)
				}
				return
			}
			s := signedInFrom(t, w)
			if s.info["accessKeyId"] != "A_OPERATOR" || s.info["role"] != "operator" || s.info["account"] != "111111111111" {
				t.Errorf("signed in as %v", s.info)
			}
			// The session ends with the token.
			if exp := int64(s.info["expires"].(float64)); exp != now.Add(time.Hour).Unix() {
				t.Errorf("session expires %d, want the token's %d", exp, now.Add(time.Hour).Unix())
			}
		})
	}
	// A token whose MAC is right but whose payload is not what MintToken
	// writes is refused, not half-read.
	for _, p := range []string{`{"akid":"A_ADMIN"}`, `{"akid":"","exp":9999999999}`, `{"akid":"A_ADMIN","exp":9999999999,"role":"admin"}`, `[]`} {
		enc := base64url(p)
		tok := enc + "." + base64url(string(tokenMAC(h.key, enc)))
		if w := h.do(request{method: "POST", path: "/console/login", body: `{"token":"` + tok + `"}`, contentType: "application/json"}); w.Code != 401 {
			t.Errorf("payload %s: %d %s", p, w.Code, w.Body)
		}
	}
	// A token session ends by the key's expiry when that comes first.
	s := h.login(`{"token":"` + mint(h.key, "A_EXPIRING", now.Add(5*time.Hour)) + `"}`)
	if exp := int64(s.info["expires"].(float64)); exp != now.Add(time.Hour).Unix() {
		t.Errorf("session of a key expiring in 1h expires %d", exp-now.Unix())
	}
	// A server with no token key takes no tokens.
	h2 := newHarness(t, &fakeAPI{}, keys, func(o *Options) { o.TokenKey = nil; o.Now = clk.Now })
	if w := h2.do(request{method: "POST", path: "/console/login", body: `{"token":"` + good + `"}`, contentType: "application/json"}); w.Code != 401 {
		t.Errorf("token on a server without a key: %d %s", w.Code, w.Body)
	}
}

// Failed logins from one address run out; then even the right secret is
// refused until the bucket refills. Other addresses are not affected, and
// logins that work cost nothing.
func TestLoginRateLimit(t *testing.T) {
	h := newHarness(t, &fakeAPI{}, twoAccounts(t, newClock().Now()), nil)
	from := func(remote, body string) *httptest.ResponseRecorder {
		return h.do(request{method: "POST", path: "/console/login", body: body, contentType: "application/json", remote: remote})
	}
	good, bad := keyLogin("A_ADMIN", "admin-secret"), keyLogin("A_ADMIN", "guess")
	for i := range 10 {
		if w := from("192.0.2.1:1000", good); w.Code != 200 {
			t.Fatalf("good login %d: %d", i, w.Code)
		}
	}
	for i := range 5 {
		if w := from(fmt.Sprintf("192.0.2.1:%d", 1000+i), bad); w.Code != 401 {
			t.Fatalf("failure %d: %d %s", i, w.Code, w.Body)
		}
	}
	w := from("192.0.2.1:2000", good)
	if w.Code != http.StatusTooManyRequests || errorType(t, w) != "TooManyRequestsException" || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after 5 failures, the right secret: %d %s (Retry-After %q)", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	if w := from("not-an-address", good); w.Code != 200 {
		// A malformed RemoteAddr is its own client, and no crash.
		t.Errorf("login from an odd address: %d %s", w.Code, w.Body)
	}
	if w := from("192.0.2.2:1000", good); w.Code != 200 {
		t.Errorf("another address: %d %s", w.Code, w.Body)
	}
	// One IPv6 /64 is one client.
	for i := range 5 {
		from(fmt.Sprintf("[2001:db8:1:2::%x]:1000", i+1), bad)
	}
	if w := from("[2001:db8:1:2:ffff::1]:1000", good); w.Code != http.StatusTooManyRequests {
		t.Errorf("the same /64 after 5 failures: %d", w.Code)
	}
	if w := from("[2001:db8:1:3::1]:1000", good); w.Code != 200 {
		t.Errorf("another /64: %d", w.Code)
	}
	// Token failures count too.
	for range 5 {
		from("192.0.2.3:1", `{"token":"forged.token"}`)
	}
	if w := from("192.0.2.3:1", good); w.Code != http.StatusTooManyRequests {
		t.Errorf("after 5 bad tokens: %d", w.Code)
	}
	// One failure comes back every 12 seconds.
	h.clock.Add(12 * time.Second)
	if w := from("192.0.2.1:2000", good); w.Code != 200 {
		t.Fatalf("after 12s: %d %s", w.Code, w.Body)
	}
	if w := from("192.0.2.1:2000", bad); w.Code != 401 {
		t.Fatalf("one more guess after 12s: %d", w.Code)
	}
	if w := from("192.0.2.1:2000", good); w.Code != http.StatusTooManyRequests {
		t.Fatalf("and no more: %d", w.Code)
	}
}

// The limiter remembers a bounded number of addresses; while all of them
// are limited, new ones are refused rather than old ones forgotten.
func TestLoginRateLimitBound(t *testing.T) {
	h := newHarness(t, &fakeAPI{}, twoAccounts(t, newClock().Now()), func(o *Options) { o.Sessions.MaxClients = 2 })
	from := func(remote, body string) int {
		return h.do(request{method: "POST", path: "/console/login", body: body, contentType: "application/json", remote: remote}).Code
	}
	bad, good := keyLogin("A_ADMIN", "guess"), keyLogin("A_ADMIN", "admin-secret")
	from("192.0.2.1:1", bad)
	from("192.0.2.2:1", bad)
	if got := from("192.0.2.3:1", good); got != http.StatusTooManyRequests {
		t.Errorf("a third address while two are limited: %d", got)
	}
	h.clock.Add(12 * time.Second) // both buckets are full again
	if got := from("192.0.2.3:1", good); got != 200 {
		t.Errorf("a third address once the others recovered: %d", got)
	}
	if n := len(h.c.limiter.clients); n > 2 {
		t.Errorf("%d clients remembered, bound 2", n)
	}
}

func TestCookieAttributes(t *testing.T) {
	h := newHarness(t, &fakeAPI{}, twoAccounts(t, newClock().Now()), nil)
	ids := map[string]bool{}
	for _, tls := range []bool{false, true} {
		w := h.do(request{method: "POST", path: "/console/login", body: keyLogin("A_ADMIN", "admin-secret"), contentType: "application/json", tls: tls})
		if w.Code != 200 {
			t.Fatalf("tls=%v: %d %s", tls, w.Code, w.Body)
		}
		raw := w.Header().Values("Set-Cookie")
		if len(raw) != 1 {
			t.Fatalf("Set-Cookie %q", raw)
		}
		c := w.Result().Cookies()[0]
		if c.Name != CookieName || c.Path != "/console/" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tls {
			t.Errorf("tls=%v: cookie %q", tls, raw[0])
		}
		if c.MaxAge != int((12*time.Hour).Seconds()) || c.Domain != "" {
			t.Errorf("tls=%v: Max-Age %d, Domain %q", tls, c.MaxAge, c.Domain)
		}
		if len(c.Value) != 43 || ids[c.Value] { // 256 bits, base64url
			t.Errorf("session id %q", c.Value)
		}
		ids[c.Value] = true
		if !strings.Contains(raw[0], "HttpOnly") || !strings.Contains(raw[0], "SameSite=Strict") || strings.Contains(raw[0], "Secure") != tls {
			t.Errorf("tls=%v: Set-Cookie %q", tls, raw[0])
		}
	}
}

// /console/api takes a session and its CSRF token, and the API's answer
// comes back as the API gave it.
func TestAPIDoor(t *testing.T) {
	keys := twoAccounts(t, newClock().Now())
	h := newHarness(t, realAPI(t, keys), keys, nil)
	s := h.login(keyLogin("A_ADMIN", "admin-secret"))
	other := h.login(keyLogin("A_READER", "reader-secret"))
	list := func(q request) *httptest.ResponseRecorder {
		if q.method == "" {
			q.method = "POST"
		}
		q.path = "/console/api"
		if q.body == "" {
			q.body = "{}"
		}
		if q.contentType == "" {
			q.contentType = "application/x-amz-json-1.0"
		}
		if q.header == nil {
			q.header = map[string]string{}
		}
		if _, ok := q.header["X-Amz-Target"]; !ok {
			q.header["X-Amz-Target"] = "AWSStepFunctions.ListStateMachines"
		}
		return h.do(q)
	}
	for _, tc := range []struct {
		name    string
		q       request
		status  int
		errType string
	}{
		{"no cookie", request{}, 401, "SessionRequired"},
		{"unknown session", request{sess: &signedIn{cookie: strings.Repeat("x", 43), csrf: s.csrf}}, 401, "SessionRequired"},
		{"cookie, no CSRF token", request{sess: s, noCSRF: true}, 403, "InvalidCsrfToken"},
		{"cookie, wrong CSRF token", request{sess: &signedIn{cookie: s.cookie, csrf: s.csrf[:42] + "x"}}, 403, "InvalidCsrfToken"},
		{"cookie, another session's CSRF token", request{sess: &signedIn{cookie: s.cookie, csrf: other.csrf}}, 403, "InvalidCsrfToken"},
		{"cookie, CSRF token as a cookie", request{sess: s, noCSRF: true, header: map[string]string{"Cookie": CookieName + "=" + s.cookie + "; X-CSRF-Token=" + s.csrf}}, 403, "InvalidCsrfToken"},
		{"another origin", request{sess: s, header: map[string]string{"Origin": "http://127.0.0.1:9999"}}, 403, "ForbiddenOrigin"},
		{"same-site page", request{sess: s, header: map[string]string{"Sec-Fetch-Site": "same-site"}}, 403, "ForbiddenOrigin"},
		{"form", request{sess: s, contentType: "application/x-www-form-urlencoded"}, 415, "UnsupportedMediaType"},
		{"text/plain", request{sess: s, contentType: "text/plain"}, 415, "UnsupportedMediaType"},
		{"GET", request{method: "GET", sess: s}, 405, "MethodNotAllowed"},
		{"no target", request{sess: s, header: map[string]string{"X-Amz-Target": ""}}, 400, "UnknownOperationException"},
		{"bad JSON", request{sess: s, body: "{"}, 400, "SerializationException"},
		{"both", request{sess: s}, 200, ""},
		{"both, application/json", request{sess: s, contentType: "application/json"}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := list(tc.q)
			if w.Code != tc.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
			if tc.status == 200 {
				if !strings.Contains(w.Body.String(), `"stateMachines":[]`) {
					t.Errorf("ListStateMachines: %s", w.Body)
				}
				return
			}
			if got := errorType(t, w); got != tc.errType {
				t.Errorf("__type %q, want %q (%s)", got, tc.errType, w.Body)
			}
		})
	}
}

const passDef = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`

// Every call is the session principal's: its role's rules and its
// account's resources, as for a signed request.
func TestAPIActsAsTheSession(t *testing.T) {
	keys := twoAccounts(t, newClock().Now())
	h := newHarness(t, realAPI(t, keys), keys, nil)
	admin := h.login(keyLogin("A_ADMIN", "admin-secret"))
	reader := h.login(keyLogin("A_READER", "reader-secret"))
	worker := h.login(keyLogin("A_WORKER", "worker-secret"))
	b := h.login(keyLogin("B_ADMIN", "b-admin-secret"))

	w := h.call(admin, "CreateStateMachine", `{"name":"orders","roleArn":"arn:aws:iam::111111111111:role/r","definition":`+jsonString(passDef)+`}`)
	if w.Code != 200 {
		t.Fatalf("CreateStateMachine: %d %s", w.Code, w.Body)
	}
	smArn := field(t, w, "stateMachineArn")
	if !strings.Contains(smArn, ":111111111111:stateMachine:orders") {
		t.Fatalf("state machine %s is not in A's account", smArn)
	}
	w = h.call(admin, "StartExecution", `{"stateMachineArn":"`+smArn+`","name":"x1","input":"{\"pin\":\"1234\"}"}`)
	if w.Code != 200 {
		t.Fatalf("StartExecution: %d %s", w.Code, w.Body)
	}
	execArn := field(t, w, "executionArn")

	// The read-only key reads, and its Start and Stop are AccessDenied,
	// passed through as the API wrote them.
	if w := h.call(reader, "DescribeExecution", `{"executionArn":"`+execArn+`"}`); w.Code != 200 || !strings.Contains(w.Body.String(), "1234") {
		t.Errorf("reader DescribeExecution: %d %s", w.Code, w.Body)
	}
	for _, op := range []struct{ op, body string }{
		{"StartExecution", `{"stateMachineArn":"` + smArn + `"}`},
		{"StopExecution", `{"executionArn":"` + execArn + `"}`},
		{"DeleteStateMachine", `{"stateMachineArn":"` + smArn + `"}`},
	} {
		w := h.call(reader, op.op, op.body)
		if w.Code != 400 || errorType(t, w) != "AccessDeniedException" || w.Header().Get("X-Amzn-ErrorType") != "AccessDeniedException" ||
			!strings.Contains(w.Body.String(), "user/A_READER is not authorized to perform: states:"+op.op) {
			t.Errorf("reader %s: %d %s", op.op, w.Code, w.Body)
		}
	}
	if w := h.call(worker, "ListStateMachines", `{}`); errorType(t, w) != "AccessDeniedException" {
		t.Errorf("worker ListStateMachines: %d %s", w.Code, w.Body)
	}

	// Account B sees nothing of A's, whatever it names.
	if w := h.call(b, "ListStateMachines", `{}`); w.Code != 200 || strings.Contains(w.Body.String(), "orders") {
		t.Errorf("B ListStateMachines: %d %s", w.Code, w.Body)
	}
	for _, op := range []struct{ op, body string }{
		{"DescribeExecution", `{"executionArn":"` + execArn + `"}`},
		{"GetExecutionHistory", `{"executionArn":"` + execArn + `"}`},
		{"StopExecution", `{"executionArn":"` + execArn + `"}`},
		{"DescribeStateMachine", `{"stateMachineArn":"` + smArn + `"}`},
	} {
		w := h.call(b, op.op, op.body)
		if w.Code == 200 || strings.Contains(w.Body.String(), "1234") {
			t.Errorf("B %s of A's: %d %s", op.op, w.Code, w.Body)
		}
	}
	// Nor through the live stream.
	for _, tc := range []struct {
		s        *signedIn
		want     string
		forbid   string
		readable bool
	}{
		{s: b, want: "AccessDeniedException", forbid: "1234"},
		{s: reader, want: `"ExecutionStarted"`, readable: true},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		resp, err := h.stream(ctx, tc.s, "executionArn="+execArn)
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan sse, 100)
		go readEvents(t, resp.Body, ch)
		var got []string
		for ev := range ch {
			got = append(got, ev.event+" "+ev.data)
			if ev.event == "history" {
				break
			}
		}
		cancel()
		resp.Body.Close()
		all := strings.Join(got, "\n")
		if !strings.Contains(all, tc.want) || (tc.forbid != "" && strings.Contains(all, tc.forbid)) {
			t.Errorf("stream of A's execution as %v:\n%s", tc.s.info["accessKeyId"], all)
		}
		if !tc.readable && (strings.Contains(all, "execution {") || strings.Contains(all, "history {")) {
			t.Errorf("B's stream showed A's execution:\n%s", all)
		}
	}
	// The execution is still running: B's StopExecution did nothing.
	if w := h.call(admin, "DescribeExecution", `{"executionArn":"`+execArn+`"}`); !strings.Contains(w.Body.String(), `"status":"RUNNING"`) {
		t.Errorf("after B's attempts: %s", w.Body)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func field(t *testing.T, w *httptest.ResponseRecorder, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s: %v", w.Body, err)
	}
	v, _ := m[name].(string)
	if v == "" {
		t.Fatalf("%s has no %s", w.Body, name)
	}
	return v
}

// GET /console/session says who is signed in, and gives the CSRF token
// back after a reload; only with the session.
func TestSessionInfo(t *testing.T) {
	h := newHarness(t, &fakeAPI{}, twoAccounts(t, newClock().Now()), nil)
	if w := h.do(request{method: "GET", path: "/console/session"}); w.Code != 401 || errorType(t, w) != "SessionRequired" {
		t.Errorf("no session: %d %s", w.Code, w.Body)
	}
	s := h.login(keyLogin("A_OPERATOR", "operator-secret"))
	w := h.do(request{method: "GET", path: "/console/session", sess: s, noCSRF: true})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	again := signedInFromBody(t, w)
	if again["csrfToken"] != s.csrf || again["accountName"] != "payments" || again["role"] != "operator" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("session %v (Cache-Control %q)", again, w.Header().Get("Cache-Control"))
	}
	if w := h.do(request{method: "GET", path: "/console/session", sess: s, header: map[string]string{"Sec-Fetch-Site": "same-site"}}); w.Code != 403 {
		t.Errorf("a same-site page reading the session: %d", w.Code)
	}
}

func signedInFromBody(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Logout needs the CSRF token, ends the session and its open streams,
// and deletes the cookie.
func TestLogoutEndsSession(t *testing.T) {
	h := newHarness(t, &fakeAPI{status: "RUNNING", events: 2}, nil, nil)
	s := h.login(devLogin)
	keep := h.login(devLogin)
	resp, err := h.stream(context.Background(), s, "executionArn=arn:x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ch := make(chan sse, 100)
	go readEvents(t, resp.Body, ch)
	for ev := range ch {
		if ev.event == "history" && ev.id == "2" {
			break
		}
	}
	for _, tc := range []struct {
		q      request
		status int
	}{
		{request{method: "POST", path: "/console/logout"}, 401},
		{request{method: "POST", path: "/console/logout", sess: s, noCSRF: true}, 403},
		{request{method: "POST", path: "/console/logout", sess: &signedIn{cookie: s.cookie, csrf: keep.csrf}}, 403},
		{request{method: "POST", path: "/console/logout", sess: s, header: map[string]string{"Origin": "http://evil.example"}}, 403},
		{request{method: "GET", path: "/console/logout", sess: s}, 405},
	} {
		if w := h.do(tc.q); w.Code != tc.status {
			t.Errorf("%+v: %d %s", tc.q, w.Code, w.Body)
		}
	}
	if w := h.do(request{method: "GET", path: "/console/session", sess: s}); w.Code != 200 {
		t.Fatalf("refused logouts ended the session: %d", w.Code)
	}
	w := h.do(request{method: "POST", path: "/console/logout", sess: s})
	if w.Code != 200 {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	if c := w.Result().Cookies(); len(c) != 1 || c[0].Name != CookieName || c[0].MaxAge >= 0 || c[0].Value != "" {
		t.Errorf("logout cookie %v", w.Header()["Set-Cookie"])
	}
	var last sse
	for ev := range ch {
		last = ev
	}
	if last.event != "error" || !strings.Contains(last.data, `"SessionExpired"`) {
		t.Errorf("the stream's last event after logout: %+v", last)
	}
	for _, q := range []request{
		{method: "GET", path: "/console/session", sess: s},
		{method: "POST", path: "/console/api", sess: s, contentType: "application/x-amz-json-1.0", body: "{}", header: map[string]string{"X-Amz-Target": "AWSStepFunctions.ListStateMachines"}},
		{method: "POST", path: "/console/logout", sess: s},
	} {
		if w := h.do(q); w.Code != 401 {
			t.Errorf("%s %s after logout: %d %s", q.method, q.path, w.Code, w.Body)
		}
	}
	if w := h.do(request{method: "GET", path: "/console/session", sess: keep}); w.Code != 200 {
		t.Errorf("another session ended with it: %d", w.Code)
	}
	// A new sign-in from a browser with a session replaces it.
	w = h.do(request{method: "POST", path: "/console/login", body: devLogin, contentType: "application/json", sess: keep})
	if w.Code != 200 {
		t.Fatal(w.Code)
	}
	if w := h.do(request{method: "GET", path: "/console/session", sess: keep}); w.Code != 401 {
		t.Errorf("the replaced session: %d", w.Code)
	}
}

// Sessions end after the idle limit and after their lifetime, however
// busy; a stream ends with its session.
func TestSessionExpiry(t *testing.T) {
	h := newHarness(t, &fakeAPI{status: "RUNNING", events: 1}, nil, nil)
	get := func(s *signedIn) int { return h.do(request{method: "GET", path: "/console/session", sess: s}).Code }

	idle := h.login(devLogin)
	h.clock.Add(59 * time.Minute)
	if got := get(idle); got != 200 {
		t.Fatalf("after 59 idle minutes: %d", got)
	}
	h.clock.Add(60 * time.Minute)
	if got := get(idle); got != 401 {
		t.Errorf("after 60 idle minutes: %d", got)
	}

	busy := h.login(devLogin)
	for range 23 {
		h.clock.Add(30 * time.Minute)
		if got := get(busy); got != 200 {
			t.Fatalf("a session in use: %d", got)
		}
	}
	h.clock.Add(30 * time.Minute) // 12 hours
	if got := get(busy); got != 401 {
		t.Errorf("after 12 hours: %d", got)
	}

	streaming := h.login(devLogin)
	resp, err := h.stream(context.Background(), streaming, "executionArn=arn:x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ch := make(chan sse, 100)
	go readEvents(t, resp.Body, ch)
	for ev := range ch {
		if ev.event == "history" {
			break
		}
	}
	h.clock.Add(12 * time.Hour)
	var last sse
	for ev := range ch {
		last = ev
	}
	if last.event != "error" || !strings.Contains(last.data, "SessionExpired") {
		t.Errorf("the stream's last event after expiry: %+v", last)
	}
	if n := h.c.sessions.count(); n != 0 {
		t.Errorf("%d sessions kept after they all ended", n)
	}
}

// The number of sessions is bounded: past it, the one used least recently
// ends.
func TestSessionBound(t *testing.T) {
	h := newHarness(t, &fakeAPI{}, nil, func(o *Options) { o.Sessions.Max = 3 })
	var all []*signedIn
	for range 3 {
		all = append(all, h.login(devLogin))
		h.clock.Add(time.Second)
	}
	// The first is used, so the second is the least recently used.
	if w := h.do(request{method: "GET", path: "/console/session", sess: all[0]}); w.Code != 200 {
		t.Fatal(w.Code)
	}
	h.clock.Add(time.Second)
	all = append(all, h.login(devLogin))
	for i, want := range []int{200, 401, 200, 200} {
		if got := h.do(request{method: "GET", path: "/console/session", sess: all[i]}).Code; got != want {
			t.Errorf("session %d: %d, want %d", i, got, want)
		}
	}
	if n := h.c.sessions.count(); n != 3 {
		t.Errorf("%d sessions, bound 3", n)
	}
}

// /console/metrics serves the activity gauges of the session's account
// and region, and nothing else of /metrics.
func TestConsoleMetrics(t *testing.T) {
	exposition := `# HELP statecraft_activity_tasks_queued Activity tasks queued.
# TYPE statecraft_activity_tasks_queued gauge
statecraft_activity_tasks_queued{activity="arn:aws:states:us-east-1:111111111111:activity:mine"} 3
statecraft_activity_tasks_queued{activity="arn:aws:states:eu-west-1:111111111111:activity:other-region"} 4
statecraft_activity_tasks_queued{activity="arn:aws:states:us-east-1:222222222222:activity:theirs"} 5
statecraft_activity_tasks_queued{activity="arn:aws:states:us-east-1:1111111111112:activity:lookalike"} 6
# HELP statecraft_activity_pollers_waiting Pollers waiting.
# TYPE statecraft_activity_pollers_waiting gauge
statecraft_activity_pollers_waiting{activity="arn:aws:states:us-east-1:111111111111:activity:mine"} 1
statecraft_activity_pollers_waiting{activity="arn:aws:states:us-east-1:222222222222:activity:theirs"} 2
# HELP statecraft_executions_started_total Executions started.
# TYPE statecraft_executions_started_total counter
statecraft_executions_started_total 42
# HELP go_goroutines Goroutines.
# TYPE go_goroutines gauge
go_goroutines 7
`
	metricsHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, exposition)
	})
	keys := twoAccounts(t, newClock().Now())
	h := newHarness(t, &fakeAPI{}, keys, func(o *Options) { o.Metrics = metricsHandler })
	if w := h.do(request{method: "GET", path: "/console/metrics"}); w.Code != 401 {
		t.Errorf("no session: %d %s", w.Code, w.Body)
	}
	reader := h.login(keyLogin("A_READER", "reader-secret"))
	w := h.do(request{method: "GET", path: "/console/metrics", sess: reader, noCSRF: true})
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var samples []string
	for _, line := range strings.Split(w.Body.String(), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			samples = append(samples, line)
		}
	}
	want := []string{
		`statecraft_activity_tasks_queued{activity="arn:aws:states:us-east-1:111111111111:activity:mine"} 3`,
		`statecraft_activity_pollers_waiting{activity="arn:aws:states:us-east-1:111111111111:activity:mine"} 1`,
	}
	if strings.Join(samples, "\n") != strings.Join(want, "\n") {
		t.Errorf("A's metrics:\n%s", w.Body)
	}
	b := h.login(keyLogin("B_ADMIN", "b-admin-secret"))
	if w := h.do(request{method: "GET", path: "/console/metrics", sess: b}); w.Code != 200 || strings.Contains(w.Body.String(), "activity=") {
		t.Errorf("B (eu-west-1) sees: %d %s", w.Code, w.Body)
	}
	worker := h.login(keyLogin("A_WORKER", "worker-secret"))
	if w := h.do(request{method: "GET", path: "/console/metrics", sess: worker}); w.Code != 403 || errorType(t, w) != "AccessDeniedException" {
		t.Errorf("worker: %d %s", w.Code, w.Body)
	}
	h2 := newHarness(t, &fakeAPI{}, keys, nil)
	s := h2.login(keyLogin("A_ADMIN", "admin-secret"))
	if w := h2.do(request{method: "GET", path: "/console/metrics", sess: s}); w.Code != 404 {
		t.Errorf("no metrics handler: %d %s", w.Code, w.Body)
	}
}

// Nothing a client sends to the console's doors makes a 500.
func TestNoInternalErrors(t *testing.T) {
	keys := twoAccounts(t, newClock().Now())
	h := newHarness(t, realAPI(t, keys), keys, func(o *Options) {
		o.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "not { an exposition\n") })
		o.Cluster = &clusterDoor{}
	})
	s := h.login(keyLogin("A_ADMIN", "admin-secret"))
	// Logout last: it ends the session the others use.
	paths := []string{"/console/login", "/console/session", "/console/api", "/console/events", "/console/metrics", "/console/cluster", "/console/nope", "/console/logout"}
	methods := []string{"GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"}
	bodies := []string{"", "{", `{"token":null}`, `{"accessKeyId":1}`, strings.Repeat("[", 10000)}
	for _, p := range paths {
		for _, m := range methods {
			for _, b := range bodies {
				for _, sess := range []*signedIn{nil, s} {
					w := h.do(request{method: m, path: p, body: b, contentType: "application/json", sess: sess,
						header: map[string]string{"X-Amz-Target": "AWSStepFunctions.DescribeExecution"}})
					if w.Code >= 500 && !(p == "/console/metrics" && w.Code == http.StatusBadGateway) {
						t.Errorf("%s %s %q: %d %s", m, p, b, w.Code, w.Body)
					}
				}
			}
		}
	}
}

// The editing controls follow the role: only admin may change what is
// deployed, so an operator, who may start executions, sees none of them.
func TestConsoleSessionEditActions(t *testing.T) {
	h := newHarness(t, &fakeAPI{}, twoAccounts(t, newClock().Now()), nil)
	edits := []string{"CreateStateMachine", "UpdateStateMachine", "DeleteStateMachine", "UpdateStateMachineAlias"}
	for _, tc := range []struct {
		akid, secret string
		edit, start  bool
	}{
		{"A_ADMIN", "admin-secret", true, true},
		{"A_OPERATOR", "operator-secret", false, true},
		{"A_READER", "reader-secret", false, false},
		{"A_WORKER", "worker-secret", false, false},
	} {
		actions := h.login(keyLogin(tc.akid, tc.secret)).info["actions"].(map[string]any)
		for _, op := range edits {
			if actions[op] != tc.edit {
				t.Errorf("%s: actions say %s %v, want %v", tc.akid, op, actions[op], tc.edit)
			}
		}
		if actions["StartExecution"] != tc.start {
			t.Errorf("%s: actions say StartExecution %v", tc.akid, actions["StartExecution"])
		}
	}
}
