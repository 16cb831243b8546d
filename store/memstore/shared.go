package memstore

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/statecraft/statecraft/store"
)

// Shared is a Store that several engines of one process share as the
// nodes of a cluster: a store.Cluster with n shards, as store/postgres is
// on a database, for tests of the engine's leases and fences. Its clock
// (the database's, in the contract) is the wall clock.
type Shared struct {
	*Store
	n int
	// fence is held for reading by every fenced write, from its check to
	// its end, and for writing by AcquireShards: a lease is not taken from
	// under a write made with it (FOR SHARE against UPDATE, on PostgreSQL).
	fence  sync.RWMutex
	lmu    sync.Mutex // guards leases and nodes
	leases []store.Lease
	nodes  map[string]store.Node
}

var _ store.Cluster = (*Shared)(nil)

// NewShared returns an empty shared store of n shards.
func NewShared(n int) *Shared {
	s := &Shared{Store: New(), n: n, leases: make([]store.Lease, n), nodes: map[string]store.Node{}}
	for i := range s.leases {
		s.leases[i].Shard = i
	}
	return s
}

func (s *Shared) ShardCount() int { return s.n }

// fenced runs write under f's check; a zero fence runs it as it is.
func (s *Shared) fenced(f store.Fence, write func() error) error {
	if f.IsZero() {
		return write()
	}
	s.fence.RLock()
	defer s.fence.RUnlock()
	s.lmu.Lock()
	ok := f.Shard >= 0 && f.Shard < s.n && s.leases[f.Shard].RangeID == f.RangeID
	s.lmu.Unlock()
	if !ok {
		return fmt.Errorf("memstore: shard %d is no longer at range %d: %w", f.Shard, f.RangeID, store.ErrFenced)
	}
	return write()
}

func (s *Shared) CommitStep(ctx context.Context, step store.StepParams) error {
	f := step.Fence
	step.Fence = store.Fence{}
	return s.fenced(f, func() error { return s.Store.CommitStep(ctx, step) })
}

func (s *Shared) SetTimer(ctx context.Context, t store.Timer) error {
	f := t.Fence
	t.Fence = store.Fence{}
	return s.fenced(f, func() error { return s.Store.SetTimer(ctx, t) })
}

func (s *Shared) DeleteTimer(ctx context.Context, t store.Timer) error {
	f := t.Fence
	t.Fence = store.Fence{}
	return s.fenced(f, func() error { return s.Store.DeleteTimer(ctx, t) })
}

// held maps the shards of leases to their fences.
func held(leases []store.Lease) map[int]store.Fence {
	m := make(map[int]store.Fence, len(leases))
	for _, l := range leases {
		m[l.Shard] = l.Fence()
	}
	return m
}

func (s *Shared) DueTimers(ctx context.Context, p store.DueTimersParams) ([]store.Timer, error) {
	if p.Leases == nil {
		return s.Store.DueTimers(ctx, p)
	}
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	all, err := s.Store.DueTimers(ctx, store.DueTimersParams{DueBy: p.DueBy, Limit: 1 << 30})
	if err != nil {
		return nil, err
	}
	fences := held(p.Leases)
	var out []store.Timer
	for _, t := range all {
		if f, ok := fences[store.ShardOf(t.ExecutionArn, s.n)]; ok && len(out) < p.Limit {
			t.Fence = f
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *Shared) NextTimer(ctx context.Context, p store.NextTimerParams) (time.Time, bool, error) {
	if p.Leases == nil {
		return s.Store.NextTimer(ctx, p)
	}
	s.Store.mu.Lock()
	defer s.Store.mu.Unlock()
	fences := held(p.Leases)
	for _, t := range s.Store.sortedTimers() {
		if _, ok := fences[store.ShardOf(t.ExecutionArn, s.n)]; ok {
			return t.Due, true, nil
		}
	}
	return time.Time{}, false, nil
}

func (s *Shared) AcquireShards(_ context.Context, p store.AcquireShardsParams) ([]store.Lease, error) {
	if p.Max <= 0 {
		return nil, store.ErrInvalidLimit
	}
	if p.Node == "" || p.TTL <= 0 {
		return nil, fmt.Errorf("memstore: AcquireShards needs a node and a positive TTL")
	}
	s.fence.Lock()
	defer s.fence.Unlock()
	s.lmu.Lock()
	defer s.lmu.Unlock()
	now := time.Now()
	var out []store.Lease
	for i := range s.leases {
		l := &s.leases[i]
		if len(out) == p.Max {
			break
		}
		if l.Node == "" || l.Expires.Before(now) {
			l.Node, l.RangeID, l.Expires = p.Node, l.RangeID+1, now.Add(p.TTL).UTC()
			out = append(out, *l)
		}
	}
	return out, nil
}

func (s *Shared) RenewShards(_ context.Context, p store.RenewShardsParams) ([]store.Lease, error) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	now := time.Now()
	var out []store.Lease
	for _, want := range p.Leases {
		if want.Shard < 0 || want.Shard >= s.n {
			continue
		}
		l := &s.leases[want.Shard]
		if l.Node == p.Node && l.RangeID == want.RangeID {
			l.Expires = now.Add(p.TTL).UTC()
			out = append(out, *l)
		}
	}
	return out, nil
}

func (s *Shared) ReleaseShards(_ context.Context, leases []store.Lease) error {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	for _, want := range leases {
		if want.Shard < 0 || want.Shard >= s.n {
			continue
		}
		if l := &s.leases[want.Shard]; l.RangeID == want.RangeID {
			l.Node, l.Expires = "", time.Time{}
		}
	}
	return nil
}

func (s *Shared) ListShards(context.Context) ([]store.Lease, error) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	return append([]store.Lease(nil), s.leases...), nil
}

func (s *Shared) Heartbeat(_ context.Context, n store.Node) error {
	if n.ID == "" {
		return fmt.Errorf("memstore: Heartbeat needs a node ID")
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	n.StartedAt, n.SeenAt = utc(n.StartedAt), time.Now().UTC()
	s.nodes[n.ID] = n
	return nil
}

func (s *Shared) ListNodes(_ context.Context, p store.ListNodesParams) ([]store.Node, error) {
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	since := time.Now().Add(-p.SeenWithin)
	var out []store.Node
	for _, n := range s.nodes {
		if n.SeenAt.After(since) {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > p.Limit {
		out = out[:p.Limit]
	}
	return out, nil
}

func (s *Shared) DeleteNode(_ context.Context, id string) error {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	delete(s.nodes, id)
	return nil
}
