package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAKID    = "AKIAIOSFODNN7EXAMPLE"
	testSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	otherAKID   = "AKIAOTHERKEYEXAMPLE"
	otherSecret = "anotherSecretAccessKeyThatIsNotTheFirst0"
	tempAKID    = "ASIATEMPORARYEXAMPLE"
	tempSecret  = "temporarySecretAccessKeyForASessionKey0"
	tempToken   = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/with+plus=="
	testRegion  = "us-east-1"
)

// signTime is when the test requests are signed; the verifier's clock is
// a few minutes later.
var (
	signTime = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	nowTime  = signTime.Add(3 * time.Minute)
)

func testLookup(id string) (Secret, bool) {
	switch id {
	case testAKID:
		return Secret{SecretAccessKey: testSecret}, true
	case otherAKID:
		return Secret{SecretAccessKey: otherSecret}, true
	case tempAKID:
		return Secret{SecretAccessKey: tempSecret, SessionToken: tempToken, Expires: signTime.Add(time.Hour)}, true
	}
	return Secret{}, false
}

func testOptions(service string) Options {
	return Options{Service: service, Now: func() time.Time { return nowTime }}
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// clientRequest is a request as a client builds it before signing.
type clientRequest struct {
	method  string
	url     string // "http://127.0.0.1:8083/path?query"
	headers [][2]string
	body    string
}

func (c clientRequest) build(t testing.TB) *http.Request {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, c.url, body)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range c.headers {
		req.Header.Add(h[0], h[1])
	}
	return req
}

// signHeader signs c with aws-sdk-go-v2's signer in the Authorization form
// and returns the request as a Go server receives it.
func signHeader(t testing.TB, c clientRequest, creds aws.Credentials, service, region string) (*http.Request, []byte) {
	t.Helper()
	req := c.build(t)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashHex([]byte(c.body)), service, region, signTime); err != nil {
		t.Fatal(err)
	}
	return received(t, req)
}

// presign presigns c with aws-sdk-go-v2's signer and returns the request a
// client would send with the presigned URL and headers, as a Go server
// receives it.
func presign(t testing.TB, c clientRequest, creds aws.Credentials, service, region string) (*http.Request, []byte) {
	t.Helper()
	req := c.build(t)
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hashHex([]byte(c.body)), service, region, signTime)
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	send, err := http.NewRequest(c.method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		if k == "Host" {
			continue
		}
		send.Header[k] = vs
	}
	return received(t, send)
}

// received writes req to the wire and reads it back as net/http's server
// does, so that the verifier sees what a real server hands it.
func received(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatal(err)
	}
	r, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r, body
}

func creds(id, secret, token string) aws.Credentials {
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token}
}

var (
	sfnStart = clientRequest{
		method: "POST",
		url:    "http://127.0.0.1:8083/",
		headers: [][2]string{
			{"Content-Type", "application/x-amz-json-1.0"},
			{"X-Amz-Target", "AWSStepFunctions.StartExecution"},
		},
		body: `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:Pin","input":"{\"pin\":\"1234\"}"}`,
	}
	lambdaInvoke = clientRequest{
		method: "POST",
		url:    "http://127.0.0.1:8083/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn/invocations?Qualifier=%24LATEST",
		headers: [][2]string{
			{"Content-Type", "application/json"},
			{"X-Amz-Invocation-Type", "RequestResponse"},
			{"X-Amz-Log-Type", "None"},
		},
		body: `{"key":"value"}`,
	}
	reservedQuery = clientRequest{
		method: "GET",
		url:    "http://localhost:8083/path%20with/%C3%BCmlaut/a+b/~tilde?z=last&a=%2F%3F%26%3D&a=b&sp=a+b&pct=100%25&utf=%E2%9C%93&empty=&bare&star=*&plus=%2B",
		headers: [][2]string{
			{"X-Custom", "first"},
			{"X-Custom", "  second   with   spaces  "},
			{"X-Amz-Meta-Thing", "v"},
		},
	}
)

// base is a correctly signed request and the one signed header a mutation
// may change or remove (other than host and the date).
type base struct {
	name    string
	service string
	build   func(t testing.TB) (*http.Request, []byte)
	header  string
	token   bool
}

var bases = []base{
	{"sfn header", "states", func(t testing.TB) (*http.Request, []byte) {
		return signHeader(t, sfnStart, creds(testAKID, testSecret, ""), "states", testRegion)
	}, "X-Amz-Target", false},
	{"sfn session token", "states", func(t testing.TB) (*http.Request, []byte) {
		return signHeader(t, sfnStart, creds(tempAKID, tempSecret, tempToken), "states", testRegion)
	}, "Content-Type", true},
	{"lambda invoke escaped arn", "lambda", func(t testing.TB) (*http.Request, []byte) {
		return signHeader(t, lambdaInvoke, creds(testAKID, testSecret, ""), "lambda", testRegion)
	}, "X-Amz-Invocation-Type", false},
	{"reserved query repeated headers", "statecraft", func(t testing.TB) (*http.Request, []byte) {
		return signHeader(t, reservedQuery, creds(testAKID, testSecret, ""), "statecraft", "eu-west-3")
	}, "X-Custom", false},
	{"presigned lambda", "lambda", func(t testing.TB) (*http.Request, []byte) {
		c := lambdaInvoke
		c.url += "&X-Amz-Expires=300"
		return presign(t, c, creds(testAKID, testSecret, ""), "lambda", testRegion)
	}, "Content-Type", false},
	{"presigned session token", "statecraft", func(t testing.TB) (*http.Request, []byte) {
		return presign(t, reservedQuery, creds(tempAKID, tempSecret, tempToken), "statecraft", "eu-west-3")
	}, "X-Custom", true},
}

// setTarget replaces the request line's target, as if the client had sent
// another one.
func setTarget(t testing.TB, r *http.Request, target string) {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatal(err)
	}
	r.RequestURI, r.URL = target, u
}

// replaceCredential edits the credential in the Authorization header or
// the X-Amz-Credential parameter.
func replaceCredential(t testing.TB, r *http.Request, old, new string) {
	t.Helper()
	if h := r.Header.Get("Authorization"); h != "" {
		if !strings.Contains(h, old) {
			t.Fatalf("%q not in %q", old, h)
		}
		r.Header.Set("Authorization", strings.Replace(h, old, new, 1))
		return
	}
	old, new = strings.ReplaceAll(old, "/", "%2F"), strings.ReplaceAll(new, "/", "%2F")
	if !strings.Contains(r.RequestURI, old) {
		t.Fatalf("%q not in %q", old, r.RequestURI)
	}
	setTarget(t, r, strings.Replace(r.RequestURI, old, new, 1))
}

func errName(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := err.(*Error); ok {
		return e.Name
	}
	return "not an *Error: " + err.Error()
}

func TestRoundTrip(t *testing.T) {
	for _, b := range bases {
		t.Run(b.name, func(t *testing.T) {
			r, body := b.build(t)
			res, err := Verify(r, body, testLookup, testOptions(b.service))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := Result{AccessKeyID: testAKID, Region: testRegion, Service: b.service, Date: signTime, Presigned: strings.HasPrefix(b.name, "presigned")}
			if b.token {
				want.AccessKeyID = tempAKID
			}
			if b.service == "statecraft" {
				want.Region = "eu-west-3"
			}
			if *res != want {
				t.Errorf("result %+v, want %+v", *res, want)
			}
		})
	}
}

// A lambda ARN in the path is escaped on the wire and escaped again in the
// canonical request, as every SDK signs it.
func TestCanonicalURIDoubleEscapes(t *testing.T) {
	r, body := signHeader(t, lambdaInvoke, creds(testAKID, testSecret, ""), "lambda", testRegion)
	if r.URL.Path != "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:my-fn/invocations" {
		t.Fatalf("server path %q", r.URL.Path)
	}
	creq := canonicalOf(t, r, body, false)
	want := "POST\n/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A123456789012%253Afunction%253Amy-fn/invocations\nQualifier=%24LATEST\n"
	if !strings.HasPrefix(creq, want) {
		t.Errorf("canonical request\n%s\nwant prefix\n%s", creq, want)
	}
}

func TestMutations(t *testing.T) {
	type mutation struct {
		name string
		mut  func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup)
		want string
	}
	mutations := []mutation{
		{"body byte", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			if len(*body) == 0 {
				*body = []byte{'x'}
				return
			}
			c := bytes.Clone(*body)
			c[len(c)/2] ^= 1
			*body = c
		}, InvalidSignature},
		{"header value", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			vs := r.Header.Values(b.header)
			if len(vs) == 0 {
				t.Fatalf("no %s", b.header)
			}
			r.Header[http.CanonicalHeaderKey(b.header)][len(vs)-1] = vs[len(vs)-1] + "x"
		}, InvalidSignature},
		{"signed header removed", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			r.Header.Del(b.header)
		}, InvalidSignature},
		{"host", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			r.Host = "127.0.0.2:8083"
		}, InvalidSignature},
		{"path", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			p, q, _ := strings.Cut(r.RequestURI, "?")
			target := p + "x"
			if q != "" {
				target += "?" + q
			}
			setTarget(t, r, target)
		}, InvalidSignature},
		{"query added", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			sep := "?"
			if strings.Contains(r.RequestURI, "?") {
				sep = "&"
			}
			setTarget(t, r, r.RequestURI+sep+"extra=1")
		}, InvalidSignature},
		{"method", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			if r.Method == "POST" {
				r.Method = "PUT"
			} else {
				r.Method = "HEAD"
			}
		}, InvalidSignature},
		{"date one second later", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			later := signTime.Add(time.Second).Format(timeFormat)
			if r.Header.Get("X-Amz-Date") != "" {
				r.Header.Set("X-Amz-Date", later)
				return
			}
			setTarget(t, r, strings.Replace(r.RequestURI, "X-Amz-Date="+signTime.Format(timeFormat), "X-Amz-Date="+later, 1))
		}, InvalidSignature},
		{"region in scope", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			region := "us-east-1"
			if b.service == "statecraft" {
				region = "eu-west-3"
			}
			replaceCredential(t, r, "/"+region+"/", "/us-west-2/")
		}, InvalidSignature},
		{"region not accepted", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			o.Regions = func(string) bool { return false }
		}, InvalidSignature},
		{"service in scope", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			replaceCredential(t, r, "/"+b.service+"/", "/execute-api/")
		}, InvalidSignature},
		{"service expected", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			o.Service = "sqs"
		}, InvalidSignature},
		{"unknown key", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			id := testAKID
			if b.token {
				id = tempAKID
			}
			replaceCredential(t, r, id+"/", "AKIAUNKNOWNEXAMPLE0/")
		}, UnrecognizedClient},
		{"other known key", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			if b.token {
				*l = func(string) (Secret, bool) {
					return Secret{SecretAccessKey: otherSecret, SessionToken: tempToken}, true
				}
				return
			}
			replaceCredential(t, r, testAKID+"/", otherAKID+"/")
		}, InvalidSignature},
		{"secret", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			inner := *l
			*l = func(id string) (Secret, bool) {
				s, ok := inner(id)
				s.SecretAccessKey = s.SecretAccessKey[:len(s.SecretAccessKey)-1] + "1"
				return s, ok
			}
		}, InvalidSignature},
		{"token", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			inner := *l
			*l = func(id string) (Secret, bool) {
				s, ok := inner(id)
				s.SessionToken = "another-token"
				return s, ok
			}
		}, UnrecognizedClient},
		{"expired session", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			inner := *l
			*l = func(id string) (Secret, bool) {
				s, ok := inner(id)
				s.Expires = nowTime
				return s, ok
			}
		}, ExpiredToken},
		{"too late", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			o.Now = func() time.Time { return signTime.Add(2 * time.Hour) }
		}, InvalidSignature},
		{"too early", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			o.Now = func() time.Time { return signTime.Add(-16 * time.Minute) }
		}, InvalidSignature},
		{"signature", func(t *testing.T, b base, r *http.Request, body *[]byte, o *Options, l *Lookup) {
			if h := r.Header.Get("Authorization"); h != "" {
				i := strings.Index(h, "Signature=") + len("Signature=")
				c := []byte(h)
				c[i] ^= 1
				r.Header.Set("Authorization", string(c))
				return
			}
			i := strings.Index(r.RequestURI, "X-Amz-Signature=") + len("X-Amz-Signature=")
			c := []byte(r.RequestURI)
			if c[i] == 'a' {
				c[i] = 'b'
			} else {
				c[i] = 'a'
			}
			setTarget(t, r, string(c))
		}, InvalidSignature},
	}
	for _, b := range bases {
		for _, m := range mutations {
			t.Run(b.name+"/"+m.name, func(t *testing.T) {
				r, body := b.build(t)
				o := testOptions(b.service)
				var l Lookup = testLookup
				m.mut(t, b, r, &body, &o, &l)
				_, err := Verify(r, body, l, o)
				if got := errName(err); got != m.want {
					t.Fatalf("Verify = %v, want %s", err, m.want)
				}
			})
		}
	}
}

// Session tokens: one the key lacks, or none for a key that has one, is
// refused as AWS refuses it.
func TestSessionTokenPresence(t *testing.T) {
	// A long-term key's request carrying a token.
	r, body := signHeader(t, sfnStart, creds(testAKID, testSecret, "unexpected-token"), "states", testRegion)
	if _, err := Verify(r, body, testLookup, testOptions("states")); errName(err) != UnrecognizedClient {
		t.Errorf("token for a key without one: %v", err)
	}
	// A session key's request without its token.
	r, body = signHeader(t, sfnStart, creds(tempAKID, tempSecret, ""), "states", testRegion)
	_, err := Verify(r, body, testLookup, testOptions("states"))
	if errName(err) != UnrecognizedClient || err.(*Error).Message != "The security token included in the request is invalid." {
		t.Errorf("session key without token: %v", err)
	}
	// The token is compared whole.
	r, body = signHeader(t, sfnStart, creds(tempAKID, tempSecret, tempToken[:len(tempToken)-1]), "states", testRegion)
	if _, err := Verify(r, body, testLookup, testOptions("states")); errName(err) != UnrecognizedClient {
		t.Errorf("token prefix: %v", err)
	}
}

func TestTimeWindow(t *testing.T) {
	r, body := signHeader(t, sfnStart, creds(testAKID, testSecret, ""), "states", testRegion)
	cases := []struct {
		name string
		now  time.Time
		skew time.Duration
		msg  string
	}{
		{"14m59s later", signTime.Add(15*time.Minute - time.Second), 0, ""},
		{"15m later", signTime.Add(15 * time.Minute), 0, ""},
		{"15m1s later", signTime.Add(15*time.Minute + time.Second), 0,
			"Signature expired: 20260314T150926Z is now earlier than 20260314T150927Z (20260314T152427Z - 15 min.)"},
		{"15m earlier", signTime.Add(-15 * time.Minute), 0, ""},
		{"15m1s earlier", signTime.Add(-15*time.Minute - time.Second), 0,
			"Signature not yet current: 20260314T150926Z is still later than 20260314T150925Z (20260314T145425Z + 15 min.)"},
		{"5 minutes as Lambda", signTime.Add(6 * time.Minute), 5 * time.Minute,
			"Signature expired: 20260314T150926Z is now earlier than 20260314T151026Z (20260314T151526Z - 5 min.)"},
		{"90 seconds", signTime.Add(-2 * time.Minute), 90 * time.Second,
			"Signature not yet current: 20260314T150926Z is still later than 20260314T150856Z (20260314T150726Z + 90 sec.)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Options{Service: "states", Now: func() time.Time { return c.now }, MaxSkew: c.skew}
			_, err := Verify(r, body, testLookup, o)
			if c.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Name != InvalidSignature || e.Message != c.msg {
				t.Fatalf("got %v\nwant %s: %s", err, InvalidSignature, c.msg)
			}
		})
	}
}

func TestPresignedExpiry(t *testing.T) {
	c := lambdaInvoke
	c.url += "&X-Amz-Expires=300"
	r, body := presign(t, c, creds(testAKID, testSecret, ""), "lambda", testRegion)
	at := func(d time.Duration) Options {
		return Options{Service: "lambda", Now: func() time.Time { return signTime.Add(d) }}
	}
	if _, err := Verify(r, body, testLookup, at(300*time.Second)); err != nil {
		t.Errorf("at expiry: %v", err)
	}
	_, err := Verify(r, body, testLookup, at(301*time.Second))
	if errName(err) != InvalidSignature || !strings.HasPrefix(err.(*Error).Message, "Request has expired") {
		t.Errorf("after expiry: %v", err)
	}
	// Without X-Amz-Expires a presigned request is good for the clock
	// window, as STS treats one.
	r, body = presign(t, lambdaInvoke, creds(testAKID, testSecret, ""), "lambda", testRegion)
	if _, err := Verify(r, body, testLookup, at(15*time.Minute)); err != nil {
		t.Errorf("no X-Amz-Expires, 15m: %v", err)
	}
	if _, err := Verify(r, body, testLookup, at(16*time.Minute)); errName(err) != InvalidSignature {
		t.Errorf("no X-Amz-Expires, 16m: %v", err)
	}
	// X-Amz-Expires out of range is refused before the signature is
	// looked at.
	for _, exp := range []string{"0", "-1", "604801", "1e3", "", "99999999999999999999"} {
		c := lambdaInvoke
		c.url += "&X-Amz-Expires=" + exp
		r, body := presign(t, c, creds(testAKID, testSecret, ""), "lambda", testRegion)
		_, err := Verify(r, body, testLookup, at(0))
		if errName(err) != IncompleteSignature || !strings.Contains(err.(*Error).Message, "X-Amz-Expires") {
			t.Errorf("X-Amz-Expires=%q: %v", exp, err)
		}
	}
	c = lambdaInvoke
	c.url += "&X-Amz-Expires=604800"
	r, body = presign(t, c, creds(testAKID, testSecret, ""), "lambda", testRegion)
	if _, err := Verify(r, body, testLookup, at(7*24*time.Hour)); err != nil {
		t.Errorf("a week: %v", err)
	}
	// A presigned request signed for later is not yet current.
	if _, err := Verify(r, body, testLookup, at(-16*time.Minute)); errName(err) != InvalidSignature {
		t.Errorf("signed for later: %v", err)
	}
}

func TestUnsignedPayload(t *testing.T) {
	c := sfnStart
	c.headers = append(c.headers, [2]string{"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"})
	req := c.build(t)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds(testAKID, testSecret, ""), req, "UNSIGNED-PAYLOAD", "states", testRegion, signTime); err != nil {
		t.Fatal(err)
	}
	r, body := received(t, req)
	_, err := Verify(r, body, testLookup, testOptions("states"))
	if errName(err) != InvalidSignature || !strings.Contains(err.(*Error).Message, "UNSIGNED-PAYLOAD") {
		t.Errorf("not allowed: %v", err)
	}
	o := testOptions("states")
	o.AllowUnsignedPayload = true
	if _, err := Verify(r, append(body, "tampered"...), testLookup, o); err != nil {
		t.Errorf("allowed (the body is not covered): %v", err)
	}

	// A stated hash must be the body's.
	c = sfnStart
	c.headers = append(c.headers, [2]string{"X-Amz-Content-Sha256", hashHex([]byte(c.body))})
	r, body = signHeader(t, c, creds(testAKID, testSecret, ""), "states", testRegion)
	if _, err := Verify(r, body, testLookup, testOptions("states")); err != nil {
		t.Errorf("right hash: %v", err)
	}
	body[0] = '['
	_, err = Verify(r, body, testLookup, testOptions("states"))
	if errName(err) != InvalidSignature || err.(*Error).Message != "The provided 'x-amz-content-sha256' header does not match what was computed." {
		t.Errorf("wrong hash: %v", err)
	}
}

// Paths with empty or dot segments: aws-sdk-go-v2 signs them as sent,
// botocore and the JavaScript SDK normalized; both are accepted.
func TestPathNormalization(t *testing.T) {
	c := clientRequest{method: "GET", url: "http://127.0.0.1:8083//a/./b//c/../d/"}
	r, body := signHeader(t, c, creds(testAKID, testSecret, ""), "statecraft", testRegion)
	if r.RequestURI != "//a/./b//c/../d/" {
		t.Fatalf("sent %q", r.RequestURI)
	}
	if _, err := Verify(r, body, testLookup, testOptions("statecraft")); err != nil {
		t.Errorf("signed as sent: %v", err)
	}
	// Sign the normalized path, send the other.
	c.url = "http://127.0.0.1:8083/a/b/d/"
	r, body = signHeader(t, c, creds(testAKID, testSecret, ""), "statecraft", testRegion)
	setTarget(t, r, "//a/./b//c/../d/")
	if _, err := Verify(r, body, testLookup, testOptions("statecraft")); err != nil {
		t.Errorf("signed normalized: %v", err)
	}
	// Normalization does not make other paths equal.
	setTarget(t, r, "/a/b/e/../d")
	if _, err := Verify(r, body, testLookup, testOptions("statecraft")); errName(err) != InvalidSignature {
		t.Errorf("trailing slash dropped: %v", err)
	}
}

func TestNormalizePath(t *testing.T) {
	cases := map[string]string{
		"/":                     "/",
		"//":                    "/",
		"/./":                   "/",
		"/example/..":           "/",
		"/example1/example2/..": "/example1",
		"/./example":            "/example",
		"//example//":           "/example/",
		"/a/b/../../..":         "/",
		"/a%2F..":               "/a%2F..",
		"":                      "",
	}
	for in, want := range cases {
		if got, _ := normalizePath(in); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// Errors of form, checked before anything else, with AWS's words.
func TestAuthorizationForm(t *testing.T) {
	good, body := signHeader(t, sfnStart, creds(testAKID, testSecret, ""), "states", testRegion)
	auth := good.Header.Get("Authorization")
	cred := "AKIAIOSFODNN7EXAMPLE/20260314/us-east-1/states/aws4_request"
	cases := []struct {
		name   string
		edit   func(r *http.Request)
		want   string
		prefix string
	}{
		{"none", func(r *http.Request) { r.Header.Del("Authorization") },
			MissingAuthenticationToken, "Request is missing Authentication Token"},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc.def") },
			IncompleteSignature, "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer abc.def"},
		{"sigv2", func(r *http.Request) {
			r.Header.Set("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")
			r.Header.Del("X-Amz-Date")
		}, IncompleteSignature, "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="},
		{"other algorithm", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(auth, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", 1))
		}, IncompleteSignature, "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'."},
		{"no signature", func(r *http.Request) {
			r.Header.Set("Authorization", auth[:strings.Index(auth, ", Signature=")])
		}, IncompleteSignature, "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=" + cred},
		{"no date", func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			IncompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"},
		{"space in credential", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(auth, "EXAMPLE/", "EXAMPLE /", 1))
		}, IncompleteSignature, "'/20260314/us-east-1/states/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE /20260314/"},
		{"four parts", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(auth, "/aws4_request", "", 1))
		}, IncompleteSignature, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIAIOSFODNN7EXAMPLE/20260314/us-east-1/states'"},
		{"six parts (secret pasted in)", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(auth, testAKID, "wJalrXUtnFEMI/K7MDENG", 1))
		}, IncompleteSignature, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'wJalrXUtnFEMI/K7MDENG/20260314/us-east-1/states/aws4_request'"},
		{"host unsigned", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(auth, "SignedHeaders=content-length;content-type;host;", "SignedHeaders=content-length;content-type;", 1))
		}, InvalidSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"date unsigned", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(auth, ";x-amz-date;", ";", 1))
		}, InvalidSignature, "'x-amz-date' must be a 'SignedHeader' in the AWS Authorization."},
		{"date not basic", func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-03-14T15:09:26Z") },
			IncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '2026-03-14T15:09:26Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"wrong service", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(auth, "/states/", "/lambda/", 1))
		}, InvalidSignature, "Credential should be scoped to correct service: 'states'. "},
		{"bad region", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(auth, "/us-east-1/", "/US_EAST/", 1))
		}, InvalidSignature, "Credential should be scoped to a valid region, not 'US_EAST'. "},
		{"empty region", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(auth, "/us-east-1/", "//", 1))
		}, InvalidSignature, "Credential should be scoped to a valid region, not ''. "},
		{"everything in the scope wrong", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(auth, "/20260314/us-east-1/states/aws4_request", "/20260313/-x/sqs/aws5_request", 1))
		}, InvalidSignature, "Credential should be scoped to a valid region, not '-x'. Credential should be scoped to correct service: 'states'. Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260313' != '20260314', from '20260314T150926Z'. "},
		{"both forms", func(r *http.Request) { setTarget(t, r, "/?X-Amz-Algorithm=AWS4-HMAC-SHA256") },
			InvalidSignature, "Only one auth mechanism allowed"},
		{"bad query escape", func(r *http.Request) { setTarget(t, r, "/?a=%zz") },
			MalformedQueryString, "Illegal hex character in escape % pattern: %zz"},
		{"truncated query escape", func(r *http.Request) { setTarget(t, r, "/?a=%4") },
			MalformedQueryString, "Incomplete trailing escape % sequence"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := signHeader(t, sfnStart, creds(testAKID, testSecret, ""), "states", testRegion)
			c.edit(r)
			_, err := Verify(r, body, testLookup, testOptions("states"))
			e, ok := err.(*Error)
			if !ok || e.Name != c.want || !strings.HasPrefix(e.Message, c.prefix) {
				t.Fatalf("got %v\nwant %s: %s", err, c.want, c.prefix)
			}
		})
	}
}

func TestQueryForm(t *testing.T) {
	cases := []struct {
		query string
		want  string
		msg   string
	}{
		{"X-Amz-Algorithm=AWS4-HMAC-SHA1", MissingAuthenticationToken, "Request is missing Authentication Token"},
		{"X-Amz-Algorithm=AWS4-HMAC-SHA256", IncompleteSignature, "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."},
		{"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20260314%2Fus-east-1%2Fstates%2Faws4_request&X-Amz-Date=20260314T150926Z&X-Amz-SignedHeaders=host", IncompleteSignature, "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."},
		{"X-Amz-Credential=x", MissingAuthenticationToken, "Request is missing Authentication Token"},
	}
	for _, c := range cases {
		r := &http.Request{Method: "GET", RequestURI: "/?" + c.query, URL: &url.URL{Path: "/", RawQuery: c.query}, Header: http.Header{}, Host: "h"}
		_, err := Verify(r, nil, testLookup, testOptions("states"))
		e, ok := err.(*Error)
		if !ok || e.Name != c.want || e.Message != c.msg {
			t.Errorf("%s: got %v\nwant %s: %s", c.query, err, c.want, c.msg)
		}
	}
}

func TestMisuse(t *testing.T) {
	r, body := signHeader(t, sfnStart, creds(testAKID, testSecret, ""), "states", testRegion)
	for name, call := range map[string]func() error{
		"no service": func() error { _, err := Verify(r, body, testLookup, Options{}); return err },
		"no lookup":  func() error { _, err := Verify(r, body, nil, testOptions("states")); return err },
		"no request": func() error { _, err := Verify(nil, body, testLookup, testOptions("states")); return err },
	} {
		if err := call(); errName(err) != InternalFailure || err.(*Error).Status(AWSJSON) != 500 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestErrorStatus(t *testing.T) {
	cases := []struct {
		name       string
		json, rest int
	}{
		{MissingAuthenticationToken, 400, 403},
		{IncompleteSignature, 400, 403},
		{InvalidSignature, 400, 403},
		{UnrecognizedClient, 400, 403},
		{ExpiredToken, 400, 403},
		{MalformedQueryString, 400, 400},
		{InternalFailure, 500, 500},
	}
	for _, c := range cases {
		e := &Error{Name: c.name, Message: "m"}
		if got := e.Status(AWSJSON); got != c.json {
			t.Errorf("%s awsJson: %d, want %d", c.name, got, c.json)
		}
		if got := e.Status(RESTJSON); got != c.rest {
			t.Errorf("%s restJson: %d, want %d", c.name, got, c.rest)
		}
	}
	e := newError(MissingAuthenticationToken, msgMissingAuthJSON)
	if e.MessageFor(AWSJSON) != "Request is missing Authentication Token" || e.MessageFor(RESTJSON) != "Missing Authentication Token" {
		t.Errorf("MessageFor: %q %q", e.MessageFor(AWSJSON), e.MessageFor(RESTJSON))
	}
	if e.Error() != "MissingAuthenticationTokenException: Request is missing Authentication Token" {
		t.Errorf("Error() = %q", e.Error())
	}
}

// The derived key is derived once per secret, day, region and service, and
// the cache stays bounded whatever the requests name.
func TestKeyCache(t *testing.T) {
	c := newKeyCache(4)
	k1 := c.get("s", "20260314", "us-east-1", "states")
	k2 := c.get("s", "20260314", "us-east-1", "states")
	if k1 != k2 || c.hits != 1 || c.miss != 1 {
		t.Fatalf("second get: same=%v hits=%d miss=%d", k1 == k2, c.hits, c.miss)
	}
	if c.get("s", "20260314", "us-east-2", "states") == k1 || c.get("t", "20260314", "us-east-1", "states") == k1 {
		t.Fatal("different scopes share a key")
	}
	for i := range 100 {
		c.get("s", "20260314", "r"+itoa(i), "states")
		if n := c.len(); n > 8 {
			t.Fatalf("%d entries after %d scopes", n, i+1)
		}
	}
	// A key in steady use survives the churn.
	c = newKeyCache(4)
	hot := c.get("hot", "20260314", "us-east-1", "states")
	for i := range 100 {
		c.get("s", "20260314", "r"+itoa(i), "states")
		if c.get("hot", "20260314", "us-east-1", "states") != hot {
			t.Fatalf("hot key derived again after %d other scopes", i+1)
		}
	}
	// The fast HMAC is HMAC-SHA256.
	got := k1.sum(append(make([]byte, sha256.BlockSize), "string to sign"...))
	want := hmacSHA256(hmacSHA256(hmacSHA256(hmacSHA256([]byte("AWS4s"), "20260314"), "us-east-1"), "states"), "aws4_request")
	if w := hmacSHA256(want, "string to sign"); !bytes.Equal(got[:], w) {
		t.Fatalf("sum = %x, want %x", got, w)
	}
}

func TestValidRegion(t *testing.T) {
	for r, want := range map[string]bool{
		"us-east-1": true, "us-gov-west-1": true, "local": true, "eu-west-3": true,
		"": false, "US-EAST-1": false, "us--east": false, "-us": false, "us-": false, "us_east": false,
		"us/east": false, strings.Repeat("a", 65): false,
	} {
		if validRegion(r) != want {
			t.Errorf("validRegion(%q) = %v", r, !want)
		}
	}
}

// A header value with a line break could forge lines of the canonical
// request; such a request is never accepted.
func TestLineBreakInSignedHeader(t *testing.T) {
	r, body := signHeader(t, sfnStart, creds(testAKID, testSecret, ""), "states", testRegion)
	r.Header.Set("X-Amz-Target", "AWSStepFunctions.StartExecution\nx-evil:1")
	if _, err := Verify(r, body, testLookup, testOptions("states")); errName(err) != InvalidSignature {
		t.Errorf("line break: %v", err)
	}
}

func TestClaimedAccessKey(t *testing.T) {
	for _, c := range []struct {
		auth, query, want string
		ok                bool
	}{
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00", "", "AKID", true},
		{"", "X-Amz-Credential=PRE%2F20260101%2Fus-east-1%2Fstates%2Faws4_request", "PRE", true},
		{"garbage", "", "", false},
		{"AWS4-HMAC-SHA256 Credential=/20260101", "", "", false},
		{"", "", "", false},
	} {
		r, _ := http.NewRequest("GET", "http://h/?"+c.query, nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		if got, ok := ClaimedAccessKey(r); got != c.want || ok != c.ok {
			t.Errorf("%q %q: %q %v", c.auth, c.query, got, ok)
		}
	}
}
