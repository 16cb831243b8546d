package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, got := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s", what, got)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestSDKMapRun drives a Distributed Map whose children wait on an
// activity, so that its Map Run is observably RUNNING: DescribeMapRun
// counts while it runs, UpdateMapRun raises MaxConcurrency from 1 and
// more children start, then the counts at the end; ListMapRuns,
// ListExecutions by mapRunArn, DescribeExecution of a child, and the
// errors.
func TestSDKMapRun(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	act := must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")}))(t)
	def := fmt.Sprintf(`{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Fan","MaxConcurrency":1,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}}}}`, *act.ActivityArn)
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("fan"), Definition: aws.String(compact(def)), RoleArn: aws.String(role)}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2,3,4,5]`)}))(t)

	var runArn string
	waitFor(t, "ListMapRuns", func() (bool, string) {
		out := must(c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn}))(t)
		if len(out.MapRuns) != 1 {
			return false, fmt.Sprint(len(out.MapRuns), " runs")
		}
		r := out.MapRuns[0]
		runArn = aws.ToString(r.MapRunArn)
		if aws.ToString(r.ExecutionArn) != *ex.ExecutionArn || aws.ToString(r.StateMachineArn) != *sm.StateMachineArn+"/Fan" || r.StopDate != nil {
			t.Fatalf("map run item: %+v", r)
		}
		return true, ""
	})
	if !strings.Contains(runArn, ":mapRun:fan/Fan:") {
		t.Fatalf("map run ARN %s", runArn)
	}
	describe := func() *sfn.DescribeMapRunOutput {
		return must(c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(runArn)}))(t)
	}
	d := describe()
	if d.Status != types.MapRunStatusRunning || d.MaxConcurrency != 1 || aws.ToString(d.ExecutionArn) != *ex.ExecutionArn ||
		d.ItemCounts.Total != 5 || d.ExecutionCounts.Running != 1 || d.ExecutionCounts.Pending != 4 || d.StopDate != nil {
		t.Fatalf("DescribeMapRun while running: %+v %+v %+v", d, *d.ItemCounts, *d.ExecutionCounts)
	}

	// One child at a time: finish it by hand, then raise the limit.
	first := pollTask(t, c, *act.ActivityArn)
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: first.TaskToken, Output: aws.String(`"one"`)}))(t)
	waitFor(t, "the second child", func() (bool, string) {
		d := describe()
		return d.ExecutionCounts.Succeeded == 1 && d.ExecutionCounts.Running == 1, fmt.Sprintf("%+v", *d.ExecutionCounts)
	})
	must(c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), MaxConcurrency: aws.Int32(3), ToleratedFailureCount: aws.Int64(2)}))(t)
	waitFor(t, "more children after UpdateMapRun", func() (bool, string) {
		d := describe()
		return d.ExecutionCounts.Running == 3 && d.MaxConcurrency == 3 && d.ToleratedFailureCount == 2, fmt.Sprintf("%d %+v", d.MaxConcurrency, *d.ExecutionCounts)
	})

	// ListExecutions of the Map Run: its children, newest first.
	kids := must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn)}))(t)
	if len(kids.Executions) != 4 {
		t.Fatalf("%d children listed, want 4", len(kids.Executions))
	}
	for i, k := range kids.Executions {
		if aws.ToString(k.MapRunArn) != runArn || aws.ToString(k.StateMachineArn) != *sm.StateMachineArn+"/Fan" || aws.ToInt32(k.ItemCount) != 1 ||
			!strings.HasPrefix(aws.ToString(k.ExecutionArn), strings.Replace(*sm.StateMachineArn, ":stateMachine:", ":execution:", 1)+"/Fan:") {
			t.Fatalf("child %d: %+v", i, k)
		}
		if i > 0 && k.StartDate.After(*kids.Executions[i-1].StartDate) {
			t.Fatalf("children not newest first")
		}
	}
	succeeded := must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), StatusFilter: types.ExecutionStatusSucceeded}))(t)
	if len(succeeded.Executions) != 1 || succeeded.Executions[0].StopDate == nil {
		t.Fatalf("SUCCEEDED children: %+v", succeeded.Executions)
	}
	// Paged one at a time.
	var paged []string
	p := sfn.NewListExecutionsPaginator(c, &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), MaxResults: 1})
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))(t)
		for _, k := range out.Executions {
			paged = append(paged, aws.ToString(k.ExecutionArn))
		}
	}
	if len(paged) != 4 {
		t.Fatalf("paged %d children", len(paged))
	}
	child := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: succeeded.Executions[0].ExecutionArn}))(t)
	if child.Status != types.ExecutionStatusSucceeded || aws.ToString(child.MapRunArn) != runArn || aws.ToString(child.StateMachineArn) != *sm.StateMachineArn+"/Fan" ||
		aws.ToString(child.Input) != "1" || aws.ToString(child.Output) != `"one"` || child.StopDate == nil {
		t.Fatalf("DescribeExecution of a child: %+v", child)
	}

	// Finish the rest: one fails, within the tolerated failures.
	for i := range 4 {
		task := pollTask(t, c, *act.ActivityArn)
		if i == 0 {
			must(c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Boom")}))(t)
			continue
		}
		must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`"ok"`)}))(t)
	}
	waitDescribe(t, c, *ex.ExecutionArn, types.ExecutionStatusSucceeded)
	d = describe()
	if d.Status != types.MapRunStatusSucceeded || d.StopDate == nil || d.ExecutionCounts.Succeeded != 4 || d.ExecutionCounts.Failed != 1 ||
		d.ExecutionCounts.Running != 0 || d.ExecutionCounts.Pending != 0 || d.ItemCounts.Total != 5 || d.ItemCounts.ResultsWritten != 5 {
		t.Fatalf("DescribeMapRun at the end: %+v %+v %+v", d, *d.ItemCounts, *d.ExecutionCounts)
	}
	failed := must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), StatusFilter: types.ExecutionStatusFailed}))(t)
	if len(failed.Executions) != 1 {
		t.Fatalf("FAILED children: %+v", failed.Executions)
	}
	fd := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: failed.Executions[0].ExecutionArn}))(t)
	if fd.Status != types.ExecutionStatusFailed || aws.ToString(fd.Error) != "Boom" || fd.Cause != nil || fd.Output != nil {
		t.Fatalf("DescribeExecution of the failed child: %+v", fd)
	}

	// Errors.
	_, err := c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), MaxConcurrency: aws.Int32(5)})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || ve.Reason != types.ValidationExceptionReasonCannotUpdateCompletedMapRun {
		t.Fatalf("UpdateMapRun of a completed Map Run: %v", err)
	}
	missing := runArn[:strings.LastIndexByte(runArn, ':')+1] + "00000000-0000-4000-8000-000000000000"
	var nf *types.ResourceNotFound
	if _, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(missing)}); !errors.As(err, &nf) {
		t.Fatalf("DescribeMapRun of none: %v", err)
	}
	if _, err := c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: aws.String(missing), MaxConcurrency: aws.Int32(1)}); !errors.As(err, &nf) {
		t.Fatalf("UpdateMapRun of none: %v", err)
	}
	if _, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(missing)}); !errors.As(err, &nf) {
		t.Fatalf("ListExecutions of no Map Run: %v", err)
	}
	var ia *types.InvalidArn
	if _, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: ex.ExecutionArn}); !errors.As(err, &ia) {
		t.Fatalf("DescribeMapRun of an execution ARN: %v", err)
	}
	if _, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String("nope")}); !errors.As(err, &ia) {
		t.Fatalf("DescribeMapRun of a malformed ARN: %v", err)
	}
	var ednf *types.ExecutionDoesNotExist
	if _, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(*ex.ExecutionArn + "x")}); !errors.As(err, &ednf) {
		t.Fatalf("ListMapRuns of no execution: %v", err)
	}
	if _, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), StateMachineArn: sm.StateMachineArn}); !errors.As(err, &ve) {
		t.Fatalf("ListExecutions with both ARNs: %v", err)
	}
	if _, err := c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), ToleratedFailurePercentage: aws.Float32(101)}); !errors.As(err, &ve) {
		t.Fatalf("UpdateMapRun with 101%%: %v", err)
	}
	var ae smithy.APIError
	if _, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: kids.Executions[0].ExecutionArn}); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Fatalf("GetExecutionHistory of a child: %v", err)
	}
}
