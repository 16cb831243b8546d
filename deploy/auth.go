package deploy

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/sigv4"
)

// SigningName is the service name in the SigV4 credential scope of a
// deploy request.
const SigningName = "statecraft"

// MaxBody bounds a deploy request: 50 MB of code archives, base64-encoded
// in JSON, and the definitions beside them.
const MaxBody = 72 << 20

// AuthError answers a deploy request that failed authentication: the
// status AWS's REST protocols use (403) and the error's name.
func AuthError(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Content-Type", "application/json")
	if errors.Is(err, auth.ErrBodyTooLarge) {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_ = json.NewEncoder(w).Encode(map[string]any{"message": "the deployment is larger than the server's limit", "code": "RequestTooLarge"})
		return
	}
	e, ok := err.(*sigv4.Error)
	if !ok {
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]any{"message": "internal error"})
		return
	}
	w.Header().Set("X-Amzn-ErrorType", e.Name)
	w.WriteHeader(e.Status(sigv4.RESTJSON))
	_ = json.NewEncoder(w).Encode(map[string]any{"message": e.MessageFor(sigv4.RESTJSON), "code": e.Name})
}
