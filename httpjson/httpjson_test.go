package httpjson_test

import (
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/statecraft/statecraft/httpjson"
	"github.com/statecraft/statecraft/inproc"
)

func TestWrite(t *testing.T) {
	for _, c := range []struct {
		name   string
		v      any
		o      httpjson.Options
		status int
		ctype  string
		body   string
	}{
		{"compact", map[string]string{"a": "<b>&"}, httpjson.Options{}, 201, "application/json", "{\"a\":\"<b>&\"}\n"},
		{"typed", []int{1, 2}, httpjson.Options{ContentType: "application/x-amz-json-1.0"}, 400, "application/x-amz-json-1.0", "[1,2]\n"},
		{"indented", map[string]int{"n": 1}, httpjson.Options{Indent: true}, 200, "application/json", "{\n  \"n\": 1\n}\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := serve(t, func(w http.ResponseWriter) error { return httpjson.Write(w, c.status, c.v, c.o) })
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != c.ctype || string(b) != c.body ||
				resp.Header.Get("Content-Length") != strconv.Itoa(len(c.body)) {
				t.Fatalf("got %d %v %q", resp.StatusCode, resp.Header, b)
			}
		})
	}
}

// A value that cannot be encoded writes nothing: the caller still
// chooses the answer.
func TestWriteUnencodable(t *testing.T) {
	var err error
	resp := serve(t, func(w http.ResponseWriter) error {
		err = httpjson.Write(w, http.StatusOK, map[string]any{"f": func() {}}, httpjson.Options{})
		if err == nil {
			return nil
		}
		w.WriteHeader(http.StatusInternalServerError)
		return nil
	})
	if err == nil || resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Content-Type") != "" {
		t.Fatalf("got %v, %d %v", err, resp.StatusCode, resp.Header)
	}
}

func serve(t *testing.T, write func(http.ResponseWriter) error) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	resp, err := inproc.Do(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if err := write(w); err != nil {
			t.Error(err)
		}
	}), req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
