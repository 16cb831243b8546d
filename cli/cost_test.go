package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/cost"
)

// costCases are executions with hand-counted AWS bills: +1 per state
// entered (inside Parallel branches and Map iterations too), +1 per retry
// attempt, nothing for the start or the end; $0.000025 a transition
// (us-east-1 list price).
var costCases = []struct {
	name, definition, input string
	transitions             int64
	status                  types.ExecutionStatus
}{
	{
		// A, B, Done: three states entered.
		name:        "chain",
		definition:  `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"Done"},"Done":{"Type":"Succeed"}}}`,
		transitions: 3, status: types.ExecutionStatusSucceeded,
	},
	{
		// Choice, then Fail: two, whatever the execution's end.
		name:        "choice-fail",
		definition:  `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":1,"Next":"F"}],"Default":"F"},"F":{"Type":"Fail","Error":"E"}}}`,
		input:       `{"x":1}`,
		transitions: 2, status: types.ExecutionStatusFailed,
	},
	{
		// P, then one Pass in each of two branches: 1 + 2.
		name: "parallel",
		definition: `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"L","States":{"L":{"Type":"Pass","End":true}}},
			{"StartAt":"R","States":{"R":{"Type":"Pass","End":true}}}]}}}`,
		transitions: 3, status: types.ExecutionStatusSucceeded,
	},
	{
		// M, then two states in each of three iterations: 1 + 3×2.
		name: "map",
		definition: `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"I1","States":{
			"I1":{"Type":"Pass","Next":"I2"},"I2":{"Type":"Pass","End":true}}}}}}`,
		input:       `[1,2,3]`,
		transitions: 7, status: types.ExecutionStatusSucceeded,
	},
	{
		// A Distributed Map of STANDARD children: M, then two states in
		// each of three children, as for the inline Map: 1 + 3×2.
		name: "distributed-map",
		definition: `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{
			"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I1","States":{
			"I1":{"Type":"Pass","Next":"I2"},"I2":{"Type":"Pass","End":true}}}}}}`,
		input:       `[1,2,3]`,
		transitions: 7, status: types.ExecutionStatusSucceeded,
	},
	{
		// P entered (1) and its branch's Fail (1); two retries, each a
		// transition (2) that enters the Fail again (2); then the Catch
		// goes to Handled (1): 7.
		name: "parallel-retries",
		definition: `{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Handled",
			"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":1}],
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handled"}],
			"Branches":[{"StartAt":"Boom","States":{"Boom":{"Type":"Fail","Error":"Boom"}}}]},
			"Handled":{"Type":"Pass","End":true}}}`,
		transitions: 7, status: types.ExecutionStatusSucceeded,
	},
}

// TestCostThroughTheCLIDoor runs executions with retries, Parallel and Map
// on a real server through the Step Functions API, then reads what they
// cost through GET /statecraft/cost and `statecraft cost`: per execution,
// per state machine, per account, as a table and as JSON, with figures
// counted by hand.
func TestCostThroughTheCLIDoor(t *testing.T) {
	addr, _, _ := startTestServer(t, DefaultServerOptions())
	ctx := t.Context()
	c := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
		Credentials: authtest.Credentials("", ""), RetryMaxAttempts: 1})
	const price = 0.000025
	var total int64
	execs := map[string]string{}
	machines := map[string]string{}
	for _, tc := range costCases {
		sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("cost-" + tc.name),
			Definition: aws.String(tc.definition), RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
		if err != nil {
			t.Fatalf("%s: CreateStateMachine: %v", tc.name, err)
		}
		in := &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn}
		if tc.input != "" {
			in.Input = aws.String(tc.input)
		}
		x, err := c.StartExecution(ctx, in)
		if err != nil {
			t.Fatalf("%s: StartExecution: %v", tc.name, err)
		}
		execs[tc.name], machines[tc.name] = *x.ExecutionArn, *sm.StateMachineArn
		total += tc.transitions
	}
	for _, tc := range costCases {
		deadline := time.Now().Add(60 * time.Second)
		for {
			d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execs[tc.name])})
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != types.ExecutionStatusRunning {
				if d.Status != tc.status {
					t.Errorf("%s: status %s, want %s", tc.name, d.Status, tc.status)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still running", tc.name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	read := func(q url.Values) (int, cost.Report) {
		t.Helper()
		u := "http://" + addr + cost.Path
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		status, body := get(t, "GET", u, cost.SigningName, nil, false)
		b, _ := json.Marshal(body)
		var r cost.Report
		if status == 200 {
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
		}
		return status, r
	}
	for _, tc := range costCases {
		status, r := read(url.Values{"executionArn": {execs[tc.name]}})
		if status != 200 || r.Execution == nil {
			t.Fatalf("%s: %d %+v", tc.name, status, r)
		}
		x := r.Execution
		if x.Transitions != tc.transitions || !near(x.TransitionsUSD, float64(tc.transitions)*price) || !near(x.TotalUSD, x.TransitionsUSD) {
			t.Errorf("%s: transitions %d ($%g, total $%g), want %d ($%g)", tc.name, x.Transitions, x.TransitionsUSD, x.TotalUSD, tc.transitions, float64(tc.transitions)*price)
		}
		status, r = read(url.Values{"stateMachineArn": {machines[tc.name]}})
		if status != 200 || len(r.StateMachines) != 1 || r.StateMachines[0].Transitions != tc.transitions || r.StateMachines[0].Executions != 1 {
			t.Errorf("%s: per state machine: %d %+v", tc.name, status, r.StateMachines)
		}
	}
	status, r := read(nil)
	if status != 200 || len(r.Accounts) != 1 || r.Accounts[0].Account != "123456789012" || r.Accounts[0].Transitions != total ||
		r.Accounts[0].Executions != int64(len(costCases)) || !near(r.Accounts[0].TotalUSD, float64(total)*price) {
		t.Errorf("per account: %d %+v", status, r.Accounts)
	}
	if len(r.StateMachines) != len(costCases) || r.Prices.Date == "" || r.Prices.Region != "us-east-1" {
		t.Errorf("report: %d state machines, prices %+v", len(r.StateMachines), r.Prices)
	}
	// A range that ends before the executions started sums none of them.
	status, r = read(url.Values{"until": {"2000-01-01T00:00:00Z"}})
	if status != 200 || r.Accounts[0].Executions != 0 {
		t.Errorf("until 2000: %d %+v", status, r.Accounts)
	}
	// Refusals: modelled errors, never a 500.
	for q, want := range map[string]string{
		"executionArn=arn:aws:states:us-east-1:123456789012:execution:nope:x": "ExecutionDoesNotExist",
		"executionArn=bad":  "InvalidArn",
		"since=yesterday":   "ValidationException",
		"allAccounts=maybe": "ValidationException",
		"unknown=1":         "ValidationException",
		"stateMachineArn=arn:aws:states:us-east-1:999999999999:stateMachine:cost-chain": "StateMachineDoesNotExist",
	} {
		v, _ := url.ParseQuery(q)
		status, body := get(t, "GET", "http://"+addr+cost.Path+"?"+v.Encode(), cost.SigningName, nil, false)
		if status != 400 || body["__type"] != want {
			t.Errorf("%s: %d %v, want 400 %s", q, status, body, want)
		}
	}
	if status, body := get(t, "GET", "http://"+addr+cost.Path, "", nil, true); status != 403 && status != 401 {
		t.Errorf("unsigned: %d %v", status, body)
	}

	// `statecraft cost`: the table, the JSON, one execution.
	o := DefaultCostOptions()
	o.Endpoint = "http://" + addr
	var out bytes.Buffer
	if err := Cost(ctx, o, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"AWS list prices of", "us-east-1", "STATE MACHINE", "cost-map", "account total",
		fmt.Sprintf("%d", total), usd(float64(total) * price)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("statecraft cost: no %q in\n%s", want, out.String())
		}
	}
	o.JSON, o.Since = true, "2000-01-01"
	out.Reset()
	if err := Cost(ctx, o, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	var js cost.Report
	if err := json.Unmarshal(out.Bytes(), &js); err != nil || len(js.Accounts) != 1 || js.Accounts[0].Transitions != total {
		t.Errorf("statecraft cost --json: %v %s", err, out.String())
	}
	o = DefaultCostOptions()
	o.Endpoint, o.Execution = "http://"+addr, execs["map"]
	out.Reset()
	if err := Cost(ctx, o, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "transitions    7  "+usd(7*price)) {
		t.Errorf("statecraft cost --execution:\n%s", out.String())
	}
	o.Since = "last week"
	if err := Cost(ctx, o, noEnv, &out); err == nil || !strings.Contains(err.Error(), "--since") {
		t.Errorf("bad --since: %v", err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// A price table the operator owns replaces the defaults it names, and a
// bad one stops the server from starting.
func TestCostPricesOverride(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "prices.json")
	if err := os.WriteFile(file, []byte(`{"date":"2027-01-01","region":"sa-east-1","standardPerTransition":0.0000375}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := DefaultServerOptions()
	o.CostPrices = file
	addr, _, _ := startTestServer(t, o)
	status, body := get(t, "GET", "http://"+addr+cost.Path, cost.SigningName, nil, false)
	p, _ := body["prices"].(map[string]any)
	if status != 200 || p["region"] != "sa-east-1" || p["standardPerTransition"] != 0.0000375 || p["lambdaPerRequest"] != 0.0000002 {
		t.Errorf("%d %v", status, body)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"standardPerTransiton":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o = DefaultServerOptions()
	o.Data, o.CostPrices, o.Listen = t.TempDir(), bad, "127.0.0.1:0"
	var stderr bytes.Buffer
	err := Server(t.Context(), o, &bytes.Buffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "standardPerTransiton") {
		t.Errorf("a misspelt price: %v", err)
	}
}

// TestCostExpressMapChildren: the Express children of a Distributed Map
// are billed as AWS bills them, each as an Express execution (a request,
// and its duration rounded up to 100 ms at 64 MB), while their STANDARD
// parent pays its own transitions and one per child it started; read
// through GET /statecraft/cost and `statecraft cost`. The children's
// durations are checked against the start and stop dates ListExecutions
// shows of them (to the millisecond, so each billed duration is one of
// two 100 ms steps at most).
func TestCostExpressMapChildren(t *testing.T) {
	addr, _, _ := startTestServer(t, DefaultServerOptions())
	ctx := t.Context()
	c := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
		Credentials: authtest.Credentials("", ""), RetryMaxAttempts: 1})
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{
		"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"I1","States":{
		"I1":{"Type":"Pass","Next":"I2"},"I2":{"Type":"Pass","End":true}}}}}}`
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("cost-express-map"),
		Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2,3]`)})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != types.ExecutionStatusRunning {
			if d.Status != types.ExecutionStatusSucceeded {
				t.Fatalf("status %s", d.Status)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still running")
		}
		time.Sleep(100 * time.Millisecond)
	}
	runs, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: x.ExecutionArn})
	if err != nil || len(runs.MapRuns) != 1 {
		t.Fatalf("ListMapRuns: %v %+v", err, runs)
	}
	kids, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	if err != nil || len(kids.Executions) != 3 {
		t.Fatalf("ListExecutions: %v %+v", err, kids)
	}
	ceil100 := func(d time.Duration) int64 { return (max(d.Milliseconds(), 1) + 99) / 100 * 100 }
	var lo, hi int64
	for _, k := range kids.Executions {
		if !strings.Contains(*k.ExecutionArn, ":express:") || k.StopDate == nil {
			t.Fatalf("child %+v", k)
		}
		d := k.StopDate.Sub(*k.StartDate)
		lo += ceil100(d - time.Millisecond)
		hi += ceil100(d + time.Millisecond)
	}

	const perTransition, perRequest, perGBs = 0.000025, 0.000001, 0.00001667
	check := func(what string, transitions, requests, ms int64, gbs, expressUSD, total float64) {
		t.Helper()
		// The Map (1) and one per child started (3); none of the
		// children's own states.
		if transitions != 1+3 {
			t.Errorf("%s: %d transitions, want 4", what, transitions)
		}
		wantGBs := float64(ms) / 1000 * 64 / 1024
		if requests != 3 || ms < lo || ms > hi || ms%100 != 0 || !near(gbs, wantGBs) ||
			!near(expressUSD, 3*perRequest+wantGBs*perGBs) || !near(total, 4*perTransition+expressUSD) {
			t.Errorf("%s: %d children, %d ms (want %d to %d), %g GB-s, $%g, total $%g", what, requests, ms, lo, hi, gbs, expressUSD, total)
		}
	}
	u := "http://" + addr + cost.Path + "?" + url.Values{"executionArn": {*x.ExecutionArn}}.Encode()
	status, body := get(t, "GET", u, cost.SigningName, nil, false)
	b, _ := json.Marshal(body)
	var r cost.Report
	if err := json.Unmarshal(b, &r); status != 200 || err != nil || r.Execution == nil {
		t.Fatalf("%d %v %s", status, err, b)
	}
	e := r.Execution
	check("execution", e.Transitions, e.ExpressRequests, e.ExpressBilledMs, e.ExpressGBSeconds, e.ExpressUSD, e.TotalUSD)
	if e.ExpressRunning != 0 {
		t.Errorf("running children %d", e.ExpressRunning)
	}
	status, body = get(t, "GET", "http://"+addr+cost.Path, cost.SigningName, nil, false)
	b, _ = json.Marshal(body)
	r = cost.Report{}
	if err := json.Unmarshal(b, &r); status != 200 || err != nil || len(r.StateMachines) != 1 || len(r.Accounts) != 1 {
		t.Fatalf("%d %v %s", status, err, b)
	}
	for _, tot := range []cost.Total{r.StateMachines[0], r.Accounts[0]} {
		check("total "+tot.StateMachineArn, tot.Transitions, tot.ExpressRequests, tot.ExpressBilledMs, tot.ExpressGBSeconds, tot.ExpressUSD, tot.TotalUSD)
	}
	// A child's own ARN is not an execution the report bills on its own.
	q := url.Values{"executionArn": {*kids.Executions[0].ExecutionArn}}.Encode()
	if status, body := get(t, "GET", "http://"+addr+cost.Path+"?"+q, cost.SigningName, nil, false); status != 400 ||
		body["__type"] != "ValidationException" || !strings.Contains(fmt.Sprint(body["message"]), "parent") {
		t.Errorf("a child's ARN: %d %v", status, body)
	}

	o := DefaultCostOptions()
	o.Endpoint = "http://" + addr
	var out bytes.Buffer
	if err := Cost(ctx, o, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	tot := r.Accounts[0]
	for _, want := range []string{"EXPRESS CHILDREN", "EXPRESS USD", usd(tot.ExpressUSD), usd(tot.TotalUSD)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("statecraft cost: no %q in\n%s", want, out.String())
		}
	}
	o.Execution = *x.ExecutionArn
	out.Reset()
	if err := Cost(ctx, o, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"transitions    4  " + usd(4*perTransition),
		fmt.Sprintf("express map    3 children, %d ms, %.6f GB-s  %s", e.ExpressBilledMs, e.ExpressGBSeconds, usd(e.ExpressUSD))} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("statecraft cost --execution: no %q in\n%s", want, out.String())
		}
	}
}
