package cli

import (
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/clusterview"
	"github.com/statecraft/statecraft/engine"
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
	return clusterDoor.mount(mux, keys, view, func(p *auth.Principal) string {
		return " (the cluster's view, the nodes of the whole service whatever their accounts, needs the admin role; this key's is " + string(p.Role) + ")"
	})
}

// clusterDoor is the door to the cluster's view.
var clusterDoor = ownDoor{path: clusterview.Path, service: clusterview.SigningName, action: clusterview.Action,
	reads: "the cluster", serves: "the cluster view"}
