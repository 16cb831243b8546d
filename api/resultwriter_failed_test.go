package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/engine"
)

// TestSDKResultWriterFailedMapRun: a Map Run that fails (a child fails,
// none tolerated) still exports its results, as AWS does: the child that
// succeeded, the one that failed, and the item no child started in
// PENDING_0.json, with the manifest naming the three; then the Map fails.
func TestSDKResultWriterFailedMapRun(t *testing.T) {
	s3 := newFakeS3(t, "out")
	e := newEnvEngine(t, nil, engine.Options{Items: s3.items})
	c := e.newClient("us-east-1")
	ctx := context.Background()
	act := must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")}))(t)
	def := compact(fmt.Sprintf(`{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}},
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"res"}}}}}`, *act.ActivityArn))
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("failing"), Definition: aws.String(def), RoleArn: aws.String(role)}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2,3]`)}))(t)
	answer := func(fail bool) {
		task := pollTask(t, c, *act.ActivityArn)
		if fail {
			must(c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Boom"), Cause: aws.String("two")}))(t)
			return
		}
		must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: task.Input}))(t)
	}
	answer(false)
	answer(true)
	out := waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusFailed)
	runs := must(c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: out.ExecutionArn}))(t)
	runArn := aws.ToString(runs.MapRuns[0].MapRunArn)
	dir := "res/" + runArn[strings.LastIndexByte(runArn, ':')+1:] + "/"
	get := func(key string) []byte { return s3.get(t, "out", key) }
	var manifest struct {
		DestinationBucket, MapRunArn string
		ResultFiles                  map[string][]struct {
			Key  string
			Size int
		}
	}
	if err := json.Unmarshal(get(dir+"manifest.json"), &manifest); err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"SUCCEEDED", "FAILED", "PENDING"} {
		if fs := manifest.ResultFiles[st]; len(fs) != 1 || fs[0].Key != dir+st+"_0.json" {
			t.Fatalf("manifest %+v", manifest)
		}
	}
	var pending, failed, succeeded []map[string]any
	for _, f := range []struct {
		st  string
		out *[]map[string]any
	}{{"PENDING", &pending}, {"FAILED", &failed}, {"SUCCEEDED", &succeeded}} {
		if err := json.Unmarshal(get(dir+f.st+"_0.json"), f.out); err != nil {
			t.Fatal(err)
		}
	}
	if len(pending) != 1 || pending[0]["Input"] != "3" || pending[0]["Status"] != "PENDING" || len(pending[0]) != 3 {
		t.Fatalf("PENDING: %v", pending)
	}
	if len(failed) != 1 || failed[0]["Status"] != "FAILED" || failed[0]["Error"] != "Boom" || failed[0]["Cause"] != "two" ||
		failed[0]["RedriveStatus"] != "REDRIVABLE_BY_MAP_RUN" || failed[0]["Input"] != "2" {
		t.Fatalf("FAILED: %v", failed)
	}
	if len(succeeded) != 1 || succeeded[0]["Status"] != "SUCCEEDED" || succeeded[0]["Output"] != "1" {
		t.Fatalf("SUCCEEDED: %v", succeeded)
	}
	if aws.ToString(out.Error) != "Boom" {
		t.Fatalf("the Map failed with %s %s", aws.ToString(out.Error), aws.ToString(out.Cause))
	}

	// A redrive reruns the failed child, starts the pending one, and the
	// files are written again as the Map Run succeeds.
	must(c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	answer(false)
	answer(false)
	waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusSucceeded)
	if err := json.Unmarshal(get(dir+"manifest.json"), &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest.ResultFiles["PENDING"]) != 0 || len(manifest.ResultFiles["FAILED"]) != 0 || len(manifest.ResultFiles["SUCCEEDED"]) != 1 {
		t.Fatalf("manifest after the redrive: %+v", manifest)
	}
	succeeded = nil
	if err := json.Unmarshal(get(dir+"SUCCEEDED_0.json"), &succeeded); err != nil {
		t.Fatal(err)
	}
	if len(succeeded) != 3 || succeeded[1]["RedriveCount"] != float64(1) || succeeded[1]["RedriveDate"] == nil || succeeded[0]["RedriveCount"] != float64(0) {
		t.Fatalf("SUCCEEDED after the redrive: %v", succeeded)
	}
}

// TestSDKResultWriterStoppedParent: a Map Run aborted because its parent
// was stopped still writes its results, as AWS's guide describes the
// files of a Map Run that "failed or aborted": the child that succeeded
// in SUCCEEDED_0.json, the one the stop cut short in FAILED_0.json with
// Status ABORTED (where AWS puts it is not documented), the item no child
// started in PENDING_0.json, and the manifest naming them. The execution
// is ABORTED when StopExecution returns; the files follow. A redrive of
// the parent writes them again, under the same Map Run id, when the Map
// Run ends.
func TestSDKResultWriterStoppedParent(t *testing.T) {
	s3 := newFakeS3(t, "out")
	e := newEnvEngine(t, nil, engine.Options{Items: s3.items})
	c := e.newClient("us-east-1")
	ctx := context.Background()
	act := must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")}))(t)
	def := compact(fmt.Sprintf(`{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}},
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"res"}}}}}`, *act.ActivityArn))
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("stopped"), Definition: aws.String(def), RoleArn: aws.String(role)}))(t)
	ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2,3]`)}))(t)
	task := pollTask(t, c, *act.ActivityArn)
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: task.Input}))(t)
	pollTask(t, c, *act.ActivityArn) // the second child runs; the third waits
	stop := must(c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: ex.ExecutionArn, Error: aws.String("Halt"), Cause: aws.String("by hand")}))(t)
	if stop.StopDate == nil {
		t.Fatal("StopExecution returned no stopDate")
	}
	desc := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	if desc.Status != types.ExecutionStatusAborted {
		t.Fatalf("after StopExecution the execution is %s", desc.Status)
	}
	runs := must(c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn}))(t)
	runArn := aws.ToString(runs.MapRuns[0].MapRunArn)
	dir := "res/" + runArn[strings.LastIndexByte(runArn, ':')+1:] + "/"

	// The write follows the stop: wait for the Map Run to count it.
	var run *sfn.DescribeMapRunOutput
	for i := 0; ; i++ {
		run = must(c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(runArn)}))(t)
		if run.ExecutionCounts.ResultsWritten != 0 {
			break
		}
		if i == 6000 {
			t.Fatalf("the aborted Map Run's results were never written: %+v", run.ExecutionCounts)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if run.Status != types.MapRunStatusAborted || run.ExecutionCounts.ResultsWritten != 2 || run.ItemCounts.ResultsWritten != 2 ||
		run.ExecutionCounts.Succeeded != 1 || run.ExecutionCounts.Aborted != 1 || run.ExecutionCounts.Pending != 1 {
		t.Fatalf("Map Run %s, executions %+v, items %+v", run.Status, run.ExecutionCounts, run.ItemCounts)
	}
	get := func(key string) []byte { return s3.get(t, "out", key) }
	var manifest struct {
		DestinationBucket, MapRunArn string
		ResultFiles                  map[string][]struct {
			Key  string
			Size int
		}
	}
	if err := json.Unmarshal(get(dir+"manifest.json"), &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.MapRunArn != runArn || manifest.DestinationBucket != "out" {
		t.Fatalf("manifest %+v", manifest)
	}
	for _, st := range []string{"SUCCEEDED", "FAILED", "PENDING"} {
		if fs := manifest.ResultFiles[st]; len(fs) != 1 || fs[0].Key != dir+st+"_0.json" {
			t.Fatalf("manifest %+v", manifest)
		}
	}
	var pending, failed, succeeded []map[string]any
	for _, f := range []struct {
		st  string
		out *[]map[string]any
	}{{"PENDING", &pending}, {"FAILED", &failed}, {"SUCCEEDED", &succeeded}} {
		if err := json.Unmarshal(get(dir+f.st+"_0.json"), f.out); err != nil {
			t.Fatal(err)
		}
	}
	if len(pending) != 1 || pending[0]["Input"] != "3" || pending[0]["Status"] != "PENDING" || len(pending[0]) != 3 {
		t.Fatalf("PENDING: %v", pending)
	}
	if len(failed) != 1 || failed[0]["Status"] != "ABORTED" || failed[0]["Input"] != "2" || failed[0]["Error"] != nil ||
		failed[0]["RedriveStatus"] != "REDRIVABLE_BY_MAP_RUN" || failed[0]["StopDate"] == nil {
		t.Fatalf("FAILED: %v", failed)
	}
	if len(succeeded) != 1 || succeeded[0]["Status"] != "SUCCEEDED" || succeeded[0]["Output"] != "1" {
		t.Fatalf("SUCCEEDED: %v", succeeded)
	}
	// The write changed nothing of the execution: still ABORTED, its
	// history ending with ExecutionAborted.
	desc = must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	hist := must(c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: ex.ExecutionArn, ReverseOrder: true, MaxResults: 1}))(t)
	if desc.Status != types.ExecutionStatusAborted || !desc.StopDate.Equal(*stop.StopDate) || hist.Events[0].Type != types.HistoryEventTypeExecutionAborted {
		t.Fatalf("after the write: %s stopped %v (StopExecution said %v), last event %s", desc.Status, desc.StopDate, stop.StopDate, hist.Events[0].Type)
	}

	// The redrive reruns the aborted child, starts the pending one, and
	// the files are written as the Map Run succeeds.
	must(c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	for range 2 {
		task := pollTask(t, c, *act.ActivityArn)
		must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: task.Input}))(t)
	}
	waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusSucceeded)
	succeeded = nil
	if err := json.Unmarshal(get(dir+"SUCCEEDED_0.json"), &succeeded); err != nil || len(succeeded) != 3 {
		t.Fatalf("SUCCEEDED_0.json after the redrive: %v %v", succeeded, err)
	}
	if err := json.Unmarshal(get(dir+"manifest.json"), &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest.ResultFiles["PENDING"]) != 0 || len(manifest.ResultFiles["FAILED"]) != 0 {
		t.Fatalf("manifest after the redrive: %+v", manifest)
	}
	// The child the stop aborted counts as succeeded now, not as aborted
	// nor (as a redrive once miscounted it) as -1 failed.
	run = must(c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(runArn)}))(t)
	if ec := run.ExecutionCounts; run.Status != types.MapRunStatusSucceeded || ec.Succeeded != 3 || ec.Failed != 0 || ec.Aborted != 0 || ec.ResultsWritten != 3 {
		t.Fatalf("Map Run after the redrive: %s %+v", run.Status, ec)
	}
}
