package api

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDeleteStateMachineStopsRunningExecutions(t *testing.T) {
	e := newEnv(t)
	sm := e.createMachine("slow", waitDef, "")
	exec := e.call("StartExecution", obj{"stateMachineArn": sm, "name": "waiting"}).str("executionArn")
	e.call("DeleteStateMachine", obj{"stateMachineArn": sm})
	r := e.waitStatus(exec, "ABORTED")
	if r.str("cause") != "The state machine was deleted." {
		t.Errorf("aborted execution: %s", r.raw)
	}
	if r := e.fail("StartExecution", obj{"stateMachineArn": sm}); r.shortType() != "StateMachineDoesNotExist" {
		t.Errorf("start after delete: %s", r.raw)
	}
	// Deleting again, or something that never existed, succeeds.
	e.call("DeleteStateMachine", obj{"stateMachineArn": sm})
	e.call("DeleteActivity", obj{"activityArn": missingActivity})
}

func TestStrictJSONPayloads(t *testing.T) {
	e := newEnv(t)
	sm := e.createMachine("strict", passDef, "")
	// The shared parser accepts a member without a value; AWS does not.
	for _, c := range []struct{ op, want string }{
		{"StartExecution", "InvalidExecutionInput"},
		{"CreateStateMachine", "InvalidDefinition"},
		{"SendTaskSuccess", "InvalidOutput"},
	} {
		var in obj
		switch c.op {
		case "StartExecution":
			in = obj{"stateMachineArn": sm, "input": `{"a":}`}
		case "CreateStateMachine":
			in = obj{"name": "lenient", "roleArn": role, "definition": `{"StartAt":"P","Comment":,"States":{"P":{"Type":"Pass","End":true}}}`}
		case "SendTaskSuccess":
			in = obj{"taskToken": "t", "output": `{"a":}`}
		}
		if r := e.fail(c.op, in); r.shortType() != c.want {
			t.Errorf("%s: %s", c.op, r.raw)
		}
	}
	r := e.call("ValidateStateMachineDefinition", obj{"definition": `{"StartAt":"P","Comment":,"States":{"P":{"Type":"Pass","End":true}}}`})
	if r.str("result") != "FAIL" || !strings.Contains(r.raw, "INVALID_JSON_DESCRIPTION") {
		t.Errorf("ValidateStateMachineDefinition: %s", r.raw)
	}
}

func TestValidateStateMachineDefinition(t *testing.T) {
	e := newEnv(t)
	r := e.call("ValidateStateMachineDefinition", obj{"definition": passDef})
	if r.raw != `{"result":"OK","diagnostics":[],"truncated":false}`+"\n" {
		t.Errorf("valid: %s", r.raw)
	}
	var states []string
	for i := 0; i < 5; i++ {
		states = append(states, fmt.Sprintf(`"S%d":{"Type":"Pass","Next":"Nowhere%d"}`, i, i))
	}
	bad := `{"StartAt":"S0","States":{` + strings.Join(states, ",") + `}}`
	r = e.call("ValidateStateMachineDefinition", obj{"definition": bad, "maxResults": 2})
	diags, _ := r.body["diagnostics"].([]any)
	if r.str("result") != "FAIL" || len(diags) != 2 || r.body["truncated"] != true {
		t.Errorf("truncated: %s", r.raw)
	}
	d, _ := diags[0].(map[string]any)
	if d["severity"] != "ERROR" || d["code"] == "" || d["message"] == "" {
		t.Errorf("diagnostic: %v", d)
	}
	// AWS calls it valid; Statecraft says which field it does not run.
	r = e.call("ValidateStateMachineDefinition", obj{"definition": refusedDef})
	diags, _ = r.body["diagnostics"].([]any)
	d, _ = diags[0].(map[string]any)
	if r.str("result") != "FAIL" || len(diags) != 1 || d["code"] != "NOT_IMPLEMENTED" || d["location"] != "/States/Work/Resource" ||
		!strings.HasPrefix(fmt.Sprint(d["message"]), "Statecraft cannot run the resource arn:aws:states:::glue:startJobRun.sync; it runs ") {
		t.Errorf("not implemented: %s", r.raw)
	}
}

func TestTagLimitCountsExistingTags(t *testing.T) {
	e := newEnv(t)
	act := e.call("CreateActivity", obj{"name": "tagged"}).str("activityArn")
	tags := make([]any, 50)
	for i := range tags {
		tags[i] = obj{"key": fmt.Sprintf("k%02d", i), "value": "v"}
	}
	e.call("TagResource", obj{"resourceArn": act, "tags": tags})
	// Overwriting an existing key is not a new tag.
	e.call("TagResource", obj{"resourceArn": act, "tags": []any{obj{"key": "k00", "value": "w"}}})
	r := e.fail("TagResource", obj{"resourceArn": act, "tags": []any{obj{"key": "one-more", "value": "v"}}})
	if r.shortType() != "TooManyTags" || r.str("resourceName") != act {
		t.Errorf("51st tag: %s", r.raw)
	}
	r = e.call("ListTagsForResource", obj{"resourceArn": act})
	list, _ := r.body["tags"].([]any)
	first, _ := list[0].(map[string]any)
	if len(list) != 50 || first["key"] != "k00" || first["value"] != "w" {
		t.Errorf("tags: %d, first %v", len(list), first)
	}
	e.call("UntagResource", obj{"resourceArn": act, "tagKeys": []any{"k00", "absent"}})
	r = e.call("ListTagsForResource", obj{"resourceArn": act})
	if list, _ := r.body["tags"].([]any); len(list) != 49 {
		t.Errorf("after untag: %d tags", len(list))
	}
}

func TestCreateIdempotencyComparesConfiguration(t *testing.T) {
	e := newEnv(t)
	base := obj{"name": "idem", "definition": passDef, "roleArn": role,
		"loggingConfiguration": obj{"level": "OFF"}}
	first := e.call("CreateStateMachine", base).str("stateMachineArn")
	// Logging OFF spelled out equals no logging configuration.
	e.call("CreateStateMachine", obj{"name": "idem", "definition": passDef, "roleArn": role})
	r := e.fail("CreateStateMachine", obj{"name": "idem", "definition": passDef, "roleArn": role, "tracingConfiguration": obj{"enabled": true}})
	if r.shortType() != "StateMachineAlreadyExists" || r.message() != "State Machine Already Exists: '"+first+"'" {
		t.Errorf("different tracing: %s", r.raw)
	}
	logged := obj{"level": "ALL", "includeExecutionData": true, "destinations": []any{
		obj{"cloudWatchLogsLogGroup": obj{"logGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:sfn:*"}},
	}}
	e.call("UpdateStateMachine", obj{"stateMachineArn": first, "loggingConfiguration": logged})
	r = e.call("DescribeStateMachine", obj{"stateMachineArn": first})
	lc, _ := r.body["loggingConfiguration"].(map[string]any)
	if lc["level"] != "ALL" || lc["includeExecutionData"] != true {
		t.Errorf("logging after update: %s", r.raw)
	}
}

func TestPageTokens(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &server{opts: Options{Now: func() time.Time { return now }}}
	tok := s.encodeToken(pageToken{Op: "ListActivities", Cursor: "c"})
	if len(tok) > 1024 {
		t.Errorf("token of %d characters", len(tok))
	}
	if got, err := s.decodeToken(tok, "ListActivities", ""); err != nil || got.Cursor != "c" {
		t.Errorf("decode = %+v, %v", got, err)
	}
	if _, err := s.decodeToken(tok, "ListStateMachines", ""); err == nil {
		t.Error("a token was accepted by another operation")
	}
	now = now.Add(25 * time.Hour)
	if _, err := s.decodeToken(tok, "ListActivities", ""); err == nil || err.message != "Invalid Token: 'The token has expired'" {
		t.Errorf("expired token: %v", err)
	}
	// The longest cursor the store makes (a 256-character ARN) fits the
	// model's 1024.
	long := s.encodeToken(pageToken{Op: "ListStateMachines", Cursor: strings.Repeat("x", 400)})
	if len(long) > 1024 {
		t.Errorf("token of %d characters", len(long))
	}
}

func TestGetActivityTaskEmptyPoll(t *testing.T) {
	e := newEnv(t)
	act := e.call("CreateActivity", obj{"name": "idle"}).str("activityArn")
	start := time.Now()
	r := e.call("GetActivityTask", obj{"activityArn": act, "workerName": "w"})
	if r.raw != "{}\n" || time.Since(start) < 150*time.Millisecond {
		t.Errorf("empty poll: %q after %v", r.raw, time.Since(start))
	}
}
