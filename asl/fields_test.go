package asl

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// The Amazon States Language field table: every field AWS accepts in each
// part of a definition (shared/reference/aws-step-functions.md §6 and the
// ASL specification), marked implemented or refused. TestFieldTable holds
// Validate to it in both directions, so that a field the validator starts
// to accept without a row here, or a refused field that slips through,
// fails the test: nothing may be accepted and then dropped.

type fieldStatus uint8

const (
	implemented fieldStatus = iota
	refused                 // Validate reports NOT_IMPLEMENTED naming the field
)

type fieldRow struct {
	field  string
	lang   vdLang // the query language of the states that carry it
	status fieldStatus
	value  string // a valid value as JSON; "" takes fieldSample's
}

// Contexts other than the state types.
const (
	ctxTop       = "top level"
	ctxBranch    = "Parallel branch"
	ctxProcessor = "Map ItemProcessor"
	ctxProcCfg   = "ProcessorConfig"
	ctxBatcher   = "Map ItemBatcher"
	ctxRetrier   = "retrier"
	ctxCatcher   = "catcher"
	ctxRule      = "Choice rule"
)

// Every state carries Type, Comment and QueryLanguage.
var commonStateFields = []fieldRow{{field: "Type"}, {field: "Comment"}, {field: "QueryLanguage"}}

var aslFields = map[string][]fieldRow{
	ctxTop: {
		{field: "Comment"}, {field: "QueryLanguage"}, {field: "StartAt"}, {field: "States"},
		{field: "TimeoutSeconds"}, {field: "Version"},
	},
	TypePass: {
		{field: "Next"}, {field: "End"}, {field: "Assign"},
		{field: "InputPath", lang: vdPathOnly}, {field: "OutputPath", lang: vdPathOnly}, {field: "Parameters", lang: vdPathOnly},
		{field: "ResultPath", lang: vdPathOnly}, {field: "Result", lang: vdPathOnly},
		{field: "Output", lang: vdAtaOnly},
	},
	TypeTask: {
		{field: "Next"}, {field: "End"}, {field: "Assign"}, {field: "Resource"}, {field: "Retry"}, {field: "Catch"},
		{field: "TimeoutSeconds"}, {field: "HeartbeatSeconds"},
		{field: "InputPath", lang: vdPathOnly}, {field: "OutputPath", lang: vdPathOnly}, {field: "Parameters", lang: vdPathOnly},
		{field: "ResultPath", lang: vdPathOnly}, {field: "ResultSelector", lang: vdPathOnly},
		{field: "TimeoutSecondsPath", lang: vdPathOnly}, {field: "HeartbeatSecondsPath", lang: vdPathOnly},
		{field: "Arguments", lang: vdAtaOnly}, {field: "Output", lang: vdAtaOnly},
		{field: "Credentials"},
	},
	TypeChoice: {
		{field: "Choices"}, {field: "Default"}, {field: "Assign"},
		{field: "InputPath", lang: vdPathOnly}, {field: "OutputPath", lang: vdPathOnly},
		{field: "Output", lang: vdAtaOnly},
	},
	TypeWait: {
		{field: "Next"}, {field: "End"}, {field: "Assign"}, {field: "Seconds"}, {field: "Timestamp"},
		{field: "InputPath", lang: vdPathOnly}, {field: "OutputPath", lang: vdPathOnly},
		{field: "SecondsPath", lang: vdPathOnly}, {field: "TimestampPath", lang: vdPathOnly},
		{field: "Output", lang: vdAtaOnly},
	},
	TypeSucceed: {
		{field: "InputPath", lang: vdPathOnly}, {field: "OutputPath", lang: vdPathOnly},
		{field: "Output", lang: vdAtaOnly},
	},
	TypeFail: {
		{field: "Error"}, {field: "Cause"},
		{field: "ErrorPath", lang: vdPathOnly}, {field: "CausePath", lang: vdPathOnly},
	},
	TypeParallel: {
		{field: "Next"}, {field: "End"}, {field: "Assign"}, {field: "Branches"}, {field: "Retry"}, {field: "Catch"},
		{field: "InputPath", lang: vdPathOnly}, {field: "OutputPath", lang: vdPathOnly}, {field: "Parameters", lang: vdPathOnly},
		{field: "ResultPath", lang: vdPathOnly}, {field: "ResultSelector", lang: vdPathOnly},
		{field: "Arguments", lang: vdAtaOnly}, {field: "Output", lang: vdAtaOnly},
	},
	TypeMap: {
		{field: "Next"}, {field: "End"}, {field: "Assign"}, {field: "Retry"}, {field: "Catch"}, {field: "Label"},
		{field: "ItemProcessor"}, {field: "Iterator"}, {field: "ItemSelector"},
		{field: "MaxConcurrency"}, {field: "ToleratedFailureCount"}, {field: "ToleratedFailurePercentage"},
		{field: "InputPath", lang: vdPathOnly}, {field: "OutputPath", lang: vdPathOnly}, {field: "Parameters", lang: vdPathOnly},
		{field: "ResultPath", lang: vdPathOnly}, {field: "ResultSelector", lang: vdPathOnly}, {field: "ItemsPath", lang: vdPathOnly},
		{field: "MaxConcurrencyPath", lang: vdPathOnly}, {field: "ToleratedFailureCountPath", lang: vdPathOnly},
		{field: "ToleratedFailurePercentagePath", lang: vdPathOnly},
		{field: "Items", lang: vdAtaOnly}, {field: "Output", lang: vdAtaOnly},
		{field: "ItemBatcher"},
		{field: "ItemReader"}, {field: "ResultWriter"},
	},
	ctxBranch:    {{field: "StartAt"}, {field: "States"}, {field: "Comment"}},
	ctxProcessor: {{field: "StartAt"}, {field: "States"}, {field: "Comment"}, {field: "ProcessorConfig"}},
	ctxProcCfg: {
		{field: "Mode", value: `"INLINE"`}, {field: "Mode", value: `"DISTRIBUTED"`},
		{field: "ExecutionType", value: `"STANDARD"`}, {field: "ExecutionType", value: `"EXPRESS"`},
	},
	// Probed in a Distributed Map, the only kind that batches.
	ctxBatcher: {
		{field: "MaxItemsPerBatch"}, {field: "MaxInputBytesPerBatch"}, {field: "BatchInput"},
		{field: "MaxItemsPerBatchPath", lang: vdPathOnly}, {field: "MaxInputBytesPerBatchPath", lang: vdPathOnly},
	},
	ctxRetrier: {
		{field: "ErrorEquals"}, {field: "IntervalSeconds"}, {field: "MaxAttempts"}, {field: "BackoffRate"},
		{field: "MaxDelaySeconds"}, {field: "JitterStrategy", value: `"FULL"`}, {field: "JitterStrategy", value: `"NONE"`}, {field: "Comment"},
	},
	ctxCatcher: {
		{field: "ErrorEquals"}, {field: "Next"}, {field: "Comment"}, {field: "Assign"},
		{field: "ResultPath", lang: vdPathOnly}, {field: "Output", lang: vdAtaOnly},
	},
	// The comparison operators are checked against OpNames instead.
	ctxRule: {
		{field: "Next"}, {field: "Comment"}, {field: "Assign"},
		{field: "Variable", lang: vdPathOnly},
		{field: "Condition", lang: vdAtaOnly}, {field: "Output", lang: vdAtaOnly},
	},
}

func init() {
	for _, typ := range vdStateTypes {
		aslFields[typ] = append(aslFields[typ], commonStateFields...)
	}
}

// fieldSample is a valid value of a field, as JSON.
func fieldSample(field string, jsonata bool) string {
	switch field {
	case "QueryLanguage":
		if jsonata {
			return `"JSONata"`
		}
		return `"JSONPath"`
	case "Choices":
		if jsonata {
			return `[{"Condition":"{% true %}","Next":"Done"}]`
		}
		return `[{"Variable":"$.x","IsPresent":true,"Next":"Done"}]`
	}
	return map[string]string{
		"Comment": `"c"`, "StartAt": `"A"`, "States": `{"A":{"Type":"Succeed"}}`, "TimeoutSeconds": `60`, "Version": `"1.0"`,
		"Type": `"Pass"`, "Next": `"Done"`, "End": `true`, "Default": `"Done"`, "Assign": `{"x":1}`,
		"InputPath": `"$"`, "OutputPath": `"$"`, "ResultPath": `"$.r"`, "Parameters": `{"a":1}`, "ResultSelector": `{"a":1}`,
		"Result": `{"a":1}`, "Output": `{"a":1}`, "Arguments": `{"a":1}`,
		"Resource": `"` + lambdaARN + `"`, "Retry": `[{"ErrorEquals":["States.ALL"]}]`, "Catch": `[{"ErrorEquals":["States.ALL"],"Next":"Done"}]`,
		"HeartbeatSeconds": `10`, "TimeoutSecondsPath": `"$.t"`, "HeartbeatSecondsPath": `"$.h"`,
		"Credentials": `{"RoleArn":"arn:aws:iam::123456789012:role/r"}`,
		"Seconds":     `1`, "Timestamp": `"2030-01-01T00:00:00Z"`, "SecondsPath": `"$.s"`, "TimestampPath": `"$.ts"`,
		"Error": `"E"`, "Cause": `"C"`, "ErrorPath": `"$.e"`, "CausePath": `"$.c"`,
		"Branches":      `[{"StartAt":"B2","States":{"B2":{"Type":"Succeed"}}}]`,
		"ItemProcessor": `{"StartAt":"I2","States":{"I2":{"Type":"Succeed"}}}`,
		"Iterator":      `{"StartAt":"I3","States":{"I3":{"Type":"Succeed"}}}`,
		"ItemsPath":     `"$.items"`, "Items": `[1,2]`, "ItemSelector": `{"a":1}`, "Label": `"L"`,
		"MaxConcurrency": `1`, "MaxConcurrencyPath": `"$.m"`, "ToleratedFailureCount": `1`, "ToleratedFailureCountPath": `"$.n"`,
		"ToleratedFailurePercentage": `10`, "ToleratedFailurePercentagePath": `"$.p"`,
		"ItemReader":       `{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"b","Key":"k"}}`,
		"ItemBatcher":      `{"MaxItemsPerBatch":10}`,
		"MaxItemsPerBatch": `10`, "MaxItemsPerBatchPath": `"$.batch"`, "MaxInputBytesPerBatch": `1024`,
		"MaxInputBytesPerBatchPath": `"$.bytes"`, "BatchInput": `{"a":1}`,
		"ResultWriter":    `{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}}`,
		"ProcessorConfig": `{"Mode":"INLINE"}`, "Mode": `"INLINE"`, "ExecutionType": `"STANDARD"`,
		"ErrorEquals": `["States.ALL"]`, "IntervalSeconds": `2`, "MaxAttempts": `3`, "BackoffRate": `1.5`, "MaxDelaySeconds": `60`,
		"JitterStrategy": `"FULL"`, "Variable": `"$.x"`, "Condition": `"{% true %}"`,
	}[field]
}

// stateBase is the smallest valid state of a type.
func stateBase(typ string, jsonata bool) map[string]any {
	base := map[string]string{
		TypePass:     `{"Type":"Pass","End":true}`,
		TypeTask:     `{"Type":"Task","Resource":"` + lambdaARN + `","End":true}`,
		TypeChoice:   `{"Type":"Choice","Choices":` + fieldSample("Choices", jsonata) + `,"Default":"Done"}`,
		TypeWait:     `{"Type":"Wait","Seconds":1,"End":true}`,
		TypeSucceed:  `{"Type":"Succeed"}`,
		TypeFail:     `{"Type":"Fail"}`,
		TypeParallel: `{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}],"End":true}`,
		TypeMap:      `{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}`,
	}[typ]
	return mustObject(base)
}

// fieldDisplaces names the base field a probed field replaces, where the
// two may not stand together.
var fieldDisplaces = map[string]string{
	"Next": "End", "Iterator": "ItemProcessor",
	"SecondsPath": "Seconds", "Timestamp": "Seconds", "TimestampPath": "Seconds",
	"MaxInputBytesPerBatchPath": "MaxInputBytesPerBatch",
}

// distribute puts a Map state's processor in DISTRIBUTED mode.
func distribute(state map[string]any) {
	state["ItemProcessor"].(map[string]any)["ProcessorConfig"] = map[string]any{"Mode": "DISTRIBUTED"}
}

func mustObject(s string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		panic(fmt.Sprintf("%s: %v", s, err))
	}
	return m
}

// probeDoc builds a valid definition with field set to value in context
// ctx, and returns it with the field's pointer. A field the base already
// has keeps the base's value (the base exercises it).
func probeDoc(ctx string, jsonata bool, field, value string) ([]byte, string) {
	var v any
	if err := json.Unmarshal([]byte(value), &v); err != nil {
		panic(fmt.Sprintf("%s.%s = %s: %v", ctx, field, value, err))
	}
	set := func(obj map[string]any) {
		if _, has := obj[field]; has {
			return
		}
		if d, ok := fieldDisplaces[field]; ok {
			delete(obj, d)
		}
		obj[field] = v
	}
	doc := map[string]any{"StartAt": "S"}
	if jsonata {
		doc["QueryLanguage"] = JSONata
	}
	var state map[string]any
	ptr := "/States/S/"
	switch ctx {
	case ctxTop:
		doc["StartAt"] = "A"
		doc["States"] = map[string]any{"A": map[string]any{"Type": "Succeed"}}
		set(doc)
		return mustMarshal(doc), "/" + field
	case ctxBranch:
		state = stateBase(TypeParallel, jsonata)
		set(state["Branches"].([]any)[0].(map[string]any))
		ptr += "Branches/0/"
	case ctxProcessor:
		state = stateBase(TypeMap, jsonata)
		set(state["ItemProcessor"].(map[string]any))
		ptr += "ItemProcessor/"
	case ctxProcCfg:
		state = stateBase(TypeMap, jsonata)
		cfg := map[string]any{}
		state["ItemProcessor"].(map[string]any)["ProcessorConfig"] = cfg
		set(cfg)
		ptr += "ItemProcessor/ProcessorConfig/"
	case ctxBatcher:
		state = stateBase(TypeMap, jsonata)
		distribute(state)
		b := mustObject(`{"MaxInputBytesPerBatch":1024}`)
		state["ItemBatcher"] = b
		set(b)
		ptr += "ItemBatcher/"
	case ctxRetrier:
		state = stateBase(TypeTask, jsonata)
		r := mustObject(`{"ErrorEquals":["States.ALL"]}`)
		state["Retry"] = []any{r}
		set(r)
		ptr += "Retry/0/"
	case ctxCatcher:
		state = stateBase(TypeTask, jsonata)
		c := mustObject(`{"ErrorEquals":["States.ALL"],"Next":"Done"}`)
		state["Catch"] = []any{c}
		set(c)
		ptr += "Catch/0/"
	case ctxRule:
		state = stateBase(TypeChoice, jsonata)
		set(state["Choices"].([]any)[0].(map[string]any))
		ptr += "Choices/0/"
	default:
		state = stateBase(ctx, jsonata)
		if ctx == TypeMap && (field == "ItemBatcher" || field == "ItemReader" || field == "ResultWriter") {
			distribute(state)
		}
		set(state)
		if r, ok := state[field].(map[string]any); ok && (field == "ItemReader" || field == "ResultWriter") && jsonata {
			// A JSONata reader or writer takes its bucket in Arguments.
			r["Arguments"] = r["Parameters"]
			delete(r, "Parameters")
		}
	}
	doc["States"] = map[string]any{"S": state, "Done": map[string]any{"Type": "Succeed"}}
	return mustMarshal(doc), ptr + field
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// probe validates a probe document, without the problem the harness
// itself causes: Done is unreachable when the probe does not lead there.
func probe(ctx string, jsonata bool, field, value string) (string, []Problem) {
	doc, ptr := probeDoc(ctx, jsonata, field, value)
	var out []Problem
	for _, p := range Validate(doc, ValidateOptions{}) {
		if p.Code == CodeUnreachable && p.Pointer == "/States/Done" {
			continue
		}
		out = append(out, p)
	}
	return ptr, out
}

func langLabel(l vdLang) string {
	return [...]string{vdBoth: "in both languages", vdPathOnly: "in JSONPath only", vdAtaOnly: "in JSONata only"}[l]
}

func langName(jsonata bool) string {
	if jsonata {
		return JSONata
	}
	return JSONPath
}

func (r fieldRow) in(jsonata bool) bool {
	return r.lang == vdBoth || (r.lang == vdAtaOnly) == jsonata
}

func (r fieldRow) sample(jsonata bool) string {
	if r.value != "" {
		return r.value
	}
	return fieldSample(r.field, jsonata)
}

func TestFieldTable(t *testing.T) {
	universe := map[string]bool{}
	for _, rows := range aslFields {
		for _, r := range rows {
			if fieldSample(r.field, false) == "" {
				t.Fatalf("field %s has no sample value", r.field)
			}
			universe[r.field] = true
		}
	}
	delete(universe, "Type") // every probe's state has one
	names := make([]string, 0, len(universe))
	for f := range universe {
		names = append(names, f)
	}
	sort.Strings(names)

	for ctx, rows := range aslFields {
		for _, jsonata := range []bool{false, true} {
			// Each row as the table says.
			for _, r := range rows {
				if !r.in(jsonata) || r.field == "Type" {
					continue
				}
				name := fmt.Sprintf("%s/%s/%s", ctx, langName(jsonata), r.field)
				if r.value != "" {
					name += "=" + r.value
				}
				t.Run(name, func(t *testing.T) {
					ptr, problems := probe(ctx, jsonata, r.field, r.sample(jsonata))
					if r.status == implemented {
						if problems != nil {
							t.Errorf("an implemented field is refused:\n%s", formatProblems(problems))
						}
						return
					}
					if len(problems) == 0 {
						t.Fatalf("a field Statecraft does not implement is accepted; Validate must refuse it at %s", ptr)
					}
					for _, p := range problems {
						if p.Pointer != ptr || p.Code != CodeNotImplemented || !strings.Contains(p.Message, "Statecraft does not implement "+r.field) {
							t.Errorf("want only NOT_IMPLEMENTED at %s naming %s, got:\n%s", ptr, r.field, formatProblems(problems))
							break
						}
					}
					if r.value != "" && !strings.Contains(problems[0].Message, r.value) {
						t.Errorf("the message does not name the value %s: %s", r.value, problems[0].Message)
					}
				})
			}
			// Every other field name is rejected here: the validator
			// accepts nothing the table does not list.
			for _, f := range names {
				listed := false
				for _, r := range rows {
					listed = listed || (r.field == f && r.in(jsonata))
				}
				if listed {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/not %s", ctx, langName(jsonata), f), func(t *testing.T) {
					ptr, problems := probe(ctx, jsonata, f, fieldSample(f, jsonata))
					for _, p := range problems {
						if p.Pointer == ptr && p.Code == CodeSchema {
							return
						}
					}
					t.Errorf("%s is not an ASL field here, but Validate does not reject it at %s:\n%s", f, ptr, formatProblems(problems))
				})
			}
		}
	}
}

// The validator's own lists match the table, so that a field name the
// table has never heard of cannot be accepted either.
func TestFieldTableMatchesValidator(t *testing.T) {
	for _, typ := range vdStateTypes {
		want := map[string]string{}
		for _, r := range aslFields[typ] {
			switch {
			case r.field == "Type" || r.field == "Comment" || r.field == "QueryLanguage":
			case r.status == refused:
				want[r.field] = "refused"
			default:
				want[r.field] = langLabel(r.lang)
			}
		}
		got := map[string]string{}
		for f, lang := range vdStateFields[typ] {
			got[f] = langLabel(lang)
		}
		for f := range vdNotImplemented[typ] {
			if _, dup := got[f]; dup {
				t.Errorf("%s.%s is both accepted and refused", typ, f)
			}
			got[f] = "refused"
		}
		for f, g := range got {
			if w, ok := want[f]; !ok {
				t.Errorf("%s.%s: the validator has it (%s), the field table has no row for it", typ, f, g)
			} else if w != g {
				t.Errorf("%s.%s: the validator has it %s, the field table %s", typ, f, g, w)
			}
		}
		for f, w := range want {
			if _, ok := got[f]; !ok {
				t.Errorf("%s.%s: the field table has it %s, the validator has no entry", typ, f, w)
			}
		}
	}
	var top []string
	for _, r := range aslFields[ctxTop] {
		top = append(top, r.field)
	}
	sort.Strings(top)
	if strings.Join(top, ",") != strings.Join(vdTopFields, ",") {
		t.Errorf("top-level fields: validator %v, table %v", vdTopFields, top)
	}
}

// Every Choice operator the validator accepts is one Parse builds for the
// interpreter.
func TestChoiceOperatorsImplemented(t *testing.T) {
	for name := range vdOperators {
		if _, ok := OpNames[name]; ok {
			continue
		}
		if _, ok := OpNames[strings.TrimSuffix(name, "Path")]; ok && strings.HasSuffix(name, "Path") {
			continue
		}
		t.Errorf("the validator accepts Choice operator %s, which the interpreter does not know", name)
	}
}
