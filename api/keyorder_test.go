package api

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// DescribeExecution and GetExecutionHistory give objects with their keys in
// order: the input as sent, the Result as written, a ResultPath's new field
// last (interp/keyorder_test.go holds the rules and their sources).
func TestSDKKeyOrder(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"b":1,"a":{"z":1,"y":2}},"ResultPath":"$.r","End":true}}}`
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("order"), Definition: aws.String(def), RoleArn: aws.String(role),
	}))(t)
	input := `{"z": 0, "a": {"y": 1, "b": 2}}`
	start := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(input)}))(t)
	done := waitDescribe(t, c, aws.ToString(start.ExecutionArn), types.ExecutionStatusSucceeded)
	want := `{"z":0,"a":{"y":1,"b":2},"r":{"b":1,"a":{"z":1,"y":2}}}`
	if aws.ToString(done.Input) != input || aws.ToString(done.Output) != want {
		t.Errorf("DescribeExecution input %s output %s, want %s", aws.ToString(done.Input), aws.ToString(done.Output), want)
	}
	hist := must(c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn}))(t)
	var entered, exited string
	for _, ev := range hist.Events {
		switch ev.Type {
		case types.HistoryEventTypePassStateEntered:
			entered = aws.ToString(ev.StateEnteredEventDetails.Input)
		case types.HistoryEventTypePassStateExited:
			exited = aws.ToString(ev.StateExitedEventDetails.Output)
		}
	}
	if entered != `{"z":0,"a":{"y":1,"b":2}}` || exited != want {
		t.Errorf("history: entered with %s, exited with %s", entered, exited)
	}
}
