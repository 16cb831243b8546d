package pgtest

import (
	"context"
	"net/netip"
	"runtime"
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

// TestPrivateListening starts a server that listens on another loopback
// address as well, which Private's servers do not.
func TestPrivateListening(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("127.0.0.2 is a local address on Linux only")
	}
	other := netip.MustParseAddr("127.0.0.2")
	inst := PrivateListening(t, netip.PrefixFrom(other, 32))
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, inst.URLOn(other))
	if err != nil {
		t.Fatalf("at %s: %v", other, err)
	}
	conn.Close(ctx)

	plain := Private(t)
	if conn, err := pgx.Connect(ctx, plain.URLOn(other)+"?connect_timeout=5"); err == nil {
		conn.Close(ctx)
		t.Fatalf("Private's server answers at %s too", other)
	}
}
