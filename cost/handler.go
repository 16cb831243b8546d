package cost

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/httpjson"
	"github.com/statecraft/statecraft/store"
)

// Path is where the server serves reports (GET).
const Path = "/statecraft/cost"

// SigningName is the service name in the SigV4 credential scope of a
// request for a report, as for the cluster's view: Statecraft's own door.
const SigningName = "statecraft"

// Action is a report's action, in auth's naming; it only reads.
const Action = "statecraft:GetCost"

// Error is the body of a refusal: httpjson's, shared by Statecraft's own
// doors.
type Error = httpjson.Error

// WriteError answers with an Error.
var WriteError = httpjson.WriteError

// readTimeout bounds one report's reads.
const readTimeout = 60 * time.Second

// Handler serves reports to GET requests of a principal the server has
// authenticated and whose role allows Action (the server checks both).
// Query parameters:
//
//	executionArn=ARN     one execution
//	stateMachineArn=ARN  one state machine's executions
//	since=, until=       RFC 3339 times bounding the start dates summed
//	allAccounts=true     every account's state machines (admin only);
//	                     otherwise those of the principal's account, in
//	                     region
//
// A resource of another account does not exist, as on the API.
func Handler(c *Calculator, region string, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			WriteError(w, http.StatusMethodNotAllowed, "MethodNotAllowedException", "GET "+Path+" reads what executions cost; "+r.Method+" is not served")
			return
		}
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			WriteError(w, http.StatusUnauthorized, "MissingAuthenticationTokenException", "Missing Authentication Token")
			return
		}
		q := r.URL.Query()
		for k := range q {
			switch k {
			case "executionArn", "stateMachineArn", "since", "until", "allAccounts":
			default:
				WriteError(w, http.StatusBadRequest, "ValidationException", "unknown parameter "+k+" (known: executionArn, stateMachineArn, since, until, allAccounts)")
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), readTimeout)
		defer cancel()
		rep, status, typ, msg := serve(ctx, c, region, p, q.Get("executionArn"), q.Get("stateMachineArn"), q.Get("since"), q.Get("until"), q.Get("allAccounts"))
		if rep == nil {
			if status == http.StatusInternalServerError {
				log.Error("cost report", "err", msg)
				msg = "the executions could not be read (the server's log says why)"
			}
			WriteError(w, status, typ, msg)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		_ = httpjson.Write(w, http.StatusOK, rep, httpjson.Options{})
	})
}

// owned tells whether p may see resource s (its account, or any for an
// admin, as on the API).
func owned(p *auth.Principal, s string) bool {
	a, err := arn.Parse(s)
	return err == nil && (a.Account == p.Account || p.Role == auth.RoleAdmin)
}

func serve(ctx context.Context, c *Calculator, region string, p *auth.Principal, execArn, smArn, since, until, all string) (*Report, int, string, string) {
	var q Query
	var err error
	if since != "" {
		if q.Since, err = time.Parse(time.RFC3339, since); err != nil {
			return nil, http.StatusBadRequest, "ValidationException", "since must be an RFC 3339 time (2026-12-01T00:00:00Z): " + since
		}
	}
	if until != "" {
		if q.Until, err = time.Parse(time.RFC3339, until); err != nil {
			return nil, http.StatusBadRequest, "ValidationException", "until must be an RFC 3339 time (2026-12-01T00:00:00Z): " + until
		}
	}
	if all != "" && all != "true" && all != "false" {
		return nil, http.StatusBadRequest, "ValidationException", "allAccounts must be true or false"
	}
	if all == "true" && p.Role != auth.RoleAdmin {
		return nil, http.StatusForbidden, "AccessDeniedException", "every account's cost needs the admin role; this key's is " + string(p.Role)
	}
	if execArn != "" {
		if smArn != "" || since != "" || until != "" || all != "" {
			return nil, http.StatusBadRequest, "ValidationException", "executionArn takes no other parameter"
		}
		a, err := arn.ParseStates(execArn)
		if err != nil || a.Type != "execution" {
			if err == nil && a.Type == "express" && a.Label != "" {
				return nil, http.StatusBadRequest, "ValidationException", "an Express child of a Distributed Map is billed with its parent execution (expressRequests, expressUSD): ask for the parent's: " + execArn
			}
			if err == nil && a.Type == "express" {
				return nil, http.StatusBadRequest, "ValidationException", "EXPRESS executions are not stored, so what they cost is not measured: " + execArn
			}
			return nil, http.StatusBadRequest, "InvalidArn", "Invalid Arn: '" + execArn + "'"
		}
		e, err := c.Store.GetExecution(ctx, execArn)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !owned(p, e.Arn)) {
			return nil, http.StatusBadRequest, "ExecutionDoesNotExist", "Execution Does Not Exist: '" + execArn + "'"
		}
		if err != nil {
			return nil, http.StatusInternalServerError, "InternalFailure", err.Error()
		}
		x, err := c.Of(ctx, e)
		if err != nil {
			return nil, http.StatusInternalServerError, "InternalFailure", err.Error()
		}
		return &Report{Prices: c.Prices, Execution: x, StateMachines: []Total{}, Accounts: []Total{}}, 0, "", ""
	}
	if smArn != "" {
		if all != "" {
			return nil, http.StatusBadRequest, "ValidationException", "stateMachineArn and allAccounts do not go together"
		}
		a, err := arn.ParseStates(smArn)
		if err != nil || a.Type != "stateMachine" || a.Qualifier != "" {
			return nil, http.StatusBadRequest, "InvalidArn", "Invalid Arn: '" + smArn + "'"
		}
		sm, err := c.Store.GetStateMachine(ctx, smArn)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !owned(p, sm.Arn)) {
			return nil, http.StatusBadRequest, "StateMachineDoesNotExist", "State Machine Does Not Exist: '" + smArn + "'"
		}
		if err != nil {
			return nil, http.StatusInternalServerError, "InternalFailure", err.Error()
		}
		q.StateMachines = []*store.StateMachine{sm}
	} else {
		prefix := ""
		if all != "true" {
			prefix = arn.StatesPrefix(cmp.Or(p.Region, region), p.Account)
		}
		token := ""
		for {
			page, next, err := c.Store.ListStateMachines(ctx, store.ListParams{Limit: 1000, Token: token, ArnPrefix: prefix})
			if err != nil {
				return nil, http.StatusInternalServerError, "InternalFailure", err.Error()
			}
			q.StateMachines = append(q.StateMachines, page...)
			if next == "" {
				break
			}
			token = next
		}
	}
	rep, err := c.Sum(ctx, q)
	if err != nil {
		return nil, http.StatusInternalServerError, "InternalFailure", err.Error()
	}
	if smArn == "" && strings.TrimSpace(all) != "true" && len(rep.Accounts) == 0 {
		rep.Accounts = append(rep.Accounts, Total{Account: p.Account})
	}
	return rep, 0, "", ""
}
