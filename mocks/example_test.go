package mocks

import (
	"strings"
	"testing"
)

// TestUserOnboardingExample loads the example's mock file and walks each test
// case along the path the state machine takes with those responses.
func TestUserOnboardingExample(t *testing.T) {
	cfg, err := Load("../examples/user-onboarding/mocks.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.StateMachines(), ","); got != "UserOnboarding" {
		t.Fatalf("StateMachines() = %s, want UserOnboarding", got)
	}
	cases, err := cfg.TestCases("UserOnboarding")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cases, ","); got != "HappyPath,NeverActive,RetryThenSucceed" {
		t.Fatalf("TestCases() = %s", got)
	}
	tasks := []string{"SendMessage1", "FetchActivityCount1", "SendMessage2", "FetchActivityCount2", "SendMessage3"}
	const (
		empty    = `{}`
		active   = `{"activities":1}`
		inactive = `{"activities":0}`
	)
	tests := []struct {
		testCase string
		steps    []step
	}{
		{testCase: "HappyPath", steps: []step{
			{state: "SendMessage1", ok: true, ret: empty},
			{state: "FetchActivityCount1", ok: true, ret: active}, // CheckActivityCount1 -> Done
		}},
		{testCase: "RetryThenSucceed", steps: []step{
			{state: "SendMessage1", ok: true, throw: "Error", cause: "error happened"},
			{state: "SendMessage1", ok: true, throw: "Error", cause: "error happened"},
			{state: "SendMessage1", ok: true, ret: empty},
			{state: "FetchActivityCount1", ok: true, ret: inactive}, // -> SendMessage2
			{state: "SendMessage2", ok: true, ret: empty},
			{state: "FetchActivityCount2", ok: true, ret: active}, // CheckActivityCount2 default -> Done
		}},
		{testCase: "NeverActive", steps: []step{
			{state: "SendMessage1", ok: true, ret: empty},
			{state: "FetchActivityCount1", ok: true, ret: inactive},
			{state: "SendMessage2", ok: true, ret: empty},
			{state: "FetchActivityCount2", ok: true, ret: inactive},
			{state: "SendMessage3", ok: true, ret: empty},
			{state: "Wait1", ok: false},
			{state: "Done", ok: false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.testCase, func(t *testing.T) {
			// Both the explicit name and the implied single state machine work.
			for _, machine := range []string{"UserOnboarding", ""} {
				tc, err := cfg.TestCase(machine, tt.testCase)
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.Join(tc.States(), ","); got != "FetchActivityCount1,FetchActivityCount2,SendMessage1,SendMessage2,SendMessage3" {
					t.Errorf("mocked states = %s, want every Task (%v)", got, tasks)
				}
				runSteps(t, tc, tt.steps)
			}
		})
	}
}
