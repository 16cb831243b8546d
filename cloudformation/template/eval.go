package template

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// noValue is what Ref AWS::NoValue gives: the property is removed.
type noValue struct{}

// Env is what evaluation reads: parameter and pseudo parameter values,
// and the resources created so far.
type Env struct {
	// Values are the parameters' and pseudo parameters' values (a string,
	// or []any of strings for list parameters), by name.
	Values map[string]any
	// Ref gives a resource's Ref value; ok false while it does not exist.
	Ref func(logicalID string) (any, bool)
	// GetAtt gives a resource's attribute.
	GetAtt func(logicalID, attr string) (any, error)
	// Mappings are the template's (set by EvalConditions).
	Mappings map[string]any
	// conditions are the evaluated conditions.
	conditions map[string]bool
}

// ResolveParameters checks the given parameter values against the
// template's declarations and returns every parameter's value.
func (t *Template) ResolveParameters(given map[string]string) (map[string]any, error) {
	var unknown, missing []string
	for k := range given {
		if t.Parameters[k] == nil {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, errorf("Parameters: [%s] do not exist in the template", strings.Join(unknown, ", "))
	}
	out := map[string]any{}
	for _, name := range t.ParameterOrder {
		p := t.Parameters[name]
		v, ok := given[name]
		if !ok {
			if p.Default == nil {
				missing = append(missing, name)
				continue
			}
			v = *p.Default
		}
		if len(p.AllowedValues) > 0 {
			allowed := false
			for _, a := range p.AllowedValues {
				allowed = allowed || a == v
			}
			if !allowed {
				return nil, errorf("Parameter '%s' must be one of AllowedValues", name)
			}
		}
		switch p.Type {
		case "Number":
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return nil, errorf("Parameter '%s' must be a number.", name)
			}
			out[name] = v
		case "CommaDelimitedList", "List<Number>":
			parts := []any{}
			for _, s := range strings.Split(v, ",") {
				s = strings.TrimSpace(s)
				if p.Type == "List<Number>" {
					if _, err := strconv.ParseFloat(s, 64); err != nil {
						return nil, errorf("Parameter '%s' must be a number list.", name)
					}
				}
				parts = append(parts, s)
			}
			out[name] = parts
		default:
			out[name] = v
		}
	}
	if len(missing) > 0 {
		return nil, errorf("Parameters: [%s] must have values", strings.Join(missing, ", "))
	}
	return out, nil
}

// EvalConditions evaluates the template's conditions; env then holds them.
func (t *Template) EvalConditions(env *Env) error {
	env.conditions = map[string]bool{}
	env.Mappings = t.Mappings
	visiting := map[string]bool{}
	var eval func(name string) (bool, error)
	eval = func(name string) (bool, error) {
		if v, ok := env.conditions[name]; ok {
			return v, nil
		}
		c, ok := t.Conditions[name]
		if !ok {
			return false, errorf("Template error: unresolved condition dependency %s in Fn::If", name)
		}
		if visiting[name] {
			return false, errorf("Template error: circular condition dependency %s", name)
		}
		visiting[name] = true
		b, err := evalCondition(c, env, eval)
		if err != nil {
			return false, err
		}
		env.conditions[name] = b
		return b, nil
	}
	names := make([]string, 0, len(t.Conditions))
	for n := range t.Conditions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := eval(n); err != nil {
			return err
		}
	}
	return nil
}

// Condition tells a condition's value (EvalConditions first); "" is true.
func (env *Env) Condition(name string) bool {
	return name == "" || env.conditions[name]
}

func evalCondition(c any, env *Env, named func(string) (bool, error)) (bool, error) {
	m, ok := c.(map[string]any)
	if !ok || len(m) != 1 {
		if b, ok := c.(bool); ok {
			return b, nil
		}
		return false, errorf("Template error: every Conditions member must be a condition function (Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition)")
	}
	for fn, arg := range m {
		switch fn {
		case "Condition":
			s, _ := arg.(string)
			return named(s)
		case "Fn::Equals":
			a, ok := arg.([]any)
			if !ok || len(a) != 2 {
				return false, errorf("Template error: Fn::Equals requires a list of two values")
			}
			x, err := Eval(a[0], env)
			if err != nil {
				return false, err
			}
			y, err := Eval(a[1], env)
			if err != nil {
				return false, err
			}
			return scalarString(x) == scalarString(y), nil
		case "Fn::Not", "Fn::And", "Fn::Or":
			a, ok := arg.([]any)
			if !ok || len(a) == 0 || fn == "Fn::Not" && len(a) != 1 || fn != "Fn::Not" && (len(a) < 2 || len(a) > 10) {
				return false, errorf("Template error: %s has a wrong number of conditions", fn)
			}
			var vals []bool
			for _, e := range a {
				b, err := evalCondition(e, env, named)
				if err != nil {
					return false, err
				}
				vals = append(vals, b)
			}
			switch fn {
			case "Fn::Not":
				return !vals[0], nil
			case "Fn::And":
				for _, b := range vals {
					if !b {
						return false, nil
					}
				}
				return true, nil
			default:
				for _, b := range vals {
					if b {
						return true, nil
					}
				}
				return false, nil
			}
		}
		return false, errorf("Template error: %s is not a condition function", fn)
	}
	return false, nil
}

// Eval evaluates the intrinsic functions in v.
func Eval(v any, env *Env) (any, error) {
	out, err := eval(v, env)
	if _, ok := out.(noValue); ok {
		return nil, nil
	}
	return out, err
}

func eval(v any, env *Env) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return evalFn(k, arg, env)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := eval(e, env)
			if err != nil {
				return nil, err
			}
			if _, ok := r.(noValue); ok {
				continue
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			r, err := eval(e, env)
			if err != nil {
				return nil, err
			}
			if _, ok := r.(noValue); ok {
				continue
			}
			out = append(out, r)
		}
		return out, nil
	}
	return v, nil
}

func str(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return scalarString(x), true
	}
	return "", false
}

func (env *Env) ref(name string) (any, error) {
	if name == "AWS::NoValue" {
		return noValue{}, nil
	}
	if v, ok := env.Values[name]; ok {
		return v, nil
	}
	if env.Ref != nil {
		if v, ok := env.Ref(name); ok {
			return v, nil
		}
	}
	return nil, errorf("Template error: instance of Ref references undefined resource %s", name)
}

func evalFn(fn string, arg any, env *Env) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, errorf("Template error: Ref requires a string (the name of a parameter or resource)")
		}
		return env.ref(name)
	case "Fn::GetAtt":
		var res, attr string
		switch a := arg.(type) {
		case string:
			res, attr, _ = strings.Cut(a, ".")
		case []any:
			if len(a) != 2 {
				return nil, errorf("Template error: every Fn::GetAtt object requires two non-empty parameters")
			}
			res, _ = a[0].(string)
			av, err := eval(a[1], env)
			if err != nil {
				return nil, err
			}
			attr, _ = str(av)
		}
		if res == "" || attr == "" {
			return nil, errorf("Template error: every Fn::GetAtt object requires two non-empty parameters")
		}
		if env.GetAtt == nil {
			return nil, errorf("Template error: Fn::GetAtt %s.%s cannot be evaluated here", res, attr)
		}
		return env.GetAtt(res, attr)
	case "Fn::Sub":
		return evalSub(arg, env)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, errorf("Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.")
		}
		sep, ok := a[0].(string)
		if !ok {
			return nil, errorf("Template error: Fn::Join's delimiter must be a string")
		}
		lv, err := eval(a[1], env)
		if err != nil {
			return nil, err
		}
		list, ok := lv.([]any)
		if !ok {
			return nil, errorf("Template error: Fn::Join's second parameter must be a list of strings")
		}
		parts := make([]string, 0, len(list))
		for _, e := range list {
			s, ok := str(e)
			if !ok {
				return nil, errorf("Template error: every Fn::Join object requires a list of strings to be joined")
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, sep), nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, errorf("Template error: Fn::Select requires a list argument with two elements: an integer index and a list")
		}
		iv, err := eval(a[0], env)
		if err != nil {
			return nil, err
		}
		is, _ := str(iv)
		i, err := strconv.Atoi(is)
		if err != nil {
			return nil, errorf("Template error: Fn::Select requires a list argument with two elements: an integer index and a list")
		}
		lv, err := eval(a[1], env)
		if err != nil {
			return nil, err
		}
		list, ok := lv.([]any)
		if !ok {
			return nil, errorf("Template error: Fn::Select requires a list argument with two elements: an integer index and a list")
		}
		if i < 0 || i >= len(list) {
			return nil, errorf("Template error: Fn::Select cannot select nonexistent value at index %d", i)
		}
		return list[i], nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, errorf("Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.")
		}
		sep, _ := a[0].(string)
		sv, err := eval(a[1], env)
		if err != nil {
			return nil, err
		}
		s, ok := str(sv)
		if !ok || sep == "" {
			return nil, errorf("Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.")
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, errorf("Template error: Fn::If requires a list argument with three elements")
		}
		name, _ := a[0].(string)
		b, known := env.conditions[name]
		if !known {
			return nil, errorf("Template error: unresolved condition dependency %s in Fn::If", name)
		}
		if b {
			return eval(a[1], env)
		}
		return eval(a[2], env)
	case "Fn::FindInMap":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, errorf("Template error: every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value")
		}
		keys := make([]string, 3)
		for i, e := range a {
			v, err := eval(e, env)
			if err != nil {
				return nil, err
			}
			if keys[i], ok = str(v); !ok {
				return nil, errorf("Template error: every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value")
			}
		}
		m, _ := env.Mappings[keys[0]].(map[string]any)
		if m == nil {
			return nil, errorf("Template error: Mapping named '%s' is not present in the 'Mappings' section of template.", keys[0])
		}
		second, _ := m[keys[1]].(map[string]any)
		v, ok := second[keys[2]]
		if !ok {
			return nil, errorf("Template error: Unable to get mapping for %s::%s::%s", keys[0], keys[1], keys[2])
		}
		return v, nil
	case "Fn::Base64":
		v, err := eval(arg, env)
		if err != nil {
			return nil, err
		}
		s, ok := str(v)
		if !ok {
			return nil, errorf("Template error: Fn::Base64 requires a string")
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		b, err := evalCondition(map[string]any{fn: arg}, env, func(n string) (bool, error) {
			b, ok := env.conditions[n]
			if !ok {
				return false, errorf("Template error: unresolved condition dependency %s", n)
			}
			return b, nil
		})
		return b, err
	}
	return nil, errorf("Template error: %s is not supported by Statecraft", fn)
}

var subVarRE = regexp.MustCompile(`\$\{([^}]*)\}`)

func evalSub(arg any, env *Env) (any, error) {
	var s string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		s = a
	case []any:
		if len(a) != 2 {
			return nil, errorf("Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string")
		}
		var ok bool
		if s, ok = a[0].(string); !ok {
			return nil, errorf("Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string")
		}
		m, ok := a[1].(map[string]any)
		if !ok {
			return nil, errorf("Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string")
		}
		for k, v := range m {
			ev, err := eval(v, env)
			if err != nil {
				return nil, err
			}
			vars[k] = ev
		}
	default:
		return nil, errorf("Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string")
	}
	var firstErr error
	out := subVarRE.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}" // ${!Literal}
		}
		var v any
		var err error
		if x, ok := vars[name]; ok {
			v = x
		} else if res, attr, ok := strings.Cut(name, "."); ok && !Pseudo[name] {
			if env.GetAtt == nil {
				err = errorf("Template error: Fn::Sub %s cannot be evaluated here", name)
			} else {
				v, err = env.GetAtt(res, attr)
			}
		} else {
			v, err = env.ref(name)
		}
		if err == nil {
			s, ok := str(v)
			if !ok {
				err = errorf("Template error: variable %s in Fn::Sub expression does not resolve to a string", name)
			}
			return s
		}
		if firstErr == nil {
			firstErr = err
		}
		return ""
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}
