package api

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// A Distributed Map over 1,000 items batched by 100, through the AWS SDK
// signed with the development pair: ten children, each given 100
// consecutive items and the BatchInput, and a result of one output per
// batch, in batch order.
func TestSDKDistributedMapBatches(t *testing.T) {
	var mu sync.Mutex
	var batches []map[string]any
	port := taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
		var in map[string]any
		if o, ok := req.Input.(*jsonv.Object); ok {
			in = o.Map()
		}
		mu.Lock()
		batches = append(batches, in)
		mu.Unlock()
		items, _ := in["Items"].([]any)
		bi, _ := in["BatchInput"].(*jsonv.Object)
		return map[string]any{"first": items[0], "count": int64(len(items)), "run": bi.Value("run")}, nil
	})
	e := newEnvTasks(t, nil, port)
	c := sfn.New(sfn.Options{
		Region:           authtest.Region,
		BaseEndpoint:     aws.String(e.srv.URL),
		Credentials:      authtest.Credentials("", ""),
		RetryMaxAttempts: 1,
		APIOptions:       []func(*middleware.Stack) error{disableHostPrefix},
	})
	ctx := context.Background()

	def := compact(`{"StartAt":"Fan","States":{"Fan":{"Type":"Map","ItemsPath":"$.items","Label":"batches","MaxConcurrency":4,
		"ItemBatcher":{"MaxItemsPerBatch":100,"BatchInput":{"run.$":"$.run"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Work",
			"States":{"Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:batch","End":true}}},
		"End":true}}}`)
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("batches"), Definition: aws.String(def), RoleArn: aws.String(role),
	}))(t)
	items := make([]string, 1000)
	for i := range items {
		items[i] = strconv.Itoa(i)
	}
	input := `{"run":"e2e","items":[` + strings.Join(items, ",") + `]}`
	start := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(input)}))(t)
	done := waitDescribe(t, c, aws.ToString(start.ExecutionArn), types.ExecutionStatusSucceeded)

	var out []struct {
		First, Count int
		Run          string
	}
	if err := json.Unmarshal([]byte(aws.ToString(done.Output)), &out); err != nil {
		t.Fatalf("output %s: %v", aws.ToString(done.Output), err)
	}
	if len(out) != 10 {
		t.Fatalf("%d results, want one per batch (10): %s", len(out), aws.ToString(done.Output))
	}
	for i, r := range out {
		if r.First != i*100 || r.Count != 100 || r.Run != "e2e" {
			t.Errorf("result %d = %+v, want first %d, count 100, run e2e", i, r, i*100)
		}
	}

	// Up to four children ran at once, so they may have started in any
	// order; each got one whole batch.
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 10 {
		t.Fatalf("%d children ran, want 10", len(batches))
	}
	sort.Slice(batches, func(i, j int) bool {
		a, _ := jsonv.Integer(batches[i]["Items"].([]any)[0])
		b, _ := jsonv.Integer(batches[j]["Items"].([]any)[0])
		return a < b
	})
	for k, b := range batches {
		got, _ := b["Items"].([]any)
		want := make([]any, 100)
		for i := range want {
			want[i] = int64(k*100 + i)
		}
		if len(b) != 2 || !jsonv.Equal(got, want) || !jsonv.Equal(b["BatchInput"], map[string]any{"run": "e2e"}) {
			t.Errorf("child %d input = %s", k, jsonv.String(b))
		}
	}

	// The children run as the Map Run's, not in the parent's history.
	hist := must(c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn}))(t)
	var typs []string
	for _, ev := range hist.Events {
		typs = append(typs, string(ev.Type))
		if d := ev.MapStateStartedEventDetails; ev.Type == types.HistoryEventTypeMapStateStarted && (d == nil || d.Length != 1000) {
			t.Errorf("MapStateStarted details %+v, want length 1000, the items", d)
		}
	}
	want := "ExecutionStarted MapStateEntered MapStateStarted MapRunStarted MapRunSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded"
	if got := strings.Join(typs, " "); got != want {
		t.Errorf("history %s, want %s", got, want)
	}
}
