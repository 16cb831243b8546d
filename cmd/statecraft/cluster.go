package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func clusterCmd() *cobra.Command {
	o := cli.DefaultClusterOptions()
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Show a running server's cluster: its nodes and the shards each holds",
		Long: `Show the cluster a running server belongs to, as a table: each node seen
recently (its ID, the address it serves on, the shards it holds, the
executions it has in memory, when it last heartbeat), then the shards no
live node holds: free ones, and leases that ran out and wait to be taken
over. A server on SQLite is a single node that runs every execution.

  statecraft cluster --endpoint http://127.0.0.1:8081

The request (GET /statecraft/cluster) is signed with SigV4 (service
statecraft) with the credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
and AWS_SESSION_TOKEN, or, when none is set, the development pair
local/local. Any role that may describe may read it: read-only, operator or
admin.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cli.Cluster(cmd.Context(), o, os.Getenv, os.Stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Endpoint, "endpoint", o.Endpoint, "the server's endpoint (any node of the cluster)")
	f.StringVar(&o.Region, "region", o.Region, "region the request is signed for")
	f.BoolVar(&o.JSON, "json", false, "print the view as JSON, as the server answers it")
	return cmd
}
