package auth

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The credentials file (statecraft server --credentials FILE, and the
// accounts section of a project file) is YAML:
//
//	accounts:
//	  - id: "111122223333"              # 12 digits, quoted
//	    name: payments                  # optional label
//	    regions: [us-east-1, eu-west-1] # optional: the only regions it may use
//	    keys:
//	      - accessKeyId: AKIAPAYMENTSADMIN
//	        secretAccessKey: ${env:PAYMENTS_ADMIN_SECRET}
//	        role: admin                 # admin, operator, worker or read-only
//	      - accessKeyId: AKIAPAYMENTSWORKER
//	        secretAccessKey: ${env:PAYMENTS_WORKER_SECRET}
//	        role: worker
//	        sessionToken: ${env:PAYMENTS_WORKER_TOKEN}  # optional
//	        expires: 2027-01-01T00:00:00Z               # optional
//	    iamRoles:                       # optional: roles a Task's Credentials may name
//	      - name: orders-invoker        # arn:aws:iam::111122223333:role/orders-invoker
//	        trust: ["444455556666"]     # accounts, or state machine role ARNs, that may assume it
//
// ${env:NAME} (or ${env:NAME:-DEFAULT}) is replaced by an environment
// variable, so that secrets stay out of the file; an unset variable with
// no default is an error, never an empty secret.

type fileAccount struct {
	ID      string    `yaml:"id"`
	Name    string    `yaml:"name"`
	Regions []string  `yaml:"regions"`
	Keys    []fileKey `yaml:"keys"`
	Roles   []IAMRole `yaml:"iamRoles"`
}

type fileKey struct {
	AccessKeyID     string `yaml:"accessKeyId"`
	SecretAccessKey string `yaml:"secretAccessKey"`
	SessionToken    string `yaml:"sessionToken"`
	Expires         string `yaml:"expires"`
	Role            string `yaml:"role"`
}

// LoadCredentials reads a credentials file.
func LoadCredentials(path string, getenv func(string) (string, bool)) ([]Account, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Accounts []fileAccount `yaml:"accounts"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	accounts, err := convertAccounts(f.Accounts, getenv)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return accounts, nil
}

// ParseAccounts decodes an accounts section (a YAML sequence of accounts
// as in the credentials file) from a node of a larger document.
func ParseAccounts(n *yaml.Node, getenv func(string) (string, bool)) ([]Account, error) {
	var fa []fileAccount
	// Decode through bytes so that unknown keys are refused as in a file.
	b, err := yaml.Marshal(n)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&fa); err != nil {
		return nil, err
	}
	return convertAccounts(fa, getenv)
}

// convertAccounts checks decoded accounts and expands their placeholders.
func convertAccounts(fa []fileAccount, getenv func(string) (string, bool)) ([]Account, error) {
	if len(fa) == 0 {
		return nil, fmt.Errorf("accounts: none declared")
	}
	var out []Account
	for i, a := range fa {
		acc := Account{ID: a.ID, Name: a.Name, Regions: a.Regions, IAMRoles: a.Roles}
		if len(a.Keys) == 0 {
			return nil, fmt.Errorf("accounts[%d] (%s): no keys", i, a.ID)
		}
		for j, k := range a.Keys {
			where := fmt.Sprintf("accounts[%d].keys[%d]", i, j)
			key := Key{Role: Role(k.Role)}
			var err error
			if key.AccessKeyID, err = expandEnv(k.AccessKeyID, getenv); err != nil {
				return nil, fmt.Errorf("%s.accessKeyId: %v", where, err)
			}
			if key.SecretAccessKey, err = expandEnv(k.SecretAccessKey, getenv); err != nil {
				return nil, fmt.Errorf("%s.secretAccessKey: %v", where, err)
			}
			if key.SessionToken, err = expandEnv(k.SessionToken, getenv); err != nil {
				return nil, fmt.Errorf("%s.sessionToken: %v", where, err)
			}
			if k.Role == "" {
				return nil, fmt.Errorf("%s.role: required (%s)", where, roleList())
			}
			if k.Expires != "" {
				t, err := time.Parse(time.RFC3339, k.Expires)
				if err != nil {
					return nil, fmt.Errorf("%s.expires: %q is not an RFC 3339 time (2027-01-01T00:00:00Z)", where, k.Expires)
				}
				key.Expires = t
			}
			acc.Keys = append(acc.Keys, key)
		}
		out = append(out, acc)
	}
	return out, nil
}

var envRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandEnv replaces ${env:NAME} and ${env:NAME:-DEFAULT}.
func expandEnv(s string, getenv func(string) (string, bool)) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := envRef.FindStringSubmatch(ref)
		if v, ok := getenv(m[1]); ok && v != "" {
			return v
		}
		if m[2] != "" {
			return m[3]
		}
		missing = append(missing, m[1])
		return ""
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	if strings.Contains(out, "${") {
		return "", fmt.Errorf("%q: only ${env:NAME} and ${env:NAME:-DEFAULT} placeholders are allowed", s)
	}
	return out, nil
}
