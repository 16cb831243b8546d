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

var (
	sdkMu       sync.RWMutex
	sdkServices = map[string]bool{}
)

// RegisterAWSSDKServices adds services whose
// arn:aws:states:::aws-sdk:SERVICE:ACTION tasks this server runs (any
// action, request-response or .waitForTaskToken): the package that runs
// them registers them when it is wired in.
func RegisterAWSSDKServices(services ...string) {
	sdkMu.Lock()
	defer sdkMu.Unlock()
	for _, s := range services {
		sdkServices[s] = true
	}
}

// AWSSDKServices lists the registered aws-sdk services, sorted.
func AWSSDKServices() []string {
	sdkMu.RLock()
	defer sdkMu.RUnlock()
	out := make([]string, 0, len(sdkServices))
	for s := range sdkServices {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
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
		svc, action, ok := strings.Cut(strings.TrimSuffix(parts[6], ".waitForTaskToken"), ":")
		sdkMu.RLock()
		defer sdkMu.RUnlock()
		return ok && action != "" && sdkServices[svc]
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
