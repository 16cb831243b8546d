// Package bench holds the in-process benchmarks of the interpreter on the
// shared workloads (shared/bench/workloads), run Express-style: no history,
// no durability, one execution per operation. Each workload reports
// transitions/s, and BenchmarkJSONRoundTrip measures one encoding/json
// decode+encode of the same input payload, the baseline to quote beside
// them because these machines are shared and noisy.
//
//	go test -run XXX -bench . -benchtime 2s ./bench/
package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

func workloadsDir() string {
	if d := os.Getenv("STATECRAFT_WORKLOADS_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "bench", "workloads")
}

func load(b *testing.B, name string) (*asl.StateMachine, []byte) {
	b.Helper()
	dir := workloadsDir()
	def, err := os.ReadFile(filepath.Join(dir, name+".asl.json"))
	if err != nil {
		b.Skipf("workload %s not found in %s (shared/ must sit beside the repository): %v", name, dir, err)
	}
	input, err := os.ReadFile(filepath.Join(dir, name+".input.json"))
	if err != nil {
		b.Fatal(err)
	}
	if problems := asl.Validate(def, asl.ValidateOptions{}); len(problems) > 0 {
		b.Fatalf("%s: %v", name, problems)
	}
	sm, err := asl.Parse(def)
	if err != nil {
		b.Fatal(err)
	}
	return sm, input
}

var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func info(input any) interp.Info {
	return interp.Info{
		ExecutionArn:     "arn:aws:states:us-east-1:123456789012:execution:bench:x",
		Name:             "x",
		StateMachineArn:  "arn:aws:states:us-east-1:123456789012:stateMachine:bench",
		StateMachineName: "bench",
		Input:            input,
	}
}

// runOne runs one execution to completion and returns its transitions.
// With keep, its events are kept past Release, as runner.Run keeps them
// for its caller; otherwise they are handed back first, as a durable host
// hands back the events of each step once it has stored them.
func runOne(b *testing.B, m *interp.Machine, input any, keep bool) int64 {
	x, cmds := m.Start(info(input), start, 1)
	if x.Status != interp.Succeeded || len(cmds) != 0 {
		b.Fatalf("execution ended %s (%s: %s)", x.Status, x.Error, x.Cause)
	}
	n := x.Transitions
	if !keep {
		x.ClearHistory()
	}
	// As runner.Run does once an execution has ended.
	x.Release()
	return n
}

func benchWorkload(b *testing.B, name string, opts interp.Options, inputs func(i int, base any) any) {
	benchRuns(b, name, opts, inputs, false)
}

func benchRuns(b *testing.B, name string, opts interp.Options, inputs func(i int, base any) any, keep bool) {
	sm, raw := load(b, name)
	base, err := jsonv.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	m := interp.New(sm, opts)
	b.ReportAllocs()
	b.ResetTimer()
	var transitions int64
	for i := 0; i < b.N; i++ {
		in := base
		if inputs != nil {
			in = inputs(i, base)
		}
		transitions += runOne(b, m, in, keep)
	}
	elapsed := b.Elapsed().Seconds()
	b.ReportMetric(float64(transitions)/elapsed, "transitions/s")
	b.ReportMetric(elapsed*1e9/float64(transitions), "ns/transition")
	// bench/peers divides the peer's time by this count, so both engines
	// are measured per the same states entered.
	b.ReportMetric(float64(transitions)/float64(b.N), "transitions/op")
}

func BenchmarkW1PassChainParams(b *testing.B) {
	benchWorkload(b, "w1-pass-chain-params", interp.Options{}, nil)
}

func BenchmarkW1PassChainResult(b *testing.B) {
	benchWorkload(b, "w1-pass-chain-result", interp.Options{}, nil)
}

// W2 runs executions with n = i % 100, as the peers were run.
func BenchmarkW2Choice(b *testing.B) {
	var ins [100]any
	for i := range ins {
		ins[i] = jsonv.ObjectOf("n", int64(i))
	}
	benchWorkload(b, "w2-choice", interp.Options{}, func(i int, _ any) any { return ins[i%100] })
}

// W4's input is 457 KiB, over AWS's limit, so the limit is lifted as the
// workload README says.
func BenchmarkW4Map10k(b *testing.B) {
	benchWorkload(b, "w4-map-10k", interp.Options{MaxPayload: -1}, nil)
}

func BenchmarkW5Parallel10x10(b *testing.B) {
	benchWorkload(b, "w5-parallel-10x10", interp.Options{}, nil)
}

// W2 with history on: the cost a durable execution pays for its events,
// recorded in full (details, input and output texts) and handed back once
// stored (ClearHistory), as the engine does after each step.
func BenchmarkW2ChoiceHistory(b *testing.B) {
	var ins [100]any
	for i := range ins {
		ins[i] = jsonv.ObjectOf("n", int64(i))
	}
	benchWorkload(b, "w2-choice", interp.Options{History: true}, func(i int, _ any) any { return ins[i%100] })
}

// W2 with history on, its events kept past the execution's end, as
// runner.Run returns them: each execution's events take memory of their
// own.
func BenchmarkW2ChoiceHistoryKept(b *testing.B) {
	var ins [100]any
	for i := range ins {
		ins[i] = jsonv.ObjectOf("n", int64(i))
	}
	benchRuns(b, "w2-choice", interp.Options{History: true}, func(i int, _ any) any { return ins[i%100] }, true)
}

// BenchmarkJSONRoundTrip is the baseline: one encoding/json decode and
// encode of each workload's input payload.
func BenchmarkJSONRoundTrip(b *testing.B) {
	for _, name := range []string{"w1-pass-chain-params", "w2-choice", "w4-map-10k", "w5-parallel-10x10"} {
		b.Run(name, func(b *testing.B) {
			_, raw := load(b, name)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var v any
				if err := json.Unmarshal(raw, &v); err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestWorkloadsSucceed keeps the benchmarks honest: every workload must run
// to SUCCEEDED with the expected shape of output.
func TestWorkloadsSucceed(t *testing.T) {
	dir := workloadsDir()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("workloads not found in %s (shared/ must sit beside the repository)", dir)
	}
	for _, name := range []string{"w1-pass-chain-params", "w1-pass-chain-result", "w2-choice", "w4-map-10k", "w5-parallel-10x10"} {
		t.Run(name, func(t *testing.T) {
			def, _ := os.ReadFile(filepath.Join(dir, name+".asl.json"))
			raw, _ := os.ReadFile(filepath.Join(dir, name+".input.json"))
			sm, err := asl.Parse(def)
			if err != nil {
				t.Fatal(err)
			}
			in, _ := jsonv.Parse(raw)
			x, _ := interp.New(sm, interp.Options{MaxPayload: -1}).Start(info(in), start, 1)
			if x.Status != interp.Succeeded {
				t.Fatalf("%s: %s %s", x.Status, x.Error, x.Cause)
			}
			switch name {
			case "w4-map-10k":
				if n := len(x.Output.([]any)); n != 10000 {
					t.Fatalf("map output has %d items, want 10000", n)
				}
			case "w5-parallel-10x10":
				if n := len(x.Output.([]any)); n != 10 {
					t.Fatalf("parallel output has %d branches, want 10", n)
				}
				if x.Transitions != 101 {
					t.Fatalf("transitions %d, want 101", x.Transitions)
				}
			case "w1-pass-chain-params", "w1-pass-chain-result":
				if x.Transitions < 1000 {
					t.Fatalf("transitions %d, want >= 1000", x.Transitions)
				}
			}
		})
	}
}
