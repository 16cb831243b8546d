package crashkit

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Pick gives the client for a call (picked again when a call is retried).
type Pick func() *sfn.Client

func countExecutions(ctx context.Context, r *Run, pick Pick, smArn string, status types.ExecutionStatus) (int, error) {
	n := 0
	var next *string
	for {
		out, err := Call(ctx, r, "ListExecutions", func(cctx context.Context) (*sfn.ListExecutionsOutput, error) {
			return pick().ListExecutions(cctx, &sfn.ListExecutionsInput{StateMachineArn: &smArn, StatusFilter: status, MaxResults: 1000, NextToken: next})
		})
		if err != nil {
			return 0, err
		}
		n += len(out.Executions)
		if out.NextToken == nil {
			return n, nil
		}
		next = out.NextToken
	}
}

func listNames(ctx context.Context, r *Run, pick Pick, smArn string) (map[string]bool, error) {
	names := map[string]bool{}
	var next *string
	for {
		out, err := Call(ctx, r, "ListExecutions", func(cctx context.Context) (*sfn.ListExecutionsOutput, error) {
			return pick().ListExecutions(cctx, &sfn.ListExecutionsInput{StateMachineArn: &smArn, MaxResults: 1000, NextToken: next})
		})
		if err != nil {
			return nil, err
		}
		for _, x := range out.Executions {
			names[aws.ToString(x.Name)] = true
		}
		if out.NextToken == nil {
			return names, nil
		}
		next = out.NextToken
	}
}

func history(ctx context.Context, r *Run, pick Pick, arn string) ([]types.HistoryEvent, error) {
	var events []types.HistoryEvent
	var next *string
	for {
		out, err := Call(ctx, r, "GetExecutionHistory", func(cctx context.Context) (*sfn.GetExecutionHistoryOutput, error) {
			return pick().GetExecutionHistory(cctx, &sfn.GetExecutionHistoryInput{ExecutionArn: &arn, MaxResults: 50, NextToken: next})
		})
		if err != nil {
			return nil, err
		}
		events = append(events, out.Events...)
		if out.NextToken == nil {
			return events, nil
		}
		next = out.NextToken
	}
}

// reportStuck logs the executions still running and how their histories end.
func (w *Workload) reportStuck(ctx context.Context, t testing.TB, r *Run, pick Pick) {
	shown := 0
	for _, e := range w.Execs {
		d, err := Call(ctx, r, "DescribeExecution", func(cctx context.Context) (*sfn.DescribeExecutionOutput, error) {
			return pick().DescribeExecution(cctx, &sfn.DescribeExecutionInput{ExecutionArn: &e.Arn})
		})
		if err != nil || d.Status != types.ExecutionStatusRunning {
			continue
		}
		if shown++; shown > 10 {
			continue
		}
		events, _ := history(ctx, r, pick, e.Arn)
		var last []string
		for _, ev := range events[max(0, len(events)-6):] {
			last = append(last, fmt.Sprintf("%d %s", ev.Id, ev.Type))
		}
		t.Errorf("%s (%s) still RUNNING; its history ends: %s", e.Name, e.M.Name, strings.Join(last, ", "))
	}
}

var terminalTypes = map[types.HistoryEventType]string{
	types.HistoryEventTypeExecutionSucceeded: "SUCCEEDED",
	types.HistoryEventTypeExecutionFailed:    "FAILED",
	types.HistoryEventTypeExecutionTimedOut:  "TIMED_OUT",
	types.HistoryEventTypeExecutionAborted:   "ABORTED",
}

// check compares an execution with its reference run. It returns what is
// wrong and how many task attempts timed out.
func (w *Workload) check(ctx context.Context, r *Run, pick Pick, e *Execution) (problems []string, timedOut int) {
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	d, err := Call(ctx, r, "DescribeExecution", func(cctx context.Context) (*sfn.DescribeExecutionOutput, error) {
		return pick().DescribeExecution(cctx, &sfn.DescribeExecutionInput{ExecutionArn: &e.Arn})
	})
	if err != nil {
		return []string{fmt.Sprintf("DescribeExecution: %v", err)}, 0
	}
	if aws.ToString(d.Input) != e.Input {
		add("input %s, want %s", aws.ToString(d.Input), e.Input)
	}
	got := Result{Status: string(d.Status), Error: aws.ToString(d.Error), Cause: aws.ToString(d.Cause)}
	if d.Output != nil {
		got.Output = []byte(*d.Output)
	}
	if !SameResult(got, e.Want) {
		add("ended %s, an uninterrupted run %s", Show(got), Show(e.Want))
	}

	events, err := history(ctx, r, pick, e.Arn)
	if err != nil {
		return append(problems, fmt.Sprintf("GetExecutionHistory: %v", err)), 0
	}
	// Ids 1..n, each once, each after the event it follows.
	for k, ev := range events {
		if ev.Id != int64(k+1) {
			add("event %d has id %d", k+1, ev.Id)
			break
		}
		if ev.PreviousEventId < 0 || ev.PreviousEventId >= ev.Id {
			add("event %d (%s) has previousEventId %d", ev.Id, ev.Type, ev.PreviousEventId)
		}
	}
	// Exactly one terminal event, the last, matching the status.
	terminals := 0
	for _, ev := range events {
		if _, ok := terminalTypes[ev.Type]; ok {
			terminals++
		}
	}
	if terminals != 1 {
		add("%d terminal Execution* events, want 1", terminals)
	}
	if len(events) == 0 {
		return append(problems, "empty history"), 0
	}
	if last := events[len(events)-1]; terminalTypes[last.Type] != string(d.Status) {
		add("the last event is %s, the status %s", last.Type, d.Status)
	}
	if e.M.Activity {
		problems = append(problems, checkTaskVisits(events)...)
	}

	// The same events as the reference run, as a multiset: a transition
	// repeated after a restart shows as an extra event, a lost one as a
	// missing event.
	api := make([]map[string]any, len(events))
	for k, ev := range events {
		api[k] = SDKEvent(ev)
	}
	var gotNorm []string
	var attempts map[int]string
	if e.M.Timeouts {
		gotNorm, attempts = withoutTimedOut(api)
	} else {
		for _, ev := range api {
			gotNorm = append(gotNorm, NormEvent(ev))
		}
	}
	want := e.WantHistory
	if len(attempts) > 0 {
		// An attempt that timed out is retried with its own input (a
		// larger $$.State.RetryCount) and may use up another retrier's
		// attempts: the uninterrupted run's history is no longer the one
		// to compare with, but the same run with those attempts timing out.
		_, replay, err := w.runInProcess(e, attempts)
		if err != nil {
			return append(problems, fmt.Sprintf("the reference run with attempts %v timing out: %v", attempts, err)), len(attempts)
		}
		var again map[int]string
		want, again = withoutTimedOut(replay)
		if !reflect.DeepEqual(again, attempts) {
			add("attempts %v timed out, the reference run told to time them out timed out %v", attempts, again)
		}
	}
	problems = append(problems, diffMultiset(gotNorm, want)...)
	return problems, len(attempts)
}

// withoutTimedOut normalises events (in the API's shape), leaving out the
// activity attempts that timed out: their ActivityScheduled, any
// ActivityStarted, and ActivityTimedOut. Whether such an attempt reached a
// worker before it timed out depends on timing. It also returns which
// attempts timed out, numbered from 0 in history order (the machine's
// activity tasks run one at a time), with their errors.
func withoutTimedOut(events []map[string]any) (norm []string, timedOut map[int]string) {
	timedOut = map[int]string{}
	attempt := -1
	var open []string // the events of the attempt in progress
	for _, ev := range events {
		n := NormEvent(ev)
		switch typ, _ := ev["type"].(string); types.HistoryEventType(typ) {
		case types.HistoryEventTypeActivityScheduled:
			attempt++
			norm = append(norm, open...)
			open = []string{n}
		case types.HistoryEventTypeActivityStarted:
			open = append(open, n)
		case types.HistoryEventTypeActivitySucceeded, types.HistoryEventTypeActivityFailed:
			norm = append(append(norm, open...), n)
			open = nil
		case types.HistoryEventTypeActivityTimedOut:
			name := "States.Timeout"
			if det, ok := ev["activityTimedOutEventDetails"].(map[string]any); ok {
				if s, ok := det["error"].(string); ok && s != "" {
					name = s
				}
			}
			timedOut[attempt] = name
			open = nil
		default:
			norm = append(norm, n)
		}
	}
	return append(norm, open...), timedOut
}

// checkTaskVisits checks each visit of a Task state in a machine whose
// tasks run one at a time: every ActivityScheduled is started at most
// once and closed exactly once, and a visit succeeds at most once.
func checkTaskVisits(events []types.HistoryEvent) []string {
	var problems []string
	inVisit, scheduled, started := false, false, false
	succeeded := 0
	for _, ev := range events {
		switch ev.Type {
		case types.HistoryEventTypeTaskStateEntered:
			if inVisit {
				problems = append(problems, fmt.Sprintf("event %d: TaskStateEntered inside a visit of the same Task state", ev.Id))
			}
			inVisit, succeeded = true, 0
		case types.HistoryEventTypeActivityScheduled:
			if scheduled {
				problems = append(problems, fmt.Sprintf("event %d: ActivityScheduled while an attempt is open", ev.Id))
			}
			scheduled, started = true, false
		case types.HistoryEventTypeActivityStarted:
			if !scheduled || started {
				problems = append(problems, fmt.Sprintf("event %d: repeated or unscheduled ActivityStarted", ev.Id))
			}
			started = true
		case types.HistoryEventTypeActivitySucceeded, types.HistoryEventTypeActivityFailed, types.HistoryEventTypeActivityTimedOut:
			if !scheduled {
				problems = append(problems, fmt.Sprintf("event %d: %s without an open attempt", ev.Id, ev.Type))
			}
			if ev.Type == types.HistoryEventTypeActivitySucceeded {
				if succeeded++; succeeded > 1 {
					problems = append(problems, fmt.Sprintf("event %d: a second ActivitySucceeded in one visit", ev.Id))
				}
			}
			scheduled = false
		case types.HistoryEventTypeTaskStateExited:
			if !inVisit || scheduled {
				problems = append(problems, fmt.Sprintf("event %d: TaskStateExited outside a visit or with an attempt open", ev.Id))
			}
			inVisit = false
		}
	}
	return problems
}

// diffMultiset says which normalised events got has more or fewer of
// than want.
func diffMultiset(got, want []string) []string {
	counts := map[string]int{}
	for _, g := range got {
		counts[g]++
	}
	for _, w := range want {
		counts[w]--
	}
	var keys []string
	for k, n := range counts {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var problems []string
	for _, k := range keys {
		if n := counts[k]; n > 0 {
			problems = append(problems, fmt.Sprintf("repeated: %d more than an uninterrupted run: %.300s", n, k))
		} else {
			problems = append(problems, fmt.Sprintf("missing: %d fewer than an uninterrupted run: %.300s", -n, k))
		}
	}
	return problems
}

// CheckServerLog fails on races, panics and error lines in a server's
// output. With errorsAllowed, error lines are only counted and the first
// few logged: a test that cuts the database off expects some. It returns
// the number of error lines.
func CheckServerLog(t testing.TB, path string, errorsAllowed bool) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	errorLines := 0
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "WARNING: DATA RACE"), strings.HasPrefix(line, "panic:"), strings.HasPrefix(line, "fatal error:"):
			t.Errorf("server log: %s (see %s)", line, path)
		case strings.Contains(line, "level=ERROR"):
			// The engine logs at ERROR what it did not expect: a timer
			// it could not fire, an execution it could not rebuild.
			errorLines++
			switch {
			case !errorsAllowed && errorLines <= 20:
				t.Errorf("server log: %s", line)
			case errorsAllowed && errorLines <= 3:
				t.Logf("server log: %s", line)
			}
		}
	}
	if errorLines > 0 && !errorsAllowed {
		t.Errorf("%d error lines in the server log %s", errorLines, path)
	}
	return errorLines
}
