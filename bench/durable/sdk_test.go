package durable

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/statecraft/statecraft/api"
)

// apiServer is the Step Functions API served over real loopback HTTP on
// an env's store and engine, with an unmodified Go SDK client.
type apiServer struct {
	srv    *httptest.Server
	client *sfn.Client
	// polls counts GetActivityTask requests that reached the server.
	polls atomic.Int64
}

// disableHostPrefix stops the SDK from sending some operations to a
// "sync-" host prefix, which does not resolve for 127.0.0.1 (as in
// api/sdk_test.go).
func disableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableEndpointHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

func (e *env) serveAPI(longPoll time.Duration) *apiServer {
	a := &apiServer{}
	h := api.New(e.st, e.eng, api.Options{Region: region, Account: account, Log: quietLog, LongPoll: longPoll})
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "AWSStepFunctions.GetActivityTask" {
			a.polls.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	a.client = sfn.New(sfn.Options{
		Region:       region,
		BaseEndpoint: aws.String(a.srv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "bench"}, nil
		}),
		RetryMaxAttempts: 1,
		APIOptions:       []func(*middleware.Stack) error{disableHostPrefix},
	})
	// Registered after newEnv's, so it runs first: the server closes
	// (ending its long polls) before the engine and the store stop.
	e.tb.Cleanup(func() {
		a.srv.CloseClientConnections()
		a.srv.Close()
	})
	return a
}

// createMachine creates a STANDARD state machine through the API.
func (a *apiServer) createMachine(tb testing.TB, name, def string) string {
	tb.Helper()
	out, err := a.client.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(roleArn),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return aws.ToString(out.StateMachineArn)
}

func (a *apiServer) createActivity(tb testing.TB, name string) string {
	tb.Helper()
	out, err := a.client.CreateActivity(context.Background(), &sfn.CreateActivityInput{Name: aws.String(name)})
	if err != nil {
		tb.Fatal(err)
	}
	return aws.ToString(out.ActivityArn)
}
