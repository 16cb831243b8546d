package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/parquet-go/parquet-go"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/itemreader"
)

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A Distributed Map over an S3 Inventory report: the manifest names two
// gzip-compressed CSV files, each row an item with the fileSchema's
// columns, all strings; MaxItems stops after three.
func TestSDKItemReaderManifest(t *testing.T) {
	e := s3Env(t, map[string]string{
		"inv/src/daily/2024-01-01T00-00Z/manifest.json": `{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::data","version":"2016-11-30",
			"fileFormat":"CSV","fileSchema":"Bucket, Key, Size, LastModifiedDate",
			"files":[{"key":"inv/src/daily/data/1.csv.gz","size":1,"MD5checksum":"a"},{"key":"inv/src/daily/data/2.csv.gz","size":1,"MD5checksum":"b"}]}`,
		"inv/src/daily/data/1.csv.gz": gzipped(t, "\"src\",\"a.txt\",\"1\",\"2024-01-01T00:00:00.000Z\"\n\"src\",\"b.txt\",\"2\",\"2024-01-01T00:00:00.000Z\"\n"),
		"inv/src/daily/data/2.csv.gz": gzipped(t, "\"src\",\"c.txt\",\"3\",\"2024-01-01T00:00:00.000Z\"\n\"src\",\"d.txt\",\"4\",\"2024-01-01T00:00:00.000Z\"\n"),
	})
	c := e.newClient("us-east-1")
	def := compact(`{
		"StartAt": "Objects",
		"States": {
			"Objects": {
				"Type": "Map",
				"ItemReader": {
					"Resource": "arn:aws:states:::s3:getObject",
					"ReaderConfig": {"InputType": "MANIFEST", "MaxItems": 3},
					"Parameters": {"Bucket": "data", "Key.$": "$.manifest"}
				},
				"ItemProcessor": {
					"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
					"StartAt": "Name",
					"States": {"Name": {"Type": "Pass", "Parameters": {"k.$": "States.Format('{}/{}:{}', $.Bucket, $.Key, $.Size)"}, "OutputPath": "$.k", "End": true}}
				},
				"End": true
			}
		}
	}`)
	out := runMachine(t, c, "manifest", def, `{"manifest":"inv/src/daily/2024-01-01T00-00Z/manifest.json"}`, types.ExecutionStatusSucceeded)
	if got, want := aws.ToString(out.Output), `["src/a.txt:1","src/b.txt:2","src/c.txt:3"]`; got != want {
		t.Fatalf("output %s, want %s", got, want)
	}
}

// A Distributed Map over an Athena UNLOAD (ManifestType ATHENA_DATA):
// the manifest lists two gzip-compressed CSV files without a header row,
// read in its order with the given column names, 2 rows a batch. The same
// definition with InputType JSON is refused by ValidateStateMachineDefinition
// and CreateStateMachine, with the field's pointer.
func TestSDKItemReaderAthenaManifest(t *testing.T) {
	e := s3Env(t, map[string]string{
		"results/q-1-manifest.csv": "s3://data/unload/q-1/a.gz\ns3://data/unload/q-1/b.gz\n",
		"unload/q-1/a.gz":          gzipped(t, "1,Ann\n2,Bob\n"),
		"unload/q-1/b.gz":          gzipped(t, "3,Cy\n"),
	})
	c := e.newClient("us-east-1")
	def := func(cfg string) string {
		return compact(`{
		"QueryLanguage": "JSONata",
		"StartAt": "Rows",
		"States": {
			"Rows": {
				"Type": "Map",
				"ItemReader": {
					"Resource": "arn:aws:states:::s3:getObject",
					"ReaderConfig": {"ManifestType": "ATHENA_DATA", ` + cfg + `},
					"Arguments": {"Bucket": "data", "Key": "{% 'results/' & $states.input.query & '-manifest.csv' %}"}
				},
				"ItemBatcher": {"MaxItemsPerBatch": 2},
				"ItemProcessor": {
					"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
					"StartAt": "Names",
					"States": {"Names": {"Type": "Pass", "Output": "{% $join($states.input.Items.(id & ':' & name), ',') %}", "End": true}}
				},
				"End": true
			}
		}
	}`)
	}
	out := runMachine(t, c, "athena", def(`"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id", "name"]`), `{"query":"q-1"}`, types.ExecutionStatusSucceeded)
	if got, want := aws.ToString(out.Output), `["1:Ann,2:Bob","3:Cy"]`; got != want {
		t.Fatalf("output %s, want %s", got, want)
	}

	ctx := context.Background()
	v := must(c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(def(`"InputType": "JSON"`))}))(t)
	if v.Result != types.ValidateStateMachineDefinitionResultCodeFail || len(v.Diagnostics) != 1 ||
		aws.ToString(v.Diagnostics[0].Location) != "/States/Rows/ItemReader/ReaderConfig/ManifestType" ||
		!strings.Contains(aws.ToString(v.Diagnostics[0].Message), `ManifestType "ATHENA_DATA" needs InputType "CSV", "JSONL" or "PARQUET"`) {
		t.Fatalf("validate: %+v", v.Diagnostics)
	}
	_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("athena-json"), Definition: aws.String(def(`"InputType": "JSON"`)),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
	var bad *types.InvalidDefinition
	if !errors.As(err, &bad) || !strings.Contains(bad.ErrorMessage(), "/States/Rows/ItemReader/ReaderConfig/ManifestType") {
		t.Fatalf("create: %v", err)
	}
}

// dirEnv is a test server whose object store is a directory: root/data
// is bucket "data" holding files (key -> body). Beside root lies a file
// no request may read, and links out of root point at it.
func dirEnv(t *testing.T, files map[string]string) (*testEnv, string) {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "buckets")
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for k, body := range files {
		p := filepath.Join(root, "data", filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.json"), []byte(`["secret"]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "secret.json"), filepath.Join(root, "data", "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(root, "upper")); err != nil {
		t.Fatal(err)
	}
	r, err := itemreader.New(itemreader.Config{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	return newEnvEngine(t, nil, engine.Options{Items: r}), dir
}

// With a directory for a store, a Distributed Map reads its items from a
// file and writes its results beside it, as with S3.
func TestSDKItemReaderDirectory(t *testing.T) {
	e, dir := dirEnv(t, map[string]string{"in/items.json": `[{"v":1},{"v":2},{"v":3}]`})
	c := e.newClient("us-east-1")
	def := compact(`{
		"StartAt": "Read",
		"States": {
			"Read": {
				"Type": "Map",
				"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket": "data", "Key": "in/items.json"}},
				"ItemProcessor": {
					"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
					"StartAt": "Double",
					"States": {"Double": {"Type": "Pass", "Parameters": {"d.$": "States.MathAdd($.v, $.v)"}, "End": true}}
				},
				"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "data", "Prefix": "out"}},
				"End": true
			}
		}
	}`)
	out := runMachine(t, c, "dir-read", def, `{}`, types.ExecutionStatusSucceeded)
	var res struct {
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &res); err != nil {
		t.Fatal(err)
	}
	k := res.ResultWriterDetails.Key
	if res.ResultWriterDetails.Bucket != "data" || !strings.HasPrefix(k, "out/") || !strings.HasSuffix(k, "/manifest.json") {
		t.Fatalf("output %s", aws.ToString(out.Output))
	}
	succeeded := filepath.Join(dir, "buckets", "data", filepath.FromSlash(strings.TrimSuffix(k, "manifest.json")), "SUCCEEDED_0.json")
	b, err := os.ReadFile(succeeded)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{`{\"d\":2}`, `{\"d\":4}`, `{\"d\":6}`} {
		if !strings.Contains(string(b), d) {
			t.Errorf("%s lacks %s: %s", succeeded, d, b)
		}
	}
}

// Nothing an execution's input names reads or writes outside the
// directory: "..", absolute keys and links out fail the Map with
// States.ItemReaderFailed (NoSuchKey, NoSuchBucket) or
// States.ResultWriterFailed (AccessDenied), as S3 answers.
func TestSDKItemReaderDirectoryConfined(t *testing.T) {
	e, dir := dirEnv(t, map[string]string{"ok.json": `[1]`})
	c := e.newClient("us-east-1")
	def := compact(`{
		"StartAt": "Read",
		"States": {
			"Read": {
				"Type": "Map",
				"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"}},
				"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
				"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "data", "Prefix.$": "$.prefix"}},
				"End": true
			}
		}
	}`)
	ctx := context.Background()
	sm := must(c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("confined"), Definition: aws.String(def),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r")}))(t)
	cases := []struct{ input, error, cause string }{
		{`{"bucket":"data","key":"../../secret.json","prefix":"p"}`, "States.ItemReaderFailed", "Error Code: NoSuchKey"},
		{`{"bucket":"data","key":"/etc/passwd","prefix":"p"}`, "States.ItemReaderFailed", "Error Code: NoSuchKey"},
		{`{"bucket":"data","key":"link.json","prefix":"p"}`, "States.ItemReaderFailed", "Error Code: NoSuchKey"},
		{`{"bucket":"upper","key":"secret.json","prefix":"p"}`, "States.ItemReaderFailed", "Error Code: NoSuchBucket"},
		{`{"bucket":"data","key":"ok.json","prefix":"../.."}`, "States.ResultWriterFailed", "Error Code: AccessDenied"},
		{`{"bucket":"data","key":"ok.json","prefix":"/tmp"}`, "States.ResultWriterFailed", "Error Code: AccessDenied"},
	}
	for _, tc := range cases {
		ex := must(c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(tc.input)}))(t)
		out := waitDescribe(t, c, aws.ToString(ex.ExecutionArn), types.ExecutionStatusFailed)
		if aws.ToString(out.Error) != tc.error || !strings.Contains(aws.ToString(out.Cause), tc.cause) {
			t.Errorf("%s: %s (%s), want %s with %s", tc.input, aws.ToString(out.Error), aws.ToString(out.Cause), tc.error, tc.cause)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "buckets" && e.Name() != "secret.json" {
			t.Errorf("%s written outside the store", e.Name())
		}
	}
}

// A Map Run that fails still writes its results, as AWS does, the items
// no child started in PENDING_0.json (README: Writing Distributed Map
// results to S3); the Map fails with the Map Run's error.
func TestSDKResultWriterFailedRunWritesPending(t *testing.T) {
	e, dir := dirEnv(t, map[string]string{"in.json": `[1,2,3]`})
	c := e.newClient("us-east-1")
	def := compact(`{
		"StartAt": "Read",
		"States": {
			"Read": {
				"Type": "Map",
				"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket": "data", "Key": "in.json"}},
				"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}},
				"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "data", "Prefix": "out"}},
				"End": true
			}
		}
	}`)
	out := runMachine(t, c, "failed-run", def, `{}`, types.ExecutionStatusFailed)
	if aws.ToString(out.Error) == "States.ResultWriterFailed" {
		t.Fatalf("error %s (%s)", aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	pending, err := filepath.Glob(filepath.Join(dir, "buckets", "data", "out", "*", "PENDING_0.json"))
	if err != nil || len(pending) != 1 {
		t.Fatalf("PENDING_0.json: %v %v", pending, err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(pending[0]), "manifest.json")); err != nil {
		t.Fatalf("manifest: %v", err)
	}
}

// A Distributed Map over a Parquet file: each row an object of its
// columns, numbers as numbers.
func TestSDKItemReaderParquet(t *testing.T) {
	type row struct {
		City  string  `parquet:"city"`
		Temp  float64 `parquet:"temp"`
		Count int64   `parquet:"count"`
	}
	var b bytes.Buffer
	if err := parquet.Write(&b, []row{{"Oslo", -3.5, 2}, {"Rome", 14, 5}, {"Lima", 20, 1}}); err != nil {
		t.Fatal(err)
	}
	e := s3Env(t, map[string]string{"weather/rows.parquet": b.String()})
	c := e.newClient("us-east-1")
	def := compact(`{
		"QueryLanguage": "JSONata",
		"StartAt": "Rows",
		"States": {
			"Rows": {
				"Type": "Map",
				"ItemReader": {
					"Resource": "arn:aws:states:::s3:getObject",
					"ReaderConfig": {"InputType": "PARQUET", "MaxItems": 2},
					"Arguments": {"Bucket": "data", "Key": "weather/rows.parquet"}
				},
				"ItemProcessor": {
					"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
					"StartAt": "P",
					"States": {"P": {"Type": "Pass", "Output": "{% $states.input.city & ':' & $string($states.input.temp + $states.input.count) %}", "End": true}}
				},
				"End": true
			}
		}
	}`)
	out := runMachine(t, c, "parquet", def, `{}`, types.ExecutionStatusSucceeded)
	if got, want := aws.ToString(out.Output), `["Oslo:-1.5","Rome:19"]`; got != want {
		t.Fatalf("output %s, want %s", got, want)
	}
}
