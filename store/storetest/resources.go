package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/store"
)

// exerciseResources checks state machines, activities and tags.
func exerciseResources(t *testing.T, open func(*testing.T) store.Store) {
	run(t, open, []test{
		{"StateMachine/CreateGet", testStateMachineCreateGet},
		{"StateMachine/Duplicate", testStateMachineDuplicate},
		{"StateMachine/Missing", testStateMachineMissing},
		{"StateMachine/Update", testStateMachineUpdate},
		{"StateMachine/Delete", testStateMachineDelete},
		{"StateMachine/List", testStateMachineList},
		{"StateMachine/ListBadToken", testStateMachineListBadToken},
		{"StateMachine/ListTokenIsAPosition", testStateMachineListTokenIsAPosition},
		{"StateMachine/ListArnPrefix", testStateMachineListArnPrefix},
		{"Activity/CreateGet", testActivityCreateGet},
		{"Activity/Duplicate", testActivityDuplicate},
		{"Activity/Delete", testActivityDelete},
		{"Activity/List", testActivityList},
		{"Activity/ListArnPrefix", testActivityListArnPrefix},
		{"Tags", testTags},
	})
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
	for _, tok := range []string{"!!not a token!!", "a", "YQ", strings.Repeat("x", 64)} {
		_, _, err := s.ListStateMachines(ctxT(t), store.ListParams{Limit: 1, Token: tok})
		checkErr(t, "ListStateMachines with token "+tok, err, store.ErrInvalidToken)
	}
}

// testStateMachineListTokenIsAPosition deletes the last row of a page
// and adds rows before it: the next page goes on after that row's place.
func testStateMachineListTokenIsAPosition(t *testing.T, s store.Store) {
	names, created, _ := creationOrder() // listed b c a d e
	for i, n := range names {
		must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), stateMachine(n, created[i])))
	}
	page, next, err := s.ListStateMachines(ctxT(t), store.ListParams{Limit: 2})
	must(t, "ListStateMachines", err)
	if len(page) != 2 || page[1].Name != "c" || next == "" {
		t.Fatalf("first page = %d rows, next %q", len(page), next)
	}
	must(t, "DeleteStateMachine c", s.DeleteStateMachine(ctxT(t), page[1].Arn))
	must(t, "CreateStateMachine early", s.CreateStateMachine(ctxT(t), stateMachine("early", at(0))))
	page, next, err = s.ListStateMachines(ctxT(t), store.ListParams{Limit: 10, Token: next})
	must(t, "ListStateMachines after the token", err)
	var got []string
	for _, sm := range page {
		got = append(got, sm.Name)
	}
	if strings.Join(got, " ") != "a d e" || next != "" {
		t.Errorf("next page = %v (next %q), want [a d e]", got, next)
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
		got, next, err := list(store.ListParams{ArnPrefix: prefix, Limit: 100})
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
