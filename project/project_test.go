package project

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/asl"
)

// fakeEnv is the environment the tests load with.
func fakeEnv(name string) (string, bool) {
	switch name {
	case "TOKEN":
		return "s3cret", true
	case "EMPTY":
		return "", true
	}
	return "", false
}

// setup writes files (path -> content) into a new directory, always with a
// code directory fn/index.js and a trivial definition sm.json, and makes it
// the working directory.
func setup(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{
		"fn/index.js": "exports.handler = async () => ({});\n",
		"sm.json":     `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}` + "\n",
	}
	for k, v := range files {
		all[k] = v
	}
	for name, content := range all {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		files map[string]string
		want  []string
	}{
		{
			name: "unknown fields",
			yaml: `function:
  a: {}
functions:
  send:
    runtime: nodejs20.x
    handlr: index.handler
    code: fn
stateMachines:
  M:
    definition: sm.json
    typ: EXPRESS
`,
			want: []string{
				"statecraft.yaml:1: function: unknown field (did you mean functions?)",
				"statecraft.yaml:4: functions.send.handler: required for nodejs20.x",
				"statecraft.yaml:6: functions.send.handlr: unknown field (did you mean handler?)",
				"statecraft.yaml:11: stateMachines.M.typ: unknown field (did you mean type?)",
			},
		},
		{
			name: "names",
			yaml: `functions:
  "send message":
    runtime: go1.x
    handler: main
    code: fn
  ok-name:
    runtime: go1.x
    handler: main
    code: fn
  ` + strings.Repeat("f", 65) + `: {runtime: go1.x, handler: main, code: fn}
stateMachines:
  "a/b":
    definition: sm.json
  ok-name:
    definition: sm.json
connections:
  "bad name!":
    basic: {username: u, password: p}
`,
			want: []string{
				`statecraft.yaml:2: functions["send message"]: invalid function name: use 1 to 64 letters, digits, hyphens or underscores`,
				`statecraft.yaml:10: functions.` + strings.Repeat("f", 65) + `: invalid function name: use 1 to 64 letters, digits, hyphens or underscores`,
				`statecraft.yaml:12: stateMachines["a/b"]: invalid state machine name: use 1 to 80 characters, none of them whitespace or any of <>{}[]?*"#%\^|~` + "`" + `$&,;:/`,
				`statecraft.yaml:14: stateMachines.ok-name: name already used by the function on line 6; names must be unique because ${ok-name.Arn} must name one thing`,
				`statecraft.yaml:17: connections["bad name!"]: invalid connection name: use 1 to 64 letters, digits, dots, hyphens or underscores`,
			},
		},
		{
			name: "duplicates",
			yaml: `functions:
  f:
    runtime: go1.x
    runtime: go1.x
    handler: main
    code: fn
  f:
    runtime: go1.x
    handler: main
    code: fn
`,
			want: []string{
				"statecraft.yaml:4: functions.f.runtime: duplicate field; first on line 3",
				"statecraft.yaml:7: functions.f: duplicate name; first defined on line 2",
			},
		},
		{
			name: "runtime and handler",
			yaml: `functions:
  a:
    runtime: python3.12
    handler: app.handler
    code: fn
  b:
    runtime: nodejs20.x
    handler: index
    code: fn
  c:
    runtime: nodejs20.x
    handler: app.handler
    code: fn
  d:
    runtime: nodejs20.x
    handler: ../up.handler
    code: fn
  e:
    runtime: go1.x
    code: fn
  f:
    runtime: 20
    code: fn
`,
			want: []string{
				`statecraft.yaml:3: functions.a.runtime: unsupported runtime "python3.12" (use nodejsNN.x, provided, provided.al2, provided.al2023 or go1.x)`,
				"statecraft.yaml:8: functions.b.handler: must be FILE.EXPORT, as in index.handler",
				"statecraft.yaml:12: functions.c.handler: no app.js, .mjs or .cjs in fn",
				"statecraft.yaml:16: functions.d.handler: the file must be inside the code directory",
				"statecraft.yaml:18: functions.e.handler: required for go1.x",
				"statecraft.yaml:22: functions.f.runtime: must be a string",
			},
		},
		{
			name: "code directory",
			yaml: `functions:
  a:
    runtime: provided.al2023
    code: ./missing
  b:
    runtime: provided.al2023
    code: sm.json
  c:
    runtime: provided.al2023
`,
			want: []string{
				"statecraft.yaml:4: functions.a.code: directory ./missing does not exist",
				"statecraft.yaml:7: functions.b.code: sm.json is not a directory",
				"statecraft.yaml:8: functions.c.code: required",
			},
		},
		{
			name: "timeout",
			yaml: `functions:
  a: {runtime: provided, code: fn, timeout: 0}
  b: {runtime: provided, code: fn, timeout: 15m1s}
  c: {runtime: provided, code: fn, timeout: 1500ms}
  d: {runtime: provided, code: fn, timeout: soon}
  e: {runtime: provided, code: fn, timeout: 1.5}
  f: {runtime: provided, code: fn, timeout: 901}
`,
			want: []string{
				"statecraft.yaml:2: functions.a.timeout: must be between 1s and 900s",
				"statecraft.yaml:3: functions.b.timeout: must be between 1s and 900s",
				"statecraft.yaml:4: functions.c.timeout: must be a whole number of seconds",
				"statecraft.yaml:5: functions.d.timeout: must be a duration such as 10s or a number of seconds",
				"statecraft.yaml:6: functions.e.timeout: must be a duration such as 10s or a number of seconds",
				"statecraft.yaml:7: functions.f.timeout: must be between 1s and 900s",
			},
		},
		{
			name: "memory and concurrency",
			yaml: `functions:
  a: {runtime: provided, code: fn, memory: 64}
  b: {runtime: provided, code: fn, memory: 20000}
  c: {runtime: provided, code: fn, memory: 1GB}
  d: {runtime: provided, code: fn, concurrency: 0}
  e: {runtime: provided, code: fn, concurrency: many}
`,
			want: []string{
				"statecraft.yaml:2: functions.a.memory: must be between 128 and 10240 (MB)",
				"statecraft.yaml:3: functions.b.memory: must be between 128 and 10240 (MB)",
				"statecraft.yaml:4: functions.c.memory: must be a whole number of MB",
				"statecraft.yaml:5: functions.d.concurrency: must be at least 1 (leave it out for unreserved concurrency)",
				"statecraft.yaml:6: functions.e.concurrency: must be a whole number",
			},
		},
		{
			name: "environment",
			yaml: `functions:
  a:
    runtime: provided
    code: fn
    environment:
      1X: a
      AWS_REGION: b
      EMPTY:
      OK: ${env:UNSET_VAR}
      LIST: [1, 2]
`,
			want: []string{
				"statecraft.yaml:6: functions.a.environment.1X: invalid environment variable name: start with a letter, then letters, digits or underscores",
				"statecraft.yaml:7: functions.a.environment.AWS_REGION: reserved by Lambda",
				`statecraft.yaml:8: functions.a.environment.EMPTY: must have a value (write "" for an empty string)`,
				"statecraft.yaml:9: functions.a.environment.OK: environment variable UNSET_VAR is not set",
				"statecraft.yaml:10: functions.a.environment.LIST: must be a string",
			},
		},
		{
			name: "state machine fields",
			yaml: `stateMachines:
  A:
    definition: missing.json
    type: standard
    roleArn: my-role
  B:
    type: EXPRESS
  C:
    definition: fn
  D:
    definition: sm.json
    substitutions:
      "bad key": x
      "env:X": y
    tags:
      aws:owner: me
`,
			want: []string{
				"statecraft.yaml:3: stateMachines.A.definition: file missing.json does not exist",
				"statecraft.yaml:4: stateMachines.A.type: must be STANDARD or EXPRESS",
				"statecraft.yaml:5: stateMachines.A.roleArn: must be an IAM role ARN such as arn:aws:iam::123456789012:role/NAME",
				"statecraft.yaml:6: stateMachines.B.definition: required",
				"statecraft.yaml:9: stateMachines.C.definition: fn is a directory, not a file",
				`statecraft.yaml:13: stateMachines.D.substitutions["bad key"]: invalid substitution name: use letters, digits, dots, hyphens or underscores`,
				`statecraft.yaml:14: stateMachines.D.substitutions["env:X"]: invalid substitution name: use letters, digits, dots, hyphens or underscores`,
				`statecraft.yaml:16: stateMachines.D.tags["aws:owner"]: tag keys starting with aws: are reserved`,
			},
		},
		{
			name: "definition placeholders",
			yaml: `functions:
  SendMessage: {runtime: provided, code: fn}
stateMachines:
  M:
    definition: defs/m.json
    substitutions:
      Wait: 3
  N:
    definition: sm.json
    tipe: EXPRESS
`,
			files: map[string]string{"defs/m.json": `{
  "StartAt": "A",
  "States": {
    "A": {"Type": "Task", "Resource": "${SendMesage.Arn}", "Next": "B"},
    "B": {"Type": "Wait", "Seconds": ${Wiat}, "Next": "C"},
    "C": {"Type": "Pass", "Result": "${env:UNSET_VAR}", "End": true}
  }
}
`},
			want: []string{
				"statecraft.yaml:10: stateMachines.N.tipe: unknown field (did you mean type?)",
				"defs/m.json:4: stateMachines.M.definition: unknown placeholder ${SendMesage.Arn} (did you mean ${SendMessage.Arn}?)",
				"defs/m.json:5: stateMachines.M.definition: unknown placeholder ${Wiat} (did you mean ${Wait}?)",
				"defs/m.json:6: stateMachines.M.definition: environment variable UNSET_VAR is not set",
			},
		},
		{
			name: "definition JSON",
			yaml: `stateMachines:
  M:
    definition: m.json
    substitutions:
      Seconds: ""
  N:
    definition: n.json
`,
			files: map[string]string{
				"m.json": `{
  "StartAt": "W",
  "States": {
    "W": {"Type": "Wait", "Seconds": ${Seconds}, "End": true}
  }
}
`,
				"n.json": `{
  "StartAt": "A",
}
`,
			},
			want: []string{
				"m.json:4: stateMachines.M.definition: invalid JSON after substitution: invalid character ',' looking for beginning of value",
				"n.json:3: stateMachines.N.definition: invalid JSON: invalid character '}' looking for beginning of object key string",
			},
		},
		{
			name: "connections",
			yaml: `connections:
  None:
    invocation:
      headers: {a: b}
  Two:
    apiKey: {name: k, value: v}
    basic: {username: u, password: p}
  BadOAuth:
    oauth:
      tokenUrl: ftp://x
      clientId: id
      method: DELETE
  EmptyKey:
    apiKey:
      name: ""
      value: v
      extra: 1
`,
			want: []string{
				"statecraft.yaml:2: connections.None: needs one of apiKey, basic or oauth",
				"statecraft.yaml:7: connections.Two.basic: a connection has only one of apiKey, basic or oauth; apiKey is on line 6",
				"statecraft.yaml:9: connections.BadOAuth.oauth.clientSecret: required",
				"statecraft.yaml:10: connections.BadOAuth.oauth.tokenUrl: must be an http or https URL",
				"statecraft.yaml:12: connections.BadOAuth.oauth.method: must be GET, POST or PUT",
				"statecraft.yaml:15: connections.EmptyKey.apiKey.name: must not be empty",
				"statecraft.yaml:17: connections.EmptyKey.apiKey.extra: unknown field",
			},
		},
		{
			name: "placeholders in the project file",
			yaml: `connections:
  Pay:
    apiKey:
      name: x-api-key
      value: ${env:PAYMENTS_KEY}
    invocation:
      headers:
        x-ref: ${Missing.Arn}
        x-pay: ${Pay.Arm}
`,
			want: []string{
				"statecraft.yaml:5: connections.Pay.apiKey.value: environment variable PAYMENTS_KEY is not set",
				"statecraft.yaml:8: connections.Pay.invocation.headers.x-ref: unknown placeholder ${Missing.Arn}",
				"statecraft.yaml:9: connections.Pay.invocation.headers.x-pay: unknown placeholder ${Pay.Arm} (did you mean ${Pay.Arn}?)",
			},
		},
		{
			name: "YAML syntax",
			yaml: `functions:
  a:
    runtime: go1.x
   code: fn
`,
			want: []string{"statecraft.yaml:4: invalid YAML: did not find expected key"},
		},
		{
			name: "placeholder in a flow mapping",
			yaml: `connections:
  Pay:
    apiKey: { name: x-api-key, value: ${env:KEY} }
`,
			want: []string{`statecraft.yaml:3: invalid YAML: did not find expected ',' or '}' (quote a value holding ${...} inside { }, as in value: "${env:KEY}")`},
		},
		{
			name: "empty",
			yaml: "# nothing here\n",
			want: []string{"statecraft.yaml: the file is empty: declare functions, stateMachines or connections"},
		},
		{
			name: "not a mapping",
			yaml: "- functions\n- stateMachines\n",
			want: []string{"statecraft.yaml:1: must be a mapping with functions, stateMachines and connections"},
		},
		{
			name: "sections not mappings",
			yaml: `functions: [a, b]
stateMachines:
  M: m.json
connections:
  C:
    apiKey: key
`,
			want: []string{
				"statecraft.yaml:1: functions: must be a mapping",
				"statecraft.yaml:3: stateMachines.M: must be a mapping",
				"statecraft.yaml:6: connections.C.apiKey: must be a mapping",
			},
		},
		{
			name: "two documents",
			yaml: "functions: {}\n---\nconnections: {}\n",
			want: []string{"statecraft.yaml:2: only one YAML document is allowed"},
		},
		{
			name: "merge keys",
			yaml: `functions:
  a: &a {runtime: provided, code: fn}
  b:
    <<: *a
    memory: 256
`,
			want: []string{
				"statecraft.yaml:3: functions.b.runtime: required",
				"statecraft.yaml:3: functions.b.code: required",
				"statecraft.yaml:4: functions.b: merge keys (<<) are not supported",
			},
		},
		{
			name: "cross-kind name collision",
			yaml: `stateMachines:
  Orders:
    definition: sm.json
connections:
  Orders:
    basic: {username: u, password: p}
`,
			want: []string{
				"statecraft.yaml:5: connections.Orders: name already used by the state machine on line 2; names must be unique because ${Orders.Arn} must name one thing",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"statecraft.yaml": tt.yaml}
			for k, v := range tt.files {
				files[k] = v
			}
			setup(t, files)
			p, err := Load("statecraft.yaml", Options{LookupEnv: fakeEnv})
			if err == nil {
				t.Fatalf("Load succeeded: %+v", p)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error is %T, not *Error: %v", err, err)
			}
			if perr.File != "statecraft.yaml" {
				t.Errorf("File = %q", perr.File)
			}
			got := strings.Split(err.Error(), "\n")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if len(perr.Problems) != len(got) {
				t.Errorf("%d problems for %d lines", len(perr.Problems), len(got))
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

const fullYAML = `# full
functions:
  SendMessage:
    runtime: nodejs20.x
    handler: index.handler
    code: ./fn
    timeout: 10s
    memory: 256
    concurrency: 5
    environment: &env
      GREETING: hello
      PORT: 8080
      TOKEN: ${env:TOKEN}
      MACHINE: ${Onboarding.Arn}
  Worker:
    runtime: nodejs22.x
    handler: lib/app.main
    code: fn
    timeout: 60
    environment: *env
  Native:
    runtime: provided.al2023
    code: bin
stateMachines:
  Onboarding:
    definition: defs/onboarding.json
    roleArn: arn:aws:iam::111122223333:role/onboarding
    substitutions:
      Wait: 3
      Native.Arn: arn:aws:lambda:eu-west-1:999999999999:function:real
      Region: ${AWS::Region}
    tags:
      team: growth
  Quick:
    definition: defs/quick.json
    type: EXPRESS
connections:
  Pay:
    apiKey:
      name: x-api-key
      value: ${env:TOKEN}
    invocation:
      headers: {x-source: statecraft}
  Crm:
    basic: {username: bot, password: "${env:TOKEN}"}
  Billing:
    oauth:
      tokenUrl: https://auth.example.com/token
      clientId: id
      clientSecret: ${env:TOKEN}
      scope: invoices.write
      bodyParameters: {audience: billing}
`

const onboardingJSON = `{
  "StartAt": "Send",
  "States": {
    "Send": {"Type": "Task", "Resource": "${SendMessageArn}", "Next": "Wait"},
    "Wait": {"Type": "Wait", "Seconds": ${Wait}, "Next": "Work"},
    "Work": {"Type": "Task", "Resource": "${Worker.Arn}", "Next": "Native"},
    "Native": {"Type": "Task", "Resource": "${Native.Arn}", "Next": "Call"},
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
      "Parameters": {"ApiEndpoint": "https://pay.example.com", "Method": "GET",
        "Authentication": {"ConnectionArn": "${Pay.Arn}"}}, "Next": "Quick"},
    "Quick": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
      "Parameters": {"StateMachineArn": "${Quick.Arn}",
        "Input": {"region": "${Region}", "account": "${AWS::AccountId}", "token": "${env:TOKEN}"}},
      "End": true}
  }
}
`

func TestFull(t *testing.T) {
	dir := setup(t, map[string]string{
		"statecraft.yaml":      fullYAML,
		"fn/lib/app.mjs":       "export const main = async () => ({});\n",
		"bin/bootstrap":        "#!/bin/sh\n",
		"defs/onboarding.json": onboardingJSON,
		"defs/quick.json":      `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`,
	})
	p, err := Load("statecraft.yaml", Options{Region: "eu-west-1", Account: "111122223333", LookupEnv: fakeEnv})
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	if same, _ := filepath.EvalSymlinks(abs); same != mustEval(t, dir) {
		t.Fatalf("working directory %s is not %s", abs, dir)
	}
	env := map[string]string{
		"GREETING": "hello",
		"PORT":     "8080",
		"TOKEN":    "s3cret",
		"MACHINE":  "arn:aws:states:eu-west-1:111122223333:stateMachine:Onboarding",
	}
	wantDef := strings.NewReplacer(
		"${SendMessageArn}", "arn:aws:lambda:eu-west-1:111122223333:function:SendMessage",
		"${Wait}", "3",
		"${Worker.Arn}", "arn:aws:lambda:eu-west-1:111122223333:function:Worker",
		"${Native.Arn}", "arn:aws:lambda:eu-west-1:999999999999:function:real", // the machine's own substitution wins
		"${Pay.Arn}", "arn:aws:events:eu-west-1:111122223333:connection/Pay",
		"${Quick.Arn}", "arn:aws:states:eu-west-1:111122223333:stateMachine:Quick",
		"${Region}", "eu-west-1",
		"${AWS::AccountId}", "111122223333",
		"${env:TOKEN}", "s3cret",
	).Replace(onboardingJSON)
	want := &Project{
		Path: "statecraft.yaml",
		Dir:  abs,
		Functions: []Function{
			{
				Name: "SendMessage", ARN: "arn:aws:lambda:eu-west-1:111122223333:function:SendMessage",
				Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: filepath.Join(abs, "fn"),
				Env: env, Timeout: 10 * time.Second, MemoryMB: 256, Concurrency: 5, Line: 3,
			},
			{
				Name: "Worker", ARN: "arn:aws:lambda:eu-west-1:111122223333:function:Worker",
				Runtime: "nodejs22.x", Handler: "lib/app.main", CodeDir: filepath.Join(abs, "fn"),
				Env: env, Timeout: time.Minute, MemoryMB: 128, Line: 15,
			},
			{
				Name: "Native", ARN: "arn:aws:lambda:eu-west-1:111122223333:function:Native",
				Runtime: "provided.al2023", CodeDir: filepath.Join(abs, "bin"),
				Timeout: 3 * time.Second, MemoryMB: 128, Line: 21,
			},
		},
		StateMachines: []StateMachine{
			{
				Name: "Onboarding", ARN: "arn:aws:states:eu-west-1:111122223333:stateMachine:Onboarding",
				Type: "STANDARD", DefinitionFile: filepath.Join(abs, "defs", "onboarding.json"),
				Definition: wantDef, RoleArn: "arn:aws:iam::111122223333:role/onboarding",
				Substitutions: map[string]string{
					"Wait":       "3",
					"Native.Arn": "arn:aws:lambda:eu-west-1:999999999999:function:real",
					"Region":     "eu-west-1",
				},
				Tags: map[string]string{"team": "growth"},
				Line: 25,
			},
			{
				Name: "Quick", ARN: "arn:aws:states:eu-west-1:111122223333:stateMachine:Quick",
				Type: "EXPRESS", DefinitionFile: filepath.Join(abs, "defs", "quick.json"),
				Definition: `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`,
				Line:       34,
			},
		},
		Connections: []Connection{
			{
				Name: "Pay", ARN: "arn:aws:events:eu-west-1:111122223333:connection/Pay",
				APIKey:            &APIKeyAuth{Name: "x-api-key", Value: "s3cret"},
				InvocationHeaders: map[string]string{"x-source": "statecraft"},
				Line:              38,
			},
			{
				Name: "Crm", ARN: "arn:aws:events:eu-west-1:111122223333:connection/Crm",
				Basic: &BasicAuth{Username: "bot", Password: "s3cret"},
				Line:  44,
			},
			{
				Name: "Billing", ARN: "arn:aws:events:eu-west-1:111122223333:connection/Billing",
				OAuth: &OAuth{
					TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: "s3cret",
					Method: "POST", Scope: "invoices.write",
					BodyParameters: map[string]string{"audience": "billing"},
				},
				Line: 46,
			},
		},
	}
	if !reflect.DeepEqual(p, want) {
		g, _ := json.MarshalIndent(p, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("got\n%s\nwant\n%s", g, w)
	}
	if probs := asl.Validate([]byte(p.StateMachines[0].Definition), asl.ValidateOptions{}); probs != nil {
		t.Errorf("asl.Validate: %v", probs)
	}
	if p.Function("Worker") != &p.Functions[1] || p.StateMachine("Quick") != &p.StateMachines[1] ||
		p.Connection("Billing") != &p.Connections[2] || p.Function("nope") != nil {
		t.Error("lookups by name")
	}
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEnvironment loads with the real environment (Options.LookupEnv nil).
func TestEnvironment(t *testing.T) {
	setup(t, map[string]string{
		"statecraft.yaml": `functions:
  f:
    runtime: provided
    code: ${env:STATECRAFT_TEST_CODE}
    environment:
      SECRET: ${env:STATECRAFT_TEST_SECRET}
      BOTH: ${env:STATECRAFT_TEST_SECRET}-${env:STATECRAFT_TEST_EMPTY}-x
stateMachines:
  M:
    definition: m.json
`,
		"m.json": `{"Comment": "${env:STATECRAFT_TEST_SECRET}", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`,
	})
	t.Setenv("STATECRAFT_TEST_CODE", "fn")
	t.Setenv("STATECRAFT_TEST_SECRET", "hunter2")
	t.Setenv("STATECRAFT_TEST_EMPTY", "")
	p, err := Load("statecraft.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := p.Functions[0]
	if f.Env["SECRET"] != "hunter2" || f.Env["BOTH"] != "hunter2--x" || filepath.Base(f.CodeDir) != "fn" {
		t.Errorf("function: %+v", f)
	}
	if got := p.StateMachines[0].Definition; !strings.Contains(got, `"Comment": "hunter2"`) {
		t.Errorf("definition: %s", got)
	}
	if f.ARN != "arn:aws:lambda:us-east-1:123456789012:function:f" {
		t.Errorf("default region and account: %s", f.ARN)
	}

	os.Unsetenv("STATECRAFT_TEST_SECRET")
	_, err = Load("statecraft.yaml", Options{})
	want := "statecraft.yaml:6: functions.f.environment.SECRET: environment variable STATECRAFT_TEST_SECRET is not set\n" +
		"statecraft.yaml:7: functions.f.environment.BOTH: environment variable STATECRAFT_TEST_SECRET is not set\n" +
		"m.json:1: stateMachines.M.definition: environment variable STATECRAFT_TEST_SECRET is not set"
	if err == nil || err.Error() != want {
		t.Errorf("unset variable:\n%v\nwant:\n%s", err, want)
	}
}

// TestRelativePaths loads a project in a subdirectory: paths inside it are
// relative to the file, not to the working directory.
func TestRelativePaths(t *testing.T) {
	dir := setup(t, map[string]string{
		"proj/statecraft.yaml": `functions:
  f:
    runtime: nodejs20.x
    handler: src/main.handler
    code: code
  g:
    runtime: go1.x
    handler: main
    code: ABS
stateMachines:
  M:
    definition: defs/m.json
  Bad:
    definition: defs/bad.json
`,
		"proj/code/src/main.cjs": "exports.handler = async () => ({});\n",
		"proj/defs/m.json":       `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`,
		"proj/defs/bad.json":     "{\n  \"StartAt\": ${Nope}\n}\n",
		// Files with the same names beside the working directory must not be used.
		"code/src/other.js": "",
	})
	yamlPath := filepath.Join("proj", "statecraft.yaml")
	data, err := os.ReadFile(yamlPath)
	if err != nil {
		t.Fatal(err)
	}
	absFn := filepath.Join(dir, "fn")
	if err := os.WriteFile(yamlPath, []byte(strings.Replace(string(data), "ABS", absFn, 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	_, err = Load(yamlPath, Options{})
	want := filepath.Join("proj", "defs", "bad.json") + ":2: stateMachines.Bad.definition: unknown placeholder ${Nope}"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}

	// Without the bad machine it loads.
	data, _ = os.ReadFile(yamlPath)
	fixed := strings.Replace(string(data), "  Bad:\n    definition: defs/bad.json\n", "", 1)
	if err := os.WriteFile(yamlPath, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(yamlPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if mustEval(t, p.Dir) != mustEval(t, filepath.Join(dir, "proj")) {
		t.Errorf("Dir = %s", p.Dir)
	}
	if !filepath.IsAbs(p.Dir) || p.Path != yamlPath {
		t.Errorf("Dir %s, Path %s", p.Dir, p.Path)
	}
	if got := p.Functions[0].CodeDir; got != filepath.Join(p.Dir, "code") {
		t.Errorf("CodeDir = %s", got)
	}
	if got := p.Functions[1].CodeDir; got != absFn {
		t.Errorf("absolute CodeDir = %s", got)
	}
	if got := p.StateMachines[0].DefinitionFile; got != filepath.Join(p.Dir, "defs", "m.json") {
		t.Errorf("DefinitionFile = %s", got)
	}
}

// TestOnboarding loads the sample project in testdata/onboarding.
func TestOnboarding(t *testing.T) {
	env := func(name string) (string, bool) {
		if name == "ONBOARDING_GREETING" {
			return "Welcome!", true
		}
		return "", false
	}
	p, err := Load(filepath.Join("testdata", "onboarding", "statecraft.yaml"), Options{LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Functions) != 2 || len(p.StateMachines) != 1 || len(p.Connections) != 0 {
		t.Fatalf("%+v", p)
	}
	send := p.Function("sendMessage")
	if send == nil || send.Env["GREETING"] != "Welcome!" || send.Timeout != 10*time.Second || send.Concurrency != 5 ||
		send.Env["ONBOARDING_ARN"] != "arn:aws:states:us-east-1:123456789012:stateMachine:UserOnboarding" {
		t.Errorf("sendMessage: %+v", send)
	}
	if fetch := p.Function("fetchActivityCount"); fetch == nil || fetch.Timeout != 5*time.Second || fetch.MemoryMB != 128 {
		t.Errorf("fetchActivityCount: %+v", fetch)
	}
	m := p.StateMachine("UserOnboarding")
	if strings.Contains(m.Definition, "${") {
		t.Errorf("placeholders left in %s", m.Definition)
	}
	if probs := asl.Validate([]byte(m.Definition), asl.ValidateOptions{}); probs != nil {
		t.Errorf("asl.Validate: %v", probs)
	}
	var def struct {
		States map[string]struct {
			Resource string
			Seconds  int
		}
	}
	if err := json.Unmarshal([]byte(m.Definition), &def); err != nil {
		t.Fatal(err)
	}
	for state, want := range map[string]string{
		"SendMessage1":        "arn:aws:lambda:us-east-1:123456789012:function:sendMessage",
		"FetchActivityCount1": "arn:aws:lambda:us-east-1:123456789012:function:fetchActivityCount",
		"SendMessage3":        "arn:aws:lambda:us-east-1:123456789012:function:sendMessage",
	} {
		if got := def.States[state].Resource; got != want {
			t.Errorf("%s.Resource = %s, want %s", state, got, want)
		}
	}
	if def.States["Wait1"].Seconds != 3 || def.States["Wait2"].Seconds != 3 {
		t.Errorf("Wait seconds: %+v", def.States)
	}
}

func TestInputOffset(t *testing.T) {
	l := &loader{auto: map[string]string{"A": "x", "Long": "0123456789"}}
	in := `${A}..${Long}..${A}!`
	out, reps := l.substitute(in, nil, func(int, string) { t.Fatal("unexpected problem") })
	if out != "x..0123456789..x!" {
		t.Fatalf("out = %q", out)
	}
	for _, c := range []struct{ out, in int }{
		{0, 0}, {1, 4}, {3, 6}, {8, 6}, {13, 13}, {15, 15}, {16, 19},
	} {
		if got := inputOffset(c.out, reps); got != c.in {
			t.Errorf("inputOffset(%d) = %d, want %d", c.out, got, c.in)
		}
	}
}

func TestSuggest(t *testing.T) {
	for _, c := range []struct {
		s    string
		want string
	}{
		{"handlr", "handler"},
		{"Runtime", "runtime"},
		{"tiemout", "timeout"},
		{"xyz", ""},
		{"cod", "code"},
	} {
		if got := suggest(c.s, functionKeys); got != c.want {
			t.Errorf("suggest(%q) = %q, want %q", c.s, got, c.want)
		}
	}
}

// TestDocExample loads the example in the package documentation, so that it
// stays valid.
func TestDocExample(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var example []string
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		if line == "//\t# statecraft.yaml" {
			in = true
		}
		if in {
			if line == "//" {
				example = append(example, "")
				continue
			}
			text, ok := strings.CutPrefix(line, "//\t")
			if !ok {
				break
			}
			example = append(example, text)
		}
	}
	if len(example) < 20 {
		t.Fatalf("example not found in doc.go (%d lines)", len(example))
	}
	definition, err := os.ReadFile(filepath.Join("testdata", "onboarding", "statemachine.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	def := strings.NewReplacer("${sendMessage.Arn}", "${SendMessage.Arn}", "${fetchActivityCount.Arn}", "${FetchActivityCount.Arn}").Replace(string(definition))
	setup(t, map[string]string{
		"statecraft.yaml":                 strings.Join(example, "\n"),
		"functions/sendMessage.js":        "exports.handler = async () => ({});\n",
		"functions/fetchActivityCount.js": "exports.handler = async () => ({});\n",
		"statemachine.asl.json":           def,
	})
	env := func(name string) (string, bool) { return "secret-" + name, true }
	p, err := Load("statecraft.yaml", Options{LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Functions) != 2 || len(p.StateMachines) != 1 || len(p.Connections) != 3 {
		t.Fatalf("%d functions, %d state machines, %d connections", len(p.Functions), len(p.StateMachines), len(p.Connections))
	}
	if c := p.Connection("Billing"); c.OAuth == nil || c.OAuth.ClientSecret != "secret-BILLING_SECRET" {
		t.Errorf("Billing: %+v", c)
	}
	if probs := asl.Validate([]byte(p.StateMachines[0].Definition), asl.ValidateOptions{}); probs != nil {
		t.Errorf("asl.Validate: %v", probs)
	}
}

func TestCheckName(t *testing.T) {
	for _, c := range []struct{ section, name, want string }{
		{"functions", "sendMessage", ""},
		{"functions", "../x", "invalid function name"},
		{"stateMachines", "a b", "invalid state machine name"},
		{"connections", "api.v1", ""},
		{"activities", "", "invalid activity name"},
		{"tenants", "acme", "unknown section tenants"},
	} {
		if got := CheckName(c.section, c.name); c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("CheckName(%s, %q) = %q, want %q", c.section, c.name, got, c.want)
		}
	}
}
