package lambdaapi

import (
	"errors"
	"net/http"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/sigv4"
)

// SigningName is the service name in Lambda's SigV4 credential scopes.
const SigningName = "lambda"

// MaxRequest is Lambda's synchronous invocation payload limit.
const MaxRequest = maxRequest

// AuthError answers a request that failed authentication as Lambda does:
// restJson1, the error's name in X-Amzn-ErrorType, status 403.
func AuthError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, auth.ErrBodyTooLarge) {
		lambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	e, ok := err.(*sigv4.Error)
	if !ok {
		lambdaError(w, http.StatusInternalServerError, "ServiceException", "internal error")
		return
	}
	lambdaError(w, e.Status(sigv4.RESTJSON), e.Name, e.MessageFor(sigv4.RESTJSON))
}

// authorize refuses a principal whose role may not invoke functions, as
// IAM does (AccessDeniedException, 403).
func authorize(w http.ResponseWriter, r *http.Request, resource string) (*auth.Principal, bool) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		lambdaError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return nil, false
	}
	const action = "lambda:InvokeFunction"
	if !p.Role.Allows(action) {
		lambdaError(w, http.StatusForbidden, "AccessDeniedException", p.DeniedMessage(action, resource))
		return nil, false
	}
	return p, true
}
