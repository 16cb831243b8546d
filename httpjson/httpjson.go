// Package httpjson writes JSON answers to HTTP requests, the way every
// Statecraft door answers: the whole body encoded before the status is
// written, so that a value that cannot be encoded answers nothing rather
// than half a body, with its Content-Type and Content-Length, and HTML
// characters left as they are (AWS does not escape them, and payloads
// read back byte for byte as they were sent).
package httpjson

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// Options say how an answer is written.
type Options struct {
	// ContentType is the answer's media type; "" means application/json.
	ContentType string
	// Indent indents the JSON by two spaces, for answers people read.
	Indent bool
}

// Write answers with status and v encoded as JSON, followed by a newline.
// It returns an error only when v cannot be encoded, and then it has
// written nothing; a write that fails means that the client has gone,
// which the handler can do nothing about.
func Write(w http.ResponseWriter, status int, v any, o Options) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if o.Indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return err
	}
	ct := o.ContentType
	if ct == "" {
		ct = "application/json"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// Error is the body of a refusal from one of Statecraft's own doors (the
// cluster's view, cost reports), shaped as the Step Functions API's
// errors are so that one client reads both.
type Error struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// WriteError answers with status and an Error; refusals are never cached.
func WriteError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	_ = Write(w, status, Error{Type: typ, Message: msg}, Options{})
}
