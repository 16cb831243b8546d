package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

const childArn = "arn:aws:states:us-east-1:123456789012:stateMachine:child"

func (h *harness) child(def string) {
	h.t.Helper()
	sm := &store.StateMachine{Arn: childArn, Name: "child", Type: "STANDARD", Definition: def, RoleArn: "arn:aws:iam::123456789012:role/r", Status: "ACTIVE", CreatedAt: time.Now()}
	if err := h.st.CreateStateMachine(context.Background(), sm); err != nil {
		h.t.Fatal(err)
	}
}

func parentDef(resource, smArn string) string {
	return `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"` + resource + `",
		"Parameters":{"StateMachineArn":"` + smArn + `","Input":{"n.$":"$.n"}},
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`
}

func TestNestedExecutions(t *testing.T) {
	const okChild = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","Parameters":{"doubled.$":"States.MathAdd($.n, $.n)"},"End":true}}}`
	cases := []struct {
		name     string
		resource string
		child    string
		smArn    string
		check    func(t *testing.T, out map[string]any)
	}{
		{"sync", "arn:aws:states:::states:startExecution.sync", okChild, childArn, func(t *testing.T, out map[string]any) {
			if out["Status"] != "SUCCEEDED" || out["Output"] != `{"doubled":42}` || out["Input"] != `{"n":21}` {
				t.Fatalf(".sync output %s", jsonv.String(out))
			}
		}},
		{"sync2", "arn:aws:states:::states:startExecution.sync:2", okChild, childArn, func(t *testing.T, out map[string]any) {
			if !jsonv.Equal(out["Output"], map[string]any{"doubled": int64(42)}) {
				t.Fatalf(".sync:2 output %s", jsonv.String(out))
			}
		}},
		{"fire-and-forget", "arn:aws:states:::states:startExecution", okChild, childArn, func(t *testing.T, out map[string]any) {
			arn, _ := out["ExecutionArn"].(string)
			if !strings.Contains(arn, ":execution:child:") || out["StartDate"] == nil {
				t.Fatalf("output %s", jsonv.String(out))
			}
		}},
		{"child fails", "arn:aws:states:::states:startExecution.sync", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Nope","Cause":"child said no"}}}`, childArn, func(t *testing.T, out map[string]any) {
			if out["Error"] != "States.TaskFailed" || !strings.Contains(out["Cause"].(string), `"Error":"Nope"`) {
				t.Fatalf("caught %s", jsonv.String(out))
			}
		}},
		{"no such machine", "arn:aws:states:::states:startExecution.sync", okChild, childArn + "-missing", func(t *testing.T, out map[string]any) {
			if out["Error"] != "StepFunctions.StateMachineDoesNotExistException" {
				t.Fatalf("caught %s", jsonv.String(out))
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, memstore.New())
			h.child(c.child)
			sm := h.machine(parentDef(c.resource, c.smArn))
			rec, err := h.eng.StartExecution(context.Background(), sm, "p", input(`{"n":21}`), "")
			if err != nil {
				t.Fatal(err)
			}
			rec = h.wait(rec.Arn)
			if rec.Status != "SUCCEEDED" {
				t.Fatalf("parent %s %s %s", rec.Status, rec.Error, rec.Cause)
			}
			out, err := jsonv.ParseString(rec.Output)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, out.(*jsonv.Object).Map())
			h.types(rec.Arn)
		})
	}
}
