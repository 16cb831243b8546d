package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// itemsMachine reads the items named by the input and writes the results
// under out/ of bucket data.
const itemsMachine = `{"StartAt":"M","States":{"M":{"Type":"Map",
 "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType.$":"$.type"},"Parameters":{"Bucket":"data","Key.$":"$.key"}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
 "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"data","Prefix":"out"}},
 "End":true}}}`

// writeMachine writes itemsMachine with the ReaderConfig members cfg.
func writeMachine(t *testing.T, dir, cfg string) string {
	t.Helper()
	p := filepath.Join(dir, "items.asl.json")
	def := strings.Replace(itemsMachine, `"InputType.$":"$.type"`, cfg, 1)
	if err := os.WriteFile(p, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// `statecraft run --s3-dir` reads a Distributed Map's items from a file
// of the directory and writes its results there; a key leading out of it
// fails the Map as S3 answers a missing key; without a store the Map
// fails naming the flags.
func TestRunItemsFromDirectory(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "buckets")
	if err := os.MkdirAll(filepath.Join(store, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store, "data", "rows.csv"), []byte("id,name\n1,a\n2,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.csv"), []byte("x\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	def := writeMachine(t, dir, `"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"`)

	x := mustRun(t, "", "run", def, "--s3-dir", store, "--input", `{"key":"rows.csv"}`)
	if x.status != "SUCCEEDED" {
		t.Fatalf("status %s: %v", x.status, x.fields)
	}
	files, _ := filepath.Glob(filepath.Join(store, "data", "out", "*", "SUCCEEDED_0.json"))
	if len(files) != 1 {
		t.Fatalf("results files %v, want one SUCCEEDED_0.json under out/", files)
	}
	b, _ := os.ReadFile(files[0])
	if !strings.Contains(string(b), `\"name\":\"a\"`) || !strings.Contains(string(b), `\"name\":\"b\"`) {
		t.Errorf("results %s", b)
	}

	x = mustRun(t, "", "run", def, "--s3-dir", store, "--input", `{"key":"../../secret.csv"}`)
	if x.status != "FAILED" || x.str(t, "error") != "States.ItemReaderFailed" || !strings.Contains(x.str(t, "cause"), "NoSuchKey") {
		t.Fatalf("traversal: %v", x.fields)
	}

	x = mustRun(t, "", "run", def, "--input", `{"key":"rows.csv"}`)
	if x.status != "FAILED" || x.str(t, "error") != "States.ItemReaderFailed" || !strings.Contains(x.str(t, "cause"), "--s3-dir") {
		t.Fatalf("no store: %v", x.fields)
	}

	r := statecraft(t, "", "run", def, "--s3-dir", filepath.Join(dir, "missing"))
	if r.code != 1 || !strings.Contains(r.stderr, "--s3-dir") {
		t.Fatalf("missing directory: %s", r)
	}
}

// `statecraft run --s3-endpoint` reads an S3 Inventory report (MANIFEST)
// from an S3-compatible store, signing with the key from the environment.
func TestRunItemsFromEndpoint(t *testing.T) {
	be := s3mem.New()
	if err := be.CreateBucket("data"); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte("\"src\",\"a.txt\"\n\"src\",\"b.txt\"\n"))
	w.Close()
	for k, body := range map[string]string{
		"inv/manifest.json": `{"fileFormat":"CSV","fileSchema":"Bucket, Key","files":[{"key":"inv/data/1.csv.gz"}]}`,
		"inv/data/1.csv.gz": gz.String(),
	} {
		if _, err := be.PutObject("data", k, map[string]string{}, strings.NewReader(body), int64(len(body)), nil); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	defer srv.Close()
	dir := t.TempDir()
	def := writeMachine(t, dir, `"InputType":"MANIFEST"`)
	cmd := exec.Command(binary, "run", def, "--s3-endpoint", srv.URL, "--s3-path-style", "--input", `{"key":"inv/manifest.json"}`)
	cmd.Env = append(os.Environ(), "STATECRAFT_S3_ACCESS_KEY_ID=AKID", "STATECRAFT_S3_SECRET_ACCESS_KEY=SECRET")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	x := decodeExecution(t, string(out))
	if x.status != "SUCCEEDED" {
		t.Fatalf("status %s: %v", x.status, x.fields)
	}
	files, err := be.ListBucket("data", &gofakes3.Prefix{HasPrefix: true, Prefix: "out/"}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range files.Contents {
		keys = append(keys, c.Key)
	}
	if len(keys) != 2 {
		t.Fatalf("written %v, want SUCCEEDED_0.json and manifest.json", keys)
	}
}

// projectWithStore writes a project file whose s3 section names the
// directory buckets/ beside it, holding data/rows.json, and whose machine
// reads that file and writes its results under out/.
func projectWithStore(t *testing.T) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "buckets", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "buckets", "data", "rows.json"), []byte(`[{"n":1},{"n":2}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	writeMachine(t, dir, `"InputType":"JSON"`)
	file = filepath.Join(dir, "statecraft.yaml")
	yaml := "s3:\n  dir: ./buckets\nstateMachines:\n  items:\n    definition: items.asl.json\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

// The project file's s3 section names the store of `statecraft run
// --project` and of the server started with --project; naming one with
// flags as well is refused.
func TestProjectObjectStore(t *testing.T) {
	dir, file := projectWithStore(t)
	def := filepath.Join(dir, "items.asl.json")
	x := mustRun(t, "", "run", def, "--project", file, "--input", `{"key":"rows.json"}`)
	if x.status != "SUCCEEDED" {
		t.Fatalf("run --project: %v", x.fields)
	}
	r := statecraft(t, "", "run", def, "--project", file, "--s3-dir", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "both name the object store") {
		t.Fatalf("run --project --s3-dir: %s", r)
	}

	addr, _ := startServerWith(t, t.TempDir(), "--project", file)
	out, err := sfn(addr, "StartExecution", `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:items","input":"{\"key\":\"rows.json\"}"}`)
	if err != nil {
		t.Fatal(err)
	}
	var started struct{ ExecutionArn string }
	if err := json.Unmarshal([]byte(out), &started); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err = sfn(addr, "DescribeExecution", `{"executionArn":"`+started.ExecutionArn+`"}`)
		if err != nil {
			t.Fatal(err)
		}
		var d struct{ Status, Error, Cause string }
		json.Unmarshal([]byte(out), &d)
		if d.Status == "SUCCEEDED" {
			break
		}
		if d.Status != "RUNNING" || time.Now().After(deadline) {
			t.Fatalf("execution: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "buckets", "data", "out", "*", "SUCCEEDED_0.json"))
	if len(files) != 2 {
		t.Fatalf("results files %v, want one from run and one from the server", files)
	}
}
