package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
)

// exerciseAliases checks the aliases of state machines and how they tie
// to versions.
func exerciseAliases(t *testing.T, open func(*testing.T) store.Store) {
	run(t, open, []test{
		{"CreateGet", testAliasCreateGet},
		{"Update", testAliasUpdate},
		{"Delete", testAliasDelete},
		{"List", testAliasList},
		{"VersionInUse", testAliasVersionInUse},
		{"DeleteMachine", testAliasDeleteMachine},
		{"Limit", testAliasLimit},
		{"ConcurrentCreate", testAliasConcurrentCreate},
		{"RaceVersionDelete", testAliasRaceVersionDelete},
	})
}

// versioned creates machine name with n published versions.
func versioned(t *testing.T, s store.Store, name string, n int) *store.StateMachine {
	t.Helper()
	sm := stateMachine(name, at(0))
	must(t, "CreateStateMachine", s.CreateStateMachine(ctxT(t), sm))
	for i := 1; i <= n; i++ {
		if i > 1 {
			revise(t, s, sm, fmt.Sprint("rev-", i), i)
		}
		publish(t, s, sm, "", i)
	}
	return sm
}

func route(sm *store.StateMachine, version int64, weight int) store.AliasRoute {
	return store.AliasRoute{VersionArn: arn.Version(sm.Arn, version), Weight: weight}
}

func createAlias(t *testing.T, s store.Store, sm *store.StateMachine, name string, sec int, routes ...store.AliasRoute) *store.StateMachineAlias {
	t.Helper()
	a, created, err := s.CreateStateMachineAlias(ctxT(t), store.CreateAliasParams{
		StateMachineArn: sm.Arn, Name: name, Description: "alias " + name, Routes: routes, CreatedAt: at(sec),
	})
	must(t, "CreateStateMachineAlias "+name, err)
	if !created {
		t.Fatalf("CreateStateMachineAlias %s: created = false", name)
	}
	return a
}

func checkAlias(t *testing.T, what string, got, want *store.StateMachineAlias) {
	t.Helper()
	if got.Arn != want.Arn || got.StateMachineArn != want.StateMachineArn || got.Name != want.Name ||
		got.Description != want.Description || !slices.Equal(got.Routes, want.Routes) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func testAliasCreateGet(t *testing.T, s store.Store) {
	missing := stateMachine("missing", at(0))
	_, _, err := s.CreateStateMachineAlias(ctxT(t), store.CreateAliasParams{StateMachineArn: missing.Arn, Name: "prod",
		Routes: []store.AliasRoute{route(missing, 1, 100)}, CreatedAt: at(1)})
	checkErr(t, "CreateStateMachineAlias of a missing machine", err, store.ErrNotFound)

	sm := versioned(t, s, "a", 2)
	other := versioned(t, s, "b", 1)
	for _, routes := range [][]store.AliasRoute{
		{route(sm, 3, 100)},                  // no such version
		{route(sm, 1, 50), route(sm, 3, 50)}, // the second is missing
		{route(other, 1, 100)},               // another machine's
		{{VersionArn: sm.Arn, Weight: 100}},  // not a version
		{{VersionArn: sm.Arn + ":x", Weight: 100}},
	} {
		_, _, err := s.CreateStateMachineAlias(ctxT(t), store.CreateAliasParams{StateMachineArn: sm.Arn, Name: "prod", Routes: routes, CreatedAt: at(1)})
		checkErr(t, fmt.Sprintf("CreateStateMachineAlias routing to %v", routes), err, store.ErrNotFound)
	}

	got := createAlias(t, s, sm, "prod", 5, route(sm, 2, 70), route(sm, 1, 30))
	want := &store.StateMachineAlias{
		Arn: arn.Alias(sm.Arn, "prod"), StateMachineArn: sm.Arn, Name: "prod", Description: "alias prod",
		Routes: []store.AliasRoute{route(sm, 2, 70), route(sm, 1, 30)}, CreatedAt: at(5), UpdatedAt: at(5),
	}
	checkAlias(t, "created alias", got, want)
	read, err := s.GetStateMachineAlias(ctxT(t), want.Arn)
	must(t, "GetStateMachineAlias", err)
	checkAlias(t, "GetStateMachineAlias", read, want)

	// Idempotent on the whole configuration; the same name configured
	// otherwise is taken.
	again, created, err := s.CreateStateMachineAlias(ctxT(t), store.CreateAliasParams{StateMachineArn: sm.Arn, Name: "prod",
		Description: "alias prod", Routes: []store.AliasRoute{route(sm, 2, 70), route(sm, 1, 30)}, CreatedAt: at(9)})
	must(t, "CreateStateMachineAlias again", err)
	if created {
		t.Error("creating the same alias again: created = true")
	}
	checkAlias(t, "alias created again", again, want)
	for what, p := range map[string]store.CreateAliasParams{
		"description": {Description: "other", Routes: want.Routes},
		"weights":     {Description: "alias prod", Routes: []store.AliasRoute{route(sm, 2, 60), route(sm, 1, 40)}},
		"order":       {Description: "alias prod", Routes: []store.AliasRoute{route(sm, 1, 30), route(sm, 2, 70)}},
		"versions":    {Description: "alias prod", Routes: []store.AliasRoute{route(sm, 2, 100)}},
	} {
		p.StateMachineArn, p.Name, p.CreatedAt = sm.Arn, "prod", at(9)
		_, _, err := s.CreateStateMachineAlias(ctxT(t), p)
		checkErr(t, "CreateStateMachineAlias with another "+what, err, store.ErrAlreadyExists)
	}
	read, err = s.GetStateMachineAlias(ctxT(t), want.Arn)
	must(t, "GetStateMachineAlias after refused creates", err)
	checkAlias(t, "alias after refused creates", read, want)

	// The same name on another machine is another alias.
	createAlias(t, s, other, "prod", 6, route(other, 1, 100))

	for _, a := range []string{sm.Arn + ":beta", sm.Arn + ":1", sm.Arn, arn.Alias(stateMachine("c", at(0)).Arn, "prod"), "x"} {
		_, err := s.GetStateMachineAlias(ctxT(t), a)
		checkErr(t, "GetStateMachineAlias "+a, err, store.ErrNotFound)
	}
}

func testAliasUpdate(t *testing.T, s store.Store) {
	sm := versioned(t, s, "a", 3)
	a := createAlias(t, s, sm, "prod", 5, route(sm, 1, 100))
	_, err := s.UpdateStateMachineAlias(ctxT(t), store.UpdateAliasParams{Arn: arn.Alias(sm.Arn, "beta"), UpdatedAt: at(6)})
	checkErr(t, "UpdateStateMachineAlias of a missing alias", err, store.ErrNotFound)

	desc := "new"
	got, err := s.UpdateStateMachineAlias(ctxT(t), store.UpdateAliasParams{Arn: a.Arn, Description: &desc, UpdatedAt: at(7)})
	must(t, "UpdateStateMachineAlias description", err)
	a.Description, a.UpdatedAt = "new", at(7)
	checkAlias(t, "alias with a new description", got, a)

	got, err = s.UpdateStateMachineAlias(ctxT(t), store.UpdateAliasParams{Arn: a.Arn,
		Routes: []store.AliasRoute{route(sm, 2, 50), route(sm, 3, 50)}, UpdatedAt: at(8)})
	must(t, "UpdateStateMachineAlias routes", err)
	a.Routes, a.UpdatedAt = []store.AliasRoute{route(sm, 2, 50), route(sm, 3, 50)}, at(8)
	checkAlias(t, "alias with new routes", got, a)

	// A route to a version that does not exist changes nothing.
	_, err = s.UpdateStateMachineAlias(ctxT(t), store.UpdateAliasParams{Arn: a.Arn, Description: &desc,
		Routes: []store.AliasRoute{route(sm, 4, 100)}, UpdatedAt: at(9)})
	checkErr(t, "UpdateStateMachineAlias to a missing version", err, store.ErrNotFound)

	empty := ""
	got, err = s.UpdateStateMachineAlias(ctxT(t), store.UpdateAliasParams{Arn: a.Arn, Description: &empty,
		Routes: []store.AliasRoute{route(sm, 1, 100)}, UpdatedAt: at(10)})
	must(t, "UpdateStateMachineAlias both", err)
	a.Description, a.Routes, a.UpdatedAt = "", []store.AliasRoute{route(sm, 1, 100)}, at(10)
	checkAlias(t, "alias with both updated", got, a)
	read, err := s.GetStateMachineAlias(ctxT(t), a.Arn)
	must(t, "GetStateMachineAlias", err)
	checkAlias(t, "alias read after updates", read, a)
}

func testAliasDelete(t *testing.T, s store.Store) {
	sm := versioned(t, s, "a", 1)
	a := createAlias(t, s, sm, "prod", 5, route(sm, 1, 100))
	must(t, "DeleteStateMachineAlias", s.DeleteStateMachineAlias(ctxT(t), a.Arn))
	_, err := s.GetStateMachineAlias(ctxT(t), a.Arn)
	checkErr(t, "GetStateMachineAlias after delete", err, store.ErrNotFound)
	checkErr(t, "second DeleteStateMachineAlias", s.DeleteStateMachineAlias(ctxT(t), a.Arn), store.ErrNotFound)
	checkErr(t, "DeleteStateMachineAlias of a version ARN", s.DeleteStateMachineAlias(ctxT(t), sm.Arn+":1"), store.ErrNotFound)
	// The version it routed to stays, and may go now.
	_, err = s.GetStateMachineVersion(ctxT(t), sm.Arn+":1")
	must(t, "GetStateMachineVersion after the alias went", err)
	must(t, "DeleteStateMachineVersion after the alias went", s.DeleteStateMachineVersion(ctxT(t), sm.Arn+":1"))
	// A deleted alias's name can be taken again.
	revise(t, s, sm, "rev-2", 6)
	publish(t, s, sm, "", 7)
	createAlias(t, s, sm, "prod", 8, route(sm, 2, 100))
}

func testAliasList(t *testing.T, s store.Store) {
	sm := versioned(t, s, "a", 2)
	other := versioned(t, s, "b", 1)
	as, next, err := s.ListStateMachineAliases(ctxT(t), store.ListAliasesParams{StateMachineArn: sm.Arn, Limit: 10})
	must(t, "ListStateMachineAliases (none)", err)
	if len(as) != 0 || next != "" {
		t.Fatalf("listing without aliases = %d items, next %q", len(as), next)
	}
	// Creation order, ties broken by name (the ARN's order).
	for _, x := range []struct {
		name string
		sec  int
		v    int64
	}{{"e", 3, 1}, {"b", 1, 2}, {"d", 2, 1}, {"a", 2, 2}, {"c", 1, 1}} {
		createAlias(t, s, sm, x.name, x.sec, route(sm, x.v, 100))
	}
	createAlias(t, s, sm, "split", 4, route(sm, 1, 10), route(sm, 2, 90))
	createAlias(t, s, other, "a", 0, route(other, 1, 100))
	list := func(version string) func(store.ListParams) ([]string, string, error) {
		return func(p store.ListParams) ([]string, string, error) {
			as, next, err := s.ListStateMachineAliases(ctxT(t), store.ListAliasesParams{StateMachineArn: sm.Arn, VersionArn: version, Limit: p.Limit, Token: p.Token})
			var got []string
			for _, a := range as {
				if a.StateMachineArn != sm.Arn || a.Arn != arn.Alias(sm.Arn, a.Name) || a.Description != "alias "+a.Name {
					t.Errorf("listed alias %+v", a)
				}
				got = append(got, a.Name)
			}
			return got, next, err
		}
	}
	pageAll(t, []string{"b", "c", "a", "d", "e", "split"}, list(""))
	pageAll(t, []string{"c", "d", "e", "split"}, list(sm.Arn+":1"))
	pageAll(t, []string{"b", "a", "split"}, list(sm.Arn+":2"))
	pageAll(t, []string{}, list(sm.Arn+":3"))
	pageAll(t, []string{}, list(other.Arn+":1"))

	_, _, err = s.ListStateMachineAliases(ctxT(t), store.ListAliasesParams{StateMachineArn: sm.Arn, Limit: 1, Token: "!!not a token!!"})
	checkErr(t, "ListStateMachineAliases with a garbage token", err, store.ErrInvalidToken)
	as, _, err = s.ListStateMachineAliases(ctxT(t), store.ListAliasesParams{StateMachineArn: stateMachine("missing", at(0)).Arn, Limit: 10})
	must(t, "ListStateMachineAliases of a missing machine", err)
	if len(as) != 0 {
		t.Errorf("aliases of a missing machine: %d", len(as))
	}
}

// testAliasVersionInUse refuses to delete a version while an alias routes
// to it, and allows it once none does.
func testAliasVersionInUse(t *testing.T, s store.Store) {
	sm := versioned(t, s, "a", 3)
	a := createAlias(t, s, sm, "prod", 5, route(sm, 1, 100))
	createAlias(t, s, sm, "split", 5, route(sm, 3, 20), route(sm, 2, 80))
	for _, v := range []int64{1, 2, 3} {
		checkErr(t, fmt.Sprint("DeleteStateMachineVersion ", v), s.DeleteStateMachineVersion(ctxT(t), arn.Version(sm.Arn, v)), store.ErrConflict)
		if _, err := s.GetStateMachineVersion(ctxT(t), arn.Version(sm.Arn, v)); err != nil {
			t.Errorf("version %d after a refused delete: %v", v, err)
		}
	}
	_, err := s.UpdateStateMachineAlias(ctxT(t), store.UpdateAliasParams{Arn: a.Arn, Routes: []store.AliasRoute{route(sm, 2, 100)}, UpdatedAt: at(6)})
	must(t, "UpdateStateMachineAlias", err)
	must(t, "DeleteStateMachineVersion 1 once no alias routes to it", s.DeleteStateMachineVersion(ctxT(t), sm.Arn+":1"))
	checkErr(t, "DeleteStateMachineVersion 2", s.DeleteStateMachineVersion(ctxT(t), sm.Arn+":2"), store.ErrConflict)
}

func testAliasDeleteMachine(t *testing.T, s store.Store) {
	sm := versioned(t, s, "a", 1)
	a := createAlias(t, s, sm, "prod", 5, route(sm, 1, 100))
	must(t, "DeleteStateMachine", s.DeleteStateMachine(ctxT(t), sm.Arn))
	_, err := s.GetStateMachineAlias(ctxT(t), a.Arn)
	checkErr(t, "GetStateMachineAlias after DeleteStateMachine", err, store.ErrNotFound)
	checkErr(t, "UpdateStateMachineAlias after DeleteStateMachine", func() error {
		_, err := s.UpdateStateMachineAlias(ctxT(t), store.UpdateAliasParams{Arn: a.Arn, UpdatedAt: at(6)})
		return err
	}(), store.ErrNotFound)
	// A machine created again under the name has no aliases.
	fresh := versioned(t, s, "a", 1)
	as, _, err := s.ListStateMachineAliases(ctxT(t), store.ListAliasesParams{StateMachineArn: fresh.Arn, Limit: 10})
	must(t, "ListStateMachineAliases", err)
	if len(as) != 0 {
		t.Errorf("a re-created machine lists %d aliases", len(as))
	}
	createAlias(t, s, fresh, "prod", 7, route(fresh, 1, 100))
}

func testAliasLimit(t *testing.T, s store.Store) {
	sm := versioned(t, s, "a", 1)
	p := func(name string) store.CreateAliasParams {
		return store.CreateAliasParams{StateMachineArn: sm.Arn, Name: name, Description: "d", Routes: []store.AliasRoute{route(sm, 1, 100)},
			CreatedAt: at(1), MaxAliases: 2}
	}
	for _, name := range []string{"a", "b"} {
		if _, _, err := s.CreateStateMachineAlias(ctxT(t), p(name)); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	_, _, err := s.CreateStateMachineAlias(ctxT(t), p("c"))
	checkErr(t, "creating past MaxAliases", err, store.ErrLimitExceeded)
	// An existing alias is still idempotent at the limit.
	if a, created, err := s.CreateStateMachineAlias(ctxT(t), p("a")); err != nil || created || a.Name != "a" {
		t.Errorf("creating an existing alias at the limit = %+v, %v, %v", a, created, err)
	}
	must(t, "DeleteStateMachineAlias", s.DeleteStateMachineAlias(ctxT(t), arn.Alias(sm.Arn, "a")))
	if _, _, err := s.CreateStateMachineAlias(ctxT(t), p("c")); err != nil {
		t.Errorf("create after a delete made room: %v", err)
	}
}

// testAliasConcurrentCreate creates one alias from many goroutines:
// exactly one creates it.
func testAliasConcurrentCreate(t *testing.T, s store.Store) {
	sm := versioned(t, s, "a", 1)
	const n = 16
	var wg sync.WaitGroup
	createdN := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, createdN[i], errs[i] = s.CreateStateMachineAlias(ctxT(t), store.CreateAliasParams{
				StateMachineArn: sm.Arn, Name: "prod", Routes: []store.AliasRoute{route(sm, 1, 100)}, CreatedAt: at(1),
			})
		}()
	}
	wg.Wait()
	created := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		if createdN[i] {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d creates created the alias, want 1", created)
	}
}

// testAliasRaceVersionDelete creates aliases to versions that are being
// deleted at the same time: whichever wins, no alias is left routing to a
// version that is gone.
func testAliasRaceVersionDelete(t *testing.T, s store.Store) {
	sm := versioned(t, s, "a", 0)
	for i := 1; i <= 20; i++ {
		revise(t, s, sm, fmt.Sprint("rev-race-", i), i)
		v := publish(t, s, sm, "", i)
		name := fmt.Sprint("alias-", i)
		var wg sync.WaitGroup
		var createErr, deleteErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _, createErr = s.CreateStateMachineAlias(ctxT(t), store.CreateAliasParams{
				StateMachineArn: sm.Arn, Name: name, Routes: []store.AliasRoute{{VersionArn: v.Arn, Weight: 100}}, CreatedAt: at(i),
			})
		}()
		go func() {
			defer wg.Done()
			deleteErr = s.DeleteStateMachineVersion(ctxT(t), v.Arn)
		}()
		wg.Wait()
		switch {
		case createErr == nil && errors.Is(deleteErr, store.ErrConflict):
			if _, err := s.GetStateMachineVersion(ctxT(t), v.Arn); err != nil {
				t.Fatalf("round %d: the alias was created and the version is gone: %v", i, err)
			}
		case errors.Is(createErr, store.ErrNotFound) && deleteErr == nil:
			if _, err := s.GetStateMachineAlias(ctxT(t), arn.Alias(sm.Arn, name)); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("round %d: the version was deleted and the alias exists: %v", i, err)
			}
		default:
			t.Fatalf("round %d: create %v, delete %v", i, createErr, deleteErr)
		}
	}
}
