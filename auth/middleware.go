package auth

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/statecraft/statecraft/sigv4"
)

// ErrorWriter answers a request whose authentication failed: err is a
// *sigv4.Error, or ErrBodyTooLarge.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// ErrBodyTooLarge is a body over the door's limit, refused before its
// signature could be checked.
var ErrBodyTooLarge = errors.New("auth: request body too large")

// Middleware authenticates every request to next with SigV4: the body
// (at most maxBody bytes) is read and verified, then handed on intact
// with the principal in the request's context. A request that already
// carries a principal (an in-process caller) is passed through.
func (a *Authenticator) Middleware(maxBody int64, fail ErrorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := PrincipalFrom(r.Context()); ok {
			next.ServeHTTP(w, r)
			return
		}
		if err := a.Precheck(r); err != nil {
			fail(w, r, err)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				fail(w, r, ErrBodyTooLarge)
				return
			}
			fail(w, r, &sigv4.Error{Name: sigv4.IncompleteSignature, Message: "The request body could not be read: " + err.Error()})
			return
		}
		p, err := a.Authenticate(r, body)
		if err != nil {
			fail(w, r, err)
			return
		}
		r2 := r.WithContext(WithPrincipal(r.Context(), p))
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
		next.ServeHTTP(w, r2)
	})
}
