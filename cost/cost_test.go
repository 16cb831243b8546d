package cost

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-15 }

// The embedded table is us-east-1's list prices, dated; the figures below
// are computed by hand from AWS's pricing pages' rules.
func TestPricesRules(t *testing.T) {
	p := Default()
	if p.Date == "" || p.Region != "us-east-1" || p.Currency != "USD" {
		t.Fatalf("table %+v", p)
	}
	// Standard: $0.025 per 1,000 transitions.
	if got := p.Standard(1000); !near(got, 0.025) {
		t.Errorf("1,000 transitions: $%g", got)
	}
	// Express: 64 MB for 100 ms (any duration up to 100 ms is billed 100
	// ms): $0.000001 + 0.1 s × 0.0625 GB × $0.00001667.
	for _, d := range []time.Duration{0, time.Millisecond, 99 * time.Millisecond, 100 * time.Millisecond} {
		ms, mb := p.ExpressBilled(d)
		if ms != 100 || mb != 64 {
			t.Errorf("Express %s billed %d ms at %d MB, want 100 ms at 64 MB", d, ms, mb)
		}
		if got, want := p.Express(d), 0.000001+0.1*0.0625*0.00001667; !near(got, want) {
			t.Errorf("Express %s: $%g, want $%g", d, got, want)
		}
	}
	if ms, _ := p.ExpressBilled(100*time.Millisecond + time.Nanosecond); ms != 200 {
		t.Errorf("100 ms and 1 ns billed %d ms, want 200", ms)
	}
	// Memory in 64 MB steps: 65 MB is billed 128.
	p.ExpressMemoryMB = 65
	if _, mb := p.ExpressBilled(time.Second); mb != 128 {
		t.Errorf("65 MB billed %d MB", mb)
	}
	// Lambda: per 1 ms; 128 MB for 1,500.2 ms is 1,501 ms:
	// $0.0000002 + 1.501 s × 0.125 GB × $0.0000166667.
	if ms := LambdaBilledMs(1500*time.Millisecond + 200*time.Microsecond); ms != 1501 {
		t.Errorf("Lambda billed %d ms", ms)
	}
	if got, want := Default().Lambda(1501, 128), 0.0000002+1.501*0.125*0.0000166667; !near(got, want) {
		t.Errorf("Lambda: $%g, want $%g", got, want)
	}
}

func TestParse(t *testing.T) {
	p, err := Parse([]byte(`{"date":"2027-01-01","standardPerTransition":0.0000279,"region":"us-west-1"}`))
	if err != nil || p.StandardPerTransition != 0.0000279 || p.Region != "us-west-1" || p.LambdaPerRequest != Default().LambdaPerRequest {
		t.Errorf("override: %+v %v", p, err)
	}
	for _, bad := range []string{`{"standardPerTransiton":1}`, `{"lambdaPerRequest":-1}`, `{"expressMemoryMB":0}`, `[]`, `{`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// Lambda invocations are measured from history: from the Started event to
// the event that ended the invocation, at the function's memory; a
// function the server does not run is counted apart, unpriced.
func TestLambdaFromHistory(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	const smArn = "arn:aws:states:us-east-1:123456789012:stateMachine:l"
	const execArn = "arn:aws:states:us-east-1:123456789012:execution:l:1"
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ev := func(id int64, typ string, at time.Duration, body string) store.Event {
		return store.Event{ID: id, Type: typ, Timestamp: t0.Add(at), Body: []byte(body)}
	}
	events := []store.Event{
		ev(1, "ExecutionStarted", 0, `{"id":1,"previousEventId":0}`),
		ev(2, "LambdaFunctionScheduled", 0, `{"id":2,"previousEventId":1,"lambdaFunctionScheduledEventDetails":{"resource":"arn:aws:lambda:us-east-1:123456789012:function:double"}}`),
		ev(3, "LambdaFunctionStarted", time.Millisecond, `{"id":3,"previousEventId":2}`),
		ev(4, "TaskScheduled", time.Millisecond, `{"id":4,"previousEventId":1,"taskScheduledEventDetails":{"resourceType":"lambda","resource":"invoke","parameters":"{\"FunctionName\":\"big:$LATEST\"}"}}`),
		ev(5, "TaskStarted", 2*time.Millisecond, `{"id":5,"previousEventId":4}`),
		// double: 1 ms to 250.5 ms, billed 250 ms at 128 MB.
		ev(6, "LambdaFunctionSucceeded", 250*time.Millisecond+500*time.Microsecond, `{"id":6,"previousEventId":3}`),
		// big: 2 ms to 1,002 ms, billed 1,000 ms at 1,024 MB.
		ev(7, "TaskFailed", 1002*time.Millisecond, `{"id":7,"previousEventId":5}`),
		ev(8, "LambdaFunctionScheduled", 1100*time.Millisecond, `{"id":8,"previousEventId":7,"lambdaFunctionScheduledEventDetails":{"resource":"arn:aws:lambda:us-east-1:123456789012:function:elsewhere"}}`),
		ev(9, "LambdaFunctionStarted", 1100*time.Millisecond, `{"id":9,"previousEventId":8}`),
		ev(10, "LambdaFunctionTimedOut", 1200*time.Millisecond, `{"id":10,"previousEventId":9}`),
	}
	err := st.StartExecution(ctx, store.StartExecutionParams{
		Execution: &store.Execution{Arn: execArn, StateMachineArn: smArn, Name: "1", Definition: `{"lambda":1}`, Input: "{}", StartedAt: t0},
		Step:      store.StepParams{Input: []byte("x"), Events: events, Transitions: 4},
	})
	if err != nil {
		t.Fatal(err)
	}
	mem := func(account, name string) (int64, bool) {
		if account != "123456789012" {
			return 0, false
		}
		switch name {
		case "double":
			return 128, true
		case "big":
			return 1024, true
		}
		return 0, false
	}
	c := &Calculator{Store: st, Prices: Default(), Memory: mem}
	e, _ := st.GetExecution(ctx, execArn)
	x, err := c.Of(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	gbs := 0.25*0.125 + 1.0*1.0
	want := 2*0.0000002 + gbs*0.0000166667
	if x.LambdaRequests != 2 || x.LambdaBilledMs != 1250 || !near(x.LambdaGBSeconds, gbs) || !near(x.LambdaUSD, want) || x.LambdaUnpriced != 1 {
		t.Errorf("lambda %+v, want 2 requests, 1250 ms, %g GB-s, $%g, 1 unpriced", x.Lambda, gbs, want)
	}
	if x.Transitions != 4 || !near(x.TotalUSD, 4*0.000025+want) {
		t.Errorf("execution %+v", x)
	}
}

// The Express children of an execution's Map Runs are billed one by one
// from their start and stop times: a request each, the duration rounded
// up to 100 ms at 64 MB; one still running has its request counted and
// not its duration; a STANDARD Map Run's children are none of it.
func TestExpressChildren(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	const smArn = "arn:aws:states:us-east-1:123456789012:stateMachine:x"
	const execArn = "arn:aws:states:us-east-1:123456789012:execution:x:1"
	const xRun = "arn:aws:states:us-east-1:123456789012:mapRun:x/L:a1b2"
	const sRun = "arn:aws:states:us-east-1:123456789012:mapRun:x/S:c3d4"
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	kid := func(run, typ, name string, began, took time.Duration) store.MapRunExecution {
		k := store.MapRunExecution{MapRunArn: run, ExecutionArn: execArn, Name: name, Status: "SUCCEEDED", StartedAt: t0.Add(began)}
		if typ == "express" {
			k.Arn = "arn:aws:states:us-east-1:123456789012:express:x/L:" + name + ":" + name + "-id"
			k.StateMachineArn = smArn + "/L"
		} else {
			k.Arn = "arn:aws:states:us-east-1:123456789012:execution:x/S:" + name
			k.StateMachineArn = smArn + "/S"
		}
		if took < 0 {
			k.Status = "RUNNING"
		} else {
			k.StoppedAt = k.StartedAt.Add(took)
		}
		return k
	}
	err := st.StartExecution(ctx, store.StartExecutionParams{
		Execution: &store.Execution{Arn: execArn, StateMachineArn: smArn, Name: "1", Definition: `{"ExecutionType":"EXPRESS"}`, Input: "{}", StartedAt: t0},
		Step: store.StepParams{Input: []byte("x"), Transitions: 6,
			MapRuns: []store.MapRun{
				{Arn: xRun, ExecutionArn: execArn, StateMachineArn: smArn + "/L", Status: "RUNNING", StartedAt: t0},
				{Arn: sRun, ExecutionArn: execArn, StateMachineArn: smArn + "/S", Status: "SUCCEEDED", StartedAt: t0, StoppedAt: t0.Add(time.Second)},
			},
			MapRunExecutions: []store.MapRunExecution{
				kid(xRun, "express", "a", 0, 30*time.Millisecond),                  // 100 ms
				kid(xRun, "express", "b", time.Millisecond, 1234*time.Millisecond), // 1,300 ms
				kid(xRun, "express", "c", 2*time.Millisecond, -1),                  // running
				kid(sRun, "standard", "d", 0, 5*time.Second),
			}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &Calculator{Store: st, Prices: Default()}
	e, _ := st.GetExecution(ctx, execArn)
	x, err := c.Of(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	gbs := (0.1 + 1.3) * 0.0625
	usd := 3*0.000001 + gbs*0.00001667
	if x.ExpressRequests != 3 || x.ExpressRunning != 1 || x.ExpressBilledMs != 1400 || !near(x.ExpressGBSeconds, gbs) || !near(x.ExpressUSD, usd) {
		t.Errorf("express %+v, want 3 requests (1 running), 1,400 ms, %g GB-s, $%g", x.Express, gbs, usd)
	}
	if x.Transitions != 6 || !near(x.TotalUSD, 6*0.000025+usd) {
		t.Errorf("execution %+v", x)
	}
	// A definition that starts no Express child is not looked into.
	e.Definition = `{}`
	if x, err := c.Of(ctx, e); err != nil || x.ExpressRequests != 0 {
		t.Errorf("no EXPRESS in the definition: %+v %v", x.Express, err)
	}
}
