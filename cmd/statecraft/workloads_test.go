package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// workloadsDir holds the shared benchmark workloads, outside the repository.
const workloadsDir = "../../../shared/bench/workloads"

// workloadArgs are the extra flags some workloads need.
var workloadArgs = map[string][]string{
	// The input is 457 KiB, over AWS's 256 KiB payload limit.
	"w4-map-10k": {"--max-payload", "-1", "--max-events", "-1"},
	// Lambda tasks, served from a mock file.
	"w3-onboarding": {"--mocks", "testdata/w3-onboarding.mocks.json", "--test-case", "FailOnceThenRemind"},
}

// workloadOutputs check the output of the workloads whose result is known.
var workloadOutputs = map[string]func(t *testing.T, out json.RawMessage){
	"w1-pass-chain-params": equalTo(`{"k":999,"prev":998,"v":"payload"}`),
	"w1-pass-chain-result": equalTo(`{"k":-1,"r":{"k":999},"v":"payload"}`),
	"w2-choice":            equalTo(`{"n":7,"size":"small","tag":"w2"}`),
	"w3-onboarding": equalTo(`{"userId":"u0","waitSeconds":0,
		"welcome":{"sent":true},"count":{"count":0},"reminder":{"sent":true}}`),
	"w4-map-10k": func(t *testing.T, out json.RawMessage) {
		var items []struct {
			ID int  `json:"id"`
			OK bool `json:"ok"`
		}
		if err := json.Unmarshal(out, &items); err != nil {
			t.Fatalf("output: %v", err)
		}
		if len(items) != 10000 {
			t.Fatalf("output has %d items, want 10000", len(items))
		}
		for i, it := range items {
			if it.ID != i || !it.OK {
				t.Fatalf("output[%d] = %+v, want id %d, ok true", i, it, i)
			}
		}
	},
	"w5-parallel-10x10": func(t *testing.T, out json.RawMessage) {
		var want []string
		for b := range 10 {
			want = append(want, fmt.Sprintf(`{"b":%d,"k":9,"v":"payload"}`, b))
		}
		equalTo("["+strings.Join(want, ",")+"]")(t, out)
	},
}

func equalTo(want string) func(t *testing.T, out json.RawMessage) {
	return func(t *testing.T, out json.RawMessage) {
		t.Helper()
		if !jsonEqual(t, out, []byte(want)) {
			t.Errorf("output = %.300s, want %s", out, want)
		}
	}
}

// TestWorkloads: every benchmark workload runs to SUCCEEDED with its input.
func TestWorkloads(t *testing.T) {
	defs, _ := filepath.Glob(filepath.Join(workloadsDir, "*.asl.json"))
	if len(defs) == 0 {
		t.Skipf("no workloads in %s (the shared benchmark directory is not next to the repository)", workloadsDir)
	}
	for _, def := range defs {
		name := strings.TrimSuffix(filepath.Base(def), ".asl.json")
		t.Run(name, func(t *testing.T) {
			input := filepath.Join(workloadsDir, name+".input.json")
			if _, err := os.Stat(input); err != nil {
				t.Fatalf("workload without input: %v", err)
			}
			args := append([]string{"run", def, "--input", "@" + input, "--fast-forward"}, workloadArgs[name]...)
			x := mustRun(t, "", args...)
			if x.status != "SUCCEEDED" {
				t.Fatalf("status = %s, want SUCCEEDED (error %s, cause %s)", x.status, x.fields["error"], x.fields["cause"])
			}
			x.expectKeys(t, "output", "status")
			if check := workloadOutputs[name]; check != nil {
				check(t, x.fields["output"])
			}
		})
	}
}

// TestWorkloadOverPayloadLimit: without --max-payload the 457 KiB input of
// w4 is refused before the execution starts, saying why.
func TestWorkloadOverPayloadLimit(t *testing.T) {
	def := filepath.Join(workloadsDir, "w4-map-10k.asl.json")
	if _, err := os.Stat(def); err != nil {
		t.Skipf("workload w4-map-10k not found in %s: %v", workloadsDir, err)
	}
	r := statecraft(t, "", "run", def, "--input", "@"+filepath.Join(workloadsDir, "w4-map-10k.input.json"))
	if r.code == 0 {
		t.Fatalf("want a non-zero exit code\n%.500s", r)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %.200q, want nothing", r.stdout)
	}
	for _, w := range []string{"input", "262144", "--max-payload"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr does not mention %q: %q", w, r.stderr)
		}
	}
}

// TestWorkloadOverEventLimit: a Map over 10,000 items records 40,006
// events, past AWS's 25,000, so it fails unless --max-events lifts it.
func TestWorkloadOverEventLimit(t *testing.T) {
	dir := workloadsDir
	if _, err := os.Stat(filepath.Join(dir, "w4-map-10k.asl.json")); err != nil {
		t.Skipf("workloads not found in %s (shared/ must sit beside the repository)", dir)
	}
	r := statecraft(t, "", "run", filepath.Join(dir, "w4-map-10k.asl.json"), "--input", "@"+filepath.Join(dir, "w4-map-10k.input.json"), "--max-payload", "-1")
	if r.code != 0 {
		t.Fatal(r)
	}
	var res struct{ Status, Error, Cause string }
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != "FAILED" || res.Error != "States.Runtime" || !strings.Contains(res.Cause, "25000 history events") {
		t.Fatalf("got %+v, want FAILED States.Runtime about the 25000 event limit", res)
	}
}
