package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

func TestPickRoute(t *testing.T) {
	two := []store.AliasRoute{{VersionArn: "v1", Weight: 70}, {VersionArn: "v2", Weight: 30}}
	for _, c := range []struct {
		routes []store.AliasRoute
		draw   int
		want   int
	}{
		{two, 0, 0},
		{two, 69, 0},
		{two, 70, 1},
		{two, 99, 1},
		{[]store.AliasRoute{{Weight: 100}}, 99, 0},
		{[]store.AliasRoute{{Weight: 0}, {Weight: 100}}, 0, 1},
		{[]store.AliasRoute{{Weight: 100}, {Weight: 0}}, 99, 0},
	} {
		if got := PickRoute(c.routes, c.draw); got != c.want {
			t.Errorf("PickRoute(%v, %d) = %d, want %d", c.routes, c.draw, got, c.want)
		}
	}
}

// versioned stores machine smArn with two published versions: version n
// passes {"v": n}; the machine itself has moved on to {"v": "current"}.
func (h *harness) versioned(typ string) *store.StateMachine {
	h.t.Helper()
	ctx := context.Background()
	sm := h.machine(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":1},"End":true}}}`)
	sm.Type, sm.RevisionID = typ, "r1"
	for i, def := range []string{
		`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":1},"End":true}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":2},"End":true}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":"current"},"End":true}}}`,
	} {
		sm.Definition, sm.RevisionID, sm.RoleArn = def, "r"+string(rune('1'+i)), "arn:aws:iam::123456789012:role/r"+string(rune('1'+i))
		if err := h.st.UpdateStateMachine(ctx, sm); err != nil {
			h.t.Fatal(err)
		}
		if i == 2 {
			break
		}
		if _, _, err := h.st.PublishStateMachineVersion(ctx, store.PublishVersionParams{StateMachineArn: sm.Arn, RevisionID: sm.RevisionID,
			Definition: sm.Definition, RoleArn: sm.RoleArn, CreatedAt: time.Now()}); err != nil {
			h.t.Fatal(err)
		}
	}
	return sm
}

func (h *harness) alias(name string, routes ...store.AliasRoute) string {
	h.t.Helper()
	a, _, err := h.st.CreateStateMachineAlias(context.Background(), store.CreateAliasParams{StateMachineArn: smArn, Name: name, Routes: routes, CreatedAt: time.Now()})
	if err != nil {
		h.t.Fatal(err)
	}
	return a.Arn
}

// TestStartThroughVersionAndAlias starts STANDARD and EXPRESS executions
// through each kind of ARN: the definition and role run are the
// version's, the execution's ARN is the machine's, and the version and
// alias are recorded and named by ExecutionStarted.
func TestStartThroughVersionAndAlias(t *testing.T) {
	for _, typ := range []string{"STANDARD", "EXPRESS"} {
		t.Run(typ, func(t *testing.T) {
			h := newHarness(t, memstore.New())
			h.versioned(typ)
			prod := h.alias("prod", store.AliasRoute{VersionArn: smArn + ":2", Weight: 100})
			for i, c := range []struct {
				arn, version, alias, output, role string
			}{
				{smArn, "", "", `{"v":"current"}`, "r3"},
				{smArn + ":1", smArn + ":1", "", `{"v":1}`, "r1"},
				{prod, smArn + ":2", prod, `{"v":2}`, "r2"},
			} {
				tg, err := Resolve(context.Background(), h.st, c.arn)
				if err != nil {
					t.Fatal(err)
				}
				var rec *store.Execution
				if typ == "EXPRESS" {
					rec = h.eng.RunExpress(context.Background(), tg.Machine, "x", input(`{}`), "", Through(tg))
				} else {
					rec, err = h.eng.StartExecution(context.Background(), tg.Machine, fmt.Sprint("x", i), input(`{}`), "", Through(tg))
					if err != nil {
						t.Fatal(err)
					}
					rec = h.wait(rec.Arn)
				}
				if rec.Status != "SUCCEEDED" || rec.Output != c.output || rec.StateMachineArn != smArn ||
					rec.StateMachineVersionArn != c.version || rec.StateMachineAliasArn != c.alias || !strings.HasSuffix(rec.RoleArn, c.role) {
					t.Errorf("through %s: %+v", c.arn, rec)
				}
				if !strings.Contains(rec.Arn, ":test:x") {
					t.Errorf("through %s: execution ARN %s is not the machine's", c.arn, rec.Arn)
				}
				if typ == "EXPRESS" {
					continue
				}
				evs, err := h.st.History(context.Background(), store.HistoryParams{ExecutionArn: rec.Arn, Limit: 1})
				if err != nil || len(evs) != 1 {
					t.Fatal(evs, err)
				}
				v, _ := jsonv.ParseString(string(evs[0].Body))
				var d map[string]any
				if o, ok := v.(*jsonv.Object).Value("executionStartedEventDetails").(*jsonv.Object); ok {
					d = o.Map()
				}
				got, _ := d["stateMachineVersionArn"].(string)
				gotAlias, _ := d["stateMachineAliasArn"].(string)
				if got != c.version || gotAlias != c.alias || !strings.HasSuffix(d["roleArn"].(string), c.role) {
					t.Errorf("through %s: ExecutionStarted %s", c.arn, evs[0].Body)
				}
			}
		})
	}
}

// TestResolveSplitsByWeight resolves an alias many times: both versions
// get their share, and a version of weight 0 none.
func TestResolveSplitsByWeight(t *testing.T) {
	h := newHarness(t, memstore.New())
	h.versioned("STANDARD")
	split := h.alias("split", store.AliasRoute{VersionArn: smArn + ":1", Weight: 70}, store.AliasRoute{VersionArn: smArn + ":2", Weight: 30})
	zero := h.alias("zero", store.AliasRoute{VersionArn: smArn + ":1", Weight: 0}, store.AliasRoute{VersionArn: smArn + ":2", Weight: 100})
	const n = 4000
	count := map[string]int{}
	for range n {
		tg, err := Resolve(context.Background(), h.st, split)
		if err != nil {
			t.Fatal(err)
		}
		count[tg.Version.Arn]++
		if tg.AliasArn != split {
			t.Fatalf("AliasArn = %s", tg.AliasArn)
		}
	}
	// 70% of 4000 is 2800, with a standard deviation of 29: 200 is
	// nearly 7 of them, so the test fails by chance about never.
	if got := count[smArn+":1"]; got < 2600 || got > 3000 {
		t.Errorf("version 1 got %d of %d starts at weight 70", got, n)
	}
	for range 200 {
		tg, err := Resolve(context.Background(), h.st, zero)
		if err != nil {
			t.Fatal(err)
		}
		if tg.Version.Arn != smArn+":2" {
			t.Fatalf("a version of weight 0 was picked")
		}
	}
	for _, missing := range []string{smArn + ":3", smArn + ":beta", smArn + "-other", smArn + "-other:1"} {
		if _, err := Resolve(context.Background(), h.st, missing); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Resolve(%s) = %v, want ErrNotFound", missing, err)
		}
	}
}

// TestNestedThroughAlias starts a child execution through an alias ARN:
// it runs the alias's version and records it.
func TestNestedThroughAlias(t *testing.T) {
	h := newHarness(t, memstore.New())
	h.versioned("STANDARD")
	prod := h.alias("prod", store.AliasRoute{VersionArn: smArn + ":1", Weight: 100})
	const parentArn = "arn:aws:states:us-east-1:123456789012:stateMachine:parent"
	parent := &store.StateMachine{Arn: parentArn, Name: "parent", Type: "STANDARD", Status: "ACTIVE", CreatedAt: time.Now(),
		Definition: parentDef("arn:aws:states:::states:startExecution.sync:2", prod), RoleArn: "arn:aws:iam::123456789012:role/r"}
	if err := h.st.CreateStateMachine(context.Background(), parent); err != nil {
		t.Fatal(err)
	}
	rec, err := h.eng.StartExecution(context.Background(), parent, "p", input(`{"n":1}`), "")
	if err != nil {
		t.Fatal(err)
	}
	rec = h.wait(rec.Arn)
	out, _ := jsonv.ParseString(rec.Output)
	if rec.Status != "SUCCEEDED" || !jsonv.Equal(out.(*jsonv.Object).Map()["Output"], map[string]any{"v": int64(1)}) {
		t.Fatalf("parent %s %s", rec.Status, rec.Output)
	}
	children, _, err := h.st.ListExecutions(context.Background(), store.ListExecutionsParams{StateMachineArn: smArn, StateMachineAliasArn: prod, Limit: 10})
	if err != nil || len(children) != 1 || children[0].StateMachineVersionArn != smArn+":1" {
		t.Fatalf("children through the alias: %+v, %v", children, err)
	}
}
