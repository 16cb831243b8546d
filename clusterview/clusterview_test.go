package clusterview

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/postgres"
	"github.com/statecraft/statecraft/store/postgres/pgtest"
)

// fakeCluster answers ListNodes and ListShards from fixed rows, and
// records the bound it was asked for.
type fakeCluster struct {
	nodes  []store.Node
	leases []store.Lease
	err    error
	asked  store.ListNodesParams
}

func (f *fakeCluster) ShardCount() int { return len(f.leases) }
func (f *fakeCluster) AcquireShards(context.Context, store.AcquireShardsParams) ([]store.Lease, error) {
	return nil, errors.New("not used")
}
func (f *fakeCluster) RenewShards(context.Context, store.RenewShardsParams) ([]store.Lease, error) {
	return nil, errors.New("not used")
}
func (f *fakeCluster) ReleaseShards(context.Context, []store.Lease) error {
	return errors.New("not used")
}
func (f *fakeCluster) ListShards(context.Context) ([]store.Lease, error) {
	return f.leases, f.err
}
func (f *fakeCluster) Heartbeat(context.Context, store.Node) error { return errors.New("not used") }
func (f *fakeCluster) ListNodes(_ context.Context, p store.ListNodesParams) ([]store.Node, error) {
	f.asked = p
	return f.nodes, f.err
}
func (f *fakeCluster) DeleteNode(context.Context, string) error { return errors.New("not used") }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Leases are grouped by node; a free shard, an expired lease and the
// leases of a node whose heartbeat is too old are each shown as such.
func TestReadGroupsLeases(t *testing.T) {
	live := t0.Add(time.Minute)
	f := &fakeCluster{
		nodes: []store.Node{
			{ID: "b", Address: "10.0.0.2:8083", StartedAt: t0, SeenAt: t0.Add(-time.Second), Info: `{"shards": 2, "live": 130}`},
			{ID: "a", Address: "10.0.0.1:8083", StartedAt: t0, SeenAt: t0.Add(-2 * time.Second), Info: "not json"},
			{ID: "idle", Address: "10.0.0.4:8083", StartedAt: t0, SeenAt: t0},
		},
		leases: []store.Lease{
			{Shard: 0, Node: "b", RangeID: 3, Expires: live},
			{Shard: 1, Node: "a", RangeID: 1, Expires: live},
			{Shard: 2, Node: "", RangeID: 0},
			{Shard: 3, Node: "c", RangeID: 2, Expires: t0.Add(-time.Second)},
			{Shard: 4, Node: "b", RangeID: 7, Expires: live},
			{Shard: 5, Node: "stuck", RangeID: 1, Expires: live},
			{Shard: 6, Node: "a", RangeID: 1, Expires: t0}, // runs out at the view's instant: expired
		},
	}
	v, err := Read(t.Context(), f, Options{Lease: 6 * time.Second, Self: Self{ID: "b"}, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if f.asked.SeenWithin != 18*time.Second || f.asked.Limit <= 0 {
		t.Errorf("ListNodes asked with %+v, want nodes seen within 3 leases", f.asked)
	}
	want := &View{Mode: ModeCluster, AsOf: t0, SeenWithinSeconds: 18, ShardCount: 7,
		Nodes: []Node{
			{ID: "a", Address: "10.0.0.1:8083", StartedAt: t0, SeenAt: t0.Add(-2 * time.Second), Live: true, Shards: []int{1}, ShardCount: 1},
			{ID: "b", Address: "10.0.0.2:8083", StartedAt: t0, SeenAt: t0.Add(-time.Second), Live: true, This: true, Shards: []int{0, 4}, ShardCount: 2,
				Info: json.RawMessage(`{"shards":2,"live":130}`)},
			{ID: "idle", Address: "10.0.0.4:8083", StartedAt: t0, SeenAt: t0, Live: true, Shards: []int{}},
			{ID: "stuck", Shards: []int{5}, ShardCount: 1},
		},
		FreeShards:    []int{2},
		ExpiredShards: []ExpiredShard{{Shard: 3, Node: "c", Expires: t0.Add(-time.Second)}, {Shard: 6, Node: "a", Expires: t0}},
	}
	if !reflect.DeepEqual(v, want) {
		got, _ := json.MarshalIndent(v, "", "  ")
		exp, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("view\n%s\nwant\n%s", got, exp)
	}
	if _, err := Read(t.Context(), f, Options{}); err != nil || f.asked.SeenWithin != DefaultSeenWithin {
		t.Errorf("with no lease: asked %+v, %v; want nodes seen within %v", f.asked, err, DefaultSeenWithin)
	}
}

func serve(h http.Handler, method string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, "http://127.0.0.1:8083"+Path+"?anything=1", nil))
	return w
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("answer %d %q is not JSON: %v", w.Code, w.Body, err)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	return m
}

// Without a Cluster, the answer is one node, this one, in the same shape.
func TestHandlerSingle(t *testing.T) {
	self := Self{ID: "host-1", Address: "127.0.0.1:8083", StartedAt: t0.Add(-time.Hour)}
	w := serve(Handler(nil, Options{Self: self, Now: func() time.Time { return t0 }}), http.MethodGet)
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
	}
	want := `{"mode":"single","note":"` + SingleNote + `","asOf":"2026-03-01T12:00:00Z","shardCount":0,` +
		`"nodes":[{"id":"host-1","address":"127.0.0.1:8083","startedAt":"2026-03-01T11:00:00Z","seenAt":"2026-03-01T12:00:00Z","live":true,"this":true,"shards":[],"shardCount":0}],` +
		`"freeShards":[],"expiredShards":[]}` + "\n"
	if w.Body.String() != want {
		t.Errorf("single view\n%s\nwant\n%s", w.Body, want)
	}
}

// Refusals and failures are JSON that says what happened, never a bare
// status.
func TestHandlerErrors(t *testing.T) {
	h := Handler(&fakeCluster{}, Options{})
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		w := serve(h, m)
		if e := decode(t, w); w.Code != http.StatusMethodNotAllowed || e["__type"] != "MethodNotAllowedException" ||
			!strings.Contains(e["message"].(string), "GET "+Path) || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d %v %s", m, w.Code, w.Header(), w.Body)
		}
	}
	if w := serve(h, http.MethodHead); w.Code != http.StatusOK {
		t.Errorf("HEAD: %d", w.Code)
	}
	broken := &fakeCluster{err: errors.New("connection refused to db.internal")}
	var logged strings.Builder
	w := serve(Handler(broken, Options{Log: slog.New(slog.NewTextHandler(&logged, nil))}), http.MethodGet)
	e := decode(t, w)
	if w.Code != http.StatusServiceUnavailable || e["__type"] != "ServiceUnavailableException" || strings.Contains(w.Body.String(), "db.internal") {
		t.Errorf("a store that fails: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(logged.String(), "connection refused to db.internal") {
		t.Errorf("the cause is not logged: %q", logged.String())
	}
}

// On PostgreSQL: nodes heartbeat and take shards as the engine's nodes
// do, and the view shows each with what it holds; a node that releases
// its shards leaves them free, one whose lease runs out leaves them
// expired.
func TestReadPostgres(t *testing.T) {
	ctx := t.Context()
	st, err := postgres.Open(ctx, pgtest.URL(t), postgres.Options{Schema: pgtest.Schema(t), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	started := time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
	for _, id := range []string{"b", "a", "c"} {
		if err := st.Heartbeat(ctx, store.Node{ID: id, Address: "127.0.0.1:808" + id, StartedAt: started, Info: `{"live": 5, "pollers": 1}`}); err != nil {
			t.Fatal(err)
		}
	}
	take := func(node string, n int, ttl time.Duration) []store.Lease {
		ls, err := st.AcquireShards(ctx, store.AcquireShardsParams{Node: node, TTL: ttl, Max: n})
		if err != nil || len(ls) != n {
			t.Fatalf("%s acquiring %d shards: %d, %v", node, n, len(ls), err)
		}
		return ls
	}
	a := take("a", 20, time.Minute)
	take("b", 30, time.Minute)
	c := take("c", 4, time.Minute)
	gone := take("gone", 3, 20*time.Millisecond)
	if err := st.ReleaseShards(ctx, c[:2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)

	v, err := Read(ctx, st, Options{Lease: 6 * time.Second, Self: Self{ID: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Mode != ModeCluster || v.ShardCount != 64 || len(v.Nodes) != 3 {
		t.Fatalf("view %+v", v)
	}
	counts := map[string]int{}
	for _, n := range v.Nodes {
		counts[n.ID] = n.ShardCount
		if !n.Live || n.Address != "127.0.0.1:808"+n.ID || !n.StartedAt.Equal(started) || time.Since(n.SeenAt) > time.Minute ||
			string(n.Info) != `{"live":5,"pollers":1}` || n.ShardCount != len(n.Shards) || n.This != (n.ID == "a") {
			t.Errorf("node %+v", n)
		}
	}
	if counts["a"] != 20 || counts["b"] != 30 || counts["c"] != 2 {
		t.Errorf("shards per node %v, want a 20, b 30, c 2", counts)
	}
	for _, l := range a {
		if !slices.Contains(v.Nodes[0].Shards, l.Shard) {
			t.Errorf("a's shard %d is not listed under a: %v", l.Shard, v.Nodes[0].Shards)
		}
	}
	if len(v.ExpiredShards) != 3 || v.ExpiredShards[0].Node != "gone" {
		t.Errorf("expired %+v, want gone's 3 shards", v.ExpiredShards)
	}
	for _, l := range gone {
		if !slices.ContainsFunc(v.ExpiredShards, func(e ExpiredShard) bool { return e.Shard == l.Shard }) {
			t.Errorf("gone's shard %d is not expired", l.Shard)
		}
	}
	if len(v.FreeShards) != 64-20-30-2-3 {
		t.Errorf("%d free shards: %v", len(v.FreeShards), v.FreeShards)
	}
	for _, l := range c[:2] {
		if !slices.Contains(v.FreeShards, l.Shard) {
			t.Errorf("c's released shard %d is not free", l.Shard)
		}
	}
}
