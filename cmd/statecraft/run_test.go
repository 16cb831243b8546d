package main

import (
	"math/big"
	"strings"
	"testing"
	"time"
)

// TestRunStatuses: run prints one JSON object with the status and either
// the output or the error and cause, and exits 0 whatever the status.
func TestRunStatuses(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		status     string
		keys       []string // result members without history
		output     string   // for SUCCEEDED
		error      string   // for FAILED and TIMED_OUT
		cause      string
		finalEvent string
	}{
		{
			name:       "succeeded",
			args:       []string{"testdata/echo.asl.json", "--input", `{"a":1}`},
			status:     "SUCCEEDED",
			keys:       []string{"output", "status"},
			output:     `{"a":1}`,
			finalEvent: "ExecutionSucceeded",
		},
		{
			name:       "failed via a Fail state",
			args:       []string{"testdata/fail.asl.json"},
			status:     "FAILED",
			keys:       []string{"cause", "error", "status"},
			error:      "MyApp.Broken",
			cause:      "it broke",
			finalEvent: "ExecutionFailed",
		},
		{
			name:   "timed out via TimeoutSeconds",
			args:   []string{"testdata/timeout.asl.json", "--fast-forward"},
			status: "TIMED_OUT",
			// AWS gives a timed-out execution the error States.Timeout
			// and no cause; checked below without the cause member.
			keys:       nil,
			error:      "States.Timeout",
			finalEvent: "ExecutionTimedOut",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, history := range []bool{false, true} {
				args := append([]string{"run"}, tc.args...)
				if history {
					args = append(args, "--history")
				}
				x := mustRun(t, "", args...)
				if x.status != tc.status {
					t.Fatalf("%v: status = %q, want %q", args, x.status, tc.status)
				}
				if _, ok := x.fields["history"]; ok != history {
					t.Errorf("%v: history member present = %v, want %v", args, ok, history)
				}
				delete(x.fields, "history")
				if tc.keys != nil {
					x.expectKeys(t, tc.keys...)
				}
				if tc.status == "SUCCEEDED" {
					x.expectOutput(t, tc.output)
				} else {
					if _, ok := x.fields["output"]; ok {
						t.Errorf("%v: a %s result has an output member", args, tc.status)
					}
					if got := x.str(t, "error"); got != tc.error {
						t.Errorf("%v: error = %q, want %q", args, got, tc.error)
					}
					if tc.cause != "" {
						if got := x.str(t, "cause"); got != tc.cause {
							t.Errorf("%v: cause = %q, want %q", args, got, tc.cause)
						}
					}
				}
				if !history {
					continue
				}
				last := x.history[len(x.history)-1]
				if last.typ != tc.finalEvent {
					t.Errorf("%v: last event is %s, want %s", args, last.typ, tc.finalEvent)
				}
				if tc.error != "" {
					d := last.details(t, detailsMember(last.typ))
					if d["error"] != tc.error {
						t.Errorf("%v: %s error = %v, want %q", args, last.typ, d["error"], tc.error)
					}
				}
			}
		})
	}
}

// TestRunTimeoutClock: the execution times out TimeoutSeconds after it
// started on the fast-forwarded clock, in the middle of the hour-long Wait.
func TestRunTimeoutClock(t *testing.T) {
	x := mustRun(t, "", "run", "testdata/timeout.asl.json", "--fast-forward", "--history")
	h := x.history
	types := make([]string, len(h))
	for i, e := range h {
		types[i] = e.typ
	}
	want := "ExecutionStarted,WaitStateEntered,ExecutionTimedOut"
	if got := strings.Join(types, ","); got != want {
		t.Fatalf("events = %s, want %s", got, want)
	}
	if d := seconds(h[0], h[2]); d.Cmp(big.NewRat(5, 1)) != 0 {
		t.Errorf("timed out %s s after the start, want 5", d.FloatString(3))
	}
}

// TestRunHistory checks --history on a run that goes through a Pass and a
// Fail state: the events in order, and each event's details.
func TestRunHistory(t *testing.T) {
	x := mustRun(t, "", "run", "testdata/fail.asl.json", "--history", "--input", `{"k":"v"}`)
	h := x.history
	var types []string
	for _, e := range h {
		types = append(types, e.typ)
	}
	want := "ExecutionStarted,PassStateEntered,PassStateExited,FailStateEntered,ExecutionFailed"
	if got := strings.Join(types, ","); got != want {
		t.Fatalf("events = %s\nwant      %s", got, want)
	}
	started := h[0].details(t, "executionStartedEventDetails")
	if started["input"] != `{"k":"v"}` {
		t.Errorf("executionStartedEventDetails.input = %#v, want the input as a JSON string", started["input"])
	}
	if got := enteredStates(t, h); strings.Join(got, ",") != "Prepare,Broken" {
		t.Errorf("entered states = %v", got)
	}
	if got := h[2].stateName(t); got != "Prepare" {
		t.Errorf("PassStateExited name = %q", got)
	}
	failed := h[4].details(t, "executionFailedEventDetails")
	if failed["error"] != "MyApp.Broken" || failed["cause"] != "it broke" {
		t.Errorf("executionFailedEventDetails = %v", failed)
	}
}

// TestRunInput: the forms of --input, and the default {}.
func TestRunInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"default is {}", nil, `{}`},
		{"inline JSON", []string{"--input", `{"a":1}`}, `{"a":1}`},
		{"@file", []string{"--input", "@testdata/input.json"}, `{"a":1,"nested":{"b":[true,null,"x"]}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "testdata/echo.asl.json", "--history"}, tc.args...)
			x := mustRun(t, "", args...)
			if x.status != "SUCCEEDED" {
				t.Fatalf("status = %s", x.status)
			}
			x.expectOutput(t, tc.want)
			in, _ := x.history[0].details(t, "executionStartedEventDetails")["input"].(string)
			if !jsonEqual(t, []byte(in), []byte(tc.want)) {
				t.Errorf("ExecutionStarted input = %s, want %s", in, tc.want)
			}
		})
	}
}

// TestRunBadInput: --input that is not JSON, or names a file that cannot be
// read, fails with a message and prints no result.
func TestRunBadInput(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string // substrings of stderr
	}{
		{"not JSON", `{bad`, []string{"--input", "not valid JSON"}},
		{"trailing text", `{"a":1} x`, []string{"--input", "not valid JSON"}},
		{"empty object unclosed", `{`, []string{"--input", "not valid JSON"}},
		{"@file not JSON", "@testdata/not-json.txt", []string{"--input", "not valid JSON"}},
		{"@file missing", "@testdata/no-such-input.json", []string{"no-such-input.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := statecraft(t, "", "run", "testdata/echo.asl.json", "--input", tc.input)
			if r.code == 0 {
				t.Fatalf("want a non-zero exit code\n%s", r)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not mention %q", r.stderr, w)
				}
			}
		})
	}
}

// TestRunInvalidDefinition: run refuses an invalid definition with exit
// code 2, one "POINTER: message" line per problem on stderr and nothing on
// stdout; the lines are the ones validate prints.
func TestRunInvalidDefinition(t *testing.T) {
	tests := []struct {
		file     string
		pointers []string
	}{
		{"testdata/invalid.asl.json", []string{"/States/First/Next", "/States/Orphan"}},
		{"testdata/syntax-error.asl.json", []string{"/"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			r := statecraft(t, "", "run", tc.file, "--input", `{"a":1}`)
			if r.code != 2 {
				t.Fatalf("want exit code 2\n%s", r)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			got := problems(t, r.stderr)
			if strings.Join(got, " ") != strings.Join(tc.pointers, " ") {
				t.Errorf("pointers = %v, want %v\nstderr: %s", got, tc.pointers, r.stderr)
			}
			v := statecraft(t, "", "validate", tc.file)
			if v.code != 1 || v.stdout != r.stderr {
				t.Errorf("validate disagrees with run:\nrun stderr: %s\nvalidate: %s", r.stderr, v)
			}
		})
	}
	// The messages say what is wrong.
	r := statecraft(t, "", "run", "testdata/invalid.asl.json")
	for _, w := range []string{"Missing", "Orphan"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr does not mention %q: %s", w, r.stderr)
		}
	}
}

// TestRunTaskWithoutMocks: a Task state with nothing to serve it fails the
// run with a message naming the state.
func TestRunTaskWithoutMocks(t *testing.T) {
	r := statecraft(t, "", "run", "testdata/task.asl.json", "--fast-forward")
	if r.code == 0 {
		t.Fatalf("want a non-zero exit code\n%s", r)
	}
	if !strings.Contains(r.stderr, "CallLambda") {
		t.Errorf("stderr does not name the state CallLambda: %q", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
}

// TestRunMissingDefinition: a definition file that does not exist.
func TestRunMissingDefinition(t *testing.T) {
	r := statecraft(t, "", "run", "testdata/no-such-machine.asl.json")
	if r.code == 0 || r.stdout != "" || !strings.Contains(r.stderr, "no-such-machine.asl.json") {
		t.Errorf("want a non-zero exit, no stdout and the file named on stderr\n%s", r)
	}
}

// TestRunExecutionFlags: --name, --region and --account reach the context
// object; the state machine is named after the file.
func TestRunExecutionFlags(t *testing.T) {
	x := mustRun(t, "", "run", "testdata/context.asl.json",
		"--name", "my-exec", "--region", "eu-west-1", "--account", "111122223333")
	x.expectOutput(t, `{
		"executionId": "arn:aws:states:eu-west-1:111122223333:execution:context:my-exec",
		"executionName": "my-exec",
		"stateMachineId": "arn:aws:states:eu-west-1:111122223333:stateMachine:context",
		"stateMachineName": "context",
		"roleArn": "arn:aws:iam::111122223333:role/statecraft-run"
	}`)
}

// TestRunRealWait: without --fast-forward a Wait really waits. Only a lower
// bound is checked.
func TestRunRealWait(t *testing.T) {
	start := time.Now()
	x := mustRun(t, "", "run", "testdata/wait-1s.asl.json")
	elapsed := time.Since(start)
	if x.status != "SUCCEEDED" {
		t.Fatalf("status = %s", x.status)
	}
	if elapsed < 950*time.Millisecond {
		t.Errorf("a 1 s Wait returned after %v", elapsed)
	}
}

// TestRunUsage: run and validate take exactly one definition.
func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{{"run"}, {"validate"}, {"run", "a.json", "b.json"}} {
		r := statecraft(t, "", args...)
		if r.code == 0 || r.stdout != "" || r.stderr == "" {
			t.Errorf("%v: want a non-zero exit and a message on stderr\n%s", args, r)
		}
	}
}
