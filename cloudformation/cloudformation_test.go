package cloudformation

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/deploy"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/store/memstore"
)

const account = "123456789012"

func principal(role auth.Role) *auth.Principal {
	return &auth.Principal{AccessKeyID: "test-" + string(role), Account: account, Role: role, Region: "us-east-1", Via: "sigv4"}
}

type fixture struct {
	svc *Service
	api http.Handler
	opt Options
}

// newFixture starts a service keeping its stacks in cfn (a new store when
// nil) as node ("" for a store of one node).
func newFixture(t *testing.T, cfn store.Store, host ...*functions.Host) *fixture {
	return newNode(t, cfn, "", "", host...)
}

func newNode(t *testing.T, cfn store.Store, node, file string, host ...*functions.Host) *fixture {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := memstore.New()
	h := api.New(st, engine.New(st, engine.Options{Log: log}), api.Options{Log: log, Region: "us-east-1", Account: account})
	tg := deploy.Target{API: h, Region: "us-east-1", Account: account}
	if len(host) > 0 {
		tg.Functions, tg.DataDir = host[0], t.TempDir()
	}
	opts := Options{API: h, Deploy: deploy.Handler(tg), Functions: tg.Functions,
		Region: "us-east-1", Account: account, Store: cfn, NodeID: node, File: file, Log: log}
	if cfn == nil {
		opts.Store = memstore.New()
	}
	svc, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, api: h, opt: opts}
}

// call sends a query-protocol request as p and returns the status and body.
func (f *fixture) call(t *testing.T, p *auth.Principal, action string, params map[string]string, headers ...string) (int, string) {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {Version}}
	for k, v := range params {
		form.Set(k, v)
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	if !IsQuery(r) {
		t.Fatal("a form POST is not routed to CloudFormation")
	}
	if p != nil {
		r = r.WithContext(auth.WithPrincipal(r.Context(), p))
	}
	w := httptest.NewRecorder()
	f.svc.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func (f *fixture) ok(t *testing.T, action string, params map[string]string) string {
	t.Helper()
	code, body := f.call(t, principal(auth.RoleAdmin), action, params)
	if code != http.StatusOK {
		t.Fatalf("%s: %d %s", action, code, body)
	}
	return body
}

func xmlField(body, name string) string {
	m := regexp.MustCompile("<" + name + ">([^<]*)</" + name + ">").FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// waitFor polls the stack's status until it is no longer in progress.
func (f *fixture) waitFor(t *testing.T, stack string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		body := f.ok(t, "DescribeStacks", map[string]string{"StackName": stack})
		if s := xmlField(body, "StackStatus"); !inProgress(s) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("stack %s still in progress after 60s", stack)
	return ""
}

func (f *fixture) sfn(t *testing.T, op string, in any) map[string]any {
	t.Helper()
	p := &provisioner{opts: f.opt, principal: principal(auth.RoleAdmin)}
	out, err := p.sfn(op, in)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

const machineTemplate = `
Parameters:
  Greeting: {Type: String, Default: hello}
  Secret: {Type: String, Default: s3cr3t, NoEcho: true}
Conditions:
  WithActivity: !Not [!Equals [!Ref Greeting, none]]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: !Sub 'states.${AWS::Region}.amazonaws.com'}, Action: 'sts:AssumeRole'}]}
  Worker:
    Type: AWS::StepFunctions::Activity
    Condition: WithActivity
    Properties: {Name: !Sub '${AWS::StackName}-worker'}
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: !Sub '${AWS::StackName}-machine'
      RoleArn: !GetAtt Role.Arn
      Definition:
        StartAt: P
        States:
          P: {Type: Pass, Result: '${greeting}', End: true}
      DefinitionSubstitutions:
        greeting: !Ref Greeting
Outputs:
  MachineArn: {Value: !Ref Machine}
  MachineName: {Value: !GetAtt Machine.Name}
  RoleArn: {Value: !GetAtt Role.Arn}
`

func TestStackLifecycle(t *testing.T) {
	f := newFixture(t, nil)
	body := f.ok(t, "CreateStack", map[string]string{"StackName": "app", "TemplateBody": machineTemplate, "Capabilities.member.1": "CAPABILITY_IAM"})
	stackID := xmlField(body, "StackId")
	if !strings.HasPrefix(stackID, "arn:aws:cloudformation:us-east-1:123456789012:stack/app/") {
		t.Fatalf("StackId %q", stackID)
	}
	if s := f.waitFor(t, "app"); s != "CREATE_COMPLETE" {
		t.Fatalf("status %s", s)
	}
	smArn := "arn:aws:states:us-east-1:123456789012:stateMachine:app-machine"
	desc := f.sfn(t, "DescribeStateMachine", map[string]any{"stateMachineArn": smArn})
	if !strings.Contains(desc["definition"].(string), `"Result":"hello"`) {
		t.Errorf("definition %v", desc["definition"])
	}
	if !strings.HasPrefix(desc["roleArn"].(string), "arn:aws:iam::123456789012:role/app-Role-") {
		t.Errorf("roleArn %v", desc["roleArn"])
	}
	stacks := f.ok(t, "DescribeStacks", map[string]string{"StackName": stackID})
	for _, want := range []string{"<OutputKey>MachineArn</OutputKey><OutputValue>" + smArn + "</OutputValue>",
		"<OutputKey>MachineName</OutputKey><OutputValue>app-machine</OutputValue>",
		"<ParameterKey>Secret</ParameterKey><ParameterValue>****</ParameterValue>",
		"<Capabilities><member>CAPABILITY_IAM</member></Capabilities>"} {
		if !strings.Contains(stacks, want) {
			t.Errorf("DescribeStacks lacks %s:\n%s", want, stacks)
		}
	}
	events := f.ok(t, "DescribeStackEvents", map[string]string{"StackName": "app"})
	// Newest first: the stack's CREATE_COMPLETE, ..., its CREATE_IN_PROGRESS.
	statuses := regexp.MustCompile(`<LogicalResourceId>(\w+)</LogicalResourceId>.*?<ResourceStatus>(\w+)</ResourceStatus>`).FindAllStringSubmatch(events, -1)
	var seq []string
	for _, m := range statuses {
		seq = append(seq, m[1]+":"+m[2])
	}
	want := "app:CREATE_COMPLETE Machine:CREATE_COMPLETE Machine:CREATE_IN_PROGRESS Worker:CREATE_COMPLETE Worker:CREATE_IN_PROGRESS Role:CREATE_COMPLETE Role:CREATE_IN_PROGRESS app:CREATE_IN_PROGRESS"
	if got := strings.Join(seq, " "); got != want {
		t.Errorf("events\n got %s\nwant %s", got, want)
	}
	res := f.ok(t, "DescribeStackResource", map[string]string{"StackName": "app", "LogicalResourceId": "Worker"})
	if xmlField(res, "PhysicalResourceId") != "arn:aws:states:us-east-1:123456789012:activity:app-worker" {
		t.Errorf("DescribeStackResource: %s", res)
	}
	if list := f.ok(t, "ListStackResources", map[string]string{"StackName": "app"}); strings.Count(list, "<member>") != 3 {
		t.Errorf("ListStackResources: %s", list)
	}
	if tpl := f.ok(t, "GetTemplate", map[string]string{"StackName": "app"}); !strings.Contains(tpl, "DefinitionSubstitutions") {
		t.Errorf("GetTemplate: %s", tpl)
	}

	// An update with a new parameter value: the machine is updated in
	// place, the activity (its condition now false) deleted.
	f.ok(t, "UpdateStack", map[string]string{"StackName": "app", "UsePreviousTemplate": "true", "Capabilities.member.1": "CAPABILITY_IAM",
		"Parameters.member.1.ParameterKey": "Greeting", "Parameters.member.1.ParameterValue": "none",
		"Parameters.member.2.ParameterKey": "Secret", "Parameters.member.2.UsePreviousValue": "true"})
	if s := f.waitFor(t, "app"); s != "UPDATE_COMPLETE" {
		t.Fatalf("update: %s", s)
	}
	desc = f.sfn(t, "DescribeStateMachine", map[string]any{"stateMachineArn": smArn})
	if !strings.Contains(desc["definition"].(string), `"Result":"none"`) {
		t.Errorf("updated definition %v", desc["definition"])
	}
	if acts := f.sfn(t, "ListActivities", map[string]any{}); len(acts["activities"].([]any)) != 0 {
		t.Errorf("activity left after its condition became false: %v", acts)
	}
	code, body := f.call(t, principal(auth.RoleAdmin), "UpdateStack", map[string]string{"StackName": "app", "UsePreviousTemplate": "true", "Capabilities.member.1": "CAPABILITY_IAM",
		"Parameters.member.1.ParameterKey": "Greeting", "Parameters.member.1.ParameterValue": "none"})
	if code != 400 || xmlField(body, "Message") != "No updates are to be performed." {
		t.Errorf("no-op update: %d %s", code, body)
	}

	f.ok(t, "DeleteStack", map[string]string{"StackName": "app"})
	if s := f.waitFor(t, stackID); s != "DELETE_COMPLETE" {
		t.Fatalf("delete: %s", s)
	}
	if sms := f.sfn(t, "ListStateMachines", map[string]any{}); len(sms["stateMachines"].([]any)) != 0 {
		t.Errorf("state machine left after delete: %v", sms)
	}
	code, body = f.call(t, principal(auth.RoleAdmin), "DescribeStacks", map[string]string{"StackName": "app"})
	if code != 400 || xmlField(body, "Code") != "ValidationError" || xmlField(body, "Message") != "Stack with id app does not exist" {
		t.Errorf("describing a deleted stack: %d %s", code, body)
	}
	if list := f.ok(t, "ListStacks", map[string]string{"StackStatusFilter.member.1": "DELETE_COMPLETE"}); !strings.Contains(list, stackID) {
		t.Errorf("ListStacks: %s", list)
	}
	// Deleting what does not exist succeeds, as on AWS.
	f.ok(t, "DeleteStack", map[string]string{"StackName": "app"})
}

func TestCreateFailureRollsBack(t *testing.T) {
	f := newFixture(t, nil)
	tpl := `
Resources:
  First: {Type: AWS::StepFunctions::Activity, Properties: {Name: first}}
  Broken:
    Type: AWS::StepFunctions::StateMachine
    DependsOn: First
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/r
      DefinitionString: '{"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "End": true}}}'
`
	f.ok(t, "CreateStack", map[string]string{"StackName": "bad", "TemplateBody": tpl})
	if s := f.waitFor(t, "bad"); s != "ROLLBACK_COMPLETE" {
		t.Fatalf("status %s", s)
	}
	events := f.ok(t, "DescribeStackEvents", map[string]string{"StackName": "bad"})
	for _, want := range []string{"The following resource(s) failed to create: [Broken]. Rollback requested by user.",
		"Error Code: InvalidDefinition", "<LogicalResourceId>First</LogicalResourceId>"} {
		if !strings.Contains(events, want) {
			t.Errorf("events lack %q:\n%s", want, events)
		}
	}
	if acts := f.sfn(t, "ListActivities", map[string]any{}); len(acts["activities"].([]any)) != 0 {
		t.Errorf("rollback left the activity: %v", acts)
	}
	code, body := f.call(t, principal(auth.RoleAdmin), "UpdateStack", map[string]string{"StackName": "bad", "UsePreviousTemplate": "true"})
	if code != 400 || !strings.Contains(body, "is in ROLLBACK_COMPLETE state and can not be updated.") {
		t.Errorf("updating a rolled back stack: %d %s", code, body)
	}
}

func TestUpdateFailureRollsBack(t *testing.T) {
	f := newFixture(t, nil)
	good := `
Resources:
  M:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: m
      RoleArn: arn:aws:iam::123456789012:role/r
      DefinitionString: '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": true}}}'
`
	f.ok(t, "CreateStack", map[string]string{"StackName": "u", "TemplateBody": good})
	if s := f.waitFor(t, "u"); s != "CREATE_COMPLETE" {
		t.Fatal(s)
	}
	// The machine's update succeeds, then a new resource fails: the
	// machine gets its first definition back.
	bad := strings.Replace(good, `"Result": 1`, `"Result": 2`, 1) + `
  Broken:
    Type: AWS::StepFunctions::StateMachine
    DependsOn: M
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/r
      DefinitionString: 'not json'
`
	f.ok(t, "UpdateStack", map[string]string{"StackName": "u", "TemplateBody": bad})
	if s := f.waitFor(t, "u"); s != "UPDATE_ROLLBACK_COMPLETE" {
		t.Fatalf("status %s", s)
	}
	desc := f.sfn(t, "DescribeStateMachine", map[string]any{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m"})
	if !strings.Contains(desc["definition"].(string), `"Result": 1`) {
		t.Errorf("definition after rollback: %v", desc["definition"])
	}
	if tpl := f.ok(t, "GetTemplate", map[string]string{"StackName": "u"}); strings.Contains(tpl, "Broken") {
		t.Errorf("template after rollback: %s", tpl)
	}
}

func TestRefusals(t *testing.T) {
	f := newFixture(t, nil)
	iam := "Resources: {R: {Type: 'AWS::IAM::Role', Properties: {AssumeRolePolicyDocument: {}}}}"
	cases := []struct {
		name       string
		p          *auth.Principal
		action     string
		params     map[string]string
		headers    []string
		status     int
		code, want string
	}{
		{"capabilities", principal(auth.RoleAdmin), "CreateStack", map[string]string{"StackName": "x", "TemplateBody": iam}, nil,
			400, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]"},
		{"unknown type", principal(auth.RoleAdmin), "ValidateTemplate", map[string]string{"TemplateBody": "Resources: {Q: {Type: 'AWS::SQS::Queue'}}"}, nil,
			400, "ValidationError", "Template format error: Unrecognized resource types: [AWS::SQS::Queue]"},
		{"cycle", principal(auth.RoleAdmin), "ValidateTemplate", map[string]string{"TemplateBody": "Resources: {A: {Type: 'AWS::IAM::Role', DependsOn: B}, B: {Type: 'AWS::IAM::Role', DependsOn: A}}"}, nil,
			400, "ValidationError", "Circular dependency between resources: [A, B]"},
		{"no stack", principal(auth.RoleReadOnly), "DescribeStacks", map[string]string{"StackName": "nope"}, nil,
			400, "ValidationError", "Stack with id nope does not exist"},
		{"bad name", principal(auth.RoleAdmin), "CreateStack", map[string]string{"StackName": "1x", "TemplateBody": iam}, nil,
			400, "ValidationError", "1 validation error detected: Value '1x' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"},
		{"template URL", principal(auth.RoleAdmin), "CreateStack", map[string]string{"StackName": "x", "TemplateURL": "https://example.com/t.yml"}, nil,
			400, "ValidationError", "TemplateURL is not supported by Statecraft: send the template in TemplateBody (aws cloudformation --template-body file://template.yml)"},
		{"unimplemented parameters", principal(auth.RoleAdmin), "CreateStack", map[string]string{"StackName": "x", "TemplateBody": iam,
			"TimeoutInMinutes": "5", "EnableTerminationProtection": "true", "Capabilities.member.1": "CAPABILITY_IAM"}, nil,
			400, "ValidationError", "EnableTerminationProtection, TimeoutInMinutes are not supported by Statecraft"},
		{"unknown action", principal(auth.RoleAdmin), "CreateStackSet", nil, nil,
			400, "InvalidAction", "Could not find operation CreateStackSet for version 2010-05-15"},
		{"reader creates", principal(auth.RoleOperator), "CreateStack", map[string]string{"StackName": "x", "TemplateBody": iam}, nil,
			403, "AccessDenied", "User: arn:aws:iam::123456789012:user/test-operator is not authorized to perform: cloudformation:CreateStack because no identity-based policy allows the cloudformation:CreateStack action (deploying stacks needs the admin role; this key's is operator)"},
		{"auto expand", principal(auth.RoleAdmin), "CreateStack", map[string]string{"StackName": "x", "Capabilities.member.1": "CAPABILITY_IAM",
			"TemplateBody": "Transform: AWS::Serverless-2016-10-31\nResources: {M: {Type: 'AWS::Serverless::StateMachine', Properties: {Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}}}}"}, nil,
			400, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"},
		{"browser", principal(auth.RoleAdmin), "ListStacks", nil, []string{"Origin", "https://evil.example"},
			403, "AccessDenied", "CloudFormation requests from a browser are refused (Origin: https://evil.example)"},
		{"no principal", nil, "ListStacks", nil, nil,
			403, "MissingAuthenticationToken", "Request is missing Authentication Token"},
		{"unsupported property", principal(auth.RoleAdmin), "CreateStack", map[string]string{"StackName": "ok", "TemplateBody": "Resources: {A: {Type: 'AWS::StepFunctions::Activity', Properties: {Name: a, Bogus: 1}}}"}, nil,
			200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := f.call(t, c.p, c.action, c.params, c.headers...)
			if code != c.status || xmlField(body, "Code") != c.code || xmlField(body, "Message") != c.want {
				t.Errorf("got %d %s", code, body)
			}
			if code != 200 && !strings.Contains(body, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>`) {
				t.Errorf("error shape: %s", body)
			}
		})
	}
	// A property the type does not know fails the resource, by name.
	if s := f.waitFor(t, "ok"); s != "ROLLBACK_COMPLETE" {
		t.Fatalf("status %s", s)
	}
	if ev := f.ok(t, "DescribeStackEvents", map[string]string{"StackName": "ok"}); !strings.Contains(ev, "Encountered unsupported property Bogus") {
		t.Errorf("events: %s", ev)
	}
	// Another region's stacks are out of sight.
	west := principal(auth.RoleAdmin)
	west.Region = "eu-west-1"
	if code, body := f.call(t, west, "DescribeStacks", map[string]string{"StackName": "ok"}); code != 400 || xmlField(body, "Message") != "Stack with id ok does not exist" {
		t.Errorf("another region's stack: %d %s", code, body)
	}
	f.ok(t, "CreateStack", map[string]string{"StackName": "dup", "TemplateBody": "Resources: {A: {Type: 'AWS::StepFunctions::Activity', Properties: {Name: dup}}}"})
	code, body := f.call(t, principal(auth.RoleAdmin), "CreateStack", map[string]string{"StackName": "dup", "TemplateBody": "Resources: {A: {Type: 'AWS::StepFunctions::Activity', Properties: {Name: dup}}}"})
	if code != 400 || xmlField(body, "Code") != "AlreadyExistsException" || xmlField(body, "Message") != "Stack [dup] already exists" {
		t.Errorf("duplicate: %d %s", code, body)
	}
	f.waitFor(t, "dup")
}

func TestChangeSets(t *testing.T) {
	f := newFixture(t, nil)
	tpl := "Parameters: {N: {Type: String, Default: a}}\nResources: {A: {Type: 'AWS::StepFunctions::Activity', Properties: {Name: !Ref N}}}"
	body := f.ok(t, "CreateChangeSet", map[string]string{"StackName": "cs", "ChangeSetName": "one", "ChangeSetType": "CREATE", "TemplateBody": tpl})
	csID := xmlField(body, "Id")
	if s := xmlField(f.ok(t, "DescribeStacks", map[string]string{"StackName": "cs"}), "StackStatus"); s != "REVIEW_IN_PROGRESS" {
		t.Errorf("stack of a CREATE change set: %s", s)
	}
	desc := f.ok(t, "DescribeChangeSet", map[string]string{"ChangeSetName": csID})
	if xmlField(desc, "Status") != "CREATE_COMPLETE" || xmlField(desc, "ExecutionStatus") != "AVAILABLE" || xmlField(desc, "Action") != "Add" {
		t.Errorf("DescribeChangeSet: %s", desc)
	}
	f.ok(t, "ExecuteChangeSet", map[string]string{"ChangeSetName": "one", "StackName": "cs"})
	if s := f.waitFor(t, "cs"); s != "CREATE_COMPLETE" {
		t.Fatal(s)
	}
	// The same template again: no changes, FAILED as on AWS.
	body = f.ok(t, "CreateChangeSet", map[string]string{"StackName": "cs", "ChangeSetName": "two", "TemplateBody": tpl})
	desc = f.ok(t, "DescribeChangeSet", map[string]string{"ChangeSetName": xmlField(body, "Id")})
	if xmlField(desc, "Status") != "FAILED" || xmlField(desc, "StatusReason") != "The submitted information didn't contain changes. Submit different information to create a change set." {
		t.Errorf("empty change set: %s", desc)
	}
	code, res := f.call(t, principal(auth.RoleAdmin), "ExecuteChangeSet", map[string]string{"ChangeSetName": "two", "StackName": "cs"})
	if code != 400 || xmlField(res, "Code") != "InvalidChangeSetStatus" {
		t.Errorf("executing a FAILED change set: %d %s", code, res)
	}
	f.ok(t, "DeleteChangeSet", map[string]string{"ChangeSetName": "two", "StackName": "cs"})
	f.ok(t, "CreateChangeSet", map[string]string{"StackName": "cs", "ChangeSetName": "three", "TemplateBody": tpl,
		"Parameters.member.1.ParameterKey": "N", "Parameters.member.1.ParameterValue": "b"})
	if l := f.ok(t, "ListChangeSets", map[string]string{"StackName": "cs"}); !strings.Contains(l, "<ChangeSetName>three</ChangeSetName>") || strings.Contains(l, "<ChangeSetName>two</ChangeSetName>") {
		t.Errorf("ListChangeSets: %s", l)
	}
	f.ok(t, "ExecuteChangeSet", map[string]string{"ChangeSetName": "three", "StackName": "cs"})
	if s := f.waitFor(t, "cs"); s != "UPDATE_COMPLETE" {
		t.Fatal(s)
	}
	acts := f.sfn(t, "ListActivities", map[string]any{})
	b, _ := json.Marshal(acts)
	if !strings.Contains(string(b), `"name":"b"`) || strings.Contains(string(b), `"name":"a"`) {
		t.Errorf("activities after the change set: %s", b)
	}
}

func TestStacksSurviveARestart(t *testing.T) {
	file := memstore.New()
	f := newFixture(t, file)
	f.ok(t, "CreateStack", map[string]string{"StackName": "keep", "TemplateBody": "Resources: {A: {Type: 'AWS::StepFunctions::Activity', Properties: {Name: keep}}}"})
	if s := f.waitFor(t, "keep"); s != "CREATE_COMPLETE" {
		t.Fatal(s)
	}
	// A stack whose operation a crash interrupted.
	f.svc.st.mu.Lock()
	f.svc.st.all = append(f.svc.st.all, &Stack{StackID: "arn:aws:cloudformation:us-east-1:123456789012:stack/cut/1", StackName: "cut",
		Account: account, Region: "us-east-1", Status: "CREATE_IN_PROGRESS", Resources: map[string]*Resource{}})
	if err := f.svc.st.saveLocked(); err != nil {
		t.Fatal(err)
	}
	f.svc.st.mu.Unlock()

	g := newFixture(t, file)
	if s := g.waitFor(t, "keep"); s != "CREATE_COMPLETE" {
		t.Errorf("after restart: %s", s)
	}
	body := g.ok(t, "DescribeStacks", map[string]string{"StackName": "cut"})
	if xmlField(body, "StackStatus") != "CREATE_FAILED" || !strings.Contains(body, "Statecraft restarted during CREATE_IN_PROGRESS") {
		t.Errorf("interrupted stack after restart: %s", body)
	}
}

func newHost(t *testing.T) *functions.Host {
	t.Helper()
	h := functions.NewHost(functions.HostOptions{Region: "us-east-1", Account: account, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() { h.Close() })
	return h
}

// A stack's inline function is deployed through the deploy door, runs,
// refuses what deploy refuses, and is deployed again after a restart.
func TestFunctions(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	file := memstore.New()
	f := newFixture(t, file, newHost(t))
	tpl := `
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: greeter
      Runtime: nodejs20.x
      Handler: index.handler
      Environment: {Variables: {GREETING: hi}}
      Code:
        ZipFile: |
          exports.handler = async (event) => ({greeting: process.env.GREETING, name: event.name});
Outputs:
  Arn: {Value: !GetAtt Fn.Arn}
`
	fnStack := xmlField(f.ok(t, "CreateStack", map[string]string{"StackName": "fn", "TemplateBody": tpl}), "StackId")
	if s := f.waitFor(t, "fn"); s != "CREATE_COMPLETE" {
		t.Fatalf("%s: %s", s, f.ok(t, "DescribeStackEvents", map[string]string{"StackName": "fn"}))
	}
	if out := f.ok(t, "DescribeStacks", map[string]string{"StackName": "fn"}); xmlField(out, "OutputValue") != "arn:aws:lambda:us-east-1:123456789012:function:greeter" {
		t.Errorf("outputs: %s", out)
	}
	invoke := func(h *functions.Host) string {
		t.Helper()
		res, err := h.Invoke(context.Background(), account, "greeter", []byte(`{"name":"ada"}`), functions.InvokeMeta{})
		if err != nil {
			t.Fatal(err)
		}
		return string(res.Payload)
	}
	if got := invoke(f.opt.Functions); got != `{"greeting":"hi","name":"ada"}` {
		t.Errorf("invoke: %s", got)
	}
	// After a restart, on a new host: the function is there again.
	host := newHost(t)
	newFixture(t, file, host)
	if got := invoke(host); got != `{"greeting":"hi","name":"ada"}` {
		t.Errorf("invoke after a restart: %s", got)
	}

	// What deploy refuses, a stack's function is refused too.
	bad := strings.Replace(tpl, "GREETING: hi", "NODE_OPTIONS: --require=/tmp/x.js", 1)
	bad = strings.Replace(bad, "greeter", "evil", 1)
	f.ok(t, "CreateStack", map[string]string{"StackName": "evil", "TemplateBody": bad})
	if s := f.waitFor(t, "evil"); s != "ROLLBACK_COMPLETE" {
		t.Fatal(s)
	}
	if ev := f.ok(t, "DescribeStackEvents", map[string]string{"StackName": "evil"}); !strings.Contains(ev, "NODE_OPTIONS") {
		t.Errorf("events: %s", ev)
	}
	py := strings.Replace(strings.Replace(tpl, "nodejs20.x", "python3.12", 1), "greeter", "py", 1)
	f.ok(t, "CreateStack", map[string]string{"StackName": "py", "TemplateBody": py})
	f.waitFor(t, "py")
	if ev := f.ok(t, "DescribeStackEvents", map[string]string{"StackName": "py"}); !strings.Contains(ev, "Runtime &#34;python3.12&#34; is not supported for inline code (ZipFile) by Statecraft") {
		t.Errorf("events: %s", ev)
	}

	f.ok(t, "DeleteStack", map[string]string{"StackName": "fn"})
	if s := f.waitFor(t, fnStack); s != "DELETE_COMPLETE" {
		t.Fatal(s)
	}
	if _, err := f.opt.Functions.Invoke(context.Background(), account, "greeter", []byte(`{}`), functions.InvokeMeta{}); err == nil {
		t.Error("the function outlived its stack")
	}
}

func TestVersionsAndAliases(t *testing.T) {
	f := newFixture(t, nil)
	tpl := `
Parameters:
  Result: {Type: String, Default: one}
Resources:
  M:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: versioned
      RoleArn: arn:aws:iam::123456789012:role/r
      DefinitionString: !Sub '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${Result}", "End": true}}}'
  V:
    Type: AWS::StepFunctions::StateMachineVersion
    Properties:
      StateMachineArn: !Ref M
      StateMachineRevisionId: !GetAtt M.StateMachineRevisionId
  A:
    Type: AWS::StepFunctions::StateMachineAlias
    Properties:
      Name: live
      RoutingConfiguration: [{StateMachineVersionArn: !Ref V, Weight: 100}]
`
	f.ok(t, "CreateStack", map[string]string{"StackName": "v", "TemplateBody": tpl})
	if s := f.waitFor(t, "v"); s != "CREATE_COMPLETE" {
		t.Fatalf("%s: %s", s, f.ok(t, "DescribeStackEvents", map[string]string{"StackName": "v"}))
	}
	alias := "arn:aws:states:us-east-1:123456789012:stateMachine:versioned:live"
	route := func() string {
		out := f.sfn(t, "DescribeStateMachineAlias", map[string]any{"stateMachineAliasArn": alias})
		return out["routingConfiguration"].([]any)[0].(map[string]any)["stateMachineVersionArn"].(string)
	}
	if got := route(); got != "arn:aws:states:us-east-1:123456789012:stateMachine:versioned:1" {
		t.Errorf("alias routes to %s", got)
	}
	// A new definition: a new revision, so a new version, and the alias
	// moves to it; the old version goes in the clean-up.
	f.ok(t, "UpdateStack", map[string]string{"StackName": "v", "UsePreviousTemplate": "true", "Parameters.member.1.ParameterKey": "Result", "Parameters.member.1.ParameterValue": "two"})
	if s := f.waitFor(t, "v"); s != "UPDATE_COMPLETE" {
		t.Fatalf("%s: %s", s, f.ok(t, "DescribeStackEvents", map[string]string{"StackName": "v"}))
	}
	if got := route(); got != "arn:aws:states:us-east-1:123456789012:stateMachine:versioned:2" {
		t.Errorf("alias routes to %s after the update", got)
	}
	versions := f.sfn(t, "ListStateMachineVersions", map[string]any{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:versioned"})
	if n := len(versions["stateMachineVersions"].([]any)); n != 1 {
		t.Errorf("%d versions after the update, want 1: %v", n, versions)
	}
	f.ok(t, "DeleteStack", map[string]string{"StackName": "v"})
	code, body := f.call(t, principal(auth.RoleAdmin), "DescribeStacks", map[string]string{"StackName": "v"})
	for code == 200 && inProgress(xmlField(body, "StackStatus")) {
		time.Sleep(20 * time.Millisecond)
		code, body = f.call(t, principal(auth.RoleAdmin), "DescribeStacks", map[string]string{"StackName": "v"})
	}
	if sms := f.sfn(t, "ListStateMachines", map[string]any{}); len(sms["stateMachines"].([]any)) != 0 {
		t.Errorf("left after delete: %v", sms)
	}
}

// The stacks of the file the service kept before the store are imported
// once, and the file renamed.
func TestImportsTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cloudformation.json")
	old := []*Stack{
		{StackID: "arn:aws:cloudformation:us-east-1:123456789012:stack/old/1", StackName: "old", Account: account, Region: "us-east-1",
			Status: "CREATE_COMPLETE", CreationTime: time.Now().UTC(), Resources: map[string]*Resource{}},
		{StackID: "arn:aws:cloudformation:us-east-1:123456789012:stack/cut/2", StackName: "cut", Account: account, Region: "us-east-1",
			Status: "UPDATE_IN_PROGRESS", CreationTime: time.Now().UTC(), Resources: map[string]*Resource{}},
	}
	b, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cfn := memstore.New()
	f := newNode(t, cfn, "", file)
	if s := xmlField(f.ok(t, "DescribeStacks", map[string]string{"StackName": "old"}), "StackStatus"); s != "CREATE_COMPLETE" {
		t.Errorf("imported stack: %s", s)
	}
	if s := xmlField(f.ok(t, "DescribeStacks", map[string]string{"StackName": "cut"}), "StackStatus"); s != "UPDATE_ROLLBACK_FAILED" {
		t.Errorf("imported interrupted stack: %s", s)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the file is still there: %v", err)
	}
	if _, err := os.Stat(file + ".imported"); err != nil {
		t.Errorf("renamed file: %v", err)
	}
	// Started again, the stacks are the store's.
	g := newNode(t, cfn, "", file)
	if s := xmlField(g.ok(t, "DescribeStacks", map[string]string{"StackName": "old"}), "StackStatus"); s != "CREATE_COMPLETE" {
		t.Errorf("after restart: %s", s)
	}
}

// Two nodes sharing a store share the stacks; a node that restarts ends
// its own interrupted operations only; a change computed from a stale
// copy writes nothing.
func TestNodesShareStacks(t *testing.T) {
	cfn := memstore.New()
	a := newNode(t, cfn, "a", "")
	b := newNode(t, cfn, "b", "")
	a.ok(t, "CreateStack", map[string]string{"StackName": "shared", "TemplateBody": "Resources: {A: {Type: 'AWS::StepFunctions::Activity', Properties: {Name: shared}}}"})
	if s := a.waitFor(t, "shared"); s != "CREATE_COMPLETE" {
		t.Fatal(s)
	}
	if s := xmlField(b.ok(t, "DescribeStacks", map[string]string{"StackName": "shared"}), "StackStatus"); s != "CREATE_COMPLETE" {
		t.Fatalf("on the other node: %s", s)
	}
	code, body := b.call(t, principal(auth.RoleAdmin), "CreateStack", map[string]string{"StackName": "shared", "TemplateBody": "Resources: {A: {Type: 'AWS::StepFunctions::Activity', Properties: {Name: x}}}"})
	if code != 400 || xmlField(body, "Code") != "AlreadyExistsException" {
		t.Errorf("CreateStack of a name the other node took: %d %s", code, body)
	}

	// b changes its copy while a's copy is older: a's write fails and
	// a reads the stack again.
	a.svc.st.mu.Lock()
	b.svc.st.mu.Lock()
	bst := b.svc.st.findLocked(account, "us-east-1", "shared")
	bst.Description = "by b"
	if err := b.svc.saveLocked(bst); err != nil {
		t.Fatal(err)
	}
	b.svc.st.mu.Unlock()
	ast := a.svc.st.findLocked(account, "us-east-1", "shared")
	ast.Description = "by a"
	err := a.svc.saveLocked(ast)
	a.svc.st.mu.Unlock()
	if ae := (*apiErr)(nil); !errors.As(err, &ae) || ae.code != "ValidationError" || !strings.Contains(ae.message, "changed by another request") {
		t.Fatalf("stale save: %v", err)
	}
	if ast.Description != "by b" {
		t.Errorf("after a stale save, a's copy says %q", ast.Description)
	}

	// An operation of a, in progress when both restart: b leaves it, a
	// ends it.
	a.svc.st.mu.Lock()
	ast.Status, ast.Node = "UPDATE_IN_PROGRESS", "a"
	if err := a.svc.saveLocked(ast); err != nil {
		t.Fatal(err)
	}
	a.svc.st.mu.Unlock()
	b2 := newNode(t, cfn, "b", "")
	if s := xmlField(b2.ok(t, "DescribeStacks", map[string]string{"StackName": "shared"}), "StackStatus"); s != "UPDATE_IN_PROGRESS" {
		t.Errorf("after b restarted: %s", s)
	}
	code, body = b2.call(t, principal(auth.RoleAdmin), "CreateChangeSet", map[string]string{"StackName": "shared", "ChangeSetName": "cs",
		"TemplateBody": "Resources: {A: {Type: 'AWS::StepFunctions::Activity', Properties: {Name: y}}}"})
	if code != 400 || !strings.Contains(body, "on another node") {
		t.Errorf("CreateChangeSet while a runs an operation: %d %s", code, body)
	}
	newNode(t, cfn, "a", "")
	if s := xmlField(b2.ok(t, "DescribeStacks", map[string]string{"StackName": "shared"}), "StackStatus"); s != "UPDATE_ROLLBACK_FAILED" {
		t.Errorf("after a restarted: %s", s)
	}
}

// A stack deleted longer ago than AWS lists deleted stacks (90 days) is
// forgotten when the service starts; one deleted since is still listed.
func TestDeletedStacksPurged(t *testing.T) {
	db := memstore.New()
	f := newFixture(t, db)
	for _, name := range []string{"old", "recent"} {
		f.ok(t, "CreateStack", map[string]string{"StackName": name, "TemplateBody": "Resources: {A: {Type: 'AWS::StepFunctions::Activity', Properties: {Name: " + name + "}}}"})
		if s := f.waitFor(t, name); s != "CREATE_COMPLETE" {
			t.Fatal(s)
		}
		f.ok(t, "DeleteStack", map[string]string{"StackName": name})
	}
	var oldID string
	deadline := time.Now().Add(time.Minute)
	for {
		f.svc.st.mu.Lock()
		done := 0
		for _, st := range f.svc.st.all {
			if st.Status == "DELETE_COMPLETE" {
				done++
			}
		}
		if done == 2 {
			for _, st := range f.svc.st.all {
				switch st.StackName {
				case "old":
					st.DeletionTime = st.DeletionTime.Add(-91 * 24 * time.Hour)
					oldID = st.StackID
				case "recent":
					st.DeletionTime = st.DeletionTime.Add(-89 * 24 * time.Hour)
				}
			}
			if err := f.svc.st.saveLocked(); err != nil {
				t.Fatal(err)
			}
		}
		f.svc.st.mu.Unlock()
		if done == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stacks were not deleted within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}

	g := newFixture(t, db)
	body := g.ok(t, "ListStacks", map[string]string{})
	if strings.Contains(body, "<StackName>old</StackName>") || !strings.Contains(body, "<StackName>recent</StackName>") {
		t.Errorf("ListStacks after a restart: %s", body)
	}
	if _, err := db.GetStack(context.Background(), account, "us-east-1", oldID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the purged stack's record: %v", err)
	}
}
