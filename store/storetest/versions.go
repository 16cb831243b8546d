package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
)

// exerciseVersions checks the published versions of state machines.
func exerciseVersions(t *testing.T, open func(*testing.T) store.Store) {
	run(t, open, []test{
		{"PublishGet", testVersionPublishGet},
		{"List", testVersionList},
		{"Delete", testVersionDelete},
		{"Limit", testVersionLimit},
		{"ConcurrentPublish", testVersionConcurrentPublish},
	})
}

// revise moves a stored machine to a new revision with a new definition,
// as UpdateStateMachine does.
func revise(t *testing.T, s store.Store, sm *store.StateMachine, rev string, sec int) {
	t.Helper()
	sm.RevisionID = rev
	sm.Definition = fmt.Sprintf(`{"StartAt":"%s","States":{"%s":{"Type":"Succeed"}}}`, rev, rev)
	sm.UpdatedAt = at(sec)
	must(t, "UpdateStateMachine", s.UpdateStateMachine(ctxT(t), sm))
}

func publish(t *testing.T, s store.Store, sm *store.StateMachine, desc string, sec int) *store.StateMachineVersion {
	t.Helper()
	v, created, err := s.PublishStateMachineVersion(ctxT(t), store.PublishVersionParams{
		StateMachineArn: sm.Arn, RevisionID: sm.RevisionID, Definition: sm.Definition, RoleArn: sm.RoleArn,
		Description: desc, CreatedAt: at(sec),
	})
	must(t, "PublishStateMachineVersion", err)
	if !created {
		t.Fatalf("PublishStateMachineVersion of new revision %s: created = false", sm.RevisionID)
	}
	return v
}

func checkVersion(t *testing.T, what string, got, want *store.StateMachineVersion) {
	t.Helper()
	if got.Arn != want.Arn || got.StateMachineArn != want.StateMachineArn || got.Version != want.Version ||
		got.Definition != want.Definition || got.RoleArn != want.RoleArn || got.RevisionID != want.RevisionID ||
		got.Description != want.Description {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
}

func versionNumbers(vs []*store.StateMachineVersion) []int64 {
	var out []int64
	for _, v := range vs {
		out = append(out, v.Version)
	}
	return out
}

func testVersionPublishGet(t *testing.T, s store.Store) {
	sm := stateMachine("a", at(0))
	_, _, err := s.PublishStateMachineVersion(ctxT(t), store.PublishVersionParams{StateMachineArn: sm.Arn, RevisionID: sm.RevisionID, CreatedAt: at(1)})
	checkErr(t, "PublishStateMachineVersion of a missing machine", err, store.ErrNotFound)
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), sm))

	v1 := publish(t, s, sm, "first", 1)
	want := &store.StateMachineVersion{
		Arn: sm.Arn + ":1", StateMachineArn: sm.Arn, Version: 1, Definition: sm.Definition,
		RoleArn: sm.RoleArn, RevisionID: "rev-1", Description: "first", CreatedAt: at(1),
	}
	checkVersion(t, "published version", v1, want)
	got, err := s.GetStateMachineVersion(ctxT(t), sm.Arn+":1")
	must(t, "GetStateMachineVersion", err)
	checkVersion(t, "GetStateMachineVersion", got, want)

	// Idempotent per revision: the same revision gives the same version,
	// whatever the description, and writes nothing.
	again, created, err := s.PublishStateMachineVersion(ctxT(t), store.PublishVersionParams{
		StateMachineArn: sm.Arn, RevisionID: "rev-1", Definition: sm.Definition, RoleArn: sm.RoleArn,
		Description: "other", CreatedAt: at(5),
	})
	must(t, "PublishStateMachineVersion again", err)
	if created {
		t.Error("publishing the same revision again: created = true")
	}
	checkVersion(t, "version published again", again, want)

	// A revision that is not the machine's current one is a conflict.
	_, _, err = s.PublishStateMachineVersion(ctxT(t), store.PublishVersionParams{StateMachineArn: sm.Arn, RevisionID: "rev-0", CreatedAt: at(6)})
	checkErr(t, "PublishStateMachineVersion of a stale revision", err, store.ErrConflict)

	revise(t, s, sm, "rev-2", 10)
	_, _, err = s.PublishStateMachineVersion(ctxT(t), store.PublishVersionParams{StateMachineArn: sm.Arn, RevisionID: "rev-1", CreatedAt: at(11)})
	checkErr(t, "PublishStateMachineVersion of the replaced revision", err, store.ErrConflict)
	v2 := publish(t, s, sm, "", 12)
	if v2.Version != 2 || v2.Arn != sm.Arn+":2" || v2.Definition != sm.Definition || v2.RevisionID != "rev-2" {
		t.Errorf("second version = %+v", v2)
	}
	// The first version is unchanged by the update.
	got, err = s.GetStateMachineVersion(ctxT(t), sm.Arn+":1")
	must(t, "GetStateMachineVersion 1", err)
	checkVersion(t, "version 1 after an update", got, want)

	for _, arn := range []string{sm.Arn + ":3", sm.Arn + ":0", sm.Arn + ":01", sm.Arn + ":-1", sm.Arn + ":alias", sm.Arn, "x"} {
		_, err := s.GetStateMachineVersion(ctxT(t), arn)
		checkErr(t, "GetStateMachineVersion "+arn, err, store.ErrNotFound)
	}
}

func testVersionList(t *testing.T, s store.Store) {
	sm := stateMachine("a", at(0))
	other := stateMachine("b", at(0))
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), sm))
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), other))
	vs, next, err := s.ListStateMachineVersions(ctxT(t), store.ListVersionsParams{StateMachineArn: sm.Arn, Limit: 10})
	must(t, "ListStateMachineVersions (none)", err)
	if len(vs) != 0 || next != "" {
		t.Fatalf("listing without versions = %d items, next %q", len(vs), next)
	}
	for i := 1; i <= 5; i++ {
		publish(t, s, sm, fmt.Sprint("v", i), i)
		revise(t, s, sm, fmt.Sprint("rev-", i+1), i)
	}
	publish(t, s, other, "", 1)
	// Numbers, not creation times, order versions: newest first.
	pageAll(t, []string{"5", "4", "3", "2", "1"}, func(p store.ListParams) ([]string, string, error) {
		vs, next, err := s.ListStateMachineVersions(ctxT(t), store.ListVersionsParams{StateMachineArn: sm.Arn, Limit: p.Limit, Token: p.Token})
		var got []string
		for _, v := range vs {
			if v.StateMachineArn != sm.Arn || v.Arn != arn.Version(sm.Arn, v.Version) || v.Description != fmt.Sprint("v", v.Version) {
				t.Errorf("listed version %+v", v)
			}
			got = append(got, fmt.Sprint(v.Version))
		}
		return got, next, err
	})
	_, _, err = s.ListStateMachineVersions(ctxT(t), store.ListVersionsParams{StateMachineArn: sm.Arn, Limit: 1, Token: "!!not a token!!"})
	checkErr(t, "ListStateMachineVersions with a garbage token", err, store.ErrInvalidToken)
	vs, _, err = s.ListStateMachineVersions(ctxT(t), store.ListVersionsParams{StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:missing", Limit: 10})
	must(t, "ListStateMachineVersions of a missing machine", err)
	if len(vs) != 0 {
		t.Errorf("versions of a missing machine: %d", len(vs))
	}
}

func testVersionDelete(t *testing.T, s store.Store) {
	sm := stateMachine("a", at(0))
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), sm))
	publish(t, s, sm, "", 1)
	revise(t, s, sm, "rev-2", 2)
	publish(t, s, sm, "", 3)
	revise(t, s, sm, "rev-3", 4)

	must(t, "DeleteStateMachineVersion 2", s.DeleteStateMachineVersion(ctxT(t), sm.Arn+":2"))
	_, err := s.GetStateMachineVersion(ctxT(t), sm.Arn+":2")
	checkErr(t, "GetStateMachineVersion after delete", err, store.ErrNotFound)
	checkErr(t, "second DeleteStateMachineVersion", s.DeleteStateMachineVersion(ctxT(t), sm.Arn+":2"), store.ErrNotFound)
	checkErr(t, "DeleteStateMachineVersion of a plain ARN", s.DeleteStateMachineVersion(ctxT(t), sm.Arn), store.ErrNotFound)
	// A deleted version's number is not given out again.
	if v := publish(t, s, sm, "", 5); v.Version != 3 {
		t.Errorf("version after deleting the newest = %d, want 3", v.Version)
	}
	vs, _, err := s.ListStateMachineVersions(ctxT(t), store.ListVersionsParams{StateMachineArn: sm.Arn, Limit: 10})
	must(t, "ListStateMachineVersions", err)
	if got := versionNumbers(vs); !slices.Equal(got, []int64{3, 1}) {
		t.Errorf("versions after a delete = %v, want [3 1]", got)
	}

	// Deleting the machine deletes its versions; a new machine of the
	// same name starts from 1.
	must(t, "DeleteStateMachine", s.DeleteStateMachine(ctxT(t), sm.Arn))
	_, err = s.GetStateMachineVersion(ctxT(t), sm.Arn+":1")
	checkErr(t, "GetStateMachineVersion after DeleteStateMachine", err, store.ErrNotFound)
	vs, _, err = s.ListStateMachineVersions(ctxT(t), store.ListVersionsParams{StateMachineArn: sm.Arn, Limit: 10})
	must(t, "ListStateMachineVersions after DeleteStateMachine", err)
	if len(vs) != 0 {
		t.Errorf("a deleted machine lists %d versions", len(vs))
	}
	fresh := stateMachine("a", at(10))
	must(t, "CreateStateMachine again", s.CreateStateMachine(ctxT(t), fresh))
	if v := publish(t, s, fresh, "", 11); v.Version != 1 {
		t.Errorf("first version of a re-created machine = %d, want 1", v.Version)
	}
}

func testVersionLimit(t *testing.T, s store.Store) {
	sm := stateMachine("a", at(0))
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), sm))
	p := func() store.PublishVersionParams {
		return store.PublishVersionParams{StateMachineArn: sm.Arn, RevisionID: sm.RevisionID, Definition: sm.Definition,
			RoleArn: sm.RoleArn, CreatedAt: at(1), MaxVersions: 2}
	}
	for i := 0; i < 2; i++ {
		if _, _, err := s.PublishStateMachineVersion(ctxT(t), p()); err != nil {
			t.Fatalf("publish %d: %v", i+1, err)
		}
		revise(t, s, sm, fmt.Sprint("rev-", i+2), i+2)
	}
	_, _, err := s.PublishStateMachineVersion(ctxT(t), p())
	checkErr(t, "publishing past MaxVersions", err, store.ErrLimitExceeded)
	// The revision of an existing version is still idempotent at the limit.
	revise(t, s, sm, "rev-1", 5)
	if v, created, err := s.PublishStateMachineVersion(ctxT(t), p()); err != nil || created || v.Version != 1 {
		t.Errorf("republishing a published revision at the limit = %+v, %v, %v", v, created, err)
	}
	revise(t, s, sm, "rev-x", 6)
	must(t, "DeleteStateMachineVersion", s.DeleteStateMachineVersion(ctxT(t), sm.Arn+":1"))
	v, _, err := s.PublishStateMachineVersion(ctxT(t), p())
	must(t, "publish after a delete made room", err)
	if v.Version != 3 {
		t.Errorf("version = %d, want 3", v.Version)
	}
}

// testVersionConcurrentPublish publishes one revision from many
// goroutines: exactly one version is created.
func testVersionConcurrentPublish(t *testing.T, s store.Store) {
	sm := stateMachine("a", at(0))
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), sm))
	const n = 16
	var wg sync.WaitGroup
	results := make([]*store.StateMachineVersion, n)
	createdN := make([]bool, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], createdN[i], errs[i] = s.PublishStateMachineVersion(ctxT(t), store.PublishVersionParams{
				StateMachineArn: sm.Arn, RevisionID: sm.RevisionID, Definition: sm.Definition, RoleArn: sm.RoleArn, CreatedAt: at(1),
			})
		}()
	}
	wg.Wait()
	created := 0
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("publish %d: %v", i, errs[i])
		}
		if results[i].Version != 1 {
			t.Errorf("publish %d gave version %d", i, results[i].Version)
		}
		if createdN[i] {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d publishes created a version, want 1", created)
	}
}
