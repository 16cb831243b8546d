package api

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// waitStatus polls DescribeExecution until the execution has status want.
func waitStatus(t *testing.T, c *sfn.Client, arn string, want types.ExecutionStatus) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out := must(c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)}))(t)
		if out.Status == want {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s: status %s, want %s (error %s, cause %s)", arn, out.Status, want, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// pollTasks takes n activity tasks.
func pollTasks(t *testing.T, c *sfn.Client, activityArn string, n int) []*sfn.GetActivityTaskOutput {
	t.Helper()
	var out []*sfn.GetActivityTaskOutput
	for len(out) < n {
		out = append(out, pollTask(t, c, activityArn))
	}
	return out
}

// historyAfterRedrive lists the types of the events from the last
// ExecutionRedriven on, checking that ids run without gaps.
func historyAfterRedrive(t *testing.T, c *sfn.Client, arn string) ([]string, []types.HistoryEvent) {
	t.Helper()
	var evs []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	for p.HasMorePages() {
		evs = append(evs, must(p.NextPage(context.Background()))(t).Events...)
	}
	from := -1
	for i, ev := range evs {
		if ev.Id != int64(i+1) {
			t.Fatalf("event %d has id %d", i+1, ev.Id)
		}
		if ev.Type == types.HistoryEventTypeExecutionRedriven {
			from = i
		}
	}
	if from < 0 {
		t.Fatalf("no ExecutionRedriven in the history")
	}
	var names []string
	for _, ev := range evs[from:] {
		names = append(names, string(ev.Type))
	}
	return names, evs[from:]
}

// A Standard execution fails in one Parallel branch; the redrive reruns
// that branch only (one more activity task), keeps the other's result, and
// is described, listed and filtered as redriven.
func TestSDKRedriveParallel(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	act := aws.ToString(must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("redrive-work")}))(t).ActivityArn)
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + act + `","Parameters":{"which":"A"},"End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"` + act + `","Parameters":{"which":"B"},"End":true}}}]}}}`
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("redrive-parallel"), Definition: aws.String(compact(def)), RoleArn: aws.String(role)}))(t)
	other := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("other")}))(t)
	must(c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: other.ExecutionArn}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("redriven")}))(t)
	arn := aws.ToString(ex.ExecutionArn)

	// Every task of the first run: A succeeds, then B fails.
	tasks := pollTasks(t, c, act, 2)
	byWhich := map[string]*sfn.GetActivityTaskOutput{}
	for _, task := range tasks {
		if strings.Contains(aws.ToString(task.Input), `"A"`) {
			byWhich["A"] = task
		} else {
			byWhich["B"] = task
		}
	}
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: byWhich["A"].TaskToken, Output: aws.String(`"a"`)}))(t)
	// A's success is recorded before B fails it.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		h := must(c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: ex.ExecutionArn, ReverseOrder: true, MaxResults: 3}))(t)
		if h.Events[0].Type == types.HistoryEventTypeTaskStateExited || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	must(c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: byWhich["B"].TaskToken, Error: aws.String("Worker.Broken"), Cause: aws.String("not yet")}))(t)
	failed := waitStatus(t, c, arn, types.ExecutionStatusFailed)
	if failed.RedriveStatus != types.ExecutionRedriveStatusRedrivable || failed.RedriveStatusReason != nil || failed.RedriveCount == nil || *failed.RedriveCount != 0 || failed.RedriveDate != nil {
		t.Errorf("failed execution: status %s reason %v count %v date %v", failed.RedriveStatus, failed.RedriveStatusReason, failed.RedriveCount, failed.RedriveDate)
	}

	// The SDK fills in a clientToken.
	red := must(c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	if red.RedriveDate == nil || time.Since(*red.RedriveDate) > time.Hour {
		t.Fatalf("redriveDate = %v", red.RedriveDate)
	}
	running := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	if running.Status != types.ExecutionStatusRunning || aws.ToInt32(running.RedriveCount) != 1 || running.Error != nil || running.StopDate != nil ||
		running.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable || aws.ToString(running.RedriveStatusReason) != "Execution is RUNNING and cannot be redriven" {
		t.Errorf("redriven execution = %+v", running)
	}
	// Running: another redrive is refused.
	_, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn})
	var notRedrivable *types.ExecutionNotRedrivable
	if !errors.As(err, &notRedrivable) || notRedrivable.ErrorMessage() != "Execution is RUNNING and cannot be redriven" {
		t.Errorf("RedriveExecution(RUNNING) = %v", err)
	}

	// Only B runs again, with the input it had.
	again := pollTask(t, c, act)
	if aws.ToString(again.Input) != `{"which":"B"}` {
		t.Errorf("task after the redrive: %s", aws.ToString(again.Input))
	}
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: again.TaskToken, Output: aws.String(`"b"`)}))(t)
	done := waitStatus(t, c, arn, types.ExecutionStatusSucceeded)
	if aws.ToString(done.Output) != `["a","b"]` || aws.ToInt32(done.RedriveCount) != 1 || done.RedriveDate == nil ||
		aws.ToString(done.RedriveStatusReason) != "Execution is SUCCEEDED and cannot be redriven" {
		t.Errorf("after the redrive: %+v", done)
	}
	names, evs := historyAfterRedrive(t, c, arn)
	want := "ExecutionRedriven TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ParallelStateSucceeded ParallelStateExited ExecutionSucceeded"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("after the redrive:\n got %s\nwant %s", got, want)
	}
	if d := evs[0].ExecutionRedrivenEventDetails; d == nil || aws.ToInt32(d.RedriveCount) != 1 || evs[0].PreviousEventId != evs[0].Id-1 {
		t.Errorf("ExecutionRedriven = %+v", evs[0])
	}
	if evs[1].PreviousEventId != evs[0].Id || aws.ToString(evs[1].StateEnteredEventDetails.Name) != "B" {
		t.Errorf("re-entered state = %+v", evs[1])
	}

	// Succeeded: refused with AWS's reason.
	_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn})
	if !errors.As(err, &notRedrivable) || notRedrivable.ErrorMessage() != "Execution is SUCCEEDED and cannot be redriven" {
		t.Errorf("RedriveExecution(SUCCEEDED) = %v", err)
	}

	// ListExecutions: count and date, and the filter.
	list := func(filter types.ExecutionRedriveFilter) []types.ExecutionListItem {
		return must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, RedriveFilter: filter}))(t).Executions
	}
	if got := list(types.ExecutionRedriveFilterRedriven); len(got) != 1 || aws.ToString(got[0].Name) != "redriven" || aws.ToInt32(got[0].RedriveCount) != 1 || got[0].RedriveDate == nil {
		t.Errorf("REDRIVEN = %+v", got)
	}
	if got := list(types.ExecutionRedriveFilterNotRedriven); len(got) != 1 || aws.ToString(got[0].Name) != "other" || aws.ToInt32(got[0].RedriveCount) != 0 || got[0].RedriveDate != nil {
		t.Errorf("NOT_REDRIVEN = %+v", got)
	}
	if got := list(""); len(got) != 2 {
		t.Errorf("all = %+v", got)
	}
}

// An inline Map fails in one iteration; the redrive reruns that iteration
// only.
func TestSDKRedriveMap(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	act := aws.ToString(must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("redrive-items")}))(t).ActivityArn)
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"MaxConcurrency":1,
		"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + act + `","End":true}}}}}}`
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("redrive-map"), Definition: aws.String(compact(def)), RoleArn: aws.String(role)}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2,3]`)}))(t)
	arn := aws.ToString(ex.ExecutionArn)
	// One at a time: 1 succeeds, 2 fails, 3 never starts.
	runs := map[string]int{}
	first := pollTask(t, c, act)
	runs[aws.ToString(first.Input)]++
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: first.TaskToken, Output: aws.String(`"one"`)}))(t)
	second := pollTask(t, c, act)
	runs[aws.ToString(second.Input)]++
	must(c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: second.TaskToken, Error: aws.String("Worker.Broken")}))(t)
	waitStatus(t, c, arn, types.ExecutionStatusFailed)
	if runs["1"] != 1 || runs["2"] != 1 {
		t.Fatalf("first run: %v", runs)
	}

	must(c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn, ClientToken: aws.String("map-redrive-1")}))(t)
	for range 2 {
		task := pollTask(t, c, act)
		runs[aws.ToString(task.Input)]++
		must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: task.Input}))(t)
	}
	done := waitStatus(t, c, arn, types.ExecutionStatusSucceeded)
	if aws.ToString(done.Output) != `["one",2,3]` {
		t.Errorf("output = %s", aws.ToString(done.Output))
	}
	if runs["1"] != 1 || runs["2"] != 2 || runs["3"] != 1 {
		t.Errorf("task runs per item = %v: item 1 must not run again", runs)
	}
	names, evs := historyAfterRedrive(t, c, arn)
	if len(names) < 2 || names[1] != "MapIterationStarted" || evs[1].MapIterationStartedEventDetails.Index != 1 {
		t.Errorf("after the redrive: %v", names)
	}
	if strings.Count(strings.Join(names, " "), "MapIterationSucceeded") != 2 {
		t.Errorf("after the redrive: %v", names)
	}
}

// What cannot be redriven, and bad requests.
func TestSDKRedriveRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("redrive-wait"), RoleArn: aws.String(role),
		Definition: aws.String(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}`)}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn}))(t)
	_, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn})
	var notRedrivable *types.ExecutionNotRedrivable
	if !errors.As(err, &notRedrivable) || notRedrivable.ErrorMessage() != "Execution is RUNNING and cannot be redriven" {
		t.Errorf("RedriveExecution(RUNNING) = %v", err)
	}
	// Aborted while it waited: the Wait state runs again.
	must(c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	must(c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn, ClientToken: aws.String("again")}))(t)
	names, _ := historyAfterRedrive(t, c, aws.ToString(ex.ExecutionArn))
	if got := strings.Join(names, " "); got != "ExecutionRedriven WaitStateEntered" {
		t.Errorf("after redriving an aborted Wait: %s", got)
	}
	// The same clientToken is the same redrive, even now that it runs.
	must(c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn, ClientToken: aws.String("again")}))(t)
	if d := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn}))(t); aws.ToInt32(d.RedriveCount) != 1 {
		t.Errorf("redrive count after a repeated token = %d", aws.ToInt32(d.RedriveCount))
	}

	// The machine deleted: its stopped executions stay, not redrivable.
	gone := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("redrive-gone"), RoleArn: aws.String(role),
		Definition: aws.String(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}`)}))(t)
	orphan := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: gone.StateMachineArn}))(t)
	must(c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: gone.StateMachineArn}))(t)
	waitStatus(t, c, aws.ToString(orphan.ExecutionArn), types.ExecutionStatusAborted)
	if d := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: orphan.ExecutionArn}))(t); d.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable ||
		aws.ToString(d.RedriveStatusReason) != "State machine is in DELETING status" {
		t.Errorf("execution of a deleted machine: %s %s", d.RedriveStatus, aws.ToString(d.RedriveStatusReason))
	}
	_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: orphan.ExecutionArn})
	if !errors.As(err, &notRedrivable) || notRedrivable.ErrorMessage() != "State machine is in DELETING status" {
		t.Errorf("RedriveExecution(deleted machine) = %v", err)
	}

	_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:redrive-wait:missing")})
	var noExec *types.ExecutionDoesNotExist
	if !errors.As(err, &noExec) {
		t.Errorf("RedriveExecution(missing) = %v", err)
	}
	_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String("not-an-arn")})
	var badArn *types.InvalidArn
	if !errors.As(err, &badArn) {
		t.Errorf("RedriveExecution(bad ARN) = %v", err)
	}
	_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:express:x:y:z")})
	if !errors.As(err, &badArn) || !strings.Contains(badArn.ErrorMessage(), "express") {
		t.Errorf("RedriveExecution(EXPRESS) = %v", err)
	}
	_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn, ClientToken: aws.String("has space")})
	var invalid *types.ValidationException
	if !errors.As(err, &invalid) || !strings.Contains(invalid.ErrorMessage(), "clientToken") {
		t.Errorf("RedriveExecution(bad clientToken) = %v", err)
	}
}
