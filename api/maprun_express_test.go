package api

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// TestSDKMapRunExpressChildren runs a Distributed Map whose children are
// Express executions (ExecutionType EXPRESS), through the SDK: the
// children get express ARNs, one that outlives its time limit times out
// (States.Timeout), they have no history, and a redrive of the parent
// starts the unsuccessful ones anew, as new executions held to
// MaxConcurrency, whose ARNs the ResultWriter exports.
func TestSDKMapRunExpressChildren(t *testing.T) {
	s3 := newFakeS3(t, "out")
	// Item 2 first asks its child to wait past the time limit, item 3
	// first fails; on their second calls both succeed.
	var mu sync.Mutex
	calls := map[int64]int{}
	port := taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
		n, _ := jsonv.Integer(req.Input)
		mu.Lock()
		calls[n]++
		first := calls[n] == 1
		mu.Unlock()
		if first && n == 3 {
			return nil, taskport.Fail("Boom", "three")
		}
		return map[string]any{"n": n, "wait": first && n == 2}, nil
	})
	// The limit is AWS's 5 minutes shortened; the child that waits waits
	// an hour, so it times out however slow the machine is.
	e := newEnvEngine(t, nil, engine.Options{Tasks: port, Items: s3.items, ExpressLimit: time.Second})
	c := e.newClient("us-east-1")
	ctx := context.Background()
	def := compact(`{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Fan","MaxConcurrency":1,"ToleratedFailureCount":1,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"Work","States":{
			"Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:work","Next":"Wait?"},
			"Wait?":{"Type":"Choice","Choices":[{"Variable":"$.wait","BooleanEquals":true,"Next":"Sleep"}],"Default":"Done"},
			"Sleep":{"Type":"Wait","Seconds":3600,"End":true},
			"Done":{"Type":"Pass","OutputPath":"$.n","End":true}}},
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"res"}}}}}`)
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("fan"), Definition: aws.String(def), RoleArn: aws.String(role)}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2,3]`)}))(t)
	out := waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusFailed)
	if aws.ToString(out.Error) != "States.ExceedToleratedFailureThreshold" {
		t.Fatalf("parent failed with %s", aws.ToString(out.Error))
	}
	runArn := must(c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn}))(t).MapRuns[0].MapRunArn
	counts := func() types.MapRunExecutionCounts {
		return *must(c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runArn}))(t).ExecutionCounts
	}
	if n := counts(); n.Succeeded != 1 || n.TimedOut != 1 || n.Failed != 1 || n.Total != 3 {
		t.Fatalf("failed Map Run: %+v", n)
	}
	kids := func() []types.ExecutionListItem {
		return must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: runArn}))(t).Executions
	}
	prefix := strings.Replace(*sm.StateMachineArn, ":stateMachine:", ":express:", 1) + "/Fan:"
	first := kids()
	byStatus := map[types.ExecutionStatus]types.ExecutionListItem{}
	for _, k := range first {
		rest := strings.TrimPrefix(aws.ToString(k.ExecutionArn), prefix)
		if !strings.HasPrefix(aws.ToString(k.ExecutionArn), prefix) || strings.Count(rest, ":") != 1 || !strings.HasPrefix(rest, aws.ToString(k.Name)+":") ||
			aws.ToString(k.StateMachineArn) != *sm.StateMachineArn+"/Fan" || aws.ToString(k.MapRunArn) != *runArn {
			t.Fatalf("an Express child: %s %s %s", aws.ToString(k.ExecutionArn), aws.ToString(k.Name), aws.ToString(k.StateMachineArn))
		}
		byStatus[k.Status] = k
	}
	if len(first) != 3 || len(byStatus) != 3 {
		t.Fatalf("children: %+v", first)
	}
	timedOut := byStatus[types.ExecutionStatusTimedOut]
	d := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: timedOut.ExecutionArn}))(t)
	if aws.ToString(d.Error) != "States.Timeout" || aws.ToString(d.Input) != "2" || aws.ToString(d.MapRunArn) != *runArn ||
		d.RedriveStatus != types.ExecutionRedriveStatusRedrivableByMapRun {
		t.Fatalf("the timed-out child: %+v", d)
	}
	var ae smithy.APIError
	const notExpress = "Invalid Arn: 'Resource type not valid in this context: express'"
	for op, call := range map[string]func() error{
		"GetExecutionHistory": func() error {
			_, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: timedOut.ExecutionArn})
			return err
		},
		"StopExecution": func() error {
			_, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: timedOut.ExecutionArn})
			return err
		},
		"DescribeStateMachineForExecution": func() error {
			_, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: timedOut.ExecutionArn})
			return err
		},
	} {
		if err := call(); !errors.As(err, &ae) || ae.ErrorCode() != "InvalidArn" || ae.ErrorMessage() != notExpress {
			t.Errorf("%s of an Express child: %v", op, err)
		}
	}
	unknown := aws.String(strings.TrimSuffix(aws.ToString(timedOut.ExecutionArn), "0") + "1")
	if strings.HasSuffix(aws.ToString(timedOut.ExecutionArn), "1") {
		unknown = aws.String(strings.TrimSuffix(aws.ToString(timedOut.ExecutionArn), "1") + "0")
	}
	if _, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: unknown}); !errors.As(err, &ae) || ae.ErrorCode() != "ExecutionDoesNotExist" {
		t.Fatalf("DescribeExecution of no Express child: %v", err)
	}

	// The redrive starts the two unsuccessful children anew, one at a
	// time (MaxConcurrency 1).
	must(c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	// The children it starts may finish at once: only the sum is known.
	if n := counts(); n.Succeeded+n.Running+aws.ToInt64(n.PendingRedrive) != 3 || n.TimedOut != 0 || n.Failed != 0 || n.Total != 3 {
		t.Fatalf("redriven Map Run: %+v", n)
	}
	out = waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusSucceeded)
	if n := counts(); n.Succeeded != 3 || n.TimedOut != 0 || n.Failed != 0 || n.Running != 0 || aws.ToInt64(n.PendingRedrive) != 0 {
		t.Fatalf("Map Run at the end: %+v", n)
	}
	all := kids()
	if len(all) != 5 {
		t.Fatalf("children after the redrive (3 first starts, 2 new ones): %+v", all)
	}
	names := map[string]int{}
	arns := map[string]bool{}
	for _, k := range all {
		names[aws.ToString(k.Name)]++
		arns[aws.ToString(k.ExecutionArn)] = true
		if aws.ToInt32(k.RedriveCount) != 0 {
			t.Errorf("an Express child is started anew, never redriven: %+v", k)
		}
	}
	if len(arns) != 5 || names[aws.ToString(timedOut.Name)] != 2 {
		t.Fatalf("the rerun child keeps its name under a new ARN: %v", names)
	}
	if old := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: timedOut.ExecutionArn}))(t); old.Status != types.ExecutionStatusTimedOut {
		t.Fatalf("the first start of the rerun child: %s", old.Status)
	}

	// The ResultWriter exports the starts that succeeded.
	var manifest struct {
		ResultFiles map[string][]struct{ Key string }
	}
	dir := "res/" + (*runArn)[strings.LastIndexByte(*runArn, ':')+1:] + "/"
	get := func(key string) []byte { return s3.get(t, "out", key) }
	if err := json.Unmarshal(get(dir+"manifest.json"), &manifest); err != nil {
		t.Fatal(err)
	}
	var succeeded []map[string]any
	if err := json.Unmarshal(get(dir+"SUCCEEDED_0.json"), &succeeded); err != nil {
		t.Fatal(err)
	}
	if len(succeeded) != 3 || len(manifest.ResultFiles["FAILED"]) != 0 {
		t.Fatalf("SUCCEEDED_0.json: %v", succeeded)
	}
	for i, r := range succeeded {
		a, _ := r["ExecutionArn"].(string)
		if !strings.HasPrefix(a, prefix) || !arns[a] || r["Status"] != "SUCCEEDED" || r["RedriveCount"] != float64(0) {
			t.Errorf("result %d: %v", i, r)
		}
	}
	if a := succeeded[1]["ExecutionArn"]; a == aws.ToString(timedOut.ExecutionArn) {
		t.Errorf("the result of the rerun child names its first start %s", a)
	}
}
