package httptask

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

const (
	encodingNone = "NONE"
	encodingURL  = "URL_ENCODED"

	formatIndices  = "INDICES"
	formatRepeat   = "REPEAT"
	formatCommas   = "COMMAS"
	formatBrackets = "BRACKETS"
)

var methods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"}

// forbiddenHeaders are the headers the call-https-apis guide says an HTTP
// Task's Headers may not use (lower case); x-forwarded-*, x-amz-* and
// x-amzn-* are checked by prefix.
var forbiddenHeaders = map[string]bool{
	"a-im": true, "accept-charset": true, "accept-datetime": true, "accept-encoding": true,
	"authorization": true, "cache-control": true, "connection": true, "content-encoding": true,
	"content-md5": true, "date": true, "expect": true, "forwarded": true, "from": true,
	"host": true, "http2-settings": true, "if-match": true, "if-modified-since": true,
	"if-none-match": true, "if-range": true, "if-unmodified-since": true, "max-forwards": true,
	"origin": true, "pragma": true, "proxy-authorization": true, "referer": true, "server": true,
	"te": true, "trailer": true, "transfer-encoding": true, "upgrade": true, "via": true,
	"warning": true,
}

var forbiddenPrefixes = []string{"x-forwarded-", "x-amz-", "x-amzn-"}

var knownFields = map[string]bool{
	"ApiEndpoint": true, "Method": true, "Authentication": true, "InvocationConfig": true,
	"Headers": true, "QueryParameters": true, "RequestBody": true, "Transform": true,
}

type keyValue struct{ key, value string }

// params is a checked HTTP Task Parameters object.
type params struct {
	raw         any // the Parameters, for error causes
	endpoint    *url.URL
	method      string
	connArn     string
	headers     http.Header
	query       []keyValue
	body        any
	hasBody     bool
	encoding    string
	arrayFormat string
}

// runtimeError is the States.Runtime failure AWS reports for Parameters it
// cannot start the task with.
func runtimeError(req taskport.Request, raw any, msg string) error {
	return &taskport.Failure{Name: ErrRuntime, Cause: fmt.Sprintf("An error occurred while executing the state '%s'. The Parameters '%s' could not be used to start the Task: [%s]", req.StateName, jsonv.String(raw), msg)}
}

func parseParams(req taskport.Request) (*params, error) {
	in, ok := req.Input.(*jsonv.Object)
	if !ok {
		return nil, runtimeError(req, req.Input, "The Parameters must be a JSON object")
	}
	fail := func(format string, args ...any) (*params, error) {
		return nil, runtimeError(req, in, fmt.Sprintf(format, args...))
	}
	p := &params{raw: in, headers: http.Header{}, encoding: encodingNone, arrayFormat: formatIndices}

	var unknown []string
	for k := range in.All() {
		if !knownFields[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fail("The field '%s' is not supported by Step Functions", unknown[0])
	}

	// ApiEndpoint. AWS requires https; http is accepted here so that a
	// local engine can call local services.
	endpoint, ok := in.Get("ApiEndpoint")
	if !ok {
		return fail("The field 'ApiEndpoint' is required but was missing")
	}
	s, ok := endpoint.(string)
	if !ok || s == "" {
		return fail("The value for the field 'ApiEndpoint' must be a non-empty STRING")
	}
	u, err := url.Parse(s)
	if err != nil || (!strings.EqualFold(u.Scheme, "https") && !strings.EqualFold(u.Scheme, "http")) || u.Host == "" {
		return fail("The value for the field 'ApiEndpoint' must be a valid HTTPS URL")
	}
	if u.User != nil {
		return fail("The value for the field 'ApiEndpoint' must not contain user information; use the connection for credentials")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	p.endpoint = u

	// Method.
	method, ok := in.Get("Method")
	if !ok {
		return fail("The field 'Method' is required but was missing")
	}
	m, _ := method.(string)
	valid := false
	for _, allowed := range methods {
		if m == allowed {
			valid = true
		}
	}
	if !valid {
		return fail("The value for the field 'Method' must be one of %s", strings.Join(methods, ", "))
	}
	p.method = m

	// The connection: Authentication or InvocationConfig.
	auth, hasAuth := in.Get("Authentication")
	inv, hasInv := in.Get("InvocationConfig")
	switch {
	case hasAuth && hasInv:
		return fail("Only one of the fields 'Authentication' and 'InvocationConfig' may be specified")
	case !hasAuth && !hasInv:
		return fail("The field 'Authentication' or 'InvocationConfig' is required but was missing")
	}
	field, cfg := "Authentication", auth
	if hasInv {
		field, cfg = "InvocationConfig", inv
	}
	cm, ok := cfg.(*jsonv.Object)
	if !ok {
		return fail("The value for the field '%s' must be an OBJECT", field)
	}
	arn, ok := cm.Value("ConnectionArn").(string)
	if !ok || arn == "" {
		return fail("The field '%s.ConnectionArn' is required but was missing", field)
	}
	p.connArn = arn

	// Headers.
	if h, ok := in.Get("Headers"); ok && h != nil {
		hm, ok := h.(*jsonv.Object)
		if !ok {
			return fail("The value for the field 'Headers' must be an OBJECT")
		}
		var bad []string
		for _, name := range jsonv.SortedKeys(hm) {
			lower := strings.ToLower(name)
			if forbiddenHeader(lower) || !validHeaderName(name) {
				bad = append(bad, lower)
				continue
			}
			values, ok := headerValues(hm.Value(name))
			if !ok {
				bad = append(bad, lower)
				continue
			}
			for _, v := range values {
				p.headers.Add(name, v)
			}
		}
		if len(bad) > 0 {
			return fail("The 'Headers' field contains unsupported values: [%s]", strings.Join(bad, ", "))
		}
	}

	// QueryParameters: a value is a string (or other scalar) or an array of
	// them, which repeats the key.
	if q, ok := in.Get("QueryParameters"); ok && q != nil {
		qm, ok := q.(*jsonv.Object)
		if !ok {
			return fail("The value for the field 'QueryParameters' must be an OBJECT")
		}
		var bad []string
		for _, k := range qm.Keys() {
			switch v := qm.Value(k).(type) {
			case nil:
			case []any:
				for _, e := range v {
					s, ok := scalarString(e)
					if !ok {
						bad = append(bad, k)
						break
					}
					p.query = append(p.query, keyValue{k, s})
				}
			default:
				s, ok := scalarString(v)
				if !ok {
					bad = append(bad, k)
					continue
				}
				p.query = append(p.query, keyValue{k, s})
			}
		}
		if len(bad) > 0 {
			return fail("The 'QueryParameters' field contains unsupported values: [%s]", strings.Join(bad, ", "))
		}
	}

	// RequestBody.
	p.body, p.hasBody = in.Get("RequestBody")

	// Transform.
	if t, ok := in.Get("Transform"); ok && t != nil {
		tm, ok := t.(*jsonv.Object)
		if !ok {
			return fail("The value for the field 'Transform' must be an OBJECT")
		}
		if e, ok := tm.Get("RequestBodyEncoding"); ok {
			switch e {
			case encodingNone, encodingURL:
				p.encoding = e.(string)
			default:
				return fail("The value for the field 'Transform.RequestBodyEncoding' must be one of NONE, URL_ENCODED")
			}
		}
		if o, ok := tm.Get("RequestEncodingOptions"); ok && o != nil {
			om, ok := o.(*jsonv.Object)
			if !ok {
				return fail("The value for the field 'Transform.RequestEncodingOptions' must be an OBJECT")
			}
			if f, ok := om.Get("ArrayFormat"); ok {
				switch f {
				case formatIndices, formatRepeat, formatCommas, formatBrackets:
					p.arrayFormat = f.(string)
				default:
					return fail("The value for the field 'Transform.RequestEncodingOptions.ArrayFormat' must be one of INDICES, REPEAT, COMMAS, BRACKETS")
				}
			}
		}
	}
	return p, nil
}

func forbiddenHeader(lower string) bool {
	if forbiddenHeaders[lower] {
		return true
	}
	for _, prefix := range forbiddenPrefixes {
		if strings.HasPrefix(lower, prefix) {
			return true
		}
	}
	return false
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// headerValues reads a header value: a scalar or an array of scalars.
func headerValues(v any) ([]string, bool) {
	var out []string
	add := func(e any) bool {
		s, ok := scalarString(e)
		if !ok || strings.ContainsAny(s, "\r\n\x00") {
			return false
		}
		out = append(out, s)
		return true
	}
	if a, ok := v.([]any); ok {
		for _, e := range a {
			if !add(e) {
				return nil, false
			}
		}
		return out, true
	}
	if v == nil {
		return nil, true
	}
	return out, add(v)
}

// scalarString is the text of a string, number, boolean or null.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case nil:
		return "", true
	case bool, int64, float64, int:
		return jsonv.String(x), true
	}
	return "", false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
