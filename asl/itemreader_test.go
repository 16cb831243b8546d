package asl

import "testing"

func TestValidateItemReader(t *testing.T) {
	const at = "/States/A/ItemReader"
	const get = `"Resource":"arn:aws:states:::s3:getObject"`
	tests := []struct {
		name, fields, mode string
		jsonata            bool
		want               []want // nil: valid
	}{
		// Valid.
		{name: "JSON", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"b","Key.$":"$.k"}}`, mode: "DISTRIBUTED"},
		{name: "CSV given, delimiter, MaxItemsPath", mode: "DISTRIBUTED",
			fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["a","b"],"CSVDelimiter":"TAB","MaxItemsPath":"$.max"},"Parameters":{"Bucket":"b","Key":"k"}}`},
		{name: "MANIFEST", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"MANIFEST","MaxItems":10},"Parameters":{"Bucket":"b","Key":"inv/manifest.json"}}`},
		{name: "PARQUET", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"PARQUET","MaxItems":10},"Parameters":{"Bucket":"b","Key":"rows.parquet"}}`},
		{name: "list", fields: `"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"b","Prefix":"p/"}}`, mode: "DISTRIBUTED"},
		{name: "JSONata", jsonata: true, mode: "DISTRIBUTED",
			fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"JSONL","MaxItems":"{% $states.input.n %}"},"Arguments":{"Bucket":"b","Key":"{% $states.input.k %}"}}`},

		// Invalid.
		{name: "inline Map", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at, "Field 'ItemReader' is only supported by a Distributed Map"),
		}},
		{name: "with ItemsPath", mode: "DISTRIBUTED", fields: `"ItemsPath":"$.x","ItemReader":{` + get + `,"ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt("/States/A/ItemsPath", "Field 'ItemsPath' cannot be used with 'ItemReader'"),
		}},
		{name: "other resource", mode: "DISTRIBUTED", fields: `"ItemReader":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			{at + "/Resource", CodeNotImplemented, `Statecraft reads items only with "arn:aws:states:::s3:getObject" or "arn:aws:states:::s3:listObjectsV2"`},
		}},
		{name: "getObject without InputType", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig", `ItemReader with "arn:aws:states:::s3:getObject" needs ReaderConfig.InputType`),
		}},
		{name: "unknown InputType", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"ORC"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig/InputType", `Field 'InputType' must be one of CSV, JSON, JSONL, MANIFEST or PARQUET, got`),
		}},
		{name: "MANIFEST with CSV fields", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"MANIFEST","CSVHeaderLocation":"FIRST_ROW"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig/CSVHeaderLocation", `Field 'CSVHeaderLocation' is only used with InputType "CSV"`),
		}},
		{name: "MANIFEST listed", mode: "DISTRIBUTED", fields: `"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","ReaderConfig":{"InputType":"MANIFEST"},"Parameters":{"Bucket":"b","Prefix":"p/"}}`, want: []want{
			schemaAt(at+"/ReaderConfig/InputType", `Field 'InputType' is not used with "arn:aws:states:::s3:listObjectsV2"`),
		}},
		{name: "CSV without header location", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"CSV"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig", `InputType "CSV" needs 'CSVHeaderLocation'`),
		}},
		{name: "GIVEN without headers", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig", `CSVHeaderLocation "GIVEN" needs 'CSVHeaders'`),
		}},
		{name: "duplicate headers", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["a","a"]},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig/CSVHeaders", "CSV headers cannot contain duplicates"),
		}},
		{name: "bad delimiter and MaxItems", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","CSVDelimiter":",","MaxItems":0},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig/CSVDelimiter", "Field 'CSVDelimiter' must be one of COMMA, PIPE, SEMICOLON, SPACE, TAB"),
			schemaAt(at+"/ReaderConfig/MaxItems", "Field 'MaxItems' must be an integer from 1 to 100000000"),
		}},
		{name: "JSONata with Parameters", jsonata: true, mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at, "Missing required field 'Arguments' in ItemReader"),
			schemaAt(at+"/Parameters", "Field 'Parameters' is not supported in ItemReader of a JSONata state; use 'Arguments'"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := batcherMap(tc.fields, tc.mode, tc.jsonata, false)
			got := Validate([]byte(def), ValidateOptions{})
			if !matchProblems(got, tc.want) {
				t.Errorf("got:\n%s\nwant:\n%s", formatProblems(got), formatWants(tc.want))
			}
			if tc.want != nil {
				return
			}
			sm, err := Parse([]byte(def))
			if err != nil {
				t.Fatal(err)
			}
			if r := sm.States["A"].ItemReader; r == nil || r.Resource == "" {
				t.Fatalf("parsed reader %+v", r)
			}
		})
	}
}
