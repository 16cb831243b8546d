package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/engine"
)

// request holds what reading a request body found wrong. A member of the
// wrong JSON type stops the request at once (AWS fails to deserialize it);
// constraint violations are gathered and reported together.
type request struct {
	fatal *apiError
	v     violations
}

// check returns the error to answer, if any.
func (r *request) check() *apiError {
	if r.fatal != nil {
		return r.fatal
	}
	return r.v.err()
}

func (r *request) typeError(path, want string, raw json.RawMessage) {
	if r.fatal == nil {
		r.fatal = serializationError("Cannot deserialize member '%s': expected %s, got %s", path, want, jsonKind(raw))
	}
}

// fields reads the members of one JSON object of the request; path is how
// AWS names the object in validation messages ("" for the top level,
// "tags.1.member." for the first tag).
type fields struct {
	r    *request
	path string
	m    map[string]json.RawMessage
}

// parseBody reads the top-level object. An empty body is an empty object:
// there is nothing a client could have meant by it but "no members".
func parseBody(body []byte) (*fields, *apiError) {
	f := &fields{r: &request{}, m: map[string]json.RawMessage{}}
	if len(bytes.TrimSpace(body)) == 0 {
		return f, nil
	}
	if !utf8.Valid(body) {
		return nil, serializationError("The request body is not valid UTF-8")
	}
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		if !json.Valid(body) {
			return nil, serializationError("The request body is not valid JSON")
		}
		return nil, serializationError("The request body must be a JSON object, got %s", jsonKind(body))
	}
	if err := json.Unmarshal(body, &f.m); err != nil {
		return nil, serializationError("The request body is not valid JSON: %v", err)
	}
	return f, nil
}

func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// get returns a member's JSON; null counts as absent, as it does on AWS.
func (f *fields) get(name string) (json.RawMessage, bool) {
	raw, ok := f.m[name]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, false
	}
	return raw, true
}

func (f *fields) missing(name string) {
	f.r.v.add("Value null at '%s%s' failed to satisfy constraint: Member must not be null", f.path, name)
}

// str is a string member's constraints from the model.
type str struct {
	required bool
	min, max int
	// bytes measures length in UTF-8 bytes: payloads (input, output) are
	// limited in bytes, other strings in characters.
	bytes bool
	// sensitive members are not echoed in messages, as AWS does not echo
	// them.
	sensitive bool
	pattern   func(string) bool
	patternRE string // the model's pattern, quoted in the message
}

// Constraints of the model's string shapes.
var (
	nameStr        = str{min: 1, max: 80}
	arnStr         = str{min: 1, max: 256}
	longArnStr     = str{min: 1, max: 2000}
	definitionStr  = str{min: 1, max: 1048576, sensitive: true}
	dataStr        = str{max: 262144, bytes: true, sensitive: true}
	errorStr       = str{max: 256, sensitive: true}
	causeStr       = str{max: 32768, sensitive: true}
	pageTokenStr   = str{min: 1, max: 1024}
	execTokenStr   = str{min: 1, max: 3096}
	taskTokenStr   = str{min: 1, max: 2048}
	identityStr    = str{max: 256}
	versionDescStr = str{max: 256, sensitive: true}
	kmsKeyStr      = str{min: 1, max: 2048}
	tagKeyStr      = str{min: 1, max: 128}
	tagValueStr    = str{max: 256}
	traceHeaderStr = str{max: 256, pattern: isASCII, patternRE: `\p{ASCII}*`}
	clientTokenStr = str{min: 1, max: 64, pattern: isVisibleASCII, patternRE: `[!-~]+`}
)

// isVisibleASCII is the model's [!-~]+: printable ASCII without spaces.
func isVisibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

func (c str) req() str { c.required = true; return c }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// str reads a string member; ok is false when it is absent or invalid.
func (f *fields) str(name string, c str) (string, bool) {
	raw, ok := f.get(name)
	if !ok {
		if c.required {
			f.missing(name)
		}
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		f.r.typeError(f.path+name, "a string", raw)
		return "", false
	}
	return s, f.checkStr(f.path+name, s, c)
}

func (f *fields) checkStr(path, s string, c str) bool {
	n := len(s)
	if !c.bytes {
		n = utf8.RuneCountInString(s)
	}
	value := fmt.Sprintf("Value '%s' at '%s'", s, path)
	if c.sensitive {
		value = fmt.Sprintf("Value at '%s'", path)
	}
	ok := true
	if n < c.min {
		f.r.v.add("%s failed to satisfy constraint: Member must have length greater than or equal to %d", value, c.min)
		ok = false
	}
	if c.max > 0 && n > c.max {
		f.r.v.add("%s failed to satisfy constraint: Member must have length less than or equal to %d", value, c.max)
		ok = false
	}
	if c.pattern != nil && !c.pattern(s) {
		f.r.v.add("%s failed to satisfy constraint: Member must satisfy regular expression pattern: %s", value, c.patternRE)
		ok = false
	}
	return ok
}

// integer reads an integer member within [min, max].
func (f *fields) integer(name string, min, max int64) (int64, bool) {
	raw, ok := f.get(name)
	if !ok {
		return 0, false
	}
	var num json.Number
	if c := bytes.TrimSpace(raw)[0]; c != '-' && (c < '0' || c > '9') || json.Unmarshal(raw, &num) != nil {
		f.r.typeError(f.path+name, "an integer", raw)
		return 0, false
	}
	n, err := strconv.ParseInt(num.String(), 10, 64)
	if err != nil {
		// A fraction or exponent is not an integer; a huge one does not
		// fit the model's int.
		fl, ferr := num.Float64()
		if ferr != nil || fl != math.Trunc(fl) || math.Abs(fl) > math.MaxInt32 {
			f.r.typeError(f.path+name, "an integer", raw)
			return 0, false
		}
		n = int64(fl)
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		f.r.typeError(f.path+name, "an integer", raw)
		return 0, false
	}
	if n < min {
		f.r.v.add("Value '%d' at '%s%s' failed to satisfy constraint: Member must have value greater than or equal to %d", n, f.path, name, min)
		return 0, false
	}
	if n > max {
		f.r.v.add("Value '%d' at '%s%s' failed to satisfy constraint: Member must have value less than or equal to %d", n, f.path, name, max)
		return 0, false
	}
	return n, true
}

// boolean reads a boolean member; present reports whether it was given.
func (f *fields) boolean(name string) (v, present bool) {
	raw, ok := f.get(name)
	if !ok {
		return false, false
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		f.r.typeError(f.path+name, "a boolean", raw)
		return false, false
	}
	return v, true
}

// enum reads a string member that must be one of values.
func (f *fields) enum(name string, required bool, values ...string) (string, bool) {
	s, ok := f.str(name, str{required: required})
	if !ok {
		return "", false
	}
	for _, v := range values {
		if s == v {
			return s, true
		}
	}
	f.r.v.add("Value '%s' at '%s%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", s, f.path, name, strings.Join(values, ", "))
	return "", false
}

// object reads a structure member; nil when absent or not an object.
func (f *fields) object(name string, required bool) *fields {
	raw, ok := f.get(name)
	if !ok {
		if required {
			f.missing(name)
		}
		return nil
	}
	return f.sub(f.path+name+".", f.path+name, raw)
}

func (f *fields) sub(path, label string, raw json.RawMessage) *fields {
	m := map[string]json.RawMessage{}
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) || json.Unmarshal(raw, &m) != nil {
		f.r.typeError(label, "an object", raw)
		return nil
	}
	return &fields{r: f.r, path: path, m: m}
}

// list reads a list member; ok is false when it is absent or not a list.
func (f *fields) list(name string, required bool) ([]json.RawMessage, bool) {
	raw, ok := f.get(name)
	if !ok {
		if required {
			f.missing(name)
		}
		return nil, false
	}
	var items []json.RawMessage
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) || json.Unmarshal(raw, &items) != nil {
		f.r.typeError(f.path+name, "a list", raw)
		return nil, false
	}
	return items, true
}

// memberPath names list item i (from 0) the way AWS's messages do.
func (f *fields) memberPath(list string, i int) string {
	return fmt.Sprintf("%s%s.%d.member", f.path, list, i+1)
}

// strList reads a list of strings.
func (f *fields) strList(name string, required bool, c str) ([]string, bool) {
	items, ok := f.list(name, required)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	good := true
	for i, raw := range items {
		path := f.memberPath(name, i)
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			f.r.typeError(path, "a string", raw)
			return nil, false
		}
		if !f.checkStr(path, s, c) {
			good = false
		}
		out = append(out, s)
	}
	return out, good
}

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// tags reads a TagList.
func (f *fields) tags(name string, required bool) ([]tag, bool) {
	items, ok := f.list(name, required)
	if !ok {
		return nil, false
	}
	out := make([]tag, 0, len(items))
	good := true
	for i, raw := range items {
		path := f.memberPath(name, i)
		t := f.sub(path+".", path, raw)
		if t == nil {
			return nil, false
		}
		k, okK := t.str("key", tagKeyStr.req())
		v, okV := t.str("value", tagValueStr)
		if !okK || t.present("value") && !okV {
			good = false
			continue
		}
		out = append(out, tag{Key: k, Value: v})
	}
	return out, good
}

func (f *fields) present(name string) bool {
	_, ok := f.get(name)
	return ok
}

// parseJSON parses a payload (a task's output, a definition) as strictly
// as an execution's input.
func parseJSON(s string) (any, error) {
	in, err := engine.ParseInput(s)
	if err != nil {
		return nil, err
	}
	return in.Value, nil
}

// validName applies AWS's rules for state machine, execution and activity
// names (the length is the model's and checked before).
func validName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 80 {
		return false
	}
	for _, r := range s {
		switch {
		case unicode.IsSpace(r),
			r <= 0x1f, r >= 0x7f && r <= 0x9f,
			r == 0xfffe, r == 0xffff,
			r >= 0xd800 && r <= 0xdfff:
			return false
		case strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r):
			return false
		}
	}
	return true
}

// arn is a parsed Step Functions ARN:
// arn:PARTITION:states:REGION:ACCOUNT:TYPE:RESOURCE...
type stepArn struct {
	text              string
	partition, region string
	account, typ      string
	rest              []string // the resource, split at ':'
}

// parseArn splits a Step Functions ARN of a request (package arn does the
// splitting) and answers a malformed one with AWS's InvalidArn wording.
func parseArn(s string) (stepArn, *apiError) {
	p, err := arn.Parse(s)
	if err != nil || p.Service != "states" || !strings.Contains(p.Resource, ":") {
		return stepArn{}, invalidArnPrefix(s)
	}
	parts := strings.Split(p.Resource, ":")
	a := stepArn{text: s, partition: p.Partition, region: p.Region, account: p.Account, typ: parts[0], rest: parts[1:]}
	if a.partition == "" || a.region == "" || a.account == "" {
		return stepArn{}, invalidArn(s)
	}
	return a, nil
}

// smArn is a state machine ARN: plain, qualified by a version or alias
// (":N" / ":alias"), or labelled ("name/label", a Distributed Map's).
type smArn struct {
	stepArn
	name      string
	label     string
	qualifier string
}

func parseStateMachineArn(s string) (smArn, *apiError) {
	a, err := parseArn(s)
	if err != nil {
		return smArn{}, err
	}
	if a.typ != "stateMachine" {
		return smArn{}, invalidArnType(a.typ)
	}
	if len(a.rest) > 2 {
		return smArn{}, invalidArn(s)
	}
	out := smArn{stepArn: a, name: a.rest[0]}
	if name, label, ok := strings.Cut(out.name, "/"); ok {
		out.name, out.label = name, label
		if !validName(label) {
			return smArn{}, invalidArn(s)
		}
	}
	if len(a.rest) == 2 {
		out.qualifier = a.rest[1]
		if out.qualifier == "" {
			return smArn{}, invalidArn(s)
		}
	}
	if !validName(out.name) {
		return smArn{}, invalidArn(s)
	}
	return out, nil
}

// parseUnlabelledArn is parseStateMachineArn for the operations that
// take no Map Run label: AWS refuses one with its own reason rather than
// as an ARN that does not parse.
func parseUnlabelledArn(s string) (smArn, *apiError) {
	a, err := parseStateMachineArn(s)
	if err != nil {
		return smArn{}, err
	}
	if a.label != "" {
		return smArn{}, labelledArn(s)
	}
	return a, nil
}

// parseExecutionArn accepts Standard execution ARNs; Express ones are not
// valid where an execution is looked up, as on AWS.
func parseExecutionArn(s string) (stepArn, *apiError) {
	a, err := parseArn(s)
	if err != nil {
		return stepArn{}, err
	}
	if a.typ != "execution" {
		return stepArn{}, invalidArnType(a.typ)
	}
	if len(a.rest) != 2 {
		return stepArn{}, invalidArn(s)
	}
	machine, label, labelled := strings.Cut(a.rest[0], "/")
	if !validName(machine) || labelled && !validName(label) || !validName(a.rest[1]) {
		return stepArn{}, invalidArn(s)
	}
	return a, nil
}

func parseActivityArn(s string) (stepArn, *apiError) {
	a, err := parseArn(s)
	if err != nil {
		return stepArn{}, err
	}
	if a.typ != "activity" {
		return stepArn{}, invalidArnType(a.typ)
	}
	if len(a.rest) != 1 || !validName(a.rest[0]) {
		return stepArn{}, invalidArn(s)
	}
	return a, nil
}
