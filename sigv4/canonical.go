package sigv4

import (
	"bytes"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const upperHex = "0123456789ABCDEF"

// unreserved are the bytes SigV4 never percent-encodes (RFC 3986's
// unreserved set).
var unreserved = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~" {
		t[c] = true
	}
	return t
}()

// appendEncoded appends s with every byte outside the unreserved set (and
// '/', when keepSlash) percent-encoded in upper-case hex.
func appendEncoded(dst []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] || (keepSlash && c == '/') {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// requestTarget is the path and query of the request as the client sent
// them. A server's request keeps the request line in RequestURI, which
// middleware does not rewrite; a request built in-process (a test, a
// client) has only URL, read the way aws-sdk-go-v2's signer reads it.
func requestTarget(r *http.Request) (path, query string) {
	if t := r.RequestURI; t != "" && t != "*" {
		path, query, _ = strings.Cut(t, "?")
		if !strings.HasPrefix(path, "/") {
			// Absolute form, "http://host/path": the path is what follows
			// the authority.
			if _, rest, ok := strings.Cut(path, "://"); ok {
				if i := strings.IndexByte(rest, '/'); i >= 0 {
					path = rest[i:]
				} else {
					path = ""
				}
			}
		}
		if path == "" {
			path = "/"
		}
		return path, query
	}
	return urlPath(r.URL), r.URL.RawQuery
}

func urlPath(u *url.URL) string {
	p := u.EscapedPath()
	if u.Opaque != "" {
		// "//host/path", the form the SDK's signer documents for a path
		// escaped by the caller.
		o, _, _ := strings.Cut(u.Opaque, "?")
		o = strings.TrimPrefix(o, "//")
		p = ""
		if i := strings.IndexByte(o, '/'); i >= 0 {
			p = o[i:]
		}
	}
	if p == "" {
		p = "/"
	}
	return p
}

// appendCanonicalURI appends the canonical URI of a non-S3 service: each
// byte of the path as sent (already percent-encoded by the client) is
// encoded again, so "arn%3Aaws" becomes "arn%253Aaws", as every AWS SDK
// signs it.
func appendCanonicalURI(dst []byte, path string) []byte {
	return appendEncoded(dst, path, true)
}

// normalizePath removes empty, "." and ".." segments, as botocore and the
// JavaScript SDK v3 do before signing (aws-sdk-go-v2 does not) and as AWS's
// test suite expects. It reports false when the path is already normal.
func normalizePath(path string) (string, bool) {
	segs := make([]string, 0, strings.Count(path, "/")+1)
	for seg := range strings.SplitSeq(path, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, seg)
		}
	}
	var b strings.Builder
	if strings.HasPrefix(path, "/") {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(segs, "/"))
	if len(segs) > 0 && strings.HasSuffix(path, "/") {
		b.WriteByte('/')
	}
	n := b.String()
	return n, n != path
}

// queryPair is one name=value of the query string. The *Dec fields are
// the decoded bytes and the *Enc fields their canonical encoding, both as
// offsets into scratch.arena.
type queryPair struct {
	kDec, vDec, kEnc, vEnc span
}

type span struct{ from, to int }

func (s span) of(b []byte) []byte { return b[s.from:s.to] }

// parseQuery decodes the raw query string into sc.pairs. '+' is a space,
// as url.ParseQuery and aws-sdk-go-v2's signer read it; an invalid escape
// is an error, because a server that skipped the pair (as url.Query does)
// would act on a request other than the one signed.
func (sc *scratch) parseQuery(raw string) *Error {
	sc.pairs = sc.pairs[:0]
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		var p queryPair
		var err *Error
		if p.kDec, err = sc.decode(k); err != nil {
			return err
		}
		if p.vDec, err = sc.decode(v); err != nil {
			return err
		}
		sc.pairs = append(sc.pairs, p)
	}
	return nil
}

func (sc *scratch) decode(s string) (span, *Error) {
	from := len(sc.arena)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 >= len(s) {
				return span{}, newError(MalformedQueryString, "Incomplete trailing escape % sequence")
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return span{}, newError(MalformedQueryString, "Illegal hex character in escape % pattern: %"+s[i+1:i+3])
			}
			c = hi<<4 | lo
			i += 2
		}
		sc.arena = append(sc.arena, c)
	}
	return span{from, len(sc.arena)}, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// param is the decoded value of the first query parameter named name.
func (sc *scratch) param(name string) (string, bool) {
	for _, p := range sc.pairs {
		if string(p.kDec.of(sc.arena)) == name {
			return string(p.vDec.of(sc.arena)), true
		}
	}
	return "", false
}

// appendCanonicalQuery appends the canonical query string: every pair
// encoded, sorted by encoded name and then encoded value, the presigned
// form's X-Amz-Signature left out.
func (sc *scratch) appendCanonicalQuery(dst []byte, presigned bool) []byte {
	if len(sc.pairs) == 0 {
		return dst
	}
	sorted := sc.sorted[:0]
	for _, p := range sc.pairs {
		if presigned && string(p.kDec.of(sc.arena)) == "X-Amz-Signature" {
			continue
		}
		p.kEnc = sc.encode(p.kDec)
		p.vEnc = sc.encode(p.vDec)
		sorted = append(sorted, p)
	}
	arena := sc.arena
	slices.SortFunc(sorted, func(a, b queryPair) int {
		if c := bytes.Compare(a.kEnc.of(arena), b.kEnc.of(arena)); c != 0 {
			return c
		}
		return bytes.Compare(a.vEnc.of(arena), b.vEnc.of(arena))
	})
	for i, p := range sorted {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, p.kEnc.of(arena)...)
		dst = append(dst, '=')
		dst = append(dst, p.vEnc.of(arena)...)
	}
	sc.sorted = sorted
	return dst
}

func (sc *scratch) encode(s span) span {
	from := len(sc.arena)
	// Encoding reads from the arena it appends to: copy the bytes' offsets,
	// not a slice that append may move.
	for i := s.from; i < s.to; i++ {
		c := sc.arena[i]
		if unreserved[c] {
			sc.arena = append(sc.arena, c)
		} else {
			sc.arena = append(sc.arena, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return span{from, len(sc.arena)}
}

// appendHeader appends the canonical value of the header a signed-header
// name stands for: its values trimmed and joined with ",". Host is not in
// r.Header (Go keeps it in r.Host), nor is Transfer-Encoding; Content-Length
// is. A signed header the request lacks has the empty value. ok is false
// for a value with a line break, which could forge lines of the canonical
// request (Go's server refuses such values; a request built in-process
// might not).
func appendHeader(dst []byte, r *http.Request, name string) (_ []byte, ok bool) {
	var vals []string
	switch name {
	case "host", ":authority":
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		return appendHeaderValue(dst, h), !hasLineBreak(h)
	case "transfer-encoding":
		vals = r.TransferEncoding
	}
	if vals == nil {
		var buf [64]byte
		if key, ok := canonicalKey(buf[:0], name); ok {
			vals = r.Header[string(key)]
		} else {
			vals = r.Header[textproto.CanonicalMIMEHeaderKey(name)]
		}
	}
	if vals == nil && name == "content-length" && r.ContentLength > 0 {
		// A request built in-process (httptest.NewRequest) keeps its
		// length only in ContentLength, where the SDKs' signers read it.
		return strconv.AppendInt(dst, r.ContentLength, 10), true
	}
	for i, v := range vals {
		if hasLineBreak(v) {
			return dst, false
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendHeaderValue(dst, v)
	}
	return dst, true
}

func hasLineBreak(s string) bool { return strings.ContainsAny(s, "\r\n") }

// canonicalKey is textproto.CanonicalMIMEHeaderKey for the common names
// (letters, digits and '-'), written into dst so that the map lookup does
// not allocate.
func canonicalKey(dst []byte, name string) ([]byte, bool) {
	if len(name) > cap(dst) || name == "" {
		return nil, false
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z':
			if upper {
				c -= 'a' - 'A'
			}
		case 'A' <= c && c <= 'Z':
			if !upper {
				c += 'a' - 'A'
			}
		case '0' <= c && c <= '9', c == '-':
		default:
			return nil, false
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst, true
}

// appendHeaderValue appends v trimmed, with each run of spaces and tabs
// made one space: the SigV4 "trimall", as botocore and the JavaScript SDK
// apply it (aws-sdk-go-v2 collapses spaces only; the two differ only for a
// value with a tab inside, which no SDK signs).
func appendHeaderValue(dst []byte, v string) []byte {
	space := false
	wrote := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space && wrote {
			dst = append(dst, ' ')
		}
		space = false
		wrote = true
		dst = append(dst, c)
	}
	return dst
}
