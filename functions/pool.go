package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// errRetry tells Invoke to look the function up again and retry.
var errRetry = errors.New("functions: retry")

// pool is the set of processes of one registration of a function.
type pool struct {
	host *Host
	fn   Function
	kind runtimeKind

	mu      sync.Mutex
	procs   map[*process]struct{} // every live process: starting, idle or busy
	idle    []*process            // processes parked in /next, most recently used last
	changed chan struct{}         // closed (and replaced) whenever capacity may have freed
	closed  bool
	seq     int
	// released is set once fn.Release has been (or is being) called.
	released bool
}

// releaseIfDone reports whether the registration is closed and has no
// process left, the moment fn.Release is due; it reports true once only.
// Call with mu held, and call fn.Release after unlocking when it is true.
func (pl *pool) releaseIfDone() bool {
	if !pl.closed || len(pl.procs) > 0 || pl.released {
		return false
	}
	pl.released = true
	return pl.fn.Release != nil
}

// notify wakes every invocation waiting for capacity. Call with mu held.
func (pl *pool) notify() {
	close(pl.changed)
	pl.changed = make(chan struct{})
}

// acquire picks the process that will run inv and queues inv on it: a warm
// idle process if there is one, else a new (not yet started) process if the
// concurrency limit allows, else it waits.
func (pl *pool) acquire(ctx context.Context, inv *invocation) (p *process, cold bool, err error) {
	for {
		pl.mu.Lock()
		if pl.closed {
			pl.mu.Unlock()
			return nil, false, errRetry
		}
		if n := len(pl.idle); n > 0 {
			p = pl.idle[n-1]
			pl.idle = pl.idle[:n-1]
			p.idle = false
			p.idleTimer.Stop()
			p.invokeCh <- inv
			pl.mu.Unlock()
			return p, false, nil
		}
		if len(pl.procs) < pl.fn.Concurrency {
			pl.seq++
			p = newProcess(pl, pl.seq)
			pl.procs[p] = struct{}{}
			p.invokeCh <- inv
			pl.mu.Unlock()
			return p, true, nil
		}
		wait := pl.changed
		pl.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// park makes p available for the next invocation (it is waiting in /next,
// or about to). It reports false when p must stop instead (its registration
// was replaced or closed).
func (pl *pool) park(p *process) bool {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if len(p.invokeCh) > 0 {
		return true // an invocation is already queued for it (cold start)
	}
	if pl.closed || p.killed {
		return false
	}
	if p.idle {
		return true
	}
	p.idle = true
	p.idleGen++
	gen := p.idleGen
	pl.idle = append(pl.idle, p)
	p.idleTimer = time.AfterFunc(pl.fn.IdleTimeout, func() { pl.reap(p, gen) })
	pl.notify()
	return true
}

// unpark removes p from the idle list (its /next request went away).
func (pl *pool) unpark(p *process) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.removeIdle(p)
}

func (pl *pool) removeIdle(p *process) {
	if !p.idle {
		return
	}
	p.idle = false
	p.idleTimer.Stop()
	for i, q := range pl.idle {
		if q == p {
			pl.idle = append(pl.idle[:i], pl.idle[i+1:]...)
			break
		}
	}
}

// reap stops p if it is still in the idle period gen.
func (pl *pool) reap(p *process, gen int) {
	pl.mu.Lock()
	if !p.idle || p.idleGen != gen {
		pl.mu.Unlock()
		return
	}
	pl.removeIdle(p)
	pl.mu.Unlock()
	pl.host.log.Debug("stopping idle process", "function", pl.fn.Name, "process", p.seq)
	p.kill()
}

// exited forgets a process that has ended.
func (pl *pool) exited(p *process) {
	pl.mu.Lock()
	pl.removeIdle(p)
	delete(pl.procs, p)
	pl.notify()
	release := pl.releaseIfDone()
	pl.mu.Unlock()
	if release {
		pl.fn.Release()
	}
}

// close stops the idle processes (all of them if all) and makes busy ones
// stop after their current invocation.
func (pl *pool) close(all bool) {
	pl.mu.Lock()
	pl.closed = true
	var stop []*process
	if all {
		for p := range pl.procs {
			stop = append(stop, p)
		}
	} else {
		stop = append(stop, pl.idle...)
	}
	for _, p := range pl.idle {
		p.idle = false
	}
	pl.idle = nil
	pl.notify()
	release := pl.releaseIfDone()
	pl.mu.Unlock()
	if release {
		pl.fn.Release()
	}
	for _, p := range stop {
		p.kill()
	}
}

// invocation is one event handed to a process.
type invocation struct {
	id      string
	payload []byte
	meta    InvokeMeta
	trace   string

	delivered   chan struct{} // closed when /next hands the event out
	deliveredAt time.Time
	deadline    time.Time

	done     chan struct{} // closed when the runtime posted the outcome
	doneOnce sync.Once
	doneAt   time.Time
	outcome  outcome
}

// outcome is what the runtime posted for an invocation.
type outcome struct {
	isError    bool
	body       []byte
	headerType string // Lambda-Runtime-Function-Error-Type
	hostType   string // set when the host itself decided the error
	hostMsg    string
	posted     bool   // the runtime posted it; the process lives on
	logs       string // for a posted outcome: the output until the post
}

func (inv *invocation) finish(o outcome) bool {
	ok := false
	inv.doneOnce.Do(func() {
		inv.outcome = o
		inv.doneAt = time.Now()
		close(inv.done)
		ok = true
	})
	return ok
}

func (inv *invocation) isDone() bool {
	select {
	case <-inv.done:
		return true
	default:
		return false
	}
}

// invoke runs one invocation to its outcome.
func (pl *pool) invoke(ctx context.Context, payload []byte, meta InvokeMeta) (*Result, error) {
	inv := &invocation{
		id: meta.RequestID, payload: payload, meta: meta, trace: newTraceID(),
		delivered: make(chan struct{}), done: make(chan struct{}),
	}
	p, cold, err := pl.acquire(ctx, inv)
	if err != nil {
		return nil, err
	}
	if cold {
		if err := p.start(); err != nil {
			p.abandon()
			pl.host.log.Warn("cannot start function process", "function", pl.fn.Name, "err", err)
			msg := fmt.Sprintf("RequestId: %s Error: %v", inv.id, err)
			return hostError(ErrorTypeInvalidEntrypoint, msg, ""), nil
		}
	}

	// Phase 1: until the runtime takes the event (for a cold start, until
	// it has initialised and asked for it). A warm process normally asks at
	// once; one that has not asked after InitTimeout is stopped and the
	// event, which never ran, goes to another process.
	t := time.NewTimer(InitTimeout)
	defer t.Stop()
	initTimer, warmTimer := t.C, (<-chan time.Time)(nil)
	if !cold {
		initTimer, warmTimer = nil, t.C
	}
	select {
	case <-inv.delivered:
	case <-p.initFailed:
		return pl.result(p, inv, cold, p.initOutcome()), nil
	case <-p.exited:
		if !isClosed(inv.delivered) {
			if pl.host.isClosed() {
				return nil, ErrClosed
			}
			if isClosed(p.initFailed) {
				return pl.result(p, inv, cold, p.initOutcome()), nil
			}
			if !cold {
				return nil, errRetry // a warm process died before taking the event: try another
			}
			return pl.result(p, inv, cold, p.exitOutcome(inv)), nil
		}
	case <-warmTimer:
		if isClosed(inv.delivered) {
			break
		}
		pl.host.log.Warn("a warm process did not ask for its next event; stopping it", "function", pl.fn.Name, "process", p.seq)
		p.kill()
		select {
		case <-inv.delivered:
			// It asked just now, and is being stopped: report the exit.
			return pl.result(p, inv, cold, p.exitOutcome(inv)), nil
		case <-p.exited:
			if isClosed(inv.delivered) {
				return pl.result(p, inv, cold, p.exitOutcome(inv)), nil
			}
			return nil, errRetry
		}
	case <-initTimer:
		p.kill()
		msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, InitTimeout.Seconds())
		return pl.result(p, inv, cold, outcome{isError: true, hostType: ErrorTypeTimeout, hostMsg: msg}), nil
	case <-ctx.Done():
		p.kill()
		return nil, ctx.Err()
	}

	// Phase 2: the handler runs.
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case <-inv.done:
		return pl.result(p, inv, cold, inv.outcome), nil
	case <-p.exited:
		if inv.isDone() {
			return pl.result(p, inv, cold, inv.outcome), nil
		}
		if pl.host.isClosed() {
			return nil, ErrClosed
		}
		return pl.result(p, inv, cold, p.exitOutcome(inv)), nil
	case <-timer.C:
		if !inv.finish(outcome{}) {
			return pl.result(p, inv, cold, inv.outcome), nil
		}
		p.kill()
		msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, pl.fn.Timeout.Seconds())
		return pl.result(p, inv, cold, outcome{isError: true, hostType: ErrorTypeTimeout, hostMsg: msg}), nil
	case <-ctx.Done():
		if !inv.finish(outcome{}) {
			return pl.result(p, inv, cold, inv.outcome), nil
		}
		p.kill()
		return nil, ctx.Err()
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// result turns an outcome into a Result, with the invocation's logs.
func (pl *pool) result(p *process, inv *invocation, cold bool, o outcome) *Result {
	var duration, initDuration time.Duration
	if isClosed(inv.delivered) {
		end := time.Now()
		switch {
		case o.hostType == ErrorTypeTimeout:
			end = inv.deadline
		case !inv.doneAt.IsZero():
			end = inv.doneAt
		}
		duration = end.Sub(inv.deliveredAt)
	}
	p.mu.Lock()
	if cold && !p.readyAt.IsZero() {
		initDuration = p.readyAt.Sub(p.startedAt)
	}
	p.mu.Unlock()

	logs := o.logs
	if !o.posted {
		// The host decided the outcome (timeout, exit, init failure): the
		// process is discarded, so let it end and take all it wrote. A
		// runtime exits by itself after /init/error; give it a moment to
		// write its last words first.
		if !isClosed(p.exited) && isClosed(p.initFailed) && o.hostType == "" {
			select {
			case <-p.exited:
			case <-time.After(time.Second):
			}
		}
		p.kill()
		<-p.exited
		logs = p.takeLogs()
	}
	switch o.hostType {
	case ErrorTypeTimeout:
		logs += fmt.Sprintf("%s %s %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id,
			strings.TrimPrefix(o.hostMsg, "RequestId: "+inv.id+" Error: "))
	case ErrorTypeExit:
		logs += o.hostMsg + "\n" + o.hostType + "\n"
	}

	var res *Result
	switch {
	case o.hostType != "":
		res = hostError(o.hostType, o.hostMsg, "")
	case !o.isError:
		body := o.body
		if len(body) == 0 {
			body = []byte("null")
		}
		if json.Valid(body) {
			res = &Result{Payload: body}
		} else {
			msg := fmt.Sprintf("RequestId: %s Error: the runtime's response is not valid JSON: %s", inv.id, abbreviate(body, 200))
			res = hostError(ErrorTypeInvalidResponse, msg, "")
		}
	default:
		res = runtimeError(o)
	}
	res.Logs = tail(logs)
	res.Duration, res.InitDuration = duration, initDuration
	return res
}

// runtimeError is the Result for an error document posted by the runtime:
// Lambda returns the document as the payload, and Step Functions names the
// error after its errorType.
func runtimeError(o outcome) *Result {
	res := &Result{FunctionError: FunctionErrorUnhandled}
	var doc struct {
		ErrorType    *string `json:"errorType"`
		ErrorMessage *string `json:"errorMessage"`
	}
	if len(o.body) > 0 && json.Unmarshal(o.body, &doc) == nil {
		res.Payload = o.body
		if doc.ErrorType != nil {
			res.ErrorType = *doc.ErrorType
		}
		if doc.ErrorMessage != nil {
			res.ErrorMessage = *doc.ErrorMessage
		}
	} else {
		res.ErrorMessage = string(o.body)
		res.Payload = errorDoc(o.headerType, res.ErrorMessage)
	}
	if res.ErrorType == "" {
		res.ErrorType = o.headerType
	}
	if res.ErrorType == "" {
		res.ErrorType = ErrorTypeUnknown
	}
	return res
}

func hostError(errType, msg, logs string) *Result {
	return &Result{
		Payload:       errorDoc(errType, msg),
		FunctionError: FunctionErrorUnhandled,
		ErrorType:     errType,
		ErrorMessage:  msg,
		Logs:          logs,
	}
}

func errorDoc(errType, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType,omitempty"`
		ErrorMessage string `json:"errorMessage"`
	}{errType, msg})
	return b
}

func abbreviate(b []byte, n int) string {
	if len(b) > n {
		return strconv.Quote(string(b[:n])) + "..."
	}
	return strconv.Quote(string(b))
}

// maxLogs is how much of an invocation's output a Result keeps.
const maxLogs = 256 << 10

func tail(s string) string {
	if len(s) <= maxLogs {
		return s
	}
	return "[... earlier output truncated]\n" + s[len(s)-maxLogs:]
}

// process is one running runtime process with its own Runtime API listener.
type process struct {
	pool *pool
	seq  int

	cmd      *exec.Cmd
	ln       net.Listener
	srv      *http.Server
	logPath  string
	logFile  *os.File // the process's stdout+stderr (O_APPEND); read with ReadAt
	logMu    sync.Mutex
	logOff   int64
	logCarry string // output taken from the file but not yet returned

	invokeCh chan *invocation // capacity 1: the invocation queued for it
	exited   chan struct{}    // closed when the process has ended
	exitErr  error
	killOnce sync.Once

	initFailed chan struct{} // closed when the runtime posted /init/error
	initMu     sync.Mutex
	initBody   []byte
	initType   string

	startedAt time.Time
	readyAt   time.Time // first /next; written before the first event is delivered

	mu      sync.Mutex
	cur     *invocation // the invocation being run, until its outcome is posted
	nexted  bool
	idle    bool // guarded by pool.mu
	idleGen int  // guarded by pool.mu
	killed  bool // guarded by pool.mu
	// idleTimer stops the process at the end of an idle period; guarded by pool.mu.
	idleTimer *time.Timer
}

func newProcess(pl *pool, seq int) *process {
	return &process{
		pool: pl, seq: seq,
		invokeCh:   make(chan *invocation, 1),
		exited:     make(chan struct{}),
		initFailed: make(chan struct{}),
	}
}

// abandon forgets a process that never started.
func (p *process) abandon() {
	p.pool.exited(p)
	p.killOnce.Do(func() {})
	if p.ln != nil {
		p.ln.Close()
	}
	p.closeLogs()
	close(p.exited)
}

// start launches the process and its Runtime API listener.
func (p *process) start() error {
	h, fn := p.pool.host, p.pool.fn
	if err := h.setup(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	p.ln = ln
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	logf, err := os.CreateTemp(h.dir, fn.Name+"-*.log")
	if err != nil {
		return err
	}
	p.logPath = logf.Name()
	logf.Close()
	p.logFile, err = os.OpenFile(p.logPath, os.O_RDWR|os.O_APPEND|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}

	var path string
	var args []string
	runtimeDir := filepath.Join(h.dir, "runtime")
	handler := fn.Handler
	switch {
	case p.pool.kind == kindNode:
		path, err = exec.LookPath(h.opts.NodePath)
		if err != nil {
			return err
		}
		args = []string{h.nodeBoot}
	case fn.Runtime == "go1.x":
		path = filepath.Join(fn.CodeDir, fn.Handler)
	default:
		path = filepath.Join(fn.CodeDir, "bootstrap")
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("Couldn't find valid bootstrap(s): [%s]", path)
		}
		runtimeDir = fn.CodeDir
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = fn.CodeDir
	cmd.Env = p.environ(handler, runtimeDir)
	cmd.Stdout = p.logFile
	cmd.Stderr = p.logFile
	setProcessGroup(cmd)
	p.cmd = cmd
	p.startedAt = time.Now()
	if err := startProcess(cmd); err != nil {
		return err
	}
	h.procs.Add(1)
	go p.srv.Serve(ln)
	go func() {
		err := cmd.Wait()
		p.exitErr = err
		p.closeLogs()
		p.pool.exited(p)
		close(p.exited)
		p.srv.Close()
		h.log.Debug("function process ended", "function", fn.Name, "process", p.seq, "status", exitStatus(err))
		h.procs.Done()
	}()
	h.log.Debug("started function process", "function", fn.Name, "process", p.seq, "pid", cmd.Process.Pid, "api", ln.Addr().String())
	return nil
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// environ is the process environment, as Lambda sets it up.
func (p *process) environ(handler, runtimeDir string) []string {
	fn := p.pool.fn
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	env := map[string]string{
		"PATH":                            path,
		"LANG":                            "en_US.UTF-8",
		"TZ":                              ":UTC",
		"AWS_LAMBDA_RUNTIME_API":          p.ln.Addr().String(),
		"_HANDLER":                        handler,
		"LAMBDA_TASK_ROOT":                fn.CodeDir,
		"LAMBDA_RUNTIME_DIR":              runtimeDir,
		"AWS_LAMBDA_FUNCTION_NAME":        fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + fn.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(16),
		"AWS_REGION":                      fn.Region,
		"AWS_DEFAULT_REGION":              fn.Region,
	}
	switch {
	case p.pool.kind == kindNode:
		rt := fn.Runtime
		if rt == "nodejs" {
			rt = "nodejs20.x"
		}
		env["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + rt
	case fn.Runtime == "go1.x":
		env["AWS_EXECUTION_ENV"] = "AWS_Lambda_go1.x"
	}
	for k, v := range fn.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// kill stops the process (and anything it started) and forgets it.
func (p *process) kill() {
	p.killOnce.Do(func() {
		p.pool.mu.Lock()
		p.killed = true
		p.pool.removeIdle(p)
		p.pool.mu.Unlock()
		if p.cmd != nil && p.cmd.Process != nil {
			killProcessGroup(p.cmd)
		}
	})
}

// takeLogs returns what the process wrote since the last call.
func (p *process) takeLogs() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	out := p.logCarry + p.readLogsLocked()
	p.logCarry = ""
	return tail(out)
}

// giveBackLogs returns taken output for the next takeLogs.
func (p *process) giveBackLogs(s string) {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	p.logCarry = tail(s + p.logCarry)
}

// closeLogs keeps the unread output of an ended process in memory and
// removes its log file.
func (p *process) closeLogs() {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	p.logCarry = tail(p.logCarry + p.readLogsLocked())
	if p.logFile != nil {
		p.logFile.Close()
		os.Remove(p.logPath)
		p.logFile = nil
	}
}

func (p *process) readLogsLocked() string {
	if p.logFile == nil {
		return ""
	}
	st, err := p.logFile.Stat()
	if err != nil || st.Size() <= p.logOff {
		return ""
	}
	size := st.Size()
	start := p.logOff
	if size-start > maxLogs {
		start = size - maxLogs
	}
	buf := make([]byte, size-start)
	n, _ := p.logFile.ReadAt(buf, start)
	p.logOff = start + int64(n)
	if p.logOff > 1<<20 {
		// Keep a long-lived process's log file small; the process appends.
		if p.logFile.Truncate(0) == nil {
			p.logOff = 0
		}
	}
	return string(buf[:n])
}

// initOutcome is the error the runtime posted to /init/error.
func (p *process) initOutcome() outcome {
	p.initMu.Lock()
	defer p.initMu.Unlock()
	o := outcome{isError: true, body: p.initBody, headerType: p.initType}
	if o.headerType == "" {
		o.headerType = ErrorTypeInitError
	}
	return o
}

// exitOutcome is the error for a process that ended before responding.
func (p *process) exitOutcome(inv *invocation) outcome {
	<-p.exited
	var msg string
	var ee *exec.ExitError
	if p.exitErr == nil || errors.As(p.exitErr, &ee) && ee.ExitCode() == 0 {
		msg = fmt.Sprintf("RequestId: %s Error: Runtime exited without providing a reason", inv.id)
	} else {
		msg = fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", inv.id, p.exitErr)
	}
	return outcome{isError: true, hostType: ErrorTypeExit, hostMsg: msg}
}
