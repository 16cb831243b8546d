package cloudformation

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/deploy"
	"github.com/statecraft/statecraft/functions"
	"github.com/statecraft/statecraft/inproc"
)

// provisioner creates, updates and deletes resources of one stack
// operation, as the principal who asked for it.
type provisioner struct {
	opts      Options
	principal *auth.Principal
	stackName string
}

// created is what creating or updating a resource gives.
type created struct {
	physicalID string
	ref        any
	attrs      map[string]any
}

// resourceType is one supported type.
type resourceType struct {
	// props are the properties it accepts; any other is refused.
	props []string
	// replace are the properties whose change replaces the resource.
	replace []string
	create  func(p *provisioner, logicalID string, props map[string]any) (*created, error)
	// update changes the resource in place; nil: every change replaces.
	update func(p *provisioner, r *Resource, props map[string]any) (*created, error)
	delete func(p *provisioner, r *Resource) error
}

var types = map[string]*resourceType{
	"AWS::StepFunctions::StateMachine": {
		props:   []string{"Definition", "DefinitionString", "DefinitionSubstitutions", "DefinitionS3Location", "StateMachineName", "StateMachineType", "RoleArn", "Tags", "LoggingConfiguration", "TracingConfiguration"},
		replace: []string{"StateMachineName", "StateMachineType"},
		create:  (*provisioner).createStateMachine,
		update:  (*provisioner).updateStateMachine,
		delete:  (*provisioner).deleteStateMachine,
	},
	"AWS::StepFunctions::StateMachineVersion": {
		props:  []string{"StateMachineArn", "StateMachineRevisionId", "Description"},
		create: (*provisioner).createVersion,
		delete: (*provisioner).deleteVersion,
	},
	"AWS::StepFunctions::StateMachineAlias": {
		props:   []string{"Name", "Description", "RoutingConfiguration", "DeploymentPreference"},
		replace: []string{"Name"},
		create:  (*provisioner).createAlias,
		update:  (*provisioner).updateAlias,
		delete:  (*provisioner).deleteAlias,
	},
	"AWS::StepFunctions::Activity": {
		props:   []string{"Name", "Tags"},
		replace: []string{"Name", "Tags"},
		create:  (*provisioner).createActivity,
		delete:  (*provisioner).deleteActivity,
	},
	"AWS::Lambda::Function": {
		props:   []string{"Code", "Runtime", "Handler", "FunctionName", "Environment", "Timeout", "MemorySize", "Role", "Description", "Tags", "ReservedConcurrentExecutions", "Architectures"},
		replace: []string{"FunctionName"},
		create:  (*provisioner).createFunction,
		update: func(p *provisioner, r *Resource, props map[string]any) (*created, error) {
			return p.deployFunction(r.PhysicalID, props)
		},
		delete: (*provisioner).deleteFunction,
	},
	"AWS::IAM::Role": {
		props:   []string{"AssumeRolePolicyDocument", "Description", "ManagedPolicyArns", "MaxSessionDuration", "Path", "PermissionsBoundary", "Policies", "RoleName", "Tags"},
		replace: []string{"RoleName", "Path"},
		create:  (*provisioner).createRole,
		update:  keepIAM,
		delete:  deleteIAM,
	},
	"AWS::IAM::Policy": {
		props:  []string{"PolicyDocument", "PolicyName", "Groups", "Roles", "Users"},
		create: (*provisioner).createPolicy,
		update: keepIAM,
		delete: deleteIAM,
	},
	"AWS::IAM::ManagedPolicy": {
		props:   []string{"PolicyDocument", "ManagedPolicyName", "Description", "Groups", "Path", "Roles", "Users"},
		replace: []string{"ManagedPolicyName", "Path"},
		create:  (*provisioner).createManagedPolicy,
		update:  keepIAM,
		delete:  deleteIAM,
	},
}

// Supported tells whether the service provisions resources of type t.
func Supported(t string) bool { return types[t] != nil }

// SupportedTypes are the supported resource types, sorted.
func SupportedTypes() []string {
	var out []string
	for t := range types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// checkProps refuses a property the type does not accept, as
// CloudFormation's resource handlers do.
func checkProps(typ string, props map[string]any) error {
	rt := types[typ]
	var bad []string
	for k := range props {
		ok := false
		for _, p := range rt.props {
			ok = ok || p == k
		}
		if !ok {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("Encountered unsupported property %s", strings.Join(bad, ", "))
	}
	return nil
}

// physicalName is the name CloudFormation makes up for a resource its
// template does not name: STACK-LOGICALID-RANDOM, at most max characters.
func (p *provisioner) physicalName(logicalID string, max int) string {
	suffix := randomID(12)
	head := p.stackName + "-" + logicalID
	if len(head)+1+len(suffix) > max {
		head = head[:max-1-len(suffix)]
	}
	return head + "-" + suffix
}

func randomID(n int) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

func strProp(props map[string]any, key string) (string, error) {
	v, ok := props[key]
	if !ok || v == nil {
		return "", nil
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("Value of property %s must be of type String", key)
}

func intProp(props map[string]any, key string) (int, error) {
	s, err := strProp(props, key)
	if err != nil || s == "" {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("Value of property %s must be of type Integer", key)
	}
	return n, nil
}

// apiError is an error the Step Functions API answered.
type apiError struct{ Type, Message string }

func (e *apiError) Error() string {
	return e.Message + " (Service: AWSStepFunctions; Status Code: 400; Error Code: " + e.Type + ")"
}

// sfn calls the Step Functions API in process as the stack's principal.
func (p *provisioner) sfn(op string, in any) (map[string]any, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	ctx := auth.WithPrincipal(context.Background(), p.principal)
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://statecraft.internal/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	resp, err := inproc.Do(p.opts.API, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]any{}
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	if resp.StatusCode != http.StatusOK {
		typ, _ := out["__type"].(string)
		if i := strings.LastIndex(typ, "#"); i >= 0 {
			typ = typ[i+1:]
		}
		msg, _ := out["message"].(string)
		if msg == "" {
			msg, _ = out["Message"].(string)
		}
		return nil, &apiError{Type: typ, Message: msg}
	}
	return out, nil
}

// camel turns CloudFormation's property names (Level, Destinations) into
// the API's (level, destinations), recursively.
func camel(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k != "" {
				k = strings.ToLower(k[:1]) + k[1:]
			}
			out[k] = camel(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = camel(e)
		}
		return out
	}
	return v
}

func (p *provisioner) definition(props map[string]any) (string, error) {
	if _, ok := props["DefinitionS3Location"]; ok {
		return "", fmt.Errorf("DefinitionS3Location is not supported by Statecraft: use Definition or DefinitionString")
	}
	var def string
	d, hasObj := props["Definition"]
	s, hasStr := props["DefinitionString"]
	switch {
	case hasObj && hasStr:
		return "", fmt.Errorf("Definition and DefinitionString are mutually exclusive")
	case hasObj:
		b, err := json.Marshal(d)
		if err != nil {
			return "", err
		}
		def = string(b)
	case hasStr:
		var ok bool
		if def, ok = s.(string); !ok {
			return "", fmt.Errorf("Value of property DefinitionString must be of type String")
		}
	default:
		return "", fmt.Errorf("Properties validation failed for resource: one of Definition, DefinitionString must be specified")
	}
	if subs, ok := props["DefinitionSubstitutions"]; ok {
		m, ok := subs.(map[string]any)
		if !ok {
			return "", fmt.Errorf("Value of property DefinitionSubstitutions must be an object")
		}
		for k, v := range m {
			var val string
			switch x := v.(type) {
			case string:
				val = x
			case json.Number:
				val = x.String()
			case bool:
				val = strconv.FormatBool(x)
			default:
				return "", fmt.Errorf("Value of DefinitionSubstitutions %s must be a string, number or boolean", k)
			}
			def = strings.ReplaceAll(def, "${"+k+"}", val)
		}
	}
	return def, nil
}

func apiTags(props map[string]any) []any {
	tags, _ := props["Tags"].([]any)
	var out []any
	for _, t := range tags {
		m, _ := t.(map[string]any)
		k, _ := strProp(m, "Key")
		v, _ := strProp(m, "Value")
		out = append(out, map[string]any{"key": k, "value": v})
	}
	return out
}

func (p *provisioner) createStateMachine(logicalID string, props map[string]any) (*created, error) {
	def, err := p.definition(props)
	if err != nil {
		return nil, err
	}
	name, _ := strProp(props, "StateMachineName")
	if name == "" {
		// CloudFormation names a state machine LOGICALID-RANDOM, without
		// the stack's name.
		name = logicalID[:min(len(logicalID), 80-13)] + "-" + randomID(12)
	}
	in := map[string]any{"name": name, "definition": def}
	if role, _ := strProp(props, "RoleArn"); role != "" {
		in["roleArn"] = role
	}
	if t, _ := strProp(props, "StateMachineType"); t != "" {
		in["type"] = t
	}
	for _, k := range []string{"LoggingConfiguration", "TracingConfiguration"} {
		if v, ok := props[k]; ok {
			in[strings.ToLower(k[:1])+k[1:]] = camel(v)
		}
	}
	if tags := apiTags(props); len(tags) > 0 {
		in["tags"] = tags
	}
	out, err := p.sfn("CreateStateMachine", in)
	if err != nil {
		return nil, err
	}
	smArn, _ := out["stateMachineArn"].(string)
	desc, err := p.sfn("DescribeStateMachine", map[string]any{"stateMachineArn": smArn})
	if err != nil {
		return nil, err
	}
	return &created{physicalID: smArn, ref: smArn, attrs: map[string]any{"Arn": smArn, "Name": name, "StateMachineRevisionId": desc["revisionId"]}}, nil
}

func (p *provisioner) updateStateMachine(r *Resource, props map[string]any) (*created, error) {
	def, err := p.definition(props)
	if err != nil {
		return nil, err
	}
	in := map[string]any{"stateMachineArn": r.PhysicalID, "definition": def}
	if role, _ := strProp(props, "RoleArn"); role != "" {
		in["roleArn"] = role
	}
	for _, k := range []string{"LoggingConfiguration", "TracingConfiguration"} {
		if v, ok := props[k]; ok {
			in[strings.ToLower(k[:1])+k[1:]] = camel(v)
		}
	}
	out, err := p.sfn("UpdateStateMachine", in)
	if err != nil {
		return nil, err
	}
	attrs := map[string]any{}
	for k, v := range r.Attrs {
		attrs[k] = v
	}
	attrs["StateMachineRevisionId"] = out["revisionId"]
	oldKeys := map[string]bool{}
	for _, t := range apiTags(r.Properties) {
		oldKeys[t.(map[string]any)["key"].(string)] = true
	}
	newTags := apiTags(props)
	for _, t := range newTags {
		delete(oldKeys, t.(map[string]any)["key"].(string))
	}
	if len(newTags) > 0 {
		if _, err := p.sfn("TagResource", map[string]any{"resourceArn": r.PhysicalID, "tags": newTags}); err != nil {
			return nil, err
		}
	}
	if len(oldKeys) > 0 {
		var keys []string
		for k := range oldKeys {
			keys = append(keys, k)
		}
		if _, err := p.sfn("UntagResource", map[string]any{"resourceArn": r.PhysicalID, "tagKeys": keys}); err != nil {
			return nil, err
		}
	}
	return &created{physicalID: r.PhysicalID, ref: r.Ref, attrs: attrs}, nil
}

func (p *provisioner) deleteStateMachine(r *Resource) error {
	_, err := p.sfn("DeleteStateMachine", map[string]any{"stateMachineArn": r.PhysicalID})
	return err
}

func (p *provisioner) createActivity(logicalID string, props map[string]any) (*created, error) {
	name, err := strProp(props, "Name")
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("Properties validation failed for resource %s with message: #: required key [Name] not found", logicalID)
	}
	in := map[string]any{"name": name}
	if tags := apiTags(props); len(tags) > 0 {
		in["tags"] = tags
	}
	out, err := p.sfn("CreateActivity", in)
	if err != nil {
		return nil, err
	}
	a, _ := out["activityArn"].(string)
	return &created{physicalID: a, ref: a, attrs: map[string]any{"Arn": a, "Name": name}}, nil
}

func (p *provisioner) deleteActivity(r *Resource) error {
	_, err := p.sfn("DeleteActivity", map[string]any{"activityArn": r.PhysicalID})
	return err
}

func (p *provisioner) createFunction(logicalID string, props map[string]any) (*created, error) {
	name, err := strProp(props, "FunctionName")
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = p.physicalName(logicalID, 64)
	}
	return p.deployFunction(name, props)
}

// deployFunction deploys a function through the deploy door, in process,
// as the stack's principal: the checks (runtime allow-list, environment,
// handler inside the code) and the code's placement are those of
// `statecraft deploy`.
func (p *provisioner) deployFunction(name string, props map[string]any) (*created, error) {
	code, _ := props["Code"].(map[string]any)
	var bad []string
	for k := range code {
		if k != "ZipFile" {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, fmt.Errorf("Code.%s is not supported by Statecraft: give the function's source inline in Code.ZipFile", strings.Join(bad, ", Code."))
	}
	src, ok := code["ZipFile"].(string)
	if !ok || src == "" {
		return nil, fmt.Errorf("Properties validation failed: Code.ZipFile (the function's source, inline) is required")
	}
	runtime, err := strProp(props, "Runtime")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(runtime, "nodejs") || !functions.SupportedRuntime(runtime) {
		return nil, fmt.Errorf("Runtime %q is not supported for inline code (ZipFile) by Statecraft: use a nodejs runtime (nodejs18.x, nodejs20.x, ...)", runtime)
	}
	handler, err := strProp(props, "Handler")
	if err != nil {
		return nil, err
	}
	if handler == "" {
		return nil, fmt.Errorf("Properties validation failed: Handler is required")
	}
	fn := deploy.Function{Name: name, Runtime: runtime, Handler: handler}
	if fn.Timeout, err = intProp(props, "Timeout"); err != nil {
		return nil, err
	}
	if fn.Memory, err = intProp(props, "MemorySize"); err != nil {
		return nil, err
	}
	if fn.Concurrency, err = intProp(props, "ReservedConcurrentExecutions"); err != nil {
		return nil, err
	}
	if env, ok := props["Environment"].(map[string]any); ok {
		vars, _ := env["Variables"].(map[string]any)
		fn.Environment = map[string]string{}
		for k := range vars {
			v, err := strProp(vars, k)
			if err != nil {
				return nil, err
			}
			fn.Environment[k] = v
		}
	}
	if a, ok := props["Architectures"].([]any); ok && (len(a) != 1 || a[0] != "x86_64" && a[0] != "arm64") {
		return nil, fmt.Errorf("Architectures must be [x86_64] or [arm64]")
	}
	// As Lambda does with ZipFile for Node.js: the source is index.js.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, err := zw.Create("index.js")
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, src); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(zb.Bytes())
	fn.Code = hex.EncodeToString(sum[:])
	req := deploy.Request{Account: p.principal.Account, Functions: []deploy.Function{fn},
		Code: map[string]deploy.Archive{fn.Code: {Format: "zip", Data: zb.Bytes()}}}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx := auth.WithPrincipal(context.Background(), p.principal)
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://statecraft.internal"+deploy.Path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	resp, err := inproc.Do(p.opts.Deploy, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var ref struct {
			Message  string   `json:"message"`
			Problems []string `json:"problems"`
		}
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &ref)
		msg := ref.Message
		if len(ref.Problems) > 0 {
			msg += ": " + strings.Join(ref.Problems, "; ")
		}
		return nil, fmt.Errorf("%s (Service: Lambda; Status Code: %d)", msg, resp.StatusCode)
	}
	region := p.principal.Region
	fnArn := arn.Function(region, p.principal.Account, name)
	return &created{physicalID: name, ref: name, attrs: map[string]any{"Arn": fnArn}}, nil
}

func (p *provisioner) deleteFunction(r *Resource) error {
	if p.opts.Functions == nil {
		return nil
	}
	return p.opts.Functions.Unregister(p.principal.Account, r.PhysicalID)
}

// IAM resources are recorded only: nothing in Statecraft reads them.

func (p *provisioner) createRole(logicalID string, props map[string]any) (*created, error) {
	name, err := strProp(props, "RoleName")
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = p.physicalName(logicalID, 64)
	}
	path, _ := strProp(props, "Path")
	if path == "" {
		path = "/"
	}
	roleArn := arn.Role(p.principal.Region, p.principal.Account, strings.TrimPrefix(path, "/")+name)
	return &created{physicalID: name, ref: name, attrs: map[string]any{"Arn": roleArn, "RoleId": "AROA" + strings.ToUpper(randomID(17))}}, nil
}

func (p *provisioner) createPolicy(logicalID string, props map[string]any) (*created, error) {
	if _, err := strProp(props, "PolicyName"); err != nil {
		return nil, err
	}
	id := p.physicalName(logicalID[:min(len(logicalID), 5)], 30)
	return &created{physicalID: id, ref: id, attrs: map[string]any{"Id": id}}, nil
}

func (p *provisioner) createManagedPolicy(logicalID string, props map[string]any) (*created, error) {
	name, err := strProp(props, "ManagedPolicyName")
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = p.physicalName(logicalID, 128)
	}
	path, _ := strProp(props, "Path")
	if path == "" {
		path = "/"
	}
	a := arn.Policy(p.principal.Region, p.principal.Account, strings.TrimPrefix(path, "/")+name)
	return &created{physicalID: a, ref: a, attrs: map[string]any{"PolicyArn": a}}, nil
}

func keepIAM(p *provisioner, r *Resource, props map[string]any) (*created, error) {
	return &created{physicalID: r.PhysicalID, ref: r.Ref, attrs: r.Attrs}, nil
}

func deleteIAM(*provisioner, *Resource) error { return nil }

func (p *provisioner) createVersion(logicalID string, props map[string]any) (*created, error) {
	sm, err := strProp(props, "StateMachineArn")
	if err != nil {
		return nil, err
	}
	if sm == "" {
		return nil, fmt.Errorf("Properties validation failed for resource %s with message: #: required key [StateMachineArn] not found", logicalID)
	}
	in := map[string]any{"stateMachineArn": sm}
	if d, _ := strProp(props, "Description"); d != "" {
		in["description"] = d
	}
	if rev, _ := strProp(props, "StateMachineRevisionId"); rev != "" {
		in["revisionId"] = rev
	}
	out, err := p.sfn("PublishStateMachineVersion", in)
	if err != nil {
		return nil, err
	}
	v, _ := out["stateMachineVersionArn"].(string)
	return &created{physicalID: v, ref: v, attrs: map[string]any{"Arn": v}}, nil
}

func (p *provisioner) deleteVersion(r *Resource) error {
	_, err := p.sfn("DeleteStateMachineVersion", map[string]any{"stateMachineVersionArn": r.PhysicalID})
	return err
}

func aliasInput(props map[string]any) (map[string]any, error) {
	if _, ok := props["DeploymentPreference"]; ok {
		return nil, fmt.Errorf("DeploymentPreference is not supported by Statecraft: give the alias's RoutingConfiguration")
	}
	in := map[string]any{}
	if d, _ := strProp(props, "Description"); d != "" {
		in["description"] = d
	}
	routes, _ := props["RoutingConfiguration"].([]any)
	var out []any
	for _, r := range routes {
		m, _ := r.(map[string]any)
		v, err := strProp(m, "StateMachineVersionArn")
		if err != nil {
			return nil, err
		}
		w, err := intProp(m, "Weight")
		if err != nil {
			return nil, err
		}
		out = append(out, map[string]any{"stateMachineVersionArn": v, "weight": w})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Properties validation failed: RoutingConfiguration is required")
	}
	in["routingConfiguration"] = out
	return in, nil
}

func (p *provisioner) createAlias(logicalID string, props map[string]any) (*created, error) {
	in, err := aliasInput(props)
	if err != nil {
		return nil, err
	}
	name, err := strProp(props, "Name")
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = p.physicalName(logicalID, 80)
	}
	in["name"] = name
	out, err := p.sfn("CreateStateMachineAlias", in)
	if err != nil {
		return nil, err
	}
	a, _ := out["stateMachineAliasArn"].(string)
	return &created{physicalID: a, ref: a, attrs: map[string]any{"Arn": a}}, nil
}

func (p *provisioner) updateAlias(r *Resource, props map[string]any) (*created, error) {
	in, err := aliasInput(props)
	if err != nil {
		return nil, err
	}
	in["stateMachineAliasArn"] = r.PhysicalID
	if _, err := p.sfn("UpdateStateMachineAlias", in); err != nil {
		return nil, err
	}
	return &created{physicalID: r.PhysicalID, ref: r.Ref, attrs: r.Attrs}, nil
}

func (p *provisioner) deleteAlias(r *Resource) error {
	_, err := p.sfn("DeleteStateMachineAlias", map[string]any{"stateMachineAliasArn": r.PhysicalID})
	return err
}
