// Package crash is the crash-safety test of `statecraft server`.
//
// It builds the binary, starts the server on a data directory, runs a few
// hundred executions that mix Wait, Choice, Parallel, Map, retries, Catch
// and activity tasks (served by workers in this process through the AWS
// SDK), kills the server with SIGKILL at random moments several times,
// restarts it on the same port and data directory, and then checks that
// every execution ended as an uninterrupted run of the same definition and
// input ends, and that no history repeats a transition (DESIGN.md: "a
// crash or kill at any moment loses no accepted execution and repeats no
// transition").
//
// The kills come 100–900 ms after the server last came up; every other
// one then also waits for an activity execution to be started and comes
// 0–4 ms after, while its first task is being handed to a worker, a window
// too narrow to be hit by chance often. The schedule is random; its seed
// is logged, and CRASH_SEED=N runs the same schedule again (the same
// delays; what the server was doing at those moments is only roughly the
// same).
//
// The expected outcome of each execution comes from an uninterrupted run
// of the same definition and input in the in-process interpreter: the
// code of `statecraft run --fast-forward --history`, and for the machines
// with activity tasks the runner with the workers' own decision functions
// as resolver (checked against a formula written out by hand).
//
// The server process, the workers, the reference runs and the checks are
// e2e/internal/crashkit's, shared with e2e/cluster.
package crash

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/statecraft/statecraft/e2e/internal/crashkit"
)

const (
	role = crashkit.Role

	numExecutions = 300
	minKills      = 5  // the issue asks for at least five
	plannedKills  = 16 // and we go on killing while executions are still being started
	maxKills      = 24 // a slow machine (or -race) starts executions slowly: do not kill for ever

	startEvery   = 35 * time.Millisecond // StartExecution pace: 300 in about 11 s
	starters     = 6
	workersEach  = 8                 // workers per activity
	settleWithin = 120 * time.Second // after the last restart, everything must end within this
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	crashkit.RemoveBinary()
	os.Exit(code)
}

// ---------------------------------------------------------------------------
// The workload

func newMachines() []*crashkit.Machine {
	// timeouts: an attempt of crash-heartbeat may time out (its heartbeat
	// clock runs through restarts and time in the queue, and a slow enough
	// machine could run it out); the Retry makes the outcome the same.
	return []*crashkit.Machine{
		{Path: "testdata/wait_choice.asl.json", Name: "crash-wait-choice"},
		{Path: "testdata/parallel.asl.json", Name: "crash-parallel"},
		{Path: "testdata/map.asl.json", Name: "crash-map"},
		{Path: "testdata/retry_catch.asl.json", Name: "crash-retry-catch", Activity: true},
		{Path: "testdata/heartbeat.asl.json", Name: "crash-heartbeat", Activity: true, Timeouts: true},
	}
}

// machineOf says which machine execution i runs: the activity machine
// with retries twice as often as the others, for more task hand-offs
// for the kills to cut into.
func machineOf(machines []*crashkit.Machine, i int) *crashkit.Machine {
	return machines[[]int{0, 1, 2, 3, 4, 3}[i%6]]
}

const (
	workActivity = "crash-work"
	beatActivity = "crash-beat"
)

func activityArn(name string) string { return crashkit.ActivityArn(name) }

func newActivities() []*crashkit.Activity {
	return []*crashkit.Activity{
		{Name: workActivity, Decide: crashkit.WorkDecision(6)},
		{Name: beatActivity, Beats: 3, BeatEvery: 150 * time.Millisecond,
			Decide: crashkit.BeatDecision},
	}
}

// formula is the expected result of the activity machines, written out by
// hand; it checks the in-process reference runs.
func formula(e *crashkit.Execution) crashkit.Result {
	w := 1 + e.I%2
	switch e.M.Name {
	case "crash-retry-catch":
		switch k := e.I / 6; {
		case k%5 == 0:
			return crashkit.Result{Status: "SUCCEEDED", Output: json.RawMessage(fmt.Sprintf(
				`{"i":%d,"recovered":true,"error":"Custom.Fatal","cause":"fatal for %d"}`, e.I, e.I))}
		case k%5 == 1:
			return crashkit.Result{Status: "FAILED", Error: "Custom.Reject", Cause: fmt.Sprintf("rejected %d", e.I)}
		}
		return crashkit.Result{Status: "SUCCEEDED", Output: json.RawMessage(fmt.Sprintf(
			`{"i":%d,"tag":"job-%d","work":{"i":%d,"sq":%d,"try":2}}`, e.I, e.I, e.I, e.I*e.I))}
	case "crash-heartbeat":
		return crashkit.Result{Status: "SUCCEEDED", Output: json.RawMessage(fmt.Sprintf(
			`{"i":%d,"w":%d,"beat":{"i":%d,"half":%d,"label":"beat-%d"}}`, e.I, w, e.I, e.I/2, e.I))}
	}
	panic("no formula for " + e.M.Name)
}

// ---------------------------------------------------------------------------
// The test

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode: it runs a server, kills it a dozen times or more and takes 15-60 s")
	}
	began := time.Now()
	bin := crashkit.Binary(t)
	t.Logf("server built in %v", time.Since(began).Round(time.Millisecond))

	seed := crashkit.Seed(t, "CRASH_SEED")
	t.Logf("kill schedule seed %d (CRASH_SEED=%d go test ./e2e/crash/ replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))

	// The workload and its reference results.
	machines := newMachines()
	w := &crashkit.Workload{Machines: machines, Activities: newActivities(), Formula: formula}
	w.Prepare(t, numExecutions, func(i int) *crashkit.Machine { return machineOf(machines, i) })

	// The server.
	dir := t.TempDir()
	srv, err := crashkit.NewServer(bin, filepath.Join(dir, "data"), filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Kill()
		if t.Failed() {
			t.Logf("server log (last 80 lines of %s):\n%s", srv.LogPath, crashkit.Tail(srv.LogPath, 80))
		}
	})
	c := crashkit.NewClient(srv.Addr)
	pick := func() *sfn.Client { return c }
	if err := srv.Start(c); err != nil {
		t.Fatal(err)
	}

	// Nothing below waits for ever on a server that is gone for good.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	var bg sync.WaitGroup
	t.Cleanup(func() { cancel(); bg.Wait() })
	r := crashkit.NewRun()
	taskStarted := make(chan struct{}) // offered an activity execution's start, for armed kills

	if err := w.Create(ctx, r, pick); err != nil {
		t.Fatal(err)
	}

	// Workers.
	for id := range workersEach {
		for _, a := range w.Activities {
			bg.Add(1)
			go func() {
				defer bg.Done()
				r.Worker(ctx, a, id, func(bool) *sfn.Client { return c }, func(*sfn.Client) *sfn.Client { return c })
			}()
		}
	}

	// Starters: every execution is started, retrying with the same name
	// and input while the server is down.
	startsDone := w.StartAll(ctx, r, &bg, crashkit.StartOptions{
		Every: startEvery, Starters: starters, Pick: pick,
		Started: func(e *crashkit.Execution) {
			if e.M.Activity {
				select {
				case taskStarted <- struct{}{}:
				default:
				}
			}
		},
	})

	// Kills. Each one comes 100–900 ms after the server last answered; the
	// server then stays down 0–300 ms, so clients meet refused connections.
	// They go on while executions are being started, at least
	// plannedKills-1 of them, and then comes the last one.
	kills := 0
	var schedule []string
	killAndRestart := func() {
		up := time.Duration(100+rng.IntN(801)) * time.Millisecond
		down := time.Duration(rng.IntN(301)) * time.Millisecond
		armed := kills%2 == 1
		lag := time.Duration(rng.IntN(4001)) * time.Microsecond
		when := up.String()
		time.Sleep(up)
		if armed {
			// Every other kill waits for an activity execution to be
			// started and comes lag after: its first task is being
			// handed to a worker then, a window too narrow for chance.
			select {
			case <-taskStarted:
				time.Sleep(lag)
				when += "+start+" + lag.String()
			case <-time.After(time.Second):
				when += "+none"
			}
		}
		if !srv.Kill() {
			t.Errorf("the server exited on its own before kill %d", kills+1)
		}
		kills++
		schedule = append(schedule, when+"/"+down.String())
		time.Sleep(down)
		if err := srv.Start(c); err != nil {
			t.Fatalf("restart %d: %v", kills, err)
		}
	}
kill:
	for kills < maxKills-1 {
		select {
		case <-startsDone:
			if kills >= plannedKills-1 {
				break kill
			}
		default:
		}
		killAndRestart()
	}
	<-startsDone
	if kills < minKills-1 {
		t.Fatalf("only %d kills", kills)
	}
	// Before the last kill, the workers switch to long polls. A worker
	// that gives up a poll just as the server hands it a task may never
	// see the task (as with AWS, which asks workers for 65 s timeouts);
	// while kills go on, the next restart queues such a task again, but
	// after the last one nothing would.
	r.LongPolls.Store(true)
	killAndRestart()
	lastRestart := time.Now()
	t.Logf("%d kills (up/down: %s); executions started by %v", kills, strings.Join(schedule, " "), time.Since(began).Round(time.Millisecond))

	// Every execution must end.
	w.Settle(ctx, t, r, pick, lastRestart, settleWithin)
	t.Logf("all executions ended %v after the last restart (%v in all)", time.Since(lastRestart).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	cancel()
	bg.Wait()

	vctx, vcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer vcancel()

	// No execution lost, none made up; every execution ended as the
	// reference run did, and its history repeats nothing.
	timedOut := w.Verify(vctx, t, r, pick)

	// A task claimed by a server that was killed before its answer reached
	// the worker is handed out again by the next one (handoff_test.go).
	delivered, repeated := r.Deliveries()

	crashkit.CheckServerLog(t, srv.LogPath, false)

	t.Logf("%d executions, %d kills; %d tasks delivered, %d of them more than once; %d TaskTimedOut answers to workers, %d heartbeat tasks abandoned, %d attempts timed out; %d StartExecution retries found the execution already ended; %d calls retried while the server was down; %v in all",
		len(w.Execs), kills, delivered, len(repeated), r.ClosedAnswers.Load(), r.Abandoned.Load(), timedOut, r.StartRepeats.Load(), r.RetriedCalls.Load(), time.Since(began).Round(time.Millisecond))
}
