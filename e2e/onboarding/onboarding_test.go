// Package onboarding runs the user-onboarding system (examples/user-onboarding,
// from the seed "Engaging your users with AWS Step Functions") end to end:
// the real server, the project deployed with `statecraft deploy`, the seed's
// Node.js handlers running unchanged in real Node processes (they fail 30%
// of the time), executions started and read with the AWS SDK for Go.
package onboarding

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/auth/authtest"
)

const machineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:UserOnboarding"

// The example's Retry: IntervalSeconds 2, BackoffRate 2.
const (
	interval = 2.0
	backoff  = 2.0
)

func TestOnboardingEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("the onboarding handlers are Node.js: install node (%v)", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "statecraft")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/statecraft").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	endpoint := startServer(t, bin, dir)

	// Deploy as a user would, with the README's command.
	out, err := exec.Command(bin, "deploy", "../../examples/user-onboarding/statecraft.yaml", "--endpoint", endpoint).CombinedOutput()
	if err != nil {
		t.Fatalf("statecraft deploy: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), machineArn) || !strings.Contains(string(out), "sendMessage") {
		t.Fatalf("deploy output:\n%s", out)
	}

	// The Lambda Invoke API serves the same functions.
	resp, err := authtest.Client.Post(endpoint+"/2015-03-31/functions/fetchActivityCount/invocations", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("Invoke: %s %s", resp.Status, body)
	}
	if fe := resp.Header.Get("X-Amz-Function-Error"); fe == "" && !regexp.MustCompile(`^\{"activities":[01]\}$`).Match(body) {
		t.Fatalf("Invoke returned %s", body)
	}

	client := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: authtest.Credentials("", "")})
	ctx := context.Background()
	const n = 24
	arns := make([]string, n)
	for i := range arns {
		res, err := client.StartExecution(ctx, &sfn.StartExecutionInput{
			StateMachineArn: aws.String(machineArn),
			Name:            aws.String(fmt.Sprintf("user-%d", i)),
			Input:           aws.String(fmt.Sprintf(`{"email":"user%d@example.com"}`, i)),
		})
		if err != nil {
			t.Fatal(err)
		}
		arns[i] = *res.ExecutionArn
	}

	var wg sync.WaitGroup
	histories := make([][]types.HistoryEvent, n)
	statuses := make([]types.ExecutionStatus, n)
	errs := make([]error, n)
	for i, arn := range arns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], histories[i], errs[i] = waitAndRead(ctx, client, arn)
		}()
	}
	wg.Wait()

	var retries, reminders int
	for i, arn := range arns {
		if errors.Is(errs[i], errBackingOff) {
			// The handlers' chance at work, not a hang: what ran is still
			// checked, and the execution is stopped.
			t.Logf("%s: %v", arn, errs[i])
			r, _ := checkHistory(t, arn, histories[i])
			retries += r
			if _, err := client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
				t.Errorf("stopping %s: %v", arn, err)
			}
			continue
		}
		if errs[i] != nil {
			t.Fatalf("%s: %v", arn, errs[i])
		}
		if statuses[i] != types.ExecutionStatusSucceeded {
			t.Errorf("%s ended %s", arn, statuses[i])
			continue
		}
		r, rem := checkHistory(t, arn, histories[i])
		retries += r
		reminders += rem
	}
	t.Logf("%d executions, %d retries checked against their back-off, %d took the reminder branch", n, retries, reminders)
	// With 24 executions of 3-5 calls failing 30% of the time, no retry at
	// all would mean the handlers did not run as written.
	if retries == 0 {
		t.Error("no retries happened: the handlers fail 30% of the time, so some must")
	}
}

// checkHistory verifies one execution's history: every retry came at its
// scheduled back-off, and every Choice sent the execution where the
// activity count said. It returns how many retries it checked and whether
// the reminder branch ran.
func checkHistory(t *testing.T, arn string, evs []types.HistoryEvent) (retries, reminders int) {
	t.Helper()
	var (
		state     string
		attempt   int
		failedAt  time.Time
		lastCount = -1
		afterCh   string // the Choice state just exited
	)
	for _, ev := range evs {
		switch ev.Type {
		case types.HistoryEventTypeTaskStateEntered, types.HistoryEventTypeChoiceStateEntered, types.HistoryEventTypeWaitStateEntered, types.HistoryEventTypeSucceedStateEntered:
			name := *ev.StateEnteredEventDetails.Name
			if afterCh != "" {
				want := map[string][2]string{"CheckActivityCount1": {"SendMessage2", "Done"}, "CheckActivityCount2": {"SendMessage3", "Done"}}[afterCh]
				next := want[1]
				if lastCount == 0 {
					next = want[0]
				}
				if name != next {
					t.Errorf("%s: after %s with activities=%d went to %s, want %s", arn, afterCh, lastCount, name, next)
				}
				if next != "Done" {
					reminders++
				}
				afterCh = ""
			}
			state, attempt = name, 0
		case types.HistoryEventTypeLambdaFunctionScheduled:
			if attempt > 0 {
				// Retry n comes IntervalSeconds * BackoffRate^(n-1) after the
				// failure: never earlier, and before the next back-off step
				// would be due (so a wrong exponent cannot pass).
				want := interval * math.Pow(backoff, float64(attempt-1))
				got := ev.Timestamp.Sub(failedAt).Seconds()
				if got < want-0.001 || got >= want*backoff {
					t.Errorf("%s: %s retry %d came %.3fs after the failure, want %.0fs", arn, state, attempt, got, want)
				}
				retries++
			}
		case types.HistoryEventTypeLambdaFunctionFailed:
			d := ev.LambdaFunctionFailedEventDetails
			if aws.ToString(d.Error) != "Error" || !strings.Contains(aws.ToString(d.Cause), "error happened") {
				t.Errorf("%s: LambdaFunctionFailed %s / %s, want the handler's Error 'error happened'", arn, aws.ToString(d.Error), aws.ToString(d.Cause))
			}
			attempt++
			failedAt = *ev.Timestamp
		case types.HistoryEventTypeLambdaFunctionSucceeded:
			if strings.HasPrefix(state, "FetchActivityCount") {
				var out struct{ Activities *int }
				if err := json.Unmarshal([]byte(aws.ToString(ev.LambdaFunctionSucceededEventDetails.Output)), &out); err != nil || out.Activities == nil {
					t.Errorf("%s: fetchActivityCount returned %s", arn, aws.ToString(ev.LambdaFunctionSucceededEventDetails.Output))
				} else {
					lastCount = *out.Activities
				}
			}
		case types.HistoryEventTypeChoiceStateExited:
			afterCh = *ev.StateExitedEventDetails.Name
		}
	}
	return retries, reminders
}

// errBackingOff is an execution still running at the deadline because a
// handler failed so many times in a row (30% each time) that the
// example's Retry waits minutes before the next attempt: one call failing
// seven times in a row (0.3^7) somewhere among the test's ~70 calls happens
// in one or two runs in a hundred, and is the workflow working as written.
var errBackingOff = errors.New("in the example's back-off, not hung")

// longBackOff is the run of failures after which the next retry is over
// two minutes away (2 s x 2^6 = 128 s).
const longBackOff = 7

// trailingFailures counts the handler failures since the current state was
// entered, when the history ends in one.
func trailingFailures(evs []types.HistoryEvent) int {
	k := 0
	for _, ev := range evs {
		switch ev.Type {
		case types.HistoryEventTypeTaskStateEntered:
			k = 0
		case types.HistoryEventTypeLambdaFunctionFailed:
			k++
		}
	}
	if len(evs) == 0 || evs[len(evs)-1].Type != types.HistoryEventTypeLambdaFunctionFailed {
		return 0
	}
	return k
}

func readHistory(ctx context.Context, c *sfn.Client, arn string) ([]types.HistoryEvent, error) {
	var evs []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		evs = append(evs, page.Events...)
	}
	return evs, nil
}

func waitAndRead(ctx context.Context, c *sfn.Client, arn string) (types.ExecutionStatus, []types.HistoryEvent, error) {
	// The slowest plausible run (several consecutive failures of one call,
	// 2+4+8+16 s of back-off, plus two 3 s Waits) stays far below this.
	deadline := time.Now().Add(5 * time.Minute)
	for {
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return "", nil, err
		}
		if d.Status != types.ExecutionStatusRunning {
			evs, err := readHistory(ctx, c, arn)
			return d.Status, evs, err
		}
		if time.Now().After(deadline) {
			evs, err := readHistory(ctx, c, arn)
			if err != nil {
				return "", nil, err
			}
			if k := trailingFailures(evs); k >= longBackOff {
				return d.Status, evs, fmt.Errorf("%w: %d failures in a row, the next retry %.0fs away", errBackingOff, k, interval*math.Pow(backoff, float64(k-1)))
			}
			return d.Status, nil, fmt.Errorf("still running after 5 minutes")
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func startServer(t *testing.T, bin, dir string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	var mu sync.Mutex
	srv := exec.Command(bin, "server", "--listen", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--no-sync")
	srv.Stdout = &lockedWriter{w: &stdout, mu: &mu}
	srv.Stderr = &lockedWriter{w: &stderr, mu: &mu}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	t.Cleanup(func() {
		_ = srv.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			_ = srv.Process.Kill()
			<-exited
		}
		if t.Failed() {
			mu.Lock()
			t.Logf("server log:\n%s", stderr.String())
			mu.Unlock()
		}
	})
	listening := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("server exited: %v\n%s", err, stderr.String())
		default:
		}
		mu.Lock()
		m := listening.FindStringSubmatch(stdout.String())
		mu.Unlock()
		if m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server did not start")
	return ""
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
