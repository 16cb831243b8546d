package asl

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

// FuzzValidate checks that Validate never fails internally, is
// deterministic, returns sorted problems with codes and messages, and only
// points at places that exist in the document.
func FuzzValidate(f *testing.F) {
	for _, tc := range invalidDefinitions {
		f.Add([]byte(tc.def), tc.opts.Express)
	}
	for _, d := range validDefinitions {
		f.Add([]byte(d.def), d.opts.Express)
	}
	for _, name := range []string{"w2-choice", "w3-onboarding", "w4-map-10k"} {
		f.Add([]byte(workloads[name]), false)
	}
	for _, s := range []string{
		``, `null`, `0`, `"x"`, `[]`, `{}`, `{"States":null}`, `{"StartAt":null,"States":{"":{}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Not":{"Not":{"Not":{}}}}]}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"$.a[?(@.b>1)]","b.$":"States.Format('{}', $.x)","c.$":"$$"},"End":true}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}},"End":true}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1e400,"Timestamp":"9999-12-31T23:59:59.999999999-23:59","End":true}}}`,
		`{"StartAt":"~0/","States":{"~0/":{"Type":"Fail","ErrorPath":"States.JsonToString($)","CausePath":"$['a']"}}}`,
		`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::x","Arguments":"{% %}","End":true}}}`,
		// Made ojg v1.28.5 (under jsonv.Parse) panic.
		`{"000000":{"":},"":true`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, doc []byte, express bool) {
		opts := ValidateOptions{Express: express}
		got := Validate(doc, opts)
		again := Validate(doc, opts)
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("not deterministic:\n%s\nvs\n%s", formatProblems(got), formatProblems(again))
		}
		root, err := vdParseJSON(doc)
		for i, p := range got {
			if p.Code == CodeInternal {
				t.Fatalf("internal error: %s", p.Message)
			}
			if p.Code == "" || p.Message == "" {
				t.Fatalf("problem without code or message: %+v", p)
			}
			if i > 0 {
				prev := got[i-1]
				if prev.Pointer > p.Pointer || (prev.Pointer == p.Pointer && prev.Message > p.Message) {
					t.Fatalf("not sorted: %v before %v", prev, p)
				}
			}
			if err == nil && !pointerExists(root, p.Pointer) {
				t.Fatalf("pointer %q does not exist in the document (problem: %s)", p.Pointer, p.Message)
			}
		}
		if err == nil && root != nil {
			if _, isObj := root.(*jsonv.Object); !isObj && got == nil {
				t.Fatalf("a non-object document was accepted")
			}
		}
	})
}

// pointerExists resolves an RFC 6901 pointer against a decoded document.
func pointerExists(doc any, ptr string) bool {
	if ptr == "" {
		return true
	}
	if !strings.HasPrefix(ptr, "/") {
		return false
	}
	cur := doc
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := cur.(type) {
		case *jsonv.Object:
			v, ok := x.Get(tok)
			if !ok {
				return false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return false
			}
			cur = x[i]
		default:
			return false
		}
	}
	return true
}
