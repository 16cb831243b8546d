package runner_test

import (
	"context"
	"fmt"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/mocks"
	"github.com/statecraft/statecraft/runner"
	"github.com/statecraft/statecraft/taskport"
)

// The sequence of `statecraft run` (cli/run.go): validate and parse the
// definition, name the execution, prepare a machine, and run it with a
// mock file's test case serving the Task states. FastForward jumps the
// clock over the Wait state and the retry's back-off instead of sleeping.
func ExampleRun() {
	def := []byte(`{
	  "StartAt": "SendMessage",
	  "States": {
	    "SendMessage": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:send",
	                    "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 30}],
	                    "ResultPath": "$.sent", "Next": "Wait"},
	    "Wait":        {"Type": "Wait", "Seconds": 3600, "End": true}
	  }
	}`)
	mockFile := []byte(`{
	  "StateMachines": {"Onboarding": {"TestCases": {"RetryThenSucceed": {"SendMessage": "FailsOnce"}}}},
	  "MockedResponses": {"FailsOnce": {
	    "0": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "try again"}},
	    "1": {"Return": {"messageId": "m-1"}}
	  }}
	}`)

	if problems := asl.Validate(def, asl.ValidateOptions{}); problems != nil {
		fmt.Println(problems)
		return
	}
	sm, err := asl.Parse(def)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := mocks.Parse(mockFile)
	if err != nil {
		fmt.Println(err)
		return
	}
	tc, err := cfg.TestCase("Onboarding", "RetryThenSucceed")
	if err != nil {
		fmt.Println(err)
		return
	}

	smArn := arn.StateMachine("us-east-1", "123456789012", "Onboarding")
	info := interp.Info{
		ExecutionArn:     arn.Execution(smArn, "run-1"),
		Name:             "run-1",
		StateMachineArn:  smArn,
		StateMachineName: "Onboarding",
		RoleArn:          arn.Role("us-east-1", "123456789012", "statecraft-run"),
		Region:           "us-east-1",
		Input:            map[string]any{"user": "ada"},
	}
	m := interp.New(sm, interp.Options{History: true, MaxEvents: interp.DefaultMaxEvents})
	res, err := runner.Run(context.Background(), m, runner.Options{Info: info, Tasks: tc.Port(), FastForward: true})
	if err != nil {
		fmt.Println(err) // the run could not go on: a Task no port serves, say
		return
	}
	fmt.Println(res.Status, string(jsonv.Marshal(res.Output)))
	for _, ev := range res.History {
		fmt.Printf("%-24s +%s\n", ev.Type, ev.Timestamp.Sub(res.History[0].Timestamp))
	}
	// Output:
	// SUCCEEDED {"user":"ada","sent":{"messageId":"m-1"}}
	// ExecutionStarted         +0s
	// TaskStateEntered         +0s
	// LambdaFunctionScheduled  +0s
	// LambdaFunctionStarted    +0s
	// LambdaFunctionFailed     +0s
	// LambdaFunctionScheduled  +30s
	// LambdaFunctionStarted    +30s
	// LambdaFunctionSucceeded  +30s
	// TaskStateExited          +30s
	// WaitStateEntered         +30s
	// WaitStateExited          +1h0m30s
	// ExecutionSucceeded       +1h0m30s
}

// Any taskport.Port serves the Task states: here a function of the
// program itself. A *taskport.Failure fails the task, which Retry and
// Catch then see as they would an AWS error.
func ExampleRun_port() {
	sm, err := asl.Parse([]byte(`{
	  "StartAt": "Quote",
	  "States": {
	    "Quote": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	              "Parameters": {"FunctionName": "quote", "Payload": {"sku.$": "$.sku"}},
	              "OutputPath": "$.Payload",
	              "Catch": [{"ErrorEquals": ["UnknownSku"], "ResultPath": "$.error", "Next": "NotFound"}],
	              "End": true},
	    "NotFound": {"Type": "Fail", "Error": "NotFound", "CausePath": "$.error.Cause"}
	  }
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	prices := map[string]int64{"apple": 3}
	quote := taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
		sku, _ := req.Input.(*jsonv.Object).Map()["Payload"].(*jsonv.Object).Map()["sku"].(string)
		p, ok := prices[sku]
		if !ok {
			return nil, taskport.Fail("UnknownSku", "no price for "+sku)
		}
		return map[string]any{"Payload": map[string]any{"sku": sku, "price": p}}, nil
	})
	m := interp.New(sm, interp.Options{})
	for _, sku := range []string{"apple", "pear"} {
		res, err := runner.Run(context.Background(), m, runner.Options{
			Info:  interp.Info{Input: map[string]any{"sku": sku}},
			Tasks: quote,
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		if res.Status == interp.Succeeded {
			fmt.Println(res.Status, string(jsonv.Marshal(res.Output)))
		} else {
			fmt.Println(res.Status, res.Error, res.Cause)
		}
	}
	// Output:
	// SUCCEEDED {"price":3,"sku":"apple"}
	// FAILED NotFound no price for pear
}
