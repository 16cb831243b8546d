package ivr_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/ivr"
	"github.com/statecraft/statecraft/store/sqlite"
)

// server is a real Statecraft server (engine + API on SQLite) in process.
type server struct {
	url    string
	client *sfn.Client
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("IVR_TEST_VERBOSE") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startServer(t testing.TB) *server {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "statecraft.db"), sqlite.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	log := testLogger(t)
	eng := engine.New(st, engine.Options{Log: log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = eng.Run(ctx)
	}()
	srv := httptest.NewServer(api.New(st, eng, api.Options{Log: log}))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		st.Close()
	})
	return &server{url: srv.URL, client: newClient(srv.URL)}
}

// newClient is an unmodified SDK client, as any activity worker would use.
func newClient(url string) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "test"}, nil
		}),
	})
}

// deployAlarm creates the mediaService activity and the example's alarm
// machine (its Resource ARNs replaced by the created activity's).
func (s *server) deployAlarm(t testing.TB) (activityArn, machineArn string) {
	t.Helper()
	ctx := context.Background()
	act, err := s.client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("mediaService")})
	if err != nil {
		t.Fatal(err)
	}
	def, err := os.ReadFile("../examples/alarm-ivr/statemachine.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	d := strings.ReplaceAll(string(def), "arn:aws:states:us-east-1:123456789012:activity:mediaService", *act.ActivityArn)
	sm, err := s.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String("alarm-notification"),
		Definition: aws.String(d),
		RoleArn:    aws.String("arn:aws:iam::123456789012:role/statecraft"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return *act.ActivityArn, *sm.StateMachineArn
}

func (s *server) start(t testing.TB, machineArn, name, input string) string {
	t.Helper()
	out, err := s.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineArn), Name: aws.String(name), Input: aws.String(input),
	})
	if err != nil {
		t.Fatal(err)
	}
	return *out.ExecutionArn
}

// wait waits for an execution to end and returns its description.
func (s *server) wait(t testing.TB, arn string, limit time.Duration) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, err := s.client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != types.ExecutionStatusRunning {
			return out
		}
		if time.Now().After(deadline) {
			s.dumpHistory(t, arn)
			t.Fatalf("execution %s still running after %s", arn, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) dumpHistory(t testing.TB, arn string) {
	h, err := s.client.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Log(err)
		return
	}
	for _, e := range h.Events {
		t.Logf("event %d %s", e.Id, e.Type)
		switch {
		case e.TaskFailedEventDetails != nil:
			t.Logf("  %s: %s", aws.ToString(e.TaskFailedEventDetails.Error), aws.ToString(e.TaskFailedEventDetails.Cause))
		case e.ActivityFailedEventDetails != nil:
			t.Logf("  %s: %s", aws.ToString(e.ActivityFailedEventDetails.Error), aws.ToString(e.ActivityFailedEventDetails.Cause))
		case e.ActivitySucceededEventDetails != nil:
			t.Logf("  %s", aws.ToString(e.ActivitySucceededEventDetails.Output))
		case e.ActivityScheduledEventDetails != nil:
			t.Logf("  %s", aws.ToString(e.ActivityScheduledEventDetails.Input))
		}
	}
}

// runWorker runs a media service worker until the test ends.
func runWorker(t testing.TB, s *server, cfg ivr.Config) *ivr.Worker {
	t.Helper()
	if cfg.Log == nil {
		cfg.Log = testLogger(t)
	}
	w := ivr.NewWorker(newClient(s.url), cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("worker: %v", err)
			}
		case <-time.After(90 * time.Second):
			t.Errorf("worker did not stop")
		}
	})
	return w
}
