package cli

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth/authtest"
)

// `statecraft server` serves the Prometheus metrics at /metrics, beside
// the API: an activity created through the API has its gauges there.
func TestServerServesMetrics(t *testing.T) {
	o := DefaultServerOptions()
	o.NoSync = true
	o.MetricsToken = "metrics-token-0123456789"
	o.MetricsListen = "127.0.0.1:0"
	addr, stdout, _ := startTestServer(t, o)

	call := func(op, body string) (*http.Response, error) {
		req, _ := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		return authtest.Client.Do(req)
	}
	var resp *http.Response
	var err error
	for range 100 {
		resp, err = call("CreateActivity", `{"name":"scraped"}`)
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("server never answered: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("CreateActivity: %s", resp.Status)
	}

	// Without the token, nothing; a wrong one, nothing.
	for _, auth := range []string{"", "Bearer wrong-token", "Basic bWV0cmljczp4"} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(string(b), "statecraft_") {
			t.Errorf("GET /metrics with %q: %s %s", auth, resp.Status, b)
		}
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+o.MetricsToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %s %s\n%s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	arn := "arn:aws:states:us-east-1:123456789012:activity:scraped"
	for _, want := range []string{
		`statecraft_activity_tasks_queued{activity="` + arn + `"} 0`,
		`statecraft_activity_pollers_waiting{activity="` + arn + `"} 0`,
		"statecraft_executions_started_total 0",
		`statecraft_executions_finished_total{status="SUCCEEDED"} 0`,
		"statecraft_state_transitions_total 0",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(string(body), "\n"+want) {
			t.Errorf("/metrics has no line %q", want)
		}
	}
	// The separate metrics address serves them without a token.
	m := regexp.MustCompile(`metrics \(no token\): (http://127\.0\.0\.1:\d+/metrics)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("the banner does not name the separate metrics address:\n%s", stdout.String())
	}
	resp, err = http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "statecraft_state_transitions_total") {
		t.Errorf("GET %s: %s", m[1], resp.Status)
	}
	if !strings.Contains(stdout.String(), "metrics: http://"+addr+"/metrics") {
		t.Errorf("the banner does not name the metrics endpoint:\n%s", stdout.String())
	}
}
