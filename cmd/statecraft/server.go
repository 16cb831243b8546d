package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func init() { extraCommands = append(extraCommands, serverCmd, deployCmd) }

func deployCmd() *cobra.Command {
	o := cli.DeployOptions{Endpoint: "http://127.0.0.1:8083", Region: "us-east-1", Account: "123456789012"}
	cmd := &cobra.Command{
		Use:   "deploy FILE",
		Short: "Apply a project file (functions, state machines, connections) to a running server",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			return cli.Deploy(cmd.Context(), o, os.Stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Endpoint, "endpoint", o.Endpoint, "the server's endpoint")
	f.StringVar(&o.Region, "region", o.Region, "region used in the ARNs the project file's placeholders stand for (the server's)")
	f.StringVar(&o.Account, "account", o.Account, "account id used in those ARNs (the server's)")
	return cmd
}

func serverCmd() *cobra.Command {
	var configFile string
	flags := cli.DefaultServerOptions()
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the Step Functions API server with an embedded SQLite store",
		Long: `Run the Step Functions API server. The AWS SDKs and CLI work against it with
an endpoint override, e.g.

  aws stepfunctions list-state-machines --endpoint-url http://127.0.0.1:8083

Settings come from flags, then STATECRAFT_* environment variables
(STATECRAFT_LISTEN, STATECRAFT_DATA, STATECRAFT_REGION, STATECRAFT_ACCOUNT,
STATECRAFT_NO_SYNC, STATECRAFT_LOG_FORMAT, STATECRAFT_LOG_LEVEL,
STATECRAFT_PROJECT, STATECRAFT_ADMIN_KEY, STATECRAFT_RETENTION,
STATECRAFT_RETENTION_INTERVAL), then the JSON --config file, then the
defaults. SIGTERM or Ctrl-C shuts down cleanly.

One server uses a data directory at a time: a second one on the same
directory exits with an error. The directory is made private (0700) and
its files readable by the server's user only (0600).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o := cli.DefaultServerOptions()
			if configFile != "" {
				if err := cli.LoadServerConfig(configFile, &o); err != nil {
					return &cli.ExitError{Code: 1, Err: err}
				}
			}
			cli.ApplyServerEnv(&o, os.Getenv)
			f := cmd.Flags()
			for name, set := range map[string]func(){
				"listen":     func() { o.Listen = flags.Listen },
				"data":       func() { o.Data = flags.Data },
				"region":     func() { o.Region = flags.Region },
				"account":    func() { o.Account = flags.Account },
				"no-sync":    func() { o.NoSync = flags.NoSync },
				"log-format": func() { o.LogFormat = flags.LogFormat },
				"log-level":  func() { o.LogLevel = flags.LogLevel },
				"project":    func() { o.Project = flags.Project },
				"admin-key":  func() { o.AdminKey = flags.AdminKey },

				"retention":          func() { o.Retention = flags.Retention },
				"retention-interval": func() { o.RetentionInterval = flags.RetentionInterval },
			} {
				if f.Changed(name) {
					set()
				}
			}
			return cli.Server(cmd.Context(), o, os.Stdout, os.Stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "JSON config file with any of: listen, data, region, account, noSync, logFormat, logLevel, project, adminKey, retention, retentionInterval")
	f.StringVar(&flags.Listen, "listen", flags.Listen, "address to serve the API on")
	f.StringVar(&flags.Data, "data", flags.Data, "data directory (the SQLite database lives here)")
	f.StringVar(&flags.Region, "region", flags.Region, "default region for ARNs (requests signed for another region use theirs)")
	f.StringVar(&flags.Account, "account", flags.Account, "account id used in ARNs")
	f.BoolVar(&flags.NoSync, "no-sync", false, "do not fsync commits (faster; a power cut may lose the last steps)")
	f.StringVar(&flags.LogFormat, "log-format", flags.LogFormat, "log format: text or json")
	f.StringVar(&flags.LogLevel, "log-level", flags.LogLevel, "log level: debug, info, warn or error")
	f.StringVar(&flags.Project, "project", "", "project file (statecraft.yaml) to apply at start-up: functions, state machines, connections, activities, tenants, the media service")
	f.StringVar(&flags.AdminKey, "admin-key", "", "admin key of the workflow API (/v1/admin/..., inbound routing), besides the project's workflowApi.adminKeys")
	f.StringVar(&flags.Retention, "retention", flags.Retention, "how long closed executions are kept before they are purged with their history (e.g. 90d, 36h, 30m; 0 keeps them for ever)")
	f.StringVar(&flags.RetentionInterval, "retention-interval", flags.RetentionInterval, "how often to look for closed executions older than --retention")
	return cmd
}
