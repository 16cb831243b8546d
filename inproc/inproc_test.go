package inproc_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/inproc"
)

var operator = &auth.Principal{AccessKeyID: "svc", Account: "111111111111", Role: auth.RoleOperator, Region: "eu-north-1", Via: "internal"}

// The handler gets the request as a server would hand it over, and the
// caller gets what the handler wrote: status, headers (as they were when
// the status was written), body.
func TestRoundTrip(t *testing.T) {
	var got *http.Request
	var gotBody string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Add("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		w.WriteHeader(http.StatusCreated)
		w.Header().Set("X-Late", "too late") // after the status: not sent
		w.WriteHeader(http.StatusTeapot)     // superfluous: ignored
		_, _ = io.WriteString(w, `{"ok":`)
		_, _ = io.WriteString(w, `true}`)
	})
	req, err := http.NewRequest(http.MethodPost, "http://statecraft.internal/v1/x?a=1&b=2", strings.NewReader(`{"in":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListActivities")
	req.Header.Add("X-Many", "a")
	req.Header.Add("X-Many", "b")
	body := &closeTracker{Reader: strings.NewReader(`{"in":1}`)}
	req.Body = body
	resp, err := (&inproc.Transport{Handler: h}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}

	if got.Method != http.MethodPost || got.URL.Path != "/v1/x" || got.URL.RawQuery != "a=1&b=2" || got.URL.Host != "" ||
		got.RequestURI != "/v1/x?a=1&b=2" || got.Host != "statecraft.internal" || got.RemoteAddr != inproc.RemoteAddr {
		t.Errorf("request seen by the handler: %s %s URL=%#v RequestURI=%q Host=%q RemoteAddr=%q", got.Method, got.URL, got.URL, got.RequestURI, got.Host, got.RemoteAddr)
	}
	if got.Header.Get("X-Amz-Target") != "AWSStepFunctions.ListActivities" || !slices.Equal(got.Header.Values("X-Many"), []string{"a", "b"}) {
		t.Errorf("request headers %v", got.Header)
	}
	if gotBody != `{"in":1}` {
		t.Errorf("request body %q", gotBody)
	}
	if !body.closed {
		t.Error("the request body was not closed")
	}
	if _, ok := auth.PrincipalFrom(got.Context()); ok {
		t.Error("a transport without a principal added one")
	}

	if resp.StatusCode != http.StatusCreated || resp.Status != "201 Created" || resp.Request != req {
		t.Errorf("status %d %q, request %p", resp.StatusCode, resp.Status, resp.Request)
	}
	if resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" || !slices.Equal(resp.Header.Values("X-Multi"), []string{"one", "two"}) ||
		resp.Header.Get("X-Late") != "" || resp.Header.Get("Content-Length") != "11" {
		t.Errorf("response headers %v", resp.Header)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != `{"ok":true}` || resp.ContentLength != 11 {
		t.Errorf("response body %q (%d) %v", b, resp.ContentLength, err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Error(err)
	}
}

type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

// A request acts as the principal its context carries, else as the
// transport's.
func TestPrincipal(t *testing.T) {
	var seen *auth.Principal
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = auth.PrincipalFrom(r.Context())
	})
	tr := &inproc.Transport{Handler: h, Principal: operator}
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	if _, err := tr.RoundTrip(req); err != nil || seen != operator {
		t.Fatalf("default principal: %+v %v", seen, err)
	}
	tenant := &auth.Principal{AccessKeyID: "workflowapi:acme", Account: "222222222222", Role: auth.RoleOperator, Via: "tenant"}
	req, _ = http.NewRequestWithContext(auth.WithPrincipal(context.Background(), tenant), http.MethodGet, "/", nil)
	if _, err := tr.RoundTrip(req); err != nil || seen != tenant {
		t.Fatalf("the context's principal: %+v %v", seen, err)
	}
	if _, err := inproc.Do(h, req); err != nil || seen != tenant {
		t.Fatalf("Do: %+v %v", seen, err)
	}
}

// What net/http's server does for a handler that leaves things unsaid,
// the in-process writer does too.
func TestResponseDefaults(t *testing.T) {
	for _, c := range []struct {
		name    string
		h       http.HandlerFunc
		method  string
		status  int
		ctype   string
		body    string
		noWrite bool
	}{
		{name: "nothing written", h: func(http.ResponseWriter, *http.Request) {}, status: 200},
		{name: "sniffed", h: func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "<html><body>hi") }, status: 200, ctype: "text/html; charset=utf-8", body: "<html><body>hi"},
		{name: "informational first", h: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusAccepted)
		}, status: 202},
		{name: "no content has no body", h: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
			if _, err := io.WriteString(w, "x"); !errors.Is(err, http.ErrBodyNotAllowed) {
				panic("a 204 took a body")
			}
		}, status: 204},
		{name: "head", method: http.MethodHead, h: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "body")
		}, status: 200, ctype: "text/plain"},
		{name: "flushed", h: func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "a")
			if err := http.NewResponseController(w).Flush(); err != nil {
				panic(err)
			}
			io.WriteString(w, "b")
		}, status: 200, ctype: "text/plain; charset=utf-8", body: "ab"},
	} {
		t.Run(c.name, func(t *testing.T) {
			method := c.method
			if method == "" {
				method = http.MethodGet
			}
			req, _ := http.NewRequest(method, "/", nil)
			resp, err := inproc.Do(c.h, req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != c.ctype || string(b) != c.body {
				t.Fatalf("got %d %q %q, want %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), b, c.status, c.ctype, c.body)
			}
		})
	}
}

// A handler that panics fails the call, as a server's dropped connection
// would, instead of the calling goroutine.
func TestPanic(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "/boom", nil)
	_, err := inproc.Do(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("a bug") }), req)
	if err == nil || err.Error() != "inproc: GET /boom: the handler panicked: a bug" {
		t.Fatalf("got %v", err)
	}
}

// The Step Functions client speaks to the handler as the SDK speaks to
// AWS, as its principal, and reads modelled errors as the SDK's.
func TestStepFunctions(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok || p.Account != operator.Account {
			t.Errorf("principal %+v", p)
		}
		var in map[string]string
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch target := r.Header.Get("X-Amz-Target"); {
		case target == "AWSStepFunctions.DescribeActivity" && strings.HasSuffix(in["activityArn"], ":activity:there"):
			io.WriteString(w, `{"activityArn":"`+in["activityArn"]+`","name":"there","creationDate":1700000000}`)
		default:
			w.Header().Set("X-Amzn-ErrorType", "ActivityDoesNotExist")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"com.amazonaws.swf.service.model#ActivityDoesNotExist","message":"Activity Does Not Exist: '`+in["activityArn"]+`'"}`)
		}
	})
	client := inproc.StepFunctions(h, operator)
	arn := "arn:aws:states:eu-north-1:111111111111:activity:"
	out, err := client.DescribeActivity(context.Background(), &sfn.DescribeActivityInput{ActivityArn: aws.String(arn + "there")})
	if err != nil || aws.ToString(out.Name) != "there" || aws.ToTime(out.CreationDate).Unix() != 1700000000 {
		t.Fatalf("%+v %v", out, err)
	}
	_, err = client.DescribeActivity(context.Background(), &sfn.DescribeActivityInput{ActivityArn: aws.String(arn + "gone")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ActivityDoesNotExist" || ae.ErrorMessage() != "Activity Does Not Exist: '"+arn+"gone'" {
		t.Fatalf("got %v", err)
	}
	if client.Options().Region != "eu-north-1" {
		t.Fatalf("region %q", client.Options().Region)
	}
}
