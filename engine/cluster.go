package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/statecraft/statecraft/store"
)

// Several nodes on one store (store.Store's doc, "Several nodes"): when
// the store is a store.Cluster, this node holds a share of its shards by
// lease and fires the timers of those shards only; everything else (API
// calls, pollers, callbacks) works on any node, ordered by Seq.
//
// One loop keeps the leases, every lease/3: it renews the leases it holds
// (a lease not renewed is dropped at once; one that cannot be renewed is
// dropped when its time, counted by this node's clock from before the
// renewal was sent, runs out), records the node's heartbeat row, and
// moves towards its fair share, ceil(shards / live nodes): it acquires
// free and expired shards while below it, and releases its surplus when
// above, so that a node joining gets its share from the others and a
// node dying leaves its shards to the others once its lease and its
// heartbeat expire. Takeover thus takes about one lease plus one tick.

// DefaultShardLease is how long a shard lease lasts unless renewed.
const DefaultShardLease = 6 * time.Second

// DefaultPollInterval is how often a node waiting for work reads the store
// whether or not a notification came (the contract: notifications can be
// lost).
const DefaultPollInterval = time.Second

type cluster struct {
	c       store.Cluster
	node    string
	address string
	started time.Time
	ttl     time.Duration

	mu   sync.Mutex
	held map[int]heldLease
}

type heldLease struct {
	lease store.Lease
	until time.Time // by this node's clock
}

func newCluster(c store.Cluster, opts Options) *cluster {
	node := opts.NodeID
	if node == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		node = "node-" + hex.EncodeToString(b[:])
	}
	ttl := opts.ShardLease
	if ttl <= 0 {
		ttl = DefaultShardLease
	}
	return &cluster{c: c, node: node, address: opts.Address, started: time.Now().UTC(), ttl: ttl, held: map[int]heldLease{}}
}

// leases returns the leases this node may act on at now, by the wall
// clock (never Options.Now, a test's clock: leases are real time): never
// nil, so that a node holding none reads no timers.
func (cl *cluster) leases(now time.Time) []store.Lease {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	out := make([]store.Lease, 0, len(cl.held))
	for _, h := range cl.held {
		if now.Before(h.until) {
			out = append(out, h.lease)
		}
	}
	return out
}

// holds tells whether this node holds shard now.
func (cl *cluster) holds(shard int, now time.Time) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	h, ok := cl.held[shard]
	return ok && now.Before(h.until)
}

// drop forgets a shard's lease held at rangeID: a fenced write found it
// taken.
func (cl *cluster) drop(f store.Fence) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if h, ok := cl.held[f.Shard]; ok && h.lease.RangeID == f.RangeID {
		delete(cl.held, f.Shard)
	}
}

// NodeID is the ID this engine goes by in its cluster, "" when its store
// is not shared.
func (e *Engine) NodeID() string {
	if e.cl == nil {
		return ""
	}
	return e.cl.node
}

// Shards returns the shards this node holds now, in order; nil when its
// store is not shared.
func (e *Engine) Shards() []int {
	if e.cl == nil {
		return nil
	}
	var out []int
	for _, l := range e.cl.leases(time.Now()) {
		out = append(out, l.Shard)
	}
	sort.Ints(out)
	return out
}

// keepLeases runs the lease loop until ctx ends; done is closed when it
// has.
func (e *Engine) keepLeases(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	cl := e.cl
	tick := time.NewTicker(cl.ttl / 3)
	defer tick.Stop()
	for {
		e.leaseTick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// leaseTick is one pass of the lease loop.
func (e *Engine) leaseTick(ctx context.Context) {
	cl := e.cl
	sent := time.Now()
	cl.mu.Lock()
	mine := make([]store.Lease, 0, len(cl.held))
	for _, h := range cl.held {
		mine = append(mine, h.lease)
	}
	cl.mu.Unlock()
	// Renewals are bounded by the lease: past it, they would be of no use.
	rctx, cancel := context.WithTimeout(ctx, cl.ttl)
	defer cancel()
	if len(mine) > 0 {
		renewed, err := cl.c.RenewShards(rctx, store.RenewShardsParams{Node: cl.node, TTL: cl.ttl, Leases: mine})
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("renewing shard leases", "node", cl.node, "err", err)
			}
			e.expireLeases()
			return
		}
		keep := make(map[int]bool, len(renewed))
		cl.mu.Lock()
		for _, l := range renewed {
			keep[l.Shard] = true
			cl.held[l.Shard] = heldLease{lease: l, until: sent.Add(cl.ttl)}
		}
		for s := range cl.held {
			if !keep[s] {
				delete(cl.held, s)
				e.log.Info("shard lease lost", "node", cl.node, "shard", s)
			}
		}
		cl.mu.Unlock()
	}
	if err := cl.c.Heartbeat(rctx, store.Node{ID: cl.node, Address: cl.address, StartedAt: cl.started, Info: e.nodeInfo()}); err != nil {
		if ctx.Err() == nil {
			e.log.Warn("recording the node's heartbeat", "node", cl.node, "err", err)
		}
		return
	}
	nodes, err := cl.c.ListNodes(rctx, store.ListNodesParams{SeenWithin: cl.ttl, Limit: 10000})
	if err != nil {
		return
	}
	live := max(len(nodes), 1)
	n := cl.c.ShardCount()
	target := (n + live - 1) / live
	cl.mu.Lock()
	have := len(cl.held)
	cl.mu.Unlock()
	switch {
	case have < target:
		got, err := cl.c.AcquireShards(rctx, store.AcquireShardsParams{Node: cl.node, TTL: cl.ttl, Max: target - have})
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("acquiring shards", "node", cl.node, "err", err)
			}
			return
		}
		if len(got) == 0 {
			return
		}
		cl.mu.Lock()
		for _, l := range got {
			cl.held[l.Shard] = heldLease{lease: l, until: sent.Add(cl.ttl)}
		}
		cl.mu.Unlock()
		e.log.Debug("shards acquired", "node", cl.node, "count", len(got))
		e.kick()
	case have > target:
		// Give the surplus back; it stops here first, so this node fires
		// nothing more on it, and what is in flight is fenced off once
		// another node acquires it.
		var surplus []store.Lease
		cl.mu.Lock()
		for s, h := range cl.held {
			if len(surplus) == have-target {
				break
			}
			surplus = append(surplus, h.lease)
			delete(cl.held, s)
		}
		cl.mu.Unlock()
		if err := cl.c.ReleaseShards(rctx, surplus); err != nil && ctx.Err() == nil {
			e.log.Warn("releasing surplus shards", "node", cl.node, "err", err)
		}
	}
}

// expireLeases drops the leases whose time has run out by this node's
// clock, when they could not be renewed.
func (e *Engine) expireLeases() {
	now := time.Now()
	cl := e.cl
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for s, h := range cl.held {
		if !now.Before(h.until) {
			delete(cl.held, s)
			e.log.Warn("shard lease expired before it could be renewed", "node", cl.node, "shard", s)
		}
	}
}

// leaveCluster hands this node's leases back and removes its row: a node
// that stops cleanly leaves its shards to the others at once instead of
// after a lease.
func (e *Engine) leaveCluster() {
	cl := e.cl
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl.mu.Lock()
	var mine []store.Lease
	for _, h := range cl.held {
		mine = append(mine, h.lease)
	}
	cl.held = map[int]heldLease{}
	cl.mu.Unlock()
	if err := cl.c.ReleaseShards(ctx, mine); err != nil {
		e.log.Warn("handing shard leases back", "node", cl.node, "err", err)
	}
	if err := cl.c.DeleteNode(ctx, cl.node); err != nil {
		e.log.Warn("removing the node's row", "node", cl.node, "err", err)
	}
}

// NodeInfo is what a node publishes about itself in its heartbeat row.
type NodeInfo struct {
	Shards         int   `json:"shards"`
	Live           int   `json:"live"`           // STANDARD executions in memory
	Pollers        int64 `json:"pollers"`        // GetActivityTask calls waiting
	TimersInFlight int   `json:"timersInFlight"` // timer firings under way
	Invoking       int   `json:"invoking"`       // task invocations running here
}

func (e *Engine) nodeInfo() string {
	info := NodeInfo{Shards: len(e.cl.leases(time.Now()))}
	e.mu.Lock()
	info.Live, info.TimersInFlight, info.Invoking = len(e.live), len(e.inflight), len(e.invoking)
	e.mu.Unlock()
	for _, n := range e.Stats().PollersWaiting {
		info.Pollers += n
	}
	b, _ := json.Marshal(info)
	return string(b)
}

// fenced handles a write refused by a fence: the shard is another node's.
func (e *Engine) fenced(err error, f store.Fence) bool {
	if !errors.Is(err, store.ErrFenced) {
		return false
	}
	if e.cl != nil {
		e.cl.drop(f)
		e.log.Info("shard taken by another node", "node", e.cl.node, "shard", f.Shard)
	}
	return true
}
