package asl

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/statecraft/statecraft/jsonv"
)

// vdLang says which query language a field belongs to.
type vdLang uint8

const (
	vdBoth     vdLang = iota
	vdPathOnly        // JSONPath states only
	vdAtaOnly         // JSONata states only
)

// vdStateFields lists, per state type, every field the type accepts and the
// query language it belongs to; anything else is reported as unsupported,
// or as not implemented when vdNotImplemented lists it.
var vdStateFields = map[string]map[string]vdLang{
	TypePass: {
		"Next": vdBoth, "End": vdBoth, "Assign": vdBoth,
		"InputPath": vdPathOnly, "OutputPath": vdPathOnly, "Parameters": vdPathOnly, "ResultPath": vdPathOnly, "Result": vdPathOnly,
		"Output": vdAtaOnly,
	},
	TypeTask: {
		"Next": vdBoth, "End": vdBoth, "Assign": vdBoth, "Resource": vdBoth, "Retry": vdBoth, "Catch": vdBoth,
		"TimeoutSeconds": vdBoth, "HeartbeatSeconds": vdBoth,
		"InputPath": vdPathOnly, "OutputPath": vdPathOnly, "Parameters": vdPathOnly, "ResultPath": vdPathOnly, "ResultSelector": vdPathOnly,
		"TimeoutSecondsPath": vdPathOnly, "HeartbeatSecondsPath": vdPathOnly,
		"Credentials": vdBoth,
		"Arguments":   vdAtaOnly, "Output": vdAtaOnly,
	},
	TypeChoice: {
		"Choices": vdBoth, "Default": vdBoth, "Assign": vdBoth,
		"InputPath": vdPathOnly, "OutputPath": vdPathOnly,
		"Output": vdAtaOnly,
	},
	TypeWait: {
		"Next": vdBoth, "End": vdBoth, "Assign": vdBoth, "Seconds": vdBoth, "Timestamp": vdBoth,
		"InputPath": vdPathOnly, "OutputPath": vdPathOnly, "SecondsPath": vdPathOnly, "TimestampPath": vdPathOnly,
		"Output": vdAtaOnly,
	},
	TypeSucceed: {
		"InputPath": vdPathOnly, "OutputPath": vdPathOnly,
		"Output": vdAtaOnly,
	},
	TypeFail: {
		"Error": vdBoth, "Cause": vdBoth,
		"ErrorPath": vdPathOnly, "CausePath": vdPathOnly,
	},
	TypeParallel: {
		"Next": vdBoth, "End": vdBoth, "Assign": vdBoth, "Branches": vdBoth, "Retry": vdBoth, "Catch": vdBoth,
		"InputPath": vdPathOnly, "OutputPath": vdPathOnly, "Parameters": vdPathOnly, "ResultPath": vdPathOnly, "ResultSelector": vdPathOnly,
		"Arguments": vdAtaOnly, "Output": vdAtaOnly,
	},
	TypeMap: {
		"Next": vdBoth, "End": vdBoth, "Assign": vdBoth, "Retry": vdBoth, "Catch": vdBoth, "Label": vdBoth,
		"ItemProcessor": vdBoth, "Iterator": vdBoth, "ItemSelector": vdBoth, "ItemBatcher": vdBoth, "ItemReader": vdBoth, "ResultWriter": vdBoth,
		"MaxConcurrency": vdBoth, "ToleratedFailureCount": vdBoth, "ToleratedFailurePercentage": vdBoth,
		"InputPath": vdPathOnly, "OutputPath": vdPathOnly, "Parameters": vdPathOnly, "ResultPath": vdPathOnly, "ResultSelector": vdPathOnly,
		"ItemsPath": vdPathOnly, "MaxConcurrencyPath": vdPathOnly, "ToleratedFailureCountPath": vdPathOnly,
		"ToleratedFailurePercentagePath": vdPathOnly, "Items": vdAtaOnly, "Output": vdAtaOnly,
	},
}

// vdRefusal is a field AWS accepts and Statecraft does not run yet.
type vdRefusal struct {
	does           string // what the field does on AWS
	instead        string // what to write instead in a JSONPath state
	insteadJSONata string // the same for a JSONata state; "" when no different
}

// vdNotImplemented lists, per state type, the fields AWS accepts that
// Statecraft refuses. Accepted, each would run as if it were absent (items
// not read, results not written, no role assumed), and a machine that
// passes validation must run as AWS would run it.
var vdNotImplemented = map[string]map[string]vdRefusal{}

func (v *defValidator) notImplemented(ptr, field string, r vdRefusal, jsonata bool) {
	instead := r.instead
	if jsonata && r.insteadJSONata != "" {
		instead = r.insteadJSONata
	}
	v.add(ptr, CodeNotImplemented, "Statecraft does not implement %s yet (%s); %s", field, r.does, instead)
}

var vdStateTypes = []string{TypeChoice, TypeFail, TypeMap, TypePass, TypeParallel, TypeSucceed, TypeTask, TypeWait}

// vdJSONataReplacement names what a JSONata state uses instead of a
// JSONPath-only field, so the message can say what to write instead.
var vdJSONataReplacement = map[string]string{
	"InputPath":                      "'Arguments' or 'Output' with $states.input",
	"OutputPath":                     "'Output'",
	"Parameters":                     "'Arguments'",
	"ResultSelector":                 "'Output' with $states.result",
	"ResultPath":                     "'Output' or 'Assign'",
	"Result":                         "'Output'",
	"ItemsPath":                      "'Items'",
	"SecondsPath":                    "'Seconds' with a JSONata expression",
	"TimestampPath":                  "'Timestamp' with a JSONata expression",
	"TimeoutSecondsPath":             "'TimeoutSeconds' with a JSONata expression",
	"HeartbeatSecondsPath":           "'HeartbeatSeconds' with a JSONata expression",
	"MaxConcurrencyPath":             "'MaxConcurrency' with a JSONata expression",
	"ToleratedFailureCountPath":      "'ToleratedFailureCount' with a JSONata expression",
	"ToleratedFailurePercentagePath": "'ToleratedFailurePercentage' with a JSONata expression",
	"ErrorPath":                      "'Error' with a JSONata expression",
	"CausePath":                      "'Cause' with a JSONata expression",
}

var vdJSONPathReplacement = map[string]string{
	"Arguments": "'Parameters'",
	"Output":    "'ResultPath' and 'OutputPath'",
	"Items":     "'ItemsPath'",
}

// vdReplacement names what to write instead of a field of the other query
// language. A few depend on the state type: JSONata Pass and Map states have
// no Arguments, and Succeed states have no ResultPath.
func vdReplacement(typ, field string, toJSONata bool) string {
	if toJSONata {
		switch {
		case field == "Parameters" && typ == TypePass:
			return "'Output'"
		case field == "Parameters" && typ == TypeMap:
			return "'ItemSelector'"
		}
		return vdJSONataReplacement[field]
	}
	if field == "Output" && typ == TypeSucceed {
		return "'OutputPath'"
	}
	return vdJSONPathReplacement[field]
}

// vdState is what the scope needs to know about one state after checking it.
type vdState struct {
	name     string
	ptr      string
	depth    int
	typ      string
	jsonata  bool
	obj      *jsonv.Object
	edges    []vdEdge
	terminal bool
}

func (st *vdState) field(k string) string { return vdPointer(st.ptr, k) }

func (v *defValidator) state(st *vdState, raw any) {
	obj, ok := raw.(*jsonv.Object)
	if !ok {
		v.schema(st.ptr, "State '%s' must be an object with a 'Type' field, got %s", st.name, vdDescribe(raw))
		return
	}
	st.obj = obj
	typVal, hasType := obj.Get("Type")
	typ, _ := typVal.(string)
	if !hasType {
		v.schema(st.ptr, "Missing required field 'Type'; expected one of %s", strings.Join(vdStateTypes, ", "))
		return
	}
	if _, known := vdStateFields[typ]; !known {
		v.schema(st.field("Type"), "Field 'Type' must be one of %s, got %s", strings.Join(vdStateTypes, ", "), vdDescribe(typVal))
		return
	}
	st.typ = typ

	st.jsonata = v.jsonata
	if qlVal, ok := obj.Get("QueryLanguage"); ok {
		if ql, ok := v.queryLanguage(st.field("QueryLanguage"), qlVal); ok {
			if v.jsonata && ql == JSONPath {
				v.schema(st.field("QueryLanguage"), "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine; remove it and use JSONata fields, or make the state machine JSONPath")
			}
			st.jsonata = ql == JSONata
		}
	}

	v.stateFields(st)
	v.transitions(st)

	switch typ {
	case TypeTask:
		v.task(st)
	case TypeChoice:
		v.choiceState(st)
	case TypeWait:
		v.wait(st)
	case TypeFail:
		v.fail(st)
		st.terminal = true
	case TypeSucceed:
		st.terminal = true
	case TypeParallel:
		v.parallel(st)
	case TypeMap:
		v.mapState(st)
	}
	if typ == TypeTask || typ == TypeParallel || typ == TypeMap {
		v.retry(st)
		v.catch(st)
	}
	if st.jsonata {
		v.expressions(st)
	}
}

// vdExprFields are the fields of a JSONata state whose values may hold
// "{% ... %}" expressions.
var vdExprFields = []string{"Arguments", "Output", "Assign", "Items", "ItemSelector", "ItemBatcher", "TimeoutSeconds", "HeartbeatSeconds",
	"Seconds", "Timestamp", "MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage", "Error", "Cause"}

// expressions checks that every JSONata expression of a JSONata state
// compiles (and does not call $eval), in the state's fields, its Choice
// rules and its catchers.
func (v *defValidator) expressions(st *vdState) {
	for _, k := range vdExprFields {
		if val, ok := st.obj.Get(k); ok {
			v.exprValue(st.field(k), val)
		}
	}
	for _, list := range []string{"Choices", "Catch"} {
		arr, _ := st.obj.Value(list).([]any)
		for i, e := range arr {
			o, _ := e.(*jsonv.Object)
			for _, k := range []string{"Condition", "Output", "Assign"} {
				if val, ok := o.Get(k); ok {
					v.exprValue(vdPointer(st.field(list), strconv.Itoa(i), k), val)
				}
			}
		}
	}
}

func (v *defValidator) exprValue(ptr string, val any) {
	switch x := val.(type) {
	case string:
		if !IsExpression(x) {
			return
		}
		if _, err := CompileQuery(x, ""); err != nil {
			var ce *QueryCompileError
			if errors.As(err, &ce) {
				v.schema(ptr, "Invalid JSONata expression '%s': %v", ce.Src, ce.Err)
			} else {
				v.schema(ptr, "Invalid JSONata expression: %v", err)
			}
		}
	case *jsonv.Object:
		for _, k := range jsonv.SortedKeys(x) {
			v.exprValue(vdPointer(ptr, k), x.Value(k))
		}
	case []any:
		for i, e := range x {
			v.exprValue(vdPointer(ptr, strconv.Itoa(i)), e)
		}
	}
}

// stateFields reports fields the state type does not accept and checks the
// fields that mean the same thing in every state type.
func (v *defValidator) stateFields(st *vdState) {
	allowed := vdStateFields[st.typ]
	for _, k := range jsonv.SortedKeys(st.obj) {
		val := st.obj.Value(k)
		ptr := st.field(k)
		switch k {
		case "Type", "QueryLanguage":
			continue
		case "Comment":
			v.wantString(ptr, k, val)
			continue
		}
		lang, ok := allowed[k]
		switch {
		case !ok:
			if r, refused := vdNotImplemented[st.typ][k]; refused {
				v.notImplemented(ptr, k, r, st.jsonata)
				continue
			}
			v.schema(ptr, "Field '%s' is not supported by state type %s; supported fields are %s", k, st.typ, v.supportedFields(st))
			continue
		case lang == vdPathOnly && st.jsonata:
			v.schema(ptr, "Field '%s' is not supported when QueryLanguage is JSONata; use %s instead", k, vdReplacement(st.typ, k, true))
			continue
		case lang == vdAtaOnly && !st.jsonata:
			v.schema(ptr, "Field '%s' is only supported when QueryLanguage is JSONata; in a JSONPath state use %s, or set \"QueryLanguage\": \"JSONata\"", k, vdReplacement(st.typ, k, false))
			continue
		}
		switch k {
		case "InputPath", "OutputPath":
			v.pathField(ptr, k, val, true, false)
		case "ResultPath":
			v.pathField(ptr, k, val, true, true)
		case "Parameters", "ResultSelector":
			v.templateField(ptr, k, val, st.depth)
		case "Assign":
			v.assign(ptr, val, st.jsonata, st.depth)
		case "Arguments":
			v.objectOrExpr(ptr, k, val)
		case "Output", "Result":
			// Any JSON value.
		}
	}
}

// supportedFields lists what the state accepts in its own query language,
// for messages about fields it does not.
func (v *defValidator) supportedFields(st *vdState) string {
	names := []string{"Comment", "QueryLanguage", "Type"}
	for k, lang := range vdStateFields[st.typ] {
		if lang == vdBoth || (lang == vdAtaOnly) == st.jsonata {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// transitions checks Next and End. Choice, Succeed and Fail have neither
// (their allowed-field lists already reject them); every other state needs
// exactly one.
func (v *defValidator) transitions(st *vdState) {
	if st.typ == TypeChoice || st.typ == TypeSucceed || st.typ == TypeFail {
		return
	}
	nextVal, hasNext := st.obj.Get("Next")
	endVal, hasEnd := st.obj.Get("End")
	end := false
	if hasEnd {
		b, ok := endVal.(bool)
		if !ok {
			v.schema(st.field("End"), "Field 'End' must be a boolean (true for a terminal state), got %s", vdDescribe(endVal))
		}
		end = b
	}
	if hasNext {
		name, ok := nextVal.(string)
		if !ok {
			v.schema(st.field("Next"), "Field 'Next' must be a string naming the next state, got %s", vdDescribe(nextVal))
		} else {
			st.edges = append(st.edges, vdEdge{target: name, ptr: st.field("Next")})
		}
	}
	switch {
	case hasNext && end:
		v.schema(st.ptr, "State has both 'Next' and \"End\": true; expected exactly one of them")
	case !hasNext && !end:
		if hasEnd {
			// "End": false (or a non-boolean) does not end the state.
			v.schema(st.ptr, "Missing required field 'Next'; a %s state whose 'End' is not true needs 'Next'", st.typ)
		} else {
			v.schema(st.ptr, "Missing required field 'Next'; a %s state needs either 'Next' or \"End\": true", st.typ)
		}
	}
	st.terminal = end && !hasNext
}

func (v *defValidator) task(st *vdState) {
	obj := st.obj
	res, hasRes := obj.Get("Resource")
	if !hasRes {
		v.schema(st.ptr, "Missing required field 'Resource'; expected the ARN of the activity, function or service integration to run")
	} else if s, ok := res.(string); !ok {
		v.schema(st.field("Resource"), "Field 'Resource' must be a string ARN, got %s", vdDescribe(res))
	} else {
		v.resource(st.field("Resource"), s)
	}

	timeout, hasTimeout := v.secondsField(st, "TimeoutSeconds", 1)
	heartbeat, hasHeartbeat := v.secondsField(st, "HeartbeatSeconds", 1)
	v.exclusive(st, "TimeoutSeconds", "TimeoutSecondsPath")
	v.exclusive(st, "HeartbeatSeconds", "HeartbeatSecondsPath")
	if hasTimeout && hasHeartbeat && heartbeat >= timeout {
		v.schema(st.field("HeartbeatSeconds"), "HeartbeatSeconds (%d) must be smaller than TimeoutSeconds (%d)", heartbeat, timeout)
	}
	if !st.jsonata {
		v.refPathField(st, "TimeoutSecondsPath")
		v.refPathField(st, "HeartbeatSecondsPath")
	}
	if c, has := obj.Get("Credentials"); has {
		v.credentials(st, c)
	}
	if r, ok := res.(string); ok && v.opts.Runnable {
		v.awsSDKParameters(st, r)
	}
}

// awsSDKParameters refuses a field of an aws-sdk task's Parameters (or
// Arguments) that the action's request does not have, as
// CreateStateMachine does (SCHEMA_VALIDATION_FAILED: The field "X" is
// not supported by Step Functions), at the field's pointer. Only with
// Runnable: the action's request is known where the server runs it.
func (v *defValidator) awsSDKParameters(st *vdState, resource string) {
	svc, action, ok := awsSDKResource(resource)
	if !ok || !v.opts.AWSSDK.runs(svc, action) {
		return
	}
	check := v.opts.AWSSDK.CheckParameters
	if check == nil {
		return
	}
	for _, k := range []string{"Parameters", "Arguments"} {
		params, has := st.obj.Get(k)
		if !has {
			continue
		}
		if path, msg := check(svc, action, params); path != nil {
			v.schema(vdPointer(st.field(k), path...), "%s", msg)
		}
	}
}

// vdRoleArn is an IAM role ARN, what Credentials.RoleArn names.
var vdRoleArn = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)

// credentials checks a Task's Credentials: the role the task runs under,
// {"RoleArn": ARN} or {"RoleArn.$": path} (JSONPath), {"RoleArn": ARN or
// expression} (JSONata).
func (v *defValidator) credentials(st *vdState, raw any) {
	ptr := st.field("Credentials")
	obj, ok := raw.(*jsonv.Object)
	if !ok {
		if s, isStr := raw.(string); isStr && st.jsonata && vdIsExpr(s) {
			return
		}
		v.schema(ptr, "Field 'Credentials' must be an object with 'RoleArn', got %s", vdDescribe(raw))
		return
	}
	keys := jsonv.SortedKeys(obj)
	for _, k := range keys {
		val := obj.Value(k)
		kptr := vdPointer(ptr, k)
		switch {
		case k == "RoleArn":
			s, isStr := val.(string)
			switch {
			case isStr && st.jsonata && vdIsExpr(s):
			case !isStr || !vdRoleArn.MatchString(s):
				v.schema(kptr, "Field 'RoleArn' must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME), got %s", vdDescribe(val))
			}
		case k == "RoleArn.$" && !st.jsonata:
			v.pathField(kptr, k, val, false, true)
		default:
			v.schema(kptr, "Field '%s' is not supported in Credentials; expected only 'RoleArn'%s", k, map[bool]string{true: "", false: " or 'RoleArn.$'"}[st.jsonata])
		}
	}
	_, hasArn := obj.Get("RoleArn")
	_, hasPath := obj.Get("RoleArn.$")
	hasPath = hasPath && !st.jsonata
	switch {
	case hasArn && hasPath:
		v.schema(ptr, "Fields 'RoleArn' and 'RoleArn.$' are mutually exclusive; set only one of them")
	case !hasArn && !hasPath:
		v.schema(ptr, "Missing required field 'RoleArn' in Credentials")
	}
	// The role is assumed on every resource Step Functions runs: to call
	// an AWS service (through STS, with its temporary credentials), to
	// invoke a function or an HTTP endpoint, to queue an activity task
	// in the role's account or to start a child execution there.
}

// resource checks that a Task resource is an ARN, and what EXPRESS machines
// cannot run: they have no history to park a callback or a nested run on.
func (v *defValidator) resource(ptr, s string) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		v.add(ptr, CodeInvalidResource, "Field 'Resource' must be an ARN of the form arn:<partition>:<service>:<region>:<account>:<resource>, got %q", s)
		return
	}
	if sdk := v.opts.AWSSDK; v.opts.Runnable && !Runs(s, sdk) {
		if svc, action, ok := awsSDKResource(s); ok && slices.Contains(sdk.services(), svc) {
			// The service runs, the action does not: say which part is
			// wrong rather than list every resource.
			v.add(ptr, CodeNotImplemented, "Statecraft cannot run the resource %s: the AWS SDK integration for %s has no action %q (actions are the API's operations in camelCase, as getObject); aws-sdk runs the services %s",
				s, svc, action, strings.Join(sdk.services(), ", "))
			return
		}
		v.add(ptr, CodeNotImplemented, "Statecraft cannot run the resource %s; it runs %s", s, strings.Join(SupportedResources(sdk), ", "))
		return
	}
	if !v.opts.Express {
		return
	}
	switch {
	case parts[2] == "states" && strings.HasPrefix(parts[5], "activity:"):
		v.schema(ptr, "Express state machine does not support Activity ARN %s; activities need a STANDARD state machine", s)
	case strings.HasSuffix(s, ".sync") || strings.Contains(s, ".sync:"):
		v.schema(ptr, "Express state machine does not support the '.sync' integration pattern (%s); use a STANDARD state machine or the request-response form of the resource", s)
	case strings.HasSuffix(s, ".waitForTaskToken"):
		v.schema(ptr, "Express state machine does not support the '.waitForTaskToken' integration pattern (%s); use a STANDARD state machine", s)
	}
}

func (v *defValidator) wait(st *vdState) {
	var present []string
	for _, k := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
		if _, ok := st.obj.Get(k); ok {
			present = append(present, k)
		}
	}
	switch {
	case len(present) == 0:
		if st.jsonata {
			v.schema(st.ptr, "A Wait state needs exactly one of 'Seconds' or 'Timestamp'; found none")
		} else {
			v.schema(st.ptr, "A Wait state needs exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath'; found none")
		}
	case len(present) > 1:
		v.schema(st.ptr, "A Wait state needs exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath'; found %s", vdQuoteList(present))
	}
	v.secondsField(st, "Seconds", 0)
	if ts, ok := st.obj.Get("Timestamp"); ok {
		s, isStr := ts.(string)
		switch {
		case isStr && st.jsonata && vdIsExpr(s):
		case !isStr:
			v.schema(st.field("Timestamp"), "Field 'Timestamp' must be an RFC3339 timestamp string such as \"2016-03-14T01:59:00Z\", got %s", vdDescribe(ts))
		default:
			if _, ok := ParseTimestamp(s); !ok {
				v.schema(st.field("Timestamp"), "String does not match RFC3339 timestamp")
			}
		}
	}
	if !st.jsonata {
		v.refPathField(st, "SecondsPath")
		v.refPathField(st, "TimestampPath")
	}
}

func (v *defValidator) fail(st *vdState) {
	v.exclusive(st, "Error", "ErrorPath")
	v.exclusive(st, "Cause", "CausePath")
	for _, k := range []string{"Error", "Cause"} {
		if val, ok := st.obj.Get(k); ok {
			v.wantString(st.field(k), k, val)
		}
	}
	if st.jsonata {
		return
	}
	for _, k := range []string{"ErrorPath", "CausePath"} {
		if val, ok := st.obj.Get(k); ok {
			v.pathOrIntrinsic(st.field(k), k, val)
		}
	}
}

func (v *defValidator) parallel(st *vdState) {
	raw, ok := st.obj.Get("Branches")
	if !ok {
		v.schema(st.ptr, "Missing required field 'Branches'; expected a non-empty array of {\"StartAt\", \"States\"} objects")
		return
	}
	branches, isArr := raw.([]any)
	if !isArr || len(branches) == 0 {
		v.schema(st.field("Branches"), "Field 'Branches' must be a non-empty array of {\"StartAt\", \"States\"} objects, got %s", vdDescribe(raw))
		return
	}
	for i, b := range branches {
		bptr := vdPointer(st.field("Branches"), fmt.Sprint(i))
		v.subMachine(bptr, "branch", b, vdScopeBranch, st.depth+1)
	}
}

// subMachine checks a Parallel branch or Map processor: the fields it may
// carry, then its scope.
func (v *defValidator) subMachine(ptr, what string, raw any, kind vdScopeKind, depth int) {
	obj, ok := raw.(*jsonv.Object)
	if !ok {
		v.schema(ptr, "A %s must be an object with 'StartAt' and 'States', got %s", what, vdDescribe(raw))
		return
	}
	for _, k := range jsonv.SortedKeys(obj) {
		val := obj.Value(k)
		kptr := vdPointer(ptr, k)
		switch k {
		case "StartAt", "States":
		case "Comment":
			v.wantString(kptr, k, val)
		case "ProcessorConfig":
			if kind == vdScopeProcessor {
				v.processorConfig(kptr, val)
				continue
			}
			fallthrough
		default:
			expected := "StartAt, States and Comment"
			if kind == vdScopeProcessor {
				expected = "StartAt, States, ProcessorConfig and Comment"
			}
			v.schema(kptr, "Field '%s' is not supported in a %s; expected only %s", k, what, expected)
		}
	}
	if kind == vdScopeProcessor && !v.opts.Express && expressProcessor(obj) {
		// Each child is an Express execution: the processor follows the
		// rules of an EXPRESS machine (no activities, .sync or
		// .waitForTaskToken), as AWS checks it.
		v.opts.Express = true
		defer func() { v.opts.Express = false }()
	}
	v.scope(ptr, obj, kind, depth)
}

// expressProcessor reports whether a Map processor runs its children as
// Express executions (ProcessorConfig's ExecutionType EXPRESS).
func expressProcessor(obj *jsonv.Object) bool {
	pc, ok := obj.Value("ProcessorConfig").(*jsonv.Object)
	return ok && pc.Value("ExecutionType") == "EXPRESS"
}

func (v *defValidator) processorConfig(ptr string, raw any) {
	obj, ok := raw.(*jsonv.Object)
	if !ok {
		v.schema(ptr, "Field 'ProcessorConfig' must be an object, got %s", vdDescribe(raw))
		return
	}
	for _, k := range jsonv.SortedKeys(obj) {
		val := obj.Value(k)
		kptr := vdPointer(ptr, k)
		switch k {
		case "Mode":
			if s, _ := val.(string); s != "INLINE" && s != "DISTRIBUTED" {
				v.schema(kptr, "Field 'Mode' must be \"INLINE\" or \"DISTRIBUTED\", got %s", vdDescribe(val))
			}
		case "ExecutionType":
			switch s, _ := val.(string); s {
			case "STANDARD":
			case "EXPRESS":
			default:
				v.schema(kptr, "Field 'ExecutionType' must be \"STANDARD\" or \"EXPRESS\", got %s", vdDescribe(val))
			}
		default:
			v.schema(kptr, "Field '%s' is not supported in ProcessorConfig; expected only Mode and ExecutionType", k)
		}
	}
}

func (v *defValidator) mapState(st *vdState) {
	obj := st.obj
	_, hasProc := obj.Get("ItemProcessor")
	_, hasIter := obj.Get("Iterator")
	switch {
	case hasProc && hasIter:
		v.schema(st.ptr, "A Map state needs exactly one of 'ItemProcessor' or 'Iterator' (its older name); found both")
	case !hasProc && !hasIter:
		v.schema(st.ptr, "Missing required field 'ItemProcessor'; expected an object with 'StartAt' and 'States' to run for each item")
	}
	for _, k := range []string{"ItemProcessor", "Iterator"} {
		if raw, ok := obj.Get(k); ok {
			v.subMachine(st.field(k), k, raw, vdScopeProcessor, st.depth+1)
		}
	}
	v.exclusive(st, "Parameters", "ItemSelector")
	v.exclusive(st, "MaxConcurrency", "MaxConcurrencyPath")
	v.exclusive(st, "ToleratedFailureCount", "ToleratedFailureCountPath")
	v.exclusive(st, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath")

	v.secondsField(st, "MaxConcurrency", 0)
	v.secondsField(st, "ToleratedFailureCount", 0)
	if val, ok := obj.Get("ToleratedFailurePercentage"); ok {
		v.numberOrExpr(st, "ToleratedFailurePercentage", val, 0, 100)
	}
	if val, ok := obj.Get("ItemSelector"); ok {
		if st.jsonata {
			v.objectOrExpr(st.field("ItemSelector"), "ItemSelector", val)
		} else {
			v.templateField(st.field("ItemSelector"), "ItemSelector", val, st.depth)
		}
	}
	if val, ok := obj.Get("Items"); ok && st.jsonata {
		s, isStr := val.(string)
		_, isArr := val.([]any)
		_, isObj := val.(*jsonv.Object)
		if !(isArr || isObj || (isStr && vdIsExpr(s))) {
			v.schema(st.field("Items"), "Field 'Items' must be an array or a JSONata expression \"{%% ... %%}\", got %s", vdDescribe(val))
		}
	}
	if !st.jsonata {
		for _, k := range []string{"ItemsPath", "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath"} {
			v.refPathField(st, k)
		}
	}
	if val, ok := obj.Get("Label"); ok {
		v.label(st.field("Label"), val)
	}
	if val, ok := obj.Get("ItemBatcher"); ok {
		v.itemBatcher(st, val)
	}
	if val, ok := obj.Get("ItemReader"); ok {
		v.itemReader(st, val)
	}
	if val, ok := obj.Get("ResultWriter"); ok {
		v.resultWriter(st, val)
	}
}

// resultWriter checks a Map's ResultWriter ("ResultWriter (Map)"): it
// cannot be empty, Resource and Parameters (Arguments in JSONata) come
// together, and WriterConfig alone formats the output without exporting.
func (v *defValidator) resultWriter(st *vdState, raw any) {
	ptr := st.field("ResultWriter")
	obj, ok := v.distributedOnly(st, "ResultWriter", "", raw)
	if !ok {
		return
	}
	args := "Parameters"
	if st.jsonata {
		args = "Arguments"
	}
	for _, k := range jsonv.SortedKeys(obj) {
		val := obj.Value(k)
		kptr := vdPointer(ptr, k)
		switch k {
		case "Resource":
			if val != WriterPutObject {
				v.schema(kptr, "Field 'Resource' of ResultWriter must be \"%s\", got %s", WriterPutObject, vdDescribe(val))
			}
		case "Parameters", "Arguments":
			if k != args {
				v.schema(kptr, "Field '%s' is not supported in ResultWriter of a %s state; use '%s'", k, map[bool]string{true: "JSONata", false: "JSONPath"}[st.jsonata], args)
				continue
			}
			if st.jsonata {
				v.objectOrExpr(kptr, k, val)
			} else {
				v.templateField(kptr, k, val, st.depth)
			}
		case "WriterConfig":
			v.writerConfig(kptr, val)
		default:
			v.schema(kptr, "Field '%s' is not supported in ResultWriter; expected only Resource, %s and WriterConfig", k, args)
		}
	}
	_, hasRes := obj.Get("Resource")
	_, hasArgs := obj.Get(args)
	_, hasCfg := obj.Get("WriterConfig")
	switch {
	case hasRes && !hasArgs:
		v.schema(ptr, "Missing required field '%s' in ResultWriter; expected an object with 'Bucket' and 'Prefix'", args)
	case hasArgs && !hasRes:
		v.schema(ptr, "Missing required field 'Resource' in ResultWriter; expected \"%s\"", WriterPutObject)
	case !hasRes && !hasCfg:
		v.schema(ptr, "Field 'ResultWriter' cannot be empty: give 'WriterConfig', or 'Resource' and '%s', or all three", args)
	}
}

func (v *defValidator) writerConfig(ptr string, raw any) {
	cfg, ok := raw.(*jsonv.Object)
	if !ok {
		v.schema(ptr, "Field 'WriterConfig' must be an object, got %s", vdDescribe(raw))
		return
	}
	for _, k := range jsonv.SortedKeys(cfg) {
		val := cfg.Value(k)
		kptr := vdPointer(ptr, k)
		switch k {
		case "Transformation":
			if val != "NONE" && val != "COMPACT" && val != "FLATTEN" {
				v.schema(kptr, "Field 'Transformation' must be \"NONE\", \"COMPACT\" or \"FLATTEN\", got %s", vdDescribe(val))
			}
		case "OutputType":
			if val != "JSON" && val != "JSONL" {
				v.schema(kptr, "Field 'OutputType' must be \"JSON\" or \"JSONL\", got %s", vdDescribe(val))
			}
		default:
			v.schema(kptr, "Field '%s' is not supported in WriterConfig; expected only Transformation and OutputType", k)
		}
	}
}

// vdMaxReaderItems is AWS's ceiling on ReaderConfig.MaxItems ("Step
// Functions service quotas": ItemReader MaxItems up to 100,000,000).
const vdMaxReaderItems = 100_000_000

// vdCSVDelimiters are the CSVDelimiter values AWS accepts ("ItemReader
// (Map)", ReaderConfig); COMMA is the default.
var vdCSVDelimiters = []string{"COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"}

// manifestType checks ReaderConfig.ManifestType: the object read is a
// manifest naming the data files whose rows are the items. AWS defines
// two: an Athena UNLOAD's data manifest (its files in CSV, JSONL or
// Parquet, as InputType says) and an S3 Inventory report's manifest.json
// (CSV inventories only, as with InputType MANIFEST).
func (v *defValidator) manifestType(ptr string, val any, inputType, res string, cfg *jsonv.Object) {
	switch val {
	case "ATHENA_DATA":
		if _, has := cfg.Get("InputType"); has && inputType != "CSV" && inputType != "JSONL" && inputType != "PARQUET" {
			v.schema(ptr, "ManifestType \"ATHENA_DATA\" needs InputType \"CSV\", \"JSONL\" or \"PARQUET\" (the format of the data files the manifest lists), got %s", vdDescribe(cfg.Value("InputType")))
		}
	case "S3_INVENTORY":
		if _, has := cfg.Get("InputType"); has && inputType != "CSV" {
			v.schema(ptr, "ManifestType \"S3_INVENTORY\" needs InputType \"CSV\" (the format of the inventory files the manifest lists), got %s", vdDescribe(cfg.Value("InputType")))
		}
	default:
		v.schema(ptr, "Field 'ManifestType' must be \"ATHENA_DATA\" or \"S3_INVENTORY\", got %s", vdDescribe(val))
		return
	}
	if res == "arn:aws:states:::s3:listObjectsV2" {
		v.schema(ptr, "Field 'ManifestType' is only used with \"arn:aws:states:::s3:getObject\": the manifest is the object read")
	}
}

// itemReader checks a Map's ItemReader. Only a Distributed Map reads its
// items, from the S3 sources AWS defines.
func (v *defValidator) itemReader(st *vdState, raw any) {
	ptr := st.field("ItemReader")
	obj, ok := v.distributedOnly(st, "ItemReader", " with 'Resource' and 'ReaderConfig'", raw)
	if !ok {
		return
	}
	if _, has := st.obj.Get("ItemsPath"); has {
		v.schema(st.field("ItemsPath"), "Field 'ItemsPath' cannot be used with 'ItemReader': the items are what the reader reads")
	}
	if _, has := st.obj.Get("Items"); has && st.jsonata {
		v.schema(st.field("Items"), "Field 'Items' cannot be used with 'ItemReader': the items are what the reader reads")
	}
	args := "Parameters"
	if st.jsonata {
		args = "Arguments"
	}
	res, _ := obj.Value("Resource").(string)
	switch res {
	case "arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2":
	default:
		if _, has := obj.Get("Resource"); !has {
			v.schema(ptr, "Missing required field 'Resource' in ItemReader; expected \"arn:aws:states:::s3:getObject\" or \"arn:aws:states:::s3:listObjectsV2\"")
		} else {
			v.add(vdPointer(ptr, "Resource"), CodeNotImplemented, "Statecraft reads items only with \"arn:aws:states:::s3:getObject\" or \"arn:aws:states:::s3:listObjectsV2\", got %s", vdDescribe(obj.Value("Resource")))
		}
	}
	var cfg *jsonv.Object
	for _, k := range jsonv.SortedKeys(obj) {
		val := obj.Value(k)
		kptr := vdPointer(ptr, k)
		switch k {
		case "Resource":
		case "Parameters", "Arguments":
			if k != args {
				v.schema(kptr, "Field '%s' is not supported in ItemReader of a %s state; use '%s'", k, map[bool]string{true: "JSONata", false: "JSONPath"}[st.jsonata], args)
				continue
			}
			if st.jsonata {
				v.objectOrExpr(kptr, k, val)
			} else {
				v.templateField(kptr, k, val, st.depth)
			}
		case "ReaderConfig":
			c, ok := val.(*jsonv.Object)
			if !ok {
				v.schema(kptr, "Field 'ReaderConfig' must be an object, got %s", vdDescribe(val))
				continue
			}
			cfg = c
		default:
			v.schema(kptr, "Field '%s' is not supported in ItemReader; expected only Resource, ReaderConfig and %s", k, args)
		}
	}
	if _, has := obj.Get(args); !has {
		v.schema(ptr, "Missing required field '%s' in ItemReader; expected an object with 'Bucket' and 'Key' (getObject) or 'Bucket' and 'Prefix' (listObjectsV2)", args)
	}
	cptr := vdPointer(ptr, "ReaderConfig")
	inputType, _ := cfg.Value("InputType").(string)
	for _, k := range jsonv.SortedKeys(cfg) {
		val := cfg.Value(k)
		kptr := vdPointer(cptr, k)
		switch k {
		case "InputType":
			switch inputType {
			case "JSON", "JSONL", "CSV", "MANIFEST", "PARQUET":
			default:
				v.schema(kptr, "Field 'InputType' must be one of CSV, JSON, JSONL, MANIFEST or PARQUET, got %s", vdDescribe(val))
			}
		case "CSVHeaderLocation":
			if s, _ := val.(string); s != "FIRST_ROW" && s != "GIVEN" {
				v.schema(kptr, "Field 'CSVHeaderLocation' must be \"FIRST_ROW\" or \"GIVEN\", got %s", vdDescribe(val))
			}
		case "CSVHeaders":
			hs, ok := val.([]any)
			if !ok || len(hs) == 0 {
				v.schema(kptr, "Field 'CSVHeaders' must be a non-empty array of strings, got %s", vdDescribe(val))
				continue
			}
			seen := map[string]bool{}
			for _, h := range hs {
				s, ok := h.(string)
				if !ok {
					v.schema(kptr, "Field 'CSVHeaders' must be a non-empty array of strings, got %s among them", vdDescribe(h))
					break
				}
				if seen[s] {
					v.schema(kptr, "CSV headers cannot contain duplicates; %q appears twice", s)
					break
				}
				seen[s] = true
			}
		case "CSVDelimiter":
			if s, _ := val.(string); !slices.Contains(vdCSVDelimiters, s) {
				v.schema(kptr, "Field 'CSVDelimiter' must be one of %s, got %s", strings.Join(vdCSVDelimiters, ", "), vdDescribe(val))
			}
		case "MaxItems":
			if s, isStr := val.(string); isStr && st.jsonata && vdIsExpr(s) {
				continue
			}
			v.wantInt(kptr, k, val, 1, vdMaxReaderItems, st.jsonata)
		case "MaxItemsPath":
			if st.jsonata {
				v.schema(kptr, "Field 'MaxItemsPath' is not supported when QueryLanguage is JSONata; use 'MaxItems' with a JSONata expression instead")
				continue
			}
			v.pathField(kptr, k, val, false, true)
		case "ManifestType":
			v.manifestType(kptr, val, inputType, res, cfg)
		default:
			v.schema(kptr, "Field '%s' is not supported in ReaderConfig; expected only InputType, ManifestType, CSVHeaderLocation, CSVHeaders, CSVDelimiter, MaxItems and MaxItemsPath", k)
		}
	}
	_, hasMax := cfg.Get("MaxItems")
	_, hasMaxPath := cfg.Get("MaxItemsPath")
	if hasMax && hasMaxPath {
		v.schema(cptr, "Fields 'MaxItems' and 'MaxItemsPath' are mutually exclusive; set only one of them")
	}
	loc, _ := cfg.Value("CSVHeaderLocation").(string)
	_, hasHeaders := cfg.Get("CSVHeaders")
	switch {
	case res == "arn:aws:states:::s3:getObject" && inputType == "":
		v.schema(cptr, "ItemReader with \"arn:aws:states:::s3:getObject\" needs ReaderConfig.InputType (JSON, JSONL, CSV, PARQUET or MANIFEST)")
	case res == "arn:aws:states:::s3:listObjectsV2" && inputType != "":
		v.schema(vdPointer(cptr, "InputType"), "Field 'InputType' is not used with \"arn:aws:states:::s3:listObjectsV2\": its items are the objects listed")
	}
	if inputType != "CSV" {
		for _, k := range []string{"CSVHeaderLocation", "CSVHeaders", "CSVDelimiter"} {
			if _, has := cfg.Get(k); has {
				v.schema(vdPointer(cptr, k), "Field '%s' is only used with InputType \"CSV\"", k)
			}
		}
		return
	}
	if cfg.Value("ManifestType") == "S3_INVENTORY" {
		// The inventory's manifest names the columns (fileSchema) and
		// S3 Inventory writes commas: nothing for these fields to say.
		for _, k := range []string{"CSVHeaderLocation", "CSVHeaders", "CSVDelimiter"} {
			if _, has := cfg.Get(k); has {
				v.schema(vdPointer(cptr, k), "Field '%s' is not used with ManifestType \"S3_INVENTORY\": the inventory manifest's fileSchema names the columns", k)
			}
		}
		return
	}
	switch {
	case loc == "":
		v.schema(cptr, "InputType \"CSV\" needs 'CSVHeaderLocation': \"FIRST_ROW\" or \"GIVEN\"")
	case loc == "GIVEN" && !hasHeaders:
		v.schema(cptr, "CSVHeaderLocation \"GIVEN\" needs 'CSVHeaders', the column names")
	case loc == "FIRST_ROW" && hasHeaders:
		v.schema(vdPointer(cptr, "CSVHeaders"), "Field 'CSVHeaders' is only used with CSVHeaderLocation \"GIVEN\"; the first row names the columns")
	}
}

// vdMaxBatchBytes is AWS's ceiling on MaxInputBytesPerBatch: 256 KiB, the
// payload limit of the child execution's input.
const vdMaxBatchBytes = 256 * 1024

// itemBatcher checks a Map's ItemBatcher. Batches are made for child
// executions, so only a Distributed Map has them; and a batcher needs a
// limit, by item count or by size.
func (v *defValidator) itemBatcher(st *vdState, raw any) {
	ptr := st.field("ItemBatcher")
	obj, ok := v.distributedOnly(st, "ItemBatcher", " with 'MaxItemsPerBatch' or 'MaxInputBytesPerBatch'", raw)
	if !ok {
		return
	}
	expected := "BatchInput, MaxInputBytesPerBatch, MaxInputBytesPerBatchPath, MaxItemsPerBatch, MaxItemsPerBatchPath"
	if st.jsonata {
		expected = "BatchInput, MaxInputBytesPerBatch, MaxItemsPerBatch"
	}
	for _, k := range jsonv.SortedKeys(obj) {
		val := obj.Value(k)
		kptr := vdPointer(ptr, k)
		switch k {
		case "MaxItemsPerBatch", "MaxInputBytesPerBatch":
			if s, isStr := val.(string); isStr && st.jsonata && vdIsExpr(s) {
				continue
			}
			most := int64(vdNoMax)
			if k == "MaxInputBytesPerBatch" {
				most = vdMaxBatchBytes
			}
			v.wantInt(kptr, k, val, 1, most, st.jsonata)
		case "MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath":
			if st.jsonata {
				v.schema(kptr, "Field '%s' is not supported when QueryLanguage is JSONata; use '%s' with a JSONata expression instead", k, strings.TrimSuffix(k, "Path"))
				continue
			}
			v.pathField(kptr, k, val, false, true)
		case "BatchInput":
			if st.jsonata {
				v.objectOrExpr(kptr, k, val)
			} else {
				v.templateField(kptr, k, val, st.depth)
			}
		default:
			v.schema(kptr, "Field '%s' is not supported in ItemBatcher; expected only %s", k, expected)
		}
	}
	limits := 0
	for _, pair := range [][2]string{{"MaxItemsPerBatch", "MaxItemsPerBatchPath"}, {"MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"}} {
		_, hasA := obj.Get(pair[0])
		_, hasB := obj.Get(pair[1])
		if hasA && hasB {
			v.schema(ptr, "Fields '%s' and '%s' are mutually exclusive; set only one of them", pair[0], pair[1])
		}
		if hasA || (hasB && !st.jsonata) {
			limits++
		}
	}
	if limits == 0 {
		if st.jsonata {
			v.schema(ptr, "ItemBatcher needs 'MaxItemsPerBatch', 'MaxInputBytesPerBatch' or both")
		} else {
			v.schema(ptr, "ItemBatcher needs at least one of 'MaxItemsPerBatch', 'MaxItemsPerBatchPath', 'MaxInputBytesPerBatch' or 'MaxInputBytesPerBatchPath'")
		}
	}
}

// vdDistributed reports whether a Map state's processor runs in
// DISTRIBUTED mode.
func vdDistributed(obj *jsonv.Object) bool {
	for _, k := range []string{"ItemProcessor", "Iterator"} {
		proc, _ := obj.Value(k).(*jsonv.Object)
		cfg, _ := proc.Value("ProcessorConfig").(*jsonv.Object)
		if cfg.Value("Mode") == "DISTRIBUTED" {
			return true
		}
	}
	return false
}

const vdMaxLabel = 40

// label checks a Map Label: it becomes part of Map Run ARNs, hence the
// length limit and the characters ARNs and URLs cannot carry.
func (v *defValidator) label(ptr string, val any) {
	s, ok := val.(string)
	if !ok {
		v.schema(ptr, "Field 'Label' must be a string, got %s", vdDescribe(val))
		return
	}
	if n := len([]rune(s)); n > vdMaxLabel || n == 0 {
		v.add(ptr, CodeInvalidLabel, "Label '%s' is %d characters long; a Map label must be 1 to %d characters", s, n, vdMaxLabel)
	}
	for _, r := range s {
		if r <= ' ' || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) || r == 0x85 || r == 0xa0 || r == 0x2028 || r == 0x2029 {
			v.add(ptr, CodeInvalidLabel, "Label '%s' contains %q; a Map label must not contain whitespace, control characters or any of < > { } [ ] ? * \" # %% \\ ^ | ~ ` $ & , ; : /", s, r)
			break
		}
	}
	if first, ok := v.labels[s]; ok {
		v.add(ptr, CodeDuplicateLabel, "Label '%s' is already used at %s; Map labels must be unique within the state machine", s, first)
	} else {
		v.labels[s] = ptr
	}
}

// exclusive reports a state that sets both a field and its alternative.
func (v *defValidator) exclusive(st *vdState, a, b string) {
	_, hasA := st.obj.Get(a)
	_, hasB := st.obj.Get(b)
	if hasA && hasB {
		v.schema(st.ptr, "Fields '%s' and '%s' are mutually exclusive; set only one of them", a, b)
	}
}

// secondsField checks an integer field with a lower bound that a JSONata
// state may also give as an expression. It returns the literal value.
func (v *defValidator) secondsField(st *vdState, k string, min int64) (int64, bool) {
	val, ok := st.obj.Get(k)
	if !ok {
		return 0, false
	}
	if s, isStr := val.(string); isStr && st.jsonata && vdIsExpr(s) {
		return 0, false
	}
	return v.wantInt(st.field(k), k, val, min, vdNoMax, st.jsonata)
}

func (v *defValidator) numberOrExpr(st *vdState, k string, val any, min, max float64) {
	if s, isStr := val.(string); isStr && st.jsonata && vdIsExpr(s) {
		return
	}
	f, ok := vdFiniteNumber(val)
	if !ok || f < min || f > max {
		orExpr := ""
		if st.jsonata {
			orExpr = " or a JSONata expression \"{% ... %}\""
		}
		v.schema(st.field(k), "Field '%s' must be a number from %g to %g%s, got %s", k, min, max, orExpr, vdDescribe(val))
	}
}

func (v *defValidator) refPathField(st *vdState, k string) {
	if val, ok := st.obj.Get(k); ok {
		v.pathField(st.field(k), k, val, false, true)
	}
}

func vdQuoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, ", ")
}

// distributedOnly checks a field only a Distributed Map takes (ItemReader,
// ItemBatcher, ResultWriter): it must be an object (shape says what it
// should hold), and the Map's ItemProcessor must be DISTRIBUTED. It
// returns the object, or false when there is none to check further.
func (v *defValidator) distributedOnly(st *vdState, field, shape string, raw any) (*jsonv.Object, bool) {
	ptr := st.field(field)
	obj, ok := raw.(*jsonv.Object)
	if !ok {
		v.schema(ptr, "Field '%s' must be an object%s, got %s", field, shape, vdDescribe(raw))
		return nil, false
	}
	if !vdDistributed(st.obj) {
		v.schema(ptr, "Field '%s' is only supported by a Distributed Map; set \"ProcessorConfig\": {\"Mode\": \"DISTRIBUTED\"} in 'ItemProcessor', or remove it", field)
	}
	return obj, true
}
