package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func deployCmd() *cobra.Command {
	o := cli.DefaultDeployOptions()
	cmd := &cobra.Command{
		Use:   "deploy FILE",
		Short: "Apply a project file (functions, state machines, connections) to a running server",
		Long: `Apply a project file to a running server. Each function's code directory is
packed (tar.gz) into the request; nothing on the server's disk is named.

The request is signed with SigV4 (service statecraft) with the credentials in
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, or, when none
is set, the development pair local/local. The server deploys only for an
admin credential, into that credential's account: --account must be it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			return cli.Deploy(cmd.Context(), o, os.Stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Endpoint, "endpoint", o.Endpoint, "the server's endpoint")
	f.StringVar(&o.Region, "region", o.Region, "region the request is signed for and the project's ARNs are built with")
	f.StringVar(&o.Account, "account", o.Account, "account id used in the project's ARNs: the credentials' account")
	return cmd
}
