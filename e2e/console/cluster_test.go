package console

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/statecraft/statecraft/cli"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/postgres"
	"github.com/statecraft/statecraft/store/postgres/pgtest"
)

// The Cluster page of a server on PostgreSQL: nodes that heartbeat and
// take shards in the server's schema, as the engine's nodes do, are
// listed with what they hold and what they publish, and the shard map
// colours each shard by its node. The page reads the view again every few
// seconds: a node's new heartbeat and a lease that runs out show without
// a reload.
func TestConsoleInBrowserCluster(t *testing.T) {
	o := cli.DefaultServerOptions()
	o.DB, o.DBSchema = pgtest.URL(t), pgtest.Schema(t)
	srv := startServerWith(t, o)
	st, err := postgres.Open(t.Context(), o.DB, postgres.Options{Schema: o.DBSchema, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	beat := func(id string, live int) {
		t.Helper()
		if err := st.Heartbeat(t.Context(), store.Node{ID: id, Address: "10.0.0." + id[len(id)-1:] + ":8083", StartedAt: time.Now().Add(-time.Hour),
			Info: fmt.Sprintf(`{"shards":0,"live":%d,"pollers":4,"timersInFlight":2,"invoking":0}`, live)}); err != nil {
			t.Fatal(err)
		}
	}
	held := map[string][]store.Lease{}
	for i, id := range []string{"node-1", "node-2"} {
		beat(id, 100+i)
		// Fewer than half each: whatever the server's own node holds,
		// some are left for these.
		ls, err := st.AcquireShards(t.Context(), store.AcquireShardsParams{Node: id, TTL: time.Hour, Max: 12 + i})
		if err != nil {
			t.Fatal(err)
		}
		held[id] = ls
	}

	ctx := browser(t)
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}
	sh.signIn(srv.endpoint)
	sh.step("open the Cluster page from the navigation",
		chromedp.Click(chromedp.CSS(`#nav-cluster`)),
		chromedp.WaitVisible(chromedp.CSS(`#cluster-nodes tr[data-node="node-1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#cluster-nodes tr[data-node="node-2"]`)),
	)
	cell := func(node, cls string) string {
		return fmt.Sprintf(`(document.querySelector('#cluster-nodes tr[data-node=%s] td.%s')?.textContent || '')`, q(node), cls)
	}
	for i, id := range []string{"node-1", "node-2"} {
		n := strconv.Itoa(len(held[id]))
		if got := sh.eval(cell(id, "shards")); !strings.HasPrefix(got, n) {
			t.Errorf("%s's shards cell %q, want %s first", id, got, n)
		}
		if got := sh.eval(cell(id, "live-executions")); got != strconv.Itoa(100+i) {
			t.Errorf("%s's executions %q", id, got)
		}
		if got := sh.eval(cell(id, "address")); got != "10.0.0."+id[len(id)-1:]+":8083" {
			t.Errorf("%s's address %q", id, got)
		}
		for _, l := range held[id] {
			if got := sh.eval(fmt.Sprintf(`document.querySelector('#shard-map .shard[data-shard="%d"]').dataset.node`, l.Shard)); got != id {
				t.Errorf("shard %d is drawn as %q's, want %s's", l.Shard, got, id)
			}
		}
	}
	if got := sh.eval(`String(document.querySelectorAll('#shard-map .shard').length)`); got != "64" {
		t.Errorf("the shard map has %s shards", got)
	}
	if got := sh.eval(`document.querySelector('[data-nav="cluster"]').classList.contains('active') + ' ' + document.querySelector('#cluster-note').hidden`); got != "true true" {
		t.Errorf("nav active, note hidden: %s", got)
	}
	if got := sh.eval(`document.querySelector('#cluster-summary').textContent`); !strings.Contains(got, "64 shards") {
		t.Errorf("summary %q", got)
	}
	sh.shot("cluster")

	// A heartbeat with new figures, and a node whose leases run out: the
	// page shows both at one of its next reads, without a reload.
	beat("node-1", 250)
	gone, err := st.AcquireShards(t.Context(), store.AcquireShardsParams{Node: "node-9", TTL: 50 * time.Millisecond, Max: 2})
	if err != nil {
		t.Fatal(err)
	}
	sh.wait("node-1's new figure", cell("node-1", "live-executions")+` === '250'`)
	if len(gone) > 0 {
		// One predicate, so the panel and the map are read from the same
		// drawing: the server's own node may take the lapsed shards over
		// at its next lease round, and the page's next read shows that.
		var shards []string
		for _, l := range gone {
			shards = append(shards, strconv.Itoa(l.Shard))
		}
		sh.wait("node-9's lapsed leases, in the panel and on the map", `!document.querySelector('#expired-panel').hidden &&
			document.querySelector('#expired-shards').textContent.includes('last held by node-9') &&
			[`+strings.Join(shards, ",")+`].some((s) => document.querySelector('#shard-map .shard[data-shard="' + s + '"]').className === 'shard expired')`)
	}
	sh.shot("cluster-refreshed")

	// The page's helpers.
	if got := sh.evalAsync(`import('/console/app.js').then(m => [m.shardRanges([0, 1, 2, 3, 7, 9, 10]), m.shardRanges([]),
		m.ago('2026-03-01T12:00:05Z', '2026-03-01T12:00:00Z'), m.ago('2026-03-01T12:00:00.5Z', '2026-03-01T12:00:00Z')].join(' | '))`); got != "0-3, 7, 9-10 |  | 5.0 s ago | just now" {
		t.Errorf("helpers: %q", got)
	}
}

// On SQLite the Cluster page says the server is a single node.
func TestConsoleInBrowserClusterSingleNode(t *testing.T) {
	srv := startServer(t)
	ctx := browser(t)
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}
	sh.signIn(srv.endpoint)
	sh.step("open the Cluster page",
		chromedp.Navigate(srv.endpoint+"/console/#/cluster"),
		chromedp.WaitVisible(chromedp.CSS(`#cluster-note`)),
		chromedp.WaitVisible(chromedp.CSS(`#cluster-nodes tr[data-node]`)),
	)
	if got := sh.eval(`document.querySelector('#cluster-note').textContent`); !strings.HasPrefix(got, "Single node (SQLite)") {
		t.Errorf("note %q", got)
	}
	if got := sh.eval(`document.querySelector('#cluster-nodes td.shards').textContent + ' ' + document.querySelector('#cluster-nodes td.address').textContent +
		' ' + !!document.querySelector('#cluster-nodes .this-node') + ' ' + document.querySelector('#shard-panel').hidden`); got != "all "+strings.TrimPrefix(srv.endpoint, "http://")+" true true" {
		t.Errorf("the single node's row: %q", got)
	}
	sh.shot("cluster-single")
}
