package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth"
)

// allOps is every operation of the Step Functions model.
func allOps() []string {
	var ops []string
	for op := range handlers {
		ops = append(ops, op)
	}
	ops = append(ops, unsupportedOps...)
	sort.Strings(ops)
	return ops
}

func TestEveryOperationNeedsAValidSignature(t *testing.T) {
	e := newEnv(t)
	if n := len(allOps()); n != 37 {
		t.Fatalf("%d operations, the model has 37", n)
	}
	for _, op := range allOps() {
		cases := []struct {
			name string
			send func() response
			want string
		}{
			{"unsigned", func() response {
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader("{}"))
				req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
				return e.do(req)
			}, "MissingAuthenticationTokenException"},
			{"garbage", func() response {
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader("{}"))
				req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 garbage")
				return e.do(req)
			}, "IncompleteSignatureException"},
			{"forged", func() response {
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader("{}"))
				req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
				req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/"+time.Now().UTC().Format("20060102")+"/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("ab", 32))
				return e.do(req)
			}, "InvalidSignatureException"},
			{"wrong secret", func() response { return e.postAs(op, "{}", "local", "not-the-secret", "us-east-1") }, "InvalidSignatureException"},
			{"unknown key", func() response { return e.postAs(op, "{}", "AKIDUNKNOWN", "local", "us-east-1") }, "UnrecognizedClientException"},
			{"expired", func() response {
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader("{}"))
				req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
				signAt(t, req, "{}", "local", "local", "us-east-1", time.Now().Add(-20*time.Minute))
				return e.do(req)
			}, "InvalidSignatureException"},
			{"tampered body", func() response {
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader(`{"a":2}`))
				req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
				signAs(t, req, `{"a":1}`, "local", "local", "us-east-1")
				return e.do(req)
			}, "InvalidSignatureException"},
		}
		for _, c := range cases {
			r := c.send()
			if r.status != http.StatusBadRequest || r.errType() != nsCoral+"#"+c.want || r.message() == "" {
				t.Errorf("%s, %s: %d %s, want 400 %s", op, c.name, r.status, r.raw, c.want)
			}
		}
	}
}

// Two accounts, with a key of each role in the first.
func twoAccounts(t *testing.T) *auth.Keyring {
	t.Helper()
	k, err := auth.NewKeyring([]auth.Account{
		{ID: "111111111111", Keys: []auth.Key{
			{AccessKeyID: "A_ADMIN", SecretAccessKey: "admin-secret", Role: auth.RoleAdmin},
			{AccessKeyID: "A_OPERATOR", SecretAccessKey: "operator-secret", Role: auth.RoleOperator},
			{AccessKeyID: "A_WORKER", SecretAccessKey: "worker-secret", Role: auth.RoleWorker},
			{AccessKeyID: "A_READER", SecretAccessKey: "reader-secret", Role: auth.RoleReadOnly},
		}},
		{ID: "222222222222", Regions: []string{"us-east-1"}, Keys: []auth.Key{
			{AccessKeyID: "B_ADMIN", SecretAccessKey: "b-admin-secret", Role: auth.RoleAdmin},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var secrets = map[string]string{
	"A_ADMIN": "admin-secret", "A_OPERATOR": "operator-secret", "A_WORKER": "worker-secret",
	"A_READER": "reader-secret", "B_ADMIN": "b-admin-secret",
}

func (e *testEnv) as(akid, op string, in any) response {
	e.t.Helper()
	b, _ := json.Marshal(in)
	return e.postAs(op, string(b), akid, secrets[akid], "us-east-1")
}

func TestRoles(t *testing.T) {
	e := newEnvWith(t, twoAccounts(t))
	// What each role may do; every other operation is AccessDenied.
	allowed := map[auth.Role][]string{
		auth.RoleOperator: {"DescribeStateMachine", "ListStateMachines", "DescribeStateMachineForExecution", "ValidateStateMachineDefinition",
			"DescribeExecution", "ListExecutions", "GetExecutionHistory", "DescribeActivity", "ListActivities", "ListTagsForResource",
			"ListStateMachineVersions", "DescribeStateMachineAlias", "ListStateMachineAliases", "DescribeMapRun", "ListMapRuns",
			"GetActivityTask", "SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat",
			"StartExecution", "StartSyncExecution", "StopExecution", "RedriveExecution", "UpdateMapRun", "TestState"},
		auth.RoleWorker: {"GetActivityTask", "SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"},
		auth.RoleReadOnly: {"DescribeStateMachine", "ListStateMachines", "DescribeStateMachineForExecution", "ValidateStateMachineDefinition",
			"DescribeExecution", "ListExecutions", "GetExecutionHistory", "DescribeActivity", "ListActivities", "ListTagsForResource",
			"ListStateMachineVersions", "DescribeStateMachineAlias", "ListStateMachineAliases", "DescribeMapRun", "ListMapRuns"},
	}
	keys := map[auth.Role]string{auth.RoleAdmin: "A_ADMIN", auth.RoleOperator: "A_OPERATOR", auth.RoleWorker: "A_WORKER", auth.RoleReadOnly: "A_READER"}
	for _, role := range auth.Roles {
		ok := map[string]bool{}
		for _, op := range allowed[role] {
			ok[op] = true
		}
		for _, op := range allOps() {
			// An empty body: an allowed operation fails validation (or
			// succeeds), a denied one is refused before that.
			r := e.postAs(op, "{}", keys[role], secrets[keys[role]], "us-east-1")
			denied := r.shortType() == "AccessDeniedException"
			if want := role != auth.RoleAdmin && !ok[op]; denied != want {
				t.Errorf("%s %s: %d %s (denied=%v, want %v)", role, op, r.status, r.raw, denied, want)
			}
			if denied && !strings.Contains(r.message(), "is not authorized to perform: states:"+op) {
				t.Errorf("%s %s: message %q", role, op, r.message())
			}
		}
	}
}

func TestAccountIsolation(t *testing.T) {
	e := newEnvWith(t, twoAccounts(t))
	// Account A's machine, execution, activity and task.
	smA := e.as("A_ADMIN", "CreateStateMachine", obj{"name": "same", "definition": waitDef, "roleArn": role}).str("stateMachineArn")
	if !strings.Contains(smA, ":111111111111:") {
		t.Fatalf("A's machine ARN %s", smA)
	}
	execA := e.as("A_OPERATOR", "StartExecution", obj{"stateMachineArn": smA, "input": `{"pin":"1234"}`}).str("executionArn")
	actA := e.as("A_ADMIN", "CreateActivity", obj{"name": "act"}).str("activityArn")
	cbDef := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + actA + `","End":true}}}`
	cbSM := e.as("A_ADMIN", "CreateStateMachine", obj{"name": "work", "definition": cbDef, "roleArn": role}).str("stateMachineArn")
	e.as("A_OPERATOR", "StartExecution", obj{"stateMachineArn": cbSM})
	var token string
	for i := 0; i < 50 && token == ""; i++ {
		token = e.as("A_WORKER", "GetActivityTask", obj{"activityArn": actA}).str("taskToken")
	}
	if token == "" {
		t.Fatal("A's worker got no task")
	}

	// Account B has a machine of the same name: a different ARN.
	smB := e.as("B_ADMIN", "CreateStateMachine", obj{"name": "same", "definition": passDef, "roleArn": role}).str("stateMachineArn")
	if smB == smA || !strings.Contains(smB, ":222222222222:") {
		t.Fatalf("B's machine ARN %s", smB)
	}
	denied := []struct {
		op string
		in obj
	}{
		{"DescribeStateMachine", obj{"stateMachineArn": smA}},
		{"StartExecution", obj{"stateMachineArn": smA}},
		{"UpdateStateMachine", obj{"stateMachineArn": smA, "definition": passDef}},
		{"DeleteStateMachine", obj{"stateMachineArn": smA}},
		{"DescribeExecution", obj{"executionArn": execA}},
		{"GetExecutionHistory", obj{"executionArn": execA}},
		{"StopExecution", obj{"executionArn": execA}},
		{"ListExecutions", obj{"stateMachineArn": smA}},
		{"DescribeStateMachineForExecution", obj{"executionArn": execA}},
		{"DescribeActivity", obj{"activityArn": actA}},
		{"GetActivityTask", obj{"activityArn": actA}},
		{"DeleteActivity", obj{"activityArn": actA}},
		{"ListTagsForResource", obj{"resourceArn": smA}},
		{"TagResource", obj{"resourceArn": smA, "tags": []obj{{"key": "k", "value": "v"}}}},
		{"PublishStateMachineVersion", obj{"stateMachineArn": smA}},
		{"ListStateMachineVersions", obj{"stateMachineArn": smA}},
	}
	for _, d := range denied {
		r := e.as("B_ADMIN", d.op, d.in)
		if r.status != 400 || r.shortType() != "AccessDeniedException" || !strings.Contains(r.message(), "no resource-based policy") {
			t.Errorf("B %s on A's resource: %d %s", d.op, r.status, r.raw)
		}
	}
	for _, op := range []string{"SendTaskSuccess", "SendTaskHeartbeat", "SendTaskFailure"} {
		in := obj{"taskToken": token}
		if op == "SendTaskSuccess" {
			in["output"] = "{}"
		}
		if r := e.as("B_ADMIN", op, in); r.shortType() != "InvalidToken" {
			t.Errorf("B %s with A's token: %d %s", op, r.status, r.raw)
		}
	}
	for _, op := range []string{"ListStateMachines", "ListActivities"} {
		r := e.as("B_ADMIN", op, obj{})
		if strings.Contains(r.raw, "111111111111") {
			t.Errorf("B %s lists A's resources: %s", op, r.raw)
		}
	}
	// Nothing B did changed A's resources.
	if r := e.as("A_READER", "DescribeExecution", obj{"executionArn": execA}); r.str("status") != "RUNNING" || r.str("input") != `{"pin":"1234"}` {
		t.Errorf("A's execution after B's attempts: %s", r.raw)
	}
	if r := e.as("A_WORKER", "SendTaskSuccess", obj{"taskToken": token, "output": "{}"}); r.status != 200 {
		t.Errorf("A's worker: %d %s", r.status, r.raw)
	}
	// B may not use a region its account does not allow.
	if r := e.postAs("ListStateMachines", "{}", "B_ADMIN", secrets["B_ADMIN"], "eu-west-1"); r.shortType() != "UnrecognizedClientException" {
		t.Errorf("B in eu-west-1: %d %s", r.status, r.raw)
	}
	// A in another region sees none of its us-east-1 resources.
	if r := e.postAs("DescribeStateMachine", `{"stateMachineArn":"`+smA+`"}`, "A_READER", secrets["A_READER"], "eu-west-1"); r.shortType() != "StateMachineDoesNotExist" {
		t.Errorf("A's machine from eu-west-1: %d %s", r.status, r.raw)
	}
	if r := e.postAs("ListStateMachines", "{}", "A_READER", secrets["A_READER"], "eu-west-1"); strings.Contains(r.raw, "stateMachine:") {
		t.Errorf("eu-west-1 lists us-east-1's machines: %s", r.raw)
	}
	// B's machines that name A's activity or start A's machine fail
	// their task: nothing is queued for A's workers, nothing of A runs.
	for name, def := range map[string]string{
		"steal":  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + actA + `","End":true}}}`,
		"nested": `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"` + smA + `"},"End":true}}}`,
	} {
		sm := e.as("B_ADMIN", "CreateStateMachine", obj{"name": name, "definition": def, "roleArn": role}).str("stateMachineArn")
		ex := e.as("B_ADMIN", "StartExecution", obj{"stateMachineArn": sm, "input": `{"secret":"b"}`}).str("executionArn")
		var r response
		for i := 0; i < 200; i++ {
			if r = e.as("B_ADMIN", "DescribeExecution", obj{"executionArn": ex}); r.str("status") != "RUNNING" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if r.str("status") != "FAILED" || !strings.Contains(r.str("cause"), "another account") {
			t.Errorf("B's %s execution: %s", name, r.raw)
		}
	}
	if r := e.as("A_WORKER", "GetActivityTask", obj{"activityArn": actA}); r.str("taskToken") != "" {
		t.Errorf("A's worker was handed B's task: %s", r.raw)
	}
	if r := e.as("A_READER", "ListExecutions", obj{"stateMachineArn": smA}); len(r.body["executions"].([]any)) != 1 {
		t.Errorf("A's machine has executions B started: %s", r.raw)
	}

	// The development pair is off once credentials are configured.
	if r := e.post("ListStateMachines", "{}"); r.shortType() != "UnrecognizedClientException" {
		t.Errorf("local/local with credentials configured: %d %s", r.status, r.raw)
	}
}
