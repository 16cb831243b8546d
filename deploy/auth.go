package deploy

import (
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
	if errors.Is(err, auth.ErrBodyTooLarge) {
		reply(w, http.StatusRequestEntityTooLarge, map[string]any{"message": "the deployment is larger than the server's limit", "code": "RequestTooLarge"})
		return
	}
	e, ok := err.(*sigv4.Error)
	if !ok {
		reply(w, http.StatusInternalServerError, map[string]any{"message": "internal error"})
		return
	}
	w.Header().Set("X-Amzn-ErrorType", e.Name)
	reply(w, e.Status(sigv4.RESTJSON), map[string]any{"message": e.MessageFor(sigv4.RESTJSON), "code": e.Name})
}
