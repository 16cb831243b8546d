package engine

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/store"
)

// ErrExecutionNotRedrivable is the error of a RedriveExecution the
// execution does not allow; the *NotRedrivableError that carries it says
// why.
var ErrExecutionNotRedrivable = errors.New("execution not redrivable")

// NotRedrivableError is why an execution cannot be redriven, in AWS's
// words (DescribeExecution's redriveStatusReason).
type NotRedrivableError struct{ Reason string }

func (e *NotRedrivableError) Error() string { return e.Reason }

func (e *NotRedrivableError) Is(target error) bool { return target == ErrExecutionNotRedrivable }

// AWS's limits on redriving a STANDARD execution.
const (
	// RedrivePeriod is how long after it stopped an execution may be
	// redriven.
	RedrivePeriod = 14 * 24 * time.Hour
	// MaxOpenTime is how long an execution may stay open, counted from its
	// start, redrives included.
	MaxOpenTime = 365 * 24 * time.Hour
	// MaxRedriveEvents: an execution with this many history events or
	// more has no room for ExecutionRedriven and what follows it.
	MaxRedriveEvents = 24999
	// redriveTokens is how many of an execution's last redrives a
	// repeated clientToken is looked for in, and redriveTokenTTL for how
	// long.
	redriveTokens   = 10
	redriveTokenTTL = 15 * time.Minute
)

// RedriveReason is why rec cannot be redriven at now, "" when it can.
func RedriveReason(rec *store.Execution, now time.Time) string {
	switch {
	case rec.Status == "RUNNING" || rec.Status == "SUCCEEDED":
		return "Execution is " + rec.Status + " and cannot be redriven"
	case rec.Events >= MaxRedriveEvents:
		return "Execution history event limit exceeded"
	case now.Sub(rec.StartedAt) >= MaxOpenTime:
		return "Execution has exceeded the max execution time"
	case now.Sub(rec.StoppedAt) > RedrivePeriod:
		return "Execution redrivable period exceeded"
	}
	return ""
}

// RedriveExecution reopens a STANDARD execution that ended FAILED,
// TIMED_OUT or ABORTED and returns when it was redriven. Only what did not
// succeed runs again (interp's Redrive event); the redrive is an input of
// the execution like any other, committed with its first step, so a replay
// redrives it again exactly. A clientToken repeated within 15 minutes of
// one of the execution's last 10 redrives returns that redrive's date and
// redrives nothing. Errors: ErrExecutionDoesNotExist, and a
// *NotRedrivableError (errors.Is ErrExecutionNotRedrivable).
func (e *Engine) RedriveExecution(ctx context.Context, arn, clientToken string) (time.Time, error) {
	tries := 2
	if e.cl != nil {
		tries = 16
	}
	var at time.Time
	var err error
	for range tries {
		// A conflict: another redrive, or a step of a copy of the
		// execution not yet ended, came first; look again.
		at, err = e.redriveOnce(ctx, arn, clientToken)
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	return at, err
}

func (e *Engine) redriveOnce(ctx context.Context, arn, clientToken string) (time.Time, error) {
	rec, err := e.st.GetExecution(ctx, arn)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, ErrExecutionDoesNotExist
	}
	if err != nil {
		return time.Time{}, err
	}
	now := e.now().Truncate(time.Millisecond)
	if clientToken != "" && rec.RedriveCount > 0 {
		at, ok, err := e.redrivenWith(ctx, arn, clientToken, now)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			return at, nil
		}
	}
	if reason := RedriveReason(rec, now); reason != "" {
		return time.Time{}, &NotRedrivableError{Reason: reason}
	}
	l, err := e.replay(ctx, rec)
	if err != nil {
		return time.Time{}, err
	}
	x := l.x
	ev := interp.Event{Kind: interp.Redrive, Time: now, Seed: randomSeed()}
	cmds := x.Apply(ev)
	if x.EventCount() == rec.Events {
		return time.Time{}, &NotRedrivableError{Reason: "Execution is " + rec.Status + " and cannot be redriven"}
	}
	step := e.buildStep(l, &ev, cmds)
	step.Input = encodeRedrive(ev, clientToken)
	step.Redrive = &store.Redrive{At: now}
	if err := e.st.CommitStep(ctx, step); err != nil {
		return time.Time{}, err
	}
	l.seq++
	e.countStep(l, &step)
	x.ClearHistory()
	// Kept first, as startExecution does.
	l.mu.Lock()
	if x.Status == interp.Running && !e.idle(l, cmds) {
		e.keep(l)
	}
	e.finishStep(l, cmds, step.AddTasks)
	l.mu.Unlock()
	return now, nil
}

// encodeRedrive is a Redrive's input record, with its clientToken.
func encodeRedrive(ev interp.Event, clientToken string) []byte {
	b, _ := json.Marshal(inputRecord{Kind: ev.Kind, Time: ev.Time.UnixNano(), Seed: ev.Seed, Token: clientToken})
	return b
}

// redrivenWith finds a recent redrive of the execution made with
// clientToken among its last ones, and tells when it was.
func (e *Engine) redrivenWith(ctx context.Context, arn, clientToken string, now time.Time) (time.Time, bool, error) {
	inputs, err := e.st.Inputs(ctx, arn)
	if err != nil {
		return time.Time{}, false, err
	}
	seen := 0
	for i := len(inputs) - 1; i >= 0 && seen < redriveTokens; i-- {
		var r inputRecord
		if err := json.Unmarshal(inputs[i].Body, &r); err != nil || r.Kind != interp.Redrive {
			continue
		}
		seen++
		at := time.Unix(0, r.Time).UTC()
		if r.Token == clientToken && now.Sub(at) < redriveTokenTTL {
			return at, true, nil
		}
	}
	return time.Time{}, false, nil
}
