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
)

// serveEvents is the live stream of one execution, as server-sent events:
//
//	event: execution   data: the DescribeExecution response, first and on every change of status
//	event: history     id: the event id, data: one history event as GetExecutionHistory returns it
//	event: end         data: {} once the execution has ended and its whole history was sent
//	event: error       data: the API's error ({"__type", "message"}), then the stream ends
//
// A client that reconnects with Last-Event-ID (EventSource does so by
// itself), or asks with ?after=N, gets the events after that id only.
// Everything comes from the public API called in process, with the
// request's own headers, so the stream shows only what
// GetExecutionHistory and DescribeExecution show.
func (c *Console) serveEvents(w http.ResponseWriter, r *http.Request) {
	arn := r.URL.Query().Get("executionArn")
	if arn == "" {
		http.Error(w, "executionArn is required", http.StatusBadRequest)
		return
	}
	after := int64(0)
	for _, s := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			http.Error(w, "Last-Event-ID and after must be event ids", http.StatusBadRequest)
			return
		}
		after = max(after, n)
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(c.ctx, cancel)
	defer stop()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 1000\n\n")
	flusher.Flush()

	auth := r.Header.Get("Authorization")
	status := ""
	ticker := time.NewTicker(c.opts.Poll)
	defer ticker.Stop()
	idle := time.Now()
	for {
		desc, aerr := c.call(ctx, auth, "DescribeExecution", map[string]any{"executionArn": arn})
		if ctx.Err() != nil {
			return
		}
		if aerr != nil {
			writeEvent(w, "error", "", aerr)
			flusher.Flush()
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
		events, aerr := c.newEvents(ctx, auth, arn, after)
		if ctx.Err() != nil {
			return
		}
		if aerr != nil {
			writeEvent(w, "error", "", aerr)
			flusher.Flush()
			return
		}
		for _, ev := range events {
			writeEvent(w, "history", strconv.FormatInt(ev.id, 10), ev.body)
			after = ev.id
			idle = time.Now()
		}
		if status != "RUNNING" && status != "" {
			writeEvent(w, "end", "", json.RawMessage(`{}`))
			flusher.Flush()
			return
		}
		if time.Since(idle) >= c.opts.Heartbeat {
			fmt.Fprint(w, ": keep-alive\n\n")
			idle = time.Now()
		}
		flusher.Flush()
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

type historyEvent struct {
	id   int64
	body json.RawMessage
}

// newEvents returns the events with ids above after, oldest first. It
// pages the history newest first and stops at the first event already
// sent, so a poll costs one small request when nothing happened.
func (c *Console) newEvents(ctx context.Context, auth, arn string, after int64) ([]historyEvent, json.RawMessage) {
	var out []historyEvent
	token := ""
	for {
		in := map[string]any{"executionArn": arn, "reverseOrder": true, "maxResults": 100}
		if token != "" {
			in["nextToken"] = token
		}
		body, aerr := c.call(ctx, auth, "GetExecutionHistory", in)
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

// call runs one operation of the public API in process and returns its
// JSON response, or the error body the API answered with.
func (c *Console) call(ctx context.Context, auth, op string, in any) (json.RawMessage, json.RawMessage) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, errorBody(err.Error())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", bytes.NewReader(b))
	if err != nil {
		return nil, errorBody(err.Error())
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	c.api.ServeHTTP(rec, req)
	if rec.status != http.StatusOK {
		if json.Valid(rec.body.Bytes()) {
			return nil, rec.body.Bytes()
		}
		return nil, errorBody(fmt.Sprintf("%s answered status %d", op, rec.status))
	}
	return rec.body.Bytes(), nil
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

// recorder is the response writer for in-process API calls.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
