package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// versionedMachine creates a machine with n published versions; version
// i passes {"v": i}.
func (e *testEnv) versionedMachine(name, typ string, n int) string {
	e.t.Helper()
	def := func(i int) string {
		return compact(fmt.Sprintf(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":%d},"End":true}}}`, i))
	}
	in := obj{"name": name, "definition": def(1), "roleArn": role, "publish": true}
	if typ != "" {
		in["type"] = typ
	}
	sm := e.call("CreateStateMachine", in).str("stateMachineArn")
	for i := 2; i <= n; i++ {
		e.call("UpdateStateMachine", obj{"stateMachineArn": sm, "definition": def(i), "publish": true})
	}
	return sm
}

func routing(pairs ...any) []any {
	var out []any
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, obj{"stateMachineVersionArn": pairs[i], "weight": pairs[i+1]})
	}
	return out
}

// aliasArns lists a machine's (or version's) aliases, following nextToken.
func (e *testEnv) aliasArns(arn string, pageSize int) []string {
	e.t.Helper()
	out := []string{}
	in := obj{"stateMachineArn": arn, "maxResults": pageSize}
	for pages := 0; ; pages++ {
		if pages > 100 {
			e.t.Fatal("ListStateMachineAliases does not end")
		}
		r := e.call("ListStateMachineAliases", in)
		for _, item := range r.body["stateMachineAliases"].([]any) {
			m := item.(map[string]any)
			if _, ok := m["creationDate"].(float64); !ok {
				e.t.Errorf("list item without a numeric creationDate: %v", m)
			}
			out = append(out, m["stateMachineAliasArn"].(string))
		}
		next := r.str("nextToken")
		if next == "" {
			return out
		}
		in["nextToken"] = next
	}
}

func TestAliasLifecycle(t *testing.T) {
	e := newEnv(t)
	sm := e.versionedMachine("aliased", "", 3)
	if got := e.aliasArns(sm, 0); len(got) != 0 {
		t.Fatalf("aliases of a new machine: %v", got)
	}

	r := e.call("CreateStateMachineAlias", obj{"name": "prod", "description": "production", "routingConfiguration": routing(sm+":1", 100)})
	prod := r.str("stateMachineAliasArn")
	if prod != sm+":prod" {
		t.Fatalf("stateMachineAliasArn = %q", prod)
	}
	created, ok := r.body["creationDate"].(float64)
	if !ok {
		t.Fatalf("creationDate: %s", r.raw)
	}
	// Idempotent on name, description and routing; otherwise a conflict.
	if again := e.call("CreateStateMachineAlias", obj{"name": "prod", "description": "production", "routingConfiguration": routing(sm+":1", 100)}); again.str("stateMachineAliasArn") != prod || again.body["creationDate"] != created {
		t.Errorf("creating the same alias again: %s", again.raw)
	}
	const notIdempotent = "Failed to create alias because an alias with the same name and a different routing configuration already exists."
	for _, in := range []obj{
		{"name": "prod", "description": "other", "routingConfiguration": routing(sm+":1", 100)},
		{"name": "prod", "description": "production", "routingConfiguration": routing(sm+":1", 50, sm+":2", 50)},
	} {
		if r := e.fail("CreateStateMachineAlias", in); r.shortType() != "ConflictException" || r.message() != notIdempotent {
			t.Errorf("CreateStateMachineAlias %v: %s", in, r.raw)
		}
	}
	beta := e.call("CreateStateMachineAlias", obj{"name": "beta", "routingConfiguration": routing(sm+":2", 100)}).str("stateMachineAliasArn")

	d := e.call("DescribeStateMachineAlias", obj{"stateMachineAliasArn": prod})
	if d.str("stateMachineAliasArn") != prod || d.str("name") != "prod" || d.str("description") != "production" ||
		d.body["creationDate"] != created || d.body["updateDate"] != created {
		t.Errorf("DescribeStateMachineAlias: %s", d.raw)
	}
	if got, _ := json.Marshal(d.body["routingConfiguration"]); string(got) != fmt.Sprintf(`[{"stateMachineVersionArn":"%s:1","weight":100}]`, sm) {
		t.Errorf("routingConfiguration = %s", got)
	}
	if d := e.call("DescribeStateMachineAlias", obj{"stateMachineAliasArn": beta}); strings.Contains(d.raw, "description") {
		t.Errorf("an alias without a description describes with one: %s", d.raw)
	}

	// Creation order, in pages; by version, the aliases routing to it.
	for _, size := range []int{0, 1} {
		if got := e.aliasArns(sm, size); fmt.Sprint(got) != fmt.Sprint([]string{prod, beta}) {
			t.Errorf("aliases (pages of %d) = %v", size, got)
		}
	}
	if got := e.aliasArns(sm+":2", 0); fmt.Sprint(got) != fmt.Sprint([]string{beta}) {
		t.Errorf("aliases of version 2 = %v", got)
	}
	if got := e.aliasArns(sm+":3", 0); len(got) != 0 {
		t.Errorf("aliases of version 3 = %v", got)
	}

	// Update the description, then the routing; the same again writes
	// nothing.
	u := e.call("UpdateStateMachineAlias", obj{"stateMachineAliasArn": prod, "description": "new description"})
	updated, _ := u.body["updateDate"].(float64)
	if updated < created {
		t.Errorf("updateDate %v before creationDate %v", updated, created)
	}
	e.call("UpdateStateMachineAlias", obj{"stateMachineAliasArn": prod, "routingConfiguration": routing(sm+":1", 50, sm+":2", 50)})
	d = e.call("DescribeStateMachineAlias", obj{"stateMachineAliasArn": prod})
	if got, _ := json.Marshal(d.body["routingConfiguration"]); d.str("description") != "new description" ||
		string(got) != fmt.Sprintf(`[{"stateMachineVersionArn":"%s:1","weight":50},{"stateMachineVersionArn":"%s:2","weight":50}]`, sm, sm) {
		t.Errorf("after the updates: %s", d.raw)
	}
	if again := e.call("UpdateStateMachineAlias", obj{"stateMachineAliasArn": prod, "description": "new description"}); again.body["updateDate"] != d.body["updateDate"] {
		t.Errorf("an update that changes nothing moved updateDate: %s, %s", again.raw, d.raw)
	}

	// A version an alias routes to cannot be deleted; once none does, it
	// can.
	r = e.fail("DeleteStateMachineVersion", obj{"stateMachineVersionArn": sm + ":2"})
	if r.shortType() != "ConflictException" || r.message() != "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [prod, beta]" {
		t.Errorf("deleting a version two aliases route to: %s", r.raw)
	}
	e.call("UpdateStateMachineAlias", obj{"stateMachineAliasArn": prod, "routingConfiguration": routing(sm+":3", 100)})
	e.call("DeleteStateMachineVersion", obj{"stateMachineVersionArn": sm + ":1"})

	// Deleting: gone from Describe, Update and the list; again succeeds.
	e.call("DeleteStateMachineAlias", obj{"stateMachineAliasArn": beta})
	e.call("DeleteStateMachineAlias", obj{"stateMachineAliasArn": beta})
	for _, op := range []string{"DescribeStateMachineAlias", "UpdateStateMachineAlias"} {
		r := e.fail(op, obj{"stateMachineAliasArn": beta, "description": "x"})
		if r.shortType() != "ResourceNotFound" || r.message() != "Request references a resource that does not exist." || r.str("resourceName") != beta {
			t.Errorf("%s of a deleted alias: %s", op, r.raw)
		}
	}
	if got := e.aliasArns(sm, 0); fmt.Sprint(got) != fmt.Sprint([]string{prod}) {
		t.Errorf("aliases after a delete = %v", got)
	}
	e.call("DeleteStateMachineVersion", obj{"stateMachineVersionArn": sm + ":2"})

	// Deleting the machine deletes its aliases; the name starts afresh.
	e.call("DeleteStateMachine", obj{"stateMachineArn": sm})
	if r := e.fail("DescribeStateMachineAlias", obj{"stateMachineAliasArn": prod}); r.shortType() != "ResourceNotFound" {
		t.Errorf("alias of a deleted machine: %s", r.raw)
	}
	if r := e.fail("ListStateMachineAliases", obj{"stateMachineArn": sm}); r.shortType() != "StateMachineDoesNotExist" {
		t.Errorf("aliases of a deleted machine: %s", r.raw)
	}
	fresh := e.versionedMachine("aliased", "", 1)
	if got := e.aliasArns(fresh, 0); len(got) != 0 {
		t.Errorf("a re-created machine has aliases: %v", got)
	}
}

// TestAliasErrors checks each alias operation's refusals, with the
// messages AWS was recorded giving where there is a recording.
func TestAliasErrors(t *testing.T) {
	e := newEnv(t)
	sm := e.versionedMachine("m", "", 3)
	other := e.versionedMachine("other", "", 1)
	prod := e.call("CreateStateMachineAlias", obj{"name": "prod", "routingConfiguration": routing(sm+":1", 100)}).str("stateMachineAliasArn")
	v1, v2, v3 := sm+":1", sm+":2", sm+":3"
	const pattern = `^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$`
	create := func(name string, routes []any) obj { return obj{"name": name, "routingConfiguration": routes} }
	cases := []struct {
		op   string
		in   obj
		want string
		msg  string
	}{
		{"CreateStateMachineAlias", obj{}, "ValidationException", "2 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null; Value null at 'routingConfiguration' failed to satisfy constraint: Member must not be null"},
		{"CreateStateMachineAlias", create("123", routing(v1, 100)), "ValidationException", "1 validation error detected: Value '123' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
		{"CreateStateMachineAlias", create("INVALID ALIAS", routing(v1, 100)), "ValidationException", "1 validation error detected: Value 'INVALID ALIAS' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
		{"CreateStateMachineAlias", create("ALIAS@", routing(v1, 100)), "ValidationException", "1 validation error detected: Value 'ALIAS@' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
		{"CreateStateMachineAlias", create(strings.Repeat("A", 81), routing(v1, 100)), "ValidationException", "1 validation error detected: Value '" + strings.Repeat("A", 81) + "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80"},
		{"CreateStateMachineAlias", obj{"name": "a", "description": strings.Repeat("d", 257), "routingConfiguration": routing(v1, 100)}, "ValidationException", ""},
		{"CreateStateMachineAlias", create("a", []any{}), "ValidationException", "1 validation error detected: Value '[]' at 'routingConfiguration' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"CreateStateMachineAlias", create("a", routing(v1, 50, v2, 30, v3, 20)), "ValidationException",
			"1 validation error detected: Value '[RoutingConfigurationListItem(stateMachineVersionArn=" + v1 + ", weight=50), RoutingConfigurationListItem(stateMachineVersionArn=" + v2 + ", weight=30), RoutingConfigurationListItem(stateMachineVersionArn=" + v3 + ", weight=20)]' at 'routingConfiguration' failed to satisfy constraint: Member must have length less than or equal to 2"},
		{"CreateStateMachineAlias", create("a", routing(v1, 50, v1, 50)), "ValidationException", "Routing configuration must contain distinct state machine version ARNs. Received: [" + v1 + ", " + v1 + "]"},
		{"CreateStateMachineAlias", create("a", routing(sm, 70, v2, 30)), "ValidationException", "Routing configuration must contain state machine version ARNs. Received: [" + sm + ", " + v2 + "]"},
		{"CreateStateMachineAlias", create("a", routing(sm, 100)), "ValidationException", "Routing configuration must contain state machine version ARNs. Received: [" + sm + "]"},
		{"CreateStateMachineAlias", create("a", routing(prod, 100)), "ValidationException", ""},
		{"CreateStateMachineAlias", create("a", routing(v1, 101)), "ValidationException", "1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"CreateStateMachineAlias", create("a", routing(v1, -1)), "ValidationException", "1 validation error detected: Value '-1' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"CreateStateMachineAlias", create("a", []any{obj{"stateMachineVersionArn": v1}}), "ValidationException", "1 validation error detected: Value null at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must not be null"},
		{"CreateStateMachineAlias", create("a", []any{obj{"weight": 100}}), "ValidationException", "1 validation error detected: Value null at 'routingConfiguration.1.member.stateMachineVersionArn' failed to satisfy constraint: Member must not be null"},
		{"CreateStateMachineAlias", create("a", []any{"x"}), "SerializationException", ""},
		{"CreateStateMachineAlias", create("a", routing(v1, "100")), "SerializationException", ""},
		{"CreateStateMachineAlias", create("a", routing(v1, 70, v2, 29)), "ValidationException", "Sum of routing configuration weights must equal 100. Received: [70, 29]"},
		{"CreateStateMachineAlias", create("a", routing(v1, 70, v2, 31)), "ValidationException", "Sum of routing configuration weights must equal 100. Received: [70, 31]"},
		{"CreateStateMachineAlias", create("a", routing(v1, 50, other+":1", 50)), "ValidationException", "Routing configuration must contain versions of the same state machine. Received: [" + v1 + ", " + other + ":1]"},
		{"CreateStateMachineAlias", create("a", routing(sm+":9", 100)), "ResourceNotFound", "Request references a resource that does not exist."},
		{"CreateStateMachineAlias", create("a", routing(missingSM+":1", 100)), "ResourceNotFound", ""},
		{"CreateStateMachineAlias", create("a", routing("x", 100)), "ValidationException", ""},

		{"DescribeStateMachineAlias", obj{}, "ValidationException", "1 validation error detected: Value null at 'stateMachineAliasArn' failed to satisfy constraint: Member must not be null"},
		{"DescribeStateMachineAlias", obj{"stateMachineAliasArn": "x"}, "InvalidArn", ""},
		{"DescribeStateMachineAlias", obj{"stateMachineAliasArn": sm}, "InvalidArn", "Invalid Arn: '" + sm + "'"},
		{"DescribeStateMachineAlias", obj{"stateMachineAliasArn": v1}, "InvalidArn", ""},
		{"DescribeStateMachineAlias", obj{"stateMachineAliasArn": labelledSM + ":prod"}, "ValidationException", ""},
		{"DescribeStateMachineAlias", obj{"stateMachineAliasArn": sm + ":beta"}, "ResourceNotFound", "Request references a resource that does not exist."},

		{"UpdateStateMachineAlias", obj{}, "ValidationException", ""},
		{"UpdateStateMachineAlias", obj{"stateMachineAliasArn": prod}, "ValidationException", "Either the description or the routingConfiguration must be specified"},
		{"UpdateStateMachineAlias", obj{"stateMachineAliasArn": prod, "routingConfiguration": routing(v1, 60, v2, 60)}, "ValidationException", "Sum of routing configuration weights must equal 100. Received: [60, 60]"},
		{"UpdateStateMachineAlias", obj{"stateMachineAliasArn": prod, "routingConfiguration": routing(other+":1", 100)}, "ValidationException", ""},
		{"UpdateStateMachineAlias", obj{"stateMachineAliasArn": prod, "routingConfiguration": routing(sm+":9", 100)}, "ResourceNotFound", ""},
		{"UpdateStateMachineAlias", obj{"stateMachineAliasArn": sm + ":beta", "description": "d"}, "ResourceNotFound", "Request references a resource that does not exist."},
		{"UpdateStateMachineAlias", obj{"stateMachineAliasArn": v1, "description": "d"}, "InvalidArn", ""},

		{"DeleteStateMachineAlias", obj{}, "ValidationException", ""},
		{"DeleteStateMachineAlias", obj{"stateMachineAliasArn": "x"}, "InvalidArn", ""},
		{"DeleteStateMachineAlias", obj{"stateMachineAliasArn": sm}, "InvalidArn", ""},

		{"ListStateMachineAliases", obj{}, "ValidationException", ""},
		{"ListStateMachineAliases", obj{"stateMachineArn": "x"}, "InvalidArn", ""},
		{"ListStateMachineAliases", obj{"stateMachineArn": prod}, "InvalidArn", ""},
		{"ListStateMachineAliases", obj{"stateMachineArn": missingSM}, "StateMachineDoesNotExist", "State Machine Does Not Exist: '" + missingSM + "'"},
		{"ListStateMachineAliases", obj{"stateMachineArn": sm + ":9"}, "ResourceNotFound", ""},
		{"ListStateMachineAliases", obj{"stateMachineArn": sm, "maxResults": 1001}, "ValidationException", ""},
		{"ListStateMachineAliases", obj{"stateMachineArn": sm, "nextToken": "garbage"}, "InvalidToken", ""},

		{"DeleteStateMachineVersion", obj{"stateMachineVersionArn": v1}, "ConflictException", "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [prod]"},

		{"StartExecution", obj{"stateMachineArn": sm + ":beta"}, "StateMachineDoesNotExist", "State Machine Does Not Exist: '" + sm + ":beta'"},
		{"StartExecution", obj{"stateMachineArn": sm + ":9"}, "StateMachineDoesNotExist", ""},
		{"ListExecutions", obj{"stateMachineArn": sm + ":beta"}, "ResourceNotFound", ""},
		{"TagResource", obj{"resourceArn": prod, "tags": []any{obj{"key": "k", "value": "v"}}}, "ResourceNotFound", ""},
	}
	for _, c := range cases {
		b, _ := json.Marshal(c.in)
		r := e.post(c.op, string(b))
		name := fmt.Sprintf("%s %.200s", c.op, b)
		switch {
		case r.status != 400 || r.shortType() != c.want:
			t.Errorf("%s: %d %s, want %s", name, r.status, r.raw, c.want)
		case r.errType() != namespaceOf(c.want)+"#"+c.want:
			t.Errorf("%s: __type %s has the wrong namespace", name, r.errType())
		case !allowed(c.op, c.want):
			t.Errorf("%s: %s is not modelled for the operation", name, c.want)
		case c.msg != "" && r.message() != c.msg:
			t.Errorf("%s: message\n got %q\nwant %q", name, r.message(), c.msg)
		}
	}
	// Nothing above changed the alias.
	if d := e.call("DescribeStateMachineAlias", obj{"stateMachineAliasArn": prod}); d.body["updateDate"] != d.body["creationDate"] {
		t.Errorf("a refused update changed the alias: %s", d.raw)
	}
}

// TestStartThroughVersionAndAlias starts executions through a version
// ARN and an alias ARN: they run that version, keep the machine's
// execution ARN and stateMachineArn, and record the version and alias
// where AWS shows them.
func TestStartThroughVersionAndAlias(t *testing.T) {
	e := newEnv(t)
	sm := e.versionedMachine("through", "", 2)
	prod := e.call("CreateStateMachineAlias", obj{"name": "prod", "routingConfiguration": routing(sm+":1", 100)}).str("stateMachineAliasArn")
	execPrefix := strings.Replace(sm, ":stateMachine:", ":execution:", 1) + ":"

	starts := []struct{ name, arn, version, alias, output string }{
		{"plain", sm, "", "", `{"v":2}`},
		{"by-version", sm + ":1", sm + ":1", "", `{"v":1}`},
		{"by-alias", prod, sm + ":1", prod, `{"v":1}`},
	}
	for _, s := range starts {
		r := e.call("StartExecution", obj{"stateMachineArn": s.arn, "name": s.name})
		if got := r.str("executionArn"); got != execPrefix+s.name {
			t.Errorf("%s: executionArn %q, want %q", s.name, got, execPrefix+s.name)
		}
		d := e.waitStatus(execPrefix+s.name, "SUCCEEDED")
		if d.str("stateMachineArn") != sm || d.str("stateMachineVersionArn") != s.version || d.str("stateMachineAliasArn") != s.alias || d.str("output") != s.output {
			t.Errorf("%s: DescribeExecution %s", s.name, d.raw)
		}
		h := e.call("GetExecutionHistory", obj{"executionArn": execPrefix + s.name, "maxResults": 1})
		first := h.body["events"].([]any)[0].(map[string]any)["executionStartedEventDetails"].(map[string]any)
		if v, _ := first["stateMachineVersionArn"].(string); v != s.version {
			t.Errorf("%s: ExecutionStarted %v", s.name, first)
		}
		if a, _ := first["stateMachineAliasArn"].(string); a != s.alias {
			t.Errorf("%s: ExecutionStarted %v", s.name, first)
		}
	}
	// Starting again with the same name and input while it runs is
	// idempotent whatever ARN it names; a finished one is taken.
	if r := e.fail("StartExecution", obj{"stateMachineArn": sm + ":2", "name": "by-version"}); r.shortType() != "ExecutionAlreadyExists" ||
		r.message() != "Execution Already Exists: '"+execPrefix+"by-version'" {
		t.Errorf("a used name through a version: %s", r.raw)
	}
	if r := e.call("DescribeStateMachineForExecution", obj{"executionArn": execPrefix + "by-alias"}); r.str("stateMachineArn") != sm ||
		!strings.Contains(r.str("definition"), `"v":1`) {
		t.Errorf("DescribeStateMachineForExecution of a version's execution: %s", r.raw)
	}

	list := func(arn string) []string {
		r := e.call("ListExecutions", obj{"stateMachineArn": arn})
		var out []string
		for _, item := range r.body["executions"].([]any) {
			m := item.(map[string]any)
			version, _ := m["stateMachineVersionArn"].(string)
			alias, _ := m["stateMachineAliasArn"].(string)
			out = append(out, fmt.Sprintf("%s|%s|%s", m["name"], strings.TrimPrefix(version, sm), strings.TrimPrefix(alias, sm)))
			if m["stateMachineArn"] != sm || m["redriveCount"] != float64(0) {
				t.Errorf("ListExecutions(%s) item %v", arn, m)
			}
		}
		return out
	}
	if got := list(sm); fmt.Sprint(got) != "[by-alias|:1|:prod by-version|:1| plain||]" {
		t.Errorf("ListExecutions of the machine = %v", got)
	}
	if got := list(sm + ":1"); fmt.Sprint(got) != "[by-alias|:1|:prod by-version|:1|]" {
		t.Errorf("ListExecutions of version 1 = %v", got)
	}
	if got := list(prod); fmt.Sprint(got) != "[by-alias|:1|:prod]" {
		t.Errorf("ListExecutions of the alias = %v", got)
	}
	if got := list(sm + ":2"); len(got) != 0 {
		t.Errorf("ListExecutions of version 2 = %v", got)
	}
}

// TestAliasSplitsTraffic starts 2,000 EXPRESS executions through an alias
// routing 70/30 and counts which version ran each. The bound is wide (the
// standard deviation is 20, the tolerance 150) and nothing is timed, so
// only a broken split fails it.
func TestAliasSplitsTraffic(t *testing.T) {
	e := newEnv(t)
	sm := e.versionedMachine("split", "EXPRESS", 2)
	split := e.call("CreateStateMachineAlias", obj{"name": "split", "routingConfiguration": routing(sm+":1", 70, sm+":2", 30)}).str("stateMachineAliasArn")
	const n, workers = 2000, 8
	var mu sync.Mutex
	count := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				b, _ := json.Marshal(obj{"stateMachineArn": split})
				r := e.post("StartSyncExecution", string(b))
				mu.Lock()
				count[r.str("status")+" "+r.str("output")]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	one, two := count[`SUCCEEDED {"v":1}`], count[`SUCCEEDED {"v":2}`]
	if one+two != n {
		t.Fatalf("outcomes %v", count)
	}
	if one < 1400-150 || one > 1400+150 {
		t.Errorf("version 1 (weight 70) ran %d of %d executions, version 2 (weight 30) %d", one, n, two)
	}
}

// TestAliasScope: another account's alias is AccessDenied, another
// region's is not found, as for every resource.
func TestAliasScope(t *testing.T) {
	e := newEnvWith(t, twoAccounts(t))
	sm := "arn:aws:states:us-east-1:111111111111:stateMachine:scoped"
	in := obj{"name": "scoped", "definition": passDef, "roleArn": role, "publish": true}
	if r := e.as("A_ADMIN", "CreateStateMachine", in); r.status != 200 {
		t.Fatal(r.raw)
	}
	create := obj{"name": "prod", "routingConfiguration": routing(sm+":1", 100)}
	if r := e.as("A_ADMIN", "CreateStateMachineAlias", create); r.status != 200 {
		t.Fatal(r.raw)
	}
	if r := e.as("A_READER", "DescribeStateMachineAlias", obj{"stateMachineAliasArn": sm + ":prod"}); r.status != 200 {
		t.Errorf("read-only describe: %s", r.raw)
	}
	for _, op := range []string{"CreateStateMachineAlias", "UpdateStateMachineAlias", "DeleteStateMachineAlias"} {
		if r := e.as("A_READER", op, obj{"stateMachineAliasArn": sm + ":prod", "description": "x"}); r.shortType() != "AccessDeniedException" {
			t.Errorf("read-only %s: %s", op, r.raw)
		}
	}
	if r := e.as("B_ADMIN", "DescribeStateMachineAlias", obj{"stateMachineAliasArn": sm + ":prod"}); r.shortType() != "AccessDeniedException" {
		t.Errorf("another account's alias: %s", r.raw)
	}
	if r := e.as("B_ADMIN", "CreateStateMachineAlias", create); r.shortType() != "AccessDeniedException" {
		t.Errorf("an alias of another account's machine: %s", r.raw)
	}
	b, _ := json.Marshal(obj{"stateMachineAliasArn": sm + ":prod"})
	if r := e.postAs("DescribeStateMachineAlias", string(b), "A_ADMIN", secrets["A_ADMIN"], "eu-west-1"); r.shortType() != "ResourceNotFound" {
		t.Errorf("another region's alias: %s", r.raw)
	}
}

// TestSDKAliases drives aliases through the unmodified Go SDK: typed
// outputs and typed errors.
func TestSDKAliases(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-east-1")
	ctx := context.Background()
	sm := e.versionedMachine("sdk-aliases", "", 2)
	created := must(c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{
		Name: aws.String("live"), Description: aws.String("what runs"),
		RoutingConfiguration: []types.RoutingConfigurationListItem{
			{StateMachineVersionArn: aws.String(sm + ":1"), Weight: 100},
		},
	}))(t)
	live := aws.ToString(created.StateMachineAliasArn)
	if live != sm+":live" || created.CreationDate == nil || created.CreationDate.IsZero() {
		t.Fatalf("CreateStateMachineAlias = %+v", created)
	}
	upd := must(c.UpdateStateMachineAlias(ctx, &sfn.UpdateStateMachineAliasInput{
		StateMachineAliasArn: aws.String(live),
		RoutingConfiguration: []types.RoutingConfigurationListItem{
			{StateMachineVersionArn: aws.String(sm + ":1"), Weight: 90},
			{StateMachineVersionArn: aws.String(sm + ":2"), Weight: 10},
		},
	}))(t)
	if upd.UpdateDate == nil || upd.UpdateDate.Before(*created.CreationDate) {
		t.Errorf("UpdateStateMachineAlias = %+v", upd)
	}
	d := must(c.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(live)}))(t)
	if aws.ToString(d.Name) != "live" || aws.ToString(d.Description) != "what runs" || len(d.RoutingConfiguration) != 2 ||
		d.RoutingConfiguration[1].Weight != 10 || aws.ToString(d.RoutingConfiguration[1].StateMachineVersionArn) != sm+":2" {
		t.Errorf("DescribeStateMachineAlias = %+v", d)
	}
	list := must(c.ListStateMachineAliases(ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: aws.String(sm)}))(t)
	if len(list.StateMachineAliases) != 1 || aws.ToString(list.StateMachineAliases[0].StateMachineAliasArn) != live {
		t.Errorf("ListStateMachineAliases = %+v", list.StateMachineAliases)
	}

	start := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(live), Name: aws.String("through-live")}))(t)
	x := waitDescribe(t, c, aws.ToString(start.ExecutionArn), types.ExecutionStatusSucceeded)
	if aws.ToString(x.StateMachineArn) != sm || aws.ToString(x.StateMachineAliasArn) != live ||
		!strings.HasPrefix(aws.ToString(x.StateMachineVersionArn), sm+":") {
		t.Errorf("DescribeExecution = %+v", x)
	}
	execs := must(c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(live)}))(t)
	if len(execs.Executions) != 1 || aws.ToString(execs.Executions[0].StateMachineAliasArn) != live {
		t.Errorf("ListExecutions(alias) = %+v", execs.Executions)
	}

	_, err := c.DeleteStateMachineVersion(ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(sm + ":2")})
	var conflict *types.ConflictException
	if !errors.As(err, &conflict) || !strings.Contains(conflict.ErrorMessage(), "[live]") {
		t.Errorf("DeleteStateMachineVersion(routed) = %v", err)
	}
	_, err = c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{
		Name: aws.String("bad"), RoutingConfiguration: []types.RoutingConfigurationListItem{
			{StateMachineVersionArn: aws.String(sm + ":1"), Weight: 70}, {StateMachineVersionArn: aws.String(sm + ":2"), Weight: 29},
		},
	})
	var invalid *types.ValidationException
	if !errors.As(err, &invalid) || invalid.Reason != types.ValidationExceptionReasonInvalidRoutingConfiguration {
		t.Errorf("CreateStateMachineAlias(sum 99) = %v", err)
	}
	must(c.DeleteStateMachineAlias(ctx, &sfn.DeleteStateMachineAliasInput{StateMachineAliasArn: aws.String(live)}))(t)
	_, err = c.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(live)})
	var missing *types.ResourceNotFound
	if !errors.As(err, &missing) {
		t.Errorf("DescribeStateMachineAlias(deleted) = %v", err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(live)})
	var noSM *types.StateMachineDoesNotExist
	if !errors.As(err, &noSM) {
		t.Errorf("StartExecution(deleted alias) = %v", err)
	}
	must(c.DeleteStateMachineVersion(ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(sm + ":2")}))(t)
}

func TestAliasQuota(t *testing.T) {
	old := maxAliases
	maxAliases = 2
	t.Cleanup(func() { maxAliases = old })
	e := newEnv(t)
	sm := e.versionedMachine("quota", "", 1)
	for _, name := range []string{"a", "b"} {
		e.call("CreateStateMachineAlias", obj{"name": name, "routingConfiguration": routing(sm+":1", 100)})
	}
	r := e.fail("CreateStateMachineAlias", obj{"name": "c", "routingConfiguration": routing(sm+":1", 100)})
	if r.shortType() != "ServiceQuotaExceededException" || r.errType() != nsService+"#ServiceQuotaExceededException" {
		t.Errorf("an alias past the quota: %s", r.raw)
	}
	// An existing alias is still idempotent at the quota.
	e.call("CreateStateMachineAlias", obj{"name": "a", "routingConfiguration": routing(sm+":1", 100)})
	e.call("DeleteStateMachineAlias", obj{"stateMachineAliasArn": sm + ":a"})
	e.call("CreateStateMachineAlias", obj{"name": "c", "routingConfiguration": routing(sm+":1", 100)})
}
