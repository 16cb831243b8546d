package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/itemreader"
)

// TestSDKResultWriterFailedMapRun: a Map Run that fails (a child fails,
// none tolerated) still exports its results, as AWS does: the child that
// succeeded, the one that failed, and the item no child started in
// PENDING_0.json, with the manifest naming the three; then the Map fails.
func TestSDKResultWriterFailedMapRun(t *testing.T) {
	be := s3mem.New()
	if err := be.CreateBucket("out"); err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(s3srv.Close)
	r, err := itemreader.New(itemreader.Config{Endpoint: s3srv.URL, AccessKeyID: "AKID", SecretAccessKey: "SECRET", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvEngine(t, nil, engine.Options{Items: r})
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
	get := func(key string) []byte {
		o, err := be.GetObject("out", key, nil)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		defer o.Contents.Close()
		b, _ := io.ReadAll(o.Contents)
		return b
	}
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
// was stopped writes no file, and a redrive of the parent writes them,
// under the same Map Run id, when the Map Run ends. AWS's guide describes
// PENDING_n.json as the children "that weren't started because the Map
// Run failed or aborted", which suggests it writes an aborted Map Run's
// results too; Statecraft does not (README, "Writing Distributed Map
// results to S3"), and this test pins what it does.
func TestSDKResultWriterStoppedParent(t *testing.T) {
	be := s3mem.New()
	if err := be.CreateBucket("out"); err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(s3srv.Close)
	r, err := itemreader.New(itemreader.Config{Endpoint: s3srv.URL, AccessKeyID: "AKID", SecretAccessKey: "SECRET", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvEngine(t, nil, engine.Options{Items: r})
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
	must(c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusAborted)
	runs := must(c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn}))(t)
	runArn := aws.ToString(runs.MapRuns[0].MapRunArn)
	run := must(c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(runArn)}))(t)
	if run.Status != types.MapRunStatusAborted || run.ExecutionCounts.ResultsWritten != 0 {
		t.Fatalf("Map Run %s, %d results written", run.Status, run.ExecutionCounts.ResultsWritten)
	}
	list, err := be.ListBucket("out", nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 0 {
		t.Fatalf("an aborted Map Run wrote %d objects, the first %s", len(list.Contents), list.Contents[0].Key)
	}

	// The redrive reruns the aborted child, starts the pending one, and
	// the files are written as the Map Run succeeds.
	must(c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn}))(t)
	for range 2 {
		task := pollTask(t, c, *act.ActivityArn)
		must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: task.Input}))(t)
	}
	waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusSucceeded)
	dir := "res/" + runArn[strings.LastIndexByte(runArn, ':')+1:] + "/"
	o, err := be.GetObject("out", dir+"SUCCEEDED_0.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Contents.Close()
	var succeeded []map[string]any
	if err := json.NewDecoder(o.Contents).Decode(&succeeded); err != nil || len(succeeded) != 3 {
		t.Fatalf("SUCCEEDED_0.json after the redrive: %v %v", succeeded, err)
	}
}
