package testservers

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statecraft/statecraft/sigv4"
)

// STS answers STS's AssumeRole in its wire protocol (the query protocol:
// a form-encoded POST of Action=AssumeRole&Version=2011-06-15&RoleArn=
// ...&RoleSessionName=..., an XML AssumeRoleResponse), for the roles it
// was told about, to callers that sign (SigV4, service sts) with its one
// base key pair. Any other role is refused with STS's AccessDenied, a bad
// signature with SignatureDoesNotMatch. It records every AssumeRole call
// and remembers the temporary credentials it issued (Issued), so a
// service in front of a Recorder can be checked against them.
type STS struct {
	URL string

	keyID, secret string
	roles         map[string]bool

	mu     sync.Mutex
	calls  []AssumeRoleCall
	issued map[string]sigv4.Secret
}

// AssumeRoleCall is one AssumeRole request STS answered, refused ones
// included (AccessKeyID is then "").
type AssumeRoleCall struct {
	// Caller is the base access key that signed the request.
	Caller          string
	RoleArn         string
	RoleSessionName string
	// AccessKeyID and SessionToken are the temporary credentials issued.
	AccessKeyID, SessionToken string
}

// stsSessionName is STS's rule for RoleSessionName.
var stsSessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// NewSTS starts an STS that accepts requests signed with keyID and
// secret and lets them assume roles; it stops when the test ends.
func NewSTS(t testing.TB, keyID, secret string, roles ...string) *STS {
	s := &STS{keyID: keyID, secret: secret, roles: map[string]bool{}, issued: map[string]sigv4.Secret{}}
	for _, r := range roles {
		s.roles[r] = true
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Calls are the AssumeRole calls so far.
func (s *STS) Calls() []AssumeRoleCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AssumeRoleCall(nil), s.calls...)
}

// Issued is the secret and session token of a temporary access key this
// STS issued; a sigv4.Lookup.
func (s *STS) Issued(accessKeyID string) (sigv4.Secret, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.issued[accessKeyID]
	return sec, ok
}

const stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

func stsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", requestID())
	w.WriteHeader(status)
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(msg))
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		stsNS, typ, code, b.String(), w.Header().Get("x-amzn-RequestId"))
}

func (s *STS) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		stsError(w, 400, "InvalidAction", "STS's query protocol is a POST")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		stsError(w, 400, "MalformedInput", err.Error())
		return
	}
	res, err := sigv4.Verify(r, body, func(id string) (sigv4.Secret, bool) {
		if id == s.keyID {
			return sigv4.Secret{SecretAccessKey: s.secret}, true
		}
		return sigv4.Secret{}, false
	}, sigv4.Options{Service: "sts"})
	if err != nil {
		// The query protocol's names for the signature errors.
		e := err.(*sigv4.Error)
		code := strings.TrimSuffix(e.Name, "Exception")
		switch e.Name {
		case sigv4.InvalidSignature:
			code = "SignatureDoesNotMatch"
		case sigv4.UnrecognizedClient:
			code = "InvalidClientTokenId"
		}
		stsError(w, 403, code, e.Message)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		stsError(w, 400, "MalformedInput", err.Error())
		return
	}
	if a, v := form.Get("Action"), form.Get("Version"); a != "AssumeRole" || v != "2011-06-15" {
		stsError(w, 400, "InvalidAction", fmt.Sprintf("this STS answers Action=AssumeRole, Version=2011-06-15; got %q, %q", a, v))
		return
	}
	call := AssumeRoleCall{Caller: res.AccessKeyID, RoleArn: form.Get("RoleArn"), RoleSessionName: form.Get("RoleSessionName")}
	duration := time.Hour
	if d := form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 43200 {
			stsError(w, 400, "ValidationError", "1 validation error detected: Value '"+d+"' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200")
			return
		}
		duration = time.Duration(n) * time.Second
	}
	if !stsSessionName.MatchString(call.RoleSessionName) {
		stsError(w, 400, "ValidationError", "1 validation error detected: Value '"+call.RoleSessionName+"' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
		return
	}
	if !s.roles[call.RoleArn] {
		s.mu.Lock()
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		stsError(w, 403, "AccessDenied", "User: arn:aws:iam::"+Account+":user/"+res.AccessKeyID+" is not authorized to perform: sts:AssumeRole on resource: "+call.RoleArn)
		return
	}
	call.AccessKeyID = "ASIA" + strings.ToUpper(randomHex(8))
	secret := base64.StdEncoding.EncodeToString(randomBytes(30))
	call.SessionToken = base64.StdEncoding.EncodeToString(randomBytes(60))
	expires := time.Now().Add(duration).UTC()
	s.mu.Lock()
	s.issued[call.AccessKeyID] = sigv4.Secret{SecretAccessKey: secret, SessionToken: call.SessionToken, Expires: expires}
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	roleName := call.RoleArn[strings.LastIndex(call.RoleArn, "/")+1:]
	account := Account
	if parts := strings.Split(call.RoleArn, ":"); len(parts) > 4 {
		account = parts[4]
	}
	type credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	type user struct {
		Arn           string
		AssumedRoleID string `xml:"AssumedRoleId"`
	}
	out := struct {
		XMLName xml.Name `xml:"AssumeRoleResponse"`
		NS      string   `xml:"xmlns,attr"`
		Result  struct {
			Credentials      credentials
			AssumedRoleUser  user
			PackedPolicySize int
		} `xml:"AssumeRoleResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}{NS: stsNS, RequestID: requestID()}
	out.Result.Credentials = credentials{call.AccessKeyID, secret, call.SessionToken, expires.Format(time.RFC3339)}
	out.Result.AssumedRoleUser = user{
		// STS's own ARN of the session, which package arn has no
		// builder for: only the SDK's parser reads it here.
		Arn:           strings.Join([]string{"arn", "aws", "sts", "", account, "assumed-role/" + roleName + "/" + call.RoleSessionName}, ":"),
		AssumedRoleID: "AROA" + strings.ToUpper(randomHex(8)) + ":" + call.RoleSessionName,
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", out.RequestID)
	_ = xml.NewEncoder(w).Encode(out)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

func requestID() string {
	b := randomHex(16)
	return b[:8] + "-" + b[8:12] + "-" + b[12:16] + "-" + b[16:20] + "-" + b[20:]
}

// Signer is who signed one request a Recorder passed on.
type Signer struct {
	// AccessKeyID is the Authorization header's (or a presigned URL's)
	// Credential access key; SessionToken the X-Amz-Security-Token sent.
	AccessKeyID, SessionToken string
}

// Recorder is a reverse proxy in front of a service's endpoint that
// records who signed each request it passes on: what shows which
// credentials a task's call reached the service with.
type Recorder struct {
	URL string

	mu      sync.Mutex
	signers []Signer
}

// NewRecorder starts a Recorder in front of target (an endpoint URL); it
// stops when the test ends.
func NewRecorder(t testing.TB, target string) *Recorder {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &Recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := sigv4.ClaimedAccessKey(r)
		token := r.Header.Get("X-Amz-Security-Token")
		if token == "" {
			token = r.URL.Query().Get("X-Amz-Security-Token")
		}
		rec.mu.Lock()
		rec.signers = append(rec.signers, Signer{AccessKeyID: id, SessionToken: token})
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

// Signers are the signers of the requests so far, in order.
func (r *Recorder) Signers() []Signer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Signer(nil), r.signers...)
}
