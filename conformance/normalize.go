// Package conformance runs the cases recorded against real AWS Step
// Functions (shared/conformance/cases) through the interpreter and compares
// status, output, error, cause and history after the recorder's
// normalisation rules. The test in this package prints pass counts by
// feature and enforces a ratchet: the committed counts may only go up.
package conformance

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/statecraft/statecraft/jsonv"
)

// Names used for the executions the suite runs; normalisation maps them to
// the recorder's placeholders.
const (
	Account     = "123456789012"
	Region      = "us-east-1"
	MachineName = "ConformanceMachine"
	ExecName    = "ConformanceExecution"
	RoleArn     = "arn:aws:iam::123456789012:role/conformance-role"
)

var (
	uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	isoRe  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)
	// JSON quoted in single quotes inside a cause.
	quotedJSONRe      = regexp.MustCompile(`'(\{.*?\}|\[.*?\])'`)
	uuidPlaceholderRe = regexp.MustCompile(`<uuid:(\d+)>`)
)

// normalizer applies the recorder's replacements to values we produced.
type normalizer struct {
	uuids map[string]int
	// uuidBase is the first UUID number: the recorder numbered UUIDs
	// across a whole test, so a case's first may be <uuid:1>.
	uuidBase int
	jsons    map[string]int
}

func newNormalizer() *normalizer {
	return &normalizer{uuids: map[string]int{}, jsons: map[string]int{}}
}

// firstUUID is the lowest UUID number in a recorded case, where our
// numbering starts so that the placeholders compare exactly.
func firstUUID(recorded []byte) int {
	first := -1
	for _, m := range uuidPlaceholderRe.FindAllSubmatch(recorded, -1) {
		if n, err := strconv.Atoi(string(m[1])); err == nil && (first < 0 || n < first) {
			first = n
		}
	}
	return max(first, 0)
}

var mapRunRe = regexp.MustCompile(`:mapRun:<ArnPart_0idx>/[^:"]+:[^:"]+`)

func (n *normalizer) str(s string) string {
	s = strings.ReplaceAll(s, RoleArn, "snf_role_arn")
	s = strings.ReplaceAll(s, "arn:aws:", "arn:<partition>:")
	s = strings.ReplaceAll(s, ":"+Region+":", ":<region>:")
	s = strings.ReplaceAll(s, Account, "111111111111")
	s = strings.ReplaceAll(s, MachineName, "<ArnPart_0idx>")
	s = strings.ReplaceAll(s, ExecName, "<ExecArnPart_0idx>")
	s = mapRunRe.ReplaceAllString(s, ":mapRun:<ArnPart_0idx>/<MapRunArnPart0_0idx>:<MapRunArnPart1_0idx>")
	if isoRe.MatchString(s) {
		if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return "date"
		}
	}
	return s
}

func (n *normalizer) cause(s string) string {
	s = n.str(s)
	return quotedJSONRe.ReplaceAllStringFunc(s, func(m string) string {
		// The recorder replaced only text that parses as JSON: a JSONata
		// expression such as {'foo': 'bar'} stays as AWS rendered it.
		if _, err := jsonv.ParseString(m[1 : len(m)-1]); err != nil {
			return m
		}
		id, ok := n.jsons[m]
		if !ok {
			id = len(n.jsons) + 1
			n.jsons[m] = id
		}
		return "'<json-input:" + strconv.Itoa(id) + ">'"
	})
}

// value normalises a decoded JSON value; key is the member it sits under.
func (n *normalizer) value(v any, key string) any {
	lk := strings.ToLower(key)
	if str, ok := v.(string); ok && n.str(str) == "date" {
		return "date"
	}
	if strings.Contains(lk, "timestamp") {
		return "timestamp"
	}
	switch x := v.(type) {
	case string:
		if strings.HasSuffix(lk, "id") && uuidRe.MatchString(x) {
			id, ok := n.uuids[x]
			if !ok {
				id = n.uuidBase + len(n.uuids)
				n.uuids[x] = id
			}
			return "<uuid:" + strconv.Itoa(id) + ">"
		}
		return n.str(x)
	case *jsonv.Object:
		out := jsonv.NewObject(x.Len())
		for k, e := range x.All() {
			out.Append(k, n.value(e, k))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = n.value(e, key)
		}
		return out
	}
	return v
}

// looseEqual compares two normalised values. Strings that both hold JSON
// text compare as JSON, because the recorder kept arrays and scalars in
// history events as text whose spacing and number format differ by encoder;
// their objects' key order must match too, since text keeps the order AWS
// wrote. Parsed values compare without order (the recorder sorted the keys
// of what it parsed).
func looseEqual(a, b any) bool {
	if _, ok := b.(string); ok {
		if _, ok := a.(string); !ok {
			// Either side may be the text: put it first.
			a, b = b, a
		}
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			// The recorder parsed some JSON texts (arrays included) and not
			// others: compare a text with a value by parsing the text.
			if v, err := jsonv.ParseString(x); err == nil {
				if _, isString := v.(string); !isString {
					return looseEqual(v, b)
				}
			}
			return false
		}
		if x == y {
			return true
		}
		va, err1 := jsonv.ParseString(x)
		vb, err2 := jsonv.ParseString(y)
		if err1 == nil && err2 == nil {
			return looseEqual(va, vb) && jsonv.SameOrder(va, vb)
		}
		return false
	case *jsonv.Object:
		y, ok := b.(*jsonv.Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for k, xv := range x.All() {
			yv, ok := y.Get(k)
			if !ok || !looseEqual(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !looseEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return jsonv.Equal(a, b)
}

// historyEvent normalises one of our events to the recorder's form: details
// input/output that hold a JSON object are parsed.
func (n *normalizer) historyEvent(ev *jsonv.Object) *jsonv.Object {
	out := n.value(ev, "").(*jsonv.Object)
	for k, v := range out.All() {
		if !strings.HasSuffix(k, "EventDetails") {
			continue
		}
		d, ok := v.(*jsonv.Object)
		if !ok {
			continue
		}
		for _, f := range []string{"input", "output"} {
			s, ok := d.Value(f).(string)
			if !ok {
				continue
			}
			if pv, err := jsonv.ParseString(s); err == nil {
				if obj, ok := pv.(*jsonv.Object); ok {
					d.Set(f, n.value(obj, f))
				}
			}
		}
		if c, ok := d.Value("cause").(string); ok {
			d.Set("cause", n.cause(c))
		}
		// The recorder also kept variable values that hold JSON objects
		// parsed.
		if av, ok := d.Value("assignedVariables").(*jsonv.Object); ok {
			for k, v := range av.All() {
				s, ok := v.(string)
				if !ok {
					continue
				}
				if pv, err := jsonv.ParseString(s); err == nil {
					switch x := pv.(type) {
					case *jsonv.Object:
						av.Set(k, n.value(x, k))
					case string:
						// Dates inside the JSON text were replaced too.
						av.Set(k, jsonv.String(n.str(x)))
					}
				}
			}
		}
	}
	return out
}

// isPlaceholder reports whether a recorded event's id was replaced because
// the recorder re-sorted Parallel branch events.
func isPlaceholder(ev *jsonv.Object) bool {
	_, isList := ev.Value("id").([]any)
	return isList
}

// compareHistory matches our events against the recorded ones: events with
// real ids in order, placeholder events as a multiset.
func compareHistory(want []any, got []*jsonv.Object) (bool, string) {
	var ordered []*jsonv.Object
	var multi []*jsonv.Object
	for _, w := range want {
		e, _ := w.(*jsonv.Object)
		if isPlaceholder(e) {
			multi = append(multi, e)
		} else {
			ordered = append(ordered, e)
		}
	}
	strip := func(e *jsonv.Object) *jsonv.Object {
		c := jsonv.NewObject(e.Len())
		for k, v := range e.All() {
			if k != "id" && k != "previousEventId" {
				c.Append(k, v)
			}
		}
		return c
	}
	used := make([]bool, len(multi))
	oi := 0
	for _, g := range got {
		if oi < len(ordered) && looseEqual(ordered[oi], g) {
			oi++
			continue
		}
		matched := false
		if len(multi) > 0 {
			sg := strip(g)
			for i, m := range multi {
				if !used[i] && looseEqual(strip(m), sg) {
					used[i], matched = true, true
					break
				}
			}
			// The recorder's re-sort dropped the closing event of a Parallel.
			if !matched && g.Value("type") == "ParallelStateSucceeded" {
				matched = true
			}
		}
		if !matched {
			want := "<nothing>"
			if oi < len(ordered) {
				want = jsonv.String(ordered[oi])
			}
			return false, "unexpected event " + jsonv.String(g) + "\n      want " + want
		}
	}
	if oi < len(ordered) {
		return false, "missing event " + jsonv.String(ordered[oi])
	}
	for i := range multi {
		if !used[i] {
			return false, "missing branch event " + jsonv.String(multi[i])
		}
	}
	return true, ""
}

func sortedCounts(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
