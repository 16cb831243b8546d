package jsonata

import (
	"regexp"
	"strings"
	"sync"

	"github.com/statecraft/statecraft/jsonv"
)

// signature is a parsed JSONata function signature such as "<s-n?:s>".
type signature struct {
	text   string
	params []sigParam
	re     *regexp.Regexp

	// matches caches re's submatches by argument type string (nil: no
	// match); a signature serves every evaluation, so it is locked
	mu      sync.RWMutex
	matches map[string][]string
}

// maxSigCache bounds each signature's match cache.
const maxSigCache = 64

// match is re.FindStringSubmatch(sup), cached. The result is shared: read
// only.
func (s *signature) match(sup []byte) []string {
	s.mu.RLock()
	m, ok := s.matches[string(sup)]
	s.mu.RUnlock()
	if ok {
		return m
	}
	m = s.re.FindStringSubmatch(string(sup))
	s.mu.Lock()
	if s.matches == nil {
		s.matches = map[string][]string{}
	}
	if len(s.matches) < maxSigCache {
		s.matches[string(sup)] = m
	}
	s.mu.Unlock()
	return m
}

type sigParam struct {
	regex     string
	typ       string
	subtype   string
	context   bool
	contextRe *regexp.Regexp
}

func closing(s string, start int, open, close byte) int {
	depth := 1
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func parseSignature(s string) (*signature, error) {
	sig := &signature{text: s}
	var params []sigParam
	var param sigParam
	prev := -1 // index of previous param
	for pos := 1; pos < len(s); pos++ {
		c := s[pos]
		if c == ':' {
			break
		}
		next := func() {
			params = append(params, param)
			prev = len(params) - 1
			param = sigParam{}
		}
		switch c {
		case 's', 'n', 'b', 'l', 'o':
			param.regex = "[" + string(c) + "m]"
			param.typ = string(c)
			next()
		case 'a':
			param.regex = "[asnblfom]"
			param.typ = "a"
			next()
		case 'f':
			param.regex = "f"
			param.typ = "f"
			next()
		case 'j':
			param.regex = "[asnblom]"
			param.typ = "j"
			next()
		case 'x':
			param.regex = "[asnblfom]"
			param.typ = "x"
			next()
		case '-':
			if prev >= 0 {
				pp := &params[prev]
				pp.context = true
				pp.contextRe = regexp.MustCompile("^" + pp.regex + "$")
				pp.regex += "?"
			}
		case '?', '+':
			if prev >= 0 {
				params[prev].regex += string(c)
			}
		case '(':
			end := closing(s, pos, '(', ')')
			if end < 0 {
				return nil, newErr("S0401", pos, s, "invalid signature %q", s)
			}
			choice := s[pos+1 : end]
			if strings.Contains(choice, "<") {
				return nil, codeErr("S0402", pos, s)
			}
			param.regex = "[" + choice + "m]"
			param.typ = "(" + choice + ")"
			pos = end
			next()
		case '<':
			if prev >= 0 && (params[prev].typ == "a" || params[prev].typ == "f") {
				end := closing(s, pos, '<', '>')
				if end < 0 {
					return nil, newErr("S0401", pos, s, "invalid signature %q", s)
				}
				params[prev].subtype = s[pos+1 : end]
				pos = end
			} else {
				return nil, codeErr("S0401", pos, s)
			}
		}
	}
	var b strings.Builder
	b.WriteString("^")
	for _, p := range params {
		b.WriteString("(" + p.regex + ")")
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, newErr("S0401", 0, s, "invalid signature %q", s)
	}
	sig.params = params
	sig.re = re
	return sig, nil
}

func typeSymbol(v any) byte {
	switch v.(type) {
	case float64, int64:
		return 'n' // the common case, before the interface test below
	case undefinedType:
		return 'm'
	case nil:
		return 'l'
	case string:
		return 's'
	case bool:
		return 'b'
	case *jsonv.Object:
		return 'o'
	case function:
		return 'f'
	}
	if _, ok := asArray(v); ok {
		return 'a'
	}
	if _, ok := toNumber(v); ok {
		return 'n'
	}
	return 'm'
}

// validate checks args against the signature, filling in the context value
// for '-' parameters and wrapping non-array values for 'a' parameters.
func (s *signature) validate(args []any, context any, pos int) ([]any, error) {
	var buf [16]byte
	sup := buf[:0]
	for _, a := range args {
		sup = append(sup, typeSymbol(a))
	}
	m := s.match(sup)
	if m == nil {
		// find the first bad argument
		partial := "^"
		good := 0
		for _, p := range s.params {
			partial += p.regex
			re, err := regexp.Compile(partial)
			if err != nil {
				break
			}
			loc := re.FindStringIndex(string(sup))
			if loc == nil {
				break
			}
			good = loc[1]
		}
		var v any = undefined
		if good < len(args) {
			v = args[good]
		}
		return nil, &Error{Code: "T0410", Position: pos, Value: v,
			Message: "argument " + itoa(good+1) + " of function does not match function signature"}
	}
	out := make([]any, 0, len(s.params))
	ai := 0
	for i, p := range s.params {
		match := ""
		if i+1 < len(m) {
			match = m[i+1]
		}
		if match == "" {
			if p.context && p.contextRe != nil {
				if !p.contextRe.MatchString(string(typeSymbol(context))) {
					return nil, &Error{Code: "T0411", Position: pos, Value: context,
						Message: "context value is not a compatible type with argument " + itoa(ai+1)}
				}
				out = append(out, context)
			} else {
				if ai < len(args) {
					out = append(out, args[ai])
				} else {
					out = append(out, undefined)
				}
				ai++
			}
			continue
		}
		for _, single := range match {
			var arg any = undefined
			if ai < len(args) {
				arg = args[ai]
			}
			if p.typ == "a" {
				if single == 'm' {
					arg = undefined
				} else {
					ok := true
					if p.subtype != "" {
						if single != 'a' && match != p.subtype {
							ok = false
						} else if single == 'a' {
							items, _ := asArray(arg)
							if len(items) > 0 {
								t := typeSymbol(items[0])
								if t != p.subtype[0] {
									ok = false
								} else {
									for _, it := range items {
										if typeSymbol(it) != t {
											ok = false
											break
										}
									}
								}
							}
						}
					}
					if !ok {
						return nil, &Error{Code: "T0412", Position: pos, Value: arg,
							Message: "argument " + itoa(ai+1) + " of function must be an array of the expected type"}
					}
					if single != 'a' {
						arg = []any{arg}
					}
				}
			}
			out = append(out, arg)
			ai++
		}
	}
	return out, nil
}

func itoa(i int) string {
	return formatNumber(float64(i))
}
