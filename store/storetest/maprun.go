package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// exerciseMapRuns checks the Map Runs and children a step writes: upserts
// by ARN, the listings, atomicity with the step, and purging.
func exerciseMapRuns(t *testing.T, open func(*testing.T) store.Store) {
	run(t, open, []test{
		{"Write", testMapRunWrite},
		{"ListMapRuns", testMapRunList},
		{"Children", testMapRunChildren},
		{"ConflictWritesNothing", testMapRunConflict},
		{"Purge", testMapRunPurge},
		{"Redrive", testMapRunRedrive},
		{"AfterEnd", testMapRunAfterEnd},
	})
}

const mapRunBase = "arn:aws:states:us-east-1:123456789012:mapRun:sm/L:"

func mapRun(id string, started time.Time) store.MapRun {
	return store.MapRun{
		Arn: mapRunBase + id, ExecutionArn: "ignored", StateMachineArn: smArn + "/L", Status: "RUNNING",
		StartedAt: started, MaxConcurrency: 1, ToleratedFailurePercentage: 12.5, ToleratedFailureCount: 3,
		ItemCounts:      store.MapRunCounts{Pending: 9, Running: 1, Total: 10},
		ExecutionCounts: store.MapRunCounts{Pending: 4, Running: 1, Total: 5},
	}
}

func child(run, name string, started time.Time) store.MapRunExecution {
	return store.MapRunExecution{
		Arn: "arn:aws:states:us-east-1:123456789012:execution:sm/L:" + name, MapRunArn: mapRunBase + run,
		StateMachineArn: smArn + "/L", Name: name, Status: "RUNNING", StartedAt: started, ItemCount: 3,
		Input: `{"item":"` + name + `"}`,
	}
}

func testMapRunWrite(t *testing.T, s store.Store) {
	e := execution("p", at(0))
	r := mapRun("1", at(1))
	startExecution(t, s, e, store.StepParams{Input: []byte(`"start"`), Events: events(1, 1, at(0)), MapRuns: []store.MapRun{r}})
	got, err := s.GetMapRun(ctxT(t), r.Arn)
	must(t, "GetMapRun", err)
	if got.ExecutionArn != e.Arn || got.StateMachineArn != r.StateMachineArn || got.Status != "RUNNING" ||
		got.MaxConcurrency != 1 || got.ToleratedFailurePercentage != 12.5 || got.ToleratedFailureCount != 3 ||
		got.ItemCounts != r.ItemCounts || got.ExecutionCounts != r.ExecutionCounts {
		t.Fatalf("GetMapRun = %+v", got)
	}
	checkTime(t, "StartedAt", got.StartedAt, r.StartedAt)
	checkTime(t, "StoppedAt", got.StoppedAt, time.Time{})
	// A later step replaces it whole.
	r.Status, r.StoppedAt, r.MaxConcurrency = "SUCCEEDED", at(5), 7
	r.ItemCounts = store.MapRunCounts{Succeeded: 10, Total: 10, ResultsWritten: 10}
	must(t, "step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte(`"x"`), MapRuns: []store.MapRun{r}}))
	got, err = s.GetMapRun(ctxT(t), r.Arn)
	must(t, "GetMapRun", err)
	if got.Status != "SUCCEEDED" || got.MaxConcurrency != 7 || got.ItemCounts != r.ItemCounts {
		t.Fatalf("after the update: %+v", got)
	}
	checkTime(t, "StoppedAt", got.StoppedAt, at(5))
	checkTime(t, "StartedAt", got.StartedAt, at(1))
	if _, err := s.GetMapRun(ctxT(t), mapRunBase+"none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetMapRun of none: %v", err)
	}
}

func testMapRunList(t *testing.T, s store.Store) {
	e := start(t, s, "p", at(0), 1)
	other := start(t, s, "q", at(0), 1)
	var runs []store.MapRun
	var want []string
	for i := range 5 {
		r := mapRun(fmt.Sprint(i), at(10+i/2)) // ties broken by ARN
		runs = append(runs, r)
	}
	for i := 4; i >= 0; i-- {
		want = append(want, runs[i].Arn)
	}
	must(t, "step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte(`"x"`), MapRuns: runs}))
	must(t, "other", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: other.Arn, Seq: 1, Input: []byte(`"x"`), MapRuns: []store.MapRun{mapRun("other", at(11))}}))
	pageAll(t, want, func(p store.ListParams) ([]string, string, error) {
		rs, next, err := s.ListMapRuns(ctxT(t), store.ListMapRunsParams{ExecutionArn: e.Arn, Limit: p.Limit, Token: p.Token})
		var out []string
		for _, r := range rs {
			out = append(out, r.Arn)
		}
		return out, next, err
	})
	rs, next, err := s.ListMapRuns(ctxT(t), store.ListMapRunsParams{ExecutionArn: e.Arn + "none", Limit: 5})
	if err != nil || len(rs) != 0 || next != "" {
		t.Fatalf("ListMapRuns of an unknown execution: %v %q %v", rs, next, err)
	}
	if _, _, err := s.ListMapRuns(ctxT(t), store.ListMapRunsParams{ExecutionArn: e.Arn}); !errors.Is(err, store.ErrInvalidLimit) {
		t.Fatalf("no limit: %v", err)
	}
}

func testMapRunChildren(t *testing.T, s store.Store) {
	e := start(t, s, "p", at(0), 1)
	r := mapRun("1", at(1))
	var kids []store.MapRunExecution
	for i := range 300 {
		kids = append(kids, child("1", fmt.Sprintf("c%03d", i), at(2+i%7)))
	}
	must(t, "step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte(`"x"`), MapRuns: []store.MapRun{r}, MapRunExecutions: kids}))
	// Some end, one of them listed twice in the step: the last wins.
	// A later step's write has no Input: the stored one stays.
	done := []store.MapRunExecution{kids[0], kids[1], kids[1]}
	for i := range done {
		done[i].Input = ""
	}
	done[0].Status, done[0].StoppedAt, done[0].Output = "SUCCEEDED", at(20), `{"ok":1}`
	done[1].Status, done[1].StoppedAt = "ABORTED", at(20)
	done[2].Status, done[2].StoppedAt, done[2].Error, done[2].Cause, done[2].HasCause = "FAILED", at(21), "E", "", true
	must(t, "step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte(`"y"`), MapRunExecutions: done}))
	got, err := s.GetMapRunExecution(ctxT(t), kids[1].Arn)
	must(t, "GetMapRunExecution", err)
	if got.Status != "FAILED" || got.ExecutionArn != e.Arn || got.MapRunArn != r.Arn || got.Name != "c001" || got.StateMachineArn != smArn+"/L" ||
		got.Input != `{"item":"c001"}` || got.Output != "" || got.ItemCount != 3 || got.Error != "E" || got.Cause != "" || !got.HasCause {
		t.Fatalf("child = %+v", got)
	}
	if got, err := s.GetMapRunExecution(ctxT(t), kids[0].Arn); err != nil || got.Input != `{"item":"c000"}` || got.Output != `{"ok":1}` || got.Error != "" || got.HasCause {
		t.Fatalf("succeeded child = %+v, %v", got, err)
	}
	// Created and ended in one step: the input of its first write stays.
	late := child("1", "late", at(30))
	ended := late
	ended.Input, ended.Status, ended.StoppedAt = "", "SUCCEEDED", at(30)
	must(t, "step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Input: []byte(`"z"`), MapRunExecutions: []store.MapRunExecution{late, ended}}))
	if got, err := s.GetMapRunExecution(ctxT(t), late.Arn); err != nil || got.Input != late.Input || got.Status != "SUCCEEDED" {
		t.Fatalf("child created and ended in one step = %+v, %v", got, err)
	}
	checkTime(t, "StoppedAt", got.StoppedAt, at(21))
	checkTime(t, "StartedAt", got.StartedAt, kids[1].StartedAt)
	list := func(status string, limit int, token string) ([]*store.MapRunExecution, string) {
		cs, next, err := s.ListMapRunExecutions(ctxT(t), store.ListMapRunExecutionsParams{MapRunArn: r.Arn, Status: status, Limit: limit, Token: token})
		must(t, "ListMapRunExecutions", err)
		return cs, next
	}
	var all []*store.MapRunExecution
	tok := ""
	for {
		cs, next := list("", 64, tok)
		all = append(all, cs...)
		if next == "" {
			break
		}
		tok = next
	}
	if len(all) != 301 {
		t.Fatalf("listed %d children, want 301", len(all))
	}
	for _, c := range all {
		if c.ItemCount != 3 {
			t.Fatalf("listed item count: %+v", c)
		}
		if c.Input != "" || c.Output != "" {
			t.Fatalf("a listing read the child's input and output: %+v", c)
		}
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.StartedAt.Before(b.StartedAt) || (a.StartedAt.Equal(b.StartedAt) && a.Arn < b.Arn) {
			t.Fatalf("not newest first at %d: %s %v, %s %v", i, a.Name, a.StartedAt, b.Name, b.StartedAt)
		}
	}
	if cs, _ := list("FAILED", 10, ""); len(cs) != 1 || cs[0].Arn != kids[1].Arn {
		t.Fatalf("FAILED children: %v", cs)
	}
	if cs, _ := list("RUNNING", 1000, ""); len(cs) != 298 {
		t.Fatalf("RUNNING children: %d", len(cs))
	}
	if _, err := s.GetMapRunExecution(ctxT(t), kids[0].Arn+"x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown child: %v", err)
	}
	if _, _, err := s.ListMapRunExecutions(ctxT(t), store.ListMapRunExecutionsParams{MapRunArn: r.Arn, Limit: 1, Token: "junk"}); !errors.Is(err, store.ErrInvalidToken) {
		t.Fatalf("bad token: %v", err)
	}
}

// testMapRunConflict: a step refused for its Seq writes no Map Run.
func testMapRunConflict(t *testing.T, s store.Store) {
	e := start(t, s, "p", at(0), 1)
	r := mapRun("1", at(1))
	err := s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 0, Input: []byte(`"x"`), MapRuns: []store.MapRun{r},
		MapRunExecutions: []store.MapRunExecution{child("1", "c", at(1))}})
	checkErr(t, "stale step", err, store.ErrConflict)
	if _, err := s.GetMapRun(ctxT(t), r.Arn); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused step wrote its Map Run: %v", err)
	}
	if _, err := s.GetMapRunExecution(ctxT(t), child("1", "c", at(1)).Arn); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused step wrote its child: %v", err)
	}
}

func testMapRunPurge(t *testing.T, s store.Store) {
	e := start(t, s, "p", at(0), 1)
	r := mapRun("1", at(1))
	c := child("1", "c", at(1))
	must(t, "step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte(`"x"`), MapRuns: []store.MapRun{r}, MapRunExecutions: []store.MapRunExecution{c}}))
	end(t, s, e, 2, "SUCCEEDED", at(3))
	if n := purge(t, s, at(4), 10); n != 1 {
		t.Fatalf("purged %d", n)
	}
	if _, err := s.GetMapRun(ctxT(t), r.Arn); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Map Run after purge: %v", err)
	}
	if _, err := s.GetMapRunExecution(ctxT(t), c.Arn); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("child after purge: %v", err)
	}
}

// testMapRunRedrive: a redrive's counts and dates are kept on the Map Run
// and its children, and ListMapRunExecutions filters on them.
func testMapRunRedrive(t *testing.T, s store.Store) {
	e := start(t, s, "p", at(0), 1)
	r := mapRun("1", at(1))
	a, b := child("1", "a", at(2)), child("1", "b", at(3))
	must(t, "step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte(`"x"`), MapRuns: []store.MapRun{r}, MapRunExecutions: []store.MapRunExecution{a, b}}))
	r.RedriveCount, r.RedriveDate = 2, at(9)
	b.Input, b.RedriveCount, b.RedriveDate = "", 1, at(9)
	must(t, "step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte(`"y"`), MapRuns: []store.MapRun{r}, MapRunExecutions: []store.MapRunExecution{b}}))
	got, err := s.GetMapRun(ctxT(t), r.Arn)
	must(t, "GetMapRun", err)
	if got.RedriveCount != 2 {
		t.Fatalf("Map Run RedriveCount = %d", got.RedriveCount)
	}
	checkTime(t, "RedriveDate", got.RedriveDate, at(9))
	kid, err := s.GetMapRunExecution(ctxT(t), b.Arn)
	must(t, "GetMapRunExecution", err)
	if kid.RedriveCount != 1 || kid.Input == "" {
		t.Fatalf("redriven child = %+v", kid)
	}
	checkTime(t, "child RedriveDate", kid.RedriveDate, at(9))
	for filter, want := range map[string]string{"REDRIVEN": b.Arn, "NOT_REDRIVEN": a.Arn} {
		cs, _, err := s.ListMapRunExecutions(ctxT(t), store.ListMapRunExecutionsParams{MapRunArn: r.Arn, Redriven: filter, Limit: 10})
		must(t, "ListMapRunExecutions", err)
		if len(cs) != 1 || cs[0].Arn != want {
			t.Fatalf("%s children: %v", filter, cs)
		}
		if filter == "NOT_REDRIVEN" {
			checkTime(t, "never redriven", cs[0].RedriveDate, time.Time{})
		}
	}
}

// testMapRunAfterEnd: the step that ends an execution keeps its
// TimerAfterEnd timers (the work its end owes), and an AfterEnd step of
// the ended execution deletes them and writes its Map Runs; against a
// running execution, a moved Seq or with anything else in it, an AfterEnd
// step writes nothing.
func testMapRunAfterEnd(t *testing.T, s store.Store) {
	e := start(t, s, "p", at(0), 1)
	r := mapRun("1", at(1))
	owed := store.Timer{ExecutionArn: e.Arn, Ref: -1, Kind: store.TimerAfterEnd, Due: at(5)}
	must(t, "step", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 1, Input: []byte(`"x"`), MapRuns: []store.MapRun{r},
		AddTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: 3, Kind: store.TimerState, Due: at(9)}}}))
	done := store.StepParams{ExecutionArn: e.Arn, Seq: 2, AfterEnd: true, DeleteTimers: []store.Timer{owed}}
	checkErr(t, "AfterEnd while running", s.CommitStep(ctxT(t), done), store.ErrConflict)

	r.Status, r.StoppedAt = "ABORTED", at(5)
	must(t, "stop", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte(`"stop"`),
		Events: events(2, 1, at(5)), MapRuns: []store.MapRun{r}, AddTimers: []store.Timer{owed},
		Final: &store.Final{Status: "ABORTED", StoppedAt: at(5)}}))
	if got := timersOf(t, s, e.Arn); len(got) != 1 || got[0].Kind != store.TimerAfterEnd || got[0].Ref != -1 {
		t.Fatalf("timers after the end: %+v (want only the after-end one)", got)
	}

	done.Seq = 3 // the stop applied an input
	written := r
	written.ExecutionCounts.ResultsWritten, written.ItemCounts.ResultsWritten = 5, 10
	done.MapRuns = []store.MapRun{written}
	for _, bad := range []store.StepParams{
		{ExecutionArn: e.Arn, Seq: 3, AfterEnd: true, Events: events(3, 1, at(6))},
		{ExecutionArn: e.Arn, Seq: 3, AfterEnd: true, AddTimers: []store.Timer{owed}},
		{ExecutionArn: e.Arn, Seq: 3, AfterEnd: true, Input: []byte(`"y"`)},
	} {
		if err := s.CommitStep(ctxT(t), bad); err == nil {
			t.Fatalf("an AfterEnd step with more than it may: %+v", bad)
		}
	}
	stale := done
	stale.Seq = 2
	checkErr(t, "AfterEnd at a stale Seq", s.CommitStep(ctxT(t), stale), store.ErrConflict)
	if got, err := s.GetMapRun(ctxT(t), r.Arn); err != nil || got.ExecutionCounts.ResultsWritten != 0 || len(timersOf(t, s, e.Arn)) != 1 {
		t.Fatalf("refused AfterEnd steps wrote: %+v %v", got, err)
	}
	must(t, "AfterEnd", s.CommitStep(ctxT(t), done))
	if got := timersOf(t, s, e.Arn); len(got) != 0 {
		t.Fatalf("timers after the AfterEnd step: %+v", got)
	}
	got, err := s.GetMapRun(ctxT(t), r.Arn)
	must(t, "GetMapRun", err)
	if got.Status != "ABORTED" || got.ExecutionCounts.ResultsWritten != 5 || got.ItemCounts.ResultsWritten != 10 {
		t.Fatalf("Map Run after the AfterEnd step: %+v", got)
	}
	if x := getExecution(t, s, e.Arn); x.Seq != 3 || x.Status != "ABORTED" || x.Events != 2 {
		t.Fatalf("the AfterEnd step moved the execution: %+v", x)
	}

	// A redrive moves Seq on: the end's work is no longer owed.
	must(t, "redrive", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Input: []byte(`"redrive"`),
		Redrive: &store.Redrive{At: at(7)}, Events: events(3, 1, at(7))}))
	checkErr(t, "AfterEnd after a redrive", s.CommitStep(ctxT(t), done), store.ErrConflict)
	done.Seq = 4
	checkErr(t, "AfterEnd of the redriven execution", s.CommitStep(ctxT(t), done), store.ErrConflict)
}
