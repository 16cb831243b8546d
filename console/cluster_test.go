package console

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/clusterview"
)

// clusterDoor stands for the server's door to the cluster's view: it
// refuses a role that may not describe, as the real one does, records
// what reached it, and answers a single node's view.
type clusterDoor struct {
	mu   sync.Mutex
	seen []*http.Request
}

func (d *clusterDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	d.seen = append(d.seen, r)
	d.mu.Unlock()
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		clusterview.WriteError(w, http.StatusUnauthorized, "MissingAuthenticationTokenException", "no principal")
		return
	}
	if !p.Role.Allows(clusterview.Action) {
		clusterview.WriteError(w, http.StatusForbidden, "AccessDeniedException", p.DeniedMessage(clusterview.Action, ""))
		return
	}
	clusterview.Handler(nil, clusterview.Options{Self: clusterview.Self{ID: "n1", Address: "127.0.0.1:8083"}}).ServeHTTP(w, r)
}

// /console/cluster serves the cluster's view through the session: the
// door is called as the session's principal, with nothing of the page's
// request but that; without a session it is 401, for any role but admin 403 as
// the door says, from another origin 403 before the door is reached.
func TestConsoleCluster(t *testing.T) {
	keys := twoAccounts(t, newClock().Now())
	door := &clusterDoor{}
	h := newHarness(t, &fakeAPI{}, keys, func(o *Options) { o.Cluster = door })
	if w := h.do(request{method: "GET", path: "/console/cluster"}); w.Code != 401 || errorType(t, w) != "SessionRequired" {
		t.Errorf("no session: %d %s", w.Code, w.Body)
	}
	admin := h.login(keyLogin("A_ADMIN", "admin-secret"))
	if allowed := admin.info["actions"].(map[string]any)["DescribeCluster"]; allowed != true {
		t.Errorf("an admin session's actions say DescribeCluster %v", allowed)
	}
	w := h.do(request{method: "GET", path: "/console/cluster", sess: admin, noCSRF: true,
		header: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=forged", "X-Amz-Target": "AWSStepFunctions.StopExecution"}})
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
	}
	var v clusterview.View
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || v.Mode != clusterview.ModeSingle || len(v.Nodes) != 1 || v.Nodes[0].ID != "n1" {
		t.Errorf("view %s: %+v, %v", w.Body, v, err)
	}
	door.mu.Lock()
	r := door.seen[len(door.seen)-1]
	door.mu.Unlock()
	p, _ := auth.PrincipalFrom(r.Context())
	if r.Method != http.MethodGet || r.URL.Path != clusterview.Path || p == nil || p.AccessKeyID != "A_ADMIN" || p.Via != "console" ||
		r.Header.Get("Cookie") != "" || r.Header.Get("Authorization") != "" || r.Header.Get(CSRFHeader) != "" || r.Header.Get("X-Amz-Target") != "" {
		t.Errorf("the door got %s %s as %+v with headers %v", r.Method, r.URL, p, r.Header)
	}

	for _, k := range [][2]string{{"A_READER", "reader-secret"}, {"A_OPERATOR", "operator-secret"}} {
		s := h.login(keyLogin(k[0], k[1]))
		if allowed := s.info["actions"].(map[string]any)["DescribeCluster"]; allowed != false {
			t.Errorf("%s's session's actions say DescribeCluster %v", k[0], allowed)
		}
		if w := h.do(request{method: "GET", path: "/console/cluster", sess: s}); w.Code != 403 || errorType(t, w) != "AccessDeniedException" {
			t.Errorf("%s: %d %s", k[0], w.Code, w.Body)
		}
	}
	worker := h.login(keyLogin("A_WORKER", "worker-secret"))
	if allowed := worker.info["actions"].(map[string]any)["DescribeCluster"]; allowed != false {
		t.Errorf("a worker session's actions say DescribeCluster %v", allowed)
	}
	if w := h.do(request{method: "GET", path: "/console/cluster", sess: worker}); w.Code != 403 || errorType(t, w) != "AccessDeniedException" ||
		!strings.Contains(w.Body.String(), clusterview.Action) {
		t.Errorf("worker: %d %s", w.Code, w.Body)
	}
	n := len(door.seen)
	if w := h.do(request{method: "GET", path: "/console/cluster", sess: admin, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}); w.Code != 403 || errorType(t, w) != "ForbiddenOrigin" {
		t.Errorf("cross-site: %d %s", w.Code, w.Body)
	}
	if w := h.do(request{method: "POST", path: "/console/cluster", sess: admin, contentType: "application/json"}); w.Code != 405 || errorType(t, w) != "MethodNotAllowed" {
		t.Errorf("POST: %d %s", w.Code, w.Body)
	}
	if len(door.seen) != n {
		t.Errorf("refused requests reached the door")
	}

	h2 := newHarness(t, &fakeAPI{}, keys, nil)
	s := h2.login(keyLogin("A_ADMIN", "admin-secret"))
	if w := h2.do(request{method: "GET", path: "/console/cluster", sess: s}); w.Code != 404 || errorType(t, w) != "ResourceNotFoundException" {
		t.Errorf("no cluster door: %d %s", w.Code, w.Body)
	}
}
