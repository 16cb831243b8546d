package cli

import (
	"errors"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/awssdk"
)

// The server (and `statecraft run`, `statecraft validate`) runs the
// aws-sdk integrations of package awssdk, so validation accepts exactly
// its services and actions and refuses a Parameters field their requests
// do not have, as CreateStateMachine does.
func init() {
	asl.RegisterAWSSDK(asl.AWSSDK{
		Services:  awssdk.Services(),
		Supported: awssdk.Supported,
		CheckParameters: func(service, action string, params any) ([]string, string) {
			var fe *awssdk.FieldError
			if err := awssdk.CheckParameters(service, action, params); errors.As(err, &fe) {
				return fe.Path, fe.Error()
			}
			return nil, ""
		},
	})
}
