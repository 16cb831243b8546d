// Package httptask runs Step Functions HTTP Tasks
// (Resource "arn:aws:states:::http:invoke", any partition): it calls an
// HTTP(S) endpoint with the task's Parameters, authorizing the call with an
// EventBridge-style connection, and returns the response in the shape AWS
// gives it:
//
//	{"Headers": {"Content-Type": ["application/json"], ...},
//	 "ResponseBody": {...} or "text",
//	 "StatusCode": 200,
//	 "StatusText": "OK"}
//
// It follows the AWS Step Functions developer guide, "Call HTTPS APIs in
// Step Functions workflows" (call-https-apis):
//
//   - Parameters: ApiEndpoint and Method (GET, POST, PUT, DELETE, PATCH,
//     OPTIONS, HEAD) are required, and so is a connection, named by
//     Authentication.ConnectionArn or InvocationConfig.ConnectionArn. Headers,
//     QueryParameters, RequestBody and Transform are optional.
//   - AWS only calls https endpoints. A local engine calls test servers and
//     sidecars too, so http:// endpoints are accepted as well.
//   - Step Functions sets User-Agent (Amazon|StepFunctions|HttpInvoke|REGION),
//     Range (bytes=0-262144) and Host. The task's Headers may not name the
//     headers AWS lists (Authorization, Host, Connection, Cache-Control,
//     If-*, x-forwarded-*, x-amz-*, x-amzn-* and others): such a task fails
//     with States.Runtime. The connection may set any header.
//   - The connection's invocation headers, query parameters and body
//     parameters are merged into the task's, the connection winning on
//     duplicate keys; a string RequestBody cannot be merged with connection
//     body parameters (States.Runtime).
//   - Transform.RequestBodyEncoding URL_ENCODED sends the body as form data,
//     arrays encoded per Transform.RequestEncodingOptions.ArrayFormat
//     (INDICES, the default; REPEAT; COMMAS; BRACKETS).
//   - A non-2xx response fails the task with States.Http.StatusCode.<code>,
//     its cause the response's status text; the body is discarded.
//   - A connection failure or the 60-second request timeout fails the task
//     with States.Http.Socket.
//   - Responses whose content type is application/octet-stream, image/*,
//     video/* or audio/*, or whose body is not valid UTF-8, fail the task with
//     States.Runtime.
//   - An unknown connection fails the task with
//     Events.ConnectionResource.ResourceNotFound.
//
// OAuth client-credentials connections fetch a token from the connection's
// authorization endpoint and cache it until it is within 60 seconds of
// expiring; a 401 or 407 response drops the cached token so that the next
// attempt (a Retry) fetches a new one, as EventBridge does.
package httptask

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// Error names this package fails tasks with.
const (
	ErrRuntime          = "States.Runtime"
	ErrSocket           = "States.Http.Socket"
	ErrStatusCodePrefix = "States.Http.StatusCode."
	ErrDataLimit        = "States.DataLimitExceeded"
	// Connection errors carry EventBridge's prefix.
	ErrConnectionNotFound     = "Events.ConnectionResource.ResourceNotFound"
	ErrConnectionInvalidState = "Events.ConnectionResource.InvalidConnectionState"
)

// Request headers Step Functions sets on every call.
const (
	userAgentPrefix = "Amazon|StepFunctions|HttpInvoke|"
	rangeValue      = "bytes=0-262144"
	defaultRegion   = "us-east-1"
	jsonContentType = "application/json; charset=UTF-8"
	formContentType = "application/x-www-form-urlencoded"
)

// maxResponseBytes is what the Range header asks for (bytes 0 to 262144
// inclusive); a longer response could not fit in a state's 256 KiB result.
const maxResponseBytes = 262145

// socketTimeout bounds one HTTP Task request, token fetch included. AWS:
// "HTTP task requests will timeout after 60 seconds." A var so tests can
// shorten it.
var socketTimeout = 60 * time.Second

var errSocketTimeout = errors.New("the HTTP request timed out")

var resourceRE = regexp.MustCompile(`^arn:[a-z0-9-]+:states:::http:invoke$`)

// ConnectionSource resolves EventBridge connection ARNs.
type ConnectionSource interface {
	Connection(arn string) (*Connection, bool)
}

// Connection mirrors an EventBridge connection's authorization parameters.
// Exactly one of APIKey, Basic and OAuth is normally set; if several are,
// the first of APIKey, Basic, OAuth is used.
type Connection struct {
	Arn    string
	APIKey *APIKeyAuth
	Basic  *BasicAuth
	OAuth  *OAuthAuth
	// InvocationHttpParameters: added to every call, replacing the task's
	// values for the same keys.
	InvocationHeaders         map[string]string
	InvocationQueryParameters map[string]string
	InvocationBodyParameters  map[string]string
}

// APIKeyAuth sends the key as the header Name.
type APIKeyAuth struct{ Name, Value string }

// BasicAuth sends an "Authorization: Basic" header.
type BasicAuth struct{ Username, Password string }

// OAuthAuth is an OAuth client-credentials grant. TokenURL is EventBridge's
// AuthorizationEndpoint and HTTPMethod its HttpMethod (GET, POST or PUT;
// POST when empty). The client ID and secret are sent as client_id and
// client_secret with the body parameters (form-encoded; in the query string
// for GET), and grant_type=client_credentials is added unless the body
// parameters name a grant_type. Scope, when set, is sent as scope.
type OAuthAuth struct {
	TokenURL         string
	ClientID         string
	ClientSecret     string
	HTTPMethod       string
	Scope            string
	BodyParameters   map[string]string
	HeaderParameters map[string]string
	QueryParameters  map[string]string
}

// Invoker runs HTTP Tasks. Client is the HTTP client to use
// (http.DefaultClient when nil); redirects are not followed unless the
// client sets its own CheckRedirect. Connections resolves connection ARNs.
// An Invoker must not be copied after first use (it caches OAuth tokens).
type Invoker struct {
	Client      *http.Client
	Connections ConnectionSource

	mu     sync.Mutex
	tokens map[string]*tokenEntry
}

// Invoke runs one HTTP Task attempt. It returns taskport.ErrNotSupported for
// any resource other than arn:PARTITION:states:::http:invoke.
func (i *Invoker) Invoke(ctx context.Context, req taskport.Request) (any, error) {
	if !resourceRE.MatchString(req.Resource) {
		return nil, taskport.ErrNotSupported
	}
	p, err := parseParams(req)
	if err != nil {
		return nil, err
	}
	conn, err := i.connection(p.connArn)
	if err != nil {
		return nil, err
	}

	// One deadline for the whole attempt, token fetch included; the
	// caller's ctx (the state's TimeoutSeconds) can only shorten it.
	rctx, cancel := context.WithTimeoutCause(ctx, socketTimeout, errSocketTimeout)
	defer cancel()

	hreq, oauthToken, err := i.buildRequest(rctx, ctx, req, p, conn)
	if err != nil {
		return nil, err
	}
	resp, err := i.client().Do(hreq)
	if err != nil {
		return nil, socketError(ctx, rctx, p, err)
	}
	defer resp.Body.Close()

	statusText := reasonPhrase(resp)
	if req.Trace != nil {
		req.Trace.Response = &taskport.HTTPResponse{Proto: resp.Proto, StatusCode: resp.StatusCode, Status: statusText, Header: resp.Header.Clone()}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if oauthToken != "" && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusProxyAuthRequired) {
			i.dropToken(conn, oauthToken)
		}
		if req.Trace != nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
			req.Trace.Response.Body = string(b)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
		return nil, &taskport.Failure{Name: ErrStatusCodePrefix + strconv.Itoa(resp.StatusCode), Cause: statusText}
	}

	ctype := resp.Header.Get("Content-Type")
	media := mediaType(ctype)
	if media == "application/octet-stream" || strings.HasPrefix(media, "image/") || strings.HasPrefix(media, "video/") || strings.HasPrefix(media, "audio/") {
		return nil, &taskport.Failure{Name: ErrRuntime, Cause: fmt.Sprintf("Unsupported response content-type '%s'. Please see documentation for list of unsupported content-types.", ctype)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, socketError(ctx, rctx, p, err)
	}
	if req.Trace != nil {
		req.Trace.Response.Body = string(body)
	}
	if len(body) > maxResponseBytes {
		return nil, &taskport.Failure{Name: ErrDataLimit, Cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", req.StateName)}
	}
	if !utf8.Valid(body) {
		return nil, &taskport.Failure{Name: ErrRuntime, Cause: "The HTTP response body could not be read as a valid UTF-8 string."}
	}

	headers := make(map[string]any, len(resp.Header))
	for name, values := range resp.Header {
		vs := make([]any, len(values))
		for j, v := range values {
			vs[j] = v
		}
		headers[name] = vs
	}
	out := map[string]any{
		"Headers":    headers,
		"StatusCode": int64(resp.StatusCode),
		"StatusText": statusText,
	}
	if len(body) > 0 {
		out["ResponseBody"] = string(body)
		if isJSON(media) {
			if v, err := jsonv.Parse(body); err == nil {
				out["ResponseBody"] = v
			}
		}
	}
	// Sorted keys (headers too): the order of AWS's documented example.
	return jsonv.FromMap(out), nil
}

func (i *Invoker) client() *http.Client {
	c := http.DefaultClient
	if i.Client != nil {
		c = i.Client
	}
	if c.CheckRedirect != nil {
		return c
	}
	// A redirect would carry the connection's credentials to another URL;
	// the 3xx is the task's result (a States.Http.StatusCode.3xx failure).
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

func (i *Invoker) connection(arn string) (*Connection, error) {
	var conn *Connection
	ok := false
	if i.Connections != nil {
		conn, ok = i.Connections.Connection(arn)
	}
	if !ok || conn == nil {
		return nil, &taskport.Failure{Name: ErrConnectionNotFound, Cause: fmt.Sprintf("The connection '%s' does not exist.", arn)}
	}
	return conn, nil
}

// message is an HTTP request before it is authorized.
type message struct {
	url     string
	header  http.Header
	body    []byte
	hasBody bool
}

// assemble merges the task's data and the connection's invocation
// parameters (not its credentials) into a request.
func assemble(req taskport.Request, p *params, conn *Connection) (*message, error) {
	// Query: the task's parameters, then the connection's, which replace
	// the task's for the same keys.
	var query []string
	for _, kv := range p.query {
		if _, dup := conn.InvocationQueryParameters[kv.key]; !dup {
			query = append(query, escape(kv.key)+"="+escape(kv.value))
		}
	}
	for _, k := range sortedKeys(conn.InvocationQueryParameters) {
		query = append(query, escape(k)+"="+escape(conn.InvocationQueryParameters[k]))
	}
	u := *p.endpoint
	u.Fragment, u.RawFragment = "", ""
	if len(query) > 0 {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += strings.Join(query, "&")
	}

	body, hasBody, err := requestBody(p, conn)
	if err != nil {
		return nil, err
	}
	h := p.headers.Clone()
	for _, k := range sortedKeys(conn.InvocationHeaders) {
		h.Set(k, conn.InvocationHeaders[k])
	}
	if hasBody && h.Get("Content-Type") == "" {
		if p.encoding == encodingURL && isObject(p.body) {
			h.Set("Content-Type", formContentType)
		} else {
			h.Set("Content-Type", jsonContentType)
		}
	}
	h.Set("User-Agent", userAgentPrefix+region(req.ExecutionArn, conn.Arn))
	h.Set("Range", rangeValue)
	return &message{url: u.String(), header: h, body: body, hasBody: hasBody}, nil
}

// buildRequest merges the task's and the connection's data into the HTTP
// request. It returns the OAuth token it used, if any.
func (i *Invoker) buildRequest(rctx, ctx context.Context, req taskport.Request, p *params, conn *Connection) (*http.Request, string, error) {
	msg, err := assemble(req, p, conn)
	if err != nil {
		return nil, "", err
	}
	var reader io.Reader
	if msg.hasBody {
		reader = bytes.NewReader(msg.body)
	}
	hreq, err := http.NewRequestWithContext(rctx, p.method, msg.url, reader)
	if err != nil {
		return nil, "", runtimeError(req, p.raw, err.Error())
	}
	hreq.Header = msg.header
	var token string
	switch {
	case conn.APIKey != nil:
		hreq.Header.Set(conn.APIKey.Name, conn.APIKey.Value)
	case conn.Basic != nil:
		hreq.SetBasicAuth(conn.Basic.Username, conn.Basic.Password)
	case conn.OAuth != nil:
		token, err = i.token(rctx, conn)
		if err != nil {
			if ctx.Err() != nil {
				return nil, "", ctx.Err()
			}
			if errors.Is(context.Cause(rctx), errSocketTimeout) {
				return nil, "", &taskport.Failure{Name: ErrSocket, Cause: fmt.Sprintf("The OAuth token request for connection '%s' did not complete within %v.", conn.Arn, socketTimeout)}
			}
			return nil, "", &taskport.Failure{Name: ErrConnectionInvalidState, Cause: fmt.Sprintf("The connection '%s' could not be authorized: %v", conn.Arn, err)}
		}
		hreq.Header.Set("Authorization", "Bearer "+token)
	}
	if req.Trace != nil {
		req.Trace.Request = traced(req, p, conn, hreq, msg)
	}
	return hreq, token, nil
}

// traced is the request as a trace shows it: as sent when secrets are
// revealed, else as the task's own data makes it, without what the
// connection adds.
func traced(req taskport.Request, p *params, conn *Connection, hreq *http.Request, msg *message) *taskport.HTTPRequest {
	if !req.Trace.RevealSecrets {
		if own, err := assemble(req, p, &Connection{Arn: conn.Arn}); err == nil {
			msg = own
		}
		return &taskport.HTTPRequest{Method: p.method, URL: msg.url, Header: msg.header, Body: string(msg.body)}
	}
	return &taskport.HTTPRequest{Method: p.method, URL: msg.url, Header: hreq.Header.Clone(), Body: string(msg.body)}
}

// requestBody merges the connection's body parameters into the task's
// RequestBody and encodes it.
func requestBody(p *params, conn *Connection) ([]byte, bool, error) {
	body := p.body
	hasBody := p.hasBody
	if len(conn.InvocationBodyParameters) > 0 {
		// The body's keys keep their order; the connection's parameters
		// (a Go map, so sorted) are set onto it: a key the body has keeps
		// its place, new ones go last.
		var merged *jsonv.Object
		switch b := body.(type) {
		case nil:
			merged = jsonv.NewObject(len(conn.InvocationBodyParameters))
		case *jsonv.Object:
			merged = b.Clone(len(conn.InvocationBodyParameters))
		default:
			return nil, false, &taskport.Failure{Name: ErrRuntime, Cause: "Cannot merge connection body authorization parameters with request body."}
		}
		names := make([]string, 0, len(conn.InvocationBodyParameters))
		for k := range conn.InvocationBodyParameters {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			merged.Set(k, conn.InvocationBodyParameters[k])
		}
		body, hasBody = merged, true
	}
	if !hasBody {
		return nil, false, nil
	}
	if s, ok := body.(string); ok {
		return []byte(s), true, nil
	}
	if p.encoding == encodingURL {
		m, ok := body.(*jsonv.Object)
		if !ok {
			return nil, false, &taskport.Failure{Name: ErrRuntime, Cause: fmt.Sprintf("The RequestBody cannot be URL-encoded: it is a JSON %s, not an object or a string.", jsonv.TypeName(body))}
		}
		return []byte(formEncode(m, p.arrayFormat)), true, nil
	}
	return jsonv.Marshal(body), true, nil
}

// socketError turns a transport failure into States.Http.Socket, or into
// the caller's own context error when the caller's deadline or
// cancellation caused it (the engine reports a deadline as States.Timeout).
func socketError(ctx, rctx context.Context, p *params, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	target := p.endpoint.Scheme + "://" + p.endpoint.Host + p.endpoint.EscapedPath()
	if errors.Is(context.Cause(rctx), errSocketTimeout) {
		return &taskport.Failure{Name: ErrSocket, Cause: fmt.Sprintf("The HTTP request to %s did not complete within %v.", target, socketTimeout)}
	}
	// url.Error's text repeats the whole URL, query string included, which
	// can hold connection secrets: name the endpoint without it.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &taskport.Failure{Name: ErrSocket, Cause: fmt.Sprintf("%s %s: %v", p.method, target, err)}
}

// reasonPhrase is the status line's text ("Not Found"), as the server sent
// it; empty when the server sent none.
func reasonPhrase(resp *http.Response) string {
	code := strconv.Itoa(resp.StatusCode)
	if rest, ok := strings.CutPrefix(resp.Status, code); ok {
		return strings.TrimSpace(rest)
	}
	return strings.TrimSpace(resp.Status)
}

func mediaType(ctype string) string {
	if ctype == "" {
		return ""
	}
	if m, _, err := mime.ParseMediaType(ctype); err == nil {
		return m
	}
	m, _, _ := strings.Cut(ctype, ";")
	return strings.ToLower(strings.TrimSpace(m))
}

func isJSON(media string) bool {
	return media == "application/json" || strings.HasSuffix(media, "+json")
}

func isObject(v any) bool {
	_, ok := v.(*jsonv.Object)
	return ok
}

// region is the region in the User-Agent: the execution's, else the
// connection's, else us-east-1.
func region(arns ...string) string {
	for _, arn := range arns {
		parts := strings.SplitN(arn, ":", 6)
		if len(parts) == 6 && parts[3] != "" {
			return parts[3]
		}
	}
	return defaultRegion
}
