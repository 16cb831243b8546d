package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/statecraft/statecraft/store/postgres"
)

// MigrateOptions are the flags of `statecraft migrate`.
type MigrateOptions struct {
	DB       string // "" reads STATECRAFT_DB
	DBSchema string // "" reads STATECRAFT_DB_SCHEMA, else postgres.DefaultSchema
}

// Migrate brings a PostgreSQL schema up to this binary's version, as a
// server does at start-up, so that an operator can upgrade before
// starting the nodes of a new version, and says from which version to
// which. The settings are the server's --db and --db-schema, checked
// alike.
func Migrate(ctx context.Context, o MigrateOptions, getenv func(string) string, stdout io.Writer) error {
	if o.DB == "" {
		o.DB = getenv("STATECRAFT_DB")
	}
	if o.DBSchema == "" {
		o.DBSchema = getenv("STATECRAFT_DB_SCHEMA")
	}
	if o.DB == "" {
		return &ExitError{Code: 1, Err: errors.New("migrate needs db (--db or STATECRAFT_DB): the postgres:// URL of the database to bring up to date; " +
			"the embedded SQLite store is brought up to date by the server itself")}
	}
	if err := checkDB(ServerOptions{DB: o.DB, DBSchema: o.DBSchema}); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	schema := o.DBSchema
	if schema == "" {
		schema = postgres.DefaultSchema
	}
	m, err := postgres.Migrate(ctx, o.DB, postgres.Options{Schema: schema})
	if err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("db: %w", err)}
	}
	where := fmt.Sprintf("schema %q on %s", schema, dbAddress(o.DB))
	if m.From == m.To {
		fmt.Fprintf(stdout, "%s is at version %d, nothing to do\n", where, m.To)
		return nil
	}
	fmt.Fprintf(stdout, "%s: version %d -> %d\n", where, m.From, m.To)
	return nil
}

// dbAddress is HOST:PORT/DATABASE of a URL that checkDB accepted, with
// libpq's defaults filled in as pgx fills them, and never its password.
func dbAddress(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "the database" // Migrate connected with it, so not reached
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))) + "/" + cfg.Database
}
