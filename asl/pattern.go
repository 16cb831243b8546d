package asl

import (
	"regexp"
	"strings"
	"time"
)

// Pattern is a compiled StringMatches pattern: '*' matches any run of
// characters, '\*' a literal star and '\\' a literal backslash.
type Pattern struct {
	re *regexp.Regexp
}

// CompilePattern compiles a StringMatches pattern.
func CompilePattern(p string) (*Pattern, error) {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p) && (p[i+1] == '*' || p[i+1] == '\\'):
			b.WriteString(regexp.QuoteMeta(string(p[i+1])))
			i++
		case c == '*':
			b.WriteString(`.*`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, err
	}
	return &Pattern{re: re}, nil
}

// Match reports whether s matches the pattern.
func (p *Pattern) Match(s string) bool { return p.re.MatchString(s) }

// ParseTimestamp parses the timestamps ASL accepts: RFC 3339 with an
// uppercase 'T' and either 'Z' or a numeric offset, fractions optional.
func ParseTimestamp(s string) (time.Time, bool) {
	if len(s) < 20 || s[10] != 'T' {
		return time.Time{}, false
	}
	last := s[len(s)-1]
	if last != 'Z' && !strings.ContainsAny(s[19:], "+-") {
		return time.Time{}, false
	}
	if strings.ContainsAny(s, "tz") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
