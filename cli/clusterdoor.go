package cli

import (
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/clusterview"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/sigv4"
	"github.com/statecraft/statecraft/store"
)

// mountCluster mounts the server's door to the cluster's view at
// clusterview.Path on mux and returns it, for the console to read in
// process. The door checks SigV4 for clusterview.SigningName, then that
// the principal's role allows clusterview.Action; a request already
// carrying a principal (the console's, for its session) skips the
// signature, not the role check. address is where this server listens,
// node its ID among the nodes ("" on SQLite, where the view calls the one
// server by its host's name).
func mountCluster(mux *http.ServeMux, st store.Store, o ServerOptions, keys *auth.Keyring, address, node string, log *slog.Logger) http.Handler {
	c, _ := st.(store.Cluster) // nil for SQLite: the view is this server alone
	id := node
	if id == "" {
		var err error
		if id, err = os.Hostname(); err != nil || id == "" {
			id = "this-server"
		}
	}
	lease := time.Duration(o.ShardLease)
	if lease == 0 {
		lease = engine.DefaultShardLease
	}
	view := clusterview.Handler(c, clusterview.Options{
		Self:  clusterview.Self{ID: id, Address: address, StartedAt: time.Now().UTC()},
		Lease: lease,
		Log:   log,
	})
	authorized := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			clusterview.WriteError(w, http.StatusUnauthorized, sigv4.MissingAuthenticationToken, "Missing Authentication Token")
			return
		}
		if !p.Role.Allows(clusterview.Action) {
			clusterview.WriteError(w, http.StatusForbidden, "AccessDeniedException", p.DeniedMessage(clusterview.Action, "")+
				" (the cluster's view, the nodes of the whole service whatever their accounts, needs the admin role; this key's is "+string(p.Role)+")")
			return
		}
		view.ServeHTTP(w, r)
	})
	// A request for the view has no body: any is refused before its
	// signature is checked.
	a := &auth.Authenticator{Keyring: keys, Service: clusterview.SigningName}
	door := a.Middleware(0, clusterAuthError, authorized)
	// Any method: the view answers all but GET with a JSON refusal, where
	// the mux's own would be text.
	mux.Handle(clusterview.Path, door)
	return door
}

// clusterAuthError answers a request for the cluster's view that failed
// authentication, as the deploy door does (the status AWS's REST
// protocols use), in the view's error shape.
func clusterAuthError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, auth.ErrBodyTooLarge) {
		clusterview.WriteError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "GET "+clusterview.Path+" takes no body")
		return
	}
	var e *sigv4.Error
	if !errors.As(err, &e) {
		clusterview.WriteError(w, http.StatusInternalServerError, "InternalFailure", "authentication failed")
		return
	}
	w.Header().Set("X-Amzn-ErrorType", e.Name)
	clusterview.WriteError(w, e.Status(sigv4.RESTJSON), e.Name, e.MessageFor(sigv4.RESTJSON))
}
