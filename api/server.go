package api

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/httpjson"
	"github.com/statecraft/statecraft/sigv4"
	"github.com/statecraft/statecraft/store"
)

// Options configure the API.
type Options struct {
	// Region is the region of requests whose principal names none (the
	// console's); default "us-east-1". Signed requests use the region of
	// their credential scope.
	Region string
	// Account is the account of the development keyring used when Auth is
	// nil; default "123456789012", the one Step Functions Local uses.
	Account string
	// Auth authenticates requests that arrive without a principal in
	// their context; nil means the development pair local/local of
	// Account, over loopback only.
	Auth *auth.Authenticator
	Log  *slog.Logger
	// Now is the clock for creation dates and token expiry; nil means
	// time.Now.
	Now func() time.Time
	// LongPoll is how long GetActivityTask waits for a task; 0 means AWS's
	// 60 seconds.
	LongPoll time.Duration
	// ExpressAllTasks lets EXPRESS machines use activities, .sync and
	// .waitForTaskToken, which AWS's CreateStateMachine refuses in them.
	// The engine runs those resources in EXPRESS executions as in
	// STANDARD ones (in memory); off by default, so the API answers as
	// AWS does.
	ExpressAllTasks bool
	// AWSSDK is the aws-sdk integrations the engine's tasks run, which
	// CreateStateMachine accepts (their services and actions) and checks
	// (their Parameters' fields); nil refuses every aws-sdk resource.
	AWSSDK *asl.AWSSDK
}

// maxBody bounds a request body. AWS caps requests at 1 MB, but a
// definition may be 1,048,576 characters, which JSON escaping can inflate
// several times; this is generous for any real request and still bounds
// memory.
const maxBody = 8 << 20

const targetPrefix = "AWSStepFunctions."

// SigningName is the service name in Step Functions' SigV4 credential
// scopes.
const SigningName = "states"

type server struct {
	auth *auth.Authenticator
	st   store.Store
	eng  *engine.Engine
	opts Options
	log  *slog.Logger
	ops  map[string]opFunc
}

// call is one request to an operation.
type call struct {
	ctx    context.Context
	p      *auth.Principal
	op     string
	region string
	in     *fields
}

// opFunc serves one operation. It returns the response (encoded as JSON)
// or an error: an *apiError is answered as it is, anything else is a 500.
type opFunc func(s *server, c *call) (any, error)

// New returns the Step Functions API served on st and eng. eng must be
// running (eng.Run) for timers to fire.
func New(st store.Store, eng *engine.Engine, opts Options) http.Handler {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "123456789012"
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LongPoll <= 0 {
		opts.LongPoll = 60 * time.Second
	}
	if opts.Auth == nil {
		opts.Auth = &auth.Authenticator{Keyring: auth.DevelopmentKeyring(opts.Account), Service: SigningName}
	}
	s := &server{auth: opts.Auth, st: st, eng: eng, opts: opts, log: opts.Log}
	s.ops = make(map[string]opFunc, len(handlers)+len(unsupportedOps))
	for op, fn := range handlers {
		s.ops[op] = fn
	}
	for _, op := range unsupportedOps {
		s.ops[op] = func(*server, *call) (any, error) { return nil, unsupported(op) }
	}
	return recoverer(s.log, s)
}

// handlers serve the operations Statecraft implements.
var handlers = map[string]opFunc{
	"CreateStateMachine":               (*server).createStateMachine,
	"DescribeStateMachine":             (*server).describeStateMachine,
	"UpdateStateMachine":               (*server).updateStateMachine,
	"DeleteStateMachine":               (*server).deleteStateMachine,
	"ListStateMachines":                (*server).listStateMachines,
	"DescribeStateMachineForExecution": (*server).describeStateMachineForExecution,
	"ValidateStateMachineDefinition":   (*server).validateStateMachineDefinition,
	"StartExecution":                   (*server).startExecution,
	"StartSyncExecution":               (*server).startSyncExecution,
	"DescribeExecution":                (*server).describeExecution,
	"StopExecution":                    (*server).stopExecution,
	"ListExecutions":                   (*server).listExecutions,
	"GetExecutionHistory":              (*server).getExecutionHistory,
	"CreateActivity":                   (*server).createActivity,
	"DescribeActivity":                 (*server).describeActivity,
	"DeleteActivity":                   (*server).deleteActivity,
	"ListActivities":                   (*server).listActivities,
	"GetActivityTask":                  (*server).getActivityTask,
	"SendTaskSuccess":                  (*server).sendTaskSuccess,
	"SendTaskFailure":                  (*server).sendTaskFailure,
	"SendTaskHeartbeat":                (*server).sendTaskHeartbeat,
	"TagResource":                      (*server).tagResource,
	"UntagResource":                    (*server).untagResource,
	"ListTagsForResource":              (*server).listTagsForResource,
	"PublishStateMachineVersion":       (*server).publishStateMachineVersion,
	"ListStateMachineVersions":         (*server).listStateMachineVersions,
	"DeleteStateMachineVersion":        (*server).deleteStateMachineVersion,
	"CreateStateMachineAlias":          (*server).createStateMachineAlias,
	"DescribeStateMachineAlias":        (*server).describeStateMachineAlias,
	"UpdateStateMachineAlias":          (*server).updateStateMachineAlias,
	"DeleteStateMachineAlias":          (*server).deleteStateMachineAlias,
	"ListStateMachineAliases":          (*server).listStateMachineAliases,
	"TestState":                        (*server).testState,
	"RedriveExecution":                 (*server).redriveExecution,
	"DescribeMapRun":                   (*server).describeMapRun,
	"ListMapRuns":                      (*server).listMapRuns,
	"UpdateMapRun":                     (*server).updateMapRun,
}

// unsupportedOps are the rest of the model's operations.
var unsupportedOps = []string{}

func (s *server) now() time.Time { return s.opts.Now().UTC() }

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newUUID()
	w.Header().Set("x-amzn-RequestId", id)
	target := r.Header.Get("X-Amz-Target")
	op, _ := strings.CutPrefix(target, targetPrefix)
	out, err := s.serve(w, r, target, op)
	status := http.StatusOK
	if err != nil {
		ae, ok := err.(*apiError)
		if !ok {
			if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
				// The client went away (a worker's poll timing out, say)
				// and the call was cut short: nobody reads the answer,
				// and nothing failed here.
				s.log.Debug("client gone", "op", op, "requestId", id, "err", err)
			} else {
				s.log.Error("internal failure", "op", op, "requestId", id, "err", err)
			}
			ae = internalFailure()
		}
		status = ae.status
		writeError(w, ae)
	} else {
		writeJSON(w, http.StatusOK, out)
	}
	s.log.Debug("request", "op", op, "status", status, "requestId", id, "duration", time.Since(start))
}

func (s *server) serve(w http.ResponseWriter, r *http.Request, target, op string) (any, error) {
	// The body is read before anything else is looked at: the signature
	// covers it, and nothing of an unauthenticated request is acted on.
	// Only a request from a known key gets that far.
	p, inProcess := auth.PrincipalFrom(r.Context())
	if !inProcess {
		if err := s.auth.Precheck(r); err != nil {
			return nil, authError(err)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, validationError("The request body is larger than the %d-byte limit", maxBody)
		}
		return nil, serializationError("Could not read the request body: %v", err)
	}
	if !inProcess {
		var err error
		if p, err = s.auth.Authenticate(r, body); err != nil {
			return nil, authError(err)
		}
	}
	if r.Method != http.MethodPost {
		e := unknownOperation(target)
		e.status = http.StatusMethodNotAllowed
		e.message = "Step Functions operations are POST requests to /"
		return nil, e
	}
	fn, ok := s.ops[op]
	if !ok || !strings.HasPrefix(target, targetPrefix) {
		return nil, unknownOperation(target)
	}
	if action := "states:" + op; !p.Role.Allows(action) {
		return nil, accessDenied(p.DeniedMessage(action, ""))
	}
	// Operations that wait by design get their own bound instead of the
	// server's read and write timeouts (which would cut them off); only
	// an authenticated request gets it.
	switch op {
	case "GetActivityTask":
		extendDeadlines(w, s.opts.LongPoll+30*time.Second)
	case "StartSyncExecution":
		extendDeadlines(w, engine.ExpressMaxDuration+30*time.Second)
	case "TestState":
		extendDeadlines(w, engine.TestStateMaxDuration+30*time.Second)
	}
	in, aerr := parseBody(body)
	if aerr != nil {
		return nil, aerr
	}
	region := p.Region
	if region == "" {
		region = s.opts.Region
	}
	out, err := fn(s, &call{ctx: r.Context(), p: p, op: op, region: region, in: in})
	if err == nil && out == nil {
		out = struct{}{}
	}
	return out, err
}

func extendDeadlines(w http.ResponseWriter, d time.Duration) {
	rc := http.NewResponseController(w)
	at := time.Now().Add(d)
	_ = rc.SetReadDeadline(at)
	_ = rc.SetWriteDeadline(at)
}

// authError answers a failed authentication as AWS does on awsJson.
func authError(err error) *apiError {
	e, ok := err.(*sigv4.Error)
	if !ok {
		return internalFailure()
	}
	return &apiError{status: e.Status(sigv4.AWSJSON), namespace: nsCoral, name: e.Name, message: e.MessageFor(sigv4.AWSJSON)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if err := httpjson.Write(w, status, v, httpjson.Options{ContentType: "application/x-amz-json-1.0"}); err != nil {
		// Only a bug can get here (every response is plain data).
		panic(fmt.Sprintf("api: encoding response: %v", err))
	}
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]string{"__type": e.namespace + "#" + e.name, "message": e.message}
	if e.reason != "" {
		body["reason"] = e.reason
	}
	if e.resourceName != "" {
		body["resourceName"] = e.resourceName
	}
	w.Header().Set("X-Amzn-ErrorType", e.name)
	writeJSON(w, e.status, body)
}

// recoverer turns a panic into a 500 InternalFailure and logs it with its
// stack: one bad request must not take the server down, and a panic is
// always a Statecraft bug to be found in the log.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request", "target", r.Header.Get("X-Amz-Target"),
					"requestId", w.Header().Get("x-amzn-RequestId"), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeError(w, internalFailure())
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// epoch is a timestamp on the wire: epoch seconds with milliseconds.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	sec, frac := ms/1000, ms%1000
	if frac < 0 {
		sec, frac = sec-1, frac+1000
	}
	return []byte(fmt.Sprintf("%d.%03d", sec, frac)), nil
}

func epochPtr(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

// isNotFound tells the store's "no such row", which each operation maps
// to its own modelled error; any other store error is an internal failure.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
