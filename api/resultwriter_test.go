package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/engine"
)

// A Distributed Map over a 100,000-row CSV read with ItemReader, 100 rows
// a batch, one batch failing within the tolerated failures, its results
// exported with ResultWriter and read back. It logs its time and the
// process's peak RSS.
func TestSDKResultWriterCSV(t *testing.T) {
	const rows = 100_000
	start := time.Now()
	s3 := newFakeS3(t, "data", "out")
	var csv strings.Builder
	csv.WriteString("id,name\n")
	for i := range rows {
		fmt.Fprintf(&csv, "%d,row %d\n", i, i)
	}
	s3.put(t, "data", "rows.csv", csv.String())
	csv = strings.Builder{}
	e := newEnvEngine(t, nil, engine.Options{Items: s3.items})
	c := e.newClient("us-east-1")
	def := compact(`{
		"StartAt": "Rows",
		"States": {
			"Rows": {
				"Type": "Map",
				"ItemReader": {
					"Resource": "arn:aws:states:::s3:getObject",
					"ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
					"Parameters": {"Bucket": "data", "Key": "rows.csv"}
				},
				"ItemBatcher": {"MaxItemsPerBatch": 100},
				"ToleratedFailureCount": 100,
				"ItemProcessor": {
					"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
					"StartAt": "Check",
					"States": {
						"Check": {"Type": "Choice", "Choices": [{"Variable": "$.Items[0].id", "StringEquals": "500", "Next": "Bad"}], "Default": "Count"},
						"Bad": {"Type": "Fail", "Error": "BadBatch", "Cause": "batch 5"},
						"Count": {"Type": "Pass", "Parameters": {"n.$": "States.ArrayLength($.Items)", "first.$": "$.Items[0].id"}, "End": true}
					}
				},
				"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix.$": "$.prefix"}},
				"End": true
			}
		}
	}`)
	out := runMachine(t, c, "csv-export", def, `{"prefix":"runs"}`, types.ExecutionStatusSucceeded)
	var got struct {
		MapRunArn           string
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatal(err)
	}
	runID := got.MapRunArn[strings.LastIndexByte(got.MapRunArn, ':')+1:]
	if got.ResultWriterDetails.Bucket != "out" || got.ResultWriterDetails.Key != "runs/"+runID+"/manifest.json" {
		t.Fatalf("output %s", aws.ToString(out.Output))
	}
	get := func(key string) []byte { return s3.get(t, "out", key) }
	var manifest struct {
		DestinationBucket, MapRunArn string
		ResultFiles                  map[string][]struct {
			Key  string
			Size int
		}
	}
	if err := json.Unmarshal(get(got.ResultWriterDetails.Key), &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.DestinationBucket != "out" || manifest.MapRunArn != got.MapRunArn || len(manifest.ResultFiles["PENDING"]) != 0 ||
		len(manifest.ResultFiles["SUCCEEDED"]) != 1 || len(manifest.ResultFiles["FAILED"]) != 1 {
		t.Fatalf("manifest %+v", manifest)
	}
	type record struct {
		ExecutionArn, Name, StateMachineArn, Status, Input, Output, Error, Cause, StartDate, StopDate string
		InputDetails, OutputDetails                                                                   *struct{ Included bool }
	}
	read := func(status string) []record {
		f := manifest.ResultFiles[status][0]
		body := get(f.Key)
		if f.Key != "runs/"+runID+"/"+status+"_0.json" || f.Size != len(body) {
			t.Fatalf("%s file %+v, %d bytes", status, f, len(body))
		}
		var rs []record
		if err := json.Unmarshal(body, &rs); err != nil {
			t.Fatal(err)
		}
		return rs
	}
	ok, failed := read("SUCCEEDED"), read("FAILED")
	if len(ok) != rows/100-1 || len(failed) != 1 {
		t.Fatalf("%d succeeded, %d failed", len(ok), len(failed))
	}
	f := failed[0]
	if f.Status != "FAILED" || f.Error != "BadBatch" || f.Cause != "batch 5" || !strings.Contains(f.Input, `"id":"500"`) ||
		!strings.Contains(f.ExecutionArn, ":execution:csv-export/") {
		t.Errorf("failed record %+v", f)
	}
	for i, rec := range ok {
		batch := i
		if i >= 5 {
			batch++
		}
		var o struct {
			N     int
			First string
		}
		if err := json.Unmarshal([]byte(rec.Output), &o); err != nil || rec.Status != "SUCCEEDED" || o.N != 100 || o.First != fmt.Sprint(batch*100) ||
			rec.OutputDetails == nil || !rec.OutputDetails.Included || rec.StartDate == "" || rec.StopDate == "" {
			t.Fatalf("record %d: %+v (%v)", i, rec, err)
		}
	}
	t.Logf("%d rows, %d batches: %v, peak RSS %s", rows, rows/100, time.Since(start), peakRSS())
}

// peakRSS is the process's VmHWM from /proc/self/status.
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// WriterConfig alone formats the output (FLATTEN splices array outputs),
// and an export to a bucket the store lacks fails the Map with
// States.ResultWriterFailed, which Catch sees.
func TestSDKResultWriterFlattenAndFailure(t *testing.T) {
	e := s3Env(t, nil)
	c := e.newClient("us-east-1")
	def := compact(`{
		"StartAt": "Flat",
		"States": {
			"Flat": {
				"Type": "Map",
				"ItemsPath": "$.items",
				"ItemProcessor": {
					"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
					"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"v.$": "States.Array($, $)"}, "OutputPath": "$.v", "End": true}}
				},
				"ResultWriter": {"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}},
				"ResultPath": "$.flat",
				"Next": "Export"
			},
			"Export": {
				"Type": "Map",
				"ItemsPath": "$.items",
				"ItemProcessor": {
					"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
					"StartAt": "P2", "States": {"P2": {"Type": "Pass", "End": true}}
				},
				"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "nowhere", "Prefix": "p"}},
				"Catch": [{"ErrorEquals": ["States.ResultWriterFailed"], "ResultPath": "$.err", "Next": "Done"}],
				"ResultPath": null,
				"Next": "Done"
			},
			"Done": {"Type": "Pass", "Parameters": {"flat.$": "$.flat", "err.$": "$.err.Error"}, "End": true}
		}
	}`)
	out := runMachine(t, c, "flatten", def, `{"items":[1,2]}`, types.ExecutionStatusSucceeded)
	if got := aws.ToString(out.Output); got != `{"err":"States.ResultWriterFailed","flat":[1,1,2,2]}` {
		t.Fatalf("output %s", got)
	}
}
