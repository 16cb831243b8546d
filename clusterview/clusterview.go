// Package clusterview is the cluster's view of itself: the engine nodes
// that share a store.Cluster, each with the shard leases it holds and
// what it says it is doing, and the shards no live node holds.
//
// `statecraft server` serves it at Path, signed with SigV4 (signing name
// SigningName) and authorized as Action, which every role that may
// describe may perform; the console's Cluster page reads it through its
// session, and `statecraft cluster` prints it.
//
// A server whose store is not a Cluster (SQLite) is one node that runs
// every execution: its view has Mode "single", that one node with no
// shards, and a Note saying so, in the same shape, so that a reader needs
// no second format.
package clusterview

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/statecraft/statecraft/httpjson"
	"github.com/statecraft/statecraft/store"
)

// Path is where the server serves the view (GET).
const Path = "/statecraft/cluster"

// SigningName is the service name in the SigV4 credential scope of a
// request for the view, as for deploy's: both are Statecraft's own doors.
const SigningName = "statecraft"

// Action is the view's action, in auth's naming; it only reads.
const Action = "statecraft:DescribeCluster"

// Modes of a View.
const (
	ModeCluster = "cluster" // nodes sharing a store.Cluster by shard leases
	ModeSingle  = "single"  // one node holding everything (SQLite)
)

// SingleNote is the Note of a single node's view.
const SingleNote = "single node (SQLite): this server runs every execution; there are no shards to share"

// DefaultSeenWithin is how recent a heartbeat must be for its node to be
// listed when Options has no lease to count from.
const DefaultSeenWithin = 30 * time.Second

// maxNodes bounds the nodes read: far more than a cluster on one database
// has, few enough for one answer.
const maxNodes = 1000

// View is the answer of Path.
type View struct {
	Mode string `json:"mode"`
	Note string `json:"note,omitempty"`
	// AsOf is when the view was read, by the answering server's clock,
	// which is also the clock expired leases are judged by.
	AsOf time.Time `json:"asOf"`
	// SeenWithinSeconds is how recent a node's heartbeat is for it to be
	// listed as live.
	SeenWithinSeconds float64 `json:"seenWithinSeconds,omitempty"`
	ShardCount        int     `json:"shardCount"`
	// Nodes are by ID: every node seen within SeenWithinSeconds, and any
	// other that still holds an unexpired lease (Live false).
	Nodes []Node `json:"nodes"`
	// FreeShards were never taken, or were released.
	FreeShards []int `json:"freeShards"`
	// ExpiredShards' leases ran out: their node stopped renewing them,
	// and the next node to acquire shards takes them.
	ExpiredShards []ExpiredShard `json:"expiredShards"`
}

// Node is one engine node and what it holds.
type Node struct {
	ID string `json:"id"`
	// Address is where the node serves the API, as it announced it.
	Address   string    `json:"address,omitempty"`
	StartedAt time.Time `json:"startedAt,omitzero"`
	// SeenAt is its last heartbeat, by the database's clock.
	SeenAt time.Time `json:"seenAt,omitzero"`
	// Live is false for a node whose heartbeat is older than the view's
	// bound but whose leases have not run out yet.
	Live bool `json:"live"`
	// This is the node that answered.
	This       bool  `json:"this,omitempty"`
	Shards     []int `json:"shards"`
	ShardCount int   `json:"shardCount"`
	// Info is the JSON object the node publishes about itself (executions
	// in memory, pollers, timers), as it wrote it; absent when it wrote
	// none, or something other than an object.
	Info json.RawMessage `json:"info,omitempty"`
}

// ExpiredShard is a lease that ran out.
type ExpiredShard struct {
	Shard int `json:"shard"`
	// Node is the node that held it last.
	Node    string    `json:"node"`
	Expires time.Time `json:"expires"`
}

// Self is the node that serves the view.
type Self struct {
	ID        string
	Address   string
	StartedAt time.Time
}

// Options say how the view is read.
type Options struct {
	// Lease is the shard lease's length: nodes seen within three leases
	// are listed, which a live node, heartbeating every third of one,
	// never misses. 0 means DefaultSeenWithin instead.
	Lease time.Duration
	// Self names the answering node: marked This in a cluster's view, and
	// the one node of a single node's.
	Self Self
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives the store's failures, which answers do not detail;
	// nil discards.
	Log *slog.Logger
}

func (o Options) seenWithin() time.Duration {
	if o.Lease > 0 {
		return 3 * o.Lease
	}
	return DefaultSeenWithin
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Read reads the view of the cluster c: its live nodes and its shards'
// leases, grouped by node.
func Read(ctx context.Context, c store.Cluster, o Options) (*View, error) {
	within := o.seenWithin()
	nodes, err := c.ListNodes(ctx, store.ListNodesParams{SeenWithin: within, Limit: maxNodes})
	if err != nil {
		return nil, err
	}
	leases, err := c.ListShards(ctx)
	if err != nil {
		return nil, err
	}
	now := o.now()
	v := &View{Mode: ModeCluster, AsOf: now, SeenWithinSeconds: within.Seconds(), ShardCount: c.ShardCount(),
		Nodes: []Node{}, FreeShards: []int{}, ExpiredShards: []ExpiredShard{}}
	byID := map[string]int{}
	for _, n := range nodes {
		byID[n.ID] = len(v.Nodes)
		v.Nodes = append(v.Nodes, Node{ID: n.ID, Address: n.Address, StartedAt: n.StartedAt, SeenAt: n.SeenAt,
			Live: true, This: o.Self.ID != "" && n.ID == o.Self.ID, Shards: []int{}, Info: infoObject(n.Info)})
	}
	for _, l := range leases {
		switch {
		case l.Node == "":
			v.FreeShards = append(v.FreeShards, l.Shard)
		case !l.Expires.After(now):
			v.ExpiredShards = append(v.ExpiredShards, ExpiredShard{Shard: l.Shard, Node: l.Node, Expires: l.Expires})
		default:
			i, ok := byID[l.Node]
			if !ok {
				// Its heartbeats stopped, its leases not yet: it may be
				// stuck, or its clock apart from the database's.
				i = len(v.Nodes)
				byID[l.Node] = i
				v.Nodes = append(v.Nodes, Node{ID: l.Node, This: o.Self.ID != "" && l.Node == o.Self.ID, Shards: []int{}})
			}
			v.Nodes[i].Shards = append(v.Nodes[i].Shards, l.Shard)
		}
	}
	for i := range v.Nodes {
		slices.Sort(v.Nodes[i].Shards)
		v.Nodes[i].ShardCount = len(v.Nodes[i].Shards)
	}
	slices.SortFunc(v.Nodes, func(a, b Node) int { return cmp.Compare(a.ID, b.ID) })
	slices.Sort(v.FreeShards)
	slices.SortFunc(v.ExpiredShards, func(a, b ExpiredShard) int { return cmp.Compare(a.Shard, b.Shard) })
	return v, nil
}

// Single is the view of a server whose store is not a Cluster: itself,
// holding everything.
func Single(o Options) *View {
	now := o.now()
	return &View{Mode: ModeSingle, Note: SingleNote, AsOf: now,
		Nodes: []Node{{ID: o.Self.ID, Address: o.Self.Address, StartedAt: o.Self.StartedAt, SeenAt: now,
			Live: true, This: true, Shards: []int{}}},
		FreeShards: []int{}, ExpiredShards: []ExpiredShard{}}
}

// infoObject is a node's Info when it is a JSON object, compacted.
func infoObject(s string) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(s)) != nil || !bytes.HasPrefix(buf.Bytes(), []byte("{")) {
		return nil
	}
	return buf.Bytes()
}

// Error is the body of a refusal: httpjson's, shared by Statecraft's own
// doors.
type Error = httpjson.Error

// WriteError answers with an Error.
var WriteError = httpjson.WriteError

// readTimeout bounds the store's two reads, so that a database that does
// not answer gives an error rather than a request that hangs.
const readTimeout = 10 * time.Second

// Handler serves the view of c, or Single's when c is nil, to GET (and
// HEAD) requests; query parameters are ignored. It authorizes nothing:
// the server wraps it in its authentication and the check of Action.
func Handler(c store.Cluster, o Options) http.Handler {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			WriteError(w, http.StatusMethodNotAllowed, "MethodNotAllowedException", "GET "+Path+" reads the cluster's view; "+r.Method+" is not served")
			return
		}
		var v *View
		if c == nil {
			v = Single(o)
		} else {
			ctx, cancel := context.WithTimeout(r.Context(), readTimeout)
			defer cancel()
			var err error
			if v, err = Read(ctx, c, o); err != nil {
				log.Error("reading the cluster's view", "err", err)
				WriteError(w, http.StatusServiceUnavailable, "ServiceUnavailableException",
					"the cluster's nodes and shards could not be read from the database (the server's log says why)")
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		if err := httpjson.Write(w, http.StatusOK, v, httpjson.Options{}); err != nil {
			WriteError(w, http.StatusInternalServerError, "InternalFailure", "encoding the view failed")
		}
	})
}
