package store_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

// An execution moves by steps, each naming the Seq it was computed from.
// Of two writers that computed a step from the same state, the store
// commits one and refuses the other with ErrConflict, so no transition
// is applied twice. The engine is the only writer of steps; this is what
// it relies on.
func ExampleStore_CommitStep() {
	ctx := context.Background()
	var st store.Store = memstore.New() // every driver answers alike: storetest checks them all
	defer st.Close()

	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	sm := arn.StateMachine("us-east-1", "123456789012", "orders")
	execArn := arn.Execution(sm, "order-7")

	// The execution is stored with its first step: the events it
	// recorded and the timer of its Wait state, in one transaction.
	err := st.StartExecution(ctx, store.StartExecutionParams{
		Execution: &store.Execution{Arn: execArn, StateMachineArn: sm, Name: "order-7", Input: `{}`, StartedAt: t0},
		Step: store.StepParams{
			Events:    []store.Event{{ID: 1, Type: "ExecutionStarted", Timestamp: t0}, {ID: 2, Type: "WaitStateEntered", Timestamp: t0}},
			AddTimers: []store.Timer{{Ref: -1, Kind: store.TimerState, Due: t0.Add(time.Minute)}},
		},
	})
	fmt.Println("start:", err)

	due, _ := st.DueTimers(ctx, store.DueTimersParams{DueBy: t0.Add(time.Hour), Limit: 10})
	fmt.Println("due:", len(due), due[0].Kind, due[0].Due.Sub(t0))

	// The timer fired: a step at Seq 0 applies that input, deletes the
	// timer and ends the execution.
	fired := store.StepParams{
		ExecutionArn: execArn, Seq: 0, Input: []byte(`{"timer":-1}`),
		Events:       []store.Event{{ID: 3, Type: "WaitStateExited"}, {ID: 4, Type: "ExecutionSucceeded"}},
		DeleteTimers: []store.Timer{due[0]},
		Final:        &store.Final{Status: "SUCCEEDED", Output: `{}`, StoppedAt: t0.Add(time.Minute)},
	}
	fmt.Println("step:", st.CommitStep(ctx, fired))
	// A second writer with the same step, computed from the same Seq.
	err = st.CommitStep(ctx, fired)
	fmt.Println("again:", errors.Is(err, store.ErrConflict))

	rec, _ := st.GetExecution(ctx, execArn)
	fmt.Println(rec.Status, "seq", rec.Seq, "events", rec.Events)
	// Output:
	// start: <nil>
	// due: 1 state 1m0s
	// step: <nil>
	// again: true
	// SUCCEEDED seq 1 events 4
}

// Listings are paged by the caller: a Limit is required, and a token is
// the position after the page's last row.
func ExampleStore_ListStateMachines() {
	ctx := context.Background()
	st := memstore.New()
	defer st.Close()
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for i, name := range []string{"billing", "orders", "shipping"} {
		a := arn.StateMachine("us-east-1", "123456789012", name)
		_ = st.CreateStateMachine(ctx, &store.StateMachine{Arn: a, Name: name, Type: "STANDARD", Definition: "{}", Status: "ACTIVE", CreatedAt: t0.Add(time.Duration(i) * time.Second)})
	}

	_, _, err := st.ListStateMachines(ctx, store.ListParams{})
	fmt.Println(errors.Is(err, store.ErrInvalidLimit))

	p := store.ListParams{Limit: 2, ArnPrefix: arn.StatesPrefix("us-east-1", "123456789012")}
	for {
		page, next, err := st.ListStateMachines(ctx, p)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, sm := range page {
			fmt.Print(sm.Name, " ")
		}
		fmt.Printf("(more: %t)\n", next != "")
		if next == "" {
			break
		}
		p.Token = next
	}
	// Output:
	// true
	// billing orders (more: true)
	// shipping (more: false)
}
