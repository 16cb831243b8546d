package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPrivateRestart starts a server of the test's own and restarts it: a
// session from before the restart is gone, a new one connects.
func TestPrivateRestart(t *testing.T) {
	inst := Private(t)
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, inst.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := inst.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := conn.Ping(ctx); err == nil {
		t.Fatal("a session from before the restart still answers")
	}
	again, err := pgx.Connect(ctx, inst.URL)
	if err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	again.Close(ctx)
}
