package jsonpath

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

type evalCase struct {
	name  string
	call  string
	input string // JSON; also $$.Execution.Input
	want  string // JSON
}

// awsRecorded are the intrinsic cases whose results were recorded against
// AWS Step Functions by LocalStack's snapshot tests
// (localstack/localstack, tests/aws/services/stepfunctions/, Apache License
// 2.0): the "FunctionResult.$" call, the execution input and the value AWS
// produced.
var awsRecorded = []evalCase{
	{"test_array_0_exec_hist_resp_0", `States.Array()`, `{"FunctionInput":"HelloWorld"}`, `[]`},
	{"test_array_2_exec_hist_resp_0", `States.Array($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"","snd":""}}`, `["",""]`},
	{"test_array_2_exec_hist_resp_1", `States.Array($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":" ","snd":" "}}`, `[" "," "]`},
	{"test_array_2_exec_hist_resp_2", `States.Array($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"HelloWorld","snd":"HelloWorld"}}`, `["HelloWorld","HelloWorld"]`},
	{"test_array_2_exec_hist_resp_3", `States.Array($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":null,"snd":null}}`, `[null,null]`},
	{"test_array_2_exec_hist_resp_5", `States.Array($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":1.1,"snd":1.1}}`, `[1.1,1.1]`},
	{"test_array_2_exec_hist_resp_6", `States.Array($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"{\"Arg1\": 1, \"Arg2\": []}","snd":"{\"Arg1\": 1, \"Arg2\": []}"}}`, `["{\"Arg1\": 1, \"Arg2\": []}","{\"Arg1\": 1, \"Arg2\": []}"]`},
	{"test_array_2_exec_hist_resp_7", `States.Array($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":{"Arg1":1,"Arg2":[]},"snd":{"Arg1":1,"Arg2":[]}}}`, `[{"Arg1":1,"Arg2":[]},{"Arg1":1,"Arg2":[]}]`},
	{"test_array_contains_exec_hist_resp_1", `States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[],"snd":[]}}`, `false`},
	{"test_array_contains_exec_hist_resp_2", `States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[],"snd":1}}`, `false`},
	{"test_array_contains_exec_hist_resp_3", `States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[[1,2,3],2],"snd":null}}`, `false`},
	{"test_array_contains_exec_hist_resp_4", `States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[[1,2,3],2],"snd":[1,2,3]}}`, `true`},
	{"test_array_contains_exec_hist_resp_5", `States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[{"1":2,"2":[]}],"snd":[]}}`, `false`},
	{"test_array_contains_exec_hist_resp_8", `States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[true,false],"snd":false}}`, `true`},
	{"test_array_get_item_exec_hist_resp_0", `States.ArrayGetItem($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[1,2,3,4,5,6,7,8,9],"snd":5}}`, `6`},
	{"test_array_length_exec_hist_resp_0", `States.ArrayLength($.FunctionInput)`, `{"FunctionInput":[1,2,3,4,5,6,7,8,9]}`, `9`},
	{"test_array_partition_exec_hist_resp_1", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[],"snd":2}}`, `[]`},
	{"test_array_partition_exec_hist_resp_10", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1],"snd":1}}`, `[[0],[1]]`},
	{"test_array_partition_exec_hist_resp_11", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1],"snd":2}}`, `[[0,1]]`},
	{"test_array_partition_exec_hist_resp_12", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1],"snd":3}}`, `[[0,1]]`},
	{"test_array_partition_exec_hist_resp_13", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1],"snd":4}}`, `[[0,1]]`},
	{"test_array_partition_exec_hist_resp_14", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1],"snd":5}}`, `[[0,1]]`},
	{"test_array_partition_exec_hist_resp_15", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1,2],"snd":1}}`, `[[0],[1],[2]]`},
	{"test_array_partition_exec_hist_resp_16", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1,2],"snd":2}}`, `[[0,1],[2]]`},
	{"test_array_partition_exec_hist_resp_17", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1,2],"snd":3}}`, `[[0,1,2]]`},
	{"test_array_partition_exec_hist_resp_18", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1,2],"snd":4}}`, `[[0,1,2]]`},
	{"test_array_partition_exec_hist_resp_19", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1,2],"snd":5}}`, `[[0,1,2]]`},
	{"test_array_partition_exec_hist_resp_2", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[],"snd":3}}`, `[]`},
	{"test_array_partition_exec_hist_resp_20", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1,2,3],"snd":1}}`, `[[0],[1],[2],[3]]`},
	{"test_array_partition_exec_hist_resp_21", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1,2,3],"snd":2}}`, `[[0,1],[2,3]]`},
	{"test_array_partition_exec_hist_resp_22", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1,2,3],"snd":3}}`, `[[0,1,2],[3]]`},
	{"test_array_partition_exec_hist_resp_23", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1,2,3],"snd":4}}`, `[[0,1,2,3]]`},
	{"test_array_partition_exec_hist_resp_24", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0,1,2,3],"snd":5}}`, `[[0,1,2,3]]`},
	{"test_array_partition_exec_hist_resp_3", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[],"snd":4}}`, `[]`},
	{"test_array_partition_exec_hist_resp_5", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0],"snd":1}}`, `[[0]]`},
	{"test_array_partition_exec_hist_resp_6", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0],"snd":2}}`, `[[0]]`},
	{"test_array_partition_exec_hist_resp_7", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0],"snd":3}}`, `[[0]]`},
	{"test_array_partition_exec_hist_resp_8", `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":[0],"snd":4}}`, `[[0]]`},
	{"test_array_range_exec_hist_resp_0", `States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)`, `{"FunctionInput":{"fst":0,"snd":9,"trd":3}}`, `[0,3,6,9]`},
	{"test_array_range_exec_hist_resp_1", `States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)`, `{"FunctionInput":{"fst":0,"snd":10,"trd":3}}`, `[0,3,6,9]`},
	{"test_array_range_exec_hist_resp_2", `States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)`, `{"FunctionInput":{"fst":1,"snd":9,"trd":9}}`, `[1]`},
	{"test_array_range_exec_hist_resp_3", `States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)`, `{"FunctionInput":{"fst":1,"snd":9,"trd":2}}`, `[1,3,5,7,9]`},
	{"test_array_unique_exec_hist_resp_0", `States.ArrayLength($.FunctionInput)`, `{"FunctionInput":[null,null,true,true,false,false,1,1,1.1,0,0,"HelloWorld","HelloWorld",[],[],[null],[null],{"a":1,"b":2},{"a":1,"b":2},{"a":1,"b":1}]}`, `20`},
	{"test_base_64_decode_exec_hist_resp_0", `States.Base64Decode($.FunctionInput)`, `{"FunctionInput":""}`, `""`},
	{"test_base_64_decode_exec_hist_resp_1", `States.Base64Decode($.FunctionInput)`, `{"FunctionInput":"RGF0YSB0byBlbmNvZGU="}`, `"Data to encode"`},
	{"test_base_64_encode_exec_hist_resp_0", `States.Base64Encode($.FunctionInput)`, `{"FunctionInput":""}`, `""`},
	{"test_base_64_encode_exec_hist_resp_1", `States.Base64Encode($.FunctionInput)`, `{"FunctionInput":"Data to encode"}`, `"RGF0YSB0byBlbmNvZGU="`},
	{"test_escape_sequence_exec_hist_resp_0", "States.StringSplit('Hello\nWorld', '\n')", `{"FunctionInput":null}`, `["Hello","World"]`},
	{"test_format_1_exec_hist_resp_0", `States.Format('Formatting argument {}.', $.FunctionInput)`, `{"FunctionInput":""}`, `"Formatting argument ."`},
	{"test_format_1_exec_hist_resp_1", `States.Format('Formatting argument {}.', $.FunctionInput)`, `{"FunctionInput":" "}`, `"Formatting argument  ."`},
	{"test_format_1_exec_hist_resp_2", `States.Format('Formatting argument {}.', $.FunctionInput)`, `{"FunctionInput":"HelloWorld"}`, `"Formatting argument HelloWorld."`},
	{"test_format_1_exec_hist_resp_3", `States.Format('Formatting argument {}.', $.FunctionInput)`, `{"FunctionInput":null}`, `"Formatting argument null."`},
	{"test_format_1_exec_hist_resp_4", `States.Format('Formatting argument {}.', $.FunctionInput)`, `{"FunctionInput":1}`, `"Formatting argument 1."`},
	{"test_format_1_exec_hist_resp_5", `States.Format('Formatting argument {}.', $.FunctionInput)`, `{"FunctionInput":1.1}`, `"Formatting argument 1.1."`},
	{"test_format_1_exec_hist_resp_6", `States.Format('Formatting argument {}.', $.FunctionInput)`, `{"FunctionInput":"{\"Arg1\": 1, \"Arg2\": []}"}`, `"Formatting argument {\"Arg1\": 1, \"Arg2\": []}."`},
	{"test_format_2_exec_hist_resp_0", `States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"","snd":""}}`, `"Formatting arguments fst= and snd=."`},
	{"test_format_2_exec_hist_resp_1", `States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":" ","snd":" "}}`, `"Formatting arguments fst=  and snd= ."`},
	{"test_format_2_exec_hist_resp_2", `States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"HelloWorld","snd":"HelloWorld"}}`, `"Formatting arguments fst=HelloWorld and snd=HelloWorld."`},
	{"test_format_2_exec_hist_resp_3", `States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":null,"snd":null}}`, `"Formatting arguments fst=null and snd=null."`},
	{"test_format_2_exec_hist_resp_4", `States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":1,"snd":1}}`, `"Formatting arguments fst=1 and snd=1."`},
	{"test_format_2_exec_hist_resp_5", `States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":1.1,"snd":1.1}}`, `"Formatting arguments fst=1.1 and snd=1.1."`},
	{"test_format_2_exec_hist_resp_6", `States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"{\"Arg1\": 1, \"Arg2\": []}","snd":"{\"Arg1\": 1, \"Arg2\": []}"}}`, `"Formatting arguments fst={\"Arg1\": 1, \"Arg2\": []} and snd={\"Arg1\": 1, \"Arg2\": []}."`},
	{"test_format_2_exec_hist_resp_7", `States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":{"Arg1":1,"Arg2":[]},"snd":{"Arg1":1,"Arg2":[]}}}`, `"Formatting arguments fst={Arg1=1, Arg2=[]} and snd={Arg1=1, Arg2=[]}."`},
	{"test_hash_exec_hist_resp_1", `States.Hash($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"input data","snd":"SHA-1"}}`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
	{"test_hash_exec_hist_resp_2", `States.Hash($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"input data","snd":"SHA-256"}}`, `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
	{"test_hash_exec_hist_resp_3", `States.Hash($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"input data","snd":"SHA-384"}}`, `"d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562"`},
	{"test_hash_exec_hist_resp_4", `States.Hash($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"input data","snd":"SHA-512"}}`, `"6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4"`},
	{"test_json_merge_exec_hist_resp_0", `States.JsonMerge($.FunctionInput.fst, $.FunctionInput.snd, false)`, `{"FunctionInput":{"fst":{"a":{"a1":1,"a2":2},"b":2,"d":3},"snd":{"a":{"a3":1,"a4":2},"c":3,"d":4}}}`, `{"a":{"a3":1,"a4":2},"b":2,"c":3,"d":4}`},
	{"test_json_to_string_exec_hist_resp_0", `States.JsonToString($.FunctionInput)`, `{"FunctionInput":null}`, `"null"`},
	{"test_json_to_string_exec_hist_resp_1", `States.JsonToString($.FunctionInput)`, `{"FunctionInput":0}`, `"0"`},
	{"test_json_to_string_exec_hist_resp_2", `States.JsonToString($.FunctionInput)`, `{"FunctionInput":1}`, `"1"`},
	{"test_json_to_string_exec_hist_resp_4", `States.JsonToString($.FunctionInput)`, `{"FunctionInput":true}`, `"true"`},
	{"test_json_to_string_exec_hist_resp_5", `States.JsonToString($.FunctionInput)`, `{"FunctionInput":"HelloWorld"}`, `"\"HelloWorld\""`},
	{"test_json_to_string_exec_hist_resp_6", `States.JsonToString($.FunctionInput)`, `{"FunctionInput":[1,2,"HelloWorld"]}`, `"[1,2,\"HelloWorld\"]"`},
	{"test_json_to_string_exec_hist_resp_7", `States.JsonToString($.FunctionInput)`, `{"FunctionInput":{"Arg1":1,"Arg2":[]}}`, `"{\"Arg1\":1,\"Arg2\":[]}"`},
	{"test_string_to_json_exec_hist_resp_0", `States.StringToJson($.FunctionInput)`, `{"FunctionInput":""}`, `null`},
	{"test_string_to_json_exec_hist_resp_1", `States.StringToJson($.FunctionInput)`, `{"FunctionInput":" "}`, `null`},
	{"test_string_to_json_exec_hist_resp_2", `States.StringToJson($.FunctionInput)`, `{"FunctionInput":"null"}`, `null`},
	{"test_string_to_json_exec_hist_resp_3", `States.StringToJson($.FunctionInput)`, `{"FunctionInput":"-0"}`, `0`},
	{"test_string_to_json_exec_hist_resp_4", `States.StringToJson($.FunctionInput)`, `{"FunctionInput":"1"}`, `1`},
	{"test_string_to_json_exec_hist_resp_5", `States.StringToJson($.FunctionInput)`, `{"FunctionInput":"1.1"}`, `1.1`},
	{"test_string_to_json_exec_hist_resp_6", `States.StringToJson($.FunctionInput)`, `{"FunctionInput":"true"}`, `true`},
	{"test_string_to_json_exec_hist_resp_7", `States.StringToJson($.FunctionInput)`, `{"FunctionInput":"\"HelloWorld\""}`, `"HelloWorld"`},
	{"test_string_to_json_exec_hist_resp_8", `States.StringToJson($.FunctionInput)`, `{"FunctionInput":"[1, 2, \"HelloWorld\"]"}`, `[1,2,"HelloWorld"]`},
	{"test_string_to_json_exec_hist_resp_9", `States.StringToJson($.FunctionInput)`, `{"FunctionInput":"{\"Arg1\": 1, \"Arg2\": []}"}`, `{"Arg1":1,"Arg2":[]}`},
	{"test_math_add_exec_hist_resp_10", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":-1.5,"snd":0}}`, `-1`},
	{"test_math_add_exec_hist_resp_11", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":-1.51,"snd":0}}`, `-2`},
	{"test_math_add_exec_hist_resp_12", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":0.5,"snd":0}}`, `1`},
	{"test_math_add_exec_hist_resp_14", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":2.5,"snd":0}}`, `3`},
	{"test_math_add_exec_hist_resp_15", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":3.5,"snd":0}}`, `4`},
	{"test_math_add_exec_hist_resp_16", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":-0.5,"snd":0.5}}`, `1`},
	{"test_math_add_exec_hist_resp_17", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":-0.5,"snd":0}}`, `0`},
	{"test_math_add_exec_hist_resp_18", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":-1.5,"snd":0}}`, `-1`},
	{"test_math_add_exec_hist_resp_19", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":-2.5,"snd":0}}`, `-2`},
	{"test_math_add_exec_hist_resp_2", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":1.5,"snd":1.51}}`, `4`},
	{"test_math_add_exec_hist_resp_20", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":-3.5,"snd":0}}`, `-3`},
	{"test_math_add_exec_hist_resp_4", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":-1.5,"snd":-1.51}}`, `-3`},
	{"test_math_add_exec_hist_resp_6", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":1.49,"snd":-1.49}}`, `0`},
	{"test_math_add_exec_hist_resp_9", `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":-1.49,"snd":0}}`, `-1`},
	{"test_string_split_exec_hist_resp_0", `States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":" ","snd":","}}`, `[" "]`},
	{"test_string_split_exec_hist_resp_1", `States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":" , ","snd":","}}`, `[" "," "]`},
	{"test_string_split_exec_hist_resp_2", `States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":", , ,","snd":","}}`, `[" "," "]`},
	{"test_string_split_exec_hist_resp_3", `States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":",,,,","snd":","}}`, `[]`},
	{"test_string_split_exec_hist_resp_5", `States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"This.is+a,test=string","snd":".+,="}}`, `["This","is","a","test","string"]`},
	{"test_string_split_exec_hist_resp_6", `States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"split on T and \nnew line","snd":"T\n"}}`, `["split on "," and ","new line"]`},
	// Recorded with context-object and variable arguments; the scope built by
	// testScope supplies the same values.
	{"test_string_split_context_object", `States.StringSplit($$.Execution.Input.FunctionInput, ',')`,
		`{"FunctionInput":"Value1,Value2,Value3\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n"}`,
		`["Value1","Value2","Value3\nValue4","Value5","Value6\n","\ntrue","1","'HelloWorld'\nNull","None","\n   \n"]`},
	{"test_context_json_path", `States.Format('Formatting arguments fst={} and snd={}.', $$.Execution.Name, $$.StateMachine)`,
		`{"FunctionInput":null}`,
		`"Formatting arguments fst=exec-1 and snd={Id=arn:aws:states:us-east-1:111111111111:stateMachine:sm, Name=sm}."`},
	{"test_nested_calls_1", `States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)`, `{}`, `"sm"`},
	{"test_nested_calls_2", `States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))`, `{}`, `"sm"`},
	{"test_json_merge_escaped_argument", `States.JsonMerge(States.StringToJson('{"constant_in_literal": "false"}'), $$.Execution.Input.input_field, false)`,
		`{"input_field":{"constant_input_field":"constant_value"}}`,
		`{"constant_input_field":"constant_value","constant_in_literal":"false"}`},
	{"map_state_reference_in_intrinsic_function", `States.Format($AnswerTemplate, $$.Map.Item.Value)`, `{}`, `"It's Charizard!"`},
	{"assign_from_intrinsic_get_item", `States.ArrayGetItem($.inputArray, 2)`, `{"inputArray":[1,2,3,4,5,6]}`, `3`},
	{"assign_from_intrinsic_base64", `States.Base64Encode($.rawString)`, `{"rawString":"Hello World"}`, `"SGVsbG8gV29ybGQ="`},
	{"assign_from_intrinsic_merge", `States.JsonMerge($.json1, $.json2, false)`, `{"json1":{"a":1,"b":2},"json2":{"c":3,"d":4}}`, `{"a":1,"b":2,"c":3,"d":4}`},
	{"assign_from_intrinsic_format", `States.Format('Hello {}, welcome to {}!', $.name, $.place)`, `{"name":"John","place":"LocalStack"}`, `"Hello John, welcome to LocalStack!"`},
	{"assign_reference_hash", `States.Hash($inputString, 'SHA-256')`, `{}`, `"1cac63f39fd68d8c531f27b807610fb3d50f0fc3f186995767fb6316e7200a3e"`},
	{"assign_base_paths", `States.Format('Format Func {}', $.input_value)`, `{"input_value":"input_value_literal"}`, `"Format Func input_value_literal"`},
	{"assign_from_intrinsic_range", `States.ArrayRange(1, 10, 2)`, `{}`, `[1,3,5,7,9]`},
	{"assign_from_intrinsic_unique", `States.ArrayUnique($.duplicateArray)`, `{"duplicateArray":[1,2,2,3,3,4]}`, `[1,2,3,4]`},
	{"assign_from_intrinsic_contains", `States.ArrayContains($.inputArray, 5)`, `{"inputArray":[1,2,3,4,5,6]}`, `true`},
	{"assign_from_intrinsic_partition", `States.ArrayPartition($.inputArray, 2)`, `{"inputArray":[1,2,3,4,5,6]}`, `[[1,2],[3,4],[5,6]]`},
	{"assign_from_intrinsic_split", `States.StringSplit($.csvString, ',')`, `{"csvString":"a,b,c,d,e"}`, `["a","b","c","d","e"]`},
	{"map_reentrant_range", `States.ArrayRange(0, 3, 1)`, `{}`, `[0,1,2,3]`},
	{"map_reentrant_add", `States.MathAdd($.Iterations, -1)`, `{"Iterations":1}`, `0`},
	// From the same AWS snapshot, dropped from the case files.
	{"test_math_add_0", `States.MathAdd($.a, $.b)`, `{"a":-9,"b":3}`, `-6`},
	{"test_math_add_1", `States.MathAdd($.a, $.b)`, `{"a":1.49,"b":1.5}`, `3`},
	{"test_math_add_3", `States.MathAdd($.a, $.b)`, `{"a":-1.49,"b":-1.5}`, `-2`},
	{"test_hash_md5", `States.Hash($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput":{"fst":"input data","snd":"MD5"}}`, `"812f45842bc6d66ee14572ce20db8e86"`},
}

var evalCases = []evalCase{
	// States.Format
	{"format escaped braces are not placeholders", `States.Format('\{\} {} \{}', 'x')`, `{}`, `"{} x {}"`},
	{"format escaped closing brace", `States.Format('{\}{}', 1)`, `{}`, `"{}1"`},
	{"format escapes", `States.Format('It\'s a \\ {}', true)`, `{}`, `"It's a \\ true"`},
	{"format lone braces are literal", `States.Format('{ x } {}', 1)`, `{}`, `"{ x } 1"`},
	{"format literal values", `States.Format('{} {} {} {} {}', 1, -2.5, false, null, 'q')`, `{}`, `"1 -2.5 false null q"`},
	{"format no placeholders", `States.Format('plain')`, `{}`, `"plain"`},
	{"format nested values like Java toString", `States.Format('{}', $.o)`, `{"o":{"b":[1,"x",null,{"c":1.5}],"a":"s"}}`, `"{b=[1, x, null, {c=1.5}], a=s}"`},
	{"format array value", `States.Format('{}', $.a)`, `{"a":[1,[true,"t"],{}]}`, `"[1, [true, t], {}]"`},
	{"format template from input", `States.Format($.t, $.n, $.n)`, `{"t":"n={} and {}","n":1}`, `"n=1 and 1"`},
	{"format input template keeps backslashes", `States.Format($.t, 2)`, `{"t":"a\\{}"}`, `"a\\2"`},
	{"format variable", `States.Format('Hello {}', $name)`, `{}`, `"Hello World"`},
	{"format nested call", `States.Format('[{}]', States.Format('{}-{}', 1, 2))`, `{}`, `"[1-2]"`},
	{"format template from a call", `States.Format(States.Format('{}', $.t), 'v')`, `{"t":"<{}>"}`, `"<v>"`},
	{"format multibyte", `States.Format('→{}←', 'ü')`, `{}`, `"→ü←"`},

	// States.StringToJson / States.JsonToString
	{"string to json literal", `States.StringToJson('{"a":[1,2]}')`, `{}`, `{"a":[1,2]}`},
	{"string to json blank", `States.StringToJson($.s)`, `{"s":"\t\n "}`, `null`},
	{"string to json float", `States.StringToJson('2.5')`, `{}`, `2.5`},
	{"json to string keeps key order", `States.JsonToString($.o)`, `{"o":{"b":1,"a":{"d":[true,null],"c":"x\"y"}}}`, `"{\"b\":1,\"a\":{\"d\":[true,null],\"c\":\"x\\\"y\"}}"`},
	{"json to string root", `States.JsonToString($)`, `{"a":1}`, `"{\"a\":1}"`},
	{"json to string of a call", `States.JsonToString(States.Array(1, 'a'))`, `{}`, `"[1,\"a\"]"`},
	{"json to string context", `States.JsonToString($$.StateMachine.Name)`, `{}`, `"\"sm\""`},
	{"json round trip", `States.StringToJson(States.JsonToString($.o))`, `{"o":{"k":[1,2.5,"s"]}}`, `{"k":[1,2.5,"s"]}`},

	// States.Array
	{"array of everything", `States.Array(1, 'two', 3.5, true, null, $.a, States.Array())`, `{"a":{"x":1}}`, `[1,"two",3.5,true,null,{"x":1},[]]`},
	{"array of negative and exponent numbers", `States.Array(-0, -7, 1e3, 2.5E-1)`, `{}`, `[0,-7,1e3,0.25]`},
	{"array of a non-reference path", `States.Array($.a[*].b)`, `{"a":[{"b":1},{"b":2}]}`, `[[1,2]]`},
	{"array of a filter with a comma", `States.Array($.items[?(@.k == 'a, b')])`, `{"items":[{"k":"a, b"},{"k":"c"}]}`, `[[{"k":"a, b"}]]`},
	{"array of a quoted name", `States.Array($['a b'])`, `{"a b":1}`, `[1]`},

	// States.ArrayPartition
	{"partition integral float size", `States.ArrayPartition($.a, 2.0)`, `{"a":[1,2,3]}`, `[[1,2],[3]]`},
	{"partition huge size", `States.ArrayPartition($.a, 9223372036854775807)`, `{"a":[1,2,3]}`, `[[1,2,3]]`},
	{"partition docs example", `States.ArrayPartition($.inputArray, 4)`, `{"inputArray":[1,2,3,4,5,6,7,8,9]}`, `[[1,2,3,4],[5,6,7,8],[9]]`},

	// States.ArrayContains
	{"contains number by value", `States.ArrayContains($.a, 1.0)`, `{"a":[1]}`, `true`},
	{"contains object", `States.ArrayContains($.a, $.o)`, `{"a":[1,{"x":1,"y":[2]}],"o":{"y":[2],"x":1}}`, `true`},
	{"contains string not number", `States.ArrayContains($.a, '1')`, `{"a":[1]}`, `false`},
	{"contains null", `States.ArrayContains($.a, null)`, `{"a":[1,null]}`, `true`},

	// States.ArrayRange
	{"range docs example", `States.ArrayRange(1, 9, 2)`, `{}`, `[1,3,5,7,9]`},
	{"range descending", `States.ArrayRange(9, 1, -2)`, `{}`, `[9,7,5,3,1]`},
	{"range wrong direction is empty", `States.ArrayRange(1, 9, -1)`, `{}`, `[]`},
	{"range single", `States.ArrayRange(5, 5, 1)`, `{}`, `[5]`},
	{"range negative", `States.ArrayRange(-3, 3, 3)`, `{}`, `[-3,0,3]`},
	{"range 1000 items", `States.ArrayLength(States.ArrayRange(0, 999, 1))`, `{}`, `1000`},
	{"range extreme bounds", `States.ArrayRange(-9223372036854775808, 9223372036854775807, 9223372036854775807)`, `{}`, `[-9223372036854775808,-1,9223372036854775806]`},

	// States.ArrayGetItem / ArrayLength
	{"get item", `States.ArrayGetItem(States.Array('a', 'b'), 1)`, `{}`, `"b"`},
	{"get item integral float index", `States.ArrayGetItem($.a, $.i)`, `{"a":[1,2],"i":1.0}`, `2`},
	{"get item from split", `States.ArrayGetItem(States.StringSplit($$.StateMachine.Id, ':'), 5)`, `{}`, `"stateMachine"`},
	{"length empty", `States.ArrayLength(States.Array())`, `{}`, `0`},

	// States.ArrayUnique
	{"unique keeps first occurrences", `States.ArrayUnique($.a)`,
		`{"a":[1,2,2,"2",1.0,{"a":1,"b":2},{"b":2,"a":1},[1],[1],null,null,true,false,true]}`,
		`[1,2,"2",{"a":1,"b":2},[1],null,true,false]`},
	{"unique empty", `States.ArrayUnique($.a)`, `{"a":[]}`, `[]`},

	// States.Base64Encode / Base64Decode
	{"base64 encode utf-8", `States.Base64Encode('héllo ✓')`, `{}`, `"aMOpbGxvIOKckw=="`},
	{"base64 decode padded", `States.Base64Decode('SGk=')`, `{}`, `"Hi"`},
	{"base64 decode unpadded", `States.Base64Decode('SGk')`, `{}`, `"Hi"`},
	{"base64 round trip", `States.Base64Decode(States.Base64Encode($.s))`, `{"s":"a\u0000b ✓"}`, `"a\u0000b ✓"`},
	{"base64 decode invalid utf-8", `States.Base64Decode('/w==')`, `{}`, `"\ufffd"`},
	{"base64 encode at the limit", `States.ArrayLength(States.Array(States.Base64Encode($.s)))`, `{"s":"` + strings.Repeat("a", 10000) + `"}`, `1`},
	{"base64 encode at the limit in UTF-16 units", `States.ArrayLength(States.Array(States.Base64Encode($.s)))`, `{"s":"` + strings.Repeat("😀", 5000) + `"}`, `1`},

	// States.Hash
	{"hash sha-1 multibyte", `States.Hash('✓', 'SHA-1')`, `{}`, `"698a879938bf4d71b92190d2b8f19c0e1d4abeef"`},
	{"hash empty md5", `States.Hash('', 'MD5')`, `{}`, `"d41d8cd98f00b204e9800998ecf8427e"`},

	// States.JsonMerge
	{"merge second wins shallowly", `States.JsonMerge($.a, $.b, false)`, `{"a":{"x":{"p":1},"y":1},"b":{"x":{"q":2}}}`, `{"x":{"q":2},"y":1}`},
	{"merge empty", `States.JsonMerge($.a, States.StringToJson('{}'), false)`, `{"a":{"k":1}}`, `{"k":1}`},

	// States.MathAdd
	{"add literals", `States.MathAdd(111, -1)`, `{}`, `110`},
	{"add int32 bounds", `States.MathAdd(2147483647, -2147483648)`, `{}`, `-1`},
	{"add rounds literal floats", `States.MathAdd(0.5, -0.5)`, `{}`, `1`},
	{"add integral float", `States.MathAdd($.a, 1)`, `{"a":2.0}`, `3`},
	// AWS's handling of a sum outside the int32 range is unrecorded; the
	// true sum is returned.
	{"add sum past int32", `States.MathAdd(2147483647, 1)`, `{}`, `2147483648`},

	// States.MathRandom with a seed is a pure function of its arguments.
	{"random seeded in range", `States.ArrayContains(States.ArrayRange(0, 998, 1), States.MathRandom(0, 999, 3))`, `{}`, `true`},
	{"random one value", `States.MathRandom(7, 8, 1)`, `{}`, `7`},
	{"random rounds bounds", `States.MathRandom(6.5, 7.5, 1)`, `{}`, `7`},

	// States.StringSplit
	{"split on several delimiters", `States.StringSplit('a,b;c', ',;')`, `{}`, `["a","b","c"]`},
	{"split empty delimiters", `States.StringSplit('abc', '')`, `{}`, `["abc"]`},
	{"split empty string", `States.StringSplit('', ',')`, `{}`, `[]`},
	{"split multibyte delimiter", `States.StringSplit('a→b→→c', '→')`, `{}`, `["a","b","c"]`},
	{"split with a literal newline", "States.StringSplit('x\ny', '\n')", `{}`, `["x","y"]`},

	// Syntax variations
	{"whitespace everywhere", " \tStates.MathAdd ( 1 ,\n2 ) \n", `{}`, `3`},
	{"nested ten deep", nestedArrays(10), `{}`, `[[[[[[[[[[]]]]]]]]]]`},
	{"variables in nested calls", `States.MathAdd(States.MathAdd(States.MathAdd($yCurrent, $xCurrent), $zCurrent), $bias)`, `{}`, `63`},
	{"variable path steps", `States.Array($obj.list[1], $$.Map.Item.Index)`, `{}`, `["b",2]`},
}

// nestedArrays returns States.Array(States.Array(...)) depth calls deep.
func nestedArrays(depth int) string {
	return strings.Repeat("States.Array(", depth) + strings.Repeat(")", depth)
}

// testScope supplies the context object, variables and randomness the
// tables rely on. Rand counts up so results are repeatable.
func testScope(input any) *Scope {
	input = jsonv.Normalize(input)
	ctx := jsonv.Normalize(map[string]any{
		"Execution": map[string]any{
			"Id":    "arn:aws:states:us-east-1:111111111111:execution:sm:exec-1",
			"Name":  "exec-1",
			"Input": input,
		},
		"StateMachine": map[string]any{
			"Id":   "arn:aws:states:us-east-1:111111111111:stateMachine:sm",
			"Name": "sm",
		},
		"Map": map[string]any{
			"Item": map[string]any{"Value": "Charizard", "Index": int64(2)},
		},
	})
	vars := map[string]any{
		"name":           "World",
		"AnswerTemplate": "It's {}!",
		"xCurrent":       int64(9),
		"yCurrent":       int64(44),
		"zCurrent":       int64(6),
		"bias":           4.3,
		"inputString":    "Hash this string",
		"obj":            jsonv.ObjectOf("list", []any{"a", "b"}),
	}
	var n uint64
	return &Scope{
		Input: input,
		Env: FuncEnv{
			Context: func() any { return ctx },
			Var: func(name string) (any, bool) {
				v, ok := vars[name]
				return v, ok
			},
			Rand: func() uint64 {
				n += 0x9e3779b97f4a7c15
				return n
			},
		},
	}
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := jsonv.ParseString(s)
	if err != nil {
		t.Fatalf("bad test JSON %q: %v", s, err)
	}
	return v
}

// sameNumberKinds reports whether every integer in want is an int64 in got,
// which jsonv.Equal does not check (it equates 1 and 1.0).
func sameNumberKinds(got, want any) bool {
	switch w := want.(type) {
	case int64:
		_, ok := got.(int64)
		return ok
	case []any:
		g, _ := got.([]any)
		for i := range w {
			if i >= len(g) || !sameNumberKinds(g[i], w[i]) {
				return false
			}
		}
	case *jsonv.Object:
		g, _ := got.(*jsonv.Object)
		for k, wv := range w.All() {
			if !sameNumberKinds(g.Value(k), wv) {
				return false
			}
		}
	}
	return true
}

func runEvalCases(t *testing.T, cases []evalCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseIntrinsic(tc.call)
			if err != nil {
				t.Fatalf("ParseIntrinsic(%q): %v", tc.call, err)
			}
			input := mustJSON(t, tc.input)
			before := jsonv.String(input)
			got, err := f.Eval(testScope(input))
			if err != nil {
				t.Fatalf("Eval(%q): %v", tc.call, err)
			}
			want := mustJSON(t, tc.want)
			if !jsonv.Equal(got, want) || !sameNumberKinds(got, want) {
				t.Errorf("%s\n got  %s (%#v)\n want %s", tc.call, jsonv.String(got), got, tc.want)
			}
			if after := jsonv.String(input); after != before {
				t.Errorf("input changed: %s -> %s", before, after)
			}
		})
	}
}

func TestIntrinsicAWSRecorded(t *testing.T) { runEvalCases(t, awsRecorded) }

func TestIntrinsicEval(t *testing.T) { runEvalCases(t, evalCases) }

func TestIntrinsicEvalFailures(t *testing.T) {
	long := `{"s":"` + strings.Repeat("a", 10001) + `"}`
	longUTF16 := `{"s":"` + strings.Repeat("😀", 5000) + `a"}`
	cases := []struct {
		call, input, cause string
	}{
		{`States.Format($.n)`, `{"n":1}`, "Invalid arguments in States.Format: the template (first argument) must be a string, but was a number"},
		{`States.Format($.t, 1)`, `{"t":"{} {}"}`, "the template has 2 {} placeholder(s) but 1 value(s) were given"},
		{`States.Format($.t)`, `{"t":"{}"}`, "the template has 1 {} placeholder(s) but 0 value(s)"},
		{`States.StringToJson($.n)`, `{"n":null}`, "States.StringToJson: the argument must be a string, but was null"},
		{`States.StringToJson('{')`, `{}`, "States.StringToJson: the argument is not valid JSON"},
		{`States.StringToJson('1 2')`, `{}`, "not valid JSON"},
		{`States.StringToJson('{"a":1} x')`, `{}`, "not valid JSON"},
		{`States.ArrayPartition($.o, 1)`, `{"o":{}}`, "States.ArrayPartition: the first argument must be an array, but was an object"},
		{`States.ArrayPartition($.a, 0)`, `{"a":[1]}`, "the chunk size must be a positive, non-zero integer, but was 0"},
		{`States.ArrayPartition($.a, -1)`, `{"a":[1]}`, "positive, non-zero integer"},
		{`States.ArrayPartition($.a, 1.5)`, `{"a":[1]}`, "the chunk size must be an integer, but was 1.5"},
		{`States.ArrayPartition($.a, '2')`, `{"a":[1]}`, "the chunk size must be an integer, but was a string"},
		{`States.ArrayContains('abc', 'a')`, `{}`, "States.ArrayContains: the first argument must be an array, but was a string"},
		{`States.ArrayRange(1, 5, 0)`, `{}`, "States.ArrayRange: the step (third argument) must not be 0"},
		{`States.ArrayRange(0, 1000, 1)`, `{}`, "the result would have more than 1000 items"},
		{`States.ArrayRange(1000, -1000, -1)`, `{}`, "more than 1000 items"},
		{`States.ArrayRange(-9223372036854775808, 9223372036854775807, 1)`, `{}`, "more than 1000 items"},
		{`States.ArrayRange(0, 1.5, 1)`, `{}`, "the second argument (end) must be an integer, but was 1.5"},
		{`States.ArrayRange(true, 1, 1)`, `{}`, "the first argument (start) must be an integer, but was a boolean"},
		{`States.ArrayGetItem($.a, -1)`, `{"a":[1,2]}`, "States.ArrayGetItem: the index -1 is out of bounds for an array of length 2"},
		{`States.ArrayGetItem($.a, 2)`, `{"a":[1,2]}`, "the index 2 is out of bounds for an array of length 2"},
		{`States.ArrayGetItem($.a, '1')`, `{"a":[1,2]}`, "the index must be an integer, but was a string"},
		{`States.ArrayGetItem($.a, 0.5)`, `{"a":[1,2]}`, "the index must be an integer, but was 0.5"},
		{`States.ArrayGetItem($.a, 0)`, `{"a":"xy"}`, "the first argument must be an array, but was a string"},
		{`States.ArrayLength($)`, `{}`, "States.ArrayLength: the argument must be an array, but was an object"},
		{`States.ArrayUnique(1)`, `{}`, "States.ArrayUnique: the argument must be an array, but was a number"},
		{`States.Base64Encode(1)`, `{}`, "States.Base64Encode: the argument must be a string, but was a number"},
		{`States.Base64Encode($.s)`, long, "States.Base64Encode: the input must be at most 10000 characters long, but has 10001"},
		{`States.Base64Encode($.s)`, longUTF16, "at most 10000 characters long, but has 10001"},
		{`States.Base64Decode($.s)`, long, "States.Base64Decode: the input must be at most 10000 characters long"},
		{`States.Base64Decode('!!!!')`, `{}`, "States.Base64Decode: the input is not valid base64"},
		{`States.Base64Decode('SGk==')`, `{}`, "not valid base64"},
		{`States.Hash('x', 'sha-256')`, `{}`, `States.Hash: the algorithm "sha-256" is not supported; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512`},
		{`States.Hash('x', 1)`, `{}`, "the algorithm (second argument) must be a string, but was a number"},
		{`States.Hash($.o, 'MD5')`, `{"o":{}}`, "States.Hash: the argument must be a string, but was an object"},
		{`States.Hash($.s, 'MD5')`, long, "at most 10000 characters long"},
		{`States.JsonMerge($.a, $.b, true)`, `{"a":{},"b":{}}`, "States.JsonMerge: deep merging is not supported; the third argument must be false"},
		{`States.JsonMerge($.a, $.b, 'false')`, `{"a":{},"b":{}}`, "the third argument (deep merge) must be a boolean, but was a string"},
		{`States.JsonMerge($.a, $.b, false)`, `{"a":[],"b":{}}`, "the first argument must be an object, but was an array"},
		{`States.JsonMerge($.a, $.b, false)`, `{"a":{},"b":null}`, "the second argument must be an object, but was null"},
		{`States.MathAdd('1', 2)`, `{}`, "States.MathAdd: the first argument must be a number, but was a string"},
		{`States.MathAdd(1, true)`, `{}`, "the second argument must be a number, but was a boolean"},
		{`States.MathAdd(2147483648, 1)`, `{}`, "the first argument 2147483648 is outside the integer range -2147483648 to 2147483647"},
		{`States.MathAdd(1, -2147483649)`, `{}`, "outside the integer range"},
		{`States.MathAdd(2147483647.5, 0)`, `{}`, "the first argument 2147483647.5 is outside the integer range"},
		{`States.MathAdd(1e300, 0)`, `{}`, "outside the integer range"},
		{`States.MathRandom(5, 5)`, `{}`, "States.MathRandom: the start (5) must be less than the end (5), which is exclusive"},
		{`States.MathRandom(1, 'x')`, `{}`, "the end must be a number, but was a string"},
		{`States.MathRandom(0, 4294967296)`, `{}`, "the end 4294967296 is outside the integer range"},
		{`States.MathRandom(0, 10, 'seed')`, `{}`, "the seed must be an integer, but was a string"},
		{`States.StringSplit(1, ',')`, `{}`, "States.StringSplit: the first argument must be a string, but was a number"},
		{`States.StringSplit('a', $.d)`, `{"d":[","]}`, "the delimiter (second argument) must be a string, but was an array"},
		// Failures inside nested calls surface unchanged.
		{`States.ArrayLength(States.StringToJson('{'))`, `{}`, "States.StringToJson: the argument is not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			f, err := ParseIntrinsic(tc.call)
			if err != nil {
				t.Fatalf("ParseIntrinsic(%q): %v", tc.call, err)
			}
			got, err := f.Eval(testScope(mustJSON(t, tc.input)))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Eval(%q) = %s, %v; want an *Error", tc.call, jsonv.String(got), err)
			}
			if e.Name != ErrIntrinsicFailure {
				t.Errorf("error name %q, want %q", e.Name, ErrIntrinsicFailure)
			}
			if !strings.Contains(e.Cause, tc.cause) {
				t.Errorf("cause %q\n does not contain %q", e.Cause, tc.cause)
			}
		})
	}
}

func TestIntrinsicPathNotFound(t *testing.T) {
	cases := []struct{ call, path string }{
		{`States.Format('{}', $.missing)`, "$.missing"},
		{`States.Array($$.Execution.Nope)`, "$$.Execution.Nope"},
		{`States.Array($nope)`, "$nope"},
		{`States.Array($obj.list[5])`, "$obj.list[5]"},
		{`States.ArrayLength(States.Array($.a.b.c))`, "$.a.b.c"},
		{`States.JsonToString($.missing)`, "$.missing"},
		// Arguments are evaluated left to right; the first miss is reported.
		{`States.MathAdd($.x, $.y)`, "$.x"},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			f, err := ParseIntrinsic(tc.call)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.Eval(testScope(map[string]any{"a": map[string]any{}}))
			var pn *PathNotFoundError
			if !errors.As(err, &pn) {
				t.Fatalf("got %v, want *PathNotFoundError", err)
			}
			if pn.Path != tc.path {
				t.Errorf("path %q, want %q", pn.Path, tc.path)
			}
		})
	}
	// A scope with no context or variables misses rather than panics.
	f, _ := ParseIntrinsic(`States.Array($$.Execution.Id, $v)`)
	if _, err := f.Eval(&Scope{}); err == nil {
		t.Error("no context: want an error")
	}
	if _, err := f.Eval(nil); err == nil {
		t.Error("nil scope: want an error")
	}
}

func TestIntrinsicParseErrors(t *testing.T) {
	cases := []struct{ call, err string }{
		{``, "expected an intrinsic function call"},
		{`Format('x')`, "expected an intrinsic function call"},
		{`States.Foo()`, "unknown intrinsic function 'States.Foo'"},
		{`States.format('x')`, "unknown intrinsic function 'States.format'"},
		{`States.()`, "unknown intrinsic function 'States.'"},
		{`States.Format`, "expected '(' after States.Format, found end of input"},
		{`States.Format['x']`, "expected '(' after States.Format"},
		{`States.Format('x'`, "missing ')' at the end of States.Format"},
		{`States.Format('x')x`, "unexpected 'x' after the end of the call"},
		{`States.Format('x') )`, "after the end of the call"},
		{`States.Array(1) States.Array(2)`, "after the end of the call"},
		{`States.Array(1,)`, "unexpected ')'"},
		{`States.Array(,1)`, "unexpected ','"},
		{`States.Array(1 2)`, "expected ',' or ')' in the arguments of States.Array"},
		{`States.Array(1`, "missing ')'"},
		{`States.Array(`, "unexpected end of input"},
		{`States.Array('abc)`, "unterminated string literal (at offset 13)"},
		{`States.Array('a\')`, "unterminated string literal"},
		{`States.Array('a\`, "unterminated string literal"},
		// Recorded against AWS: \" is not an intrinsic escape, so
		// CreateStateMachine fails with SCHEMA_VALIDATION_FAILED.
		{`States.Format('He said, \"Hello, {}!\"', 'Test \"Name\" Here')`, `invalid escape sequence '\"'`},
		{`States.Array('\n')`, `invalid escape sequence '\n'`},
		{`States.Array('\ü')`, `invalid escape sequence '\ü'`},
		{`States.Array("x")`, `unexpected '"'`},
		{`States.Array(True)`, "unexpected 'T'"},
		{`States.Array(nulls)`, "unexpected 'n'"},
		{`States.Array(undefined)`, "unexpected 'u'"},
		{`States.Array(1.)`, "invalid number"},
		{`States.Array(-)`, "invalid number"},
		{`States.Array(1e)`, "invalid number"},
		{`States.Array(.5)`, "unexpected '.'"},
		{`States.Array(+1)`, "unexpected '+'"},
		{`States.Array(1e999)`, "number 1e999 is out of range"},
		{`States.Array(0x10)`, "expected ',' or ')'"},
		{`States.Array($.a b)`, "expected ',' or ')'"},
		{`States.Array($[)`, "invalid path"},
		{`States.Array($.)`, "invalid path"},
		{`States.Array(States.Foo())`, "unknown intrinsic function 'States.Foo' (at offset 13)"},
		{`States.Array(States.MathAdd(1))`, "States.MathAdd takes 2 arguments, but 1 were given"},
		{`States.MathAdd(1)`, "States.MathAdd takes 2 arguments, but 1 were given"},
		{`States.MathAdd(1, 2, 3)`, "States.MathAdd takes 2 arguments, but 3 were given"},
		{`States.UUID(1)`, "States.UUID takes 0 arguments, but 1 were given"},
		{`States.MathRandom(1)`, "States.MathRandom takes 2 to 3 arguments, but 1 were given"},
		{`States.MathRandom(1, 2, 3, 4)`, "takes 2 to 3 arguments"},
		{`States.Format()`, "States.Format takes at least 1 arguments, but 0 were given"},
		{`States.StringToJson()`, "States.StringToJson takes 1 argument, but 0 were given"},
		{`States.JsonToString($.a, $.b)`, "States.JsonToString takes 1 argument, but 2 were given"},
		{`States.JsonMerge($.a, $.b)`, "States.JsonMerge takes 3 arguments"},
		{`States.ArrayRange(1, 2)`, "States.ArrayRange takes 3 arguments"},
		{`States.ArrayPartition($.a)`, "States.ArrayPartition takes 2 arguments"},
		{`States.ArrayContains($.a)`, "States.ArrayContains takes 2 arguments"},
		{`States.ArrayGetItem($.a)`, "States.ArrayGetItem takes 2 arguments"},
		{`States.ArrayLength()`, "States.ArrayLength takes 1 argument"},
		{`States.ArrayUnique($.a, $.b)`, "States.ArrayUnique takes 1 argument"},
		{`States.Base64Encode()`, "States.Base64Encode takes 1 argument"},
		{`States.Base64Decode('a', 'b')`, "States.Base64Decode takes 1 argument"},
		{`States.Hash('a')`, "States.Hash takes 2 arguments"},
		{`States.StringSplit('a')`, "States.StringSplit takes 2 arguments"},
		{`States.Format('{} {}', 1)`, "the States.Format template has 2 {} placeholder(s) but 1 value(s) follow it"},
		{`States.Format('x', 1)`, "has 0 {} placeholder(s) but 1 value(s)"},
		{`States.Format('\{}', 1)`, "has 0 {} placeholder(s) but 1 value(s)"},
		{`States.Format(1)`, "the first argument of States.Format must be a string"},
		{`States.Format(null, 1)`, "the first argument of States.Format must be a string"},
		{`States.JsonToString('{}')`, "the argument of States.JsonToString must be a path"},
		{nestedArrays(11), "intrinsic functions can be nested at most 10 deep (at offset 130)"},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			f, err := ParseIntrinsic(tc.call)
			if err == nil {
				t.Fatalf("ParseIntrinsic(%q) = %v, want an error", tc.call, f)
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %q\n does not contain %q", err, tc.err)
			}
		})
	}
}

func TestIntrinsicString(t *testing.T) {
	for _, s := range []string{
		`States.UUID()`,
		`States.Format('{} \{\} \'q\' \\ {}{}{}{}{}', $.a[0]['b c'], $$.Execution.Id, $v.w, -1.5e3, true, null)`,
		`States.Array($[?(@.a == 'x, y)')], $..c, $.d[*])`,
		" States.Array( 1 ,\t2 )\n",
	} {
		f, err := ParseIntrinsic(s)
		if err != nil {
			t.Fatalf("ParseIntrinsic(%q): %v", s, err)
		}
		if got, want := f.String(), strings.TrimSpace(s); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
	f, _ := ParseIntrinsic(`States.Array(States.MathAdd(1, 2))`)
	if got := f.args[0].call.String(); got != `States.MathAdd(1, 2)` {
		t.Errorf("nested String() = %q", got)
	}
}

// Literals are shared by every evaluation; a caller changing one result
// must not change the next.
func TestIntrinsicResultsAreFresh(t *testing.T) {
	f, _ := ParseIntrinsic(`States.Array('a', 1)`)
	first, _ := f.Eval(testScope(nil))
	first.([]any)[0] = "changed"
	second, _ := f.Eval(testScope(nil))
	if second.([]any)[0] != "a" {
		t.Errorf("second result %v shares storage with the first", second)
	}

	// A chunk must not alias spare capacity of the input array.
	input := jsonv.ObjectOf("a", append(make([]any, 0, 8), int64(1), int64(2), int64(3)))
	f, _ = ParseIntrinsic(`States.ArrayPartition($.a, 2)`)
	got, _ := f.Eval(testScope(input))
	chunk := got.([]any)[1].([]any)
	_ = append(chunk, "x")
	if arr := input.Value("a").([]any); len(arr[:4]) == 4 && arr[:4][3] == "x" {
		t.Error("appending to a chunk wrote into the input's backing array")
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestIntrinsicRandom(t *testing.T) {
	uuid, _ := ParseIntrinsic(`States.UUID()`)
	s := testScope(nil)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		v, err := uuid.Eval(s)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := v.(string)
		if !uuidV4.MatchString(id) {
			t.Fatalf("UUID %q is not a version-4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("UUID %q repeated", id)
		}
		seen[id] = true
	}
	// Same random source, same UUID: replaying an execution reproduces it.
	a, _ := uuid.Eval(testScope(nil))
	b, _ := uuid.Eval(testScope(nil))
	if a != b {
		t.Errorf("UUID not reproducible from the scope's source: %v vs %v", a, b)
	}

	random, _ := ParseIntrinsic(`States.MathRandom($.lo, $.hi)`)
	hits := map[int64]bool{}
	s = testScope(map[string]any{"lo": int64(-3), "hi": int64(3)})
	for i := 0; i < 500; i++ {
		v, err := random.Eval(s)
		if err != nil {
			t.Fatal(err)
		}
		n := v.(int64)
		if n < -3 || n >= 3 {
			t.Fatalf("MathRandom(-3, 3) = %d, outside [-3, 3)", n)
		}
		hits[n] = true
	}
	if len(hits) != 6 {
		t.Errorf("MathRandom(-3, 3) produced %v, want all of -3..2", hits)
	}

	// A seed fixes the result whatever the scope's source does.
	seeded, _ := ParseIntrinsic(`States.MathRandom(0, 1000000, $.seed)`)
	for _, seed := range []any{int64(0), int64(42), int64(-7), 3.0} {
		in := jsonv.ObjectOf("seed", seed)
		first, err := seeded.Eval(testScope(in))
		if err != nil {
			t.Fatal(err)
		}
		s := testScope(in)
		s.Env.Random()
		if again, _ := seeded.Eval(s); again != first {
			t.Errorf("seed %v: %v then %v", seed, first, again)
		}
		if noRand, _ := seeded.Eval(&Scope{Input: in}); noRand != first {
			t.Errorf("seed %v without a random source: %v, want %v", seed, noRand, first)
		}
	}
	a, _ = seeded.Eval(testScope(map[string]any{"seed": int64(1)}))
	b, _ = seeded.Eval(testScope(map[string]any{"seed": int64(2)}))
	if a == b {
		t.Errorf("seeds 1 and 2 both gave %v", a)
	}

	for _, call := range []string{`States.UUID()`, `States.MathRandom(1, 10)`} {
		f, _ := ParseIntrinsic(call)
		_, err := f.Eval(&Scope{})
		var e *Error
		if !errors.As(err, &e) || e.Name != ErrIntrinsicFailure || !strings.Contains(e.Cause, "no random source") {
			t.Errorf("%s without Rand: %v, want an IntrinsicFailure about the random source", call, err)
		}
	}
}

func BenchmarkIntrinsicFormat(b *testing.B) {
	f, err := ParseIntrinsic(`States.Format('Hello {}, you have {} items', $.name, States.ArrayLength($.items))`)
	if err != nil {
		b.Fatal(err)
	}
	s := &Scope{Input: map[string]any{"name": "Ada", "items": []any{int64(1), int64(2)}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Eval(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseIntrinsic(b *testing.B) {
	const call = `States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseIntrinsic(call); err != nil {
			b.Fatal(err)
		}
	}
}
