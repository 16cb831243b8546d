package httptask

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/statecraft/statecraft/jsonv"
)

// escape percent-encodes a query or form component the way Step Functions
// does: a space is %20, not +, and every reserved character (& = + , [ ] /
// and so on) is encoded.
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// formEncode URL-encodes a request body object (Transform.RequestBodyEncoding
// URL_ENCODED). Nested objects become key[sub]=value; arrays follow
// format:
//
//	INDICES   array[0]=a&array[1]=b
//	REPEAT    array=a&array=b
//	COMMAS    array=a,b (the joined value is encoded as one, so "," is %2C)
//	BRACKETS  array[]=a&array[]=b
//
// Keys are written in the object's order. A null is written as an empty value; an empty array or object
// writes nothing. COMMAS applies to arrays of scalars; an array holding
// objects or arrays is written as INDICES.
func formEncode(m *jsonv.Object, format string) string {
	var parts []string
	for k, v := range m.All() {
		parts = appendForm(parts, k, v, format)
	}
	return strings.Join(parts, "&")
}

func appendForm(parts []string, key string, v any, format string) []string {
	switch x := v.(type) {
	case *jsonv.Object:
		for k, e := range x.All() {
			parts = appendForm(parts, key+"["+k+"]", e, format)
		}
		return parts
	case []any:
		if len(x) == 0 {
			return parts
		}
		if format == formatCommas {
			values := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := scalarString(e)
				if !ok {
					values = nil
					break
				}
				values = append(values, s)
			}
			if values != nil {
				return append(parts, escape(key)+"="+escape(strings.Join(values, ",")))
			}
		}
		for i, e := range x {
			switch format {
			case formatRepeat:
				parts = appendForm(parts, key, e, format)
			case formatBrackets:
				parts = appendForm(parts, key+"[]", e, format)
			default:
				parts = appendForm(parts, key+"["+strconv.Itoa(i)+"]", e, format)
			}
		}
		return parts
	}
	s, _ := scalarString(v)
	return append(parts, escape(key)+"="+escape(s))
}
