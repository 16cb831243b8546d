package console

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI answers DescribeExecution and GetExecutionHistory (newest first,
// pages of maxResults) for one execution whose history grows.
type fakeAPI struct {
	mu     sync.Mutex
	status string
	events int
}

func (f *fakeAPI) add(n int, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events += n
	f.status = status
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var in struct {
		ExecutionArn string `json:"executionArn"`
		MaxResults   int    `json:"maxResults"`
		NextToken    string `json:"nextToken"`
		Reverse      bool   `json:"reverseOrder"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	if in.ExecutionArn != "arn:x" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist","message":"Execution Does Not Exist: 'arn:y'"}`)
		return
	}
	switch r.Header.Get("X-Amz-Target") {
	case "AWSStepFunctions.DescribeExecution":
		fmt.Fprintf(w, `{"executionArn":"arn:x","status":%q}`, f.status)
	case "AWSStepFunctions.GetExecutionHistory":
		if !in.Reverse {
			panic("the stream reads newest first")
		}
		start := f.events
		if in.NextToken != "" {
			fmt.Sscan(in.NextToken, &start)
		}
		var evs []string
		id := start
		for ; id > 0 && len(evs) < in.MaxResults; id-- {
			evs = append(evs, fmt.Sprintf(`{"id":%d,"type":"PassStateEntered","timestamp":1.5}`, id))
		}
		next := ""
		if id > 0 {
			next = fmt.Sprint(id)
		}
		fmt.Fprintf(w, `{"events":[%s],"nextToken":%q}`, strings.Join(evs, ","), next)
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

type sse struct{ event, id, data string }

func readEvents(t *testing.T, body io.Reader, ch chan<- sse) {
	sc := bufio.NewScanner(body)
	var cur sse
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.event != "" {
				ch <- cur
			}
			cur = sse{}
		case strings.HasPrefix(line, "event: "):
			cur.event = line[7:]
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[6:]
		}
	}
	close(ch)
}

func TestStreamFollowsHistory(t *testing.T) {
	api := &fakeAPI{status: "RUNNING", events: 150} // more than one page
	c := New(api, Options{Poll: 5 * time.Millisecond})
	srv := httptest.NewServer(c)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/console/events?executionArn=arn:x&after=20")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ch := make(chan sse, 1000)
	go readEvents(t, resp.Body, ch)
	next := 21
	var ended bool
	first := true
	for ev := range ch {
		switch ev.event {
		case "execution":
			if first && !strings.Contains(ev.data, `"RUNNING"`) {
				t.Errorf("first execution event %s", ev.data)
			}
			first = false
		case "history":
			if ev.id != fmt.Sprint(next) || !strings.Contains(ev.data, fmt.Sprintf(`"id":%d`, next)) {
				t.Fatalf("history event %+v, want id %d", ev, next)
			}
			next++
			if next == 151 {
				api.add(5, "RUNNING")
			}
			if next == 156 {
				api.add(2, "SUCCEEDED")
			}
		case "end":
			ended = true
		default:
			t.Errorf("event %+v", ev)
		}
	}
	if !ended || next != 158 {
		t.Errorf("ended %v after event %d", ended, next-1)
	}
}

func TestStreamErrors(t *testing.T) {
	c := New(&fakeAPI{status: "RUNNING"}, Options{})
	srv := httptest.NewServer(c)
	defer srv.Close()
	for _, tc := range []struct{ url, want string }{
		{"/console/events", "executionArn is required"},
		{"/console/events?executionArn=arn:x&after=x", "must be event ids"},
	} {
		resp, err := http.Get(srv.URL + tc.url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s", tc.url, resp.StatusCode, b)
		}
	}
	resp, err := http.Get(srv.URL + "/console/events?executionArn=arn:y")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "event: error\ndata: {\"__type\":\"com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist\"") {
		t.Errorf("unknown execution: %s", b)
	}
}

func TestCloseEndsStreams(t *testing.T) {
	c := New(&fakeAPI{status: "RUNNING", events: 1}, Options{Poll: 5 * time.Millisecond})
	srv := httptest.NewServer(c)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/console/events?executionArn=arn:x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ch := make(chan sse, 100)
	go readEvents(t, resp.Body, ch)
	for ev := range ch {
		if ev.event == "history" {
			break
		}
	}
	c.Close()
	for range ch {
	}
}

func TestStaticFiles(t *testing.T) {
	c := New(&fakeAPI{}, Options{})
	mux := http.NewServeMux()
	mux.Handle(Prefix, c)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(srv.URL + "/console")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 3 || resp.Header.Get("Location") != "/console/" {
		t.Errorf("/console: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for path, want := range map[string]string{
		"/console/":           `<script type="module" src="app.js">`,
		"/console/index.html": `<script type="module" src="app.js">`,
		"/console/app.js":     "AWSStepFunctions.",
		"/console/graph.js":   "export class Graph",
		"/console/history.js": "export class Tracker",
		"/console/metrics.js": "export function parseMetrics",
		"/console/app.css":    "svg.graph",
		"/console/logo.svg":   "<svg",
	} {
		resp, err := noRedirect.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d, body lacks %q", path, resp.StatusCode, want)
		}
		if strings.HasSuffix(path, ".js") && !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
			t.Errorf("%s: Content-Type %q (modules need a JavaScript type)", path, resp.Header.Get("Content-Type"))
		}
	}
	resp, err = http.Post(srv.URL+"/console/", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/: %d", resp.StatusCode)
	}
}
