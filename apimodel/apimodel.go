// Package apimodel checks a JSON value against the output shape of an AWS
// API operation, as Step Functions' TestState checks a mocked task result
// (mock.fieldValidationMode STRICT or PRESENT) against the API model of
// the service the Task calls.
//
// The shapes are botocore's service models (Apache-2.0), reduced to the
// outputs of every operation of the services Statecraft's integrations
// call, and embedded (outputs.json.gz, see Source). go generate
// regenerates them from an installed botocore; nothing at build or run
// time needs it.
//
// What the checks are, and their messages, follow AWS's recorded answers
// (LocalStack's snapshots of TestState against AWS, test_field_validation_mode*):
//
//   - a member's name is the model's with its first letter upper-cased, as
//     Step Functions presents results (sfn's executionArn is ExecutionArn);
//   - a field the shape does not have is not checked (AWS accepts
//     {"random": "json"} for events:putEvents in both modes);
//   - a present field must have its shape's JSON type: strings, blobs and
//     timestamps a string, numbers a number, booleans a boolean, lists an
//     array, structures and maps an object; a document anything;
//   - enums, and the model's min and max: the length of a string, blob,
//     list or map, the value of a number;
//   - STRICT also wants every required member of every structure present.
package apimodel

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/statecraft/statecraft/apimodel/internal/modelfile"
	"github.com/statecraft/statecraft/jsonv"
)

//go:generate go run ./internal/modelgen

//go:embed outputs.json.gz
var packed []byte

type (
	shape   = modelfile.Shape
	service = modelfile.Service
)

var models = sync.OnceValue(func() map[string]*service {
	r, err := gzip.NewReader(bytes.NewReader(packed))
	if err != nil {
		panic("apimodel: embedded models: " + err.Error())
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		panic("apimodel: embedded models: " + err.Error())
	}
	var f struct {
		Services map[string]*service `json:"services"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		panic("apimodel: embedded models: " + err.Error())
	}
	return f.Services
})

// Output is an operation's output shape.
type Output struct {
	svc   *service
	shape string // "" when the operation has no output
	// Service and Operation name the model's service (botocore's name)
	// and operation.
	Service, Operation string
}

// Lookup finds the output of a botocore service's operation (its
// PascalCase name); nil when the models have neither.
func Lookup(service, operation string) *Output {
	s := models()[service]
	if s == nil {
		return nil
	}
	sh, ok := s.Ops[operation]
	if !ok {
		return nil
	}
	return &Output{svc: s, shape: sh, Service: service, Operation: operation}
}

// sdkServices maps the aws-sdk integrations' service names, as their ARN
// writes them, to botocore's.
var sdkServices = map[string]string{
	"dynamodb": "dynamodb", "eventbridge": "events", "lambda": "lambda", "s3": "s3",
	"sfn": "stepfunctions", "sns": "sns", "sqs": "sqs",
}

// optimizedServices maps the optimized integrations' services to
// botocore's. http:invoke calls no AWS API: it has no model.
var optimizedServices = map[string]string{
	"dynamodb": "dynamodb", "events": "events", "lambda": "lambda",
	"sns": "sns", "sqs": "sqs", "states": "stepfunctions",
}

// ForResource finds the output shape a Task resource's result has, nil
// when no model applies: a Lambda function's or an activity's result is
// what the function or worker gives; a .waitForTaskToken task's is what
// the token's holder sends; http:invoke calls no AWS API. A .sync task's
// result (states:startExecution.sync is DescribeExecution's output, not
// StartExecution's) is not checked either: which shape AWS checks it
// against is not recorded anywhere we could read, and checking against a
// guessed one could refuse what AWS accepts. Nor is a service or action
// outside the models (an aws-sdk service Statecraft does not run).
func ForResource(resource string) *Output {
	rest, ok := strings.CutPrefix(resource, "arn:")
	if !ok {
		return nil
	}
	parts := strings.SplitN(rest, ":", 6) // partition, states, "", "", SERVICE, ACTION...
	if len(parts) != 6 || parts[1] != "states" || parts[2] != "" || parts[3] != "" {
		return nil
	}
	action := parts[5]
	if strings.Contains(action, ".") {
		return nil // .sync, .sync:2, .waitForTaskToken
	}
	var svc string
	if parts[4] == "aws-sdk" {
		s, a, ok := strings.Cut(action, ":")
		if !ok {
			return nil
		}
		svc, action = sdkServices[s], a
	} else {
		svc = optimizedServices[parts[4]]
	}
	if svc == "" || action == "" || strings.Contains(action, ":") {
		return nil
	}
	return Lookup(svc, upperFirst(action))
}

// Error is a value the shape refuses; its text is AWS's message.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

// prefix starts every message, as AWS's do.
const prefix = "Mock result schema validation error: "

func fail(format string, args ...any) *Error {
	return &Error{Message: prefix + fmt.Sprintf(format, args...)}
}

// Check checks v against the output shape: strict wants the required
// members too (STRICT), else only what is present is checked (PRESENT).
func (o *Output) Check(v any, strict bool) error {
	if o.shape == "" {
		// An operation without output: nothing to check against (AWS's
		// answer for such a mock is not recorded).
		return nil
	}
	c := checker{svc: o.svc, strict: strict}
	if _, ok := v.(*jsonv.Object); !ok {
		// Not recorded: AWS's message for a result that is not an object.
		return fail("The mocked result must be a JSON object, got a JSON %s", jsonv.TypeName(v))
	}
	if e := c.value(v, o.shape, ""); e != nil {
		return e
	}
	return nil
}

type checker struct {
	svc    *service
	strict bool
}

// value checks v against the named shape; field is the name of the member
// holding it (a list's items and a map's values report their member's).
func (c *checker) value(v any, name, field string) *Error {
	sh := c.svc.Shapes[name]
	switch sh.T {
	case "document":
		return nil
	case "structure":
		o, ok := v.(*jsonv.Object)
		if !ok {
			return fail("Field '%s' must be an object", field)
		}
		if c.strict {
			for _, r := range sh.R {
				if !o.Has(upperFirst(r)) {
					return fail("Required field '%s' is missing", upperFirst(r))
				}
			}
		}
		for _, k := range o.Keys() {
			member, ok := c.member(sh, k)
			if !ok {
				continue // not in the model: AWS does not check it
			}
			if e := c.value(o.Value(k), member, k); e != nil {
				return e
			}
		}
		return nil
	case "list":
		a, ok := v.([]any)
		if !ok {
			return fail("Field '%s' must be an array", field)
		}
		if e := length(sh, len(a), field); e != nil {
			return e
		}
		for _, item := range a {
			if e := c.value(item, sh.L, field); e != nil {
				return e
			}
		}
		return nil
	case "map":
		o, ok := v.(*jsonv.Object)
		if !ok {
			return fail("Field '%s' must be an object", field)
		}
		if e := length(sh, o.Len(), field); e != nil {
			return e
		}
		for _, k := range o.Keys() {
			if e := c.value(o.Value(k), sh.V, field); e != nil {
				return e
			}
		}
		return nil
	case "string", "blob", "timestamp":
		s, ok := v.(string)
		if !ok {
			return fail("Field '%s' must be a string", field)
		}
		if len(sh.E) > 0 && !slices.Contains(sh.E, s) {
			return fail("Field '%s' is not an expected value", field)
		}
		return length(sh, utf8.RuneCountInString(s), field)
	case "integer", "long", "float", "double":
		n, ok := jsonv.Number(v)
		if !ok {
			return fail("Field '%s' must be a number", field)
		}
		if sh.T == "integer" || sh.T == "long" {
			if _, whole := jsonv.Integer(v); !whole {
				// Not recorded: AWS's answer for a fraction in an
				// integer field. It does not conform to the model, so
				// it is refused.
				return fail("Field '%s' must be an integer", field)
			}
		}
		if sh.Min != nil && n < *sh.Min {
			return fail("Field '%s' is less than the minimum value", field)
		}
		if sh.Max != nil && n > *sh.Max {
			return fail("Field '%s' exceeds the maximum value", field)
		}
		return nil
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fail("Field '%s' must be a boolean", field)
		}
		return nil
	}
	// A type the generator does not write: the models changed under it.
	return fail("Field '%s' has a type (%s) Statecraft cannot check", field, sh.T)
}

// member finds the shape of the structure member Step Functions presents
// as key: the model's name with its first letter upper-cased, so that
// sfn's executionArn is ExecutionArn and "executionArn" is no member (AWS
// takes it for a field outside the model: recorded).
func (c *checker) member(sh shape, key string) (string, bool) {
	if upperFirst(key) != key {
		return "", false
	}
	if m, ok := sh.M[key]; ok {
		return m, true
	}
	if key[0] >= 'A' && key[0] <= 'Z' {
		m, ok := sh.M[string(key[0]-'A'+'a')+key[1:]]
		return m, ok
	}
	return "", false
}

// length checks the model's min and max of a string's, blob's, list's or
// map's length. The message for a length over the maximum is not
// recorded: it follows "exceeds the maximum value".
func length(sh shape, n int, field string) *Error {
	if sh.Min != nil && float64(n) < *sh.Min {
		return fail("Field '%s' is smaller than the minimum length", field)
	}
	if sh.Max != nil && float64(n) > *sh.Max {
		return fail("Field '%s' exceeds the maximum length", field)
	}
	return nil
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// SDKService is botocore's name for an aws-sdk integration's service, as
// its ARN names it; "" for a service outside the models.
func SDKService(name string) string { return sdkServices[name] }

// Operations lists the operations of a botocore service the models hold,
// sorted.
func Operations(service string) []string {
	s := models()[service]
	if s == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(s.Ops))
}

// Members lists the output's members as Step Functions names them, sorted;
// none when the operation has no output.
func (o *Output) Members() []string {
	if o.shape == "" {
		return nil
	}
	var out []string
	for name := range o.svc.Shapes[o.shape].M {
		out = append(out, upperFirst(name))
	}
	slices.Sort(out)
	return out
}
