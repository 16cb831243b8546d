// Package template reads and evaluates CloudFormation templates: JSON or
// YAML (with the short forms of the intrinsic functions, "!Ref X" for
// {"Ref": "X"}), their Parameters, Mappings, Conditions, Resources and
// Outputs, and the order in which the resources must be created.
//
// A template is read into plain values (map[string]any, []any, string,
// json.Number, bool, nil), YAML's short forms turned into the long ones,
// so that everything after parsing sees one form. Evaluation is pure: the
// values of resources (what Ref and Fn::GetAtt give) come from the caller.
package template

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a template the service refuses, with CloudFormation's message.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func errorf(format string, a ...any) *Error { return &Error{Message: fmt.Sprintf(format, a...)} }

// Decode reads a template body, JSON or YAML, into plain values.
func Decode(body string) (map[string]any, error) {
	trimmed := strings.TrimSpace(body)
	if trimmed == "" {
		return nil, errorf("Template format error: At least one Resources member must be defined.")
	}
	if strings.HasPrefix(trimmed, "{") {
		dec := json.NewDecoder(strings.NewReader(trimmed))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil {
			if m, ok := v.(map[string]any); ok {
				return m, nil
			}
		}
		// Not JSON after all: YAML's flow style also starts with "{".
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader([]byte(body))).Decode(&doc); err != nil {
		return nil, errorf("Template format error: YAML not well-formed. (%s)", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	v, err := fromYAML(&doc)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errorf("Template format error: unsupported structure.")
	}
	return m, nil
}

// shortForms maps YAML's short tags to the functions they stand for.
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!Join": "Fn::Join", "!Select": "Fn::Select",
	"!Split": "Fn::Split", "!If": "Fn::If", "!FindInMap": "Fn::FindInMap", "!Equals": "Fn::Equals",
	"!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or", "!Base64": "Fn::Base64",
	"!GetAZs": "Fn::GetAZs", "!ImportValue": "Fn::ImportValue", "!Cidr": "Fn::Cidr",
	"!Transform": "Fn::Transform", "!ToJsonString": "Fn::ToJsonString", "!Length": "Fn::Length",
}

func fromYAML(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromYAML(n.Content[0])
	case yaml.AliasNode:
		return fromYAML(n.Alias)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		fn, ok := shortForms[n.Tag]
		if !ok {
			return nil, errorf("Template format error: YAML not well-formed. (line %d, column %d: unknown tag %s)", n.Line, n.Column, n.Tag)
		}
		plain := *n
		plain.Tag = ""
		if n.Kind == yaml.ScalarNode {
			plain.Tag = "!!str"
		}
		v, err := fromYAML(&plain)
		if err != nil {
			return nil, err
		}
		if fn == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				// !GetAtt Resource.Attribute (the attribute may itself
				// contain dots).
				res, attr, _ := strings.Cut(s, ".")
				v = []any{res, attr}
			}
		}
		return map[string]any{fn: v}, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, errorf("Template format error: YAML not well-formed. (line %d, column %d: a key must be a scalar)", k.Line, k.Column)
			}
			if k.Value == "<<" {
				return nil, errorf("Template format error: YAML not well-formed. (line %d: merge keys are not supported)", k.Line)
			}
			v, err := fromYAML(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := fromYAML(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			// Kept as written: a number in a state machine definition
			// must reach it unchanged.
			if json.Valid([]byte(n.Value)) {
				return json.Number(n.Value), nil
			}
			return n.Value, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err == nil {
				return b, nil
			}
			return n.Value, nil
		case "!!null":
			return nil, nil
		}
		return n.Value, nil
	}
	return nil, errorf("Template format error: YAML not well-formed. (line %d)", n.Line)
}
