// Package console is Statecraft's web console: a single-page application
// served from files embedded in the binary (plain JavaScript, CSS and SVG;
// there is no build step), mounted at /console/ by `statecraft server`.
//
// The console adds no private back door. The browser talks to the public
// Step Functions API on the same origin (POST / with X-Amz-Target), exactly
// as an AWS SDK would. The one endpoint of its own, the live stream
// GET /console/events?executionArn=..., is a server-sent-events feed built
// on that same public API: it calls the API handler in process
// (DescribeExecution and GetExecutionHistory) and forwards new history
// events as they appear, so it exposes nothing that GetExecutionHistory
// does not already expose to any client.
//
// The Activities page also reads GET /metrics, the server's public
// Prometheus endpoint (package metrics, documented in metrics/README.md),
// for each activity's queued tasks and waiting workers; it parses the text
// exposition format in the browser (static/metrics.js) and reads it again
// every few seconds while the page is open.
package console

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Prefix is where the console is mounted.
const Prefix = "/console/"

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
}

// Console serves the web console. Create one with New and mount it at
// Prefix; call Close when the server shuts down, so that open live
// streams end and do not hold up http.Server.Shutdown.
type Console struct {
	api    http.Handler
	opts   Options
	log    *slog.Logger
	files  http.Handler
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
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
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Console{
		api:    api,
		opts:   opts,
		log:    opts.Log,
		files:  http.StripPrefix(Prefix, http.FileServerFS(sub)),
		ctx:    ctx,
		cancel: cancel,
	}
}

// Close ends the live streams that are open and makes new ones end at
// once. Pass it to http.Server.RegisterOnShutdown.
func (c *Console) Close() { c.once.Do(c.cancel) }

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case rest == "events":
		c.serveEvents(w, r)
		return
	case rest == "" || rest == "index.html":
		// Always the fresh page: the scripts it loads carry no version.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if rest == "index.html" {
			// FileServer would redirect index.html to the directory.
			r2 := r.Clone(r.Context())
			r2.URL.Path = Prefix
			r = r2
		}
	default:
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
	}
	c.files.ServeHTTP(w, r)
}

// csp keeps the console to its own origin: scripts and styles from the
// embedded files, API calls to the same server.
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
