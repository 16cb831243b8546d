// Package sqlkit holds what Statecraft's SQL store drivers (store/sqlite,
// store/postgres) do alike: their page tokens, the loop that reads one
// page more than it returns, the reading of their numbered migration
// files, the columns of an alias's routes, and what an alias's writes
// and listings decide before or beside their SQL. Each driver keeps its
// own SQL; what is here has no dialect.
package sqlkit

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
)

// A listing's token is its last row's sort key, so that a page stays
// right however many rows were added or deleted before it:
// base64url("1." + KEY + "." + ARN), KEY a number in the driver's own
// unit (SQLite's nanoseconds, PostgreSQL's microseconds), "1." the
// format's version.

// EncodeKey is the token that continues a listing after (key, arn).
func EncodeKey(key int64, arn string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("1." + strconv.FormatInt(key, 10) + "." + arn))
}

// DecodeKey reads a token EncodeKey made; store.ErrInvalidToken otherwise.
func DecodeKey(tok string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, "", store.ErrInvalidToken
	}
	rest, ok := strings.CutPrefix(string(b), "1.")
	if !ok {
		return 0, "", store.ErrInvalidToken
	}
	num, arn, ok := strings.Cut(rest, ".")
	key, err := strconv.ParseInt(num, 10, 64)
	// An ARN is text: a token carrying invalid UTF-8 or a NUL was not
	// made here, and PostgreSQL would refuse it as a parameter.
	if !ok || err != nil || !utf8.ValidString(arn) || strings.ContainsRune(arn, 0) {
		return 0, "", store.ErrInvalidToken
	}
	return key, arn, nil
}

// EncodeVersion is the token that continues a listing of versions after
// version n (they list newest first).
func EncodeVersion(n int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1." + strconv.FormatInt(n, 10)))
}

// DecodeVersion reads a token EncodeVersion made.
func DecodeVersion(tok string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, store.ErrInvalidToken
	}
	num, ok := strings.CutPrefix(string(b), "v1.")
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || n < 1 {
		return 0, store.ErrInvalidToken
	}
	return n, nil
}

// Rows is what both drivers' result sets offer.
type Rows interface {
	Next() bool
	Err() error
}

// Page reads up to limit rows with scan from a query asked for limit+1,
// and tells whether there was one more: the next page's existence, known
// without a second query.
func Page[R Rows, T any](rows R, limit int, scan func(R) (T, error)) (out []T, more bool, err error) {
	for rows.Next() {
		if len(out) == limit {
			more = true
			break
		}
		v, err := scan(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return out, more, nil
}

// Migration is one numbered migration file: NNNN_what.sql, NNNN the
// schema's version once it has run.
type Migration struct {
	Version int
	Name    string
}

// Migrations lists the migration files of dir in fsys in order, and
// refuses a name without its number or a gap in the numbers: versions
// run 1, 2, 3, ... Add files; never edit one that has shipped.
func Migrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with its version", e.Name())
		}
		ms = append(ms, Migration{v, e.Name()})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: versions must run 1, 2, 3, ...", m.Name)
		}
	}
	return ms, nil
}

// RouteColumns is how both drivers keep an alias's routes: the number and
// weight of its first version and of its second, 0 and 0 when it has
// one. AWS allows two at most, and two fixed pairs keep an alias one row,
// which a version's deletion checks with one indexed lookup. A version of
// another machine is store.ErrNotFound: the alias's machine has no such
// version.
type RouteColumns struct {
	Version1, Weight1, Version2, Weight2 int64
}

// Routes turns an alias's routes into its columns.
func Routes(stateMachine string, routes []store.AliasRoute) (RouteColumns, error) {
	if len(routes) < 1 || len(routes) > 2 {
		return RouteColumns{}, fmt.Errorf("an alias routes to 1 or 2 versions, not %d", len(routes))
	}
	var c RouteColumns
	for i, r := range routes {
		sm, n, ok := arn.SplitVersion(r.VersionArn)
		if !ok || sm != stateMachine {
			return RouteColumns{}, store.ErrNotFound
		}
		if i == 0 {
			c.Version1, c.Weight1 = n, int64(r.Weight)
		} else {
			c.Version2, c.Weight2 = n, int64(r.Weight)
		}
	}
	if c.Version1 == c.Version2 {
		return RouteColumns{}, fmt.Errorf("an alias routes to distinct versions, not %s twice", routes[0].VersionArn)
	}
	return c, nil
}

// Versions lists the version numbers the columns route to.
func (c RouteColumns) Versions() []int64 {
	if c.Version2 == 0 {
		return []int64{c.Version1}
	}
	return []int64{c.Version1, c.Version2}
}

// Routes turns the columns back into routes.
func (c RouteColumns) Routes(stateMachine string) []store.AliasRoute {
	out := []store.AliasRoute{{VersionArn: arn.Version(stateMachine, c.Version1), Weight: int(c.Weight1)}}
	if c.Version2 != 0 {
		out = append(out, store.AliasRoute{VersionArn: arn.Version(stateMachine, c.Version2), Weight: int(c.Weight2)})
	}
	return out
}
