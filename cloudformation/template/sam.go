package template

import (
	"fmt"
	"sort"
	"strings"

	"github.com/statecraft/statecraft/arn"
)

// SAM is the transform of the AWS Serverless Application Model.
const SAM = "AWS::Serverless-2016-10-31"

// expandSAM rewrites the SAM resources of raw into CloudFormation ones, as
// the transform does for what Statecraft supports of it:
// AWS::Serverless::Function with InlineCode and AWS::Serverless::StateMachine
// with Definition, each with the execution role SAM makes for it unless
// it names one (Policies recorded in that role). Anything else of SAM is
// refused by name.
func expandSAM(raw map[string]any) error {
	if _, ok := raw["Globals"]; ok {
		return errorf("Transform %s: Globals are not supported by Statecraft: give each resource its properties", SAM)
	}
	rs, _ := raw["Resources"].(map[string]any)
	ids := make([]string, 0, len(rs))
	for id := range rs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r, _ := rs[id].(map[string]any)
		typ, _ := r["Type"].(string)
		if !strings.HasPrefix(typ, "AWS::Serverless::") {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		var out map[string]any
		var err error
		switch typ {
		case "AWS::Serverless::Function":
			out, err = samFunction(id, props)
		case "AWS::Serverless::StateMachine":
			out, err = samStateMachine(id, props)
		default:
			return errorf("Transform %s failed with: Resource %s: %s is not supported by Statecraft (AWS::Serverless::Function and AWS::Serverless::StateMachine are)", SAM, id, typ)
		}
		if err != nil {
			return err
		}
		nr := map[string]any{"Type": out["Type"], "Properties": out["Properties"]}
		for _, k := range []string{"DependsOn", "Condition", "DeletionPolicy", "UpdateReplacePolicy", "Metadata"} {
			if v, ok := r[k]; ok {
				nr[k] = v
			}
		}
		rs[id] = nr
		if role, ok := out["role"]; ok {
			roleID := id + "Role"
			if _, taken := rs[roleID]; taken {
				return errorf("Transform %s failed with: the execution role %s of %s has the logical id of another resource", SAM, roleID, id)
			}
			rr := map[string]any{"Type": "AWS::IAM::Role", "Properties": role}
			if c, ok := r["Condition"]; ok {
				rr["Condition"] = c
			}
			rs[roleID] = rr
		}
	}
	delete(raw, "Transform")
	return nil
}

func unsupported(id string, props map[string]any, allowed ...string) error {
	var bad []string
	for k := range props {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return errorf("Transform %s failed with: Resource %s: property %s is not supported by Statecraft", SAM, id, strings.Join(bad, ", "))
}

// samRole is the execution role SAM makes for a resource assumed by
// service, with its Policies (names of AWS managed policies, policy
// documents, policy templates) recorded.
func samRole(id, service string, policies any, managed []any) map[string]any {
	role := map[string]any{
		"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Action": []any{"sts:AssumeRole"}, "Principal": map[string]any{"Service": []any{service}}}}},
	}
	var inline []any
	list, ok := policies.([]any)
	if !ok && policies != nil {
		list = []any{policies}
	}
	for i, p := range list {
		if s, ok := p.(string); ok {
			if !strings.HasPrefix(s, "arn:") {
				s = arn.AWSManagedPolicy(s)
			}
			managed = append(managed, s)
			continue
		}
		inline = append(inline, map[string]any{"PolicyName": fmt.Sprintf("%sRolePolicy%d", id, i), "PolicyDocument": p})
	}
	if len(managed) > 0 {
		role["ManagedPolicyArns"] = managed
	}
	if len(inline) > 0 {
		role["Policies"] = inline
	}
	return role
}

func samTags(v any) []any {
	m, _ := v.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []any
	for _, k := range keys {
		out = append(out, map[string]any{"Key": k, "Value": m[k]})
	}
	return out
}

func samFunction(id string, p map[string]any) (map[string]any, error) {
	if _, ok := p["CodeUri"]; ok {
		return nil, errorf("Transform %s failed with: Resource %s: CodeUri is not supported by Statecraft: give the function's source in InlineCode", SAM, id)
	}
	if err := unsupported(id, p, "InlineCode", "Handler", "Runtime", "FunctionName", "Environment", "Timeout", "MemorySize",
		"Role", "Policies", "Description", "Tags", "ReservedConcurrentExecutions", "Architectures"); err != nil {
		return nil, err
	}
	code, ok := p["InlineCode"]
	if !ok {
		return nil, errorf("Transform %s failed with: Resource %s: InlineCode is required (CodeUri is not supported by Statecraft)", SAM, id)
	}
	props := map[string]any{"Code": map[string]any{"ZipFile": code}}
	for _, k := range []string{"Handler", "Runtime", "FunctionName", "Environment", "Timeout", "MemorySize", "Description", "ReservedConcurrentExecutions", "Architectures"} {
		if v, ok := p[k]; ok {
			props[k] = v
		}
	}
	if t, ok := p["Tags"]; ok {
		props["Tags"] = samTags(t)
	}
	out := map[string]any{"Type": "AWS::Lambda::Function", "Properties": props}
	if r, ok := p["Role"]; ok {
		props["Role"] = r
	} else {
		props["Role"] = map[string]any{"Fn::GetAtt": []any{id + "Role", "Arn"}}
		out["role"] = samRole(id, "lambda.amazonaws.com", p["Policies"], []any{arn.AWSManagedPolicy("service-role/AWSLambdaBasicExecutionRole")})
	}
	return out, nil
}

func samStateMachine(id string, p map[string]any) (map[string]any, error) {
	if _, ok := p["DefinitionUri"]; ok {
		return nil, errorf("Transform %s failed with: Resource %s: DefinitionUri is not supported by Statecraft: give the definition inline in Definition", SAM, id)
	}
	if _, ok := p["Events"]; ok {
		return nil, errorf("Transform %s failed with: Resource %s: Events are not supported by Statecraft (no event sources exist)", SAM, id)
	}
	if err := unsupported(id, p, "Definition", "DefinitionSubstitutions", "Name", "Type", "Role", "Policies", "Logging", "Tracing", "Tags"); err != nil {
		return nil, err
	}
	def, ok := p["Definition"]
	if !ok {
		return nil, errorf("Transform %s failed with: Resource %s: Definition is required (DefinitionUri is not supported by Statecraft)", SAM, id)
	}
	props := map[string]any{"Definition": def}
	for from, to := range map[string]string{"DefinitionSubstitutions": "DefinitionSubstitutions", "Name": "StateMachineName",
		"Type": "StateMachineType", "Logging": "LoggingConfiguration", "Tracing": "TracingConfiguration"} {
		if v, ok := p[from]; ok {
			props[to] = v
		}
	}
	if t, ok := p["Tags"]; ok {
		props["Tags"] = samTags(t)
	}
	out := map[string]any{"Type": "AWS::StepFunctions::StateMachine", "Properties": props}
	if r, ok := p["Role"]; ok {
		props["RoleArn"] = r
	} else {
		props["RoleArn"] = map[string]any{"Fn::GetAtt": []any{id + "Role", "Arn"}}
		out["role"] = samRole(id, "states.amazonaws.com", p["Policies"], nil)
	}
	return out, nil
}
