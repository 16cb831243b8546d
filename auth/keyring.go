package auth

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/statecraft/statecraft/arn"
)

// Development credentials: the pair the README documents for a server
// started with nothing configured. They work only from loopback clients
// to a server listening on loopback, so that the one-command start needs
// no set-up and is still no open door.
const (
	DevAccessKeyID     = "local"
	DevSecretAccessKey = "local"
	DefaultAccount     = "123456789012"
)

// Account is one tenant of the server: every resource belongs to exactly
// one account (and one region), and a request sees only its own.
type Account struct {
	ID   string // 12 digits
	Name string // a label for logs and the console; optional
	// Regions, when not empty, are the only regions the account may use;
	// a request signed for another is refused.
	Regions []string
	Keys    []Key
	// IAMRoles are the roles of the account a Task state's Credentials
	// may name (arn:aws:iam::ID:role/NAME): the task then runs in this
	// account, if the role trusts the execution (see Keyring.AssumeRole).
	IAMRoles []IAMRole
}

// IAMRole is a role a Task's Credentials assume. Trust plays the part of
// the role's trust policy: who may assume it.
type IAMRole struct {
	// Name is the role's name, its ARN's last part; a path is allowed
	// (service/orders-invoker).
	Name string `yaml:"name"`
	// Trust names who may assume the role: account ids (any state machine
	// of the account) or IAM role ARNs (state machines whose execution
	// role is that one). A role trusts nobody unless named here, its own
	// account included, as an IAM role's trust policy does.
	Trust []string `yaml:"trust"`
}

// Key is one access key of an account.
type Key struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, must come with every request signed with
	// the key (X-Amz-Security-Token), as with temporary AWS credentials.
	SessionToken string
	// Expires, when set, is when the key stops working.
	Expires time.Time
	Role    Role
}

// Credential is a key resolved to its account.
type Credential struct {
	Key
	Account *Account
}

// Keyring maps access key ids to credentials. It is immutable once made.
type Keyring struct {
	keys     map[string]*Credential
	accounts map[string]*Account
	dev      bool
}

var accessKeyID = regexp.MustCompile(`^[A-Za-z0-9_.+=@-]{3,128}$`)

// NewKeyring checks accounts and returns their keyring: account ids are
// 12 digits and unique, access key ids are unique across all accounts,
// secrets are at least 8 characters (40 is what AWS issues), roles are
// valid.
func NewKeyring(accounts []Account) (*Keyring, error) {
	k := &Keyring{keys: map[string]*Credential{}, accounts: map[string]*Account{}}
	var problems []string
	for i := range accounts {
		a := accounts[i]
		if !arn.ValidAccount(a.ID) {
			problems = append(problems, fmt.Sprintf("account %q: an account id is 12 digits", a.ID))
			continue
		}
		if _, dup := k.accounts[a.ID]; dup {
			problems = append(problems, fmt.Sprintf("account %s: declared twice", a.ID))
			continue
		}
		for _, r := range a.Regions {
			if !arn.ValidRegion(r) {
				problems = append(problems, fmt.Sprintf("account %s: %q is not a region name", a.ID, r))
			}
		}
		problems = append(problems, checkIAMRoles(a)...)
		acc := &a
		k.accounts[a.ID] = acc
		for _, key := range a.Keys {
			switch {
			case !accessKeyID.MatchString(key.AccessKeyID):
				problems = append(problems, fmt.Sprintf("account %s: access key id %q: 3 to 128 letters, digits or _.+=@-", a.ID, key.AccessKeyID))
			case k.keys[key.AccessKeyID] != nil:
				problems = append(problems, fmt.Sprintf("access key id %s: used twice", key.AccessKeyID))
			case len(key.SecretAccessKey) < 8:
				problems = append(problems, fmt.Sprintf("access key id %s: the secret must be at least 8 characters", key.AccessKeyID))
			case key.AccessKeyID == DevAccessKeyID:
				problems = append(problems, fmt.Sprintf("access key id %s: reserved for the development pair, which is off once credentials are configured", key.AccessKeyID))
			case !key.Role.Valid():
				problems = append(problems, fmt.Sprintf("access key id %s: role %q: use one of %s", key.AccessKeyID, key.Role, roleList()))
			default:
				k.keys[key.AccessKeyID] = &Credential{Key: key, Account: acc}
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("credentials: %s", strings.Join(problems, "; "))
	}
	if len(k.keys) == 0 {
		return nil, fmt.Errorf("credentials: no access keys configured")
	}
	return k, nil
}

// DevelopmentKeyring is the keyring of a server with no credentials
// configured: the pair local/local, an admin of account.
func DevelopmentKeyring(account string) *Keyring {
	acc := &Account{ID: account, Name: "development"}
	key := Key{AccessKeyID: DevAccessKeyID, SecretAccessKey: DevSecretAccessKey, Role: RoleAdmin}
	acc.Keys = []Key{key}
	return &Keyring{
		keys:     map[string]*Credential{DevAccessKeyID: {Key: key, Account: acc}},
		accounts: map[string]*Account{account: acc},
		dev:      true,
	}
}

// Development tells whether this is the development keyring, whose pair
// works only over loopback.
func (k *Keyring) Development() bool { return k.dev }

// Lookup finds a credential by access key id.
func (k *Keyring) Lookup(accessKeyID string) (*Credential, bool) {
	c, ok := k.keys[accessKeyID]
	return c, ok
}

// Account finds an account by id.
func (k *Keyring) Account(id string) (*Account, bool) {
	a, ok := k.accounts[id]
	return a, ok
}

// AccountIDs lists the accounts, sorted.
func (k *Keyring) AccountIDs() []string {
	ids := make([]string, 0, len(k.accounts))
	for id := range k.accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// AllowsRegion tells whether the account may use region.
func (a *Account) AllowsRegion(region string) bool {
	if len(a.Regions) == 0 {
		return true
	}
	for _, r := range a.Regions {
		if r == region {
			return true
		}
	}
	return false
}

// Principal is the principal a request signed with c for region comes
// from.
func (c *Credential) Principal(region, via string) *Principal {
	return &Principal{AccessKeyID: c.AccessKeyID, Account: c.Account.ID, Role: c.Role, Region: region, Via: via}
}

// Loopback tells whether a request's remote address (http.Request's
// RemoteAddr, "host:port") is a loopback address.
func Loopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func roleList() string {
	s := make([]string, len(Roles))
	for i, r := range Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
