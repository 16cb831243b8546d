// Package storetest is the conformance suite every store.Store driver must
// pass, after River's riverdrivertest: a driver's own test calls Run with a
// function that opens a fresh, empty store (and closes it in t.Cleanup),
// and gets the same behaviour checked as every other driver.
//
// Besides store.go's doc comments, the suite pins these choices so that
// drivers agree on them:
//   - Seq counts the inputs applied: a step with an Input moves it by one,
//     a step without leaves it; Inputs are numbered from 1.
//   - Limit <= 0 means no limit, for listings, History and DueTimers.
//   - A listing's next token is "" on its last page.
//   - An ended execution takes no more steps (ErrConflict), and its step
//     with Final deletes its remaining timers and closes its open tasks.
//   - A step that cannot be applied whole (say, an event ID already in the
//     history) fails and changes nothing.
//   - Within a step, DeleteTimers apply before AddTimers.
//   - DeleteTimer with a non-zero Due deletes the timer only while it is
//     still due then, so a stale fire cannot delete a moved heartbeat.
//   - NextTasks never lists callback tasks (ActivityArn "").
//   - Closing a token that is not open is not an error.
//   - Deleting a state machine or activity deletes its tags; an ARN with
//     no tags lists an empty map. A page token the store did not issue is
//     an error.
//   - A listing with an ArnPrefix matches it byte for byte (no wildcards)
//     on every page, whatever scope the token came from.
//   - Versions are numbered from 1 per machine, list highest first, and a
//     deleted version's number is not reused until the machine itself is
//     deleted (which deletes its versions).
//   - Times come back in UTC, equal to what was stored to the millisecond
//     at least.
//   - PurgeExecutions deletes ended executions whole, oldest end first,
//     never a running one nor a child its parent still waits on; after it
//     an execution's ARN is free again.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// Run runs the suite. open must return a new, empty store each call.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"StateMachine/CreateGet", testStateMachineCreateGet},
		{"StateMachine/Duplicate", testStateMachineDuplicate},
		{"StateMachine/Missing", testStateMachineMissing},
		{"StateMachine/Update", testStateMachineUpdate},
		{"StateMachine/Delete", testStateMachineDelete},
		{"StateMachine/List", testStateMachineList},
		{"StateMachine/ListBadToken", testStateMachineListBadToken},
		{"StateMachine/ListArnPrefix", testStateMachineListArnPrefix},
		{"Version/PublishGet", testVersionPublishGet},
		{"Version/List", testVersionList},
		{"Version/Delete", testVersionDelete},
		{"Version/Limit", testVersionLimit},
		{"Version/ConcurrentPublish", testVersionConcurrentPublish},
		{"Activity/CreateGet", testActivityCreateGet},
		{"Activity/Duplicate", testActivityDuplicate},
		{"Activity/Delete", testActivityDelete},
		{"Activity/List", testActivityList},
		{"Activity/ListArnPrefix", testActivityListArnPrefix},
		{"Execution/Start", testExecutionStart},
		{"Execution/StartWithoutInput", testExecutionStartWithoutInput},
		{"Execution/StartDuplicate", testExecutionStartDuplicate},
		{"Execution/ParentToken", testExecutionParentToken},
		{"Execution/StartFinal", testExecutionStartFinal},
		{"Execution/Missing", testExecutionMissing},
		{"Execution/List", testExecutionList},
		{"CommitStep/Events", testCommitStepEvents},
		{"CommitStep/WithoutInput", testCommitStepWithoutInput},
		{"CommitStep/Timers", testCommitStepTimers},
		{"CommitStep/Tasks", testCommitStepTasks},
		{"CommitStep/Final", testCommitStepFinal},
		{"CommitStep/StaleSeq", testCommitStepStaleSeq},
		{"CommitStep/Missing", testCommitStepMissing},
		{"CommitStep/Atomic", testCommitStepAtomic},
		{"Inputs/Order", testInputsOrder},
		{"History/Paging", testHistoryPaging},
		{"Timers/Due", testTimersDue},
		{"Timers/DeleteTimer", testTimersDeleteTimer},
		{"Timers/SetTimer", testTimersSetTimer},
		{"Tasks/Claim", testTasksClaim},
		{"Tasks/GetTask", testTasksGetTask},
		{"Tasks/Queued", testTasksQueued},
		{"Tags", testTags},
		{"Purge/Closed", testPurgeClosed},
		{"Purge/Batches", testPurgeBatches},
		{"Purge/BadLimit", testPurgeBadLimit},
		{"Purge/WaitedOnChild", testPurgeWaitedOnChild},
		{"Concurrency/ManyExecutions", testConcurrencyManyExecutions},
		{"Concurrency/SameSeq", testConcurrencySameSeq},
		{"Concurrency/MixedConflicts", testConcurrencyMixedConflicts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
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
			Body:      []byte(fmt.Sprintf(`{"id":%d}`, id)),
		})
	}
	return out
}

// start starts an execution whose first step applied input 1 and wrote
// events 1..n; it is then at Seq 1 with n events.
func start(t *testing.T, s store.Store, name string, started time.Time, n int) *store.Execution {
	t.Helper()
	e := execution(name, started)
	must(t, "StartExecution "+name, s.StartExecution(ctxT(t), store.StartExecutionParams{Execution: e, Step: store.StepParams{
		ExecutionArn: e.Arn,
		Input:        []byte(`"start"`),
		Events:       events(1, n, started),
	}}))
	return e
}

func getExecution(t *testing.T, s store.Store, arn string) *store.Execution {
	t.Helper()
	e, err := s.GetExecution(ctxT(t), arn)
	must(t, "GetExecution", err)
	return e
}

func history(t *testing.T, s store.Store, arn string) []store.Event {
	t.Helper()
	evs, err := s.History(ctxT(t), store.HistoryParams{ExecutionArn: arn})
	must(t, "History", err)
	return evs
}

func ids(evs []store.Event) []int64 {
	var out []int64
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

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

func testStateMachineCreateGet(t *testing.T, s store.Store) {
	want := stateMachine("a", at(0))
	want.UpdatedAt = at(5)
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), want))
	got, err := s.GetStateMachine(ctxT(t), want.Arn)
	must(t, "GetStateMachine", err)
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if g != w {
		t.Errorf("GetStateMachine = %+v, want %+v", g, w)
	}
}

func testStateMachineDuplicate(t *testing.T, s store.Store) {
	sm := stateMachine("a", at(0))
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), sm))
	dup := stateMachine("a", at(1))
	dup.Definition = "other"
	checkErr(t, "second CreateStateMachine", s.CreateStateMachine(ctxT(t), dup), store.ErrAlreadyExists)
	got, err := s.GetStateMachine(ctxT(t), sm.Arn)
	must(t, "GetStateMachine", err)
	if got.Definition != sm.Definition {
		t.Errorf("duplicate create changed the definition to %q", got.Definition)
	}
}

func testStateMachineMissing(t *testing.T, s store.Store) {
	_, err := s.GetStateMachine(ctxT(t), "arn:nope")
	checkErr(t, "GetStateMachine", err, store.ErrNotFound)
	checkErr(t, "UpdateStateMachine", s.UpdateStateMachine(ctxT(t), stateMachine("nope", at(0))), store.ErrNotFound)
	checkErr(t, "DeleteStateMachine", s.DeleteStateMachine(ctxT(t), "arn:nope"), store.ErrNotFound)
}

func testStateMachineUpdate(t *testing.T, s store.Store) {
	sm := stateMachine("a", at(0))
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), sm))
	upd := *sm
	upd.Definition = `{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}`
	upd.RoleArn = "arn:aws:iam::123456789012:role/other"
	upd.RevisionID = "rev-2"
	upd.Logging = ""
	upd.Tracing = `{"enabled":true}`
	upd.Description = ""
	upd.Status = "DELETING"
	upd.UpdatedAt = at(60)
	must(t, "UpdateStateMachine", s.UpdateStateMachine(ctxT(t), &upd))
	got, err := s.GetStateMachine(ctxT(t), sm.Arn)
	must(t, "GetStateMachine", err)
	if got.Definition != upd.Definition || got.RoleArn != upd.RoleArn || got.RevisionID != upd.RevisionID ||
		got.Logging != upd.Logging || got.Tracing != upd.Tracing || got.Description != upd.Description ||
		got.Status != upd.Status {
		t.Errorf("after update got %+v, want %+v", got, upd)
	}
	checkTime(t, "UpdatedAt", got.UpdatedAt, upd.UpdatedAt)
	checkTime(t, "CreatedAt", got.CreatedAt, sm.CreatedAt)
}

func testStateMachineDelete(t *testing.T, s store.Store) {
	sm := stateMachine("a", at(0))
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), sm))
	must(t, "TagResource", s.TagResource(ctxT(t), store.TagResourceParams{Arn: sm.Arn, Tags: map[string]string{"k": "v"}}))
	must(t, "DeleteStateMachine", s.DeleteStateMachine(ctxT(t), sm.Arn))
	_, err := s.GetStateMachine(ctxT(t), sm.Arn)
	checkErr(t, "GetStateMachine after delete", err, store.ErrNotFound)
	checkErr(t, "second DeleteStateMachine", s.DeleteStateMachine(ctxT(t), sm.Arn), store.ErrNotFound)
	tags, err := s.ListTags(ctxT(t), sm.Arn)
	must(t, "ListTags", err)
	if len(tags) != 0 {
		t.Errorf("tags of a deleted state machine = %v, want none", tags)
	}
	// The name is free again.
	must(t, "CreateStateMachine again", s.CreateStateMachine(ctxT(t), sm))
}

// creationOrder builds names whose creation order differs from their ARN
// order, with ties on CreatedAt that only the ARN breaks.
func creationOrder() (names []string, created []time.Time, want []string) {
	names = []string{"e", "b", "d", "a", "c"}
	created = []time.Time{at(3), at(1), at(2), at(2), at(1)}
	want = []string{"b", "c", "a", "d", "e"}
	return
}

func testStateMachineList(t *testing.T, s store.Store) {
	sms, next, err := s.ListStateMachines(ctxT(t), store.ListParams{Limit: 10})
	must(t, "ListStateMachines (empty)", err)
	if len(sms) != 0 || next != "" {
		t.Fatalf("empty listing = %d items, next %q", len(sms), next)
	}
	names, created, want := creationOrder()
	for i, n := range names {
		must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), stateMachine(n, created[i])))
	}
	pageAll(t, want, func(p store.ListParams) ([]string, string, error) {
		sms, next, err := s.ListStateMachines(ctxT(t), p)
		var got []string
		for _, sm := range sms {
			got = append(got, sm.Name)
		}
		return got, next, err
	})
}

func testStateMachineListBadToken(t *testing.T, s store.Store) {
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), stateMachine("a", at(0))))
	if _, _, err := s.ListStateMachines(ctxT(t), store.ListParams{Limit: 1, Token: "!!not a token!!"}); err == nil {
		t.Error("ListStateMachines with a garbage token succeeded")
	}
}

// Scopes of ARN-prefix listings. Their rows interleave in creation order,
// and some prefixes differ from scopeA only past the point where a sloppy
// match (no trailing colon, LIKE with '_' or '%' unescaped) would stop.
const (
	scopeA      = "arn:aws:states:us-east-1:123456789012:"
	scopeB      = "arn:aws:states:us-east-1:210987654321:"
	scopeRegion = "arn:aws:states:us-east-10:123456789012:"
	scopeCN     = "arn:aws-cn:states:us-east-1:123456789012:"
	scopeLongID = "arn:aws:states:us-east-1:1234567890123:"
)

// scopedRow is one resource of testListArnPrefix: its scope, its name
// (unique across scopes) and when it was created.
type scopedRow struct {
	scope, name string
	created     int
}

var scopedRows = []scopedRow{
	{scopeA, "a1", 5}, {scopeB, "b1", 1}, {scopeA, "a2", 1}, {scopeRegion, "r1", 2},
	{scopeA, "a3", 3}, {scopeCN, "c1", 3}, {scopeB, "b2", 4}, {scopeA, "a4", 3},
	{scopeLongID, "l1", 0}, {scopeB, "b3", 9},
}

// testListArnPrefix checks a listing scoped by ARN prefix: only that
// scope's rows, in order, on every page, and a token of one scope cannot
// bring out another's rows. kind is the ARN's resource type segment;
// create stores a resource under an ARN; list lists names.
func testListArnPrefix(t *testing.T, kind string, create func(arn, name string, created time.Time) error,
	list func(store.ListParams) ([]string, string, error)) {
	for _, r := range scopedRows {
		must(t, "create "+r.name, create(r.scope+kind+":"+r.name, r.name, at(r.created)))
	}
	scoped := func(prefix string) func(store.ListParams) ([]string, string, error) {
		return func(p store.ListParams) ([]string, string, error) {
			p.ArnPrefix = prefix
			return list(p)
		}
	}
	pageAll(t, []string{"a2", "a3", "a4", "a1"}, scoped(scopeA))
	pageAll(t, []string{"b1", "b2", "b3"}, scoped(scopeB))
	pageAll(t, []string{"r1"}, scoped(scopeRegion))
	pageAll(t, []string{"c1"}, scoped(scopeCN))
	pageAll(t, []string{"l1"}, scoped(scopeLongID))
	// A prefix may be narrower than a scope, down to one ARN.
	pageAll(t, []string{"a3"}, scoped(scopeA+kind+":a3"))
	pageAll(t, []string{"l1", "a2", "b1", "r1", "c1", "a3", "a4", "b2", "a1", "b3"}, scoped(""))
	for _, prefix := range []string{
		"arn:aws:states:us-east-1:12345678901_:", // LIKE's '_' would match scopeA
		"arn:aws:states:us-east-1:%",             // LIKE's '%' would match everything
		"arn:aws:states:us-east-1:123456789012:" + kind + ":a1x",
		"arn:aws:states:eu-west-1:123456789012:",
		"\xff\xff",
	} {
		got, next, err := list(store.ListParams{ArnPrefix: prefix})
		must(t, "list "+prefix, err)
		if len(got) != 0 || next != "" {
			t.Errorf("prefix %q lists %v (next %q), want nothing", prefix, got, next)
		}
	}

	// A token issued under scope A, presented with scope B, must not
	// bring out A's rows: the store refuses it, or lists B's rows only.
	inScope := map[string]string{}
	for _, r := range scopedRows {
		inScope[r.name] = r.scope
	}
	for limit := 1; limit <= 3; limit++ {
		_, tok, err := list(store.ListParams{ArnPrefix: scopeA, Limit: limit})
		must(t, "list scope A", err)
		if tok == "" {
			t.Fatalf("limit %d: scope A fits one page, want a token", limit)
		}
		for _, other := range []string{scopeB, scopeRegion, ""} {
			for pages := 0; tok != ""; pages++ {
				if pages > len(scopedRows) {
					t.Fatalf("paging scope %q does not end", other)
				}
				got, next, err := list(store.ListParams{ArnPrefix: other, Limit: limit, Token: tok})
				if errors.Is(err, store.ErrInvalidToken) {
					break
				}
				must(t, "list with another scope's token", err)
				for _, n := range got {
					if !strings.HasPrefix(inScope[n], other) {
						t.Errorf("scope %q with a token of scope A listed %s of scope %q", other, n, inScope[n])
					}
				}
				tok = next
			}
			_, tok, _ = list(store.ListParams{ArnPrefix: scopeA, Limit: limit})
		}
	}
}

func testStateMachineListArnPrefix(t *testing.T, s store.Store) {
	testListArnPrefix(t, "stateMachine",
		func(arn, name string, created time.Time) error {
			sm := stateMachine(name, created)
			sm.Arn = arn
			return s.CreateStateMachine(ctxT(t), sm)
		},
		func(p store.ListParams) ([]string, string, error) {
			sms, next, err := s.ListStateMachines(ctxT(t), p)
			var got []string
			for _, sm := range sms {
				got = append(got, sm.Name)
			}
			return got, next, err
		})
}

func testActivityListArnPrefix(t *testing.T, s store.Store) {
	testListArnPrefix(t, "activity",
		func(arn, name string, created time.Time) error {
			a := activity(name, created)
			a.Arn = arn
			return s.CreateActivity(ctxT(t), a)
		},
		func(p store.ListParams) ([]string, string, error) {
			as, next, err := s.ListActivities(ctxT(t), p)
			var got []string
			for _, a := range as {
				got = append(got, a.Name)
			}
			return got, next, err
		})
}

// pageAll checks a listing returns want in order: whole with Limit 0, and
// in pages of 1, 2 and len(want) (exactly one page, no next token).
func pageAll(t *testing.T, want []string, list func(store.ListParams) ([]string, string, error)) {
	t.Helper()
	got, next, err := list(store.ListParams{})
	must(t, "list without limit", err)
	if !slices.Equal(got, want) || next != "" {
		t.Errorf("list without limit = %v next %q, want %v and no next", got, next, want)
	}
	for _, limit := range []int{1, 2, len(want)} {
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

func testActivityCreateGet(t *testing.T, s store.Store) {
	a := activity("act", at(0))
	must(t, "CreateActivity", s.CreateActivity(ctxT(t), a))
	got, err := s.GetActivity(ctxT(t), a.Arn)
	must(t, "GetActivity", err)
	if got.Arn != a.Arn || got.Name != a.Name {
		t.Errorf("GetActivity = %+v, want %+v", got, a)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, a.CreatedAt)
	_, err = s.GetActivity(ctxT(t), "arn:nope")
	checkErr(t, "GetActivity missing", err, store.ErrNotFound)
}

func testActivityDuplicate(t *testing.T, s store.Store) {
	must(t, "CreateActivity", s.CreateActivity(ctxT(t), activity("act", at(0))))
	checkErr(t, "second CreateActivity", s.CreateActivity(ctxT(t), activity("act", at(1))), store.ErrAlreadyExists)
}

func testActivityDelete(t *testing.T, s store.Store) {
	a := activity("act", at(0))
	must(t, "CreateActivity", s.CreateActivity(ctxT(t), a))
	must(t, "TagResource", s.TagResource(ctxT(t), store.TagResourceParams{Arn: a.Arn, Tags: map[string]string{"k": "v"}}))
	must(t, "DeleteActivity", s.DeleteActivity(ctxT(t), a.Arn))
	_, err := s.GetActivity(ctxT(t), a.Arn)
	checkErr(t, "GetActivity after delete", err, store.ErrNotFound)
	checkErr(t, "second DeleteActivity", s.DeleteActivity(ctxT(t), a.Arn), store.ErrNotFound)
	tags, err := s.ListTags(ctxT(t), a.Arn)
	must(t, "ListTags", err)
	if len(tags) != 0 {
		t.Errorf("tags of a deleted activity = %v, want none", tags)
	}
}

func testActivityList(t *testing.T, s store.Store) {
	names, created, want := creationOrder()
	for i, n := range names {
		must(t, "CreateActivity", s.CreateActivity(ctxT(t), activity(n, created[i])))
	}
	pageAll(t, want, func(p store.ListParams) ([]string, string, error) {
		as, next, err := s.ListActivities(ctxT(t), p)
		var got []string
		for _, a := range as {
			got = append(got, a.Name)
		}
		return got, next, err
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
	must(t, "StartExecution", s.StartExecution(ctxT(t), store.StartExecutionParams{Execution: e, Step: step}))

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
	must(t, "StartExecution", s.StartExecution(ctxT(t), store.StartExecutionParams{Execution: e, Step: store.StepParams{
		ExecutionArn: e.Arn, Events: events(1, 2, at(0)),
	}}))
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

func testExecutionStartDuplicate(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 2)
	dup := execution("x", at(5))
	dup.Input = `{"other":1}`
	err := s.StartExecution(ctxT(t), store.StartExecutionParams{Execution: dup, Step: store.StepParams{
		ExecutionArn: dup.Arn, Input: []byte("dup"), Events: events(1, 5, at(5)),
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
	must(t, "StartExecution", s.StartExecution(ctxT(t), store.StartExecutionParams{Execution: e, Step: store.StepParams{
		ExecutionArn: e.Arn, Input: []byte("in"), Events: events(1, 4, at(0)),
		Final: &store.Final{Status: "SUCCEEDED", Output: `{"ok":1}`, StoppedAt: at(1)},
	}}))
	got := getExecution(t, s, e.Arn)
	if got.Status != "SUCCEEDED" || got.Output != `{"ok":1}` || got.Events != 4 || got.Seq != 1 {
		t.Errorf("execution ended at start = %+v", got)
	}
	checkTime(t, "StoppedAt", got.StoppedAt, at(1))
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
	must(t, "StartExecution other", s.StartExecution(ctxT(t), store.StartExecutionParams{Execution: other, Step: store.StepParams{ExecutionArn: other.Arn}}))

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

	es, _, err = s.ListExecutions(ctxT(t), store.ListExecutionsParams{StateMachineArn: smArn, Status: "FAILED"})
	must(t, "ListExecutions FAILED", err)
	if len(es) != 1 || es[0].Error != "E" || !es[0].HasError || es[0].Seq != 2 || es[0].Events != 1 {
		t.Errorf("listed failed execution = %+v", es)
	}
	if len(es) == 1 {
		checkTime(t, "listed StartedAt", es[0].StartedAt, at(2))
		checkTime(t, "listed StoppedAt", es[0].StoppedAt, at(10))
	}
}

func testCommitStepEvents(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 2)
	must(t, "CommitStep 1", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("a"), Events: events(3, 3, at(1)),
	}))
	must(t, "CommitStep 2", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 2, Input: []byte("b"), Events: events(6, 1, at(2)),
	}))
	got := getExecution(t, s, e.Arn)
	if got.Seq != 3 || got.Events != 6 {
		t.Errorf("Seq, Events = %d, %d, want 3, 6", got.Seq, got.Events)
	}
	if h := ids(history(t, s, e.Arn)); !slices.Equal(h, []int64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("history ids = %v", h)
	}
}

func testCommitStepWithoutInput(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Events: events(2, 2, at(1)),
	}))
	got := getExecution(t, s, e.Arn)
	if got.Seq != 1 || got.Events != 3 {
		t.Errorf("Seq, Events = %d, %d, want 1, 3", got.Seq, got.Events)
	}
	ins, err := s.Inputs(ctxT(t), e.Arn)
	must(t, "Inputs", err)
	if len(ins) != 1 {
		t.Errorf("Inputs = %+v, want only the first", ins)
	}
}

func testCommitStepTimers(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	tm := func(ref int64, kind string, due int) store.Timer {
		return store.Timer{ExecutionArn: e.Arn, Ref: ref, Kind: kind, Due: at(due)}
	}
	must(t, "add", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTimers: []store.Timer{tm(1, store.TimerState, 10), tm(2, store.TimerTask, 20), tm(2, store.TimerHeartbeat, 5)},
	}))
	if got := timersOf(t, s, e.Arn); len(got) != 3 {
		t.Fatalf("timers = %+v, want 3", got)
	}
	// Delete matches (Ref, Kind) whatever the Due given; the same ref of
	// another kind stays. Deleting and re-adding in one step keeps it.
	must(t, "delete", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"),
		DeleteTimers: []store.Timer{tm(2, store.TimerTask, 999), tm(1, store.TimerState, 0)},
		AddTimers:    []store.Timer{tm(1, store.TimerState, 15)},
	}))
	got := timersOf(t, s, e.Arn)
	if len(got) != 2 || got[0].Ref != 2 || got[0].Kind != store.TimerHeartbeat ||
		got[1].Ref != 1 || got[1].Kind != store.TimerState {
		t.Fatalf("timers = %+v, want heartbeat 2 then state 1", got)
	}
	checkTime(t, "re-added Due", got[1].Due, at(15))
	// Adding an existing timer moves it.
	must(t, "move", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 3, Input: []byte("3"),
		AddTimers: []store.Timer{tm(2, store.TimerHeartbeat, 50)},
	}))
	got = timersOf(t, s, e.Arn)
	if len(got) != 2 || got[1].Kind != store.TimerHeartbeat {
		t.Fatalf("timers = %+v", got)
	}
	checkTime(t, "moved Due", got[1].Due, at(50))
}

func testCommitStepTasks(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	task := func(tok string) store.Task {
		return store.Task{Token: tok, ExecutionArn: e.Arn, Ref: 3, Input: "{}", CreatedAt: at(1)}
	}
	must(t, "add", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTasks: []store.Task{task("cb-1"), task("cb-2")},
	}))
	for _, tok := range []string{"cb-1", "cb-2"} {
		got, err := s.GetTask(ctxT(t), tok)
		must(t, "GetTask "+tok, err)
		if got.ActivityArn != "" || got.ExecutionArn != e.Arn {
			t.Errorf("GetTask %s = %+v", tok, got)
		}
	}
	must(t, "close", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"),
		CloseTasks: []string{"cb-1", "never-existed"},
	}))
	_, err := s.GetTask(ctxT(t), "cb-1")
	checkErr(t, "GetTask closed", err, store.ErrNotFound)
	_, err = s.GetTask(ctxT(t), "cb-2")
	must(t, "GetTask still open", err)
}

func testCommitStepFinal(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState, Due: at(100)}},
		AddTasks:  []store.Task{{Token: "tok", ExecutionArn: e.Arn, Ref: 1, ActivityArn: "arn:act", CreatedAt: at(1)}},
	}))
	must(t, "final CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"), Events: events(2, 1, at(2)),
		Final: &store.Final{
			Status: "FAILED", Error: "States.TaskFailed", HasError: true,
			Cause: "", HasCause: true, StoppedAt: at(2),
		},
	}))
	got := getExecution(t, s, e.Arn)
	if got.Status != "FAILED" || got.Error != "States.TaskFailed" || !got.HasError ||
		got.Cause != "" || !got.HasCause || got.Output != "" || got.Seq != 3 || got.Events != 2 {
		t.Errorf("ended execution = %+v", got)
	}
	checkTime(t, "StoppedAt", got.StoppedAt, at(2))
	if tms := timersOf(t, s, e.Arn); len(tms) != 0 {
		t.Errorf("ended execution keeps timers %+v", tms)
	}
	_, err := s.GetTask(ctxT(t), "tok")
	checkErr(t, "GetTask of an ended execution", err, store.ErrNotFound)
	// Nothing more can be committed to it, even at its current Seq: not a
	// step, not a second ending.
	err = s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Input: []byte("3"), Events: events(3, 1, at(3))})
	checkErr(t, "step after end", err, store.ErrConflict)
	err = s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Events: events(3, 1, at(3)),
		Final: &store.Final{Status: "ABORTED", StoppedAt: at(3)}})
	checkErr(t, "second ending", err, store.ErrConflict)
	if got := getExecution(t, s, e.Arn); got.Seq != 3 || got.Events != 2 || got.Status != "FAILED" {
		t.Errorf("after refused step = %+v", got)
	}
}

func testCommitStepStaleSeq(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"), Events: events(2, 1, at(1)),
		AddTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState, Due: at(10)}},
		AddTasks:  []store.Task{{Token: "keep", ExecutionArn: e.Arn, Ref: 1, ActivityArn: "arn:act", CreatedAt: at(1)}},
	}))
	for _, seq := range []int64{1, 0, 5} {
		err := s.CommitStep(ctxT(t), store.StepParams{
			ExecutionArn: e.Arn, Seq: seq, Input: []byte("stale"), Events: events(3, 2, at(2)),
			AddTimers:    []store.Timer{{ExecutionArn: e.Arn, Ref: 9, Kind: store.TimerState, Due: at(1)}},
			DeleteTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState}},
			AddTasks:     []store.Task{{Token: "stale", ExecutionArn: e.Arn, Ref: 2, CreatedAt: at(2)}},
			CloseTasks:   []string{"keep"},
			Final:        &store.Final{Status: "SUCCEEDED", StoppedAt: at(2)},
		})
		checkErr(t, fmt.Sprintf("CommitStep with Seq %d", seq), err, store.ErrConflict)
	}
	got := getExecution(t, s, e.Arn)
	if got.Seq != 2 || got.Events != 2 || got.Status != "RUNNING" {
		t.Errorf("after conflicts = %+v", got)
	}
	if h := ids(history(t, s, e.Arn)); !slices.Equal(h, []int64{1, 2}) {
		t.Errorf("history ids = %v", h)
	}
	ins, err := s.Inputs(ctxT(t), e.Arn)
	must(t, "Inputs", err)
	if len(ins) != 2 {
		t.Errorf("Inputs = %d, want 2", len(ins))
	}
	if tms := timersOf(t, s, e.Arn); len(tms) != 1 || tms[0].Ref != 1 {
		t.Errorf("timers = %+v", tms)
	}
	_, err = s.GetTask(ctxT(t), "keep")
	must(t, "GetTask keep", err)
	_, err = s.GetTask(ctxT(t), "stale")
	checkErr(t, "GetTask stale", err, store.ErrNotFound)
}

// testCommitStepAtomic has a step fail after some of its rows would have
// been written: an event whose ID is already in the history.
func testCommitStepAtomic(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 2)
	err := s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		Events:    append(events(3, 2, at(1)), events(2, 1, at(1))...),
		AddTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState, Due: at(10)}},
		AddTasks:  []store.Task{{Token: "tok", ExecutionArn: e.Arn, Ref: 1, CreatedAt: at(1)}},
	})
	if err == nil {
		t.Fatal("a step repeating an event ID succeeded")
	}
	got := getExecution(t, s, e.Arn)
	if got.Seq != 1 || got.Events != 2 {
		t.Errorf("after failed step Seq, Events = %d, %d, want 1, 2", got.Seq, got.Events)
	}
	if h := ids(history(t, s, e.Arn)); !slices.Equal(h, []int64{1, 2}) {
		t.Errorf("history ids = %v", h)
	}
	if ins, _ := s.Inputs(ctxT(t), e.Arn); len(ins) != 1 {
		t.Errorf("Inputs = %+v", ins)
	}
	if tms := timersOf(t, s, e.Arn); len(tms) != 0 {
		t.Errorf("timers = %+v", tms)
	}
	_, err = s.GetTask(ctxT(t), "tok")
	checkErr(t, "GetTask", err, store.ErrNotFound)
	// The execution is not damaged: the same Seq commits now.
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"), Events: events(3, 1, at(1)),
	}))
}

func testCommitStepMissing(t *testing.T, s store.Store) {
	err := s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: "arn:nope", Seq: 0, Input: []byte("1")})
	checkErr(t, "CommitStep", err, store.ErrNotFound)
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
		{store.HistoryParams{}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{store.HistoryParams{Limit: 3}, []int64{1, 2, 3}},
		{store.HistoryParams{AfterID: 3, Limit: 3}, []int64{4, 5, 6}},
		{store.HistoryParams{AfterID: 9, Limit: 3}, []int64{10}},
		{store.HistoryParams{AfterID: 10}, nil},
		{store.HistoryParams{Reverse: true}, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{store.HistoryParams{Reverse: true, Limit: 3}, []int64{10, 9, 8}},
		{store.HistoryParams{Reverse: true, AfterID: 8, Limit: 3}, []int64{7, 6, 5}},
		{store.HistoryParams{Reverse: true, AfterID: 3}, []int64{2, 1}},
		{store.HistoryParams{Reverse: true, AfterID: 1}, nil},
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
}

func testTimersDue(t *testing.T, s store.Store) {
	if _, ok, err := s.NextTimer(ctxT(t)); err != nil || ok {
		t.Fatalf("NextTimer on empty = %v, %v", ok, err)
	}
	a := start(t, s, "a", at(0), 0)
	b := start(t, s, "b", at(0), 0)
	for _, tm := range []store.Timer{
		{ExecutionArn: a.Arn, Ref: 1, Kind: store.TimerState, Due: at(30)},
		{ExecutionArn: b.Arn, Ref: 1, Kind: store.TimerTask, Due: at(10)},
		{ExecutionArn: a.Arn, Ref: 2, Kind: store.TimerHeartbeat, Due: at(20)},
		{ExecutionArn: b.Arn, Ref: 2, Kind: store.TimerState, Due: at(40)},
	} {
		must(t, "SetTimer", s.SetTimer(ctxT(t), tm))
	}
	next, ok, err := s.NextTimer(ctxT(t))
	must(t, "NextTimer", err)
	if !ok {
		t.Fatal("NextTimer: none")
	}
	checkTime(t, "NextTimer", next, at(10))

	due, err := s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(30), Limit: 0}) // inclusive
	must(t, "DueTimers", err)
	if len(due) != 3 || due[0].ExecutionArn != b.Arn || due[1].Ref != 2 || due[2].Ref != 1 || due[2].ExecutionArn != a.Arn {
		t.Errorf("DueTimers = %+v", due)
	}
	for i, w := range []int{10, 20, 30} {
		if i < len(due) {
			checkTime(t, "Due", due[i].Due, at(w))
		}
	}
	due, err = s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(100), Limit: 2})
	must(t, "DueTimers limit", err)
	if len(due) != 2 || due[0].Kind != store.TimerTask || due[1].Kind != store.TimerHeartbeat {
		t.Errorf("DueTimers limit 2 = %+v", due)
	}
	due, err = s.DueTimers(ctxT(t), store.DueTimersParams{DueBy: at(9), Limit: 0})
	must(t, "DueTimers none due", err)
	if len(due) != 0 {
		t.Errorf("DueTimers before any = %+v", due)
	}
}

func testTimersDeleteTimer(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 0)
	tm := store.Timer{ExecutionArn: e.Arn, Ref: 4, Kind: store.TimerHeartbeat, Due: at(10)}
	must(t, "SetTimer", s.SetTimer(ctxT(t), tm))
	// The heartbeat moved after the timer loop read it: the stale fire
	// must not delete the moved timer.
	moved := tm
	moved.Due = at(70)
	must(t, "SetTimer move", s.SetTimer(ctxT(t), moved))
	must(t, "DeleteTimer stale", s.DeleteTimer(ctxT(t), tm))
	if got := timersOf(t, s, e.Arn); len(got) != 1 {
		t.Fatalf("a stale DeleteTimer removed the moved timer: %+v", got)
	}
	must(t, "DeleteTimer", s.DeleteTimer(ctxT(t), moved))
	if got := timersOf(t, s, e.Arn); len(got) != 0 {
		t.Fatalf("timers after DeleteTimer = %+v", got)
	}
	must(t, "DeleteTimer again", s.DeleteTimer(ctxT(t), moved))
	if _, ok, err := s.NextTimer(ctxT(t)); err != nil || ok {
		t.Errorf("NextTimer after deleting all = %v, %v", ok, err)
	}
}

func testTimersSetTimer(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 0)
	hb := store.Timer{ExecutionArn: e.Arn, Ref: 4, Kind: store.TimerHeartbeat, Due: at(10)}
	must(t, "SetTimer", s.SetTimer(ctxT(t), hb))
	must(t, "SetTimer task", s.SetTimer(ctxT(t), store.Timer{ExecutionArn: e.Arn, Ref: 4, Kind: store.TimerTask, Due: at(300)}))
	hb.Due = at(40)
	must(t, "SetTimer move", s.SetTimer(ctxT(t), hb))
	got := timersOf(t, s, e.Arn)
	if len(got) != 2 || got[0].Kind != store.TimerHeartbeat || got[1].Kind != store.TimerTask {
		t.Fatalf("timers = %+v", got)
	}
	checkTime(t, "moved heartbeat", got[0].Due, at(40))
	next, _, err := s.NextTimer(ctxT(t))
	must(t, "NextTimer", err)
	checkTime(t, "NextTimer", next, at(40))
}

// claimNext claims the oldest queued task of an activity in a step of its
// execution that adds no input (so Seq stays seq), the way the engine
// hands a task to a poller; nil when none is queued.
func claimNext(t *testing.T, s store.Store, seq int64, activity, worker string) *store.Task {
	t.Helper()
	next, err := s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: activity, Limit: 1})
	must(t, "NextTasks", err)
	if len(next) == 0 {
		return nil
	}
	c := next[0]
	must(t, "claim", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: c.ExecutionArn, Seq: seq,
		ClaimTasks: []store.TaskClaim{{Token: c.Token, WorkerName: worker}}}))
	return c
}

func testTasksClaim(t *testing.T, s store.Store) {
	const act, otherAct = "arn:aws:states:us-east-1:123456789012:activity:act", "arn:aws:states:us-east-1:123456789012:activity:other"
	next, err := s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: act, Limit: 10})
	must(t, "NextTasks on empty", err)
	if len(next) != 0 {
		t.Fatalf("NextTasks on empty = %+v", next)
	}
	e := start(t, s, "x", at(0), 0)
	task := func(tok, activity string, created int) store.Task {
		return store.Task{Token: tok, ExecutionArn: e.Arn, Ref: int64(created), ActivityArn: activity,
			Input: `{"tok":"` + tok + `"}`, HeartbeatSeconds: 30, CreatedAt: at(created)}
	}
	// Added out of age order; t3 and t3b tie on age and go in the order
	// added. Started tasks, other activities' tasks and callbacks are
	// never listed.
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTasks: []store.Task{
			task("t3", act, 3), task("t1", act, 1), task("cb", "", 0), task("o", otherAct, 0),
			task("t3b", act, 3), task("t2", act, 2),
		},
	}))
	tokens := func(ts []*store.Task) (out []string) {
		for _, x := range ts {
			out = append(out, x.Token)
		}
		return out
	}
	next, err = s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: act, Limit: 3})
	must(t, "NextTasks", err)
	if got := fmt.Sprint(tokens(next)); got != "[t1 t2 t3]" {
		t.Errorf("NextTasks(3) = %s, want [t1 t2 t3]", got)
	}
	if x := next[0]; x.ExecutionArn != e.Arn || x.ActivityArn != act || x.Input != `{"tok":"t1"}` ||
		x.HeartbeatSeconds != 30 || x.Started || x.Ref != 1 {
		t.Errorf("NextTasks[0] = %+v", x)
	}
	checkTime(t, "NextTasks CreatedAt", next[0].CreatedAt, at(1))
	// Listing claims nothing.
	next, err = s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: act, Limit: 10})
	must(t, "NextTasks again", err)
	if got := fmt.Sprint(tokens(next)); got != "[t1 t2 t3 t3b]" {
		t.Errorf("NextTasks(10) = %s, want [t1 t2 t3 t3b]", got)
	}
	for _, want := range []string{"t1", "t2", "t3", "t3b"} {
		got := claimNext(t, s, 2, act, "worker-"+want)
		if got == nil || got.Token != want {
			t.Fatalf("claimed %+v, want %s", got, want)
		}
		stored, err := s.GetTask(ctxT(t), want)
		must(t, "GetTask claimed", err)
		if !stored.Started || stored.WorkerName != "worker-"+want {
			t.Errorf("claimed task stored as %+v", stored)
		}
	}
	if got := claimNext(t, s, 2, act, "w"); got != nil {
		t.Errorf("all claimed, yet %s was listed", got.Token)
	}
	next, err = s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: "", Limit: 10})
	must(t, "NextTasks of callbacks", err)
	if len(next) != 0 {
		t.Errorf("NextTasks listed callbacks: %v", tokens(next))
	}
	if got := claimNext(t, s, 2, otherAct, "w2"); got == nil || got.Token != "o" {
		t.Errorf("claimed other = %+v", got)
	}

	// A claim of a task that is claimed, closed, unknown or another
	// execution's fails with ErrConflict and writes nothing of its step.
	other := start(t, s, "y", at(0), 0)
	must(t, "CommitStep other", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: other.Arn, Seq: 1, Input: []byte("1"),
		AddTasks: []store.Task{{Token: "y1", Ref: 1, ActivityArn: act, Input: "{}", CreatedAt: at(9)}}}))
	must(t, "CommitStep close", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"),
		AddTasks: []store.Task{task("fresh", act, 20), task("gone", act, 21)}}))
	must(t, "CommitStep close", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Input: []byte("3"), CloseTasks: []string{"gone"}}))
	for _, tok := range []string{"t1", "gone", "nope", "y1"} {
		err := s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 4, Input: []byte("4"),
			Events:     []store.Event{{ID: 1, Type: "ActivityStarted", Timestamp: at(30), Body: []byte("{}")}},
			ClaimTasks: []store.TaskClaim{{Token: "fresh", WorkerName: "w"}, {Token: tok, WorkerName: "w"}}})
		checkErr(t, "claim of "+tok, err, store.ErrConflict)
	}
	if x, err := s.GetTask(ctxT(t), "fresh"); err != nil || x.Started {
		t.Errorf("a failed claim step claimed fresh: %+v, %v", x, err)
	}
	if got, err := s.GetExecution(ctxT(t), e.Arn); err != nil || got.Seq != 4 {
		t.Errorf("a failed claim step moved Seq: %+v, %v", got, err)
	}

	// Concurrent claims, each poller listing then claiming, hand each
	// task out once.
	var tasks []store.Task
	for i := range 20 {
		tasks = append(tasks, task(fmt.Sprintf("c%02d", i), act, 100+i))
	}
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 4, Input: []byte("4"), AddTasks: tasks,
	}))
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for {
				next, err := s.NextTasks(ctxT(t), store.NextTasksParams{ActivityArn: act, Limit: 4})
				if err != nil {
					t.Error(err)
					return
				}
				var mine []*store.Task
				for _, x := range next {
					if x.ExecutionArn == e.Arn && strings.HasPrefix(x.Token, "c") {
						mine = append(mine, x)
					}
				}
				if len(mine) == 0 {
					return
				}
				c := mine[w%len(mine)]
				err = s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 5,
					ClaimTasks: []store.TaskClaim{{Token: c.Token, WorkerName: fmt.Sprint("w", w)}}})
				if errors.Is(err, store.ErrConflict) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[c.Token]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Errorf("concurrent claims handed out %d distinct tasks, want 20", len(seen))
	}
	for tok, n := range seen {
		if n != 1 {
			t.Errorf("task %s handed out %d times", tok, n)
		}
	}
}

func testTasksGetTask(t *testing.T, s store.Store) {
	_, err := s.GetTask(ctxT(t), "unknown")
	checkErr(t, "GetTask unknown", err, store.ErrNotFound)
	e := start(t, s, "x", at(0), 0)
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTasks: []store.Task{{Token: "tok", ExecutionArn: e.Arn, Ref: 5, Input: `{"a":1}`, CreatedAt: at(1)}},
	}))
	got, err := s.GetTask(ctxT(t), "tok")
	must(t, "GetTask", err)
	if got.Token != "tok" || got.Ref != 5 || got.Input != `{"a":1}` || got.Started {
		t.Errorf("GetTask = %+v", got)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, at(1))
	must(t, "CommitStep close", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"), CloseTasks: []string{"tok"},
	}))
	_, err = s.GetTask(ctxT(t), "tok")
	checkErr(t, "GetTask closed", err, store.ErrNotFound)
}

func testTags(t *testing.T, s store.Store) {
	const arn = "arn:aws:states:us-east-1:123456789012:stateMachine:tagged"
	tags, err := s.ListTags(ctxT(t), arn)
	must(t, "ListTags untagged", err)
	if len(tags) != 0 {
		t.Errorf("ListTags untagged = %v", tags)
	}
	must(t, "TagResource", s.TagResource(ctxT(t), store.TagResourceParams{Arn: arn, Tags: map[string]string{"a": "1", "b": "2", "c": ""}}))
	must(t, "TagResource other", s.TagResource(ctxT(t), store.TagResourceParams{Arn: arn + "2", Tags: map[string]string{"a": "other"}}))
	must(t, "TagResource overwrite", s.TagResource(ctxT(t), store.TagResourceParams{Arn: arn, Tags: map[string]string{"b": "22", "d": "4"}}))
	must(t, "UntagResource", s.UntagResource(ctxT(t), store.UntagResourceParams{Arn: arn, Keys: []string{"a", "missing"}}))
	tags, err = s.ListTags(ctxT(t), arn)
	must(t, "ListTags", err)
	want := map[string]string{"b": "22", "c": "", "d": "4"}
	if len(tags) != len(want) {
		t.Errorf("ListTags = %v, want %v", tags, want)
	}
	for k, v := range want {
		if got, ok := tags[k]; !ok || got != v {
			t.Errorf("tag %q = %q, %v, want %q", k, got, ok, v)
		}
	}
	tags, err = s.ListTags(ctxT(t), arn+"2")
	must(t, "ListTags other", err)
	if len(tags) != 1 || tags["a"] != "other" {
		t.Errorf("other resource's tags = %v", tags)
	}
}

func testConcurrencyManyExecutions(t *testing.T, s store.Store) {
	const n, steps = 50, 4
	var es []*store.Execution
	for i := range n {
		es = append(es, start(t, s, fmt.Sprint("x", i), at(i), 1))
	}
	var wg sync.WaitGroup
	for i, e := range es {
		wg.Go(func() {
			for k := range int64(steps) {
				err := s.CommitStep(ctxT(t), store.StepParams{
					ExecutionArn: e.Arn, Seq: 1 + k, Input: []byte(fmt.Sprint(k)),
					Events:    events(int(2+3*k), 3, at(i)),
					AddTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: 1, Kind: store.TimerState, Due: at(100 + i)}},
				})
				if err != nil {
					t.Errorf("CommitStep %s step %d: %v", e.Name, k, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, e := range es {
		got := getExecution(t, s, e.Arn)
		if got.Seq != 1+steps || got.Events != 1+3*steps {
			t.Errorf("%s: Seq, Events = %d, %d, want %d, %d", e.Name, got.Seq, got.Events, 1+steps, 1+3*steps)
		}
		if n := len(history(t, s, e.Arn)); n != 1+3*steps {
			t.Errorf("%s: %d events stored", e.Name, n)
		}
	}
}

func testConcurrencySameSeq(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	for round := range int64(10) {
		seq := 1 + round
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Go(func() {
				errs[g] = s.CommitStep(ctxT(t), store.StepParams{
					ExecutionArn: e.Arn, Seq: seq, Input: []byte(fmt.Sprint(g)),
					Events: events(int(2+seq), 1, at(1)),
				})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrConflict):
				t.Fatalf("round %d: %v, want nil or ErrConflict", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d commits succeeded, want 1 (errs %v)", round, ok, errs)
		}
	}
	got := getExecution(t, s, e.Arn)
	if got.Seq != 11 || got.Events != 11 {
		t.Errorf("Seq, Events = %d, %d, want 11, 11", got.Seq, got.Events)
	}
}

// testConcurrencyMixedConflicts has winners and losers commit at the same
// time, so a driver that batches commits must fail the losers alone.
func testConcurrencyMixedConflicts(t *testing.T, s store.Store) {
	const n = 20
	var es []*store.Execution
	for i := range n {
		es = append(es, start(t, s, fmt.Sprint("x", i), at(i), 1))
	}
	errs := make([][2]error, n)
	var wg sync.WaitGroup
	for i, e := range es {
		for g := range 2 {
			wg.Go(func() {
				errs[i][g] = s.CommitStep(ctxT(t), store.StepParams{
					ExecutionArn: e.Arn, Seq: 1, Input: []byte(fmt.Sprint(g)),
					Events:    events(2, 1+g, at(1)), // loser and winner differ in event count
					AddTimers: []store.Timer{{ExecutionArn: e.Arn, Ref: int64(g), Kind: store.TimerState, Due: at(50)}},
				})
			})
		}
	}
	wg.Wait()
	for i, e := range es {
		winner := -1
		for g, err := range errs[i] {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("%s: both commits succeeded", e.Name)
				}
				winner = g
			case !errors.Is(err, store.ErrConflict):
				t.Fatalf("%s: %v", e.Name, err)
			}
		}
		if winner < 0 {
			t.Fatalf("%s: no commit succeeded: %v", e.Name, errs[i])
		}
		got := getExecution(t, s, e.Arn)
		if got.Seq != 2 || got.Events != int64(2+winner) {
			t.Errorf("%s: Seq, Events = %d, %d, want 2, %d", e.Name, got.Seq, got.Events, 2+winner)
		}
		ins, err := s.Inputs(ctxT(t), e.Arn)
		must(t, "Inputs", err)
		if len(ins) != 2 || string(ins[1].Body) != fmt.Sprint(winner) {
			t.Errorf("%s: inputs %+v, want the winner's", e.Name, ins)
		}
		tms := timersOf(t, s, e.Arn)
		if len(tms) != 1 || tms[0].Ref != int64(winner) {
			t.Errorf("%s: timers %+v, want only the winner's", e.Name, tms)
		}
	}
}

// A nested execution keeps the token of the Task state that started it.
func testExecutionParentToken(t *testing.T, s store.Store) {
	e := execution("child", at(0))
	e.ParentToken = "parent-token.abc"
	must(t, "StartExecution", s.StartExecution(ctxT(t), store.StartExecutionParams{Execution: e, Step: store.StepParams{ExecutionArn: e.Arn}}))
	if got := getExecution(t, s, e.Arn).ParentToken; got != e.ParentToken {
		t.Fatalf("ParentToken = %q, want %q", got, e.ParentToken)
	}
	top := start(t, s, "top", at(1), 1)
	if got := getExecution(t, s, top.Arn).ParentToken; got != "" {
		t.Fatalf("ParentToken of a top-level execution = %q", got)
	}
}

func testTasksQueued(t *testing.T, s store.Store) {
	const act, otherAct = "arn:aws:states:us-east-1:123456789012:activity:act", "arn:aws:states:us-east-1:123456789012:activity:other"
	queued := func(what string, want map[string]int64) {
		t.Helper()
		got, err := s.QueuedTasks(ctxT(t))
		must(t, "QueuedTasks", err)
		if len(got) != len(want) {
			t.Errorf("%s: QueuedTasks = %v, want %v", what, got, want)
			return
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: QueuedTasks = %v, want %v", what, got, want)
				return
			}
		}
	}
	queued("empty store", map[string]int64{})
	e := start(t, s, "x", at(0), 0)
	task := func(tok, activity string, created int) store.Task {
		return store.Task{Token: tok, ExecutionArn: e.Arn, Ref: int64(created), ActivityArn: activity, Input: "{}", CreatedAt: at(created)}
	}
	must(t, "CommitStep", s.CommitStep(ctxT(t), store.StepParams{
		ExecutionArn: e.Arn, Seq: 1, Input: []byte("1"),
		AddTasks: []store.Task{task("a1", act, 1), task("a2", act, 2), task("a3", act, 3), task("o1", otherAct, 1), task("cb", "", 1)},
	}))
	queued("added", map[string]int64{act: 3, otherAct: 1})

	// A claimed task leaves the queue; a task claimed and handed back (closed
	// and added again unstarted in one step) joins it again.
	if got := claimNext(t, s, 2, act, "w"); got == nil || got.Token != "a1" {
		t.Fatalf("claimed %+v, want a1", got)
	}
	queued("one claimed", map[string]int64{act: 2, otherAct: 1})
	got := claimNext(t, s, 2, otherAct, "w")
	if got == nil {
		t.Fatal("nothing claimed of the other activity")
	}
	queued("other claimed", map[string]int64{act: 2})
	back := *got
	back.Started, back.WorkerName = false, ""
	must(t, "hand back", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, CloseTasks: []string{got.Token}, AddTasks: []store.Task{back}}))
	queued("handed back", map[string]int64{act: 2, otherAct: 1})

	// Closed tasks are not queued, and an ended execution's tasks are gone.
	must(t, "close", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 2, Input: []byte("2"), CloseTasks: []string{"a3"}}))
	queued("one closed", map[string]int64{act: 1, otherAct: 1})
	must(t, "end", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: 3, Input: []byte("3"),
		Final: &store.Final{Status: "SUCCEEDED", Output: "{}", StoppedAt: at(5)}}))
	queued("ended", map[string]int64{})
}

// end ends a running execution at stopped with a step that adds no input.
func end(t *testing.T, s store.Store, e *store.Execution, seq int64, status string, stopped time.Time) {
	t.Helper()
	must(t, "end "+e.Name, s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: e.Arn, Seq: seq,
		Events: events(100, 1, stopped), Final: &store.Final{Status: status, Output: "{}", StoppedAt: stopped}}))
}

func purge(t *testing.T, s store.Store, before time.Time, limit int) int {
	t.Helper()
	n, err := s.PurgeExecutions(ctxT(t), store.PurgeParams{StoppedBefore: before, Limit: limit})
	must(t, "PurgeExecutions", err)
	return n
}

// gone checks that nothing of a purged execution is left.
func gone(t *testing.T, s store.Store, e *store.Execution) {
	t.Helper()
	if _, err := s.GetExecution(ctxT(t), e.Arn); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: GetExecution after purge = %v, want ErrNotFound", e.Name, err)
	}
	if evs, err := s.History(ctxT(t), store.HistoryParams{ExecutionArn: e.Arn}); len(evs) != 0 || (err != nil && !errors.Is(err, store.ErrNotFound)) {
		t.Errorf("%s: history after purge = %d events, %v", e.Name, len(evs), err)
	}
	if ins, err := s.Inputs(ctxT(t), e.Arn); len(ins) != 0 || (err != nil && !errors.Is(err, store.ErrNotFound)) {
		t.Errorf("%s: inputs after purge = %d, %v", e.Name, len(ins), err)
	}
	if tms := timersOf(t, s, e.Arn); len(tms) != 0 {
		t.Errorf("%s: timers after purge = %+v", e.Name, tms)
	}
	if tags, err := s.ListTags(ctxT(t), e.Arn); err != nil || len(tags) != 0 {
		t.Errorf("%s: tags after purge = %v, %v", e.Name, tags, err)
	}
}

// kept checks that an execution is whole: its row, n events and its inputs.
func kept(t *testing.T, s store.Store, e *store.Execution, status string, n int) {
	t.Helper()
	got, err := s.GetExecution(ctxT(t), e.Arn)
	if err != nil {
		t.Errorf("%s: purged, want kept: %v", e.Name, err)
		return
	}
	if got.Status != status {
		t.Errorf("%s: status %s, want %s", e.Name, got.Status, status)
	}
	if h := history(t, s, e.Arn); len(h) != n {
		t.Errorf("%s: %d events kept, want %d", e.Name, len(h), n)
	}
	if ins, err := s.Inputs(ctxT(t), e.Arn); err != nil || len(ins) == 0 {
		t.Errorf("%s: inputs %d, %v", e.Name, len(ins), err)
	}
}

func testPurgeClosed(t *testing.T, s store.Store) {
	if n := purge(t, s, at(1_000_000), 10); n != 0 {
		t.Fatalf("purge of an empty store = %d", n)
	}
	old := start(t, s, "old", at(0), 3)
	failed := start(t, s, "failed", at(1), 2)
	recent := start(t, s, "recent", at(2), 2)
	edge := start(t, s, "edge", at(3), 2)
	// Running for ages: never purged, whatever the cut-off.
	running := start(t, s, "running", at(-1_000_000), 4)
	must(t, "CommitStep running", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: running.Arn, Seq: 1, Input: []byte("2"),
		AddTimers: []store.Timer{{ExecutionArn: running.Arn, Ref: 1, Kind: store.TimerState, Due: at(50)}},
		AddTasks:  []store.Task{{Token: "running-task", ExecutionArn: running.Arn, Ref: 2, ActivityArn: "arn:act", Input: "{}", CreatedAt: at(0)}}}))
	must(t, "TagResource", s.TagResource(ctxT(t), store.TagResourceParams{Arn: old.Arn, Tags: map[string]string{"k": "v"}}))
	must(t, "TagResource", s.TagResource(ctxT(t), store.TagResourceParams{Arn: running.Arn, Tags: map[string]string{"k": "v"}}))
	end(t, s, old, 1, "SUCCEEDED", at(10))
	end(t, s, failed, 1, "FAILED", at(20))
	end(t, s, recent, 1, "ABORTED", at(40))
	end(t, s, edge, 1, "TIMED_OUT", at(30))
	// A timer set after the end (a heartbeat racing it) is left over.
	must(t, "SetTimer after end", s.SetTimer(ctxT(t), store.Timer{ExecutionArn: old.Arn, Ref: 9, Kind: store.TimerHeartbeat, Due: at(60)}))

	// Strictly before the cut-off: edge, ended at 30, stays.
	if n := purge(t, s, at(30), 10); n != 2 {
		t.Fatalf("purged %d, want 2 (old and failed)", n)
	}
	gone(t, s, old)
	gone(t, s, failed)
	kept(t, s, edge, "TIMED_OUT", 3)
	kept(t, s, recent, "ABORTED", 3)
	kept(t, s, running, "RUNNING", 4)
	if tms := timersOf(t, s, running.Arn); len(tms) != 1 {
		t.Errorf("running execution's timers = %+v", tms)
	}
	if task, err := s.GetTask(ctxT(t), "running-task"); err != nil || task.ExecutionArn != running.Arn {
		t.Errorf("running execution's task = %+v, %v", task, err)
	}
	if tags, err := s.ListTags(ctxT(t), running.Arn); err != nil || tags["k"] != "v" {
		t.Errorf("running execution's tags = %v, %v", tags, err)
	}
	es, _, err := s.ListExecutions(ctxT(t), store.ListExecutionsParams{StateMachineArn: smArn})
	must(t, "ListExecutions", err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name)
	}
	if want := []string{"edge", "recent", "running"}; !slices.Equal(names, want) {
		t.Errorf("listed after purge: %v, want %v", names, want)
	}

	if n := purge(t, s, at(1_000_000), 10); n != 2 {
		t.Fatalf("second purge = %d, want 2 (edge and recent)", n)
	}
	gone(t, s, edge)
	gone(t, s, recent)
	kept(t, s, running, "RUNNING", 4)

	// A purged execution's ARN can be used again, from scratch.
	again := start(t, s, "old", at(100), 1)
	kept(t, s, again, "RUNNING", 1)
	if got := getExecution(t, s, again.Arn); got.Seq != 1 || got.Events != 1 {
		t.Errorf("restarted execution = %+v", got)
	}
	if ins, err := s.Inputs(ctxT(t), again.Arn); err != nil || len(ins) != 1 || ins[0].Seq != 1 {
		t.Errorf("restarted execution's inputs = %+v, %v; want its own one", ins, err)
	}
}

// testPurgeBatches purges in batches of Limit, the executions that ended
// first going first.
func testPurgeBatches(t *testing.T, s store.Store) {
	var es []*store.Execution
	for i := range 7 {
		e := start(t, s, fmt.Sprint("x", i), at(i), 1)
		es = append(es, e)
	}
	// Ended in another order than started.
	endAt := []int{50, 10, 70, 30, 20, 60, 40}
	for i, e := range es {
		end(t, s, e, 1, "SUCCEEDED", at(endAt[i]))
	}
	wantOrder := []int{1, 4, 3, 6, 0, 5, 2}
	for done, batch := 0, 0; done < len(es); batch++ {
		n := purge(t, s, at(1000), 3)
		if want := min(3, len(es)-done); n != want {
			t.Fatalf("batch %d purged %d, want %d", batch, n, want)
		}
		for _, i := range wantOrder[:done+n] {
			gone(t, s, es[i])
		}
		for _, i := range wantOrder[done+n:] {
			kept(t, s, es[i], "SUCCEEDED", 2)
		}
		done += n
	}
	if n := purge(t, s, at(1000), 3); n != 0 {
		t.Errorf("purge with nothing left = %d", n)
	}
}

func testPurgeBadLimit(t *testing.T, s store.Store) {
	e := start(t, s, "x", at(0), 1)
	end(t, s, e, 1, "SUCCEEDED", at(1))
	for _, limit := range []int{0, -1} {
		n, err := s.PurgeExecutions(ctxT(t), store.PurgeParams{StoppedBefore: at(100), Limit: limit})
		if err == nil || n != 0 {
			t.Errorf("PurgeExecutions with Limit %d = %d, %v; want an error", limit, n, err)
		}
	}
	kept(t, s, e, "SUCCEEDED", 2)
}

// testPurgeWaitedOnChild keeps a child execution whose parent still waits
// for it (the parent's task, named by the child's ParentToken, is open),
// and purges it once the parent has its result or has ended.
func testPurgeWaitedOnChild(t *testing.T, s store.Store) {
	parent := start(t, s, "parent", at(0), 1)
	must(t, "parent waits", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: parent.Arn, Seq: 1, Input: []byte("2"),
		AddTasks: []store.Task{
			{Token: "wait-a", ExecutionArn: parent.Arn, Ref: 1, Input: "{}", CreatedAt: at(0)},
			{Token: "wait-b", ExecutionArn: parent.Arn, Ref: 2, Input: "{}", CreatedAt: at(0)},
		}}))
	child := func(name, token string) *store.Execution {
		e := execution(name, at(1))
		e.ParentToken = token
		must(t, "StartExecution "+name, s.StartExecution(ctxT(t), store.StartExecutionParams{Execution: e, Step: store.StepParams{ExecutionArn: e.Arn, Input: []byte("1"),
			Events: events(1, 1, at(1)), Final: &store.Final{Status: "SUCCEEDED", Output: "{}", StoppedAt: at(2)}}}))
		return e
	}
	a := child("child-a", "wait-a")
	b := child("child-b", "wait-b")
	orphan := child("orphan", "no-such-task") // its parent stopped waiting long ago

	if n := purge(t, s, at(1000), 10); n != 1 {
		t.Fatalf("purged %d, want 1 (the orphan)", n)
	}
	gone(t, s, orphan)
	kept(t, s, a, "SUCCEEDED", 1)
	kept(t, s, b, "SUCCEEDED", 1)

	// The parent takes a's result: a may go, b is still waited on.
	must(t, "parent takes a's result", s.CommitStep(ctxT(t), store.StepParams{ExecutionArn: parent.Arn, Seq: 2, Input: []byte("3"),
		CloseTasks: []string{"wait-a"}}))
	if n := purge(t, s, at(1000), 10); n != 1 {
		t.Fatalf("purged %d, want 1 (child a)", n)
	}
	gone(t, s, a)
	kept(t, s, b, "SUCCEEDED", 1)

	// The parent ends (its tasks with it): b may go; the parent itself
	// only once it ended before the cut-off.
	end(t, s, parent, 3, "ABORTED", at(500))
	if n := purge(t, s, at(400), 10); n != 1 {
		t.Fatalf("purged %d, want 1 (child b)", n)
	}
	gone(t, s, b)
	kept(t, s, parent, "ABORTED", 2)
	if n := purge(t, s, at(1000), 10); n != 1 {
		t.Fatalf("purged %d, want 1 (the parent)", n)
	}
	gone(t, s, parent)
}
