package deploy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/statecraft/statecraft/deploy/archive"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/project"
)

// Request is what `statecraft deploy` posts to Path, as JSON
// (Content-Type: application/json). It is a project file's content with
// each function's code in place of its directory:
//
//	{
//	  "account": "123456789012",
//	  "functions": [
//	    {"name": "sendMessage", "runtime": "nodejs20.x", "handler": "sendMessage.handler",
//	     "code": "SHA256", "timeout": 10, "memory": 128, "concurrency": 5,
//	     "environment": {"GREETING": "hello"}}
//	  ],
//	  "code": {"SHA256": {"format": "tar.gz", "data": "BASE64"}},
//	  "stateMachines": [
//	    {"name": "UserOnboarding", "type": "STANDARD", "definition": "{...}",
//	     "roleArn": "arn:aws:iam::123456789012:role/onboarding", "tags": {"team": "growth"}}
//	  ],
//	  "connections": [
//	    {"name": "PaymentsApi", "apiKey": {"name": "x-api-key", "value": "..."},
//	     "invocation": {"headers": {"x-source": "statecraft"}}}
//	  ],
//	  "activities": [{"name": "mediaService"}]
//	}
//
// A function's code is an archive (tar.gz or zip, see package archive) of
// its code directory, base64-encoded in code, under the hex SHA-256 of the
// archive's bytes; the function names it by that hash, so functions that
// share a code directory share one archive, sent once. The whole request
// is at most MaxBody bytes. Definitions are sent with their placeholders
// already substituted. Every key is checked and its case must match: an
// unknown key is refused with its name, and a key that names a path
// (codeDir, CodeDir, definitionFile, ...) is refused as such, since the
// server reads nothing from its own disk for a request.
type Request struct {
	// Account is the account the client built its ARNs for
	// (project.Options.Account); when set, it must be the caller's.
	Account       string             `json:"account,omitempty"`
	Functions     []Function         `json:"functions,omitempty"`
	Code          map[string]Archive `json:"code,omitempty"`
	StateMachines []StateMachine     `json:"stateMachines,omitempty"`
	Connections   []Connection       `json:"connections,omitempty"`
	Activities    []Activity         `json:"activities,omitempty"`
}

// Function is a function of a Request.
type Function struct {
	Name        string            `json:"name"`
	Runtime     string            `json:"runtime"`
	Handler     string            `json:"handler,omitempty"`
	Code        string            `json:"code"`              // the hex SHA-256 of its archive in Request.Code
	Timeout     int               `json:"timeout,omitempty"` // seconds, 1..900; default 3
	Memory      int               `json:"memory,omitempty"`  // MB, 128..10240; default 128
	Concurrency int               `json:"concurrency,omitempty"`
	Environment map[string]string `json:"environment,omitempty"`
}

// Archive is a function's code.
type Archive struct {
	Format string `json:"format"` // archive.TarGz or archive.Zip
	Data   []byte `json:"data"`   // base64 in JSON
}

// StateMachine is a state machine of a Request.
type StateMachine struct {
	Name       string            `json:"name"`
	Type       string            `json:"type,omitempty"` // STANDARD (default) or EXPRESS
	Definition string            `json:"definition"`
	RoleArn    string            `json:"roleArn,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// Connection is an HTTP connection of a Request: exactly one of APIKey,
// Basic and OAuth.
type Connection struct {
	Name       string      `json:"name"`
	APIKey     *APIKey     `json:"apiKey,omitempty"`
	Basic      *Basic      `json:"basic,omitempty"`
	OAuth      *OAuth      `json:"oauth,omitempty"`
	Invocation *Invocation `json:"invocation,omitempty"`
}

// APIKey sends Value in the header Name.
type APIKey struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Basic is HTTP basic authorization.
type Basic struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// OAuth gets a token by the client credentials grant.
type OAuth struct {
	TokenURL         string            `json:"tokenUrl"`
	ClientID         string            `json:"clientId"`
	ClientSecret     string            `json:"clientSecret"`
	Method           string            `json:"method,omitempty"` // GET, POST (default) or PUT
	Scope            string            `json:"scope,omitempty"`
	BodyParameters   map[string]string `json:"bodyParameters,omitempty"`
	HeaderParameters map[string]string `json:"headerParameters,omitempty"`
	QueryParameters  map[string]string `json:"queryParameters,omitempty"`
}

// Invocation is added to every HTTP task call through the connection.
type Invocation struct {
	Headers         map[string]string `json:"headers,omitempty"`
	QueryParameters map[string]string `json:"queryParameters,omitempty"`
	BodyParameters  map[string]string `json:"bodyParameters,omitempty"`
}

// Activity is an activity of a Request.
type Activity struct {
	Name string `json:"name"`
}

// NewRequest makes the request that deploys p, a project loaded for
// account: each function's code directory is packed as tar.gz (a
// directory shared by several functions once), within archive.DefaultLimits.
func NewRequest(p *project.Project, account string) (*Request, error) {
	req := &Request{Account: account, Code: map[string]Archive{}}
	packed := map[string]string{} // code directory -> hash
	for _, f := range p.Functions {
		sum, ok := packed[f.CodeDir]
		if !ok {
			var buf bytes.Buffer
			if err := archive.Pack(&buf, f.CodeDir, archive.TarGz, archive.DefaultLimits); err != nil {
				return nil, fmt.Errorf("function %s: %w", f.Name, err)
			}
			if int64(buf.Len()) > archive.DefaultLimits.Compressed {
				return nil, fmt.Errorf("function %s: %s packs to %d bytes, more than the %d a deployment may send", f.Name, f.CodeDir, buf.Len(), archive.DefaultLimits.Compressed)
			}
			h := sha256.Sum256(buf.Bytes())
			sum = hex.EncodeToString(h[:])
			packed[f.CodeDir] = sum
			req.Code[sum] = Archive{Format: archive.TarGz, Data: buf.Bytes()}
		}
		req.Functions = append(req.Functions, Function{
			Name: f.Name, Runtime: f.Runtime, Handler: f.Handler, Code: sum, Environment: f.Env,
			Timeout: int(f.Timeout / time.Second), Memory: f.MemoryMB, Concurrency: f.Concurrency,
		})
	}
	for _, sm := range p.StateMachines {
		req.StateMachines = append(req.StateMachines, StateMachine{Name: sm.Name, Type: sm.Type, Definition: sm.Definition, RoleArn: sm.RoleArn, Tags: sm.Tags})
	}
	for _, c := range p.Connections {
		wc := Connection{Name: c.Name}
		if c.APIKey != nil {
			wc.APIKey = &APIKey{Name: c.APIKey.Name, Value: c.APIKey.Value}
		}
		if c.Basic != nil {
			wc.Basic = &Basic{Username: c.Basic.Username, Password: c.Basic.Password}
		}
		if o := c.OAuth; o != nil {
			wc.OAuth = &OAuth{TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: o.ClientSecret, Method: o.Method, Scope: o.Scope,
				BodyParameters: o.BodyParameters, HeaderParameters: o.HeaderParameters, QueryParameters: o.QueryParameters}
		}
		if c.InvocationHeaders != nil || c.InvocationQueryParameters != nil || c.InvocationBodyParameters != nil {
			wc.Invocation = &Invocation{Headers: c.InvocationHeaders, QueryParameters: c.InvocationQueryParameters, BodyParameters: c.InvocationBodyParameters}
		}
		req.Connections = append(req.Connections, wc)
	}
	for _, a := range p.Activities {
		req.Activities = append(req.Activities, Activity{Name: a.Name})
	}
	return req, nil
}

// ---- reading a request ----

// wireRequest is a Request whose items are checked one by one, so that a
// problem can name the item and the field.
type wireRequest struct {
	Account       string             `json:"account"`
	Functions     []json.RawMessage  `json:"functions"`
	Code          map[string]Archive `json:"code"`
	StateMachines []json.RawMessage  `json:"stateMachines"`
	Connections   []json.RawMessage  `json:"connections"`
	Activities    []json.RawMessage  `json:"activities"`
}

var unknownFieldRE = regexp.MustCompile(`^json: unknown field "(.*)"$`)

// pathField tells whether a key names a path, which a request must never
// carry: codeDir, CodeDir, definitionFile, path, root, ...
func pathField(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"dir", "path", "file", "folder", "root"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// fieldProblem is the problem with an unknown key of item where.
func fieldProblem(where, key string, known []string) string {
	f := where + "." + key
	if where == "" {
		f = key
	}
	if pathField(key) {
		return f + ": a path on the server is not accepted in a deploy request: send the code itself (statecraft deploy packs each function's directory into the request)"
	}
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return f + ": unknown field (did you mean " + k + "?)"
		}
	}
	return f + ": unknown field"
}

// decodeItem decodes one item strictly: every key must be one of v's, in
// its exact case (encoding/json alone would take "Name" for "name"). An
// item with unknown keys is still decoded, leniently, so that its other
// problems are reported with them.
func decodeItem(raw json.RawMessage, where string, v any, known []string) []string {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return []string{where + ": must be an object"}
	}
	var problems []string
	for k := range keys {
		if !contains(known, k) {
			problems = append(problems, fieldProblem(where, k, known))
		}
	}
	sort.Strings(problems)
	dec := json.NewDecoder(bytes.NewReader(raw))
	if len(problems) == 0 {
		dec.DisallowUnknownFields() // nested objects (apiKey, oauth, ...)
	}
	if err := dec.Decode(v); err != nil {
		problems = append(problems, where+": "+strings.TrimPrefix(err.Error(), "json: "))
	}
	return problems
}

var (
	functionKeys     = []string{"name", "runtime", "handler", "code", "timeout", "memory", "concurrency", "environment"}
	stateMachineKeys = []string{"name", "type", "definition", "roleArn", "tags"}
	connectionKeys   = []string{"name", "apiKey", "basic", "oauth", "invocation"}
	activityKeys     = []string{"name"}
)

// decodeRequest reads a request's body. A problem names the field it is
// about.
func decodeRequest(body io.Reader) (*Request, []string, error) {
	var w wireRequest
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, err
		}
		if m := unknownFieldRE.FindStringSubmatch(err.Error()); m != nil {
			return nil, []string{fieldProblem("", m[1], []string{"account", "functions", "code", "stateMachines", "connections", "activities"})}, nil
		}
		return nil, []string{"the body is not a deploy request: " + strings.TrimPrefix(err.Error(), "json: ")}, nil
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, err
		}
		return nil, []string{"the body holds more than one JSON value"}, nil
	}
	req := &Request{Account: w.Account, Code: w.Code}
	var problems []string
	for i, raw := range w.Functions {
		var f Function
		problems = append(problems, decodeItem(raw, fmt.Sprintf("functions[%d]", i), &f, functionKeys)...)
		req.Functions = append(req.Functions, f)
	}
	for i, raw := range w.StateMachines {
		var sm StateMachine
		problems = append(problems, decodeItem(raw, fmt.Sprintf("stateMachines[%d]", i), &sm, stateMachineKeys)...)
		req.StateMachines = append(req.StateMachines, sm)
	}
	for i, raw := range w.Connections {
		var c Connection
		problems = append(problems, decodeItem(raw, fmt.Sprintf("connections[%d]", i), &c, connectionKeys)...)
		req.Connections = append(req.Connections, c)
	}
	for i, raw := range w.Activities {
		var a Activity
		problems = append(problems, decodeItem(raw, fmt.Sprintf("activities[%d]", i), &a, activityKeys)...)
		req.Activities = append(req.Activities, a)
	}
	return req, problems, nil
}

// ---- checking a request ----

var (
	sha256RE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	envNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	roleARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
)

// maxEnvSize is Lambda's bound on a function's environment.
const maxEnvSize = 4096

// check checks what can be checked of a request before its code is
// unpacked; allow names the loader variables the operator allows.
func (r *Request) check(allow []string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	used := map[string]bool{}
	seen := map[string]bool{}
	for i, f := range r.Functions {
		where := fmt.Sprintf("functions[%d]", i)
		if msg := project.CheckName("functions", f.Name); msg != "" {
			add("%s.name: %s", where, msg)
			continue // the name is part of a path on the server: nothing more of it is used
		}
		where = "functions." + f.Name
		if seen[f.Name] {
			add("%s: the request deploys it twice", where)
		}
		seen[f.Name] = true
		if !functions.SupportedRuntime(f.Runtime) {
			add("%s.runtime: unsupported runtime %q (use nodejsNN.x, provided, provided.al2, provided.al2023 or go1.x)", where, f.Runtime)
		}
		switch {
		case sha256RE.MatchString(f.Code):
			if _, ok := r.Code[f.Code]; !ok {
				add("%s.code: no archive %s in code", where, f.Code)
			}
			used[f.Code] = true
		case f.Code == "":
			add("%s.code: required: the hex SHA-256 of the function's archive in code", where)
		default:
			add("%s.code: %q is not the hex SHA-256 of an archive in code (a path on the server is not accepted)", where, f.Code)
		}
		if f.Timeout != 0 && (f.Timeout < 1 || f.Timeout > 900) {
			add("%s.timeout: must be between 1 and 900 (seconds)", where)
		}
		if f.Memory != 0 && (f.Memory < 128 || f.Memory > 10240) {
			add("%s.memory: must be between 128 and 10240 (MB)", where)
		}
		if f.Concurrency < 0 {
			add("%s.concurrency: must be at least 1 (leave it out for unreserved concurrency)", where)
		}
		size := 0
		names := make([]string, 0, len(f.Environment))
		for k, v := range f.Environment {
			names = append(names, k)
			size += len(k) + len(v)
		}
		sort.Strings(names)
		for _, k := range names {
			if !envNameRE.MatchString(k) {
				add("%s.environment.%s: invalid environment variable name: start with a letter, then letters, digits or underscores", where, strconv.Quote(k))
				continue
			}
			if why, ok := LoaderEnv(k); ok && !contains(allow, k) {
				add("%s.environment.%s: refused: it changes what code runs (%s); the server's operator may allow it with --allow-function-env %s", where, k, why, k)
			}
		}
		if size > maxEnvSize {
			add("%s.environment: %d bytes in all, more than Lambda's 4 KB", where, size)
		}
	}
	hashes := make([]string, 0, len(r.Code))
	for h := range r.Code {
		hashes = append(hashes, h)
	}
	sort.Strings(hashes)
	for _, h := range hashes {
		a := r.Code[h]
		where := "code." + h
		if !sha256RE.MatchString(h) {
			add("%s: the key must be the archive's SHA-256 in lowercase hex", strconv.Quote(h))
			continue
		}
		if !used[h] {
			add("%s: no function uses this archive", where)
		}
		if a.Format != archive.TarGz && a.Format != archive.Zip {
			add("%s.format: %q is not an archive format (use %s or %s)", where, a.Format, archive.TarGz, archive.Zip)
		}
		if int64(len(a.Data)) > archive.DefaultLimits.Compressed {
			add("%s.data: %d bytes, more than the %d an archive may have", where, len(a.Data), archive.DefaultLimits.Compressed)
			continue
		}
		if sum := sha256.Sum256(a.Data); hex.EncodeToString(sum[:]) != h {
			add("%s.data: its SHA-256 is %x, not the key it is sent under", where, sum)
		}
	}
	seen = map[string]bool{}
	for i, sm := range r.StateMachines {
		where := fmt.Sprintf("stateMachines[%d]", i)
		if msg := project.CheckName("stateMachines", sm.Name); msg != "" {
			add("%s.name: %s", where, msg)
			continue
		}
		where = "stateMachines." + sm.Name
		if seen[sm.Name] {
			add("%s: the request deploys it twice", where)
		}
		seen[sm.Name] = true
		if sm.Type != "" && sm.Type != project.Standard && sm.Type != project.Express {
			add("%s.type: must be STANDARD or EXPRESS", where)
		}
		if sm.RoleArn != "" && !roleARNRE.MatchString(sm.RoleArn) {
			add("%s.roleArn: must be an IAM role ARN such as arn:aws:iam::123456789012:role/NAME", where)
		}
		for k, v := range sm.Tags {
			if utf8.RuneCountInString(k) > 128 || utf8.RuneCountInString(v) > 256 || k == "" || strings.HasPrefix(strings.ToLower(k), "aws:") {
				add("%s.tags.%s: tag keys are 1 to 128 characters not starting with aws:, values at most 256", where, strconv.Quote(k))
			}
		}
	}
	seen = map[string]bool{}
	for i, c := range r.Connections {
		where := fmt.Sprintf("connections[%d]", i)
		if msg := project.CheckName("connections", c.Name); msg != "" {
			add("%s.name: %s", where, msg)
			continue
		}
		where = "connections." + c.Name
		if seen[c.Name] {
			add("%s: the request deploys it twice", where)
		}
		seen[c.Name] = true
		n := 0
		if c.APIKey != nil {
			n++
			if c.APIKey.Name == "" || c.APIKey.Value == "" {
				add("%s.apiKey: name and value are required", where)
			}
		}
		if c.Basic != nil {
			n++
			if c.Basic.Username == "" || c.Basic.Password == "" {
				add("%s.basic: username and password are required", where)
			}
		}
		if o := c.OAuth; o != nil {
			n++
			if o.ClientID == "" || o.ClientSecret == "" || !strings.HasPrefix(o.TokenURL, "http://") && !strings.HasPrefix(o.TokenURL, "https://") {
				add("%s.oauth: tokenUrl (an http or https URL), clientId and clientSecret are required", where)
			}
			switch o.Method {
			case "", "GET", "POST", "PUT":
			default:
				add("%s.oauth.method: must be GET, POST or PUT", where)
			}
		}
		if n != 1 {
			add("%s: needs exactly one of apiKey, basic or oauth", where)
		}
	}
	seen = map[string]bool{}
	for i, a := range r.Activities {
		if msg := project.CheckName("activities", a.Name); msg != "" {
			add("activities[%d].name: %s", i, msg)
			continue
		}
		if seen[a.Name] {
			add("activities.%s: the request deploys it twice", a.Name)
		}
		seen[a.Name] = true
	}
	return problems
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
