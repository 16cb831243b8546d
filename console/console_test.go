package console

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store/memstore"
)

// fakeAPI answers DescribeExecution and GetExecutionHistory (newest first,
// pages of maxResults) for one execution whose history grows. It refuses
// a call without a principal, as the real API refuses an unsigned one.
type fakeAPI struct {
	mu     sync.Mutex
	status string
	events int
	seen   []*auth.Principal
}

func (f *fakeAPI) add(n int, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events += n
	f.status = status
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"MissingAuthenticationTokenException","message":"no principal"}`)
		return
	}
	f.seen = append(f.seen, p)
	var in struct {
		ExecutionArn string `json:"executionArn"`
		MaxResults   int    `json:"maxResults"`
		NextToken    string `json:"nextToken"`
		Reverse      bool   `json:"reverseOrder"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	if in.ExecutionArn != "arn:x" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist","message":"Execution Does Not Exist: 'arn:y'"}`)
		return
	}
	switch r.Header.Get("X-Amz-Target") {
	case "AWSStepFunctions.DescribeExecution":
		fmt.Fprintf(w, `{"executionArn":"arn:x","status":%q}`, f.status)
	case "AWSStepFunctions.GetExecutionHistory":
		if !in.Reverse {
			panic("the stream reads newest first")
		}
		start := f.events
		if in.NextToken != "" {
			fmt.Sscan(in.NextToken, &start)
		}
		var evs []string
		id := start
		for ; id > 0 && len(evs) < in.MaxResults; id-- {
			evs = append(evs, fmt.Sprintf(`{"id":%d,"type":"PassStateEntered","timestamp":1.5}`, id))
		}
		next := ""
		if id > 0 {
			next = fmt.Sprint(id)
		}
		fmt.Fprintf(w, `{"events":[%s],"nextToken":%q}`, strings.Join(evs, ","), next)
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

type sse struct{ event, id, data string }

func readEvents(t *testing.T, body io.Reader, ch chan<- sse) {
	sc := bufio.NewScanner(body)
	var cur sse
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.event != "" {
				ch <- cur
			}
			cur = sse{}
		case strings.HasPrefix(line, "event: "):
			cur.event = line[7:]
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[6:]
		}
	}
	close(ch)
}

// clock is a settable clock for sessions, tokens and the login limiter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a console on an API, with a settable clock. Its requests go
// to ServeHTTP directly, from the client address each test says, or
// through srv for the live stream.
type harness struct {
	t     *testing.T
	c     *Console
	clock *clock
	key   []byte // the console token key
	srv   *httptest.Server
}

var testTokenKey = []byte("0123456789abcdef0123456789abcdef")

func newHarness(t *testing.T, apiHandler http.Handler, keys *auth.Keyring, mod func(*Options)) *harness {
	t.Helper()
	clk := newClock()
	opts := Options{Poll: 5 * time.Millisecond, Keyring: keys, TokenKey: testTokenKey, Now: clk.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mod != nil {
		mod(&opts)
	}
	c := New(apiHandler, opts)
	srv := httptest.NewServer(c)
	t.Cleanup(func() {
		c.Close()
		srv.Close()
	})
	return &harness{t: t, c: c, clock: clk, key: testTokenKey, srv: srv}
}

// request is one request as a browser's page on the console's origin
// sends it.
type request struct {
	method, path, body string
	contentType        string
	remote             string // RemoteAddr; "" is 127.0.0.1:40000
	tls                bool
	header             map[string]string
	sess               *signedIn // its cookie and CSRF token
	noCSRF             bool      // the cookie only
}

type signedIn struct {
	cookie string
	csrf   string
	info   map[string]any
}

func (h *harness) do(q request) *httptest.ResponseRecorder {
	h.t.Helper()
	scheme := "http"
	if q.tls {
		scheme = "https"
	}
	r := httptest.NewRequest(q.method, scheme+"://127.0.0.1:8083"+q.path, strings.NewReader(q.body))
	r.RemoteAddr = "127.0.0.1:40000"
	if q.remote != "" {
		r.RemoteAddr = q.remote
	}
	if q.contentType != "" {
		r.Header.Set("Content-Type", q.contentType)
	}
	if q.method == http.MethodPost {
		r.Header.Set("Origin", scheme+"://127.0.0.1:8083")
	}
	if q.sess != nil {
		r.AddCookie(&http.Cookie{Name: CookieName, Value: q.sess.cookie})
		if !q.noCSRF {
			r.Header.Set(CSRFHeader, q.sess.csrf)
		}
	}
	for k, v := range q.header {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	h.c.ServeHTTP(w, r)
	return w
}

// login signs in with a JSON body and fails the test unless it works.
func (h *harness) login(body string) *signedIn {
	h.t.Helper()
	w := h.do(request{method: "POST", path: "/console/login", body: body, contentType: "application/json"})
	if w.Code != http.StatusOK {
		h.t.Fatalf("login %s: %d %s", body, w.Code, w.Body)
	}
	return signedInFrom(h.t, w)
}

func signedInFrom(t *testing.T, w *httptest.ResponseRecorder) *signedIn {
	t.Helper()
	var info map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &info); err != nil {
		t.Fatalf("login answer %s: %v", w.Body, err)
	}
	s := &signedIn{info: info}
	s.csrf, _ = info["csrfToken"].(string)
	for _, c := range w.Result().Cookies() {
		if c.Name == CookieName {
			s.cookie = c.Value
		}
	}
	if s.cookie == "" || s.csrf == "" {
		t.Fatalf("login gave cookie %q and CSRF token %q", s.cookie, s.csrf)
	}
	return s
}

// call posts one Step Functions operation through /console/api.
func (h *harness) call(s *signedIn, op, body string) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.do(request{method: "POST", path: "/console/api", body: body, contentType: "application/x-amz-json-1.0",
		header: map[string]string{"X-Amz-Target": "AWSStepFunctions." + op}, sess: s})
}

// errorType reads an error answer's __type, without its namespace.
func errorType(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct {
		Type string `json:"__type"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("error answer %d %q is not JSON: %v", w.Code, w.Body, err)
	}
	return e.Type[strings.LastIndex(e.Type, "#")+1:]
}

// stream opens the live stream through the test server.
func (h *harness) stream(ctx context.Context, s *signedIn, query string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+"/console/events?"+query, nil)
	if err != nil {
		return nil, err
	}
	if s != nil {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: s.cookie})
	}
	return http.DefaultClient.Do(req)
}

const devLogin = `{"accessKeyId":"local","secretAccessKey":"local"}`

func TestStreamFollowsHistory(t *testing.T) {
	fake := &fakeAPI{status: "RUNNING", events: 150} // more than one page
	h := newHarness(t, fake, nil, nil)
	s := h.login(devLogin)
	resp, err := h.stream(context.Background(), s, "executionArn=arn:x&after=20")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ch := make(chan sse, 1000)
	go readEvents(t, resp.Body, ch)
	next := 21
	var ended bool
	first := true
	for ev := range ch {
		switch ev.event {
		case "execution":
			if first && !strings.Contains(ev.data, `"RUNNING"`) {
				t.Errorf("first execution event %s", ev.data)
			}
			first = false
		case "history":
			if ev.id != fmt.Sprint(next) || !strings.Contains(ev.data, fmt.Sprintf(`"id":%d`, next)) {
				t.Fatalf("history event %+v, want id %d", ev, next)
			}
			next++
			if next == 151 {
				fake.add(5, "RUNNING")
			}
			if next == 156 {
				fake.add(2, "SUCCEEDED")
			}
		case "end":
			ended = true
		default:
			t.Errorf("event %+v", ev)
		}
	}
	if !ended || next != 158 {
		t.Errorf("ended %v after event %d", ended, next-1)
	}
	// Every call was made as the session's principal.
	fake.mu.Lock()
	defer fake.mu.Unlock()
	for _, p := range fake.seen {
		if p.AccessKeyID != "local" || p.Account != auth.DefaultAccount || p.Role != auth.RoleAdmin || p.Via != "console" {
			t.Fatalf("the stream called the API as %+v", p)
		}
	}
}

func TestStreamErrors(t *testing.T) {
	h := newHarness(t, &fakeAPI{status: "RUNNING"}, nil, nil)
	s := h.login(devLogin)
	for _, tc := range []struct{ query, want string }{
		{"", "executionArn is required"},
		{"executionArn=arn:x&after=x", "must be event ids"},
	} {
		resp, err := h.stream(context.Background(), s, tc.query)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s", tc.query, resp.StatusCode, b)
		}
	}
	resp, err := h.stream(context.Background(), s, "executionArn=arn:y")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "event: error\ndata: {\"__type\":\"com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist\"") {
		t.Errorf("unknown execution: %s", b)
	}
}

// Without a session there is no stream: 401, as JSON, not an event
// stream; nor for another method.
func TestStreamNeedsSession(t *testing.T) {
	h := newHarness(t, &fakeAPI{status: "RUNNING", events: 3}, nil, nil)
	for _, s := range []*signedIn{nil, {cookie: strings.Repeat("A", idLen)}, {cookie: "short"}} {
		resp, err := h.stream(context.Background(), s, "executionArn=arn:x")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(b), `"SessionRequired"`) {
			t.Errorf("session %+v: %d %s %s", s, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}
	s := h.login(devLogin)
	w := h.do(request{method: "POST", path: "/console/events?executionArn=arn:x", sess: s})
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/events: %d %s", w.Code, w.Body)
	}
}

func TestCloseEndsStreams(t *testing.T) {
	h := newHarness(t, &fakeAPI{status: "RUNNING", events: 1}, nil, nil)
	s := h.login(devLogin)
	resp, err := h.stream(context.Background(), s, "executionArn=arn:x")
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
	h.c.Close()
	for range ch {
	}
}

// The stream outlives the server's read and write timeouts, which would
// cut an ordinary response off: it sets its own deadlines as it goes.
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	fake := &fakeAPI{status: "RUNNING", events: 1}
	h := newHarness(t, fake, nil, func(o *Options) { o.Heartbeat = 20 * time.Millisecond })
	const timeout = 150 * time.Millisecond
	srv := httptest.NewUnstartedServer(h.c)
	srv.Config.ReadTimeout = timeout
	srv.Config.WriteTimeout = timeout
	srv.Start()
	defer srv.Close()
	s := h.login(devLogin)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/console/events?executionArn=arn:x", nil)
	req.AddCookie(&http.Cookie{Name: CookieName, Value: s.cookie})
	resp, err := http.DefaultClient.Do(req)
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
	// Well past both timeouts, the execution goes on and ends.
	time.Sleep(4 * timeout)
	fake.add(1, "SUCCEEDED")
	var got []string
	for ev := range ch {
		got = append(got, ev.event+ev.id)
	}
	if strings.Join(got, ",") != "history2,execution,end" && strings.Join(got, ",") != "execution,history2,end" {
		t.Errorf("after the timeouts the stream sent %v, want the last event and the end", got)
	}
}

func TestStaticFiles(t *testing.T) {
	h := newHarness(t, &fakeAPI{}, nil, nil)
	mux := http.NewServeMux()
	mux.Handle(Prefix, h.c)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(srv.URL + "/console")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 3 || resp.Header.Get("Location") != "/console/" {
		t.Errorf("/console: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// No session is needed for the files: they hold no data.
	for path, want := range map[string]string{
		"/console/":           `<script type="module" src="app.js">`,
		"/console/index.html": `<script type="module" src="app.js">`,
		"/console/app.js":     "AWSStepFunctions.",
		"/console/graph.js":   "export class Graph",
		"/console/history.js": "export class Tracker",
		"/console/metrics.js": "export function parseMetrics",
		"/console/app.css":    "svg.graph",
		"/console/logo.svg":   "<svg",
	} {
		resp, err := noRedirect.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d, body lacks %q", path, resp.StatusCode, want)
		}
		if strings.HasSuffix(path, ".js") && !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
			t.Errorf("%s: Content-Type %q (modules need a JavaScript type)", path, resp.Header.Get("Content-Type"))
		}
		for k, v := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", path, k, got, v)
			}
		}
		if html := path == "/console/" || path == "/console/index.html"; html != strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, resp.Header.Get("Content-Security-Policy"))
		}
	}
	resp, err = http.Post(srv.URL+"/console/", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/: %d", resp.StatusCode)
	}
}

// realAPI is the Step Functions API on a memory store, authenticating
// against keys, with its engine running.
func realAPI(t *testing.T, keys *auth.Keyring) http.Handler {
	t.Helper()
	st := memstore.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := engine.New(st, engine.Options{Log: log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = eng.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return api.New(st, eng, api.Options{Log: log, Auth: &auth.Authenticator{Keyring: keys, Service: api.SigningName}, LongPoll: 100 * time.Millisecond})
}
