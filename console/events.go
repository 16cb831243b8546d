package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/statecraft/statecraft/auth"
)

// serveEvents is the live stream of one execution, as server-sent events:
//
//	event: execution   data: the DescribeExecution response, first and on every change of status
//	event: history     id: the event id, data: one history event as GetExecutionHistory returns it
//	event: end         data: {} once the execution has ended and its whole history was sent
//	event: error       data: the API's error ({"__type", "message"}), then the stream ends;
//	                   {"__type": "SessionExpired"} when the session ends meanwhile
//
// A client that reconnects with Last-Event-ID (EventSource does so by
// itself), or asks with ?after=N, gets the events after that id only.
// Everything comes from the public API called in process as the session's
// principal, so the stream shows only what GetExecutionHistory and
// DescribeExecution show that principal: another account's execution does
// not exist. The stream ends when the session ends, and when the console
// is closed.
func (c *Console) serveEvents(w http.ResponseWriter, r *http.Request) {
	sess, ok := c.guard(w, r, http.MethodGet, false)
	if !ok {
		return
	}
	p := sess.principal
	arn := r.URL.Query().Get("executionArn")
	if arn == "" {
		writeError(w, http.StatusBadRequest, "ValidationException", "executionArn is required")
		return
	}
	after := int64(0)
	for _, s := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "ValidationException", "Last-Event-ID and after must be event ids")
			return
		}
		after = max(after, n)
	}
	rc := http.NewResponseController(w)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stopOnClose := context.AfterFunc(c.ctx, cancel)
	defer stopOnClose()
	stopOnSignOut := context.AfterFunc(sess.ctx, cancel)
	defer stopOnSignOut()
	// The server's read and write timeouts would cut the stream off; it
	// has its own bound instead: each write must go out within it (a
	// client that stops reading is dropped), and the session's end ends
	// the stream.
	bound := 2*c.opts.Heartbeat + 30*time.Second
	extend := func() {
		at := time.Now().Add(bound)
		_ = rc.SetReadDeadline(at)
		_ = rc.SetWriteDeadline(at)
	}
	extend()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 1000\n\n")
	if rc.Flush() != nil {
		return
	}
	// stop ends the stream, telling the page when it was the session
	// that ended (and not the page or the server going away).
	stop := func() {
		if sess.ctx.Err() != nil && r.Context().Err() == nil && c.ctx.Err() == nil {
			writeEvent(w, "error", "", json.RawMessage(`{"__type":"SessionExpired","message":"The console session has ended: sign in again"}`))
			_ = rc.Flush()
		}
	}

	status := ""
	ticker := time.NewTicker(c.opts.Poll)
	defer ticker.Stop()
	idle := time.Now()
	for {
		if !c.sessions.touch(sess) {
			stop()
			return
		}
		desc, aerr := c.call(ctx, p, "DescribeExecution", map[string]any{"executionArn": arn})
		if ctx.Err() != nil {
			stop()
			return
		}
		if aerr != nil {
			writeEvent(w, "error", "", aerr)
			_ = rc.Flush()
			return
		}
		var d struct {
			Status string `json:"status"`
		}
		_ = json.Unmarshal(desc, &d)
		if d.Status != status {
			status = d.Status
			writeEvent(w, "execution", "", desc)
			idle = time.Now()
		}
		// Read after DescribeExecution: when that said the execution has
		// ended, this read holds its last event.
		events, aerr := c.newEvents(ctx, p, arn, after)
		if ctx.Err() != nil {
			stop()
			return
		}
		if aerr != nil {
			writeEvent(w, "error", "", aerr)
			_ = rc.Flush()
			return
		}
		for _, ev := range events {
			writeEvent(w, "history", strconv.FormatInt(ev.id, 10), ev.body)
			after = ev.id
			idle = time.Now()
		}
		if status != "RUNNING" && status != "" {
			writeEvent(w, "end", "", json.RawMessage(`{}`))
			_ = rc.Flush()
			return
		}
		if time.Since(idle) >= c.opts.Heartbeat {
			fmt.Fprint(w, ": keep-alive\n\n")
			idle = time.Now()
		}
		if rc.Flush() != nil {
			return // the client is gone, or stopped reading
		}
		select {
		case <-ctx.Done():
			stop()
			return
		case <-ticker.C:
		}
		extend()
	}
}

type historyEvent struct {
	id   int64
	body json.RawMessage
}

// newEvents returns the events with ids above after, oldest first. It
// pages the history newest first and stops at the first event already
// sent, so a poll costs one small request when nothing happened.
func (c *Console) newEvents(ctx context.Context, p *auth.Principal, arn string, after int64) ([]historyEvent, json.RawMessage) {
	var out []historyEvent
	token := ""
	for {
		in := map[string]any{"executionArn": arn, "reverseOrder": true, "maxResults": 100}
		if token != "" {
			in["nextToken"] = token
		}
		body, aerr := c.call(ctx, p, "GetExecutionHistory", in)
		if aerr != nil {
			return nil, aerr
		}
		var page struct {
			Events    []json.RawMessage `json:"events"`
			NextToken string            `json:"nextToken"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, errorBody("console: reading GetExecutionHistory: " + err.Error())
		}
		for _, raw := range page.Events {
			var id struct {
				ID int64 `json:"id"`
			}
			if err := json.Unmarshal(raw, &id); err != nil {
				return nil, errorBody("console: reading a history event: " + err.Error())
			}
			if id.ID <= after {
				slices.Reverse(out)
				return out, nil
			}
			out = append(out, historyEvent{id: id.ID, body: raw})
		}
		if page.NextToken == "" {
			slices.Reverse(out)
			return out, nil
		}
		token = page.NextToken
	}
}

func errorBody(msg string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"__type": "InternalFailure", "message": msg})
	return b
}

func writeEvent(w http.ResponseWriter, name, id string, data json.RawMessage) {
	var buf bytes.Buffer
	buf.WriteString("event: ")
	buf.WriteString(name)
	buf.WriteByte('\n')
	if id != "" {
		buf.WriteString("id: ")
		buf.WriteString(id)
		buf.WriteByte('\n')
	}
	// Compact JSON has no newlines, so the event is one data line.
	var compact bytes.Buffer
	if json.Compact(&compact, data) != nil {
		compact.Reset()
		compact.WriteString(`{}`)
	}
	buf.WriteString("data: ")
	buf.Write(compact.Bytes())
	buf.WriteString("\n\n")
	_, _ = w.Write(buf.Bytes())
}
