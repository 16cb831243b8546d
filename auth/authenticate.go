package auth

import (
	"net/http"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/sigv4"
)

// Authenticator checks SigV4 signatures against a keyring for one
// service's signing name.
type Authenticator struct {
	Keyring *Keyring
	// Service is the signing name the credential scope must name:
	// "states", "lambda", "statecraft".
	Service string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AllowUnsignedPayload accepts UNSIGNED-PAYLOAD as the payload hash.
	AllowUnsignedPayload bool
}

// Authenticate verifies r (whose whole body is body) and returns its
// principal, or the *sigv4.Error AWS would answer with.
func (a *Authenticator) Authenticate(r *http.Request, body []byte) (*Principal, error) {
	k := a.Keyring
	var cred *Credential
	lookup := func(id string) (sigv4.Secret, bool) {
		c, ok := k.Lookup(id)
		if !ok {
			return sigv4.Secret{}, false
		}
		if k.Development() && !Loopback(r.RemoteAddr) {
			// The development pair is known to every reader of the
			// README: it must not open the server to the network even
			// when the operator bound it to one.
			return sigv4.Secret{}, false
		}
		cred = c
		return sigv4.Secret{SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expires: c.Expires}, true
	}
	res, err := sigv4.Verify(r, body, lookup, sigv4.Options{
		Service:              a.Service,
		Regions:              arn.ValidRegion,
		Now:                  a.Now,
		AllowUnsignedPayload: a.AllowUnsignedPayload,
	})
	if err != nil {
		return nil, err
	}
	if !cred.Account.AllowsRegion(res.Region) {
		return nil, &sigv4.Error{Name: sigv4.UnrecognizedClient, Message: "The security token included in the request is invalid."}
	}
	return cred.Principal(res.Region, "sigv4"), nil
}

// Precheck refuses, before the body is read, a request that cannot be
// authenticated whatever its body: one with no signature at all, or one
// signed with a key this server does not know (or the development pair
// from off loopback). Reading a body costs memory up to the door's limit,
// and that should take at least a known access key id. What it lets
// through still goes to Authenticate.
func (a *Authenticator) Precheck(r *http.Request) error {
	akid, ok := sigv4.ClaimedAccessKey(r)
	if !ok {
		// Missing or malformed: Authenticate words the error exactly.
		return nil
	}
	k := a.Keyring
	if _, known := k.Lookup(akid); !known || k.Development() && !Loopback(r.RemoteAddr) {
		return &sigv4.Error{Name: sigv4.UnrecognizedClient, Message: "The security token included in the request is invalid."}
	}
	return nil
}
