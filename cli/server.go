package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/awssdk"
	"github.com/statecraft/statecraft/cloudformation"
	"github.com/statecraft/statecraft/console"
	"github.com/statecraft/statecraft/cost"
	"github.com/statecraft/statecraft/deploy"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/httptask"
	"github.com/statecraft/statecraft/inproc"
	"github.com/statecraft/statecraft/integrations"
	"github.com/statecraft/statecraft/ivr/mediaservice"
	"github.com/statecraft/statecraft/ivr/workflowapi"
	"github.com/statecraft/statecraft/lambdaapi"
	"github.com/statecraft/statecraft/metrics"
	"github.com/statecraft/statecraft/project"
	"github.com/statecraft/statecraft/tasks"
)

func newLogger(o ServerOptions, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", o.LogLevel)
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch o.LogFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	}
	return nil, fmt.Errorf("log format %q: use text or json", o.LogFormat)
}

// Server runs the Step Functions API on an embedded SQLite store until ctx
// is done, then shuts down gracefully: no new requests, requests in flight
// finish (long polls are cut short), the store is closed cleanly.
func Server(ctx context.Context, o ServerOptions, stdout, stderr io.Writer) error {
	log, err := newLogger(o, stderr)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	for _, name := range o.AllowFunctionEnv {
		if _, ok := deploy.LoaderEnv(name); !ok {
			return &ExitError{Code: 1, Err: fmt.Errorf("allow-function-env: %s is not a variable that deploys refuse (any other may be set without allowing it)", name)}
		}
	}
	if err := checkDB(o); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	keep, err := ParseRetention(o.Retention)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	every, err := ParseRetentionInterval(o.RetentionInterval)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	// Everything that can refuse the start is checked before the data
	// directory is touched: the project file (its accounts section is
	// part of who may use the server), the credentials, TLS, the address.
	var p *project.Project
	if o.Project != "" {
		if p, err = project.Load(o.Project, project.Options{Region: o.Region, Account: o.Account}); err != nil {
			return &ExitError{Code: 1, Err: err}
		}
	}
	keys, err := keyring(o, p)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	var certs *certReloader
	if o.TLSCert != "" || o.TLSKey != "" {
		if o.TLSCert == "" || o.TLSKey == "" {
			return &ExitError{Code: 1, Err: errors.New("TLS needs both --tls-cert and --tls-key")}
		}
		if certs, err = newCertReloader(o.TLSCert, o.TLSKey, log); err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		defer certs.Close()
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	defer ln.Close() // on the way out of a refused start; Serve closes it otherwise
	if err := checkExposure(ln, keys, certs != nil, log); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	if o.MaxConnections > 0 {
		ln = newLimitListener(ln, o.MaxConnections)
	}
	if certs == nil {
		// Over TLS the server reads the TLS connection itself (HTTP/2
		// needs it), so only plain HTTP/1.1 gets modelled errors for the
		// requests it cannot read.
		ln = modelledErrors{ln}
	}
	if err := prepareDataDir(o.Data, log); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	prices := cost.Default()
	if o.CostPrices != "" {
		if prices, err = cost.Load(o.CostPrices); err != nil {
			return &ExitError{Code: 2, Err: err}
		}
	}
	opened, err := openStore(ctx, o, log) // first: SQLite's lock keeps a second server out
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	defer opened.Close()
	st := opened.Store // unwrapped: the engine looks for what it implements (store.Notifier)
	retentionCtx, stopRetention := context.WithCancel(context.Background())
	retentionDone := startRetention(retentionCtx, st, keep, every, log)
	defer func() { stopRetention(); <-retentionDone }() // before the store closes
	host := functions.NewHost(functions.HostOptions{Region: o.Region, Account: o.Account, Log: log})
	defer host.Close()
	conns := &deploy.Connections{}
	services, err := serviceConfigs(o.Region, o.Services, p, o.Project)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	invoker := &tasks.Invoker{Functions: host, HTTP: &httptask.Invoker{Connections: conns}, Log: log,
		Services: &integrations.Port{Configs: services}, SDK: awssdk.New(services)}
	nodeID := o.NodeID
	if nodeID == "" && o.DB != "" {
		host, _ := os.Hostname()
		nodeID = net.JoinHostPort(host, portOf(ln.Addr()))
	}
	eopts := engine.Options{Log: log, Tasks: invoker, NodeID: nodeID, Address: ln.Addr().String(), ShardLease: time.Duration(o.ShardLease),
		AssumeRole: keys.AssumeRole}
	items, err := itemStore(o, p)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if items != nil {
		// A nil *Reader in the interface would not read as "none".
		eopts.Items = items
	}
	eng := engine.New(st, eopts)
	// Every door authenticates before it parses: SigV4 for the AWS
	// protocols and deploy, tenant keys for the workflow API, a session
	// for the console, a token for metrics.
	signed := func(service string) *auth.Authenticator {
		return &auth.Authenticator{Keyring: keys, Service: service}
	}
	apiHandler := api.New(st, eng, api.Options{Region: o.Region, Account: o.Account, Log: log, Auth: signed(api.SigningName), ExpressAllTasks: o.ExpressAllTasks, AWSSDK: awsSDK})
	// Deployments write state machines and activities through the API, in
	// process: its validation, revision ids and errors are theirs.
	target := deploy.Target{API: apiHandler, Functions: host, Connections: conns, Region: o.Region, Account: o.Account,
		DataDir: o.Data, AllowEnv: o.AllowFunctionEnv}
	if p != nil {
		rep, err := deploy.Apply(ctx, target, deploy.FromProject(p))
		if err != nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("%s: %w", o.Project, err)}
		}
		log.Info("project applied", "file", o.Project, "functions", rep.Functions, "stateMachines", rep.StateMachines, "activities", rep.Activities)
	}
	mux := http.NewServeMux()
	mux.Handle(lambdaapi.Prefix, signed(lambdaapi.SigningName).Middleware(lambdaapi.MaxRequest+1, lambdaapi.AuthError, lambdaapi.Handler(host, log)))
	deployHandler := deploy.Handler(target)
	mux.Handle(deploy.Path, signed(deploy.SigningName).Middleware(deploy.MaxBody, deploy.AuthError, deployHandler))
	// CloudFormation speaks the query protocol: form POSTs to "/", told
	// apart from the Step Functions API's JSON by their Content-Type. Its
	// stacks are deployed through the API and the deploy door, in process,
	// and kept in the store, which the nodes share; the file that kept
	// them before is imported once.
	cfn, err := cloudformation.New(cloudformation.Options{API: apiHandler, Deploy: deployHandler, Functions: host,
		Region: o.Region, Account: o.Account, Store: st, NodeID: nodeID, File: filepath.Join(o.Data, "cloudformation.json"), Log: log})
	if err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("cloudformation stacks: %w", err)}
	}
	cfnDoor := signed(cloudformation.SigningName).Middleware(cloudformation.MaxBody, cloudformation.AuthError, cfn)
	// The IVR workflow API (tenants, workflows, number routes) and, when
	// the project asks for it, the media service, both using the Step
	// Functions API above in process.
	sfnLocal := inproc.StepFunctions(apiHandler, &auth.Principal{AccessKeyID: "workflowapi", Account: o.Account, Role: auth.RoleOperator, Region: o.Region, Via: "internal"})
	wopts := workflowapi.Options{SFN: sfnLocal, Region: o.Region, Account: o.Account, File: filepath.Join(o.Data, "workflows.json"), Log: log}
	if o.AdminKey != "" {
		wopts.AdminKeys = append(wopts.AdminKeys, o.AdminKey)
	}
	if p != nil && p.WorkflowAPI != nil {
		wopts.AdminKeys = append(wopts.AdminKeys, p.WorkflowAPI.AdminKeys...)
	}
	wf, err := workflowapi.New(wopts)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	if p != nil && len(p.Tenants) > 0 {
		var cfgs []workflowapi.TenantConfig
		for _, t := range p.Tenants {
			cfgs = append(cfgs, workflowapi.TenantConfig{Name: t.Name, Account: t.Account, APIKeys: t.APIKeys, Workflows: t.Workflows, Numbers: t.Numbers})
		}
		if err := wf.ApplyTenants(cfgs); err != nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("%s: %w", o.Project, err)}
		}
	}
	mux.Handle("/v1/", wf.Handler())
	mediaCtx, stopMedia := context.WithCancel(context.Background())
	defer stopMedia()
	var media *mediaservice.Service
	if p != nil && p.MediaService != nil {
		// The media service is an activity worker of the default account:
		// in process, it acts as one.
		worker := inproc.StepFunctions(apiHandler, &auth.Principal{AccessKeyID: "media-service", Account: o.Account, Role: auth.RoleWorker, Region: o.Region, Via: "internal"})
		mo, err := mediaOptions(p, o.Region, o.Account, worker, wf, log)
		if err == nil {
			media, err = mediaservice.Start(mediaCtx, mo)
		}
		if err != nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("media service: %w", err)}
		}
		log.Info("media service started", "activity", p.MediaService.ActivityArn, "sip", p.MediaService.SIPBindHost+":"+fmt.Sprint(p.MediaService.SIPBindPort))
	}
	// Prometheus metrics, documented in metrics/README.md. The console
	// reads them in process, through the session, for its Activities
	// page: /metrics itself is for scrapers, with their token.
	metricsHandler := metrics.Handler(eng, st, metrics.Options{Log: log, Prices: &prices})
	mux.Handle("GET "+metrics.Path, metrics.RequireToken(o.MetricsToken, nil, metricsHandler))
	consoleKey, err := console.LoadOrCreateKey(o.Data) // signs `statecraft console-token` logins
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	cluster := mountCluster(mux, st, o, keys, ln.Addr().String(), eng.NodeID(), log) // GET /statecraft/cluster; the console's Cluster page reads it too
	// GET /statecraft/cost; the console's execution and state machine pages read it too.
	costs := mountCost(mux, &cost.Calculator{Store: st, Prices: prices, Memory: host.MemoryMB}, o.Region, keys, log)
	con := console.New(apiHandler, console.Options{Log: log, Keyring: keys, TokenKey: consoleKey, Region: o.Region, Metrics: metricsHandler, Cluster: cluster, Cost: costs})
	mux.Handle(console.Prefix, con) // the web console: sign-in, its API door, live stream and metrics
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cloudformation.IsQuery(r) {
			cfnDoor.ServeHTTP(w, r)
			return
		}
		apiHandler.ServeHTTP(w, r)
	}))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: time.Duration(o.ReadHeaderTimeout),
		ReadTimeout:       time.Duration(o.ReadTimeout),
		WriteTimeout:      time.Duration(o.WriteTimeout),
		IdleTimeout:       time.Duration(o.IdleTimeout),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if certs != nil {
		srv.TLSConfig = certs.tlsConfig()
	}
	var metricsSrv *http.Server
	if o.MetricsListen != "" {
		mln, err := net.Listen("tcp", o.MetricsListen)
		if err != nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("metrics address: %w", err)}
		}
		mmux := http.NewServeMux()
		mmux.Handle("GET "+metrics.Path, metricsHandler)
		metricsSrv = &http.Server{Handler: mmux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}
		go func() { _ = metricsSrv.Serve(mln) }()
		defer metricsSrv.Close()
		fmt.Fprintf(stdout, "  metrics (no token): http://%s%s\n", mln.Addr(), metrics.Path)
	}
	srv.RegisterOnShutdown(con.Close)

	runCtx, stopEngine := context.WithCancel(context.Background())
	engineDone := make(chan struct{})
	go func() {
		defer close(engineDone)
		if err := eng.Run(runCtx); err != nil {
			log.Error("engine stopped", "err", err)
		}
	}()
	serveErr := make(chan error, 1)
	go func() {
		if certs != nil {
			serveErr <- srv.ServeTLS(ln, "", "")
			return
		}
		serveErr <- srv.Serve(ln)
	}()

	scheme := "http"
	if certs != nil {
		scheme = "https"
	}
	endpoint := scheme + "://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Statecraft server listening on %s (store: %s; data in %s)\n", endpoint, opened.where, o.Data)
	if id := eng.NodeID(); id != "" {
		lease := time.Duration(o.ShardLease)
		if lease == 0 {
			lease = engine.DefaultShardLease
		}
		fmt.Fprintf(stdout, "  node %s: shares the work with every server on this database and schema (shard lease %s)\n", id, lease)
	}
	fmt.Fprintf(stdout, "  console: %s/console/\n", endpoint)
	fmt.Fprintf(stdout, "  metrics: %s%s\n", endpoint, metrics.Path)
	fmt.Fprintf(stdout, "  workflow API: %s/v1/workflows\n", endpoint)
	if media != nil {
		fmt.Fprintf(stdout, "  media service: activity %s, SIP %s/%s\n", p.MediaService.ActivityArn, net.JoinHostPort(p.MediaService.SIPBindHost, fmt.Sprint(p.MediaService.SIPBindPort)), p.MediaService.SIPTransport)
	}
	fmt.Fprintf(stdout, "  aws stepfunctions list-state-machines --endpoint-url %s\n", endpoint)
	log.Info("server started", "endpoint", endpoint, "store", opened.where, "data", o.Data, "region", o.Region, "account", o.Account, "fsync", !o.NoSync)

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopMedia()
		if media != nil {
			_ = media.Wait()
		}
		stopEngine()
		<-engineDone
		if !errors.Is(err, http.ErrServerClosed) {
			return &ExitError{Code: 1, Err: err}
		}
		return nil
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stopMedia() // hangs up its calls while the engine still takes their results
	if media != nil {
		if err := media.Wait(); err != nil {
			log.Warn("media service", "err", err)
		}
	}
	stopEngine() // ends long polls and the timer loop first, so Shutdown is not held up
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	<-engineDone
	log.Info("stopped")
	return nil
}

func portOf(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return port
}
