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

	Log *slog.Logger
}

// Run serves until ctx is done.
func Run(ctx context.Context, o Options) error {
	if o.ActivityArn == "" {
		return fmt.Errorf("media-service: --activity-arn is required")
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
		return err
	}
	o.SIP.Log = o.Log
	ua, err := sipua.Start(ctx, o.SIP)
	if err != nil {
		return err
	}
	client := sfn.New(sfn.Options{
		Region:     o.Region,
		HTTPClient: &http.Client{Timeout: 75 * time.Second}, // > the 60 s long poll
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
			if id == "" {
				id, secret = "statecraft", "statecraft"
			}
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN")}, nil
		}),
	}, func(opt *sfn.Options) {
		if o.Endpoint != "" {
			opt.BaseEndpoint = aws.String(o.Endpoint)
		}
	})
	w := ivr.NewWorker(client, ivr.Config{
		ActivityArn:     o.ActivityArn,
		WorkerName:      o.WorkerName,
		Pollers:         o.Pollers,
		HandoffListen:   o.HandoffListen,
		HandoffAddr:     o.HandoffAddr,
		HandoffSecret:   o.HandoffSecret,
		Backend:         ua,
		Prompts:         tts,
		DefaultCallerID: o.CallerID,
		Log:             o.Log,
	})
	return w.Run(ctx)
}
