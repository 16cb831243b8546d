package lambdaapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/functions"
)

func TestInvokeAPI(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("needs node")
	}
	dir := t.TempDir()
	code := `module.exports.ok = async (e) => ({ echo: e });
module.exports.boom = async () => { const err = new Error('nope'); err.name = 'BoomError'; throw err };`
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	h := functions.NewHost(functions.HostOptions{})
	defer h.Close()
	for _, name := range []string{"ok", "boom"} {
		if err := h.Register(functions.Function{Name: name, Runtime: "nodejs20.x", Handler: "index." + name, CodeDir: dir}); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := auth.NewKeyring([]auth.Account{{ID: "123456789012", Keys: []auth.Key{
		{AccessKeyID: "OPERATOR", SecretAccessKey: "operator-secret", Role: auth.RoleOperator},
		{AccessKeyID: "WORKER", SecretAccessKey: "worker-secret", Role: auth.RoleWorker},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	a := &auth.Authenticator{Keyring: keys, Service: SigningName}
	srv := httptest.NewServer(a.Middleware(MaxRequest+1, AuthError, Handler(h, nil)))
	defer srv.Close()
	sendAs := func(akid, secret, path, body string, hdr map[string]string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if akid != "" {
			sum := sha256.Sum256([]byte(body))
			if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret},
				req, hex.EncodeToString(sum[:]), SigningName, "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	post := func(path, body string, hdr map[string]string) (*http.Response, string) {
		return sendAs("OPERATOR", "operator-secret", path, body, hdr)
	}
	// Every invocation is signed, by a role that may invoke.
	for _, c := range []struct {
		name, akid, secret string
		status             int
		errType            string
	}{
		{"unsigned", "", "", 403, "MissingAuthenticationTokenException"},
		{"wrong secret", "OPERATOR", "not-the-secret", 403, "InvalidSignatureException"},
		{"unknown key", "NOBODY", "operator-secret", 403, "UnrecognizedClientException"},
		{"worker role", "WORKER", "worker-secret", 403, "AccessDeniedException"},
	} {
		resp, body := sendAs(c.akid, c.secret, "/2015-03-31/functions/ok/invocations", `{}`, nil)
		if resp.StatusCode != c.status || resp.Header.Get("X-Amzn-ErrorType") != c.errType {
			t.Errorf("%s: %d %s %s, want %d %s", c.name, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body, c.status, c.errType)
		}
	}
	cases := []struct {
		name, path, body string
		hdr              map[string]string
		status           int
		funcErr, errType string
		bodyHas          string
	}{
		{"success", "/2015-03-31/functions/ok/invocations", `{"a":1}`, nil, 200, "", "", `{"echo":{"a":1}}`},
		{"by ARN with qualifier", "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:ok:$LATEST/invocations", `{}`, nil, 200, "", "", `{"echo":{}}`},
		{"handler error", "/2015-03-31/functions/boom/invocations", `{}`, nil, 200, "Unhandled", "", `"errorType":"BoomError"`},
		{"missing function", "/2015-03-31/functions/nope/invocations", `{}`, nil, 404, "", "ResourceNotFoundException", "Function not found"},
		{"not JSON", "/2015-03-31/functions/ok/invocations", `{`, nil, 400, "", "InvalidRequestContentException", ""},
		{"async event", "/2015-03-31/functions/ok/invocations", `{}`, map[string]string{"X-Amz-Invocation-Type": "Event"}, 202, "", "", ""},
		{"dry run", "/2015-03-31/functions/ok/invocations", `{}`, map[string]string{"X-Amz-Invocation-Type": "DryRun"}, 204, "", "", ""},
		{"bad invocation type", "/2015-03-31/functions/ok/invocations", `{}`, map[string]string{"X-Amz-Invocation-Type": "Later"}, 400, "", "InvalidParameterValueException", ""},
		{"other operation", "/2015-03-31/functions/ok", `{}`, nil, 404, "", "ResourceNotFoundException", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := post(c.path, c.body, c.hdr)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, c.status, body)
			}
			if got := resp.Header.Get("X-Amz-Function-Error"); got != c.funcErr {
				t.Fatalf("X-Amz-Function-Error %q, want %q", got, c.funcErr)
			}
			if got := resp.Header.Get("X-Amzn-ErrorType"); got != c.errType {
				t.Fatalf("X-Amzn-ErrorType %q, want %q", got, c.errType)
			}
			if !strings.Contains(body, c.bodyHas) {
				t.Fatalf("body %s, want it to contain %s", body, c.bodyHas)
			}
		})
	}
}
