package jsonpath

import (
	"errors"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

const fuzzInputJSON = `{"a":[1,2,2,"x",{"k":1.5},[null]],"s":"a,b;c","n":3,"f":-1.5,"big":2147483648,` +
	`"o":{"p":{"q":null}},"t":"{} and {}","b":true,"e":"","j":"{\"z\":[1,2]}","b64":"SGk="}`

// FuzzParseIntrinsic parses arbitrary text and evaluates whatever parses:
// neither step may panic, evaluation may only fail with the two documented
// error types, the input must come back unchanged, and String must give
// back the call as written.
func FuzzParseIntrinsic(f *testing.F) {
	for _, c := range awsRecorded {
		f.Add(c.call)
	}
	for _, c := range evalCases {
		f.Add(c.call)
	}
	for _, s := range []string{
		`States.Format('{} {} {}', $.a, $.o, $.f)`,
		`States.Format($.t, $.n, States.JsonToString($.o))`,
		`States.StringToJson($.j)`,
		`States.ArrayPartition($.a, $.n)`,
		`States.ArrayUnique($.a)`,
		`States.ArrayContains($.a, 'x')`,
		`States.ArrayGetItem($.a, $.n)`,
		`States.ArrayRange($.f, $.n, 1)`,
		`States.Base64Decode($.b64)`,
		`States.Hash($.s, 'SHA-512')`,
		`States.JsonMerge($.o, $.o.p, false)`,
		`States.MathAdd($.big, $.f)`,
		`States.MathRandom($.f, $.n, $.n)`,
		`States.StringSplit($.s, ',;')`,
		`States.UUID()`,
		`States.Array($..k, $.a[*], $.a[?(@ > 1)], $['o'].p, $$.Execution.Input.s, $name)`,
		`States.Format('\{\}\'\\{}', 'x')`,
		`States.Format('He said, \"Hello, {}!\"', 'x')`,
		`States.Array(1,)`,
		`States.Array(-0.0e-0, 9223372036854775808, 1e308)`,
		`States.Array('unterminated`,
		`States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array()))))))))))`,
		"States.Array('\xff\xfe', $['\xff'])",
		`States.MathRandom(-2147483648, 2147483647)`,
		`States.ArrayRange(-9223372036854775808, 9223372036854775807, -9223372036854775808)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fn, err := ParseIntrinsic(s)
		if err != nil {
			if fn != nil {
				t.Fatalf("ParseIntrinsic(%q) returned both a call and an error", s)
			}
			return
		}
		if got, want := fn.String(), strings.Trim(s, " \t\n\r"); got != want {
			t.Fatalf("String() = %q, want %q", got, want)
		}
		again, err := ParseIntrinsic(fn.String())
		if err != nil || again.String() != fn.String() {
			t.Fatalf("reparsing %q: %v", fn.String(), err)
		}

		input, err := jsonv.ParseString(fuzzInputJSON)
		if err != nil {
			t.Fatal(err)
		}
		before := jsonv.String(input)
		v, err := fn.Eval(testScope(input))
		if err != nil {
			var ie *Error
			var pn *PathNotFoundError
			switch {
			case errors.As(err, &ie):
				if ie.Name != ErrIntrinsicFailure || ie.Cause == "" {
					t.Fatalf("%s: error %q with cause %q", s, ie.Name, ie.Cause)
				}
			case errors.As(err, &pn):
			default:
				t.Fatalf("%s: unexpected error type %T: %v", s, err, err)
			}
		} else {
			_ = jsonv.Marshal(v)
		}
		if after := jsonv.String(input); after != before {
			t.Fatalf("%s changed its input:\n%s\n%s", s, before, after)
		}
	})
}
