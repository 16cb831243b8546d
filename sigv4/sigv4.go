// Package sigv4 verifies AWS Signature Version 4 on the server side.
//
// The AWS SDKs only sign; no well-kept Go library verifies a signature as
// a service does (the canonical request rebuilt from what arrived, the
// clock-skew window, presigned URLs, session tokens, and AWS's error names
// and texts), so Statecraft has its own. It follows the SigV4 reference
// (docs.aws.amazon.com, "Create a signed AWS API request") for services
// other than S3: the escaped path is encoded once more, and the payload
// hash is always computed from the body unless UNSIGNED-PAYLOAD is
// allowed.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	algorithm     = "AWS4-HMAC-SHA256"
	timeFormat    = "20060102T150405Z"
	dateFormat    = "20060102"
	maxSkew       = 15 * time.Minute
	maxPresignTTL = 7 * 24 * time.Hour
	unsigned      = "UNSIGNED-PAYLOAD"
)

// Secret is what the server knows about one access key.
type Secret struct {
	SecretAccessKey string
	// SessionToken, when not empty, must come with the request
	// (X-Amz-Security-Token, as a header or a presigned URL's parameter).
	SessionToken string
	// Expires, when not zero, is when the credential stops working.
	Expires time.Time
}

// Lookup finds the secret of an access key id; ok is false for a key the
// server does not know.
type Lookup func(accessKeyID string) (Secret, bool)

// Options say what Verify accepts.
type Options struct {
	// Service is the signing name the credential scope must name.
	Service string
	// Regions, when not nil, tells which scope regions are accepted.
	Regions func(region string) bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AllowUnsignedPayload accepts X-Amz-Content-Sha256: UNSIGNED-PAYLOAD.
	AllowUnsignedPayload bool
}

// Result is what a verified request proved.
type Result struct {
	AccessKeyID string
	Region      string
	Service     string
	Date        time.Time
	Presigned   bool
}

// signed is what a request says about its signature, from either form.
type signed struct {
	credential    string
	signedHeaders string
	signature     string
	date          string
	token         string
	hasToken      bool
	expires       string
	presigned     bool
}

// Verify checks the signature of r, whose whole body is body, and
// returns what it proved, or an *Error.
func Verify(r *http.Request, body []byte, lookup Lookup, o Options) (*Result, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	s, err := readSigned(r)
	if err != nil {
		return nil, err
	}
	akid, scopeDate, region, service, ok := splitCredential(s.credential)
	if !ok {
		return nil, incomplete("Credential should be scoped to a valid region. ")
	}
	if service != o.Service {
		return nil, invalidSignature("Credential should be scoped to correct service: '" + o.Service + "'. ")
	}
	if o.Regions != nil && !o.Regions(region) {
		return nil, invalidSignature("Credential should be scoped to a valid region. ")
	}
	at, perr := time.Parse(timeFormat, s.date)
	if perr != nil {
		if s.date == "" {
			return nil, incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + r.Header.Get("Authorization"))
		}
		return nil, incomplete("Date must be in ISO-8601 'basic format'. Got '" + s.date + "'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	if scopeDate != at.Format(dateFormat) {
		return nil, invalidSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" + scopeDate + "' != '" + at.Format(dateFormat) + "', from '" + s.date + "'.")
	}
	t := now().UTC()
	if s.presigned {
		ttl, err := strconv.Atoi(s.expires)
		if err != nil || ttl < 1 || time.Duration(ttl)*time.Second > maxPresignTTL {
			return nil, incomplete("X-Amz-Expires must be an integer between 1 and 604800 seconds")
		}
		if t.After(at.Add(time.Duration(ttl) * time.Second)) {
			return nil, &Error{Name: "AccessDeniedException", Message: "Request has expired"}
		}
		if at.After(t.Add(maxSkew)) {
			return nil, invalidSignature("Signature not yet current: " + s.date + " is still later than " + t.Add(maxSkew).Format(timeFormat) + " (" + t.Format(timeFormat) + " + 15 min.)")
		}
	} else {
		if at.Before(t.Add(-maxSkew)) {
			return nil, invalidSignature("Signature expired: " + s.date + " is now earlier than " + t.Add(-maxSkew).Format(timeFormat) + " (" + t.Format(timeFormat) + " - 15 min.)")
		}
		if at.After(t.Add(maxSkew)) {
			return nil, invalidSignature("Signature not yet current: " + s.date + " is still later than " + t.Add(maxSkew).Format(timeFormat) + " (" + t.Format(timeFormat) + " + 15 min.)")
		}
	}
	sec, known := lookup(akid)
	if !known {
		return nil, unrecognized()
	}
	if sec.SessionToken != "" || s.hasToken {
		if subtle.ConstantTimeCompare([]byte(sec.SessionToken), []byte(s.token)) != 1 {
			return nil, unrecognized()
		}
	}
	if !sec.Expires.IsZero() && !t.Before(sec.Expires) {
		return nil, &Error{Name: "ExpiredTokenException", Message: "The security token included in the request is expired"}
	}
	headers := strings.Split(s.signedHeaders, ";")
	if !signsHost(headers) {
		return nil, invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	payload, perr2 := payloadHash(r, body, s.presigned, o.AllowUnsignedPayload)
	if perr2 != nil {
		return nil, perr2
	}
	candidates := []string{payload}
	if s.presigned && payload != unsigned && len(body) == 0 {
		// A presigned URL carries no payload hash; signers use either
		// UNSIGNED-PAYLOAD or the hash of the empty body.
		candidates = append(candidates, unsigned)
	}
	scope := scopeDate + "/" + region + "/" + service + "/aws4_request"
	key := signingKey(sec.SecretAccessKey, scopeDate, region, service)
	got, herr := hex.DecodeString(s.signature)
	match := false
	for _, p := range candidates {
		creq := canonicalRequest(r, headers, s.signedHeaders, p, s.presigned)
		sts := algorithm + "\n" + s.date + "\n" + scope + "\n" + hexSHA256([]byte(creq))
		if herr == nil && hmac.Equal(hmacSHA256(key, []byte(sts)), got) {
			match = true
		}
	}
	if !match {
		return nil, invalidSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return &Result{AccessKeyID: akid, Region: region, Service: service, Date: at, Presigned: s.presigned}, nil
}

// readSigned reads the signature's parts from the Authorization header or
// the presigned query string.
func readSigned(r *http.Request) (*signed, error) {
	auth := r.Header.Get("Authorization")
	q := r.URL.Query()
	if auth == "" {
		if q.Get("X-Amz-Algorithm") == "" && q.Get("X-Amz-Signature") == "" && q.Get("X-Amz-Credential") == "" {
			return nil, &Error{Name: "MissingAuthenticationTokenException", Message: "Missing Authentication Token"}
		}
		return readPresigned(q)
	}
	rest, ok := strings.CutPrefix(auth, algorithm+" ")
	if !ok {
		if strings.HasPrefix(auth, algorithm) {
			rest = strings.TrimPrefix(auth, algorithm)
		} else {
			return nil, incomplete("Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + auth)
		}
	}
	s := &signed{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			s.credential = v
		case "SignedHeaders":
			s.signedHeaders = v
		case "Signature":
			s.signature = v
		}
	}
	var missing []string
	if s.credential == "" {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if s.signature == "" {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if s.signedHeaders == "" {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	s.date = r.Header.Get("X-Amz-Date")
	if s.date == "" {
		if d := r.Header.Get("Date"); d != "" {
			if t, err := http.ParseTime(d); err == nil {
				s.date = t.UTC().Format(timeFormat)
			} else {
				s.date = d
			}
		}
	}
	if s.date == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, incomplete(strings.Join(missing, " ") + " Authorization=" + auth)
	}
	if vs, ok := r.Header["X-Amz-Security-Token"]; ok {
		s.hasToken, s.token = true, strings.Join(vs, ",")
	}
	return s, nil
}

func readPresigned(q url.Values) (*signed, error) {
	var missing []string
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date", "X-Amz-Expires"} {
		if q.Get(k) == "" {
			missing = append(missing, "AWS query-string parameters must include '"+k+"'.")
		}
	}
	if len(missing) > 0 {
		return nil, incomplete(strings.Join(missing, " ") + " Re-examine the query-string parameters.")
	}
	if q.Get("X-Amz-Algorithm") != algorithm {
		return nil, incomplete("Unsupported AWS 'algorithm': '" + q.Get("X-Amz-Algorithm") + "'")
	}
	s := &signed{
		credential:    q.Get("X-Amz-Credential"),
		signedHeaders: q.Get("X-Amz-SignedHeaders"),
		signature:     q.Get("X-Amz-Signature"),
		date:          q.Get("X-Amz-Date"),
		expires:       q.Get("X-Amz-Expires"),
		presigned:     true,
	}
	if vs, ok := q["X-Amz-Security-Token"]; ok {
		s.hasToken, s.token = true, strings.Join(vs, ",")
	}
	return s, nil
}

func splitCredential(c string) (akid, date, region, service string, ok bool) {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" || len(parts[1]) != 8 || parts[2] == "" || parts[3] == "" {
		return "", "", "", "", false
	}
	return parts[0], parts[1], parts[2], parts[3], true
}

func signsHost(headers []string) bool {
	for _, h := range headers {
		if h == "host" || h == ":authority" {
			return true
		}
	}
	return false
}

func payloadHash(r *http.Request, body []byte, presigned, allowUnsigned bool) (string, error) {
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if declared == unsigned && (allowUnsigned || presigned && len(body) == 0) {
		return unsigned, nil
	}
	computed := hexSHA256(body)
	if declared != "" && declared != computed {
		return "", invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return computed, nil
}

// canonicalRequest is the SigV4 canonical request of r as it arrived.
func canonicalRequest(r *http.Request, headers []string, signedHeaders, payload string, presigned bool) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, presigned))
	b.WriteByte('\n')
	for _, h := range headers {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

func headerValue(r *http.Request, name string) string {
	var vs []string
	switch name {
	case "host":
		vs = []string{r.Host}
	case "content-length":
		if v, ok := r.Header["Content-Length"]; ok {
			vs = v
		} else if r.ContentLength >= 0 {
			vs = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vs = r.Header.Values(name)
	}
	for i, v := range vs {
		vs[i] = trimAll(v)
	}
	return strings.Join(vs, ",")
}

// trimAll trims a header value and collapses its inner runs of spaces.
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	return strings.Join(strings.Fields(v), " ")
}

// canonicalURI encodes the escaped path once more, as the SDKs do for
// every service but S3.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	return escape(p, false)
}

func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		kd, err1 := url.QueryUnescape(k)
		vd, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			kd, vd = k, v
		}
		if presigned && kd == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, kv{escape(kd, true), escape(vd, true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// escape is RFC 3986 percent-encoding of everything but unreserved
// characters, and '/' too when encodeSlash is true.
func escape(s string, encodeSlash bool) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' && !encodeSlash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	return b.String()
}

func hexSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

// keyCache keeps derived signing keys: a key is good for a day, region
// and service, and deriving it costs four HMACs per request otherwise.
var keyCache = struct {
	sync.Mutex
	m map[string][]byte
}{m: map[string][]byte{}}

const keyCacheMax = 1024

func signingKey(secret, date, region, service string) []byte {
	id := date + "\x00" + region + "\x00" + service + "\x00" + secret
	keyCache.Lock()
	k, ok := keyCache.m[id]
	keyCache.Unlock()
	if ok {
		return k
	}
	k = hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	k = hmacSHA256(k, []byte("aws4_request"))
	keyCache.Lock()
	if len(keyCache.m) >= keyCacheMax {
		clear(keyCache.m)
	}
	keyCache.m[id] = k
	keyCache.Unlock()
	return k
}
