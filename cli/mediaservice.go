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
	"time"

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
// Passwords named by passwordEnv are read here, so that a missing one
// stops the server at start rather than failing calls.
func mediaOptions(p *project.Project, region, account string, client *sfn.Client, wf *workflowapi.Service, log *slog.Logger) (mediaservice.Options, error) {
	m := p.MediaService
	name := m.WorkerName
	if name == "" {
		name, _ = os.Hostname()
	}
	password := func(env, field string) (string, error) {
		if env == "" {
			return "", nil
		}
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", fmt.Errorf("%s: environment variable %s is not set", field, env)
		}
		return v, nil
	}
	sipPassword := m.SIPPassword
	if m.SIPPasswordEnv != "" {
		var err error
		if sipPassword, err = password(m.SIPPasswordEnv, "mediaService.sip.passwordEnv"); err != nil {
			return mediaservice.Options{}, err
		}
	}
	var trunks []sipua.Trunk
	for _, t := range m.Trunks {
		pw, err := password(t.PasswordEnv, "mediaService.trunks."+t.Name+".passwordEnv")
		if err != nil {
			return mediaservice.Options{}, err
		}
		trunks = append(trunks, sipua.Trunk{Name: t.Name, Proxy: t.Proxy, Registrar: t.Registrar, Username: t.User, Password: pw,
			FromHost: t.FromHost, Expires: time.Duration(t.Expires) * time.Second})
	}
	var tenants []mediaservice.Tenant
	for _, t := range p.Tenants {
		acct := t.Account
		if acct == "" {
			acct = account
		}
		tenants = append(tenants, mediaservice.Tenant{Name: t.Name, Account: acct, Trunk: t.Trunk, CallerID: t.CallerID, Voice: t.Voice})
	}
	return mediaservice.Options{
		Region:      region,
		ActivityArn: m.ActivityArn,
		WorkerName:  name,
		Pollers:     m.Pollers,
		SIP: sipua.Config{
			Transport: m.SIPTransport, BindHost: m.SIPBindHost, BindPort: m.SIPBindPort, ExternalHost: m.SIPExternalHost,
			Proxy: m.SIPProxy, Username: m.SIPUser, Password: sipPassword, FromHost: m.SIPFromHost,
			Registrar: m.SIPRegistrar, RegisterExpires: time.Duration(m.SIPRegisterExpires) * time.Second,
			RTPPortStart: m.RTPPortStart, RTPPortEnd: m.RTPPortEnd, Trunks: trunks,
		},
		Tenants:       tenants,
		CallerID:      m.CallerID,
		PromptDir:     m.PromptDir,
		Voice:         m.Voice,
		HandoffListen: m.HandoffListen,
		HandoffAddr:   m.HandoffAddr,
		HandoffSecret: m.HandoffSecret,
		Client:        client,
		Router:        wf.IVRRouter(),
		Log:           log,
	}, nil
}
