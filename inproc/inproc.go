// Package inproc calls an HTTP handler of this process the way a client
// calls a server, without a socket: a request is served by the handler in
// the calling goroutine and its answer comes back as an *http.Response.
//
// The server's own parts use it to call the Step Functions API (the
// handler api.New returns) as a given principal: the workflow API and the
// media service inside `statecraft server`, the web console, and deploy.
// Being in process is what authenticates such a call: the request's
// context carries an auth.Principal (auth.WithPrincipal), which the API
// takes in place of a SigV4 signature, so every role and account rule of
// the API applies to it as to a signed request. A request that comes over
// the network cannot carry a context value, so it cannot claim one.
//
// The response is complete when the call returns (the handler has
// returned): a handler that streams, such as the console's live event
// stream, is not called this way.
package inproc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/statecraft/statecraft/auth"
)

// RemoteAddr is the client address handlers see on an in-process
// request: this host, which is where the call comes from.
const RemoteAddr = "127.0.0.1:0"

// Transport is an http.RoundTripper that serves every request with
// Handler. A request whose context carries no principal acts as
// Principal; with Principal nil it carries none, and the handler
// authenticates it as it would any request.
type Transport struct {
	Handler   http.Handler
	Principal *auth.Principal
}

// RoundTrip serves r with t.Handler. It returns an error only when the
// handler panics: whatever the handler answers, error statuses included,
// is the response. The request's context is the handler's: cancelling it
// is what cuts a long poll short.
func (t *Transport) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	if r.Body != nil {
		defer r.Body.Close()
	}
	in, err := serverRequest(r, t.Principal)
	if err != nil {
		return nil, err
	}
	w := &response{header: http.Header{}}
	defer func() {
		switch v := recover(); v {
		case nil:
		case http.ErrAbortHandler:
			resp, err = nil, fmt.Errorf("inproc: %s %s: the handler aborted the response", r.Method, r.URL.Path)
		default:
			// As net/http's server does: the caller sees a failed call, the
			// process lives on, and the stack, the only trace of the bug,
			// goes to the log, not into an error that may reach a client.
			slog.Error("inproc: panic serving a request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			resp, err = nil, fmt.Errorf("inproc: %s %s: the handler panicked: %v", r.Method, r.URL.Path, v)
		}
	}()
	t.Handler.ServeHTTP(w, in)
	return w.result(r), nil
}

// Do serves r with h, as the principal r's context carries, if any.
func Do(h http.Handler, r *http.Request) (*http.Response, error) {
	return (&Transport{Handler: h}).RoundTrip(r)
}

// StepFunctions returns a Step Functions client whose requests h, the
// API's handler, serves in process. Each request acts as the principal
// its context carries, or else as p, in p.Region. Nothing is signed that
// the API reads: the client's credentials only satisfy the SDK.
func StepFunctions(h http.Handler, p *auth.Principal) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       p.Region,
		HTTPClient:   &http.Client{Transport: &Transport{Handler: h, Principal: p}},
		BaseEndpoint: aws.String("http://statecraft.internal"),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "statecraft", SecretAccessKey: "statecraft", Source: "in-process"}, nil
		}),
	})
}

// serverRequest is r as a server hands it to a handler: its URL only a
// path and query, RequestURI and RemoteAddr set, a body never nil, and
// the principal in its context.
func serverRequest(r *http.Request, p *auth.Principal) (*http.Request, error) {
	ctx := r.Context()
	if _, ok := auth.PrincipalFrom(ctx); !ok && p != nil {
		ctx = auth.WithPrincipal(ctx, p)
	}
	in := r.Clone(ctx)
	in.RequestURI = r.URL.RequestURI()
	u, err := url.ParseRequestURI(in.RequestURI)
	if err != nil {
		return nil, fmt.Errorf("inproc: %s: %w", in.RequestURI, err)
	}
	in.URL = u
	if in.Host == "" {
		in.Host = r.URL.Host
	}
	in.RemoteAddr = RemoteAddr
	if in.Body == nil {
		in.Body = http.NoBody
	}
	// Clone shares the body; the handler reads it, the caller closes it.
	in.Body = io.NopCloser(in.Body)
	in.Proto, in.ProtoMajor, in.ProtoMinor = "HTTP/1.1", 1, 1
	in.TLS = nil
	return in, nil
}

// response is the http.ResponseWriter of an in-process call. It keeps
// net/http's server rules where a handler can tell the difference: the
// header as it was when the status was written, one status only, no body
// for a status or method that has none, Content-Type sniffed when unset.
type response struct {
	header http.Header
	sent   http.Header // header when the status was written
	status int
	body   bytes.Buffer
}

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code)) // as net/http does
	}
	if w.sent != nil {
		return // a superfluous call: the first status stands
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		// An informational answer (103 Early Hints, ...) goes before the
		// real one, which a client reads as the response.
		return
	}
	w.status = code
	w.sent = w.header.Clone()
}

func (w *response) Write(b []byte) (int, error) {
	if w.sent == nil {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	return w.body.Write(b)
}

// Flush does nothing: the body goes to the caller when the handler
// returns. Handlers that flush (http.Flusher, http.ResponseController)
// run unchanged.
func (w *response) Flush() {}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// result is the response the caller of r gets.
func (w *response) result(r *http.Request) *http.Response {
	if w.sent == nil {
		w.WriteHeader(http.StatusOK) // the handler wrote nothing at all
	}
	h := w.sent
	body := w.body.Bytes()
	if r.Method == http.MethodHead {
		body = nil
	}
	if _, ok := h["Content-Type"]; !ok && len(body) > 0 && h.Get("Content-Encoding") == "" {
		h.Set("Content-Type", http.DetectContentType(body[:min(len(body), 512)]))
	}
	if _, ok := h["Content-Length"]; !ok && bodyAllowed(w.status) && r.Method != http.MethodHead {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return &http.Response{
		Status:        strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}
}
