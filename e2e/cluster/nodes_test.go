package cluster

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/statecraft/statecraft/e2e/internal/crashkit"
	"github.com/statecraft/statecraft/store/postgres/pgtest"
)

// node is one `statecraft server` of the cluster.
type node struct {
	i       int
	name    string // its --node-id
	appName string // the application_name of its database sessions
	srv     *crashkit.Server
	c       *sfn.Client
	// up: started and answering, and not being killed. Calls go to the
	// nodes that are up; one that goes down under a call is left by the
	// call's retry.
	up atomic.Bool
	// mu is held by whoever kills or restarts the node: the kill schedule
	// or the watch for nodes that exited on their own.
	mu sync.Mutex
}

// cluster is the nodes of a test, on one schema of the test database.
type cluster struct {
	t      *testing.T
	nodes  []*node
	schema string
	db     *pgxpool.Pool // the test's own sessions: shard leases, cutting the nodes'
	// multi: the nodes run as a cluster (--node-id, shard leases): more
	// than one node, or a binary that has the flags. Claimed tasks are
	// then never handed out again.
	multi bool
	// shards: the schema has the shard lease table, so takeovers can be
	// measured.
	shards bool
	rr     atomic.Uint64

	// exited is told of a node that exited without being killed; the
	// watch restarts it.
	exited func(n *node, err error)
	exits  atomic.Int64
}

// numNodes is CLUSTER_NODES, 3 by default.
func numNodes(t *testing.T) int {
	v := os.Getenv("CLUSTER_NODES")
	if v == "" {
		return 3
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("CLUSTER_NODES=%q: want a number of nodes, 1 or more", v)
	}
	return n
}

// hasFlag tells whether the server subcommand of bin knows a flag.
func hasFlag(bin, flag string) bool {
	out, _ := exec.Command(bin, "server", "--help").CombinedOutput()
	return strings.Contains(string(out), flag+" ")
}

// newCluster makes n nodes on a new schema of the test database and
// starts them.
func newCluster(t *testing.T, bin string, n int) *cluster {
	t.Helper()
	return newClusterOn(t, bin, n, pgtest.URL(t), pgtest.Schema(t)) // the schema is dropped after the cleanups below
}

// newClusterOn is newCluster on the database dbURL names, in schema.
func newClusterOn(t *testing.T, bin string, n int, dbURL, schema string) *cluster {
	t.Helper()
	return newClusterPlaced(t, bin, n, dbURL, schema, nil)
}

// placement is where a node runs: the database it reaches, and, when addr
// is set, the address it listens on and the command it runs under
// (crashkit.Server's Prefix); args are flags of its own, and key and
// secret, when set, the pair its clients sign with.
type placement struct {
	dbURL       string
	addr        string
	prefix      []string
	args        []string
	key, secret string
}

// newClusterPlaced is newClusterOn with place, when not nil, changing the
// placement of node i, which is dbURL on a free loopback port.
func newClusterPlaced(t *testing.T, bin string, n int, dbURL, schema string, place func(i int, p *placement)) *cluster {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	cl := &cluster{t: t, schema: schema, db: pool}
	// The flags exist once the engine runs several nodes; until then a
	// single node runs without them.
	cl.multi = n > 1 || hasFlag(bin, "--node-id")
	dir := t.TempDir()
	for i := range n {
		nd := &node{i: i, name: fmt.Sprintf("node%d", i+1)}
		nd.appName = "statecraft-" + nd.name + "-" + schema
		pl := placement{dbURL: dbURL}
		if place != nil {
			place(i, &pl)
		}
		u, err := url.Parse(pl.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("application_name", nd.appName)
		u.RawQuery = q.Encode()
		data, logPath := filepath.Join(dir, nd.name), filepath.Join(dir, nd.name+".log")
		var srv *crashkit.Server
		if pl.addr != "" {
			srv = crashkit.NewServerAt(bin, data, logPath, pl.addr)
		} else if srv, err = crashkit.NewServer(bin, data, logPath); err != nil {
			t.Fatal(err)
		}
		srv.Prefix = pl.prefix
		srv.Label = "cluster test " + nd.name
		srv.Args = append([]string{"--db", u.String(), "--db-schema", schema}, pl.args...)
		if cl.multi {
			srv.Args = append(srv.Args, "--node-id", nd.name, "--shard-lease", shardLease.String())
		}
		// With one node, the lock of the node killed a moment ago is
		// released when PostgreSQL sees its session end.
		srv.Transient = []string{"another Statecraft server uses"}
		nd.srv = srv
		if pl.key != "" {
			nd.c = crashkit.NewClientAs(srv.Addr, pl.key, pl.secret)
		} else {
			nd.c = crashkit.NewClient(srv.Addr)
		}
		cl.nodes = append(cl.nodes, nd)
	}
	t.Cleanup(func() {
		for _, nd := range cl.nodes {
			nd.srv.Kill()
		}
		if t.Failed() {
			for _, nd := range cl.nodes {
				if nd.srv.Starts() == 0 {
					continue
				}
				t.Logf("%s log (last 60 lines of %s):\n%s", nd.name, nd.srv.LogPath, crashkit.Tail(nd.srv.LogPath, 60))
			}
		}
	})
	for _, nd := range cl.nodes {
		if err := cl.start(nd); err != nil {
			t.Fatalf("starting %s: %v", nd.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, cl.table("shards")).Scan(&cl.shards); err != nil {
		t.Fatal(err)
	}
	if !cl.shards {
		t.Logf("schema %s has no shards table: takeover times are not measured (a single node without shard leases)", schema)
	}
	return cl
}

// table is the quoted name of a table of the cluster's schema.
func (cl *cluster) table(name string) string {
	return pgx.Identifier{cl.schema, name}.Sanitize()
}

func (cl *cluster) start(nd *node) error {
	if err := nd.srv.Start(nd.c); err != nil {
		return err
	}
	nd.up.Store(true)
	return nil
}

// kill kills a node with SIGKILL. The caller holds nd.mu.
func (cl *cluster) kill(nd *node) (wasRunning bool) {
	nd.up.Store(false)
	return nd.srv.Kill()
}

// pick is the client for a call: round robin over the nodes that are up.
func (cl *cluster) pick() *sfn.Client {
	n := len(cl.nodes)
	k := int(cl.rr.Add(1) % uint64(n))
	for j := range n {
		if nd := cl.nodes[(k+j)%n]; nd.up.Load() {
			return nd.c
		}
	}
	return cl.nodes[k].c
}

// reply is the client for a worker's heartbeat or answer: another node
// than the one the task came from, where there is one up.
func (cl *cluster) reply(from *sfn.Client) *sfn.Client {
	n := len(cl.nodes)
	k := int(cl.rr.Add(1) % uint64(n))
	for j := range n {
		if nd := cl.nodes[(k+j)%n]; nd.up.Load() && nd.c != from {
			return nd.c
		}
	}
	return cl.pick()
}

// poller gives a worker's polls: its home node, or while that one is down
// (or did not answer) the next node up.
func (cl *cluster) poller(home int) func(failed bool) *sfn.Client {
	n := len(cl.nodes)
	cur := home
	return func(failed bool) *sfn.Client {
		if !failed && cl.nodes[home].up.Load() {
			cur = home
			return cl.nodes[home].c
		}
		for j := 1; j <= n; j++ {
			if nd := cl.nodes[(cur+j)%n]; nd.up.Load() {
				cur = nd.i
				return nd.c
			}
		}
		cur = (cur + 1) % n
		return cl.nodes[cur].c
	}
}

// watch restarts the nodes that exit without being killed, after telling
// cl.exited, until ctx ends.
func (cl *cluster) watch(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for _, nd := range cl.nodes {
				if !nd.mu.TryLock() {
					continue // being killed or restarted
				}
				if exited, err := nd.srv.Exited(); exited && ctx.Err() == nil {
					nd.up.Store(false)
					nd.srv.Reap()
					cl.exits.Add(1)
					cl.exited(nd, err)
					for ctx.Err() == nil {
						err := cl.start(nd)
						if err == nil {
							break
						}
						cl.t.Errorf("restarting %s after it exited: %v", nd.name, err)
						crashkit.Sleep(ctx, time.Second)
					}
				}
				nd.mu.Unlock()
			}
		}
	}()
}

// takeover is how long the other nodes took to take over the shards of a
// node that was killed.
type takeover struct {
	node   string
	done   chan struct{}
	result string // milliseconds, "restarted first", "held none", "error" or "test ended"
	ms     int64  // -1 unless measured
	left   int    // the rows that named the node at the last poll
	err    error
}

// watchTakeover polls the shard leases every 50 ms, from the kill on,
// until none names the node, or until restarted is set (the node is being
// started again).
func (cl *cluster) watchTakeover(ctx context.Context, nd *node, killed time.Time, restarted *atomic.Bool) *takeover {
	tk := &takeover{node: nd.name, done: make(chan struct{}), ms: -1}
	q := `SELECT count(*) FROM ` + cl.table("shards") + ` WHERE node = $1`
	go func() {
		defer close(tk.done)
		for polls := 0; ; polls++ {
			if restarted.Load() {
				tk.result = "restarted first"
				return
			}
			var held int
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := cl.db.QueryRow(qctx, q, nd.name).Scan(&held)
			cancel()
			switch {
			case ctx.Err() != nil:
				tk.result = "test ended"
				return
			case err != nil:
				tk.result, tk.err = "error", err
				return
			}
			tk.left = held
			switch {
			case held == 0 && polls == 0:
				tk.result = "held none"
				return
			case held == 0:
				tk.ms = time.Since(killed).Milliseconds()
				tk.result = strconv.FormatInt(tk.ms, 10)
				return
			}
			crashkit.Sleep(ctx, 50*time.Millisecond)
		}
	}()
	return tk
}

// cut ends the database sessions of the nodes given, as a database restart
// or a network failure would, and says how many it ended.
//
// A node whose sessions the previous cut ended may hold none for a while:
// its pool opens connections on demand and its listener reconnects with
// back-off. So cut waits up to 10 s for a session to end; only a node that
// opens none in that time (misnamed sessions, say) gets 0.
func (cl *cluster) cut(ctx context.Context, nodes []*node) (int, error) {
	var names []string
	for _, nd := range nodes {
		names = append(names, nd.appName)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := cl.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = ANY($1)`, names).Scan(&n)
		if err != nil || n > 0 || time.Now().After(deadline) {
			return n, err
		}
		crashkit.Sleep(ctx, 50*time.Millisecond)
	}
}
