package cost_test

import (
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/statecraft/statecraft/cost"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
	"github.com/statecraft/statecraft/tasks"
)

// A local function's invocations are priced per request and per
// GB-second at its configured memory, each attempt of a retried Task a
// request of its own; the transitions count the retry too.
func TestLocalLambdaCost(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("this test runs a bash custom runtime: %v", err)
	}
	const account = "123456789012"
	provided, _ := filepath.Abs("../functions/testdata/provided")
	h := functions.NewHost(functions.HostOptions{Region: "us-east-1", Account: account})
	t.Cleanup(func() { h.Close() })
	if err := h.Register(functions.Function{Name: "bashfn", Runtime: "provided.al2023", CodeDir: provided, Timeout: 10 * time.Second, MemoryMB: 256}); err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	eng := engine.New(st, engine.Options{Tasks: &tasks.Invoker{Functions: h}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go eng.Run(ctx)

	c := &cost.Calculator{Store: st, Prices: cost.Default(), Memory: h.MemoryMB}
	for _, tc := range []struct {
		name, definition, input string
		transitions, requests   int64
	}{
		// Call: 1 state, 1 request.
		{"direct", `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:bashfn","End":true}}}`,
			`{"n":1}`, 1, 1},
		// Call (1), its retry (1), then Caught (1); two requests.
		{"retried", `{"StartAt":"Call","States":{
			"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"bashfn","Payload.$":"$"},
				"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"MaxAttempts":1}],
				"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
			"Caught":{"Type":"Pass","End":true}}}`, `{"x":"fail"}`, 3, 2},
	} {
		sm := &store.StateMachine{Arn: "arn:aws:states:us-east-1:123456789012:stateMachine:" + tc.name, Name: tc.name, Type: "STANDARD",
			RoleArn: "arn:aws:iam::123456789012:role/r", Definition: tc.definition, CreatedAt: time.Now()}
		if err := st.CreateStateMachine(ctx, sm); err != nil {
			t.Fatal(err)
		}
		in, err := engine.ParseInput(tc.input)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := eng.StartExecution(ctx, sm, "x", in, "")
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-eng.Done(ctx, rec.Arn):
		case <-time.After(2 * time.Minute):
			t.Fatalf("%s: the execution did not finish", tc.name)
		}
		rec, _ = st.GetExecution(ctx, rec.Arn)
		if rec.Status != "SUCCEEDED" {
			t.Fatalf("%s: %s %s %s", tc.name, rec.Status, rec.Error, rec.Cause)
		}
		x, err := c.Of(ctx, rec)
		if err != nil {
			t.Fatal(err)
		}
		gbs := float64(x.LambdaBilledMs) / 1000 * 0.25
		want := float64(tc.requests)*0.0000002 + gbs*0.0000166667
		if x.Transitions != tc.transitions || x.LambdaRequests != tc.requests || x.LambdaBilledMs < tc.requests ||
			math.Abs(x.LambdaGBSeconds-gbs) > 1e-12 || math.Abs(x.LambdaUSD-want) > 1e-15 ||
			math.Abs(x.TotalUSD-(float64(tc.transitions)*0.000025+want)) > 1e-15 || x.LambdaUnpriced != 0 {
			t.Errorf("%s: %+v, want %d transitions, %d requests at 256 MB", tc.name, x, tc.transitions, tc.requests)
		}
	}
}
