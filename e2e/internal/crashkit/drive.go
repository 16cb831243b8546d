package crashkit

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Create creates the workload's activities and state machines.
func (w *Workload) Create(ctx context.Context, r *Run, pick Pick) error {
	for _, a := range w.Activities {
		out, err := Call(ctx, r, "CreateActivity", func(cctx context.Context) (*sfn.CreateActivityOutput, error) {
			return pick().CreateActivity(cctx, &sfn.CreateActivityInput{Name: aws.String(a.Name)})
		})
		if err != nil {
			return fmt.Errorf("CreateActivity %s: %v", a.Name, err)
		}
		if got := aws.ToString(out.ActivityArn); got != ActivityArn(a.Name) {
			return fmt.Errorf("CreateActivity %s = %s, want %s", a.Name, got, ActivityArn(a.Name))
		}
	}
	for _, m := range w.Machines {
		out, err := Call(ctx, r, "CreateStateMachine", func(cctx context.Context) (*sfn.CreateStateMachineOutput, error) {
			return pick().CreateStateMachine(cctx, &sfn.CreateStateMachineInput{Name: aws.String(m.Name), Definition: aws.String(m.Def), RoleArn: aws.String(Role)})
		})
		if err != nil {
			return fmt.Errorf("CreateStateMachine %s: %v", m.Name, err)
		}
		if got := aws.ToString(out.StateMachineArn); got != m.Arn {
			return fmt.Errorf("CreateStateMachine %s = %s, want %s", m.Name, got, m.Arn)
		}
	}
	return nil
}

// StartOptions says how StartAll starts the executions.
type StartOptions struct {
	Every    time.Duration // one execution handed to the starters this often
	Starters int
	Pick     Pick
	// Started, when set, is called after each execution's StartExecution
	// succeeded.
	Started func(*Execution)
}

// StartAll starts every execution, retrying with the same name and input
// while servers are down, on goroutines that bg counts. The channel it
// returns is closed once all have been started (or ctx ended).
func (w *Workload) StartAll(ctx context.Context, r *Run, bg *sync.WaitGroup, o StartOptions) <-chan struct{} {
	queue := make(chan *Execution)
	var starting sync.WaitGroup
	done := make(chan struct{})
	for range o.Starters {
		starting.Add(1)
		go func() {
			defer starting.Done()
			for e := range queue {
				w.start(ctx, r, o, e)
			}
		}()
	}
	bg.Add(1)
	go func() {
		defer bg.Done()
		defer close(done)
		tick := time.NewTicker(o.Every)
		defer tick.Stop()
		defer starting.Wait()
		defer close(queue)
		for _, e := range w.Execs {
			select {
			case queue <- e:
			case <-ctx.Done():
				return
			}
			<-tick.C
		}
	}()
	return done
}

func (w *Workload) start(ctx context.Context, r *Run, o StartOptions, e *Execution) {
	out, err := Call(ctx, r, "StartExecution", func(cctx context.Context) (*sfn.StartExecutionOutput, error) {
		return o.Pick().StartExecution(cctx, &sfn.StartExecutionInput{StateMachineArn: &e.M.Arn, Name: &e.Name, Input: &e.Input})
	})
	switch {
	case err == nil:
		if got := aws.ToString(out.ExecutionArn); got != e.Arn {
			r.Fail("%s: StartExecution = %s, want %s", e.Name, got, e.Arn)
		}
		if o.Started != nil {
			o.Started(e)
		}
	case ErrorCode(err) == "ExecutionAlreadyExists":
		// The first attempt was committed, its reply lost in a kill, and
		// the execution has ended since: while it runs, the same name and
		// input must start it again.
		r.StartRepeats.Add(1)
		d, err := Call(ctx, r, "DescribeExecution", func(cctx context.Context) (*sfn.DescribeExecutionOutput, error) {
			return o.Pick().DescribeExecution(cctx, &sfn.DescribeExecutionInput{ExecutionArn: &e.Arn})
		})
		if err == nil && d.Status == types.ExecutionStatusRunning {
			r.Fail("%s: a repeated StartExecution answered ExecutionAlreadyExists, yet the execution is running", e.Name)
		}
	default:
		r.Fail("%s: StartExecution: %v", e.Name, err)
	}
}

// Settle waits until no execution is running, and ends the test, after
// showing those still running, when that has not happened within the
// given time after the last restart.
func (w *Workload) Settle(ctx context.Context, t testing.TB, r *Run, pick Pick, lastRestart time.Time, within time.Duration) {
	t.Helper()
	deadline := lastRestart.Add(within)
	sctx, scancel := context.WithDeadline(ctx, deadline)
	defer scancel()
	for {
		running := 0
		for _, m := range w.Machines {
			n, err := countExecutions(sctx, r, pick, m.Arn, types.ExecutionStatusRunning)
			if err != nil {
				running = -1 // no server answered in time
				break
			}
			running += n
		}
		if running == 0 {
			return
		}
		if time.Now().After(deadline) {
			rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
			w.reportStuck(rctx, t, r, pick)
			rcancel()
			t.Fatalf("executions still RUNNING %v after the last restart (%d, -1: no server answered)", within, running)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Verify checks that no execution was lost or made up, that each ended as
// its reference run did with a history that repeats nothing, and reports
// what the run recorded with Fail. It returns how many task attempts timed
// out.
func (w *Workload) Verify(ctx context.Context, t testing.TB, r *Run, pick Pick) (timedOut int64) {
	t.Helper()
	for _, m := range w.Machines {
		names, err := listNames(ctx, r, pick, m.Arn)
		if err != nil {
			t.Fatalf("ListExecutions: %v", err)
		}
		want := map[string]bool{}
		for _, e := range w.Execs {
			if e.M == m {
				want[e.Name] = true
			}
		}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("%s: ListExecutions has %d executions, want %d", m.Name, len(names), len(want))
			for n := range names {
				if !want[n] {
					t.Errorf("%s: unexpected execution %s", m.Name, n)
				}
			}
			for n := range want {
				if !names[n] {
					t.Errorf("%s: execution %s is missing", m.Name, n)
				}
			}
		}
	}

	var attempts, bad atomic.Int64
	_ = ForEach(w.Execs, 8, func(e *Execution) error {
		problems, n := w.check(ctx, r, pick, e)
		attempts.Add(int64(n))
		if len(problems) > 0 {
			if bad.Add(1) <= 15 {
				t.Errorf("%s (%s, input %s):\n\t%s", e.Name, e.M.Name, e.Input, strings.Join(problems, "\n\t"))
			}
		}
		return nil
	})
	if n := bad.Load(); n > 0 {
		t.Errorf("%d of %d executions differ from an uninterrupted run", n, len(w.Execs))
	}
	for _, p := range r.Problems() {
		t.Error(p)
	}
	return attempts.Load()
}
