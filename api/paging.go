package api

import (
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/statecraft/statecraft/store"
)

// Page sizes: maxResults 0 means AWS's default.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
	// tokenTTL is how long AWS honours a nextToken.
	tokenTTL = 24 * time.Hour
)

// pageToken wraps the store's cursor with what AWS promises about tokens:
// one is only good for the same operation with the same arguments, and for
// 24 hours. Checking that here turns a token from another listing, which
// the store would otherwise misread as a cursor, into InvalidToken.
type pageToken struct {
	Op     string `json:"o"`
	Scope  string `json:"s,omitempty"` // hash of the arguments other than paging
	Issued int64  `json:"t"`           // unix seconds
	Cursor string `json:"c,omitempty"` // the store's token
	After  int64  `json:"a,omitempty"` // GetExecutionHistory: the last event id returned
}

func scopeOf(args ...string) string {
	h := fnv.New64a()
	for _, a := range args {
		h.Write([]byte(a))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

func (s *server) encodeToken(t pageToken) string {
	t.Issued = s.now().Unix()
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeToken checks a client's nextToken against the request it came
// with.
func (s *server) decodeToken(text, op, scope string) (pageToken, *apiError) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Op != op || t.Scope != scope {
		return pageToken{}, invalidPageToken("Invalid token")
	}
	if s.now().Sub(time.Unix(t.Issued, 0)) > tokenTTL {
		return pageToken{}, invalidPageToken("The token has expired")
	}
	return t, nil
}

// pageSize turns maxResults into a limit.
func pageSize(n int64, given bool) int {
	if !given || n == 0 {
		return defaultPageSize
	}
	return int(n)
}

// pageArgs are the paging members of a list request, read before the
// request is checked and unwrapped only after, since the token's scope
// may depend on the other members.
type pageArgs struct {
	limit      int
	token      string
	tokenGiven bool
}

// readPage reads maxResults and nextToken; tokenStr is the operation's
// model of the token, which differs between operations.
func readPage(in *fields, tokenStr str) pageArgs {
	n, nGiven := in.integer("maxResults", 0, maxPageSize)
	tok, tokGiven := in.str("nextToken", tokenStr)
	return pageArgs{limit: pageSize(n, nGiven), token: tok, tokenGiven: tokGiven}
}

// cursor unwraps the client's token into the store's cursor, "" for the
// first page.
func (s *server) cursor(p pageArgs, op, scope string) (string, *apiError) {
	if !p.tokenGiven {
		return "", nil
	}
	t, err := s.decodeToken(p.token, op, scope)
	if err != nil {
		return "", err
	}
	return t.Cursor, nil
}

// pageParams reads the paging members of a list operation that has no
// others and unwraps the client's token into the store's cursor.
func (s *server) pageParams(c *call, op string) (store.ListParams, error) {
	page := readPage(c.in, pageTokenStr)
	if err := c.in.r.check(); err != nil {
		return store.ListParams{}, err
	}
	cursor, err := s.cursor(page, op, "")
	if err != nil {
		return store.ListParams{}, err
	}
	return store.ListParams{Limit: page.limit, Token: cursor}, nil
}
