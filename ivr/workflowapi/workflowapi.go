// Package workflowapi is the IVR workflow API of the alarm-notification
// seed ("IVRWorkflow API"): tenants, each with its own API keys, its own
// named workflows (a workflow name maps to a state machine) and its own
// phone-number routes (the workflow an inbound call to a number starts).
//
// Tenant endpoints (key in "Authorization: Bearer KEY" or "X-Api-Key"):
//
//	GET  /v1/workflows                             the tenant's workflows
//	POST /v1/workflows/{name}/executions           start; the body is the execution input
//	GET  /v1/workflows/{name}/executions/{id}      status, input, output, error, cause
//
// Admin endpoints (an admin key):
//
//	GET    /v1/admin/tenants                       list
//	PUT    /v1/admin/tenants/{tenant}              create or replace {apiKeys, workflows, numbers}
//	GET    /v1/admin/tenants/{tenant}              one
//	DELETE /v1/admin/tenants/{tenant}
//	POST   /v1/admin/tenants/{tenant}/keys         add a key ({"apiKey": ...} or generated; shown once, with its keyId)
//	DELETE /v1/admin/tenants/{tenant}/keys/{keyId}  revoke a key
//	PUT    /v1/admin/tenants/{tenant}/workflows/{workflow}   {"stateMachine": NAME or ARN}
//	DELETE /v1/admin/tenants/{tenant}/workflows/{workflow}
//	PUT    /v1/admin/tenants/{tenant}/numbers/{number}       {"workflow": NAME}
//	DELETE /v1/admin/tenants/{tenant}/numbers/{number}
//
// Inbound routing, for a media service running as its own process (an
// admin key; in `statecraft server` the media service calls the Service
// directly):
//
//	GET  /v1/ivr/routes/{number}                   200 when routed, 404 when not
//	POST /v1/ivr/inbound-calls                     {callerNumber, calledNumber, dialogId} -> the execution
//
// Each tenant belongs to an account (its "account", the server's default
// when unset): its workflows are that account's state machines, and its
// executions are that account's, visible through the Step Functions API
// only to that account's credentials. The service calls the API in
// process as the tenant (auth.Principal, role operator), so the API's own
// account checks apply: a workflow naming another account's machine is
// refused there.
//
// Keys are rotated without downtime: add a new key (POST .../keys), move
// the clients to it, then revoke the old one by its keyId (DELETE
// .../keys/{keyId}); a tenant may hold several keys at once. Admin keys
// (the project's workflowApi.adminKeys and --admin-key) rotate the same
// way across a restart: list the new key beside the old, restart, move
// the callers, remove the old, restart.
//
// Executions are ordinary Step Functions executions of the workflow's
// state machine, started through the Step Functions API in process; their
// name is "TENANT.RANDOM", which is also the id in the URLs, so a tenant
// can read only executions it started. What the admin API configures is
// kept in a JSON file (API keys only as SHA-256 hashes).
package workflowapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/ivr"
)

// Tenant is one customer: its keys, workflows and number routes.
type Tenant struct {
	Name string `json:"name"`
	// Account owns the tenant's state machines and executions; "" is the
	// service's default account.
	Account string `json:"account,omitempty"`
	// KeyHashes are "sha256:HEX" of the tenant's API keys.
	KeyHashes []string `json:"keyHashes"`
	// Workflows maps a workflow name to a state machine name or ARN.
	Workflows map[string]string `json:"workflows"`
	// Numbers maps a phone number (normalized, see NormalizeNumber) to a
	// workflow name of this tenant.
	Numbers map[string]string `json:"numbers"`
}

// TenantConfig declares a tenant with plain keys (from the project file).
type TenantConfig struct {
	Name      string
	Account   string
	APIKeys   []string
	Workflows map[string]string
	Numbers   map[string]string
}

// Options configure a Service.
type Options struct {
	// SFN is the Step Functions API the service starts and reads
	// executions through (see LocalClient).
	SFN *sfn.Client
	// Region and Account build state machine ARNs from names.
	Region, Account string
	// AdminKeys may use the admin and inbound-routing endpoints.
	AdminKeys []string
	// File keeps what the admin API configures ("" = memory only).
	File string
	Log  *slog.Logger
}

// Service serves the workflow API.
type Service struct {
	opts      Options
	log       *slog.Logger
	adminHash map[string]bool

	mu      sync.RWMutex
	tenants map[string]*Tenant
	byKey   map[string]string // key hash -> tenant
	numbers map[string]string // number -> tenant
}

// New creates the service and loads File if it exists.
func New(o Options) (*Service, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "123456789012"
	}
	s := &Service{opts: o, log: o.Log.With("component", "workflowapi"), adminHash: map[string]bool{}, tenants: map[string]*Tenant{}}
	for _, k := range o.AdminKeys {
		if k != "" {
			s.adminHash[hashKey(k)] = true
		}
	}
	if o.File != "" {
		data, err := os.ReadFile(o.File)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, err
		default:
			var f fileFormat
			if err := json.Unmarshal(data, &f); err != nil {
				return nil, fmt.Errorf("%s: %v", o.File, err)
			}
			for _, t := range f.Tenants {
				normalizeTenant(t)
				s.tenants[t.Name] = t
			}
		}
	}
	s.reindex()
	return s, nil
}

type fileFormat struct {
	Tenants []*Tenant `json:"tenants"`
}

func normalizeTenant(t *Tenant) {
	if t.Workflows == nil {
		t.Workflows = map[string]string{}
	}
	if t.Numbers == nil {
		t.Numbers = map[string]string{}
	}
}

func hashKey(k string) string {
	h := sha256.Sum256([]byte(k))
	return "sha256:" + hex.EncodeToString(h[:])
}

// reindex rebuilds the key and number indexes; s.mu is held (or s is new).
func (s *Service) reindex() {
	s.byKey = map[string]string{}
	s.numbers = map[string]string{}
	for _, t := range s.tenants {
		for _, h := range t.KeyHashes {
			s.byKey[h] = t.Name
		}
		for n := range t.Numbers {
			s.numbers[n] = t.Name
		}
	}
}

// save writes the tenants to File; s.mu is held.
func (s *Service) save() error {
	if s.opts.File == "" {
		return nil
	}
	f := fileFormat{Tenants: s.sortedTenants()}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.opts.File), 0o755); err != nil {
		return err
	}
	tmp := s.opts.File + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.opts.File)
}

func (s *Service) sortedTenants() []*Tenant {
	out := make([]*Tenant, 0, len(s.tenants))
	for _, t := range s.tenants {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var (
	accountID    = regexp.MustCompile(`^[0-9]{12}$`)
	tenantName   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	workflowName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,80}$`)
)

// NormalizeNumber is how numbers are compared: spaces, dashes, dots and
// parentheses are dropped and a "tel:" prefix removed; "+46 (0)8-123"
// and "+46(0)8123" are the same number.
func NormalizeNumber(n string) string {
	n = strings.TrimSpace(n)
	n = strings.TrimPrefix(n, "tel:")
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '\t':
			return -1
		}
		return r
	}, n)
}

// check validates a tenant against itself and the others; s.mu is held.
func (s *Service) check(t *Tenant) error {
	if !tenantName.MatchString(t.Name) {
		return badRequest("invalid tenant name %q: use 1 to 32 letters, digits, hyphens or underscores", t.Name)
	}
	if t.Account != "" && !accountID.MatchString(t.Account) {
		return badRequest("invalid account %q: an account id is 12 digits", t.Account)
	}
	for w, sm := range t.Workflows {
		if !workflowName.MatchString(w) {
			return badRequest("invalid workflow name %q: use 1 to 80 letters, digits, dots, hyphens or underscores", w)
		}
		if strings.TrimSpace(sm) == "" {
			return badRequest("workflow %q: stateMachine is required", w)
		}
	}
	for n, w := range t.Numbers {
		if n == "" {
			return badRequest("empty phone number")
		}
		if _, ok := t.Workflows[w]; !ok {
			return badRequest("number %s routes to workflow %q, which tenant %s does not have", n, w, t.Name)
		}
		if other, ok := s.numbers[n]; ok && other != t.Name {
			return &apiErr{status: http.StatusConflict, code: "Conflict", msg: fmt.Sprintf("number %s is already routed by another tenant", n)}
		}
	}
	for _, h := range t.KeyHashes {
		if other, ok := s.byKey[h]; ok && other != t.Name {
			return &apiErr{status: http.StatusConflict, code: "Conflict", msg: "that API key belongs to another tenant"}
		}
	}
	return nil
}

// ApplyTenants creates or replaces tenants (from the project file) and
// saves them. Tenants not named are left as they are.
func (s *Service) ApplyTenants(cfgs []TenantConfig) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.tenants
	s.tenants = make(map[string]*Tenant, len(old)+len(cfgs))
	for k, v := range old {
		s.tenants[k] = v
	}
	for _, c := range cfgs {
		delete(s.tenants, c.Name)
	}
	s.reindex()
	for _, c := range cfgs {
		t := &Tenant{Name: c.Name, Account: c.Account, Workflows: map[string]string{}, Numbers: map[string]string{}}
		for _, k := range c.APIKeys {
			t.KeyHashes = append(t.KeyHashes, hashKey(k))
		}
		for w, sm := range c.Workflows {
			t.Workflows[w] = sm
		}
		for n, w := range c.Numbers {
			t.Numbers[NormalizeNumber(n)] = w
		}
		if err := s.check(t); err != nil {
			s.tenants = old
			s.reindex()
			return fmt.Errorf("tenant %s: %v", c.Name, err)
		}
		s.tenants[t.Name] = t
		s.reindex()
	}
	return s.save()
}

// tenantFor returns the tenant of an API key.
func (s *Service) tenantFor(key string) *Tenant {
	if key == "" {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	name, ok := s.byKey[hashKey(key)]
	if !ok {
		return nil
	}
	return s.tenants[name]
}

func (s *Service) isAdmin(key string) bool {
	if key == "" {
		return false
	}
	h := hashKey(key)
	for a := range s.adminHash {
		if subtle.ConstantTimeCompare([]byte(a), []byte(h)) == 1 {
			return true
		}
	}
	return false
}

// account is the account of a tenant.
func (s *Service) account(t *Tenant) string {
	if t.Account != "" {
		return t.Account
	}
	return s.opts.Account
}

// as is ctx carrying the principal the service acts as for a tenant's
// account: what the Step Functions API checks every call against.
func (s *Service) as(ctx context.Context, account, tenant string) context.Context {
	return auth.WithPrincipal(ctx, &auth.Principal{AccessKeyID: "workflowapi:" + tenant, Account: account, Role: auth.RoleOperator, Region: s.opts.Region, Via: "tenant"})
}

// machineArn resolves a workflow's state machine in an account.
func (s *Service) machineArn(account, sm string) string {
	if strings.HasPrefix(sm, "arn:") {
		return sm
	}
	return "arn:" + auth.Partition(s.opts.Region) + ":states:" + s.opts.Region + ":" + account + ":stateMachine:" + sm
}

// executionArn is the ARN of execution name of a state machine.
func executionArn(machineArn, name string) string {
	return strings.Replace(machineArn, ":stateMachine:", ":execution:", 1) + ":" + name
}

// Execution is what the API returns about an execution.
type Execution struct {
	ExecutionID  string          `json:"executionId"`
	ExecutionArn string          `json:"executionArn"`
	Tenant       string          `json:"tenant"`
	Workflow     string          `json:"workflow"`
	Status       string          `json:"status"`
	StartDate    time.Time       `json:"startDate"`
	StopDate     *time.Time      `json:"stopDate,omitempty"`
	Input        json.RawMessage `json:"input,omitempty"`
	Output       json.RawMessage `json:"output,omitempty"`
	Error        string          `json:"error,omitempty"`
	Cause        string          `json:"cause,omitempty"`
	StatusURL    string          `json:"statusUrl"`
}

// start starts a tenant's workflow.
func (s *Service) start(ctx context.Context, t *Tenant, workflow, input string) (*Execution, error) {
	s.mu.RLock()
	sm, ok := t.Workflows[workflow]
	s.mu.RUnlock()
	if !ok {
		return nil, notFound("no workflow %q", workflow)
	}
	if strings.TrimSpace(input) == "" {
		input = "{}"
	}
	if !json.Valid([]byte(input)) {
		return nil, badRequest("the body (the execution input) must be JSON")
	}
	var rb [12]byte
	_, _ = rand.Read(rb[:])
	name := t.Name + "." + hex.EncodeToString(rb[:])
	out, err := s.opts.SFN.StartExecution(s.as(ctx, s.account(t), t.Name), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.machineArn(s.account(t), sm)),
		Name:            aws.String(name),
		Input:           aws.String(input),
	})
	if err != nil {
		return nil, s.sfnError(err, workflow)
	}
	return &Execution{
		ExecutionID:  name,
		ExecutionArn: aws.ToString(out.ExecutionArn),
		Tenant:       t.Name,
		Workflow:     workflow,
		Status:       "RUNNING",
		StartDate:    aws.ToTime(out.StartDate).UTC(),
		StatusURL:    "/v1/workflows/" + workflow + "/executions/" + name,
	}, nil
}

// describe reads one of a tenant's executions.
func (s *Service) describe(ctx context.Context, t *Tenant, workflow, id string) (*Execution, error) {
	s.mu.RLock()
	sm, ok := t.Workflows[workflow]
	s.mu.RUnlock()
	if !ok {
		return nil, notFound("no workflow %q", workflow)
	}
	if !strings.HasPrefix(id, t.Name+".") || strings.ContainsAny(id, ":/") {
		return nil, notFound("no execution %q of workflow %q", id, workflow)
	}
	out, err := s.opts.SFN.DescribeExecution(s.as(ctx, s.account(t), t.Name), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionArn(s.machineArn(s.account(t), sm), id))})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "ExecutionDoesNotExist" || ae.ErrorCode() == "InvalidArn" || ae.ErrorCode() == "AccessDeniedException") {
			return nil, notFound("no execution %q of workflow %q", id, workflow)
		}
		return nil, s.sfnError(err, workflow)
	}
	e := &Execution{
		ExecutionID:  id,
		ExecutionArn: aws.ToString(out.ExecutionArn),
		Tenant:       t.Name,
		Workflow:     workflow,
		Status:       string(out.Status),
		StartDate:    aws.ToTime(out.StartDate).UTC(),
		Error:        aws.ToString(out.Error),
		Cause:        aws.ToString(out.Cause),
		StatusURL:    "/v1/workflows/" + workflow + "/executions/" + id,
	}
	if out.StopDate != nil {
		d := out.StopDate.UTC()
		e.StopDate = &d
	}
	if out.Input != nil && json.Valid([]byte(*out.Input)) {
		e.Input = json.RawMessage(*out.Input)
	}
	if out.Output != nil && json.Valid([]byte(*out.Output)) {
		e.Output = json.RawMessage(*out.Output)
	}
	return e, nil
}

// sfnError turns a Step Functions error into an API error.
func (s *Service) sfnError(err error, workflow string) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "StateMachineDoesNotExist", "StateMachineDeleting":
			return &apiErr{status: http.StatusConflict, code: "WorkflowUnavailable", msg: fmt.Sprintf("workflow %q: its state machine is not deployed: %s", workflow, ae.ErrorMessage())}
		case "AccessDeniedException":
			return &apiErr{status: http.StatusConflict, code: "WorkflowUnavailable", msg: fmt.Sprintf("workflow %q: its state machine belongs to another account than the tenant's", workflow)}
		case "InvalidExecutionInput", "ValidationException", "InvalidName", "InvalidArn":
			return badRequest("%s", ae.ErrorMessage())
		case "ExecutionLimitExceeded", "ThrottlingException":
			return &apiErr{status: http.StatusTooManyRequests, code: "Throttled", msg: ae.ErrorMessage()}
		}
	}
	s.log.Error("step functions call failed", "workflow", workflow, "err", err)
	return &apiErr{status: http.StatusInternalServerError, code: "InternalError", msg: "internal error"}
}

// route finds the tenant and workflow routed to number.
func (s *Service) route(number string) (*Tenant, string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := NormalizeNumber(number)
	tn, ok := s.numbers[n]
	if !ok {
		return nil, "", false
	}
	t := s.tenants[tn]
	return t, t.Numbers[n], true
}

// StartRouted starts the workflow routed to the called number with the
// call's input; ok is false when the number is not routed.
func (s *Service) StartRouted(ctx context.Context, caller, called, dialogID string) (*Execution, bool, error) {
	t, wf, ok := s.route(called)
	if !ok {
		return nil, false, nil
	}
	input, _ := json.Marshal(map[string]string{"callerNumber": caller, "calledNumber": called, "dialogId": dialogID})
	e, err := s.start(ctx, t, wf, string(input))
	if err != nil {
		return nil, true, err
	}
	s.log.Info("inbound call started a workflow", "tenant", t.Name, "workflow", wf, "called", called, "caller", caller, "execution", e.ExecutionArn)
	return e, true, nil
}

// Routed reports whether a workflow is routed to number.
func (s *Service) Routed(number string) bool {
	_, _, ok := s.route(number)
	return ok
}

// IVRRouter is the service as the inbound-call router of a media service
// running in the same process.
func (s *Service) IVRRouter() ivr.Router { return ivrRouter{s} }

type ivrRouter struct{ s *Service }

func (r ivrRouter) HasRoute(_ context.Context, number string) error {
	if !r.s.Routed(number) {
		return ivr.ErrNoRoute
	}
	return nil
}

func (r ivrRouter) StartInbound(ctx context.Context, in ivr.InboundStart) (string, error) {
	e, ok, err := r.s.StartRouted(ctx, in.CallerNumber, in.CalledNumber, in.DialogID)
	if !ok {
		return "", ivr.ErrNoRoute
	}
	if err != nil {
		return "", err
	}
	return e.ExecutionArn, nil
}

// ---- HTTP ----

type apiErr struct {
	status int
	code   string
	msg    string
}

func (e *apiErr) Error() string { return e.msg }

func badRequest(format string, args ...any) *apiErr {
	return &apiErr{status: http.StatusBadRequest, code: "BadRequest", msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiErr {
	return &apiErr{status: http.StatusNotFound, code: "NotFound", msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeErr(w http.ResponseWriter, err error) {
	var ae *apiErr
	if !errors.As(err, &ae) {
		ae = &apiErr{status: http.StatusInternalServerError, code: "InternalError", msg: err.Error()}
	}
	writeJSON(w, ae.status, map[string]string{"error": ae.code, "message": ae.msg})
}

func apiKey(r *http.Request) string {
	if k := r.Header.Get("X-Api-Key"); k != "" {
		return k
	}
	if a := r.Header.Get("Authorization"); a != "" {
		if k, ok := strings.CutPrefix(a, "Bearer "); ok {
			return strings.TrimSpace(k)
		}
	}
	return ""
}

const maxBody = 256 * 1024

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, badRequest("reading the body: %v", err)
	}
	if len(b) > maxBody {
		return nil, &apiErr{status: http.StatusRequestEntityTooLarge, code: "PayloadTooLarge", msg: "the body is larger than 256 KiB"}
	}
	return b, nil
}

func decodeBody(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("bad JSON body: %v", err)
	}
	return nil
}

// methods dispatches by method with a JSON 405.
func methods(m map[string]http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h, ok := m[r.Method]; ok {
			h(w, r)
			return
		}
		allow := make([]string, 0, len(m))
		for k := range m {
			allow = append(allow, k)
		}
		sort.Strings(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeErr(w, &apiErr{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed", msg: r.Method + " is not allowed here; use " + strings.Join(allow, " or ")})
	}
}

// Handler serves the endpoints under /v1/.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	tenant := func(h func(http.ResponseWriter, *http.Request, *Tenant)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			key := apiKey(r)
			if key == "" {
				writeErr(w, &apiErr{status: http.StatusUnauthorized, code: "Unauthorized", msg: "an API key is required (Authorization: Bearer KEY or X-Api-Key: KEY)"})
				return
			}
			t := s.tenantFor(key)
			if t == nil {
				writeErr(w, &apiErr{status: http.StatusUnauthorized, code: "Unauthorized", msg: "unknown API key"})
				return
			}
			h(w, r, t)
		}
	}
	admin := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			key := apiKey(r)
			switch {
			case key == "":
				writeErr(w, &apiErr{status: http.StatusUnauthorized, code: "Unauthorized", msg: "an admin key is required (Authorization: Bearer KEY)"})
			case s.isAdmin(key):
				h(w, r)
			case s.tenantFor(key) != nil:
				writeErr(w, &apiErr{status: http.StatusForbidden, code: "Forbidden", msg: "a tenant key cannot use the admin API"})
			default:
				writeErr(w, &apiErr{status: http.StatusUnauthorized, code: "Unauthorized", msg: "unknown admin key"})
			}
		}
	}

	mux.HandleFunc("/v1/workflows", methods(map[string]http.HandlerFunc{"GET": tenant(s.listWorkflows)}))
	mux.HandleFunc("/v1/workflows/{workflow}/executions", methods(map[string]http.HandlerFunc{"POST": tenant(s.startHTTP)}))
	mux.HandleFunc("/v1/workflows/{workflow}/executions/{id}", methods(map[string]http.HandlerFunc{"GET": tenant(s.describeHTTP)}))

	mux.HandleFunc("/v1/admin/tenants", methods(map[string]http.HandlerFunc{"GET": admin(s.listTenants)}))
	mux.HandleFunc("/v1/admin/tenants/{tenant}", methods(map[string]http.HandlerFunc{
		"GET": admin(s.getTenant), "PUT": admin(s.putTenant), "DELETE": admin(s.deleteTenant)}))
	mux.HandleFunc("/v1/admin/tenants/{tenant}/keys", methods(map[string]http.HandlerFunc{"POST": admin(s.addKey)}))
	mux.HandleFunc("/v1/admin/tenants/{tenant}/keys/{keyId}", methods(map[string]http.HandlerFunc{"DELETE": admin(s.deleteKey)}))
	mux.HandleFunc("/v1/admin/tenants/{tenant}/workflows/{workflow}", methods(map[string]http.HandlerFunc{
		"PUT": admin(s.putWorkflow), "DELETE": admin(s.deleteWorkflow)}))
	mux.HandleFunc("/v1/admin/tenants/{tenant}/numbers/{number}", methods(map[string]http.HandlerFunc{
		"PUT": admin(s.putNumber), "DELETE": admin(s.deleteNumber)}))

	mux.HandleFunc("/v1/ivr/routes/{number}", methods(map[string]http.HandlerFunc{"GET": admin(s.routeHTTP)}))
	mux.HandleFunc("/v1/ivr/inbound-calls", methods(map[string]http.HandlerFunc{"POST": admin(s.inboundHTTP)}))

	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, notFound("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func (s *Service) listWorkflows(w http.ResponseWriter, r *http.Request, t *Tenant) {
	s.mu.RLock()
	type wf struct {
		Name            string `json:"name"`
		StateMachineArn string `json:"stateMachineArn"`
	}
	out := []wf{}
	for name, sm := range t.Workflows {
		out = append(out, wf{name, s.machineArn(s.account(t), sm)})
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, map[string]any{"tenant": t.Name, "workflows": out})
}

func (s *Service) startHTTP(w http.ResponseWriter, r *http.Request, t *Tenant) {
	body, err := readBody(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	e, err := s.start(r.Context(), t, r.PathValue("workflow"), string(body))
	if err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Location", e.StatusURL)
	writeJSON(w, http.StatusCreated, e)
}

func (s *Service) describeHTTP(w http.ResponseWriter, r *http.Request, t *Tenant) {
	e, err := s.describe(r.Context(), t, r.PathValue("workflow"), r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// TenantView is a tenant as the admin API shows it (no keys: only their
// ids, to revoke them by).
type TenantView struct {
	Name      string            `json:"name"`
	Account   string            `json:"account,omitempty"`
	APIKeys   int               `json:"apiKeys"`
	KeyIDs    []string          `json:"keyIds"`
	Workflows map[string]string `json:"workflows"`
	Numbers   map[string]string `json:"numbers"`
}

func view(t *Tenant) TenantView {
	v := TenantView{Name: t.Name, Account: t.Account, APIKeys: len(t.KeyHashes), KeyIDs: []string{}, Workflows: map[string]string{}, Numbers: map[string]string{}}
	for _, h := range t.KeyHashes {
		v.KeyIDs = append(v.KeyIDs, keyID(h))
	}
	for k, x := range t.Workflows {
		v.Workflows[k] = x
	}
	for k, x := range t.Numbers {
		v.Numbers[k] = x
	}
	return v
}

func (s *Service) listTenants(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	out := []TenantView{}
	for _, t := range s.sortedTenants() {
		out = append(out, view(t))
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"tenants": out})
}

func (s *Service) getTenant(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	t, ok := s.tenants[r.PathValue("tenant")]
	var v TenantView
	if ok {
		v = view(t)
	}
	s.mu.RUnlock()
	if !ok {
		writeErr(w, notFound("no tenant %q", r.PathValue("tenant")))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// checkMachines checks that the workflows' state machines exist in an
// account.
func (s *Service) checkMachines(ctx context.Context, account string, wfs map[string]string) error {
	ctx = s.as(ctx, account, "admin")
	for name, sm := range wfs {
		if strings.TrimSpace(sm) == "" {
			return badRequest("workflow %q: stateMachine is required", name)
		}
		if strings.HasPrefix(sm, "arn:") && !strings.Contains(sm, ":stateMachine:") {
			return badRequest("workflow %q: %q is not a state machine ARN", name, sm)
		}
		_, err := s.opts.SFN.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(s.machineArn(account, sm))})
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) && (ae.ErrorCode() == "StateMachineDoesNotExist" || ae.ErrorCode() == "InvalidArn" || ae.ErrorCode() == "ValidationException") {
				return badRequest("workflow %q: state machine %s does not exist", name, sm)
			}
			if errors.As(err, &ae) && ae.ErrorCode() == "AccessDeniedException" {
				return badRequest("workflow %q: state machine %s belongs to another account than the tenant's (%s)", name, sm, account)
			}
			return s.sfnError(err, name)
		}
	}
	return nil
}

// update applies change to a copy of tenant name (a new one when create
// and it does not exist), checks and saves it.
func (s *Service) update(name string, create bool, change func(t *Tenant) error) (*Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.tenants[name]
	if !ok && !create {
		return nil, notFound("no tenant %q", name)
	}
	t := &Tenant{Name: name, Workflows: map[string]string{}, Numbers: map[string]string{}}
	if ok {
		t.Account = cur.Account
		t.KeyHashes = append([]string(nil), cur.KeyHashes...)
		for k, v := range cur.Workflows {
			t.Workflows[k] = v
		}
		for k, v := range cur.Numbers {
			t.Numbers[k] = v
		}
	}
	if err := change(t); err != nil {
		return nil, err
	}
	if err := s.check(t); err != nil {
		return nil, err
	}
	s.tenants[name] = t
	s.reindex()
	if err := s.save(); err != nil {
		if ok {
			s.tenants[name] = cur
		} else {
			delete(s.tenants, name)
		}
		s.reindex()
		return nil, err
	}
	return t, nil
}

func (s *Service) putTenant(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Account   *string            `json:"account"`
		APIKeys   *[]string          `json:"apiKeys"`
		Workflows *map[string]string `json:"workflows"`
		Numbers   *map[string]string `json:"numbers"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeErr(w, err)
		return
	}
	name := r.PathValue("tenant")
	s.mu.RLock()
	cur, existed := s.tenants[name]
	account := ""
	if existed {
		account = cur.Account
	}
	s.mu.RUnlock()
	if body.Account != nil {
		account = *body.Account
		if account != "" && !accountID.MatchString(account) {
			writeErr(w, badRequest("invalid account %q: an account id is 12 digits", account))
			return
		}
	}
	if account == "" {
		account = s.opts.Account
	}
	if body.Workflows != nil {
		if err := s.checkMachines(r.Context(), account, *body.Workflows); err != nil {
			writeErr(w, err)
			return
		}
	}
	t, err := s.update(name, true, func(t *Tenant) error {
		if body.Account != nil {
			t.Account = *body.Account
		}
		if body.APIKeys != nil {
			t.KeyHashes = nil
			for _, k := range *body.APIKeys {
				if len(k) < 16 {
					return badRequest("API keys must be at least 16 characters")
				}
				t.KeyHashes = append(t.KeyHashes, hashKey(k))
			}
		}
		if body.Workflows != nil {
			t.Workflows = *body.Workflows
		}
		if body.Numbers != nil {
			t.Numbers = map[string]string{}
			for n, wf := range *body.Numbers {
				t.Numbers[NormalizeNumber(n)] = wf
			}
		}
		return nil
	})
	if err != nil {
		writeErr(w, err)
		return
	}
	status := http.StatusOK
	if !existed {
		status = http.StatusCreated
	}
	s.writeTenant(w, status, t, nil)
}

func (s *Service) deleteTenant(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("tenant")
	s.mu.Lock()
	cur, ok := s.tenants[name]
	if ok {
		delete(s.tenants, name)
		s.reindex()
		if err := s.save(); err != nil {
			s.tenants[name] = cur
			s.reindex()
			s.mu.Unlock()
			writeErr(w, err)
			return
		}
	}
	s.mu.Unlock()
	if !ok {
		writeErr(w, notFound("no tenant %q", name))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) addKey(w http.ResponseWriter, r *http.Request) {
	var body struct {
		APIKey string `json:"apiKey"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeErr(w, err)
		return
	}
	key := body.APIKey
	if key == "" {
		var b [24]byte
		_, _ = rand.Read(b[:])
		key = "sk_" + hex.EncodeToString(b[:])
	} else if len(key) < 16 {
		writeErr(w, badRequest("API keys must be at least 16 characters"))
		return
	}
	_, err := s.update(r.PathValue("tenant"), false, func(t *Tenant) error {
		t.KeyHashes = append(t.KeyHashes, hashKey(key))
		return nil
	})
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"tenant": r.PathValue("tenant"), "apiKey": key, "keyId": keyID(hashKey(key))})
}

// keyID names a key by its hash, so that it can be revoked without being
// shown again.
func keyID(hash string) string {
	h := strings.TrimPrefix(hash, "sha256:")
	if len(h) > 16 {
		h = h[:16]
	}
	return h
}

func (s *Service) deleteKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("keyId")
	_, err := s.update(r.PathValue("tenant"), false, func(t *Tenant) error {
		for i, h := range t.KeyHashes {
			if keyID(h) == id {
				t.KeyHashes = append(t.KeyHashes[:i:i], t.KeyHashes[i+1:]...)
				return nil
			}
		}
		return notFound("tenant %s has no key %q", t.Name, id)
	})
	writeNoContent(w, err)
}

func (s *Service) putWorkflow(w http.ResponseWriter, r *http.Request) {
	var body struct {
		StateMachine string `json:"stateMachine"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeErr(w, err)
		return
	}
	wf := r.PathValue("workflow")
	s.mu.RLock()
	account := s.opts.Account
	if cur, ok := s.tenants[r.PathValue("tenant")]; ok {
		account = s.account(cur)
	}
	s.mu.RUnlock()
	if err := s.checkMachines(r.Context(), account, map[string]string{wf: body.StateMachine}); err != nil {
		writeErr(w, err)
		return
	}
	t, err := s.update(r.PathValue("tenant"), false, func(t *Tenant) error {
		t.Workflows[wf] = body.StateMachine
		return nil
	})
	s.writeTenant(w, http.StatusOK, t, err)
}

func (s *Service) deleteWorkflow(w http.ResponseWriter, r *http.Request) {
	wf := r.PathValue("workflow")
	_, err := s.update(r.PathValue("tenant"), false, func(t *Tenant) error {
		if _, ok := t.Workflows[wf]; !ok {
			return notFound("tenant %s has no workflow %q", t.Name, wf)
		}
		for n, x := range t.Numbers {
			if x == wf {
				return &apiErr{status: http.StatusConflict, code: "Conflict", msg: fmt.Sprintf("number %s routes to workflow %q: delete the route first", n, wf)}
			}
		}
		delete(t.Workflows, wf)
		return nil
	})
	writeNoContent(w, err)
}

func (s *Service) putNumber(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Workflow string `json:"workflow"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeErr(w, err)
		return
	}
	if body.Workflow == "" {
		writeErr(w, badRequest(`the body must name the workflow: {"workflow": NAME}`))
		return
	}
	n := NormalizeNumber(r.PathValue("number"))
	t, err := s.update(r.PathValue("tenant"), false, func(t *Tenant) error {
		t.Numbers[n] = body.Workflow
		return nil
	})
	s.writeTenant(w, http.StatusOK, t, err)
}

func (s *Service) deleteNumber(w http.ResponseWriter, r *http.Request) {
	n := NormalizeNumber(r.PathValue("number"))
	_, err := s.update(r.PathValue("tenant"), false, func(t *Tenant) error {
		if _, ok := t.Numbers[n]; !ok {
			return notFound("tenant %s has no route for %s", t.Name, n)
		}
		delete(t.Numbers, n)
		return nil
	})
	writeNoContent(w, err)
}

func (s *Service) routeHTTP(w http.ResponseWriter, r *http.Request) {
	t, wf, ok := s.route(r.PathValue("number"))
	if !ok {
		writeErr(w, notFound("no workflow is routed to %s", r.PathValue("number")))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"number": NormalizeNumber(r.PathValue("number")), "tenant": t.Name, "workflow": wf})
}

func (s *Service) inboundHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		CallerNumber string `json:"callerNumber"`
		CalledNumber string `json:"calledNumber"`
		DialogID     string `json:"dialogId"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeErr(w, err)
		return
	}
	if body.CalledNumber == "" || body.DialogID == "" {
		writeErr(w, badRequest("calledNumber and dialogId are required"))
		return
	}
	e, ok, err := s.StartRouted(r.Context(), body.CallerNumber, body.CalledNumber, body.DialogID)
	switch {
	case !ok:
		writeErr(w, notFound("no workflow is routed to %s", body.CalledNumber))
	case err != nil:
		writeErr(w, err)
	default:
		writeJSON(w, http.StatusCreated, e)
	}
}

// LocalClient is a Step Functions client that serves its requests with h
// (the server's own API handler) in process: no socket, the same
// validation and errors as over HTTP. Each request acts as the principal
// its context carries (auth.WithPrincipal), or as p: being in process is
// what authenticates it, so nothing is signed.
func LocalClient(h http.Handler, p *auth.Principal) *sfn.Client {
	region := p.Region
	return sfn.New(sfn.Options{
		Region:       region,
		HTTPClient:   &http.Client{Transport: inProcess{h, p}},
		BaseEndpoint: aws.String("http://statecraft.internal"),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "statecraft", SecretAccessKey: "statecraft", Source: "in-process"}, nil
		}),
	})
}

type inProcess struct {
	h http.Handler
	p *auth.Principal
}

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	ctx := r.Context()
	if _, ok := auth.PrincipalFrom(ctx); !ok {
		ctx = auth.WithPrincipal(ctx, t.p)
	}
	r2 := r.Clone(ctx)
	r2.RequestURI = r.URL.RequestURI()
	r2.RemoteAddr = "127.0.0.1:0"
	t.h.ServeHTTP(rec, r2)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// writeTenant answers an admin change with the tenant as it now is, or
// with err.
func (s *Service) writeTenant(w http.ResponseWriter, status int, t *Tenant, err error) {
	if err != nil {
		writeErr(w, err)
		return
	}
	s.mu.RLock()
	v := view(t)
	s.mu.RUnlock()
	writeJSON(w, status, v)
}

// writeNoContent answers a deletion: 204, or err.
func writeNoContent(w http.ResponseWriter, err error) {
	if err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
