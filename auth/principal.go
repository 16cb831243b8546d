// Package auth says who a request comes from and what it may do.
//
// A request to any of Statecraft's doors (the Step Functions and Lambda
// APIs, deploy, the console, the workflow API) is authenticated first, by
// the door's own means: SigV4 for the AWS protocols (package sigv4), a
// session cookie for the console, a tenant key for the workflow API. What
// authentication yields is a Principal: an account, and a role within it.
// Handlers read it from the request's context and never from anything the
// request says about itself.
package auth

import "context"

// Role is what a credential may do within its account.
type Role string

const (
	// RoleAdmin may do everything: create, update and delete resources,
	// deploy, and everything the other roles may do.
	RoleAdmin Role = "admin"
	// RoleOperator runs workflows: start, stop, describe and list
	// executions, read state machines, activities and histories, and act
	// as a worker; it changes no definitions or resources.
	RoleOperator Role = "operator"
	// RoleWorker is an activity or callback worker: GetActivityTask,
	// SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat only.
	RoleWorker Role = "worker"
	// RoleReadOnly describes and lists, and changes nothing.
	RoleReadOnly Role = "read-only"
)

// Roles are the valid roles, most powerful first.
var Roles = []Role{RoleAdmin, RoleOperator, RoleWorker, RoleReadOnly}

// Valid tells whether r is one of Roles.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// Principal is who a request comes from, once authenticated.
type Principal struct {
	// AccessKeyID names the credential (for a console session, the key
	// the session was opened with; for in-process callers, a fixed name).
	AccessKeyID string
	// Account is the 12-digit account id every resource the request
	// names or creates belongs to.
	Account string
	Role    Role
	// Region is the region the request was signed for ("" where the door
	// has none, such as the console, which then uses the server's region).
	Region string
	// Via says how the principal was established: "sigv4", "console",
	// "tenant", "internal".
	Via string
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p. Only authenticating code (a door's
// middleware, or an in-process caller acting for a known principal) calls
// it: handlers trust what it stores.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal ctx carries.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
