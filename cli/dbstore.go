package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"

	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/postgres"
	"github.com/statecraft/statecraft/store/sqlite"
)

// checkDB refuses a --db that is not a PostgreSQL URL, and a --db-schema
// without one, before the server touches anything.
func checkDB(o ServerOptions) error {
	if o.DB == "" {
		if o.DBSchema != "" {
			return errors.New("db-schema (STATECRAFT_DB_SCHEMA, config key dbSchema) needs db: it names a schema of a PostgreSQL database")
		}
		return nil
	}
	u, err := url.Parse(o.DB)
	// An empty host is libpq's default, the local socket.
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// The value itself is not repeated: it may hold a password.
		return errors.New("db (--db, STATECRAFT_DB, config key db) must be a postgres:// or postgresql:// URL, such as postgres://USER@HOST:5432/DB; leave it empty for the embedded SQLite store in --data")
	}
	return nil
}

// openedStore is the server's store, with what the server says about it.
type openedStore struct {
	store.Store
	where string // for the start-up lines
	// failed is closed when the store can no longer be written and the
	// server must stop (a PostgreSQL store that lost its lock); nil for
	// SQLite, whose lock file cannot be lost.
	failed <-chan struct{}
	err    func() error
}

// openStore opens the store the settings name: the PostgreSQL database of
// --db, or else SQLite in the data directory. Either takes its lock first,
// so a second server on the same store exits before it changes anything.
func openStore(ctx context.Context, o ServerOptions, log *slog.Logger) (*openedStore, error) {
	if o.DB != "" {
		pg, err := postgres.Open(ctx, o.DB, postgres.Options{Schema: o.DBSchema, NoSync: o.NoSync, Log: log})
		if err != nil {
			return nil, fmt.Errorf("db: %w", err)
		}
		schema := o.DBSchema
		if schema == "" {
			schema = postgres.DefaultSchema
		}
		u, _ := url.Parse(o.DB) // checkDB parsed it
		return &openedStore{Store: pg, where: fmt.Sprintf("PostgreSQL %s%s, schema %s", u.Host, u.Path, schema),
			err: func() error { return nil }}, nil
	}
	sopts := sqlite.DefaultOptions()
	sopts.Sync = !o.NoSync
	sopts.Log = log
	dbPath := filepath.Join(o.Data, "statecraft.db")
	st, err := sqlite.Open(dbPath, sopts)
	if err != nil {
		return nil, openError(o.Data, dbPath, err)
	}
	return &openedStore{Store: st, where: "SQLite " + dbPath, err: func() error { return nil }}, nil
}
