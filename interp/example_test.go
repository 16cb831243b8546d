package interp_test

import (
	"fmt"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// A host drives an execution: Start returns the first commands, and each
// event the host reports back through Apply returns the next ones. Here
// the host is the example itself, playing the worker and the clock by
// hand; runner.Run and the engine are the real hosts.
func ExampleMachine_Start() {
	sm, err := asl.Parse([]byte(`{
	  "StartAt": "Charge",
	  "States": {
	    "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	               "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
	               "ResultSelector": {"receipt.$": "$.Payload.id"}, "ResultPath": "$.charge", "Next": "Settle"},
	    "Settle": {"Type": "Wait", "Seconds": 60, "End": true}
	  }
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	m := interp.New(sm, interp.Options{History: true})

	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	x, cmds := m.Start(interp.Info{Name: "order-7", Input: jsonv.ObjectOf("amount", int64(30))}, t0, 1)
	show(cmds)

	// The task ran: its result comes back as an event naming the
	// command's Ref.
	task := cmds[0]
	cmds = x.Apply(interp.Event{Kind: interp.TaskSucceeded, Ref: task.Ref, Time: t0.Add(time.Second),
		Output: jsonv.ObjectOf("Payload", jsonv.ObjectOf("id", "r-1"))})
	show(cmds)

	// The Wait state's timer is due.
	cmds = x.Apply(interp.Event{Kind: interp.TimerFired, Ref: cmds[0].Ref, Time: cmds[0].Due})
	show(cmds)

	fmt.Println(x.Status, string(jsonv.Marshal(x.Output)))
	for _, ev := range x.History {
		fmt.Println(ev.ID, ev.Type)
	}
	// Output:
	// ref 3: run arn:aws:states:::lambda:invoke for Charge with {"FunctionName":"charge","Payload":{"amount":30}}
	// ref -1: start a timer due at 12:01:01
	// no commands
	// SUCCEEDED {"amount":30,"charge":{"receipt":"r-1"}}
	// 1 ExecutionStarted
	// 2 TaskStateEntered
	// 3 TaskScheduled
	// 4 TaskStarted
	// 5 TaskSucceeded
	// 6 TaskStateExited
	// 7 WaitStateEntered
	// 8 WaitStateExited
	// 9 ExecutionSucceeded
}

func show(cmds []interp.Command) {
	for _, c := range cmds {
		switch c.Kind {
		case interp.RunTask:
			fmt.Printf("ref %d: run %s for %s with %s\n", c.Ref, c.Task.Resource, c.Task.StateName, jsonv.Marshal(c.Task.Input))
		case interp.StartTimer:
			fmt.Printf("ref %d: start a timer due at %s\n", c.Ref, c.Due.Format(time.TimeOnly))
		case interp.Cancel:
			fmt.Printf("ref %d: cancel\n", c.Ref)
		}
	}
	if len(cmds) == 0 {
		fmt.Println("no commands")
	}
}
