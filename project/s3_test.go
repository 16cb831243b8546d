package project

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestS3(t *testing.T) {
	setup(t, map[string]string{"statecraft.yaml": `s3:
  endpoint: http://127.0.0.1:9000
  region: eu-north-1
  pathStyle: true
  accessKeyIdEnv: MINIO_KEY
  secretAccessKeyEnv: MINIO_SECRET
`})
	p, err := Load("statecraft.yaml", Options{LookupEnv: fakeEnv})
	if err != nil {
		t.Fatal(err)
	}
	want := &S3{Endpoint: "http://127.0.0.1:9000", Region: "eu-north-1", PathStyle: true, AccessKeyIDEnv: "MINIO_KEY", SecretAccessKeyEnv: "MINIO_SECRET", Line: 1}
	if !reflect.DeepEqual(p.S3, want) {
		t.Fatalf("got %+v, want %+v", p.S3, want)
	}

	dir := setup(t, map[string]string{"statecraft.yaml": "s3:\n  dir: ./buckets\n"})
	p, err = Load("statecraft.yaml", Options{LookupEnv: fakeEnv})
	if err != nil {
		t.Fatal(err)
	}
	if p.S3 == nil || p.S3.Dir != filepath.Join(dir, "buckets") {
		t.Fatalf("dir: %+v, want %s", p.S3, filepath.Join(dir, "buckets"))
	}
}

func TestS3Invalid(t *testing.T) {
	cases := map[string][]string{
		"s3:\n  endpoint: ftp://x\n  secretKey: abc\n  pathStyle: yes please\n": {
			"s3.endpoint: must be an http:// or https:// URL",
			"s3.secretKey: unknown field",
			"s3.pathStyle: must be true or false",
		},
		"s3:\n  endpoint: http://x\n  accessKeyIdEnv: AKIAREALKEY/abc+def\n": {
			"s3.accessKeyIdEnv: must name an environment variable",
			"s3: accessKeyIdEnv and secretAccessKeyEnv go together",
		},
		"s3:\n  region: us-east-1\n":              {"s3: needs endpoint (an S3-compatible store) or dir"},
		"s3:\n  endpoint: http://x\n  dir: ./b\n": {"s3: endpoint and dir are exclusive"},
		"s3:\n  dir: ./b\n  pathStyle: true\n":    {"s3: dir takes no region, pathStyle or key"},
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
