// Package console benchmarks the listings the web console pages through,
// with many executions stored: ListExecutions (first page, deep pages,
// with a status filter) and ListStateMachines, each through the real API
// handler (api.New, called in process with an httptest recorder: JSON in,
// routing, validation, page tokens, the SQLite store and JSON out; no
// network).
//
// The store is filled once per run of the test binary, through the
// store's own StartExecution with a first step that ends the execution
// (ExecutionStarted and the ending event): the fastest honest way, as the
// rows, indexes and page keys are exactly those the engine writes, only
// without running an interpreter for each. Fsync is off while filling
// (sqlite Options.Sync = false); reads do not depend on it.
//
//	go test ./bench/console/ -run '^$' -bench . -benchtime 200x
//
// STATECRAFT_BENCH_EXECUTIONS changes the number of executions (100000).
// STATECRAFT_BENCH_DB names a database file to keep: filled when it does
// not exist, reused as it is when it does (to look at it with the sqlite3
// shell, or to skip the filling on the next run).
// Each benchmark reports the median time per page as ms/page-p50.
package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/sqlite"
)

const (
	region   = "us-east-1"
	account  = "123456789012"
	role     = "arn:aws:iam::123456789012:role/statecraft-bench"
	machines = 1000 // state machines, for ListStateMachines
)

type fixture struct {
	h     http.Handler
	smArn string
	n     int
	// Status counts: every 1000th ABORTED, every 10th FAILED, the rest SUCCEEDED.
	dir string
	err error
}

var (
	once sync.Once
	fx   fixture
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fx.dir != "" {
		os.RemoveAll(fx.dir)
	}
	os.Exit(code)
}

func setup(b *testing.B) *fixture {
	b.Helper()
	once.Do(func() { fx.err = fill() })
	if fx.err != nil {
		b.Fatal(fx.err)
	}
	return &fx
}

func fill() error {
	n := 100000
	if s := os.Getenv("STATECRAFT_BENCH_EXECUTIONS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		n = v
	}
	path := os.Getenv("STATECRAFT_BENCH_DB")
	reuse := false
	if path == "" {
		dir, err := os.MkdirTemp("", "statecraft-bench-console-")
		if err != nil {
			return err
		}
		fx.dir = dir
		path = filepath.Join(dir, "statecraft.db")
	} else if _, err := os.Stat(path); err == nil {
		reuse = true
	}
	opts := sqlite.DefaultOptions()
	opts.Sync = false
	st, err := sqlite.Open(path, opts)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := engine.New(st, engine.Options{Log: log}) // never run: nothing here is RUNNING
	h := api.New(st, eng, api.Options{Region: region, Account: account, Log: log})
	fx.h = h
	fx.n = n

	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	if reuse {
		out, err := call(h, "ListStateMachines", map[string]any{"maxResults": 1})
		if err != nil {
			return err
		}
		fx.smArn = out["stateMachines"].([]any)[0].(map[string]any)["stateMachineArn"].(string)
		x, err := call(h, "ListExecutions", map[string]any{"stateMachineArn": fx.smArn, "maxResults": 1})
		if err != nil {
			return err
		}
		if len(x["executions"].([]any)) == 0 {
			return fmt.Errorf("%s: no executions: remove it to fill it again", path)
		}
		fmt.Fprintf(os.Stderr, "reusing %s\n", path)
		return nil
	}
	for i := range machines {
		out, err := call(h, "CreateStateMachine", map[string]any{"name": fmt.Sprintf("machine-%04d", i), "definition": def, "roleArn": role})
		if err != nil {
			return err
		}
		if i == 0 {
			fx.smArn = out["stateMachineArn"].(string)
		}
	}
	start := time.Now()
	ctx := context.Background()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		name := fmt.Sprintf("exec-%06d", i)
		arn := fmt.Sprintf("arn:aws:states:%s:%s:execution:machine-0000:%s", region, account, name)
		at := base.Add(time.Duration(i) * time.Millisecond)
		end := at.Add(5 * time.Millisecond)
		status, last := "SUCCEEDED", "ExecutionSucceeded"
		final := &store.Final{Status: status, Output: `{}`, StoppedAt: end}
		switch {
		case i%1000 == 0:
			status, last = "ABORTED", "ExecutionAborted"
			final = &store.Final{Status: status, StoppedAt: end}
		case i%10 == 0:
			status, last = "FAILED", "ExecutionFailed"
			final = &store.Final{Status: status, Error: "Boom", HasError: true, StoppedAt: end}
		}
		ev := func(id int, typ string, t time.Time) store.Event {
			body := fmt.Sprintf(`{"id":%d,"previousEventId":%d,"type":%q,"timestamp":%d.%03d}`, id, id-1, typ, t.Unix(), t.Nanosecond()/1e6)
			return store.Event{ID: int64(id), Type: typ, Timestamp: t, Body: []byte(body)}
		}
		err := st.StartExecution(ctx, store.StartExecutionParams{Execution: &store.Execution{
			Arn: arn, StateMachineArn: fx.smArn, Name: name, Definition: def, RoleArn: role,
			Input: `{"n":` + strconv.Itoa(i) + `}`, StartedAt: at,
		}, Step: store.StepParams{
			Events: []store.Event{ev(1, "ExecutionStarted", at), ev(2, last, end)},
			Final:  final,
		}})
		if err != nil {
			return fmt.Errorf("execution %d: %w", i, err)
		}
	}
	fmt.Fprintf(os.Stderr, "filled %d executions of one machine (and %d machines) in %v, fsync off\n", n, machines, time.Since(start).Round(time.Millisecond))
	return nil
}

func call(h http.Handler, op string, in any) (map[string]any, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	// In process, as the console calls the API: the principal is given,
	// not signed for.
	req = req.WithContext(auth.WithPrincipal(req.Context(), &auth.Principal{AccessKeyID: "bench", Account: account, Role: auth.RoleAdmin, Region: region, Via: "internal"}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", op, err, rec.Body.Bytes())
	}
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s", op, rec.Code, rec.Body.Bytes())
	}
	return out, nil
}

// token follows nextToken pages pages in and returns the token of the next.
func token(b *testing.B, f *fixture, in map[string]any, pages int) string {
	b.Helper()
	tok := ""
	for range pages {
		m := clone(in)
		if tok != "" {
			m["nextToken"] = tok
		}
		out, err := call(f.h, "ListExecutions", m)
		if err != nil {
			b.Fatal(err)
		}
		tok, _ = out["nextToken"].(string)
		if tok == "" {
			b.Fatalf("the listing ended before page %d", pages+1)
		}
	}
	return tok
}

func clone(m map[string]any) map[string]any {
	c := make(map[string]any, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// measure times one API call per iteration and reports the median.
func measure(b *testing.B, f *fixture, op string, in map[string]any, want int) {
	b.Helper()
	key := map[string]string{"ListExecutions": "executions", "ListStateMachines": "stateMachines"}[op]
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		out, err := call(f.h, op, in)
		times = append(times, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if got := len(out[key].([]any)); got != want {
			b.Fatalf("%s: %d items, want %d", op, got, want)
		}
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2])/1e6, "ms/page-p50")
	b.ReportMetric(float64(times[len(times)*99/100])/1e6, "ms/page-p99")
}

func BenchmarkListExecutions(b *testing.B) {
	f := setup(b)
	for _, tc := range []struct {
		name   string
		size   int
		status string
		pages  int // pages skipped with nextToken first
		want   int
	}{
		{"first-page/20", 20, "", 0, 20},
		{"first-page/100", 100, "", 0, 100},
		{"page-51/20", 20, "", 50, 20},
		{"page-4001/20", 20, "", 4000, 20}, // 80,000 executions in
		{"page-51/100", 100, "", 50, 100},
		{"status-FAILED/first-page/20", 20, "FAILED", 0, 20},
		{"status-FAILED/page-51/20", 20, "FAILED", 50, 20},
		{"status-ABORTED/first-page/20", 20, "ABORTED", 0, 20},
		{"status-RUNNING/empty", 20, "RUNNING", 0, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			in := map[string]any{"stateMachineArn": f.smArn, "maxResults": tc.size}
			if tc.status != "" {
				in["statusFilter"] = tc.status
			}
			if tc.pages > 0 {
				in["nextToken"] = token(b, f, in, tc.pages)
			}
			measure(b, f, "ListExecutions", in, tc.want)
		})
	}
}

func BenchmarkListStateMachines(b *testing.B) {
	f := setup(b)
	b.Run("first-page/50", func(b *testing.B) {
		measure(b, f, "ListStateMachines", map[string]any{"maxResults": 50}, 50)
	})
	b.Run("page-11/50", func(b *testing.B) {
		tok := ""
		for range 10 {
			in := map[string]any{"maxResults": 50}
			if tok != "" {
				in["nextToken"] = tok
			}
			out, err := call(f.h, "ListStateMachines", in)
			if err != nil {
				b.Fatal(err)
			}
			tok = out["nextToken"].(string)
		}
		measure(b, f, "ListStateMachines", map[string]any{"maxResults": 50, "nextToken": tok}, 50)
	})
}
