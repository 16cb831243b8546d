package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/statecraft/statecraft/auth"
)

// session is one signed-in browser.
type session struct {
	key       [sha256.Size]byte // SHA-256 of the cookie's id
	principal *auth.Principal
	csrf      string
	// dev sessions were opened with the development pair, which works
	// only from loopback clients: so does the session.
	dev     bool
	created time.Time
	expires time.Time // the absolute end: TTL, the token's or the key's expiry
	seen    time.Time // the last request, for the idle limit
	// ctx ends when the session does, and with it the session's streams.
	ctx context.Context
	end context.CancelFunc
}

// sessions are kept in memory, by the hash of their id: a lookup's timing
// then depends on the hash, which tells an attacker nothing about ids.
type sessions struct {
	mu   sync.Mutex
	by   map[[sha256.Size]byte]*session
	opts SessionOptions
	now  func() time.Time
}

func newSessions(opts SessionOptions, now func() time.Time) *sessions {
	return &sessions{by: map[[sha256.Size]byte]*session{}, opts: opts, now: now}
}

// idLen is the length of a session id: 32 random bytes, base64url.
var idLen = base64.RawURLEncoding.EncodedLen(32)

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create opens a session for p until expires at the latest, and returns
// its id (the cookie's value).
func (s *sessions) create(p *auth.Principal, expires time.Time, dev bool) (string, *session) {
	id := randomToken()
	now := s.now()
	if limit := now.Add(s.opts.TTL); expires.IsZero() || expires.After(limit) {
		expires = limit
	}
	ctx, end := context.WithCancel(context.Background())
	sess := &session{key: sha256.Sum256([]byte(id)), principal: p, csrf: randomToken(), dev: dev,
		created: now, expires: expires, seen: now, ctx: ctx, end: end}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	for len(s.by) >= s.opts.Max {
		// Full of live sessions: the one used least recently goes, so
		// that signing in always works and the memory stays bounded.
		var oldest *session
		for _, o := range s.by {
			if oldest == nil || o.seen.Before(oldest.seen) {
				oldest = o
			}
		}
		s.drop(oldest)
	}
	s.by[sess.key] = sess
	return id, sess
}

// sweep drops the sessions that have ended; s.mu is held.
func (s *sessions) sweep(now time.Time) {
	for _, o := range s.by {
		if !s.live(o, now) {
			s.drop(o)
		}
	}
}

func (s *sessions) live(o *session, now time.Time) bool {
	return now.Before(o.expires) && now.Sub(o.seen) < s.opts.Idle
}

// drop ends a session; s.mu is held.
func (s *sessions) drop(o *session) {
	delete(s.by, o.key)
	o.end()
}

// get returns the live session of id and marks it used.
func (s *sessions) get(id string) (*session, bool) {
	if len(id) != idLen {
		return nil, false
	}
	key := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.by[key]
	if !ok {
		return nil, false
	}
	now := s.now()
	if !s.live(o, now) {
		s.drop(o)
		return nil, false
	}
	o.seen = now
	return o, true
}

// touch tells whether o is still live, and marks it used: an open stream
// is a page in use.
func (s *sessions) touch(o *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.by[o.key] != o {
		return false
	}
	now := s.now()
	if !s.live(o, now) {
		s.drop(o)
		return false
	}
	o.seen = now
	return true
}

// remove ends o.
func (s *sessions) remove(o *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.by[o.key] == o {
		s.drop(o)
	}
}

// count is the number of sessions kept, live or not yet swept.
func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.by)
}

// authenticate returns the request's live session, or answers 401 (and
// then false). A development session is refused to a client that is not
// on loopback, as the development pair itself is.
func (c *Console) authenticate(w http.ResponseWriter, r *http.Request) (*session, bool) {
	ck, err := r.Cookie(CookieName)
	if err == nil {
		if sess, ok := c.sessions.get(ck.Value); ok && (!sess.dev || auth.Loopback(r.RemoteAddr)) {
			return sess, true
		}
	}
	writeError(w, http.StatusUnauthorized, "SessionRequired",
		"Sign in to the console: there is no session, or it has ended (signed out, expired, or the server restarted)")
	return nil, false
}

// checkCSRF answers 403 (and then false) unless the request carries the
// session's CSRF token.
func checkCSRF(w http.ResponseWriter, r *http.Request, sess *session) bool {
	got := r.Header.Get(CSRFHeader)
	if got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1 {
		return true
	}
	writeError(w, http.StatusForbidden, "InvalidCsrfToken",
		"The request lacks the session's CSRF token in "+CSRFHeader+" (reload the console)")
	return false
}

// setCookie sends the session cookie: only to /console/, never to
// scripts, never with a request another site starts, and only over TLS
// when the request came over TLS.
func setCookie(w http.ResponseWriter, r *http.Request, id string, maxAge time.Duration) {
	ck := &http.Cookie{
		Name:     CookieName,
		Value:    id,
		Path:     Prefix,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   r.TLS != nil,
	}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
		if ck.MaxAge == 0 {
			ck.MaxAge = 1
		}
	} else {
		ck.MaxAge = -1 // Max-Age=0: delete it
	}
	http.SetCookie(w, ck)
}
