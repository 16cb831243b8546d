package asl

import (
	"testing"
)

// batcherMap is a Map state A with the given fields, whose processor (the
// legacy Iterator when iterator is set) runs in mode ("" leaves
// ProcessorConfig out, which means INLINE).
func batcherMap(fields, mode string, jsonata, iterator bool) string {
	cfg, top, proc := "", "", "ItemProcessor"
	if mode != "" {
		cfg = `"ProcessorConfig":{"Mode":"` + mode + `"},`
	}
	if jsonata {
		top = `"QueryLanguage":"JSONata",`
	}
	if iterator {
		proc = "Iterator"
	}
	return `{` + top + `"StartAt":"A","States":{"A":{"Type":"Map","End":true,` + fields + `,
		"` + proc + `":{` + cfg + `"StartAt":"I","States":{"I":{"Type":"Succeed"}}}}}}`
}

func TestValidateItemBatcher(t *testing.T) {
	const at = "/States/A/ItemBatcher"
	tests := []struct {
		name, fields, mode string
		jsonata, iterator  bool
		want               []want // nil: valid
	}{
		// Valid.
		{name: "count", fields: `"ItemBatcher":{"MaxItemsPerBatch":100}`, mode: "DISTRIBUTED"},
		{name: "bytes at 256 KiB", fields: `"ItemBatcher":{"MaxInputBytesPerBatch":262144}`, mode: "DISTRIBUTED"},
		{name: "both limits and BatchInput", fields: `"ItemBatcher":{"MaxItemsPerBatch":1,"MaxInputBytesPerBatch":1,"BatchInput":{"k":"v","run.$":"$.run","ctx.$":"$$.Execution.Id","n.$":"States.MathAdd(1, 2)"}}`, mode: "DISTRIBUTED"},
		{name: "Path variants", fields: `"ItemBatcher":{"MaxItemsPerBatchPath":"$.n","MaxInputBytesPerBatchPath":"$bytes"}`, mode: "DISTRIBUTED"},
		{name: "legacy Iterator", iterator: true, fields: `"ItemBatcher":{"MaxItemsPerBatch":2}`, mode: "DISTRIBUTED"},
		{name: "JSONata expressions", jsonata: true, mode: "DISTRIBUTED",
			fields: `"ItemBatcher":{"MaxItemsPerBatch":"{% $states.input.n %}","MaxInputBytesPerBatch":"{% 1024 %}","BatchInput":{"at":"{% $states.context.State.EnteredTime %}"}}`},
		{name: "JSONata BatchInput expression", jsonata: true, mode: "DISTRIBUTED",
			fields: `"ItemBatcher":{"MaxItemsPerBatch":10,"BatchInput":"{% {'k': $states.input.k} %}"}`},

		// Invalid.
		{name: "inline Map", fields: `"ItemBatcher":{"MaxItemsPerBatch":10}`, want: []want{
			schemaAt(at, "Field 'ItemBatcher' is only supported by a Distributed Map"),
		}},
		{name: "explicit INLINE Map", fields: `"ItemBatcher":{"MaxItemsPerBatch":10}`, mode: "INLINE", want: []want{
			schemaAt(at, "Field 'ItemBatcher' is only supported by a Distributed Map"),
		}},
		{name: "not an object", fields: `"ItemBatcher":10`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at, "Field 'ItemBatcher' must be an object with 'MaxItemsPerBatch' or 'MaxInputBytesPerBatch', got number 10"),
		}},
		{name: "no limit", fields: `"ItemBatcher":{"BatchInput":{"k":1}}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at, "ItemBatcher needs at least one of 'MaxItemsPerBatch', 'MaxItemsPerBatchPath', 'MaxInputBytesPerBatch' or 'MaxInputBytesPerBatchPath'"),
		}},
		{name: "JSONata no limit", jsonata: true, fields: `"ItemBatcher":{}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at, "ItemBatcher needs 'MaxItemsPerBatch', 'MaxInputBytesPerBatch' or both"),
		}},
		{name: "count and its Path", fields: `"ItemBatcher":{"MaxItemsPerBatch":1,"MaxItemsPerBatchPath":"$.n"}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at, "Fields 'MaxItemsPerBatch' and 'MaxItemsPerBatchPath' are mutually exclusive"),
		}},
		{name: "bytes and its Path", fields: `"ItemBatcher":{"MaxInputBytesPerBatch":1,"MaxInputBytesPerBatchPath":"$.n"}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at, "Fields 'MaxInputBytesPerBatch' and 'MaxInputBytesPerBatchPath' are mutually exclusive"),
		}},
		{name: "zero items", fields: `"ItemBatcher":{"MaxItemsPerBatch":0}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/MaxItemsPerBatch", "Field 'MaxItemsPerBatch' must be a positive integer, got number 0"),
		}},
		{name: "fractional items", fields: `"ItemBatcher":{"MaxItemsPerBatch":2.5}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/MaxItemsPerBatch", "Field 'MaxItemsPerBatch' must be a positive integer, got number 2.5"),
		}},
		{name: "bytes over 256 KiB", fields: `"ItemBatcher":{"MaxInputBytesPerBatch":262145}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/MaxInputBytesPerBatch", "Field 'MaxInputBytesPerBatch' must be an integer from 1 to 262144, got number 262145"),
		}},
		{name: "zero bytes", fields: `"ItemBatcher":{"MaxInputBytesPerBatch":0}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/MaxInputBytesPerBatch", "Field 'MaxInputBytesPerBatch' must be an integer from 1 to 262144, got number 0"),
		}},
		{name: "count as a string", fields: `"ItemBatcher":{"MaxItemsPerBatch":"10"}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/MaxItemsPerBatch", `Field 'MaxItemsPerBatch' must be a positive integer, got string "10"`),
		}},
		{name: "JSONata count neither number nor expression", jsonata: true, fields: `"ItemBatcher":{"MaxItemsPerBatch":"10"}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/MaxItemsPerBatch", `Field 'MaxItemsPerBatch' must be a positive integer or a JSONata expression "{% ... %}", got string "10"`),
		}},
		{name: "Path not a reference path", fields: `"ItemBatcher":{"MaxItemsPerBatchPath":"$.n[*]"}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/MaxItemsPerBatchPath", "Field 'MaxItemsPerBatchPath' must be a reference path"),
		}},
		{name: "Path not a string", fields: `"ItemBatcher":{"MaxInputBytesPerBatchPath":5}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/MaxInputBytesPerBatchPath", "Field 'MaxInputBytesPerBatchPath' must be a JSONPath string starting with '$', got number 5"),
		}},
		{name: "JSONata Path field", jsonata: true, fields: `"ItemBatcher":{"MaxItemsPerBatch":2,"MaxInputBytesPerBatchPath":"$.b"}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/MaxInputBytesPerBatchPath", "Field 'MaxInputBytesPerBatchPath' is not supported when QueryLanguage is JSONata; use 'MaxInputBytesPerBatch' with a JSONata expression instead"),
		}},
		{name: "BatchInput not an object", fields: `"ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":[1]}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/BatchInput", "Field 'BatchInput' must be an object (a payload template), got an array"),
		}},
		{name: "BatchInput bad path", fields: `"ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"x.$":"nope"}}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/BatchInput", "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call"),
		}},
		{name: "JSONata BatchInput not an object", jsonata: true, fields: `"ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":"k"}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/BatchInput", `Field 'BatchInput' must be an object or a JSONata expression "{% ... %}", got string "k"`),
		}},
		{name: "JSONata expression does not compile", jsonata: true, fields: `"ItemBatcher":{"MaxItemsPerBatch":"{% $states.input. %}"}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/MaxItemsPerBatch", "Invalid JSONata expression"),
		}},
		{name: "unknown field", fields: `"ItemBatcher":{"MaxItemsPerBatch":2,"MaxItems":3}`, mode: "DISTRIBUTED", want: []want{
			schemaAt(at+"/MaxItems", "Field 'MaxItems' is not supported in ItemBatcher; expected only BatchInput, MaxInputBytesPerBatch, MaxInputBytesPerBatchPath, MaxItemsPerBatch, MaxItemsPerBatchPath"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := batcherMap(tc.fields, tc.mode, tc.jsonata, tc.iterator)
			got := Validate([]byte(def), ValidateOptions{})
			if !matchProblems(got, tc.want) {
				t.Errorf("got:\n%s\nwant:\n%s", formatProblems(got), formatWants(tc.want))
			}
			if tc.want != nil {
				return
			}
			// A valid batcher parses into the form the interpreter runs.
			sm, err := Parse([]byte(def))
			if err != nil {
				t.Fatal(err)
			}
			st := sm.States["A"]
			if !st.Distributed || st.ItemBatcher == nil {
				t.Fatalf("parsed Map: distributed %v, batcher %+v", st.Distributed, st.ItemBatcher)
			}
		})
	}
}
