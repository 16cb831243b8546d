// Package console is Statecraft's web console: a single-page application
// served from files embedded in the binary (plain JavaScript, CSS and SVG;
// there is no build step), mounted at /console/ by `statecraft server`.
//
// # Signing in
//
// The static files (HTML, JavaScript, CSS, the logo) are served to anyone:
// they hold no data. Everything else needs a session, which the page opens
// with POST /console/login and a JSON body, either an access key of the
// server's keyring,
//
//	{"accessKeyId": "AKIA...", "secretAccessKey": "...", "sessionToken": "..."}
//
// (sessionToken only for a key that has one), or a console token,
//
//	{"token": "eyJ..."}
//
// minted by `statecraft console-token` (see MintToken), so that no
// long-lived secret need be typed into a browser. The secret is compared
// in constant time; the development pair local/local works only from a
// loopback client, as it does for SigV4; failed logins are limited per
// client address (a token bucket), so a secret cannot be guessed through
// the console faster than through the API.
//
// A session is a random 256-bit id in the cookie statecraft_session
// (Path=/console/; HttpOnly; SameSite=Strict; Secure over TLS), bound to
// the key's principal: its account and role, Via "console". It ends at
// logout (POST /console/logout), after SessionOptions.TTL (12 hours) or
// SessionOptions.Idle without a request (1 hour), or when the key itself
// expires. Sessions live in the server's memory only: a restart signs
// everyone out. Their number is bounded (SessionOptions.Max); past it,
// the session used least recently ends.
//
// # What a session may do
//
// The console adds no back door: every call acts as the session's
// principal on the public Step Functions API, called in process, so every
// role and account rule of the API applies unchanged (a read-only key's
// StartExecution is AccessDeniedException, another account's ARN does not
// exist).
//
//	GET  /console/session   who is signed in, and the CSRF token
//	POST /console/api       a Step Functions call: the body and X-Amz-Target
//	                        as the AWS SDKs send them to /, plus the header
//	                        X-CSRF-Token
//	GET  /console/events?executionArn=...
//	                        the live stream of one execution (server-sent
//	                        events made from DescribeExecution and
//	                        GetExecutionHistory); it ends when the session does
//	GET  /console/metrics   the activity gauges of /metrics (queued tasks and
//	                        waiting workers), only for the session's account
//	GET  /console/cluster   the cluster's view (package clusterview): the
//	                        nodes, the shards each holds, the free ones
//	GET  /console/cost?executionArn=...|stateMachineArn=...
//	                        what executions cost (package cost), as the
//	                        session's principal
//	POST /console/logout    ends the session (X-CSRF-Token too)
//
// A request that changes anything carries the session's CSRF token in
// X-CSRF-Token, a header no cross-origin form can send and no
// cross-origin script can add without a CORS preflight, which the console
// never grants; besides, a request whose Origin is another origin, or
// whose Sec-Fetch-Site says it comes from another site, is refused before
// its session is looked at, and login takes only Content-Type
// application/json. Without a valid session the answer is 401, with a bad
// CSRF token or origin 403, always as JSON {"__type", "message"}.
package console

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/httpjson"
)

// Prefix is where the console is mounted.
const Prefix = "/console/"

// CookieName is the session cookie's name.
const CookieName = "statecraft_session"

// CSRFHeader carries the session's CSRF token on every state-changing
// request.
const CSRFHeader = "X-CSRF-Token"

//go:embed static
var static embed.FS

// Options configure the console.
type Options struct {
	// Poll is how often a live stream looks for new history events;
	// 0 means 200ms.
	Poll time.Duration
	// Heartbeat is how often an idle stream sends a comment to keep
	// proxies from closing it; 0 means 15s.
	Heartbeat time.Duration
	Log       *slog.Logger
	// Keyring holds the keys that may sign in; nil means the development
	// pair local/local of auth.DefaultAccount, as api.New does.
	Keyring *auth.Keyring
	// TokenKey verifies console tokens (LoadOrCreateKey reads it from
	// the data directory); nil refuses every token login.
	TokenKey []byte
	// Region is the region the console's sessions act in: the server's;
	// "" means us-east-1. A session of an account limited to other
	// regions acts in the first of them.
	Region string
	// Metrics serves the Prometheus text exposition (metrics.Handler),
	// which /console/metrics reads in process and filters to the
	// session's account; nil answers 404 there.
	Metrics http.Handler
	// Cluster serves the cluster's view (clusterview.Path's door), which
	// /console/cluster reads in process as the session's principal, so
	// that the door's role check decides; nil answers 404 there.
	Cluster http.Handler
	// Cost serves cost reports (cost.Path's door), which /console/cost
	// reads in process as the session's principal; nil answers 404 there.
	Cost http.Handler
	// Now is the clock of sessions, tokens and the login limiter; nil
	// means time.Now.
	Now      func() time.Time
	Sessions SessionOptions
}

// SessionOptions bound sessions and login attempts.
type SessionOptions struct {
	// TTL is the longest a session lasts; 0 means 12h.
	TTL time.Duration
	// Idle ends a session no request used for this long; 0 means 1h.
	Idle time.Duration
	// Max is the most sessions kept at once; 0 means 1000.
	Max int
	// LoginBurst failed logins are allowed from one client address (an
	// IPv6 /64) at once, and one more every LoginRefill; 0 means 5 and
	// 12s (5 a minute).
	LoginBurst  int
	LoginRefill time.Duration
	// MaxClients bounds the addresses whose failures are remembered;
	// 0 means 10000. While that many are still limited, logins from new
	// addresses are refused too, rather than forgetting the old.
	MaxClients int
}

// Console serves the web console. Create one with New and mount it at
// Prefix; call Close when the server shuts down, so that open live
// streams end and do not hold up http.Server.Shutdown.
type Console struct {
	api      http.Handler
	opts     Options
	log      *slog.Logger
	keys     *auth.Keyring
	files    http.Handler
	sessions *sessions
	limiter  *limiter
	ctx      context.Context
	cancel   context.CancelFunc
	once     sync.Once
}

// New returns the console for the Step Functions API served by api (the
// handler api.New returns).
func New(api http.Handler, opts Options) *Console {
	if opts.Poll <= 0 {
		opts.Poll = 200 * time.Millisecond
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Keyring == nil {
		opts.Keyring = auth.DevelopmentKeyring(auth.DefaultAccount)
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	so := &opts.Sessions
	if so.TTL <= 0 {
		so.TTL = 12 * time.Hour
	}
	if so.Idle <= 0 {
		so.Idle = time.Hour
	}
	if so.Max <= 0 {
		so.Max = 1000
	}
	if so.LoginBurst <= 0 {
		so.LoginBurst = 5
	}
	if so.LoginRefill <= 0 {
		so.LoginRefill = 12 * time.Second
	}
	if so.MaxClients <= 0 {
		so.MaxClients = 10000
	}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Console{
		api:      api,
		opts:     opts,
		log:      opts.Log,
		keys:     opts.Keyring,
		files:    http.StripPrefix(Prefix, http.FileServerFS(sub)),
		sessions: newSessions(*so, opts.Now),
		limiter:  newLimiter(so.LoginBurst, so.LoginRefill, so.MaxClients, opts.Now),
		ctx:      ctx,
		cancel:   cancel,
	}
}

// Close ends the live streams that are open and makes new ones end at
// once. Pass it to http.Server.RegisterOnShutdown.
func (c *Console) Close() { c.once.Do(c.cancel) }

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No page of another origin may frame the console (clickjacking), and
	// no URL of it (execution ARNs in the fragment are not sent, but
	// query strings are) leaks to the sites it links to.
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	path := r.URL.Path
	if path == strings.TrimSuffix(Prefix, "/") {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	rest, ok := strings.CutPrefix(path, Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch rest {
	case "login":
		c.serveLogin(w, r)
		return
	case "logout":
		c.serveLogout(w, r)
		return
	case "session":
		c.serveSession(w, r)
		return
	case "api":
		c.serveAPI(w, r)
		return
	case "events":
		c.serveEvents(w, r)
		return
	case "metrics":
		c.serveMetrics(w, r)
		return
	case "cluster":
		c.serveCluster(w, r)
		return
	case "cost":
		c.serveCost(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Always the fresh file: the scripts the page loads carry no version.
	h.Set("Cache-Control", "no-cache")
	if rest == "" || rest == "index.html" {
		h.Set("Content-Security-Policy", csp)
		if rest == "index.html" {
			// FileServer would redirect index.html to the directory.
			r2 := r.Clone(r.Context())
			r2.URL.Path = Prefix
			r = r2
		}
	}
	c.files.ServeHTTP(w, r)
}

// csp keeps the console to its own origin: scripts and styles from the
// embedded files, API calls to the same server, forms posted nowhere
// else, and no framing.
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// apiError is the console's error body, shaped as the API's errors are so
// that the page reads both alike.
type apiError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, apiError{Type: typ, Message: msg})
}

// writeJSON answers with JSON that no cache keeps (a session's data).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	if err := httpjson.Write(w, status, v, httpjson.Options{}); err != nil {
		// Only a bug can get here (every body is plain data).
		_ = httpjson.Write(w, http.StatusInternalServerError, apiError{Type: "InternalFailure", Message: "encoding the response failed"}, httpjson.Options{})
	}
}

// crossSite tells a request that a page of another origin made: its
// Origin (which browsers send on every POST, and on cross-origin GETs)
// names another origin, or its Sec-Fetch-Site says another site. The
// session cookie is SameSite=Strict, but a page on another port of the
// same host is the same site and gets it sent: this check, and the CSRF
// token, are what stop such a page.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	origin := r.Header.Get("Origin")
	return origin != "" && origin != ownOrigin(r)
}

// ownOrigin is the origin the request was sent to. Behind a proxy that
// ends TLS, the proxy must pass the Host on and speak the same scheme.
func ownOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// refuseCrossSite answers a cross-site request with 403 and says so.
func refuseCrossSite(w http.ResponseWriter, r *http.Request) bool {
	if !crossSite(r) {
		return false
	}
	writeError(w, http.StatusForbidden, "ForbiddenOrigin",
		"The console takes requests only from its own pages (origin "+ownOrigin(r)+")")
	return true
}

// jsonBody tells whether a request's Content-Type is application/json,
// which no HTML form can send.
func jsonBody(r *http.Request, types ...string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return false
	}
	for _, t := range types {
		if mt == t {
			return true
		}
	}
	return false
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Use "+allow)
}
