package runner

import (
	"context"
	"testing"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/interp"
)

// An interrupted run (Ctrl-C in `statecraft run`) ends ABORTED with an
// ExecutionAborted event rather than vanishing without a result.
func TestCancelledRunEndsAborted(t *testing.T) {
	def, err := asl.Parse([]byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	m := interp.New(def, interp.Options{History: true})
	res, err := Run(ctx, m, Options{Info: interp.Info{Input: map[string]any{}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != interp.Aborted {
		t.Fatalf("status %s, want ABORTED", res.Status)
	}
	last := res.History[len(res.History)-1]
	if last.Type != "ExecutionAborted" {
		t.Fatalf("last event %s, want ExecutionAborted", last.Type)
	}
}
