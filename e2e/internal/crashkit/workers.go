package crashkit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/statecraft/statecraft/arn"
)

// Activity is an activity of the workload and how its workers answer.
type Activity struct {
	Name string
	// Decide answers a task from its input alone, so that a task delivered
	// again (or retried after a timeout with the same input) gets the same
	// answer, and the reference runs can use it as their resolver.
	Decide func(input string) (output, errName, cause string)
	// Beats heartbeats, BeatEvery apart, come before the answer.
	Beats     int
	BeatEvery time.Duration
}

// ActivityArn is the ARN of the activity called name.
func ActivityArn(name string) string {
	return arn.Activity(Region, Account, name)
}

// Worker polls for a's tasks until ctx ends and answers them as a.Decide
// says. poll gives the client for each GetActivityTask: failed says the
// previous poll got no answer (its server was down). reply gives the
// client for each heartbeat and answer, told the one the task came from.
func (r *Run) Worker(ctx context.Context, a *Activity, id int, poll func(failed bool) *sfn.Client, reply func(from *sfn.Client) *sfn.Client) {
	arn := ActivityArn(a.Name)
	name := fmt.Sprintf("%s-worker-%d", a.Name, id)
	failed := false
	for ctx.Err() == nil {
		timeout := PollTimeout
		if r.LongPolls.Load() {
			timeout = LongPoll
		}
		c := poll(failed)
		pctx, cancel := context.WithTimeout(ctx, timeout)
		out, err := c.GetActivityTask(pctx, &sfn.GetActivityTaskInput{ActivityArn: &arn, WorkerName: &name})
		cancel()
		failed = false
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var re *smithyhttp.ResponseError
			switch {
			case r.Retry5xx && errors.As(err, &re) && re.HTTPStatusCode() >= 500:
				r.ServerErrors.Add(1)
			case ErrorCode(err) != "":
				r.Fail("GetActivityTask %s: %v", a.Name, err)
			}
			if !errors.Is(err, context.DeadlineExceeded) { // not our own poll timeout: the server is down
				failed = true
				Sleep(ctx, RetryPause)
			}
			continue
		}
		token := aws.ToString(out.TaskToken)
		if token == "" {
			continue
		}
		r.mu.Lock()
		r.tokens[token]++
		r.mu.Unlock()
		r.work(ctx, a, token, aws.ToString(out.Input), func() *sfn.Client { return reply(c) })
	}
}

func (r *Run) work(ctx context.Context, a *Activity, token, input string, c func() *sfn.Client) {
	for range a.Beats {
		Sleep(ctx, a.BeatEvery)
		_, err := Call(ctx, r, "SendTaskHeartbeat", func(cctx context.Context) (*sfn.SendTaskHeartbeatOutput, error) {
			return c().SendTaskHeartbeat(cctx, &sfn.SendTaskHeartbeatInput{TaskToken: &token})
		})
		if r.answered(ctx, "SendTaskHeartbeat", err) {
			r.Abandoned.Add(1)
			return
		}
	}
	out, errName, cause := a.Decide(input)
	if errName != "" {
		_, err := Call(ctx, r, "SendTaskFailure", func(cctx context.Context) (*sfn.SendTaskFailureOutput, error) {
			return c().SendTaskFailure(cctx, &sfn.SendTaskFailureInput{TaskToken: &token, Error: &errName, Cause: &cause})
		})
		r.answered(ctx, "SendTaskFailure", err)
		return
	}
	_, err := Call(ctx, r, "SendTaskSuccess", func(cctx context.Context) (*sfn.SendTaskSuccessOutput, error) {
		return c().SendTaskSuccess(cctx, &sfn.SendTaskSuccessInput{TaskToken: &token, Output: &out})
	})
	r.answered(ctx, "SendTaskSuccess", err)
}

// answered handles the server's answer to SendTask*: TaskTimedOut means
// the task was closed already (it timed out, or it was delivered again
// after a restart and the other delivery answered first, or this very
// answer was committed before a kill cut off the reply), which the tests
// allow.
func (r *Run) answered(ctx context.Context, op string, err error) (closed bool) {
	switch code := ErrorCode(err); {
	case err == nil:
	case code == "TaskTimedOut":
		r.ClosedAnswers.Add(1)
		return true
	case ctx.Err() != nil:
		return true
	default:
		// InvalidToken included: tokens are derived from the execution's
		// stored seed and stay valid across restarts.
		r.Fail("%s: %v", op, err)
		return true
	}
	return false
}
