package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func migrateCmd() *cobra.Command {
	var o cli.MigrateOptions
	cmd := &cobra.Command{
		Use:   "migrate --db URL [--db-schema S]",
		Short: "Create a PostgreSQL schema, or bring it up to this binary's version",
		Long: `Create the schema of a PostgreSQL store, or bring it up to this binary's
version, and say from which version to which. A server does the same when it
starts; migrate lets an upgrade be done, and seen, once and before the nodes
of the new version start. Nodes starting meanwhile wait for it: a migration
runs in one transaction under the schema's lock.

  statecraft migrate --db 'postgres://statecraft@db.internal:5432/statecraft' --db-schema prod

--db and --db-schema are the server's (STATECRAFT_DB and STATECRAFT_DB_SCHEMA
when not given); the schema defaults to statecraft. The embedded SQLite store
is brought up to date by the server itself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cli.Migrate(cmd.Context(), o, os.Getenv, os.Stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.DB, "db", "", "the database: postgres://USER[:PASSWORD]@HOST:PORT/DB[?sslmode=...] (default $STATECRAFT_DB)")
	f.StringVar(&o.DBSchema, "db-schema", "", "the schema of --db that holds the tables (default $STATECRAFT_DB_SCHEMA, else statecraft)")
	return cmd
}
