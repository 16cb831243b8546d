package jsonata

// URL encoding, $eval, $random and $shuffle.

import (
	"math"
	"strings"
	"unicode/utf8"
)

const uriUnreservedMarks = "-_.!~*'()"
const uriReserved = ";/?:@&=+$,#"

// encodeURI follows ECMAScript's Encode: characters in keep are left as is,
// everything else is percent-encoded as UTF-8. Lone surrogates cannot occur
// in Go strings except as U+FFFD, which is encoded normally.
func encodeURI(s, keep string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return "", false
		}
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(uriUnreservedMarks, r) || strings.ContainsRune(keep, r)) {
			b.WriteRune(r)
		} else {
			for j := 0; j < size; j++ {
				c := s[i+j]
				b.WriteByte('%')
				b.WriteByte("0123456789ABCDEF"[c>>4])
				b.WriteByte("0123456789ABCDEF"[c&15])
			}
		}
		i += size
	}
	return b.String(), true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// decodeURI follows ECMAScript's Decode: escapes that decode to a
// character in reserved stay escaped; malformed sequences fail.
func decodeURI(s, reserved string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		start := i
		if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
			return "", false
		}
		c := byte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
		if c < 0x80 {
			if strings.IndexByte(reserved, c) >= 0 {
				b.WriteString(s[start : i+1])
			} else {
				b.WriteByte(c)
			}
			continue
		}
		n := 0
		switch {
		case c&0xE0 == 0xC0:
			n = 2
		case c&0xF0 == 0xE0:
			n = 3
		case c&0xF8 == 0xF0:
			n = 4
		default:
			return "", false
		}
		buf := []byte{c}
		for k := 1; k < n; k++ {
			if i+3 >= len(s) || s[i+1] != '%' || unhex(s[i+2]) < 0 || unhex(s[i+3]) < 0 {
				return "", false
			}
			cc := byte(unhex(s[i+2])<<4 | unhex(s[i+3]))
			if cc&0xC0 != 0x80 {
				return "", false
			}
			buf = append(buf, cc)
			i += 3
		}
		r, size := utf8.DecodeRune(buf)
		if r == utf8.RuneError || size != len(buf) {
			return "", false
		}
		b.Write(buf)
	}
	return b.String(), true
}

func urlErr(name, value string, pos int) *Error {
	return &Error{Code: "D3140", Position: pos, Value: value,
		Message: "malformed URL passed to $" + name + "(): " + value}
}

func init() {
	urlFn := func(name string, f func(string) (string, bool)) {
		def(name, "<s-:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
			s, ok := strArg(a, 0)
			if !ok {
				return undefined, nil
			}
			r, ok := f(s)
			if !ok {
				return nil, urlErr(name, s, pos)
			}
			return r, nil
		})
	}
	urlFn("encodeUrlComponent", func(s string) (string, bool) { return encodeURI(s, "") })
	urlFn("encodeUrl", func(s string) (string, bool) { return encodeURI(s, uriReserved) })
	urlFn("decodeUrlComponent", func(s string) (string, bool) { return decodeURI(s, "") })
	urlFn("decodeUrl", func(s string) (string, bool) { return decodeURI(s, uriReserved) })

	evalFn := &builtin{name: "eval", needsEnv: true}
	evalFn.sig, _ = parseSignature("<sx?:x>")
	evalFn.fn = func(ev *evaluator, a []any, in any, pos int) (any, error) {
		src, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		input := in
		if focus := arg(a, 1); !isUndef(focus) {
			input = focus
			if arr, ok := focus.([]any); ok {
				input = &array{items: []any{arr}, seq: true, outerWrapper: true}
			}
		}
		ast, err := parse(src)
		if err != nil {
			msg := err.Error()
			return nil, &Error{Code: "D3120", Position: pos, Value: msg, Message: "syntax error in expression passed to function eval: " + msg}
		}
		// the caller's scope, as jsonata-js does; called indirectly (e.g.
		// through $map) a fresh scope, so that assignments can never reach
		// the shared built-in scope
		env := ev.callEnv
		if env == nil || env == builtinEnv {
			env = newEnv(builtinEnv)
		}
		res, err := ev.eval(ast, input, env)
		if err != nil {
			if je, ok := err.(*Error); ok && (je.Code == "U1001" || je.Code == "U1002") {
				return nil, err
			}
			msg := err.Error()
			return nil, &Error{Code: "D3121", Position: pos, Value: msg, Message: "dynamic error evaluating the expression passed to function eval: " + msg}
		}
		return res, nil
	}
	builtinEnv.set("eval", evalFn)

	def("random", "<:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		return ev.randomNumber(pos)
	})
	def("shuffle", "<a:a>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		if isUndef(arg(a, 0)) {
			return undefined, nil
		}
		items, _ := asArray(a[0])
		if len(items) <= 1 {
			return a[0], nil
		}
		out := make([]any, len(items))
		for i := range items {
			r, err := ev.randomNumber(pos)
			if err != nil {
				return nil, err
			}
			j := int(math.Floor(r * float64(i+1)))
			if j > i {
				j = i
			}
			if i != j {
				out[i] = out[j]
			}
			out[j] = items[i]
		}
		return out, nil
	})
}

func (ev *evaluator) randomNumber(pos int) (float64, error) {
	var r float64
	switch {
	case ev.random != nil:
		r = ev.random()
	case ev.host != nil:
		r = ev.host.Random()
	default:
		return 0, &Error{Code: "D3201", Position: pos, Message: messages["D3201"]}
	}
	if !(r >= 0 && r < 1) {
		r = 0
	}
	return r, nil
}
