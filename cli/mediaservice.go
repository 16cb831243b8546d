package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/statecraft/statecraft/ivr/mediaservice"
	"github.com/statecraft/statecraft/ivr/sipua"
	"github.com/statecraft/statecraft/ivr/workflowapi"
	"github.com/statecraft/statecraft/project"
)

// MediaServiceOptions are the flags of `statecraft media-service`: the
// service's options, with its SIP address and RTP ports as the flags
// write them.
type MediaServiceOptions struct {
	mediaservice.Options
	SIPBind  string // HOST:PORT; port 0 picks one
	RTPPorts string // LOW-HIGH; "" is any free port
}

// DefaultMediaServiceOptions are what `statecraft media-service` uses
// when no flag says otherwise: the server's endpoint and region, two
// pollers, the host's name as the worker's, SIP over UDP on port 5060,
// and the server's admin key from $STATECRAFT_ADMIN_KEY for inbound
// routing.
func DefaultMediaServiceOptions() MediaServiceOptions {
	d := DefaultServerOptions()
	o := MediaServiceOptions{Options: mediaservice.Options{Endpoint: "http://" + d.Listen, Region: d.Region, Pollers: 2}, SIPBind: "0.0.0.0:5060"}
	o.SIP.Transport = "udp"
	if h, err := os.Hostname(); err == nil {
		o.WorkerName = h
	}
	o.RouterKey = os.Getenv("STATECRAFT_ADMIN_KEY")
	return o
}

// MediaService runs the IVR media service against the Step Functions
// endpoint o.Endpoint until ctx is done; it logs to stderr.
func MediaService(ctx context.Context, o MediaServiceOptions, stderr io.Writer) error {
	host, port, err := net.SplitHostPort(o.SIPBind)
	if err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("--sip-bind %q: %v", o.SIPBind, err)}
	}
	o.SIP.BindHost = host
	if o.SIP.BindPort, err = strconv.Atoi(port); err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("--sip-bind %q: bad port", o.SIPBind)}
	}
	if o.RTPPorts != "" {
		lo, hi, ok := strings.Cut(o.RTPPorts, "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || a > b {
			return &ExitError{Code: 1, Err: fmt.Errorf("--rtp-ports %q: want LOW-HIGH", o.RTPPorts)}
		}
		o.SIP.RTPPortStart, o.SIP.RTPPortEnd = a, b
	}
	if o.RouterKey != "" {
		o.RouterEndpoint = o.Endpoint
	}
	o.Log = slog.New(slog.NewTextHandler(stderr, nil))
	if err := mediaservice.Run(ctx, o.Options); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	return nil
}

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
