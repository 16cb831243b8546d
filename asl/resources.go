package asl

import (
	"slices"
	"strings"
	"sync"

	"github.com/statecraft/statecraft/arn"
)

// Task resources Statecraft runs. A definition whose Task names another
// resource is refused when it is created (ValidateOptions.Runnable),
// naming the resource and listing these, rather than failing each
// execution when it reaches the state.

// serviceIntegrations are the optimized integrations Statecraft runs
// (arn:aws:states:::SERVICE:ACTION), by service, with the integration
// patterns each takes besides request-response.
var serviceIntegrations = map[string]map[string][]string{
	"lambda":   {"invoke": {".waitForTaskToken"}},
	"http":     {"invoke": nil},
	"states":   {"startExecution": {".sync", ".sync:2", ".waitForTaskToken"}},
	"sqs":      {"sendMessage": {".waitForTaskToken"}},
	"sns":      {"publish": {".waitForTaskToken"}},
	"dynamodb": {"getItem": nil, "putItem": nil, "updateItem": nil, "deleteItem": nil},
	"events":   {"putEvents": {".waitForTaskToken"}},
}

// AWSSDK is what validation asks of the package that runs
// arn:aws:states:::aws-sdk:SERVICE:ACTION tasks: which services and
// actions it runs and which fields their Parameters may hold. That
// package provides it when it is wired in (RegisterAWSSDK); asl does not
// import it, as asl is linked into everything that reads a definition
// and the SDK's clients are large.
type AWSSDK struct {
	// Services lists the services, as the ARN names them.
	Services []string
	// Supported tells whether SERVICE runs ACTION (camelCase, as in the
	// ARN, without .waitForTaskToken).
	Supported func(service, action string) bool
	// CheckParameters finds the first field of a task's static
	// Parameters (or Arguments) the action's request does not have. It
	// returns the field's path below Parameters (object keys and array
	// indices, unescaped) and the message to report there, or a nil path.
	CheckParameters func(service, action string, params any) (path []string, message string)
}

var (
	sdkMu sync.RWMutex
	sdk   AWSSDK
)

// RegisterAWSSDK makes the aws-sdk tasks s describes runnable (any
// action Supported, request-response or .waitForTaskToken) and checks
// their Parameters at validation; it replaces an earlier registration.
func RegisterAWSSDK(s AWSSDK) {
	s.Services = slices.Sorted(slices.Values(s.Services))
	sdkMu.Lock()
	defer sdkMu.Unlock()
	sdk = s
}

func registeredSDK() AWSSDK {
	sdkMu.RLock()
	defer sdkMu.RUnlock()
	return sdk
}

// AWSSDKServices lists the registered aws-sdk services, sorted.
func AWSSDKServices() []string {
	return slices.Clone(registeredSDK().Services)
}

// awsSDKResource splits an aws-sdk Task resource's SERVICE and ACTION;
// ok is false for any other resource.
func awsSDKResource(resource string) (service, action string, ok bool) {
	parts := strings.SplitN(resource, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "states" || parts[3] != "" || parts[4] != "" || parts[5] != "aws-sdk" {
		return "", "", false
	}
	service, action, ok = strings.Cut(strings.TrimSuffix(parts[6], ".waitForTaskToken"), ":")
	return service, action, ok && service != "" && action != ""
}

// runsAWSSDK tells whether the registered package runs service:action.
func runsAWSSDK(service, action string) bool {
	s := registeredSDK()
	return slices.Contains(s.Services, service) && s.Supported != nil && s.Supported(service, action)
}

// SupportedResources describes every Task resource this server runs, as
// the message refusing another one lists them.
func SupportedResources() []string {
	out := []string{
		"arn:aws:lambda:REGION:ACCOUNT:function:NAME",
		"arn:aws:states:REGION:ACCOUNT:activity:NAME",
	}
	for svc, actions := range serviceIntegrations {
		for a, patterns := range actions {
			out = append(out, arn.Integration(svc, a))
			for _, p := range patterns {
				out = append(out, arn.Integration(svc, a+p))
			}
		}
	}
	slices.Sort(out)
	if sdk := AWSSDKServices(); len(sdk) > 0 {
		out = append(out, arn.Integration("aws-sdk", "SERVICE:ACTION")+" (SERVICE one of "+strings.Join(sdk, ", ")+")")
	}
	return out
}

// Runs tells whether this server runs the Task resource.
func Runs(resource string) bool {
	parts := strings.SplitN(resource, ":", 7)
	if len(parts) < 6 || parts[0] != "arn" {
		return false
	}
	switch {
	case parts[2] == "lambda" && len(parts) == 7 && parts[5] == "function" && parts[3] != "" && parts[4] != "":
		return parts[6] != ""
	case parts[2] != "states":
		return false
	case parts[3] != "" && len(parts) == 7 && parts[5] == "activity":
		return parts[4] != "" && parts[6] != ""
	case parts[3] != "" || parts[4] != "" || len(parts) != 7:
		return false
	case parts[5] == "aws-sdk":
		svc, action, ok := awsSDKResource(resource)
		return ok && runsAWSSDK(svc, action)
	}
	actions := serviceIntegrations[parts[5]]
	for a, patterns := range actions {
		if parts[6] == a {
			return true
		}
		if p, ok := strings.CutPrefix(parts[6], a); ok && slices.Contains(patterns, p) {
			return true
		}
	}
	return false
}
