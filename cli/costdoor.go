package cli

import (
	"log/slog"
	"net/http"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/cost"
)

// mountCost mounts the server's door to cost reports at cost.Path on mux
// and returns it, for the console to read in process, as mountCluster
// does the cluster's view: SigV4 for cost.SigningName, then the role
// check of cost.Action (a request already carrying a principal, the
// console's, skips the signature, not the check).
func mountCost(mux *http.ServeMux, c *cost.Calculator, region string, keys *auth.Keyring, log *slog.Logger) http.Handler {
	report := cost.Handler(c, region, log)
	return costDoor.mount(mux, keys, report, nil)
}

// costDoor is the door to cost reports.
var costDoor = ownDoor{path: cost.Path, service: cost.SigningName, action: cost.Action,
	reads: "the cost", serves: "cost reports"}
