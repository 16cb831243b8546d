package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/httpjson"
	"github.com/statecraft/statecraft/sigv4"
)

// ownDoor is one of Statecraft's own read-only doors beside the AWS APIs
// (the cluster's view, cost reports): GET requests signed with SigV4 for
// service, answered in JSON, refused with httpjson.Error. The server
// mounts it (mount), the commands read it (get).
type ownDoor struct {
	path    string // on the server
	service string // in the SigV4 credential scope
	action  string // the role must allow it
	reads   string // what a read fetches, for messages: "the cluster"
	serves  string // what the door serves, for messages: "the cluster view"
}

// mount mounts the door on mux with h behind it and returns it, for the
// console to read in process: SigV4, then the role check of d.action; a
// request already carrying a principal (the console's, for its session)
// skips the signature, not the check. why, if not nil, adds to a refusal
// by role. A request has no body: any is refused before its signature is
// checked. Any method reaches h, which refuses all but GET in JSON where
// the mux's own refusal would be text.
func (d ownDoor) mount(mux *http.ServeMux, keys *auth.Keyring, h http.Handler, why func(*auth.Principal) string) http.Handler {
	authorized := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			httpjson.WriteError(w, http.StatusUnauthorized, sigv4.MissingAuthenticationToken, "Missing Authentication Token")
			return
		}
		if !p.Role.Allows(d.action) {
			msg := p.DeniedMessage(d.action, "")
			if why != nil {
				msg += why(p)
			}
			httpjson.WriteError(w, http.StatusForbidden, "AccessDeniedException", msg)
			return
		}
		h.ServeHTTP(w, r)
	})
	a := &auth.Authenticator{Keyring: keys, Service: d.service}
	door := a.Middleware(0, d.authError, authorized)
	mux.Handle(d.path, door)
	return door
}

// authError answers a request that failed authentication as the deploy
// door does (the status AWS's REST protocols use).
func (d ownDoor) authError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, auth.ErrBodyTooLarge) {
		httpjson.WriteError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "GET "+d.path+" takes no body")
		return
	}
	var e *sigv4.Error
	if !errors.As(err, &e) {
		httpjson.WriteError(w, http.StatusInternalServerError, "InternalFailure", "authentication failed")
		return
	}
	w.Header().Set("X-Amzn-ErrorType", e.Name)
	httpjson.WriteError(w, e.Status(sigv4.RESTJSON), e.Name, e.MessageFor(sigv4.RESTJSON))
}

// get reads the door of the server at endpoint with query q, signed with
// creds for region, and returns the body of its 200 answer (at most limit
// bytes). Its errors are the command's, naming the server.
func (d ownDoor) get(ctx context.Context, endpoint, region string, creds aws.Credentials, q url.Values, limit int64) ([]byte, error) {
	u := strings.TrimSuffix(endpoint, "/") + d.path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(empty[:]), d.service, region, time.Now()); err != nil {
		return nil, fmt.Errorf("signing the request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading %s from %s: %w", d.reads, endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("reading %s from %s: %w", d.reads, endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e httpjson.Error
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			return nil, fmt.Errorf("reading %s from %s: %s: %s: %s", d.reads, endpoint, resp.Status, e.Type, e.Message)
		}
		// Not this door: an older server, or not a Statecraft one.
		return nil, fmt.Errorf("reading %s from %s: %s (is it a Statecraft server with %s?)", d.reads, endpoint, resp.Status, d.serves)
	}
	return body, nil
}
