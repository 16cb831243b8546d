package sigv4

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	suiteAKID    = "AKIDEXAMPLE"
	suiteSecret  = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	suiteToken   = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
	suiteService = "service"
)

var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

// suiteRequest reads a vector's request the way a Go server would, with
// the vector's Authorization header added.
func suiteRequest(t *testing.T, v suiteVector) (*http.Request, []byte) {
	t.Helper()
	head, body, _ := strings.Cut(v.req, "\n\n")
	requestLine, _, _ := strings.Cut(head, "\n")
	if strings.Count(requestLine, " ") > 2 {
		// A space in the path ("get-space"): no HTTP/1.1 server takes
		// that request line, so build what one would hand over had the
		// client sent the path as the vector's canonical request has it
		// before the second escaping.
		method, rest, _ := strings.Cut(requestLine, " ")
		target := strings.TrimSuffix(rest, " HTTP/1.1")
		r := &http.Request{Method: method, RequestURI: target, URL: &url.URL{Path: target}, Header: http.Header{}}
		for _, line := range strings.Split(head, "\n")[1:] {
			k, val, _ := strings.Cut(line, ":")
			if strings.EqualFold(k, "Host") {
				r.Host = val
				continue
			}
			r.Header.Add(k, val)
		}
		r.Header.Set("Authorization", v.authz)
		return r, []byte(body)
	}
	raw := strings.ReplaceAll(head, "\n", "\r\n") + "\r\nAuthorization: " + v.authz + "\r\n"
	if body != "" {
		raw += "Content-Length: " + itoa(len(body)) + "\r\n"
	}
	raw += "\r\n" + body
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("reading the request: %v", err)
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r, b
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

func suiteLookup(token string) Lookup {
	return func(id string) (Secret, bool) {
		if id != suiteAKID {
			return Secret{}, false
		}
		return Secret{SecretAccessKey: suiteSecret, SessionToken: token}, true
	}
}

// canonicalOf is the canonical request Verify builds for r (for the path
// as sent, or normalized).
func canonicalOf(t *testing.T, r *http.Request, body []byte, normalized bool) string {
	t.Helper()
	sc := &scratch{}
	path, query := requestTarget(r)
	if normalized {
		path, _ = normalizePath(path)
	}
	if err := sc.parseQuery(query); err != nil {
		t.Fatalf("query: %v", err)
	}
	a, err := readAuth(sc, r)
	if err != nil {
		t.Fatalf("auth: %v", err)
	}
	var dst [64]byte
	ph, err := payloadHash(r, body, &Options{}, &dst)
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	b, ok := sc.canonicalRequest(r, path, a, ph)
	if !ok {
		t.Fatal("no canonical request")
	}
	return string(b)
}

func TestAWSTestSuite(t *testing.T) {
	ran := 0
	for _, v := range suiteVectors {
		t.Run(v.name, func(t *testing.T) {
			r, body := suiteRequest(t, v)
			if v.notApplicable != "" {
				_, err := Verify(r, body, suiteLookup(""), Options{Service: suiteService, Now: func() time.Time { return suiteTime }})
				if e, ok := err.(*Error); !ok || e.Name != InvalidSignature {
					t.Fatalf("Verify = %v, want %s (%s)", err, InvalidSignature, v.notApplicable)
				}
				return
			}
			ran++
			token := ""
			if r.Header.Get("X-Amz-Security-Token") != "" {
				token = suiteToken
			}
			o := Options{Service: suiteService, Now: func() time.Time { return suiteTime }}
			res, err := Verify(r, body, suiteLookup(token), o)
			if err != nil {
				t.Fatalf("Verify: %v\ncanonical request built:\n%s\nAWS's:\n%s", err, canonicalOf(t, r, body, false), v.creq)
			}
			if res.AccessKeyID != suiteAKID || res.Region != "us-east-1" || res.Service != suiteService || !res.Date.Equal(suiteTime) || res.Presigned {
				t.Errorf("result %+v", res)
			}
			// The canonical request must be AWS's, for the path as sent or,
			// for the normalize-path vectors, normalized.
			if v.creqWrong != "" {
				return
			}
			got := canonicalOf(t, r, body, false)
			if got != v.creq {
				if n := canonicalOf(t, r, body, true); n != v.creq {
					t.Errorf("canonical request\n%s\nnormalized\n%s\nwant\n%s", got, n, v.creq)
				}
			}
		})
	}
	if ran < 29 {
		t.Fatalf("only %d vectors ran", ran)
	}
}
