package interp_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/runner"
)

// taskDef is a one-Task machine with the given Retry and Catch JSON
// (either may be empty) and a Handler Pass state for catchers.
func taskDef(retry, catch string) string {
	extra, handler := "", ""
	if retry != "" {
		extra += `,"Retry":` + retry
	}
	if catch != "" {
		extra += `,"Catch":` + catch
		handler = `,"Handler":{"Type":"Pass","End":true}`
	}
	return `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true` + extra + `}` + handler + `}}`
}

// failFirst fails the first n attempts of every state with err, then
// echoes.
func failFirst(n int, name string) script {
	return func(state string, attempt int, in any) (any, error) {
		if attempt < n {
			return nil, fail(name, fmt.Sprintf("attempt %d", attempt))
		}
		return in, nil
	}
}

func TestRetryBackoffTiming(t *testing.T) {
	tests := []struct {
		name      string
		retry     string
		failures  int
		status    interp.Status
		scheduled []time.Duration // TaskScheduled offsets from the start
		attempts  []int
	}{
		{
			name:      "interval 2 backoff 2",
			retry:     `[{"ErrorEquals":["Boom"],"IntervalSeconds":2,"BackoffRate":2,"MaxAttempts":3}]`,
			failures:  3,
			status:    interp.Succeeded,
			scheduled: secs(0, 2, 6, 14),
			attempts:  []int{0, 1, 2, 3},
		},
		{
			name:      "defaults are 1s, x2, 3 attempts",
			retry:     `[{"ErrorEquals":["Boom"]}]`,
			failures:  10,
			status:    interp.Failed,
			scheduled: secs(0, 1, 3, 7),
			attempts:  []int{0, 1, 2, 3},
		},
		{
			name:      "fractional backoff",
			retry:     `[{"ErrorEquals":["Boom"],"IntervalSeconds":1,"BackoffRate":1.5,"MaxAttempts":3}]`,
			failures:  3,
			status:    interp.Succeeded,
			scheduled: secs(0, 1, 2.5, 4.75),
			attempts:  []int{0, 1, 2, 3},
		},
		{
			name:      "MaxDelaySeconds caps each interval",
			retry:     `[{"ErrorEquals":["Boom"],"IntervalSeconds":3,"BackoffRate":3,"MaxAttempts":4,"MaxDelaySeconds":10}]`,
			failures:  4,
			status:    interp.Succeeded,
			scheduled: secs(0, 3, 12, 22, 32),
			attempts:  []int{0, 1, 2, 3, 4},
		},
		{
			name:      "MaxAttempts 0 never retries",
			retry:     `[{"ErrorEquals":["Boom"],"MaxAttempts":0}]`,
			failures:  1,
			status:    interp.Failed,
			scheduled: secs(0),
			attempts:  []int{0},
		},
		{
			name:      "non-matching retrier",
			retry:     `[{"ErrorEquals":["Other"],"MaxAttempts":5}]`,
			failures:  1,
			status:    interp.Failed,
			scheduled: secs(0),
			attempts:  []int{0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, taskDef(tc.retry, ""))
			res, rec := run(t, m, `{"v":1}`, failFirst(tc.failures, "Boom"))
			w := want{Status: tc.status}
			if tc.status == interp.Succeeded {
				w.Output = `{"v":1}`
			} else {
				w.Error = "Boom"
				w.Cause = fmt.Sprintf("attempt %d", len(tc.attempts)-1)
			}
			check(t, res, w)
			checkChain(t, res.History)
			if got := offsets(res.History, "TaskScheduled"); !equalDurations(got, tc.scheduled) {
				t.Errorf("TaskScheduled at %v, want %v\n%s", got, tc.scheduled, dump(res.History))
			}
			var attempts []int
			for _, c := range rec.calls {
				attempts = append(attempts, c.Attempt)
			}
			if fmt.Sprint(attempts) != fmt.Sprint(tc.attempts) {
				t.Errorf("attempts = %v, want %v", attempts, tc.attempts)
			}
			// No retry event: the task events simply repeat, and the state
			// is entered once.
			if n := len(eventsOf(res.History, "TaskStateEntered")); n != 1 {
				t.Errorf("%d TaskStateEntered events, want 1", n)
			}
			wantFailed := min(tc.failures, len(tc.attempts))
			if n := len(eventsOf(res.History, "TaskFailed")); n != wantFailed {
				t.Errorf("%d TaskFailed events, want %d", n, wantFailed)
			}
			// Each retry is billed: 1 state + retries.
			if res.Transitions != int64(len(tc.attempts)) {
				t.Errorf("transitions = %d, want %d", res.Transitions, len(tc.attempts))
			}
		})
	}
}

func TestRetryExhaustedThenCatch(t *testing.T) {
	m := compile(t, taskDef(
		`[{"ErrorEquals":["Boom"],"IntervalSeconds":1,"BackoffRate":1,"MaxAttempts":2}]`,
		`[{"ErrorEquals":["Boom"],"Next":"Handler"}]`))
	res, rec := run(t, m, `{"v":1}`, failFirst(100, "Boom"))
	check(t, res, want{
		Status: interp.Succeeded,
		Output: `{"Error":"Boom","Cause":"attempt 2"}`,
		Types: []string{"ExecutionStarted", "TaskStateEntered",
			"TaskScheduled", "TaskStarted", "TaskFailed",
			"TaskScheduled", "TaskStarted", "TaskFailed",
			"TaskScheduled", "TaskStarted", "TaskFailed",
			"TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"},
	})
	checkChain(t, res.History)
	if len(rec.calls) != 3 {
		t.Errorf("%d calls, want 3", len(rec.calls))
	}
	if got, want := offsets(res.History, "PassStateEntered"), secs(2); !equalDurations(got, want) {
		t.Errorf("handler entered at %v, want %v", got, want)
	}
}

func TestRetryJitterFull(t *testing.T) {
	def := taskDef(`[{"ErrorEquals":["Boom"],"IntervalSeconds":10,"BackoffRate":2,"MaxAttempts":3,"JitterStrategy":"FULL"}]`, "")
	m := compile(t, def)
	runSeed := func(seed uint64) []time.Duration {
		rec := &recorder{fn: failFirst(3, "Boom")}
		res, err := runner.Run(context.Background(), m, runner.Options{
			Info: testInfo(jsonv.NewObject(0)), Tasks: rec, FastForward: true, Now: fixedClock, Seed: seed,
		})
		if err != nil {
			t.Fatal(err)
		}
		check(t, res, want{Status: interp.Succeeded})
		at := offsets(res.History, "TaskScheduled")
		if len(at) != 4 {
			t.Fatalf("%d TaskScheduled events, want 4", len(at))
		}
		var gaps []time.Duration
		for i := 1; i < len(at); i++ {
			gaps = append(gaps, at[i]-at[i-1])
		}
		return gaps
	}
	limits := secs(10, 20, 40)
	distinct := map[string]bool{}
	for seed := uint64(1); seed <= 20; seed++ {
		gaps := runSeed(seed)
		for i, g := range gaps {
			if g < 0 || g > limits[i] {
				t.Errorf("seed %d: retry %d waited %v, want within [0, %v]", seed, i+1, g, limits[i])
			}
		}
		if again := runSeed(seed); !equalDurations(gaps, again) {
			t.Errorf("seed %d: jitter not deterministic: %v then %v", seed, gaps, again)
		}
		distinct[fmt.Sprint(gaps)] = true
	}
	// Jitter must actually vary with the seed (and not always be the full
	// delay).
	if len(distinct) < 15 {
		t.Errorf("only %d distinct jitter sequences over 20 seeds", len(distinct))
	}
	if distinct[fmt.Sprint(limits)] {
		t.Errorf("a seed gave the un-jittered delays %v", limits)
	}
}

func TestRetryMultipleRetriers(t *testing.T) {
	retry := `[
		{"ErrorEquals":["A"],"IntervalSeconds":1,"BackoffRate":2,"MaxAttempts":2},
		{"ErrorEquals":["B"],"IntervalSeconds":5,"BackoffRate":2,"MaxAttempts":1},
		{"ErrorEquals":["States.ALL"],"IntervalSeconds":100,"MaxAttempts":1}]`
	tests := []struct {
		name      string
		errs      []string // error per attempt; "" succeeds
		status    interp.Status
		err       string
		scheduled []time.Duration
	}{
		// A's second retry waits 1*2^1 = 2s: B's retry in between does
		// not advance A's count. The fourth failure exhausts A, and an
		// exhausted first match does not fall through to States.ALL.
		{"own counts, exhausted match stops", []string{"A", "B", "A", "A", ""}, interp.Failed, "A", secs(0, 1, 6, 8)},
		{"first match wins", []string{"C", ""}, interp.Succeeded, "", secs(0, 100)},
		{"States.ALL after specific", []string{"A", "C", ""}, interp.Succeeded, "", secs(0, 1, 101)},
		{"B exhausted", []string{"B", "B", ""}, interp.Failed, "B", secs(0, 5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, taskDef(retry, ""))
			res, _ := run(t, m, `{}`, func(_ string, attempt int, in any) (any, error) {
				if e := tc.errs[attempt]; e != "" {
					return nil, fail(e, "")
				}
				return in, nil
			})
			check(t, res, want{Status: tc.status, Error: tc.err})
			if got := offsets(res.History, "TaskScheduled"); !equalDurations(got, tc.scheduled) {
				t.Errorf("TaskScheduled at %v, want %v", got, tc.scheduled)
			}
		})
	}
}

func TestRetryErrorMatching(t *testing.T) {
	tests := []struct {
		name    string
		matcher string
		err     string
		retried bool
	}{
		{"States.ALL custom", "States.ALL", "MyError", true},
		{"States.ALL timeout", "States.ALL", "States.Timeout", true},
		{"States.ALL heartbeat", "States.ALL", "States.HeartbeatTimeout", true},
		{"TaskFailed custom", "States.TaskFailed", "MyError", true},
		{"TaskFailed service error", "States.TaskFailed", "Lambda.ServiceException", true},
		{"TaskFailed not timeout", "States.TaskFailed", "States.Timeout", false},
		{"exact name", "MyError", "MyError", true},
		{"names are case sensitive", "myerror", "MyError", false},
		{"Timeout exact", "States.Timeout", "States.Timeout", true},
		{"Timeout does not match custom", "States.Timeout", "MyError", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, taskDef(`[{"ErrorEquals":["`+tc.matcher+`"],"IntervalSeconds":1,"MaxAttempts":1}]`, ""))
			res, rec := run(t, m, `{}`, failFirst(1, tc.err))
			if tc.retried {
				check(t, res, want{Status: interp.Succeeded})
				if len(rec.calls) != 2 {
					t.Errorf("%d calls, want 2", len(rec.calls))
				}
			} else {
				check(t, res, want{Status: interp.Failed, Error: tc.err, Cause: "attempt 0"})
				if len(rec.calls) != 1 {
					t.Errorf("%d calls, want 1", len(rec.calls))
				}
			}
			// A timeout is reported as such in the history.
			if tc.err == "States.Timeout" && len(eventsOf(res.History, "TaskTimedOut")) != 1 {
				t.Errorf("want a TaskTimedOut event\n%s", dump(res.History))
			}
		})
	}
}

// States.Runtime errors are never retried, even by States.ALL.
func TestRetryNeverRetriesRuntime(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"OutputPath":"$.missing",
		"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":3}],
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],
		"End":true},"H":{"Type":"Pass","End":true}}}`
	res, rec := run(t, compile(t, def), `{"a":1}`, echo)
	check(t, res, want{Status: interp.Failed, Error: "States.Runtime",
		Cause: "An error occurred while executing the state 'T' (entered at the event id #2). Invalid path '$.missing' : No results for path: $['missing']"})
	if len(rec.calls) != 1 {
		t.Errorf("%d calls, want 1", len(rec.calls))
	}
}

// Retry counts (and $$.State.RetryCount) start again at zero each time the
// state is entered.
func TestRetryCountsResetOnReentry(t *testing.T) {
	def := `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
			"Parameters":{"visit.$":"$.visit","retry.$":"$$.State.RetryCount"},
			"ResultPath":"$.last",
			"Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":1,"MaxAttempts":1}],
			"Next":"Inc"},
		"Inc":{"Type":"Pass","Parameters":{"visit.$":"States.MathAdd($.visit, 1)","last.$":"$.last"},"Next":"Loop"},
		"Loop":{"Type":"Choice","Choices":[{"Variable":"$.visit","NumericLessThan":3,"Next":"T"}],"Default":"Done"},
		"Done":{"Type":"Succeed"}}}`
	// Each visit fails once, then succeeds: with MaxAttempts 1 that only
	// works if the count restarts on every visit.
	res, rec := run(t, compile(t, def), `{"visit":0}`, failFirst(1, "Boom"))
	check(t, res, want{Status: interp.Succeeded, Output: `{"visit":3,"last":{"visit":2,"retry":1}}`})
	var got []string
	for _, c := range rec.calls {
		got = append(got, fmt.Sprintf("%d/%d/%s", c.Attempt, c.Input.(*jsonv.Object).Value("visit"), jsonv.String(c.Input.(*jsonv.Object).Value("retry"))))
	}
	want := "[0/0/0 1/0/1 0/1/0 1/1/1 0/2/0 1/2/1]"
	if fmt.Sprint(got) != want {
		t.Errorf("calls (attempt/visit/$$.State.RetryCount) = %v, want %s", got, want)
	}
}

func TestRetryCountInParameters(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"n.$":"$$.State.RetryCount","entered.$":"$$.State.EnteredTime","name.$":"$$.State.Name"},
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":3,"BackoffRate":1,"MaxAttempts":3}],
		"End":true}}}`
	res, rec := run(t, compile(t, def), `{}`, failFirst(2, "Boom"))
	check(t, res, want{Status: interp.Succeeded, Output: `{"n":2,"entered":"2024-03-01T12:00:00.000Z","name":"T"}`})
	if len(rec.calls) != 3 {
		t.Fatalf("%d calls, want 3", len(rec.calls))
	}
	for i, c := range rec.calls {
		want := fmt.Sprintf(`{"n":%d,"entered":"2024-03-01T12:00:00.000Z","name":"T"}`, i)
		if !jsonv.Equal(c.Input, parseJSON(t, want)) {
			t.Errorf("attempt %d input = %s, want %s", i, jsonv.String(c.Input), want)
		}
	}
	// The parameters event of each attempt shows that attempt's count.
	for i, e := range eventsOf(res.History, "TaskScheduled") {
		if got, want := field(t, e, "parameters"), fmt.Sprintf(`{"name":"T","entered":"2024-03-01T12:00:00.000Z","n":%d}`, i); got != want {
			t.Errorf("TaskScheduled %d parameters = %v, want %s", i, got, want)
		}
	}
}

// Huge computed delays must not overflow into the past.
func TestRetryHugeDelay(t *testing.T) {
	m := compile(t, taskDef(`[{"ErrorEquals":["Boom"],"IntervalSeconds":99999999,"BackoffRate":10,"MaxAttempts":5}]`, ""))
	x, cmds := m.Start(testInfo(jsonv.NewObject(0)), t0, 1)
	prev := t0
	for i := 0; i < 5; i++ {
		out := x.Apply(interp.Event{Kind: interp.TaskFailed, Time: prev, Ref: cmds[0].Ref, Error: "Boom"})
		if len(out) != 1 || out[0].Kind != interp.StartTimer {
			t.Fatalf("retry %d: commands %+v", i+1, out)
		}
		if !out[0].Due.After(prev.Add(99999999*time.Second - time.Second)) {
			t.Fatalf("retry %d due %v, before the interval after %v", i+1, out[0].Due, prev)
		}
		prev = out[0].Due
		cmds = x.Apply(interp.Event{Kind: interp.TimerFired, Time: prev, Ref: out[0].Ref})
	}
}
