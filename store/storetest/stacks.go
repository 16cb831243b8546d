package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/statecraft/statecraft/store"
)

// exerciseStacks checks CloudFormation stacks' records: versions, names
// and listings.
func exerciseStacks(t *testing.T, open func(*testing.T) store.Store) {
	run(t, open, []test{
		{"PutGet", testStackPutGet},
		{"StaleVersion", testStackStaleVersion},
		{"Names", testStackNames},
		{"List", testStackList},
		{"Delete", testStackDelete},
		{"ConcurrentPut", testStackConcurrentPut},
	})
}

func stackParams(id, name string, sec int) store.PutStackParams {
	return store.PutStackParams{Account: "123456789012", Region: "us-east-1", StackID: id, StackName: name,
		Document: []byte(`{"id":"` + id + `"}`), CreatedAt: at(sec)}
}

func putStack(t *testing.T, s store.Store, p store.PutStackParams) int64 {
	t.Helper()
	v, err := s.PutStack(ctxT(t), p)
	must(t, "PutStack "+p.StackID, err)
	if v != p.Version+1 {
		t.Fatalf("PutStack %s at version %d: version %d, want %d", p.StackID, p.Version, v, p.Version+1)
	}
	return v
}

func checkStack(t *testing.T, got *store.Stack, p store.PutStackParams, created int, version int64) {
	t.Helper()
	want := store.Stack{Account: p.Account, Region: p.Region, StackID: p.StackID, StackName: p.StackName, Deleted: p.Deleted,
		Document: p.Document, CreatedAt: at(created), Version: version}
	if got.Account != want.Account || got.Region != want.Region || got.StackID != want.StackID || got.StackName != want.StackName ||
		got.Deleted != want.Deleted || string(got.Document) != string(want.Document) || got.Version != want.Version {
		t.Fatalf("stack = %+v, want %+v", *got, want)
	}
	checkTime(t, "stack CreatedAt", got.CreatedAt, want.CreatedAt)
}

func testStackPutGet(t *testing.T, s store.Store) {
	p := stackParams("id-1", "one", 1)
	v := putStack(t, s, p)
	got, err := s.GetStack(ctxT(t), p.Account, p.Region, p.StackID)
	must(t, "GetStack", err)
	checkStack(t, got, p, 1, 1)

	// A put replaces the document and keeps the creation time.
	p2 := p
	p2.Version, p2.Document, p2.CreatedAt = v, []byte(`{"id":"id-1","status":"CREATE_COMPLETE"}`), at(50)
	putStack(t, s, p2)
	got, err = s.GetStack(ctxT(t), p.Account, p.Region, p.StackID)
	must(t, "GetStack", err)
	checkStack(t, got, p2, 1, 2)

	// A stack belongs to its account and region.
	for _, k := range [][2]string{{"210987654321", p.Region}, {p.Account, "eu-west-1"}} {
		if _, err := s.GetStack(ctxT(t), k[0], k[1], p.StackID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetStack in %v: err = %v, want ErrNotFound", k, err)
		}
	}
	if _, err := s.GetStack(ctxT(t), p.Account, p.Region, "id-none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetStack of a missing stack: err = %v, want ErrNotFound", err)
	}
}

func testStackStaleVersion(t *testing.T, s store.Store) {
	p := stackParams("id-1", "one", 1)
	putStack(t, s, p)
	// Inserting the id again is a stale version 0.
	if _, err := s.PutStack(ctxT(t), p); !errors.Is(err, store.ErrStaleVersion) {
		t.Fatalf("PutStack of a taken id at version 0: err = %v, want ErrStaleVersion", err)
	}
	p.Version = 1
	putStack(t, s, p)
	// A second writer that read version 1 writes nothing.
	p.Document = []byte(`{"lost":true}`)
	if _, err := s.PutStack(ctxT(t), p); !errors.Is(err, store.ErrStaleVersion) {
		t.Fatalf("PutStack at a stale version: err = %v, want ErrStaleVersion", err)
	}
	p.Version = 7
	if _, err := s.PutStack(ctxT(t), p); !errors.Is(err, store.ErrStaleVersion) {
		t.Fatalf("PutStack at a future version: err = %v, want ErrStaleVersion", err)
	}
	got, err := s.GetStack(ctxT(t), p.Account, p.Region, p.StackID)
	must(t, "GetStack", err)
	if got.Version != 2 || string(got.Document) != `{"id":"id-1"}` {
		t.Fatalf("after stale puts: version %d, document %s", got.Version, got.Document)
	}
	// A put of a version of a stack that is not there finds nothing.
	q := stackParams("id-none", "none", 1)
	q.Version = 1
	if _, err := s.PutStack(ctxT(t), q); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PutStack of a missing stack at version 1: err = %v, want ErrNotFound", err)
	}
}

func testStackNames(t *testing.T, s store.Store) {
	p := stackParams("id-1", "app", 1)
	putStack(t, s, p)
	if _, err := s.PutStack(ctxT(t), stackParams("id-2", "app", 2)); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("PutStack of a live name: err = %v, want ErrAlreadyExists", err)
	}
	// The same name in another region is another stack.
	other := stackParams("id-2", "app", 2)
	other.Region = "eu-west-1"
	putStack(t, s, other)
	// Deleting frees the name.
	p.Version, p.Deleted = 1, true
	putStack(t, s, p)
	q := stackParams("id-3", "app", 3)
	putStack(t, s, q)
	// A deleted stack cannot come back while the name is taken.
	p.Version, p.Deleted = 2, false
	if _, err := s.PutStack(ctxT(t), p); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("PutStack undeleting onto a taken name: err = %v, want ErrAlreadyExists", err)
	}
	got, err := s.ListStacks(ctxT(t), store.ListStacksParams{Account: p.Account, Region: p.Region, StackName: "app"})
	must(t, "ListStacks by name", err)
	if len(got) != 1 || got[0].StackID != "id-3" {
		t.Fatalf("ListStacks by name = %v, want id-3 only", stackIDs(got))
	}
}

func stackIDs(sts []*store.Stack) []string {
	var ids []string
	for _, st := range sts {
		ids = append(ids, st.StackID)
	}
	return ids
}

func testStackList(t *testing.T, s store.Store) {
	// Put out of order; listed oldest first, then by id.
	for _, x := range []struct {
		id  string
		sec int
	}{{"id-c", 3}, {"id-a", 1}, {"id-b2", 2}, {"id-b1", 2}} {
		putStack(t, s, stackParams(x.id, "name-"+x.id, x.sec))
	}
	elsewhere := stackParams("id-z", "z", 0)
	elsewhere.Account = "210987654321"
	putStack(t, s, elsewhere)
	del := stackParams("id-a", "name-id-a", 1)
	del.Version, del.Deleted = 1, true
	putStack(t, s, del)

	got, err := s.ListStacks(ctxT(t), store.ListStacksParams{Account: "123456789012", Region: "us-east-1"})
	must(t, "ListStacks", err)
	if want := []string{"id-a", "id-b1", "id-b2", "id-c"}; fmt.Sprint(stackIDs(got)) != fmt.Sprint(want) {
		t.Fatalf("ListStacks = %v, want %v", stackIDs(got), want)
	}
	if !got[0].Deleted || got[0].Version != 2 {
		t.Fatalf("deleted stack listed as %+v", *got[0])
	}
	got, err = s.ListStacks(ctxT(t), store.ListStacksParams{Account: "123456789012", Region: "us-east-1", StackName: "name-id-a"})
	must(t, "ListStacks by a deleted stack's name", err)
	if len(got) != 0 {
		t.Fatalf("ListStacks by a deleted stack's name = %v, want none", stackIDs(got))
	}
	got, err = s.ListStacks(ctxT(t), store.ListStacksParams{})
	must(t, "ListStacks of every account", err)
	if want := []string{"id-z", "id-a", "id-b1", "id-b2", "id-c"}; fmt.Sprint(stackIDs(got)) != fmt.Sprint(want) {
		t.Fatalf("ListStacks of every account = %v, want %v", stackIDs(got), want)
	}
	got, err = s.ListStacks(ctxT(t), store.ListStacksParams{Account: "123456789012", Region: "ap-south-1"})
	must(t, "ListStacks of an empty region", err)
	if len(got) != 0 {
		t.Fatalf("ListStacks of an empty region = %v", stackIDs(got))
	}
}

func testStackDelete(t *testing.T, s store.Store) {
	p := stackParams("id-1", "one", 1)
	putStack(t, s, p)
	if err := s.DeleteStack(ctxT(t), p.Account, p.Region, p.StackID, 2); !errors.Is(err, store.ErrStaleVersion) {
		t.Fatalf("DeleteStack at a stale version: err = %v, want ErrStaleVersion", err)
	}
	must(t, "DeleteStack", s.DeleteStack(ctxT(t), p.Account, p.Region, p.StackID, 1))
	if _, err := s.GetStack(ctxT(t), p.Account, p.Region, p.StackID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetStack after DeleteStack: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteStack(ctxT(t), p.Account, p.Region, p.StackID, 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteStack again: err = %v, want ErrNotFound", err)
	}
	// The id may be put anew.
	putStack(t, s, p)
}

// testStackConcurrentPut: of writers who all read one version, exactly
// one writes; so too of writers creating one name.
func testStackConcurrentPut(t *testing.T, s store.Store) {
	p := stackParams("id-1", "one", 1)
	putStack(t, s, p)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := p
			q.Version, q.Document = 1, []byte(fmt.Sprintf(`{"writer":%d}`, i))
			_, errs[i] = s.PutStack(ctxT(t), q)
		}()
	}
	wg.Wait()
	won := countWins(t, errs, store.ErrStaleVersion)
	got, err := s.GetStack(ctxT(t), p.Account, p.Region, p.StackID)
	must(t, "GetStack", err)
	if got.Version != 2 || string(got.Document) != fmt.Sprintf(`{"writer":%d}`, won) {
		t.Fatalf("after concurrent puts: version %d, document %s, want writer %d's", got.Version, got.Document, won)
	}

	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.PutStack(ctxT(t), stackParams(fmt.Sprint("new-", i), "shared", 2))
		}()
	}
	wg.Wait()
	countWins(t, errs, store.ErrAlreadyExists)
}

// countWins checks that exactly one of errs is nil and the others are
// lost; it returns the winner.
func countWins(t *testing.T, errs []error, lost error) int {
	t.Helper()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("writers %d and %d both wrote", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, lost):
			t.Fatalf("writer %d: err = %v, want %v", i, err, lost)
		}
	}
	if won < 0 {
		t.Fatal("no writer wrote")
	}
	return won
}
