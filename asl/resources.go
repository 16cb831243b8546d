package asl

import (
	"slices"
	"strings"

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
// actions it runs and which fields their Parameters may hold. The server
// passes it in ValidateOptions.AWSSDK; asl does not import that package,
// as asl is linked into everything that reads a definition and the SDK's
// clients are large. A nil *AWSSDK runs no aws-sdk task.
type AWSSDK struct {
	// Services lists the services, as the ARN names them, sorted.
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

// services lists the aws-sdk services s runs, sorted; none for nil.
func (s *AWSSDK) services() []string {
	if s == nil {
		return nil
	}
	return s.Services
}

// runs tells whether s runs service:action.
func (s *AWSSDK) runs(service, action string) bool {
	return s != nil && slices.Contains(s.Services, service) && s.Supported != nil && s.Supported(service, action)
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

// SupportedResources describes every Task resource this server runs, with
// sdk's aws-sdk services, as the message refusing another one lists them.
func SupportedResources(sdk *AWSSDK) []string {
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
	if svcs := sdk.services(); len(svcs) > 0 {
		out = append(out, arn.Integration("aws-sdk", "SERVICE:ACTION")+" (SERVICE one of "+strings.Join(svcs, ", ")+")")
	}
	return out
}

// Runs tells whether this server, with sdk's aws-sdk services, runs the
// Task resource.
func Runs(resource string, sdk *AWSSDK) bool {
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
		return ok && sdk.runs(svc, action)
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
