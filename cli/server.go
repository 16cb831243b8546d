package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/console"
	"github.com/statecraft/statecraft/deploy"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/httptask"
	"github.com/statecraft/statecraft/ivr/mediaservice"
	"github.com/statecraft/statecraft/ivr/sipua"
	"github.com/statecraft/statecraft/lambdaapi"
	"github.com/statecraft/statecraft/metrics"
	"github.com/statecraft/statecraft/project"
	"github.com/statecraft/statecraft/store/sqlite"
	"github.com/statecraft/statecraft/tasks"
	"github.com/statecraft/statecraft/workflowapi"
)

// mediaOptions are the media service's settings from the project file.
func mediaOptions(m *project.MediaService, region string, client *sfn.Client, wf *workflowapi.Service, log *slog.Logger) mediaservice.Options {
	name := m.WorkerName
	if name == "" {
		name, _ = os.Hostname()
	}
	return mediaservice.Options{
		Region:      region,
		ActivityArn: m.ActivityArn,
		WorkerName:  name,
		Pollers:     m.Pollers,
		SIP: sipua.Config{
			Transport: m.SIPTransport, BindHost: m.SIPBindHost, BindPort: m.SIPBindPort, ExternalHost: m.SIPExternalHost,
			Proxy: m.SIPProxy, Username: m.SIPUser, Password: m.SIPPassword, FromHost: m.SIPFromHost,
			RTPPortStart: m.RTPPortStart, RTPPortEnd: m.RTPPortEnd,
		},
		CallerID:      m.CallerID,
		PromptDir:     m.PromptDir,
		Voice:         m.Voice,
		HandoffListen: m.HandoffListen,
		HandoffAddr:   m.HandoffAddr,
		HandoffSecret: m.HandoffSecret,
		Client:        client,
		Router:        wf.IVRRouter(),
		Log:           log,
	}
}

// ServerOptions are the settings of `statecraft server`.
type ServerOptions struct {
	Listen    string `json:"listen"`
	Data      string `json:"data"`
	Region    string `json:"region"`
	Account   string `json:"account"`
	NoSync    bool   `json:"noSync"`
	LogFormat string `json:"logFormat"` // text or json
	LogLevel  string `json:"logLevel"`  // debug, info, warn, error
	Project   string `json:"project"`   // project file applied at start-up
	AdminKey  string `json:"adminKey"`  // admin key of the workflow API (besides the project's)
	// Retention is how long closed executions are kept ("90d", "36h"; "0":
	// for ever), RetentionInterval how often they are looked for.
	Retention         string `json:"retention"`
	RetentionInterval string `json:"retentionInterval"`
}

// DefaultServerOptions are what the server uses when nothing says otherwise.
func DefaultServerOptions() ServerOptions {
	return ServerOptions{
		Listen:    "127.0.0.1:8083",
		Data:      "./statecraft-data",
		Region:    "us-east-1",
		Account:   "123456789012",
		LogFormat: "text",
		LogLevel:  "info",

		Retention:         DefaultRetention,
		RetentionInterval: DefaultRetentionInterval,
	}
}

// ServerEnv maps environment variables to settings.
var ServerEnv = map[string]func(*ServerOptions, string){
	"STATECRAFT_LISTEN":     func(o *ServerOptions, v string) { o.Listen = v },
	"STATECRAFT_DATA":       func(o *ServerOptions, v string) { o.Data = v },
	"STATECRAFT_REGION":     func(o *ServerOptions, v string) { o.Region = v },
	"STATECRAFT_ACCOUNT":    func(o *ServerOptions, v string) { o.Account = v },
	"STATECRAFT_NO_SYNC":    func(o *ServerOptions, v string) { o.NoSync = v == "1" || strings.EqualFold(v, "true") },
	"STATECRAFT_LOG_FORMAT": func(o *ServerOptions, v string) { o.LogFormat = v },
	"STATECRAFT_LOG_LEVEL":  func(o *ServerOptions, v string) { o.LogLevel = v },
	"STATECRAFT_PROJECT":    func(o *ServerOptions, v string) { o.Project = v },
	"STATECRAFT_ADMIN_KEY":  func(o *ServerOptions, v string) { o.AdminKey = v },

	"STATECRAFT_RETENTION":          func(o *ServerOptions, v string) { o.Retention = v },
	"STATECRAFT_RETENTION_INTERVAL": func(o *ServerOptions, v string) { o.RetentionInterval = v },
}

// LoadServerConfig applies a JSON config file over o. Unknown keys are an
// error, so a misspelt setting is not silently ignored.
func LoadServerConfig(path string, o *ServerOptions) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(o); err != nil {
		return fmt.Errorf("config %s: %v", path, err)
	}
	return nil
}

// ApplyServerEnv applies STATECRAFT_* variables over o.
func ApplyServerEnv(o *ServerOptions, getenv func(string) string) {
	for name, set := range ServerEnv {
		if v := getenv(name); v != "" {
			set(o, v)
		}
	}
}

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
	keep, err := ParseRetention(o.Retention)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	every, err := ParseRetentionInterval(o.RetentionInterval)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	if err := prepareDataDir(o.Data, log); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	sopts := sqlite.DefaultOptions()
	sopts.Sync = !o.NoSync
	sopts.Log = log
	dbPath := filepath.Join(o.Data, "statecraft.db")
	st, err := sqlite.Open(dbPath, sopts) // first: it locks the data directory against a second server
	if err != nil {
		return &ExitError{Code: 1, Err: openError(o.Data, dbPath, err)}
	}
	defer st.Close()
	retentionCtx, stopRetention := context.WithCancel(context.Background())
	retentionDone := startRetention(retentionCtx, st, keep, every, log)
	defer func() { stopRetention(); <-retentionDone }() // before the store closes
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	host := functions.NewHost(functions.HostOptions{Region: o.Region, Account: o.Account, Log: log})
	defer host.Close()
	conns := &deploy.Connections{}
	invoker := &tasks.Invoker{Functions: host, HTTP: &httptask.Invoker{Connections: conns}, Log: log}
	eng := engine.New(st, engine.Options{Log: log, Invoker: invoker})
	target := deploy.Target{Store: st, Functions: host, Connections: conns, Region: o.Region, Account: o.Account}
	var p *project.Project
	if o.Project != "" {
		p, err = project.Load(o.Project, project.Options{Region: o.Region, Account: o.Account})
		if err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		rep, err := deploy.Apply(ctx, target, deploy.FromProject(p))
		if err != nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("%s: %w", o.Project, err)}
		}
		log.Info("project applied", "file", o.Project, "functions", rep.Functions, "stateMachines", rep.StateMachines, "activities", rep.Activities)
	}
	mux := http.NewServeMux()
	mux.Handle(lambdaapi.Prefix, lambdaapi.Handler(host, log))
	mux.Handle(deploy.Path, deploy.Handler(target))
	apiHandler := api.New(st, eng, api.Options{Region: o.Region, Account: o.Account, Log: log})
	// The IVR workflow API (tenants, workflows, number routes) and, when
	// the project asks for it, the media service, both using the Step
	// Functions API above in process.
	sfnLocal := workflowapi.LocalClient(apiHandler, o.Region)
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
			cfgs = append(cfgs, workflowapi.TenantConfig{Name: t.Name, APIKeys: t.APIKeys, Workflows: t.Workflows, Numbers: t.Numbers})
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
		media, err = mediaservice.Start(mediaCtx, mediaOptions(p.MediaService, o.Region, sfnLocal, wf, log))
		if err != nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("media service: %w", err)}
		}
		log.Info("media service started", "activity", p.MediaService.ActivityArn, "sip", p.MediaService.SIPBindHost+":"+fmt.Sprint(p.MediaService.SIPBindPort))
	}
	con := console.New(apiHandler, console.Options{Log: log})
	mux.Handle(console.Prefix, con) // the web console and its live stream
	// Prometheus metrics, documented in metrics/README.md.
	mux.Handle("GET "+metrics.Path, metrics.Handler(eng, st, metrics.Options{Log: log}))
	mux.Handle("/", apiHandler)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
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
	go func() { serveErr <- srv.Serve(ln) }()

	endpoint := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Statecraft server listening on %s (data in %s)\n", endpoint, o.Data)
	fmt.Fprintf(stdout, "  console: %s/console/\n", endpoint)
	fmt.Fprintf(stdout, "  metrics: %s%s\n", endpoint, metrics.Path)
	fmt.Fprintf(stdout, "  workflow API: %s/v1/workflows\n", endpoint)
	if media != nil {
		fmt.Fprintf(stdout, "  media service: activity %s, SIP %s/%s\n", p.MediaService.ActivityArn, net.JoinHostPort(p.MediaService.SIPBindHost, fmt.Sprint(p.MediaService.SIPBindPort)), p.MediaService.SIPTransport)
	}
	fmt.Fprintf(stdout, "  aws stepfunctions list-state-machines --endpoint-url %s\n", endpoint)
	log.Info("server started", "endpoint", endpoint, "data", o.Data, "region", o.Region, "account", o.Account, "fsync", !o.NoSync)

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

// DeployOptions are the flags of `statecraft deploy`.
type DeployOptions struct {
	File     string
	Endpoint string
	Region   string
	Account  string
}

// Deploy loads a project file and applies it to a running server.
func Deploy(ctx context.Context, o DeployOptions, stdout io.Writer) error {
	p, err := project.Load(o.File, project.Options{Region: o.Region, Account: o.Account})
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	rep, err := deploy.Push(ctx, o.Endpoint, p)
	if err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("deploying %s to %s: %w", o.File, o.Endpoint, err)}
	}
	for _, f := range rep.Functions {
		fmt.Fprintf(stdout, "function       %s\n", f)
	}
	for _, a := range rep.Activities {
		fmt.Fprintf(stdout, "activity       %s\n", a)
	}
	for _, c := range rep.Connections {
		fmt.Fprintf(stdout, "connection     %s\n", c)
	}
	for _, arn := range rep.Created {
		fmt.Fprintf(stdout, "created        %s\n", arn)
	}
	for _, arn := range rep.Updated {
		fmt.Fprintf(stdout, "updated        %s\n", arn)
	}
	for _, arn := range rep.Unchanged {
		fmt.Fprintf(stdout, "unchanged      %s\n", arn)
	}
	return nil
}
