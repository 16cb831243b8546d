// Package deploy applies a project (functions, state machines, HTTP
// connections, activities; see package project) to a running Statecraft
// server, in one of two ways that share nothing but the final step:
//
//   - At start-up, from the operator's own project file
//     (`statecraft server --project FILE`): FromProject and Apply take the
//     loaded project as it is, function code included as directories on
//     the server's disk. Only the process that owns the server calls Apply.
//   - Over HTTP (`statecraft deploy FILE` posts a Request to Path): the
//     request carries each function's code as an archive (see Request), and
//     Handler unpacks it under the server's data directory. Nothing in a
//     request can name a path on the server: the wire types have no such
//     field, and a request that sends one is refused with the field named.
//
// Handler deploys only for an admin (the auth.Principal that the server's
// authentication middleware puts in the request's context), into the
// principal's account, and refuses what a browser can send (see Handler).
// Function runtimes are an allow-list in both ways (functions.SupportedRuntime);
// environment variables that change how an interpreter or the dynamic
// loader loads code are refused over HTTP unless the operator allows them
// (Target.AllowEnv, see LoaderEnv).
//
// State machines and activities are written by the server's Step
// Functions API, called in process (package inproc) as the deploying
// principal: an admin of its account, or at start-up an admin of the
// server's account. Their validation, revision ids, defaults, idempotency
// and errors are therefore the API's, as if the deployment had called
// ValidateStateMachineDefinition, CreateStateMachine, UpdateStateMachine,
// TagResource and CreateActivity itself. A state machine is updated in
// place (running executions keep the definition they started with, as on
// AWS) only when its definition or role changed. Functions are registered
// with the server's functions.Host, replacing earlier registrations of the
// same account and name; HTTP connections become the credentials of HTTP
// tasks.
package deploy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/httptask"
	"github.com/statecraft/statecraft/inproc"
	"github.com/statecraft/statecraft/project"
)

// Path is where the server accepts deployments.
const Path = "/statecraft/v1/deploy"

// Bundle is a loaded project as the operator's own project file gives it:
// its paths already absolute, its placeholders already substituted, its
// function code in directories on this machine. It is trusted: only Apply
// takes it, and no request is ever decoded into it.
type Bundle struct {
	Functions     []project.Function
	StateMachines []project.StateMachine
	Connections   []project.Connection
	Activities    []project.Activity
}

// FromProject makes a bundle of a loaded project.
func FromProject(p *project.Project) *Bundle {
	return &Bundle{Functions: p.Functions, StateMachines: p.StateMachines, Connections: p.Connections, Activities: p.Activities}
}

// Report says what a deployment changed.
type Report struct {
	Functions     []string `json:"functions"`
	Created       []string `json:"created"` // state machine ARNs
	Updated       []string `json:"updated"`
	Unchanged     []string `json:"unchanged"`
	Connections   []string `json:"connections"`
	StateMachines []string `json:"stateMachines"` // every machine's ARN, in bundle order
	Activities    []string `json:"activities,omitempty"`
}

// Target is the server a bundle is applied to.
type Target struct {
	// API is the server's Step Functions API (the handler api.New
	// returns): state machines and activities are created and updated
	// through it.
	API         http.Handler
	Functions   *functions.Host // nil: bundles with functions are refused
	Connections *Connections
	// Region and Account are where Apply deploys; Handler deploys into
	// the principal's account, and its region when it has one.
	Region  string
	Account string
	// DataDir is the server's data directory: Handler unpacks function
	// code into DataDir/functions/ACCOUNT/NAME/SHA256/. "" refuses
	// requests with functions.
	DataDir string
	// AllowEnv names environment variables that LoaderEnv lists and that
	// functions deployed over HTTP may nevertheless set (the operator's
	// --allow-function-env).
	AllowEnv []string
}

// Connections is the set of HTTP connections, an httptask.ConnectionSource.
type Connections struct {
	mu sync.RWMutex
	m  map[string]*httptask.Connection
}

// Connection implements httptask.ConnectionSource.
func (c *Connections) Connection(arn string) (*httptask.Connection, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	conn, ok := c.m[arn]
	return conn, ok
}

func (c *Connections) set(conn *httptask.Connection) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*httptask.Connection{}
	}
	c.m[conn.Arn] = conn
}

// Error is a deployment refused before anything was changed.
type Error struct{ Problems []string }

func (e *Error) Error() string { return strings.Join(e.Problems, "\n") }

// plan is a deployment checked and ready to apply, whichever way it came.
type plan struct {
	as              *auth.Principal // who the API is called as
	region, account string
	functions       []functions.Function // CodeDir set; Release set for unpacked code
	stateMachines   []project.StateMachine
	connections     []project.Connection
	activities      []project.Activity
	registered      int // how many of functions apply registered
}

// Apply checks the whole bundle first (every definition with the API's
// ValidateStateMachineDefinition, every function against the host's
// rules, the runtime allow-list included) and changes nothing when
// anything is wrong; then it applies it in t.Account and t.Region, calling
// the API as an admin of that account. The bundle's function code is used
// where it lies, and its environment is not checked against LoaderEnv:
// the bundle is the operator's own project file.
func Apply(ctx context.Context, t Target, b *Bundle) (*Report, error) {
	as := &auth.Principal{AccessKeyID: "statecraft-project", Account: t.Account, Role: auth.RoleAdmin, Region: t.Region, Via: "internal"}
	pl := &plan{as: as, region: t.Region, account: t.Account, stateMachines: b.StateMachines, connections: b.Connections, activities: b.Activities}
	var problems []string
	if len(b.Functions) > 0 && t.Functions == nil {
		problems = append(problems, "this server runs no local functions")
	}
	for _, f := range b.Functions {
		fn := functions.Function{
			Account: t.Account, Region: t.Region, Name: f.Name, Runtime: f.Runtime, Handler: f.Handler, CodeDir: f.CodeDir, Env: f.Env,
			Timeout: f.Timeout, MemoryMB: f.MemoryMB, Concurrency: f.Concurrency,
		}
		if t.Functions != nil {
			if err := t.Functions.Check(fn); err != nil {
				problems = append(problems, fmt.Sprintf("function %s: %v", f.Name, err))
			}
		}
		pl.functions = append(pl.functions, fn)
	}
	more, err := checkDefinitions(ctx, t.API, as, pl.stateMachines)
	if err != nil {
		return nil, err
	}
	if problems = append(problems, more...); len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return apply(ctx, t, pl)
}

// checkDefinitions validates every definition with the API's
// ValidateStateMachineDefinition, as p: what it reports is what
// CreateStateMachine would refuse. The error is the API failing, not a
// definition.
func checkDefinitions(ctx context.Context, api http.Handler, p *auth.Principal, sms []project.StateMachine) ([]string, error) {
	client := inproc.StepFunctions(api, p)
	ctx = auth.WithPrincipal(ctx, p)
	var problems []string
	for _, sm := range sms {
		where := sm.Name
		if sm.DefinitionFile != "" {
			where += " (" + sm.DefinitionFile + ")"
		}
		out, err := client.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{
			Definition: aws.String(sm.Definition), Type: types.StateMachineType(machineType(sm)),
		})
		var ae smithy.APIError
		switch {
		case errors.As(err, &ae):
			problems = append(problems, fmt.Sprintf("state machine %s: %s", where, apiMessage(ae)))
			continue
		case err != nil:
			return nil, fmt.Errorf("state machine %s: validating the definition: %w", sm.Name, err)
		}
		for _, d := range out.Diagnostics {
			loc := aws.ToString(d.Location)
			if loc == "" {
				loc = "/"
			}
			problems = append(problems, fmt.Sprintf("state machine %s: %s: %s", where, loc, aws.ToString(d.Message)))
		}
	}
	return problems, nil
}

// machineType is the type a project's state machine is created with: the
// API's default, STANDARD, when it names none.
func machineType(sm project.StateMachine) string {
	if sm.Type == "" {
		return project.Standard
	}
	return sm.Type
}

// apiMessage is an error the API answered, as a deployment reports it.
func apiMessage(ae smithy.APIError) string {
	return ae.ErrorCode() + ": " + ae.ErrorMessage()
}

// apiError is err, from a call of the API about what, as a deployment
// reports it.
func apiError(what string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s", what, apiMessage(ae))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// apply makes a checked plan real.
func apply(ctx context.Context, t Target, pl *plan) (*Report, error) {
	rep := &Report{}
	for _, f := range pl.functions {
		if err := t.Functions.Register(f); err != nil {
			return rep, fmt.Errorf("function %s: %w", f.Name, err)
		}
		pl.registered++
		rep.Functions = append(rep.Functions, f.Name)
	}
	for _, c := range pl.connections {
		conn := &httptask.Connection{Arn: arn.Connection(pl.region, pl.account, c.Name),
			InvocationHeaders: c.InvocationHeaders, InvocationQueryParameters: c.InvocationQueryParameters, InvocationBodyParameters: c.InvocationBodyParameters}
		if c.APIKey != nil {
			conn.APIKey = &httptask.APIKeyAuth{Name: c.APIKey.Name, Value: c.APIKey.Value}
		}
		if c.Basic != nil {
			conn.Basic = &httptask.BasicAuth{Username: c.Basic.Username, Password: c.Basic.Password}
		}
		if o := c.OAuth; o != nil {
			conn.OAuth = &httptask.OAuthAuth{TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: o.ClientSecret, HTTPMethod: o.Method, Scope: o.Scope,
				BodyParameters: o.BodyParameters, HeaderParameters: o.HeaderParameters, QueryParameters: o.QueryParameters}
		}
		t.Connections.set(conn)
		rep.Connections = append(rep.Connections, conn.Arn)
	}
	client := inproc.StepFunctions(t.API, pl.as)
	// The principal is the plan's even where ctx carries the request's:
	// its region is the one the plan deploys to.
	ctx = auth.WithPrincipal(ctx, pl.as)
	for _, a := range pl.activities {
		// CreateActivity is idempotent: an activity that exists is left as
		// it is.
		out, err := client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(a.Name)})
		if err != nil {
			return rep, apiError("activity "+a.Name, err)
		}
		rep.Activities = append(rep.Activities, aws.ToString(out.ActivityArn))
	}
	for _, sm := range pl.stateMachines {
		arn, err := applyStateMachine(ctx, client, pl, sm, rep)
		if err != nil {
			return rep, err
		}
		rep.StateMachines = append(rep.StateMachines, arn)
	}
	sort.Strings(rep.Functions)
	return rep, nil
}

// applyStateMachine creates sm, or updates it when its definition or role
// changed (UpdateStateMachine would make a new revision of an unchanged
// machine too), notes which in rep and returns its ARN.
func applyStateMachine(ctx context.Context, client *sfn.Client, pl *plan, sm project.StateMachine, rep *Report) (string, error) {
	what := "state machine " + sm.Name
	typ := machineType(sm)
	role := sm.RoleArn
	if role == "" {
		role = arn.Role(pl.region, pl.account, "statecraft-"+sm.Name)
	}
	// The ARN CreateStateMachine gives a machine of this name, looked up
	// before anything is written.
	smArn := arn.StateMachine(pl.region, pl.account, sm.Name)
	cur, err := client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(smArn)})
	var missing *types.StateMachineDoesNotExist
	switch {
	case errors.As(err, &missing):
		in := &sfn.CreateStateMachineInput{Name: aws.String(sm.Name), Definition: aws.String(sm.Definition), RoleArn: aws.String(role), Type: types.StateMachineType(typ)}
		for _, k := range sortedKeys(sm.Tags) {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(sm.Tags[k])})
		}
		out, err := client.CreateStateMachine(ctx, in)
		if err != nil {
			return "", apiError(what, err)
		}
		rep.Created = append(rep.Created, aws.ToString(out.StateMachineArn))
		return aws.ToString(out.StateMachineArn), nil
	case err != nil:
		return "", apiError(what, err)
	}
	smArn = aws.ToString(cur.StateMachineArn)
	switch {
	case string(cur.Type) != typ:
		return "", fmt.Errorf("state machine %s is %s; its type cannot change to %s (delete it first)", sm.Name, cur.Type, typ)
	case aws.ToString(cur.Definition) == sm.Definition && aws.ToString(cur.RoleArn) == role:
		rep.Unchanged = append(rep.Unchanged, smArn)
	default:
		_, err := client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(smArn), Definition: aws.String(sm.Definition), RoleArn: aws.String(role)})
		if err != nil {
			return "", apiError(what, err)
		}
		rep.Updated = append(rep.Updated, smArn)
	}
	if len(sm.Tags) > 0 {
		in := &sfn.TagResourceInput{ResourceArn: aws.String(smArn)}
		for _, k := range sortedKeys(sm.Tags) {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(sm.Tags[k])})
		}
		if _, err := client.TagResource(ctx, in); err != nil {
			return "", apiError(what, err)
		}
	}
	return smArn, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// randomName is a random suffix for a name no one else picks.
func randomName() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}
