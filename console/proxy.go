package console

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/clusterview"
	"github.com/statecraft/statecraft/cost"
	"github.com/statecraft/statecraft/inproc"
)

// serveAPI is the page's door to the Step Functions API: the request the
// AWS SDKs would send to / (body and X-Amz-Target), served in process as
// the session's principal, so that the API's role and account rules
// decide, exactly as for a signed request.
func (c *Console) serveAPI(w http.ResponseWriter, r *http.Request) {
	sess, ok := c.guard(w, r, http.MethodPost, true)
	if !ok {
		return
	}
	if !jsonBody(r, "application/x-amz-json-1.0", "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "POST /console/api takes Content-Type: application/x-amz-json-1.0")
		return
	}
	req, err := http.NewRequestWithContext(auth.WithPrincipal(r.Context(), sess.principal), http.MethodPost, "/", r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "ValidationException", err.Error())
		return
	}
	// Only what the API reads of an SDK's request goes on: no cookie, no
	// CSRF token, no Authorization.
	req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	req.Header.Set("X-Amz-Target", r.Header.Get("X-Amz-Target"))
	req.ContentLength = r.ContentLength
	req.RemoteAddr = r.RemoteAddr
	req.Host = r.Host
	w.Header().Set("Cache-Control", "no-store")
	// The API writes its answer, errors included, as it would to an SDK.
	c.api.ServeHTTP(w, req)
}

// consoleMetrics are the metrics the Activities page shows.
var consoleMetrics = []string{"statecraft_activity_tasks_queued", "statecraft_activity_pollers_waiting"}

// serveMetrics serves the activity gauges of the server's Prometheus
// endpoint for the session's account and region only: the series of
// other accounts' activities, and the server-wide counters, are not the
// session's to see.
func (c *Console) serveMetrics(w http.ResponseWriter, r *http.Request) {
	sess, ok := c.guard(w, r, http.MethodGet, false)
	if !ok {
		return
	}
	p := sess.principal
	if c.opts.Metrics == nil {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "This server has no metrics")
		return
	}
	if action := "states:ListActivities"; !p.Role.Allows(action) {
		writeError(w, http.StatusForbidden, "AccessDeniedException", p.DeniedMessage(action, ""))
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "/metrics", nil)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
		return
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := inproc.Do(c.opts.Metrics, req)
	if err != nil || resp.StatusCode != http.StatusOK {
		if err != nil {
			c.log.Error("console: reading the metrics", "err", err)
		}
		writeError(w, http.StatusBadGateway, "InternalFailure", "The metrics could not be read")
		return
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		c.log.Warn("console: reading the metrics", "err", err)
		writeError(w, http.StatusBadGateway, "InternalFailure", "The metrics could not be read")
		return
	}
	prefix := arn.StatesPrefix(p.Region, p.Account) + "activity:"
	var out bytes.Buffer
	for _, name := range consoleMetrics {
		mf, ok := families[name]
		if !ok {
			continue
		}
		kept := mf.Metric[:0]
		for _, m := range mf.Metric {
			for _, l := range m.GetLabel() {
				if l.GetName() == "activity" && strings.HasPrefix(l.GetValue(), prefix) {
					kept = append(kept, m)
					break
				}
			}
		}
		if len(kept) == 0 {
			continue // the text format has no empty families
		}
		mf.Metric = kept
		if _, err := expfmt.MetricFamilyToText(&out, mf); err != nil {
			writeError(w, http.StatusInternalServerError, "InternalFailure", "Writing the metrics failed")
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(out.Bytes())
}

// serveCluster serves the cluster's view through the session: the
// server's door to it, called in process as the session's principal, so
// that a role the door refuses is refused here alike. Nothing of the
// page's request but its session goes on.
func (c *Console) serveCluster(w http.ResponseWriter, r *http.Request) {
	sess, ok := c.guard(w, r, http.MethodGet, false)
	if !ok {
		return
	}
	if c.opts.Cluster == nil {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "This server has no cluster view")
		return
	}
	req, err := http.NewRequestWithContext(auth.WithPrincipal(r.Context(), sess.principal), http.MethodGet, clusterview.Path, nil)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
		return
	}
	req.RemoteAddr = r.RemoteAddr
	req.Host = r.Host
	w.Header().Set("Cache-Control", "no-store")
	c.opts.Cluster.ServeHTTP(w, req)
}

// serveCost serves a cost report through the session, as serveCluster
// does the cluster's view; the query is passed on.
func (c *Console) serveCost(w http.ResponseWriter, r *http.Request) {
	sess, ok := c.guard(w, r, http.MethodGet, false)
	if !ok {
		return
	}
	if c.opts.Cost == nil {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "This server has no cost reports")
		return
	}
	req, err := http.NewRequestWithContext(auth.WithPrincipal(r.Context(), sess.principal), http.MethodGet, cost.Path+"?"+r.URL.RawQuery, nil)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
		return
	}
	req.RemoteAddr = r.RemoteAddr
	req.Host = r.Host
	w.Header().Set("Cache-Control", "no-store")
	c.opts.Cost.ServeHTTP(w, req)
}

// call runs one operation of the public API in process as p and returns
// its JSON response, or the error body the API answered with.
func (c *Console) call(ctx context.Context, p *auth.Principal, op string, in any) ([]byte, []byte) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, errorBody(err.Error())
	}
	req, err := http.NewRequestWithContext(auth.WithPrincipal(ctx, p), http.MethodPost, "/", bytes.NewReader(b))
	if err != nil {
		return nil, errorBody(err.Error())
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	resp, err := inproc.Do(c.api, req)
	if err != nil {
		c.log.Error("console: calling the API", "op", op, "err", err)
		return nil, errorBody(op + " failed")
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, errorBody(err.Error())
	}
	if resp.StatusCode != http.StatusOK {
		if json.Valid(body) {
			return nil, body
		}
		return nil, errorBody(op + " answered status " + http.StatusText(resp.StatusCode))
	}
	return body, nil
}

// guard lets a request through to a session's door: the method the door
// serves, from the console's own origin, with a live session, and for a
// state-changing door (csrf) the session's CSRF token. It has answered
// the request when it returns false.
func (c *Console) guard(w http.ResponseWriter, r *http.Request, method string, csrf bool) (*session, bool) {
	if r.Method != method {
		methodNotAllowed(w, method)
		return nil, false
	}
	if refuseCrossSite(w, r) {
		return nil, false
	}
	sess, ok := c.authenticate(w, r)
	if !ok || csrf && !checkCSRF(w, r, sess) {
		return nil, false
	}
	return sess, true
}
