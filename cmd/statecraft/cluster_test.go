package main

import (
	"strings"
	"testing"

	"github.com/statecraft/statecraft/store/postgres/pgtest"
)

// `statecraft cluster` reads a running server's view: on SQLite, one
// node, the server itself, at the address it listens on.
func TestClusterCommand(t *testing.T) {
	addr, _ := startServer(t, t.TempDir())
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	r := statecraft(t, "", "cluster", "--endpoint", "http://"+addr)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "single node (SQLite)") || !strings.Contains(r.stdout, addr) || !strings.Contains(r.stdout, " all ") {
		t.Errorf("statecraft cluster: %s", r)
	}
	if r := statecraft(t, "", "cluster", "--endpoint", "http://"+addr, "--json"); r.code != 0 || !strings.Contains(r.stdout, `"mode": "single"`) {
		t.Errorf("statecraft cluster --json: %s", r)
	}
}

// `statecraft migrate` creates a schema, then finds it up to date; it
// refuses what is not a PostgreSQL URL as the server does.
func TestMigrateCommand(t *testing.T) {
	url, schema := pgtest.URL(t), pgtest.Schema(t)
	r := statecraft(t, "", "migrate", "--db", url, "--db-schema", schema)
	if want := `schema "` + schema + `" on 127.0.0.1:5432/test: version 0 -> `; r.code != 0 || !strings.HasPrefix(r.stdout, want) {
		t.Errorf("first migrate: %s, want %s...", r, want)
	}
	t.Setenv("STATECRAFT_DB", url)
	t.Setenv("STATECRAFT_DB_SCHEMA", schema)
	if r := statecraft(t, "", "migrate"); r.code != 0 || !strings.HasSuffix(r.stdout, ", nothing to do\n") || !strings.Contains(r.stdout, `schema "`+schema+`" on 127.0.0.1:5432/test is at version `) {
		t.Errorf("second migrate, from the environment: %s", r)
	}
	r = statecraft(t, "", "migrate", "--db", "mysql://root:hunter2@127.0.0.1/test")
	if r.code != 1 || !strings.Contains(r.stderr, "statecraft: db (--db, STATECRAFT_DB, config key db) must be a postgres:// or postgresql:// URL") || strings.Contains(r.stderr, "hunter2") {
		t.Errorf("migrate of a MySQL URL: %s", r)
	}
}
