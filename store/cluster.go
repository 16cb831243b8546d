package store

import (
	"context"
	"errors"
	"hash/fnv"
	"time"
)

// ErrFenced refuses a write made under a Fence whose range ID is no longer
// its shard's: another node has acquired the shard since. It wrote
// nothing; the node that gets it has lost the shard.
var ErrFenced = errors.New("store: shard lease lost (fenced)")

// ErrNoShards refuses leases or a fence given to a store that is not a
// Cluster: it has no shards to check them against.
var ErrNoShards = errors.New("store: this store has no shards: leases and fences are for a Cluster")

// Cluster is what a driver that several engine nodes share adds to Store
// (its doc, "Several nodes", is the contract): shard leases, and the
// nodes' own rows, for the cluster's view of itself. store/postgres
// implements it; a driver for one process does not, and its engine owns
// every timer.
type Cluster interface {
	// ShardCount is n, the number of shards the database was created
	// with; it never changes.
	ShardCount() int
	// AcquireShards takes up to p.Max shards that are free or expired,
	// each in its own row update: its range ID is incremented and its
	// expiry set to the database's now plus p.TTL. It returns the leases
	// taken, which may be fewer than p.Max, or none. A live lease is
	// never taken, not even by its own node (a node restarted under the
	// same ID waits for its old leases to expire, as any other would).
	AcquireShards(ctx context.Context, p AcquireShardsParams) ([]Lease, error)
	// RenewShards moves the expiry of each of p.Leases still held at its
	// range ID to the database's now plus p.TTL, and returns those; a
	// lease it does not return is lost (ErrFenced for its writes).
	RenewShards(ctx context.Context, p RenewShardsParams) ([]Lease, error)
	// ReleaseShards frees leases still held at their range IDs for the
	// other nodes at once (a node draining, or giving up its surplus).
	ReleaseShards(ctx context.Context, leases []Lease) error
	// ListShards returns every shard's lease, by shard; a free shard has
	// Node "".
	ListShards(ctx context.Context) ([]Lease, error)

	// Heartbeat records that node n is alive, as of the database's now
	// (SeenAt), inserting its row or updating it.
	Heartbeat(ctx context.Context, n Node) error
	// ListNodes returns the nodes seen within p.SeenWithin by the
	// database's clock, by ID; p.Limit bounds them.
	ListNodes(ctx context.Context, p ListNodesParams) ([]Node, error)
	// DeleteNode removes a node's row (a node leaving); an unknown ID is
	// not an error.
	DeleteNode(ctx context.Context, id string) error
}

// Lease is a node's hold on a shard. Expires is by the database's clock:
// a node judges its own lease by its own clock, from when it asked for it
// (Store's doc).
type Lease struct {
	Shard   int
	Node    string
	RangeID int64
	Expires time.Time
}

// Fence is what a write made on a shard's behalf carries: the shard and
// the range ID it was held at. The zero Fence is no fence (a caller's
// write, or a store with no shards).
type Fence struct {
	Shard   int
	RangeID int64
}

// Fence is the lease's fence.
func (l Lease) Fence() Fence { return Fence{Shard: l.Shard, RangeID: l.RangeID} }

// IsZero tells whether f is no fence.
func (f Fence) IsZero() bool { return f == Fence{} }

// ShardOf is the shard of n that an execution belongs to: FNV-1a (32
// bits) of its ARN, modulo n. Every node and every driver computes it
// alike, so it is fixed as written here; store/postgres's migration
// computes the same in SQL.
func ShardOf(executionArn string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(executionArn))
	return int(h.Sum32() % uint32(n))
}

// Node is an engine node as the cluster sees it.
type Node struct {
	ID string
	// Address is where the node serves the API, as it announced it.
	Address   string
	StartedAt time.Time
	// SeenAt is its last heartbeat, by the database's clock.
	SeenAt time.Time
	// Info is JSON text the node publishes about what it holds (the
	// executions in its memory, its pollers), for the cluster's view.
	Info string
}

// AcquireShardsParams takes shards for a node.
type AcquireShardsParams struct {
	Node string
	TTL  time.Duration
	Max  int
}

// RenewShardsParams renews a node's leases.
type RenewShardsParams struct {
	Node   string
	TTL    time.Duration
	Leases []Lease
}

// ListNodesParams lists the live nodes.
type ListNodesParams struct {
	SeenWithin time.Duration
	Limit      int
}
