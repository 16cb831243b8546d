package awscli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/statecraft/statecraft/auth/authtest"
	"github.com/statecraft/statecraft/e2e/internal/server"
)

// The key pairs of the credentials file the server of
// TestClientsAuthenticate starts with.
const (
	adminKey     = "AKIAE2EADMIN0000"
	adminSecret  = "e2e-admin-secret-0123456789"
	readerKey    = "AKIAE2EREADER000"
	readerSecret = "e2e-reader-secret-0123456789"
)

const credentialsFile = `accounts:
  - id: "123456789012"
    name: e2e
    keys:
      - accessKeyId: AKIAE2EADMIN0000
        secretAccessKey: ${env:E2E_ADMIN_SECRET}
        role: admin
      - accessKeyId: AKIAE2EREADER000
        secretAccessKey: e2e-reader-secret-0123456789
        role: read-only
`

// sdkCall calls one Step Functions operation with a key pair and returns
// the decoded answer, or the error code the client reports.
type sdkCall func(t *testing.T, akid, secret, op string, in map[string]any) (map[string]any, string)

// TestClientsAuthenticate runs the same requests through every client a
// user may have, against a server with a credentials file: the pip AWS
// CLI, Debian's AWS CLI v2, boto3, the AWS SDK for Go v2 and the
// JavaScript SDK v3. Each works with a configured pair and fails, with
// AWS's error, with a wrong secret, an unknown key, and a role that may
// not do what it asks.
func TestClientsAuthenticate(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.yaml")
	if err := os.WriteFile(creds, []byte(credentialsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("E2E_ADMIN_SECRET", adminSecret) // the server reads it through ${env:...}
	endpoint := server.Start(t, dir, "--credentials", creds, "--project", "../../examples/user-onboarding/statecraft.yaml")

	clients := map[string]sdkCall{
		"pip-cli":    cliCall(t, dir, endpoint, mustLookPath(t, "aws")),
		"debian-cli": cliCall(t, dir, endpoint, debianCLI(t)),
		"boto3":      boto3Call(t, endpoint),
		"go-sdk-v2":  goCall(endpoint),
		"js-sdk-v3":  jsCall(t, endpoint),
	}
	for name, call := range clients {
		t.Run(name, func(t *testing.T) {
			def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"client":"` + name + `"},"End":true}}}`
			created, code := call(t, adminKey, adminSecret, "CreateStateMachine", map[string]any{"name": "m-" + name, "definition": def, "roleArn": role})
			if code != "" {
				t.Fatalf("CreateStateMachine with the admin pair: %s", code)
			}
			smArn, _ := created["stateMachineArn"].(string)
			started, code := call(t, adminKey, adminSecret, "StartExecution", map[string]any{"stateMachineArn": smArn, "input": `{}`})
			if code != "" {
				t.Fatalf("StartExecution: %s", code)
			}
			execArn, _ := started["executionArn"].(string)
			deadline := time.Now().Add(30 * time.Second)
			for {
				d, code := call(t, readerKey, readerSecret, "DescribeExecution", map[string]any{"executionArn": execArn})
				if code != "" {
					t.Fatalf("DescribeExecution with the read-only pair: %s", code)
				}
				if d["status"] == "SUCCEEDED" {
					if out, _ := d["output"].(string); !strings.Contains(out, name) {
						t.Errorf("output %q", out)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("execution %v", d)
				}
				time.Sleep(100 * time.Millisecond)
			}
			for _, c := range []struct {
				what, akid, secret, op string
				in                     map[string]any
				want                   string
			}{
				{"wrong secret", adminKey, "not-the-secret-0123456789", "ListStateMachines", map[string]any{}, "InvalidSignatureException"},
				{"unknown key", "AKIANOBODY000000", adminSecret, "ListStateMachines", map[string]any{}, "UnrecognizedClientException"},
				{"development pair", "local", "local", "ListStateMachines", map[string]any{}, "UnrecognizedClientException"},
				{"read-only creates", readerKey, readerSecret, "CreateStateMachine", map[string]any{"name": "no-" + name, "definition": def, "roleArn": role}, "AccessDeniedException"},
			} {
				if _, code := call(t, c.akid, c.secret, c.op, c.in); code != c.want {
					t.Errorf("%s: %s, want %s", c.what, code, c.want)
				}
			}
		})
	}

	// The Lambda Invoke API through the CLI: the project's function runs
	// for the admin pair and not for a wrong secret.
	aws := mustLookPath(t, "aws")
	out := filepath.Join(dir, "out.json")
	for _, c := range []struct {
		secret string
		ok     bool
	}{{adminSecret, true}, {"not-the-secret-0123456789", false}} {
		cmd := exec.Command(aws, "lambda", "invoke", "--function-name", "fetchActivityCount", "--endpoint-url", endpoint, "--region", region, out)
		cmd.Env = cleanEnv(dir, "AWS_ACCESS_KEY_ID="+adminKey, "AWS_SECRET_ACCESS_KEY="+c.secret)
		b, err := cmd.CombinedOutput()
		switch {
		case c.ok && err != nil:
			t.Errorf("aws lambda invoke: %v\n%s", err, b)
		case !c.ok && (err == nil || !strings.Contains(string(b), "InvalidSignatureException")):
			t.Errorf("aws lambda invoke with a wrong secret: %v\n%s", err, b)
		}
	}
}

func mustLookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not on PATH: %v", name, err)
	}
	return p
}

// debianCLI is Debian's AWS CLI v2 (package awscli), which
// scripts/test.sh installs; the pip CLI comes first on PATH here.
func debianCLI(t *testing.T) string {
	t.Helper()
	const p = "/usr/bin/aws"
	out, err := exec.Command(p, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("Debian's AWS CLI (%s) is missing: apt-get install awscli (scripts/test.sh does): %v", p, err)
	}
	if !strings.HasPrefix(string(out), "aws-cli/2.") {
		t.Fatalf("%s is not AWS CLI v2: %s", p, out)
	}
	return p
}

// cleanEnv is the environment with no AWS settings or proxies of the
// user's (every AWS_* and *_PROXY variable dropped), plus extra.
func cleanEnv(dir string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		upper := strings.ToUpper(name)
		if strings.HasPrefix(upper, "AWS_") || strings.HasSuffix(upper, "_PROXY") {
			continue
		}
		env = append(env, kv)
	}
	empty := filepath.Join(dir, "empty-aws-file")
	_ = os.WriteFile(empty, nil, 0o600)
	env = append(env, "AWS_DEFAULT_REGION="+region, "AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty,
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1")
	return append(env, extra...)
}

var errorCode = regexp.MustCompile(`An error occurred \(([A-Za-z]+)\)`)

func kebab(op string) string {
	return strings.ToLower(regexp.MustCompile(`([a-z])([A-Z])`).ReplaceAllString(op, "$1-$2"))
}

func cliCall(t *testing.T, dir, endpoint, path string) sdkCall {
	return func(t *testing.T, akid, secret, op string, in map[string]any) (map[string]any, string) {
		t.Helper()
		b, _ := json.Marshal(in)
		cmd := exec.Command(path, "stepfunctions", kebab(op), "--cli-input-json", string(b), "--endpoint-url", endpoint, "--output", "json")
		cmd.Env = cleanEnv(dir, "AWS_ACCESS_KEY_ID="+akid, "AWS_SECRET_ACCESS_KEY="+secret)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			if m := errorCode.FindStringSubmatch(stderr.String()); m != nil {
				return nil, m[1]
			}
			t.Fatalf("%s %s: %v\n%s", path, op, err, stderr.String())
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(stdout.String()), &out); err != nil {
			t.Fatalf("%s %s: %v: %s", path, op, err, stdout.String())
		}
		return out, ""
	}
}

const boto3Script = `
import boto3, botocore, json, sys
endpoint, akid, secret, op, params = sys.argv[1:6]
c = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id=akid, aws_secret_access_key=secret,
                 config=botocore.config.Config(retries={"max_attempts": 1}))
try:
    print(json.dumps(getattr(c, op)(**json.loads(params)), default=str))
except botocore.exceptions.ClientError as e:
    print(json.dumps({"__error": e.response["Error"]["Code"]}))
`

func snake(op string) string {
	return strings.ToLower(regexp.MustCompile(`([a-z])([A-Z])`).ReplaceAllString(op, "${1}_$2"))
}

func boto3Call(t *testing.T, endpoint string) sdkCall {
	if out, err := exec.Command("python3", "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("boto3 is missing (apt-get install python3-boto3; scripts/test.sh does): %v %s", err, out)
	}
	return func(t *testing.T, akid, secret, op string, in map[string]any) (map[string]any, string) {
		t.Helper()
		b, _ := json.Marshal(in)
		out, err := exec.Command("python3", "-c", boto3Script, endpoint, akid, secret, snake(op), string(b)).CombinedOutput()
		if err != nil {
			t.Fatalf("boto3 %s: %v\n%s", op, err, out)
		}
		return decodeOrError(t, out)
	}
}

func decodeOrError(t *testing.T, out []byte) (map[string]any, string) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("not JSON: %s", out)
	}
	if code, ok := v["__error"].(string); ok {
		return nil, code
	}
	return v, ""
}

func goCall(endpoint string) sdkCall {
	return func(t *testing.T, akid, secret, op string, in map[string]any) (map[string]any, string) {
		t.Helper()
		c := sfn.New(sfn.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: authtest.Credentials(akid, secret),
			RetryMaxAttempts: 1})
		ctx := context.Background()
		str := func(k string) *string { s, _ := in[k].(string); return aws.String(s) }
		var out any
		var err error
		switch op {
		case "CreateStateMachine":
			out, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: str("name"), Definition: str("definition"), RoleArn: str("roleArn")})
		case "StartExecution":
			out, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: str("stateMachineArn"), Input: str("input")})
		case "DescribeExecution":
			var d *sfn.DescribeExecutionOutput
			d, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: str("executionArn")})
			if err == nil {
				out = map[string]any{"status": string(d.Status), "output": aws.ToString(d.Output)}
			}
		case "ListStateMachines":
			out, err = c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
		default:
			t.Fatalf("no Go call for %s", op)
		}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return nil, ae.ErrorCode()
		}
		if err != nil {
			t.Fatalf("Go SDK %s: %v", op, err)
		}
		b, _ := json.Marshal(out)
		var v map[string]any
		_ = json.Unmarshal(b, &v)
		// The Go SDK's output structs use Go field names.
		for k, x := range v {
			v[strings.ToLower(k[:1])+k[1:]] = x
		}
		return v, ""
	}
}

// jsSDKVersion is the @aws-sdk/client-sfn the test installs from npm.
const jsSDKVersion = "3.1178.0"

const jsScript = `
const sdk = require("@aws-sdk/client-sfn");
const [endpoint, akid, secret, op, params] = process.argv.slice(2);
const c = new sdk.SFNClient({endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: {accessKeyId: akid, secretAccessKey: secret}});
c.send(new sdk[op + "Command"](JSON.parse(params)))
  .then(r => { delete r.$metadata; console.log(JSON.stringify(r)); })
  .catch(e => { if (!e.$metadata) { console.error(e); process.exit(1); } console.log(JSON.stringify({__error: e.name})); });
`

// jsCall runs the JavaScript SDK v3 under node, installed once into the
// user's cache directory.
func jsCall(t *testing.T, endpoint string) sdkCall {
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "statecraft-test", "client-sfn-"+jsSDKVersion)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-sfn", "package.json")); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"statecraft-e2e-js","private":true}`), 0o644)
		cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "@aws-sdk/client-sfn@"+jsSDKVersion)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm install @aws-sdk/client-sfn@%s: %v\n%s", jsSDKVersion, err, out)
		}
	}
	script := filepath.Join(dir, "call.js")
	if err := os.WriteFile(script, []byte(jsScript), 0o644); err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T, akid, secret, op string, in map[string]any) (map[string]any, string) {
		t.Helper()
		b, _ := json.Marshal(in)
		cmd := exec.Command("node", script, endpoint, akid, secret, op, string(b))
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				stderr = ee.Stderr
			}
			t.Fatalf("JS SDK %s: %v\n%s%s", op, err, out, stderr)
		}
		return decodeOrError(t, out)
	}
}
