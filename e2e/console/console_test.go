// Package console is the browser test of the web console: it runs the
// real server (cli.Server, as `statecraft server` runs it, with no
// credentials configured: the development pair local/local) on 127.0.0.1
// in process, and drives headless Chromium (Debian package chromium,
// /usr/bin/chromium) with chromedp. Each browser test signs in through the
// console's form first. The test plays the activity worker through the
// public API, with SigV4-signed requests, so the execution moves only
// when the test says: nothing here depends on how fast anything is.
// Screenshots go to $STATECRAFT_ARTIFACTS (or a temporary directory) as
// PNG files.
package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/cli"
	"github.com/statecraft/statecraft/console"
)

const (
	region  = "us-east-1"
	account = "123456789012"
	role    = "arn:aws:iam::123456789012:role/statecraft-console"
)

// server is a Statecraft server for one test.
type server struct {
	t        *testing.T
	endpoint string
	data     string
	// client signs the test's own API calls: the development pair, or
	// with credentials configured, an admin key of them.
	client *http.Client
}

func startServer(t *testing.T) *server {
	t.Helper()
	return startServerWith(t, cli.DefaultServerOptions())
}

// syncBuffer collects the server's log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServerWith runs `statecraft server` with o, on a free loopback
// port and a new data directory, until the test ends.
func startServerWith(t *testing.T, o cli.ServerOptions) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o.Listen, o.Data, o.NoSync = addr, t.TempDir(), true
	o.LogFormat, o.LogLevel = "json", "warn"
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cli.Server(ctx, o, io.Discard, logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the server did not stop")
		}
		if strings.Contains(logs.String(), `"msg":"shutdown"`) {
			t.Errorf("shutdown was held up (a live stream left open?)")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	endpoint := "http://" + addr
	for range 400 {
		resp, err := http.Get(endpoint + "/console/")
		if err == nil {
			resp.Body.Close()
			return &server{t: t, endpoint: endpoint, data: o.Data, client: authtest.Client}
		}
		select {
		case err := <-done:
			t.Fatalf("the server stopped: %v\n%s", err, logs.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	t.Fatalf("the server never answered\n%s", logs.String())
	return nil
}

// session is a console session opened from Go, as the page opens one.
type session struct {
	cookie *http.Cookie
	csrf   string
}

func (s *server) signIn(body string) *session {
	s.t.Helper()
	resp, err := http.Post(s.endpoint+"/console/login", "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		CSRF string `json:"csrfToken"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("login: %s %v", resp.Status, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == console.CookieName {
			return &session{cookie: c, csrf: info.CSRF}
		}
	}
	s.t.Fatal("login set no cookie")
	return nil
}

// call runs one operation of the public API.
func (s *server) call(op string, in any) map[string]any {
	s.t.Helper()
	out, err := s.try(op, in)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

func (s *server) try(op string, in any) (map[string]any, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, s.endpoint+"/", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", op, err, body)
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("%s: %d %s", op, resp.StatusCode, body)
	}
	return out, nil
}

// task waits for the next task of an activity (GetActivityTask long-polls)
// and returns its token and input.
func (s *server) task(activityArn string) (string, string) {
	s.t.Helper()
	for range 24 {
		out := s.call("GetActivityTask", map[string]any{"activityArn": activityArn, "workerName": "e2e"})
		if tok, _ := out["taskToken"].(string); tok != "" {
			in, _ := out["input"].(string)
			return tok, in
		}
	}
	s.t.Fatalf("no task for %s", activityArn)
	return "", ""
}

// definition has every state type: Pass, Choice (rules and Default), Task
// (activity, with Retry and Catch), Parallel with two branches, Wait, Map
// with an item processor, Succeed and Fail.
func definition(activityArn string) string {
	def := map[string]any{
		"Comment": "Console end-to-end test",
		"StartAt": "Prepare",
		"States": map[string]any{
			"Prepare": map[string]any{"Type": "Pass", "Result": map[string]any{"prepared": true}, "ResultPath": "$.prep", "Next": "Route"},
			"Route": map[string]any{
				"Type": "Choice",
				"Choices": []any{
					map[string]any{"Variable": "$.mode", "StringEquals": "skip", "Next": "Done"},
					map[string]any{"And": []any{
						map[string]any{"Variable": "$.count", "IsPresent": true},
						map[string]any{"Variable": "$.count", "NumericGreaterThan": 100},
					}, "Next": "TooMany"},
				},
				"Default": "DoWork",
			},
			"DoWork": map[string]any{
				"Type":       "Task",
				"Resource":   activityArn,
				"ResultPath": "$.work",
				"Retry":      []any{map[string]any{"ErrorEquals": []any{"Transient"}, "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1}},
				"Catch":      []any{map[string]any{"ErrorEquals": []any{"States.ALL"}, "ResultPath": "$.error", "Next": "TooMany"}},
				"Next":       "FanOut",
			},
			"FanOut": map[string]any{
				"Type":       "Parallel",
				"ResultPath": "$.fan",
				"Branches": []any{
					map[string]any{"StartAt": "Left", "States": map[string]any{
						"Left":  map[string]any{"Type": "Pass", "Result": "left", "Next": "Pause"},
						"Pause": map[string]any{"Type": "Wait", "Seconds": 1, "End": true},
					}},
					map[string]any{"StartAt": "Right", "States": map[string]any{
						"Right": map[string]any{"Type": "Pass", "Result": "right", "End": true},
					}},
				},
				"Next": "EachItem",
			},
			"EachItem": map[string]any{
				"Type":       "Map",
				"ItemsPath":  "$.items",
				"ResultPath": "$.doubled",
				"ItemProcessor": map[string]any{
					"ProcessorConfig": map[string]any{"Mode": "INLINE"},
					"StartAt":         "Double",
					"States": map[string]any{
						"Double": map[string]any{"Type": "Pass", "Parameters": map[string]any{"n.$": "$"}, "End": true},
					},
				},
				"Next": "Done",
			},
			"Done":    map[string]any{"Type": "Succeed"},
			"TooMany": map[string]any{"Type": "Fail", "Error": "TooMany", "Cause": "count above 100"},
		},
	}
	b, _ := json.Marshal(def)
	return string(b)
}

// browser starts headless Chromium for one test. The test fails when
// Chromium is missing: a console test that is skipped proves nothing. It
// fails too when the page logs an error or throws, but for the 401 the
// console's first look at its session gets before signing in, and for
// any message allow accepts.
func browser(t *testing.T, allow ...func(chromedp.ConsoleMessage) bool) context.Context {
	t.Helper()
	path := os.Getenv("STATECRAFT_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if p, lerr := exec.LookPath("chromium"); lerr == nil {
			path = p
		} else {
			t.Fatalf("the console browser tests need headless Chromium at /usr/bin/chromium, and it is missing (%v): "+
				"install the Debian package chromium (apt-get install -y chromium), or set STATECRAFT_CHROMIUM to a Chromium binary", err)
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1500, 1100),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// Every run of the test is bounded; a wait that never ends fails it.
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	// Start the browser now, so that a browser that cannot start fails
	// here with its own error, and collect what the page logs.
	var mu sync.Mutex
	var problems []string
	msgs := chromedp.Console(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleError {
				if signedOutLook(m) || hostNetworkChanged(m) || slices.ContainsFunc(allow, func(f func(chromedp.ConsoleMessage) bool) bool { return f(m) }) {
					continue
				}
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("browser console: %s", p)
		}
	})
	return ctx
}

// signedOutLook is Chromium's note of the console's GET /console/session
// answered 401: how the page learns it must show the sign-in form.
func signedOutLook(m chromedp.ConsoleMessage) bool {
	return m.Source == "network" && strings.HasSuffix(m.URL, "/console/session") && strings.Contains(m.Text, "status of 401")
}

// hostNetworkChanged is Chromium cancelling a request because the host's
// network interfaces changed: e2e/cluster, which `go test ./...` runs
// beside this package, adds and removes veth pairs, and Chromium's
// network change notifier aborts what is in flight. The page is not at
// fault, and what it should show is checked by the test's own waits.
func hostNetworkChanged(m chromedp.ConsoleMessage) bool {
	return m.Source == "network" && strings.Contains(m.Text, "net::ERR_NETWORK_CHANGED")
}

// artifacts is where screenshots go.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("STATECRAFT_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shooter saves numbered full-page screenshots.
type shooter struct {
	t   *testing.T
	ctx context.Context
	dir string
	n   int
}

func (s *shooter) shot(name string) {
	s.t.Helper()
	s.n++
	b, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		s.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(s.dir, fmt.Sprintf("%s-%02d-%s.png", strings.ReplaceAll(s.t.Name(), "/", "_"), s.n, name))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		s.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	s.t.Logf("screenshot: %s", path)
}

// step runs browser actions and, when they fail, saves a screenshot of
// the page as it was and fails the test.
func (s *shooter) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, actions...); err != nil {
		s.shot("failed")
		s.t.Fatalf("%s: %v", what, err)
	}
}

// wait polls a JavaScript predicate until it is true.
func (s *shooter) wait(what, predicate string) {
	s.t.Helper()
	s.step(what, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)))
}

// evalAsync evaluates JavaScript that makes a promise of a string.
func (s *shooter) evalAsync(js string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		s.shot("failed")
		s.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

func (s *shooter) eval(js string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		s.shot("failed")
		s.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// signIn signs in through the console's form with the development pair,
// and waits for the page to say who is signed in.
func (s *shooter) signIn(endpoint string) {
	s.t.Helper()
	s.step("open the console: the sign-in form",
		chromedp.Navigate(endpoint+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`#login-keys`)),
	)
	s.step("sign in as local",
		chromedp.SendKeys(chromedp.CSS(`#login-akid`), "local"),
		chromedp.SendKeys(chromedp.CSS(`#login-secret`), "local"),
		chromedp.Click(chromedp.CSS(`#login-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#whoami`)),
	)
	if got := s.eval(`document.querySelector('#whoami').textContent`); got != "Signed in as local (123456789012 development, admin)" {
		s.t.Errorf("signed-in indicator %q", got)
	}
}

// nodeStatus is the JavaScript for a state's status in the graph.
func nodeStatus(state string) string {
	return fmt.Sprintf(`(document.querySelector('#graph g.node[data-state=%s]')?.dataset.status || '')`, q(state))
}

func TestConsoleInBrowserLiveExecution(t *testing.T) {
	srv := startServer(t)
	ctx := browser(t)
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}

	act := srv.call("CreateActivity", map[string]any{"name": "work"})
	activityArn := act["activityArn"].(string)
	sm := srv.call("CreateStateMachine", map[string]any{"name": "orders", "definition": definition(activityArn), "roleArn": role})
	smArn := sm["stateMachineArn"].(string)

	// Sign in; the list, then the machine with its graph.
	sh.signIn(srv.endpoint)
	sh.shot("signed-in")
	sh.step("the state machines",
		chromedp.WaitVisible(chromedp.CSS(`#machines a.machine-link`)),
	)
	if got := sh.eval(`document.querySelector('#machines a.machine-link').textContent`); got != "orders" {
		t.Fatalf("state machine list shows %q", got)
	}
	sh.shot("machines")
	sh.step("open the state machine",
		chromedp.Click(chromedp.CSS(`#machines a.machine-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph svg g.node[data-state="DoWork"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#problems li.ok`)),
	)
	// Every state is drawn, nested ones inside their Parallel or Map.
	for _, name := range []string{"Prepare", "Route", "DoWork", "FanOut", "Left", "Pause", "Right", "EachItem", "Double", "Done", "TooMany"} {
		sh.wait("state "+name+" drawn", fmt.Sprintf(`!!document.querySelector('#graph g.node[data-state=%s]')`, q(name)))
	}
	if got := sh.eval(`[...document.querySelectorAll('#graph g.node[data-state="FanOut"] g.node')].map(n => n.dataset.state).sort().join(',')`); got != "Left,Pause,Right" {
		t.Errorf("states drawn inside FanOut: %q", got)
	}
	if got := sh.eval(`[...document.querySelectorAll('#graph g.node[data-state="EachItem"] g.node')].map(n => n.dataset.state).join(',')`); got != "Double" {
		t.Errorf("states drawn inside EachItem: %q", got)
	}
	labels := sh.eval(`[...document.querySelectorAll('#graph .edge-label')].map(l => l.textContent).join('\n')`)
	for _, want := range []string{`$.mode == "skip"`, "$.count is present && $.count > 100", "Default", "catch States.ALL"} {
		if !strings.Contains(labels, want) {
			t.Errorf("edge labels %q lack %q", labels, want)
		}
	}
	if got := sh.eval(`String(document.querySelectorAll('#graph path.edge-catch[data-from="DoWork"][data-to="TooMany"]').length)`); got != "1" {
		t.Errorf("catch edges DoWork→TooMany: %s", got)
	}
	if got := sh.eval(`String(document.querySelectorAll('#graph path.edge-default[data-from="Route"][data-to="DoWork"]').length)`); got != "1" {
		t.Errorf("default edges Route→DoWork: %s", got)
	}
	// The graph is laid out: no two states of one list overlap.
	if got := sh.eval(`(() => {
		const boxes = [...document.querySelectorAll('#graph g.node')].map(n => [n.dataset.state, n.getBoundingClientRect()]);
		const bad = [];
		for (const [a, r] of boxes) for (const [b, s] of boxes) {
			if (a >= b) continue;
			const inside = (x, y) => x.left >= y.left && x.right <= y.right && x.top >= y.top && x.bottom <= y.bottom;
			if (inside(r, s) || inside(s, r)) continue; // nested in a Parallel or Map
			if (r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom) bad.push(a + '/' + b);
		}
		return bad.join(',');
	})()`); got != "" {
		t.Errorf("overlapping states: %s", got)
	}
	sh.step("scroll to the graph", chromedp.ScrollIntoView(chromedp.CSS(`#graph`)))
	sh.shot("machine-graph")

	// The input editor refuses JSON that does not parse.
	sh.step("type bad input",
		chromedp.SetValue(chromedp.CSS(`#exec-name`), "first-run"),
		chromedp.SetValue(chromedp.CSS(`#exec-input`), `{"items": [1, 2, 3],}`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#exec-input').dispatchEvent(new Event('input'))`),
	)
	sh.wait("start disabled on bad JSON", `document.querySelector('#start').disabled && /Invalid JSON/.test(document.querySelector('#exec-input-msg').textContent)`)
	sh.shot("invalid-input")
	sh.step("type good input",
		chromedp.SetValue(chromedp.CSS(`#exec-input`), `{"mode": "full", "items": [1, 2, 3], "count": 3}`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#exec-input').dispatchEvent(new Event('input'))`),
	)
	sh.wait("start enabled on good JSON", `!document.querySelector('#start').disabled`)
	sh.step("start the execution", chromedp.Click(chromedp.CSS(`#start`)))
	sh.wait("execution page", `location.hash.startsWith('#/executions/') && !!document.querySelector('#graph g.node[data-state="DoWork"]')`)
	execArn := sh.eval(`decodeURIComponent(location.hash.slice('#/executions/'.length))`)
	if !strings.HasSuffix(execArn, ":first-run") {
		t.Fatalf("execution ARN %q does not end with the name given", execArn)
	}

	// The execution waits at DoWork for the activity worker (this test).
	sh.wait("Prepare and Route succeeded, DoWork running",
		nodeStatus("Prepare")+` === 'succeeded' && `+nodeStatus("Route")+` === 'succeeded' && `+nodeStatus("DoWork")+` === 'running'`)
	sh.wait("live stream connected", `document.querySelector('#live').textContent.includes('live')`)
	sh.wait("status RUNNING", `document.querySelector('#exec-status').dataset.status === 'RUNNING' && !document.querySelector('#stop').disabled`)
	sh.shot("running")

	// The first attempt fails with a retryable error: the graph shows the
	// retry live, and the execution waits for the second attempt.
	tok, _ := srv.task(activityArn)
	srv.call("SendTaskFailure", map[string]any{"taskToken": tok, "error": "Transient", "cause": "database busy"})
	sh.wait("DoWork retried", `document.querySelector('#graph g.node[data-state="DoWork"]').dataset.retries === '1'`)
	tok, input := srv.task(activityArn)
	if !strings.Contains(input, `"prepared":true`) {
		t.Errorf("activity input %s", input)
	}
	sh.shot("retried")
	srv.call("SendTaskSuccess", map[string]any{"taskToken": tok, "output": `{"ok": true, "attempt": 2}`})

	// Every state that ran turns green, live.
	sh.wait("execution succeeded", `document.querySelector('#exec-status').dataset.status === 'SUCCEEDED'`)
	for _, name := range []string{"Prepare", "Route", "DoWork", "FanOut", "Left", "Pause", "Right", "EachItem", "Double", "Done"} {
		sh.wait(name+" succeeded", nodeStatus(name)+` === 'succeeded'`)
	}
	if got := sh.eval(nodeStatus("TooMany")); got != "" {
		t.Errorf("TooMany did not run but shows %q", got)
	}
	if got := sh.eval(`document.querySelector('#graph g.node[data-state="Double"]').dataset.runs`); got != "3" {
		t.Errorf("Double ran %s times, want 3 (one per item)", got)
	}
	sh.wait("stream ended", `document.querySelector('#live').textContent.includes('ended') && document.querySelector('#stop').disabled`)
	sh.shot("succeeded")

	// A state's input and output, on click.
	sh.step("click DoWork", chromedp.Click(chromedp.CSS(`#graph g.node[data-state="DoWork"] rect.box`)))
	sh.wait("DoWork's data shown", `document.querySelector('#state-panel').dataset.state === 'DoWork'`)
	in := sh.eval(`document.querySelector('#state-panel pre.state-input').textContent`)
	out := sh.eval(`document.querySelector('#state-panel pre.state-output').textContent`)
	if !strings.Contains(in, `"prepared": true`) || !strings.Contains(in, `"count": 3`) {
		t.Errorf("DoWork input shown: %s", in)
	}
	if !strings.Contains(out, `"attempt": 2`) || !strings.Contains(out, `"work"`) {
		t.Errorf("DoWork output shown: %s", out)
	}
	if got := sh.eval(`document.querySelector('#state-panel').textContent`); !strings.Contains(got, "retried 1×") {
		t.Errorf("state panel does not mention the retry: %s", got)
	}
	sh.step("scroll to the state panel", chromedp.ScrollIntoView(chromedp.CSS(`#state-panel`)))
	sh.shot("state-data")

	// The event log, with the failed attempt and the retry in it.
	rows := sh.eval(`[...document.querySelectorAll('#events tr.event')].map(r => [r.dataset.id, r.dataset.type, r.dataset.state, r.children[3].textContent, r.children[4].textContent].join('|')).join('\n')`)
	t.Logf("event log:\n%s", rows)
	hist := srv.call("GetExecutionHistory", map[string]any{"executionArn": execArn, "maxResults": 1000})
	if n := strings.Count(rows, "\n") + 1; n != len(hist["events"].([]any)) {
		t.Errorf("event log has %d rows, GetExecutionHistory %d events", n, len(hist["events"].([]any)))
	}
	var scheduled int
	for _, line := range strings.Split(rows, "\n") {
		f := strings.Split(line, "|")
		if len(f) != 5 {
			t.Fatalf("event row %q", line)
		}
		if f[1] == "ActivityScheduled" {
			scheduled++
			if f[2] != "DoWork" || !strings.Contains(f[3], "activity:work") {
				t.Errorf("ActivityScheduled row: %q", line)
			}
		}
		switch f[1] {
		case "ParallelStateSucceeded":
			if f[2] != "FanOut" {
				t.Errorf("ParallelStateSucceeded attributed to %q", f[2])
			}
		case "MapStateSucceeded", "MapIterationSucceeded":
			if f[2] != "EachItem" {
				t.Errorf("%s attributed to %q", f[1], f[2])
			}
		}
		if f[3] != "" && f[2] != "DoWork" {
			t.Errorf("resource %q on a row of %q", f[3], f[2])
		}
		if !strings.HasPrefix(f[4], "+") {
			t.Errorf("elapsed %q in row %q", f[4], line)
		}
	}
	if scheduled != 2 {
		t.Errorf("%d ActivityScheduled rows, want 2 (the first attempt and the retry)", scheduled)
	}
	sh.step("open the failed attempt's details",
		chromedp.ScrollIntoView(chromedp.CSS(`#events tr.event[data-type="ActivityFailed"]`)),
		chromedp.Click(chromedp.CSS(`#events tr.event[data-type="ActivityFailed"]`)),
	)
	sh.wait("details shown", `(() => { const r = document.querySelector('#events tr.event[data-type="ActivityFailed"]').nextElementSibling; return !r.hidden && r.textContent.includes('Transient') && r.textContent.includes('database busy'); })()`)
	sh.shot("event-log")

	// The execution is in the machine's list, found by name and status.
	sh.step("back to the machine", chromedp.Navigate(srv.endpoint+"/console/#/machines/"+urlEscape(smArn)), chromedp.WaitVisible(chromedp.CSS(`#executions a.execution-link`)))
	if got := sh.eval(`document.querySelector('#executions tr[data-name="first-run"] .status').textContent`); got != "SUCCEEDED" {
		t.Errorf("listed status %q", got)
	}
}

func TestConsoleInBrowserStopAndFilters(t *testing.T) {
	srv := startServer(t)
	ctx := browser(t)
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}
	sh.signIn(srv.endpoint)
	act := srv.call("CreateActivity", map[string]any{"name": "slow"})
	activityArn := act["activityArn"].(string)
	srv.call("CreateActivity", map[string]any{"name": "other-activity"})
	sm := srv.call("CreateStateMachine", map[string]any{"name": "stoppable", "definition": definition(activityArn), "roleArn": role})
	smArn := sm["stateMachineArn"].(string)

	// 25 finished executions (more than a page) and one that waits.
	for i := range 25 {
		srv.call("StartExecution", map[string]any{"stateMachineArn": smArn, "name": fmt.Sprintf("quick-%02d", i), "input": `{"mode": "skip"}`})
	}
	x := srv.call("StartExecution", map[string]any{"stateMachineArn": smArn, "name": "to-stop", "input": `{"mode": "full", "items": []}`})
	execArn := x["executionArn"].(string)

	sh.step("open the execution",
		chromedp.Navigate(srv.endpoint+"/console/#/executions/"+urlEscape(execArn)),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.node[data-state="DoWork"]`)),
	)
	sh.wait("DoWork running", nodeStatus("DoWork")+` === 'running'`)
	sh.step("stop", chromedp.Click(chromedp.CSS(`#stop`)))
	sh.wait("aborted", `document.querySelector('#exec-status').dataset.status === 'ABORTED'`)
	sh.wait("DoWork cancelled", nodeStatus("DoWork")+` === 'cancelled'`)
	sh.wait("ExecutionAborted in the log", `!!document.querySelector('#events tr.event[data-type="ExecutionAborted"]')`)
	sh.shot("stopped")

	// Status filter, name search and paging over the public ListExecutions.
	sh.step("open the machine",
		chromedp.Navigate(srv.endpoint+"/console/#/machines/"+urlEscape(smArn)),
		chromedp.WaitVisible(chromedp.CSS(`#executions a.execution-link`)),
	)
	count := `String(document.querySelectorAll('#executions tr[data-name]').length)`
	if got := sh.eval(count); got != "20" {
		t.Errorf("first page has %s executions, want 20", got)
	}
	sh.step("next page", chromedp.Click(chromedp.CSS(`button[data-test="next"]`)))
	sh.wait("second page", count+` === '6'`)
	sh.step("previous page", chromedp.Click(chromedp.CSS(`button[data-test="prev"]`)))
	sh.wait("first page again", count+` === '20'`)
	sh.step("filter ABORTED",
		chromedp.SetValue(chromedp.CSS(`#status-filter`), "ABORTED"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#status-filter').dispatchEvent(new Event('change'))`),
	)
	sh.wait("only the stopped one", count+` === '1' && !!document.querySelector('#executions tr[data-name="to-stop"]')`)
	sh.step("all statuses, search quick-1",
		chromedp.SetValue(chromedp.CSS(`#status-filter`), ""),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#status-filter').dispatchEvent(new Event('change'))`),
		chromedp.SetValue(chromedp.CSS(`#name-search`), "quick-1"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#name-search').dispatchEvent(new Event('input'))`),
	)
	sh.wait("ten matches", count+` === '10' && [...document.querySelectorAll('#executions tr[data-name]')].every(r => r.dataset.name.startsWith('quick-1'))`)
	sh.shot("filtered")

	// A definition with a mistake: the message points at the state.
	bad := strings.Replace(definition(activityArn), `"Next":"FanOut"`, `"Next":"Nowhere"`, 1)
	sh.step("edit the definition",
		chromedp.SetValue(chromedp.CSS(`#definition`), bad),
		chromedp.Click(chromedp.CSS(`#validate`)),
	)
	sh.wait("problem shown", `[...document.querySelectorAll('#problems li.problem')].some(li => li.dataset.state === 'DoWork' && li.textContent.includes('Nowhere'))`)
	sh.wait("DoWork marked", `document.querySelector('#graph g.node[data-state="DoWork"]').classList.contains('invalid')`)
	sh.step("show the problem", chromedp.ScrollIntoView(chromedp.CSS(`#problems`)))
	sh.shot("validation")

	// Activities, with their queues and waiting workers from the metrics
	// (/console/metrics, through the session): an
	// execution waits at DoWork with its task unclaimed (1 queued for
	// slow), and a worker long-polls other-activity (1 waiting there).
	srv.call("StartExecution", map[string]any{"stateMachineArn": smArn, "name": "queued-one", "input": `{"mode": "full", "items": []}`})
	otherArn := strings.Replace(activityArn, ":activity:slow", ":activity:other-activity", 1)
	stopPolling := make(chan struct{})
	t.Cleanup(func() { close(stopPolling) }) // before the server stops (cleanups run last first)
	go func() {
		for {
			select {
			case <-stopPolling:
				return
			default:
			}
			if out, err := srv.try("GetActivityTask", map[string]any{"activityArn": otherArn, "workerName": "idle-worker"}); err != nil || out["taskToken"] != nil {
				return
			}
		}
	}()
	sh.step("activities",
		chromedp.Navigate(srv.endpoint+"/console/#/activities"),
		chromedp.WaitVisible(chromedp.CSS(`#activities td`)),
	)
	sh.wait("both activities listed", `(() => { const t = document.querySelector('#activities').textContent; return t.includes('slow') && t.includes('other-activity'); })()`)
	load := func(arn string) string {
		return fmt.Sprintf(`(() => { const r = document.querySelector('#activities tr[data-activity=%s]'); return r ? r.querySelector('td.queued').textContent + ' / ' + r.querySelector('td.waiting').textContent : ''; })()`, q(arn))
	}
	sh.wait("slow: 1 queued, 0 waiting", load(activityArn)+` === '1 queued / 0 waiting'`)
	sh.wait("other-activity: 0 queued, 1 waiting", load(otherArn)+` === '0 queued / 1 waiting'`)
	if got := sh.eval(`document.querySelector('#metrics-status').textContent`); !strings.HasPrefix(got, "from the server's metrics, updated") {
		t.Errorf("metrics status %q", got)
	}
	sh.shot("activities")
	// A worker claims the queued task: the page shows the queue empty at
	// its next read of the metrics, without a reload.
	claimed, _ := srv.task(activityArn)
	sh.wait("slow: 0 queued after the claim", load(activityArn)+` === '0 queued / 0 waiting'`)
	sh.shot("activities-claimed")
	srv.call("SendTaskSuccess", map[string]any{"taskToken": claimed, "output": `{}`})
	// The page's parser reads what the exposition format allows in a label
	// value (escaped quote, backslash, newline) and skips comments.
	parsed := sh.evalAsync(`import('/console/metrics.js').then(m => JSON.stringify(m.activityLoad(m.parseMetrics(
		'# HELP statecraft_activity_tasks_queued x\n# TYPE statecraft_activity_tasks_queued gauge\n' +
		'statecraft_activity_tasks_queued{activity="a\\"b\\\\c\\nd"} 7\n' +
		'statecraft_activity_pollers_waiting{activity="a\\"b\\\\c\\nd",x="y"} 2 1700000000000\n'))))`)
	if want := `{"a\"b\\c\nd":{"queued":7,"waiting":2}}`; parsed != want {
		t.Errorf("parseMetrics: %s, want %s", parsed, want)
	}

	// Versions: two published through the public API, listed newest first
	// on the machine's page; a version opens on its own definition and
	// graph.
	v1 := srv.call("PublishStateMachineVersion", map[string]any{"stateMachineArn": smArn, "description": "first release"})["stateMachineVersionArn"].(string)
	simple := `{"StartAt":"Greet","States":{"Greet":{"Type":"Pass","Result":"hello","Next":"Finish"},"Finish":{"Type":"Succeed"}}}`
	v2 := srv.call("UpdateStateMachine", map[string]any{"stateMachineArn": smArn, "definition": simple, "publish": true, "versionDescription": "second release"})["stateMachineVersionArn"].(string)
	if v1 != smArn+":1" || v2 != smArn+":2" {
		t.Fatalf("published %s and %s", v1, v2)
	}
	sh.step("open the machine again",
		chromedp.Navigate(srv.endpoint+"/console/#/machines/"+urlEscape(smArn)),
		chromedp.WaitVisible(chromedp.CSS(`#versions a.version-link`)),
	)
	versions := `[...document.querySelectorAll('#versions tr[data-version]')].map(r => r.dataset.version + '=' + r.children[2].textContent).join(',')`
	sh.wait("both versions listed with their descriptions", versions+` === '2=second release,1=first release'`)
	if got := sh.eval(`document.querySelector('#versions tr[data-version="1"] td:nth-child(2)').textContent`); !strings.HasPrefix(got, "20") {
		t.Errorf("version 1 published date = %q", got)
	}
	sh.step("show the versions", chromedp.ScrollIntoView(chromedp.CSS(`#versions-panel`)))
	sh.shot("versions")
	sh.step("open version 1",
		chromedp.Click(chromedp.CSS(`#versions tr[data-version="1"] a.version-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#version-number`)),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.node[data-state="DoWork"]`)),
	)
	if got := sh.eval(`document.querySelector('#version-number').textContent + ' | ' + document.querySelector('#version-description').textContent`); got != "version 1 | first release" {
		t.Errorf("version page heading = %q", got)
	}
	if got := sh.eval(`String(document.querySelector('#definition').value.includes('"DoWork"') && !document.querySelector('#start'))`); got != "true" {
		t.Errorf("version 1 page: definition of version 1 and no start button = %s", got)
	}
	sh.shot("version-1")
	sh.step("back to the machine, open version 2",
		chromedp.Click(chromedp.CSS(`#version-machine`)),
		chromedp.WaitVisible(chromedp.CSS(`#versions tr[data-version="2"] a.version-link`)),
		chromedp.Click(chromedp.CSS(`#versions tr[data-version="2"] a.version-link`)),
	)
	// The machine's page shows its current definition, version 2's, so
	// its graph alone does not say the version page has replaced it: wait
	// for the version page's heading, then for its graph.
	sh.wait("version 2's page", `(document.querySelector('#version-number') || {}).textContent === 'version 2'`)
	sh.wait("version 2's graph: version 2's definition", `!!document.querySelector('#graph g.node[data-state="Greet"]') && !!document.querySelector('#graph g.node[data-state="Finish"]') && !document.querySelector('#graph g.node[data-state="DoWork"]')`)
	sh.shot("version-2")
}

// TestConsoleLiveStream reads the live stream the way a browser does, with
// no browser: with a session, the history so far, then the end.
func TestConsoleLiveStream(t *testing.T) {
	srv := startServer(t)
	sm := srv.call("CreateStateMachine", map[string]any{"name": "tiny", "roleArn": role,
		"definition": `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Succeed"}}}`})
	x := srv.call("StartExecution", map[string]any{"stateMachineArn": sm["stateMachineArn"], "input": `{"a":1}`})
	arn := x["executionArn"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.endpoint+"/console/events?executionArn="+urlEscape(arn), nil)
	req.Header.Set("Last-Event-ID", "1")
	req.AddCookie(srv.signIn(`{"accessKeyId":"local","secretAccessKey":"local"}`).cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	s := string(body)
	if strings.Contains(s, "id: 1\n") || !strings.Contains(s, "id: 2\n") || !strings.Contains(s, `"ExecutionSucceeded"`) || !strings.HasSuffix(s, "event: end\ndata: {}\n\n") {
		t.Errorf("stream:\n%s", s)
	}
}

func urlEscape(s string) string {
	r := strings.NewReplacer("%", "%25", ":", "%3A", "/", "%2F", "#", "%23", "?", "%3F", "&", "%26", "+", "%2B", " ", "%20")
	return r.Replace(s)
}

// TestConsoleInBrowserSeedMachines draws the two example machines the
// project ships (examples/user-onboarding and examples/alarm-ivr): every
// state is a node, the Parallel's branches are drawn inside it, no two
// states overlap, nothing is drawn on a state, and the alarm machine's
// loop from noInput back to placeCall is drawn as a loop.
func TestConsoleInBrowserSeedMachines(t *testing.T) {
	srv := startServer(t)
	ctx := browser(t)
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}
	sh.signIn(srv.endpoint)
	// The alarm machine's tasks are the activity mediaService.
	srv.call("CreateActivity", map[string]any{"name": "mediaService"})

	for _, tc := range []struct {
		name   string
		file   string
		nested map[string]string // Parallel state: the states drawn inside it, sorted
		loops  [][2]string       // edges drawn as loops: from, to
	}{
		{name: "user-onboarding", file: "../../examples/user-onboarding/statemachine.asl.json"},
		{name: "alarm-ivr", file: "../../examples/alarm-ivr/statemachine.asl.json",
			nested: map[string]string{"playAndGetDTMF": "hangupCall,playVoiceMessage,waitForCode"},
			loops:  [][2]string{{"noInput", "placeCall"}}},
	} {
		b, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var def map[string]any
		if err := json.Unmarshal(b, &def); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		sm := srv.call("CreateStateMachine", map[string]any{"name": tc.name, "definition": string(b), "roleArn": role})
		smArn := sm["stateMachineArn"].(string)
		sh.step("open "+tc.name,
			chromedp.Navigate(srv.endpoint+"/console/#/machines/"+urlEscape(smArn)),
			chromedp.WaitVisible(chromedp.CSS(`#graph svg g.node`)),
			chromedp.WaitVisible(chromedp.CSS(`#problems li.ok`)),
		)
		var names []string
		var walk func(states map[string]any)
		walk = func(states map[string]any) {
			for name, st := range states {
				names = append(names, name)
				m, _ := st.(map[string]any)
				if br, ok := m["Branches"].([]any); ok {
					for _, b := range br {
						walk(b.(map[string]any)["States"].(map[string]any))
					}
				}
			}
		}
		walk(def["States"].(map[string]any))
		for _, name := range names {
			if got := sh.eval(fmt.Sprintf(`String(document.querySelectorAll('#graph g.node[data-state=%s]').length)`, q(name))); got != "1" {
				t.Errorf("%s: state %s drawn %s times", tc.name, name, got)
			}
		}
		if got := sh.eval(`String(document.querySelectorAll('#graph g.node').length)`); got != fmt.Sprint(len(names)) {
			t.Errorf("%s: %s nodes drawn for %d states", tc.name, got, len(names))
		}
		for parallel, want := range tc.nested {
			if got := sh.eval(fmt.Sprintf(`[...document.querySelectorAll('#graph g.node[data-state=%s] g.branch g.node')].map(n => n.dataset.state).sort().join(',')`, q(parallel))); got != want {
				t.Errorf("%s: states drawn inside %s: %q, want %q", tc.name, parallel, got, want)
			}
			if got := sh.eval(fmt.Sprintf(`String(document.querySelectorAll('#graph g.node[data-state=%s] > g.branch').length)`, q(parallel))); got != "2" {
				t.Errorf("%s: %s has %s branch boxes, want 2", tc.name, parallel, got)
			}
		}
		// No two states overlap unless one holds the other, and no edge
		// label sits on a state or on another label.
		if got := sh.eval(`(() => {
			const boxes = [...document.querySelectorAll('#graph g.node')].map(n => [n.dataset.state, n.querySelector(':scope > rect.box').getBoundingClientRect(), n]);
			const labels = [...document.querySelectorAll('#graph .edge-label')].map((l, i) => ['label ' + l.textContent, l.getBoundingClientRect()]);
			const hit = (r, s) => r.left < s.right - 0.5 && s.left < r.right - 0.5 && r.top < s.bottom - 0.5 && s.top < r.bottom - 0.5;
			const bad = [];
			for (const [a, r, na] of boxes) for (const [b, s, nb] of boxes) {
				if (a >= b || na.contains(nb) || nb.contains(na)) continue;
				if (hit(r, s)) bad.push(a + '/' + b);
			}
			for (const [a, r] of labels) {
				for (const [b, s, nb] of boxes) {
					if (nb.classList.contains('compound')) continue;
					if (hit(r, s)) bad.push(a + '/' + b);
				}
				for (const [b, s] of labels) if (a < b && hit(r, s)) bad.push(a + '/' + b);
			}
			return bad.join(', ');
		})()`); got != "" {
			t.Errorf("%s: overlapping: %s", tc.name, got)
		}
		// No edge runs behind a state it does not join (sampled along
		// each path, in screen coordinates).
		if got := sh.eval(`(() => {
			const nodes = [...document.querySelectorAll('#graph g.node')].map(n => [n, n.querySelector(':scope > rect.box').getBoundingClientRect()]);
			const bad = new Set();
			for (const p of document.querySelectorAll('#graph path.edge')) {
				const m = p.getScreenCTM();
				const len = p.getTotalLength();
				for (let d = 0; d <= len; d += 3) {
					const pt = p.getPointAtLength(d).matrixTransform(m);
					for (const [n, r] of nodes) {
						if (n.contains(p) || n.dataset.state === p.dataset.from || n.dataset.state === p.dataset.to) continue;
						if (pt.x > r.left + 1 && pt.x < r.right - 1 && pt.y > r.top + 1 && pt.y < r.bottom - 1) bad.add(p.dataset.from + '→' + p.dataset.to + ' behind ' + n.dataset.state);
					}
				}
			}
			return [...bad].join(', ');
		})()`); got != "" {
			t.Errorf("%s: edges behind states: %s", tc.name, got)
		}
		// Every state's name is shown whole.
		if got := sh.eval(`[...document.querySelectorAll('#graph g.node')].filter(n => n.querySelector(':scope > text.name').textContent !== n.dataset.state).map(n => n.dataset.state).join(',')`); got != "" {
			t.Errorf("%s: names clipped: %s", tc.name, got)
		}
		for _, l := range tc.loops {
			sel := fmt.Sprintf(`#graph path.edge-loop[data-from=%s][data-to=%s]`, q(l[0]), q(l[1]))
			if got := sh.eval(fmt.Sprintf(`String(document.querySelectorAll(%s).length)`, q(sel))); got != "1" {
				t.Errorf("%s: %s loops %s→%s drawn, want 1", tc.name, got, l[0], l[1])
			}
		}
		sh.step("scroll to the graph", chromedp.ScrollIntoView(chromedp.CSS(`#graph`)))
		sh.shot(tc.name)
		// The graph alone, at its own size, for a closer look.
		if b, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(`#graph svg`))); err == nil {
			path := filepath.Join(sh.dir, fmt.Sprintf("%s-graph-%s.png", t.Name(), tc.name))
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Error(err)
			}
			t.Logf("screenshot: %s", path)
		} else {
			t.Errorf("graph screenshot: %v", err)
		}
	}
}

// TestConsoleInBrowserManyExecutions pages a list of over a thousand
// executions one API page at a time, and searches it for a rare name: the
// search stops after a bounded number of API pages, says how many
// executions it searched, and Next searches on.
func TestConsoleInBrowserManyExecutions(t *testing.T) {
	srv := startServer(t)
	ctx := browser(t)
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}
	sh.signIn(srv.endpoint)
	sm := srv.call("CreateStateMachine", map[string]any{"name": "many", "roleArn": role,
		"definition": `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`})
	smArn := sm["stateMachineArn"].(string)
	// The rare name is the oldest, so newest first it comes last.
	srv.call("StartExecution", map[string]any{"stateMachineArn": smArn, "name": "needle"})
	const n = 1250
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if _, err := srv.try("StartExecution", map[string]any{"stateMachineArn": smArn, "name": fmt.Sprintf("run-%04d", i)}); err != nil {
					errs <- err
				}
			}
		}()
	}
	time.Sleep(5 * time.Millisecond) // started after needle, to the millisecond
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	sh.step("open the machine",
		chromedp.Navigate(srv.endpoint+"/console/#/machines/"+urlEscape(smArn)),
		chromedp.WaitVisible(chromedp.CSS(`#executions a.execution-link`)),
	)
	// Count the list requests the page makes from here on.
	sh.eval(`(() => {
		window.__lists = [];
		const f = window.fetch;
		window.fetch = (u, o) => {
			if (o && o.headers && o.headers['X-Amz-Target'] === 'AWSStepFunctions.ListExecutions') window.__lists.push(JSON.parse(o.body));
			return f(u, o);
		};
		return '';
	})()`)
	count := `String(document.querySelectorAll('#executions tr[data-name]').length)`
	calls := `window.__lists.length`
	for page := 2; page <= 4; page++ {
		before := sh.eval(`document.querySelector('#executions tr[data-name]').dataset.name`)
		sh.step("next page", chromedp.Click(chromedp.CSS(`button[data-test="next"]`)))
		sh.wait(fmt.Sprintf("page %d", page), fmt.Sprintf(`document.querySelector('.pager span').textContent === 'page %d' && %s === '20' && document.querySelector('#executions tr[data-name]').dataset.name !== %s`, page, count, q(before)))
		if got := sh.eval(`JSON.stringify(window.__lists.map(b => b.maxResults))`); got != fmt.Sprintf("[%s]", strings.TrimSuffix(strings.Repeat("20,", page-1), ",")) {
			t.Errorf("page %d: the list asked for %s (one page of 20 per click expected)", page, got)
		}
	}

	// A rare name: the first search reads 10 pages of 100 and stops.
	sh.eval(`(window.__lists = [], '')`)
	sh.step("search needle",
		chromedp.SetValue(chromedp.CSS(`#name-search`), "needle"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#name-search').dispatchEvent(new Event('input'))`),
	)
	sh.wait("first search page", `document.querySelector('#search-info').dataset.searched === '1000' && `+count+` === '0'`)
	if got := sh.eval(`document.querySelector('#search-info').textContent`); !strings.Contains(got, "searched 1,000 executions") || !strings.Contains(got, "0 matches") {
		t.Errorf("search info %q", got)
	}
	if got := sh.eval(`String(` + calls + `)`); got != "10" {
		t.Errorf("the search read %s pages, want 10", got)
	}
	if got := sh.eval(`document.querySelector('button[data-test="next"]').disabled ? 'disabled' : 'enabled'`); got != "enabled" {
		t.Errorf("Next is %s after a search that stopped early", got)
	}
	sh.shot("search-stopped")
	sh.step("search on", chromedp.Click(chromedp.CSS(`button[data-test="next"]`)))
	sh.wait("needle found", `!!document.querySelector('#executions tr[data-name="needle"]') && `+count+` === '1'`)
	if got := sh.eval(`document.querySelector('#search-info').textContent`); !strings.Contains(got, fmt.Sprintf("searched %s executions", "1,251")) || !strings.Contains(got, "1 match ") {
		t.Errorf("search info %q", got)
	}
	if got := sh.eval(`String(` + calls + `)`); got != "13" {
		t.Errorf("the whole search read %s pages, want 13", got)
	}
	sh.shot("search-found")
}
