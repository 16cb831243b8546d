package cli

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/store/postgres/pgtest"
)

// Migrate creates a fresh schema, then finds it up to date; the server
// then opens it as it is. What is not a PostgreSQL URL is refused as the
// server refuses it, and nothing is not a database.
func TestMigrate(t *testing.T) {
	url, schema := pgtest.URL(t), pgtest.Schema(t)
	var out strings.Builder
	if err := Migrate(t.Context(), MigrateOptions{DB: url, DBSchema: schema}, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	// The binary's version grows with its migrations: 2 when written.
	m := regexp.MustCompile(`^schema "` + schema + `" on 127\.0\.0\.1:5432/test: version 0 -> ([1-9][0-9]*)\n$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("first run printed %q", out.String())
	}
	out.Reset()
	env := envOf(map[string]string{"STATECRAFT_DB": url, "STATECRAFT_DB_SCHEMA": schema})
	if err := Migrate(t.Context(), MigrateOptions{}, env, &out); err != nil {
		t.Fatal(err)
	}
	if want := `schema "` + schema + `" on 127.0.0.1:5432/test is at version ` + m[1] + ", nothing to do\n"; out.String() != want {
		t.Errorf("second run printed %q, want %q", out.String(), want)
	}
	o := DefaultServerOptions()
	o.DB, o.DBSchema = url, schema
	startServer(t, o)

	for _, db := range []string{"mysql://root:hunter2@127.0.0.1/test", "host=127.0.0.1 dbname=test", "/var/lib/statecraft.db"} {
		err := Migrate(t.Context(), MigrateOptions{DB: db}, noEnv, &out)
		var exit *ExitError
		if want := checkDB(ServerOptions{DB: db}); !errors.As(err, &exit) || exit.Code != 1 || want == nil || err.Error() != want.Error() {
			t.Errorf("db %q: %v, want the server's refusal %v", db, err, want)
		}
	}
	if err := Migrate(t.Context(), MigrateOptions{DBSchema: "x"}, noEnv, &out); err == nil || !strings.Contains(err.Error(), "migrate needs db (--db or STATECRAFT_DB)") {
		t.Errorf("no db: %v", err)
	}
	err := Migrate(t.Context(), MigrateOptions{DB: "postgres://postgres:hunter2@127.0.0.1:1/test?connect_timeout=5"}, noEnv, &out)
	if err == nil || !strings.Contains(err.Error(), `db: store/postgres: connecting to database "test" schema "statecraft" on 127.0.0.1:1`) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("unreachable database: %v", err)
	}
}
