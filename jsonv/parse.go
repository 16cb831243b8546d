package jsonv

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting, as encoding/json does, so that a hostile
// document cannot exhaust the stack.
const maxDepth = 10000

// parser is a strict RFC 8259 parser building the model directly, objects
// in document order. It reports only that the text is bad; Parse asks
// encoding/json for the message, so errors read as they always have.
type parser struct {
	data  []byte
	pos   int
	depth int
	bad   bool
	// keys and vals stack the members of the objects being read, so that
	// each object is allocated once, at its final size.
	keys []string
	vals []any
}

func parseStrict(data []byte) (any, bool) {
	p := parser{data: data}
	p.ws()
	v := p.value()
	if p.bad {
		return nil, false
	}
	p.ws()
	if p.pos != len(p.data) {
		return nil, false
	}
	return v, true
}

func (p *parser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) fail() any {
	p.bad = true
	return nil
}

func (p *parser) lit(s string, v any) any {
	if len(p.data)-p.pos < len(s) || string(p.data[p.pos:p.pos+len(s)]) != s {
		return p.fail()
	}
	p.pos += len(s)
	return v
}

func (p *parser) value() any {
	if p.pos >= len(p.data) {
		return p.fail()
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, ok := p.str()
		if !ok {
			return p.fail()
		}
		return s
	case c == 't':
		return p.lit("true", true)
	case c == 'f':
		return p.lit("false", false)
	case c == 'n':
		return p.lit("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return p.fail()
}

func (p *parser) object() any {
	p.depth++
	if p.depth > maxDepth {
		return p.fail()
	}
	p.pos++ // {
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return &Object{}
	}
	base := len(p.keys)
	for {
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return p.fail()
		}
		k, ok := p.str()
		if !ok {
			return p.fail()
		}
		p.ws()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return p.fail()
		}
		p.pos++
		p.ws()
		v := p.value()
		if p.bad {
			return nil
		}
		p.keys = append(p.keys, k)
		p.vals = append(p.vals, v)
		p.ws()
		if p.pos >= len(p.data) {
			return p.fail()
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			ks, vs := p.keys[base:], p.vals[base:]
			o := NewObject(len(ks))
			for i, k := range ks {
				// A repeated key keeps its first position and its last
				// value, as JSON.parse does.
				o.Set(k, vs[i])
			}
			clear(vs)
			p.keys, p.vals = p.keys[:base], p.vals[:base]
			return o
		default:
			return p.fail()
		}
	}
}

func (p *parser) array() any {
	p.depth++
	if p.depth > maxDepth {
		return p.fail()
	}
	p.pos++ // [
	arr := []any{}
	p.ws()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return arr
	}
	for {
		p.ws()
		v := p.value()
		if p.bad {
			return nil
		}
		arr = append(arr, v)
		p.ws()
		if p.pos >= len(p.data) {
			return p.fail()
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return arr
		default:
			return p.fail()
		}
	}
}

func (p *parser) number() any {
	d := p.data
	start := p.pos
	i := p.pos
	if d[i] == '-' {
		i++
	}
	if i >= len(d) {
		return p.fail()
	}
	if d[i] == '0' {
		i++
	} else if d[i] >= '1' && d[i] <= '9' {
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	} else {
		return p.fail()
	}
	integral := true
	if i < len(d) && d[i] == '.' {
		integral = false
		i++
		n := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == n {
			return p.fail()
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		integral = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		n := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == n {
			return p.fail()
		}
	}
	p.pos = i
	text := d[start:i]
	if integral && len(text) <= 18 {
		// At most 18 digits always fits in int64: accumulate directly.
		var n int64
		neg := text[0] == '-'
		j := 0
		if neg {
			j = 1
		}
		for ; j < len(text); j++ {
			n = n*10 + int64(text[j]-'0')
		}
		if neg {
			n = -n
		}
		return n
	}
	s := string(text)
	if integral {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Out of float64 range (1e400) is valid JSON text: it becomes
		// ±Inf, which encodes as null, as it did with ojg.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f
		}
		return p.fail()
	}
	return f
}

// str reads a string literal at p.pos (which is '"').
func (p *parser) str() (string, bool) {
	d := p.data
	i := p.pos + 1
	start := i
	for i < len(d) {
		c := d[i]
		if c == '"' {
			p.pos = i + 1
			return string(d[start:i]), true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		i++
	}
	// Slow path: escapes, control characters (refused) or non-ASCII.
	buf := make([]byte, 0, i-start+16)
	buf = append(buf, d[start:i]...)
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return string(buf), true
		case c < 0x20:
			return "", false
		case c == '\\':
			i++
			if i >= len(d) {
				return "", false
			}
			switch d[i] {
			case '"', '\\', '/':
				buf = append(buf, d[i])
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(d, i+1)
				if !ok {
					return "", false
				}
				i += 4
				if utf16.IsSurrogate(r) {
					// A pair makes one rune; a lone half becomes U+FFFD,
					// as encoding/json decodes it.
					if r2, ok := hex4(d, i+3); ok && i+2 < len(d) && d[i+1] == '\\' && d[i+2] == 'u' {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							i += 6
							break
						}
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", false
			}
			i++
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				buf = append(buf, "\ufffd"...)
			} else {
				buf = append(buf, d[i:i+size]...)
			}
			i += size
		}
	}
	return "", false
}

func hex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// parseError explains why data is not JSON, in encoding/json's words.
func parseError(data []byte) error {
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		return err
	}
	return errors.New("invalid JSON")
}
