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
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

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
		Log:             o.Log,
	})
	s := &Service{Worker: w, UA: ua, done: make(chan error, 1)}
	go func() { s.done <- w.Run(ctx) }()
	return s, nil
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
