package crashkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// disableHostPrefix stops the SDK from prefixing the host of some
// operations (see api/sdk_test.go).
func disableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableEndpointHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// NewClient is an SDK client, signed with the development pair, that
// always dials the address addr gives at the time (a server restarted on
// another port is found) and never retries by itself: the test decides
// what to retry.
func NewClient(addr func() string) *sfn.Client {
	return NewClientAs(addr, "local", "local")
}

// NewClientAs is NewClient signing with another pair: a server listening
// elsewhere than on loopback refuses to serve the development pair.
func NewClientAs(addr func() string, accessKeyID, secretAccessKey string) *sfn.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr())
		},
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     30 * time.Second,
	}
	return sfn.New(sfn.Options{
		Region:       Region,
		BaseEndpoint: aws.String("http://" + addr()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey, Source: "test"}, nil
		}),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: tr},
		APIOptions:       []func(*middleware.Stack) error{disableHostPrefix},
	})
}

// ErrorCode is the API error's code, or "" when err is no answer of the
// server's.
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Run is the shared state of one test run.
type Run struct {
	// Retry5xx: a 5xx answer is counted in ServerErrors and retried, as
	// the SDKs retry it, rather than failing the test. For tests that cut
	// a server's database connections, where the request that was using
	// one may fail.
	Retry5xx bool

	mu       sync.Mutex
	problems []string
	tokens   map[string]int // deliveries per task token

	RetriedCalls  atomic.Int64 // calls repeated because the server was unreachable
	ServerErrors  atomic.Int64 // 5xx answers retried (Retry5xx)
	ClosedAnswers atomic.Int64 // TaskTimedOut answers to a worker
	Abandoned     atomic.Int64 // heartbeat tasks given up on (TaskTimedOut to a heartbeat)
	StartRepeats  atomic.Int64 // StartExecution answered ExecutionAlreadyExists on a retry

	LongPolls atomic.Bool // workers poll with LongPoll rather than PollTimeout
}

func NewRun() *Run { return &Run{tokens: map[string]int{}} }

// Fail records a problem, reported when the test checks the run.
func (r *Run) Fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.problems) < 200 {
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	}
}

// Problems is what Fail recorded.
func (r *Run) Problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.problems...)
}

// Deliveries is how many task tokens workers received, and those they
// received more than once, with their counts.
func (r *Run) Deliveries() (tokens int, repeated map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	repeated = map[string]int{}
	for tok, n := range r.tokens {
		if n > 1 {
			repeated[tok] = n
		}
	}
	return len(r.tokens), repeated
}

// Call runs fn until a server answers: errors without an answer
// (connection refused or reset, a cut-off reply, a client timeout) are
// retried after RetryPause, fn picking the client again each time. It
// returns the answer, or ctx's error.
func Call[T any](ctx context.Context, r *Run, op string, fn func(context.Context) (T, error)) (T, error) {
	for {
		cctx, cancel := context.WithTimeout(ctx, CallTimeout)
		v, err := fn(cctx)
		cancel()
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return v, ctx.Err()
		}
		var re *smithyhttp.ResponseError
		switch {
		case errors.As(err, &re) && re.HTTPStatusCode() >= 500:
			if r.Retry5xx {
				r.ServerErrors.Add(1)
			} else {
				r.Fail("%s: the server answered %d: %v", op, re.HTTPStatusCode(), err)
			}
		case ErrorCode(err) != "":
			return v, err // an answer
		}
		r.RetriedCalls.Add(1)
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(RetryPause):
		}
	}
}

// Sleep sleeps for d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
