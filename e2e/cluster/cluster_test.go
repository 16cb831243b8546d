// Package cluster is the multi-node kill test of `statecraft server`
// (issue 13): three servers on one PostgreSQL database, each on its own
// loopback port and data directory, run a few hundred executions that mix
// Wait, Choice, Parallel, Map, retries and activity tasks, while one node
// at a time is killed with SIGKILL and started again. Workers poll
// different nodes and answer (heartbeats, success, failure) through
// another node than the one that handed them the task; executions are
// started round robin over the nodes that are up.
//
// At the end every execution must have ended as an uninterrupted run of
// the same definition and input does, with a history of ids 1..n that
// repeats no transition, and no task token may have reached a worker
// twice: a task claimed by a node that died before its answer reached the
// worker stays claimed until its TimeoutSeconds or HeartbeatSeconds runs
// out, which is why every activity Task here has one, and a Retry on the
// timeout that makes the outcome the same. Its history is compared with
// the reference run replayed with the same attempts timing out.
//
// One kill in three keeps its node down until the others have taken over
// its shards (or, without shard leases, longer than a lease). After each
// kill the test reads the shard lease table until no row names the killed
// node, and logs those takeover times.
//
// TestClusterConnectionsCut runs the same workload while the nodes'
// database sessions are ended (pg_terminate_backend) several times, on
// the shared test database; TestClusterPostgresRestart runs it on a
// PostgreSQL server of its own (pgtest.Private), restarted again and
// again: the shared one cannot be, as other packages' tests use it at the
// same time. A node that exits then is counted and started again; with
// several nodes none may exit.
//
// TestClusterPartition (partition_test.go) runs it with the last node in
// a network namespace of its own, whose link to PostgreSQL and to the
// test is cut for longer than a lease, several times, without killing
// the node. It needs root and iproute2.
//
// Settings, from the environment:
//
//	CLUSTER_NODES=N       nodes (3; 1 runs a single node on PostgreSQL)
//	CLUSTER_SEED=N        the kill (or cut) schedule's seed, to replay it
//	CLUSTER_EXECUTIONS=N  executions (300)
//	STATECRAFT_TEST_POSTGRES=URL  the database (store/postgres/pgtest)
//
// The nodes are started with --db, --db-schema (a new schema, dropped at
// the end) and, when there are several or the binary has the flags,
// --node-id nodeN --shard-lease 3s.
package cluster

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statecraft/statecraft/e2e/internal/crashkit"
	"github.com/statecraft/statecraft/store/postgres/pgtest"
)

const (
	shardLease = 3 * time.Second

	minKills     = 5  // the issue asks for at least five
	plannedKills = 8  // and we go on killing while executions are still being started
	maxKills     = 14 // a slow machine starts executions slowly: do not kill for ever

	startEvery   = 50 * time.Millisecond // StartExecution pace: 300 in about 15 s
	starters     = 6
	workersEach  = 6                 // workers per activity, spread over the nodes
	settleWithin = 150 * time.Second // after the last restart, everything must end within this
	// takeoverWithin bounds the wait of the long kill for the other nodes
	// to take over the killed node's shards.
	takeoverWithin = 60 * time.Second
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	crashkit.RemoveBinary()
	os.Exit(code)
}

// ---------------------------------------------------------------------------
// The workload

const (
	workActivity = "cluster-work"
	beatActivity = "cluster-beat"
	itemActivity = "cluster-item"
)

func newMachines() []*crashkit.Machine {
	return []*crashkit.Machine{
		// e2e/crash's machines without activities: Wait, Choice, Parallel,
		// Map, intrinsics; timers a killed node's shards carry.
		{Path: "../crash/testdata/wait_choice.asl.json", Name: "cluster-wait-choice"},
		{Path: "../crash/testdata/parallel.asl.json", Name: "cluster-parallel"},
		{Path: "../crash/testdata/map.asl.json", Name: "cluster-map"},
		{Path: "testdata/retry.asl.json", Name: "cluster-retry", Activity: true, Timeouts: true},
		{Path: "testdata/heartbeat.asl.json", Name: "cluster-heartbeat", Activity: true, Timeouts: true},
		{Path: "testdata/fanout.asl.json", Name: "cluster-fanout", Activity: true, Timeouts: true},
	}
}

// machineOf says which machine execution i runs: the one with retries
// twice as often as the others.
func machineOf(machines []*crashkit.Machine, i int) *crashkit.Machine {
	return machines[[]int{0, 1, 2, 3, 4, 5, 3}[i%7]]
}

func newActivities() []*crashkit.Activity {
	return []*crashkit.Activity{
		{Name: workActivity, Decide: crashkit.WorkDecision(7)},
		{Name: beatActivity, Decide: crashkit.BeatDecision, Beats: 4, BeatEvery: 250 * time.Millisecond},
		{Name: itemActivity, Decide: itemDecision},
	}
}

// itemDecision is what the cluster-item worker answers: item 2 fails on
// its first try.
func itemDecision(input string) (output, errName, cause string) {
	var in struct {
		I    int `json:"i"`
		Item int `json:"item"`
		Try  int `json:"try"`
	}
	if err := json.Unmarshal([]byte(input), &in); err != nil {
		return "", "Custom.BadInput", err.Error()
	}
	if in.Item == 2 && in.Try == 0 {
		return "", "Custom.Flaky", fmt.Sprintf("flaky item %d of %d", in.Item, in.I)
	}
	return fmt.Sprintf(`{"i":%d,"item":%d,"v":%d,"try":%d}`, in.I, in.Item, 10*in.I+in.Item, in.Try), "", ""
}

// formula is the expected result of the activity machines, written out by
// hand; it checks the in-process reference runs.
func formula(e *crashkit.Execution) crashkit.Result {
	ok := func(format string, args ...any) crashkit.Result {
		return crashkit.Result{Status: "SUCCEEDED", Output: json.RawMessage(fmt.Sprintf(format, args...))}
	}
	switch e.M.Name {
	case "cluster-retry":
		switch k := e.I / 7; {
		case k%5 == 0:
			return ok(`{"i":%d,"recovered":true,"error":"Custom.Fatal","cause":"fatal for %d"}`, e.I, e.I)
		case k%5 == 1:
			return crashkit.Result{Status: "FAILED", Error: "Custom.Reject", Cause: fmt.Sprintf("rejected %d", e.I)}
		}
		return ok(`{"i":%d,"tag":"job-%d","work":{"i":%d,"sq":%d}}`, e.I, e.I, e.I, e.I*e.I)
	case "cluster-heartbeat":
		return ok(`{"i":%d,"w":%d,"beat":{"i":%d,"half":%d,"label":"beat-%d"}}`, e.I, 1+e.I%2, e.I, e.I/2, e.I)
	case "cluster-fanout":
		var items []string
		for k := 1; k <= 3; k++ {
			items = append(items, fmt.Sprintf(`{"i":%d,"item":%d,"v":%d}`, e.I, k, 10*e.I+k))
		}
		return ok(`{"i":%d,"woke":"woke","n":3,"items":[%s]}`, e.I, strings.Join(items, ","))
	}
	panic("no formula for " + e.M.Name)
}

// ---------------------------------------------------------------------------
// The tests

// env is a test's settings and workload, its cluster up and working.
type env struct {
	t      *testing.T
	began  time.Time
	rng    *rand.Rand
	w      *crashkit.Workload
	cl     *cluster
	r      *crashkit.Run
	ctx    context.Context // the workload's: ended once every execution has
	cancel context.CancelFunc
	bg     sync.WaitGroup // the workload's goroutines
	// taskStarted is offered each start of an execution with activity
	// tasks, for the kills that come just after one.
	taskStarted chan struct{}
	startsDone  <-chan struct{}
}

// whileStarting repeats disrupt while the executions are being started,
// and waits for the starts to end. done counts the disruptions so far:
// they go on past planned only while starts remain, and stop at max
// whatever remains, so that a slow machine is not disrupted for ever.
// One of each bound is left for the caller's last disruption, which
// comes with long polls.
func (e *env) whileStarting(done func() int, planned, max int, disrupt func()) {
disrupting:
	for done() < max-1 {
		select {
		case <-e.startsDone:
			if done() >= planned-1 {
				break disrupting
			}
		default:
		}
		disrupt()
	}
	<-e.startsDone
}

// setUp builds the server, computes the reference runs, starts the
// cluster, creates the machines and starts the workers and the starters.
func setUp(t *testing.T, seedOf string) *env {
	return setUpWith(t, seedOf, setUpOptions{})
}

// setUpOptions change what setUp does.
type setUpOptions struct {
	// start starts the cluster; nil starts it on the shared test database
	// (newCluster).
	start func(bin string, nodes int) *cluster
	// every is the pace of StartExecution; 0 is startEvery.
	every time.Duration
}

func setUpWith(t *testing.T, seedOf string, o setUpOptions) *env {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("cluster test skipped in -short mode: it runs several servers on PostgreSQL, kills them and takes a minute or more")
	}
	e := &env{t: t, began: time.Now(), taskStarted: make(chan struct{})}
	bin := crashkit.Binary(t)
	t.Logf("server built in %v", time.Since(e.began).Round(time.Millisecond))

	seed := crashkit.Seed(t, "CLUSTER_SEED")
	t.Logf("%s schedule seed %d (CLUSTER_SEED=%d go test -run '^%s$' ./e2e/cluster/ replays it)", seedOf, seed, seed, t.Name())
	e.rng = rand.New(rand.NewPCG(seed, seed^0xc1a5))

	n := 300
	if v := os.Getenv("CLUSTER_EXECUTIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("CLUSTER_EXECUTIONS=%q: want a number of executions", v)
		}
	}
	machines := newMachines()
	e.w = &crashkit.Workload{Machines: machines, Activities: newActivities(), Formula: formula}
	e.w.Prepare(t, n, func(i int) *crashkit.Machine { return machineOf(machines, i) })

	nodes := numNodes(t)
	start := o.start
	if start == nil {
		start = func(bin string, n int) *cluster { return newCluster(t, bin, n) }
	}
	every := o.every
	if every == 0 {
		every = startEvery
	}
	e.cl = start(bin, nodes)
	t.Logf("nodes: %d, up on schema %s (cluster flags: %v)", nodes, e.cl.schema, e.cl.multi)

	// Nothing below waits for ever on nodes that are gone for good.
	e.ctx, e.cancel = context.WithTimeout(context.Background(), 8*time.Minute)
	t.Cleanup(func() { e.cancel(); e.bg.Wait() })
	e.r = crashkit.NewRun()
	if err := e.w.Create(e.ctx, e.r, e.cl.pick); err != nil {
		t.Fatal(err)
	}

	// Workers, each polling a node of its own.
	for id := range workersEach {
		for _, a := range e.w.Activities {
			e.bg.Add(1)
			go func() {
				defer e.bg.Done()
				e.r.Worker(e.ctx, a, id, e.cl.poller(id%nodes), e.cl.reply)
			}()
		}
	}
	e.startsDone = e.w.StartAll(e.ctx, e.r, &e.bg, crashkit.StartOptions{
		Every: every, Starters: starters, Pick: e.cl.pick,
		Started: func(x *crashkit.Execution) {
			if x.M.Activity {
				select {
				case e.taskStarted <- struct{}{}:
				default:
				}
			}
		},
	})
	return e
}

// finish waits for every execution to end, checks them all and the
// token deliveries, and returns how many attempts timed out.
func (e *env) finish(lastRestart time.Time) (timedOut int64, delivered int) {
	t := e.t
	e.w.Settle(e.ctx, t, e.r, e.cl.pick, lastRestart, settleWithin)
	t.Logf("all executions ended %v after the last restart (%v in all)", time.Since(lastRestart).Round(time.Millisecond), time.Since(e.began).Round(time.Millisecond))
	e.cancel()
	e.bg.Wait()

	vctx, vcancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer vcancel()
	timedOut = e.w.Verify(vctx, t, e.r, e.cl.pick)

	delivered, repeated := e.r.Deliveries()
	if e.cl.multi {
		// A claimed task stays claimed: no node hands it out again.
		shown := 0
		for tok, n := range repeated {
			if shown++; shown <= 10 {
				t.Errorf("task token delivered %d times: %s", n, tok)
			}
		}
		if len(repeated) > 0 {
			t.Errorf("%d of %d task tokens delivered more than once", len(repeated), delivered)
		}
	} else if len(repeated) > 0 {
		// A single node on PostgreSQL hands the tasks an earlier process
		// claimed back to their queues when it starts (store/postgres).
		t.Logf("%d of %d task tokens delivered more than once (a single node hands claimed tasks back when it restarts)", len(repeated), delivered)
	}
	return timedOut, delivered
}

func TestClusterKill(t *testing.T) {
	e := setUp(t, "kill")
	cl, rng, r := e.cl, e.rng, e.r
	cl.exited = func(nd *node, err error) {
		t.Errorf("%s exited on its own (%v); log:\n%s", nd.name, err, crashkit.Tail(nd.srv.LogPath, 30))
	}
	var watching sync.WaitGroup
	wctx, wcancel := context.WithCancel(context.Background())
	cl.watch(wctx, &watching)
	t.Cleanup(func() { wcancel(); watching.Wait() }) // before the nodes are killed for good

	// Kills. Each one comes 0.3–1.5 s after the last restart, at a random
	// node; every other one waits for an activity execution to be started
	// first and comes 0–4 ms after, while its first task is being handed
	// to a worker. The node stays down 0–2 s, but for one kill in three,
	// after which it stays down until the other nodes have taken over its
	// shards.
	kills := 0
	long := rng.IntN(3)
	var schedule []string
	var takeovers []*takeover
	killAndRestart := func() {
		up := time.Duration(300+rng.IntN(1201)) * time.Millisecond
		down := time.Duration(rng.IntN(2001)) * time.Millisecond
		nd := cl.nodes[rng.IntN(len(cl.nodes))]
		armed := kills%2 == 1
		lag := time.Duration(rng.IntN(4001)) * time.Microsecond
		when := up.String()
		time.Sleep(up)
		if armed {
			select {
			case <-e.taskStarted:
				time.Sleep(lag)
				when += "+start+" + lag.String()
			case <-time.After(time.Second):
				when += "+none"
			}
		}
		nd.mu.Lock()
		defer nd.mu.Unlock()
		killed := time.Now()
		if !cl.kill(nd) {
			t.Errorf("%s exited on its own before kill %d", nd.name, kills+1)
		}
		kills++
		var restarted atomic.Bool
		var tk *takeover
		if cl.shards {
			tk = cl.watchTakeover(e.ctx, nd, killed, &restarted)
			takeovers = append(takeovers, tk)
		}
		if (kills-1)%3 == long {
			// Longer than a lease in any case; with others to take over,
			// until they have.
			time.Sleep(shardLease + down/4)
			if tk != nil && len(cl.nodes) > 1 {
				select {
				case <-tk.done:
				case <-time.After(takeoverWithin):
					t.Errorf("the shards of %s were not taken over within %v of its kill", nd.name, takeoverWithin)
				}
			}
			when += " (long)"
		} else {
			time.Sleep(down)
		}
		restarted.Store(true)
		schedule = append(schedule, fmt.Sprintf("%s@%s/%s", nd.name, when, time.Since(killed).Round(time.Millisecond)))
		if err := cl.start(nd); err != nil {
			t.Fatalf("restart %d of %s: %v", kills, nd.name, err)
		}
	}
	e.whileStarting(func() int { return kills }, plannedKills, maxKills, killAndRestart)
	if kills < minKills-1 {
		t.Fatalf("only %d kills", kills)
	}
	// Long polls from now on, as AWS asks of workers: the timeouts of the
	// activity tasks would hand out again a task that a poll given up at
	// the wrong moment had claimed, but only after a while.
	r.LongPolls.Store(true)
	killAndRestart()
	lastRestart := time.Now()
	t.Logf("%d kills (node@up/down): %s; executions started by %v", kills, strings.Join(schedule, " "), time.Since(e.began).Round(time.Millisecond))

	timedOut, delivered := e.finish(lastRestart)

	var times []string
	for _, tk := range takeovers {
		<-tk.done
		times = append(times, strings.ReplaceAll(tk.result, " ", "-"))
		if tk.err != nil {
			t.Logf("the shard leases of %s could not be read: %v", tk.node, tk.err)
		}
	}
	for _, nd := range cl.nodes {
		crashkit.CheckServerLog(t, nd.srv.LogPath, false)
	}
	if cl.shards {
		t.Logf("cluster: %d executions, %d kills, takeover ms: [%s] (nodes: %d)", len(e.w.Execs), kills, strings.Join(times, " "), len(cl.nodes))
	} else {
		t.Logf("cluster: %d executions, %d kills, takeover ms: not measured, no shards table (nodes: %d)", len(e.w.Execs), kills, len(cl.nodes))
	}
	t.Logf("%d tasks delivered; %d TaskTimedOut answers to workers, %d heartbeat tasks abandoned, %d attempts timed out; %d StartExecution retries found the execution already ended; %d calls retried while a node was down; %v in all",
		delivered, r.ClosedAnswers.Load(), r.Abandoned.Load(), timedOut, r.StartRepeats.Load(), r.RetriedCalls.Load(), time.Since(e.began).Round(time.Millisecond))
}

// TestClusterConnectionsCut runs the workload while the nodes' database
// sessions are ended, those of all nodes or of one, 0.7–2.5 s apart.
func TestClusterConnectionsCut(t *testing.T) {
	e := setUp(t, "cut")
	disrupted(t, e, "sessions cut", func(rng *rand.Rand) (string, int, error) {
		time.Sleep(time.Duration(700+rng.IntN(1801)) * time.Millisecond)
		targets, what := e.cl.nodes, "all"
		if len(e.cl.nodes) > 1 && rng.IntN(2) == 0 {
			nd := e.cl.nodes[rng.IntN(len(e.cl.nodes))]
			targets, what = []*node{nd}, nd.name
		}
		ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
		defer cancel()
		n, err := e.cl.cut(ctx, targets)
		if err == nil && n == 0 {
			err = fmt.Errorf("no database session of %s was ended: are they named %s?", what, targets[0].appName)
		}
		return what, n, err
	})
}

// TestClusterPostgresRestart runs the workload on a PostgreSQL server of
// the test's own (pgtest.Private), which it restarts (pg_ctl restart -m
// fast: every session ended, the server down for a moment) every 1.5–3 s.
func TestClusterPostgresRestart(t *testing.T) {
	var inst *pgtest.Instance
	e := setUpWith(t, "restart", setUpOptions{start: func(bin string, n int) *cluster {
		inst = pgtest.Private(t)
		return newClusterOn(t, bin, n, inst.URL, "statecraft")
	}})
	disrupted(t, e, "PostgreSQL restarted", func(rng *rand.Rand) (string, int, error) {
		time.Sleep(time.Duration(1500+rng.IntN(1501)) * time.Millisecond)
		// The nodes' sessions, which the restart ends.
		var n int
		ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
		defer cancel()
		if err := e.cl.db.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'statecraft-node%'`).Scan(&n); err != nil {
			return "", 0, err
		}
		began := time.Now()
		err := inst.Restart()
		return "restart/" + time.Since(began).Round(time.Millisecond).String(), n, err
	})
}

// disrupted runs e's workload while disrupt (which waits a while, then
// disrupts the database and says what it did and how many sessions it
// ended) is called again and again until every execution has started; no
// node may exit meanwhile, when there are several.
func disrupted(t *testing.T, e *env, what string, disrupt func(*rand.Rand) (string, int, error)) {
	cl, rng, r := e.cl, e.rng, e.r
	// The store may answer a request whose session it lost with a 5xx,
	// which the SDKs retry.
	r.Retry5xx = true
	var exitMu sync.Mutex
	var exitLog []string
	cl.exited = func(nd *node, err error) {
		exitMu.Lock()
		defer exitMu.Unlock()
		exitLog = append(exitLog, fmt.Sprintf("%s (%v) at %v", nd.name, err, time.Since(e.began).Round(time.Millisecond)))
		if cl.multi {
			// A node of a cluster reconnects, with back-off; it does not
			// leave its shards to the others for a lost session.
			t.Errorf("%s exited after its database sessions were ended (%v); log:\n%s", nd.name, err, crashkit.Tail(nd.srv.LogPath, 30))
		}
	}
	var watching sync.WaitGroup
	wctx, wcancel := context.WithCancel(context.Background())
	cl.watch(wctx, &watching)
	t.Cleanup(func() { wcancel(); watching.Wait() })

	times, ended := 0, 0
	var schedule []string
	once := func() {
		did, n, err := disrupt(rng)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		times++
		ended += n
		schedule = append(schedule, fmt.Sprintf("%s:%d", did, n))
	}
	e.whileStarting(func() int { return times }, plannedKills, maxKills, once)
	r.LongPolls.Store(true)
	once()
	last := time.Now()
	t.Logf("%d times %s (what:sessions ended): %s; executions started by %v", times, what, strings.Join(schedule, " "), time.Since(e.began).Round(time.Millisecond))

	timedOut, delivered := e.finish(last)

	exitMu.Lock()
	exits := append([]string(nil), exitLog...)
	exitMu.Unlock()
	errorLines := 0
	for _, nd := range cl.nodes {
		errorLines += crashkit.CheckServerLog(t, nd.srv.LogPath, true)
	}
	t.Logf("cluster (%s): %d executions, %d times ending %d sessions, %d node exits%s, %d error lines in the logs (nodes: %d)",
		what, len(e.w.Execs), times, ended, len(exits), listed(exits), errorLines, len(cl.nodes))
	t.Logf("%d tasks delivered; %d 5xx answers retried; %d TaskTimedOut answers to workers, %d heartbeat tasks abandoned, %d attempts timed out; %d StartExecution retries found the execution already ended; %d calls retried; %v in all",
		delivered, r.ServerErrors.Load(), r.ClosedAnswers.Load(), r.Abandoned.Load(), timedOut, r.StartRepeats.Load(), r.RetriedCalls.Load(), time.Since(e.began).Round(time.Millisecond))
}

func listed(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, "; ") + ")"
}
