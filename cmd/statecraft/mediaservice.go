package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/statecraft/statecraft/cli"
)

func mediaServiceCmd() *cobra.Command {
	o := cli.DefaultMediaServiceOptions()
	cmd := &cobra.Command{
		Use:   "media-service",
		Short: "Run the IVR media service: an activity worker that places SIP calls, speaks prompts and reads DTMF",
		Long: `Run the IVR media service, an activity worker for the commands placeCall,
playPrompt, waitForDTMF and hangupCall. It uses only the public Step Functions
activity API, so it works against statecraft server and against AWS alike.
Calls go to --sip-proxy (with --sip-user/--sip-password for digest auth), or
straight to a destination that is itself a sip: URI. With --sip-registrar the
service registers --sip-user there and keeps the registration fresh, so the
trunk sends inbound calls to it. Inbound calls to a
number a tenant routes (statecraft server's workflow API, reached with
--inbound-routing-key) are answered and start that tenant's workflow with
{callerNumber, calledNumber, dialogId}; other inbound calls get 404. Prompts are spoken with
espeak-ng and converted with sox (Debian packages espeak-ng and sox).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cli.MediaService(cmd.Context(), o, os.Stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Endpoint, "endpoint", o.Endpoint, "Step Functions endpoint (empty for AWS itself)")
	f.StringVar(&o.Region, "region", o.Region, "region")
	f.StringVar(&o.ActivityArn, "activity-arn", "", "the media service's activity ARN (required)")
	f.StringVar(&o.WorkerName, "worker-name", o.WorkerName, "worker name reported to Step Functions")
	f.IntVar(&o.Pollers, "pollers", o.Pollers, "concurrent GetActivityTask long polls")
	f.StringVar(&o.SIP.Transport, "sip-transport", o.SIP.Transport, "SIP transport: udp or tcp")
	f.StringVar(&o.SIPBind, "sip-bind", o.SIPBind, "local SIP address (port 0 picks one)")
	f.StringVar(&o.SIP.ExternalHost, "sip-external-host", "", "address written into Contact and SDP behind NAT")
	f.StringVar(&o.SIP.Proxy, "sip-proxy", "", "SIP proxy or trunk that numbers are sent to, e.g. sip:pbx.example.com:5060")
	f.StringVar(&o.SIP.Username, "sip-user", "", "digest auth user for the proxy")
	f.StringVar(&o.SIP.Password, "sip-password", "", "digest auth password for the proxy")
	f.StringVar(&o.SIP.FromHost, "sip-from-host", "", "host of the From URI (default: the proxy's)")
	f.StringVar(&o.SIP.Registrar, "sip-registrar", "", "register --sip-user here (REGISTER with digest auth, refreshed; inbound calls then come through the trunk), e.g. sip:pbx.example.com")
	f.DurationVar(&o.SIP.RegisterExpires, "sip-register-expires", time.Hour, "registration lifetime asked of --sip-registrar (refreshed at half of it)")
	f.StringVar(&o.RTPPorts, "rtp-ports", "", "RTP port range LOW-HIGH (default: any free port)")
	f.StringVar(&o.CallerID, "caller-id", "", "caller id for outbound calls")
	f.StringVar(&o.PromptDir, "prompt-dir", "", "cache of spoken prompts (default: the user cache dir)")
	f.StringVar(&o.Voice, "voice", "", "espeak-ng voice")
	f.StringVar(&o.HandoffListen, "handoff-listen", "", "address other workers hand this worker's calls' commands to, e.g. 0.0.0.0:7090")
	f.StringVar(&o.HandoffAddr, "handoff-addr", "", "this worker's hand-off address as others reach it (written into dialog ids)")
	f.StringVar(&o.HandoffSecret, "handoff-secret", "", "shared secret for hand-offs between workers")
	f.StringVar(&o.RouterKey, "inbound-routing-key", o.RouterKey, "admin key of the statecraft server at --endpoint: inbound calls are routed by its tenants' numbers (default $STATECRAFT_ADMIN_KEY; without it inbound calls are rejected)")
	return cmd
}
