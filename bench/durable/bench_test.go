package durable

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/sqlite"
)

// Sizes of the work one benchmark operation does. With -benchtime 1x each
// benchmark does one operation.
const (
	w3Batch         = 2000 // W3 executions per operation
	w3InFlight      = 200  // W3 executions running at any time
	w3Workers       = 64   // in-process workers per W3 activity
	temporalW3      = 77.7 // Temporal dev server, onboarding shape, executions/s (shared/bench/README.md)
	chainTasks      = 10   // activity tasks per BenchmarkHistoryEvents execution
	chainBatch      = 1000 // BenchmarkHistoryEvents executions per operation
	rawRows         = 50000
	rawTxRows       = 100
	rawInFlight     = 200
	startSamples    = 1000 // sequential StartExecution calls per operation
	startParallel   = 4000 // StartExecution calls per operation with 200 in flight
	dispatchSamples = 500
	loopbackSamples = 5000
)

// ---- Baselines, measured in the same run ----

// sameRun keeps the baselines this process has measured, so a benchmark
// can quote its ratio to one measured minutes, not days, earlier.
var sameRun struct {
	sync.Mutex
	raw, rawSeq float64
	loopP50     time.Duration
	loopP99     time.Duration
	commitP50   time.Duration
	commitP99   time.Duration
}

// BenchmarkRawSQLiteBatched is the ceiling for history events/s: rows like
// the engine's history events (types and bodies taken from real W3
// histories), inserted by one prepared INSERT, 100 to a transaction, into
// a fresh database with the store's schema and pragmas (WAL,
// synchronous=FULL). events/s writes them the way the engine's workload
// does: 200 executions at a time, each taking as many events as a W3
// execution has on average, then replaced by a new one. seq-events/s
// appends all rows to one execution (sequential keys), the figure
// shared/bench/README.md quotes for raw SQLite (52-60k rows/s).
func BenchmarkRawSQLiteBatched(b *testing.B) {
	bodies, perExec := sampleEvents(b)
	var total int
	var rolling, seq time.Duration
	b.ResetTimer()
	for range b.N {
		rolling += rawInsert(b, bodies, rawRows, rawInFlight, perExec)
		seq += rawInsert(b, bodies, rawRows, 1, rawRows)
		total += rawRows
	}
	perSec := float64(total) / rolling.Seconds()
	seqPerSec := float64(total) / seq.Seconds()
	b.ReportMetric(perSec, "events/s")
	b.ReportMetric(seqPerSec, "seq-events/s")
	b.ReportMetric(float64(perExec), "events/exec")
	b.ReportMetric(0, "ns/op")
	sameRun.Lock()
	sameRun.raw, sameRun.rawSeq = perSec, seqPerSec
	sameRun.Unlock()
}

// rawBaseline returns the raw batched figures of this run (rolling and
// sequential), measuring them now when no benchmark has yet.
func rawBaseline(b *testing.B) (rolling, seq float64) {
	sameRun.Lock()
	rolling, seq = sameRun.raw, sameRun.rawSeq
	sameRun.Unlock()
	if rolling > 0 {
		return rolling, seq
	}
	bodies, perExec := sampleEvents(b)
	rolling = float64(rawRows) / rawInsert(b, bodies, rawRows, rawInFlight, perExec).Seconds()
	seq = float64(rawRows) / rawInsert(b, bodies, rawRows, 1, rawRows).Seconds()
	sameRun.Lock()
	sameRun.raw, sameRun.rawSeq = rolling, seq
	sameRun.Unlock()
	return rolling, seq
}

// reportRaw reports an engine's events/s against the same run's raw
// figures.
func reportRaw(b *testing.B, eventsPerSec float64) {
	rolling, seq := rawBaseline(b)
	b.ReportMetric(eventsPerSec, "events/s")
	b.ReportMetric(rolling, "raw-events/s")
	b.ReportMetric(100*eventsPerSec/rolling, "%-of-raw")
	b.ReportMetric(100*eventsPerSec/seq, "%-of-raw-seq")
}

// sampleEvents returns the history events of a few W3 executions (with
// their retries), to give the raw baseline rows of the same sizes, and
// their number per execution.
func sampleEvents(tb testing.TB) ([]store.Event, int) {
	e := newEnv(tb, false, engine.Options{SkipValidation: true})
	defer e.stop()
	sm := e.machine("w3", w3Definition(tb, true))
	var failures atomic.Int64
	e.serveW3(2, &failures)
	const n = 20
	if err := e.runMany(sm, "sample", 0, n, n, w3Input, w3Want); err != nil {
		tb.Fatal(err)
	}
	var out []store.Event
	for i := range n {
		evs, err := e.st.History(context.Background(), store.HistoryParams{ExecutionArn: arn.Execution(sm.Arn, fmt.Sprintf("sample-%d", i)), Limit: 1000})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, evs...)
	}
	return out, (len(out) + n/2) / n
}

// rawInsert creates a fresh database and times n event rows inserted into
// it, 100 to a transaction: inFlight executions at a time take perExec
// events each, round robin, and each is then replaced by a new execution.
func rawInsert(tb testing.TB, events []store.Event, n, inFlight, perExec int) time.Duration {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "raw.db")
	// sqlite.Open creates the schema and sets WAL (persistent in the file).
	s, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	generations := (n + inFlight*perExec - 1) / (inFlight * perExec)
	var arns []string
	for i := range generations * inFlight {
		arn := fmt.Sprintf("arn:aws:states:us-east-1:123456789012:execution:raw:%08d-6f1c-4d2a-9b7e-3c5d1a2b4e6f", i)
		arns = append(arns, arn)
		if err := s.StartExecution(ctx, store.StartExecutionParams{Execution: &store.Execution{Arn: arn, StateMachineArn: smPrefix + "raw", Name: arn, Input: "{}", StartedAt: time.Now()}, Step: store.StepParams{}}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	db := rawDB(tb, path)
	defer db.Close()
	ids := make([]int64, len(arns))
	for i, arn := range arns {
		if err := db.QueryRow(`SELECT id FROM executions WHERE arn = ?`, arn).Scan(&ids[i]); err != nil {
			tb.Fatal(err)
		}
	}
	ins, err := db.Prepare(`INSERT INTO events (exec_id, id, type, ts, body) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	defer ins.Close()
	start := time.Now()
	for i := 0; i < n; {
		tx, err := db.Begin()
		if err != nil {
			tb.Fatal(err)
		}
		st := tx.Stmt(ins)
		for j := 0; j < rawTxRows && i < n; j, i = j+1, i+1 {
			ev := &events[i%len(events)]
			slot, round := i%inFlight, i/inFlight
			exec := ids[(round/perExec)*inFlight+slot]
			if _, err := st.Exec(exec, round%perExec+1, ev.Type, time.Now().UnixNano(), ev.Body); err != nil {
				tb.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	return time.Since(start)
}

// rawDB opens a database that sqlite.Open created (so it has the store's
// schema, and WAL, which is persistent) with one connection and the same
// pragmas as the store's writer connection (store/sqlite's dsn()),
// synchronous=FULL included.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"+
		"&_pragma=synchronous(FULL)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32768)")
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	var mode, syncMode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		tb.Fatalf("journal_mode %q, %v", mode, err)
	}
	if err := db.QueryRow("PRAGMA synchronous").Scan(&syncMode); err != nil || syncMode != "2" {
		tb.Fatalf("synchronous %q, %v", syncMode, err)
	}
	return db
}

// BenchmarkLoopbackHTTP is the floor for anything answered over HTTP: one
// small JSON POST and its answer over a kept-alive loopback connection to
// a plain net/http server, one at a time.
func BenchmarkLoopbackHTTP(b *testing.B) {
	var samples []time.Duration
	b.ResetTimer()
	for range b.N {
		samples = append(samples, loopback(b, loopbackSamples)...)
	}
	p50, p99 := reportLatency(b, "rtt", samples)
	b.ReportMetric(0, "ns/op")
	sameRun.Lock()
	sameRun.loopP50, sameRun.loopP99 = p50, p99
	sameRun.Unlock()
}

func loopbackBaseline(b *testing.B) (p50, p99 time.Duration) {
	sameRun.Lock()
	p50, p99 = sameRun.loopP50, sameRun.loopP99
	sameRun.Unlock()
	if p99 > 0 {
		return p50, p99
	}
	s := loopback(b, loopbackSamples)
	slices.Sort(s)
	p50, p99 = percentile(s, 0.5), percentile(s, 0.99)
	sameRun.Lock()
	sameRun.loopP50, sameRun.loopP99 = p50, p99
	sameRun.Unlock()
	return p50, p99
}

func loopback(tb testing.TB, n int) []time.Duration {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		io.WriteString(w, `{"taskToken":"t","input":"{}"}`)
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	body := []byte(`{"activityArn":"arn:aws:states:us-east-1:123456789012:activity:work","workerName":"w"}`)
	out := make([]time.Duration, 0, n)
	for i := range n + 100 {
		t0 := time.Now()
		resp, err := client.Post(srv.URL, "application/x-amz-json-1.0", bytes.NewReader(body))
		if err != nil {
			tb.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if i >= 100 { // the first ones warm the connection up
			out = append(out, time.Since(t0))
		}
	}
	return out
}

// commitBaseline returns p50 and p99 of one durable SQLite commit in this
// run: a one-row INSERT transaction on a fresh database with the store's
// pragmas (WAL, synchronous=FULL), one at a time. A step the engine makes
// a caller wait for costs at least one.
func commitBaseline(b *testing.B) (p50, p99 time.Duration) {
	sameRun.Lock()
	p50, p99 = sameRun.commitP50, sameRun.commitP99
	sameRun.Unlock()
	if p99 > 0 {
		return p50, p99
	}
	path := filepath.Join(b.TempDir(), "commit.db")
	s, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	db := rawDB(b, path)
	defer db.Close()
	var samples []time.Duration
	for i := range 520 {
		t0 := time.Now()
		if _, err := db.Exec(`INSERT INTO tags (arn, key, value) VALUES (?, ?, ?)`, "arn", strconv.Itoa(i), "v"); err != nil {
			b.Fatal(err)
		}
		if i >= 20 {
			samples = append(samples, time.Since(t0))
		}
	}
	slices.Sort(samples)
	p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
	sameRun.Lock()
	sameRun.commitP50, sameRun.commitP99 = p50, p99
	sameRun.Unlock()
	return p50, p99
}

// reportCommit quotes commitBaseline beside a latency.
func reportCommit(b *testing.B) {
	p50, p99 := commitBaseline(b)
	b.ReportMetric(us(p50), "fsync-commit-p50-us")
	b.ReportMetric(us(p99), "fsync-commit-p99-us")
}

// ---- W3 ----

// BenchmarkDurableW3 runs the shared W3 (user onboarding) workload
// durably: engine on SQLite with fsync on, 200 executions in flight, each
// started as another ends; the two Lambda functions are activities served
// by in-process workers that fail 30% of the time (seeded); every Retry's
// IntervalSeconds is 0, as the peers ran it, so each retry is a timer row
// due at once that the scheduler fires. Peer: Temporal dev server, 77.7
// executions/s on the same shape; design target >= 20x that.
func BenchmarkDurableW3(b *testing.B) {
	rawBaseline(b)
	e := newEnv(b, true, engine.Options{SkipValidation: true})
	benchW3(b, []*env{e}, e.serveW3, nil)
}

// BenchmarkDurableW3Postgres is BenchmarkDurableW3 on store/postgres (one
// node, commits flushed, the test database of pgtest on this machine).
// Run with BenchmarkDurableW3 (-bench DurableW3), it gives both stores'
// figures from one run. The database server's CPU is the other half of
// the cost: pg-cpu-us/exec is what the machine's postgres processes used
// meanwhile (whatever else asked them for work too), and
// total-cpu-us/exec adds the process's own.
func BenchmarkDurableW3Postgres(b *testing.B) {
	e := newPGEnv(b, engine.Options{SkipValidation: true})
	benchW3(b, []*env{e}, e.serveW3, nil)
}

// BenchmarkDurableW3Postgres3Nodes is BenchmarkDurableW3Postgres on three
// engine nodes in this process, each with a pool of its own on one
// schema, holding a share of the shards each once their leases have
// settled. The workers are shared out among the nodes, and the drivers
// start executions on them in turn. On one machine the nodes share its
// CPU with each other and with the database server: this shows what the
// coordination costs, not what more machines gain. nodeK-steps-% is the
// share of the steps node K committed, and dispatch-cross-node-% the share
// of tasks claimed on another node than the one that queued them.
func BenchmarkDurableW3Postgres3Nodes(b *testing.B) {
	c := newPGCluster(b, 3, engine.Options{SkipValidation: true})
	c.settle(15, time.Minute)
	benchW3(b, c.nodes, c.serveW3, c.origins)
}

// benchW3 measures W3 on nodes sharing one store (one node, or a
// cluster's, with origins then); serve starts the W3 workers.
func benchW3(b *testing.B, nodes []*env, serve func(workersPerActivity int, failures *atomic.Int64), origins *taskOrigins) {
	e := nodes[0]
	sm := e.machine("w3", w3Definition(b, true))
	var failures atomic.Int64
	serve(w3Workers, &failures)
	if err := runMany(nodes, sm, "warm", 0, 100, 100, w3Input, w3Want); err != nil {
		b.Fatal(err)
	}
	// sum adds a counter up over the nodes.
	sum := func(counter func(*countingStore) *atomic.Int64) int64 {
		var n int64
		for _, node := range nodes {
			n += counter(node.st).Load()
		}
		return n
	}
	events := func(c *countingStore) *atomic.Int64 { return &c.events }
	steps := func(c *countingStore) *atomic.Int64 { return &c.steps }
	claims := func(c *countingStore) *atomic.Int64 { return &c.claims }
	emptyClaims := func(c *countingStore) *atomic.Int64 { return &c.emptyClaims }
	stateTimers := func(c *countingStore) *atomic.Int64 { return &c.stateTimers }
	ev0, st0, f0, c0, ce0 := sum(events), sum(steps), failures.Load(), sum(claims), sum(emptyClaims)
	t0 := sum(stateTimers)
	nodeSteps0 := make([]int64, len(nodes))
	for k, node := range nodes {
		nodeSteps0[k] = node.st.steps.Load()
	}
	var dc0, dx0 int64
	if origins != nil {
		dc0, dx0 = origins.claims.Load(), origins.cross.Load()
	}
	b.ResetTimer()
	start, cpu0, pg0 := time.Now(), cpuTime(), postgresCPU()
	for i := range b.N {
		if err := runMany(nodes, sm, "run", i*w3Batch, w3Batch, w3InFlight, w3Input, w3Want); err != nil {
			b.Fatal(err)
		}
	}
	elapsed, cpu, pgCPU := time.Since(start), cpuTime()-cpu0, postgresCPU()-pg0
	b.StopTimer()
	n := float64(b.N * w3Batch)
	allSteps := float64(sum(steps) - st0)
	execPerSec := n / elapsed.Seconds()
	b.ReportMetric(execPerSec, "executions/s")
	b.ReportMetric(execPerSec/temporalW3, "x-temporal")
	if e.path != "" {
		reportRaw(b, float64(sum(events)-ev0)/elapsed.Seconds())
	} else {
		b.ReportMetric(float64(sum(events)-ev0)/elapsed.Seconds(), "events/s")
		b.ReportMetric(float64(pgCPU.Microseconds())/n, "pg-cpu-us/exec")
		b.ReportMetric(float64((cpu+pgCPU).Microseconds())/n, "total-cpu-us/exec")
	}
	b.ReportMetric(allSteps/n, "steps/exec")
	b.ReportMetric(float64(failures.Load()-f0)/n, "retries/exec")
	b.ReportMetric(float64(sum(stateTimers)-t0)/n, "timers/exec")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-us/exec")
	b.ReportMetric(float64(sum(emptyClaims)-ce0)/float64(sum(claims)-c0-(sum(emptyClaims)-ce0)), "empty-looks/task")
	if len(nodes) > 1 {
		for k, node := range nodes {
			b.ReportMetric(100*float64(node.st.steps.Load()-nodeSteps0[k])/allSteps, fmt.Sprintf("node%d-steps-%%", k))
		}
	}
	if origins != nil {
		b.ReportMetric(100*float64(origins.cross.Load()-dx0)/float64(origins.claims.Load()-dc0), "dispatch-cross-node-%")
	}
	b.ReportMetric(0, "ns/op")
	if len(nodes) > 1 {
		// None lost or run twice: every execution is there once,
		// SUCCEEDED, and every event a node committed is in the histories.
		checkExecutions(b, e.st, sm.Arn, 100+b.N*w3Batch)
		var stored int64
		for _, name := range executionNames(100, b.N*w3Batch) {
			evs, err := e.st.History(context.Background(), store.HistoryParams{ExecutionArn: arn.Execution(sm.Arn, name), Limit: 1000})
			if err != nil {
				b.Fatal(err)
			}
			for j, ev := range evs {
				if ev.ID != int64(j+1) {
					b.Fatalf("%s: event %d has id %d", name, j+1, ev.ID)
				}
			}
			stored += int64(len(evs))
		}
		if got := sum(events); got != stored {
			b.Errorf("the nodes committed %d events, the histories hold %d", got, stored)
		}
	}
}

// executionNames are the names benchW3 gives its warm-up and measured
// executions.
func executionNames(warm, run int) []string {
	names := make([]string, 0, warm+run)
	for i := range warm {
		names = append(names, fmt.Sprintf("warm-%d", i))
	}
	for i := range run {
		names = append(names, fmt.Sprintf("run-%d", i))
	}
	return names
}

// postgresCPU is the CPU time (user and system) that the machine's
// postgres processes have used so far, the sessions that ended included
// (in the postmaster's children's times): the database server is on this
// machine, its CPU is the store's. 0 where /proc cannot tell.
func postgresCPU() time.Duration {
	dirs, _ := os.ReadDir("/proc")
	var ticks int64
	for _, d := range dirs {
		if d.Name()[0] < '0' || d.Name()[0] > '9' {
			continue
		}
		comm, err := os.ReadFile("/proc/" + d.Name() + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// The fields after the command's closing parenthesis: utime,
		// stime, cutime and cstime are the 12th to 15th of them.
		_, rest, ok := strings.Cut(string(stat), ") ")
		f := strings.Fields(rest)
		if !ok || len(f) < 15 {
			continue
		}
		for _, v := range f[11:15] {
			n, _ := strconv.ParseInt(v, 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc's times: 100 on Linux.
const clockTicks = 100

// ---- History events ----

// chainDefinition is 10 activity Task states in a row.
func chainDefinition() string {
	var sb strings.Builder
	sb.WriteString(`{"StartAt":"T0","States":{`)
	for i := range chainTasks {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `"T%d":{"Type":"Task","Resource":"%swork","ResultPath":"$.r%d",`, i, actPfx, i%3)
		if i == chainTasks-1 {
			sb.WriteString(`"End":true}`)
		} else {
			fmt.Fprintf(&sb, `"Next":"T%d"}`, i+1)
		}
	}
	sb.WriteString(`}}`)
	return sb.String()
}

// BenchmarkHistoryEvents measures history events committed through the
// engine (fsync on): 200 executions in flight, each 10 activity tasks in a
// row done by in-process workers, against BenchmarkRawSQLiteBatched's
// plain INSERTs measured in the same run. Target: >= 50% of raw.
func BenchmarkHistoryEvents(b *testing.B) {
	rawBaseline(b)
	e := newEnv(b, true, engine.Options{})
	sm := e.machine("chain", chainDefinition())
	var failures atomic.Int64
	e.serve(actPfx+"work", w3Workers, func(string, string) (string, bool) { return `{"ok":true}`, false }, &failures)
	input := func(i int) string { return fmt.Sprintf(`{"orderId":"o-%d","amount":%d}`, i, i%1000) }
	if err := e.runMany(sm, "warm", 0, 100, 100, input, nil); err != nil {
		b.Fatal(err)
	}
	ev0, st0 := e.st.events.Load(), e.st.steps.Load()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := range b.N {
		if err := e.runMany(sm, "run", i*chainBatch, chainBatch, w3InFlight, input, nil); err != nil {
			b.Fatal(err)
		}
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	events := float64(e.st.events.Load() - ev0)
	reportRaw(b, events/elapsed.Seconds())
	b.ReportMetric(float64(e.st.steps.Load()-st0)/elapsed.Seconds(), "steps/s")
	b.ReportMetric(float64(b.N*chainBatch*chainTasks)/elapsed.Seconds(), "tasks/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/events/1e3, "cpu-us/event")
	b.ReportMetric(0, "ns/op")
}

// ---- StartExecution ----

// BenchmarkStartExecution times StartExecution of W3 (activity version;
// nobody polls, so each start durably records ExecutionStarted,
// TaskStateEntered and ActivityScheduled and queues a task): through the
// engine one at a time, through the engine with 200 callers at once, and
// through the HTTP API with the Go SDK one at a time. fsync on.
func BenchmarkStartExecution(b *testing.B) {
	b.Run("engine", func(b *testing.B) {
		e := newEnv(b, true, engine.Options{})
		sm := e.machine("w3", w3Definition(b, false))
		ctx := context.Background()
		var samples []time.Duration
		b.ResetTimer()
		for i := range b.N * startSamples {
			t0 := time.Now()
			if _, err := e.eng.StartExecution(ctx, sm, fmt.Sprintf("s-%d", i), mustInput(w3Input(i)), ""); err != nil {
				b.Fatal(err)
			}
			samples = append(samples, time.Since(t0))
		}
		b.StopTimer()
		reportLatency(b, "start", samples)
		reportCommit(b)
		b.ReportMetric(0, "ns/op")
	})
	b.Run("engine-200-in-flight", func(b *testing.B) {
		e := newEnv(b, true, engine.Options{})
		sm := e.machine("w3", w3Definition(b, false))
		ctx := context.Background()
		samples := make([]time.Duration, b.N*startParallel)
		var next atomic.Int64
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for range 200 {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= len(samples) {
						return
					}
					t0 := time.Now()
					if _, err := e.eng.StartExecution(ctx, sm, fmt.Sprintf("p-%d", i), mustInput(w3Input(i)), ""); err != nil {
						b.Error(err)
						return
					}
					samples[i] = time.Since(t0)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		reportLatency(b, "start", samples)
		b.ReportMetric(float64(len(samples))/elapsed.Seconds(), "starts/s")
		b.ReportMetric(0, "ns/op")
	})
	b.Run("sdk", func(b *testing.B) {
		e := newEnv(b, true, engine.Options{})
		a := e.serveAPI(time.Second)
		a.createActivity(b, "sendMessage")
		a.createActivity(b, "fetchCount")
		smArn := a.createMachine(b, "w3", w3Definition(b, false))
		ctx := context.Background()
		var samples []time.Duration
		for i := range 50 { // warm the connection and the caches up
			if _, err := a.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String(fmt.Sprintf("warm-%d", i)), Input: aws.String(w3Input(i))}); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := range b.N * startSamples {
			t0 := time.Now()
			_, err := a.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String(fmt.Sprintf("s-%d", i)), Input: aws.String(w3Input(i))})
			if err != nil {
				b.Fatal(err)
			}
			samples = append(samples, time.Since(t0))
		}
		b.StopTimer()
		reportLatency(b, "start", samples)
		reportCommit(b)
		lp50, lp99 := loopbackBaseline(b)
		b.ReportMetric(us(lp50), "loopback-p50-us")
		b.ReportMetric(us(lp99), "loopback-p99-us")
		b.ReportMetric(0, "ns/op")
	})
}

// ---- Activity dispatch ----

// BenchmarkActivityDispatch times an activity task's way to a worker: a
// worker process's Go SDK client is already blocked in GetActivityTask
// (long poll) on the real HTTP API; StartExecution (through the SDK too)
// starts a one-activity machine; "dispatch" runs from the moment the step
// that scheduled the task is durable to the moment the worker's SDK call
// returns the task, "start-to-held" from the StartExecution call. The
// baseline is BenchmarkLoopbackHTTP's plain round trip in the same run.
// Target: dispatch p99 <= 3x loopback p99. fsync on.
func BenchmarkActivityDispatch(b *testing.B) {
	loopP50, loopP99 := loopbackBaseline(b)
	e := newEnv(b, true, engine.Options{})
	a := e.serveAPI(30 * time.Second)
	p := newDispatchProbe(b, "dispatch", a, a, []*env{e}, nil)
	s := benchDispatch(b, p, nil)
	reportDispatch(b, s, loopP50, loopP99, false)
	reportCommit(b)
	b.ReportMetric(0, "ns/op")
}

// BenchmarkActivityDispatchCrossNode is BenchmarkActivityDispatch on two
// nodes sharing a PostgreSQL schema, each behind an API server of its own,
// once their shard leases have settled. "cross-node": the worker's long
// poll waits on node B and StartExecution goes to node A, where no poller
// waits, so A publishes a notification (store.ChannelActivity) after the
// step is durable, and B, hearing it, reads the task from the store and
// claims it, loading the execution A ran. "same-node": both calls go to
// node A of the same cluster, and the task reaches the poller in memory.
// "one-node": both on a single-node PostgreSQL env, whose engine holds no
// leases. A poller on a shared store also reads it every PollInterval (1
// s) whatever it hears, so via-poll-% is the share of dispatches that
// took over 500 ms (the notification lost or ignored), and, cross-node,
// notes-missed the samples whose task B was given without hearing a
// notification first, notify-p50-us and notify-p99-us the time from the
// step being durable to B hearing it, and dispatch-cross-node-% the share
// of tasks claimed on another node than the one that queued them.
func BenchmarkActivityDispatchCrossNode(b *testing.B) {
	loopP50, loopP99 := loopbackBaseline(b)
	c := newPGCluster(b, 2, engine.Options{})
	c.settle(c.shards/2, time.Minute)
	na, nb := c.nodes[0], c.nodes[1]
	apiA, apiB := na.serveAPI(30*time.Second), nb.serveAPI(30*time.Second)
	b.Run("cross-node", func(b *testing.B) {
		c.settle(c.shards/2, time.Minute)
		p := newDispatchProbe(b, "cross", apiA, apiB, c.nodes, nb.st)
		var dc0, dx0 int64
		s := benchDispatch(b, p, func() { dc0, dx0 = c.origins.claims.Load(), c.origins.cross.Load() })
		reportDispatch(b, s, loopP50, loopP99, true)
		reportNotes(b, s)
		b.ReportMetric(100*float64(c.origins.cross.Load()-dx0)/float64(c.origins.claims.Load()-dc0), "dispatch-cross-node-%")
		b.ReportMetric(0, "ns/op")
	})
	b.Run("same-node", func(b *testing.B) {
		c.settle(c.shards/2, time.Minute)
		p := newDispatchProbe(b, "same", apiA, apiA, c.nodes, nil)
		var dc0, dx0 int64
		s := benchDispatch(b, p, func() { dc0, dx0 = c.origins.claims.Load(), c.origins.cross.Load() })
		reportDispatch(b, s, loopP50, loopP99, true)
		b.ReportMetric(100*float64(c.origins.cross.Load()-dx0)/float64(c.origins.claims.Load()-dc0), "dispatch-cross-node-%")
		b.ReportMetric(0, "ns/op")
	})
	b.Run("one-node", func(b *testing.B) {
		e := newPGEnv(b, engine.Options{})
		a := e.serveAPI(30 * time.Second)
		s := benchDispatch(b, newDispatchProbe(b, "one", a, a, []*env{e}, nil), nil)
		reportDispatch(b, s, loopP50, loopP99, false)
		b.ReportMetric(0, "ns/op")
	})
}

// TestActivityDispatchCrossNodeSmoke hands a few tasks queued on node A to
// a worker long-polling node B of two sharing a PostgreSQL schema: the
// harness BenchmarkActivityDispatchCrossNode uses works, and tasks reach
// B by their notifications, not only by B's PollInterval reads.
func TestActivityDispatchCrossNodeSmoke(t *testing.T) {
	c := newPGCluster(t, 2, engine.Options{})
	na, nb := c.nodes[0], c.nodes[1]
	p := newDispatchProbe(t, "cross", na.serveAPI(30*time.Second), nb.serveAPI(30*time.Second), c.nodes, nb.st)
	// The first may be sent before B listens: notifications sent then
	// are lost to it, and B finds the task by reading the store.
	p.sample("warm")
	dc0, dx0 := c.origins.claims.Load(), c.origins.cross.Load()
	var s []dispatchSample
	for i := range 5 {
		s = append(s, p.sample(fmt.Sprintf("d-%d", i)))
	}
	// B also reads the store every PollInterval, and on a loaded machine
	// such a read can find a task before its notification arrives: a
	// sample that was not heard is no failure, but none heard means the
	// notification path does not work.
	heard := 0
	for i, x := range s {
		if x.heard {
			heard++
		} else {
			t.Logf("sample %d: B was given the task %v after it was durable before hearing a notification", i, x.dispatch)
		}
	}
	if heard == 0 {
		t.Errorf("B heard no notification for any of %d tasks queued on A", len(s))
	}
	if claims, cross := c.origins.claims.Load()-dc0, c.origins.cross.Load()-dx0; claims != 5 || cross != 5 {
		t.Errorf("%d of %d claims committed on another node than the one that queued the task; want 5 of 5", cross, claims)
	}
	t.Logf("dispatch %v, notification heard %v after the step was durable (first sample)", s[0].dispatch, s[0].notify)
}

// dispatchProbe is a one-activity machine started through one API server
// while a worker's Go SDK call is already blocked in GetActivityTask on
// another (or the same), one task at a time.
type dispatchProbe struct {
	tb          testing.TB
	start, poll *apiServer
	smArn       string
	// polled is the store of the node the worker polls, which counts the
	// notifications it hears; nil when they are not looked at.
	polled *countingStore

	schedMu sync.Mutex
	sched   map[string]time.Time // execution → when its task's step was durable

	ready chan struct{}
	got   chan heldTask
}

type heldTask struct {
	token, arn string
	at         time.Time
	err        error
}

// dispatchSample is one task's way to the worker. notify is from the
// step being durable to the polled node hearing a notification, when
// heard.
type dispatchSample struct {
	dispatch, total, notify time.Duration
	heard                   bool
}

// newDispatchProbe creates an activity and a machine named name through
// start, and starts a worker long-polling poll. nodes are the engines
// whose steps may queue the task.
func newDispatchProbe(tb testing.TB, name string, start, poll *apiServer, nodes []*env, polled *countingStore) *dispatchProbe {
	tb.Helper()
	p := &dispatchProbe{tb: tb, start: start, poll: poll, polled: polled, sched: map[string]time.Time{},
		ready: make(chan struct{}), got: make(chan heldTask)}
	actArn := start.createActivity(tb, name)
	p.smArn = start.createMachine(tb, name, `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"`+actArn+`","End":true}}}`)
	scheduled := func(arn string) {
		now := time.Now()
		p.schedMu.Lock()
		p.sched[arn] = now
		p.schedMu.Unlock()
	}
	for _, e := range nodes {
		e.st.scheduled.Store(&scheduled)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	// Registered after the servers', so it runs first: the worker stops
	// before its server closes under it.
	tb.Cleanup(func() {
		cancel()
		wg.Wait()
		for _, e := range nodes {
			e.st.scheduled.Store(nil)
		}
	})
	wg.Go(func() {
		for ctx.Err() == nil {
			select {
			case p.ready <- struct{}{}:
			case <-ctx.Done():
				return
			}
			out, err := poll.client.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(actArn), WorkerName: aws.String("w")})
			h := heldTask{at: time.Now(), err: err}
			if err == nil && out.TaskToken == nil {
				h.err = errors.New("GetActivityTask: no task within the long poll")
			}
			if h.err == nil {
				h.token = aws.ToString(out.TaskToken)
				h.arn, _ = tokenExecution(h.token)
			}
			select {
			case p.got <- h:
			case <-ctx.Done():
				return
			}
			if h.err != nil {
				return
			}
			if _, err := poll.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: out.TaskToken, Output: aws.String(`{"done":true}`)}); err != nil && ctx.Err() == nil {
				tb.Errorf("SendTaskSuccess: %v", err)
			}
		}
	})
	return p
}

// sample starts execution name once the worker's call is waiting in the
// engine, and times its task's way to the worker.
func (p *dispatchProbe) sample(name string) dispatchSample {
	p.tb.Helper()
	p0 := p.poll.polls.Load()
	<-p.ready
	// Let the poll reach the server and block in the engine.
	for p.poll.polls.Load() == p0 {
		time.Sleep(100 * time.Microsecond)
	}
	time.Sleep(time.Millisecond)
	var notes0 int64
	if p.polled != nil {
		notes0 = p.polled.activityNotes.Load()
	}
	t0 := time.Now()
	out, err := p.start.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(p.smArn), Name: aws.String(name), Input: aws.String(`{"n":1}`)})
	if err != nil {
		p.tb.Fatal(err)
	}
	h := <-p.got
	if h.err != nil {
		p.tb.Fatal(h.err)
	}
	arn := aws.ToString(out.ExecutionArn)
	if h.arn != arn {
		p.tb.Fatalf("the worker got a task of %s, want %s", h.arn, arn)
	}
	p.schedMu.Lock()
	ts, ok := p.sched[arn]
	delete(p.sched, arn)
	p.schedMu.Unlock()
	if !ok {
		p.tb.Fatalf("no scheduled time for %s", arn)
	}
	s := dispatchSample{dispatch: h.at.Sub(ts), total: h.at.Sub(t0)}
	// The worker holds the task only once B has claimed it, so a
	// notification that reached B in time has been counted by now.
	if p.polled != nil && p.polled.activityNotes.Load() > notes0 {
		s.heard = true
		s.notify = time.Unix(0, p.polled.lastActivityNote.Load()).Sub(ts)
	}
	return s
}

// benchDispatch takes 20 warm-up samples, then, after calling warm when
// set, dispatchSamples per operation, timed.
func benchDispatch(b *testing.B, p *dispatchProbe, warm func()) []dispatchSample {
	for i := range 20 {
		p.sample(fmt.Sprintf("warm-%d", i))
	}
	if warm != nil {
		warm()
	}
	var s []dispatchSample
	b.ResetTimer()
	for i := range b.N * dispatchSamples {
		s = append(s, p.sample(fmt.Sprintf("d-%d", i)))
	}
	b.StopTimer()
	return s
}

// reportDispatch reports dispatch and start-to-held p50 and p99 beside the
// loopback baseline; and, on a shared store (where a poller also reads
// it every PollInterval), via-poll-%.
func reportDispatch(b *testing.B, s []dispatchSample, loopP50, loopP99 time.Duration, shared bool) {
	dispatch := make([]time.Duration, len(s))
	total := make([]time.Duration, len(s))
	slow := 0
	for i, x := range s {
		dispatch[i], total[i] = x.dispatch, x.total
		if x.dispatch > 500*time.Millisecond {
			slow++
		}
	}
	_, p99 := reportLatency(b, "dispatch", dispatch)
	reportLatency(b, "start-to-held", total)
	b.ReportMetric(us(loopP50), "loopback-p50-us")
	b.ReportMetric(us(loopP99), "loopback-p99-us")
	b.ReportMetric(float64(p99)/float64(loopP99), "p99-x-loopback")
	if shared {
		b.ReportMetric(100*float64(slow)/float64(len(s)), "via-poll-%")
	}
}

// reportNotes reports how many tasks reached the polled node without its
// hearing a notification first, and how long the notifications took.
func reportNotes(b *testing.B, s []dispatchSample) {
	var notify []time.Duration
	for _, x := range s {
		if x.heard {
			notify = append(notify, x.notify)
		}
	}
	b.ReportMetric(float64(len(s)-len(notify)), "notes-missed")
	reportLatency(b, "notify", notify)
}

// tokenExecution reads the execution out of a task token's clear part.
func tokenExecution(token string) (string, bool) {
	head, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "", false
	}
	arn, _, ok := strings.Cut(string(raw), "\x00")
	return arn, ok
}

// ---- Memory of waiting executions ----

// BenchmarkWaitingMemory starts 100,000 executions (1,000,000 or any
// other count with STATECRAFT_BENCH_WAITING) through the engine, fsync off
// (this measures memory, not commits), and reports Go heap in use and the
// process's RSS per waiting execution, average and marginal (the second
// half), each beside a linear extrapolation to 1,000,000 (target <= 512 B
// per execution). Wait: each execution waits an hour in a Wait state; the
// engine drops such an idle execution from memory once its step commits
// and replays it from the store when its timer fires. Task/MaxLive=all:
// each waits for an activity task no worker takes, a hot execution the
// engine keeps in memory (all of them, with MaxLive=all): the cost of a
// live execution, which MaxLive bounds.
func BenchmarkWaitingMemory(b *testing.B) {
	for _, c := range []struct {
		name    string
		maxLive int
		def     string
	}{
		{"Wait", 0, `{"StartAt":"Pause","States":{"Pause":{"Type":"Wait","Seconds":3600,"Next":"Done"},"Done":{"Type":"Succeed"}}}`},
		{"Task/MaxLive=all", waitingN(b), `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"` + actPfx + `idle","End":true}}}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				waitingMemory(b, c.maxLive, c.def)
			}
		})
	}
}

// waitingN is how many executions BenchmarkWaitingMemory and
// BenchmarkRestartWaiting start: STATECRAFT_BENCH_WAITING, or 100,000.
func waitingN(tb testing.TB) int {
	v := os.Getenv("STATECRAFT_BENCH_WAITING")
	if v == "" {
		return 100000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 {
		tb.Fatalf("STATECRAFT_BENCH_WAITING=%q: want a count of at least 2", v)
	}
	return n
}

// startWaiting starts executions w-from to w-(to-1) of sm from 200
// goroutines.
func startWaiting(tb testing.TB, e *env, sm *store.StateMachine, from, to int) {
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(to) {
					return
				}
				n := strconv.FormatInt(i, 10)
				if _, err := e.eng.StartExecution(context.Background(), sm, "w-"+n, mustInput(`{"userId":"u`+n+`"}`), ""); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// countRunning counts sm's RUNNING executions in the store.
func countRunning(tb testing.TB, st store.Store, sm *store.StateMachine) int {
	running := 0
	for token := ""; ; {
		page, next, err := st.ListExecutions(context.Background(), store.ListExecutionsParams{StateMachineArn: sm.Arn, Status: "RUNNING", Limit: 1000, Token: token})
		if err != nil {
			tb.Fatal(err)
		}
		running += len(page)
		if token = next; token == "" {
			return running
		}
	}
}

func waitingMemory(b *testing.B, maxLive int, def string) {
	b.StopTimer()
	count := waitingN(b)
	e := newEnv(b, false, engine.Options{MaxLive: maxLive})
	sm := e.machine("wait", def)
	ctx := context.Background()
	// Something already ran: the machine is parsed, the pools are open.
	if _, err := e.eng.StartExecution(ctx, sm, "first", mustInput(`{}`), ""); err != nil {
		b.Fatal(err)
	}
	half := count / 2
	heap0, rss0 := memNow()
	b.StartTimer()
	start := time.Now()
	startWaiting(b, e, sm, 0, half)
	elapsed := time.Since(start)
	b.StopTimer()
	heapHalf, rssHalf := memNow()
	b.StartTimer()
	start = time.Now()
	startWaiting(b, e, sm, half, count)
	elapsed += time.Since(start)
	b.StopTimer()
	heap1, rss1 := memNow()
	if dir := os.Getenv("STATECRAFT_BENCH_HEAPPROFILE"); dir != "" {
		// What is in memory with every execution waiting (a -memprofile
		// is written after the engine has stopped).
		writeHeapProfile(b, filepath.Join(dir, "waiting-"+strings.ReplaceAll(b.Name(), "/", "_")+".pprof"))
	}

	if running := countRunning(b, e.st, sm); running != count+1 {
		b.Fatalf("%d executions running, want %d", running, count+1)
	}
	disk := fileSize(e.path) + fileSize(e.path+"-wal")
	// Average cost over all, and the marginal cost of the second half:
	// the average includes what grows to a bound and then stays (the
	// SQLite page caches, MaxLive executions), which the marginal figure
	// leaves out.
	n := float64(count)
	rssPer := (float64(rss1) - float64(rss0)) / n
	rssMarginal := (float64(rss1) - float64(rssHalf)) / float64(count-half)
	b.ReportMetric((float64(heap1)-float64(heap0))/n, "heap-B/exec")
	b.ReportMetric((float64(heap1)-float64(heapHalf))/float64(count-half), "heap-marginal-B/exec")
	b.ReportMetric(rssPer, "rss-B/exec")
	b.ReportMetric(rssMarginal, "rss-marginal-B/exec")
	b.ReportMetric(float64(rss1)/(1<<20), "rss-MiB")
	b.ReportMetric((float64(rss0)+rssPer*1e6)/(1<<20), "rss-MiB@1M-linear")
	b.ReportMetric((float64(rss1)+rssMarginal*(1e6-n))/(1<<20), "rss-MiB@1M-marginal")
	b.ReportMetric(float64(disk)/n, "disk-B/exec")
	b.ReportMetric(n/elapsed.Seconds(), "starts/s")
	b.ReportMetric(0, "ns/op")
	e.stop()
}

func writeHeapProfile(tb testing.TB, path string) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		tb.Fatal(err)
	}
}

// memNow returns the Go heap in use and the process's resident set after
// a full collection that returns freed memory to the system.
func memNow() (heap, rss uint64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, vmRSS()
}

// vmRSS is VmRSS from /proc/self/status, in bytes (0 off Linux).
func vmRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
