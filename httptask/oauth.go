package httptask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/statecraft/statecraft/jsonv"
)

// refreshBefore: like EventBridge, a token is fetched again when it is
// within this long of expiring.
const refreshBefore = 60 * time.Second

// now is the clock for token expiry; a var so tests can move it.
var now = time.Now

// tokenEntry caches one connection's OAuth token. lock (capacity 1) is held
// while the token is fetched, so concurrent tasks share one fetch and a
// waiter can give up when its context ends.
type tokenEntry struct {
	lock        chan struct{}
	fingerprint string // the OAuth parameters the token was fetched with
	token       string
	expires     time.Time // zero: no expiry given
}

// token returns a valid access token for conn, fetching one when none is
// cached, the cached one is close to expiry, or the connection's OAuth
// parameters changed.
func (i *Invoker) token(ctx context.Context, conn *Connection) (string, error) {
	e := i.entry(conn.Arn)
	select {
	case e.lock <- struct{}{}:
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
	defer func() { <-e.lock }()

	fp := fingerprint(conn.OAuth)
	if e.token != "" && e.fingerprint == fp && (e.expires.IsZero() || now().Add(refreshBefore).Before(e.expires)) {
		return e.token, nil
	}
	token, expires, err := fetchToken(ctx, i.client(), conn.OAuth)
	if err != nil {
		e.token = ""
		return "", err
	}
	e.token, e.expires, e.fingerprint = token, expires, fp
	return token, nil
}

// dropToken forgets conn's token after the endpoint refused it (401 or 407),
// unless another task already replaced it.
func (i *Invoker) dropToken(conn *Connection, token string) {
	e := i.entry(conn.Arn)
	select {
	case e.lock <- struct{}{}:
	default:
		return // a fetch is under way; it replaces the token anyway
	}
	if e.token == token {
		e.token = ""
	}
	<-e.lock
}

func (i *Invoker) entry(arn string) *tokenEntry {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.tokens == nil {
		i.tokens = map[string]*tokenEntry{}
	}
	e := i.tokens[arn]
	if e == nil {
		e = &tokenEntry{lock: make(chan struct{}, 1)}
		i.tokens[arn] = e
	}
	return e
}

func fingerprint(o *OAuthAuth) string {
	strs := func(m map[string]string) map[string]any {
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return jsonv.String(map[string]any{
		"u": o.TokenURL, "i": o.ClientID, "s": o.ClientSecret, "m": o.HTTPMethod, "c": o.Scope,
		"b": strs(o.BodyParameters), "h": strs(o.HeaderParameters), "q": strs(o.QueryParameters),
	})
}

// fetchToken runs the client-credentials grant against o.TokenURL.
func fetchToken(ctx context.Context, client *http.Client, o *OAuthAuth) (string, time.Time, error) {
	method := strings.ToUpper(o.HTTPMethod)
	if method == "" {
		method = http.MethodPost
	}
	u, err := url.Parse(o.TokenURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", time.Time{}, fmt.Errorf("the authorization endpoint %q is not an HTTP(S) URL", o.TokenURL)
	}

	form := make([]string, 0, len(o.BodyParameters)+4)
	for _, k := range sortedKeys(o.BodyParameters) {
		form = append(form, escape(k)+"="+escape(o.BodyParameters[k]))
	}
	if _, ok := o.BodyParameters["grant_type"]; !ok {
		form = append(form, "grant_type=client_credentials")
	}
	if _, ok := o.BodyParameters["scope"]; !ok && o.Scope != "" {
		form = append(form, "scope="+escape(o.Scope))
	}
	form = append(form, "client_id="+escape(o.ClientID), "client_secret="+escape(o.ClientSecret))

	query := make([]string, 0, len(o.QueryParameters))
	for _, k := range sortedKeys(o.QueryParameters) {
		query = append(query, escape(k)+"="+escape(o.QueryParameters[k]))
	}
	var body io.Reader
	if method == http.MethodGet {
		query = append(query, form...)
	} else {
		body = strings.NewReader(strings.Join(form, "&"))
	}
	if len(query) > 0 {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += strings.Join(query, "&")
	}

	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return "", time.Time{}, err
	}
	for _, k := range sortedKeys(o.HeaderParameters) {
		req.Header.Set(k, o.HeaderParameters[k])
	}
	if body != nil {
		req.Header.Set("Content-Type", formContentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry the client secret (GET)
		}
		return "", time.Time{}, fmt.Errorf("the authorization endpoint could not be reached: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reading the authorization endpoint's response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", time.Time{}, fmt.Errorf("the authorization endpoint answered %s", resp.Status)
	}
	var tok struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(data, &tok); err != nil || tok.AccessToken == "" {
		return "", time.Time{}, errors.New("the authorization endpoint's response has no access_token")
	}
	var expires time.Time
	if secs, ok := expiresIn(tok.ExpiresIn); ok {
		expires = now().Add(time.Duration(secs * float64(time.Second)))
	}
	return tok.AccessToken, expires, nil
}

// expiresIn reads expires_in, a number or a numeric string.
func expiresIn(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f, true
	}
	return 0, false
}
