package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func consoleTokenCmd() *cobra.Command {
	o := cli.ConsoleTokenOptions{Data: cli.DefaultServerOptions().Data, TTL: 12 * time.Hour}
	cmd := &cobra.Command{
		Use:   "console-token --access-key-id AKID",
		Short: "Mint a token that signs in to the web console as an access key, without its secret",
		Long: `Mint a console token: a login for the web console (/console/) that acts as
one access key of the server's keyring (its account and role) and expires
after --ttl, so that no long-lived secret is typed into a browser.

The token is signed with the key in DATA/console.key, which the server
creates when it first starts: reading the data directory is what proves the
operator. Removing the access key from the credentials revokes its tokens;
deleting console.key (then restarting the server) revokes them all. The token
is printed alone on stdout.

  statecraft console-token --data ./statecraft-data --access-key-id AKIAPAYMENTSADMIN --ttl 1h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("data") {
				o.Data = "" // $STATECRAFT_DATA, else the default
			}
			return cli.ConsoleToken(o, os.Stdout, os.Stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Data, "data", o.Data, "the server's data directory (default $STATECRAFT_DATA, else ./statecraft-data)")
	f.StringVar(&o.AccessKeyID, "access-key-id", "", "access key id the console session acts as (required)")
	f.DurationVar(&o.TTL, "ttl", o.TTL, "how long the token can be used (at most 168h)")
	_ = cmd.MarkFlagRequired("access-key-id")
	return cmd
}
