// Command gofn is a Lambda function built with github.com/aws/aws-lambda-go,
// used by the functions tests to check that such binaries run unchanged.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Mode string `json:"mode"`
	Name string `json:"name"`
}

type response struct {
	Greeting     string `json:"greeting"`
	RequestID    string `json:"requestId"`
	FunctionName string `json:"functionName"`
	FunctionARN  string `json:"functionArn"`
	HasDeadline  bool   `json:"hasDeadline"`
	Count        int    `json:"count"`
	Pid          int    `json:"pid"`
}

// NotFoundError is a custom error type: aws-lambda-go reports its type name.
type NotFoundError struct{ What string }

func (e *NotFoundError) Error() string { return e.What + " not found" }

var count int

func handle(ctx context.Context, ev event) (*response, error) {
	count++
	switch ev.Mode {
	case "error":
		return nil, errors.New("go handler failed")
	case "custom":
		return nil, &NotFoundError{What: ev.Name}
	case "panic":
		panic("go handler panicked")
	case "exit":
		os.Exit(2)
	case "sleep":
		time.Sleep(time.Hour)
	}
	lc, _ := lambdacontext.FromContext(ctx)
	_, hasDeadline := ctx.Deadline()
	fmt.Println("handled", ev.Name)
	return &response{
		Greeting:     "hello " + ev.Name,
		RequestID:    lc.AwsRequestID,
		FunctionName: lambdacontext.FunctionName,
		FunctionARN:  lc.InvokedFunctionArn,
		HasDeadline:  hasDeadline,
		Count:        count,
		Pid:          os.Getpid(),
	}, nil
}

func main() {
	lambda.Start(handle)
}
