package jsonv

import (
	"encoding/json"
	"math"
	"testing"
)

func TestParseRejectsWithoutPanicking(t *testing.T) {
	for _, in := range []string{"", "   ", `{"000000":{"":},"":true`, `{"a":`, `[1,2`, `nul`, `{"a":}`, `[1,]`, `{"a":1,}`, `01`, `"\x"`} {
		if v, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, v)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	cases := []struct{ in, out string }{
		{`{"b":1,"a":[true,false,null,"x"]}`, `{"b":1,"a":[true,false,null,"x"]}`},
		{`{"b":1,"a":2,"c":{"z":1,"y":2},"b":3}`, `{"b":3,"a":2,"c":{"z":1,"y":2}}`},
		{`"\ud83d\ude00 \ud800x"`, "\"😀 \ufffdx\""},
		{`1.5`, `1.5`},
		{`12345678901234`, `12345678901234`},
		{`"<&>\u00e9\n"`, `"<&>é\n"`},
		{`1e400`, `null`},
		{`-0.000001`, `-0.000001`},
		{`1e-7`, `1e-7`},
		{`2.5e21`, `2.5e+21`},
	}
	for _, c := range cases {
		v, err := ParseString(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got := String(v); got != c.out {
			t.Errorf("%s: got %s, want %s", c.in, got, c.out)
		}
	}
}

func TestSizeMatchesEncoding(t *testing.T) {
	for _, in := range []string{`{"a":[1,2.5,"x\"y",null,true],"b":{"c":-12}}`, `"\u0001"`, `[]`, `{}`, `-9223372036854775808`} {
		v, err := ParseString(in)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := Size(v, 0), len(Marshal(v)); got != want {
			t.Errorf("%s: Size %d, encoding %d bytes", in, got, want)
		}
	}
}

func TestEqual(t *testing.T) {
	a, _ := ParseString(`{"x":[1,2.0,{"y":null}]}`)
	var b any
	_ = json.Unmarshal([]byte(`{"x":[1.0,2,{"y":null}]}`), &b)
	if !Equal(a, b) {
		t.Error("values that differ only in number representation must be equal")
	}
	c, _ := ParseString(`{"x":[1,2,{"y":0}]}`)
	if Equal(a, c) {
		t.Error("different values compared equal")
	}
}

func TestSizeMatchesMarshal(t *testing.T) {
	for _, v := range []any{
		"", "plain", "quote\"back\\slash", "ctl\n\r\t\b\f\x01\x1f", "ünïcödé", int64(0), int64(-12345), int64(math.MinInt64), int64(math.MaxInt64),
		map[string]any{"k\n": []any{"a", int64(1), nil, true, false, 1.5}},
	} {
		if got, want := Size(v, 0), len(Marshal(v)); got != want {
			t.Errorf("Size(%#v) = %d, want %d", v, got, want)
		}
		if s, ok := v.(string); ok && StringSize(s) != len(Marshal(s)) {
			t.Errorf("StringSize(%q) = %d", s, StringSize(s))
		}
		if i, ok := v.(int64); ok && IntSize(i) != len(Marshal(i)) {
			t.Errorf("IntSize(%d) = %d", i, IntSize(i))
		}
	}
}

// FuzzParseAgreesWithEncodingJSON holds the parser to encoding/json's idea
// of valid JSON and to its decoded values (modulo int64 numbers).
func FuzzParseAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e3,"x\u00e9"],"b":{}}`, `[`, `{"a":1,}`, `"\ud800"`, `-0`, `1E+2`, `"\t"`, "\"\t\"", `{"a" : null }`, "\xff", `"\xff"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		var probe any
		jerr := json.Unmarshal(data, &probe)
		if (err == nil) != json.Valid(data) {
			t.Fatalf("%q: Parse error %v, encoding/json error %v", data, err, jerr)
		}
		if err == nil && jerr == nil && !Equal(v, Normalize(probe)) {
			t.Fatalf("%q: Parse %s, encoding/json %v", data, String(v), probe)
		}
	})
}

// AppendString quotes the same whether or not the buffer has room for a
// short string (the room is written before the escaping is known), and
// leaves what the buffer held before untouched.
func TestAppendStringWithAndWithoutRoom(t *testing.T) {
	for _, s := range []string{"", "a", "tag", "sixteen-chars-ok", "seventeen-chars-x", `q"uote`, "new\nline", "tab\t", "\x01", "é", "back\\slash", "a\u2028b", "<&>"} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var first []byte
		for _, room := range []int{0, 1, len(s) + 1, len(s) + 2, 64} {
			b := append(make([]byte, 0, 3+room), "ab,"...)
			got := AppendString(b, s)
			if first == nil {
				first = got
			} else if string(got) != string(first) {
				t.Errorf("%q, room %d: %s, with no room %s", s, room, got, first)
			}
			if string(got[:3]) != "ab," {
				t.Fatalf("%q, room %d: prefix now %q", s, room, got[:3])
			}
			if g, err := unquote(got[3:]); err != nil || g != s {
				t.Errorf("%q, room %d: %s does not decode to it (%v; encoding/json gives %s)", s, room, got[3:], err, want)
			}
		}
	}
}

func unquote(b []byte) (string, error) {
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}
