package project

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/awsconf"
)

// Defaults used when the project file leaves a value out.
const (
	DefaultTimeout  = 3 * time.Second
	DefaultMemoryMB = 128
	DefaultRegion   = "us-east-1"
	DefaultAccount  = "123456789012"
)

// State machine types.
const (
	Standard = "STANDARD"
	Express  = "EXPRESS"
)

// Project is a loaded, valid project file.
type Project struct {
	Path          string // the file it was loaded from, as given to Load
	Dir           string // absolute directory of Path; paths inside are relative to it
	Functions     []Function
	StateMachines []StateMachine
	Connections   []Connection
	Activities    []Activity
	Tenants       []Tenant
	WorkflowAPI   *WorkflowAPI  // nil when the file has no workflowApi section
	MediaService  *MediaService // nil when the file has no mediaService section
	S3            *S3           // nil when the file has no s3 section
	// Services are the services section: where Task integrations call
	// each AWS service (keyed by awsconf.Canonical name); nil without one.
	Services map[string]awsconf.Service
	// Accounts are the accounts section: access keys and roles, in the
	// credentials file's format (auth.LoadCredentials).
	Accounts []auth.Account
}

// Function is a local Lambda-style function.
type Function struct {
	Name        string
	ARN         string // arn:aws:lambda:REGION:ACCOUNT:function:NAME
	Runtime     string
	Handler     string
	CodeDir     string // absolute
	Env         map[string]string
	Timeout     time.Duration
	MemoryMB    int
	Concurrency int // reserved concurrency; 0 when unreserved
	Line        int // line of the name in the project file
}

// StateMachine is a state machine with its definition already substituted.
type StateMachine struct {
	Name           string
	ARN            string // arn:aws:states:REGION:ACCOUNT:stateMachine:NAME
	Type           string // Standard or Express
	DefinitionFile string // absolute
	Definition     string // the file's text after substitution; valid JSON
	RoleArn        string
	Substitutions  map[string]string // the machine's own, after env expansion
	Tags           map[string]string
	Line           int
}

// Connection holds the authorization and extra parameters of HTTP tasks that
// name it, as an EventBridge connection does. Exactly one of APIKey, Basic and
// OAuth is set.
type Connection struct {
	Name                      string
	ARN                       string // arn:aws:events:REGION:ACCOUNT:connection/NAME
	APIKey                    *APIKeyAuth
	Basic                     *BasicAuth
	OAuth                     *OAuth
	InvocationHeaders         map[string]string
	InvocationQueryParameters map[string]string
	InvocationBodyParameters  map[string]string
	Line                      int
}

// APIKeyAuth sends Value in the header Name.
type APIKeyAuth struct{ Name, Value string }

// BasicAuth sends HTTP basic authorization.
type BasicAuth struct{ Username, Password string }

// OAuth gets a token by the client credentials grant from TokenURL.
type OAuth struct {
	TokenURL         string
	ClientID         string
	ClientSecret     string
	Method           string // GET, POST or PUT
	Scope            string // optional
	BodyParameters   map[string]string
	HeaderParameters map[string]string
	QueryParameters  map[string]string
}

// Options tells Load how to build ARNs and read the environment.
type Options struct {
	Region    string                      // default DefaultRegion
	Account   string                      // default DefaultAccount
	LookupEnv func(string) (string, bool) // for ${env:NAME}; default os.LookupEnv
}

// Error lists every problem found in a project file and its definitions.
type Error struct {
	File     string // the project file, as given to Load
	Problems []Problem
}

// Problem is one thing wrong with a project file or a definition file.
type Problem struct {
	File    string // set when the problem is in a definition file; empty for the project file
	Line    int    // 1-based; 0 when it is about the file as a whole
	Field   string // e.g. functions.SendMessage.timeout
	Message string
}

// Format renders the problem as "FILE:LINE: field: message"; projectFile is
// used when p.File is empty.
func (p Problem) Format(projectFile string) string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
	} else {
		b.WriteString(projectFile)
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error returns one line per problem.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Format(e.File)
	}
	return strings.Join(lines, "\n")
}

// Function returns the function with the given name, or nil.
func (p *Project) Function(name string) *Function {
	for i := range p.Functions {
		if p.Functions[i].Name == name {
			return &p.Functions[i]
		}
	}
	return nil
}

// StateMachine returns the state machine with the given name, or nil.
func (p *Project) StateMachine(name string) *StateMachine {
	for i := range p.StateMachines {
		if p.StateMachines[i].Name == name {
			return &p.StateMachines[i]
		}
	}
	return nil
}

// Connection returns the connection with the given name, or nil.
func (p *Project) Connection(name string) *Connection {
	for i := range p.Connections {
		if p.Connections[i].Name == name {
			return &p.Connections[i]
		}
	}
	return nil
}

// Load reads, validates and substitutes the project file at path and the
// definition files it names. A file that cannot be read gives the os error;
// anything wrong inside gives an *Error listing every problem.
func Load(path string, opts Options) (*Project, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.Account == "" {
		opts.Account = DefaultAccount
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	l := &loader{
		path:   path,
		dir:    dir,
		relDir: filepath.Dir(path),
		opts:   opts,
		rank:   map[string]int{"": 0},
	}
	p := l.load(data)
	if len(l.problems) > 0 {
		sort.SliceStable(l.problems, func(i, j int) bool {
			a, b := l.problems[i], l.problems[j]
			if ra, rb := l.rank[a.File], l.rank[b.File]; ra != rb {
				return ra < rb
			}
			return a.Line < b.Line
		})
		return nil, &Error{File: path, Problems: l.problems}
	}
	return p, nil
}
