package project

import (
	"reflect"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/awsconf"
)

func TestServices(t *testing.T) {
	setup(t, map[string]string{"statecraft.yaml": `services:
  sqs:
    endpoint: http://127.0.0.1:4100
    protocol: query
    accessKeyIdEnv: QUEUE_KEY
    secretAccessKeyEnv: QUEUE_SECRET
  eventbridge:
    region: eu-west-1
    profile: prod
  default:
    endpoint: https://compat.example
`})
	p, err := Load("statecraft.yaml", Options{LookupEnv: fakeEnv})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]awsconf.Service{
		"sqs":     {Endpoint: "http://127.0.0.1:4100", Protocol: "query", AccessKeyIDEnv: "QUEUE_KEY", SecretAccessKeyEnv: "QUEUE_SECRET"},
		"events":  {Region: "eu-west-1", Profile: "prod"},
		"default": {Endpoint: "https://compat.example"},
	}
	if !reflect.DeepEqual(p.Services, want) {
		t.Fatalf("got %+v, want %+v", p.Services, want)
	}
}

func TestServicesInvalid(t *testing.T) {
	cases := map[string][]string{
		"services:\n  sqs:\n    endpoint: ftp://x\n    secretKey: abc\n    pathStyle: yes\n": {
			"services.sqs.secretKey: unknown field",
			"services.sqs: endpoint must be an http:// or https:// URL",
			"services.sqs.pathStyle: must be true or false",
		},
		"services:\n  dynamodb:\n    accessKeyIdEnv: AKIA/abc\n    profile: p\n": {
			"services.dynamodb: accessKeyIdEnv must name an environment variable",
			"services.dynamodb: accessKeyIdEnv and secretAccessKeyEnv go together",
			"services.dynamodb: profile and accessKeyIdEnv are exclusive",
		},
		"services:\n  sns:\n    protocol: query\n":                             {"services.sns: protocol applies to sqs only"},
		"services:\n  events:\n    region: x\n  eventbridge:\n    region: y\n": {"names the same service as another entry (events)"},
		"services:\n  SQS: {}\n":                                               {"is not a service name"},
		"services: [sqs]\n":                                                    {"services: must be a mapping"},
	}
	for file, want := range cases {
		setup(t, map[string]string{"statecraft.yaml": file})
		_, err := Load("statecraft.yaml", Options{LookupEnv: fakeEnv})
		if err == nil {
			t.Errorf("%q: no error", file)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: missing %q in:\n%v", file, w, err)
			}
		}
	}
}
