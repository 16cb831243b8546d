package interp_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// batchMap is a Distributed Map M over the input's items whose children
// each run the Task T once; fields go into M. pre, when set, is a state P
// that runs first and leads to M.
func batchMap(fields, pre string, jsonata bool) string {
	top, items, start := "", `"ItemsPath":"$.items",`, "M"
	if jsonata {
		top, items = `"QueryLanguage":"JSONata",`, `"Items":"{% $states.input.items %}",`
	}
	if pre != "" {
		start, pre = "P", `"P":`+pre+`,`
	}
	return `{` + top + `"StartAt":"` + start + `","States":{` + pre + `"M":{"Type":"Map","End":true,` + items + fields + `,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"T","States":{` + taskState("T", `"End":true`) + `}}}}}`
}

// Each child receives {"Items": [...]} (with "BatchInput" when the batcher
// has one), and the Map's result is one output per batch.
func TestMapBatches(t *testing.T) {
	five := `{"items":["aaaa","bbbb","cccc","dddd","eeee"],"n":2,"s":"2","b":25}`
	tests := []struct {
		name, fields, pre string
		jsonata           bool
		input             string
		children          []string // the children's inputs, in order
		maxBytes          int      // when set, every child's input fits in it
	}{
		{
			name:     "by count",
			fields:   `"ItemBatcher":{"MaxItemsPerBatch":3}`,
			input:    `{"items":[1,2,3,4,5,6,7]}`,
			children: []string{`{"Items":[1,2,3]}`, `{"Items":[4,5,6]}`, `{"Items":[7]}`},
		},
		{
			// {"Items":["aaaa","bbbb"]} is 25 bytes: the limit is inclusive.
			name:     "by bytes",
			fields:   `"ItemBatcher":{"MaxInputBytesPerBatch":25}`,
			input:    five,
			children: []string{`{"Items":["aaaa","bbbb"]}`, `{"Items":["cccc","dddd"]}`, `{"Items":["eeee"]}`},
			maxBytes: 25,
		},
		{
			name:     "by bytes, one byte short of two items",
			fields:   `"ItemBatcher":{"MaxInputBytesPerBatch":24}`,
			input:    five,
			children: []string{`{"Items":["aaaa"]}`, `{"Items":["bbbb"]}`, `{"Items":["cccc"]}`, `{"Items":["dddd"]}`, `{"Items":["eeee"]}`},
			maxBytes: 24,
		},
		{
			name:     "count binds before bytes",
			fields:   `"ItemBatcher":{"MaxItemsPerBatch":2,"MaxInputBytesPerBatch":1000}`,
			input:    `{"items":[1,2,3,4,5]}`,
			children: []string{`{"Items":[1,2]}`, `{"Items":[3,4]}`, `{"Items":[5]}`},
		},
		{
			name:     "bytes bind before count",
			fields:   `"ItemBatcher":{"MaxItemsPerBatch":10,"MaxInputBytesPerBatch":25}`,
			input:    five,
			children: []string{`{"Items":["aaaa","bbbb"]}`, `{"Items":["cccc","dddd"]}`, `{"Items":["eeee"]}`},
			maxBytes: 25,
		},
		{
			name:     "an item over the limit goes alone",
			fields:   `"ItemBatcher":{"MaxInputBytesPerBatch":25}`,
			input:    `{"items":["aaaa","this item alone is over the limit","bbbb","cccc"]}`,
			children: []string{`{"Items":["aaaa"]}`, `{"Items":["this item alone is over the limit"]}`, `{"Items":["bbbb","cccc"]}`},
		},
		{
			name:     "BatchInput from the input and the context object",
			fields:   `"ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"run.$":"$.run","name.$":"$$.Execution.Name","fixed":true}}`,
			input:    `{"items":[1,2,3],"run":"r1"}`,
			children: []string{`{"BatchInput":{"run":"r1","name":"exec-1","fixed":true},"Items":[1,2]}`, `{"BatchInput":{"run":"r1","name":"exec-1","fixed":true},"Items":[3]}`},
		},
		{
			// {"BatchInput":{"k":"v"},"Items":["aaaa","bbbb"]} is 48 bytes.
			name:     "BatchInput counts toward the bytes",
			fields:   `"ItemBatcher":{"MaxInputBytesPerBatch":48,"BatchInput":{"k":"v"}}`,
			input:    five,
			children: []string{`{"BatchInput":{"k":"v"},"Items":["aaaa","bbbb"]}`, `{"BatchInput":{"k":"v"},"Items":["cccc","dddd"]}`, `{"BatchInput":{"k":"v"},"Items":["eeee"]}`},
			maxBytes: 48,
		},
		{
			name:   "ItemSelector applies to each item before batching",
			fields: `"ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","run.$":"$.run"},"ItemBatcher":{"MaxItemsPerBatch":2}`,
			input:  `{"items":["a","b","c"],"run":"r"}`,
			children: []string{`{"Items":[{"i":0,"v":"a","run":"r"},{"i":1,"v":"b","run":"r"}]}`,
				`{"Items":[{"i":2,"v":"c","run":"r"}]}`},
		},
		{
			// The selected items are what is measured: [1,2,3] fits in
			// 27 bytes, [{"v":1},{"v":2},{"v":3}] does not.
			name:     "selected items are measured",
			fields:   `"ItemSelector":{"v.$":"$$.Map.Item.Value"},"ItemBatcher":{"MaxInputBytesPerBatch":27}`,
			input:    `{"items":[1,2,3]}`,
			children: []string{`{"Items":[{"v":1},{"v":2}]}`, `{"Items":[{"v":3}]}`},
			maxBytes: 27,
		},
		{
			name:     "MaxItemsPerBatchPath",
			fields:   `"ItemBatcher":{"MaxItemsPerBatchPath":"$.n"}`,
			input:    five,
			children: []string{`{"Items":["aaaa","bbbb"]}`, `{"Items":["cccc","dddd"]}`, `{"Items":["eeee"]}`},
		},
		{
			name:     "MaxItemsPerBatchPath to a number as a string",
			fields:   `"ItemBatcher":{"MaxItemsPerBatchPath":"$.s"}`,
			input:    five,
			children: []string{`{"Items":["aaaa","bbbb"]}`, `{"Items":["cccc","dddd"]}`, `{"Items":["eeee"]}`},
		},
		{
			name:     "MaxItemsPerBatchPath to a variable",
			pre:      `{"Type":"Pass","Assign":{"max":"2"},"Next":"M"}`,
			fields:   `"ItemBatcher":{"MaxItemsPerBatchPath":"$max"}`,
			input:    five,
			children: []string{`{"Items":["aaaa","bbbb"]}`, `{"Items":["cccc","dddd"]}`, `{"Items":["eeee"]}`},
		},
		{
			name:     "MaxInputBytesPerBatchPath",
			fields:   `"ItemBatcher":{"MaxInputBytesPerBatchPath":"$.b"}`,
			input:    five,
			children: []string{`{"Items":["aaaa","bbbb"]}`, `{"Items":["cccc","dddd"]}`, `{"Items":["eeee"]}`},
			maxBytes: 25,
		},
		{
			name:    "JSONata expressions",
			jsonata: true,
			fields: `"ItemSelector":"{% {'v': $states.context.Map.Item.Value, 'i': $states.context.Map.Item.Index} %}",
				"ItemBatcher":{"MaxItemsPerBatch":"{% $states.input.n %}","BatchInput":{"name":"{% $states.context.Execution.Name %}","n":"{% $states.input.n %}"}}`,
			input: `{"items":["x","y","z"],"n":2}`,
			children: []string{`{"BatchInput":{"name":"exec-1","n":2},"Items":[{"v":"x","i":0},{"v":"y","i":1}]}`,
				`{"BatchInput":{"name":"exec-1","n":2},"Items":[{"v":"z","i":2}]}`},
		},
		{
			name:     "JSONata bytes and a BatchInput expression",
			jsonata:  true,
			fields:   `"ItemBatcher":{"MaxInputBytesPerBatch":"{% $states.input.b + 23 %}","BatchInput":"{% {'k': 'v'} %}"}`,
			input:    five,
			children: []string{`{"BatchInput":{"k":"v"},"Items":["aaaa","bbbb"]}`, `{"BatchInput":{"k":"v"},"Items":["cccc","dddd"]}`, `{"BatchInput":{"k":"v"},"Items":["eeee"]}`},
			maxBytes: 48,
		},
		{
			name:     "JSONata literals",
			jsonata:  true,
			fields:   `"ItemBatcher":{"MaxItemsPerBatch":3,"BatchInput":{"k":1}}`,
			input:    `{"items":[1,2,3,4]}`,
			children: []string{`{"BatchInput":{"k":1},"Items":[1,2,3]}`, `{"BatchInput":{"k":1},"Items":[4]}`},
		},
		{
			name:   "no items, no batches",
			fields: `"ItemBatcher":{"MaxItemsPerBatch":3}`,
			input:  `{"items":[]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, rec := run(t, compile(t, batchMap(tc.fields, tc.pre, tc.jsonata)), tc.input, echo)
			// The echoing children make the result the list of batches.
			out := "[" + strings.Join(tc.children, ",") + "]"
			check(t, res, want{Status: interp.Succeeded, Output: out})
			checkChain(t, res.History)
			if len(rec.calls) != len(tc.children) {
				t.Fatalf("%d children, want %d", len(rec.calls), len(tc.children))
			}
			for i, c := range rec.calls {
				if !jsonv.Equal(c.Input, parseJSON(t, tc.children[i])) {
					t.Errorf("child %d input = %s, want %s", i, jsonv.String(c.Input), tc.children[i])
				}
				if n := jsonv.Size(c.Input, 0); tc.maxBytes > 0 && n > tc.maxBytes {
					t.Errorf("child %d input is %d bytes, over %d", i, n, tc.maxBytes)
				}
			}
			wantTypes := []string{"ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted",
				"MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"}
			if tc.pre != "" {
				wantTypes = append([]string{"ExecutionStarted", "PassStateEntered", "PassStateExited"}, wantTypes[1:]...)
			}
			if got := types(res.History); !equalStrings(got, wantTypes) {
				t.Errorf("types = %v, want %v", got, wantTypes)
			}
			// MapStateStarted counts the items, not the batches.
			items, _ := parseJSON(t, tc.input).(*jsonv.Object).Value("items").([]any)
			if l := field(t, eventsOf(res.History, "MapStateStarted")[0], "length"); !jsonv.Equal(l, int64(len(items))) {
				t.Errorf("MapStateStarted length = %v, want %d", l, len(items))
			}
		})
	}
}

// The Map's result has one entry per batch: what each batch's child
// returned, in batch order.
func TestMapBatchResults(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ResultPath":"$.counts","End":true,
		"ItemBatcher":{"MaxItemsPerBatch":3,"BatchInput":{"tag.$":"$.tag"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Count",
			"States":{"Count":{"Type":"Pass","Parameters":{"n.$":"States.ArrayLength($.Items)","first.$":"$.Items[0]","tag.$":"$.BatchInput.tag"},"End":true}}}}}}`
	res, _ := run(t, compile(t, def), `{"items":[1,2,3,4,5,6,7],"tag":"t"}`, nil)
	check(t, res, want{Status: interp.Succeeded,
		Output: `{"items":[1,2,3,4,5,6,7],"tag":"t","counts":[{"n":3,"first":1,"tag":"t"},{"n":3,"first":4,"tag":"t"},{"n":1,"first":7,"tag":"t"}]}`})
}

func TestMapBatchErrors(t *testing.T) {
	const at = "An error occurred while executing the state 'M' (entered at the event id #2). "
	tests := []struct {
		name, fields string
		jsonata      bool
		input        string
		err, cause   string // cause: exact for JSONPath, a part for JSONata
		location     string // EvaluationFailed's location, JSONata only
	}{
		{name: "MaxItemsPerBatchPath not found", fields: `"ItemBatcher":{"MaxItemsPerBatchPath":"$.nope"}`, input: `{"items":[1]}`,
			err: "States.Runtime", cause: at + `The MaxItemsPerBatchPath field refers to value "null" which is not a valid integer: $.nope`},
		{name: "MaxItemsPerBatchPath not a number", fields: `"ItemBatcher":{"MaxItemsPerBatchPath":"$.n"}`, input: `{"items":[1],"n":"many"}`,
			err: "States.Runtime", cause: at + `The MaxItemsPerBatchPath field refers to value "many" which is not a valid integer: $.n`},
		{name: "MaxItemsPerBatchPath zero", fields: `"ItemBatcher":{"MaxItemsPerBatchPath":"$.n"}`, input: `{"items":[1],"n":0}`,
			err: "States.Runtime", cause: at + `The MaxItemsPerBatchPath field refers to value "0" which is not a positive integer: $.n`},
		{name: "MaxInputBytesPerBatchPath over 256 KiB", fields: `"ItemBatcher":{"MaxInputBytesPerBatchPath":"$.b"}`, input: `{"items":[1],"b":262145}`,
			err: "States.Runtime", cause: at + `The MaxInputBytesPerBatchPath field refers to value "262145" which is not an integer from 1 to 262144: $.b`},
		{name: "MaxInputBytesPerBatchPath fractional", fields: `"ItemBatcher":{"MaxInputBytesPerBatchPath":"$.b"}`, input: `{"items":[1],"b":10.5}`,
			err: "States.Runtime", cause: at + `The MaxInputBytesPerBatchPath field refers to value "10.5" which is not a valid integer: $.b`},
		{name: "BatchInput path not found", fields: `"ItemBatcher":{"MaxItemsPerBatch":1,"BatchInput":{"x.$":"$.nope"}}`, input: `{"items":[1]}`,
			err: "States.Runtime", cause: at + `The JSONPath '$.nope' specified for the field 'x.$' could not be found in the input '{"items":[1]}'`},
		{name: "ItemSelector fails on a later item", fields: `"ItemSelector":{"v.$":"States.StringToJson($$.Map.Item.Value)"},"ItemBatcher":{"MaxItemsPerBatch":1}`,
			input: `{"items":["1","not json"]}`, err: "States.IntrinsicFailure"},
		{name: "JSONata MaxItemsPerBatch zero", jsonata: true, fields: `"ItemBatcher":{"MaxItemsPerBatch":"{% 0 %}"}`, input: `{"items":[1]}`,
			err: "States.QueryEvaluationError", cause: "The MaxItemsPerBatch field must be a positive integer, but was: 0", location: "ItemBatcher/MaxItemsPerBatch"},
		{name: "JSONata MaxItemsPerBatch a string", jsonata: true, fields: `"ItemBatcher":{"MaxItemsPerBatch":"{% 'two' %}"}`, input: `{"items":[1]}`,
			err: "States.QueryEvaluationError", cause: "specified for the field 'ItemBatcher/MaxItemsPerBatch' returned an unexpected result type. Expected 'integer', but was 'string'", location: "ItemBatcher/MaxItemsPerBatch"},
		{name: "JSONata MaxInputBytesPerBatch over 256 KiB", jsonata: true, fields: `"ItemBatcher":{"MaxInputBytesPerBatch":"{% 262145 %}"}`, input: `{"items":[1]}`,
			err: "States.QueryEvaluationError", cause: "The MaxInputBytesPerBatch field must be an integer from 1 to 262144, but was: 262145", location: "ItemBatcher/MaxInputBytesPerBatch"},
		{name: "JSONata BatchInput undefined", jsonata: true, fields: `"ItemBatcher":{"MaxItemsPerBatch":1,"BatchInput":{"x":"{% $states.input.nope %}"}}`, input: `{"items":[1]}`,
			err: "States.QueryEvaluationError", cause: "ItemBatcher/BatchInput/x", location: "ItemBatcher/BatchInput/x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, rec := run(t, compile(t, batchMap(tc.fields, "", tc.jsonata)), tc.input, echo)
			w := want{Status: interp.Failed, Error: tc.err}
			if tc.jsonata {
				w.CauseContains = tc.cause
			} else {
				w.Cause = tc.cause
			}
			check(t, res, w)
			checkChain(t, res.History)
			if len(rec.calls) != 0 {
				t.Errorf("%d children ran; the batches must fail before any starts", len(rec.calls))
			}
			if n := len(eventsOf(res.History, "MapRunStarted")); n != 0 {
				t.Errorf("%d MapRunStarted events; the Map Run never started", n)
			}
			if tc.location != "" {
				ev := eventsOf(res.History, "EvaluationFailed")
				if len(ev) != 1 || field(t, ev[0], "location") != tc.location {
					t.Errorf("EvaluationFailed = %v, want location %s", ev, tc.location)
				}
			}
		})
	}
}

// Tolerated failures count items: a failed batch fails every item in it.
// Ten items in batches of three: [0 1 2] [3 4 5] [6 7 8] [9].
func TestMapBatchToleratedFailures(t *testing.T) {
	tests := []struct {
		name, tolerance string
		failing         []int // batches that fail
		err             string
	}{
		{name: "no tolerance", failing: []int{2}, err: "Batch.Bad"},
		{name: "count covers the batch's items", tolerance: `"ToleratedFailureCount":3,`, failing: []int{1}},
		{name: "count below the batch's items", tolerance: `"ToleratedFailureCount":2,`, failing: []int{1}, err: "States.ExceedToleratedFailureThreshold"},
		{name: "count of the short last batch", tolerance: `"ToleratedFailureCount":1,`, failing: []int{3}},
		{name: "count over two batches", tolerance: `"ToleratedFailureCount":4,`, failing: []int{0, 3}},
		{name: "count under two batches", tolerance: `"ToleratedFailureCount":3,`, failing: []int{0, 3}, err: "States.ExceedToleratedFailureThreshold"},
		{name: "percentage of items reached", tolerance: `"ToleratedFailurePercentage":30,`, failing: []int{1}},
		{name: "percentage of items exceeded", tolerance: `"ToleratedFailurePercentage":29,`, failing: []int{1}, err: "States.ExceedToleratedFailureThreshold"},
		{name: "percentage of the last batch", tolerance: `"ToleratedFailurePercentage":10,`, failing: []int{3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := batchMap(tc.tolerance+`"ItemBatcher":{"MaxItemsPerBatch":3}`, "", false)
			bad := map[int64]bool{}
			for _, b := range tc.failing {
				bad[int64(b*3)] = true
			}
			res, rec := run(t, compile(t, def), `{"items":[0,1,2,3,4,5,6,7,8,9]}`, func(_ string, _ int, in any) (any, error) {
				first, _ := jsonv.Integer(in.(*jsonv.Object).Value("Items").([]any)[0])
				if bad[first] {
					return nil, fail("Batch.Bad", fmt.Sprint("batch ", first/3))
				}
				return in, nil
			})
			checkChain(t, res.History)
			if tc.err != "" {
				w := want{Status: interp.Failed, Error: tc.err}
				if tc.err == "States.ExceedToleratedFailureThreshold" {
					w.Cause = "The specified tolerated failure threshold was exceeded"
				}
				check(t, res, w)
				if d := detailsJSON(t, eventsOf(res.History, "MapRunFailed")[0]); d["error"] != tc.err {
					t.Errorf("MapRunFailed details = %v", d)
				}
				return
			}
			check(t, res, want{Status: interp.Succeeded})
			if len(rec.calls) != 4 {
				t.Errorf("%d children, want 4", len(rec.calls))
			}
			out := res.Output.([]any)
			if len(out) != 4 {
				t.Fatalf("output = %s, want one result per batch", jsonv.String(out))
			}
			for i, r := range out {
				want := rec.calls[i].Input
				if bad[int64(i*3)] {
					want = parseJSON(t, fmt.Sprintf(`{"Error":"Batch.Bad","Cause":"batch %d"}`, i))
				}
				if !jsonv.Equal(r, want) {
					t.Errorf("result %d = %s, want %s", i, jsonv.String(r), jsonv.String(want))
				}
			}
		})
	}
}
