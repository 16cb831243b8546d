// Package mediaservice assembles the IVR media service: an activity worker
// (package ivr) with the SIP backend (package ivr/sipua) and espeak-ng
// prompts, against any Step Functions endpoint (Statecraft or AWS).
// It is what `statecraft media-service` runs.
package mediaservice

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/ivr"
	"github.com/statecraft/statecraft/ivr/sipua"
)

// Options are the media service's settings (one flag each).
type Options struct {
	Endpoint    string // Step Functions endpoint, e.g. http://127.0.0.1:8083 ("" = AWS)
	Region      string // default us-east-1
	ActivityArn string
	WorkerName  string
	Pollers     int

	SIP      sipua.Config
	CallerID string

	PromptDir string // prompt cache (default: user cache dir/statecraft-ivr)
	Voice     string

	// Tenants are the tenants' call settings: a call placed (or a prompt
	// played) by a tenant's execution uses its trunk, caller id and voice
	// unless the command's input names its own.
	Tenants []Tenant

	HandoffListen string // e.g. 0.0.0.0:7090 ("" = single worker)
	HandoffAddr   string // e.g. 10.0.0.5:7090, written into dialog ids
	HandoffSecret string

	// Client, when set, is the Step Functions API used instead of one
	// built from Endpoint and Region (statecraft server passes its own
	// API, served in process).
	Client ivr.ActivityAPI
	// Router routes inbound calls to workflows (statecraft server passes
	// its workflow API in process). Without it, RouterEndpoint and
	// RouterKey, when set, reach a server's routing endpoints over HTTP
	// (ivr.HTTPRouter); with neither, inbound calls are rejected.
	Router         ivr.Router
	RouterEndpoint string
	RouterKey      string

	Log *slog.Logger
}

// Tenant is one tenant's call settings. A tenant's executions are those
// the workflow API starts for it: named "TENANT.ID", in the tenant's
// account when it has one.
type Tenant struct {
	Name     string
	Account  string // "" any account
	Trunk    string // a trunk of SIP.Trunks ("" the default one)
	CallerID string
	Voice    string // an espeak-ng voice
}

// Service is a running media service.
type Service struct {
	Worker *ivr.Worker
	UA     *sipua.UA
	done   chan error
}

// Wait waits for the service to stop (when the context given to Start is
// done) and returns why it stopped.
func (s *Service) Wait() error { return <-s.done }

// Run serves until ctx is done.
func Run(ctx context.Context, o Options) error {
	s, err := Start(ctx, o)
	if err != nil {
		return err
	}
	return s.Wait()
}

// Start checks the tools, starts the SIP user agent and the worker, and
// returns; the service runs until ctx is done.
func Start(ctx context.Context, o Options) (*Service, error) {
	if o.ActivityArn == "" {
		return nil, fmt.Errorf("media-service: --activity-arn is required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.PromptDir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			d = os.TempDir()
		}
		o.PromptDir = filepath.Join(d, "statecraft-ivr")
	}
	tts := &ivr.TTS{Dir: o.PromptDir, Voice: o.Voice}
	if err := tts.CheckTools(); err != nil {
		return nil, err
	}
	tenantOf, err := checkTenants(o, tts)
	if err != nil {
		return nil, err
	}
	o.SIP.Log = o.Log
	ua, err := sipua.Start(ctx, o.SIP)
	if err != nil {
		return nil, err
	}
	var client ivr.ActivityAPI = o.Client
	if client == nil {
		client = newClient(o)
	}
	router := o.Router
	if router == nil && o.RouterEndpoint != "" {
		router = &ivr.HTTPRouter{Endpoint: o.RouterEndpoint, Key: o.RouterKey}
	}
	w := ivr.NewWorker(client, ivr.Config{
		ActivityArn:     o.ActivityArn,
		WorkerName:      o.WorkerName,
		Pollers:         o.Pollers,
		HandoffListen:   o.HandoffListen,
		HandoffAddr:     o.HandoffAddr,
		HandoffSecret:   o.HandoffSecret,
		Backend:         ua,
		Router:          router,
		Prompts:         tts,
		DefaultCallerID: o.CallerID,
		TenantOf:        tenantOf,
		Log:             o.Log,
	})
	s := &Service{Worker: w, UA: ua, done: make(chan error, 1)}
	go func() { s.done <- w.Run(ctx) }()
	return s, nil
}

// checkTenants refuses voices espeak-ng lacks and trunks not configured,
// naming them, and returns how a task token's tenant is found.
func checkTenants(o Options, tts *ivr.TTS) (func(string) *ivr.TenantSettings, error) {
	if o.Voice != "" {
		if err := tts.CheckVoice(o.Voice); err != nil {
			return nil, fmt.Errorf("media service voice: %w", err)
		}
	}
	trunks := map[string]bool{"": true}
	for _, t := range o.SIP.Trunks {
		trunks[t.Name] = true
	}
	byName := map[string]*ivr.TenantSettings{}
	accounts := map[string]string{}
	for _, t := range o.Tenants {
		if t.Voice != "" {
			if err := tts.CheckVoice(t.Voice); err != nil {
				return nil, fmt.Errorf("tenant %s: %w", t.Name, err)
			}
		}
		if !trunks[t.Trunk] {
			return nil, fmt.Errorf("tenant %s: no SIP trunk %q is configured", t.Name, t.Trunk)
		}
		byName[t.Name] = &ivr.TenantSettings{Tenant: t.Name, Trunk: t.Trunk, CallerID: t.CallerID, Voice: t.Voice}
		accounts[t.Name] = t.Account
	}
	if len(byName) == 0 {
		return nil, nil
	}
	return func(token string) *ivr.TenantSettings {
		// Statecraft's task tokens name their execution; AWS's do not,
		// and then no tenant is known.
		ex, ok := engine.TokenExecution(token)
		if !ok {
			return nil
		}
		a, err := arn.ParseStates(ex)
		if err != nil || (a.Type != "execution" && a.Type != "express") {
			return nil
		}
		name, _, ok := strings.Cut(a.Qualifier, ".")
		if !ok || byName[name] == nil {
			return nil
		}
		if acct := accounts[name]; acct != "" && acct != a.Account {
			return nil
		}
		return byName[name]
	}, nil
}

func newClient(o Options) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:     o.Region,
		HTTPClient: &http.Client{Timeout: 75 * time.Second}, // > the 60 s long poll
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
			if id == "" {
				id, secret = "local", "local" // the development pair of a server with no credentials
			}
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN")}, nil
		}),
	}, func(opt *sfn.Options) {
		if o.Endpoint != "" {
			opt.BaseEndpoint = aws.String(o.Endpoint)
		}
	})
}
