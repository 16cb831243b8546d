package awsconf

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestParse(t *testing.T) {
	got, err := Parse("services.yaml", []byte(`
sqs: {endpoint: "http://127.0.0.1:4100", protocol: query, accessKeyIdEnv: K, secretAccessKeyEnv: S}
eventbridge: {region: eu-west-1, profile: prod}
s3: {endpoint: "http://127.0.0.1:9000", pathStyle: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got["sqs"].Protocol != "query" || got["events"].Profile != "prod" || !got["s3"].PathStyle || len(got) != 3 {
		t.Fatalf("got %+v", got)
	}
	// JSON is YAML.
	if _, err := Parse("services.json", []byte(`{"dynamodb": {"endpoint": "http://127.0.0.1:8000"}}`)); err != nil {
		t.Fatal(err)
	}
}

func TestParseInvalid(t *testing.T) {
	cases := map[string][]string{
		"sqs: {endpoint: ftp://x, secretKey: abc}":                         {"sqs: unknown setting \"secretKey\"", "sqs: endpoint must be an http:// or https:// URL"},
		"sns: {protocol: query, pathStyle: true}":                          {"sns: protocol applies to sqs only", "sns: pathStyle applies to s3 only"},
		"sqs: {protocol: json}":                                            {"protocol must be \"query\""},
		"dynamodb: {accessKeyIdEnv: AKIA/x}":                               {"accessKeyIdEnv must name an environment variable", "accessKeyIdEnv and secretAccessKeyEnv go together"},
		"dynamodb: {accessKeyIdEnv: A, secretAccessKeyEnv: B, profile: p}": {"profile and accessKeyIdEnv are exclusive"},
		"events: {region: a}\neventbridge: {region: b}":                    {"names the same service as another entry (events)"},
		"s3: {pathStyle: yes please}":                                      {"s3.pathStyle: must be a boolean"},
		"Bad_Name: {}":                                                     {"\"Bad_Name\" is not a service name"},
		"sqs: [1]":                                                         {"services.yaml"},
	}
	for doc, want := range cases {
		_, err := Parse("services.yaml", []byte(doc))
		if err == nil {
			t.Errorf("%q: no error", doc)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: missing %q in %v", doc, w, err)
			}
		}
	}
}

func TestFor(t *testing.T) {
	env := map[string]string{"KEY": "AKIDTEST", "SECRET": "secret", "TOKEN": "tok"}
	c := &Configs{Region: "us-east-1", LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Services: map[string]Service{
			"sqs":     {Endpoint: "http://127.0.0.1:4100", Region: "eu-north-1", AccessKeyIDEnv: "KEY", SecretAccessKeyEnv: "SECRET", SessionTokenEnv: "TOKEN"},
			"events":  {AccessKeyIDEnv: "KEY", SecretAccessKeyEnv: "MISSING"},
			"default": {Endpoint: "http://127.0.0.1:4566", AccessKeyIDEnv: "KEY", SecretAccessKeyEnv: "SECRET"},
		}}
	ctx := context.Background()
	cfg, err := c.For(ctx, "sqs")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "AKIDTEST" || creds.SecretAccessKey != "secret" || creds.SessionToken != "tok" {
		t.Fatalf("credentials %+v, %v", creds, err)
	}
	if cfg.Region != "eu-north-1" || aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:4100" {
		t.Fatalf("region %s, endpoint %s", cfg.Region, aws.ToString(cfg.BaseEndpoint))
	}
	// eventbridge is events: its missing variable is named.
	if _, err := c.For(ctx, "eventbridge"); err == nil || !strings.Contains(err.Error(), "MISSING is not set") {
		t.Fatalf("got %v, want the missing variable named", err)
	}
	// A service without its own entry takes the default one, in the
	// server's region.
	cfg, err = c.For(ctx, "dynamodb")
	if err != nil || aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:4566" || cfg.Region != "us-east-1" {
		t.Fatalf("default: %s %s, %v", aws.ToString(cfg.BaseEndpoint), cfg.Region, err)
	}
}

func TestForProfile(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[work]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	c := &Configs{Region: "us-east-1", Services: map[string]Service{"sns": {Profile: "work"}}}
	cfg, err := c.For(context.Background(), "sns")
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || got.AccessKeyID != "AKIDPROFILE" {
		t.Fatalf("credentials %+v, %v", got, err)
	}
}

// TestClientOptions: the settings aws.Config cannot carry reach the
// clients of both packages that build them through these options.
func TestClientOptions(t *testing.T) {
	for _, c := range []struct {
		s         Service
		pathStyle bool
		query     bool
	}{
		{Service{}, false, false},
		{Service{PathStyle: true}, true, false},
		{Service{Protocol: "query"}, false, true},
	} {
		var so s3.Options
		c.s.S3Options(&so)
		var qo sqs.Options
		c.s.SQSOptions(&qo)
		if so.UsePathStyle != c.pathStyle || (qo.Protocol != nil) != c.query {
			t.Errorf("%+v: UsePathStyle %v, SQS protocol %T; want %v, query %v", c.s, so.UsePathStyle, qo.Protocol, c.pathStyle, c.query)
		}
	}
}
