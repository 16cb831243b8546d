package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// exerciseExecutions checks starting, reading and listing executions,
// their inputs and their histories.
func exerciseExecutions(t *testing.T, open func(*testing.T) store.Store) {
	run(t, open, []test{
		{"Start", testExecutionStart},
		{"StartIgnoresStoredFields", testExecutionStartIgnoresStoredFields},
		{"StartWithoutInput", testExecutionStartWithoutInput},
		{"StartDuplicate", testExecutionStartDuplicate},
		{"StartFinal", testExecutionStartFinal},
		{"ParentToken", testExecutionParentToken},
		{"VersionAndAlias", testExecutionVersionAndAlias},
		{"Missing", testExecutionMissing},
		{"List", testExecutionList},
		{"ListEveryMachine", testExecutionListEveryMachine},
		{"ListTokenIsAPosition", testExecutionListTokenIsAPosition},
		{"Inputs", testInputsOrder},
		{"History", testHistoryPaging},
		{"UnknownOwnsNothing", testExecutionUnknownOwnsNothing},
		{"Redrive", testExecutionRedrive},
	})
}

func testExecutionStart(t *testing.T, s store.Store) {
	e := execution("x", at(0))
	step := store.StepParams{
		ExecutionArn: e.Arn,
		Input:        []byte(`{"start":true}`),
		Events:       events(1, 3, at(0)),
		AddTimers:    []store.Timer{{ExecutionArn: e.Arn, Ref: 7, Kind: store.TimerState, Due: at(30)}},
		AddTasks: []store.Task{{
			Token: "tok-1", ExecutionArn: e.Arn, Ref: 2, ActivityArn: "arn:act",
			Input: `{"in":1}`, HeartbeatSeconds: 60, CreatedAt: at(0),
		}},
	}
	startExecution(t, s, e, step)

	got := getExecution(t, s, e.Arn)
	if got.Arn != e.Arn || got.StateMachineArn != e.StateMachineArn || got.Name != e.Name ||
		got.Definition != e.Definition || got.RoleArn != e.RoleArn || got.Input != e.Input ||
		got.TraceHeader != e.TraceHeader || got.Seed != e.Seed {
		t.Errorf("GetExecution = %+v, want %+v", got, e)
	}
	if got.Status != "RUNNING" || got.Output != "" || got.HasError || got.HasCause {
		t.Errorf("new execution status %q output %q hasError %v hasCause %v", got.Status, got.Output, got.HasError, got.HasCause)
	}
	checkTime(t, "StartedAt", got.StartedAt, e.StartedAt)
	checkTime(t, "StoppedAt", got.StoppedAt, time.Time{})
	if got.Seq != 1 || got.Events != 3 {
		t.Errorf("Seq, Events = %d, %d, want 1, 3", got.Seq, got.Events)
	}

	ins, err := s.Inputs(ctxT(t), e.Arn)
	must(t, "Inputs", err)
	if len(ins) != 1 || ins[0].Seq != 1 || string(ins[0].Body) != `{"start":true}` {
		t.Errorf("Inputs = %+v", ins)
	}
	evs := history(t, s, e.Arn)
	if len(evs) != 3 {
		t.Fatalf("History has %d events, want 3", len(evs))
	}
	for i, ev := range evs {
		w := step.Events[i]
		if ev.ID != w.ID || ev.Type != w.Type || string(ev.Body) != string(w.Body) {
			t.Errorf("event %d = %+v, want %+v", i, ev, w)
		}
		checkTime(t, "event Timestamp", ev.Timestamp, w.Timestamp)
	}
	tms := timersOf(t, s, e.Arn)
	if len(tms) != 1 || tms[0].Ref != 7 || tms[0].Kind != store.TimerState {
		t.Errorf("timers = %+v", tms)
	} else {
		checkTime(t, "timer Due", tms[0].Due, at(30))
	}
	task, err := s.GetTask(ctxT(t), "tok-1")
	must(t, "GetTask", err)
	if task.ExecutionArn != e.Arn || task.Ref != 2 || task.ActivityArn != "arn:act" || task.Input != `{"in":1}` ||
		task.Started || task.WorkerName != "" || task.HeartbeatSeconds != 60 {
		t.Errorf("GetTask = %+v", task)
	}
	checkTime(t, "task CreatedAt", task.CreatedAt, at(0))
}

func testExecutionStartWithoutInput(t *testing.T, s store.Store) {
	e := execution("x", at(0))
	startExecution(t, s, e, store.StepParams{Events: events(1, 2, at(0))})
	got := getExecution(t, s, e.Arn)
	if got.Seq != 0 || got.Events != 2 {
		t.Errorf("Seq, Events = %d, %d, want 0, 2", got.Seq, got.Events)
	}
	ins, err := s.Inputs(ctxT(t), e.Arn)
	must(t, "Inputs", err)
	if len(ins) != 0 {
		t.Errorf("Inputs = %+v, want none", ins)
	}
	// The next step names Seq 0.
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 0, Input: []byte("1"), Events: events(3, 1, at(1)),
	}))
	if got := getExecution(t, s, e.Arn); got.Seq != 1 || got.Events != 3 {
		t.Errorf("after step Seq, Events = %d, %d, want 1, 3", got.Seq, got.Events)
	}
}

// testExecutionStartIgnoresStoredFields starts an execution whose record
// says it has ended, with a first step that names another execution and
// Seq: what is stored comes from the step, RUNNING at Seq 0 before it.
func testExecutionStartIgnoresStoredFields(t *testing.T, s store.Store) {
	e := execution("x", at(0))
	e.Status, e.Output, e.Error, e.HasError, e.Cause, e.HasCause = "SUCCEEDED", "1", "E", true, "C", true
	e.StoppedAt, e.Seq, e.Events = at(9), 7, 7
	startExecution(t, s, e, store.StepParams{ExecutionArn: "arn:other", Seq: 4, Input: []byte("1"), Events: events(1, 2, at(0))})
	got := getExecution(t, s, e.Arn)
	if got.Status != "RUNNING" || got.Output != "" || got.Error != "" || got.HasError || got.Cause != "" || got.HasCause ||
		got.Seq != 1 || got.Events != 2 {
		t.Errorf("started execution = %+v", got)
	}
	checkTime(t, "StoppedAt", got.StoppedAt, time.Time{})
	if _, err := s.GetExecution(ctxT(t), "arn:other"); err == nil {
		t.Error("the first step's ExecutionArn was stored as an execution")
	}
	if n := len(history(t, s, e.Arn)); n != 2 {
		t.Errorf("history has %d events, want 2", n)
	}
}

func testExecutionStartDuplicate(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 2)
	dup := execution("x", at(5))
	dup.Input = `{"other":1}`
	err := s.StartExecution(ctxT(t), store.StartExecutionParams{Execution: dup, Step: store.StepParams{
		Input: []byte("dup"), Events: events(1, 5, at(5)),
		AddTimers: []store.Timer{{ExecutionArn: dup.Arn, Ref: 1, Kind: store.TimerState, Due: at(9)}},
	}})
	checkErr(t, "second StartExecution", err, store.ErrAlreadyExists)
	got := getExecution(t, s, e.Arn)
	if got.Input != e.Input || got.Events != 2 || got.Seq != 1 {
		t.Errorf("after duplicate start: %+v", got)
	}
	if n := len(history(t, s, e.Arn)); n != 2 {
		t.Errorf("history has %d events, want 2", n)
	}
	if tms := timersOf(t, s, e.Arn); len(tms) != 0 {
		t.Errorf("duplicate start left timers %+v", tms)
	}
}

func testExecutionStartFinal(t *testing.T, s store.Store) {
	e := execution("x", at(0))
	startExecution(t, s, e, store.StepParams{
		Input: []byte("in"), Events: events(1, 4, at(0)),
		Final: &store.Final{Status: "SUCCEEDED", Output: `{"ok":1}`, StoppedAt: at(1)},
	})
	got := getExecution(t, s, e.Arn)
	if got.Status != "SUCCEEDED" || got.Output != `{"ok":1}` || got.Events != 4 || got.Seq != 1 {
		t.Errorf("execution ended at start = %+v", got)
	}
	checkTime(t, "StoppedAt", got.StoppedAt, at(1))
}

// A nested execution keeps the token of the Task state that started it.
func testExecutionParentToken(t *testing.T, s store.Store) {
	e := execution("child", at(0))
	e.ParentToken = "parent-token.abc"
	startExecution(t, s, e, store.StepParams{})
	if got := getExecution(t, s, e.Arn).ParentToken; got != e.ParentToken {
		t.Fatalf("ParentToken = %q, want %q", got, e.ParentToken)
	}
	top := start(t, s, "top", at(1), 1)
	if got := getExecution(t, s, top.Arn).ParentToken; got != "" {
		t.Fatalf("ParentToken of a top-level execution = %q", got)
	}
}

// testExecutionVersionAndAlias keeps the version and alias an execution
// was started through, and lists by either.
func testExecutionVersionAndAlias(t *testing.T, s store.Store) {
	v1, v2, alias := smArn+":1", smArn+":2", smArn+":prod"
	for i, x := range []struct{ name, version, alias string }{
		{"plain", "", ""},
		{"v1", v1, ""},
		{"via-alias-1", v1, alias},
		{"v2", v2, ""},
		{"via-alias-2", v2, alias},
		{"via-other-alias", v2, smArn + ":beta"},
	} {
		e := execution(x.name, at(i))
		e.StateMachineVersionArn, e.StateMachineAliasArn = x.version, x.alias
		startExecution(t, s, e, store.StepParams{Input: []byte("1")})
		if got := getExecution(t, s, e.Arn); got.StateMachineVersionArn != x.version || got.StateMachineAliasArn != x.alias {
			t.Errorf("%s: version %q alias %q, want %q %q", x.name, got.StateMachineVersionArn, got.StateMachineAliasArn, x.version, x.alias)
		}
	}
	end(t, s, execution("via-alias-2", at(0)), 1, "SUCCEEDED", at(20))
	list := func(version, alias, status string) func(store.ListParams) ([]string, string, error) {
		return func(p store.ListParams) ([]string, string, error) {
			es, next, err := s.ListExecutions(ctxT(t), store.ListExecutionsParams{
				StateMachineArn: smArn, StateMachineVersionArn: version, StateMachineAliasArn: alias, Status: status,
				Limit: p.Limit, Token: p.Token,
			})
			var got []string
			for _, e := range es {
				got = append(got, e.Name)
			}
			return got, next, err
		}
	}
	pageAll(t, []string{"via-other-alias", "via-alias-2", "v2", "via-alias-1", "v1", "plain"}, list("", "", ""))
	pageAll(t, []string{"via-alias-1", "v1"}, list(v1, "", ""))
	pageAll(t, []string{"via-other-alias", "via-alias-2", "v2"}, list(v2, "", ""))
	pageAll(t, []string{"via-alias-2", "via-alias-1"}, list("", alias, ""))
	pageAll(t, []string{"via-alias-1"}, list("", alias, "RUNNING"))
	pageAll(t, []string{"via-alias-2"}, list(v2, alias, ""))
	pageAll(t, []string{}, list(smArn+":3", "", ""))
}

func testExecutionMissing(t *testing.T, s store.Store) {
	_, err := s.GetExecution(ctxT(t), "arn:nope")
	checkErr(t, "GetExecution", err, store.ErrNotFound)
}

func testExecutionList(t *testing.T, s store.Store) {
	es, next, err := s.ListExecutions(ctxT(t), store.ListExecutionsParams{StateMachineArn: smArn, Limit: 5})
	must(t, "ListExecutions (empty)", err)
	if len(es) != 0 || next != "" {
		t.Fatalf("empty listing = %d items, next %q", len(es), next)
	}
	// Newest first, ties broken by ARN descending.
	names := []string{"e", "b", "d", "a", "c", "f"}
	started := []time.Time{at(3), at(1), at(2), at(2), at(1), at(4)}
	want := []string{"f", "e", "d", "a", "c", "b"}
	for i, n := range names {
		start(t, s, n, started[i], 1)
	}
	// f and a end, with different statuses.
	must(t, "CommitStep f", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: execution("f", at(0)).Arn, Seq: 1, Input: []byte("x"),
		Final: &store.Final{Status: "SUCCEEDED", Output: "1", StoppedAt: at(10)},
	}))
	must(t, "CommitStep a", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: execution("a", at(0)).Arn, Seq: 1, Input: []byte("x"),
		Final: &store.Final{Status: "FAILED", Error: "E", HasError: true, StoppedAt: at(10)},
	}))
	// An execution of another state machine is not listed.
	other := execution("other", at(9))
	other.Arn = "arn:aws:states:us-east-1:123456789012:execution:sm2:other"
	other.StateMachineArn = smArn + "2"
	startExecution(t, s, other, store.StepParams{})

	list := func(status string) func(store.ListParams) ([]string, string, error) {
		return func(p store.ListParams) ([]string, string, error) {
			es, next, err := s.ListExecutions(ctxT(t), store.ListExecutionsParams{
				StateMachineArn: smArn, Status: status, Limit: p.Limit, Token: p.Token,
			})
			var got []string
			for _, e := range es {
				got = append(got, e.Name)
			}
			return got, next, err
		}
	}
	pageAll(t, want, list(""))
	pageAll(t, []string{"e", "d", "c", "b"}, list("RUNNING"))
	pageAll(t, []string{"f"}, list("SUCCEEDED"))
	pageAll(t, []string{"a"}, list("FAILED"))

	es, _, err = s.ListExecutions(ctxT(t), store.ListExecutionsParams{StateMachineArn: smArn, Status: "FAILED", Limit: 10})
	must(t, "ListExecutions FAILED", err)
	if len(es) != 1 || es[0].Error != "E" || !es[0].HasError || es[0].Seq != 2 || es[0].Events != 1 {
		t.Errorf("listed failed execution = %+v", es)
	}
	if len(es) == 1 {
		checkTime(t, "listed StartedAt", es[0].StartedAt, at(2))
		checkTime(t, "listed StoppedAt", es[0].StoppedAt, at(10))
	}
}

func testInputsOrder(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 0)
	for seq := int64(1); seq < 12; seq++ {
		must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
			ExecutionArn: e.Arn, Seq: seq, Input: []byte(fmt.Sprintf("input-%d", seq+1)),
		}))
	}
	ins, err := s.Inputs(ctxT(t), e.Arn)
	must(t, "Inputs", err)
	if len(ins) != 12 {
		t.Fatalf("Inputs = %d, want 12", len(ins))
	}
	for i, in := range ins {
		want := fmt.Sprintf("input-%d", i+1)
		if i == 0 {
			want = `"start"`
		}
		if in.Seq != int64(i+1) || string(in.Body) != want {
			t.Errorf("input %d = %d %q, want %d %q", i, in.Seq, in.Body, i+1, want)
		}
	}
}

func testHistoryPaging(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 4)
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"), Events: events(5, 6, at(1)),
	}))
	start(t, s, "y", at(0), 3) // another execution's events are not listed
	cases := []struct {
		p    store.HistoryParams
		want []int64
	}{
		{store.HistoryParams{Limit: 100}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{store.HistoryParams{Limit: 3}, []int64{1, 2, 3}},
		{store.HistoryParams{AfterID: 3, Limit: 3}, []int64{4, 5, 6}},
		{store.HistoryParams{AfterID: 9, Limit: 3}, []int64{10}},
		{store.HistoryParams{AfterID: 10, Limit: 100}, nil},
		{store.HistoryParams{Reverse: true, Limit: 100}, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{store.HistoryParams{Reverse: true, Limit: 3}, []int64{10, 9, 8}},
		{store.HistoryParams{Reverse: true, AfterID: 8, Limit: 3}, []int64{7, 6, 5}},
		{store.HistoryParams{Reverse: true, AfterID: 3, Limit: 100}, []int64{2, 1}},
		{store.HistoryParams{Reverse: true, AfterID: 1, Limit: 100}, nil},
	}
	for _, c := range cases {
		c.p.ExecutionArn = e.Arn
		evs, err := s.History(ctxT(t), c.p)
		must(t, "History", err)
		if got := ids(evs); !slices.Equal(got, c.want) {
			t.Errorf("History(after %d, reverse %v, limit %d) = %v, want %v",
				c.p.AfterID, c.p.Reverse, c.p.Limit, got, c.want)
		}
	}
	// Every page, from anywhere inside a step's events, with each event
	// whole: a store may keep a step's events together.
	all := append(events(1, 4, at(0)), events(5, 6, at(1))...)
	for after := int64(0); after <= 11; after++ {
		for limit := 1; limit <= 11; limit++ {
			for _, reverse := range []bool{false, true} {
				var want []store.Event
				for _, ev := range all {
					if !reverse && ev.ID > after {
						want = append(want, ev)
					}
					if reverse && (after == 0 || ev.ID < after) {
						want = append([]store.Event{ev}, want...)
					}
				}
				want = want[:min(limit, len(want))]
				got, err := s.History(ctxT(t), store.HistoryParams{ExecutionArn: e.Arn, AfterID: after, Reverse: reverse, Limit: limit})
				must(t, "History", err)
				if !sameEvents(got, want) {
					t.Errorf("History(after %d, reverse %v, limit %d) = %v, want %v", after, reverse, limit, got, want)
				}
			}
		}
	}
}

// sameEvents compares events by ID, Type, Timestamp (to the microsecond,
// PostgreSQL's) and Body.
func sameEvents(a, b []store.Event) bool {
	return slices.EqualFunc(a, b, func(x, y store.Event) bool {
		return x.ID == y.ID && x.Type == y.Type && string(x.Body) == string(y.Body) &&
			x.Timestamp.Truncate(time.Microsecond).Equal(y.Timestamp.Truncate(time.Microsecond))
	})
}

// testExecutionListEveryMachine lists without a StateMachineArn: every
// machine's executions, newest first.
func testExecutionListEveryMachine(t *testing.T, s store.Store) {
	a := start(t, s, "a", at(1), 1)
	other := execution("b", at(2))
	other.Arn = "arn:aws:states:us-east-1:123456789012:execution:sm2:b"
	other.StateMachineArn = smArn + "2"
	startExecution(t, s, other, store.StepParams{})
	end(t, s, a, 1, "SUCCEEDED", at(3))
	list := func(status string) func(store.ListParams) ([]string, string, error) {
		return func(p store.ListParams) ([]string, string, error) {
			es, next, err := s.ListExecutions(ctxT(t), store.ListExecutionsParams{Status: status, Limit: p.Limit, Token: p.Token})
			var got []string
			for _, e := range es {
				got = append(got, e.Name)
			}
			return got, next, err
		}
	}
	pageAll(t, []string{"b", "a"}, list(""))
	pageAll(t, []string{"b"}, list("RUNNING"))
	pageAll(t, []string{"a"}, list("SUCCEEDED"))
}

// testExecutionListTokenIsAPosition purges the last execution of a page:
// the next page goes on after its place.
func testExecutionListTokenIsAPosition(t *testing.T, s store.Store) {
	for i, name := range []string{"a", "b", "c", "d"} {
		e := start(t, s, name, at(i), 1)
		if name == "c" {
			end(t, s, e, 1, "SUCCEEDED", at(10))
		}
	}
	page, next, err := s.ListExecutions(ctxT(t), store.ListExecutionsParams{StateMachineArn: smArn, Limit: 2})
	must(t, "ListExecutions", err)
	if len(page) != 2 || page[1].Name != "c" || next == "" {
		t.Fatalf("first page = %d rows, next %q", len(page), next)
	}
	n, err := s.PurgeExecutions(ctxT(t), store.PurgeParams{StoppedBefore: at(100), Limit: 10})
	if err != nil || n != 1 {
		t.Fatalf("PurgeExecutions = %d, %v; want c purged", n, err)
	}
	page, next, err = s.ListExecutions(ctxT(t), store.ListExecutionsParams{StateMachineArn: smArn, Limit: 10, Token: next})
	must(t, "ListExecutions after the token", err)
	var got []string
	for _, e := range page {
		got = append(got, e.Name)
	}
	if !slices.Equal(got, []string{"b", "a"}) || next != "" {
		t.Errorf("next page = %v (next %q), want [b a]", got, next)
	}
	_, _, err = s.ListExecutions(ctxT(t), store.ListExecutionsParams{StateMachineArn: smArn, Limit: 1, Token: "!!not a token!!"})
	checkErr(t, "ListExecutions with a garbage token", err, store.ErrInvalidToken)
}

// testExecutionUnknownOwnsNothing reads what an unknown execution owns:
// nothing, and no error.
func testExecutionUnknownOwnsNothing(t *testing.T, s store.Store) {
	start(t, s, "x", at(0), 3)
	ins, err := s.Inputs(ctxT(t), "arn:nope")
	if err != nil || len(ins) != 0 {
		t.Errorf("Inputs of an unknown execution = %+v, %v", ins, err)
	}
	evs, err := s.History(ctxT(t), store.HistoryParams{ExecutionArn: "arn:nope", Limit: 10})
	if err != nil || len(evs) != 0 {
		t.Errorf("History of an unknown execution = %+v, %v", evs, err)
	}
}

// A step's Redrive reopens an execution that ended unsuccessfully; the
// redrive's count and date are stored, listed and filtered on.
func testExecutionRedrive(t *testing.T, s store.Store) {
	e := start(t, s, "r", at(0), 1)
	plain := start(t, s, "plain", at(1), 1)
	ok := start(t, s, "ok", at(2), 1)
	got := getExecution(t, s, e.Arn)
	if got.RedriveCount != 0 || !got.RedriveDate.IsZero() {
		t.Fatalf("new execution: redrive count %d date %v", got.RedriveCount, got.RedriveDate)
	}
	redrive := func(seq int64, at time.Time, ev int, final *store.Final) error {
		return s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: seq, Input: []byte(`"redrive"`),
			Redrive: &store.Redrive{At: at}, Events: events(ev, 1, at), Final: final,
			AddTimers: []store.Timer{{Ref: -1, Kind: store.TimerState, Due: at.Add(time.Hour)}}})
	}
	// Running: nothing to redrive.
	checkErr(t, "redrive of a running execution", redrive(1, at(5), 2, nil), store.ErrConflict)
	must(t, "CommitStep fail", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte("x"),
		Events: events(2, 1, at(6)), Final: &store.Final{Status: "FAILED", Error: "E", HasError: true, Cause: "C", HasCause: true, StoppedAt: at(6)}}))
	end(t, s, ok, 1, "SUCCEEDED", at(6))
	checkErr(t, "redrive of a succeeded execution", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: ok.Arn, Seq: 1,
		Input: []byte("x"), Redrive: &store.Redrive{At: at(7)}}), store.ErrConflict)
	checkErr(t, "redrive at a stale seq", redrive(1, at(7), 3, nil), store.ErrConflict)

	must(t, "redrive", redrive(2, at(8), 3, nil))
	got = getExecution(t, s, e.Arn)
	if got.Status != "RUNNING" || got.HasError || got.Error != "" || got.HasCause || got.Cause != "" || !got.StoppedAt.IsZero() ||
		got.RedriveCount != 1 || got.Seq != 3 || got.Events != 3 {
		t.Errorf("redriven execution = %+v", got)
	}
	checkTime(t, "RedriveDate", got.RedriveDate, at(8))
	if ts := timersOf(t, s, e.Arn); len(ts) != 1 {
		t.Errorf("timers after the redrive = %+v", ts)
	}
	// It steps on as any running execution, and may be redriven again
	// once it has ended again, in a step that ends it once more.
	must(t, "CommitStep after redrive", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Input: []byte("y"),
		Events: events(4, 1, at(9)), Final: &store.Final{Status: "ABORTED", StoppedAt: at(9)}}))
	must(t, "second redrive", redrive(4, at(10), 5, &store.Final{Status: "FAILED", Error: "E2", HasError: true, StoppedAt: at(11)}))
	got = getExecution(t, s, e.Arn)
	if got.Status != "FAILED" || got.Error != "E2" || got.RedriveCount != 2 || got.Events != 5 {
		t.Errorf("twice redriven execution = %+v", got)
	}
	checkTime(t, "second RedriveDate", got.RedriveDate, at(10))
	checkTime(t, "StoppedAt", got.StoppedAt, at(11))
	if ts := timersOf(t, s, e.Arn); len(ts) != 0 {
		t.Errorf("timers of the ended execution = %+v", ts)
	}

	list := func(filter string) func(store.ListParams) ([]string, string, error) {
		return func(p store.ListParams) ([]string, string, error) {
			es, next, err := s.ListExecutions(ctxT(t), store.ListExecutionsParams{
				StateMachineArn: smArn, Redriven: filter, Limit: p.Limit, Token: p.Token,
			})
			var names []string
			for _, x := range es {
				names = append(names, x.Name)
				if x.Name == "r" {
					if x.RedriveCount != 2 {
						t.Errorf("listed redriven execution = %+v", x)
					}
					checkTime(t, "listed RedriveDate", x.RedriveDate, at(10))
				}
			}
			return names, next, err
		}
	}
	pageAll(t, []string{"ok", "plain", "r"}, list(""))
	pageAll(t, []string{"r"}, list("REDRIVEN"))
	pageAll(t, []string{"ok", "plain"}, list("NOT_REDRIVEN"))
	if p := getExecution(t, s, plain.Arn); p.RedriveCount != 0 || !p.RedriveDate.IsZero() {
		t.Errorf("execution never redriven = %+v", p)
	}
}
