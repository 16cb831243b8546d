package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// modelled lists, per operation, the errors the Step Functions model
// declares (as the Go SDK's deserializers switch on them). Besides these,
// any operation may answer ValidationException (request validation),
// SerializationException (undecodable body) and AccessDeniedException (an
// ARN of another account), as AWS's front end does.
var modelled = map[string][]string{
	"CreateActivity":                   {"ActivityAlreadyExists", "ActivityLimitExceeded", "InvalidEncryptionConfiguration", "InvalidName", "KmsAccessDeniedException", "KmsThrottlingException", "TooManyTags"},
	"CreateStateMachine":               {"ConflictException", "InvalidArn", "InvalidDefinition", "InvalidEncryptionConfiguration", "InvalidLoggingConfiguration", "InvalidName", "InvalidTracingConfiguration", "KmsAccessDeniedException", "KmsThrottlingException", "StateMachineAlreadyExists", "StateMachineDeleting", "StateMachineLimitExceeded", "StateMachineTypeNotSupported", "TooManyTags", "ValidationException"},
	"CreateStateMachineAlias":          {"ConflictException", "InvalidArn", "InvalidName", "ResourceNotFound", "ServiceQuotaExceededException", "StateMachineDeleting", "ValidationException"},
	"DeleteActivity":                   {"InvalidArn"},
	"DeleteStateMachine":               {"InvalidArn", "ValidationException"},
	"DeleteStateMachineAlias":          {"ConflictException", "InvalidArn", "ResourceNotFound", "ValidationException"},
	"DeleteStateMachineVersion":        {"ConflictException", "InvalidArn", "ValidationException"},
	"DescribeActivity":                 {"ActivityDoesNotExist", "InvalidArn"},
	"DescribeExecution":                {"ExecutionDoesNotExist", "InvalidArn", "KmsAccessDeniedException", "KmsInvalidStateException", "KmsThrottlingException"},
	"DescribeMapRun":                   {"InvalidArn", "ResourceNotFound"},
	"DescribeStateMachine":             {"InvalidArn", "KmsAccessDeniedException", "KmsInvalidStateException", "KmsThrottlingException", "StateMachineDoesNotExist"},
	"DescribeStateMachineAlias":        {"InvalidArn", "ResourceNotFound", "ValidationException"},
	"DescribeStateMachineForExecution": {"ExecutionDoesNotExist", "InvalidArn", "KmsAccessDeniedException", "KmsInvalidStateException", "KmsThrottlingException"},
	"GetActivityTask":                  {"ActivityDoesNotExist", "ActivityWorkerLimitExceeded", "InvalidArn", "KmsAccessDeniedException", "KmsInvalidStateException", "KmsThrottlingException"},
	"GetExecutionHistory":              {"ExecutionDoesNotExist", "InvalidArn", "InvalidToken", "KmsAccessDeniedException", "KmsInvalidStateException", "KmsThrottlingException"},
	"ListActivities":                   {"InvalidToken"},
	"ListExecutions":                   {"InvalidArn", "InvalidToken", "ResourceNotFound", "StateMachineDoesNotExist", "StateMachineTypeNotSupported", "ValidationException"},
	"ListMapRuns":                      {"ExecutionDoesNotExist", "InvalidArn", "InvalidToken"},
	"ListStateMachineAliases":          {"InvalidArn", "InvalidToken", "ResourceNotFound", "StateMachineDeleting", "StateMachineDoesNotExist"},
	"ListStateMachines":                {"InvalidToken"},
	"ListStateMachineVersions":         {"InvalidArn", "InvalidToken", "ValidationException"},
	"ListTagsForResource":              {"InvalidArn", "ResourceNotFound"},
	"PublishStateMachineVersion":       {"ConflictException", "InvalidArn", "ServiceQuotaExceededException", "StateMachineDeleting", "StateMachineDoesNotExist", "ValidationException"},
	"RedriveExecution":                 {"ExecutionDoesNotExist", "ExecutionLimitExceeded", "ExecutionNotRedrivable", "InvalidArn", "ValidationException"},
	"SendTaskFailure":                  {"InvalidToken", "KmsAccessDeniedException", "KmsInvalidStateException", "KmsThrottlingException", "TaskDoesNotExist", "TaskTimedOut"},
	"SendTaskHeartbeat":                {"InvalidToken", "TaskDoesNotExist", "TaskTimedOut"},
	"SendTaskSuccess":                  {"InvalidOutput", "InvalidToken", "KmsAccessDeniedException", "KmsInvalidStateException", "KmsThrottlingException", "TaskDoesNotExist", "TaskTimedOut"},
	"StartExecution":                   {"ExecutionAlreadyExists", "ExecutionLimitExceeded", "InvalidArn", "InvalidExecutionInput", "InvalidName", "KmsAccessDeniedException", "KmsInvalidStateException", "KmsThrottlingException", "StateMachineDeleting", "StateMachineDoesNotExist", "ValidationException"},
	"StartSyncExecution":               {"InvalidArn", "InvalidExecutionInput", "InvalidName", "KmsAccessDeniedException", "KmsInvalidStateException", "KmsThrottlingException", "StateMachineDeleting", "StateMachineDoesNotExist", "StateMachineTypeNotSupported"},
	"StopExecution":                    {"ExecutionDoesNotExist", "InvalidArn", "KmsAccessDeniedException", "KmsInvalidStateException", "KmsThrottlingException", "ValidationException"},
	"TagResource":                      {"InvalidArn", "ResourceNotFound", "TooManyTags"},
	"TestState":                        {"InvalidArn", "InvalidDefinition", "InvalidExecutionInput", "ValidationException"},
	"UntagResource":                    {"InvalidArn", "ResourceNotFound"},
	"UpdateMapRun":                     {"InvalidArn", "ResourceNotFound", "ValidationException"},
	"UpdateStateMachine":               {"ConflictException", "InvalidArn", "InvalidDefinition", "InvalidEncryptionConfiguration", "InvalidLoggingConfiguration", "InvalidTracingConfiguration", "KmsAccessDeniedException", "KmsThrottlingException", "MissingRequiredParameter", "ServiceQuotaExceededException", "StateMachineDeleting", "StateMachineDoesNotExist", "ValidationException"},
	"UpdateStateMachineAlias":          {"ConflictException", "InvalidArn", "ResourceNotFound", "StateMachineDeleting", "ValidationException"},
	"ValidateStateMachineDefinition":   {"ValidationException"},
}

func allowed(op, name string) bool {
	// IAM's refusal of another account's ARN is every operation's too.
	if name == "ValidationException" || name == "SerializationException" || name == "AccessDeniedException" {
		return true
	}
	for _, n := range modelled[op] {
		if n == name {
			return true
		}
	}
	return false
}

func namespaceOf(name string) string {
	switch name {
	case "ValidationException":
		return nsValidate
	case "SerializationException", "UnknownOperationException", "InternalFailure":
		return nsCoral
	}
	return nsService
}

// fixtures are resources the malformed-request tests refer to.
type fixtures struct {
	sm, express, activity, exec, otherSM string
}

const (
	missingSM       = "arn:aws:states:us-east-1:123456789012:stateMachine:missing"
	missingExec     = "arn:aws:states:us-east-1:123456789012:execution:missing:missing"
	missingActivity = "arn:aws:states:us-east-1:123456789012:activity:missing"
	expressExec     = "arn:aws:states:us-east-1:123456789012:express:m:n:0c1f7d2a-0000-4000-8000-000000000000"
	labelledSM      = "arn:aws:states:us-east-1:123456789012:stateMachine:m/label"
)

func setupFixtures(e *testEnv) fixtures {
	f := fixtures{
		sm:      e.createMachine("fixture", passDef, ""),
		express: e.createMachine("fixture-express", passDef, "EXPRESS"),
		otherSM: e.createMachine("fixture-wait", waitDef, ""),
	}
	f.activity = e.call("CreateActivity", obj{"name": "fixture-activity"}).str("activityArn")
	f.exec = e.call("StartExecution", obj{"stateMachineArn": f.sm, "name": "done"}).str("executionArn")
	e.waitStatus(f.exec, "SUCCEEDED")
	return f
}

func TestResponseShape(t *testing.T) {
	e := newEnv(t)
	r := e.post("ListStateMachines", "{}")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		t.Errorf("Content-Type = %q", ct)
	}
	if id := r.header.Get("x-amzn-RequestId"); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("x-amzn-RequestId = %q", id)
	}
	if r.raw != `{"stateMachines":[]}`+"\n" {
		t.Errorf("body = %q", r.raw)
	}

	// Errors carry the header too, and X-Amzn-ErrorType.
	r = e.post("DescribeExecution", `{"executionArn":"`+missingExec+`"}`)
	if r.status != 400 || r.errType() != nsService+"#ExecutionDoesNotExist" || r.message() != "Execution Does Not Exist: '"+missingExec+"'" {
		t.Errorf("DescribeExecution(missing) = %d %s", r.status, r.raw)
	}
	if r.header.Get("X-Amzn-ErrorType") != "ExecutionDoesNotExist" || r.header.Get("x-amzn-RequestId") == "" {
		t.Errorf("error headers = %v", r.header)
	}

	// Timestamps are epoch seconds with milliseconds; payloads are JSON
	// text in strings.
	smArn := e.createMachine("shape", passDef, "")
	if want := "arn:aws:states:us-east-1:123456789012:stateMachine:shape"; smArn != want {
		t.Errorf("ARN = %s, want %s", smArn, want)
	}
	r = e.call("DescribeStateMachine", obj{"stateMachineArn": smArn})
	if !regexp.MustCompile(`"creationDate":\d{10}\.\d{3}[,}]`).MatchString(r.raw) {
		t.Errorf("creationDate is not epoch seconds: %s", r.raw)
	}
	if r.str("definition") != passDef {
		t.Errorf("definition = %q", r.str("definition"))
	}
}

func TestHostAndRegion(t *testing.T) {
	e := newEnv(t)
	// The SDKs send StartSyncExecution to a sync- host and sign that
	// host: any Host is served, and the region comes from the signed
	// credential scope.
	body := `{"name":"regional","definition":` + quote(passDef) + `,"roleArn":"` + role + `"}`
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader(body))
	req.Host = "sync-localhost.localdomain"
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.CreateStateMachine")
	signAs(e.t, req, body, "local", "local", "eu-west-3")
	r := e.do(req)
	if r.status != 200 || r.str("stateMachineArn") != "arn:aws:states:eu-west-3:123456789012:stateMachine:regional" {
		t.Fatalf("CreateStateMachine = %d %s", r.status, r.raw)
	}
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.CreateStateMachine")
	signAs(e.t, req, body, "local", "local", "cn-north-1")
	if r := e.do(req); r.status != 200 || r.str("stateMachineArn") != "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:regional" {
		t.Fatalf("CreateStateMachine in cn-north-1 = %d %s", r.status, r.raw)
	}
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.CreateStateMachine")
	signAs(e.t, req, body, "local", "local", "us-gov-west-1")
	if r := e.do(req); r.status != 200 || r.str("stateMachineArn") != "arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:regional" {
		t.Fatalf("CreateStateMachine in us-gov-west-1 = %d %s", r.status, r.raw)
	}
	// Each region has its own machines.
	if r := e.call("ListStateMachines", obj{}); len(r.body["stateMachines"].([]any)) != 0 {
		t.Errorf("us-east-1 lists another region's machines: %s", r.raw)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestMalformedRequests sends, for every operation, requests that break
// the model or refer to nothing, and checks the exact error AWS's model
// gives the operation.
func TestMalformedRequests(t *testing.T) {
	e := newEnv(t)
	f := setupFixtures(e)
	long := func(n int) string { return strings.Repeat("a", n) }
	tags51 := make([]any, 51)
	for i := range tags51 {
		tags51[i] = obj{"key": fmt.Sprintf("k%d", i), "value": "v"}
	}
	activityDef := compact(`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + f.activity + `","End":true}}}`)
	// A token from ListStateMachines must not be accepted by another
	// listing.
	smToken := e.call("ListStateMachines", obj{"maxResults": 1}).str("nextToken")
	histToken := e.call("GetExecutionHistory", obj{"executionArn": f.exec, "maxResults": 1}).str("nextToken")
	if smToken == "" || histToken == "" {
		t.Fatal("fixtures did not produce page tokens")
	}

	type tc struct {
		op   string
		body any // a string is sent as the raw body
		want string
		msg  string // when set, the exact message
	}
	pass1 := `{"Type":"Pass","End":true}`
	task1 := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`
	sm := func(kv ...any) obj {
		o := obj{"name": "new", "definition": passDef, "roleArn": role}
		for i := 0; i < len(kv); i += 2 {
			o[kv[i].(string)] = kv[i+1]
		}
		return o
	}
	cases := []tc{
		// CreateStateMachine
		{"CreateStateMachine", obj{}, "ValidationException", "3 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null; Value null at 'definition' failed to satisfy constraint: Member must not be null; Value null at 'roleArn' failed to satisfy constraint: Member must not be null"},
		{"CreateStateMachine", sm("name", 1), "SerializationException", ""},
		{"CreateStateMachine", sm("name", long(81)), "ValidationException", "1 validation error detected: Value '" + long(81) + "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80"},
		{"CreateStateMachine", sm("name", "a b"), "InvalidName", "Invalid Name: 'a b'"},
		{"CreateStateMachine", sm("name", "a/b"), "InvalidName", ""},
		{"CreateStateMachine", sm("name", "a\u0085b"), "InvalidName", ""},
		{"CreateStateMachine", sm("name", ""), "ValidationException", ""},
		{"CreateStateMachine", sm("definition", ""), "ValidationException", ""},
		{"CreateStateMachine", sm("definition", "{"), "InvalidDefinition", ""},
		{"CreateStateMachine", sm("definition", "{}"), "InvalidDefinition", ""},
		{"CreateStateMachine", sm("definition", obj{"StartAt": "P"}), "SerializationException", ""},
		{"CreateStateMachine", sm("definition", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`), "InvalidDefinition", ""},
		{"CreateStateMachine", sm("definition", activityDef, "type", "EXPRESS"), "InvalidDefinition", ""},
		{"CreateStateMachine", sm("definition", refusedDef), "InvalidDefinition", refusedMsg},
		{"CreateStateMachine", sm("roleArn", "role"), "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: role'"},
		{"CreateStateMachine", sm("roleArn", long(257)), "ValidationException", ""},
		{"CreateStateMachine", sm("type", "FAST"), "ValidationException", "1 validation error detected: Value 'FAST' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"},
		{"CreateStateMachine", sm("type", true), "SerializationException", ""},
		{"CreateStateMachine", sm("tags", tags51), "TooManyTags", ""},
		{"CreateStateMachine", sm("tags", []any{obj{"key": ""}}), "ValidationException", ""},
		{"CreateStateMachine", sm("tags", []any{obj{"key": "k", "value": long(257)}}), "ValidationException", ""},
		{"CreateStateMachine", sm("tags", []any{"k"}), "SerializationException", ""},
		{"CreateStateMachine", sm("tags", "k"), "SerializationException", ""},
		{"CreateStateMachine", sm("loggingConfiguration", obj{"level": "ALL"}), "InvalidLoggingConfiguration", ""},
		{"CreateStateMachine", sm("loggingConfiguration", obj{"level": "LOUD"}), "ValidationException", ""},
		{"CreateStateMachine", sm("loggingConfiguration", "ALL"), "SerializationException", ""},
		{"CreateStateMachine", sm("loggingConfiguration", obj{"destinations": []any{obj{"cloudWatchLogsLogGroup": obj{"logGroupArn": 3}}}}), "SerializationException", ""},
		{"CreateStateMachine", sm("tracingConfiguration", obj{"enabled": "yes"}), "SerializationException", ""},
		{"CreateStateMachine", sm("publish", "true"), "SerializationException", ""},
		{"CreateStateMachine", sm("publish", true, "versionDescription", long(257)), "ValidationException", "1 validation error detected: Value at 'versionDescription' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"CreateStateMachine", sm("publish", false, "versionDescription", "v1"), "ValidationException", "Version description can only be set when publish is true"},
		{"CreateStateMachine", sm("versionDescription", "v1"), "ValidationException", "Version description can only be set when publish is true"},
		{"CreateStateMachine", sm("encryptionConfiguration", obj{}), "ValidationException", ""},
		{"CreateStateMachine", sm("encryptionConfiguration", obj{"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k"}), "InvalidEncryptionConfiguration", ""},
		{"CreateStateMachine", sm("encryptionConfiguration", obj{"type": "AWS_OWNED_KEY", "kmsDataKeyReusePeriodSeconds": 30}), "ValidationException", ""},
		{"CreateStateMachine", sm("name", "fixture", "definition", waitDef), "StateMachineAlreadyExists", "State Machine Already Exists: '" + f.sm + "'"},
		{"CreateStateMachine", sm("name", "fixture", "type", "EXPRESS"), "StateMachineAlreadyExists", ""},

		// DescribeStateMachine
		{"DescribeStateMachine", obj{}, "ValidationException", "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null"},
		{"DescribeStateMachine", obj{"stateMachineArn": 5}, "SerializationException", ""},
		{"DescribeStateMachine", obj{"stateMachineArn": "not-an-arn"}, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: not-an-arn'"},
		{"DescribeStateMachine", obj{"stateMachineArn": f.activity}, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: activity'"},
		{"DescribeStateMachine", obj{"stateMachineArn": missingSM + ":a:b"}, "InvalidArn", ""},
		{"DescribeStateMachine", obj{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:a b"}, "InvalidArn", ""},
		{"DescribeStateMachine", obj{"stateMachineArn": missingSM + long(250)}, "ValidationException", ""},
		{"DescribeStateMachine", obj{"stateMachineArn": missingSM}, "StateMachineDoesNotExist", "State Machine Does Not Exist: '" + missingSM + "'"},
		{"DescribeStateMachine", obj{"stateMachineArn": f.sm + ":1"}, "StateMachineDoesNotExist", ""},
		{"DescribeStateMachine", obj{"stateMachineArn": f.sm, "includedData": "SOME"}, "ValidationException", ""},

		// UpdateStateMachine
		{"UpdateStateMachine", obj{}, "ValidationException", ""},
		{"UpdateStateMachine", obj{"stateMachineArn": "x", "definition": passDef}, "InvalidArn", ""},
		{"UpdateStateMachine", obj{"stateMachineArn": f.sm}, "MissingRequiredParameter", "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified"},
		{"UpdateStateMachine", obj{"stateMachineArn": missingSM, "definition": passDef}, "StateMachineDoesNotExist", ""},
		{"UpdateStateMachine", obj{"stateMachineArn": f.sm, "definition": "{}"}, "InvalidDefinition", ""},
		{"UpdateStateMachine", obj{"stateMachineArn": f.sm, "definition": 1}, "SerializationException", ""},
		{"UpdateStateMachine", obj{"stateMachineArn": f.sm, "roleArn": "nope"}, "InvalidArn", ""},
		{"UpdateStateMachine", obj{"stateMachineArn": labelledSM, "roleArn": role}, "ValidationException", ""},
		{"UpdateStateMachine", obj{"stateMachineArn": f.express, "definition": activityDef}, "InvalidDefinition", ""},
		{"UpdateStateMachine", obj{"stateMachineArn": f.sm, "definition": refusedDef}, "InvalidDefinition", refusedMsg},
		{"UpdateStateMachine", obj{"stateMachineArn": f.sm, "loggingConfiguration": obj{"level": "ERROR"}}, "InvalidLoggingConfiguration", ""},
		{"UpdateStateMachine", obj{"stateMachineArn": f.sm, "roleArn": role, "versionDescription": "v"}, "ValidationException", "Version description can only be set when publish is true"},
		{"UpdateStateMachine", obj{"stateMachineArn": f.sm, "roleArn": role, "publish": true, "versionDescription": long(257)}, "ValidationException", ""},
		{"UpdateStateMachine", obj{"stateMachineArn": f.sm + ":1", "roleArn": role, "publish": true}, "StateMachineDoesNotExist", ""},

		// PublishStateMachineVersion
		{"PublishStateMachineVersion", obj{}, "ValidationException", "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null"},
		{"PublishStateMachineVersion", obj{"stateMachineArn": 1}, "SerializationException", ""},
		{"PublishStateMachineVersion", obj{"stateMachineArn": "x"}, "InvalidArn", ""},
		{"PublishStateMachineVersion", obj{"stateMachineArn": f.activity}, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: activity'"},
		{"PublishStateMachineVersion", obj{"stateMachineArn": missingSM}, "StateMachineDoesNotExist", "State Machine Does Not Exist: '" + missingSM + "'"},
		{"PublishStateMachineVersion", obj{"stateMachineArn": f.sm + ":1"}, "StateMachineDoesNotExist", ""},
		{"PublishStateMachineVersion", obj{"stateMachineArn": labelledSM}, "ValidationException", ""},
		{"PublishStateMachineVersion", obj{"stateMachineArn": f.sm, "description": long(257)}, "ValidationException", ""},
		{"PublishStateMachineVersion", obj{"stateMachineArn": f.sm, "revisionId": 5}, "SerializationException", ""},
		{"PublishStateMachineVersion", obj{"stateMachineArn": f.sm, "revisionId": "stale"}, "ConflictException", ""},

		// ListStateMachineVersions
		{"ListStateMachineVersions", obj{}, "ValidationException", ""},
		{"ListStateMachineVersions", obj{"stateMachineArn": "x"}, "InvalidArn", ""},
		{"ListStateMachineVersions", obj{"stateMachineArn": f.exec}, "InvalidArn", ""},
		{"ListStateMachineVersions", obj{"stateMachineArn": f.sm + ":1"}, "InvalidArn", ""},
		{"ListStateMachineVersions", obj{"stateMachineArn": labelledSM}, "ValidationException", ""},
		{"ListStateMachineVersions", obj{"stateMachineArn": f.sm, "maxResults": 1001}, "ValidationException", ""},
		{"ListStateMachineVersions", obj{"stateMachineArn": f.sm, "nextToken": ""}, "ValidationException", ""},
		{"ListStateMachineVersions", obj{"stateMachineArn": f.sm, "nextToken": "garbage"}, "InvalidToken", ""},
		{"ListStateMachineVersions", obj{"stateMachineArn": f.sm, "nextToken": smToken}, "InvalidToken", ""},

		// DeleteStateMachineVersion
		{"DeleteStateMachineVersion", obj{}, "ValidationException", "1 validation error detected: Value null at 'stateMachineVersionArn' failed to satisfy constraint: Member must not be null"},
		{"DeleteStateMachineVersion", obj{"stateMachineVersionArn": "x"}, "InvalidArn", ""},
		{"DeleteStateMachineVersion", obj{"stateMachineVersionArn": f.exec}, "InvalidArn", ""},
		{"DeleteStateMachineVersion", obj{"stateMachineVersionArn": f.sm}, "ValidationException", ""},
		{"DeleteStateMachineVersion", obj{"stateMachineVersionArn": f.sm + ":prod"}, "ValidationException", ""},
		{"DeleteStateMachineVersion", obj{"stateMachineVersionArn": labelledSM + ":1"}, "ValidationException", ""},
		{"DeleteStateMachineVersion", obj{"stateMachineVersionArn": long(2001)}, "ValidationException", ""},
		{"DeleteStateMachineVersion", obj{"stateMachineVersionArn": []any{}}, "SerializationException", ""},

		// DeleteStateMachine
		{"DeleteStateMachine", obj{}, "ValidationException", ""},
		{"DeleteStateMachine", obj{"stateMachineArn": "x"}, "InvalidArn", ""},
		{"DeleteStateMachine", obj{"stateMachineArn": f.exec}, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: execution'"},
		{"DeleteStateMachine", obj{"stateMachineArn": labelledSM}, "ValidationException", ""},
		{"DeleteStateMachine", obj{"stateMachineArn": []any{}}, "SerializationException", ""},

		// ListStateMachines
		{"ListStateMachines", obj{"maxResults": 1001}, "ValidationException", "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{"ListStateMachines", obj{"maxResults": -1}, "ValidationException", ""},
		{"ListStateMachines", obj{"maxResults": "10"}, "SerializationException", ""},
		{"ListStateMachines", obj{"maxResults": 1.5}, "SerializationException", ""},
		{"ListStateMachines", obj{"maxResults": 1e300}, "SerializationException", ""},
		{"ListStateMachines", obj{"nextToken": ""}, "ValidationException", ""},
		{"ListStateMachines", obj{"nextToken": long(1025)}, "ValidationException", ""},
		{"ListStateMachines", obj{"nextToken": "garbage!"}, "InvalidToken", ""},
		{"ListStateMachines", obj{"nextToken": histToken}, "InvalidToken", ""},

		// DescribeStateMachineForExecution
		{"DescribeStateMachineForExecution", obj{}, "ValidationException", ""},
		{"DescribeStateMachineForExecution", obj{"executionArn": "x"}, "InvalidArn", ""},
		{"DescribeStateMachineForExecution", obj{"executionArn": expressExec}, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'"},
		{"DescribeStateMachineForExecution", obj{"executionArn": missingExec}, "ExecutionDoesNotExist", ""},

		// ValidateStateMachineDefinition
		{"ValidateStateMachineDefinition", obj{}, "ValidationException", ""},
		{"ValidateStateMachineDefinition", obj{"definition": 5}, "SerializationException", ""},
		{"ValidateStateMachineDefinition", obj{"definition": passDef, "maxResults": 101}, "ValidationException", ""},
		{"ValidateStateMachineDefinition", obj{"definition": passDef, "type": "X"}, "ValidationException", ""},
		{"ValidateStateMachineDefinition", obj{"definition": passDef, "severity": "INFO"}, "ValidationException", ""},
		{"TestState", obj{}, "ValidationException", "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null"},
		{"TestState", obj{"definition": 1}, "SerializationException", ""},
		{"TestState", obj{"definition": ""}, "ValidationException", ""},
		{"TestState", obj{"definition": pass1, "inspectionLevel": "ALL"}, "ValidationException",
			"1 validation error detected: Value 'ALL' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]"},
		{"TestState", obj{"definition": pass1, "revealSecrets": "yes"}, "SerializationException", ""},
		{"TestState", obj{"definition": pass1, "stateName": long(81)}, "ValidationException", ""},
		{"TestState", obj{"definition": pass1, "input": long(262145)}, "ValidationException", ""},
		{"TestState", obj{"definition": pass1, "roleArn": long(257)}, "ValidationException", ""},
		{"TestState", obj{"definition": pass1, "mock": obj{"result": "{}", "fieldValidationMode": "LOOSE"}}, "ValidationException", ""},
		{"TestState", obj{"definition": pass1, "mock": obj{"errorOutput": obj{"error": long(257)}}}, "ValidationException", ""},
		{"TestState", obj{"definition": pass1, "stateConfiguration": obj{"retrierRetryCount": -1}}, "ValidationException",
			"1 validation error detected: Value '-1' at 'stateConfiguration.retrierRetryCount' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"TestState", obj{"definition": task1, "mock": obj{}}, "ValidationException", "A test mock should have only one of the following fields: [result, errorOutput]."},
		{"TestState", obj{"definition": task1, "mock": obj{"errorOutput": obj{"cause": "c"}}}, "ValidationException", ""},
		{"TestState", obj{"definition": pass1, "stateConfiguration": obj{"mapIterationFailureCount": 1}}, "ValidationException",
			"TestState does not support MapIterationFailureCount when a mock is not specified."},
		{"TestState", obj{"definition": pass1, "stateConfiguration": obj{"mapIterationFailureCount": -1}}, "ValidationException", ""},
		{"TestState", obj{"definition": pass1, "stateConfiguration": obj{"errorCausedByState": long(81)}}, "ValidationException", ""},
		{"TestState", obj{"definition": pass1, "stateConfiguration": obj{"mapItemReaderData": long(262145)}}, "ValidationException", ""},
		{"TestState", obj{"definition": task1, "mock": obj{"result": "{}"}, "context": "{"}, "ValidationException", "Invalid Context object provided: the context must be a JSON object, got text that is not JSON (unexpected end of JSON input)"},
		{"TestState", obj{"definition": "{}"}, "InvalidDefinition", ""},
		{"TestState", obj{"definition": pass1, "stateName": "P"}, "InvalidDefinition", ""},
		{"ValidateStateMachineDefinition", obj{"definition": long(1048577)}, "ValidationException", "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to 1048576"},

		// StartExecution
		{"StartExecution", obj{}, "ValidationException", ""},
		{"StartExecution", obj{"stateMachineArn": "x"}, "InvalidArn", ""},
		{"StartExecution", obj{"stateMachineArn": f.exec}, "InvalidArn", ""},
		{"StartExecution", obj{"stateMachineArn": f.sm, "name": "a b"}, "InvalidName", ""},
		{"StartExecution", obj{"stateMachineArn": f.sm, "name": long(81)}, "ValidationException", ""},
		{"StartExecution", obj{"stateMachineArn": f.sm, "name": 7}, "SerializationException", ""},
		{"StartExecution", obj{"stateMachineArn": f.sm, "input": "{"}, "InvalidExecutionInput", ""},
		{"StartExecution", obj{"stateMachineArn": f.sm, "input": ""}, "InvalidExecutionInput", ""},
		{"StartExecution", obj{"stateMachineArn": f.sm, "input": obj{"a": 1}}, "SerializationException", ""},
		{"StartExecution", obj{"stateMachineArn": f.sm, "input": `"` + long(262143) + `"`}, "ValidationException", "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144"},
		{"StartExecution", obj{"stateMachineArn": f.sm, "traceHeader": "é"}, "ValidationException", ""},
		{"StartExecution", obj{"stateMachineArn": f.sm, "traceHeader": long(257)}, "ValidationException", ""},
		{"StartExecution", obj{"stateMachineArn": missingSM}, "StateMachineDoesNotExist", ""},
		{"StartExecution", obj{"stateMachineArn": labelledSM}, "ValidationException", ""},
		{"StartExecution", obj{"stateMachineArn": f.sm + ":1"}, "StateMachineDoesNotExist", ""},
		{"StartExecution", obj{"stateMachineArn": f.sm, "name": "done"}, "ExecutionAlreadyExists", "Execution Already Exists: '" + f.exec + "'"},

		// StartSyncExecution
		{"StartSyncExecution", obj{}, "ValidationException", ""},
		{"StartSyncExecution", obj{"stateMachineArn": "x"}, "InvalidArn", ""},
		{"StartSyncExecution", obj{"stateMachineArn": f.express, "name": "a:b"}, "InvalidName", ""},
		{"StartSyncExecution", obj{"stateMachineArn": f.express, "input": "[1,"}, "InvalidExecutionInput", ""},
		{"StartSyncExecution", obj{"stateMachineArn": f.express, "includedData": "NONE"}, "ValidationException", ""},
		{"StartSyncExecution", obj{"stateMachineArn": missingSM}, "StateMachineDoesNotExist", ""},
		{"StartSyncExecution", obj{"stateMachineArn": f.sm}, "StateMachineTypeNotSupported", "This operation is not supported by this type of state machine"},

		// DescribeExecution
		{"DescribeExecution", obj{}, "ValidationException", ""},
		{"DescribeExecution", obj{"executionArn": true}, "SerializationException", ""},
		{"DescribeExecution", obj{"executionArn": "x"}, "InvalidArn", ""},
		{"DescribeExecution", obj{"executionArn": expressExec}, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'"},
		{"DescribeExecution", obj{"executionArn": f.sm}, "InvalidArn", ""},
		{"DescribeExecution", obj{"executionArn": "arn:aws:states:us-east-1:123456789012:execution:only-machine"}, "InvalidArn", ""},
		{"DescribeExecution", obj{"executionArn": missingExec + long(250)}, "ValidationException", ""},
		{"DescribeExecution", obj{"executionArn": missingExec}, "ExecutionDoesNotExist", "Execution Does Not Exist: '" + missingExec + "'"},

		// StopExecution
		{"StopExecution", obj{}, "ValidationException", ""},
		{"StopExecution", obj{"executionArn": "x"}, "InvalidArn", ""},
		{"StopExecution", obj{"executionArn": expressExec}, "InvalidArn", ""},
		{"StopExecution", obj{"executionArn": missingExec}, "ExecutionDoesNotExist", ""},
		{"StopExecution", obj{"executionArn": f.exec, "error": long(257)}, "ValidationException", ""},
		{"StopExecution", obj{"executionArn": f.exec, "cause": long(32769)}, "ValidationException", ""},
		{"StopExecution", obj{"executionArn": f.exec, "cause": 1}, "SerializationException", ""},
		{"RedriveExecution", obj{}, "ValidationException", ""},
		{"RedriveExecution", obj{"executionArn": "x"}, "InvalidArn", ""},
		{"RedriveExecution", obj{"executionArn": expressExec}, "InvalidArn", ""},
		{"RedriveExecution", obj{"executionArn": missingExec}, "ExecutionDoesNotExist", ""},
		{"RedriveExecution", obj{"executionArn": f.exec, "clientToken": ""}, "ValidationException", ""},
		{"RedriveExecution", obj{"executionArn": f.exec, "clientToken": long(65)}, "ValidationException", ""},
		{"RedriveExecution", obj{"executionArn": f.exec, "clientToken": 1}, "SerializationException", ""},

		// ListExecutions
		{"ListExecutions", obj{}, "ValidationException", ""},
		{"ListExecutions", obj{"stateMachineArn": "x"}, "InvalidArn", ""},
		{"ListExecutions", obj{"stateMachineArn": missingSM}, "StateMachineDoesNotExist", ""},
		{"ListExecutions", obj{"stateMachineArn": f.sm + ":1"}, "StateMachineDoesNotExist", ""},
		{"ListExecutions", obj{"stateMachineArn": f.express}, "StateMachineTypeNotSupported", ""},
		{"ListExecutions", obj{"stateMachineArn": f.sm, "statusFilter": "DONE"}, "ValidationException", ""},
		{"ListExecutions", obj{"stateMachineArn": f.sm, "statusFilter": "PENDING_REDRIVE"}, "ValidationException", ""},
		{"ListExecutions", obj{"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/l:1"}, "ResourceNotFound", ""},
		{"ListExecutions", obj{"mapRunArn": "x"}, "InvalidArn", ""},
		// Map Runs
		{"DescribeMapRun", obj{}, "ValidationException", ""},
		{"DescribeMapRun", obj{"mapRunArn": "x"}, "InvalidArn", ""},
		{"DescribeMapRun", obj{"mapRunArn": f.exec}, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: execution'"},
		{"DescribeMapRun", obj{"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/l:1"}, "ResourceNotFound", "Resource not found: 'arn:aws:states:us-east-1:123456789012:mapRun:m/l:1'"},
		{"ListMapRuns", obj{}, "ValidationException", ""},
		{"ListMapRuns", obj{"executionArn": "x"}, "InvalidArn", ""},
		{"ListMapRuns", obj{"executionArn": f.exec + "x"}, "ExecutionDoesNotExist", ""},
		{"ListMapRuns", obj{"executionArn": f.exec, "nextToken": "garbage"}, "InvalidToken", ""},
		{"UpdateMapRun", obj{}, "ValidationException", ""},
		{"UpdateMapRun", obj{"mapRunArn": "x"}, "InvalidArn", ""},
		{"UpdateMapRun", obj{"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/l:1", "maxConcurrency": -1}, "ValidationException", ""},
		{"UpdateMapRun", obj{"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/l:1", "toleratedFailurePercentage": 100.5}, "ValidationException",
			"1 validation error detected: Value '100.5' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"UpdateMapRun", obj{"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/l:1", "toleratedFailureCount": -1}, "ValidationException", ""},
		{"UpdateMapRun", obj{"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/l:1", "toleratedFailureCount": "1"}, "SerializationException", ""},
		{"UpdateMapRun", obj{"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/l:1", "maxConcurrency": 2}, "ResourceNotFound", ""},
		{"ListExecutions", obj{"stateMachineArn": f.sm, "mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/l:1"}, "ValidationException", ""},
		{"ListExecutions", obj{"stateMachineArn": f.sm, "maxResults": 1001}, "ValidationException", ""},
		{"ListExecutions", obj{"stateMachineArn": f.sm, "nextToken": "garbage"}, "InvalidToken", ""},
		{"ListExecutions", obj{"stateMachineArn": f.sm, "nextToken": smToken}, "InvalidToken", ""},
		{"ListExecutions", obj{"stateMachineArn": f.sm, "nextToken": long(3097)}, "ValidationException", ""},
		{"ListExecutions", obj{"stateMachineArn": f.sm, "redriveFilter": "SOME"}, "ValidationException", ""},

		// GetExecutionHistory
		{"GetExecutionHistory", obj{}, "ValidationException", ""},
		{"GetExecutionHistory", obj{"executionArn": "x"}, "InvalidArn", ""},
		{"GetExecutionHistory", obj{"executionArn": expressExec}, "InvalidArn", ""},
		{"GetExecutionHistory", obj{"executionArn": missingExec}, "ExecutionDoesNotExist", ""},
		{"GetExecutionHistory", obj{"executionArn": f.exec, "maxResults": 1001}, "ValidationException", ""},
		{"GetExecutionHistory", obj{"executionArn": f.exec, "reverseOrder": "yes"}, "SerializationException", ""},
		{"GetExecutionHistory", obj{"executionArn": f.exec, "includeExecutionData": 1}, "SerializationException", ""},
		{"GetExecutionHistory", obj{"executionArn": f.exec, "nextToken": "garbage"}, "InvalidToken", ""},
		{"GetExecutionHistory", obj{"executionArn": f.exec, "nextToken": histToken, "reverseOrder": true}, "InvalidToken", ""},
		{"GetExecutionHistory", obj{"executionArn": f.exec, "nextToken": smToken}, "InvalidToken", ""},

		// CreateActivity
		{"CreateActivity", obj{}, "ValidationException", ""},
		{"CreateActivity", obj{"name": "a b"}, "InvalidName", ""},
		{"CreateActivity", obj{"name": "a~b"}, "InvalidName", ""},
		{"CreateActivity", obj{"name": long(81)}, "ValidationException", ""},
		{"CreateActivity", obj{"name": 1}, "SerializationException", ""},
		{"CreateActivity", obj{"name": "x", "tags": tags51}, "TooManyTags", ""},
		{"CreateActivity", obj{"name": "x", "encryptionConfiguration": obj{"type": "CUSTOMER_MANAGED_KMS_KEY"}}, "InvalidEncryptionConfiguration", ""},

		// DescribeActivity / DeleteActivity / ListActivities
		{"DescribeActivity", obj{}, "ValidationException", ""},
		{"DescribeActivity", obj{"activityArn": "x"}, "InvalidArn", ""},
		{"DescribeActivity", obj{"activityArn": f.sm}, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: stateMachine'"},
		{"DescribeActivity", obj{"activityArn": missingActivity}, "ActivityDoesNotExist", "Activity Does Not Exist: '" + missingActivity + "'"},
		{"DeleteActivity", obj{}, "ValidationException", ""},
		{"DeleteActivity", obj{"activityArn": "x"}, "InvalidArn", ""},
		{"DeleteActivity", obj{"activityArn": 1}, "SerializationException", ""},
		{"ListActivities", obj{"maxResults": -1}, "ValidationException", ""},
		{"ListActivities", obj{"nextToken": "garbage"}, "InvalidToken", ""},
		{"ListActivities", obj{"nextToken": smToken}, "InvalidToken", ""},

		// GetActivityTask
		{"GetActivityTask", obj{}, "ValidationException", ""},
		{"GetActivityTask", obj{"activityArn": "x"}, "InvalidArn", ""},
		{"GetActivityTask", obj{"activityArn": missingActivity}, "ActivityDoesNotExist", ""},
		{"GetActivityTask", obj{"activityArn": f.activity, "workerName": long(257)}, "ValidationException", ""},
		{"GetActivityTask", obj{"activityArn": f.activity, "workerName": false}, "SerializationException", ""},

		// SendTask*
		{"SendTaskSuccess", obj{}, "ValidationException", ""},
		{"SendTaskSuccess", obj{"taskToken": "", "output": "{}"}, "ValidationException", ""},
		{"SendTaskSuccess", obj{"taskToken": long(2049), "output": "{}"}, "ValidationException", ""},
		{"SendTaskSuccess", obj{"taskToken": "t"}, "ValidationException", ""},
		{"SendTaskSuccess", obj{"taskToken": "t", "output": "{"}, "InvalidOutput", ""},
		{"SendTaskSuccess", obj{"taskToken": "t", "output": obj{}}, "SerializationException", ""},
		{"SendTaskSuccess", obj{"taskToken": "garbage", "output": "{}"}, "InvalidToken", ""},
		{"SendTaskSuccess", obj{"taskToken": "Zm9v.YmFy", "output": "{}"}, "InvalidToken", ""},
		{"SendTaskFailure", obj{}, "ValidationException", ""},
		{"SendTaskFailure", obj{"taskToken": "garbage"}, "InvalidToken", ""},
		{"SendTaskFailure", obj{"taskToken": "t", "error": long(257)}, "ValidationException", ""},
		{"SendTaskFailure", obj{"taskToken": "t", "cause": long(32769)}, "ValidationException", ""},
		{"SendTaskHeartbeat", obj{}, "ValidationException", ""},
		{"SendTaskHeartbeat", obj{"taskToken": 12}, "SerializationException", ""},
		{"SendTaskHeartbeat", obj{"taskToken": "garbage"}, "InvalidToken", ""},

		// Tags
		{"TagResource", obj{}, "ValidationException", ""},
		{"TagResource", obj{"resourceArn": f.sm}, "ValidationException", ""},
		{"TagResource", obj{"resourceArn": "x", "tags": []any{}}, "InvalidArn", ""},
		{"TagResource", obj{"resourceArn": f.exec, "tags": []any{}}, "InvalidArn", ""},
		{"TagResource", obj{"resourceArn": missingSM, "tags": []any{}}, "ResourceNotFound", "Resource not found: '" + missingSM + "'"},
		{"TagResource", obj{"resourceArn": missingActivity, "tags": []any{}}, "ResourceNotFound", ""},
		{"TagResource", obj{"resourceArn": f.sm, "tags": tags51}, "TooManyTags", ""},
		{"TagResource", obj{"resourceArn": f.sm, "tags": []any{obj{"key": long(129), "value": "v"}}}, "ValidationException", ""},
		{"TagResource", obj{"resourceArn": f.sm, "tags": obj{"k": "v"}}, "SerializationException", ""},
		{"UntagResource", obj{}, "ValidationException", ""},
		{"UntagResource", obj{"resourceArn": f.sm}, "ValidationException", ""},
		{"UntagResource", obj{"resourceArn": f.sm, "tagKeys": []any{1}}, "SerializationException", ""},
		{"UntagResource", obj{"resourceArn": f.sm, "tagKeys": []any{""}}, "ValidationException", ""},
		{"UntagResource", obj{"resourceArn": missingSM, "tagKeys": []any{"k"}}, "ResourceNotFound", ""},
		{"UntagResource", obj{"resourceArn": "x", "tagKeys": []any{"k"}}, "InvalidArn", ""},
		{"ListTagsForResource", obj{}, "ValidationException", ""},
		{"ListTagsForResource", obj{"resourceArn": "x"}, "InvalidArn", ""},
		{"ListTagsForResource", obj{"resourceArn": expressExec}, "InvalidArn", ""},
		{"ListTagsForResource", obj{"resourceArn": missingSM}, "ResourceNotFound", ""},
		{"ListTagsForResource", obj{"resourceArn": f.sm + ":prod"}, "ResourceNotFound", ""},
	}
	for _, op := range unsupportedOps {
		cases = append(cases, tc{op, obj{}, "ValidationException", "Statecraft does not support " + op + " yet"})
	}
	// Every operation rejects bodies that are not a JSON object.
	for op := range modelled {
		cases = append(cases,
			tc{op, `{"name":`, "SerializationException", ""},
			tc{op, `[]`, "SerializationException", ""},
			tc{op, `"x"`, "SerializationException", ""},
			tc{op, `{} {}`, "SerializationException", ""},
			tc{op, "{\"name\":\"\xff\"}", "SerializationException", ""},
		)
	}

	covered := map[string]bool{}
	for _, c := range cases {
		body, ok := c.body.(string)
		if !ok {
			b, err := json.Marshal(c.body)
			if err != nil {
				t.Fatal(err)
			}
			body = string(b)
		}
		r := e.post(c.op, body)
		name := fmt.Sprintf("%s %.120s", c.op, body)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %.300s", name, r.status, r.raw)
			continue
		}
		if r.shortType() != c.want {
			t.Errorf("%s: __type %s, want %s (%s)", name, r.errType(), c.want, r.message())
			continue
		}
		if r.errType() != namespaceOf(c.want)+"#"+c.want {
			t.Errorf("%s: __type %s has the wrong namespace", name, r.errType())
		}
		if !allowed(c.op, c.want) {
			t.Errorf("%s: %s is not modelled for the operation", name, c.want)
		}
		if c.msg != "" && r.message() != c.msg {
			t.Errorf("%s: message\n got %q\nwant %q", name, r.message(), c.msg)
		}
		if r.header.Get("X-Amzn-ErrorType") != c.want {
			t.Errorf("%s: X-Amzn-ErrorType %q", name, r.header.Get("X-Amzn-ErrorType"))
		}
		covered[c.op] = true
	}
	for op := range modelled {
		if !covered[op] {
			t.Errorf("no malformed-request case for %s", op)
		}
	}
}

func TestUnknownOperation(t *testing.T) {
	e := newEnv(t)
	for _, target := range []string{"AWSStepFunctions.DescribeNothing", "DynamoDB_20120810.ListTables", "ListStateMachines", ""} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader("{}"))
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		signAs(t, req, "{}", "local", "local", "us-east-1")
		r := e.do(req)
		if r.status != 400 || r.errType() != nsCoral+"#UnknownOperationException" {
			t.Errorf("target %q: %d %s", target, r.status, r.raw)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/", nil)
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	signAs(t, req, "", "local", "local", "us-east-1")
	if r := e.do(req); r.status != http.StatusMethodNotAllowed || r.shortType() != "UnknownOperationException" {
		t.Errorf("GET: %d %s", r.status, r.raw)
	}
	big := `{"definition":"` + strings.Repeat("a", maxBody) + `"}`
	if r := e.post("ValidateStateMachineDefinition", big); r.status != 400 || r.shortType() != "ValidationException" {
		t.Errorf("oversized body: %d %.200s", r.status, r.raw)
	}
}

// TestRandomRequestsNeverFailInternally throws structured junk at every
// operation: each member replaced by values of every JSON type, of
// boundary sizes, and by fixtures of the wrong kind. Every answer must be
// 200 or a 400 with an error the operation may give; newEnv's cleanup
// fails the test if anything was logged as an internal failure or panic.
func TestRandomRequestsNeverFailInternally(t *testing.T) {
	e := newEnv(t)
	f := setupFixtures(e)
	e.call("PublishStateMachineVersion", obj{"stateMachineArn": f.sm})
	e.call("CreateStateMachineAlias", obj{"name": "prod", "routingConfiguration": []any{obj{"stateMachineVersionArn": f.sm + ":1", "weight": 100}}})
	members := []string{
		"name", "definition", "roleArn", "type", "stateMachineArn", "executionArn", "activityArn",
		"resourceArn", "input", "output", "error", "cause", "taskToken", "maxResults", "nextToken",
		"reverseOrder", "includeExecutionData", "statusFilter", "tags", "tagKeys", "workerName",
		"traceHeader", "loggingConfiguration", "tracingConfiguration", "encryptionConfiguration",
		"publish", "versionDescription", "includedData", "severity", "mapRunArn", "redriveFilter",
		"stateMachineAliasArn", "stateMachineVersionArn", "routingConfiguration", "description", "revisionId",
	}
	values := []any{
		nil, true, false, 0, -1, 1, 1000, 1001, 1.5, -1e20, "", "x", "{}", "[]", "{", "null", "\"s\"",
		strings.Repeat("a", 81), strings.Repeat("a", 257), strings.Repeat("é", 300), "a b", "a\x00b", "ﾟ",
		[]any{}, []any{1}, []any{"k"}, []any{obj{"key": "k", "value": "v"}}, []any{obj{"key": 1}}, []any{nil},
		obj{}, obj{"level": "ALL"}, obj{"type": "AWS_OWNED_KEY"}, obj{"enabled": true}, obj{"x": obj{}},
		f.sm, f.express, f.activity, f.exec, f.otherSM, missingSM, missingExec, missingActivity, expressExec, labelledSM,
		f.sm + ":1", f.sm + ":alias", "arn:aws:states:::stateMachine:x", "arn:aws:states:us-east-1:1:stateMachine:",
		"arn:aws:states:us-east-1:1:execution:a", "arn:aws:states:us-east-1:1:execution:a:b:c",
		passDef, waitDef, "STANDARD", "EXPRESS", "RUNNING", "PENDING_REDRIVE", "METADATA_ONLY", "WARNING",
		f.sm + ":prod", "123", "prod", "a.b-c_d", []any{obj{"stateMachineVersionArn": f.sm + ":1", "weight": 100}},
		[]any{obj{"stateMachineVersionArn": f.sm + ":1", "weight": 50}, obj{"stateMachineVersionArn": f.sm + ":2", "weight": 50}},
		[]any{obj{"stateMachineVersionArn": f.sm + ":1", "weight": 101}}, []any{obj{"stateMachineVersionArn": f.sm, "weight": 100}},
		[]any{obj{"weight": 100}}, []any{obj{"stateMachineVersionArn": f.otherSM + ":1", "weight": 30}, obj{"stateMachineVersionArn": f.sm + ":1", "weight": 70}},
	}
	ops := make([]string, 0, len(modelled))
	for op := range modelled {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	rng := rand.New(rand.NewSource(1))
	for _, op := range ops {
		if op == "DeleteStateMachine" || op == "DeleteActivity" {
			continue // would remove the fixtures the rest relies on; covered above
		}
		for i := 0; i < 150; i++ {
			body := obj{}
			for j := rng.Intn(5); j >= 0; j-- {
				body[members[rng.Intn(len(members))]] = values[rng.Intn(len(values))]
			}
			b, _ := json.Marshal(body)
			r := e.post(op, string(b))
			switch {
			case r.status == http.StatusOK:
			case r.status == http.StatusBadRequest && allowed(op, r.shortType()):
			default:
				t.Errorf("%s %.200s: %d %.300s", op, b, r.status, r.raw)
			}
		}
	}
}

func TestRecoverTurnsPanicIntoInternalFailure(t *testing.T) {
	logs := &logRecorder{}
	h := recoverer(slog.New(logs), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), nsCoral+"#InternalFailure") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if errs := logs.errors(); len(errs) != 1 || !strings.Contains(errs[0], "panic=boom") {
		t.Fatalf("logged %q", errs)
	}
}
