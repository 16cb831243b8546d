package api

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// versionArns lists a machine's version ARNs, following nextToken.
func (e *testEnv) versionArns(smArn string, pageSize int) []string {
	e.t.Helper()
	var out []string
	in := obj{"stateMachineArn": smArn, "maxResults": pageSize}
	for pages := 0; ; pages++ {
		if pages > 100 {
			e.t.Fatal("ListStateMachineVersions does not end")
		}
		r := e.call("ListStateMachineVersions", in)
		for _, item := range r.body["stateMachineVersions"].([]any) {
			m := item.(map[string]any)
			if _, ok := m["creationDate"].(float64); !ok {
				e.t.Errorf("list item without a numeric creationDate: %v", m)
			}
			out = append(out, m["stateMachineVersionArn"].(string))
		}
		next := r.str("nextToken")
		if next == "" {
			return out
		}
		in["nextToken"] = next
	}
}

func TestVersionsLifecycle(t *testing.T) {
	e := newEnv(t)
	def1 := passDef
	def2 := compact(`{"StartAt":"Two","States":{"Two":{"Type":"Succeed"}}}`)
	def3 := compact(`{"StartAt":"Three","States":{"Three":{"Type":"Succeed"}}}`)

	r := e.call("CreateStateMachine", obj{"name": "versioned", "definition": def1, "roleArn": role, "publish": true, "versionDescription": "first"})
	sm := r.str("stateMachineArn")
	if got := r.str("stateMachineVersionArn"); got != sm+":1" {
		t.Fatalf("CreateStateMachine publish: stateMachineVersionArn = %q, want %q", got, sm+":1")
	}
	// Creating again with the same configuration is idempotent and
	// answers with the version already published.
	if got := e.call("CreateStateMachine", obj{"name": "versioned", "definition": def1, "roleArn": role, "publish": true, "versionDescription": "first"}).str("stateMachineVersionArn"); got != sm+":1" {
		t.Errorf("repeated CreateStateMachine: stateMachineVersionArn = %q", got)
	}
	// Without publish, nothing says a version.
	if r := e.call("UpdateStateMachine", obj{"stateMachineArn": sm, "definition": def2}); r.str("stateMachineVersionArn") != "" {
		t.Errorf("UpdateStateMachine without publish answered a version: %s", r.raw)
	}
	r = e.call("UpdateStateMachine", obj{"stateMachineArn": sm, "definition": def2, "publish": true, "versionDescription": "second"})
	if got := r.str("stateMachineVersionArn"); got != sm+":2" {
		t.Fatalf("UpdateStateMachine publish: stateMachineVersionArn = %q: %s", got, r.raw)
	}
	rev2 := r.str("revisionId")

	// Each version describes as it was published; the machine as it is.
	v1 := e.call("DescribeStateMachine", obj{"stateMachineArn": sm + ":1"})
	if v1.str("stateMachineArn") != sm+":1" || v1.str("definition") != def1 || v1.str("description") != "first" ||
		v1.str("name") != "versioned" || v1.str("type") != "STANDARD" || v1.str("status") != "ACTIVE" || v1.str("roleArn") != role {
		t.Errorf("DescribeStateMachine version 1: %s", v1.raw)
	}
	v2 := e.call("DescribeStateMachine", obj{"stateMachineArn": sm + ":2"})
	if v2.str("definition") != def2 || v2.str("description") != "second" || v2.str("revisionId") != rev2 {
		t.Errorf("DescribeStateMachine version 2: %s", v2.raw)
	}
	if d := e.call("DescribeStateMachine", obj{"stateMachineArn": sm}); d.str("stateMachineArn") != sm || d.str("definition") != def2 {
		t.Errorf("DescribeStateMachine of the machine: %s", d.raw)
	}

	// Publishing an unchanged revision is idempotent.
	r = e.call("PublishStateMachineVersion", obj{"stateMachineArn": sm, "description": "again"})
	if r.str("stateMachineVersionArn") != sm+":2" {
		t.Errorf("publishing the published revision: %s", r.raw)
	}
	if _, ok := r.body["creationDate"].(float64); !ok {
		t.Errorf("PublishStateMachineVersion creationDate: %s", r.raw)
	}
	// revisionId guards the publish.
	if r := e.fail("PublishStateMachineVersion", obj{"stateMachineArn": sm, "revisionId": "not-the-revision"}); r.shortType() != "ConflictException" {
		t.Errorf("stale revisionId: %s", r.raw)
	}
	if r := e.fail("PublishStateMachineVersion", obj{"stateMachineArn": sm, "revisionId": "INITIAL"}); r.shortType() != "ConflictException" {
		t.Errorf("INITIAL on an updated machine: %s", r.raw)
	}
	rev3 := e.call("UpdateStateMachine", obj{"stateMachineArn": sm, "definition": def3}).str("revisionId")
	if got := e.call("PublishStateMachineVersion", obj{"stateMachineArn": sm, "revisionId": rev3, "description": "third"}).str("stateMachineVersionArn"); got != sm+":3" {
		t.Errorf("publish with the current revisionId = %q", got)
	}
	fresh := e.createMachine("fresh", passDef, "")
	if got := e.call("PublishStateMachineVersion", obj{"stateMachineArn": fresh, "revisionId": "INITIAL"}).str("stateMachineVersionArn"); got != fresh+":1" {
		t.Errorf("INITIAL on a new machine = %q", got)
	}

	// Newest first, in pages.
	want := []string{sm + ":3", sm + ":2", sm + ":1"}
	for _, size := range []int{0, 1, 2} {
		if got := e.versionArns(sm, size); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("versions (pages of %d) = %v, want %v", size, got, want)
		}
	}
	// A token belongs to its machine's listing.
	tok := e.call("ListStateMachineVersions", obj{"stateMachineArn": sm, "maxResults": 1}).str("nextToken")
	if r := e.fail("ListStateMachineVersions", obj{"stateMachineArn": fresh, "nextToken": tok}); r.shortType() != "InvalidToken" {
		t.Errorf("token of another machine: %s", r.raw)
	}
	if got := e.versionArns(missingSM, 0); len(got) != 0 {
		t.Errorf("versions of a missing machine: %v", got)
	}

	// No execution was started through a version yet.
	if r := e.call("ListExecutions", obj{"stateMachineArn": sm + ":1"}); r.raw != `{"executions":[]}`+"\n" {
		t.Errorf("ListExecutions of a version: %s", r.raw)
	}

	// Deleting a version: gone from the list and from Describe; deleting
	// again succeeds; its number is not reused.
	e.call("DeleteStateMachineVersion", obj{"stateMachineVersionArn": sm + ":2"})
	e.call("DeleteStateMachineVersion", obj{"stateMachineVersionArn": sm + ":2"})
	if r := e.fail("DescribeStateMachine", obj{"stateMachineArn": sm + ":2"}); r.shortType() != "StateMachineDoesNotExist" {
		t.Errorf("DescribeStateMachine of a deleted version: %s", r.raw)
	}
	e.call("UpdateStateMachine", obj{"stateMachineArn": sm, "definition": def1})
	if got := e.call("PublishStateMachineVersion", obj{"stateMachineArn": sm}).str("stateMachineVersionArn"); got != sm+":4" {
		t.Errorf("version after a delete = %q, want %q", got, sm+":4")
	}
	if got := e.versionArns(sm, 0); fmt.Sprint(got) != fmt.Sprint([]string{sm + ":4", sm + ":3", sm + ":1"}) {
		t.Errorf("versions after a delete = %v", got)
	}

	// Deleting the machine deletes its versions.
	e.call("DeleteStateMachine", obj{"stateMachineArn": sm})
	if got := e.versionArns(sm, 0); len(got) != 0 {
		t.Errorf("versions of a deleted machine: %v", got)
	}
	if r := e.fail("DescribeStateMachine", obj{"stateMachineArn": sm + ":1"}); r.shortType() != "StateMachineDoesNotExist" {
		t.Errorf("DescribeStateMachine of a deleted machine's version: %s", r.raw)
	}
}

func TestVersionQuota(t *testing.T) {
	old := maxVersions
	maxVersions = 2
	t.Cleanup(func() { maxVersions = old })
	e := newEnv(t)
	sm := e.call("CreateStateMachine", obj{"name": "q", "definition": passDef, "roleArn": role, "publish": true}).str("stateMachineArn")
	e.call("UpdateStateMachine", obj{"stateMachineArn": sm, "definition": waitDef, "publish": true})
	r := e.fail("UpdateStateMachine", obj{"stateMachineArn": sm, "definition": passDef, "publish": true})
	if r.shortType() != "ServiceQuotaExceededException" || r.errType() != nsService+"#ServiceQuotaExceededException" {
		t.Errorf("UpdateStateMachine past the quota: %s", r.raw)
	}
	// The update itself went in; only the version did not.
	if d := e.call("DescribeStateMachine", obj{"stateMachineArn": sm}); d.str("definition") != passDef {
		t.Errorf("definition after the refused publish: %s", d.str("definition"))
	}
	if r := e.fail("PublishStateMachineVersion", obj{"stateMachineArn": sm}); r.shortType() != "ServiceQuotaExceededException" {
		t.Errorf("PublishStateMachineVersion past the quota: %s", r.raw)
	}
	e.call("DeleteStateMachineVersion", obj{"stateMachineVersionArn": sm + ":1"})
	if got := e.call("PublishStateMachineVersion", obj{"stateMachineArn": sm}).str("stateMachineVersionArn"); got != sm+":3" {
		t.Errorf("publish after making room = %q", got)
	}
}

func TestVersionOfDeletingMachine(t *testing.T) {
	e := newEnv(t)
	sm := e.createMachine("doomed", passDef, "")
	rec, err := e.st.GetStateMachine(context.Background(), sm)
	if err != nil {
		t.Fatal(err)
	}
	rec.Status = "DELETING"
	if err := e.st.UpdateStateMachine(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if r := e.fail("PublishStateMachineVersion", obj{"stateMachineArn": sm}); r.shortType() != "StateMachineDeleting" {
		t.Errorf("publishing a machine being deleted: %s", r.raw)
	}
}

// TestSDKVersions publishes two versions through the unmodified Go SDK and
// reads them back.
func TestSDKVersions(t *testing.T) {
	e := newEnv(t)
	c := e.newClient("us-west-2")
	ctx := context.Background()
	def2 := compact(`{"StartAt":"Two","States":{"Two":{"Type":"Succeed"}}}`)
	created := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("sdk-versions"), Definition: aws.String(passDef), RoleArn: aws.String(role),
		Publish: true, VersionDescription: aws.String("v1"),
	}))(t)
	smArn := aws.ToString(created.StateMachineArn)
	if aws.ToString(created.StateMachineVersionArn) != smArn+":1" {
		t.Fatalf("CreateStateMachine version = %q", aws.ToString(created.StateMachineVersionArn))
	}
	upd := must(c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(smArn), Definition: aws.String(def2)}))(t)
	pub := must(c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{
		StateMachineArn: aws.String(smArn), RevisionId: upd.RevisionId, Description: aws.String("v2"),
	}))(t)
	if aws.ToString(pub.StateMachineVersionArn) != smArn+":2" || pub.CreationDate == nil || pub.CreationDate.IsZero() {
		t.Fatalf("PublishStateMachineVersion = %+v", pub)
	}

	var got []string
	// The SDK has no paginator for versions: follow nextToken by hand.
	in := &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(smArn), MaxResults: 1}
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("ListStateMachineVersions does not end")
		}
		page := must(c.ListStateMachineVersions(ctx, in))(t)
		for _, v := range page.StateMachineVersions {
			if v.CreationDate == nil || v.CreationDate.IsZero() {
				t.Errorf("version %s without a creation date", aws.ToString(v.StateMachineVersionArn))
			}
			got = append(got, aws.ToString(v.StateMachineVersionArn))
		}
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	if want := []string{smArn + ":2", smArn + ":1"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ListStateMachineVersions = %v, want %v", got, want)
	}

	d := must(c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(smArn + ":1")}))(t)
	if aws.ToString(d.Definition) != passDef || aws.ToString(d.Description) != "v1" || aws.ToString(d.StateMachineArn) != smArn+":1" {
		t.Errorf("DescribeStateMachine version 1 = %+v", d)
	}

	// Typed errors.
	_, err := c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(smArn), RevisionId: aws.String("stale")})
	var conflict *types.ConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("stale revision: %T %v", err, err)
	}
	_, err = c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(smArn + "-missing")})
	var missing *types.StateMachineDoesNotExist
	if !errors.As(err, &missing) {
		t.Errorf("missing machine: %T %v", err, err)
	}

	must(c.DeleteStateMachineVersion(ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(smArn + ":1")}))(t)
	left := must(c.ListStateMachineVersions(ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(smArn)}))(t)
	if len(left.StateMachineVersions) != 1 || aws.ToString(left.StateMachineVersions[0].StateMachineVersionArn) != smArn+":2" {
		t.Errorf("after deleting version 1: %+v", left.StateMachineVersions)
	}
}
