package lambdaapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/functions"
)

// A caller invokes its own account's functions: the principal's account,
// or the host's when the request carries no principal. Another account's
// function is not found by name and refused by ARN.
func TestInvokeInTheCallersAccount(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("needs node")
	}
	dir := t.TempDir()
	code := `module.exports.who = async () => ({ who: process.env.WHO });`
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	h := functions.NewHost(functions.HostOptions{})
	defer h.Close()
	const other = "210987654321"
	for _, acct := range []string{"", other} {
		f := functions.Function{Account: acct, Name: "who", Runtime: "nodejs20.x", Handler: "index.who", CodeDir: dir, Env: map[string]string{"WHO": "account " + acct}}
		if err := h.Register(f); err != nil {
			t.Fatal(err)
		}
	}
	// As the authenticating middleware will: the principal goes into the
	// request's context (here from a test header).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("X-Test-Account"); a != "" {
			r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{AccessKeyID: "k", Account: a, Role: auth.RoleAdmin, Via: "sigv4"}))
		}
		Handler(h, nil).ServeHTTP(w, r)
	}))
	defer srv.Close()
	for _, c := range []struct {
		name, account, function string
		status                  int
		errType, body           string
	}{
		{"no principal: refused", "", "who", 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"the host's account", "123456789012", "who", 200, "", `{"who":"account "}`},
		{"the other account", other, "who", 200, "", `{"who":"account ` + other + `"}`},
		{"the other account by its ARN", other, "arn:aws:lambda:us-east-1:" + other + ":function:who", 200, "", `{"who":"account ` + other + `"}`},
		{"the other account by a partial ARN", other, other + ":function:who", 200, "", `{"who":"account ` + other + `"}`},
		{"an ARN of another account", other, "arn:aws:lambda:us-east-1:123456789012:function:who", 403, "AccessDeniedException", "not authorized"},
		{"a partial ARN of another account", "123456789012", other + ":function:who", 403, "AccessDeniedException", "not authorized"},
		{"no principal, ARN of another account", "", "arn:aws:lambda:us-east-1:" + other + ":function:who", 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"an account without functions", "777788889999", "who", 404, "ResourceNotFoundException", "Function not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+"/2015-03-31/functions/"+c.function+"/invocations", strings.NewReader(`{}`))
			if c.account != "" {
				req.Header.Set("X-Test-Account", c.account)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || resp.Header.Get("X-Amzn-ErrorType") != c.errType || !strings.Contains(string(b), c.body) {
				t.Fatalf("%s %q %s, want %d %q with %s", resp.Status, resp.Header.Get("X-Amzn-ErrorType"), b, c.status, c.errType, c.body)
			}
		})
	}
}
