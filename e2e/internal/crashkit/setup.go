package crashkit

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// Seed is the seed of a test's random schedule: the number in the
// environment variable env, so that a failed run can be replayed, or a
// new one each run.
func Seed(tb testing.TB, env string) uint64 {
	tb.Helper()
	v := os.Getenv(env)
	if v == "" {
		return uint64(time.Now().UnixNano())
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		tb.Fatalf("%s=%q: %v", env, v, err)
	}
	return n
}

// Prepare loads w, adds n executions of the machines machineOf picks and
// computes their reference results, all before any server runs: the
// references are what the killed servers' runs are checked against.
func (w *Workload) Prepare(tb testing.TB, n int, machineOf func(i int) *Machine) {
	tb.Helper()
	if err := w.Load(); err != nil {
		tb.Fatal(err)
	}
	w.AddExecutions(n, machineOf)
	began := time.Now()
	if err := w.References(); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("reference runs done in %v", time.Since(began).Round(time.Millisecond))
}
