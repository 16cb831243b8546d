// Package functions is Statecraft's local Lambda-compatible runtime host.
//
// Every registered function runs as ordinary local processes that speak the
// public AWS Lambda Runtime API (GET /2018-06-01/runtime/invocation/next,
// POST .../{id}/response, .../{id}/error and /runtime/init/error) and get the
// standard Lambda environment (AWS_LAMBDA_RUNTIME_API, _HANDLER,
// LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, ...). So:
//
//   - Go functions built with github.com/aws/aws-lambda-go run unchanged
//     (runtime "go1.x", or "provided.al2023" with the binary named bootstrap);
//   - any custom runtime bootstrap ("provided", "provided.al2",
//     "provided.al2023") runs unchanged;
//   - "nodejs" functions (nodejs18.x, nodejs20.x, ...) run under a small
//     bootstrap embedded in the binary (nodejs/bootstrap.js) that loads
//     module.exports[handler] and supports callback-style and async handlers
//     and the Lambda context object.
//
// Process model: each process has its own loopback listener, so
// AWS_LAMBDA_RUNTIME_API is a plain host:port as real runtimes expect and the
// host knows which process is asking from the listener the request came in
// on. A function's warm processes are reused (the most recently used first),
// new ones are started up to Function.Concurrency, further invocations wait
// for a free process, and a process that stays idle for
// Function.IdleTimeout is stopped. A process that crashes or times out is
// discarded; the next invocation starts a new one.
//
// A process's stdout and stderr go to a file that the host reads when the
// runtime posts an invocation's outcome (everything written before the post
// is in it by then), so Result.Logs holds exactly that invocation's output;
// a cold start's initialisation output goes with its first invocation.
//
// Errors are reported the way Lambda reports them to its caller, and so to
// Step Functions, which names a failed Lambda task after the errorType of
// the error document: a handler's error keeps the runtime's errorType
// ("Error", "TypeError", a custom error.name, aws-lambda-go's Go type name
// such as "errorString"); a timeout is Sandbox.Timedout, a process that
// exits before answering Runtime.ExitError, an unstartable bootstrap
// Runtime.InvalidEntrypoint, an oversized response
// Function.ResponseSizeTooLarge; /init/error reports the runtime's own
// errorType (Runtime.ImportModuleError, Runtime.HandlerNotFound, ...). See
// Result and the ErrorType constants.
package functions

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/statecraft/statecraft/arn"
)

// Function is the configuration of one function. A function belongs to an
// account: the host keys functions by account and name, so two accounts'
// functions of the same name are different functions and one account can
// neither invoke nor replace the other's.
type Function struct {
	// Account is the 12-digit account id the function belongs to; ""
	// means the host's (HostOptions.Account).
	Account string
	Name    string
	// Region is the region the function reports (AWS_REGION, its ARN); ""
	// means the host's.
	Region string
	// Runtime is "nodejs" or a Lambda nodejs runtime id ("nodejs18.x",
	// "nodejs20.x", ...); "provided", "provided.al2" or "provided.al2023"
	// (runs CodeDir/bootstrap); or "go1.x" (runs CodeDir/Handler).
	Runtime string
	// Handler is, for nodejs, "file.export" (e.g. "index.handler", or
	// "dir/file.export"); ignored for provided runtimes; for go1.x, the
	// executable: a regular file inside CodeDir named by a relative,
	// slash-separated path without "..".
	Handler string
	// CodeDir is the function's code, the LAMBDA_TASK_ROOT and the working
	// directory of its processes.
	CodeDir string
	// Env is added to the process environment. Lambda's reserved names
	// (AWS_REGION, _HANDLER, ...) are rejected by Register.
	Env map[string]string
	// Timeout bounds one invocation (default 3s, like Lambda).
	Timeout time.Duration
	// MemoryMB is reported in AWS_LAMBDA_FUNCTION_MEMORY_SIZE and the
	// context (default 128). It is not enforced.
	MemoryMB int
	// Concurrency is the most processes the function runs at once, like
	// reserved concurrency (default 10). Further invocations wait.
	Concurrency int
	// IdleTimeout stops a warm process after this long without an
	// invocation (default 5m).
	IdleTimeout time.Duration
	// Release, when set, is called once, after this registration has been
	// replaced or unregistered (or the host closed) and its last process
	// has ended: from then on nothing of this registration runs in
	// CodeDir, so whoever placed the code there may remove it.
	Release func()
}

// Defaults applied by Register to zero fields.
const (
	DefaultTimeout     = 3 * time.Second
	DefaultMemoryMB    = 128
	DefaultConcurrency = 10
	DefaultIdleTimeout = 5 * time.Minute
)

// InitTimeout bounds a new process's initialisation (until it first asks
// for an invocation), like Lambda's 10 s init phase.
const InitTimeout = 10 * time.Second

// MaxResponseSize is Lambda's synchronous response payload limit.
const MaxResponseSize = 6291556

// Error types reported in Result.ErrorType by the host itself (handler
// errors carry the runtime's own errorType, e.g. "Error", "TypeError").
const (
	// ErrorTypeTimeout: the invocation ran past Function.Timeout; the process
	// was killed. Message "RequestId: <id> Error: Task timed out after N.NN seconds".
	ErrorTypeTimeout = "Sandbox.Timedout"
	// ErrorTypeExit: the process exited (or was killed) before responding.
	// Message "RequestId: <id> Error: Runtime exited with error: exit status 1"
	// (or "... without providing a reason" for exit status 0).
	ErrorTypeExit = "Runtime.ExitError"
	// ErrorTypeInvalidEntrypoint: the bootstrap/executable could not be started.
	ErrorTypeInvalidEntrypoint = "Runtime.InvalidEntrypoint"
	// ErrorTypeInitError: the runtime reported /init/error without an errorType.
	ErrorTypeInitError = "Runtime.InitError"
	// ErrorTypeResponseTooLarge: the response was over MaxResponseSize.
	ErrorTypeResponseTooLarge = "Function.ResponseSizeTooLarge"
	// ErrorTypeInvalidResponse: the runtime's response body is not JSON.
	// Lambda itself passes such bytes through; Statecraft needs a JSON task
	// result, so it fails the invocation with this Statecraft-specific name.
	ErrorTypeInvalidResponse = "Runtime.InvalidResponse"
	// ErrorTypeUnknown: the runtime reported an error without an errorType;
	// Step Functions names such failures Lambda.Unknown.
	ErrorTypeUnknown = "Lambda.Unknown"
)

// FunctionErrorUnhandled is Result.FunctionError for every failed
// invocation, like Lambda's X-Amz-Function-Error header.
const FunctionErrorUnhandled = "Unhandled"

var (
	// ErrFunctionNotFound is returned by Invoke for a name the account has
	// not registered.
	ErrFunctionNotFound = errors.New("functions: function not found")
	// ErrInvalidRequestContent is returned by Invoke for a payload that is
	// not JSON (Lambda's InvalidRequestContentException).
	ErrInvalidRequestContent = errors.New("functions: could not parse request body into json")
	// ErrClosed is returned once the host is closed.
	ErrClosed = errors.New("functions: host closed")
)

// HostOptions configures a Host.
type HostOptions struct {
	Region   string       // default "us-east-1"; a Function's when it sets none
	Account  string       // default "123456789012"; a Function's when it sets none
	Log      *slog.Logger // default slog.Default()
	NodePath string       // default "node" (looked up in PATH)
}

// InvokeMeta carries per-invocation metadata.
type InvokeMeta struct {
	// RequestID is the invocation's request id (a new UUID when empty).
	RequestID string
	// ClientContext and Identity are passed to the runtime as the
	// Lambda-Runtime-Client-Context and Lambda-Runtime-Cognito-Identity
	// headers (JSON text), when set.
	ClientContext string
	Identity      string
}

// Result is the outcome of one invocation.
type Result struct {
	// Payload is the response (JSON text) or, when FunctionError is set, the
	// error document, e.g. {"errorType":"Error","errorMessage":"...","trace":[...]}
	// as the runtime posted it, or {"errorType":"Sandbox.Timedout","errorMessage":"..."}
	// for errors the host detects.
	Payload []byte
	// FunctionError is "" on success and "Unhandled" on any error.
	FunctionError string
	// ErrorType is the error name Step Functions uses: the errorType of the
	// error document ("Error", "TypeError", "errorString", ...) or one of the
	// ErrorType constants.
	ErrorType    string
	ErrorMessage string
	// Logs is what the process wrote to stdout and stderr during the
	// invocation (and, for a cold start, during its initialisation), at
	// most the last 256 KiB.
	Logs string
	// Duration is the time from handing the event to the runtime until the
	// outcome (not including a cold start's initialisation).
	Duration time.Duration
	// InitDuration is the cold start's initialisation time; 0 when a warm
	// process was reused.
	InitDuration time.Duration
}

// Host runs functions. It is safe for concurrent use.
type Host struct {
	opts HostOptions
	log  *slog.Logger

	setupOnce sync.Once
	setupErr  error
	dir       string // per-host temp dir: runtime files and process logs
	nodeBoot  string // path of the written nodejs bootstrap

	mu     sync.Mutex
	pools  map[key]*pool
	closed bool
	procs  sync.WaitGroup
}

//go:embed nodejs/bootstrap.js
var nodeBootstrap []byte

// NewHost returns a host. It starts nothing until the first invocation.
func NewHost(opts HostOptions) *Host {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "123456789012"
	}
	if opts.NodePath == "" {
		opts.NodePath = "node"
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	return &Host{opts: opts, log: log.With("component", "functions"), pools: map[key]*pool{}}
}

// Account is the host's account: the account of a Function that names
// none, and the one Invoke, Unregister and Processes take "" for.
func (h *Host) Account() string { return h.opts.Account }

// key names a function: its account and its name.
type key struct{ account, name string }

// key returns the key of the function account names name; "" is the
// host's account.
func (h *Host) key(account, name string) key {
	if account == "" {
		account = h.opts.Account
	}
	return key{account, name}
}

// setup creates the host's directory and writes the nodejs bootstrap.
func (h *Host) setup() error {
	h.setupOnce.Do(func() {
		dir, err := os.MkdirTemp("", "statecraft-functions-")
		if err != nil {
			h.setupErr = fmt.Errorf("functions: %w", err)
			return
		}
		h.dir = dir
		rt := filepath.Join(dir, "runtime")
		if err := os.MkdirAll(rt, 0o755); err != nil {
			h.setupErr = fmt.Errorf("functions: %w", err)
			return
		}
		h.nodeBoot = filepath.Join(rt, "bootstrap.js")
		if err := os.WriteFile(h.nodeBoot, nodeBootstrap, 0o644); err != nil {
			h.setupErr = fmt.Errorf("functions: %w", err)
		}
	})
	return h.setupErr
}

var (
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
)

// reservedEnv are the variables Lambda does not let a function set.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true,
	"AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true,
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
	"AWS_LAMBDA_RUNTIME_API": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

type runtimeKind int

const (
	kindNode runtimeKind = iota
	kindProvided
)

// nodeRuntimeRE are the Lambda ids of the Node.js runtimes ("nodejs" alone
// means the newest Statecraft knows).
var nodeRuntimeRE = regexp.MustCompile(`^nodejs[0-9]+\.x$`)

// SupportedRuntime tells whether runtime is one the host runs: "nodejs" or
// nodejsNN.x, "provided", "provided.al2", "provided.al2023" or "go1.x".
// Anything else (python3.12, java21, a path, a program name) is refused.
func SupportedRuntime(runtime string) bool {
	switch runtime {
	case "nodejs", "provided", "provided.al2", "provided.al2023", "go1.x":
		return true
	}
	return nodeRuntimeRE.MatchString(runtime)
}

// localPath tells whether p, a slash-separated path from a function's
// configuration, stays inside the directory it is relative to: not empty,
// not absolute, no "..", no backslash or drive letter that another
// reading of the path could take for a separator or a root.
func localPath(p string) bool {
	return p != "" && !strings.ContainsAny(p, `\:`) && filepath.IsLocal(filepath.FromSlash(p))
}

// normalize validates f and fills in defaults.
func (h *Host) normalize(f Function) (Function, runtimeKind, error) {
	if !nameRE.MatchString(f.Name) {
		return f, 0, fmt.Errorf("functions: invalid function name %q", f.Name)
	}
	if f.Account == "" {
		f.Account = h.opts.Account
	}
	if !accountRE.MatchString(f.Account) {
		return f, 0, fmt.Errorf("functions: %s: invalid account id %q (12 digits)", f.Name, f.Account)
	}
	if f.Region == "" {
		f.Region = h.opts.Region
	}
	if f.CodeDir == "" {
		return f, 0, fmt.Errorf("functions: %s: CodeDir is required", f.Name)
	}
	dir, err := filepath.Abs(f.CodeDir)
	if err != nil {
		return f, 0, fmt.Errorf("functions: %s: %w", f.Name, err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return f, 0, fmt.Errorf("functions: %s: CodeDir %s is not a directory", f.Name, dir)
	}
	f.CodeDir = dir
	var kind runtimeKind
	switch r := f.Runtime; {
	case !SupportedRuntime(r):
		return f, 0, fmt.Errorf("functions: %s: unsupported runtime %q (use nodejsNN.x, provided, provided.al2, provided.al2023 or go1.x)", f.Name, r)
	case strings.HasPrefix(r, "nodejs"):
		kind = kindNode
		// The bootstrap resolves the module against LAMBDA_TASK_ROOT, so
		// an absolute module path would load code from anywhere.
		slash := strings.LastIndex(f.Handler, "/")
		file, _, _ := strings.Cut(f.Handler[slash+1:], ".")
		module := f.Handler[:slash+1] + file
		if f.Handler == "" || !localPath(module) {
			return f, 0, fmt.Errorf("functions: %s: a nodejs function needs a Handler FILE.EXPORT (such as index.handler) naming a file inside CodeDir, got %q", f.Name, f.Handler)
		}
	case r == "go1.x":
		kind = kindProvided
		if !localPath(f.Handler) {
			return f, 0, fmt.Errorf("functions: %s: a go1.x function needs Handler set to its executable, a relative path inside CodeDir without \"..\", got %q", f.Name, f.Handler)
		}
		// Lstat, so that a symbolic link cannot point the handler outside
		// the code directory.
		st, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f.Handler)))
		if err != nil || !st.Mode().IsRegular() {
			return f, 0, fmt.Errorf("functions: %s: go1.x Handler %q is not a regular file in CodeDir", f.Name, f.Handler)
		}
	default:
		kind = kindProvided
	}
	var bad []string
	for k := range f.Env {
		if reservedEnv[k] || k == "" || strings.ContainsAny(k, "=\x00") {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return f, 0, fmt.Errorf("functions: %s: reserved or invalid environment variable names: %s", f.Name, strings.Join(bad, ", "))
	}
	env := make(map[string]string, len(f.Env))
	for k, v := range f.Env {
		env[k] = v
	}
	f.Env = env
	if f.Timeout <= 0 {
		f.Timeout = DefaultTimeout
	}
	if f.MemoryMB <= 0 {
		f.MemoryMB = DefaultMemoryMB
	}
	if f.Concurrency <= 0 {
		f.Concurrency = DefaultConcurrency
	}
	if f.IdleTimeout <= 0 {
		f.IdleTimeout = DefaultIdleTimeout
	}
	return f, kind, nil
}

// Check reports what Register would refuse f for, without registering it.
func (h *Host) Check(f Function) error {
	_, _, err := h.normalize(f)
	return err
}

// Register adds a function, or replaces the one of the same account and
// name: the old registration's idle processes are stopped at once and its
// busy ones as soon as their current invocation ends. When Register fails,
// f.Release is not called.
func (h *Host) Register(f Function) error {
	nf, kind, err := h.normalize(f)
	if err != nil {
		return err
	}
	if err := h.setup(); err != nil {
		return err
	}
	p := &pool{host: h, fn: nf, kind: kind, procs: map[*process]struct{}{}, changed: make(chan struct{})}
	k := key{nf.Account, nf.Name}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	old := h.pools[k]
	h.pools[k] = p
	h.mu.Unlock()
	if old != nil {
		old.close(false)
	}
	return nil
}

// Unregister removes account's function name ("" is the host's account)
// and stops its processes like Register does when it replaces one.
func (h *Host) Unregister(account, name string) error {
	k := h.key(account, name)
	h.mu.Lock()
	old := h.pools[k]
	delete(h.pools, k)
	h.mu.Unlock()
	if old == nil {
		return ErrFunctionNotFound
	}
	old.close(false)
	return nil
}

// Processes returns how many processes account's function name has
// running (warm, starting or busy).
func (h *Host) Processes(account, name string) int {
	h.mu.Lock()
	p := h.pools[h.key(account, name)]
	h.mu.Unlock()
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.procs)
}

// MemoryMB returns the configured memory of account's function name ("" is
// the host's account); ok is false when there is no such function.
func (h *Host) MemoryMB(account, name string) (mb int64, ok bool) {
	h.mu.Lock()
	p := h.pools[h.key(account, name)]
	h.mu.Unlock()
	if p == nil {
		return 0, false
	}
	return int64(p.fn.MemoryMB), true
}

// Invoke runs account's function name ("" is the host's account) once with
// payload (JSON; empty means {}) and waits for the outcome. Another
// account's function of the same name is not found. Function errors,
// crashes and timeouts are reported in the Result; the error is only for a
// missing function, an invalid payload, a cancelled ctx (the process
// running the invocation is then stopped) or a closed host.
func (h *Host) Invoke(ctx context.Context, account, name string, payload []byte, meta InvokeMeta) (*Result, error) {
	if len(payload) == 0 {
		payload = []byte("{}")
	} else if !json.Valid(payload) {
		return nil, ErrInvalidRequestContent
	}
	if meta.RequestID == "" {
		meta.RequestID = newUUID()
	}
	k := h.key(account, name)
	for {
		h.mu.Lock()
		closed, p := h.closed, h.pools[k]
		h.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		if p == nil {
			return nil, ErrFunctionNotFound
		}
		res, err := p.invoke(ctx, payload, meta)
		if errors.Is(err, errRetry) {
			continue // the registration was replaced, or a warm process died before taking the event
		}
		return res, err
	}
}

// Close stops every process and removes the host's temporary files.
// Invocations in flight return ErrClosed.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	pools := h.pools
	h.pools = map[key]*pool{}
	h.mu.Unlock()
	for _, p := range pools {
		p.close(true)
	}
	h.procs.Wait()
	if h.dir != "" {
		return os.RemoveAll(h.dir)
	}
	return nil
}

func (h *Host) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

func functionARN(f Function) string {
	return arn.Function(f.Region, f.Account, f.Name)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func newUUID() string {
	b := make([]byte, 16)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func newTraceID() string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), randomHex(12), randomHex(8))
}
