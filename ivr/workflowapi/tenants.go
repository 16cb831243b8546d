package workflowapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
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

// keyID names a key by its hash, so that it can be revoked without being
// shown again.
func keyID(hash string) string {
	h := strings.TrimPrefix(hash, "sha256:")
	if len(h) > 16 {
		h = h[:16]
	}
	return h
}

// account is the account of a tenant.
func (s *Service) account(t *Tenant) string {
	if t.Account != "" {
		return t.Account
	}
	return s.opts.Account
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

// Routed reports whether a workflow is routed to number.
func (s *Service) Routed(number string) bool {
	_, _, ok := s.route(number)
	return ok
}
