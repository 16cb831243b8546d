package ivr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"
)

// ActivityAPI is the part of the Step Functions API a worker uses;
// *sfn.Client implements it.
type ActivityAPI interface {
	GetActivityTask(ctx context.Context, in *sfn.GetActivityTaskInput, optFns ...func(*sfn.Options)) (*sfn.GetActivityTaskOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	SendTaskHeartbeat(ctx context.Context, in *sfn.SendTaskHeartbeatInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error)
}

// Config configures a Worker.
type Config struct {
	// ActivityArn is the activity to poll (the seed's mediaService).
	ActivityArn string
	// WorkerName is sent with GetActivityTask (default: host name).
	WorkerName string
	// Pollers is how many GetActivityTask long polls run at once (default 2).
	Pollers int
	// MaxConcurrent bounds the commands running at once (default 256);
	// polling pauses while it is reached.
	MaxConcurrent int
	// PollTimeout is the client timeout of one GetActivityTask; the
	// service holds a poll up to 60 s, so it must exceed that (default 70 s,
	// at least 65 s).
	PollTimeout time.Duration
	// HeartbeatInterval is how often a running command heartbeats
	// (default 10 s).
	HeartbeatInterval time.Duration

	// HandoffListen is the address the internal hand-off HTTP server
	// listens on ("" = none: a single worker).
	HandoffListen string
	// HandoffAddr is the host:port other workers reach HandoffListen at;
	// it is written into dialog ids. Default: HandoffListen's actual
	// address.
	HandoffAddr string
	// HandoffSecret, when set, must be sent by other workers handing a
	// command over (header X-Statecraft-IVR-Secret).
	HandoffSecret string
	// HTTPClient sends hand-offs (default: 10 s timeout).
	HTTPClient *http.Client

	Backend Backend
	// Router, when set, routes inbound calls the Backend receives (if it
	// is an InboundBackend) to workflows; without it they are rejected.
	Router          Router
	Prompts         Prompter
	DefaultCallerID string
	// TenantOf, when set, gives the settings of the tenant whose
	// execution a task token belongs to (nil: none), which its calls use
	// where the command's input does not say otherwise.
	TenantOf func(taskToken string) *TenantSettings
	Log      *slog.Logger
}

// TenantSettings are a tenant's settings for the calls its executions
// place and the prompts they play.
type TenantSettings struct {
	Tenant   string
	Trunk    string // SIP trunk ("" the default one)
	CallerID string // default caller id
	Voice    string // default espeak-ng voice (the language)
}

// Worker polls an activity and carries out media commands.
type Worker struct {
	api ActivityAPI
	cfg Config
	log *slog.Logger
	reg *Registry

	selfMu sync.RWMutex
	selfID string

	handedOff atomic.Int64 // commands this worker posted to a call's owner
	handedIn  atomic.Int64 // commands other workers posted to this one
	inbound   atomic.Int64 // inbound calls answered

	sem      chan struct{}
	base     context.Context
	stopping chan struct{}
	tasks    sync.WaitGroup
}

// NewWorker creates a worker; call Run.
func NewWorker(api ActivityAPI, cfg Config) *Worker {
	if cfg.Pollers <= 0 {
		cfg.Pollers = 2
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 256
	}
	if cfg.PollTimeout < 65*time.Second {
		cfg.PollTimeout = 70 * time.Second
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 10 * time.Second
	}
	if cfg.WorkerName == "" {
		cfg.WorkerName, _ = os.Hostname()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Worker{
		api:      api,
		cfg:      cfg,
		log:      cfg.Log.With("component", "ivr"),
		reg:      NewRegistry(),
		selfID:   cfg.HandoffAddr,
		sem:      make(chan struct{}, cfg.MaxConcurrent),
		base:     context.Background(),
		stopping: make(chan struct{}),
	}
}

// Registry returns the worker's calls.
func (w *Worker) Registry() *Registry { return w.reg }

// self is this worker's owner name in dialog ids.
func (w *Worker) self() string {
	w.selfMu.RLock()
	defer w.selfMu.RUnlock()
	if w.selfID == "" {
		return "local"
	}
	return w.selfID
}

// Run polls until ctx is done, then waits for running commands to stop
// and hangs up the calls it still holds.
func (w *Worker) Run(ctx context.Context) error {
	if w.cfg.ActivityArn == "" {
		return errors.New("ivr: no activity ARN")
	}
	if w.cfg.Backend == nil {
		return errors.New("ivr: no call backend")
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.base = runCtx

	var srv *http.Server
	if w.cfg.HandoffListen != "" {
		ln, err := net.Listen("tcp", w.cfg.HandoffListen)
		if err != nil {
			return fmt.Errorf("ivr: hand-off listener: %w", err)
		}
		if w.cfg.HandoffAddr == "" {
			w.selfMu.Lock()
			w.selfID = ln.Addr().String()
			w.selfMu.Unlock()
		}
		srv = &http.Server{Handler: w.HandoffHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
	}
	if ib, ok := w.cfg.Backend.(InboundBackend); ok {
		ib.SetInboundHandler(w.HandleInbound)
		defer ib.SetInboundHandler(nil)
	}
	w.log.Info("media service polling", "activity", w.cfg.ActivityArn, "worker", w.cfg.WorkerName, "owner", w.self())

	var polls sync.WaitGroup
	for i := 0; i < w.cfg.Pollers; i++ {
		polls.Add(1)
		go func() {
			defer polls.Done()
			w.poll(runCtx)
		}()
	}
	<-ctx.Done()
	polls.Wait()
	close(w.stopping)
	w.tasks.Wait()
	if srv != nil {
		_ = srv.Close()
	}
	hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer hcancel()
	for _, cs := range w.reg.all() {
		cs.markEnded(true)
		_ = cs.call.Hangup(hctx)
	}
	return nil
}

// HandoffStats returns how many commands this worker has handed off to
// the workers holding their calls (accepted by them), and how many it has
// accepted from other workers.
func (w *Worker) HandoffStats() (sent, received int64) {
	return w.handedOff.Load(), w.handedIn.Load()
}

// Owner is the owner part of the dialog ids this worker issues (its
// hand-off address once Run has started listening, or "local").
func (w *Worker) Owner() string { return w.self() }

func (w *Worker) poll(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		select {
		case w.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		pctx, cancel := context.WithTimeout(ctx, w.cfg.PollTimeout)
		out, err := w.api.GetActivityTask(pctx, &sfn.GetActivityTaskInput{
			ActivityArn: aws.String(w.cfg.ActivityArn),
			WorkerName:  aws.String(w.cfg.WorkerName),
		})
		cancel()
		if err != nil || out.TaskToken == nil || *out.TaskToken == "" {
			<-w.sem
			if err != nil && ctx.Err() == nil {
				w.log.Warn("GetActivityTask", "err", err)
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
				}
				backoff = min(2*backoff, 30*time.Second)
			}
			continue
		}
		backoff = time.Second
		w.tasks.Add(1)
		go func(token, input string) {
			defer w.tasks.Done()
			defer func() { <-w.sem }()
			w.handle(token, input)
		}(*out.TaskToken, aws.ToString(out.Input))
	}
}

// handle decodes a task and runs it here or hands it to the call's owner.
func (w *Worker) handle(token, input string) {
	c, err := DecodeCommand(input)
	if err != nil {
		w.finish(token, nil, err)
		return
	}
	if c.Command != CmdPlaceCall {
		if owner := ownerOf(c.DialogID); owner != "" && owner != w.self() && owner != "local" && w.reg.get(c.DialogID) == nil {
			if err := w.handoff(owner, token, input); err != nil {
				w.finish(token, nil, err)
			}
			return
		}
	}
	w.run(token, c)
}

// run executes a command with heartbeats and reports its result.
func (w *Worker) run(token string, c *Command) {
	ctx, cancel := context.WithCancel(w.base)
	defer cancel()
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		w.heartbeat(ctx, token, cancel)
	}()
	if w.cfg.TenantOf != nil {
		c.tenant = w.cfg.TenantOf(token)
	}
	start := time.Now()
	out, err := w.execute(ctx, c)
	cancel()
	<-hbDone
	if err != nil && ctx.Err() != nil && w.base.Err() != nil {
		err = taskErr(ErrInternal, "%s stopped: the media service worker is shutting down", c.Command)
	}
	w.log.Debug("command done", "command", c.Command, "dialogId", c.DialogID, "took", time.Since(start), "err", err)
	w.finish(token, out, err)
}

func (w *Worker) heartbeat(ctx context.Context, token string, cancel func()) {
	t := time.NewTicker(w.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		hctx, hcancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := w.api.SendTaskHeartbeat(hctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)})
		hcancel()
		if isTaskGone(err) {
			w.log.Info("task is gone; stopping its command", "err", err)
			cancel()
			return
		}
	}
}

func isTaskGone(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "TaskTimedOut", "TaskDoesNotExist", "InvalidToken":
			return true
		}
	}
	return false
}

// finish reports a command's result, retrying transient errors.
func (w *Worker) finish(token string, out map[string]any, err error) {
	send := func(ctx context.Context) error {
		if err != nil {
			var te *TaskError
			if !errors.As(err, &te) {
				te = &TaskError{Name: ErrInternal, Cause: err.Error()}
			}
			_, e := w.api.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{
				TaskToken: aws.String(token),
				Error:     aws.String(truncate(te.Name, 256)),
				Cause:     aws.String(truncate(te.Cause, 32000)),
			})
			return e
		}
		b, merr := json.Marshal(out)
		if merr != nil {
			return merr
		}
		_, e := w.api.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(b))})
		return e
	}
	for attempt := 0; attempt < 5; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		e := send(ctx)
		cancel()
		if e == nil || isTaskGone(e) {
			if e != nil {
				w.log.Info("task result not delivered: task is gone", "err", e)
			}
			return
		}
		w.log.Warn("reporting task result", "err", e, "attempt", attempt+1)
		time.Sleep(time.Duration(attempt+1) * 500 * time.Millisecond)
	}
}

// Hand-off: a worker that receives a command for a call another worker
// holds posts the task token and input to that worker, which runs it and
// reports to Step Functions itself.

const handoffPath = "/v1/ivr/tasks"

type handoffRequest struct {
	TaskToken string `json:"taskToken"`
	Input     string `json:"input"`
}

func (w *Worker) handoff(owner, token, input string) error {
	body, _ := json.Marshal(handoffRequest{TaskToken: token, Input: input})
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		req, err := http.NewRequest(http.MethodPost, "http://"+owner+handoffPath, bytes.NewReader(body))
		if err != nil {
			return taskErr(ErrHandoff, "bad owner %q in dialog id: %v", owner, err)
		}
		req.Header.Set("Content-Type", "application/json")
		if w.cfg.HandoffSecret != "" {
			req.Header.Set("X-Statecraft-IVR-Secret", w.cfg.HandoffSecret)
		}
		resp, err := w.cfg.HTTPClient.Do(req)
		if err != nil {
			lastErr = err
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
			continue
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode == http.StatusAccepted {
			w.handedOff.Add(1)
			w.log.Debug("command handed off", "owner", owner)
			return nil
		}
		return taskErr(ErrHandoff, "worker %s holding the call refused the command: %s %s", owner, resp.Status, bytes.TrimSpace(msg))
	}
	return taskErr(ErrHandoff, "cannot reach worker %s holding the call: %v", owner, lastErr)
}

// HandoffHandler serves commands handed over by other workers.
func (w *Worker) HandoffHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+handoffPath, func(rw http.ResponseWriter, r *http.Request) {
		if w.cfg.HandoffSecret != "" && r.Header.Get("X-Statecraft-IVR-Secret") != w.cfg.HandoffSecret {
			http.Error(rw, "bad hand-off secret", http.StatusForbidden)
			return
		}
		var req handoffRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || req.TaskToken == "" {
			http.Error(rw, "want {taskToken, input}", http.StatusBadRequest)
			return
		}
		select {
		case <-w.stopping:
			http.Error(rw, "worker stopping", http.StatusServiceUnavailable)
			return
		default:
		}
		w.handedIn.Add(1)
		w.tasks.Add(1)
		go func() {
			defer w.tasks.Done()
			c, err := DecodeCommand(req.Input)
			if err != nil {
				w.finish(req.TaskToken, nil, err)
				return
			}
			w.run(req.TaskToken, c) // never handed on again
		}()
		rw.WriteHeader(http.StatusAccepted)
	})
	return mux
}
