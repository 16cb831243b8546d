package main

import (
	"math/big"
	"strings"
	"testing"
)

// onboardingDir is the seed example, run from its own directory with the
// command line its README gives.
const onboardingDir = "../../examples/user-onboarding"

func runOnboarding(t *testing.T, testCase string) execution {
	t.Helper()
	x := mustRun(t, onboardingDir, "run", "statemachine.asl.json",
		"--input", "@input.json", "--mocks", "mocks.json",
		"--test-case", testCase, "--fast-forward", "--history")
	if x.status != "SUCCEEDED" {
		t.Fatalf("%s: status = %s, want SUCCEEDED", testCase, x.status)
	}
	return x
}

// TestOnboardingTestCases: each test case of mocks.json takes the path the
// README describes.
func TestOnboardingTestCases(t *testing.T) {
	tests := []struct {
		testCase string
		entered  string
		output   string
	}{
		{
			testCase: "HappyPath",
			entered:  "SendMessage1 Wait1 FetchActivityCount1 CheckActivityCount1 Done",
			output:   `{"activities":1}`,
		},
		{
			testCase: "RetryThenSucceed",
			entered: "SendMessage1 Wait1 FetchActivityCount1 CheckActivityCount1 " +
				"SendMessage2 Wait2 FetchActivityCount2 CheckActivityCount2 Done",
			output: `{"activities":1}`,
		},
		{
			testCase: "NeverActive",
			entered: "SendMessage1 Wait1 FetchActivityCount1 CheckActivityCount1 " +
				"SendMessage2 Wait2 FetchActivityCount2 CheckActivityCount2 SendMessage3 Done",
			output: `{}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.testCase, func(t *testing.T) {
			x := runOnboarding(t, tc.testCase)
			if got := strings.Join(enteredStates(t, x.history), " "); got != tc.entered {
				t.Errorf("entered states:\n got  %s\n want %s", got, tc.entered)
			}
			x.expectOutput(t, tc.output)
			if last := x.history[len(x.history)-1]; last.typ != "ExecutionSucceeded" {
				t.Errorf("last event = %s", last.typ)
			}
		})
	}
}

// TestOnboardingRetryThenSucceed: SendMessage1 fails twice, is retried 2 s
// and then 4 s after the failures (IntervalSeconds 2, BackoffRate 2), and
// succeeds; Wait1 takes 3 s of the fast-forwarded clock.
func TestOnboardingRetryThenSucceed(t *testing.T) {
	x := runOnboarding(t, "RetryThenSucceed")
	h := x.history

	// The events of the SendMessage1 state.
	first, last := -1, -1
	for i, e := range h {
		switch e.typ {
		case "TaskStateEntered":
			if first < 0 && e.stateName(t) == "SendMessage1" {
				first = i
			}
		case "TaskStateExited":
			if last < 0 && e.stateName(t) == "SendMessage1" {
				last = i
			}
		}
	}
	if first < 0 || last < first {
		t.Fatalf("no TaskStateEntered/Exited pair for SendMessage1")
	}
	var types []string
	var lambda []event
	for _, e := range h[first+1 : last] {
		types = append(types, e.typ)
		lambda = append(lambda, e)
	}
	want := []string{
		"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed",
		"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed",
		"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded",
	}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Fatalf("SendMessage1 events:\n got  %v\n want %v", types, want)
	}
	for _, i := range []int{0, 3, 6} {
		d := lambda[i].details(t, "lambdaFunctionScheduledEventDetails")
		if d["resource"] != "arn:aws:lambda:us-east-1:123456789012:function:sendMessage" {
			t.Errorf("scheduled resource = %v", d["resource"])
		}
		if d["input"] != `{"email":"new.user@example.com"}` {
			t.Errorf("scheduled input = %v", d["input"])
		}
	}
	for _, i := range []int{2, 5} {
		d := lambda[i].details(t, "lambdaFunctionFailedEventDetails")
		if d["error"] != "Error" || d["cause"] != "error happened" {
			t.Errorf("event %d lambdaFunctionFailedEventDetails = %v, want error \"Error\", cause \"error happened\"", lambda[i].id, d)
		}
	}
	if d := lambda[8].details(t, "lambdaFunctionSucceededEventDetails"); d["output"] != "{}" {
		t.Errorf("lambdaFunctionSucceededEventDetails.output = %v, want \"{}\"", d["output"])
	}

	// Back-off: the first retry 2 s after the first failure, the second 4 s
	// after the second; no time passes within one attempt.
	for _, c := range []struct {
		from, to int
		secs     int64
	}{
		{2, 3, 2},
		{5, 6, 4},
		{0, 2, 0},
		{3, 5, 0},
		{6, 8, 0},
	} {
		if d := seconds(lambda[c.from], lambda[c.to]); d.Cmp(big.NewRat(c.secs, 1)) != 0 {
			t.Errorf("%s (event %d) -> %s (event %d): %s s, want %d",
				lambda[c.from].typ, lambda[c.from].id, lambda[c.to].typ, lambda[c.to].id, d.FloatString(3), c.secs)
		}
	}

	// Wait1 takes 3 s of the clock.
	var entered, exited *event
	for i := range h {
		switch {
		case h[i].typ == "WaitStateEntered" && h[i].stateName(t) == "Wait1":
			entered = &h[i]
		case h[i].typ == "WaitStateExited" && h[i].stateName(t) == "Wait1":
			exited = &h[i]
		}
	}
	if entered == nil || exited == nil {
		t.Fatal("no WaitStateEntered/Exited pair for Wait1")
	}
	if d := seconds(*entered, *exited); d.Cmp(big.NewRat(3, 1)) != 0 {
		t.Errorf("Wait1 took %s s of the clock, want 3", d.FloatString(3))
	}

	// The whole run: 2 + 4 s of back-off and two 3 s waits.
	if d := seconds(h[0], h[len(h)-1]); d.Cmp(big.NewRat(12, 1)) != 0 {
		t.Errorf("execution took %s s of the clock, want 12", d.FloatString(3))
	}
}

// TestMocksErrors: mistakes in choosing the test case are reported with a
// message and a non-zero exit code, and no result.
func TestMocksErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // substrings of stderr
	}{
		{
			name: "--mocks without --test-case",
			args: []string{"--mocks", "mocks.json"},
			want: []string{"--test-case"},
		},
		{
			name: "unknown test case",
			args: []string{"--mocks", "mocks.json", "--test-case", "NoSuchCase"},
			want: []string{"NoSuchCase", "HappyPath", "NeverActive", "RetryThenSucceed"},
		},
		{
			name: "missing mock file",
			args: []string{"--mocks", "no-such-mocks.json", "--test-case", "HappyPath"},
			want: []string{"no-such-mocks.json"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "statemachine.asl.json", "--input", "@input.json", "--fast-forward"}, tc.args...)
			r := statecraft(t, onboardingDir, args...)
			if r.code == 0 {
				t.Fatalf("want a non-zero exit code\n%s", r)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not mention %q: %q", w, r.stderr)
				}
			}
		})
	}
}

// TestMocksRetriesExhausted: a mocked Throw on every attempt uses up the
// retrier's MaxAttempts and the execution fails with the mocked error.
func TestMocksRetriesExhausted(t *testing.T) {
	x := mustRun(t, "", "run", "testdata/retry-exhausted.asl.json",
		"--mocks", "testdata/retry-exhausted.mocks.json", "--test-case", "AlwaysThrows",
		"--fast-forward", "--history")
	if x.status != "FAILED" {
		t.Fatalf("status = %s, want FAILED", x.status)
	}
	x.expectKeys(t, "cause", "error", "history", "status")
	if e, c := x.str(t, "error"), x.str(t, "cause"); e != "Custom.Boom" || c != "kaboom" {
		t.Errorf("error, cause = %q, %q; want Custom.Boom, kaboom", e, c)
	}
	var failures []event
	for _, e := range x.history {
		if e.typ == "LambdaFunctionFailed" {
			failures = append(failures, e)
			if d := e.details(t, "lambdaFunctionFailedEventDetails"); d["error"] != "Custom.Boom" || d["cause"] != "kaboom" {
				t.Errorf("lambdaFunctionFailedEventDetails = %v", d)
			}
		}
	}
	if len(failures) != 3 {
		t.Errorf("%d LambdaFunctionFailed events, want 3 (1 attempt + MaxAttempts 2)", len(failures))
	}
	last := x.history[len(x.history)-1]
	if last.typ != "ExecutionFailed" {
		t.Fatalf("last event = %s, want ExecutionFailed", last.typ)
	}
	if d := last.details(t, "executionFailedEventDetails"); d["error"] != "Custom.Boom" || d["cause"] != "kaboom" {
		t.Errorf("executionFailedEventDetails = %v", d)
	}
}

// TestMocksStateMachineName: the state machine looked up in the mock file
// (and used in the ARNs) is --state-machine, else the mock file's only one,
// else the definition's file name.
func TestMocksStateMachineName(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		output string
		errors []string // substrings of stderr; the run must fail
	}{
		{
			name:   "the mock file's only machine",
			args:   []string{"testdata/task-context.asl.json", "--mocks", "testdata/single-machine.mocks.json"},
			output: `{"result":42,"stateMachineName":"MockedMachine","stateMachineId":"arn:aws:states:us-east-1:123456789012:stateMachine:MockedMachine"}`,
		},
		{
			name:   "--state-machine names the machine",
			args:   []string{"testdata/task-context.asl.json", "--mocks", "testdata/single-machine.mocks.json", "--state-machine", "MockedMachine", "--region", "eu-west-1"},
			output: `{"result":42,"stateMachineName":"MockedMachine","stateMachineId":"arn:aws:states:eu-west-1:123456789012:stateMachine:MockedMachine"}`,
		},
		{
			name:   "several machines: the file name",
			args:   []string{"testdata/task.asl.json", "--mocks", "testdata/task.mocks.json"},
			output: `{"from":"task"}`,
		},
		{
			name:   "several machines: --state-machine",
			args:   []string{"testdata/task.asl.json", "--mocks", "testdata/task.mocks.json", "--state-machine", "Renamed"},
			output: `{"from":"Renamed"}`,
		},
		{
			name:   "unknown --state-machine",
			args:   []string{"testdata/task.asl.json", "--mocks", "testdata/task.mocks.json", "--state-machine", "Nope"},
			errors: []string{"Nope", "Renamed", "task"},
		},
		{
			name:   "several machines, none named after the file",
			args:   []string{"testdata/task-context.asl.json", "--mocks", "testdata/task.mocks.json"},
			errors: []string{"Renamed", "task"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run"}, tc.args...)
			args = append(args, "--test-case", "Returns")
			if tc.errors == nil {
				x := mustRun(t, "", args...)
				if x.status != "SUCCEEDED" {
					t.Fatalf("status = %s: %v", x.status, x.fields)
				}
				x.expectOutput(t, tc.output)
				return
			}
			r := statecraft(t, "", args...)
			if r.code == 0 || r.stdout != "" {
				t.Fatalf("want a non-zero exit and no stdout\n%s", r)
			}
			for _, w := range tc.errors {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not mention %q: %q", w, r.stderr)
				}
			}
		})
	}
}

// TestMocksRunOut: a mocked Task that runs more times than its response
// defines does not succeed. Whether that is a FAILED execution (exit 0) or
// an error of the run (non-zero exit) is left open here; either way the
// message must say which invocation was missing.
func TestMocksRunOut(t *testing.T) {
	r := statecraft(t, "", "run", "testdata/retry-exhausted.asl.json",
		"--mocks", "testdata/retry-exhausted.mocks.json", "--test-case", "RunsOut", "--fast-forward")
	if r.code == 0 {
		x := decodeExecution(t, r.stdout)
		if x.status != "FAILED" {
			t.Fatalf("status = %s, want FAILED", x.status)
		}
		return
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
	for _, w := range []string{"Call", "invocation 1"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr does not mention %q: %q", w, r.stderr)
		}
	}
}
