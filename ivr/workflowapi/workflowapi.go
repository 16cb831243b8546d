// Package workflowapi is the IVR workflow API of the alarm-notification
// seed ("IVRWorkflow API"): tenants, each with its own API keys, its own
// named workflows (a workflow name maps to a state machine) and its own
// phone-number routes (the workflow an inbound call to a number starts).
//
// Tenant endpoints (key in "Authorization: Bearer KEY" or "X-Api-Key"):
//
//	GET  /v1/workflows                             the tenant's workflows
//	POST /v1/workflows/{name}/executions           start; the body is the execution input
//	GET  /v1/workflows/{name}/executions/{id}      status, input, output, error, cause
//
// Admin endpoints (an admin key):
//
//	GET    /v1/admin/tenants                       list
//	PUT    /v1/admin/tenants/{tenant}              create or replace {apiKeys, workflows, numbers}
//	GET    /v1/admin/tenants/{tenant}              one
//	DELETE /v1/admin/tenants/{tenant}
//	POST   /v1/admin/tenants/{tenant}/keys         add a key ({"apiKey": ...} or generated; shown once, with its keyId)
//	DELETE /v1/admin/tenants/{tenant}/keys/{keyId}  revoke a key
//	PUT    /v1/admin/tenants/{tenant}/workflows/{workflow}   {"stateMachine": NAME or ARN}
//	DELETE /v1/admin/tenants/{tenant}/workflows/{workflow}
//	PUT    /v1/admin/tenants/{tenant}/numbers/{number}       {"workflow": NAME}
//	DELETE /v1/admin/tenants/{tenant}/numbers/{number}
//
// Inbound routing, for a media service running as its own process (an
// admin key; in `statecraft server` the media service calls the Service
// directly):
//
//	GET  /v1/ivr/routes/{number}                   200 when routed, 404 when not
//	POST /v1/ivr/inbound-calls                     {callerNumber, calledNumber, dialogId} -> the execution
//
// Each tenant belongs to an account (its "account", the server's default
// when unset): its workflows are that account's state machines, and its
// executions are that account's, visible through the Step Functions API
// only to that account's credentials. The service calls the API in
// process as the tenant (auth.Principal, role operator), so the API's own
// account checks apply: a workflow naming another account's machine is
// refused there.
//
// Keys are rotated without downtime: add a new key (POST .../keys), move
// the clients to it, then revoke the old one by its keyId (DELETE
// .../keys/{keyId}); a tenant may hold several keys at once. Admin keys
// (the project's workflowApi.adminKeys and --admin-key) rotate the same
// way across a restart: list the new key beside the old, restart, move
// the callers, remove the old, restart.
//
// Executions are ordinary Step Functions executions of the workflow's
// state machine, started through the Step Functions API in process; their
// name is "TENANT.RANDOM", which is also the id in the URLs, so a tenant
// can read only executions it started. What the admin API configures is
// kept in a JSON file (API keys only as SHA-256 hashes).
package workflowapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// Options configure a Service.
type Options struct {
	// SFN is the Step Functions API the service starts and reads
	// executions through: in `statecraft server`, the server's own API
	// called in process (inproc.StepFunctions).
	SFN *sfn.Client
	// Region and Account build state machine ARNs from names.
	Region, Account string
	// AdminKeys may use the admin and inbound-routing endpoints.
	AdminKeys []string
	// File keeps what the admin API configures ("" = memory only).
	File string
	Log  *slog.Logger
}

// Service serves the workflow API.
type Service struct {
	opts      Options
	log       *slog.Logger
	adminHash map[string]bool

	mu      sync.RWMutex
	tenants map[string]*Tenant
	byKey   map[string]string // key hash -> tenant
	numbers map[string]string // number -> tenant
}

// New creates the service and loads File if it exists.
func New(o Options) (*Service, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "123456789012"
	}
	s := &Service{opts: o, log: o.Log.With("component", "workflowapi"), adminHash: map[string]bool{}, tenants: map[string]*Tenant{}}
	for _, k := range o.AdminKeys {
		if k != "" {
			s.adminHash[hashKey(k)] = true
		}
	}
	if o.File != "" {
		data, err := os.ReadFile(o.File)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, err
		default:
			var f fileFormat
			if err := json.Unmarshal(data, &f); err != nil {
				return nil, fmt.Errorf("%s: %v", o.File, err)
			}
			for _, t := range f.Tenants {
				normalizeTenant(t)
				s.tenants[t.Name] = t
			}
		}
	}
	s.reindex()
	return s, nil
}
