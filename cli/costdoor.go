package cli

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/cost"
	"github.com/statecraft/statecraft/sigv4"
)

// mountCost mounts the server's door to cost reports at cost.Path on mux
// and returns it, for the console to read in process, as mountCluster
// does the cluster's view: SigV4 for cost.SigningName, then the role
// check of cost.Action (a request already carrying a principal, the
// console's, skips the signature, not the check).
func mountCost(mux *http.ServeMux, c *cost.Calculator, region string, keys *auth.Keyring, log *slog.Logger) http.Handler {
	report := cost.Handler(c, region, log)
	authorized := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			cost.WriteError(w, http.StatusUnauthorized, sigv4.MissingAuthenticationToken, "Missing Authentication Token")
			return
		}
		if !p.Role.Allows(cost.Action) {
			cost.WriteError(w, http.StatusForbidden, "AccessDeniedException", p.DeniedMessage(cost.Action, ""))
			return
		}
		report.ServeHTTP(w, r)
	})
	a := &auth.Authenticator{Keyring: keys, Service: cost.SigningName}
	door := a.Middleware(0, costAuthError, authorized)
	mux.Handle(cost.Path, door)
	return door
}

// costAuthError answers a request for a report that failed
// authentication, as clusterAuthError does.
func costAuthError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, auth.ErrBodyTooLarge) {
		cost.WriteError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "GET "+cost.Path+" takes no body")
		return
	}
	var e *sigv4.Error
	if !errors.As(err, &e) {
		cost.WriteError(w, http.StatusInternalServerError, "InternalFailure", "authentication failed")
		return
	}
	w.Header().Set("X-Amzn-ErrorType", e.Name)
	cost.WriteError(w, e.Status(sigv4.RESTJSON), e.Name, e.MessageFor(sigv4.RESTJSON))
}
