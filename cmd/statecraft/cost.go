package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func costCmd() *cobra.Command {
	o := cli.DefaultCostOptions()
	cmd := &cobra.Command{
		Use:   "cost",
		Short: "Show what executions would cost on AWS: billed state transitions and list prices",
		Long: `Show what a running server's executions would cost on AWS Step Functions,
per state machine and per account (tenant), for the executions started in
a time range: the billed state transitions (measured: states entered,
retries included), their price, and the local Lambda functions' requests
and GB-seconds (measured durations, configured memory), priced from the
server's price table (AWS list prices, with their date and region).

  statecraft cost --since 2026-12-01T00:00:00Z --until 2026-12-02T00:00:00Z
  statecraft cost --state-machine arn:aws:states:us-east-1:123456789012:stateMachine:orders
  statecraft cost --execution arn:aws:states:us-east-1:123456789012:execution:orders:42 --json

The request (GET /statecraft/cost) is signed with SigV4 (service statecraft)
with the credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
AWS_SESSION_TOKEN, or, when none is set, the development pair local/local.
Any role that may describe may read its own account's; --all-accounts needs
admin.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cli.Cost(cmd.Context(), o, os.Getenv, os.Stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Endpoint, "endpoint", o.Endpoint, "the server's endpoint")
	f.StringVar(&o.Region, "region", o.Region, "region the request is signed for")
	f.StringVar(&o.Since, "since", "", "sum the executions started at or after this time (RFC 3339)")
	f.StringVar(&o.Until, "until", "", "sum the executions started before this time (RFC 3339)")
	f.StringVar(&o.StateMachine, "state-machine", "", "only this state machine's executions (ARN)")
	f.StringVar(&o.Execution, "execution", "", "one execution (ARN) instead of sums")
	f.BoolVar(&o.AllAccounts, "all-accounts", false, "every account's state machines (admin only)")
	f.BoolVar(&o.JSON, "json", false, "print the report as JSON, as the server answers it")
	return cmd
}
