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
		{name: "ATHENA_DATA CSV", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"ManifestType":"ATHENA_DATA","InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["a"]},"Parameters":{"Bucket":"b","Key":"q-manifest.csv"}}`},
		{name: "ATHENA_DATA JSONL", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"ManifestType":"ATHENA_DATA","InputType":"JSONL"},"Parameters":{"Bucket":"b","Key":"q-manifest.csv"}}`},
		{name: "ATHENA_DATA PARQUET JSONata", jsonata: true, mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"ManifestType":"ATHENA_DATA","InputType":"PARQUET"},"Arguments":{"Bucket":"b","Key":"q-manifest.csv"}}`},
		{name: "S3_INVENTORY", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"ManifestType":"S3_INVENTORY","InputType":"CSV","MaxItems":5},"Parameters":{"Bucket":"b","Key":"inv/manifest.json"}}`},
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
		{name: "unknown ManifestType", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"ManifestType":"ORC","InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig/ManifestType", `Field 'ManifestType' must be "ATHENA_DATA" or "S3_INVENTORY", got string "ORC"`),
		}},
		{name: "ATHENA_DATA of JSON", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"ManifestType":"ATHENA_DATA","InputType":"JSON"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig/ManifestType", `ManifestType "ATHENA_DATA" needs InputType "CSV", "JSONL" or "PARQUET" (the format of the data files the manifest lists), got string "JSON"`),
		}},
		{name: "ATHENA_DATA without InputType", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"ManifestType":"ATHENA_DATA"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig", `ItemReader with "arn:aws:states:::s3:getObject" needs ReaderConfig.InputType`),
		}},
		{name: "ATHENA_DATA CSV without header location", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"ManifestType":"ATHENA_DATA","InputType":"CSV"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig", `InputType "CSV" needs 'CSVHeaderLocation'`),
		}},
		{name: "S3_INVENTORY of MANIFEST", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"ManifestType":"S3_INVENTORY","InputType":"MANIFEST"},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig/ManifestType", `ManifestType "S3_INVENTORY" needs InputType "CSV"`),
		}},
		{name: "S3_INVENTORY with CSV headers", mode: "DISTRIBUTED", fields: `"ItemReader":{` + get + `,"ReaderConfig":{"ManifestType":"S3_INVENTORY","InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["a"]},"Parameters":{"Bucket":"b","Key":"k"}}`, want: []want{
			schemaAt(at+"/ReaderConfig/CSVHeaderLocation", `Field 'CSVHeaderLocation' is not used with ManifestType "S3_INVENTORY"`),
			schemaAt(at+"/ReaderConfig/CSVHeaders", `Field 'CSVHeaders' is not used with ManifestType "S3_INVENTORY"`),
		}},
		{name: "ManifestType listed", mode: "DISTRIBUTED", fields: `"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","ReaderConfig":{"ManifestType":"ATHENA_DATA"},"Parameters":{"Bucket":"b","Prefix":"p/"}}`, want: []want{
			schemaAt(at+"/ReaderConfig/ManifestType", `Field 'ManifestType' is only used with "arn:aws:states:::s3:getObject"`),
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
