package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/statecraft/statecraft/project"
)

// --s3-dir names an existing directory and excludes --s3-endpoint;
// without either there is no store.
func TestItemStoreOptions(t *testing.T) {
	dir := t.TempDir()
	if r, err := itemStore(ServerOptions{}, nil); r != nil || err != nil {
		t.Fatalf("no options: %v, %v; want no store", r, err)
	}
	if r, err := itemStore(ServerOptions{S3Dir: dir}, nil); r == nil || err != nil {
		t.Fatalf("--s3-dir: %v, %v", r, err)
	}
	for _, o := range []ServerOptions{
		{S3Dir: dir, S3Endpoint: "http://127.0.0.1:9000"},
		{S3Dir: dir + "/missing"},
	} {
		if _, err := itemStore(o, nil); err == nil || !strings.Contains(err.Error(), "--s3-dir") {
			t.Errorf("%+v: %v, want an error naming --s3-dir", o, err)
		}
	}
	o, err := ServerSettings("", func(k string) string {
		if k == "STATECRAFT_S3_DIR" {
			return dir
		}
		return ""
	}, ServerOptions{}, func(string) bool { return false })
	if err != nil || o.S3Dir != dir {
		t.Fatalf("STATECRAFT_S3_DIR: %+v, %v", o.S3Dir, err)
	}
}

// A project's s3 section names the store when the server's settings do
// not, its key read from the variables it names; both naming one is an
// error, and so is a named variable that is not set.
func TestItemStoreFromProject(t *testing.T) {
	dir := t.TempDir()
	p := &project.Project{S3: &project.S3{Dir: dir}}
	if r, err := itemStore(ServerOptions{Project: "p.yaml"}, p); r == nil || err != nil {
		t.Fatalf("project dir: %v, %v", r, err)
	}
	if _, err := itemStore(ServerOptions{Project: "p.yaml", S3Endpoint: "http://127.0.0.1:9000"}, p); err == nil || !strings.Contains(err.Error(), "both name the object store") {
		t.Fatalf("both: %v", err)
	}
	ep := &project.Project{S3: &project.S3{Endpoint: "http://127.0.0.1:9000", AccessKeyIDEnv: "SC_TEST_KEY", SecretAccessKeyEnv: "SC_TEST_SECRET"}}
	env := map[string]string{"SC_TEST_KEY": "AKID"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if _, err := (S3Options{}).withProject(ep, "p.yaml", lookup); err == nil || !strings.Contains(err.Error(), "SC_TEST_SECRET is not set") {
		t.Fatalf("unset variable: %v", err)
	}
	env["SC_TEST_SECRET"] = "SECRET"
	o, err := (S3Options{}).withProject(ep, "p.yaml", lookup)
	if err != nil || o.AccessKeyID != "AKID" || o.SecretAccessKey != "SECRET" || o.Endpoint != "http://127.0.0.1:9000" {
		t.Fatalf("key from the environment: %+v, %v", o, err)
	}
}

// `statecraft deploy` does not send a project's s3 and services sections,
// and says so.
func TestDeployLeavesTheStore(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "statecraft.yaml")
	if err := os.WriteFile(filepath.Join(dir, "sm.json"), []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("s3:\n  dir: /\nservices:\n  sqs:\n    endpoint: http://127.0.0.1:4100\nstateMachines:\n  m:\n    definition: sm.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, _ := deployServer(t, aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"})
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	var out bytes.Buffer
	if err := Deploy(context.Background(), DeployOptions{File: file, Endpoint: srv.URL, Region: "us-east-1", Account: "123456789012"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "s3             not sent") || !strings.Contains(out.String(), "services       not sent") || !strings.Contains(out.String(), "stateMachine:m") {
		t.Fatalf("output:\n%s", out.String())
	}
}
