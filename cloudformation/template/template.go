package template

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Template is a parsed, checked template.
type Template struct {
	Description string
	// Transformed: the template declared the SAM transform, now expanded.
	Transformed bool
	Parameters  map[string]*Parameter
	// ParameterOrder is the parameters' names, sorted.
	ParameterOrder []string
	Mappings       map[string]any
	Conditions     map[string]any
	Resources      map[string]*Resource
	// Order is the resources' logical ids in an order that creates every
	// resource after those it depends on.
	Order   []string
	Outputs map[string]*Output
}

// Parameter is a declared parameter.
type Parameter struct {
	Name          string
	Type          string
	Default       *string
	AllowedValues []string
	NoEcho        bool
	Description   string
}

// Resource is a declared resource.
type Resource struct {
	LogicalID  string
	Type       string
	Properties map[string]any
	Condition  string
	// Deps are the resources this one refers to or names in DependsOn.
	Deps []string
	// Retain: DeletionPolicy Retain (deleting the stack leaves it).
	Retain bool
}

// Output is a declared output.
type Output struct {
	Value       any
	Description string
	Condition   string
}

// Pseudo parameters a template may Ref.
var Pseudo = map[string]bool{
	"AWS::Region": true, "AWS::AccountId": true, "AWS::StackName": true, "AWS::StackId": true,
	"AWS::Partition": true, "AWS::URLSuffix": true, "AWS::NoValue": true, "AWS::NotificationARNs": true,
}

var logicalIDRE = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// Parse decodes and checks body. types tells which resource types the
// caller provisions; any other is refused as CloudFormation refuses an
// unknown one.
func Parse(body string, types func(string) bool) (*Template, error) {
	raw, err := Decode(body)
	if err != nil {
		return nil, err
	}
	transformed := false
	if tr, ok := raw["Transform"]; ok {
		if l, ok := tr.([]any); ok && len(l) == 1 {
			tr = l[0]
		}
		if tr != SAM {
			return nil, errorf("Template format error: Transform %v is not supported by Statecraft (only %s is)", tr, SAM)
		}
		if err := expandSAM(raw); err != nil {
			return nil, err
		}
		transformed = true
	}
	known := map[string]bool{"AWSTemplateFormatVersion": true, "Description": true, "Metadata": true, "Parameters": true,
		"Mappings": true, "Conditions": true, "Resources": true, "Outputs": true, "Transform": true, "Rules": true}
	var unknown []string
	for k := range raw {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, errorf("Template format error: Invalid template property or properties [%s]", strings.Join(unknown, ", "))
	}
	if v, ok := raw["AWSTemplateFormatVersion"]; ok && v != "2010-09-09" {
		return nil, errorf("Template format error: '%v' is not a supported value for AWSTemplateFormatVersion.", v)
	}
	if _, ok := raw["Rules"]; ok {
		return nil, errorf("Template format error: Rules are not supported by Statecraft")
	}
	t := &Template{Transformed: transformed, Parameters: map[string]*Parameter{}, Mappings: map[string]any{}, Conditions: map[string]any{},
		Resources: map[string]*Resource{}, Outputs: map[string]*Output{}}
	if d, ok := raw["Description"].(string); ok {
		t.Description = d
	}
	if err := t.readParameters(raw["Parameters"]); err != nil {
		return nil, err
	}
	if m, ok := raw["Mappings"]; ok {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil, errorf("Template format error: Every Mappings member must be an object")
		}
		t.Mappings = mm
	}
	if c, ok := raw["Conditions"]; ok {
		cm, ok := c.(map[string]any)
		if !ok {
			return nil, errorf("Template format error: Every Conditions member must be an object")
		}
		t.Conditions = cm
	}
	rs, ok := raw["Resources"].(map[string]any)
	if !ok || len(rs) == 0 {
		return nil, errorf("Template format error: At least one Resources member must be defined.")
	}
	var unrecognized []string
	for id, v := range rs {
		if !logicalIDRE.MatchString(id) {
			return nil, errorf("Template format error: Resource name %s is non alphanumeric.", id)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errorf("Template format error: [/Resources/%s] resource definition is malformed", id)
		}
		r := &Resource{LogicalID: id}
		for k, v := range m {
			switch k {
			case "Type":
				r.Type, _ = v.(string)
			case "Properties":
				if v == nil {
					continue
				}
				p, ok := v.(map[string]any)
				if !ok {
					return nil, errorf("Template format error: [/Resources/%s/Properties] properties must be an object", id)
				}
				r.Properties = p
			case "Condition":
				s, ok := v.(string)
				if !ok {
					return nil, errorf("Template format error: [/Resources/%s/Condition] must be a string", id)
				}
				r.Condition = s
			case "DependsOn":
				switch d := v.(type) {
				case string:
					r.Deps = append(r.Deps, d)
				case []any:
					for _, x := range d {
						s, ok := x.(string)
						if !ok {
							return nil, errorf("Template format error: [/Resources/%s/DependsOn] must be a string or a list of strings", id)
						}
						r.Deps = append(r.Deps, s)
					}
				default:
					return nil, errorf("Template format error: [/Resources/%s/DependsOn] must be a string or a list of strings", id)
				}
			case "DeletionPolicy", "UpdateReplacePolicy":
				s, _ := v.(string)
				switch s {
				case "Delete":
				case "Retain":
					if k == "DeletionPolicy" {
						r.Retain = true
					}
				default:
					return nil, errorf("Template format error: [/Resources/%s/%s] %v is not supported by Statecraft (Delete or Retain)", id, k, v)
				}
			case "Metadata":
			default:
				return nil, errorf("Template format error: Unrecognized resource attribute %s in resource %s (Statecraft supports Type, Properties, Condition, DependsOn, DeletionPolicy, UpdateReplacePolicy, Metadata)", k, id)
			}
		}
		if r.Type == "" {
			return nil, errorf("Template format error: [/Resources/%s] Every Resources object must contain a Type member.", id)
		}
		if !types(r.Type) {
			unrecognized = append(unrecognized, r.Type)
		}
		if r.Properties == nil {
			r.Properties = map[string]any{}
		}
		t.Resources[id] = r
	}
	if len(unrecognized) > 0 {
		sort.Strings(unrecognized)
		return nil, errorf("Template format error: Unrecognized resource types: [%s]", strings.Join(dedup(unrecognized), ", "))
	}
	if o, ok := raw["Outputs"]; ok {
		om, ok := o.(map[string]any)
		if !ok {
			return nil, errorf("Template format error: Every Outputs member must be an object")
		}
		for name, v := range om {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, errorf("Template format error: Output %s is malformed. An output must be an object with a Value.", name)
			}
			out := &Output{Value: m["Value"]}
			if _, ok := m["Value"]; !ok {
				return nil, errorf("Template format error: Every Outputs member must contain a Value object")
			}
			out.Description, _ = m["Description"].(string)
			out.Condition, _ = m["Condition"].(string)
			if _, ok := m["Export"]; ok {
				return nil, errorf("Template format error: Output %s: Export is not supported by Statecraft (no other stack could import it)", name)
			}
			t.Outputs[name] = out
		}
	}
	if err := t.checkRefs(); err != nil {
		return nil, err
	}
	order, err := t.order()
	if err != nil {
		return nil, err
	}
	t.Order = order
	return t, nil
}

func dedup(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (t *Template) readParameters(v any) error {
	if v == nil {
		return nil
	}
	ps, ok := v.(map[string]any)
	if !ok {
		return errorf("Template format error: Parameters must be an object")
	}
	for name, pv := range ps {
		if !logicalIDRE.MatchString(name) {
			return errorf("Template format error: Parameter name %s is non alphanumeric.", name)
		}
		m, ok := pv.(map[string]any)
		if !ok {
			return errorf("Template format error: Every Parameters object must contain a Type member.")
		}
		p := &Parameter{Name: name}
		p.Type, _ = m["Type"].(string)
		switch p.Type {
		case "String", "Number", "CommaDelimitedList", "List<Number>":
		case "":
			return errorf("Template format error: Every Parameters object must contain a Type member.")
		default:
			return errorf("Template format error: Unrecognized parameter type: %s (Statecraft supports String, Number, CommaDelimitedList and List<Number>)", p.Type)
		}
		if d, ok := m["Default"]; ok {
			s := scalarString(d)
			p.Default = &s
		}
		if av, ok := m["AllowedValues"].([]any); ok {
			for _, a := range av {
				p.AllowedValues = append(p.AllowedValues, scalarString(a))
			}
		}
		switch ne := m["NoEcho"].(type) {
		case bool:
			p.NoEcho = ne
		case string:
			p.NoEcho = strings.EqualFold(ne, "true")
		}
		p.Description, _ = m["Description"].(string)
		t.Parameters[name] = p
		t.ParameterOrder = append(t.ParameterOrder, name)
	}
	sort.Strings(t.ParameterOrder)
	return nil
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = scalarString(e)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

var subRefRE = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// refs collects what v refers to: Ref names, GetAtt resources, and the
// names in Fn::Sub strings (those its own variable map defines excepted).
func refs(v any, add func(name string, getAtt bool)) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				switch k {
				case "Ref":
					if s, ok := arg.(string); ok {
						add(s, false)
						return
					}
				case "Fn::GetAtt":
					switch a := arg.(type) {
					case []any:
						if len(a) > 0 {
							if s, ok := a[0].(string); ok {
								add(s, true)
							}
						}
						for _, e := range a[1:] {
							refs(e, add)
						}
						return
					case string:
						res, _, _ := strings.Cut(a, ".")
						add(res, true)
						return
					}
				case "Fn::Sub":
					var str string
					vars := map[string]any{}
					switch a := arg.(type) {
					case string:
						str = a
					case []any:
						if len(a) > 0 {
							str, _ = a[0].(string)
						}
						if len(a) > 1 {
							vars, _ = a[1].(map[string]any)
							refs(a[1], add)
						}
					}
					for _, m := range subRefRE.FindAllStringSubmatch(str, -1) {
						name := m[1]
						if _, ok := vars[name]; ok {
							continue
						}
						if res, _, ok := strings.Cut(name, "."); ok && !Pseudo[name] {
							add(res, true)
						} else {
							add(name, false)
						}
					}
					return
				}
			}
		}
		for _, e := range x {
			refs(e, add)
		}
	case []any:
		for _, e := range x {
			refs(e, add)
		}
	}
}

// checkRefs refuses references to what the template does not declare and
// collects each resource's dependencies.
func (t *Template) checkRefs() error {
	var unresolved []string
	check := func(where string, v any, deps *[]string) {
		refs(v, func(name string, getAtt bool) {
			if _, ok := t.Resources[name]; ok {
				if deps != nil {
					*deps = append(*deps, name)
				}
				return
			}
			if !getAtt && (Pseudo[name] || t.Parameters[name] != nil) {
				return
			}
			unresolved = append(unresolved, name)
		})
	}
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := t.Resources[id]
		for _, d := range r.Deps {
			if _, ok := t.Resources[d]; !ok {
				return errorf("Template format error: Unresolved resource dependencies [%s] in the Resources block of the template", d)
			}
		}
		check(id, r.Properties, &r.Deps)
		if r.Condition != "" {
			if _, ok := t.Conditions[r.Condition]; !ok {
				return errorf("Template format error: Unresolved dependencies [%s]. Cannot reference resources in the Conditions block of the template", r.Condition)
			}
		}
		r.Deps = uniq(r.Deps)
	}
	if len(unresolved) > 0 {
		sort.Strings(unresolved)
		return errorf("Template format error: Unresolved resource dependencies [%s] in the Resources block of the template", strings.Join(dedup(unresolved), ", "))
	}
	for name, c := range t.Conditions {
		var bad []string
		refs(c, func(ref string, getAtt bool) {
			if getAtt || !(Pseudo[ref] || t.Parameters[ref] != nil) {
				bad = append(bad, ref)
			}
		})
		if len(bad) > 0 {
			sort.Strings(bad)
			return errorf("Template format error: Unresolved dependencies [%s]. Cannot reference resources in the Conditions block of the template", strings.Join(dedup(bad), ", "))
		}
		_ = name
	}
	for name, o := range t.Outputs {
		check(name, o.Value, nil)
		if len(unresolved) > 0 {
			sort.Strings(unresolved)
			return errorf("Template format error: Unresolved resource dependencies [%s] in the Outputs block of the template", strings.Join(dedup(unresolved), ", "))
		}
	}
	return nil
}

func uniq(s []string) []string {
	sort.Strings(s)
	return dedup(s)
}

// order sorts the resources topologically (ties by logical id), refusing
// a cycle with the resources in it.
func (t *Template) order() ([]string, error) {
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	done := map[string]bool{}
	var out []string
	for len(out) < len(ids) {
		progress := false
		for _, id := range ids {
			if done[id] {
				continue
			}
			ready := true
			for _, d := range t.Resources[id].Deps {
				if !done[d] {
					ready = false
					break
				}
			}
			if ready {
				done[id] = true
				out = append(out, id)
				progress = true
			}
		}
		if !progress {
			var cycle []string
			for _, id := range ids {
				if !done[id] {
					cycle = append(cycle, id)
				}
			}
			return nil, errorf("Circular dependency between resources: [%s]", strings.Join(cycle, ", "))
		}
	}
	return out, nil
}

// NeedsIAM tells whether the template declares IAM resources, and whether
// any of them is named (CAPABILITY_NAMED_IAM).
func (t *Template) NeedsIAM() (iam, named bool) {
	for _, r := range t.Resources {
		if strings.HasPrefix(r.Type, "AWS::IAM::") {
			iam = true
			for _, k := range []string{"RoleName", "ManagedPolicyName", "UserName", "GroupName"} {
				if _, ok := r.Properties[k]; ok {
					named = true
				}
			}
		}
	}
	return iam, named
}
