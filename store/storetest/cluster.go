package storetest

import (
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// exerciseCluster checks store.Cluster, the leases and fences of a driver
// that several nodes share; a driver for one process must instead refuse
// leases and fences (ErrNoShards). Two nodes are two node IDs on one
// store: a lease belongs to a node ID, not to a connection.
func exerciseCluster(t *testing.T, open func(*testing.T) store.Store) {
	if _, ok := open(t).(store.Cluster); !ok {
		run(t, open, []test{{"RefusesLeasesAndFences", testClusterRefused}})
		return
	}
	run(t, open, []test{
		{"AcquireRenewRelease", testClusterLeases},
		{"Expiry", testClusterExpiry},
		{"Fences", testClusterFences},
		{"TimersByShard", testClusterTimers},
		{"Nodes", testClusterNodes},
	})
}

const hour = time.Hour

func testClusterRefused(t *testing.T, s store.Store) {
	e := start(t, s, "a", at(0), 1)
	f := store.Fence{Shard: 0, RangeID: 1}
	checkErr(t, "DueTimers with leases", func() error {
		_, err := s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(10), Limit: 1, Leases: []store.Lease{}})
		return err
	}(), store.ErrNoShards)
	checkErr(t, "NextTimer with leases", func() error {
		_, _, err := s.NextTimer(ctxT(t), store.NextTimerParams{Leases: []store.Lease{}})
		return err
	}(), store.ErrNoShards)
	checkErr(t, "fenced SetTimer", s.SetTimer(ctxT(t), store.Timer{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState, Due: at(1), Fence: f}), store.ErrNoShards)
	checkErr(t, "fenced DeleteTimer", s.DeleteTimer(ctxT(t), store.Timer{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState, Fence: f}), store.ErrNoShards)
	checkErr(t, "fenced step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Fence: f}), store.ErrNoShards)
}

func cluster(t *testing.T, s store.Store) store.Cluster {
	c := s.(store.Cluster)
	if c.ShardCount() < 2 {
		t.Fatalf("ShardCount = %d: a shared store needs shards to share", c.ShardCount())
	}
	return c
}

func acquire(t *testing.T, c store.Cluster, node string, ttl time.Duration, n int) []store.Lease {
	t.Helper()
	ls, err := c.AcquireShards(ctxT(t), store.AcquireShardsParams{Node: node, TTL: ttl, Max: n})
	must(t, "AcquireShards "+node, err)
	for _, l := range ls {
		if l.Node != node || l.RangeID <= 0 || l.Expires.IsZero() {
			t.Fatalf("AcquireShards %s returned %+v", node, l)
		}
	}
	return ls
}

func testClusterLeases(t *testing.T, s store.Store) {
	c := cluster(t, s)
	n := c.ShardCount()
	a := acquire(t, c, "a", hour, 3)
	if len(a) != 3 {
		t.Fatalf("a acquired %d shards, want 3", len(a))
	}
	rest := acquire(t, c, "b", hour, n)
	if len(rest) != n-3 {
		t.Fatalf("b acquired %d shards, want the %d left", len(rest), n-3)
	}
	if more := acquire(t, c, "c", hour, n); len(more) != 0 {
		t.Fatalf("c acquired %+v while every lease is held", more)
	}
	all, err := c.ListShards(ctxT(t))
	must(t, "ListShards", err)
	if len(all) != n {
		t.Fatalf("ListShards = %d leases, want %d", len(all), n)
	}
	for i, l := range all {
		if l.Shard != i || (l.Node != "a" && l.Node != "b") {
			t.Fatalf("ListShards[%d] = %+v", i, l)
		}
	}
	renewed, err := c.RenewShards(ctxT(t), store.RenewShardsParams{Node: "a", TTL: 2 * hour, Leases: a})
	must(t, "RenewShards", err)
	if len(renewed) != 3 || !renewed[0].Expires.After(a[0].Expires) {
		t.Fatalf("RenewShards = %+v, want the 3 leases moved on from %v", renewed, a[0].Expires)
	}
	for _, l := range renewed {
		if l.RangeID != a[0].RangeID && l.RangeID != a[1].RangeID && l.RangeID != a[2].RangeID {
			t.Fatalf("RenewShards changed a range ID: %+v", l)
		}
	}
	// Another node's lease is not renewed, whatever it names.
	if got, err := c.RenewShards(ctxT(t), store.RenewShardsParams{Node: "b", TTL: hour, Leases: a}); err != nil || len(got) != 0 {
		t.Fatalf("b renewing a's leases = %+v, %v; want none", got, err)
	}
	must(t, "ReleaseShards", c.ReleaseShards(ctxT(t), a[:1]))
	got := acquire(t, c, "c", hour, n)
	if len(got) != 1 || got[0].Shard != a[0].Shard || got[0].RangeID != a[0].RangeID+1 {
		t.Fatalf("after a released shard %d (range %d), c acquired %+v; want it at the next range", a[0].Shard, a[0].RangeID, got)
	}
	// A lease released or taken is no longer renewed.
	if got, err := c.RenewShards(ctxT(t), store.RenewShardsParams{Node: "a", TTL: hour, Leases: a}); err != nil || len(got) != 2 {
		t.Fatalf("a renewing after losing one = %+v, %v; want its other 2", got, err)
	}
	// A live lease is not taken again, not even by its own node: that
	// would fence the node's own writes in flight.
	if again := acquire(t, c, "c", hour, n); len(again) != 0 {
		t.Fatalf("c acquiring again = %+v, want nothing: its lease is live", again)
	}
	if _, err := c.AcquireShards(ctxT(t), store.AcquireShardsParams{Node: "d", TTL: hour, Max: 0}); err == nil {
		t.Error("AcquireShards with Max 0 succeeded")
	}
}

func testClusterExpiry(t *testing.T, s store.Store) {
	c := cluster(t, s)
	n := c.ShardCount()
	a := acquire(t, c, "a", 200*time.Millisecond, n)
	if len(a) != n {
		t.Fatalf("a acquired %d of %d", len(a), n)
	}
	if got := acquire(t, c, "b", hour, n); len(got) != 0 {
		t.Fatalf("b acquired %d live leases", len(got))
	}
	deadline := time.Now().Add(30 * time.Second)
	var got []store.Lease
	for len(got) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		got = append(got, acquire(t, c, "b", hour, n)...)
	}
	if len(got) != n {
		t.Fatalf("b took %d of the %d expired leases", len(got), n)
	}
	if renewed, err := c.RenewShards(ctxT(t), store.RenewShardsParams{Node: "a", TTL: hour, Leases: a}); err != nil || len(renewed) != 0 {
		t.Fatalf("a renewing leases b took = %+v, %v", renewed, err)
	}
}

// leaseOf acquires the shard of arn for node, and every other shard with
// it, and returns that shard's lease.
func leaseOf(t *testing.T, c store.Cluster, node, arn string) store.Lease {
	t.Helper()
	shard := store.ShardOf(arn, c.ShardCount())
	for _, l := range acquire(t, c, node, hour, c.ShardCount()) {
		if l.Shard == shard {
			return l
		}
	}
	t.Fatalf("%s could not acquire shard %d", node, shard)
	return store.Lease{}
}

func testClusterFences(t *testing.T, s store.Store) {
	c := cluster(t, s)
	e := start(t, s, "a", at(0), 1)
	la := leaseOf(t, c, "a", e.Arn)
	fa := la.Fence()
	tm := store.Timer{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerInvoke, Due: at(5), Fence: fa}
	must(t, "fenced SetTimer", s.SetTimer(ctxT(t), tm))
	must(t, "fenced step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte(`"x"`), Events: events(2, 1, at(1)), Fence: fa}))

	// b takes the shard: a's writes under its old fence are refused and
	// write nothing.
	must(t, "ReleaseShards", c.ReleaseShards(ctxT(t), []store.Lease{la}))
	lb := leaseOf(t, c, "b", e.Arn)
	if lb.RangeID <= la.RangeID {
		t.Fatalf("b's range %d is not past a's %d", lb.RangeID, la.RangeID)
	}
	checkErr(t, "stale fenced step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte(`"y"`), Events: events(3, 1, at(2)), Fence: fa}), store.ErrFenced)
	if got := getExecution(t, s, e.Arn); got.Seq != 2 || got.Events != 2 {
		t.Fatalf("after a refused step the execution is at seq %d with %d events, want 2 and 2", got.Seq, got.Events)
	}
	moved := tm
	moved.Due = at(50)
	checkErr(t, "stale fenced SetTimer", s.SetTimer(ctxT(t), moved), store.ErrFenced)
	checkErr(t, "stale fenced DeleteTimer", s.DeleteTimer(ctxT(t), tm), store.ErrFenced)
	if got := timersOf(t, s, e.Arn); len(got) != 1 || got[0].Due.Sub(at(5)).Abs() >= time.Millisecond {
		t.Fatalf("after refused timer writes the timers are %+v, want the one due at %v", got, at(5))
	}
	// b's fence is the shard's now; unfenced callers' writes go on.
	fb := lb.Fence()
	must(t, "b's fenced step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte(`"y"`), Events: events(3, 1, at(2)), Fence: fb}))
	tm.Fence = fb
	must(t, "b's fenced DeleteTimer", s.DeleteTimer(ctxT(t), tm))
	must(t, "unfenced step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Input: []byte(`"z"`), Events: events(4, 1, at(3))}))
	// A fence naming the wrong range of a shard is refused even when the
	// shard is free.
	must(t, "ReleaseShards", c.ReleaseShards(ctxT(t), []store.Lease{lb}))
	checkErr(t, "fence of a range never held", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 4, Input: []byte(`"w"`), Events: events(5, 1, at(4)),
		Fence: store.Fence{Shard: lb.Shard, RangeID: lb.RangeID + 7}}), store.ErrFenced)
}

func testClusterTimers(t *testing.T, s store.Store) {
	c := cluster(t, s)
	n := c.ShardCount()
	// Executions until two shards are covered.
	var execs []*store.Execution
	shards := map[int]bool{}
	for i := 0; len(shards) < 2 && i < 100; i++ {
		e := start(t, s, "x"+string(rune('a'+i%26))+string(rune('a'+i/26)), at(0), 1)
		execs = append(execs, e)
		shards[store.ShardOf(e.Arn, n)] = true
		must(t, "SetTimer", s.SetTimer(ctxT(t), store.Timer{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState, Due: at(10 + i)}))
	}
	first := store.ShardOf(execs[0].Arn, n)
	var mine []store.Lease
	for _, l := range acquire(t, c, "a", hour, n) {
		if l.Shard == first {
			mine = append(mine, l)
		}
	}
	due, err := s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(1000), Limit: 100, Leases: mine})
	must(t, "DueTimers with a lease", err)
	want := 0
	for _, e := range execs {
		if store.ShardOf(e.Arn, n) == first {
			want++
		}
	}
	if len(due) != want || want == len(execs) {
		t.Fatalf("DueTimers of shard %d = %d timers, want %d of %d", first, len(due), want, len(execs))
	}
	for _, tm := range due {
		if store.ShardOf(tm.ExecutionArn, n) != first || tm.Fence != mine[0].Fence() {
			t.Fatalf("DueTimers of shard %d returned %+v (fence %+v)", first, tm, mine[0].Fence())
		}
	}
	next, ok, err := s.NextTimer(ctxT(t), store.NextTimerParams{Leases: mine})
	must(t, "NextTimer with a lease", err)
	checkTime(t, "NextTimer of a shard", next, due[0].Due)
	if !ok {
		t.Fatal("NextTimer of a shard with timers: none")
	}
	if due, err := s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(1000), Limit: 100, Leases: []store.Lease{}}); err != nil || len(due) != 0 {
		t.Fatalf("DueTimers with no lease = %+v, %v; want none", due, err)
	}
	if _, ok, err := s.NextTimer(ctxT(t), store.NextTimerParams{Leases: []store.Lease{}}); err != nil || ok {
		t.Fatalf("NextTimer with no lease = %v, %v; want none", ok, err)
	}
	all, err := s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(1000), Limit: 100})
	must(t, "DueTimers of every shard", err)
	if len(all) != len(execs) || !all[0].Fence.IsZero() {
		t.Fatalf("DueTimers without leases = %+v, want %d unfenced", all, len(execs))
	}
	// Timers added by a step land in the execution's shard too.
	e := execs[len(execs)-1]
	must(t, "step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte(`"t"`), Events: events(2, 1, at(1)),
		AddTimers: []store.Timer{{Ref: 9, Kind: store.TimerTask, Due: at(1)}}}))
	var its []store.Lease
	for _, l := range acquire(t, c, "a", hour, n) {
		if l.Shard == store.ShardOf(e.Arn, n) {
			its = append(its, l)
		}
	}
	got, err := s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(1), Limit: 10, Leases: its})
	must(t, "DueTimers of a step's shard", err)
	if len(got) != 1 || got[0].ExecutionArn != e.Arn || got[0].Ref != 9 {
		t.Fatalf("DueTimers of the step's shard = %+v", got)
	}
}

func testClusterNodes(t *testing.T, s store.Store) {
	c := cluster(t, s)
	started := time.Now().UTC().Truncate(time.Millisecond)
	must(t, "Heartbeat", c.Heartbeat(ctxT(t), store.Node{ID: "b", Address: "127.0.0.1:2", StartedAt: started, Info: `{"live":1}`}))
	must(t, "Heartbeat", c.Heartbeat(ctxT(t), store.Node{ID: "a", Address: "127.0.0.1:1", StartedAt: started, Info: `{}`}))
	must(t, "Heartbeat again", c.Heartbeat(ctxT(t), store.Node{ID: "b", Address: "127.0.0.1:3", StartedAt: started, Info: `{"live":2}`}))
	nodes, err := c.ListNodes(ctxT(t), store.ListNodesParams{SeenWithin: hour, Limit: 10})
	must(t, "ListNodes", err)
	if len(nodes) != 2 || nodes[0].ID != "a" || nodes[1].ID != "b" || nodes[1].Address != "127.0.0.1:3" || nodes[1].Info != `{"live":2}` {
		t.Fatalf("ListNodes = %+v", nodes)
	}
	checkTime(t, "StartedAt", nodes[0].StartedAt, started)
	if nodes[0].SeenAt.IsZero() {
		t.Error("SeenAt is zero")
	}
	checkErr(t, "ListNodes limit 0", func() error {
		_, err := c.ListNodes(ctxT(t), store.ListNodesParams{SeenWithin: hour})
		return err
	}(), store.ErrInvalidLimit)
	time.Sleep(100 * time.Millisecond)
	if nodes, err := c.ListNodes(ctxT(t), store.ListNodesParams{SeenWithin: 50 * time.Millisecond, Limit: 10}); err != nil || len(nodes) != 0 {
		t.Fatalf("ListNodes of the last 50ms = %+v, %v; want none", nodes, err)
	}
	must(t, "DeleteNode", c.DeleteNode(ctxT(t), "a"))
	must(t, "DeleteNode unknown", c.DeleteNode(ctxT(t), "zz"))
	if nodes, err := c.ListNodes(ctxT(t), store.ListNodesParams{SeenWithin: hour, Limit: 10}); err != nil || len(nodes) != 1 || nodes[0].ID != "b" {
		t.Fatalf("ListNodes after DeleteNode = %+v, %v", nodes, err)
	}
}
