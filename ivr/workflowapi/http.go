package workflowapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/statecraft/statecraft/httpjson"
)

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

// writeJSON answers indented: people read these answers (with curl) as
// much as programs do.
func writeJSON(w http.ResponseWriter, status int, v any) {
	_ = httpjson.Write(w, status, v, httpjson.Options{Indent: true})
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
