package httptask

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

const (
	resource = "arn:aws:states:::http:invoke"
	execArn  = "arn:aws:states:eu-west-1:123456789012:execution:sm:run"
	connNone = "arn:aws:events:eu-west-1:123456789012:connection/none/1"
	connKey  = "arn:aws:events:eu-west-1:123456789012:connection/key/1"
	connBas  = "arn:aws:events:eu-west-1:123456789012:connection/basic/1"
	connMrg  = "arn:aws:events:eu-west-1:123456789012:connection/merge/1"
)

// seen is one request the test server received.
type seen struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
}

// server is an httptest server on 127.0.0.1 that records requests and
// answers by path.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []seen
	tokens   atomic.Int64 // token endpoint calls
	tokenReq []seen
	expires  atomic.Int64 // expires_in of issued tokens
	reject   atomic.Bool  // /echo answers 401 once when set
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{}
	s.expires.Store(3600)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := seen{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)}
	if r.URL.Path == "/token" {
		n := s.tokens.Add(1)
		s.mu.Lock()
		s.tokenReq = append(s.tokenReq, rec)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":%d}`, n, s.expires.Load())
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	switch {
	case r.URL.Path == "/echo", r.URL.Path == "/path":
		if s.reject.CompareAndSwap(true, false) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		io.WriteString(w, `{"ok":true,"n":1}`)
	case r.URL.Path == "/text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, `{"looks":"like json"}`)
	case r.URL.Path == "/json-invalid":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `not json`)
	case r.URL.Path == "/empty":
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/binary":
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte{0x89, 'P', 'N', 'G'})
	case r.URL.Path == "/invalid-utf8":
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte{0xff, 0xfe})
	case r.URL.Path == "/large":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, strings.Repeat("x", maxResponseBytes+1))
	case r.URL.Path == "/redirect":
		http.Redirect(w, r, "/echo", http.StatusFound)
	case r.URL.Path == "/slow":
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	case strings.HasPrefix(r.URL.Path, "/status/"):
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, `{"message":"details the task never sees"}`)
	default:
		http.NotFound(w, r)
	}
}

func (s *server) last(t *testing.T) seen {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		t.Fatal("the server received no request")
	}
	return s.requests[len(s.requests)-1]
}

type connections map[string]*Connection

func (c connections) Connection(arn string) (*Connection, bool) {
	conn, ok := c[arn]
	return conn, ok
}

func testConnections(s *server) connections {
	return connections{
		connNone: {Arn: connNone},
		connKey:  {Arn: connKey, APIKey: &APIKeyAuth{Name: "X-Api-Key", Value: "secret-key"}},
		connBas:  {Arn: connBas, Basic: &BasicAuth{Username: "user", Password: "pa:ss"}},
		connMrg: {
			Arn:                       connMrg,
			APIKey:                    &APIKeyAuth{Name: "ApiKey", Value: "key_value"},
			InvocationHeaders:         map[string]string{"Header-Param": "connection_header_param"},
			InvocationQueryParameters: map[string]string{"QueryParam": "connection query"},
			InvocationBodyParameters:  map[string]string{"BodyParam": "connection_body_param"},
		},
		"oauth": {Arn: "oauth", OAuth: &OAuthAuth{
			TokenURL: s.URL + "/token", ClientID: "client id", ClientSecret: "s3cr&t", Scope: "read",
			BodyParameters:   map[string]string{"audience": "api"},
			HeaderParameters: map[string]string{"X-Token-Req": "yes"},
			QueryParameters:  map[string]string{"tenant": "t1"},
		}},
	}
}

func invoke(ctx context.Context, inv *Invoker, input string) (any, error) {
	v, err := jsonv.ParseString(input)
	if err != nil {
		panic(err)
	}
	return inv.Invoke(ctx, taskport.Request{Resource: resource, Input: v, ExecutionArn: execArn, StateName: "Call"})
}

// taskParams builds a Parameters document calling path on s.
func taskParams(s *server, path, method, conn, extra string) string {
	p := fmt.Sprintf(`{"ApiEndpoint":%q,"Method":%q,"Authentication":{"ConnectionArn":%q}`, s.URL+path, method, conn)
	if extra != "" {
		p += "," + extra
	}
	return p + "}"
}

func TestResourceNotSupported(t *testing.T) {
	inv := &Invoker{}
	for _, r := range []string{
		"arn:aws:states:::lambda:invoke",
		"arn:aws:lambda:us-east-1:123456789012:function:f",
		"arn:aws:states:::http:invoke.waitForTaskToken",
		"arn:aws:states:::http:invoke.sync",
		"arn:aws:states:us-east-1::http:invoke",
		"",
	} {
		if _, err := inv.Invoke(context.Background(), taskport.Request{Resource: r, Input: jsonv.NewObject(0)}); !errors.Is(err, taskport.ErrNotSupported) {
			t.Errorf("%q: err = %v, want ErrNotSupported", r, err)
		}
	}
	// Every partition's http:invoke is ours (here it fails on its Parameters).
	for _, r := range []string{resource, "arn:aws-cn:states:::http:invoke", "arn:aws-us-gov:states:::http:invoke"} {
		_, err := inv.Invoke(context.Background(), taskport.Request{Resource: r, Input: jsonv.NewObject(0)})
		var te *taskport.Failure
		if !errors.As(err, &te) || te.Name != ErrRuntime {
			t.Errorf("%q: err = %v, want States.Runtime", r, err)
		}
	}
}

func TestRequests(t *testing.T) {
	s := newServer(t)
	inv := &Invoker{Connections: testConnections(s)}
	formHdr := `"Headers":{"Content-Type":"application/x-www-form-urlencoded"}`
	form := func(format string) string {
		opts := ""
		if format != "" {
			opts = fmt.Sprintf(`,"RequestEncodingOptions":{"ArrayFormat":%q}`, format)
		}
		return formHdr + `,"RequestBody":{"array":["a","b c","d+e"],"name":"x&y","nested":{"on":true,"n":2}},"Transform":{"RequestBodyEncoding":"URL_ENCODED"` + opts + `}`
	}
	tests := []struct {
		name          string
		path, method  string
		conn, extra   string
		wantQuery     string
		wantBody      string
		wantType      string
		wantHeaders   map[string][]string
		wantNoHeaders []string
	}{
		{
			name: "GET with query parameters", path: "/echo", method: "GET", conn: connNone,
			extra:       `"QueryParameters":{"q":"a b&c","tags":["t1","t2"],"n":5,"flag":true}`,
			wantQuery:   "q=a%20b%26c&tags=t1&tags=t2&n=5&flag=true",
			wantHeaders: map[string][]string{"User-Agent": {"Amazon|StepFunctions|HttpInvoke|eu-west-1"}, "Range": {"bytes=0-262144"}},
			wantNoHeaders: []string{
				"Content-Type", // no body, no content type
			},
		},
		{
			name: "query appended to the endpoint's own", path: "/echo?fixed=1", method: "GET", conn: connNone,
			extra: `"QueryParameters":{"more":"2"}`, wantQuery: "fixed=1&more=2",
		},
		{
			name: "POST JSON body", path: "/echo", method: "POST", conn: connNone,
			extra:    `"RequestBody":{"b":[1,"two",null],"a":{"x":1.5}}`,
			wantBody: `{"b":[1,"two",null],"a":{"x":1.5}}`, wantType: "application/json; charset=UTF-8",
		},
		{
			name: "string body sent as is", path: "/echo", method: "PUT", conn: connNone,
			extra:    `"Headers":{"Content-Type":"text/plain"},"RequestBody":"raw text"`,
			wantBody: "raw text", wantType: "text/plain",
		},
		{
			name: "GET carries a body too", path: "/echo", method: "GET", conn: connNone,
			extra: `"RequestBody":{}`, wantBody: `{}`, wantType: "application/json; charset=UTF-8",
		},
		{
			name: "URL_ENCODED default INDICES", path: "/echo", method: "POST", conn: connNone, extra: form(""),
			wantBody: "array%5B0%5D=a&array%5B1%5D=b%20c&array%5B2%5D=d%2Be&name=x%26y&nested%5Bon%5D=true&nested%5Bn%5D=2",
			wantType: "application/x-www-form-urlencoded",
		},
		{
			name: "URL_ENCODED INDICES", path: "/echo", method: "POST", conn: connNone, extra: form("INDICES"),
			wantBody: "array%5B0%5D=a&array%5B1%5D=b%20c&array%5B2%5D=d%2Be&name=x%26y&nested%5Bon%5D=true&nested%5Bn%5D=2",
		},
		{
			name: "URL_ENCODED REPEAT", path: "/echo", method: "POST", conn: connNone, extra: form("REPEAT"),
			wantBody: "array=a&array=b%20c&array=d%2Be&name=x%26y&nested%5Bon%5D=true&nested%5Bn%5D=2",
		},
		{
			name: "URL_ENCODED COMMAS", path: "/echo", method: "POST", conn: connNone, extra: form("COMMAS"),
			wantBody: "array=a%2Cb%20c%2Cd%2Be&name=x%26y&nested%5Bon%5D=true&nested%5Bn%5D=2",
		},
		{
			name: "URL_ENCODED BRACKETS", path: "/echo", method: "POST", conn: connNone, extra: form("BRACKETS"),
			wantBody: "array%5B%5D=a&array%5B%5D=b%20c&array%5B%5D=d%2Be&name=x%26y&nested%5Bon%5D=true&nested%5Bn%5D=2",
		},
		{
			name: "URL_ENCODED without a Content-Type header", path: "/echo", method: "POST", conn: connNone,
			extra:    `"RequestBody":{"a":"1"},"Transform":{"RequestBodyEncoding":"URL_ENCODED"}`,
			wantBody: "a=1", wantType: "application/x-www-form-urlencoded",
		},
		{
			name: "NONE encoding is JSON", path: "/echo", method: "POST", conn: connNone,
			extra:    `"RequestBody":{"a":"1"},"Transform":{"RequestBodyEncoding":"NONE"}`,
			wantBody: `{"a":"1"}`, wantType: "application/json; charset=UTF-8",
		},
		{
			name: "custom headers; AWS's own override the task's", path: "/echo", method: "GET", conn: connNone,
			extra: `"Headers":{"X-Custom":"v1","x-list":["a","b"],"X-Num":7,"User-Agent":"mine","Range":"bytes=0-1"}`,
			wantHeaders: map[string][]string{
				"X-Custom": {"v1"}, "X-List": {"a", "b"}, "X-Num": {"7"},
				"User-Agent": {"Amazon|StepFunctions|HttpInvoke|eu-west-1"}, "Range": {"bytes=0-262144"},
			},
		},
		{
			name: "API key auth", path: "/echo", method: "GET", conn: connKey,
			wantHeaders: map[string][]string{"X-Api-Key": {"secret-key"}},
		},
		{
			name: "basic auth", path: "/echo", method: "GET", conn: connBas,
			wantHeaders: map[string][]string{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("user:pa:ss"))}},
		},
		{
			name: "connection data merged, connection wins", path: "/path", method: "POST", conn: connMrg,
			extra: `"Headers":{"Request-Id":"my_request_id","Header-Param":"state_machine_header_param"},` +
				`"RequestBody":{"Job":"Software Engineer","BodyParam":"state_machine_body_param"},` +
				`"QueryParameters":{"QueryParam":"state_machine_query_param","Other":"o"}`,
			wantQuery: "Other=o&QueryParam=connection%20query",
			wantBody:  `{"Job":"Software Engineer","BodyParam":"connection_body_param"}`,
			wantType:  "application/json; charset=UTF-8",
			wantHeaders: map[string][]string{
				"Apikey": {"key_value"}, "Header-Param": {"connection_header_param"}, "Request-Id": {"my_request_id"},
			},
		},
		{
			name: "connection body parameters without a RequestBody", path: "/path", method: "POST", conn: connMrg,
			wantQuery: "QueryParam=connection%20query",
			wantBody:  `{"BodyParam":"connection_body_param"}`,
		},
		{
			name: "connection body parameters URL-encoded", path: "/path", method: "POST", conn: connMrg,
			extra:     `"RequestBody":{"BodyParam":"mine","z":"1"},"Transform":{"RequestBodyEncoding":"URL_ENCODED"}`,
			wantQuery: "QueryParam=connection%20query",
			wantBody:  "BodyParam=connection_body_param&z=1",
		},
		{
			name: "InvocationConfig names the connection", path: "/echo", method: "DELETE", conn: connKey,
			extra:       `"Authentication":null`,
			wantHeaders: map[string][]string{"X-Api-Key": {"secret-key"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			input := taskParams(s, tc.path, tc.method, tc.conn, tc.extra)
			if strings.Contains(tc.extra, `"Authentication":null`) {
				input = fmt.Sprintf(`{"ApiEndpoint":%q,"Method":%q,"InvocationConfig":{"ConnectionArn":%q}}`, s.URL+tc.path, tc.method, tc.conn)
			}
			if _, err := invoke(context.Background(), inv, input); err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			got := s.last(t)
			wantPath, _, _ := strings.Cut(tc.path, "?")
			if got.Method != tc.method || got.Path != wantPath {
				t.Errorf("request %s %s, want %s %s", got.Method, got.Path, tc.method, wantPath)
			}
			if got.RawQuery != tc.wantQuery {
				t.Errorf("query %q, want %q", got.RawQuery, tc.wantQuery)
			}
			if got.Body != tc.wantBody {
				t.Errorf("body %q, want %q", got.Body, tc.wantBody)
			}
			if tc.wantType != "" && got.Header.Get("Content-Type") != tc.wantType {
				t.Errorf("Content-Type %q, want %q", got.Header.Get("Content-Type"), tc.wantType)
			}
			for name, want := range tc.wantHeaders {
				if g := got.Header.Values(name); strings.Join(g, "|") != strings.Join(want, "|") {
					t.Errorf("header %s = %q, want %q", name, g, want)
				}
			}
			for _, name := range tc.wantNoHeaders {
				if v := got.Header.Values(name); len(v) > 0 {
					t.Errorf("header %s = %q, want none", name, v)
				}
			}
			if g := got.Header.Get("User-Agent"); g != "Amazon|StepFunctions|HttpInvoke|eu-west-1" {
				t.Errorf("User-Agent %q", g)
			}
			if g := got.Header.Get("Range"); g != "bytes=0-262144" {
				t.Errorf("Range %q", g)
			}
		})
	}
}

func TestOAuthClientCredentials(t *testing.T) {
	s := newServer(t)
	inv := &Invoker{Connections: testConnections(s)}
	call := func() error {
		_, err := invoke(context.Background(), inv, taskParams(s, "/echo", "GET", "oauth", ""))
		return err
	}
	for range 3 {
		if err := call(); err != nil {
			t.Fatal(err)
		}
		if got := s.last(t).Header.Get("Authorization"); got != "Bearer tok-1" {
			t.Fatalf("Authorization %q, want the cached token", got)
		}
	}
	if n := s.tokens.Load(); n != 1 {
		t.Fatalf("token endpoint called %d times, want 1 (cached)", n)
	}
	tr := s.tokenReq[0]
	if tr.Method != "POST" || tr.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || tr.Header.Get("X-Token-Req") != "yes" || tr.RawQuery != "tenant=t1" {
		t.Errorf("token request %s ?%s %v", tr.Method, tr.RawQuery, tr.Header)
	}
	form, err := url.ParseQuery(tr.Body)
	if err != nil || form.Get("grant_type") != "client_credentials" || form.Get("client_id") != "client id" ||
		form.Get("client_secret") != "s3cr&t" || form.Get("scope") != "read" || form.Get("audience") != "api" {
		t.Errorf("token request body %q", tr.Body)
	}

	// A 401 drops the token: that attempt fails, the next one fetches anew.
	s.reject.Store(true)
	var te *taskport.Failure
	if err := call(); !errors.As(err, &te) || te.Name != "States.Http.StatusCode.401" {
		t.Fatalf("err = %v, want States.Http.StatusCode.401", err)
	}
	if err := call(); err != nil {
		t.Fatal(err)
	}
	if got := s.last(t).Header.Get("Authorization"); got != "Bearer tok-2" || s.tokens.Load() != 2 {
		t.Fatalf("after a 401: Authorization %q, %d token fetches", got, s.tokens.Load())
	}

	// Expiry: a token is fetched again once it is within 60 s of expiring.
	clock := time.Now()
	now = func() time.Time { return clock }
	defer func() { now = time.Now }()
	inv2 := &Invoker{Connections: testConnections(s)}
	s.expires.Store(120)
	before := s.tokens.Load()
	for range 2 {
		if _, err := invoke(context.Background(), inv2, taskParams(s, "/echo", "GET", "oauth", "")); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.tokens.Load() - before; got != 1 {
		t.Fatalf("%d fetches for two calls within the token's life, want 1", got)
	}
	clock = clock.Add(61 * time.Second)
	if _, err := invoke(context.Background(), inv2, taskParams(s, "/echo", "GET", "oauth", "")); err != nil {
		t.Fatal(err)
	}
	if got := s.tokens.Load() - before; got != 2 {
		t.Fatalf("%d fetches after nearing expiry, want 2", got)
	}
}

func TestOAuthTokenFailure(t *testing.T) {
	s := newServer(t)
	conns := connections{"bad": {Arn: "bad", OAuth: &OAuthAuth{TokenURL: s.URL + "/status/401", ClientID: "c", ClientSecret: "s"}}}
	inv := &Invoker{Connections: conns}
	_, err := invoke(context.Background(), inv, taskParams(s, "/echo", "GET", "bad", ""))
	var te *taskport.Failure
	if !errors.As(err, &te) || te.Name != ErrConnectionInvalidState || !strings.Contains(te.Cause, "401") {
		t.Fatalf("err = %v, want %s", err, ErrConnectionInvalidState)
	}
}

func TestResponses(t *testing.T) {
	s := newServer(t)
	inv := &Invoker{Connections: testConnections(s)}
	tests := []struct {
		name, path, method string
		wantBody           any // nil: no ResponseBody member
		wantCode           int64
		wantText           string
	}{
		{"JSON body parsed", "/echo", "GET", map[string]any{"ok": true, "n": int64(1)}, 200, "OK"},
		{"text body kept as a string", "/text", "GET", `{"looks":"like json"}`, 200, "OK"},
		{"invalid JSON kept as a string", "/json-invalid", "GET", "not json", 200, "OK"},
		{"no content, no ResponseBody", "/empty", "DELETE", nil, 204, "No Content"},
		{"HEAD", "/echo", "HEAD", nil, 200, "OK"},
		{"2xx other than 200", "/status/201", "POST", map[string]any{"message": "details the task never sees"}, 201, "Created"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := invoke(context.Background(), inv, taskParams(s, tc.path, tc.method, connNone, ""))
			if err != nil {
				t.Fatal(err)
			}
			m := out.(*jsonv.Object).Map()
			if m["StatusCode"] != tc.wantCode || m["StatusText"] != tc.wantText {
				t.Errorf("status %v %v, want %d %s", m["StatusCode"], m["StatusText"], tc.wantCode, tc.wantText)
			}
			body, has := m["ResponseBody"]
			if tc.wantBody == nil {
				if has {
					t.Errorf("ResponseBody %v, want none", body)
				}
			} else if !jsonv.Equal(body, tc.wantBody) {
				t.Errorf("ResponseBody %s, want %s", jsonv.String(body), jsonv.String(tc.wantBody))
			}
			headers, ok := m["Headers"].(*jsonv.Object)
			if !ok {
				t.Fatalf("Headers %T", m["Headers"])
			}
			for name, v := range headers.All() {
				arr, ok := v.([]any)
				if !ok || len(arr) == 0 {
					t.Errorf("header %s = %v, want an array of strings", name, v)
				}
			}
			if len(m) > 4 {
				t.Errorf("unexpected members: %s", jsonv.String(m))
			}
		})
	}
	out, _ := invoke(context.Background(), inv, taskParams(s, "/echo", "GET", connNone, ""))
	h := out.(*jsonv.Object).Value("Headers").(*jsonv.Object).Map()
	if !jsonv.Equal(h["X-Multi"], []any{"one", "two"}) || !jsonv.Equal(h["Content-Type"], []any{"application/json"}) {
		t.Errorf("Headers %s", jsonv.String(h))
	}
}

func TestFailures(t *testing.T) {
	s := newServer(t)
	inv := &Invoker{Connections: testConnections(s)}
	// A port with nothing listening on it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	tests := []struct {
		name, input string
		wantName    string
		wantCause   string // substring
		notInCause  string
	}{
		{"404", taskParams(s, "/status/404", "GET", connNone, ""), "States.Http.StatusCode.404", "Not Found", "details"},
		{"500", taskParams(s, "/status/500", "POST", connNone, `"RequestBody":{"a":1}`), "States.Http.StatusCode.500", "Internal Server Error", "details"},
		{"429", taskParams(s, "/status/429", "GET", connNone, ""), "States.Http.StatusCode.429", "Too Many Requests", ""},
		{"redirect not followed", taskParams(s, "/redirect", "GET", connKey, ""), "States.Http.StatusCode.302", "Found", ""},
		{"connection refused", fmt.Sprintf(`{"ApiEndpoint":%q,"Method":"GET","Authentication":{"ConnectionArn":%q}}`, closed+"/x", connMrg),
			ErrSocket, "127.0.0.1", "connection query"},
		{"unknown connection", taskParams(s, "/echo", "GET", "arn:aws:events:eu-west-1:1:connection/nope/1", ""),
			ErrConnectionNotFound, "connection/nope/1", ""},
		{"unsupported content type", taskParams(s, "/binary", "GET", connNone, ""), ErrRuntime, "Unsupported response content-type 'image/png'", ""},
		{"invalid UTF-8", taskParams(s, "/invalid-utf8", "GET", connNone, ""), ErrRuntime, "UTF-8", ""},
		{"response too large", taskParams(s, "/large", "GET", connNone, ""), ErrDataLimit, "'Call'", ""},
		{"string body with connection body parameters", taskParams(s, "/echo", "POST", connMrg, `"RequestBody":"raw"`),
			ErrRuntime, "Cannot merge connection body authorization parameters with request body.", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := invoke(context.Background(), inv, tc.input)
			var te *taskport.Failure
			if !errors.As(err, &te) {
				t.Fatalf("out %v err %v, want a TaskError", out, err)
			}
			if te.Name != tc.wantName || !strings.Contains(te.Cause, tc.wantCause) {
				t.Errorf("got %s: %q, want %s containing %q", te.Name, te.Cause, tc.wantName, tc.wantCause)
			}
			if tc.notInCause != "" && strings.Contains(te.Cause, tc.notInCause) {
				t.Errorf("cause %q contains %q", te.Cause, tc.notInCause)
			}
		})
	}
}

func TestParameterErrors(t *testing.T) {
	s := newServer(t)
	inv := &Invoker{Connections: testConnections(s)}
	auth := fmt.Sprintf(`"Authentication":{"ConnectionArn":%q}`, connNone)
	ep := fmt.Sprintf(`"ApiEndpoint":%q`, s.URL+"/echo")
	tests := []struct{ name, input, cause string }{
		{"not an object", `"text"`, "must be a JSON object"},
		{"missing ApiEndpoint", `{"Method":"GET",` + auth + `}`, "'ApiEndpoint' is required"},
		{"missing Method", `{` + ep + `,` + auth + `}`, "'Method' is required"},
		{"bad Method", `{` + ep + `,"Method":"FETCH",` + auth + `}`, "'Method' must be one of"},
		{"lower-case Method", `{` + ep + `,"Method":"get",` + auth + `}`, "'Method' must be one of"},
		{"bad scheme", `{"ApiEndpoint":"ftp://127.0.0.1/x","Method":"GET",` + auth + `}`, "'ApiEndpoint' must be a valid"},
		{"not a URL", `{"ApiEndpoint":"echo","Method":"GET",` + auth + `}`, "'ApiEndpoint' must be a valid"},
		{"missing connection", `{` + ep + `,"Method":"GET"}`, "'Authentication' or 'InvocationConfig' is required"},
		{"empty ConnectionArn", `{` + ep + `,"Method":"GET","Authentication":{}}`, "ConnectionArn' is required"},
		{"unknown field", `{` + ep + `,"Method":"GET",` + auth + `,"Header":{}}`, "'Header' is not supported"},
		{"forbidden headers", `{` + ep + `,"Method":"GET",` + auth + `,"Headers":{"Authorization":"x","X-Amz-Date":"d","X-Forwarded-For":"f","Cache-Control":"no"}}`,
			"[The 'Headers' field contains unsupported values: [authorization, cache-control, x-amz-date, x-forwarded-for]]"},
		{"header object value", `{` + ep + `,"Method":"GET",` + auth + `,"Headers":{"X-A":{"b":1}}}`, "unsupported values: [x-a]"},
		{"query object value", `{` + ep + `,"Method":"GET",` + auth + `,"QueryParameters":{"a":{"b":1}}}`, "'QueryParameters' field contains unsupported values: [a]"},
		{"bad encoding", `{` + ep + `,"Method":"POST",` + auth + `,"Transform":{"RequestBodyEncoding":"GZIP"}}`, "RequestBodyEncoding' must be one of"},
		{"bad array format", `{` + ep + `,"Method":"POST",` + auth + `,"Transform":{"RequestBodyEncoding":"URL_ENCODED","RequestEncodingOptions":{"ArrayFormat":"JSON"}}}`, "ArrayFormat' must be one of"},
		{"array body URL-encoded", `{` + ep + `,"Method":"POST",` + auth + `,"RequestBody":[1],"Transform":{"RequestBodyEncoding":"URL_ENCODED"}}`, "cannot be URL-encoded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.mu.Lock()
			before := len(s.requests)
			s.mu.Unlock()
			_, err := invoke(context.Background(), inv, tc.input)
			var te *taskport.Failure
			if !errors.As(err, &te) || te.Name != ErrRuntime || !strings.Contains(te.Cause, tc.cause) {
				t.Fatalf("err = %v, want States.Runtime containing %q", err, tc.cause)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if len(s.requests) != before {
				t.Error("a request was sent")
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	s := newServer(t)
	inv := &Invoker{Connections: testConnections(s)}

	t.Run("caller's deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := invoke(ctx, inv, taskParams(s, "/slow", "GET", connNone, ""))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v", d)
		}
	})

	t.Run("caller's cancellation", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := invoke(ctx, inv, taskParams(s, "/slow", "GET", connNone, ""))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})

	t.Run("socket timeout", func(t *testing.T) {
		old := socketTimeout
		socketTimeout = 100 * time.Millisecond
		defer func() { socketTimeout = old }()
		_, err := invoke(context.Background(), inv, taskParams(s, "/slow", "GET", connNone, ""))
		var te *taskport.Failure
		if !errors.As(err, &te) || te.Name != ErrSocket || !strings.Contains(te.Cause, "did not complete within") {
			t.Fatalf("err = %v, want States.Http.Socket", err)
		}
	})

	t.Run("client timeout", func(t *testing.T) {
		inv := &Invoker{Client: &http.Client{Timeout: 100 * time.Millisecond}, Connections: testConnections(s)}
		_, err := invoke(context.Background(), inv, taskParams(s, "/slow", "GET", connNone, ""))
		var te *taskport.Failure
		if !errors.As(err, &te) || te.Name != ErrSocket {
			t.Fatalf("err = %v, want States.Http.Socket", err)
		}
	})
}

// A trace shows the request as the task's own data makes it, and as sent
// only when secrets are revealed; the response as received, whatever its
// status.
func TestTrace(t *testing.T) {
	s := newServer(t)
	inv := &Invoker{Connections: testConnections(s)}
	params := taskParams(s, "/echo", "POST", connMrg, `"Headers":{"X-Own":"mine"},"QueryParameters":{"q":"1"},"RequestBody":{"k":"v"}`)
	cases := []struct {
		name       string
		params     string
		reveal     bool
		wantURL    string
		wantBody   string
		wantHeader map[string]string // "" for absent
		wantStatus int
		wantResp   string
	}{
		{"secrets left out", params, false, s.URL + "/echo?q=1", `{"k":"v"}`,
			map[string]string{"X-Own": "mine", "ApiKey": "", "Header-Param": "", "Range": "bytes=0-262144", "User-Agent": "Amazon|StepFunctions|HttpInvoke|eu-west-1", "Content-Type": jsonContentType},
			200, `{"ok":true,"n":1}`},
		{"secrets revealed", params, true, s.URL + "/echo?q=1&QueryParam=connection%20query", `{"k":"v","BodyParam":"connection_body_param"}`,
			map[string]string{"X-Own": "mine", "ApiKey": "key_value", "Header-Param": "connection_header_param"},
			200, `{"ok":true,"n":1}`},
		{"an error status", taskParams(s, "/status/404", "GET", connKey, ""), false, s.URL + "/status/404", "",
			map[string]string{"X-Api-Key": ""},
			404, `{"message":"details the task never sees"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, _ := jsonv.ParseString(c.params)
			trace := &taskport.HTTPTrace{RevealSecrets: c.reveal}
			_, _ = inv.Invoke(context.Background(), taskport.Request{Resource: resource, Input: v, ExecutionArn: execArn, StateName: "Call", Trace: trace})
			req, resp := trace.Request, trace.Response
			if req == nil || resp == nil {
				t.Fatalf("trace %+v", trace)
			}
			if req.URL != c.wantURL || req.Body != c.wantBody {
				t.Errorf("request %s %s %s", req.Method, req.URL, req.Body)
			}
			for k, want := range c.wantHeader {
				if got := req.Header.Get(k); got != want {
					t.Errorf("request header %s = %q, want %q", k, got, want)
				}
			}
			if resp.StatusCode != c.wantStatus || resp.Body != c.wantResp || resp.Header.Get("Content-Type") != "application/json" || resp.Proto != "HTTP/1.1" {
				t.Errorf("response %+v", resp)
			}
		})
	}
	// The server got the whole request either way.
	if got := s.last(t); got.Header.Get("X-Api-Key") != "secret-key" {
		t.Errorf("the server got %+v", got)
	}
}
