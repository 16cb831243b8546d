package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func restoreCmd() *cobra.Command {
	o := cli.RestoreOptions{Data: cli.DefaultServerOptions().Data}
	cmd := &cobra.Command{
		Use:   "restore BACKUP --data DIR",
		Short: "Restore a backup into a new or empty data directory",
		Long: `Restore a backup that statecraft backup wrote into the data directory DIR,
which must be absent or empty: a directory that holds anything is refused,
with what it holds named, and so is one a server is using. Every file is
checked against the backup's manifest and the database against SQLite's
integrity check before the database is put in place; a restore that fails
removes what it copied.

Then statecraft server --data DIR serves what the backup held: state
machines, activities, executions (running ones go on: a Wait resumes, an
activity task is there to be polled again), tenants and console tokens.

  statecraft restore /backups/statecraft-2026-03-01 --data ./statecraft-data`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("data") {
				o.Data = "" // $STATECRAFT_DATA, else the default
			}
			o.Backup = args[0]
			return cli.Restore(cmd.Context(), o, os.Stdout, os.Stderr)
		},
	}
	cmd.Flags().StringVar(&o.Data, "data", o.Data, "the data directory to restore into (default $STATECRAFT_DATA, else ./statecraft-data)")
	return cmd
}
