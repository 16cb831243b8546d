package metrics

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// RequireToken serves next only to requests with "Authorization: Bearer
// token", or that allow accepts (a console session); "" as the token
// accepts none by bearer. Metrics name activities, state machines and
// rates: not for anyone who can reach the port.
func RequireToken(token string, allow func(*http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && token != "" &&
			subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1 {
			next.ServeHTTP(w, r)
			return
		}
		if allow != nil && allow(r) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="statecraft metrics"`)
		http.Error(w, "GET /metrics needs Authorization: Bearer <token> (the server's --metrics-token), "+
			"or serve metrics without a token on a private address with --metrics-listen", http.StatusUnauthorized)
	})
}
