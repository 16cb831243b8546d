package deploy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/statecraft/statecraft/api"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/inproc"
	"github.com/statecraft/statecraft/project"
	"github.com/statecraft/statecraft/store/memstore"
)

// created is the clock of the test API: every date it writes is this.
var created = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newAPI is the Step Functions API over an in-memory store, as a
// deployment's Target.API.
func newAPI(t *testing.T) http.Handler {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := memstore.New()
	return api.New(st, engine.New(st, engine.Options{Log: log}), api.Options{Log: log, Now: func() time.Time { return created }})
}

// client reads what a deployment wrote, as an admin of account in region.
func client(h http.Handler, account, region string) *sfn.Client {
	return inproc.StepFunctions(h, &auth.Principal{AccessKeyID: "test", Account: account, Role: auth.RoleAdmin, Region: region, Via: "internal"})
}

func passDef(v string) string {
	return `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"` + v + `","End":true}}}`
}

func TestApplyCreatesUpdatesAndRefuses(t *testing.T) {
	h := newAPI(t)
	sf := client(h, "123456789012", "us-east-1")
	tg := Target{API: h, Connections: &Connections{}, Region: "us-east-1", Account: "123456789012"}
	ctx := context.Background()
	b := &Bundle{
		StateMachines: []project.StateMachine{{Name: "m", Definition: passDef("one")}},
		Connections:   []project.Connection{{Name: "api", APIKey: &project.APIKeyAuth{Name: "x-api-key", Value: "k"}}},
	}
	rep, err := Apply(ctx, tg, b)
	if err != nil || len(rep.Created) != 1 {
		t.Fatalf("first deploy: %+v %v", rep, err)
	}
	conn, ok := tg.Connections.Connection("arn:aws:events:us-east-1:123456789012:connection/api")
	if !ok || conn.APIKey == nil || conn.APIKey.Value != "k" {
		t.Fatalf("connection %+v", conn)
	}
	if rep, err = Apply(ctx, tg, b); err != nil || len(rep.Unchanged) != 1 {
		t.Fatalf("same again: %+v %v", rep, err)
	}
	b.StateMachines[0].Definition = passDef("two")
	if rep, err = Apply(ctx, tg, b); err != nil || len(rep.Updated) != 1 {
		t.Fatalf("changed definition: %+v %v", rep, err)
	}

	// A bad definition refuses the whole bundle and changes nothing.
	b.StateMachines = append(b.StateMachines, project.StateMachine{Name: "bad", DefinitionFile: "bad.json", Definition: `{"StartAt":"X","States":{}}`})
	b.StateMachines[0].Definition = passDef("three")
	_, err = Apply(ctx, tg, b)
	var de *Error
	if !errors.As(err, &de) || !strings.Contains(de.Error(), "bad.json") {
		t.Fatalf("bad definition: %v", err)
	}
	sm, err := sf.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:m")})
	if err != nil || !strings.Contains(aws.ToString(sm.Definition), "two") {
		t.Fatalf("a refused deploy changed a machine: %v %v", sm, err)
	}

	// Functions need a host.
	_, err = Apply(ctx, tg, &Bundle{Functions: []project.Function{{Name: "f"}}})
	if !errors.As(err, &de) {
		t.Fatalf("functions without a host: %v", err)
	}
	// A machine cannot change type.
	_, err = Apply(ctx, tg, &Bundle{StateMachines: []project.StateMachine{{Name: "m", Type: project.Express, Definition: passDef("x")}}})
	if err == nil || !strings.Contains(err.Error(), "type cannot change") {
		t.Fatalf("type change: %v", err)
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// State machines and activities are the API's: its clock, its revision
// ids (a new one for a change, none for a deployment that changes
// nothing), its defaults, its tags.
func TestApplyWritesThroughTheAPI(t *testing.T) {
	h := newAPI(t)
	ctx := context.Background()
	const account, region = "111111111111", "eu-west-1"
	sf := client(h, account, region)
	tg := Target{API: h, Connections: &Connections{}, Region: region, Account: account}
	b := &Bundle{
		StateMachines: []project.StateMachine{{Name: "m", Definition: passDef("one"), Tags: map[string]string{"team": "growth"}}},
		Activities:    []project.Activity{{Name: "mediaService"}},
	}
	rep, err := Apply(ctx, tg, b)
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:states:" + region + ":" + account + ":stateMachine:m"
	if len(rep.Created) != 1 || rep.Created[0] != arn || rep.StateMachines[0] != arn ||
		len(rep.Activities) != 1 || rep.Activities[0] != "arn:aws:states:"+region+":"+account+":activity:mediaService" {
		t.Fatalf("report %+v", rep)
	}
	describe := func() *sfn.DescribeStateMachineOutput {
		t.Helper()
		out, err := sf.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := describe()
	if !uuidV4.MatchString(aws.ToString(first.RevisionId)) || !aws.ToTime(first.CreationDate).Equal(created) ||
		first.Type != types.StateMachineTypeStandard || aws.ToString(first.RoleArn) != "arn:aws:iam::"+account+":role/statecraft-m" {
		t.Fatalf("created %+v", first)
	}
	tags, err := sf.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	act, err := sf.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(rep.Activities[0])})
	if err != nil || !aws.ToTime(act.CreationDate).Equal(created) {
		t.Fatalf("activity %+v %v", act, err)
	}

	if rep, err = Apply(ctx, tg, b); err != nil || len(rep.Unchanged) != 1 || len(rep.Activities) != 1 {
		t.Fatalf("again: %+v %v", rep, err)
	}
	if again := describe(); aws.ToString(again.RevisionId) != aws.ToString(first.RevisionId) {
		t.Fatalf("an unchanged machine got a new revision: %s, was %s", aws.ToString(again.RevisionId), aws.ToString(first.RevisionId))
	}

	b.StateMachines[0].RoleArn = "arn:aws:iam::" + account + ":role/other"
	if rep, err = Apply(ctx, tg, b); err != nil || len(rep.Updated) != 1 {
		t.Fatalf("new role: %+v %v", rep, err)
	}
	updated := describe()
	if rev := aws.ToString(updated.RevisionId); rev == aws.ToString(first.RevisionId) || !uuidV4.MatchString(rev) || aws.ToString(updated.RoleArn) != b.StateMachines[0].RoleArn {
		t.Fatalf("updated %+v", updated)
	}
}

// What the API refuses, a deployment refuses, with the API's message:
// definitions before anything changes, and whatever else when it is
// written.
func TestApplyRefusesWhatTheAPIRefuses(t *testing.T) {
	h := newAPI(t)
	ctx := context.Background()
	sf := client(h, "123456789012", "us-east-1")
	tg := Target{API: h, Connections: &Connections{}, Region: "us-east-1", Account: "123456789012"}
	apiSays := func(err error) string {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("the API answered %v", err)
		}
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}

	// A definition that does not validate: the problem is the API's
	// diagnostic, at its location.
	bad := `{"StartAt":"Missing","States":{"P":{"Type":"Pass","End":true}}}`
	v, err := sf.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(bad)})
	if err != nil || len(v.Diagnostics) == 0 {
		t.Fatalf("the API validates %v %v", v, err)
	}
	_, err = Apply(ctx, tg, &Bundle{StateMachines: []project.StateMachine{{Name: "bad", Definition: bad}}})
	want := "state machine bad: " + aws.ToString(v.Diagnostics[0].Location) + ": " + aws.ToString(v.Diagnostics[0].Message)
	var de *Error
	if !errors.As(err, &de) || de.Problems[0] != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	// CreateStateMachine refuses it with the same words.
	_, err = sf.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), Definition: aws.String(bad), RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
	if msg := apiSays(err); !strings.Contains(msg, aws.ToString(v.Diagnostics[0].Message)) {
		t.Fatalf("CreateStateMachine says %q", msg)
	}

	// A definition longer than the API takes, which asl.Validate alone
	// would not refuse.
	long := passDef(strings.Repeat("x", 1<<20))
	_, err = sf.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(long)})
	want = "state machine long: " + apiSays(err)
	_, err = Apply(ctx, tg, &Bundle{StateMachines: []project.StateMachine{{Name: "long", Definition: long}}})
	if !errors.As(err, &de) || len(de.Problems) != 1 || de.Problems[0] != want {
		t.Fatalf("got %v, want %q", err, want)
	}

	// A role the API refuses (a project file could not name it; a bundle
	// is refused by the API when it is written).
	_, err = sf.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("probe"), Definition: aws.String(passDef("x")), RoleArn: aws.String("not-a-role")})
	want = "state machine r: " + apiSays(err)
	_, err = Apply(ctx, tg, &Bundle{StateMachines: []project.StateMachine{{Name: "r", Definition: passDef("x"), RoleArn: "not-a-role"}}})
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	list, err := sf.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil || len(list.StateMachines) != 0 {
		t.Fatalf("refused deployments created %+v %v", list, err)
	}
}

// Apply takes the operator's own project file: code where it lies and any
// environment, but still only the allow-listed runtimes, in the target's
// account.
func TestApplyChecksRuntimesButTrustsTheProject(t *testing.T) {
	needNode(t)
	s := newServer(t)
	ctx := context.Background()
	_, err := Apply(ctx, s.t, &Bundle{Functions: []project.Function{
		{Name: "pwn", Runtime: "perl", Handler: "perl", CodeDir: "/usr/bin"},
		{Name: "py", Runtime: "python3.12", Handler: "app.handler", CodeDir: t.TempDir()},
	}})
	var de *Error
	if !errors.As(err, &de) || !strings.Contains(de.Error(), `function pwn: functions: pwn: unsupported runtime "perl"`) ||
		!strings.Contains(de.Error(), `function py: functions: py: unsupported runtime "python3.12"`) {
		t.Fatalf("got %v", err)
	}
	dir := nodeCode(t, "project")
	rep, err := Apply(ctx, s.t, &Bundle{Functions: []project.Function{
		{Name: "who", Runtime: "nodejs20.x", Handler: "index.who", CodeDir: dir, Env: map[string]string{"NODE_OPTIONS": "--max-old-space-size=100", "EXTRA": "x"}, Timeout: 30 * time.Second},
	}})
	if err != nil || len(rep.Functions) != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	if out := invokeWho(t, s, s.t.Account, "who"); out.Who != "project" || out.Root != dir || out.Extra == nil || *out.Extra != "x" {
		t.Fatalf("%+v", out)
	}
	if _, err := s.t.Functions.Invoke(ctx, accountA, "who", nil, functions.InvokeMeta{}); !errors.Is(err, functions.ErrFunctionNotFound) {
		t.Fatalf("another account sees the project's function: %v", err)
	}
}
