package cli

import (
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/statecraft/statecraft/ivr/mediaservice"
	"github.com/statecraft/statecraft/ivr/sipua"
	"github.com/statecraft/statecraft/ivr/workflowapi"
	"github.com/statecraft/statecraft/project"
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
