package template

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func known(t string) bool { return strings.HasPrefix(t, "Test::") }

func env(t *testing.T, tpl *Template, params map[string]string) *Env {
	t.Helper()
	vals, err := tpl.ResolveParameters(params)
	if err != nil {
		t.Fatal(err)
	}
	vals["AWS::Region"] = "us-east-1"
	vals["AWS::AccountId"] = "123456789012"
	vals["AWS::StackName"] = "example"
	e := &Env{Values: vals,
		Ref: func(id string) (any, bool) { return "phys-" + id, true },
		GetAtt: func(id, attr string) (any, error) {
			return "att-" + id + "-" + attr, nil
		}}
	if err := tpl.EvalConditions(e); err != nil {
		t.Fatal(err)
	}
	return e
}

const base = `
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Names: {Type: CommaDelimitedList, Default: "a, b,c"}
  Size: {Type: Number, Default: 3}
Mappings:
  Regions:
    us-east-1: {Name: virginia}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [a, a]]
  Either: !Or [!Condition IsProd, !Equals [1, "1"]]
Resources:
  A: {Type: Test::Thing}
`

func TestIntrinsics(t *testing.T) {
	tpl, err := Parse(base, known)
	if err != nil {
		t.Fatal(err)
	}
	e := env(t, tpl, nil)
	cases := []struct {
		name, yaml string
		want       any
	}{
		{"Ref parameter", `!Ref Stage`, "dev"},
		{"Ref resource", `!Ref A`, "phys-A"},
		{"Ref pseudo", `!Ref AWS::Region`, "us-east-1"},
		{"Ref list", `!Ref Names`, []any{"a", "b", "c"}},
		{"Ref number", `!Ref Size`, "3"},
		{"GetAtt short", `!GetAtt A.Arn`, "att-A-Arn"},
		{"GetAtt long", `{"Fn::GetAtt": [A, Name]}`, "att-A-Name"},
		{"Sub", `!Sub "${AWS::StackName}-${Stage}-${A}-${A.Arn}-${!Literal}"`, "example-dev-phys-A-att-A-Arn-${Literal}"},
		{"Sub with map", `!Sub ["${x}/${Stage}", {x: !Ref A}]`, "phys-A/dev"},
		{"Join", `!Join ["-", [a, !Ref Stage, 1]]`, "a-dev-1"},
		{"Join list param", `!Join ["+", !Ref Names]`, "a+b+c"},
		{"Select", `!Select [1, !Ref Names]`, "b"},
		{"Split", `!Split [",", "x,y"]`, []any{"x", "y"}},
		{"Select Split", `!Select [0, !Split ["/", "p/q"]]`, "p"},
		{"If true", `!If [IsDev, yes, no]`, "yes"},
		{"If false", `!If [IsProd, yes, no]`, "no"},
		{"If NoValue", `{k: !If [IsProd, 1, !Ref AWS::NoValue], j: 2}`, map[string]any{"j": json.Number("2")}},
		{"NoValue in list", `[1, !Ref AWS::NoValue]`, []any{json.Number("1")}},
		{"FindInMap", `!FindInMap [Regions, !Ref AWS::Region, Name]`, "virginia"},
		{"Base64", `!Base64 hi`, "aGk="},
		{"nested", `!Join ["", [!Select [0, !Split [":", !Sub "${A}:z"]]]]`, "phys-A"},
		{"number kept", `{n: 2.50}`, map[string]any{"n": json.Number("2.50")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := Decode("V: " + c.yaml)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Eval(raw["V"], e)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %#v, want %#v", got, c.want)
			}
		})
	}
	for _, c := range []struct {
		name string
		want bool
	}{{"IsProd", false}, {"IsDev", true}, {"Both", true}, {"Either", true}} {
		if got := e.Condition(c.name); got != c.want {
			t.Errorf("condition %s = %v, want %v", c.name, got, c.want)
		}
	}
	e = env(t, tpl, map[string]string{"Stage": "prod"})
	if !e.Condition("IsProd") || e.Condition("IsDev") {
		t.Error("conditions with Stage=prod")
	}
}

func TestEvalErrors(t *testing.T) {
	tpl, err := Parse(base, known)
	if err != nil {
		t.Fatal(err)
	}
	e := env(t, tpl, nil)
	for _, c := range []struct{ yaml, want string }{
		{`!Select [5, [a]]`, "Fn::Select cannot select nonexistent value at index 5"},
		{`!FindInMap [Nope, a, b]`, "Mapping named 'Nope' is not present"},
		{`!FindInMap [Regions, eu-west-1, Name]`, "Unable to get mapping for Regions::eu-west-1::Name"},
		{`!GetAZs ""`, "Fn::GetAZs is not supported by Statecraft"},
		{`!Join [",", a]`, "second parameter must be a list"},
	} {
		raw, err := Decode("V: " + c.yaml)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Eval(raw["V"], e); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestParseRefusals(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"unknown type", "Resources: {A: {Type: AWS::SQS::Queue}, B: {Type: AWS::SNS::Topic}}", "Template format error: Unrecognized resource types: [AWS::SNS::Topic, AWS::SQS::Queue]"},
		{"unknown ref", "Resources: {A: {Type: Test::X, Properties: {P: !Ref Nope}}}", "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"},
		{"unknown sub ref", "Resources: {A: {Type: Test::X, Properties: {P: !Sub '${Nope.Arn}'}}}", "Unresolved resource dependencies [Nope]"},
		{"unknown depends", "Resources: {A: {Type: Test::X, DependsOn: Nope}}", "Unresolved resource dependencies [Nope]"},
		{"cycle", "Resources: {A: {Type: Test::X, Properties: {P: !GetAtt B.Arn}}, B: {Type: Test::X, DependsOn: [A]}}", "Circular dependency between resources: [A, B]"},
		{"no resources", "Description: x", "At least one Resources member must be defined."},
		{"bad yaml", "Resources: [", "YAML not well-formed"},
		{"transform", "Transform: AWS::Include\nResources: {A: {Type: Test::X}}", "Template format error: Transform AWS::Include is not supported by Statecraft (only AWS::Serverless-2016-10-31 is)"},
		{"SAM CodeUri", "Transform: AWS::Serverless-2016-10-31\nResources: {F: {Type: AWS::Serverless::Function, Properties: {CodeUri: ./src, Handler: i.h, Runtime: nodejs20.x}}}", "CodeUri is not supported by Statecraft"},
		{"SAM DefinitionUri", "Transform: AWS::Serverless-2016-10-31\nResources: {M: {Type: AWS::Serverless::StateMachine, Properties: {DefinitionUri: s3://b/k}}}", "DefinitionUri is not supported by Statecraft"},
		{"SAM Api", "Transform: AWS::Serverless-2016-10-31\nResources: {A: {Type: AWS::Serverless::Api}}", "AWS::Serverless::Api is not supported by Statecraft"},
		{"SAM Globals", "Transform: AWS::Serverless-2016-10-31\nGlobals: {Function: {Timeout: 3}}\nResources: {A: {Type: Test::X}}", "Globals are not supported by Statecraft"},
		{"export", "Resources: {A: {Type: Test::X}}\nOutputs: {O: {Value: x, Export: {Name: y}}}", "Export is not supported"},
		{"top-level key", "Resource: {}\nResources: {A: {Type: Test::X}}", "Invalid template property or properties [Resource]"},
		{"output ref", "Resources: {A: {Type: Test::X}}\nOutputs: {O: {Value: !Ref B}}", "Unresolved resource dependencies [B] in the Outputs block"},
		{"condition ref to resource", "Conditions: {C: !Equals [!Ref A, x]}\nResources: {A: {Type: Test::X}}", "Cannot reference resources in the Conditions block"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.body, known)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestOrder(t *testing.T) {
	body := `{
  "Resources": {
    "Machine": {"Type": "Test::SM", "Properties": {"Def": {"Fn::Sub": "${Fn.Arn} ${Role}"}}},
    "Fn": {"Type": "Test::Fn", "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
    "Role": {"Type": "Test::Role"},
    "Alarm": {"Type": "Test::A", "DependsOn": "Machine"},
    "Lone": {"Type": "Test::L"}
  }
}`
	tpl, err := Parse(body, known)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Lone", "Role", "Fn", "Machine", "Alarm"}
	if !reflect.DeepEqual(tpl.Order, want) {
		t.Errorf("order %v, want %v", tpl.Order, want)
	}
}

func TestParameters(t *testing.T) {
	tpl, err := Parse(base, known)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		given map[string]string
		want  string
	}{
		{map[string]string{"Stage": "qa"}, "Parameter 'Stage' must be one of AllowedValues"},
		{map[string]string{"Size": "big"}, "Parameter 'Size' must be a number."},
		{map[string]string{"Other": "x"}, "Parameters: [Other] do not exist in the template"},
	} {
		if _, err := tpl.ResolveParameters(c.given); err == nil || err.Error() != c.want {
			t.Errorf("%v: error %v, want %q", c.given, err, c.want)
		}
	}
	req, err := Parse("Parameters: {Name: {Type: String}}\nResources: {A: {Type: Test::X}}", known)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := req.ResolveParameters(nil); err == nil || err.Error() != "Parameters: [Name] must have values" {
		t.Errorf("missing parameter: %v", err)
	}
}

func TestYAMLShortFormsEqualLongForms(t *testing.T) {
	short, err := Decode(`
A: !Ref X
B: !GetAtt R.Arn
C: !Sub "${X}"
D: !Join [",", [a]]
E: !If [C, a, b]
F: !Condition C
G: !Split [",", a]
H: !FindInMap [M, a, b]
`)
	if err != nil {
		t.Fatal(err)
	}
	long, err := Decode(`{"A": {"Ref": "X"}, "B": {"Fn::GetAtt": ["R", "Arn"]}, "C": {"Fn::Sub": "${X}"},
 "D": {"Fn::Join": [",", ["a"]]}, "E": {"Fn::If": ["C", "a", "b"]}, "F": {"Condition": "C"},
 "G": {"Fn::Split": [",", "a"]}, "H": {"Fn::FindInMap": ["M", "a", "b"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(short, long) {
		t.Errorf("short forms %#v\nlong forms %#v", short, long)
	}
	if _, err := Decode("A: !Bogus x"); err == nil || !strings.Contains(err.Error(), "unknown tag !Bogus") {
		t.Errorf("unknown tag: %v", err)
	}
}

func TestNeedsIAM(t *testing.T) {
	tpl, err := Parse("Resources: {R: {Type: AWS::IAM::Role}}", func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if iam, named := tpl.NeedsIAM(); !iam || named {
		t.Errorf("NeedsIAM = %v, %v", iam, named)
	}
	tpl, _ = Parse("Resources: {R: {Type: AWS::IAM::Role, Properties: {RoleName: x}}}", func(string) bool { return true })
	if _, named := tpl.NeedsIAM(); !named {
		t.Error("a named role needs CAPABILITY_NAMED_IAM")
	}
}

func TestSAM(t *testing.T) {
	body := `
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: "exports.handler = async () => 1"
      Handler: index.handler
      Runtime: nodejs20.x
      Policies: [AWSLambdaReadOnlyAccess]
      Tags: {team: growth}
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: m
      Definition: {StartAt: T, States: {T: {Type: Task, Resource: "${FnArn}", End: true}}}
      DefinitionSubstitutions: {FnArn: !GetAtt Fn.Arn}
      Policies:
        - LambdaInvokePolicy: {FunctionName: !Ref Fn}
`
	all := func(string) bool { return true }
	tpl, err := Parse(body, all)
	if err != nil {
		t.Fatal(err)
	}
	if !tpl.Transformed {
		t.Error("not marked as transformed")
	}
	got := map[string]string{}
	for id, r := range tpl.Resources {
		got[id] = r.Type
	}
	want := map[string]string{"Fn": "AWS::Lambda::Function", "FnRole": "AWS::IAM::Role", "Machine": "AWS::StepFunctions::StateMachine", "MachineRole": "AWS::IAM::Role"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resources %v, want %v", got, want)
	}
	fn := tpl.Resources["Fn"].Properties
	if !reflect.DeepEqual(fn["Code"], map[string]any{"ZipFile": "exports.handler = async () => 1"}) ||
		!reflect.DeepEqual(fn["Role"], map[string]any{"Fn::GetAtt": []any{"FnRole", "Arn"}}) ||
		!reflect.DeepEqual(fn["Tags"], []any{map[string]any{"Key": "team", "Value": "growth"}}) {
		t.Errorf("function %v", fn)
	}
	m := tpl.Resources["Machine"].Properties
	if m["StateMachineName"] != "m" || !reflect.DeepEqual(m["RoleArn"], map[string]any{"Fn::GetAtt": []any{"MachineRole", "Arn"}}) {
		t.Errorf("state machine %v", m)
	}
	if managed := tpl.Resources["FnRole"].Properties["ManagedPolicyArns"]; !reflect.DeepEqual(managed, []any{
		"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "arn:aws:iam::aws:policy/AWSLambdaReadOnlyAccess"}) {
		t.Errorf("function role's managed policies %v", managed)
	}
	want2 := []string{"Fn", "FnRole", "MachineRole", "Machine"}
	pos := map[string]int{}
	for i, id := range tpl.Order {
		pos[id] = i
	}
	if !(pos["FnRole"] < pos["Fn"] && pos["Fn"] < pos["MachineRole"] && pos["MachineRole"] < pos["Machine"]) {
		t.Errorf("order %v, want roles before what uses them, as %v", tpl.Order, want2)
	}
	if iam, _ := tpl.NeedsIAM(); !iam {
		t.Error("SAM's roles need CAPABILITY_IAM")
	}
}
