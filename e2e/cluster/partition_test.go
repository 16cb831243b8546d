package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/jackc/pgx/v5"

	"github.com/statecraft/statecraft/e2e/internal/crashkit"
	"github.com/statecraft/statecraft/store/postgres/pgtest"
)

const (
	// partitionEvery spreads the 300 starts over 45 s, so that the cuts
	// fall while executions are being started and are running.
	partitionEvery = 150 * time.Millisecond

	minCuts     = 3
	plannedCuts = 4 // at least, while executions are being started
	maxCuts     = 6

	// A cut lasts 5–8 s: longer than a lease (3 s) and than the takeover
	// that follows it (a lease plus a renewal tick).
	cutAtLeast = 5 * time.Second
	cutSpread  = 3 * time.Second

	// rejoinWithin bounds the wait, after a cut, for the node to answer
	// again and to hold shards again. A node still cut off from the
	// database after this long is a failure, not a slow machine.
	rejoinWithin = 90 * time.Second

	// partitionPort is the port of the node in its network namespace,
	// where nothing else listens.
	partitionPort = 8080
)

// TestClusterPartition runs the workload of TestClusterKill while the last
// node, which runs in a network namespace of its own, is cut off from
// PostgreSQL and from the test's clients for 5–8 s, several times. The
// node is not killed: it goes on running, loses its leases, and the
// others take its shards over; when the link is back, its writes made
// under the fences of the leases it lost must be refused, so that no
// transition is applied twice and no timer fires twice. It logs how long
// each takeover took, how long the node took to answer and to hold shards
// again, and how many fenced writes ("shard taken by another node") and
// lost leases it logged.
//
// It needs root and iproute2 (ip netns, veth); without them it is skipped,
// except when CI=true.
func TestClusterPartition(t *testing.T) {
	requireNetns(t)
	if n := numNodes(t); n < 2 {
		t.Skipf("the partition test needs two nodes or more, CLUSTER_NODES=%d", n)
	}
	var ns *netns
	e := setUpWith(t, "partition", setUpOptions{every: partitionEvery, start: func(bin string, n int) *cluster {
		ns = newNetns(t)
		inst := pgtest.PrivateListening(t, ns.prefix)
		creds := writeCredentials(t)
		return newClusterPlaced(t, bin, n, inst.URL, "statecraft", func(i int, p *placement) {
			// The same accounts on every node, as a cluster has; a server
			// off loopback refuses the development pair.
			p.args = []string{"--credentials", creds}
			p.key, p.secret = partitionKey, partitionSecret
			if i == n-1 {
				p.dbURL = inst.URLOn(ns.host)
				p.addr = netip.AddrPortFrom(ns.inside, partitionPort).String()
				p.prefix = []string{"ip", "netns", "exec", ns.name}
			}
		})
	}})
	cl, rng, r := e.cl, e.rng, e.r
	if !cl.shards {
		t.Fatal("the schema has no shards table: a cluster of several nodes must have one")
	}
	nd := cl.nodes[len(cl.nodes)-1]
	t.Logf("%s runs in network namespace %s at %s, reaching PostgreSQL at %s over %s", nd.name, ns.name, nd.srv.Addr(), ns.host, ns.hostIf)

	// A request whose database session hung in the cut may be answered
	// with a 5xx once the link is back; the SDKs retry those.
	r.Retry5xx = true
	cl.exited = func(n *node, err error) {
		// A node cut off from the database waits for it; it does not exit.
		t.Errorf("%s exited (%v); log:\n%s", n.name, err, crashkit.Tail(n.srv.LogPath, 30))
	}
	var watching sync.WaitGroup
	wctx, wcancel := context.WithCancel(context.Background())
	cl.watch(wctx, &watching)
	t.Cleanup(func() { wcancel(); watching.Wait() })

	var total int
	if err := cl.db.QueryRow(e.ctx, `SELECT count(*) FROM `+cl.table("shards")).Scan(&total); err != nil {
		t.Fatal(err)
	}
	// Half its fair share: enough shards for a cut to take timers from it.
	share := max(total/(2*len(cl.nodes)), 1)

	var cuts []*cut
	once := func() {
		crashkit.Sleep(e.ctx, time.Duration(1000+rng.IntN(2001))*time.Millisecond)
		nd.mu.Lock() // the watch restarts nothing meanwhile
		defer nd.mu.Unlock()
		c := &cut{offset: fileSize(nd.srv.LogPath), held: cl.liveLeases(e.ctx, nd)}
		cuts = append(cuts, c)
		nd.up.Store(false)
		if len(cuts)%2 == 0 {
			// Armed: just as a timer of the node's shards comes due, so
			// that its firing may be under way, its write not yet at the
			// database: the write must be refused once the link is back.
			c.when = "none"
			if due, ok := cl.nextTimer(e.ctx, nd); ok {
				lag := time.Duration(rng.IntN(15001)-5000) * time.Microsecond
				crashkit.Sleep(e.ctx, time.Until(due.Add(lag)))
				c.when = "due" + fmt.Sprintf("%+.1fms", float64(lag.Microseconds())/1000)
			}
		}
		c.at = time.Now()
		if err := ns.cut(); err != nil {
			t.Fatalf("cut %d: %v", len(cuts), err)
		}
		var restored atomic.Bool
		c.tk = cl.watchTakeover(e.ctx, nd, c.at, &restored)
		crashkit.Sleep(e.ctx, cutAtLeast+time.Duration(rng.Int64N(int64(cutSpread))))
		// Before the link comes back: the node's sessions the database
		// still sees in a transaction hold its locks until it does.
		c.idleInTx = cl.idleInTransaction(e.ctx, nd)
		restored.Store(true)
		if err := ns.restore(); err != nil {
			t.Fatalf("restoring the link after cut %d: %v", len(cuts), err)
		}
		back := time.Now()
		c.length = back.Sub(c.at)
		<-c.tk.done

		c.answerMs = waitFor(e.ctx, back, func(ctx context.Context) bool {
			_, err := nd.c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
			return err == nil
		})
		if c.answerMs < 0 {
			t.Errorf("%s did not answer within %v of the end of cut %d", nd.name, rejoinWithin, len(cuts))
		}
		nd.up.Store(true)
		c.rejoinMs = waitFor(e.ctx, back, func(ctx context.Context) bool { return cl.liveLeases(ctx, nd) >= share })
		if c.rejoinMs < 0 {
			t.Errorf("%s did not hold %d shards again within %v of the end of cut %d", nd.name, share, rejoinWithin, len(cuts))
		}
	}
	// The first cut once the node holds its shards.
	if waitFor(e.ctx, time.Now(), func(ctx context.Context) bool { return cl.liveLeases(ctx, nd) >= share }) < 0 {
		t.Fatalf("%s did not hold %d shards within %v of its start", nd.name, share, rejoinWithin)
	}
	e.whileStarting(func() int { return len(cuts) }, plannedCuts, maxCuts, once)
	if len(cuts) < minCuts-1 {
		t.Fatalf("only %d cuts", len(cuts))
	}
	// The last cut with long polls, as in TestClusterKill: a poll held by
	// the cut node is answered once the link is back.
	r.LongPolls.Store(true)
	once()
	last := time.Now()
	var schedule []string
	for _, c := range cuts {
		at := ""
		if c.when != "" {
			at = "@" + c.when
		}
		schedule = append(schedule, fmt.Sprintf("%v%s/%d-shards", c.length.Round(time.Millisecond), at, c.held))
	}
	t.Logf("%d cuts of %s (length[@armed]/shards held): %s; executions started by %v", len(cuts), nd.name, strings.Join(schedule, " "), time.Since(e.began).Round(time.Millisecond))

	timedOut, delivered := e.finish(last)

	// The node's log, cut by cut: what it logged from each cut to the next.
	b, err := os.ReadFile(nd.srv.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	var takeovers, answers, rejoins, fenced, lost, expired, renewals, idle []string
	var sumFenced, sumLost, sumExpired int
	for i, c := range cuts {
		end := int64(len(b))
		if i+1 < len(cuts) {
			end = cuts[i+1].offset
		}
		seg := string(b[c.offset:end])
		f := strings.Count(seg, "shard taken by another node")
		l := strings.Count(seg, "shard lease lost")
		x := strings.Count(seg, "shard lease expired before it could be renewed")
		sumFenced, sumLost, sumExpired = sumFenced+f, sumLost+l, sumExpired+x
		result := c.tk.result
		if c.tk.ms < 0 && c.tk.result == "restarted first" {
			result = fmt.Sprintf("restored-first(%d-left)", c.tk.left)
		}
		takeovers = append(takeovers, strings.ReplaceAll(result, " ", "-"))
		if c.tk.err != nil {
			t.Logf("the shard leases of %s could not be read: %v", nd.name, c.tk.err)
		}
		answers = append(answers, fmt.Sprint(c.answerMs))
		rejoins = append(rejoins, fmt.Sprint(c.rejoinMs))
		fenced = append(fenced, fmt.Sprint(f))
		lost = append(lost, fmt.Sprint(l))
		expired = append(expired, fmt.Sprint(x))
		renewals = append(renewals, fmt.Sprint(strings.Count(seg, `msg="renewing shard leases"`)))
		idle = append(idle, fmt.Sprint(len(c.idleInTx)))
		for _, q := range c.idleInTx {
			t.Logf("cut %d: a session of %s idle in a transaction when the link came back, its last statement: %s", i+1, nd.name, q)
		}
	}
	before := string(b[:cuts[0].offset])
	errorLines := crashkit.CheckServerLog(t, nd.srv.LogPath, true)
	var others []string
	for _, o := range cl.nodes[:len(cl.nodes)-1] {
		crashkit.CheckServerLog(t, o.srv.LogPath, false)
		ob, _ := os.ReadFile(o.srv.LogPath)
		others = append(others, fmt.Sprintf("%s:%d", o.name, strings.Count(string(ob), "shard taken by another node")))
	}
	t.Logf("partition: %d executions, %d cuts of %s; takeover ms: [%s]; answering again after ms: [%s]; holding %d shards again after ms: [%s]; its sessions idle in a transaction at the end of each cut: [%s]",
		len(e.w.Execs), len(cuts), nd.name, strings.Join(takeovers, " "), strings.Join(answers, " "), share, strings.Join(rejoins, " "), strings.Join(idle, " "))
	t.Logf("%s log lines (info), per cut: %d 'shard taken by another node' (fenced) [%s], %d 'shard lease lost' [%s], %d 'shard lease expired before it could be renewed' [%s], failed renewals [%s]; before the first cut %d fenced, %d lost; %d error lines; fenced lines of the other nodes: %s",
		nd.name, sumFenced, strings.Join(fenced, " "), sumLost, strings.Join(lost, " "), sumExpired, strings.Join(expired, " "), strings.Join(renewals, " "),
		strings.Count(before, "shard taken by another node"), strings.Count(before, "shard lease lost"), errorLines, strings.Join(others, " "))
	t.Logf("%d tasks delivered; %d 5xx answers retried; %d TaskTimedOut answers to workers, %d heartbeat tasks abandoned, %d attempts timed out; %d StartExecution retries found the execution already ended; %d calls retried; %v in all",
		delivered, r.ServerErrors.Load(), r.ClosedAnswers.Load(), r.Abandoned.Load(), timedOut, r.StartRepeats.Load(), r.RetriedCalls.Load(), time.Since(e.began).Round(time.Millisecond))
}

// The access key of the partition test's nodes.
const (
	partitionKey    = "PARTITIONADMIN"
	partitionSecret = "partition-test-secret"
)

// writeCredentials writes a credentials file with crashkit's account and
// the partition test's key, and returns its path.
func writeCredentials(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credentials.yaml")
	body := fmt.Sprintf("accounts:\n  - id: %q\n    keys:\n      - accessKeyId: %s\n        secretAccessKey: %s\n        role: admin\n",
		crashkit.Account, partitionKey, partitionSecret)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cut is one cut of the partitioned node's link.
type cut struct {
	at       time.Time
	length   time.Duration
	offset   int64 // the size of the node's log when the cut began
	held     int   // its live leases then
	tk       *takeover
	when     string   // armed cuts: when, against the due time of a timer of its shards
	idleInTx []string // the last statements of its sessions idle in a transaction when the link came back
	answerMs int64    // from the link's return until the node answered; -1: not within rejoinWithin
	rejoinMs int64    // until it held half its share of shards again
}

// liveLeases is how many unexpired leases nd holds, by the database's
// clock; -1 when they cannot be read.
func (cl *cluster) liveLeases(ctx context.Context, nd *node) int {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var n int
	if err := cl.db.QueryRow(ctx, `SELECT count(*) FROM `+cl.table("shards")+` WHERE node = $1 AND expires_at > now()`, nd.name).Scan(&n); err != nil {
		return -1
	}
	return n
}

// idleInTransaction is the last statements of nd's database sessions that
// are idle in a transaction, which hold their locks until the session
// ends or goes on.
func (cl *cluster) idleInTransaction(ctx context.Context, nd *node) []string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rows, err := cl.db.Query(ctx, `SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 160) FROM pg_stat_activity
		WHERE application_name = $1 AND state LIKE 'idle in transaction%'`, nd.appName)
	if err != nil {
		return []string{"(pg_stat_activity: " + err.Error() + ")"}
	}
	qs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return []string{"(pg_stat_activity: " + err.Error() + ")"}
	}
	return qs
}

// nextTimer is the due time of the next timer of nd's shards due in more
// than 20 ms and within 3 s.
func (cl *cluster) nextTimer(ctx context.Context, nd *node) (time.Time, bool) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var due *time.Time
	err := cl.db.QueryRow(ctx, `SELECT min(due) FROM `+cl.table("timers")+` WHERE due > now() + interval '20 ms' AND due < now() + interval '3 s'
		AND shard IN (SELECT shard FROM `+cl.table("shards")+` WHERE node = $1 AND expires_at > now())`, nd.name).Scan(&due)
	if err != nil || due == nil {
		return time.Time{}, false
	}
	return *due, true
}

// waitFor polls ok every 50 ms until it holds, and returns the
// milliseconds since from; -1 when it did not within rejoinWithin.
func waitFor(ctx context.Context, from time.Time, ok func(context.Context) bool) int64 {
	deadline := time.Now().Add(rejoinWithin)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		done := ok(cctx)
		cancel()
		if done {
			return time.Since(from).Milliseconds()
		}
		crashkit.Sleep(ctx, 50*time.Millisecond)
	}
	return -1
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// ---------------------------------------------------------------------------
// The network namespace

// netns is a network namespace linked to the host by a veth pair on a /24
// of 10.213.0.0/16: hostIf on the host's side, at host, and the peer in
// the namespace, at inside. Cutting the link is setting hostIf down: the
// peer loses its carrier, and packets either way are dropped, so that TCP
// connections hang as over a broken network rather than fail.
type netns struct {
	name, hostIf string
	host, inside netip.Addr
	prefix       netip.Prefix // host's address in its /24
}

// requireNetns skips the test, or fails it when CI=true, where network
// namespaces cannot be made.
func requireNetns(t *testing.T) {
	t.Helper()
	switch {
	case runtime.GOOS != "linux":
		noNetns(t, "network namespaces are Linux's")
	case os.Geteuid() != 0:
		noNetns(t, "it must run as root, to make a network namespace and a veth pair")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		noNetns(t, "it needs iproute2's ip command: "+err.Error())
	}
}

func noNetns(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("the partition test cannot run: %s (CI=true)", why)
	}
	t.Skipf("the partition test is skipped: %s", why)
}

// newNetns makes a network namespace and its link, under names of this
// run's own, and removes them when the test ends, however it ends.
func newNetns(t *testing.T) *netns {
	t.Helper()
	sweepNetns(t)
	id := fmt.Sprintf("%08x", rand.Uint32())
	// The namespace's name says which process made it, for sweepNetns;
	// an interface's name has room for 15 bytes only.
	n := &netns{name: fmt.Sprintf("%s%d-%s", netnsPrefix, os.Getpid(), id), hostIf: "vh-" + id}
	peer := "vn-" + id
	var made, linked bool
	t.Cleanup(func() {
		// After the nodes' cleanup (registered later, run earlier): a
		// namespace with a process still in it would outlive its name.
		if linked {
			if err := ip("link", "del", n.hostIf); err != nil {
				t.Logf("removing the veth pair: %v", err)
			}
		}
		if made {
			if err := ip("netns", "del", n.name); err != nil {
				t.Logf("removing the network namespace: %v", err)
			}
		}
	})
	if err := ip("netns", "add", n.name); err != nil {
		noNetns(t, err.Error())
	}
	made = true
	if err := ip("link", "add", n.hostIf, "type", "veth", "peer", "name", peer); err != nil {
		noNetns(t, err.Error())
	}
	linked = true
	must := func(args ...string) {
		t.Helper()
		if err := ip(args...); err != nil {
			t.Fatal(err)
		}
	}
	must("link", "set", peer, "netns", n.name)
	for try := 0; ; try++ {
		if try == 50 {
			t.Fatal("no free /24 in 10.213.0.0/16 for the network namespace")
		}
		third := byte(rand.IntN(256))
		n.host = netip.AddrFrom4([4]byte{10, 213, third, 1})
		n.inside = netip.AddrFrom4([4]byte{10, 213, third, 2})
		n.prefix = netip.PrefixFrom(n.host, 24)
		if subnetUsed(n.prefix, n.hostIf) {
			continue
		}
		must("addr", "add", n.prefix.String(), "dev", n.hostIf)
		// Another run may have picked the same /24 at the same moment.
		if subnetUsed(n.prefix, n.hostIf) {
			must("addr", "del", n.prefix.String(), "dev", n.hostIf)
			continue
		}
		break
	}
	must("link", "set", n.hostIf, "up")
	must("-n", n.name, "addr", "add", netip.PrefixFrom(n.inside, 24).String(), "dev", peer)
	must("-n", n.name, "link", "set", peer, "up")
	must("-n", n.name, "link", "set", "lo", "up")
	return n
}

const netnsPrefix = "sc-part-"

// sweepNetns removes the namespaces of partition tests whose process is
// gone, killed before its cleanups ran (by go test -timeout, say): the
// veth pair goes with the namespace of its peer.
func sweepNetns(t *testing.T) {
	entries, _ := os.ReadDir("/run/netns")
	for _, en := range entries {
		rest, ok := strings.CutPrefix(en.Name(), netnsPrefix)
		pidText, _, ok2 := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || !ok2 || err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		if err := ip("netns", "del", en.Name()); err == nil {
			t.Logf("removed the network namespace %s of an earlier run", en.Name())
		}
	}
}

func (n *netns) cut() error     { return ip("link", "set", n.hostIf, "down") }
func (n *netns) restore() error { return ip("link", "set", n.hostIf, "up") }

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// subnetUsed tells whether an interface other than except has an address
// in p's network.
func subnetUsed(p netip.Prefix, except string) bool {
	ifs, err := net.Interfaces()
	if err != nil {
		return true
	}
	for _, ifc := range ifs {
		if ifc.Name == except {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ones, _ := ipn.Mask.Size()
			other, ok := netip.AddrFromSlice(ipn.IP)
			if ok && netip.PrefixFrom(other.Unmap(), ones).Overlaps(p) {
				return true
			}
		}
	}
	return false
}
