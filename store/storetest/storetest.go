// Package storetest is the conformance suite of store.Store, after River's
// riverdrivertest: one suite that every driver runs, so that a driver is
// held to the contract store.Store's doc states and not to what another
// driver happens to do. A driver's test is one line:
//
//	func TestStore(t *testing.T) { storetest.Exercise(t, open) }
//
// where open returns a new, empty store each call and closes it in
// t.Cleanup. The suite adds no rule to the contract; each file checks one
// area of it: resources (state machines, activities, tags), versions,
// aliases, executions, steps, timers, tasks, purge, Map Runs, limits, and notifications and
// shard leases for a driver that several nodes share, and CloudFormation
// stacks.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// Exercise runs the whole suite on the stores open returns; each subtest
// gets a store of its own.
func Exercise(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	for _, area := range []struct {
		name string
		run  func(*testing.T, func(*testing.T) store.Store)
	}{
		{"Resources", exerciseResources},
		{"Versions", exerciseVersions},
		{"Aliases", exerciseAliases},
		{"Executions", exerciseExecutions},
		{"Steps", exerciseSteps},
		{"Timers", exerciseTimers},
		{"Tasks", exerciseTasks},
		{"Purge", exercisePurge},
		{"MapRuns", exerciseMapRuns},
		{"Limits", exerciseLimits},
		{"Notifier", exerciseNotifier},
		{"Cluster", exerciseCluster},
		{"Stacks", exerciseStacks},
	} {
		t.Run(area.name, func(t *testing.T) { area.run(t, open) })
	}
}

// test is one subtest of an area, run on a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

func run(t *testing.T, open func(*testing.T) store.Store, tests []test) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// base is a time with sub-millisecond digits in a zone other than UTC, so
// that precision and the conversion to UTC are both exercised.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535_897_932, time.FixedZone("X", 5*3600+1800))

func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

func ctxT(t *testing.T) context.Context { return t.Context() }

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if want.IsZero() {
		if !got.IsZero() {
			t.Errorf("%s = %v, want zero", what, got)
		}
		return
	}
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
	if d := got.Sub(want); d >= time.Millisecond || d <= -time.Millisecond {
		t.Errorf("%s = %v, want %v", what, got, want.UTC())
	}
}

func checkErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func stateMachine(name string, created time.Time) *store.StateMachine {
	return &store.StateMachine{
		Arn:         "arn:aws:states:us-east-1:123456789012:stateMachine:" + name,
		Name:        name,
		Type:        "STANDARD",
		Definition:  `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
		RoleArn:     "arn:aws:iam::123456789012:role/r",
		Status:      "ACTIVE",
		RevisionID:  "rev-1",
		Logging:     `{"level":"OFF"}`,
		Tracing:     `{"enabled":false}`,
		Description: "desc",
		CreatedAt:   created,
		UpdatedAt:   created,
	}
}

func activity(name string, created time.Time) *store.Activity {
	return &store.Activity{
		Arn:       "arn:aws:states:us-east-1:123456789012:activity:" + name,
		Name:      name,
		CreatedAt: created,
	}
}

const smArn = "arn:aws:states:us-east-1:123456789012:stateMachine:sm"

func execution(name string, started time.Time) *store.Execution {
	return &store.Execution{
		Arn:             "arn:aws:states:us-east-1:123456789012:execution:sm:" + name,
		StateMachineArn: smArn,
		Name:            name,
		Definition:      `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
		RoleArn:         "arn:aws:iam::123456789012:role/r",
		Input:           `{"n":1}`,
		Status:          "RUNNING",
		TraceHeader:     "Root=1-abc",
		Seed:            0xfedcba9876543210, // high bit set: must survive a signed column
		StartedAt:       started,
	}
}

func events(from, n int, ts time.Time) []store.Event {
	var out []store.Event
	for i := range n {
		id := int64(from + i)
		out = append(out, store.Event{
			ID:        id,
			Type:      "PassStateEntered",
			Timestamp: ts.Add(time.Duration(i) * time.Millisecond),
			Body:      fmt.Appendf(nil, `{"id":%d}`, id),
		})
	}
	return out
}

// startExecution starts e with step as its first.
func startExecution(t *testing.T, s store.Store, e *store.Execution, step store.StepParams) {
	t.Helper()
	must(t, "StartExecution "+e.Name, s.StartExecution(ctxT(t), store.StartExecutionParams{Execution: e, Step: step}))
}

// start starts an execution whose first step applied input 1 and wrote
// events 1..n; it is then at Seq 1 with n events.
func start(t *testing.T, s store.Store, name string, started time.Time, n int) *store.Execution {
	t.Helper()
	e := execution(name, started)
	startExecution(t, s, e, store.StepParams{Input: []byte(`"start"`), Events: events(1, n, started)})
	return e
}

// end ends a running execution at stopped with a step that adds no input.
func end(t *testing.T, s store.Store, e *store.Execution, seq int64, status string, stopped time.Time) {
	t.Helper()
	must(t, "end "+e.Name, s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: seq,
		Events: events(100, 1, stopped), Final: &store.Final{Status: status, Output: "{}", StoppedAt: stopped}}))
}

func getExecution(t *testing.T, s store.Store, arn string) *store.Execution {
	t.Helper()
	e, err := s.GetExecution(ctxT(t), arn)
	must(t, "GetExecution", err)
	return e
}

// history reads a whole history, a page at a time.
func history(t *testing.T, s store.Store, arn string) []store.Event {
	t.Helper()
	var out []store.Event
	for {
		after := int64(0)
		if len(out) > 0 {
			after = out[len(out)-1].ID
		}
		page, err := s.History(ctxT(t), store.HistoryParams{ExecutionArn: arn, AfterID: after, Limit: 4})
		must(t, "History", err)
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
	}
}

func ids(evs []store.Event) []int64 {
	var out []int64
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

// timersOf lists an execution's timers, earliest first.
func timersOf(t *testing.T, s store.Store, arn string) []store.Timer {
	t.Helper()
	all, err := s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(1_000_000_000), Limit: 10_000})
	must(t, "DueTimers", err)
	var out []store.Timer
	for _, tm := range all {
		if tm.ExecutionArn == arn {
			out = append(out, tm)
		}
	}
	return out
}

// pageAll checks a listing returns want in order, in pages of 1, 2,
// exactly len(want) (one page, no next token) and more.
func pageAll(t *testing.T, want []string, list func(store.ListParams) ([]string, string, error)) {
	t.Helper()
	for _, limit := range []int{1, 2, len(want), len(want) + 5} {
		if limit == 0 {
			continue
		}
		var all []string
		tok := ""
		for pages := 0; ; pages++ {
			if pages > len(want) {
				t.Fatalf("limit %d: paging does not end", limit)
			}
			page, next, err := list(store.ListParams{Limit: limit, Token: tok})
			must(t, fmt.Sprintf("list limit %d", limit), err)
			if len(page) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(page))
			}
			if next != "" && len(page) < limit {
				t.Fatalf("limit %d: a short page (%d) with a next token", limit, len(page))
			}
			if pages > 0 && len(page) == 0 {
				t.Fatalf("limit %d: a next token led to an empty page", limit)
			}
			all = append(all, page...)
			if next == "" {
				break
			}
			tok = next
		}
		if !slices.Equal(all, want) {
			t.Errorf("limit %d: pages gave %v, want %v", limit, all, want)
		}
	}
}
