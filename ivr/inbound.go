package ivr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Inbound calls. A backend that receives calls (an INVITE to the media
// service) offers each to the worker's HandleInbound. The worker asks its
// Router whether the called number is routed to a workflow; if not, the
// call is rejected (404) without being answered. If it is, the worker
// answers, registers the call under a new dialog id exactly as placeCall
// does (so playPrompt, waitForDTMF and hangupCall work on it, and other
// workers hand commands for it to this one), and asks the Router to start
// the routed workflow with {callerNumber, calledNumber, dialogId}. If the
// workflow cannot be started, the call is hung up.

// InboundCall is a call offered by a backend, not yet answered.
type InboundCall struct {
	Caller string // the calling number (From user)
	Called string // the dialled number (Request-URI user)
	CallID string // the SIP Call-ID, for logs
	// Answer answers the call; onDigit receives its DTMF keys from then on.
	Answer func(ctx context.Context, onDigit func(key rune)) (Call, error)
	// Reject ends the call unanswered with a SIP final response.
	Reject func(code int, reason string) error
}

// InboundBackend is a Backend that can receive calls.
type InboundBackend interface {
	SetInboundHandler(h func(*InboundCall))
}

// InboundStart is the input of the workflow an inbound call starts.
type InboundStart struct {
	CallerNumber string `json:"callerNumber"`
	CalledNumber string `json:"calledNumber"`
	DialogID     string `json:"dialogId"`
}

// ErrNoRoute is what a Router returns for a number no workflow is routed to.
var ErrNoRoute = errors.New("no workflow is routed to this number")

// Router looks up and starts the workflows inbound calls are routed to
// (per tenant, by called number). The Statecraft server implements it
// in process (package ivr/workflowapi) and over HTTP (HTTPRouter).
type Router interface {
	// HasRoute returns nil when a workflow is routed to number, ErrNoRoute
	// when none is, another error when it cannot tell.
	HasRoute(ctx context.Context, number string) error
	// StartInbound starts the routed workflow and returns its execution ARN.
	StartInbound(ctx context.Context, in InboundStart) (string, error)
}

// HandleInbound answers or rejects an offered call (see above). It
// returns once the call is answered and its workflow started, or rejected.
func (w *Worker) HandleInbound(ic *InboundCall) {
	log := w.log.With("caller", ic.Caller, "called", ic.Called, "callId", ic.CallID)
	if w.cfg.Router == nil {
		log.Info("inbound call rejected: no inbound routing configured")
		_ = ic.Reject(480, "Temporarily Unavailable")
		return
	}
	select {
	case <-w.stopping:
		_ = ic.Reject(480, "Temporarily Unavailable")
		return
	default:
	}
	ctx, cancel := context.WithTimeout(w.base, 10*time.Second)
	defer cancel()
	if err := w.cfg.Router.HasRoute(ctx, ic.Called); err != nil {
		if errors.Is(err, ErrNoRoute) {
			log.Info("inbound call rejected: number not routed")
			_ = ic.Reject(404, "Not Found")
		} else {
			log.Warn("inbound call rejected: route lookup failed", "err", err)
			_ = ic.Reject(480, "Temporarily Unavailable")
		}
		return
	}
	id := newDialogID(w.self())
	cs := newCallState(id, ic.Caller)
	call, err := ic.Answer(ctx, cs.addDigit)
	if err != nil {
		log.Warn("inbound call: answer failed", "err", err)
		return
	}
	cs.call = call
	w.reg.add(cs)
	w.watch(cs)
	arn, err := w.cfg.Router.StartInbound(ctx, InboundStart{CallerNumber: ic.Caller, CalledNumber: ic.Called, DialogID: id})
	if err != nil {
		log.Warn("inbound call: starting its workflow failed; hanging up", "dialogId", id, "err", err)
		cs.markEnded(true)
		hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer hcancel()
		_ = call.Hangup(hctx)
		return
	}
	w.inbound.Add(1)
	log.Info("inbound call answered", "dialogId", id, "execution", arn)
}

// InboundCalls is how many inbound calls this worker answered and started
// a workflow for.
func (w *Worker) InboundCalls() int64 { return w.inbound.Load() }

// HTTPRouter is a Router over the Statecraft server's inbound routing
// endpoints (a media service running as its own process):
//
//	GET  {Endpoint}/v1/ivr/routes/{number}    200 routed, 404 not
//	POST {Endpoint}/v1/ivr/inbound-calls      {callerNumber, calledNumber, dialogId} -> {executionArn}
//
// both with "Authorization: Bearer {Key}" (an admin key of the server).
type HTTPRouter struct {
	Endpoint string
	Key      string
	Client   *http.Client // default: 10 s timeout
}

func (r *HTTPRouter) do(ctx context.Context, method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(r.Endpoint, "/")+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Key != "" {
		req.Header.Set("Authorization", "Bearer "+r.Key)
	}
	c := r.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		if e.Message == "" {
			e.Message = strings.TrimSpace(string(data))
		}
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, e.Message)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: bad response: %v", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// HasRoute implements Router.
func (r *HTTPRouter) HasRoute(ctx context.Context, number string) error {
	code, err := r.do(ctx, http.MethodGet, "/v1/ivr/routes/"+url.PathEscape(number), nil, nil)
	if code == http.StatusNotFound {
		return ErrNoRoute
	}
	return err
}

// StartInbound implements Router.
func (r *HTTPRouter) StartInbound(ctx context.Context, in InboundStart) (string, error) {
	var out struct {
		ExecutionArn string `json:"executionArn"`
	}
	code, err := r.do(ctx, http.MethodPost, "/v1/ivr/inbound-calls", in, &out)
	if code == http.StatusNotFound {
		return "", fmt.Errorf("%w: %v", ErrNoRoute, err)
	}
	return out.ExecutionArn, err
}
