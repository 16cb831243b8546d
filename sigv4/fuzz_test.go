package sigv4

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// fuzzInput is a request as the fuzzer sees it: the request line's method
// and target, header lines ("Name: value", one per line, Host among them)
// and the body.
type fuzzInput struct {
	method, target, headers string
	body                    []byte
}

func toFuzzInput(r *http.Request, body []byte) fuzzInput {
	lines := []string{"Host: " + r.Host}
	for k, vs := range r.Header {
		for _, v := range vs {
			lines = append(lines, k+": "+v)
		}
	}
	slices.Sort(lines[1:])
	return fuzzInput{r.Method, r.RequestURI, strings.Join(lines, "\n"), body}
}

// fuzzRequest builds the request the fuzzer describes, as leniently as a
// request built in-process can be: nothing is refused that Verify might
// have to refuse itself.
func fuzzRequest(in fuzzInput) *http.Request {
	r := &http.Request{Method: in.method, RequestURI: in.target, Header: http.Header{}}
	if u, err := url.ParseRequestURI(in.target); err == nil {
		r.URL = u
	} else {
		r.URL = &url.URL{Path: in.target}
	}
	for line := range strings.SplitSeq(in.headers, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimLeft(v, " ")
		if strings.EqualFold(k, "Host") {
			r.Host = v
			continue
		}
		r.Header.Add(k, v)
	}
	return r
}

// meaning is what a handler acts on in a request and the signature
// covers: the method, the path (as the client sent it, and normalized:
// SigV4 lets either stand for the other), the decoded query pairs, the
// signed headers' values, the body and the signing scope and time.
type meaning struct {
	method, path, query, headers, body, credential, date, token string
}

func meaningOf(t testing.TB, r *http.Request, body []byte) meaning {
	t.Helper()
	sc := &scratch{}
	path, rawQuery := requestTarget(r)
	path, _ = normalizePath(path)
	if err := sc.parseQuery(rawQuery); err != nil {
		t.Fatalf("accepted a query Verify cannot parse: %v", err)
	}
	a, err := readAuth(sc, r)
	if err != nil {
		t.Fatalf("accepted a request without a signature: %v", err)
	}
	var pairs []string
	for _, p := range sc.pairs {
		k := string(p.kDec.of(sc.arena))
		if a.presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, url.QueryEscape(k)+"="+url.QueryEscape(string(p.vDec.of(sc.arena))))
	}
	slices.Sort(pairs)
	var hdrs []string
	for name := range strings.SplitSeq(a.signedHeaders, ";") {
		v, _ := appendHeader(nil, r, name)
		hdrs = append(hdrs, name+":"+string(v))
	}
	return meaning{
		method:     r.Method,
		path:       path,
		query:      strings.Join(pairs, "&"),
		headers:    strings.Join(hdrs, "\n"),
		body:       string(body),
		credential: a.credential,
		date:       a.date,
		token:      a.token,
	}
}

func signatureOf(t testing.TB, r *http.Request) string {
	t.Helper()
	sc := &scratch{}
	_, rawQuery := requestTarget(r)
	if err := sc.parseQuery(rawQuery); err != nil {
		t.Fatal(err)
	}
	a, err := readAuth(sc, r)
	if err != nil {
		t.Fatal(err)
	}
	return a.signature
}

// FuzzVerify feeds Verify requests derived from correctly signed ones.
// Whatever the input, Verify must not panic and must answer with an
// *Error; and it may accept a request only if its signature is one a
// seed was signed with (the fuzzer cannot compute an HMAC without the
// secret) and the request means what that seed meant.
func FuzzVerify(f *testing.F) {
	seeds := map[string]meaning{}
	add := func(r *http.Request, body []byte) {
		in := toFuzzInput(r, body)
		// The seed must itself verify, as the fuzzer will rebuild it.
		rr := fuzzRequest(in)
		if _, err := Verify(rr, in.body, testLookup, testOptions(fuzzService(rr))); err != nil {
			f.Fatalf("seed %s %s: %v", in.method, in.target, err)
		}
		seeds[signatureOf(f, rr)] = meaningOf(f, rr, in.body)
		f.Add(in.method, in.target, in.headers, in.body)
	}
	for _, b := range bases {
		add(b.build(f))
	}
	c := clientRequest{method: "GET", url: "http://127.0.0.1:8083/a/b/d/"}
	r, body := signHeader(f, c, creds(testAKID, testSecret, ""), "statecraft", testRegion)
	setTarget(f, r, "//a/./b//c/../d/")
	add(r, body)
	f.Add("POST", "/", "Host: 127.0.0.1:8083\nAuthorization: AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=", []byte("{}"))
	f.Add("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%2F%2F%2F%2F&X-Amz-Date=x&X-Amz-SignedHeaders=&X-Amz-Signature=", "", []byte(nil))

	f.Fuzz(func(t *testing.T, method, target, headers string, body []byte) {
		in := fuzzInput{method, target, headers, body}
		r := fuzzRequest(in)
		service := fuzzService(r)
		res, err := Verify(r, body, testLookup, testOptions(service))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if res == nil {
			t.Fatal("no result and no error")
		}
		sig := signatureOf(t, r)
		want, ok := seeds[sig]
		if !ok {
			t.Fatalf("accepted signature %q, which no seed carries", sig)
		}
		if got := meaningOf(t, r, body); got != want {
			t.Fatalf("accepted a request that means\n%+v\nwith the signature of one that means\n%+v", got, want)
		}
		// The same request with any other secret is refused.
		wrong := func(id string) (Secret, bool) {
			s, ok := testLookup(id)
			s.SecretAccessKey += "x"
			return s, ok
		}
		if _, err := Verify(r, body, wrong, testOptions(service)); err == nil {
			t.Fatal("accepted with a wrong secret")
		}
	})
}

// fuzzService is the service the request's own scope names, when it is
// one the seeds use, so that mutations reach the signature check.
func fuzzService(r *http.Request) string {
	s := r.Header.Get("Authorization") + r.RequestURI
	for _, svc := range []string{"lambda", "statecraft"} {
		if strings.Contains(s, "/"+svc+"/") || strings.Contains(s, "%2F"+svc+"%2F") {
			return svc
		}
	}
	return "states"
}
