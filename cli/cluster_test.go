package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/clusterview"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/postgres"
)

// noEnv is an environment with no AWS credentials: the development pair.
func noEnv(string) string { return "" }

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// get sends one request to the server, signed with the development pair
// for service unless unsigned, and returns the status and the body as
// JSON.
func get(t *testing.T, method, url, service string, body io.Reader, unsigned bool) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if !unsigned {
		if service == "" {
			service = clusterview.SigningName
		}
		if err := signAs(req, service); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d %q is not JSON", method, url, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

// signAs signs with the development pair for service's signing name.
func signAs(req *http.Request, service string) error {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	sum := sha256.Sum256(body)
	return v4.NewSigner().SignHTTP(req.Context(), aws.Credentials{AccessKeyID: authtest.AccessKeyID, SecretAccessKey: authtest.SecretAccessKey},
		req, hex.EncodeToString(sum[:]), service, authtest.Region, time.Now())
}

// On SQLite the server is one node holding everything: the view, the
// command and the console's page say so; the door refuses what it does
// not serve with JSON that says why.
func TestClusterOnSQLite(t *testing.T) {
	addr, _, _ := startTestServer(t, DefaultServerOptions())
	endpoint := "http://" + addr

	var out strings.Builder
	if err := Cluster(t.Context(), ClusterOptions{Endpoint: endpoint, Region: "us-east-1"}, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 4 || lines[0] != clusterview.SingleNote || lines[1] != "" ||
		!regexp.MustCompile(`^NODE +ADDRESS +SHARDS +LIVE +LAST SEEN$`).MatchString(lines[2]) ||
		!regexp.MustCompile(`^`+regexp.QuoteMeta(host)+` \(this\) +`+regexp.QuoteMeta(addr)+` +all +- +just now$`).MatchString(lines[3]) {
		t.Errorf("statecraft cluster on SQLite printed:\n%s", out.String())
	}
	out.Reset()
	if err := Cluster(t.Context(), ClusterOptions{Endpoint: endpoint + "/", Region: "us-east-1", JSON: true}, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	var v clusterview.View
	if err := json.Unmarshal([]byte(out.String()), &v); err != nil || v.Mode != clusterview.ModeSingle || len(v.Nodes) != 1 || v.Nodes[0].Address != addr {
		t.Errorf("--json printed %s (%v)", out.String(), err)
	}

	// The console's page reads it through a session.
	cookie, _, status := signIn(t, endpoint, `{"accessKeyId":"local","secretAccessKey":"local"}`)
	if status != 200 {
		t.Fatalf("console login: %d", status)
	}
	req, _ := http.NewRequest("GET", endpoint+"/console/cluster", nil)
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(b, &v); resp.StatusCode != 200 || err != nil || v.Mode != clusterview.ModeSingle {
		t.Errorf("GET /console/cluster: %d %s", resp.StatusCode, b)
	}

	url := endpoint + clusterview.Path
	for _, c := range []struct {
		name, method, service string
		body                  io.Reader
		unsigned              bool
		status                int
		typ, message          string
	}{
		{"unsigned", "GET", "", nil, true, 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"signed for states", "GET", "states", nil, false, 403, "InvalidSignatureException", ""},
		{"POST", "POST", "", strings.NewReader(""), false, 405, "MethodNotAllowedException", "GET /statecraft/cluster"},
		{"DELETE", "DELETE", "", nil, false, 405, "MethodNotAllowedException", "GET /statecraft/cluster"},
		{"a body", "GET", "", strings.NewReader(`{"x":1}`), false, 413, "RequestEntityTooLargeException", "takes no body"},
	} {
		status, e := get(t, c.method, url, c.service, c.body, c.unsigned)
		if status != c.status || e["__type"] != c.typ || !strings.Contains(e["message"].(string), c.message) {
			t.Errorf("%s: %d %v, want %d %s", c.name, status, e, c.status, c.typ)
		}
	}
	if status, e := get(t, "GET", url+"?limit=-1&x=%zz", "", nil, false); status != 200 || e["mode"] != "single" {
		t.Errorf("query parameters: %d %v", status, e)
	}
}

// On PostgreSQL the view groups the shards' leases by node: nodes that
// heartbeat and take shards in the server's schema, as the engine's nodes
// do, are each listed with what they hold and the executions they say
// they have; `statecraft cluster` prints them.
func TestClusterOnPostgres(t *testing.T) {
	o := pgOptions(t)
	srv := startServer(t, o)
	ctx := t.Context()
	st, err := postgres.Open(ctx, o.DB, postgres.Options{Schema: o.DBSchema, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	held := map[string]int{}
	for i, id := range []string{"node-a", "node-b"} {
		if err := st.Heartbeat(ctx, store.Node{ID: id, Address: "10.0.0." + strconv.Itoa(i+1) + ":8083", StartedAt: time.Now().Add(-time.Hour),
			Info: `{"shards":0,"live":` + strconv.Itoa(100+i) + `,"pollers":4,"timersInFlight":2,"invoking":0}`}); err != nil {
			t.Fatal(err)
		}
		// Fewer than half each: whatever the server's own node holds,
		// some are left for these.
		ls, err := st.AcquireShards(ctx, store.AcquireShardsParams{Node: id, TTL: time.Minute, Max: 10 + i})
		if err != nil {
			t.Fatal(err)
		}
		held[id] = len(ls)
	}

	var out strings.Builder
	if err := Cluster(ctx, ClusterOptions{Endpoint: "http://" + srv.addr, Region: "us-east-1"}, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if !strings.HasPrefix(text, "64 shards; ") || !strings.Contains(text, " nodes seen within ") {
		t.Errorf("no summary line:\n%s", text)
	}
	for i, id := range []string{"node-a", "node-b"} {
		row := `(?m)^` + id + ` +10\.0\.0\.` + strconv.Itoa(i+1) + `:8083 +` + strconv.Itoa(held[id]) + ` +` + strconv.Itoa(100+i) + ` +(just now|[0-9.]+m?s ago)$`
		if !regexp.MustCompile(row).MatchString(text) {
			t.Errorf("no row %s in:\n%s", row, text)
		}
	}
	if !regexp.MustCompile(`(?m)^free shards: .+\nexpired leases: .+$`).MatchString(text) {
		t.Errorf("no free and expired lines:\n%s", text)
	}

	out.Reset()
	if err := Cluster(ctx, ClusterOptions{Endpoint: "http://" + srv.addr, Region: "us-east-1", JSON: true}, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	var v clusterview.View
	if err := json.Unmarshal([]byte(out.String()), &v); err != nil {
		t.Fatal(err)
	}
	total := len(v.FreeShards) + len(v.ExpiredShards)
	for _, n := range v.Nodes {
		total += n.ShardCount
		if want, ok := held[n.ID]; ok && (n.ShardCount != want || !n.Live || string(n.Info) == "") {
			t.Errorf("node %+v, want %d shards, live, with its info", n, want)
		}
	}
	if v.Mode != clusterview.ModeCluster || v.ShardCount != 64 || total != 64 || v.SeenWithinSeconds != (3*engine.DefaultShardLease).Seconds() {
		t.Errorf("view %+v accounts for %d shards", v, total)
	}
}

// Any role that may describe reads the view; a worker, and a key the
// server does not know, are refused with the reason.
func TestClusterRoles(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.yaml")
	if err := os.WriteFile(creds, []byte(`accounts:
  - id: "444455556666"
    keys:
      - accessKeyId: AKIAADMIN
        secretAccessKey: admin-secret-1234
        role: admin
      - accessKeyId: AKIAREADER
        secretAccessKey: reader-secret-1234
        role: read-only
      - accessKeyId: AKIAWORKER
        secretAccessKey: worker-secret-1234
        role: worker
`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := DefaultServerOptions()
	o.Credentials = creds
	addr, _, _ := startTestServer(t, o)
	co := ClusterOptions{Endpoint: "http://" + addr, Region: "us-east-1"}
	var out strings.Builder
	if err := Cluster(t.Context(), co, envOf(map[string]string{"AWS_ACCESS_KEY_ID": "AKIAADMIN", "AWS_SECRET_ACCESS_KEY": "admin-secret-1234"}), &out); err != nil ||
		!strings.Contains(out.String(), "single node") {
		t.Errorf("admin: %v\n%s", err, out.String())
	}
	for _, c := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"AWS_ACCESS_KEY_ID": "AKIAWORKER", "AWS_SECRET_ACCESS_KEY": "worker-secret-1234"},
			[]string{"403 Forbidden: AccessDeniedException", "is not authorized to perform: statecraft:DescribeCluster", "this key's is worker"}},
		{map[string]string{"AWS_ACCESS_KEY_ID": "AKIAREADER", "AWS_SECRET_ACCESS_KEY": "reader-secret-1234"},
			[]string{"403 Forbidden: AccessDeniedException", "needs the admin role", "this key's is read-only"}},
		{nil, []string{"403 Forbidden: UnrecognizedClientException"}}, // the development pair is off
		{map[string]string{"AWS_ACCESS_KEY_ID": "AKIAREADER"}, []string{"set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"}},
	} {
		err := Cluster(t.Context(), co, envOf(c.env), io.Discard)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %v, want %q", c.env, err, w)
			}
		}
	}
	if err := Cluster(t.Context(), ClusterOptions{Endpoint: "http://127.0.0.1:1", Region: "us-east-1"}, noEnv, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "reading the cluster from http://127.0.0.1:1") {
		t.Errorf("no server: %v", err)
	}
}
