package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func backupCmd() *cobra.Command {
	o := cli.BackupOptions{Data: cli.DefaultServerOptions().Data}
	cmd := &cobra.Command{
		Use:   "backup --data DIR OUT",
		Short: "Copy a data directory, while its server runs, into a new backup directory",
		Long: `Back up a data directory into the new directory OUT, while its server runs or
not. The database is copied by SQLite as one transactionally consistent
snapshot: every execution step committed before the backup began is in it,
none is half in it, and the server goes on serving meanwhile. The other files
of the data directory come with it: tenants (workflows.json), the console
token key (console.key) and deployed function code (functions/). A manifest,
statecraft-backup.json, lists every file with its size and SHA-256.

OUT must not exist; it is made private like the data directory (0700, its
files readable by their owner only), and appears only once the backup is whole. What it holds is
printed. Restore it with statecraft restore.

  statecraft backup --data ./statecraft-data /backups/statecraft-$(date +%F)

A server on PostgreSQL is backed up with PostgreSQL's own tools (pg_dump, or
base backups).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("data") {
				o.Data = "" // $STATECRAFT_DATA, else the default
			}
			o.Out = args[0]
			return cli.Backup(cmd.Context(), o, os.Stdout, os.Stderr)
		},
	}
	cmd.Flags().StringVar(&o.Data, "data", o.Data, "the server's data directory (default $STATECRAFT_DATA, else ./statecraft-data)")
	return cmd
}
