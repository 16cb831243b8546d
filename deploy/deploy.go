// Package deploy applies a project (functions, state machines, HTTP
// connections; see package project) to a running Statecraft server, either
// at start-up (`statecraft server --project FILE`) or over HTTP
// (`statecraft deploy FILE` posts the loaded project to Path).
//
// State machines are created or updated in place (running executions keep
// the definition they started with, as on AWS); functions are registered
// with the server's functions.Host, replacing earlier registrations; HTTP
// connections become the credentials of HTTP tasks.
package deploy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// Bundle is what is deployed: a loaded project, its paths already absolute
// and its placeholders already substituted.
type Bundle struct {
	Functions     []project.Function     `json:"functions"`
	StateMachines []project.StateMachine `json:"stateMachines"`
	Connections   []project.Connection   `json:"connections"`
	Activities    []project.Activity     `json:"activities,omitempty"`
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
	Region      string
	Account     string
	Now         func() time.Time
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

// Apply checks the whole bundle first (every definition against asl.Validate,
// every function against the host's rules) and changes nothing when
// anything is wrong; then it applies it.
func Apply(ctx context.Context, t Target, b *Bundle) (*Report, error) {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	var problems []string
	for _, sm := range b.StateMachines {
		for _, p := range asl.Validate([]byte(sm.Definition), asl.ValidateOptions{Express: sm.Type == project.Express}) {
			problems = append(problems, fmt.Sprintf("state machine %s (%s): %s", sm.Name, sm.DefinitionFile, p.String()))
		}
	}
	if len(b.Functions) > 0 && t.Functions == nil {
		problems = append(problems, "this server runs no local functions")
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	rep := &Report{}
	for _, f := range b.Functions {
		err := t.Functions.Register(functions.Function{
			Name: f.Name, Runtime: f.Runtime, Handler: f.Handler, CodeDir: f.CodeDir, Env: f.Env,
			Timeout: f.Timeout, MemoryMB: f.MemoryMB, Concurrency: f.Concurrency,
		})
		if err != nil {
			return rep, fmt.Errorf("function %s: %w", f.Name, err)
		}
		rep.Functions = append(rep.Functions, f.Name)
	}
	for _, c := range b.Connections {
		conn := &httptask.Connection{Arn: project.ConnectionARN(t.Region, t.Account, c.Name),
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
	for _, a := range b.Activities {
		arn := project.ActivityARN(t.Region, t.Account, a.Name)
		err := t.Store.CreateActivity(ctx, &store.Activity{Arn: arn, Name: a.Name, CreatedAt: now().UTC()})
		if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return rep, fmt.Errorf("activity %s: %w", a.Name, err)
		}
		rep.Activities = append(rep.Activities, arn)
	}
	for _, sm := range b.StateMachines {
		arn := project.StateMachineARN(t.Region, t.Account, sm.Name)
		typ := sm.Type
		if typ == "" {
			typ = project.Standard
		}
		role := sm.RoleArn
		if role == "" {
			role = "arn:aws:iam::" + t.Account + ":role/statecraft-" + sm.Name
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
			if err := t.Store.TagResource(ctx, arn, sm.Tags); err != nil {
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

// Handler accepts bundles posted to Path.
func Handler(t Target) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			_ = json.NewEncoder(w).Encode(map[string]any{"message": "POST a project bundle"})
			return
		}
		var b Bundle
		dec := json.NewDecoder(io.LimitReader(r.Body, 64<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"message": "bad bundle: " + err.Error()})
			return
		}
		rep, err := Apply(r.Context(), t, &b)
		if err != nil {
			var de *Error
			status := http.StatusInternalServerError
			problems := []string{err.Error()}
			if errors.As(err, &de) {
				status, problems = http.StatusBadRequest, de.Problems
			}
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]any{"message": "deployment refused", "problems": problems})
			return
		}
		_ = json.NewEncoder(w).Encode(rep)
	})
}

// Push posts a project to a running server (its endpoint URL, e.g.
// http://127.0.0.1:8083).
func Push(ctx context.Context, endpoint string, p *project.Project) (*Report, error) {
	body, err := json.Marshal(FromProject(p))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+Path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message  string   `json:"message"`
			Problems []string `json:"problems"`
		}
		if json.Unmarshal(data, &e) == nil && len(e.Problems) > 0 {
			return nil, &Error{Problems: e.Problems}
		}
		return nil, fmt.Errorf("deploy: %s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}
