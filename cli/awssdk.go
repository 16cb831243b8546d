package cli

import (
	"errors"
	"slices"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/awssdk"
)

// awsSDK is what validation needs of the aws-sdk integrations the server
// (and `statecraft run`) runs through package awssdk: CreateStateMachine
// and `statecraft validate` accept exactly its services and actions and
// refuse a Parameters field their requests do not have.
var awsSDK = &asl.AWSSDK{
	Services:  slices.Sorted(slices.Values(awssdk.Services())),
	Supported: awssdk.Supported,
	CheckParameters: func(service, action string, params any) ([]string, string) {
		var fe *awssdk.FieldError
		if err := awssdk.CheckParameters(service, action, params); errors.As(err, &fe) {
			return fe.Path, fe.Error()
		}
		return nil, ""
	},
}
