package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/cli"
	"github.com/statecraft/statecraft/console"
)

// refusals accepts Chromium's notes of the console's doors answering 401
// or 403, which the tests below provoke on purpose.
func refusals(endpoint string) func(chromedp.ConsoleMessage) bool {
	return func(m chromedp.ConsoleMessage) bool {
		return m.Source == "network" && strings.HasPrefix(m.URL, endpoint+"/console/") &&
			(strings.Contains(m.Text, "status of 401") || strings.Contains(m.Text, "status of 403"))
	}
}

const waitDef = `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":86400,"End":true}}}`

// Without a session the page shows the sign-in form, and every door of
// the console refuses, from the page and from anywhere else; a wrong
// secret is said so; signing out closes the doors again.
func TestConsoleInBrowserNeedsSession(t *testing.T) {
	srv := startServer(t)
	sm := srv.call("CreateStateMachine", map[string]any{"name": "guarded", "definition": waitDef, "roleArn": role})
	smArn := sm["stateMachineArn"].(string)
	execArn := srv.call("StartExecution", map[string]any{"stateMachineArn": smArn, "name": "held", "input": `{"pin":"1234"}`})["executionArn"].(string)
	ctx := browser(t, refusals(srv.endpoint), func(m chromedp.ConsoleMessage) bool {
		// An EventSource refused with a JSON 401 is aborted with a note.
		return strings.Contains(m.Text, "EventSource")
	})
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}

	sh.step("open the console",
		chromedp.Navigate(srv.endpoint+"/console/#/executions/"+urlEscape(execArn)),
		chromedp.WaitVisible(chromedp.CSS(`#login-keys`)),
		chromedp.WaitVisible(chromedp.CSS(`#login-token`)),
	)
	if got := sh.eval(`String(!document.querySelector('#machines') && !document.querySelector('#graph') && document.querySelector('#nav').hidden && document.querySelector('#user').hidden && !document.body.textContent.includes('1234'))`); got != "true" {
		t.Errorf("signed out, the page shows more than the sign-in form")
	}
	sh.shot("sign-in")

	// From the page's own origin, without a session, every door refuses.
	doors := fmt.Sprintf(`(async () => {
		const arn = %s;
		const st = async (p) => (await p).status;
		const out = {
			api: await st(fetch('/console/api', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/x-amz-json-1.0',
				'X-Amz-Target': 'AWSStepFunctions.DescribeExecution', 'X-CSRF-Token': 'a-guess' } })),
			events: await st(fetch('/console/events?executionArn=' + encodeURIComponent(arn))),
			metrics: await st(fetch('/console/metrics')),
			session: await st(fetch('/console/session')),
			logout: await st(fetch('/console/logout', { method: 'POST', headers: { 'X-CSRF-Token': 'a-guess' } })),
		};
		out.eventSource = await new Promise((resolve) => {
			const es = new EventSource('/console/events?executionArn=' + encodeURIComponent(arn));
			es.onmessage = () => { es.close(); resolve('message'); };
			es.addEventListener('history', () => { es.close(); resolve('history'); });
			es.onerror = () => { resolve(es.readyState === EventSource.CLOSED ? 'closed' : 'retrying'); es.close(); };
		});
		return JSON.stringify(out);
	})()`, q(execArn))
	want := `{"api":401,"events":401,"metrics":401,"session":401,"logout":401,"eventSource":"closed"}`
	if got := sh.evalAsync(doors); got != want {
		t.Errorf("without a session, from the page: %s, want %s", got, want)
	}

	// From anywhere else too.
	for _, tc := range []struct {
		method, path, ctype, target string
		status                      int
		errType                     string
	}{
		{"GET", "/console/session", "", "", 401, "SessionRequired"},
		{"GET", "/console/events?executionArn=" + urlEscape(execArn), "", "", 401, "SessionRequired"},
		{"GET", "/console/metrics", "", "", 401, "SessionRequired"},
		{"POST", "/console/api", "application/x-amz-json-1.0", "StopExecution", 401, "SessionRequired"},
		{"POST", "/console/logout", "application/json", "", 401, "SessionRequired"},
		{"POST", "/", "application/x-amz-json-1.0", "StopExecution", 400, "MissingAuthenticationTokenException"},
	} {
		req, _ := http.NewRequest(tc.method, srv.endpoint+tc.path, strings.NewReader(`{"executionArn":"`+execArn+`"}`))
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		if tc.target != "" {
			req.Header.Set("X-Amz-Target", "AWSStepFunctions."+tc.target)
		}
		req.Header.Set(console.CSRFHeader, "a-guess")
		req.AddCookie(&http.Cookie{Name: console.CookieName, Value: strings.Repeat("A", 43)})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.errType) || strings.Contains(string(b), "1234") {
			t.Errorf("%s %s without a session: %d %s", tc.method, tc.path, resp.StatusCode, b)
		}
	}

	// A wrong secret: the form says so, and nothing opens.
	sh.step("sign in with a wrong secret",
		chromedp.SendKeys(chromedp.CSS(`#login-akid`), "local"),
		chromedp.SendKeys(chromedp.CSS(`#login-secret`), "not-the-secret"),
		chromedp.Click(chromedp.CSS(`#login-submit`)),
	)
	sh.wait("the error shown", `!document.querySelector('#login-error').hidden && document.querySelector('#login-error').textContent.includes('not valid') && !document.querySelector('#login-submit').disabled`)
	sh.shot("wrong-secret")
	if got := sh.evalAsync(`fetch('/console/session').then(r => String(r.status))`); got != "401" {
		t.Errorf("after a wrong secret, the session: %s", got)
	}
	// A forged token: the same.
	sh.step("sign in with a forged token",
		chromedp.SendKeys(chromedp.CSS(`#login-token-input`), "eyJha2lkIjoibG9jYWwiLCJleHAiOjk5OTk5OTk5OTl9.forged"),
		chromedp.Click(chromedp.CSS(`#login-token-submit`)),
	)
	sh.wait("the error shown", `document.querySelector('#login-error').textContent.includes('invalid console token')`)

	// The right secret opens the page asked for.
	sh.step("sign in",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#login-secret').value = ''`),
		chromedp.SendKeys(chromedp.CSS(`#login-secret`), "local"),
		chromedp.Click(chromedp.CSS(`#login-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#whoami`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.node[data-state="Hold"]`)),
	)
	sh.wait("the execution's input shown", `document.querySelector('#exec-io').textContent.includes('1234')`)
	oldCSRF := sh.evalAsync(`fetch('/console/session').then(r => r.json()).then(s => s.csrfToken)`)
	sh.shot("signed-in")

	// Signing out: the form again, and the old CSRF token opens nothing.
	sh.step("sign out",
		chromedp.Click(chromedp.CSS(`#signout`)),
		chromedp.WaitVisible(chromedp.CSS(`#login-keys`)),
	)
	if got := sh.eval(`document.querySelector('#login-error').textContent`); got != "Signed out." {
		t.Errorf("after signing out the page says %q", got)
	}
	if got := sh.evalAsync(fmt.Sprintf(`fetch('/console/api', { method: 'POST', body: JSON.stringify({ executionArn: %s }), headers: {
		'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AWSStepFunctions.StopExecution', 'X-CSRF-Token': %s } }).then(r => String(r.status))`, q(execArn), q(oldCSRF))); got != "401" {
		t.Errorf("StopExecution with the signed-out session's token: %s", got)
	}
	if got := srv.call("DescribeExecution", map[string]any{"executionArn": execArn})["status"]; got != "RUNNING" {
		t.Errorf("the execution is %v after the refused requests", got)
	}
	sh.shot("signed-out")
}

// observed is one request the victim's browser sent to the server, and
// its answer.
type observed struct {
	method, url string
	typ         network.ResourceType
	status      int64
	cookie      bool // the session cookie went with it
}

// A page on another origin (another port of 127.0.0.1: the same site, so
// that even SameSite=Strict lets the browser send the session cookie)
// posts forms of both enctypes a page can send without a preflight to
// every console action and every AWS-protocol door, and tries fetch with
// no-cors and with credentials, while the victim's browser has a live
// console session. Nothing it sends has any effect: no state machine,
// execution, sign-in, sign-out or function run, as the signed API says
// afterwards; the session is still the victim's.
func TestConsoleCrossOriginAttacks(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "function-ran")
	fn := filepath.Join(dir, "functions")
	if err := os.MkdirAll(fn, 0o755); err != nil {
		t.Fatal(err)
	}
	// A function that leaves a mark when it runs.
	if err := os.WriteFile(filepath.Join(fn, "x.js"), []byte(`const fs = require('fs');
exports.handler = async (event) => { fs.appendFileSync(process.env.MARKER, JSON.stringify(event) + '\n'); return { ran: true }; };
`), 0o644); err != nil {
		t.Fatal(err)
	}
	project := filepath.Join(dir, "statecraft.yaml")
	if err := os.WriteFile(project, []byte(fmt.Sprintf(`functions:
  x:
    runtime: nodejs20.x
    handler: x.handler
    code: ./functions
    environment: { MARKER: %q }
`, marker)), 0o644); err != nil {
		t.Fatal(err)
	}
	o := cli.DefaultServerOptions()
	o.Project = project
	srv := startServerWith(t, o)
	sm := srv.call("CreateStateMachine", map[string]any{"name": "victim", "definition": waitDef, "roleArn": role})
	smArn := sm["stateMachineArn"].(string)
	execArn := srv.call("StartExecution", map[string]any{"stateMachineArn": smArn, "name": "running", "input": `{"secret":"s3cr3t"}`})["executionArn"].(string)

	// The attacker's page on another port.
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, attackPage(srv.endpoint, smArn, execArn))
	}))
	defer attacker.Close()
	if !strings.HasPrefix(attacker.URL, "http://127.0.0.1:") || attacker.URL == srv.endpoint {
		t.Fatalf("attacker at %s, victim at %s", attacker.URL, srv.endpoint)
	}

	// The attacker's page logs its refusals and CORS failures: that is
	// its business.
	ctx := browser(t, func(chromedp.ConsoleMessage) bool { return true })
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}
	sh.signIn(srv.endpoint)
	before := sh.evalAsync(`fetch('/console/session').then(r => r.json()).then(s => s.csrfToken)`)
	cookieBefore := sessionCookie(t, ctx, srv.endpoint)

	var mu sync.Mutex
	seen := map[network.RequestID]*observed{}
	lctx, stopListening := context.WithCancel(ctx)
	defer stopListening()
	if err := chromedp.Listen(lctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if strings.HasPrefix(e.Request.URL, srv.endpoint+"/") {
				seen[e.RequestID] = &observed{method: e.Request.Method, url: strings.TrimPrefix(e.Request.URL, srv.endpoint), typ: e.Type}
			}
		case *network.EventRequestWillBeSentExtraInfo:
			if o, ok := seen[e.RequestID]; ok {
				for _, c := range e.AssociatedCookies {
					if c.Cookie != nil && c.Cookie.Name == console.CookieName && len(c.BlockedReasons) == 0 {
						o.cookie = true
					}
				}
			}
		case *network.EventResponseReceived:
			if o, ok := seen[e.RequestID]; ok {
				o.status = e.Response.Status
				o.typ = e.Type
			}
		}
	}); err != nil {
		t.Fatal(err)
	}

	sh.step("open the attacker's page", chromedp.Navigate(attacker.URL+"/"))
	sh.wait("every attack sent and settled", `window.__expected > 0 && window.__done === window.__expected && window.__stolen !== 'nothing'`)
	sh.shot("attacker")
	// Every door was reached: a form post of each enctype got an answer
	// from each (so the test would see them succeed, had they).
	answered := func() (map[string]int, []observed) {
		mu.Lock()
		defer mu.Unlock()
		forms := map[string]int{}
		var all []observed
		for _, o := range seen {
			all = append(all, *o)
			if o.method == "POST" && o.typ == network.ResourceTypeDocument && o.status != 0 {
				forms[o.url]++
			}
		}
		return forms, all
	}
	paths := []string{"/console/api", "/console/login", "/console/logout", "/", "/statecraft/v1/deploy", "/2015-03-31/functions/x/invocations"}
	deadline := time.Now().Add(time.Minute)
	for {
		forms, _ := answered()
		done := true
		for _, p := range paths {
			done = done && forms[p] >= 2
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("form posts answered: %v", forms)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopListening()
	_, all := answered()
	sort.Slice(all, func(i, j int) bool { return all[i].url+all[i].method < all[j].url+all[j].method })
	withCookie := 0
	for _, o := range all {
		t.Logf("%s %s (%s): %d, session cookie sent: %v", o.method, o.url, o.typ, o.status, o.cookie)
		if o.status >= 200 && o.status < 300 && o.method != "GET" && o.method != "OPTIONS" {
			t.Errorf("%s %s (%s) was answered %d", o.method, o.url, o.typ, o.status)
		}
		if o.url == "/console/session" && o.status != 0 && o.status != http.StatusForbidden {
			t.Errorf("the attacker's read of /console/session was answered %d", o.status)
		}
		if o.cookie && strings.HasPrefix(o.url, "/console/") {
			withCookie++
		}
	}
	t.Logf("%d of the attacker's requests to the console carried the victim's session cookie", withCookie)
	if got := sh.eval(`window.__stolen`); !strings.HasPrefix(got, "blocked") {
		t.Errorf("the attacker read /console/session: %s", got)
	}
	if got := sh.eval(`JSON.stringify(window.__log)`); strings.Contains(got, "s3cr3t") || strings.Contains(got, "csrfToken") {
		t.Errorf("the attacker's page read: %s", got)
	}
	t.Logf("the attacker's page saw: %s", sh.eval(`window.__log.join('\n')`))

	// Nothing happened: the signed API says so.
	var names []string
	for _, m := range srv.call("ListStateMachines", map[string]any{})["stateMachines"].([]any) {
		names = append(names, m.(map[string]any)["name"].(string))
	}
	if !slices.Equal(names, []string{"victim"}) {
		t.Errorf("state machines after the attack: %v", names)
	}
	xs := srv.call("ListExecutions", map[string]any{"stateMachineArn": smArn})["executions"].([]any)
	if len(xs) != 1 || xs[0].(map[string]any)["name"] != "running" || xs[0].(map[string]any)["status"] != "RUNNING" {
		t.Errorf("executions after the attack: %v", xs)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		b, _ := os.ReadFile(marker)
		t.Errorf("the function ran: %v %s", err, b)
	}
	// The victim is still signed in, with the same session.
	if got := sessionCookie(t, ctx, srv.endpoint); got != cookieBefore {
		t.Errorf("the session cookie changed from %q to %q", cookieBefore, got)
	}
	sh.step("back to the console",
		chromedp.Navigate(srv.endpoint+"/console/#/executions/"+urlEscape(execArn)),
		chromedp.WaitVisible(chromedp.CSS(`#whoami`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.node[data-state="Hold"]`)),
	)
	if after := sh.evalAsync(`fetch('/console/session').then(r => r.json()).then(s => s.csrfToken)`); after != before {
		t.Errorf("the session's CSRF token changed")
	}
	sh.wait("still running", `document.querySelector('#exec-status').dataset.status === 'RUNNING'`)

	// The doors the attack knocked on do work for their rightful callers,
	// so their refusals above were refusals: the signed invocation runs
	// the function, and the page's own Stop stops the execution.
	req, _ := http.NewRequest("POST", srv.endpoint+"/2015-03-31/functions/x/invocations", bytes.NewReader([]byte(`{"signed":true}`)))
	resp, err := authtest.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"ran":true`) {
		t.Errorf("signed invocation: %d %s", resp.StatusCode, b)
	}
	if b, err := os.ReadFile(marker); err != nil || strings.TrimSpace(string(b)) != `{"signed":true}` {
		t.Errorf("marker after the signed invocation: %q %v", b, err)
	}
	sh.step("stop from the console", chromedp.Click(chromedp.CSS(`#stop`)))
	sh.wait("aborted", `document.querySelector('#exec-status').dataset.status === 'ABORTED'`)
}

// sessionCookie is the browser's console session cookie for endpoint.
func sessionCookie(t *testing.T, ctx context.Context, endpoint string) string {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{endpoint + "/console/"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == console.CookieName {
			return c.Value
		}
	}
	t.Fatal("the browser has no session cookie")
	return ""
}

// attackPage is the attacker's page: it fires every request at once,
// and counts them as they settle in window.__done.
func attackPage(endpoint, smArn, execArn string) string {
	targets := []struct {
		Path string         `json:"path"`
		Body map[string]any `json:"body"`
	}{
		{"/console/api", map[string]any{"executionArn": execArn, "error": "Evil", "cause": "cross-origin form"}},
		{"/console/login", map[string]any{"accessKeyId": "local", "secretAccessKey": "local"}},
		{"/console/logout", map[string]any{}},
		{"/", map[string]any{"stateMachineArn": smArn, "name": "evil-run", "executionArn": execArn}},
		{"/statecraft/v1/deploy", map[string]any{"stateMachines": map[string]any{"evil": map[string]any{"definition": waitDef}},
			"functions": map[string]any{"evil": map[string]any{"runtime": "go1.x", "handler": "perl", "codeDir": "/usr/bin"}}}},
		{"/2015-03-31/functions/x/invocations", map[string]any{"evil": true}},
	}
	tj, _ := json.Marshal(targets)
	return `<!doctype html><html><head><meta charset="utf-8"><title>Free prizes</title></head><body><h1>Nothing to see here</h1>
<script>
const victim = ` + q(endpoint) + `;
const targets = ` + string(tj) + `;
window.__expected = 0; window.__done = 0; window.__log = []; window.__stolen = 'nothing';
const settle = () => { window.__done++; };
// A form that a page can post anywhere without a preflight, with a body
// that is JSON once the browser joins name and value with "=".
function formPost(path, enctype, body) {
  const name = 'frame' + (window.__expected++);
  const frame = document.createElement('iframe');
  frame.name = name;
  document.body.appendChild(frame);
  frame.addEventListener('load', settle, { once: true });
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = victim + path;
  form.enctype = enctype;
  form.target = name;
  const json = JSON.stringify(body);
  const input = document.createElement('input');
  input.type = 'hidden';
  input.name = json.slice(0, -1) + (json.length > 2 ? ',' : '') + '"pad":"';
  input.value = '"}';
  form.appendChild(input);
  document.body.appendChild(form);
  form.submit();
}
async function tryFetch(path, init, what) {
  window.__expected++;
  try {
    const r = await fetch(victim + path, init);
    let text = '';
    try { text = await r.text(); } catch (e) { text = 'unreadable'; }
    window.__log.push(what + ' ' + path + ': ' + r.type + ' ' + r.status + ' ' + text.slice(0, 200));
  } catch (e) {
    window.__log.push(what + ' ' + path + ': blocked (' + e.message + ')');
  }
  settle();
}
for (const t of targets) {
  formPost(t.path, 'application/x-www-form-urlencoded', t.body);
  formPost(t.path, 'text/plain', t.body);
  tryFetch(t.path, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(t.body) }, 'no-cors');
  tryFetch(t.path, { method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: { 'X-Amz-Target': 'AWSStepFunctions.StopExecution', 'X-CSRF-Token': 'guess' }, body: JSON.stringify(t.body) }, 'no-cors with headers');
  tryFetch(t.path, { method: 'POST', mode: 'cors', credentials: 'include',
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AWSStepFunctions.StopExecution', 'X-CSRF-Token': 'guess' },
    body: JSON.stringify(t.body) }, 'cors');
}
// Reading the session would give the CSRF token.
fetch(victim + '/console/session', { credentials: 'include' })
  .then((r) => r.text()).then((t) => { window.__stolen = t; }, (e) => { window.__stolen = 'blocked (' + e.message + ')'; });
</script></body></html>`
}

// With credentials configured, a read-only key signs in (here with a
// console token minted from the data directory, as `statecraft
// console-token` does), reads everything of its account, and is offered
// no Start or Stop; the API's AccessDenied reaches the page as a typed
// error; the development pair does not sign in at all.
func TestConsoleInBrowserReadOnly(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.yaml")
	if err := os.WriteFile(creds, []byte(`accounts:
  - id: "111122223333"
    name: payments
    keys:
      - accessKeyId: E2EADMIN
        secretAccessKey: e2e-admin-secret
        role: admin
      - accessKeyId: E2EREADER
        secretAccessKey: e2e-reader-secret
        role: read-only
`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := cli.DefaultServerOptions()
	o.Credentials = creds
	srv := startServerWith(t, o)
	srv.client = &http.Client{Transport: &authtest.Transport{AccessKeyID: "E2EADMIN", SecretAccessKey: "e2e-admin-secret"}}
	const readerRole = "arn:aws:iam::111122223333:role/statecraft-console"
	smArn := srv.call("CreateStateMachine", map[string]any{"name": "ledger", "definition": waitDef, "roleArn": readerRole})["stateMachineArn"].(string)
	execArn := srv.call("StartExecution", map[string]any{"stateMachineArn": smArn, "name": "posting"})["executionArn"].(string)
	if !strings.Contains(execArn, ":111122223333:") {
		t.Fatalf("execution %s", execArn)
	}

	ctx := browser(t, refusals(srv.endpoint), func(m chromedp.ConsoleMessage) bool {
		// The API's AccessDeniedException, provoked below.
		return m.Source == "network" && m.URL == srv.endpoint+"/console/api" && strings.Contains(m.Text, "status of 400")
	})
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}
	sh.step("open the console",
		chromedp.Navigate(srv.endpoint+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`#login-keys`)),
	)
	sh.step("the development pair",
		chromedp.SendKeys(chromedp.CSS(`#login-akid`), "local"),
		chromedp.SendKeys(chromedp.CSS(`#login-secret`), "local"),
		chromedp.Click(chromedp.CSS(`#login-submit`)),
	)
	sh.wait("refused", `!document.querySelector('#login-error').hidden && !document.querySelector('#whoami')`)

	key, err := console.ReadKey(srv.data)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := console.MintToken(key, "E2EREADER", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sh.step("sign in with a console token",
		chromedp.SendKeys(chromedp.CSS(`#login-token-input`), tok),
		chromedp.Click(chromedp.CSS(`#login-token-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#whoami`)),
		chromedp.WaitVisible(chromedp.CSS(`#machines a.machine-link`)),
	)
	if got := sh.eval(`document.querySelector('#whoami').textContent`); got != "Signed in as E2EREADER (111122223333 payments, read-only)" {
		t.Errorf("signed-in indicator %q", got)
	}
	sh.step("open the machine",
		chromedp.Click(chromedp.CSS(`#machines a.machine-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#start-denied`)),
		chromedp.WaitVisible(chromedp.CSS(`#executions a.execution-link`)),
	)
	if got := sh.eval(`String(!document.querySelector('#start') && document.querySelector('#start-denied').textContent.includes('read-only'))`); got != "true" {
		t.Errorf("a read-only session is offered Start")
	}
	sh.shot("read-only-machine")
	sh.step("open the execution",
		chromedp.Click(chromedp.CSS(`#executions a.execution-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.node[data-state="Hold"]`)),
	)
	sh.wait("live, and no Stop", `document.querySelector('#live').textContent.includes('live') && document.querySelector('#stop').hidden`)
	sh.shot("read-only-execution")
	// Had the page sent it, StopExecution is refused by the API, and the
	// page gets the API's typed error.
	got := sh.evalAsync(fmt.Sprintf(`import('/console/app.js').then((m) => m.api('StopExecution', { executionArn: %s }))
		.then(() => 'stopped', (e) => e.type + ': ' + e.detail)`, q(execArn)))
	if !strings.HasPrefix(got, "AccessDeniedException: User: arn:aws:iam::111122223333:user/E2EREADER is not authorized to perform: states:StopExecution") {
		t.Errorf("StopExecution as read-only: %s", got)
	}
	if got := srv.call("DescribeExecution", map[string]any{"executionArn": execArn})["status"]; got != "RUNNING" {
		t.Errorf("the execution is %v", got)
	}
}
