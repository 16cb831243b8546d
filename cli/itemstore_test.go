package cli

import (
	"strings"
	"testing"
)

// --s3-dir names an existing directory and excludes --s3-endpoint;
// without either there is no store.
func TestItemStoreOptions(t *testing.T) {
	dir := t.TempDir()
	if r, err := itemStore(ServerOptions{}); r != nil || err != nil {
		t.Fatalf("no options: %v, %v; want no store", r, err)
	}
	if r, err := itemStore(ServerOptions{S3Dir: dir}); r == nil || err != nil {
		t.Fatalf("--s3-dir: %v, %v", r, err)
	}
	for _, o := range []ServerOptions{
		{S3Dir: dir, S3Endpoint: "http://127.0.0.1:9000"},
		{S3Dir: dir + "/missing"},
	} {
		if _, err := itemStore(o); err == nil || !strings.Contains(err.Error(), "--s3-dir") {
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
