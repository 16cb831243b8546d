// Package pgtest gives tests a PostgreSQL database: the server that
// STATECRAFT_TEST_POSTGRES names, or DefaultURL (what the development
// machines and CI run), and a schema of a test's own, dropped when the
// test ends, so that tests never see each other's rows.
//
// A test whose server cannot be reached is skipped, except when CI=true:
// scripts/test.sh starts PostgreSQL there, so an unreachable one is a
// failure, never a skip.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the database tests use when STATECRAFT_TEST_POSTGRES is
// not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test"

var (
	reachOnce sync.Once
	reachErr  error
)

// URL returns the test database's URL once it has answered, or ends the
// test: skipped when it cannot be reached, failed under CI.
func URL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("STATECRAFT_TEST_POSTGRES")
	if url == "" {
		url = DefaultURL
	}
	reachOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			reachErr = err
			return
		}
		reachErr = conn.Ping(ctx)
		conn.Close(ctx)
	})
	if reachErr != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL at %s: %v (CI must run it: scripts/test.sh starts it)", url, reachErr)
		}
		tb.Skipf("PostgreSQL at %s cannot be reached (%v); set STATECRAFT_TEST_POSTGRES or start it", url, reachErr)
	}
	return url
}

// Schema returns the name of a schema no other test uses, which the test
// may create (store/postgres's Open does); it is dropped with everything
// in it when the test ends, after the cleanups registered later, such as
// a store's Close.
func Schema(tb testing.TB) string {
	tb.Helper()
	url := URL(tb)
	b := make([]byte, 6)
	rand.Read(b)
	name := fmt.Sprintf("sctest_%d_%s", os.Getpid(), hex.EncodeToString(b))
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			tb.Errorf("dropping schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", name, err)
		}
	})
	return name
}
