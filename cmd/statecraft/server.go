package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func serverCmd() *cobra.Command {
	var configFile string
	flags := cli.DefaultServerOptions()
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the Step Functions API server, on an embedded SQLite store or PostgreSQL",
		Long: `Run the Step Functions API server. The AWS SDKs and CLI work against it with
an endpoint override, e.g.

  aws stepfunctions list-state-machines --endpoint-url http://127.0.0.1:8083

Settings come from flags, then STATECRAFT_* environment variables
(STATECRAFT_LISTEN, STATECRAFT_DATA, STATECRAFT_DB, STATECRAFT_DB_SCHEMA,
STATECRAFT_REGION, STATECRAFT_ACCOUNT,
STATECRAFT_NO_SYNC, STATECRAFT_LOG_FORMAT, STATECRAFT_LOG_LEVEL,
STATECRAFT_PROJECT, STATECRAFT_ADMIN_KEY, STATECRAFT_CREDENTIALS,
STATECRAFT_TLS_CERT, STATECRAFT_TLS_KEY, STATECRAFT_METRICS_TOKEN,
STATECRAFT_METRICS_LISTEN, STATECRAFT_ALLOW_FUNCTION_ENV, STATECRAFT_RETENTION,
STATECRAFT_RETENTION_INTERVAL), then the JSON --config file, then the
defaults. SIGTERM or Ctrl-C shuts down cleanly.

The store is SQLite in the data directory, or with --db the PostgreSQL
database a postgres:// URL names (--db-schema picks the schema, so that
several clusters can share a database). One server uses a data directory
at a time: a second one on it exits with an error. Any number of servers
share one PostgreSQL database and schema as the nodes of one service
(--node-id names each; --shard-lease sets how soon the others take over
from one that dies). The directory is made private (0700) and
its files readable by the server's user only (0600).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := cli.ServerSettings(configFile, os.Getenv, flags, cmd.Flags().Changed)
			if err != nil {
				return err
			}
			return cli.Server(cmd.Context(), o, os.Stdout, os.Stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "JSON config file with any of: listen, data, db, dbSchema, nodeId, shardLease, region, account, noSync, logFormat, logLevel, project, adminKey, credentials, tlsCert, tlsKey, metricsToken, metricsListen, maxConnections, readHeaderTimeout, readTimeout, writeTimeout, idleTimeout, allowFunctionEnv, retention, retentionInterval")
	f.StringVar(&flags.Listen, "listen", flags.Listen, "address to serve the API on")
	f.StringVar(&flags.Data, "data", flags.Data, "data directory (the SQLite database lives here; with --db, only the console's key and deployed code)")
	f.StringVar(&flags.DB, "db", "", "store in PostgreSQL instead of SQLite: postgres://USER[:PASSWORD]@HOST:PORT/DB[?sslmode=...]; several servers on one database and schema share the work")
	f.StringVar(&flags.DBSchema, "db-schema", "", "schema of --db that holds the tables, created if missing (default statecraft)")
	f.StringVar(&flags.NodeID, "node-id", "", "with --db: this node's name among the servers sharing the database (default HOST:PORT)")
	f.DurationVar((*time.Duration)(&flags.ShardLease), "shard-lease", 0, "with --db: how long this node's shard leases last; a node that dies has its work taken over after about this long (default 6s)")
	f.StringVar(&flags.Region, "region", flags.Region, "default region for ARNs (requests signed for another region use theirs)")
	f.StringVar(&flags.Account, "account", flags.Account, "account id used in ARNs")
	f.BoolVar(&flags.NoSync, "no-sync", false, "do not fsync commits (faster; a power cut may lose the last steps)")
	f.BoolVar(&flags.ExpressAllTasks, "express-all-tasks", false, "let EXPRESS machines use activities, .sync and .waitForTaskToken (AWS refuses them)")
	f.StringVar(&flags.LogFormat, "log-format", flags.LogFormat, "log format: text or json")
	f.StringVar(&flags.LogLevel, "log-level", flags.LogLevel, "log level: debug, info, warn or error")
	f.StringVar(&flags.Project, "project", "", "project file (statecraft.yaml) to apply at start-up: functions, state machines, connections, activities, tenants, the media service")
	f.StringVar(&flags.AdminKey, "admin-key", "", "admin key of the workflow API (/v1/admin/..., inbound routing), besides the project's workflowApi.adminKeys")
	f.StringVar(&flags.Credentials, "credentials", "", "credentials file: accounts, access keys and roles (without one, only the development pair local/local works, and only on loopback)")
	f.StringVar(&flags.TLSCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key the server speaks HTTPS (HTTP/2 and HTTP/1.1) and reloads both on SIGHUP")
	f.StringVar(&flags.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	f.StringVar(&flags.MetricsToken, "metrics-token", "", "bearer token that GET /metrics requires")
	f.StringVar(&flags.MetricsListen, "metrics-listen", "", "serve /metrics without a token on this separate address (a private network's)")
	f.StringVar(&flags.S3Endpoint, "s3-endpoint", "", "S3-compatible object store (http(s) URL) Distributed Maps read items from (ItemReader); key from STATECRAFT_S3_ACCESS_KEY_ID and STATECRAFT_S3_SECRET_ACCESS_KEY")
	f.StringVar(&flags.S3Region, "s3-region", "", "region signing object store requests (default: --region)")
	f.BoolVar(&flags.S3PathStyle, "s3-path-style", false, "address buckets in the URL path (MinIO, Ceph and most self-hosted stores)")
	f.StringVar(&flags.S3Dir, "s3-dir", "", "instead of --s3-endpoint: serve Distributed Maps' buckets from this directory (each subdirectory a bucket, each file below it an object); nothing outside it is reachable")
	f.StringVar(&flags.Services, "services", "", "YAML or JSON file naming, per AWS service (sqs, sns, dynamodb, events, ... or default), the endpoint, region and credentials (environment variable names or a profile) of Task integrations; without it they call AWS in --region with the SDK's default credentials")
	f.StringVar(&flags.CostPrices, "cost-prices", "", "JSON price table over the embedded AWS list prices (us-east-1) that cost reports and metrics use; the fields it leaves out keep their default")
	f.IntVar(&flags.MaxConnections, "max-connections", flags.MaxConnections, "most connections served at once (more wait to be accepted)")
	f.DurationVar((*time.Duration)(&flags.ReadHeaderTimeout), "read-header-timeout", time.Duration(flags.ReadHeaderTimeout), "time to read a request's headers")
	f.DurationVar((*time.Duration)(&flags.ReadTimeout), "read-timeout", time.Duration(flags.ReadTimeout), "time to read a whole request")
	f.DurationVar((*time.Duration)(&flags.WriteTimeout), "write-timeout", time.Duration(flags.WriteTimeout), "time to write a response (long polls, StartSyncExecution, Lambda invocations and the console's live stream have their own bounds)")
	f.DurationVar((*time.Duration)(&flags.IdleTimeout), "idle-timeout", time.Duration(flags.IdleTimeout), "time an idle keep-alive connection is kept open")
	f.StringSliceVar(&flags.AllowFunctionEnv, "allow-function-env", nil, "NAME,... environment variables that change how code is loaded (NODE_OPTIONS, LD_PRELOAD, ...) that functions deployed over HTTP may set anyway")
	f.StringVar(&flags.Retention, "retention", flags.Retention, "how long closed executions are kept before they are purged with their history (e.g. 90d, 36h, 30m; 0 keeps them for ever)")
	f.StringVar(&flags.RetentionInterval, "retention-interval", flags.RetentionInterval, "how often to look for closed executions older than --retention")
	return cmd
}
