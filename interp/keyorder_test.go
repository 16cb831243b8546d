package interp_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// keyOrderCase is one definition run on one input: the output's JSON text
// must be want exactly, key order included. source says where the order
// comes from: a conformance case recorded against AWS
// (shared/conformance/cases, named without its directory), the AWS
// documentation, or the JSONata reference implementation (jsonata-js) and
// its test suite (shared/jsonata-test-suite).
type keyOrderCase struct {
	name, def, input, want, source string
}

// pass is a one-state JSONPath machine running a Pass state with fields.
func pass(fields string) string {
	return `{"StartAt":"P","States":{"P":{"Type":"Pass",` + fields + `,"End":true}}}`
}

// ataPass is a one-state JSONata machine running a Pass state with fields.
func ataPass(fields string) string {
	return `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass",` + fields + `,"End":true}}}`
}

// output is a JSONata Pass state whose Output is the expression.
func output(expr string) string { return ataPass(`"Output":"{% ` + expr + ` %}"`) }

const (
	srcInput       = "execution input as sent: AWS keeps the caller's JSON text (DescribeExecution input, $$.Execution.Input)"
	srcSingleton   = "conformance scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_item_selector_singleton"
	srcRefIntrinsc = "conformance assign_test_assign_reference_variables__TestAssignReferenceVariables__test_reference_assign_BASE_REFERENCE_IN_INTRINSIC_FUNCTION"
	srcReentrant   = "conformance scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_legacy_reentrant"
	srcPokemon     = "conformance assign_test_assign_reference_variables__TestAssignReferenceVariables__test_reference_in_map_state_MAP_STATE_REFERENCE_IN_ITEMS_PATH"
	srcInlineSel   = "conformance scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_config_inline_item_selector"
	srcBucketSel   = "conformance assign_test_assign_reference_variables__TestAssignReferenceVariables__test_reference_in_map_state_MAP_STATE_REFERENCE_IN_ITEM_SELECTOR"
	srcMapCatch    = "conformance scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_catch"
	srcContext     = "conformance context_object_test_context_object__TestSnfBase__test_input_path"
	srcMergeEsc    = "conformance intrinsic_functions_test_json_manipulation__TestJsonManipulation__test_json_merge_escaped_argument"
	srcMerge       = "conformance intrinsic_functions_test_json_manipulation__TestJsonManipulation__test_json_merge_exec_hist_resp_0"
	srcToString    = "conformance intrinsic_functions_test_json_manipulation__TestJsonManipulation__test_json_to_string_exec_hist_resp_7"
	srcToJSON      = "conformance intrinsic_functions_test_json_manipulation__TestJsonManipulation__test_string_to_json_exec_hist_resp_9"
	srcResultPath  = "AWS documentation, 'Specifying state output using ResultPath': the result is added to the input after its fields"
	srcATAMerge    = "conformance evaluate_jsonata_test_base_evaluate_expressions__TestBaseEvaluateJsonata__test_merge_with_dynamic_args"
	srcATAOutput   = "conformance query_language_test_mixed_query_language__TestMixedQueryLanguageFlow__test_output_to_state_JSONATA_OUTPUT_TO_JSONPATH"
	srcATASel      = "conformance scenarios_test_base_scenarios__TestBaseScenarios__test_map_state_item_selector_MAP_STATE_ITEM_SELECTOR_JSONATA"
	srcJSONata     = "JSONata reference implementation (jsonata-js): objects keep insertion order"
	srcJSONataKeys = "JSONata test suite object-constructor/case010: array-index keys first, ascending (JavaScript property order)"
)

var keyOrderCases = []keyOrderCase{
	// Pass and the input.
	{"pass result keeps its order", pass(`"Result":{"b":1,"a":2,"c":{"z":1,"y":2}}`), `{}`, `{"b":1,"a":2,"c":{"z":1,"y":2}}`, srcSingleton + " (Result {delivery-partner, shipped} comes out in that order)"},
	{"pass without result passes the input as sent", pass(`"Comment":"x"`), `{"z":1,"a":{"y":2,"b":3}}`, `{"z":1,"a":{"y":2,"b":3}}`, srcInput},
	{"input path keeps the selected object's order", pass(`"InputPath":"$.in"`), `{"in":{"z":1,"a":2},"x":0}`, `{"z":1,"a":2}`, srcInput},
	{"output path keeps the selected object's order", pass(`"OutputPath":"$.in"`), `{"x":0,"in":{"z":1,"a":2}}`, `{"z":1,"a":2}`, srcInput},
	{"context object", pass(`"InputPath":"$$"`), `{"k":1}`, `{"Execution":{"Id":"arn:aws:states:us-east-1:123456789012:execution:test:exec-1","Input":{"k":1},"StartTime":"2024-03-01T12:00:00.000Z","Name":"exec-1","RoleArn":"arn:aws:iam::123456789012:role/test","RedriveCount":0},"StateMachine":{"Id":"arn:aws:states:us-east-1:123456789012:stateMachine:test","Name":"test"},"State":{"Name":"P","EnteredTime":"2024-03-01T12:00:00.000Z"}}`, srcContext},

	// Parameters, ItemSelector, ResultSelector: fields without ".$" first,
	// in the definition's order, then ".$" fields in Java HashMap order.
	{"static parameters keep the definition's order", pass(`"Parameters":{"z":1,"a":{"y":2,"b":3},"m":[{"q":1,"p":2}]}`), `{}`, `{"z":1,"a":{"y":2,"b":3},"m":[{"q":1,"p":2}]}`, srcRefIntrinsc + " (static keys encodingOps..uuidOp in the definition's order)"},
	{"item selector fields as AWS orders them", pass(`"Parameters":{"original_input.$":"$","iteration_input_value.$":"$.v","iteration_index.$":"$.i","from_input_constant.$":"$.p","constant_value":"HelloWorld"}`), `{"v":"A","i":0,"p":"UQS"}`, `{"constant_value":"HelloWorld","iteration_input_value":"A","from_input_constant":"UQS","iteration_index":0,"original_input":{"v":"A","i":0,"p":"UQS"}}`, srcSingleton},
	{"encoded before decoded comes out decoded first", pass(`"Parameters":{"encoded.$":"States.Base64Encode($.s)","decoded.$":"States.Base64Decode($.e)"}`), `{"s":"Hello World","e":"SGVsbG8gV29ybGQ="}`, `{"decoded":"Hello World","encoded":"SGVsbG8gV29ybGQ="}`, srcRefIntrinsc},
	{"three dynamic fields, two in one bucket", pass(`"Parameters":{"mergedJson.$":"$.m","parsedJson.$":"$.p","stringifiedJson.$":"$.s"}`), `{"m":1,"p":2,"s":3}`, `{"parsedJson":2,"mergedJson":1,"stringifiedJson":3}`, srcRefIntrinsc},
	{"split before formatted comes out formatted first", pass(`"Parameters":{"splitString.$":"States.StringSplit($.c, ',')","formattedString.$":"States.Format('Hello {}', $.n)"}`), `{"c":"a,b","n":"John"}`, `{"formattedString":"Hello John","splitString":["a","b"]}`, srcRefIntrinsc},
	{"question and answer", pass(`"Parameters":{"Question.$":"$.q","Answer.$":"$.a"}`), `{"q":"Who?","a":"It's Pikachu!"}`, `{"Answer":"It's Pikachu!","Question":"Who?"}`, srcPokemon},
	{"iterations and values", pass(`"Parameters":{"Iterations.$":"$.i","Values.$":"$.v"}`), `{"i":3,"v":[0,1]}`, `{"Values":[0,1],"Iterations":3}`, srcReentrant},
	{"nested template orders each level", pass(`"Parameters":{"outer":{"Question.$":"$.q","Answer.$":"$.a","lit":0},"first":true}`), `{"q":"Q","a":"A"}`, `{"outer":{"lit":0,"Answer":"A","Question":"Q"},"first":true}`, srcPokemon + " with " + srcRefIntrinsc},
	{"map item selector, static field first", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"constantValue":"constant","mapValue.$":"$$.Map.Item.Value","fromInput.$":"$"},"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`, `["Hello","World"]`, `[{"constantValue":"constant","mapValue":"Hello","fromInput":["Hello","World"]},{"constantValue":"constant","mapValue":"World","fromInput":["Hello","World"]}]`, srcInlineSel},
	{"map item selector, dynamic field written first", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"value.$":"$$.Map.Item.Value","bucketName":"b"},"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`, `[1,2]`, `[{"bucketName":"b","value":1},{"bucketName":"b","value":2}]`, srcBucketSel},
	{"result selector follows the template rule", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Result":{"q":"Q","a":"A"},"End":true}}}],"ResultSelector":{"Question.$":"$[0].q","Answer.$":"$[0].a","n":1},"End":true}}}`, `{}`, `{"n":1,"Answer":"A","Question":"Q"}`, srcPokemon + " (ResultSelector is the same kind of template)"},

	// ResultPath merges: a replaced key keeps its place, a new one goes last.
	{"result path appends a new field", pass(`"Result":"Hello, AWS Step Functions!","ResultPath":"$.taskresult"`), `{"comment":"c","details":"d","who":"AWS Step Functions"}`, `{"comment":"c","details":"d","who":"AWS Step Functions","taskresult":"Hello, AWS Step Functions!"}`, srcResultPath},
	{"result path replaces a field in place", pass(`"Result":[0,1],"ResultPath":"$.Values"`), `{"Values":[9],"Iterations":0}`, `{"Values":[0,1],"Iterations":0}`, srcReentrant + " (the Map's ResultPath $.Values leaves Values first)"},
	{"result path into a nested object", pass(`"Result":1,"ResultPath":"$.a.new"`), `{"a":{"z":0,"b":2},"c":3}`, `{"a":{"z":0,"b":2,"new":1},"c":3}`, srcResultPath},
	{"result path creates the missing objects last", pass(`"Result":1,"ResultPath":"$.p.q"`), `{"z":0,"a":0}`, `{"z":0,"a":0,"p":{"q":1}}`, srcResultPath},
	{"result path keeps the result's own order", pass(`"Result":{"y":1,"x":2},"ResultPath":"$.r"`), `{"b":0}`, `{"b":0,"r":{"y":1,"x":2}}`, srcSingleton + " (ResultPath $.detail.shipped_output goes last)"},
	{"catch output is Error then Cause", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}},"Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}}}`, `[1]`, `{"Error":"E","Cause":"C"}`, srcMapCatch},
	{"catch result path appends the error output", `{"StartAt":"F","States":{"F":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Fail","Error":"E","Cause":"C"}}}],"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}}}`, `{"z":1,"a":2}`, `{"z":1,"a":2,"err":{"Error":"E","Cause":"C"}}`, srcMapCatch + " with " + srcResultPath},

	// Intrinsic functions.
	{"JsonMerge puts keys in Java HashMap order", pass(`"Parameters":{"merged.$":"States.JsonMerge(States.StringToJson('{\"constant_in_literal\": \"false\"}'), $.f, false)"},"OutputPath":"$.merged"`), `{"f":{"constant_input_field":"constant_value"}}`, `{"constant_input_field":"constant_value","constant_in_literal":"false"}`, srcMergeEsc},
	{"JsonMerge of overlapping objects", pass(`"Parameters":{"r.$":"States.JsonMerge($.fst, $.snd, false)"},"OutputPath":"$.r"`), `{"fst":{"a":{"a1":1,"a2":2},"b":2,"d":3},"snd":{"a":{"a3":1,"a4":2},"c":3,"d":4}}`, `{"a":{"a3":1,"a4":2},"b":2,"c":3,"d":4}`, srcMerge},
	{"JsonMerge keeps nested objects' order", pass(`"Parameters":{"r.$":"States.JsonMerge($.x, $.y, false)"},"OutputPath":"$.r"`), `{"x":{"a":{"z":1,"y":2}},"y":{"b":{"w":1,"v":2}}}`, `{"a":{"z":1,"y":2},"b":{"w":1,"v":2}}`, srcMerge + " (values are the objects given)"},
	{"JsonToString writes keys in order", pass(`"Parameters":{"s.$":"States.JsonToString($.o)"}`), `{"o":{"b":1,"a":{"d":[true],"c":"x"}}}`, `{"s":"{\"b\":1,\"a\":{\"d\":[true],\"c\":\"x\"}}"}`, srcToString + " ({\"Arg1\":1,\"Arg2\":[]} keeps its text's order)"},
	{"StringToJson reads keys in order", pass(`"Parameters":{"o.$":"States.StringToJson($.s)"}`), `{"s":"{\"Arg2\": [], \"Arg1\": 1}"}`, `{"o":{"Arg2":[],"Arg1":1}}`, srcToJSON + " (document order of the text)"},
	{"StringToJson then JsonToString round-trips", pass(`"Parameters":{"s.$":"States.JsonToString(States.StringToJson($.s))"}`), `{"s":"{\"z\":1,\"a\":{\"y\":2,\"b\":3}}"}`, `{"s":"{\"z\":1,\"a\":{\"y\":2,\"b\":3}}"}`, srcToJSON + " and " + srcToString},
	{"Format prints objects in order", pass(`"Parameters":{"s.$":"States.Format('{}', $.o)"}`), `{"o":{"b":[1,"x"],"a":"s"}}`, `{"s":"{b=[1, x], a=s}"}`, srcToString + " (Java's LinkedHashMap.toString follows the same order)"},
	{"Array keeps its elements' order", pass(`"Parameters":{"a.$":"States.Array($.o, $.p)"}`), `{"o":{"z":1,"a":2},"p":{"y":0,"b":1}}`, `{"a":[{"z":1,"a":2},{"y":0,"b":1}]}`, srcInput},
	{"ArrayUnique treats reordered objects as equal", pass(`"Parameters":{"a.$":"States.ArrayUnique($.l)"}`), `{"l":[{"b":1,"a":2},{"a":2,"b":1}]}`, `{"a":[{"b":1,"a":2}]}`, srcInput + " (equality of JSON values ignores order; the first is kept)"},

	// JSONata.
	{"constructor keeps insertion order", output(`{\"zeta\": 1, \"alpha\": 2}`), `{}`, `{"zeta":1,"alpha":2}`, srcJSONata},
	{"$keys lists document order", output(`$keys($states.input)`), `{"b":1,"a":2}`, `["b","a"]`, srcJSONata + " ($keys)"},
	{"$merge in argument order", output(`$merge([$states.input.part1, $states.input.part2])`), `{"part1":{"hello":"world"},"part2":{"foo":"bar"}}`, `{"hello":"world","foo":"bar"}`, srcATAMerge},
	{"$merge keeps the first place of a repeated key", output(`$merge([{\"a\":1,\"b\":2},{\"c\":3,\"a\":4}])`), `{}`, `{"a":4,"b":2,"c":3}`, srcJSONata + " ($merge assigns in turn)"},
	{"$sift keeps the input's order", output(`$sift($states.input, function($v){$v > 1})`), `{"c":3,"a":1,"b":2}`, `{"c":3,"b":2}`, srcJSONata + " ($sift)"},
	{"$spread in document order", output(`$spread($states.input)`), `{"b":1,"a":2}`, `[{"b":1},{"a":2}]`, srcJSONata + " ($spread)"},
	{"$each in document order", output(`$each($states.input, function($v, $k){$k & $v})`), `{"b":1,"a":2}`, `["b1","a2"]`, srcJSONata + " ($each)"},
	{"$string writes keys in order", output(`$string($states.input)`), `{"b":1,"a":{"d":1,"c":2}}`, `"{\"b\":1,\"a\":{\"d\":1,\"c\":2}}"`, srcJSONata + " ($string)"},
	{"wildcard in document order", output(`$states.input.*`), `{"b":1,"a":2}`, `[1,2]`, srcJSONata + " (wildcard)"},
	{"group-by in order of first appearance", output(`$states.input.items{type: $sum(v)}`), `{"items":[{"type":"y","v":1},{"type":"x","v":2},{"type":"y","v":3}]}`, `{"y":4,"x":2}`, srcJSONata + " (group-by)"},
	{"array-index keys come first", output(`{\"b\": 1, \"10\": 2, \"2\": 3}`), `{}`, `{"2":3,"10":2,"b":1}`, srcJSONataKeys},
	{"transform appends new keys", output(`$states.input ~> |$|{\"new\": 1, \"a\": 9}|`), `{"z":0,"a":1}`, `{"z":0,"a":9,"new":1}`, srcJSONata + " (transform assigns the update's keys)"},
	{"JSONata Output object keeps the definition's order", ataPass(`"Output":{"foo":"foobar","bar":"{% $states.input %}"}`), `{"input_data":"test"}`, `{"foo":"foobar","bar":{"input_data":"test"}}`, srcATAOutput},
	{"JSONata Output object, dynamic field first", ataPass(`"Output":{"z":"{% 1 %}","a":"lit","m":"{% 2 %}"}`), `{}`, `{"z":1,"a":"lit","m":2}`, srcATASel},
	{"JSONata item selector keeps the definition's order", `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input %}","ItemSelector":{"map_item_value":"{% $states.context.Map.Item.Value %}","var_sample":"{% $states.input %}","string_literal":"string literal"},"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`, `["Item1"]`, `[{"map_item_value":"Item1","var_sample":["Item1"],"string_literal":"string literal"}]`, srcATASel},
	{"JSONata context object", output(`$states.context.State`), `{}`, `{"Name":"P","EnteredTime":"2024-03-01T12:00:00.000Z"}`, srcContext},
}

func TestKeyOrder(t *testing.T) {
	if len(keyOrderCases) < 40 {
		t.Fatalf("%d cases; the table is meant to hold at least 40", len(keyOrderCases))
	}
	for _, c := range keyOrderCases {
		t.Run(c.name, func(t *testing.T) {
			if c.source == "" {
				t.Fatal("case without a source")
			}
			res, _ := run(t, compile(t, c.def), c.input, nil)
			if res.Status != interp.Succeeded {
				t.Fatalf("status %s: %s %s", res.Status, res.Error, res.Cause)
			}
			if got := jsonv.String(res.Output); got != c.want {
				t.Errorf("output\n got %s\nwant %s\n(source: %s)", got, c.want, c.source)
			}
		})
	}
}

// States.Hash of States.JsonToString hashes the text in key order, so an
// object's hash is the one AWS computes for the same document.
func TestKeyOrderHash(t *testing.T) {
	res, _ := run(t, compile(t, pass(`"Parameters":{"h.$":"States.Hash(States.JsonToString($.o), 'SHA-256')"},"OutputPath":"$.h"`)), `{"o":{"b":1,"a":2}}`, nil)
	sum := sha256.Sum256([]byte(`{"b":1,"a":2}`))
	if got, want := jsonv.String(res.Output), `"`+hex.EncodeToString(sum[:])+`"`; got != want {
		t.Errorf("hash %s, want %s (of the text in key order)", got, want)
	}
}

// The history shows inputs and outputs as the JSON text of the values, in
// key order.
func TestKeyOrderInHistory(t *testing.T) {
	res, _ := run(t, compile(t, pass(`"Result":{"y":1,"x":2},"ResultPath":"$.r"`)), `{"b":0,"a":1}`, nil)
	var entered, exited string
	for _, e := range res.History {
		switch e.Type {
		case "PassStateEntered":
			entered = field(t, e, "input").(string)
		case "PassStateExited":
			exited = field(t, e, "output").(string)
		}
	}
	if entered != `{"b":0,"a":1}` || exited != `{"b":0,"a":1,"r":{"y":1,"x":2}}` {
		t.Errorf("history input %s output %s", entered, exited)
	}
	if !strings.Contains(string(res.History[0].AppendJSON(nil)), `{\"b\":0,\"a\":1}`) {
		t.Errorf("ExecutionStarted %s", res.History[0].AppendJSON(nil))
	}
}
