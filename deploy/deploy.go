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
// State machines are created or updated in place (running executions keep
// the definition they started with, as on AWS); functions are registered
// with the server's functions.Host, replacing earlier registrations of the
// same account and name; HTTP connections become the credentials of HTTP
// tasks.
package deploy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/httptask"
	"github.com/statecraft/statecraft/project"
	"github.com/statecraft/statecraft/store"
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
	Store       store.Store
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
	Now      func() time.Time
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
	region, account string
	functions       []functions.Function // CodeDir set; Release set for unpacked code
	stateMachines   []project.StateMachine
	connections     []project.Connection
	activities      []project.Activity
	registered      int // how many of functions apply registered
}

// Apply checks the whole bundle first (every definition against
// asl.Validate, every function against the host's rules, the runtime
// allow-list included) and changes nothing when anything is wrong; then it
// applies it in t.Account and t.Region. The bundle's function code is used
// where it lies, and its environment is not checked against LoaderEnv: the
// bundle is the operator's own project file.
func Apply(ctx context.Context, t Target, b *Bundle) (*Report, error) {
	pl := &plan{region: t.Region, account: t.Account, stateMachines: b.StateMachines, connections: b.Connections, activities: b.Activities}
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
	problems = append(problems, checkDefinitions(pl.stateMachines)...)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return apply(ctx, t, pl)
}

// checkDefinitions validates every definition the way CreateStateMachine does.
func checkDefinitions(sms []project.StateMachine) []string {
	var problems []string
	for _, sm := range sms {
		where := sm.Name
		if sm.DefinitionFile != "" {
			where += " (" + sm.DefinitionFile + ")"
		}
		for _, p := range asl.Validate([]byte(sm.Definition), asl.ValidateOptions{Express: sm.Type == project.Express}) {
			problems = append(problems, fmt.Sprintf("state machine %s: %s", where, p.String()))
		}
	}
	return problems
}

// apply makes a checked plan real.
func apply(ctx context.Context, t Target, pl *plan) (*Report, error) {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	rep := &Report{}
	for _, f := range pl.functions {
		if err := t.Functions.Register(f); err != nil {
			return rep, fmt.Errorf("function %s: %w", f.Name, err)
		}
		pl.registered++
		rep.Functions = append(rep.Functions, f.Name)
	}
	for _, c := range pl.connections {
		conn := &httptask.Connection{Arn: project.ConnectionARN(pl.region, pl.account, c.Name),
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
	for _, a := range pl.activities {
		arn := project.ActivityARN(pl.region, pl.account, a.Name)
		err := t.Store.CreateActivity(ctx, &store.Activity{Arn: arn, Name: a.Name, CreatedAt: now().UTC()})
		if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return rep, fmt.Errorf("activity %s: %w", a.Name, err)
		}
		rep.Activities = append(rep.Activities, arn)
	}
	for _, sm := range pl.stateMachines {
		arn := project.StateMachineARN(pl.region, pl.account, sm.Name)
		typ := sm.Type
		if typ == "" {
			typ = project.Standard
		}
		role := sm.RoleArn
		if role == "" {
			role = "arn:aws:iam::" + pl.account + ":role/statecraft-" + sm.Name
		}
		cur, err := t.Store.GetStateMachine(ctx, arn)
		switch {
		case errors.Is(err, store.ErrNotFound):
			at := now().UTC()
			err = t.Store.CreateStateMachine(ctx, &store.StateMachine{Arn: arn, Name: sm.Name, Type: typ, Definition: sm.Definition, RoleArn: role,
				Status: "ACTIVE", RevisionID: revision(), CreatedAt: at, UpdatedAt: at})
			if err != nil {
				return rep, err
			}
			rep.Created = append(rep.Created, arn)
		case err != nil:
			return rep, err
		case cur.Type != typ:
			return rep, fmt.Errorf("state machine %s is %s; its type cannot change to %s (delete it first)", sm.Name, cur.Type, typ)
		case cur.Definition == sm.Definition && cur.RoleArn == role:
			rep.Unchanged = append(rep.Unchanged, arn)
		default:
			cur.Definition, cur.RoleArn, cur.RevisionID, cur.UpdatedAt = sm.Definition, role, revision(), now().UTC()
			if err := t.Store.UpdateStateMachine(ctx, cur); err != nil {
				return rep, err
			}
			rep.Updated = append(rep.Updated, arn)
		}
		if len(sm.Tags) > 0 {
			if err := t.Store.TagResource(ctx, store.TagResourceParams{Arn: arn, Tags: sm.Tags}); err != nil {
				return rep, err
			}
		}
		rep.StateMachines = append(rep.StateMachines, arn)
	}
	sort.Strings(rep.Functions)
	return rep, nil
}

func revision() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
