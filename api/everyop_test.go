package api

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// sdkOperations lists the operations of the SDK's Step Functions client:
// its exported methods taking (context.Context, *XInput, ...func(*Options))
// and answering (*XOutput, error).
func sdkOperations() []string {
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	errType := reflect.TypeOf((*error)(nil)).Elem()
	ct := reflect.TypeOf(&sfn.Client{})
	var ops []string
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		ft := m.Type // the receiver first
		if ft.NumIn() != 4 || !ft.IsVariadic() || ft.In(1) != ctxType || ft.NumOut() != 2 || ft.Out(1) != errType {
			continue
		}
		in, out := ft.In(2), ft.Out(0)
		if in.Kind() != reflect.Pointer || in.Elem().Name() != m.Name+"Input" || out.Kind() != reflect.Pointer || out.Elem().Name() != m.Name+"Output" {
			continue
		}
		ops = append(ops, m.Name)
	}
	return ops
}

// sdkOp calls one SDK operation, failing the test on an error, and notes
// it as answered; the name is its input's type's.
func sdkOp[In, Out any](t *testing.T, answered map[string]bool, f func(context.Context, *In, ...func(*sfn.Options)) (*Out, error), in *In) *Out {
	t.Helper()
	name := strings.TrimSuffix(reflect.TypeOf(in).Elem().Name(), "Input")
	out, err := f(context.Background(), in)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	answered[name] = true
	return out
}

// TestSDKEveryOperation drives every operation the pinned aws-sdk-go-v2
// Step Functions client knows to a successful answer, in the order a user
// would: it fails when the SDK has an operation this test does not drive
// (a new one Statecraft must serve), or one that answers an error.
func TestSDKEveryOperation(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ok := map[string]bool{}

	act := sdkOp(t, ok, c.CreateActivity, &sfn.CreateActivityInput{Name: aws.String("work")})
	sdkOp(t, ok, c.DescribeActivity, &sfn.DescribeActivityInput{ActivityArn: act.ActivityArn})
	sdkOp(t, ok, c.ListActivities, &sfn.ListActivitiesInput{})

	def := compact(fmt.Sprintf(`{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Fan","MaxConcurrency":1,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}}}}`, *act.ActivityArn))
	if v := sdkOp(t, ok, c.ValidateStateMachineDefinition, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(def)}); v.Result != types.ValidateStateMachineDefinitionResultCodeOk {
		t.Fatalf("ValidateStateMachineDefinition: %+v", v.Diagnostics)
	}
	sm := sdkOp(t, ok, c.CreateStateMachine, &sfn.CreateStateMachineInput{Name: aws.String("every"), Definition: aws.String(def), RoleArn: aws.String(role)})
	sdkOp(t, ok, c.DescribeStateMachine, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
	sdkOp(t, ok, c.ListStateMachines, &sfn.ListStateMachinesInput{})
	sdkOp(t, ok, c.UpdateStateMachine, &sfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn, Definition: aws.String(def)})
	ver := sdkOp(t, ok, c.PublishStateMachineVersion, &sfn.PublishStateMachineVersionInput{StateMachineArn: sm.StateMachineArn, Description: aws.String("v1")})
	sdkOp(t, ok, c.ListStateMachineVersions, &sfn.ListStateMachineVersionsInput{StateMachineArn: sm.StateMachineArn})
	alias := sdkOp(t, ok, c.CreateStateMachineAlias, &sfn.CreateStateMachineAliasInput{Name: aws.String("live"),
		RoutingConfiguration: []types.RoutingConfigurationListItem{{StateMachineVersionArn: ver.StateMachineVersionArn, Weight: 100}}})
	sdkOp(t, ok, c.DescribeStateMachineAlias, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: alias.StateMachineAliasArn})
	sdkOp(t, ok, c.ListStateMachineAliases, &sfn.ListStateMachineAliasesInput{StateMachineArn: sm.StateMachineArn})
	sdkOp(t, ok, c.UpdateStateMachineAlias, &sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: alias.StateMachineAliasArn, Description: aws.String("the live one")})

	// An execution whose Map Run fails, is redriven and succeeds.
	ex := sdkOp(t, ok, c.StartExecution, &sfn.StartExecutionInput{StateMachineArn: alias.StateMachineAliasArn, Input: aws.String(`[1,2]`)})
	var runArn *string
	waitFor(t, "the Map Run", func() (bool, string) {
		runs := sdkOp(t, ok, c.ListMapRuns, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn})
		if len(runs.MapRuns) == 0 {
			return false, "none"
		}
		runArn = runs.MapRuns[0].MapRunArn
		return true, ""
	})
	sdkOp(t, ok, c.DescribeMapRun, &sfn.DescribeMapRunInput{MapRunArn: runArn})
	sdkOp(t, ok, c.UpdateMapRun, &sfn.UpdateMapRunInput{MapRunArn: runArn, MaxConcurrency: aws.Int32(1)})
	task := pollTask(t, c, *act.ActivityArn)
	sdkOp(t, ok, c.SendTaskHeartbeat, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken})
	sdkOp(t, ok, c.SendTaskFailure, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Boom")})
	waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusFailed)
	sdkOp(t, ok, c.RedriveExecution, &sfn.RedriveExecutionInput{ExecutionArn: ex.ExecutionArn})
	for range 2 {
		task := sdkOp(t, ok, c.GetActivityTask, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
		for task.TaskToken == nil {
			task = sdkOp(t, ok, c.GetActivityTask, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
		}
		sdkOp(t, ok, c.SendTaskSuccess, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`"done"`)})
	}
	waitStatus(t, c, *ex.ExecutionArn, types.ExecutionStatusSucceeded)
	sdkOp(t, ok, c.DescribeExecution, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
	sdkOp(t, ok, c.ListExecutions, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn})
	kids := sdkOp(t, ok, c.ListExecutions, &sfn.ListExecutionsInput{MapRunArn: runArn})
	sdkOp(t, ok, c.GetExecutionHistory, &sfn.GetExecutionHistoryInput{ExecutionArn: ex.ExecutionArn})
	sdkOp(t, ok, c.GetExecutionHistory, &sfn.GetExecutionHistoryInput{ExecutionArn: kids.Executions[0].ExecutionArn})
	sdkOp(t, ok, c.DescribeStateMachineForExecution, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: ex.ExecutionArn})
	sdkOp(t, ok, c.DescribeStateMachineForExecution, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: kids.Executions[0].ExecutionArn})

	// One stopped while its child waits for a worker.
	stopped := sdkOp(t, ok, c.StartExecution, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[3]`)})
	sdkOp(t, ok, c.StopExecution, &sfn.StopExecutionInput{ExecutionArn: stopped.ExecutionArn})

	// Express, synchronously.
	express := sdkOp(t, ok, c.CreateStateMachine, &sfn.CreateStateMachineInput{Name: aws.String("quick"), Type: types.StateMachineTypeExpress,
		Definition: aws.String(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), RoleArn: aws.String(role)})
	if r := sdkOp(t, ok, c.StartSyncExecution, &sfn.StartSyncExecutionInput{StateMachineArn: express.StateMachineArn, Input: aws.String(`{}`)}); r.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("StartSyncExecution: %s", r.Status)
	}
	sdkOp(t, ok, c.TestState, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), RoleArn: aws.String(role), Input: aws.String(`{}`)})

	sdkOp(t, ok, c.TagResource, &sfn.TagResourceInput{ResourceArn: sm.StateMachineArn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	sdkOp(t, ok, c.ListTagsForResource, &sfn.ListTagsForResourceInput{ResourceArn: sm.StateMachineArn})
	sdkOp(t, ok, c.UntagResource, &sfn.UntagResourceInput{ResourceArn: sm.StateMachineArn, TagKeys: []string{"team"}})

	sdkOp(t, ok, c.DeleteStateMachineAlias, &sfn.DeleteStateMachineAliasInput{StateMachineAliasArn: alias.StateMachineAliasArn})
	sdkOp(t, ok, c.DeleteStateMachineVersion, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: ver.StateMachineVersionArn})
	sdkOp(t, ok, c.DeleteStateMachine, &sfn.DeleteStateMachineInput{StateMachineArn: sm.StateMachineArn})
	sdkOp(t, ok, c.DeleteActivity, &sfn.DeleteActivityInput{ActivityArn: act.ActivityArn})

	ops := sdkOperations()
	if len(ops) < 37 {
		t.Fatalf("found %d operations on the SDK's client: the reflection is wrong (%v)", len(ops), ops)
	}
	t.Logf("%d operations: %v", len(ops), ops)
	var missing []string
	for _, op := range ops {
		if !ok[op] {
			missing = append(missing, op)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("operations of the SDK not driven to a successful answer: %v", missing)
	}
	for op := range ok {
		if !slices.Contains(ops, op) {
			t.Fatalf("%s answered but is no SDK operation", op)
		}
	}
}
