package deploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/deploy/archive"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/httpjson"
	"github.com/statecraft/statecraft/project"
)

// Handler accepts Requests posted to Path. A request is refused, and
// nothing changed:
//
//   - 401 without an auth.Principal in its context (the server's
//     authentication middleware puts it there), 403 AccessDeniedException
//     for any role but admin;
//   - 403 when it carries an Origin header, or a Sec-Fetch-Site header other
//     than none or same-origin: browsers add them to cross-origin requests,
//     and `statecraft deploy` never sends them;
//   - 415 unless its Content-Type is application/json (text/plain, which a
//     page on another origin may send without a CORS preflight, included);
//   - 413 over MaxBody bytes;
//   - 400, with every problem named, for anything wrong in it.
//
// It deploys into the principal's account, and its region when it has
// one (else t.Region). Deployments are applied one at a time.
func Handler(t Target) http.Handler {
	return &handler{t: t, code: &codeStore{root: filepath.Join(t.DataDir, "functions"), refs: map[string]int{}}}
}

type handler struct {
	t    Target
	code *codeStore
	mu   sync.Mutex // one deployment at a time
}

// reply writes a JSON answer. A refusal carries __type (as AWS errors do)
// and message; a refused deployment also lists its problems.
func reply(w http.ResponseWriter, status int, v any) {
	_ = httpjson.Write(w, status, v, httpjson.Options{})
}

type refusal struct {
	Type     string   `json:"__type"`
	Message  string   `json:"message"`
	Problems []string `json:"problems,omitempty"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, refusal{"MethodNotAllowedException", "POST a deploy request to " + Path, nil})
		return
	}
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		reply(w, http.StatusUnauthorized, refusal{"MissingAuthenticationTokenException", "deploying needs a request signed (SigV4, service " + SigningName + ") with an admin credential", nil})
		return
	}
	if action := "statecraft:Deploy"; !p.Role.Allows(action) {
		reply(w, http.StatusForbidden, refusal{"AccessDeniedException", p.DeniedMessage(action, "") + " (deploying needs the admin role; this key's is " + string(p.Role) + ")", nil})
		return
	}
	if o := r.Header.Values("Origin"); len(o) > 0 {
		reply(w, http.StatusForbidden, refusal{"AccessDeniedException", fmt.Sprintf("deploy requests from a browser are refused (Origin: %s)", strings.Join(o, ", ")), nil})
		return
	}
	if s := r.Header.Values("Sec-Fetch-Site"); len(s) > 1 || len(s) == 1 && s[0] != "none" && s[0] != "same-origin" {
		reply(w, http.StatusForbidden, refusal{"AccessDeniedException", fmt.Sprintf("deploy requests from a browser are refused (Sec-Fetch-Site: %s)", strings.Join(s, ", ")), nil})
		return
	}
	if ct := r.Header.Values("Content-Type"); len(ct) != 1 || !isJSON(ct[0]) {
		reply(w, http.StatusUnsupportedMediaType, refusal{"UnsupportedMediaTypeException", fmt.Sprintf("Content-Type must be application/json, not %q", strings.Join(ct, ", ")), nil})
		return
	}
	if r.ContentLength > MaxBody {
		reply(w, http.StatusRequestEntityTooLarge, refusal{"RequestEntityTooLargeException", fmt.Sprintf("a deploy request may have at most %d bytes", MaxBody), nil})
		return
	}
	req, problems, err := decodeRequest(http.MaxBytesReader(w, r.Body, MaxBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		reply(w, http.StatusRequestEntityTooLarge, refusal{"RequestEntityTooLargeException", fmt.Sprintf("a deploy request may have at most %d bytes", MaxBody), nil})
		return
	case err != nil:
		reply(w, http.StatusBadRequest, refusal{"ValidationException", "reading the request: " + err.Error(), nil})
		return
	case req == nil: // not even its outline could be read
		reply(w, http.StatusBadRequest, refusal{"ValidationException", "deployment refused", problems})
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	// The API is called as the deploying principal, in the region it
	// deploys to.
	as := *p
	if as.Region == "" {
		as.Region = h.t.Region
	}
	pl, more, release, err := h.prepare(r.Context(), &as, req)
	if err != nil {
		release(0)
		reply(w, http.StatusInternalServerError, refusal{"ServiceException", "deployment failed: " + err.Error(), nil})
		return
	}
	if problems = append(problems, more...); len(problems) > 0 {
		release(0)
		reply(w, http.StatusBadRequest, refusal{"ValidationException", "deployment refused", problems})
		return
	}
	rep, err := apply(r.Context(), h.t, pl)
	release(pl.registered)
	if err != nil {
		reply(w, http.StatusInternalServerError, refusal{"ServiceException", "deployment failed part way: " + err.Error(), nil})
		return
	}
	for _, f := range pl.functions {
		h.code.prune(f.CodeDir)
	}
	reply(w, http.StatusOK, rep)
}

func isJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// prepare checks a request for the principal's account and region,
// unpacks its code and checks its functions against it. release(n) gives
// back the code of the plan's functions from the n-th on, those that were
// not registered. The error is the API failing to validate a definition.
func (h *handler) prepare(ctx context.Context, as *auth.Principal, req *Request) (*plan, []string, func(int), error) {
	account, region := as.Account, as.Region
	pl := &plan{as: as, region: region, account: account}
	var acquired []string
	release := func(from int) {
		for _, dir := range acquired[min(from, len(acquired)):] {
			h.code.release(dir)
		}
	}
	problems := req.check(h.t.AllowEnv)
	if !accountRE.MatchString(account) {
		// It becomes part of a path on the server.
		problems = append(problems, fmt.Sprintf("the credentials' account %q is not a 12-digit account id", account))
	}
	if req.Account != "" && req.Account != account {
		problems = append(problems, fmt.Sprintf("account: the project was loaded for account %s, but the request's credentials are account %s's: load it for that account (statecraft deploy --account %s)", req.Account, account, account))
	}
	if len(req.Functions) > 0 && h.t.Functions == nil {
		problems = append(problems, "functions: this server runs no local functions")
	}
	if len(req.Functions) > 0 && h.t.DataDir == "" {
		problems = append(problems, "functions: this server has no data directory to keep function code in")
	}
	for _, sm := range req.StateMachines {
		pl.stateMachines = append(pl.stateMachines, project.StateMachine{Name: sm.Name, Type: sm.Type, Definition: sm.Definition, RoleArn: sm.RoleArn, Tags: sm.Tags})
	}
	more, err := checkDefinitions(ctx, h.t.API, as, pl.stateMachines)
	if err != nil {
		return pl, problems, release, err
	}
	problems = append(problems, more...)
	for _, c := range req.Connections {
		pc := project.Connection{Name: c.Name}
		if c.APIKey != nil {
			pc.APIKey = &project.APIKeyAuth{Name: c.APIKey.Name, Value: c.APIKey.Value}
		}
		if c.Basic != nil {
			pc.Basic = &project.BasicAuth{Username: c.Basic.Username, Password: c.Basic.Password}
		}
		if o := c.OAuth; o != nil {
			method := o.Method
			if method == "" {
				method = "POST"
			}
			pc.OAuth = &project.OAuth{TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: o.ClientSecret, Method: method, Scope: o.Scope,
				BodyParameters: o.BodyParameters, HeaderParameters: o.HeaderParameters, QueryParameters: o.QueryParameters}
		}
		if c.Invocation != nil {
			pc.InvocationHeaders, pc.InvocationQueryParameters, pc.InvocationBodyParameters = c.Invocation.Headers, c.Invocation.QueryParameters, c.Invocation.BodyParameters
		}
		pl.connections = append(pl.connections, pc)
	}
	for _, a := range req.Activities {
		pl.activities = append(pl.activities, project.Activity{Name: a.Name})
	}
	if len(problems) > 0 {
		return pl, problems, release, nil
	}
	// Everything but the code is right: unpack it, one directory per
	// function, and check each function against what it holds.
	for _, f := range req.Functions {
		where := "functions." + f.Name
		a := req.Code[f.Code]
		dir, err := h.code.acquire(account, f.Name, f.Code, a)
		if err != nil {
			problems = append(problems, where+".code: "+err.Error())
			continue
		}
		acquired = append(acquired, dir)
		fn := functions.Function{
			Account: account, Region: region, Name: f.Name, Runtime: f.Runtime, Handler: f.Handler, CodeDir: dir, Env: f.Environment,
			Timeout: time.Duration(f.Timeout) * time.Second, MemoryMB: f.Memory, Concurrency: f.Concurrency,
			Release: func() { h.code.release(dir) },
		}
		if msg := entrypoint(fn); msg != "" {
			problems = append(problems, where+"."+msg)
		} else if err := h.t.Functions.Check(fn); err != nil {
			problems = append(problems, where+": "+strings.TrimPrefix(err.Error(), "functions: "+f.Name+": "))
		}
		pl.functions = append(pl.functions, fn)
	}
	return pl, problems, release, nil
}

// entrypoint checks that the code holds what the runtime starts; it
// returns "FIELD: message" or "".
func entrypoint(f functions.Function) string {
	executable := func(rel string) string {
		st, err := os.Lstat(filepath.Join(f.CodeDir, filepath.FromSlash(rel)))
		switch {
		case err != nil || !st.Mode().IsRegular():
			return "is not a file in the archive"
		case st.Mode()&0o100 == 0:
			return "is not executable in the archive (chmod +x it before deploying)"
		}
		return ""
	}
	switch {
	case strings.HasPrefix(f.Runtime, "provided"):
		if msg := executable("bootstrap"); msg != "" {
			return "code: a " + f.Runtime + " function runs bootstrap, which " + msg
		}
	case f.Runtime == "go1.x":
		switch {
		case f.Handler == "":
			return "handler: required for go1.x: the executable in the archive"
		case !functionsLocal(f.Handler):
			return fmt.Sprintf("handler: %q: the executable must be a relative path inside the archive, without \"..\"", f.Handler)
		}
		if msg := executable(f.Handler); msg != "" {
			return fmt.Sprintf("handler: %q %s", f.Handler, msg)
		}
	case strings.HasPrefix(f.Runtime, "nodejs"):
		slash := strings.LastIndex(f.Handler, "/")
		file, _, ok := strings.Cut(f.Handler[slash+1:], ".")
		if !ok || file == "" {
			return "handler: must be FILE.EXPORT, as in index.handler"
		}
		module := f.Handler[:slash+1] + file
		if !functionsLocal(module) {
			return fmt.Sprintf("handler: %q: the file must be inside the code", f.Handler)
		}
		for _, ext := range []string{".js", ".mjs", ".cjs"} {
			if st, err := os.Lstat(filepath.Join(f.CodeDir, filepath.FromSlash(module+ext))); err == nil && st.Mode().IsRegular() {
				return ""
			}
		}
		return fmt.Sprintf("handler: no %s.js, .mjs or .cjs in the archive", module)
	}
	return ""
}

// functionsLocal tells whether a slash-separated path from a request stays
// inside the code.
func functionsLocal(p string) bool {
	return archive.CheckName(p) == "" && !strings.HasSuffix(p, "/")
}

// codeStore keeps unpacked function code under root, at
// root/ACCOUNT/NAME/SHA256, and removes a directory once no registration
// uses it: refs counts, per directory, the registrations (current, or
// replaced but with processes still running) and the deployments in
// progress that use it.
type codeStore struct {
	root string
	mu   sync.Mutex
	refs map[string]int
}

// acquire returns the directory holding the archive a of account's
// function name, unpacking it unless it is there already, and counts one
// use of it.
func (c *codeStore) acquire(account, name, sum string, a Archive) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	parent := filepath.Join(c.root, account, name)
	dir := filepath.Join(parent, sum)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return "", err
		}
		if _, err := archive.Unpack(a.Data, a.Format, dir, archive.DefaultLimits); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	c.refs[dir]++
	return dir, nil
}

// release gives back one use of dir, and removes it after the last.
func (c *codeStore) release(dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refs[dir]--
	if c.refs[dir] > 0 {
		return
	}
	delete(c.refs, dir)
	remove(dir)
	// The function's and the account's directories go when they empty.
	os.Remove(filepath.Dir(dir))
	os.Remove(filepath.Dir(filepath.Dir(dir)))
}

// remove removes a code directory, renaming it first: a directory named by
// its archive's hash is whole, even if the server stops half way through
// removing it, so acquire may reuse any it finds.
func remove(dir string) {
	old := filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".old-"+randomName())
	if os.Rename(dir, old) == nil {
		dir = old
	}
	os.RemoveAll(dir)
}

// prune removes what no one uses beside dir, the code a function was just
// registered with: code left by an earlier run of the server (functions
// deployed over HTTP are not kept across restarts) or by an interrupted
// unpack.
func (c *codeStore) prune(dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	parent := filepath.Dir(dir)
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		if p := filepath.Join(parent, e.Name()); p != dir && c.refs[p] == 0 {
			remove(p)
		}
	}
}

// Client deploys to a server over HTTP, signing its requests with SigV4
// for SigningName.
type Client struct {
	Endpoint    string // the server, e.g. http://127.0.0.1:8083
	Region      string // the region requests are signed for
	Credentials aws.Credentials
	HTTPClient  *http.Client     // nil: http.DefaultClient
	Now         func() time.Time // the signing time; nil: time.Now
}

// Push posts req and returns what the server changed. A deployment the
// server refused is an *Error listing its problems.
func (c *Client) Push(ctx context.Context, req *Request) (*Report, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("the deployment is %d bytes with its code, more than the %d bytes a deploy request may have: split the project", len(body), MaxBody)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.Endpoint, "/")+Path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if err := v4.NewSigner().SignHTTP(ctx, c.Credentials, hr, hex.EncodeToString(sum[:]), SigningName, c.Region, now()); err != nil {
		return nil, fmt.Errorf("signing the request: %w", err)
	}
	client := c.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode != http.StatusOK {
		var e refusal
		if json.Unmarshal(data, &e) == nil && len(e.Problems) > 0 {
			return nil, &Error{Problems: e.Problems}
		}
		if e.Message != "" {
			if e.Type != "" {
				return nil, fmt.Errorf("%s: %s: %s", resp.Status, e.Type, e.Message)
			}
			return nil, fmt.Errorf("%s: %s", resp.Status, e.Message)
		}
		return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}
