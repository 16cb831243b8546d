package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store/sqlite"
)

// A server in a test: the API on a SQLite store and a running engine,
// behind httptest on 127.0.0.1, called with the unmodified AWS SDK. With
// no Options.Auth the API accepts the development pair local/local from
// loopback, which authtest.Credentials("", "") gives the SDK; every
// request is SigV4-signed as against AWS.
func ExampleNew() {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)

	dir, err := os.MkdirTemp("", "statecraft-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(filepath.Join(dir, "statecraft.db"), sqlite.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	eng := engine.New(st, engine.Options{Log: quiet})
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { _ = eng.Run(runCtx); close(stopped) }()
	defer func() { stop(); <-stopped }() // runs before st.Close: the engine goes first

	srv := httptest.NewServer(api.New(st, eng, api.Options{Log: quiet}))
	defer srv.Close()

	client := sfn.New(sfn.Options{
		Region:       "us-east-1", // the region the requests are signed for, and so the one they work in
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  authtest.Credentials("", ""),
	})

	created, err := client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name:    aws.String("hello"),
		RoleArn: aws.String(arn.Role("us-east-1", "123456789012", "hello")),
		Definition: aws.String(`{"StartAt": "Greet", "States": {
		  "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('Hello, {}', $.name)"}, "Next": "Pause"},
		  "Pause": {"Type": "Wait", "Seconds": 1, "End": true}}}`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	started, err := client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: created.StateMachineArn,
		Input:           aws.String(`{"name": "Ada"}`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// StartExecution answers at once; the execution runs on the engine.
	var out *sfn.DescribeExecutionOutput
	for {
		out, err = client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
		if err != nil || out.Status != types.ExecutionStatusRunning {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.Status, aws.ToString(out.Output))

	history, err := client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range history.Events {
		fmt.Println(ev.Id, ev.Type)
	}
	// Output:
	// SUCCEEDED {"greeting":"Hello, Ada"}
	// 1 ExecutionStarted
	// 2 PassStateEntered
	// 3 PassStateExited
	// 4 WaitStateEntered
	// 5 WaitStateExited
	// 6 ExecutionSucceeded
}
