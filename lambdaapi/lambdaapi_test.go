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
	srv := httptest.NewServer(Handler(h, nil))
	defer srv.Close()
	post := func(path, body string, hdr map[string]string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
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
