package api

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// disableHostPrefix stops the SDK from sending StartSyncExecution (and
// TestState) to "sync-" + host, which does not resolve for 127.0.0.1.
// The SDK has no client option for it; the stack value is what its
// EndpointHostPrefix middleware checks, and Initialize runs before it.
func disableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableEndpointHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// newClient is an unmodified SDK client pointed at the test server, signing
// with static credentials (the server reads the region from the scope).
func (e *testEnv) newClient(region string) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       region,
		BaseEndpoint: aws.String(e.srv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "test"}, nil
		}),
		RetryMaxAttempts: 1,
		APIOptions:       []func(*middleware.Stack) error{disableHostPrefix},
	})
}

// must(call(...))(t) fails the test if the call failed.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func waitDescribe(t *testing.T, c *sfn.Client, arn string, want types.ExecutionStatus) *sfn.DescribeExecutionOutput {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out := must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)}))(t)
		if out.Status == want {
			return out
		}
		if out.Status != types.ExecutionStatusRunning || time.Now().After(deadline) {
			t.Fatalf("execution %s: status %s, want %s (error %s, cause %s)", arn, out.Status, want, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestSDKStateMachineLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("eu-central-1")
	ctx := context.Background()
	def := compact(`{
		"StartAt": "Prepare",
		"States": {
			"Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "greeting": "hi"}, "Next": "Pause"},
			"Pause": {"Type": "Wait", "Seconds": 1, "Next": "Decide"},
			"Decide": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Done"}], "Default": "Done"},
			"Done": {"Type": "Succeed"}
		}
	}`)
	created := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("lifecycle"), Definition: aws.String(def), RoleArn: aws.String(role),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}},
	}))(t)
	wantArn := "arn:aws:states:eu-central-1:123456789012:stateMachine:lifecycle"
	if aws.ToString(created.StateMachineArn) != wantArn || created.CreationDate == nil || time.Since(*created.CreationDate) > time.Minute {
		t.Fatalf("CreateStateMachine = %+v", created)
	}
	// Idempotent: the same configuration answers with the same machine.
	again := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("lifecycle"), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::123456789012:role/other"),
	}))(t)
	if !again.CreationDate.Equal(*created.CreationDate) {
		t.Errorf("repeat create: %v, want %v", again.CreationDate, created.CreationDate)
	}
	desc := must(c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: created.StateMachineArn}))(t)
	if aws.ToString(desc.Definition) != def || desc.Type != types.StateMachineTypeStandard || desc.Status != types.StateMachineStatusActive ||
		aws.ToString(desc.RoleArn) != role || desc.LoggingConfiguration == nil || desc.LoggingConfiguration.Level != types.LogLevelOff {
		t.Errorf("DescribeStateMachine = %+v", desc)
	}
	tags := must(c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: created.StateMachineArn}))(t)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "core" {
		t.Errorf("tags = %+v", tags.Tags)
	}

	start := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: created.StateMachineArn, Name: aws.String("run-1"), Input: aws.String(`{"n": 2}`)}))(t)
	if aws.ToString(start.ExecutionArn) != "arn:aws:states:eu-central-1:123456789012:execution:lifecycle:run-1" {
		t.Fatalf("ExecutionArn = %s", aws.ToString(start.ExecutionArn))
	}
	// Same name and input while running: AWS's idempotency.
	same := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: created.StateMachineArn, Name: aws.String("run-1"), Input: aws.String(`{"n": 2}`)}))(t)
	if aws.ToString(same.ExecutionArn) != aws.ToString(start.ExecutionArn) {
		t.Errorf("repeat start = %s", aws.ToString(same.ExecutionArn))
	}
	running := must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: created.StateMachineArn, StatusFilter: types.ExecutionStatusRunning}))(t)
	if len(running.Executions) != 1 {
		t.Errorf("running executions = %+v", running.Executions)
	}

	done := waitDescribe(t, c, aws.ToString(start.ExecutionArn), types.ExecutionStatusSucceeded)
	if aws.ToString(done.Output) != `{"greeting":"hi","n":2}` || aws.ToString(done.Input) != `{"n": 2}` || done.StopDate == nil || done.StopDate.Sub(*done.StartDate) < time.Second {
		t.Errorf("DescribeExecution = output %s input %s start %v stop %v", aws.ToString(done.Output), aws.ToString(done.Input), done.StartDate, done.StopDate)
	}

	// History through the SDK paginator, two events a page.
	var events []types.HistoryEvent
	pages := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, MaxResults: 2})
	n := 0
	for pages.HasMorePages() {
		page := must(pages.NextPage(ctx))(t)
		events = append(events, page.Events...)
		n++
	}
	want := []types.HistoryEventType{
		types.HistoryEventTypeExecutionStarted,
		types.HistoryEventTypePassStateEntered, types.HistoryEventTypePassStateExited,
		types.HistoryEventTypeWaitStateEntered, types.HistoryEventTypeWaitStateExited,
		types.HistoryEventTypeChoiceStateEntered, types.HistoryEventTypeChoiceStateExited,
		types.HistoryEventTypeSucceedStateEntered, types.HistoryEventTypeSucceedStateExited,
		types.HistoryEventTypeExecutionSucceeded,
	}
	if len(events) != len(want) || n != (len(want)+1)/2 {
		t.Fatalf("history: %d events in %d pages, want %d", len(events), n, len(want))
	}
	for i, ev := range events {
		if ev.Type != want[i] || ev.Id != int64(i+1) || ev.Timestamp == nil {
			t.Errorf("event %d = %s #%d, want %s #%d", i, ev.Type, ev.Id, want[i], i+1)
		}
	}
	if d := events[0].ExecutionStartedEventDetails; d == nil || compact(aws.ToString(d.Input)) != `{"n":2}` || aws.ToString(d.RoleArn) != role {
		t.Errorf("ExecutionStarted details = %+v", d)
	}
	if d := events[1].StateEnteredEventDetails; d == nil || aws.ToString(d.Name) != "Prepare" {
		t.Errorf("PassStateEntered details = %+v", d)
	}
	if events[2].PreviousEventId != 2 {
		t.Errorf("PassStateExited.previousEventId = %d", events[2].PreviousEventId)
	}
	// Newest first, without execution data.
	rev := must(c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true, IncludeExecutionData: aws.Bool(false), MaxResults: 3}))(t)
	if len(rev.Events) != 3 || rev.Events[0].Type != types.HistoryEventTypeExecutionSucceeded || rev.NextToken == nil {
		t.Fatalf("reverse history = %+v", rev)
	}
	if d := rev.Events[0].ExecutionSucceededEventDetails; d == nil || d.Output != nil {
		t.Errorf("includeExecutionData=false kept output: %+v", d)
	}
	rest := must(c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true, NextToken: rev.NextToken, MaxResults: 100}))(t)
	if len(rest.Events) != 7 || rest.Events[6].Id != 1 || rest.NextToken != nil {
		t.Errorf("second reverse page: %d events", len(rest.Events))
	}

	forExec := must(c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: start.ExecutionArn}))(t)
	if aws.ToString(forExec.Definition) != def || aws.ToString(forExec.Name) != "lifecycle" || forExec.UpdateDate == nil {
		t.Errorf("DescribeStateMachineForExecution = %+v", forExec)
	}

	// Update: new revision; the finished execution keeps its definition.
	upd := must(c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: created.StateMachineArn, Definition: aws.String(passDef)}))(t)
	if upd.UpdateDate == nil || aws.ToString(upd.RevisionId) == "" || aws.ToString(upd.RevisionId) == aws.ToString(desc.RevisionId) {
		t.Errorf("UpdateStateMachine = %+v", upd)
	}
	forExec = must(c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: start.ExecutionArn}))(t)
	if aws.ToString(forExec.Definition) != def {
		t.Errorf("the execution's definition changed with the machine")
	}
	// Same name, different definition: StateMachineAlreadyExists.
	_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("lifecycle"), Definition: aws.String(def), RoleArn: aws.String(role)})
	var exists *types.StateMachineAlreadyExists
	if !errors.As(err, &exists) {
		t.Errorf("create with another definition: %v", err)
	}

	list := must(c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{}))(t)
	if len(list.StateMachines) != 1 || aws.ToString(list.StateMachines[0].Name) != "lifecycle" {
		t.Errorf("ListStateMachines = %+v", list.StateMachines)
	}
	execs := must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: created.StateMachineArn}))(t)
	if len(execs.Executions) != 1 || execs.Executions[0].Status != types.ExecutionStatusSucceeded || execs.Executions[0].StopDate == nil {
		t.Errorf("ListExecutions = %+v", execs.Executions)
	}

	must(c.UntagResource(ctx, &sfn.UntagResourceInput{ResourceArn: created.StateMachineArn, TagKeys: []string{"team"}}))(t)
	must(c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: created.StateMachineArn}))(t)
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: created.StateMachineArn})
	var gone *types.StateMachineDoesNotExist
	if !errors.As(err, &gone) {
		t.Errorf("describe after delete: %v", err)
	}
	// The execution outlives its machine.
	must(c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn}))(t)
}

func TestSDKPaginators(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(name)}))(t)
	}
	var names []string
	pages := sfn.NewListActivitiesPaginator(c, &sfn.ListActivitiesInput{MaxResults: 2})
	for pages.HasMorePages() {
		for _, a := range must(pages.NextPage(ctx))(t).Activities {
			names = append(names, aws.ToString(a.Name))
		}
	}
	if strings.Join(names, ",") != "a,b,c,d,e" {
		t.Errorf("activities = %v", names)
	}
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("many"), Definition: aws.String(passDef), RoleArn: aws.String(role)}))(t)
	for i := 0; i < 5; i++ {
		must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn}))(t)
	}
	count := 0
	ep := sfn.NewListExecutionsPaginator(c, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, MaxResults: 2})
	for ep.HasMorePages() {
		count += len(must(ep.NextPage(ctx))(t).Executions)
	}
	if count != 5 {
		t.Errorf("ListExecutions paginated %d executions, want 5", count)
	}
}

const activityMachine = `{
	"StartAt": "Work",
	"States": {
		"Work": {
			"Type": "Task", "Resource": "ACTIVITY", "TimeoutSeconds": 60,
			"Catch": [{"ErrorEquals": ["Worker.Broken"], "ResultPath": "$.caught", "Next": "Recovered"}],
			"End": true
		},
		"Recovered": {"Type": "Pass", "End": true}
	}
}`

func TestSDKActivityWorker(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	act := must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("worker-queue")}))(t)
	// Idempotent on the name.
	act2 := must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("worker-queue")}))(t)
	if aws.ToString(act2.ActivityArn) != aws.ToString(act.ActivityArn) {
		t.Errorf("repeat CreateActivity = %s", aws.ToString(act2.ActivityArn))
	}
	d := must(c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: act.ActivityArn}))(t)
	if aws.ToString(d.Name) != "worker-queue" {
		t.Errorf("DescribeActivity = %+v", d)
	}
	// Nothing queued: the poll ends empty.
	empty := must(c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn}))(t)
	if empty.TaskToken != nil {
		t.Errorf("empty poll returned a token")
	}

	def := compact(strings.Replace(activityMachine, "ACTIVITY", aws.ToString(act.ActivityArn), 1))
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("with-activity"), Definition: aws.String(def), RoleArn: aws.String(role)}))(t)

	// Success: the worker's output is the execution's.
	ok := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("ok"), Input: aws.String(`{"job": 7}`)}))(t)
	task := pollTask(t, c, aws.ToString(act.ActivityArn))
	if aws.ToString(task.Input) != `{"job":7}` {
		t.Errorf("task input = %s", aws.ToString(task.Input))
	}
	must(c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken}))(t)
	must(c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"result": "done"}`)}))(t)
	out := waitDescribe(t, c, aws.ToString(ok.ExecutionArn), types.ExecutionStatusSucceeded)
	if aws.ToString(out.Output) != `{"result":"done"}` {
		t.Errorf("output = %s", aws.ToString(out.Output))
	}
	hist := must(c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: ok.ExecutionArn}))(t)
	var types_ []string
	for _, ev := range hist.Events {
		types_ = append(types_, string(ev.Type))
		if ev.Type == types.HistoryEventTypeActivityStarted && aws.ToString(ev.ActivityStartedEventDetails.WorkerName) != "sdk-worker" {
			t.Errorf("ActivityStarted worker = %+v", ev.ActivityStartedEventDetails)
		}
	}
	if !strings.Contains(strings.Join(types_, ","), "ActivityScheduled,ActivityStarted,ActivitySucceeded,TaskStateExited") {
		t.Errorf("history = %v", types_)
	}

	// The token is spent: a second answer is TaskTimedOut.
	_, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{}`)})
	var timedOut *types.TaskTimedOut
	if !errors.As(err, &timedOut) {
		t.Errorf("second SendTaskSuccess: %v", err)
	}
	_, err = c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken})
	if !errors.As(err, &timedOut) {
		t.Errorf("heartbeat on a closed task: %v", err)
	}
	// A token that never existed is InvalidToken.
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("not-a-token"), Output: aws.String(`{}`)})
	var invalid *types.InvalidToken
	if !errors.As(err, &invalid) {
		t.Errorf("unknown token: %v", err)
	}

	// Failure, caught by the state's Catch.
	failed := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("broken"), Input: aws.String(`{"job": 8}`)}))(t)
	task = pollTask(t, c, aws.ToString(act.ActivityArn))
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"a":}`)})
	var badOutput *types.InvalidOutput
	if !errors.As(err, &badOutput) {
		t.Errorf("non-JSON output: %v", err)
	}
	must(c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Worker.Broken"), Cause: aws.String("disk full")}))(t)
	out = waitDescribe(t, c, aws.ToString(failed.ExecutionArn), types.ExecutionStatusSucceeded)
	var got map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatal(err)
	}
	caught, _ := got["caught"].(map[string]any)
	if caught["Error"] != "Worker.Broken" || caught["Cause"] != "disk full" || got["job"] != float64(8) {
		t.Errorf("caught output = %s", aws.ToString(out.Output))
	}

	// Stopping a running execution aborts it.
	stopped := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("stopped")}))(t)
	stop := must(c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: stopped.ExecutionArn, Error: aws.String("Operator.Stop"), Cause: aws.String("no longer needed")}))(t)
	if stop.StopDate == nil {
		t.Error("StopExecution without stopDate")
	}
	ab := waitDescribe(t, c, aws.ToString(stopped.ExecutionArn), types.ExecutionStatusAborted)
	if aws.ToString(ab.Error) != "Operator.Stop" || aws.ToString(ab.Cause) != "no longer needed" {
		t.Errorf("aborted execution = error %s cause %s", aws.ToString(ab.Error), aws.ToString(ab.Cause))
	}

	must(c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: act.ActivityArn}))(t)
	_, err = c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
	var noActivity *types.ActivityDoesNotExist
	if !errors.As(err, &noActivity) {
		t.Errorf("poll of a deleted activity: %v", err)
	}
}

func pollTask(t *testing.T, c *sfn.Client, activityArn string) *sfn.GetActivityTaskOutput {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out := must(c.GetActivityTask(context.Background(), &sfn.GetActivityTaskInput{ActivityArn: aws.String(activityArn), WorkerName: aws.String("sdk-worker")}))(t)
		if out.TaskToken != nil {
			return out
		}
	}
	t.Fatal("no activity task arrived")
	return nil
}

func TestSDKTypedErrors(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()

	_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(missingExec)})
	var noExec *types.ExecutionDoesNotExist
	if !errors.As(err, &noExec) || noExec.ErrorMessage() != "Execution Does Not Exist: '"+missingExec+"'" {
		t.Errorf("DescribeExecution(missing) = %v", err)
	}
	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("nope")})
	var badArn *types.InvalidArn
	if !errors.As(err, &badArn) {
		t.Errorf("DescribeExecution(nope) = %v", err)
	}
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), Definition: aws.String(`{"StartAt":"X","States":{}}`), RoleArn: aws.String(role)})
	var badDef *types.InvalidDefinition
	if !errors.As(err, &badDef) || !strings.HasPrefix(badDef.ErrorMessage(), "Invalid State Machine Definition: '") {
		t.Errorf("CreateStateMachine(bad definition) = %v", err)
	}
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad name"), Definition: aws.String(passDef), RoleArn: aws.String(role)})
	var badName *types.InvalidName
	if !errors.As(err, &badName) {
		t.Errorf("CreateStateMachine(bad name) = %v", err)
	}
	_, err = c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: aws.String("bogus")})
	var badToken *types.InvalidToken
	if !errors.As(err, &badToken) {
		t.Errorf("ListStateMachines(bogus token) = %v", err)
	}
	_, err = c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 1001})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" ||
		apiErr.ErrorMessage() != "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000" {
		t.Errorf("ListStateMachines(1001) = %v", err)
	}
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("m"), Definition: aws.String(passDef), RoleArn: aws.String(role)}))(t)
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String("{")})
	var badInput *types.InvalidExecutionInput
	if !errors.As(err, &badInput) {
		t.Errorf("StartExecution(bad input) = %v", err)
	}
	_, err = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: sm.StateMachineArn})
	var wrongType *types.StateMachineTypeNotSupported
	if !errors.As(err, &wrongType) {
		t.Errorf("StartSyncExecution(STANDARD) = %v", err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(missingSM)})
	var noSM *types.StateMachineDoesNotExist
	if !errors.As(err, &noSM) {
		t.Errorf("StartExecution(missing) = %v", err)
	}
	_, err = c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(missingSM), Tags: []types.Tag{}})
	var notFound *types.ResourceNotFound
	if !errors.As(err, &notFound) || aws.ToString(notFound.ResourceName) != missingSM {
		t.Errorf("TagResource(missing) = %v", err)
	}
	_, err = c.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(aws.ToString(sm.StateMachineArn) + ":prod")})
	var noAlias *types.ResourceNotFound
	if !errors.As(err, &noAlias) || aws.ToString(noAlias.ResourceName) != aws.ToString(sm.StateMachineArn)+":prod" {
		t.Errorf("DescribeStateMachineAlias(missing) = %v", err)
	}
	_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(missingExec)})
	if !errors.As(err, &noExec) {
		t.Errorf("RedriveExecution(missing) = %v", err)
	}
}

func TestSDKExpress(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	def := compact(`{
		"StartAt": "Double",
		"States": {
			"Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.v, $.v)"}, "Next": "Call"},
			"Call": {
				"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
				"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Check"}],
				"Next": "Check"
			},
			"Check": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericGreaterThan": 10, "Next": "TooBig"}], "Default": "Fine"},
			"TooBig": {"Type": "Fail", "Error": "Value.TooBig", "Cause": "v exceeds 10"},
			"Fine": {"Type": "Succeed"}
		}
	}`)
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("express"), Definition: aws.String(def), RoleArn: aws.String(role), Type: types.StateMachineTypeExpress,
	}))(t)
	res := must(c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("small"), Input: aws.String(`{"v": 2}`)}))(t)
	if res.Status != types.SyncExecutionStatusSucceeded || res.StartDate == nil || res.StopDate == nil || res.BillingDetails == nil {
		t.Fatalf("StartSyncExecution = %+v", res)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(res.Output)), &out); err != nil {
		t.Fatal(err)
	}
	errObj, _ := out["err"].(map[string]any)
	if out["v"] != float64(4) || errObj["Error"] != "Statecraft.ResourceNotSupported" {
		t.Errorf("output = %s", aws.ToString(res.Output))
	}
	if !strings.HasPrefix(aws.ToString(res.ExecutionArn), "arn:aws:states:us-east-1:123456789012:express:express:small:") {
		t.Errorf("ExecutionArn = %s", aws.ToString(res.ExecutionArn))
	}
	// A failing workflow is still a 200, with the outcome in the body.
	res = must(c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"v": 6}`)}))(t)
	if res.Status != types.SyncExecutionStatusFailed || aws.ToString(res.Error) != "Value.TooBig" || aws.ToString(res.Cause) != "v exceeds 10" || res.Output != nil {
		t.Errorf("failing StartSyncExecution = %+v", res)
	}
	// Asynchronous start of an Express machine: an express ARN that the
	// execution APIs do not accept, as on AWS.
	async := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"v": 1}`)}))(t)
	if !strings.Contains(aws.ToString(async.ExecutionArn), ":express:express:") {
		t.Errorf("async express ARN = %s", aws.ToString(async.ExecutionArn))
	}
	_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: async.ExecutionArn})
	var badArn *types.InvalidArn
	if !errors.As(err, &badArn) {
		t.Errorf("DescribeExecution(express) = %v", err)
	}
	// Activities are rejected for EXPRESS at create time.
	act := must(c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("a")}))(t)
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("express-activity"), RoleArn: aws.String(role), Type: types.StateMachineTypeExpress,
		Definition: aws.String(compact(strings.Replace(activityMachine, "ACTIVITY", aws.ToString(act.ActivityArn), 1))),
	})
	var badDef *types.InvalidDefinition
	if !errors.As(err, &badDef) {
		t.Errorf("EXPRESS with an activity = %v", err)
	}
}
