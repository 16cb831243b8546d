package mocks

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

// awsExample is the mock configuration from AWS's documentation page.
const awsExample = `{
  "StateMachines":{
    "LambdaSQSIntegration":{
      "TestCases":{
        "HappyPath":{
          "LambdaState":"MockedLambdaSuccess",
          "SQSState":"MockedSQSSuccess"
        },
        "RetryPath":{
          "LambdaState":"MockedLambdaRetry",
          "SQSState":"MockedSQSSuccess"
        },
        "HybridPath":{
          "LambdaState":"MockedLambdaSuccess"
        }
      }
    }
  },
  "MockedResponses":{
    "MockedLambdaSuccess":{
      "0":{
        "Return":{
          "StatusCode":200,
          "Payload":{
            "StatusCode":200,
            "body":"Hello from Lambda!"
          }
        }
      }
    },
    "LambdaMockedResourceNotReady":{
      "0":{
        "Throw":{
          "Error":"Lambda.ResourceNotReadyException",
          "Cause":"Lambda resource is not ready."
        }
      }
    },
    "MockedSQSSuccess":{
      "0":{
        "Return":{
          "MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
          "MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"
        }
      }
    },
    "MockedLambdaRetry":{
      "0":{
        "Throw":{
          "Error":"Lambda.ResourceNotReadyException",
          "Cause":"Lambda resource is not ready."
        }
      },
      "1-2":{
        "Throw":{
          "Error":"Lambda.TimeoutException",
          "Cause":"Lambda timed out."
        }
      },
      "3":{
        "Return":{
          "StatusCode":200,
          "Payload":{
            "StatusCode":200,
            "body":"Hello from Lambda!"
          }
        }
      }
    }
  }
}`

// step is one expected Next call.
type step struct {
	state   string
	ok      bool   // state is mocked
	ret     string // expected Return as JSON (when no throw and no err)
	throw   string // expected Throw.Error
	cause   string // expected Throw.Cause
	errLike string // expected error substring
}

func runSteps(t *testing.T, tc *TestCase, steps []step) {
	t.Helper()
	for i, s := range steps {
		resp, ok, err := tc.Next(s.state)
		if ok != s.ok {
			t.Fatalf("step %d (%s): ok = %v, want %v", i, s.state, ok, s.ok)
		}
		if s.errLike != "" {
			if err == nil || !strings.Contains(err.Error(), s.errLike) {
				t.Fatalf("step %d (%s): err = %v, want containing %q", i, s.state, err, s.errLike)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d (%s): unexpected error %v", i, s.state, err)
		}
		if !ok {
			continue
		}
		if s.throw != "" {
			if resp.Throw == nil {
				t.Fatalf("step %d (%s): got Return %s, want Throw %s", i, s.state, jsonv.String(resp.Return), s.throw)
			}
			if resp.Throw.Error != s.throw || resp.Throw.Cause != s.cause {
				t.Fatalf("step %d (%s): Throw = %+v, want {%s %s}", i, s.state, *resp.Throw, s.throw, s.cause)
			}
			continue
		}
		if resp.Throw != nil {
			t.Fatalf("step %d (%s): got Throw %+v, want Return %s", i, s.state, *resp.Throw, s.ret)
		}
		want, err := jsonv.ParseString(s.ret)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonv.Equal(resp.Return, want) {
			t.Fatalf("step %d (%s): Return = %s, want %s", i, s.state, jsonv.String(resp.Return), s.ret)
		}
	}
}

func TestNext(t *testing.T) {
	const lambdaOK = `{"StatusCode":200,"Payload":{"StatusCode":200,"body":"Hello from Lambda!"}}`
	const sqsOK = `{"MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51","MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}`
	tests := []struct {
		name     string
		config   string
		machine  string
		testCase string
		steps    []step
	}{
		{
			name: "aws happy path", config: awsExample, machine: "LambdaSQSIntegration", testCase: "HappyPath",
			steps: []step{
				{state: "LambdaState", ok: true, ret: lambdaOK},
				{state: "SQSState", ok: true, ret: sqsOK},
			},
		},
		{
			name: "aws retry path: single key, range, then return", config: awsExample, machine: "LambdaSQSIntegration", testCase: "RetryPath",
			steps: []step{
				{state: "LambdaState", ok: true, throw: "Lambda.ResourceNotReadyException", cause: "Lambda resource is not ready."},
				{state: "LambdaState", ok: true, throw: "Lambda.TimeoutException", cause: "Lambda timed out."},
				{state: "LambdaState", ok: true, throw: "Lambda.TimeoutException", cause: "Lambda timed out."},
				{state: "LambdaState", ok: true, ret: lambdaOK},
				{state: "SQSState", ok: true, ret: sqsOK},
			},
		},
		{
			name: "aws hybrid path: unmocked state", config: awsExample, machine: "LambdaSQSIntegration", testCase: "HybridPath",
			steps: []step{
				{state: "LambdaState", ok: true, ret: lambdaOK},
				{state: "SQSState", ok: false},
				{state: "SQSState", ok: false},
			},
		},
		{
			name: "running past the last invocation fails", config: awsExample, machine: "LambdaSQSIntegration", testCase: "RetryPath",
			steps: []step{
				{state: "LambdaState", ok: true, throw: "Lambda.ResourceNotReadyException", cause: "Lambda resource is not ready."},
				{state: "LambdaState", ok: true, throw: "Lambda.TimeoutException", cause: "Lambda timed out."},
				{state: "LambdaState", ok: true, throw: "Lambda.TimeoutException", cause: "Lambda timed out."},
				{state: "LambdaState", ok: true, ret: lambdaOK},
				{state: "LambdaState", ok: true, errLike: `test case "RetryPath": state "LambdaState": no mocked response for invocation 4: MockedResponses.MockedLambdaRetry defines only invocations 0-3`},
				{state: "LambdaState", ok: true, errLike: "invocation 5"},
			},
		},
		{
			name: "single response used once, second call fails", config: awsExample, machine: "LambdaSQSIntegration", testCase: "HappyPath",
			steps: []step{
				{state: "SQSState", ok: true, ret: sqsOK},
				{state: "SQSState", ok: true, errLike: "no mocked response for invocation 1: MockedResponses.MockedSQSSuccess defines only invocation 0"},
				{state: "LambdaState", ok: true, ret: lambdaOK}, // counters are per state
			},
		},
		{
			name: "repeated responses over a long range; one response shared by two states",
			config: `{"StateMachines":{"M":{"TestCases":{"T":{"A":"R","B":"R","In Map":"R"}}}},
			  "MockedResponses":{"R":{"0-4":{"Return":"same"},"5":{"Return":[1,2.5,null,true]}}}}`,
			testCase: "T",
			steps: []step{
				{state: "A", ok: true, ret: `"same"`},
				{state: "B", ok: true, ret: `"same"`},
				{state: "A", ok: true, ret: `"same"`},
				{state: "A", ok: true, ret: `"same"`},
				{state: "A", ok: true, ret: `"same"`},
				{state: "A", ok: true, ret: `"same"`},
				{state: "A", ok: true, ret: `[1,2.5,null,true]`},
				{state: "A", ok: true, errLike: "invocation 6"},
				{state: "B", ok: true, ret: `"same"`},
				{state: "In Map", ok: true, ret: `"same"`},
				{state: "C", ok: false},
			},
		},
		{
			name: "throw then return, keys out of order in the file, null and scalar returns",
			config: `{"StateMachines":{"M":{"TestCases":{"T":{"S":"R","N":"Null"}}}},
			  "MockedResponses":{
			    "R":{"2":{"Return":42},"0-1":{"Throw":{"Error":"Lambda.ServiceException","Cause":""}}},
			    "Null":{"0":{"Return":null}}}}`,
			machine: "M", testCase: "T",
			steps: []step{
				{state: "S", ok: true, throw: "Lambda.ServiceException", cause: ""},
				{state: "N", ok: true, ret: `null`},
				{state: "S", ok: true, throw: "Lambda.ServiceException", cause: ""},
				{state: "S", ok: true, ret: `42`},
				{state: "S", ok: true, errLike: "defines only invocations 0-2"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			tc, err := cfg.TestCase(tt.machine, tt.testCase)
			if err != nil {
				t.Fatal(err)
			}
			runSteps(t, tc, tt.steps)
		})
	}
}

func TestReturnIsInt64(t *testing.T) {
	cfg, err := Parse([]byte(`{"StateMachines":{"M":{"TestCases":{"T":{"S":"R"}}}},"MockedResponses":{"R":{"0":{"Return":{"n":1,"f":1.5}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := cfg.TestCase("", "T")
	resp, _, _ := tc.Next("S")
	m := resp.Return.(*jsonv.Object).Map()
	if _, ok := m["n"].(int64); !ok {
		t.Errorf("n is %T, want int64", m["n"])
	}
	if _, ok := m["f"].(float64); !ok {
		t.Errorf("f is %T, want float64", m["f"])
	}
}

func TestTestCaseLookup(t *testing.T) {
	two := `{"StateMachines":{
	    "Alpha":{"TestCases":{"T1":{},"T2":{"S":"R"}}},
	    "Beta":{"TestCases":{"Only":{"S":"R"}}}},
	  "MockedResponses":{"R":{"0":{"Return":{}}}}}`
	none := `{"StateMachines":{},"MockedResponses":{}}`
	tests := []struct {
		name, config, machine, testCase string
		wantMachine                     string
		errLike                         string
	}{
		{name: "single machine by name", config: awsExample, machine: "LambdaSQSIntegration", testCase: "HappyPath", wantMachine: "LambdaSQSIntegration"},
		{name: "single machine implied", config: awsExample, testCase: "RetryPath", wantMachine: "LambdaSQSIntegration"},
		{name: "empty test case (nothing mocked) is allowed", config: two, machine: "Alpha", testCase: "T1", wantMachine: "Alpha"},
		{name: "missing state machine", config: awsExample, machine: "Nope", testCase: "HappyPath",
			errLike: `state machine "Nope" is not in the mock config's StateMachines (available: "LambdaSQSIntegration")`},
		{name: "missing test case", config: awsExample, machine: "LambdaSQSIntegration", testCase: "SadPath",
			errLike: `test case "SadPath" is not defined for state machine "LambdaSQSIntegration" (available: "HappyPath", "HybridPath", "RetryPath")`},
		{name: "missing test case, implied machine", config: awsExample, testCase: "SadPath",
			errLike: `test case "SadPath" is not defined for state machine "LambdaSQSIntegration"`},
		{name: "empty test case name", config: awsExample, testCase: "",
			errLike: `a test case name is required for state machine "LambdaSQSIntegration" (available: "HappyPath", "HybridPath", "RetryPath")`},
		{name: "ambiguous machine", config: two, testCase: "Only",
			errLike: `defines 2 state machines, name one: "Alpha", "Beta"`},
		{name: "second machine by name", config: two, machine: "Beta", testCase: "Only", wantMachine: "Beta"},
		{name: "test case of other machine", config: two, machine: "Alpha", testCase: "Only",
			errLike: `test case "Only" is not defined for state machine "Alpha" (available: "T1", "T2")`},
		{name: "no machines", config: none, testCase: "X", errLike: "defines no state machines"},
		{name: "no machines, named", config: none, machine: "M", testCase: "X", errLike: `state machine "M" is not in the mock config's StateMachines (available: none)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			tc, err := cfg.TestCase(tt.machine, tt.testCase)
			if tt.errLike != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errLike) {
					t.Fatalf("err = %v, want containing %q", err, tt.errLike)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.StateMachine != tt.wantMachine || tc.Name != tt.testCase {
				t.Fatalf("got %s/%s, want %s/%s", tc.StateMachine, tc.Name, tt.wantMachine, tt.testCase)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	// wrap builds a config whose test case T of machine M maps S to R and
	// whose MockedResponses.R is resp.
	wrap := func(resp string) string {
		return `{"StateMachines":{"M":{"TestCases":{"T":{"S":"R"}}}},"MockedResponses":{"R":` + resp + `}}`
	}
	tests := []struct {
		name   string
		config string
		errs   []string // substrings that must all appear
	}{
		{name: "not JSON", config: `{"StateMachines":`, errs: []string{"invalid JSON"}},
		{name: "not an object", config: `[]`, errs: []string{"must be a JSON object", "not array"}},
		{name: "unknown top-level field (singular typo)", config: `{"StateMachines":{},"MockedResponse":{}}`,
			errs: []string{"MockedResponse: unknown field", "missing top-level field MockedResponses"}},
		{name: "missing StateMachines", config: `{"MockedResponses":{}}`, errs: []string{"missing top-level field StateMachines"}},
		{name: "StateMachines not object", config: `{"StateMachines":[],"MockedResponses":{}}`,
			errs: []string{"StateMachines: must be an object, not array"}},
		{name: "state machine without TestCases", config: `{"StateMachines":{"M":{}},"MockedResponses":{}}`,
			errs: []string{"StateMachines.M: missing field TestCases"}},
		{name: "state machine with extra field", config: `{"StateMachines":{"M":{"TestCases":{},"Definition":{}}},"MockedResponses":{}}`,
			errs: []string{"StateMachines.M.Definition: unknown field"}},
		{name: "test case not object", config: `{"StateMachines":{"M":{"TestCases":{"T":"R"}}},"MockedResponses":{}}`,
			errs: []string{"StateMachines.M.TestCases.T: must be an object, not string"}},
		{name: "state mapped to non-string", config: `{"StateMachines":{"M":{"TestCases":{"T":{"S":{"0":{"Return":1}}}}}},"MockedResponses":{}}`,
			errs: []string{"StateMachines.M.TestCases.T.S: must be the name of a mocked response (a string), not object"}},
		{name: "missing response name", config: `{"StateMachines":{"My Machine":{"TestCases":{"Happy Path":{"Send Message":"welcome"}}}},"MockedResponses":{}}`,
			errs: []string{`StateMachines."My Machine".TestCases."Happy Path"."Send Message": mocked response "welcome" is not defined in MockedResponses`}},
		{name: "invalid range key x", config: `{"StateMachines":{},"MockedResponses":{"welcomeFails":{"0":{"Return":{}},"1-x":{"Return":{}}}}}`,
			errs: []string{`MockedResponses.welcomeFails."1-x": invalid invocation range`}},
		{name: "invalid range key negative", config: wrap(`{"-1":{"Return":{}}}`), errs: []string{`MockedResponses.R."-1": invalid invocation range`}},
		{name: "invalid range key spaces", config: wrap(`{"0 - 1":{"Return":{}}}`), errs: []string{`MockedResponses.R."0 - 1": invalid invocation range`}},
		{name: "invalid range key three parts", config: wrap(`{"0-1-2":{"Return":{}}}`), errs: []string{`MockedResponses.R."0-1-2": invalid invocation range`}},
		{name: "invalid range key open", config: wrap(`{"0-":{"Return":{}}}`), errs: []string{`MockedResponses.R."0-": invalid invocation range`}},
		{name: "invalid range key word", config: wrap(`{"first":{"Return":{}}}`), errs: []string{`MockedResponses.R.first: invalid invocation range`}},
		{name: "invalid range key huge", config: wrap(`{"0-99999999999999999999":{"Return":{}}}`), errs: []string{`invalid invocation range`}},
		{name: "reversed range", config: wrap(`{"0":{"Return":{}},"3-1":{"Return":{}}}`),
			errs: []string{`MockedResponses.R."3-1": invalid invocation range: start 3 is after end 1`}},
		{name: "overlapping ranges", config: wrap(`{"0-2":{"Return":{}},"2-3":{"Return":{}}}`),
			errs: []string{`MockedResponses.R."2-3": invocation range overlaps "0-2"`}},
		{name: "same invocation twice", config: wrap(`{"0-5":{"Return":{}},"3":{"Return":{}}}`),
			errs: []string{`MockedResponses.R."3": invocation range overlaps "0-5"`}},
		{name: "gap", config: wrap(`{"0":{"Return":{}},"3":{"Return":{}}}`),
			errs: []string{`MockedResponses.R: no response for invocation 1-2: invocation numbers must be consecutive from 0`}},
		{name: "not starting at 0", config: wrap(`{"1":{"Return":{}}}`),
			errs: []string{`MockedResponses.R: no response for invocation 0:`}},
		{name: "no invocations", config: wrap(`{}`), errs: []string{`MockedResponses.R: defines no invocations`}},
		{name: "both Return and Throw", config: wrap(`{"0":{"Return":{},"Throw":{"Error":"E","Cause":"C"}}}`),
			errs: []string{`MockedResponses.R."0": has both Return and Throw; an entry must contain exactly one of them`}},
		{name: "neither Return nor Throw", config: wrap(`{"0":{}}`),
			errs: []string{`MockedResponses.R."0": must contain a single field named Return or Throw`}},
		{name: "extra field beside Return", config: wrap(`{"0":{"Return":{},"Delay":1}}`),
			errs: []string{`MockedResponses.R."0".Delay: unknown field`}},
		{name: "entry not object", config: wrap(`{"0":"ok"}`), errs: []string{`MockedResponses.R."0": must be an object, not string`}},
		{name: "Throw not object", config: wrap(`{"0":{"Throw":"Lambda.ServiceException"}}`),
			errs: []string{`MockedResponses.R."0".Throw: must be an object, not string`}},
		{name: "Throw missing Cause", config: wrap(`{"0":{"Throw":{"Error":"E"}}}`),
			errs: []string{`MockedResponses.R."0".Throw: missing field Cause (a string)`}},
		{name: "Throw missing Error", config: wrap(`{"0":{"Throw":{"Cause":"C"}}}`),
			errs: []string{`MockedResponses.R."0".Throw: missing field Error (a string)`}},
		{name: "Throw Error not string", config: wrap(`{"0":{"Throw":{"Error":5,"Cause":"C"}}}`),
			errs: []string{`MockedResponses.R."0".Throw.Error: must be a string, not number`}},
		{name: "Throw empty Error", config: wrap(`{"0":{"Throw":{"Error":"","Cause":"C"}}}`),
			errs: []string{`MockedResponses.R."0".Throw.Error: must not be empty`}},
		{name: "Throw extra field", config: wrap(`{"0":{"Throw":{"Error":"E","Cause":"C","Message":"m"}}}`),
			errs: []string{`MockedResponses.R."0".Throw.Message: unknown field`}},
		{name: "duplicate test case", config: `{"StateMachines":{"M":{"TestCases":{"T":{},"T":{}}}},"MockedResponses":{}}`,
			errs: []string{`StateMachines.M.TestCases.T: duplicate key`}},
		{name: "duplicate mocked response", config: `{"StateMachines":{},"MockedResponses":{"R":{"0":{"Return":1}},"R":{"0":{"Return":2}}}}`,
			errs: []string{`MockedResponses.R: duplicate key`}},
		{name: "duplicate invocation key", config: wrap(`{"0":{"Return":1},"0":{"Return":2}}`),
			errs: []string{`MockedResponses.R."0": duplicate key`}},
		{name: "several problems are all reported",
			config: `{"StateMachines":{"M":{"TestCases":{"T":{"A":"Missing"}}}},"MockedResponses":{"R":{"x":{"Return":1},"0":{"Return":1,"Throw":{"Error":"E","Cause":"C"}}}}}`,
			errs: []string{`MockedResponses.R.x: invalid invocation range`, `MockedResponses.R."0": has both Return and Throw`,
				`StateMachines.M.TestCases.T.A: mocked response "Missing" is not defined`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.config))
			if err == nil {
				t.Fatalf("Parse succeeded (%v), want error", cfg.StateMachines())
			}
			for _, want := range tt.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "MockConfigFile.json")
	if err := os.WriteFile(good, []byte(awsExample), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.StateMachines(), ","); got != "LambdaSQSIntegration" {
		t.Errorf("StateMachines() = %s", got)
	}
	cases, err := cfg.TestCases("")
	if err != nil || strings.Join(cases, ",") != "HappyPath,HybridPath,RetryPath" {
		t.Errorf("TestCases() = %v, %v", cases, err)
	}
	m, ok := cfg.MockedResponse("MockedLambdaRetry")
	if !ok || m.Invocations() != 4 || len(m.Ranges) != 3 || m.Ranges[1].Key != "1-2" {
		t.Errorf("MockedResponse(MockedLambdaRetry) = %+v", m)
	}
	if _, ok := m.Lookup(4); ok {
		t.Error("Lookup(4) found a response")
	}
	if _, ok := m.Lookup(-1); ok {
		t.Error("Lookup(-1) found a response")
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"StateMachines":{},"MockedResponses":{"welcomeFails":{"1-x":{"Return":{}}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	if err == nil || !strings.HasPrefix(err.Error(), bad+`: MockedResponses.welcomeFails."1-x": invalid invocation range`) {
		t.Errorf("Load(bad) error = %v", err)
	}
	multi := filepath.Join(dir, "multi.json")
	if err := os.WriteFile(multi, []byte(`{"StateMachines":{"M":{"TestCases":{"T":{"S":"Nope"}}}},"MockedResponses":{"R":{"0":{}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(multi)
	var perr *Error
	if !errors.As(err, &perr) || perr.File != multi || len(perr.Problems) != 2 {
		t.Fatalf("Load(multi) error = %#v", err)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, multi+": ") {
			t.Errorf("line %q lacks the file prefix", line)
		}
	}
	if _, err := Load(filepath.Join(dir, "absent.json")); err == nil || !strings.Contains(err.Error(), "absent.json") {
		t.Errorf("Load(absent) error = %v", err)
	}
}

func TestTestCaseIsPerExecution(t *testing.T) {
	cfg, err := Parse([]byte(awsExample))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cfg.TestCase("", "HappyPath")
	b, _ := cfg.TestCase("", "HappyPath")
	if _, _, err := a.Next("SQSState"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Next("SQSState"); err != nil {
		t.Fatalf("second execution shares counters with the first: %v", err)
	}
	if a.Invocations("SQSState") != 1 || b.Invocations("SQSState") != 1 {
		t.Error("Invocations not counted per execution")
	}
	if name, ok := a.ResponseName("SQSState"); !ok || name != "MockedSQSSuccess" {
		t.Errorf("ResponseName = %q, %v", name, ok)
	}
	if got := strings.Join(a.States(), ","); got != "LambdaState,SQSState" {
		t.Errorf("States() = %s", got)
	}
}

// Map iterations may call Next concurrently: every invocation number must be
// handed out exactly once.
func TestNextConcurrent(t *testing.T) {
	cfg, err := Parse([]byte(`{"StateMachines":{"M":{"TestCases":{"T":{"Item":"R"}}}},
	  "MockedResponses":{"R":{"0-49":{"Return":"a"},"50-99":{"Return":"b"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := cfg.TestCase("M", "T")
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[any]int{}
	for range 110 {
		wg.Go(func() {
			resp, _, err := tc.Next("Item")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				counts["err"]++
			} else {
				counts[resp.Return]++
			}
		})
	}
	wg.Wait()
	if counts["a"] != 50 || counts["b"] != 50 || counts["err"] != 10 {
		t.Errorf("counts = %v", counts)
	}
}
