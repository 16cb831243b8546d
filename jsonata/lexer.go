package jsonata

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

type tokenKind int

const (
	tokEnd tokenKind = iota
	tokOperator
	tokString
	tokNumber
	tokName
	tokVariable
	tokValue // true, false, null
	tokRegex
)

type token struct {
	kind  tokenKind
	value string  // operator symbol, name, string contents, variable name
	num   float64 // for tokNumber
	lit   any     // for tokValue
	flags string  // for tokRegex
	pos   int     // 1-based position just after the token, like jsonata-js
}

var operators = map[string]int{
	".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0,
	"@": 80, "#": 80, ";": 80, ":": 80, "?": 20, "+": 50, "-": 50, "*": 60,
	"/": 60, "%": 60, "|": 20, "=": 40, "<": 40, ">": 40, "^": 40, "**": 60,
	"..": 20, ":=": 10, "!=": 40, "<=": 40, ">=": 40, "~>": 40, "?:": 40,
	"??": 40, "and": 30, "or": 25, "in": 40, "&": 50, "!": 0, "~": 0,
}

var escapes = map[byte]string{
	'"': "\"", '\\': "\\", '/': "/", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t",
}

type lexer struct {
	src  []rune
	pos  int
	prev *token
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v'
}

// next returns the next token. A '/' starts a regular expression when the
// previous token cannot end an operand.
func (l *lexer) next() (token, error) {
	t, err := l.scan()
	if err == nil {
		l.prev = &t
	}
	return t, err
}

func (l *lexer) regexAllowed() bool {
	if l.prev == nil {
		return true
	}
	if l.prev.kind != tokOperator {
		return false
	}
	switch l.prev.value {
	case ")", "]", "}", "*", "**", "%":
		return false
	}
	return true
}

func (l *lexer) scan() (token, error) {
	prefix := l.regexAllowed()
	src := l.src
	for {
		for l.pos < len(src) && isSpace(src[l.pos]) {
			l.pos++
		}
		if l.pos+1 < len(src) && src[l.pos] == '/' && src[l.pos+1] == '*' {
			start := l.pos
			l.pos += 2
			for {
				if l.pos+1 >= len(src) {
					l.pos = len(src)
					return token{}, codeErr("S0106", start, "")
				}
				if src[l.pos] == '*' && src[l.pos+1] == '/' {
					l.pos += 2
					break
				}
				l.pos++
			}
			continue
		}
		break
	}
	if l.pos >= len(src) {
		return token{kind: tokEnd, pos: l.pos}, nil
	}
	c := src[l.pos]
	if prefix && c == '/' {
		return l.regex()
	}
	two := ""
	if l.pos+1 < len(src) {
		two = string(src[l.pos : l.pos+2])
	}
	switch two {
	case "..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??":
		l.pos += 2
		return token{kind: tokOperator, value: two, pos: l.pos}, nil
	}
	if c < utf8.RuneSelf {
		if _, ok := operators[string(c)]; ok {
			l.pos++
			return token{kind: tokOperator, value: string(c), pos: l.pos}, nil
		}
	}
	if c == '"' || c == '\'' {
		return l.str(c)
	}
	if c >= '0' && c <= '9' {
		return l.number()
	}
	if c == '`' {
		end := -1
		for i := l.pos + 1; i < len(src); i++ {
			if src[i] == '`' {
				end = i
				break
			}
		}
		if end < 0 {
			l.pos = len(src)
			return token{}, codeErr("S0105", l.pos, "")
		}
		name := string(src[l.pos+1 : end])
		l.pos = end + 1
		return token{kind: tokName, value: name, pos: l.pos}, nil
	}
	// names and variables run until whitespace or an operator character
	i := l.pos
	for i < len(src) {
		r := src[i]
		if isSpace(r) {
			break
		}
		if r < utf8.RuneSelf {
			if _, ok := operators[string(r)]; ok {
				break
			}
		}
		i++
	}
	word := string(src[l.pos:i])
	l.pos = i
	if word[0] == '$' {
		return token{kind: tokVariable, value: word[1:], pos: l.pos}, nil
	}
	switch word {
	case "and", "or", "in":
		return token{kind: tokOperator, value: word, pos: l.pos}, nil
	case "true":
		return token{kind: tokValue, value: word, lit: true, pos: l.pos}, nil
	case "false":
		return token{kind: tokValue, value: word, lit: false, pos: l.pos}, nil
	case "null":
		return token{kind: tokValue, value: word, lit: nil, pos: l.pos}, nil
	}
	return token{kind: tokName, value: word, pos: l.pos}, nil
}

func (l *lexer) str(quote rune) (token, error) {
	src := l.src
	var b strings.Builder
	i := l.pos + 1
	for i < len(src) {
		c := src[i]
		if c == '\\' {
			i++
			if i >= len(src) {
				break
			}
			e := src[i]
			if s, ok := escapes[byte(e)]; ok && e < utf8.RuneSelf {
				b.WriteString(s)
				i++
				continue
			}
			if e == 'u' {
				cp, ok := hex4(src, i+1)
				if !ok {
					l.pos = i
					return token{}, codeErr("S0104", i, "")
				}
				i += 5
				r := rune(cp)
				if utf16.IsSurrogate(r) {
					if i+1 < len(src) && src[i] == '\\' && src[i+1] == 'u' {
						if lo, ok := hex4(src, i+2); ok {
							if d := utf16.DecodeRune(r, rune(lo)); d != utf8.RuneError {
								b.WriteRune(d)
								i += 6
								continue
							}
						}
					}
					b.WriteRune(utf8.RuneError)
					continue
				}
				b.WriteRune(r)
				continue
			}
			l.pos = i
			return token{}, codeErr("S0103", i, string(e))
		}
		if c == quote {
			l.pos = i + 1
			return token{kind: tokString, value: b.String(), pos: l.pos}, nil
		}
		b.WriteRune(c)
		i++
	}
	l.pos = len(src)
	return token{}, codeErr("S0101", l.pos, "")
}

func hex4(src []rune, i int) (int, bool) {
	if i+4 > len(src) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(src[i:i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return int(v), true
}

func (l *lexer) number() (token, error) {
	src := l.src
	i := l.pos
	digits := func() {
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
	}
	if src[i] == '0' {
		i++
	} else {
		digits()
	}
	if i+1 < len(src) && src[i] == '.' && src[i+1] >= '0' && src[i+1] <= '9' {
		i++
		digits()
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && src[j] >= '0' && src[j] <= '9' {
			i = j
			digits()
		}
	}
	text := string(src[l.pos:i])
	l.pos = i
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return token{}, codeErr("S0102", l.pos, text)
	}
	return token{kind: tokNumber, value: text, num: f, pos: l.pos}, nil
}

func (l *lexer) regex() (token, error) {
	src := l.src
	start := l.pos + 1
	i := start
	depth := 0
	for i < len(src) {
		c := src[i]
		if c == '/' && depth == 0 && (i == start || src[i-1] != '\\') {
			pattern := string(src[start:i])
			if pattern == "" {
				return token{}, codeErr("S0301", i, "")
			}
			i++
			fs := i
			for i < len(src) && (src[i] == 'i' || src[i] == 'm') {
				i++
			}
			l.pos = i
			return token{kind: tokRegex, value: pattern, flags: string(src[fs:i]), pos: l.pos}, nil
		}
		if (c == '(' || c == '[' || c == '{') && (i == start || src[i-1] != '\\') {
			depth++
		}
		if (c == ')' || c == ']' || c == '}') && (i == start || src[i-1] != '\\') {
			depth--
		}
		i++
	}
	l.pos = len(src)
	return token{}, codeErr("S0302", l.pos, "")
}
