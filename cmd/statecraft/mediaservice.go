package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
	"github.com/statecraft/statecraft/ivr/mediaservice"
)

func init() { extraCommands = append(extraCommands, mediaServiceCmd) }

func mediaServiceCmd() *cobra.Command {
	o := mediaservice.Options{Endpoint: "http://127.0.0.1:8083", Region: "us-east-1", Pollers: 2}
	var bind, rtpPorts string
	cmd := &cobra.Command{
		Use:   "media-service",
		Short: "Run the IVR media service: an activity worker that places SIP calls, speaks prompts and reads DTMF",
		Long: `Run the IVR media service, an activity worker for the commands placeCall,
playPrompt, waitForDTMF and hangupCall. It uses only the public Step Functions
activity API, so it works against statecraft server and against AWS alike.
Calls go to --sip-proxy (with --sip-user/--sip-password for digest auth), or
straight to a destination that is itself a sip: URI. Inbound calls to a
number a tenant routes (statecraft server's workflow API, reached with
--inbound-routing-key) are answered and start that tenant's workflow with
{callerNumber, calledNumber, dialogId}; other inbound calls get 404. Prompts are spoken with
espeak-ng and converted with sox (Debian packages espeak-ng and sox).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			host, port, err := net.SplitHostPort(bind)
			if err != nil {
				return &cli.ExitError{Code: 1, Err: fmt.Errorf("--sip-bind %q: %v", bind, err)}
			}
			o.SIP.BindHost = host
			if o.SIP.BindPort, err = strconv.Atoi(port); err != nil {
				return &cli.ExitError{Code: 1, Err: fmt.Errorf("--sip-bind %q: bad port", bind)}
			}
			if rtpPorts != "" {
				lo, hi, ok := strings.Cut(rtpPorts, "-")
				a, err1 := strconv.Atoi(lo)
				b, err2 := strconv.Atoi(hi)
				if !ok || err1 != nil || err2 != nil || a > b {
					return &cli.ExitError{Code: 1, Err: fmt.Errorf("--rtp-ports %q: want LOW-HIGH", rtpPorts)}
				}
				o.SIP.RTPPortStart, o.SIP.RTPPortEnd = a, b
			}
			if o.RouterKey != "" {
				o.RouterEndpoint = o.Endpoint
			}
			o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
			if err := mediaservice.Run(cmd.Context(), o); err != nil {
				return &cli.ExitError{Code: 1, Err: err}
			}
			return nil
		},
	}
	if h, err := os.Hostname(); err == nil {
		o.WorkerName = h
	}
	f := cmd.Flags()
	f.StringVar(&o.Endpoint, "endpoint", o.Endpoint, "Step Functions endpoint (empty for AWS itself)")
	f.StringVar(&o.Region, "region", o.Region, "region")
	f.StringVar(&o.ActivityArn, "activity-arn", "", "the media service's activity ARN (required)")
	f.StringVar(&o.WorkerName, "worker-name", o.WorkerName, "worker name reported to Step Functions")
	f.IntVar(&o.Pollers, "pollers", o.Pollers, "concurrent GetActivityTask long polls")
	f.StringVar(&o.SIP.Transport, "sip-transport", "udp", "SIP transport: udp or tcp")
	f.StringVar(&bind, "sip-bind", "0.0.0.0:5060", "local SIP address (port 0 picks one)")
	f.StringVar(&o.SIP.ExternalHost, "sip-external-host", "", "address written into Contact and SDP behind NAT")
	f.StringVar(&o.SIP.Proxy, "sip-proxy", "", "SIP proxy or trunk that numbers are sent to, e.g. sip:pbx.example.com:5060")
	f.StringVar(&o.SIP.Username, "sip-user", "", "digest auth user for the proxy")
	f.StringVar(&o.SIP.Password, "sip-password", "", "digest auth password for the proxy")
	f.StringVar(&o.SIP.FromHost, "sip-from-host", "", "host of the From URI (default: the proxy's)")
	f.StringVar(&rtpPorts, "rtp-ports", "", "RTP port range LOW-HIGH (default: any free port)")
	f.StringVar(&o.CallerID, "caller-id", "", "caller id for outbound calls")
	f.StringVar(&o.PromptDir, "prompt-dir", "", "cache of spoken prompts (default: the user cache dir)")
	f.StringVar(&o.Voice, "voice", "", "espeak-ng voice")
	f.StringVar(&o.HandoffListen, "handoff-listen", "", "address other workers hand this worker's calls' commands to, e.g. 0.0.0.0:7090")
	f.StringVar(&o.HandoffAddr, "handoff-addr", "", "this worker's hand-off address as others reach it (written into dialog ids)")
	f.StringVar(&o.HandoffSecret, "handoff-secret", "", "shared secret for hand-offs between workers")
	f.StringVar(&o.RouterKey, "inbound-routing-key", os.Getenv("STATECRAFT_ADMIN_KEY"), "admin key of the statecraft server at --endpoint: inbound calls are routed by its tenants' numbers (default $STATECRAFT_ADMIN_KEY; without it inbound calls are rejected)")
	return cmd
}
