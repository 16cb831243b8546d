package functions

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Runtime API, as each process sees it on its own listener.
const apiPrefix = "/2018-06-01/runtime/"

// ServeHTTP serves the Lambda Runtime API for one process.
func (p *process) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	if !ok {
		apiError(w, http.StatusNotFound, "NotFound", "unknown path "+r.URL.Path)
		return
	}
	switch {
	case path == "invocation/next" && r.Method == http.MethodGet:
		p.serveNext(w, r)
	case path == "init/error" && r.Method == http.MethodPost:
		p.serveInitError(w, r)
	case strings.HasPrefix(path, "invocation/") && r.Method == http.MethodPost:
		id, what, ok := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		if !ok || (what != "response" && what != "error") {
			apiError(w, http.StatusNotFound, "NotFound", "unknown path "+r.URL.Path)
			return
		}
		p.serveOutcome(w, r, id, what == "error")
	default:
		apiError(w, http.StatusNotFound, "NotFound", "unknown path "+r.URL.Path)
	}
}

func apiError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorType": errType, "errorMessage": msg})
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`+"\n")
}

// serveNext long-polls until an invocation is assigned to this process.
func (p *process) serveNext(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if !p.nexted {
		p.nexted = true
		p.readyAt = time.Now()
	}
	if p.cur != nil && !p.cur.isDone() {
		// Asking for the next event without answering the current one.
		p.mu.Unlock()
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "the current invocation has not been answered")
		return
	}
	p.cur = nil
	p.mu.Unlock()
	if !p.pool.park(p) {
		// The registration was replaced or closed: this process is done.
		p.kill()
		apiError(w, http.StatusGone, "ShutDown", "the function is shutting down")
		return
	}
	select {
	case inv := <-p.invokeCh:
		now := time.Now()
		inv.deliveredAt = now
		inv.deadline = now.Add(p.pool.fn.Timeout)
		p.mu.Lock()
		p.cur = inv
		p.mu.Unlock()
		hd := w.Header()
		hd.Set("Content-Type", "application/json")
		hd.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		hd.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		hd.Set("Lambda-Runtime-Invoked-Function-Arn", functionARN(p.pool.fn))
		hd.Set("Lambda-Runtime-Trace-Id", inv.trace)
		if inv.meta.ClientContext != "" {
			hd.Set("Lambda-Runtime-Client-Context", inv.meta.ClientContext)
		}
		if inv.meta.Identity != "" {
			hd.Set("Lambda-Runtime-Cognito-Identity", inv.meta.Identity)
		}
		hd.Set("Content-Length", strconv.Itoa(len(inv.payload)))
		close(inv.delivered)
		w.WriteHeader(http.StatusOK)
		w.Write(inv.payload)
	case <-p.exited:
		p.pool.unpark(p)
	case <-r.Context().Done():
		p.pool.unpark(p)
	}
}

// answered makes the process available as soon as it has answered: the next
// invocation waits in its queue until the runtime asks for it, so that
// back-to-back invocations reuse the warm process instead of racing its
// /next request and starting another one. (Should the runtime exit instead
// of asking, the queued invocation is retried on another process.)
// It reports false when the process must stop once the outcome is recorded.
func (p *process) answered() bool {
	return p.pool.park(p)
}

// serveOutcome takes an invocation's response or error.
func (p *process) serveOutcome(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	p.mu.Lock()
	inv := p.cur
	p.mu.Unlock()
	if inv == nil || inv.id != id {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseSize+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	o := outcome{isError: isError, body: body, headerType: r.Header.Get("Lambda-Runtime-Function-Error-Type")}
	if !isError && len(body) > MaxResponseSize {
		msg := "Response payload size exceeded maximum allowed payload size (" + strconv.Itoa(MaxResponseSize) + " bytes)."
		o = outcome{isError: true, hostType: ErrorTypeResponseTooLarge, hostMsg: msg}
		io.Copy(io.Discard, r.Body)
	} else if !isError {
		// aws-lambda-go streams its response and reports a failure while
		// producing it in trailers.
		if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
			o = outcome{isError: true, headerType: t}
			if b, err := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body")); err == nil {
				o.body = b
			}
		}
	}
	// Everything the runtime wrote before posting is in its log file now:
	// take it for this invocation before another one can start.
	o.posted = true
	o.logs = p.takeLogs()
	keep := p.answered() // before finishing, so the caller's next invocation finds the process available
	finished := inv.finish(o)
	if !keep {
		p.kill() // after finishing, so the outcome wins over the exit
	}
	if !finished {
		p.giveBackLogs(o.logs) // the invocation already ended (timed out): its result takes them
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "the invocation has already ended")
		return
	}
	if o.hostType == ErrorTypeResponseTooLarge {
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"Exceeded maximum allowed payload size ("+strconv.Itoa(MaxResponseSize)+" bytes).")
		return
	}
	accepted(w)
}

// serveInitError takes an initialisation failure.
func (p *process) serveInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxResponseSize))
	p.mu.Lock()
	started := p.nexted
	p.mu.Unlock()
	if started {
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "initialisation has already completed")
		return
	}
	p.initMu.Lock()
	if isClosed(p.initFailed) {
		p.initMu.Unlock()
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "initialisation error already reported")
		return
	}
	p.initBody = body
	p.initType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	close(p.initFailed)
	p.initMu.Unlock()
	accepted(w)
}
