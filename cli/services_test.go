package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/awsconf"
	"github.com/statecraft/statecraft/project"
)

// serviceConfigs joins a --services file and a project's services
// section, which may not both name a service.
func TestServiceConfigs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "services.yaml")
	if err := os.WriteFile(file, []byte("sqs: {endpoint: \"http://127.0.0.1:4100\", protocol: query}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &project.Project{Services: map[string]awsconf.Service{"dynamodb": {Endpoint: "http://127.0.0.1:8000"}}}
	c, err := serviceConfigs("eu-west-1", file, p, "statecraft.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "eu-west-1" || c.Settings("sqs").Protocol != "query" || c.Settings("dynamodb").Endpoint != "http://127.0.0.1:8000" {
		t.Fatalf("got %+v", c)
	}
	p.Services["sqs"] = awsconf.Service{}
	if _, err := serviceConfigs("eu-west-1", file, p, "statecraft.yaml"); err == nil || !strings.Contains(err.Error(), "both name the service sqs") {
		t.Fatalf("got %v, want the conflict named", err)
	}
	if _, err := serviceConfigs("eu-west-1", filepath.Join(t.TempDir(), "missing.yaml"), nil, ""); err == nil {
		t.Fatal("a missing --services file is accepted")
	}
}
