package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	timeFormat      = "20060102T150405Z"
	dateFormat      = "20060102"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// DefaultMaxSkew is how far a request's time may be from the server's
	// clock, either way, unless Options.MaxSkew says otherwise.
	DefaultMaxSkew = 15 * time.Minute
	// MaxExpires is the longest X-Amz-Expires a presigned request may
	// carry: a week, the limit AWS documents for presigned URLs.
	MaxExpires = 604800
)

// Secret is what the server knows about one access key.
type Secret struct {
	SecretAccessKey string
	// SessionToken, when non-empty, must be sent as X-Amz-Security-Token
	// (header, or query parameter in a presigned URL) and be equal. When
	// empty, a request that sends a token is refused, as AWS refuses a
	// token sent with a long-term key.
	SessionToken string
	// Expires, when non-zero, is when the credential stops working:
	// ExpiredTokenException from then on.
	Expires time.Time
}

// Lookup finds the secret of an access key id; ok=false: unknown key
// (UnrecognizedClientException).
type Lookup func(accessKeyID string) (Secret, bool)

// Options say what a request must be signed for.
type Options struct {
	// Service is the signing name the credential scope must name:
	// "states", "lambda", "statecraft". Required.
	Service string
	// Regions, when non-nil, says which scope regions are accepted
	// (others: "Credential should be scoped to a valid region"); nil
	// accepts any syntactically valid region (lower-case letters, digits
	// and inner hyphens).
	Regions func(region string) bool
	// Now is the server's clock; nil: time.Now.
	Now func() time.Time
	// AllowUnsignedPayload accepts x-amz-content-sha256: UNSIGNED-PAYLOAD,
	// which leaves the body unauthenticated. AWS allows it only for some
	// services (S3); the caller decides where.
	AllowUnsignedPayload bool
	// MaxSkew is how far the signing time may be from Now, either way;
	// 0: DefaultMaxSkew (15 minutes, as STS and DynamoDB; Lambda answers
	// with 5).
	MaxSkew time.Duration
}

// Result is what a verified request proved.
type Result struct {
	AccessKeyID string
	Region      string
	Service     string
	Date        time.Time // the signing time
	Presigned   bool
}

// auth is what a request says about its signature.
type auth struct {
	presigned     bool
	credential    string
	signedHeaders string
	signature     string
	date          string
	dateHeader    string // "x-amz-date" or "date": which header carried date
	token         string
	hasToken      bool
	expires       string
	hasExpires    bool
}

// scratch is the memory one verification works in, pooled so that a
// verification allocates almost nothing.
type scratch struct {
	buf     []byte // canonical request, then HMAC block and string to sign
	arena   []byte
	pairs   []queryPair
	sorted  []queryPair
	auth    auth
	payload [2 * sha256.Size]byte
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{buf: make([]byte, 0, 1024), arena: make([]byte, 0, 256)}
}}

// Verify checks the request's signature: the header form (Authorization:
// AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...) or the
// presigned query-string form (X-Amz-Algorithm, X-Amz-Credential,
// X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature,
// X-Amz-Security-Token). body is the whole request body, which the caller
// has read (bounded); the payload hash is computed from it.
//
// The request must be the one the client sent: its path and query are read
// from r.RequestURI when set (as on every server request), else from r.URL;
// headers from r.Header, the host from r.Host. It returns an *Error on
// failure, checking in the order AWS does: the form of the Authorization
// header or query parameters, the signed header list, the date, the
// credential scope, the access key and session token, and last the
// signature.
func Verify(r *http.Request, body []byte, lookup Lookup, o Options) (*Result, error) {
	if o.Service == "" || lookup == nil || r == nil || r.URL == nil {
		return nil, newError(InternalFailure, "sigv4: Verify needs a request, a Lookup and Options.Service")
	}
	sc := scratchPool.Get().(*scratch)
	defer func() {
		if cap(sc.buf) <= 64<<10 && cap(sc.arena) <= 64<<10 {
			sc.arena = sc.arena[:0]
			scratchPool.Put(sc)
		}
	}()
	res, err := verify(sc, r, body, lookup, &o)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func verify(sc *scratch, r *http.Request, body []byte, lookup Lookup, o *Options) (*Result, *Error) {
	path, rawQuery := requestTarget(r)
	if err := sc.parseQuery(rawQuery); err != nil {
		return nil, err
	}
	a, err := readAuth(sc, r)
	if err != nil {
		return nil, err
	}

	// The signed header list: host always (a signature must not be
	// replayable against another host), and the header that carries the
	// date, since a server that reads the date from an unsigned header
	// could be made to believe any date.
	hostSigned, dateSigned := false, a.presigned
	for name := range strings.SplitSeq(a.signedHeaders, ";") {
		switch name {
		case "host", ":authority":
			hostSigned = true
		case a.dateHeader:
			dateSigned = true
		}
	}
	if !hostSigned {
		return nil, newError(InvalidSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if !dateSigned {
		return nil, newError(InvalidSignature, "'"+a.dateHeader+"' must be a 'SignedHeader' in the AWS Authorization.")
	}

	t, ok := parseTime(a.date)
	if !ok {
		return nil, newError(IncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '"+a.date+"'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if err := checkTime(t, now().UTC(), a, o.MaxSkew); err != nil {
		return nil, err
	}

	akid, scope, err := checkScope(a.credential, t, o)
	if err != nil {
		return nil, err
	}

	payloadHash, err := payloadHash(r, body, o, &sc.payload)
	if err != nil {
		return nil, err
	}

	secret, ok := lookup(akid)
	if !ok {
		return nil, newError(UnrecognizedClient, msgTokenInvalid)
	}
	if err := checkToken(secret, a, now()); err != nil {
		return nil, err
	}

	key := keys.get(secret.SecretAccessKey, scope.date, scope.region, scope.service)
	if !sc.signatureMatches(r, path, a, payloadHash, key) {
		// botocore and the JavaScript SDK sign the path with empty, "."
		// and ".." segments removed; aws-sdk-go-v2 signs it as sent.
		// Either is the client's honest account of the same request.
		n, differs := normalizePath(path)
		if !differs || !sc.signatureMatches(r, n, a, payloadHash, key) {
			return nil, newError(InvalidSignature, msgSignatureDiffer)
		}
	}
	return &Result{
		AccessKeyID: akid,
		Region:      scope.region,
		Service:     scope.service,
		Date:        t,
		Presigned:   a.presigned,
	}, nil
}

// readAuth finds the signature's parts in the Authorization header or the
// query string.
func readAuth(sc *scratch, r *http.Request) (*auth, *Error) {
	hdr, hasHeader := firstHeader(r.Header, "Authorization")
	alg, hasAlg := sc.param("X-Amz-Algorithm")
	switch {
	case hasHeader && hasAlg:
		return nil, newError(InvalidSignature, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	case hasAlg:
		return readQueryAuth(sc, alg)
	case hasHeader:
		return readHeaderAuth(sc, r, hdr)
	}
	return nil, newError(MissingAuthenticationToken, msgMissingAuthJSON)
}

func readHeaderAuth(sc *scratch, r *http.Request, hdr string) (*auth, *Error) {
	hdr = strings.TrimSpace(hdr)
	a := &sc.auth
	*a = auth{}
	alg, params, _ := strings.Cut(hdr, " ")
	if alg != algorithm && strings.HasPrefix(alg, "AWS4-") {
		return nil, newError(IncompleteSignature, "Unsupported AWS 'algorithm': '"+alg+"'.")
	}
	if alg == algorithm {
		var credential, signedHeaders, signature bool
		// Parameters are separated by commas and spaces; AWS reads a
		// space inside one as a separator too ("Credential= AKID/..."
		// is an empty Credential and a pair without "=").
		for p := range strings.FieldsFuncSeq(params, isParamSeparator) {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				return nil, newError(IncompleteSignature, "'"+p+"' not a valid key=value pair (missing equal-sign) in Authorization header: '"+hdr+"'.")
			}
			// The last of a repeated parameter counts.
			switch k {
			case "Credential":
				a.credential, credential = v, true
			case "SignedHeaders":
				a.signedHeaders, signedHeaders = v, true
			case "Signature":
				a.signature, signature = v, true
			}
		}
		if credential && signedHeaders && signature {
			var ok bool
			if a.date, ok = firstHeader(r.Header, "X-Amz-Date"); ok {
				a.dateHeader = "x-amz-date"
			} else if a.date, ok = firstHeader(r.Header, "Date"); ok {
				a.dateHeader = "date"
			}
			if ok {
				a.token, a.hasToken = firstHeader(r.Header, "X-Amz-Security-Token")
				return a, nil
			}
		}
		return nil, missingParams(credential, signature, signedHeaders, r, hdr)
	}
	// Another scheme (Bearer, AWS's SigV2 "AWS key:sig", ...): AWS
	// answers that it lacks SigV4's parameters.
	return nil, missingParams(false, false, false, r, hdr)
}

func isParamSeparator(c rune) bool { return c == ',' || c == ' ' || c == '\t' }

func missingParams(credential, signature, signedHeaders bool, r *http.Request, hdr string) *Error {
	var b strings.Builder
	add := func(s string) {
		b.WriteString(s)
		b.WriteByte(' ')
	}
	if !credential {
		add("Authorization header requires 'Credential' parameter.")
	}
	if !signature {
		add("Authorization header requires 'Signature' parameter.")
	}
	if !signedHeaders {
		add("Authorization header requires 'SignedHeaders' parameter.")
	}
	_, x := firstHeader(r.Header, "X-Amz-Date")
	_, d := firstHeader(r.Header, "Date")
	if !x && !d {
		add("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	b.WriteString("Authorization=")
	b.WriteString(hdr)
	return newError(IncompleteSignature, b.String())
}

func readQueryAuth(sc *scratch, alg string) (*auth, *Error) {
	if alg != algorithm {
		return nil, newError(MissingAuthenticationToken, msgMissingAuthJSON)
	}
	a := &sc.auth
	*a = auth{presigned: true, dateHeader: "x-amz-date"}
	var missing []string
	var ok bool
	if a.credential, ok = sc.param("X-Amz-Credential"); !ok {
		missing = append(missing, "AWS query-string parameters must include 'X-Amz-Credential'.")
	}
	if a.signature, ok = sc.param("X-Amz-Signature"); !ok {
		missing = append(missing, "AWS query-string parameters must include 'X-Amz-Signature'.")
	}
	if a.signedHeaders, ok = sc.param("X-Amz-SignedHeaders"); !ok {
		missing = append(missing, "AWS query-string parameters must include 'X-Amz-SignedHeaders'.")
	}
	if a.date, ok = sc.param("X-Amz-Date"); !ok {
		missing = append(missing, "AWS query-string parameters must include 'X-Amz-Date'.")
	}
	if len(missing) > 0 {
		return nil, newError(IncompleteSignature, strings.Join(missing, " ")+" Re-examine the query-string parameters.")
	}
	a.expires, a.hasExpires = sc.param("X-Amz-Expires")
	a.token, a.hasToken = sc.param("X-Amz-Security-Token")
	return a, nil
}

func firstHeader(h http.Header, key string) (string, bool) {
	if v := h[key]; len(v) > 0 {
		return v[0], true
	}
	return "", false
}

func parseTime(s string) (time.Time, bool) {
	if len(s) != len(timeFormat) {
		return time.Time{}, false
	}
	t, err := time.Parse(timeFormat, s)
	return t, err == nil
}

func checkTime(t, now time.Time, a *auth, skew time.Duration) *Error {
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if late := now.Add(skew); t.After(late) {
		return newError(InvalidSignature, "Signature not yet current: "+t.Format(timeFormat)+" is still later than "+late.Format(timeFormat)+" ("+now.Format(timeFormat)+" + "+skewText(skew)+".)")
	}
	if a.hasExpires {
		secs, err := strconv.Atoi(a.expires)
		if err != nil || secs < 1 || secs > MaxExpires {
			return newError(IncompleteSignature, "X-Amz-Expires must be a whole number of seconds from 1 to 604800, not '"+a.expires+"'.")
		}
		if end := t.Add(time.Duration(secs) * time.Second); now.After(end) {
			return newError(InvalidSignature, "Request has expired: X-Amz-Date "+a.date+" plus X-Amz-Expires "+a.expires+" seconds is earlier than "+now.Format(timeFormat)+".")
		}
		return nil
	}
	if early := now.Add(-skew); t.Before(early) {
		return newError(InvalidSignature, "Signature expired: "+t.Format(timeFormat)+" is now earlier than "+early.Format(timeFormat)+" ("+now.Format(timeFormat)+" - "+skewText(skew)+".)")
	}
	return nil
}

func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + " sec"
}

type credentialScope struct {
	date, region, service string
}

// checkScope splits the credential AKID/YYYYMMDD/REGION/SERVICE/aws4_request
// and checks the scope against the request's date and o.
func checkScope(credential string, t time.Time, o *Options) (string, credentialScope, *Error) {
	var s credentialScope
	var parts [5]string
	rest := credential
	n := 0
	for n < 4 {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			break
		}
		parts[n], rest = rest[:i], rest[i+1:]
		n++
	}
	if n != 4 || strings.IndexByte(rest, '/') >= 0 {
		return "", s, newError(IncompleteSignature, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '"+credential+"'")
	}
	parts[4] = rest
	akid := parts[0]
	s.date, s.region, s.service = parts[1], parts[2], parts[3]

	var msg strings.Builder
	regionOK := validRegion(s.region)
	if regionOK && o.Regions != nil {
		regionOK = o.Regions(s.region)
	}
	if !regionOK {
		msg.WriteString("Credential should be scoped to a valid region, not '" + s.region + "'. ")
	}
	if s.service != o.Service {
		msg.WriteString("Credential should be scoped to correct service: '" + o.Service + "'. ")
	}
	if parts[4] != terminator {
		msg.WriteString("Credential should be scoped with a valid terminator: 'aws4_request', not '" + parts[4] + "'. ")
	}
	var day [len(dateFormat)]byte
	if want := t.AppendFormat(day[:0], dateFormat); s.date != string(want) {
		msg.WriteString("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" + s.date + "' != '" + string(want) + "', from '" + t.Format(timeFormat) + "'. ")
	}
	if msg.Len() > 0 {
		return "", s, newError(InvalidSignature, msg.String())
	}
	return akid, s, nil
}

// validRegion: lower-case letters and digits in hyphen-separated words,
// as every AWS region name is ("us-east-1", "us-gov-west-1").
func validRegion(r string) bool {
	if r == "" || len(r) > 64 || r[0] == '-' || r[len(r)-1] == '-' {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' && r[i-1] != '-') {
			return false
		}
	}
	return true
}

// payloadHash is the last line of the canonical request: the body's
// SHA-256 (written into dst), or UNSIGNED-PAYLOAD where the client asks for
// it and o allows it. A client that states the hash (x-amz-content-sha256)
// must state the right one.
func payloadHash(r *http.Request, body []byte, o *Options, dst *[2 * sha256.Size]byte) ([]byte, *Error) {
	claimed, ok := firstHeader(r.Header, "X-Amz-Content-Sha256")
	if ok && claimed == unsignedPayload {
		if !o.AllowUnsignedPayload {
			return nil, newError(InvalidSignature, "x-amz-content-sha256 UNSIGNED-PAYLOAD is not accepted here: the payload must be signed.")
		}
		return []byte(unsignedPayload), nil
	}
	sum := sha256.Sum256(body)
	hex.Encode(dst[:], sum[:])
	if ok && claimed != string(dst[:]) {
		return nil, newError(InvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return dst[:], nil
}

// checkToken compares the session token the request carries with the
// secret's, in constant time, and the credential's expiry with now.
func checkToken(s Secret, a *auth, now time.Time) *Error {
	if s.SessionToken != "" || a.hasToken {
		if !a.hasToken || subtle.ConstantTimeCompare([]byte(a.token), []byte(s.SessionToken)) != 1 {
			return newError(UnrecognizedClient, msgTokenInvalid)
		}
	}
	if !s.Expires.IsZero() && !now.Before(s.Expires) {
		return newError(ExpiredToken, msgTokenExpired)
	}
	return nil
}

// signatureMatches builds the canonical request and the string to sign and
// compares the signature they yield with the one the request carries.
func (sc *scratch) signatureMatches(r *http.Request, path string, a *auth, payloadHash []byte, key *signingKey) bool {
	b, ok := sc.canonicalRequest(r, path, a, payloadHash)
	if !ok {
		return false
	}
	creqSum := sha256.Sum256(b)

	// The string to sign, after room for the HMAC's inner block.
	b = append(b[:0], make([]byte, sha256.BlockSize)...)
	b = append(b, algorithm+"\n"...)
	b = append(b, a.date...)
	b = append(b, '\n')
	b = append(b, a.credential[strings.IndexByte(a.credential, '/')+1:]...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, creqSum[:])
	sig := key.sum(b)
	sc.buf = b

	var want, got [2 * sha256.Size]byte
	hex.Encode(want[:], sig[:])
	if len(a.signature) != len(got) {
		return false
	}
	copy(got[:], a.signature)
	return hmac.Equal(want[:], got[:])
}

// canonicalRequest writes the canonical request into sc.buf. ok is false
// when the request has what cannot be put into one unambiguously: a line
// break in the method or in a signed header's name or value.
func (sc *scratch) canonicalRequest(r *http.Request, path string, a *auth, payloadHash []byte) (_ []byte, ok bool) {
	if hasLineBreak(a.signedHeaders) || hasLineBreak(r.Method) {
		return nil, false
	}
	b := sc.buf[:0]
	defer func() { sc.buf = b }()
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = appendCanonicalURI(b, path)
	b = append(b, '\n')
	b = sc.appendCanonicalQuery(b, a.presigned)
	b = append(b, '\n')
	for name := range strings.SplitSeq(a.signedHeaders, ";") {
		b = append(b, name...)
		b = append(b, ':')
		if b, ok = appendHeader(b, r, name); !ok {
			return nil, false
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, a.signedHeaders...)
	b = append(b, '\n')
	b = append(b, payloadHash...)
	return b, true
}

// ClaimedAccessKey is the access key id a request says it is signed with
// (Authorization's Credential=, or a presigned URL's X-Amz-Credential),
// without verifying anything: what lets a server refuse an unknown key
// before it reads a body. ok is false when the request names none.
func ClaimedAccessKey(r *http.Request) (string, bool) {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		_, c, ok := strings.Cut(h, "Credential=")
		if !ok {
			return "", false
		}
		cred = c
	}
	akid, _, ok := strings.Cut(cred, "/")
	return akid, ok && akid != ""
}
