package metrics

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/cost"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

const (
	work  = "arn:aws:states:us-east-1:123456789012:activity:work"
	idle  = "arn:aws:states:us-east-1:123456789012:activity:idle"
	smArn = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// scrape GETs h's metrics in the text format and returns each sample by
// its series ("name{labels}"), and the body.
func scrape(t *testing.T, h http.Handler) (map[string]float64, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, Path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", Path, rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q", ct)
	}
	return parse(t, rec.Body.String()), rec.Body.String()
}

func parse(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func series(name, label, value string) string {
	return name + "{" + label + `="` + value + `"}`
}

type fixture struct {
	st  store.Store
	eng *engine.Engine
	sm  *store.StateMachine
}

func newFixture(t *testing.T, st store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	eng := engine.New(st, engine.Options{Log: quiet})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = eng.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for _, arn := range []string{work, idle} {
		if err := st.CreateActivity(ctx, &store.Activity{Arn: arn, Name: arn[strings.LastIndexByte(arn, ':')+1:], CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	sm := &store.StateMachine{Arn: smArn, Name: "m", Type: "STANDARD", Status: "ACTIVE", RoleArn: "arn:aws:iam::123456789012:role/r", CreatedAt: time.Now(),
		Definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + work + `","End":true}}}`}
	if err := st.CreateStateMachine(ctx, sm); err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, eng: eng, sm: sm}
}

func waitFor(t *testing.T, h http.Handler, what, key string, want float64) map[string]float64 {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		m, _ := scrape(t, h)
		if m[key] == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s = %v, want %v", what, key, m[key], want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHandlerExportsCounts(t *testing.T) {
	f := newFixture(t, memstore.New())
	h := Handler(f.eng, f.st, Options{Log: quiet})
	ctx := context.Background()
	queued := func(arn string) string { return series("statecraft_activity_tasks_queued", "activity", arn) }
	waiting := func(arn string) string { return series("statecraft_activity_pollers_waiting", "activity", arn) }

	// Nothing yet: every activity has both gauges at 0, every status its
	// counter at 0, and the Go and process collectors are there.
	m, body := scrape(t, h)
	for _, k := range []string{queued(work), queued(idle), waiting(work), waiting(idle), "statecraft_executions_started_total", "statecraft_state_transitions_total"} {
		if v, ok := m[k]; !ok || v != 0 {
			t.Errorf("%s = %v (present %v), want 0", k, v, ok)
		}
	}
	for _, st := range Statuses {
		if v, ok := m[series("statecraft_executions_finished_total", "status", st)]; !ok || v != 0 {
			t.Errorf("finished %s = %v (present %v), want 0", st, v, ok)
		}
	}
	for _, want := range []string{"# TYPE statecraft_activity_tasks_queued gauge", "# TYPE statecraft_executions_started_total counter", "\ngo_goroutines ", "\nprocess_cpu_seconds_total "} {
		if !strings.Contains(body, want) {
			t.Errorf("the scrape has no %q", want)
		}
	}

	// An execution scheduled a task: 1 queued.
	input, err := engine.ParseInput(`{}`)
	if err != nil {
		t.Fatal(err)
	}
	x, err := f.eng.StartExecution(ctx, f.sm, "one", input, "")
	if err != nil {
		t.Fatal(err)
	}
	m, _ = scrape(t, h)
	if m[queued(work)] != 1 || m["statecraft_executions_started_total"] != 1 || m["statecraft_state_transitions_total"] != 1 {
		t.Fatalf("after a start: queued %v, started %v, transitions %v", m[queued(work)], m["statecraft_executions_started_total"], m["statecraft_state_transitions_total"])
	}

	// A worker waits on the idle activity: 1 waiting there.
	pctx, stop := context.WithCancel(ctx)
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		_, _ = f.eng.GetActivityTask(pctx, idle, "w", 10*time.Second)
	}()
	waitFor(t, h, "a poller waiting", waiting(idle), 1)
	stop()
	<-polled
	waitFor(t, h, "the poller gone", waiting(idle), 0)

	// A worker claims the queued task: 0 queued; it succeeds: 1 finished.
	task, err := f.eng.GetActivityTask(ctx, work, "w", time.Second)
	if err != nil || task == nil {
		t.Fatalf("claim: %v %v", task, err)
	}
	m, _ = scrape(t, h)
	if m[queued(work)] != 0 {
		t.Fatalf("queued after the claim = %v", m[queued(work)])
	}
	if err := f.eng.SendTaskSuccess(ctx, task.Token, `{}`); err != nil {
		t.Fatal(err)
	}
	<-f.eng.Done(ctx, x.Arn)
	m, _ = scrape(t, h)
	if m[series("statecraft_executions_finished_total", "status", "SUCCEEDED")] != 1 {
		t.Fatalf("finished SUCCEEDED = %v, want 1", m[series("statecraft_executions_finished_total", "status", "SUCCEEDED")])
	}
}

// failingQueue is a store whose QueuedTasks fails.
type failingQueue struct{ store.Store }

func (failingQueue) QueuedTasks(context.Context) (map[string]int64, error) {
	return nil, errors.New("disk on fire")
}

// A store error costs the metric it feeds, not the scrape.
func TestStoreErrorSparesTheRest(t *testing.T) {
	f := newFixture(t, failingQueue{memstore.New()})
	m, _ := scrape(t, Handler(f.eng, f.st, Options{Log: quiet}))
	if _, ok := m["statecraft_executions_started_total"]; !ok {
		t.Error("the counters are missing")
	}
	if _, ok := m[series("statecraft_activity_pollers_waiting", "activity", work)]; !ok {
		t.Error("the pollers gauge is missing")
	}
	for k := range m {
		if strings.HasPrefix(k, "statecraft_activity_tasks_queued") {
			t.Errorf("%s exported although the store failed", k)
		}
	}
}

// The billed counters: per state machine and account, transitions as AWS
// bills them, and their price from the table given.
func TestBilledTransitions(t *testing.T) {
	f := newFixture(t, memstore.New())
	p := cost.Default()
	p.StandardPerTransition = 0.5
	h := Handler(f.eng, f.st, Options{Log: quiet, Prices: &p})
	ctx := context.Background()
	input, _ := engine.ParseInput(`{}`)
	x, err := f.eng.StartExecution(ctx, f.sm, "one", input, "")
	if err != nil {
		t.Fatal(err)
	}
	task, err := f.eng.GetActivityTask(ctx, work, "w", 10*time.Second)
	if err != nil || task == nil {
		t.Fatalf("claim: %v %v", task, err)
	}
	if err := f.eng.SendTaskSuccess(ctx, task.Token, `{}`); err != nil {
		t.Fatal(err)
	}
	<-f.eng.Done(ctx, x.Arn)
	labels := `{account="123456789012",state_machine="` + smArn + `"}`
	m, body := scrape(t, h)
	if m["statecraft_billed_state_transitions_total"+labels] != 1 || m["statecraft_billed_cost_usd_total"+labels] != 0.5 {
		t.Errorf("billed: %v, $%v\n%s", m["statecraft_billed_state_transitions_total"+labels], m["statecraft_billed_cost_usd_total"+labels], body)
	}
	// The count is the execution's, stored with it.
	if e, err := f.st.GetExecution(ctx, x.Arn); err != nil || e.Transitions != 1 {
		t.Errorf("stored: %+v %v", e, err)
	}
}
