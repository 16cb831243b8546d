package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

// sharedBus is a store several engine nodes share, with leases
// (memstore.Shared) and notifications (bus).
type sharedBus struct {
	*memstore.Shared
	notes *bus
}

func newSharedBus(n int) *sharedBus {
	sh := memstore.NewShared(n)
	return &sharedBus{Shared: sh, notes: &bus{Store: sh.Store}}
}

// Notify and Listen are bus's; the rest of the store is Shared's (whose
// CommitStep and timer writes check fences).
func (s *sharedBus) Notify(ctx context.Context, c, p string) error { return s.notes.Notify(ctx, c, p) }
func (s *sharedBus) Listen(ctx context.Context, fn func(string, string)) error {
	return s.notes.Listen(ctx, fn)
}

var (
	_ store.Cluster  = (*sharedBus)(nil)
	_ store.Notifier = (*sharedBus)(nil)
)

// node starts an engine node on st with short leases.
func node(t *testing.T, st store.Store, id string, lease time.Duration) *harness {
	t.Helper()
	h := &harness{t: t, st: st, eng: New(st, Options{NodeID: id, ShardLease: lease, PollInterval: 50 * time.Millisecond, Log: slog.New(slog.DiscardHandler)}), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { _ = h.eng.Run(ctx); close(h.done) }()
	t.Cleanup(h.stop)
	return h
}

// eventually waits up to a minute for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("not within a minute: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func held(nodes ...*harness) []int {
	var out []int
	for _, n := range nodes {
		out = append(out, len(n.eng.Shards()))
	}
	return out
}

// Three nodes share the shards fairly; one that leaves hands its shards
// to the others at once; shards whose lease runs out (a node gone without
// a word) are taken over.
func TestClusterLeasesShareAndMove(t *testing.T) {
	st := newSharedBus(64)
	lease := 300 * time.Millisecond
	a, b, c := node(t, st, "a", lease), node(t, st, "b", lease), node(t, st, "c", lease)
	fair := func(nodes ...*harness) func() bool {
		return func() bool {
			total, most := 0, (64+len(nodes)-1)/len(nodes)
			for _, n := range held(nodes...) {
				if n > most || n < most-len(nodes) {
					return false
				}
				total += n
			}
			return total == 64
		}
	}
	eventually(t, "three nodes sharing 64 shards", fair(a, b, c))
	for _, n := range []*harness{a, b, c} {
		if n.eng.NodeID() == "" || n.eng.Stats().Node != n.eng.NodeID() {
			t.Fatalf("node %q, stats %+v", n.eng.NodeID(), n.eng.Stats())
		}
	}
	c.stop()
	eventually(t, "two nodes sharing 64 shards after the third left", fair(a, b))
	nodes, err := st.ListNodes(context.Background(), store.ListNodesParams{SeenWithin: time.Minute, Limit: 10})
	if err != nil || len(nodes) != 2 {
		t.Fatalf("nodes after one left: %+v, %v", nodes, err)
	}

	// A node that vanished: leases of its own that nobody renews.
	b.stop()
	ls, _ := st.ListShards(context.Background())
	var mine []store.Lease
	for _, l := range ls {
		if l.Node == "a" {
			mine = append(mine, l)
		}
	}
	if err := st.ReleaseShards(context.Background(), mine[:10]); err != nil {
		t.Fatal(err)
	}
	ghost, err := st.AcquireShards(context.Background(), store.AcquireShardsParams{Node: "ghost", TTL: 200 * time.Millisecond, Max: 10})
	if err != nil || len(ghost) != 10 {
		t.Fatalf("ghost took %d shards: %v", len(ghost), err)
	}
	eventually(t, "the last node holding all 64 shards, the ghost's included", func() bool { return len(a.eng.Shards()) == 64 })
}

// A node fires only the timers of the shards it holds, and a node whose
// lease was taken from under it is refused (ErrFenced) when it fires one:
// the execution does not move until its shard's new holder fires it.
func TestClusterFencedTimer(t *testing.T) {
	st := newSharedBus(4)
	a := node(t, st, "a", 10*time.Second) // renews every 3.3 s: it goes on believing
	eventually(t, "a holding the 4 shards", func() bool { return len(a.eng.Shards()) == 4 })
	sm := a.machine(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"D"},"D":{"Type":"Succeed"}}}`)
	rec, err := a.eng.StartExecution(context.Background(), sm, "fenced", input(`{}`), "")
	if err != nil {
		t.Fatal(err)
	}
	// Behind a's back, its leases go to another node, which does nothing.
	ls, _ := st.ListShards(context.Background())
	if err := st.ReleaseShards(context.Background(), ls); err != nil {
		t.Fatal(err)
	}
	if got, err := st.AcquireShards(context.Background(), store.AcquireShardsParams{Node: "idle", TTL: time.Hour, Max: 4}); err != nil || len(got) != 4 {
		t.Fatalf("idle took %d: %v", len(got), err)
	}
	time.Sleep(1500 * time.Millisecond) // the Wait is due, and a fires it
	if got, _ := st.GetExecution(context.Background(), rec.Arn); got.Status != "RUNNING" || strings.Contains(strings.Join(a.types(rec.Arn), " "), "WaitStateExited") {
		t.Fatalf("a fired the timer of a shard it had lost: %s, %v", got.Status, a.types(rec.Arn))
	}
	eventually(t, "a dropping the lease it was fenced off", func() bool { return len(a.eng.Shards()) < 4 })
	// The idle node goes; a takes the shards back and fires the timer, once.
	ls, _ = st.ListShards(context.Background())
	if err := st.ReleaseShards(context.Background(), ls); err != nil {
		t.Fatal(err)
	}
	got := a.wait(rec.Arn)
	if got.Status != "SUCCEEDED" {
		t.Fatalf("status %s", got.Status)
	}
	if n := strings.Count(strings.Join(a.types(rec.Arn), " "), "WaitStateExited"); n != 1 {
		t.Fatalf("WaitStateExited %d times: %v", n, a.types(rec.Arn))
	}
}

// Three nodes run executions with Waits and retries started on any of
// them: each timer fires once, so every history holds each transition
// once.
func TestClusterTimersFireOnce(t *testing.T) {
	st := newSharedBus(16)
	lease := 500 * time.Millisecond
	nodes := []*harness{node(t, st, "a", lease), node(t, st, "b", lease), node(t, st, "c", lease)}
	eventually(t, "the nodes sharing the shards", func() bool {
		total := 0
		for _, n := range held(nodes...) {
			if n == 0 {
				return false
			}
			total += n
		}
		return total == 16
	})
	sm := nodes[0].machine(`{"StartAt":"W","States":{
		"W":{"Type":"Wait","Seconds":1,"Next":"F"},
		"F":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, 1)"},"Next":"W2"},
		"W2":{"Type":"Wait","Seconds":1,"End":true}}}`)
	var arns []string
	for i := range 30 {
		rec, err := nodes[i%3].eng.StartExecution(context.Background(), sm, fmt.Sprintf("x%d", i), input(fmt.Sprintf(`{"n":%d}`, i)), "")
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, rec.Arn)
	}
	for i, arn := range arns {
		eventually(t, "execution "+arn+" ending", func() bool {
			rec, err := st.GetExecution(context.Background(), arn)
			return err == nil && rec.Status != "RUNNING"
		})
		rec, _ := st.GetExecution(context.Background(), arn)
		if rec.Status != "SUCCEEDED" || rec.Output != fmt.Sprintf(`{"n":%d}`, i+1) {
			t.Fatalf("%s: %s %s", arn, rec.Status, rec.Output)
		}
		if n := strings.Count(strings.Join(nodes[0].types(arn), " "), "WaitStateExited"); n != 2 {
			t.Fatalf("%s: WaitStateExited %d times: %v", arn, n, nodes[0].types(arn))
		}
	}
}
