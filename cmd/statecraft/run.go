package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func runCmd() *cobra.Command {
	var o cli.RunOptions
	cmd := &cobra.Command{
		Use:   "run DEFINITION.json",
		Short: "Run one execution in process and print its result as JSON",
		Long: `Run one execution of a state machine in process and print one JSON object:
{"status": "SUCCEEDED"|"FAILED"|"TIMED_OUT"|"ABORTED", "output": ...} or "error"
and "cause" in place of output; --history adds the GetExecutionHistory events.
The exit code is 0 whatever the execution's status, 2 for an invalid definition.

Task states are served from a Step Functions Local mock file (--mocks with
--test-case). Wait states and retry back-offs really wait unless --fast-forward.
A Distributed Map's ItemReader and ResultWriter use the object store that
--s3-endpoint (key from STATECRAFT_S3_ACCESS_KEY_ID and
STATECRAFT_S3_SECRET_ACCESS_KEY) or --s3-dir names, as the server's do.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Definition = args[0]
			o.S3.AccessKeyID = os.Getenv("STATECRAFT_S3_ACCESS_KEY_ID")
			o.S3.SecretAccessKey = os.Getenv("STATECRAFT_S3_SECRET_ACCESS_KEY")
			return cli.Run(cmd.Context(), o, os.Stdout, os.Stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Input, "input", "", "execution input: JSON text or @FILE (default {})")
	f.BoolVar(&o.History, "history", false, "add the execution history (GetExecutionHistory shape)")
	f.StringVar(&o.Mocks, "mocks", "", "Step Functions Local mock configuration file serving Task states")
	f.StringVar(&o.TestCase, "test-case", "", "test case in the mock file")
	f.StringVar(&o.StateMachine, "state-machine", "", "state machine name (in the mock file and ARNs; default: the mock file's only one, else the file name)")
	f.BoolVar(&o.FastForward, "fast-forward", false, "jump the clock over waits instead of sleeping")
	f.IntVar(&o.MaxPayload, "max-payload", 0, "payload limit in bytes (default AWS's 262144; -1 for none)")
	f.Int64Var(&o.MaxEvents, "max-events", 0, "history event limit (default AWS's 25000; -1 for none)")
	f.StringVar(&o.Name, "name", "", "execution name")
	f.StringVar(&o.Region, "region", "us-east-1", "region used in ARNs")
	f.StringVar(&o.Account, "account", "123456789012", "account id used in ARNs")
	f.StringVar(&o.S3.Endpoint, "s3-endpoint", "", "S3-compatible object store (http(s) URL) of Distributed Maps' ItemReader and ResultWriter; key from STATECRAFT_S3_ACCESS_KEY_ID and STATECRAFT_S3_SECRET_ACCESS_KEY")
	f.StringVar(&o.S3.Region, "s3-region", "", "region signing object store requests (default: --region)")
	f.BoolVar(&o.S3.PathStyle, "s3-path-style", false, "address buckets in the URL path (MinIO, Ceph and most self-hosted stores)")
	f.StringVar(&o.Project, "project", "", "project file (statecraft.yaml) whose s3 section names the object store, instead of the --s3-* flags, and whose services section the AWS services Task states call")
	f.StringVar(&o.Services, "services", "", "YAML or JSON file naming, per AWS service (sqs, sns, dynamodb, events, ... or default), the endpoint and credentials of Task integrations (see the README); without mocks")
	f.StringVar(&o.S3.Dir, "s3-dir", "", "instead of --s3-endpoint: serve the buckets from this directory (each subdirectory a bucket, each file below it an object); nothing outside it is reachable")
	return cmd
}
