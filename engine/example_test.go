package engine_test

import (
	"context"
	"fmt"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
	"github.com/statecraft/statecraft/taskport"

	"github.com/statecraft/statecraft/jsonv"
)

const (
	region  = "us-east-1"
	account = "123456789012"
)

// The engine's life: New on a store, Run in a goroutine of its own (it
// fires the timers), StartExecution, then Done to learn that the
// execution has ended. The record and the history are read back from the
// store, where the engine committed every step. memstore stands in for
// store/sqlite here; the server runs the same calls on SQLite.
func ExampleEngine() {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()

	// Options.Tasks runs the resources the engine does not run itself:
	// here a Lambda function that the program answers.
	greet := taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
		name, _ := req.Input.(*jsonv.Object).Map()["Payload"].(*jsonv.Object).Map()["name"].(string)
		return map[string]any{"Payload": "Hello, " + name}, nil
	})
	eng := engine.New(st, engine.Options{Tasks: greet})
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { _ = eng.Run(runCtx); close(stopped) }()
	defer func() { stop(); <-stopped }()

	// The API stores a machine before it starts executions of it; the
	// engine needs only the record.
	sm := &store.StateMachine{
		Arn: arn.StateMachine(region, account, "greeter"), Name: "greeter", Type: "STANDARD",
		RoleArn: arn.Role(region, account, "greeter"), Status: "ACTIVE", CreatedAt: time.Now(),
		Definition: `{"StartAt": "Greet", "States": {
		  "Greet": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
		            "Parameters": {"FunctionName": "greet", "Payload.$": "$"},
		            "OutputPath": "$.Payload", "End": true}}}`,
	}
	if err := st.CreateStateMachine(ctx, sm); err != nil {
		fmt.Println(err)
		return
	}

	input, err := engine.ParseInput(`{"name": "Ada"}`) // errors.Is(err, engine.ErrInvalidInput) when it is not JSON
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := eng.StartExecution(ctx, sm, "run-1", input, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec.Arn, rec.Status)

	<-eng.Done(ctx, rec.Arn)
	rec, _ = st.GetExecution(ctx, rec.Arn)
	fmt.Println(rec.Status, rec.Output)
	events, _ := st.History(ctx, store.HistoryParams{ExecutionArn: rec.Arn, Limit: 100})
	for _, ev := range events {
		fmt.Println(ev.ID, ev.Type)
	}
	// Output:
	// arn:aws:states:us-east-1:123456789012:execution:greeter:run-1 RUNNING
	// SUCCEEDED "Hello, Ada"
	// 1 ExecutionStarted
	// 2 TaskStateEntered
	// 3 TaskScheduled
	// 4 TaskStarted
	// 5 TaskSucceeded
	// 6 TaskStateExited
	// 7 ExecutionSucceeded
}

// An activity's tasks wait in the store until a worker polls for them;
// the worker answers with the task token, as it would through
// GetActivityTask and SendTaskSuccess on the API.
func ExampleEngine_GetActivityTask() {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	eng := engine.New(st, engine.Options{})
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { _ = eng.Run(runCtx); close(stopped) }()
	defer func() { stop(); <-stopped }()

	activity := arn.Activity(region, account, "review")
	sm := &store.StateMachine{
		Arn: arn.StateMachine(region, account, "approval"), Name: "approval", Type: "STANDARD",
		RoleArn: arn.Role(region, account, "approval"), Status: "ACTIVE", CreatedAt: time.Now(),
		Definition: `{"StartAt": "Review", "States": {
		  "Review": {"Type": "Task", "Resource": "` + activity + `", "ResultPath": "$.review", "End": true}}}`,
	}
	input, _ := engine.ParseInput(`{"document": "contract.pdf"}`)
	rec, err := eng.StartExecution(ctx, sm, "run-1", input, "")
	if err != nil {
		fmt.Println(err)
		return
	}

	// The worker's side.
	task, err := eng.GetActivityTask(ctx, activity, "reviewer-1", 5*time.Second)
	if err != nil || task == nil {
		fmt.Println("no task:", err)
		return
	}
	fmt.Println("task input:", task.Input)
	if err := eng.SendTaskSuccess(ctx, task.Token, `{"approved": true}`); err != nil {
		fmt.Println(err)
		return
	}

	<-eng.Done(ctx, rec.Arn)
	rec, _ = st.GetExecution(ctx, rec.Arn)
	fmt.Println(rec.Status, rec.Output)
	// Output:
	// task input: {"document":"contract.pdf"}
	// SUCCEEDED {"document":"contract.pdf","review":{"approved":true}}
}
