package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// TestSDKRedriveMapRun fails a Distributed Map beyond its tolerance (one
// child fails, none tolerated), redrives the parent and checks that only
// the failed child runs again, and what DescribeMapRun, ListExecutions of
// the Map Run and DescribeExecution of a child show before, during and
// after the redrive.
func TestSDKRedriveMapRun(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	act := must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")}))(t)
	def := fmt.Sprintf(`{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Fan","MaxConcurrency":1,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}}}}`, *act.ActivityArn)
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("fan"), Definition: aws.String(compact(def)), RoleArn: aws.String(role)}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2,3]`)}))(t)

	task := pollTask(t, c, *act.ActivityArn)
	if aws.ToString(task.Input) != "1" {
		t.Fatalf("first child's input %s", aws.ToString(task.Input))
	}
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`"one"`)}))(t)
	task = pollTask(t, c, *act.ActivityArn)
	must(c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Boom")}))(t)
	waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusFailed)

	runs := must(c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn}))(t)
	if len(runs.MapRuns) != 1 {
		t.Fatalf("%d Map Runs", len(runs.MapRuns))
	}
	runArn := runs.MapRuns[0].MapRunArn
	describe := func() *sfn.DescribeMapRunOutput {
		return must(c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runArn}))(t)
	}
	d := describe()
	if d.Status != types.MapRunStatusFailed || d.RedriveCount == nil || *d.RedriveCount != 0 || d.RedriveDate != nil ||
		d.ExecutionCounts.Succeeded != 1 || d.ExecutionCounts.Failed != 1 || d.ExecutionCounts.Pending != 1 ||
		d.ExecutionCounts.FailuresNotRedrivable == nil || *d.ExecutionCounts.FailuresNotRedrivable != 0 ||
		d.ExecutionCounts.PendingRedrive == nil || *d.ExecutionCounts.PendingRedrive != 0 {
		t.Fatalf("failed Map Run: %+v %+v", d, *d.ExecutionCounts)
	}
	failed := must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: runArn, StatusFilter: types.ExecutionStatusFailed}))(t)
	if len(failed.Executions) != 1 {
		t.Fatalf("FAILED children: %+v", failed.Executions)
	}
	failedArn := failed.Executions[0].ExecutionArn
	fd := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: failedArn}))(t)
	if fd.RedriveStatus != types.ExecutionRedriveStatusRedrivableByMapRun || fd.RedriveStatusReason != nil || aws.ToInt32(fd.RedriveCount) != 0 {
		t.Fatalf("failed child before the redrive: %s %v %v", fd.RedriveStatus, aws.ToString(fd.RedriveStatusReason), aws.ToInt32(fd.RedriveCount))
	}

	must(c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	d = describe()
	if d.Status != types.MapRunStatusRunning || d.StopDate != nil || aws.ToInt32(d.RedriveCount) != 1 || d.RedriveDate == nil ||
		d.ExecutionCounts.Succeeded != 1 || d.ExecutionCounts.Failed != 0 || d.ExecutionCounts.Running != 1 || d.ExecutionCounts.Pending != 1 ||
		d.ItemCounts.Running != 1 || d.ItemCounts.Failed != 0 || d.ExecutionCounts.Total != 3 {
		t.Fatalf("redriven Map Run: %+v %+v", d, *d.ExecutionCounts)
	}
	list := func(f types.ExecutionRedriveFilter, s types.ExecutionStatus) []types.ExecutionListItem {
		return must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: runArn, RedriveFilter: f, StatusFilter: s}))(t).Executions
	}
	redriven := list(types.ExecutionRedriveFilterRedriven, "")
	if len(redriven) != 1 || aws.ToString(redriven[0].ExecutionArn) != *failedArn || aws.ToInt32(redriven[0].RedriveCount) != 1 ||
		redriven[0].RedriveDate == nil || redriven[0].Status != types.ExecutionStatusRunning {
		t.Fatalf("REDRIVEN children: %+v", redriven)
	}
	if kids := list(types.ExecutionRedriveFilterNotRedriven, ""); len(kids) != 1 || kids[0].Status != types.ExecutionStatusSucceeded {
		t.Fatalf("NOT_REDRIVEN children: %+v", kids)
	}
	if kids := list("", types.ExecutionStatusPendingRedrive); len(kids) != 0 {
		t.Fatalf("PENDING_REDRIVE children (one to rerun, within MaxConcurrency): %+v", kids)
	}

	// Only the failed child runs again, then the one never started.
	task = pollTask(t, c, *act.ActivityArn)
	if aws.ToString(task.Input) != "2" {
		t.Fatalf("redriven child's input %s, want 2", aws.ToString(task.Input))
	}
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`"two"`)}))(t)
	task = pollTask(t, c, *act.ActivityArn)
	if aws.ToString(task.Input) != "3" {
		t.Fatalf("last child's input %s, want 3", aws.ToString(task.Input))
	}
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`"three"`)}))(t)
	out := waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusSucceeded)
	if aws.ToString(out.Output) != `["one","two","three"]` {
		t.Fatalf("output %s", aws.ToString(out.Output))
	}
	d = describe()
	if d.Status != types.MapRunStatusSucceeded || d.StopDate == nil || aws.ToInt32(d.RedriveCount) != 1 || d.ExecutionCounts.Succeeded != 3 ||
		d.ExecutionCounts.Failed != 0 || d.ItemCounts.ResultsWritten != 3 || aws.ToInt64(d.ExecutionCounts.FailuresNotRedrivable) != 0 {
		t.Fatalf("Map Run after the redrive: %+v %+v", d, *d.ExecutionCounts)
	}
	cd := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: failedArn}))(t)
	if cd.Status != types.ExecutionStatusSucceeded || aws.ToInt32(cd.RedriveCount) != 1 || cd.RedriveDate == nil || aws.ToString(cd.Output) != `"two"` ||
		cd.Error != nil || cd.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable {
		t.Fatalf("redriven child: %+v", cd)
	}
	if kids := list(types.ExecutionRedriveFilterNotRedriven, ""); len(kids) != 2 {
		t.Fatalf("NOT_REDRIVEN children at the end: %+v", kids)
	}

	// The redriven child's own history, rebuilt from the parent's.
	var evs []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: failedArn, MaxResults: 4})
	for p.HasMorePages() {
		evs = append(evs, must(p.NextPage(ctx))(t).Events...)
	}
	var got []string
	for i, ev := range evs {
		got = append(got, fmt.Sprintf("%s(%d,%d)", ev.Type, ev.Id, ev.PreviousEventId))
		if ev.Id != int64(i+1) {
			t.Fatalf("event ids: %v", got)
		}
	}
	want := "ExecutionStarted(1,0) TaskStateEntered(2,0) ActivityScheduled(3,2) ActivityStarted(4,3) ActivityFailed(5,4) ExecutionFailed(6,5) " +
		"ExecutionRedriven(7,6) TaskStateEntered(8,7) ActivityScheduled(9,8) ActivityStarted(10,9) ActivitySucceeded(11,10) TaskStateExited(12,11) ExecutionSucceeded(13,12)"
	if strings.Join(got, " ") != want {
		t.Fatalf("child history:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if d := evs[0].ExecutionStartedEventDetails; d == nil || aws.ToString(d.Input) != "2" || aws.ToString(d.RoleArn) != role {
		t.Fatalf("ExecutionStarted: %+v", d)
	}
	if d := evs[5].ExecutionFailedEventDetails; d == nil || aws.ToString(d.Error) != "Boom" {
		t.Fatalf("ExecutionFailed: %+v", d)
	}
	if d := evs[6].ExecutionRedrivenEventDetails; d == nil || aws.ToInt32(d.RedriveCount) != 1 {
		t.Fatalf("ExecutionRedriven: %+v", d)
	}
	if d := evs[12].ExecutionSucceededEventDetails; d == nil || aws.ToString(d.Output) != `"two"` {
		t.Fatalf("ExecutionSucceeded: %+v", d)
	}
	m := must(c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: failedArn}))(t)
	wantDef := fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}`, *act.ActivityArn)
	if aws.ToString(m.StateMachineArn) != *sm.StateMachineArn+"/Fan" || aws.ToString(m.Name) != "fan/Fan" || aws.ToString(m.Label) != "Fan" ||
		aws.ToString(m.MapRunArn) != *runArn || aws.ToString(m.RoleArn) != role || compact(aws.ToString(m.Definition)) != wantDef {
		t.Fatalf("DescribeStateMachineForExecution of a child: %s %s %s %s %s", aws.ToString(m.StateMachineArn), aws.ToString(m.Name),
			aws.ToString(m.Label), aws.ToString(m.MapRunArn), aws.ToString(m.Definition))
	}
	rev := must(c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: failedArn, ReverseOrder: true, MaxResults: 2}))(t)
	if len(rev.Events) != 2 || rev.Events[0].Id != 13 || rev.NextToken == nil {
		t.Fatalf("reverse history: %+v", rev.Events)
	}
	rev = must(c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: failedArn, ReverseOrder: true, MaxResults: 2, NextToken: rev.NextToken}))(t)
	if len(rev.Events) != 2 || rev.Events[0].Id != 11 {
		t.Fatalf("reverse history, page 2: %+v", rev.Events)
	}
}

// TestSDKMapRunChildParallel: a Parallel state inside a Distributed Map's
// child belongs to the child's history, never to the parent's.
func TestSDKMapRunChildParallel(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}]}}}}}}`
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("par"), Definition: aws.String(compact(def)), RoleArn: aws.String(role)}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[7]`)}))(t)
	waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusSucceeded)
	types_ := func(arn *string) string {
		var out []string
		for _, ev := range must(c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: arn}))(t).Events {
			out = append(out, fmt.Sprintf("%s(%d,%d)", ev.Type, ev.Id, ev.PreviousEventId))
		}
		return strings.Join(out, " ")
	}
	if got := types_(ex.ExecutionArn); strings.Contains(got, "Parallel") || strings.Contains(got, "Pass") {
		t.Fatalf("parent history has the child's events: %s", got)
	}
	runs := must(c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn}))(t)
	kids := must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: runs.MapRuns[0].MapRunArn}))(t)
	want := "ExecutionStarted(1,0) ParallelStateEntered(2,0) ParallelStateStarted(3,2) PassStateEntered(4,3) PassStateExited(5,4) " +
		"ParallelStateSucceeded(6,5) ParallelStateExited(7,5) ExecutionSucceeded(8,7)"
	if got := types_(kids.Executions[0].ExecutionArn); got != want {
		t.Fatalf("child history:\n got %s\nwant %s", got, want)
	}
	m := must(c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: kids.Executions[0].ExecutionArn}))(t)
	if !strings.HasPrefix(aws.ToString(m.Name), "par/") || len(aws.ToString(m.Label)) != 8 || !strings.Contains(aws.ToString(m.Definition), `"StartAt":"P"`) {
		t.Fatalf("machine of a child of an unlabelled Map: %s %s %s", aws.ToString(m.Name), aws.ToString(m.Label), aws.ToString(m.Definition))
	}
}

// TestSDKRedriveMapRunMaxConcurrency: a redrive holds to the Map Run's
// MaxConcurrency; the children it will rerun wait as PENDING_REDRIVE,
// counted in pendingRedrive, and start one by one as the others finish.
func TestSDKRedriveMapRunMaxConcurrency(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	act := must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")}))(t)
	def := fmt.Sprintf(`{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Fan","MaxConcurrency":1,"ToleratedFailureCount":1,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}}}}`, *act.ActivityArn)
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("fan"), Definition: aws.String(compact(def)), RoleArn: aws.String(role)}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2,3]`)}))(t)
	for _, want := range []string{"1", "2"} {
		task := pollTask(t, c, *act.ActivityArn)
		if aws.ToString(task.Input) != want {
			t.Fatalf("child's input %s, want %s", aws.ToString(task.Input), want)
		}
		must(c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Boom")}))(t)
	}
	waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusFailed)
	runArn := must(c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn}))(t).MapRuns[0].MapRunArn
	counts := func() types.MapRunExecutionCounts {
		return *must(c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runArn}))(t).ExecutionCounts
	}
	list := func(s types.ExecutionStatus) []types.ExecutionListItem {
		return must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: runArn, StatusFilter: s}))(t).Executions
	}
	if n := counts(); n.Failed != 2 || n.Pending != 1 || aws.ToInt64(n.PendingRedrive) != 0 {
		t.Fatalf("failed Map Run: %+v", n)
	}

	must(c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	if n := counts(); n.Running != 1 || aws.ToInt64(n.PendingRedrive) != 1 || n.Failed != 0 || n.Pending != 1 || n.Total != 3 {
		t.Fatalf("redriven Map Run: %+v", n)
	}
	waiting := list(types.ExecutionStatusPendingRedrive)
	if len(waiting) != 1 || waiting[0].StopDate == nil || aws.ToInt32(waiting[0].RedriveCount) != 0 {
		t.Fatalf("PENDING_REDRIVE children: %+v", waiting)
	}
	wd := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: waiting[0].ExecutionArn}))(t)
	if wd.Status != types.ExecutionStatusPendingRedrive || aws.ToString(wd.Input) != "2" {
		t.Fatalf("a child waiting for its redrive: %s %s", wd.Status, aws.ToString(wd.Input))
	}
	if kids := list(types.ExecutionStatusRunning); len(kids) != 1 || aws.ToInt32(kids[0].RedriveCount) != 1 {
		t.Fatalf("RUNNING children: %+v", kids)
	}

	task := pollTask(t, c, *act.ActivityArn)
	if aws.ToString(task.Input) != "1" {
		t.Fatalf("first rerun child's input %s", aws.ToString(task.Input))
	}
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`"one"`)}))(t)
	task = pollTask(t, c, *act.ActivityArn)
	if aws.ToString(task.Input) != "2" {
		t.Fatalf("second rerun child's input %s", aws.ToString(task.Input))
	}
	if n := counts(); n.Running != 1 || aws.ToInt64(n.PendingRedrive) != 0 || n.Succeeded != 1 || n.Pending != 1 {
		t.Fatalf("Map Run once the waiting child started: %+v", n)
	}
	if kids := list(types.ExecutionStatusPendingRedrive); len(kids) != 0 {
		t.Fatalf("PENDING_REDRIVE children left: %+v", kids)
	}
	rd := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: waiting[0].ExecutionArn}))(t)
	if rd.Status != types.ExecutionStatusRunning || aws.ToInt32(rd.RedriveCount) != 1 || rd.RedriveDate == nil {
		t.Fatalf("the child once rerun: %s %d", rd.Status, aws.ToInt32(rd.RedriveCount))
	}
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`"two"`)}))(t)
	task = pollTask(t, c, *act.ActivityArn)
	if aws.ToString(task.Input) != "3" {
		t.Fatalf("last child's input %s", aws.ToString(task.Input))
	}
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`"three"`)}))(t)
	out := waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusSucceeded)
	if aws.ToString(out.Output) != `["one","two","three"]` {
		t.Fatalf("output %s", aws.ToString(out.Output))
	}
	if n := counts(); n.Succeeded != 3 || aws.ToInt64(n.PendingRedrive) != 0 || n.Running != 0 {
		t.Fatalf("Map Run at the end: %+v", n)
	}
}

// TestSDKStopMapRunChild: StopExecution of a running STANDARD child of a
// Map Run stops that child alone, as AWS counts children "stopped by the
// user" as aborted: it ends ABORTED with the error and cause given, its
// own history ends with ExecutionAborted, and its Map goes on (the
// failure tolerated) with the other child.
func TestSDKStopMapRunChild(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	act := must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")}))(t)
	def := fmt.Sprintf(`{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Fan","ToleratedFailureCount":1,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}}}}`, *act.ActivityArn)
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("fan"), Definition: aws.String(compact(def)), RoleArn: aws.String(role)}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2]`)}))(t)
	tasks := map[string]*sfn.GetActivityTaskOutput{}
	for range 2 {
		task := pollTask(t, c, *act.ActivityArn)
		tasks[aws.ToString(task.Input)] = task
	}
	runArn := must(c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn}))(t).MapRuns[0].MapRunArn
	var victim *string
	for _, k := range must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: runArn}))(t).Executions {
		if d := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: k.ExecutionArn}))(t); aws.ToString(d.Input) == "1" {
			victim = k.ExecutionArn
		}
	}
	if victim == nil {
		t.Fatal("no child has input 1")
	}
	stop := must(c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: victim, Error: aws.String("Halt"), Cause: aws.String("by hand")}))(t)
	if stop.StopDate == nil {
		t.Fatal("no stopDate")
	}
	d := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: victim}))(t)
	if d.Status != types.ExecutionStatusAborted || d.StopDate == nil || aws.ToString(d.Error) != "Halt" || aws.ToString(d.Cause) != "by hand" {
		t.Fatalf("the stopped child: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	n := *must(c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runArn}))(t).ExecutionCounts
	if n.Aborted != 1 || n.Running != 1 {
		t.Fatalf("Map Run after the stop: %+v", n)
	}
	// Stopping it again stops nothing and answers its stop date.
	again := must(c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: victim}))(t)
	if !aws.ToTime(again.StopDate).Equal(aws.ToTime(stop.StopDate)) {
		t.Fatalf("second stop: %v, first %v", again.StopDate, stop.StopDate)
	}
	h := must(c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: victim, ReverseOrder: true, MaxResults: 1}))(t)
	if last := h.Events[0]; last.Type != types.HistoryEventTypeExecutionAborted || last.ExecutionAbortedEventDetails == nil ||
		aws.ToString(last.ExecutionAbortedEventDetails.Error) != "Halt" || aws.ToString(last.ExecutionAbortedEventDetails.Cause) != "by hand" {
		t.Fatalf("the stopped child's last event: %+v", h.Events[0])
	}
	// Its worker's answer comes too late.
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: tasks["1"].TaskToken, Output: aws.String(`"late"`)}); err == nil {
		t.Fatal("the stopped child's task was answered")
	}
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: tasks["2"].TaskToken, Output: aws.String(`"two"`)}))(t)
	out := waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusSucceeded)
	if aws.ToString(out.Output) != `[{"Error":"Halt","Cause":"by hand"},"two"]` {
		t.Fatalf("output %s", aws.ToString(out.Output))
	}
	n = *must(c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runArn}))(t).ExecutionCounts
	if n.Aborted != 1 || n.Succeeded != 1 || n.Running != 0 {
		t.Fatalf("Map Run at the end: %+v", n)
	}
	var ae smithy.APIError
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(*victim + "x")}); !errors.As(err, &ae) || ae.ErrorCode() != "ExecutionDoesNotExist" {
		t.Fatalf("StopExecution of no child: %v", err)
	}
}
