package console

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/clusterview"
	"github.com/statecraft/statecraft/cost"
)

// maxLoginBody bounds a login request.
const maxLoginBody = 8 << 10

type loginRequest struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	Token           string `json:"token"`
}

// sessionInfo is who is signed in, as login and GET /console/session
// answer it.
type sessionInfo struct {
	AccessKeyID string `json:"accessKeyId"`
	Account     string `json:"account"`
	AccountName string `json:"accountName,omitempty"`
	Role        string `json:"role"`
	Region      string `json:"region"`
	// CSRFToken goes in X-CSRF-Token on every POST.
	CSRFToken string `json:"csrfToken"`
	// Expires is when the session ends at the latest (epoch seconds).
	Expires int64 `json:"expires"`
	// Actions says which of the operations the console offers the role
	// allows, so that the page hides what would be refused.
	Actions map[string]bool `json:"actions"`
}

// gatedActions are the operations the page shows a control for only when
// the role allows them.
var gatedActions = []string{"StartExecution", "StopExecution", "ListActivities",
	"CreateStateMachine", "UpdateStateMachine", "DeleteStateMachine", "UpdateStateMachineAlias"}

func (c *Console) info(sess *session) sessionInfo {
	p := sess.principal
	in := sessionInfo{AccessKeyID: p.AccessKeyID, Account: p.Account, Role: string(p.Role), Region: p.Region,
		CSRFToken: sess.csrf, Expires: sess.expires.Unix(), Actions: map[string]bool{}}
	if a, ok := c.keys.Account(p.Account); ok {
		in.AccountName = a.Name
	}
	for _, op := range gatedActions {
		in.Actions[op] = p.Role.Allows("states:" + op)
	}
	in.Actions["DescribeCluster"] = p.Role.Allows(clusterview.Action)
	in.Actions["GetCost"] = p.Role.Allows(cost.Action)
	return in
}

var errBadCredentials = errors.New("the access key id, secret access key or session token is not valid")

// serveLogin opens a session for a key pair or a console token.
func (c *Console) serveLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	if refuseCrossSite(w, r) {
		return
	}
	if !jsonBody(r, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "POST /console/login takes Content-Type: application/json")
		return
	}
	client := clientKey(r.RemoteAddr)
	if ok, wait := c.limiter.allow(client); !ok {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, "TooManyRequestsException",
			"Too many failed sign-ins from this address: try again in "+strconv.Itoa(secs)+"s")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLoginBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "ValidationException", "The login request is larger than "+strconv.Itoa(maxLoginBody)+" bytes")
			return
		}
		writeError(w, http.StatusBadRequest, "ValidationException", "The login request could not be read")
		return
	}
	var in loginRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || dec.More() {
		writeError(w, http.StatusBadRequest, "ValidationException",
			`The login request is {"accessKeyId", "secretAccessKey"} (with "sessionToken" for a key that has one) or {"token"}`)
		return
	}
	byKey := in.AccessKeyID != "" || in.SecretAccessKey != "" || in.SessionToken != ""
	switch {
	case byKey && in.Token != "":
		writeError(w, http.StatusBadRequest, "ValidationException", "Sign in with a key pair or with a console token, not both")
		return
	case !byKey && in.Token == "":
		writeError(w, http.StatusBadRequest, "ValidationException", "Give an access key id and its secret access key, or a console token")
		return
	case byKey && (in.AccessKeyID == "" || in.SecretAccessKey == ""):
		writeError(w, http.StatusBadRequest, "ValidationException", "Give both the access key id and the secret access key")
		return
	}
	now := c.opts.Now()
	var cred *auth.Credential
	var expires time.Time
	if in.Token != "" {
		cred, expires, err = c.checkToken(r, in.Token, now)
	} else {
		cred, err = c.checkKey(r, in.AccessKeyID, in.SecretAccessKey, in.SessionToken, now)
	}
	if err != nil {
		c.limiter.fail(client)
		c.log.Warn("console: sign-in refused", "client", r.RemoteAddr, "accessKeyId", in.AccessKeyID, "token", in.Token != "", "err", err)
		typ := "InvalidCredentials"
		if errors.Is(err, errTokenExpired) {
			typ = "ExpiredToken"
		}
		writeError(w, http.StatusUnauthorized, typ, err.Error())
		return
	}
	if !cred.Expires.IsZero() && (expires.IsZero() || cred.Expires.Before(expires)) {
		expires = cred.Expires
	}
	region := c.opts.Region
	if !cred.Account.AllowsRegion(region) {
		region = cred.Account.Regions[0]
	}
	p := cred.Principal(region, "console")
	// A new sign-in replaces the browser's session, if it had one.
	if ck, err := r.Cookie(CookieName); err == nil {
		if old, ok := c.sessions.get(ck.Value); ok {
			c.sessions.remove(old)
		}
	}
	id, sess := c.sessions.create(p, expires, c.keys.Development())
	setCookie(w, r, id, sess.expires.Sub(now))
	c.log.Info("console: signed in", "client", r.RemoteAddr, "accessKeyId", p.AccessKeyID, "account", p.Account, "role", p.Role, "token", in.Token != "")
	writeJSON(w, http.StatusOK, c.info(sess))
}

// dummySecret is compared against when the key is unknown, so that an
// unknown key takes as long to refuse as a wrong secret.
var dummySecret = sha256.Sum256([]byte("statecraft console: no such key"))

// checkKey checks a key pair against the keyring.
func (c *Console) checkKey(r *http.Request, akid, secret, sessionToken string, now time.Time) (*auth.Credential, error) {
	cred, found := c.keys.Lookup(akid)
	want := dummySecret
	wantToken := dummySecret
	if found {
		want = sha256.Sum256([]byte(cred.SecretAccessKey))
		wantToken = sha256.Sum256([]byte(cred.SessionToken))
	}
	// Digests of equal length, so that the comparison's time says
	// nothing about the secret's length either.
	got := sha256.Sum256([]byte(secret))
	gotToken := sha256.Sum256([]byte(sessionToken))
	okSecret := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	okToken := subtle.ConstantTimeCompare(gotToken[:], wantToken[:]) == 1
	if !found || !okSecret || !okToken {
		return nil, errBadCredentials
	}
	return c.usable(r, cred, now)
}

// checkToken checks a console token and returns its key and expiry.
func (c *Console) checkToken(r *http.Request, tok string, now time.Time) (*auth.Credential, time.Time, error) {
	if c.opts.TokenKey == nil {
		return nil, time.Time{}, errors.New("this server takes no console tokens")
	}
	akid, exp, err := verifyToken(c.opts.TokenKey, tok, now)
	if err != nil {
		return nil, time.Time{}, err
	}
	cred, found := c.keys.Lookup(akid)
	if !found {
		// The key was removed from the keyring: its tokens go with it.
		return nil, time.Time{}, errTokenInvalid
	}
	cred, err = c.usable(r, cred, now)
	return cred, exp, err
}

// usable refuses a key that may not sign in now: the development pair
// from a client that is not on loopback, or a key past its expiry.
func (c *Console) usable(r *http.Request, cred *auth.Credential, now time.Time) (*auth.Credential, error) {
	if c.keys.Development() && !auth.Loopback(r.RemoteAddr) {
		return nil, errBadCredentials
	}
	if !cred.Expires.IsZero() && !now.Before(cred.Expires) {
		return nil, errBadCredentials
	}
	return cred, nil
}

// serveLogout ends the session.
func (c *Console) serveLogout(w http.ResponseWriter, r *http.Request) {
	sess, ok := c.guard(w, r, http.MethodPost, true)
	if !ok {
		return
	}
	c.sessions.remove(sess)
	setCookie(w, r, "", 0)
	c.log.Info("console: signed out", "accessKeyId", sess.principal.AccessKeyID, "account", sess.principal.Account)
	writeJSON(w, http.StatusOK, struct{}{})
}

// serveSession says who is signed in, and gives the page its CSRF token
// again after a reload. No other origin can read it: the console sends
// no CORS headers, and refuses cross-site requests besides.
func (c *Console) serveSession(w http.ResponseWriter, r *http.Request) {
	sess, ok := c.guard(w, r, http.MethodGet, false)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, c.info(sess))
}
