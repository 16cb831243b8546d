package api

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/statecraft/statecraft/apimodel"
	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/itemreader"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// TestState runs one state with an input, as AWS does: the state alone
// (the definition is the state's JSON object), or one state of a whole
// machine (stateName). The engine runs it (Engine.TestState), through the
// interpreter's own code and the port its executions use, so a Task state
// calls the local function or HTTP endpoint an execution would, or starts
// the execution a request-response states:startExecution names. What the
// state computed comes back by inspectionLevel: INFO the outcome, DEBUG
// its data flow, TRACE the HTTP exchange of an HTTP task as well.

// testStateName is the name AWS gives a state tested alone: $$.State.Name
// reads it.
const testStateName = "StateName"

// stateNameStr is the model's TestStateStateName.
var stateNameStr = str{min: 1, max: 80, sensitive: true}

const (
	levelInfo  = "INFO"
	levelDebug = "DEBUG"
	levelTrace = "TRACE"
)

// testStateArgs is a TestState request, read and checked.
type testStateArgs struct {
	def, role, stateName string
	level                string
	reveal               bool
	input                any
	vars                 map[string]any
	mock                 *engine.TaskMock
	mockMode             string // fieldValidationMode, STRICT when absent
	retryCount           int64
	// context is the context object given ("context"), nil when absent.
	context *jsonv.Object
	// The stateConfiguration for mocked Map and Parallel states.
	causedBy       string // errorCausedByState, "" when absent
	mapFailures    int64
	hasMapFailures bool
	itemData       string
	hasItemData    bool
}

func (s *server) testState(c *call) (any, error) {
	a, err := readTestState(c)
	if err != nil {
		return nil, err
	}
	if a.reveal && !c.p.Role.Allows("states:RevealSecrets") {
		return nil, accessDenied(c.p.DeniedMessage("states:RevealSecrets", ""))
	}
	sm, st, aerr := testedState(a, s.opts.AWSSDK)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkTestable(st, a); aerr != nil {
		return nil, aerr
	}
	if aerr := checkMockResult(st, a); aerr != nil {
		return nil, aerr
	}

	if aerr := checkStateConfiguration(st, a); aerr != nil {
		return nil, aerr
	}
	if a.context != nil {
		if aerr := checkContext(a.context, st); aerr != nil {
			return nil, aerr
		}
	}

	t := &engine.StateTest{
		Machine: sm, State: st, Region: c.region, Account: c.p.Account, RoleArn: a.role,
		Input: a.input, Variables: a.vars, RetryCount: a.retryCount, Mock: a.mock,
		MapFailures: a.mapFailures, HasMapFailures: a.hasMapFailures, Context: a.context,
	}
	if a.hasItemData {
		t.Items = itemreader.Data(a.itemData)
	}
	if a.level == levelTrace {
		t.Trace = &taskport.HTTPTrace{RevealSecrets: a.reveal}
	}
	res, err := s.eng.TestState(c.ctx, t)
	if err != nil {
		return nil, err
	}
	return testStateResult(res, a.level, t.Trace), nil
}

func readTestState(c *call) (*testStateArgs, error) {
	in := c.in
	a := &testStateArgs{level: levelInfo}
	a.def, _ = in.str("definition", definitionStr.req())
	role, roleGiven := in.str("roleArn", arnStr)
	input, inputGiven := in.str("input", dataStr)
	if level, ok := in.enum("inspectionLevel", false, levelInfo, levelDebug, levelTrace); ok {
		a.level = level
	}
	a.reveal, _ = in.boolean("revealSecrets")
	vars, varsGiven := in.str("variables", dataStr)
	a.stateName, _ = in.str("stateName", stateNameStr)
	mock := readMock(in.object("mock", false))
	ctxText, contextGiven := in.str("context", dataStr)
	if conf := in.object("stateConfiguration", false); conf != nil {
		a.retryCount, _ = conf.integer("retrierRetryCount", 0, math32)
		// The rest configures mocked Map and Parallel states.
		a.causedBy, _ = conf.str("errorCausedByState", stateNameStr)
		a.itemData, a.hasItemData = conf.str("mapItemReaderData", dataStr)
		a.mapFailures, a.hasMapFailures = conf.integer("mapIterationFailureCount", 0, math32)
	}
	if err := in.r.check(); err != nil {
		return nil, err
	}

	if roleGiven {
		if err := checkRoleArn(role); err != nil {
			return nil, err
		}
		a.role = role
	}
	if mock != nil {
		m, err := mock.check(a.reveal)
		if err != nil {
			return nil, err
		}
		a.mock = m
		a.mockMode = mock.mode
	}
	if contextGiven {
		if mock == nil {
			return nil, validationError("A context can only be specified when a mock is specified.")
		}
		v, err := parseJSON(ctxText)
		m, isObject := v.(*jsonv.Object)
		if err != nil || !isObject {
			return nil, validationError("Invalid Context object provided: the context must be a JSON object, got %s", describeJSON(ctxText, err))
		}
		a.context = m
	}
	if a.hasMapFailures && mock == nil {
		return nil, validationError("TestState does not support MapIterationFailureCount when a mock is not specified.")
	}
	if !inputGiven {
		input = "{}"
	}
	parsed, err := parseJSON(input)
	if err != nil {
		return nil, invalidInput(err)
	}
	a.input = parsed
	if varsGiven {
		v, err := parseJSON(vars)
		m, isObject := v.(*jsonv.Object)
		if err != nil || !isObject {
			return nil, validationError("The variables must be a JSON object of variable names and values, got %s", describeJSON(vars, err))
		}
		a.vars = m.Map()
	}
	return a, nil
}

// mockArgs is a request's mock, as read.
type mockArgs struct {
	result      string
	hasResult   bool
	errorOutput bool
	err, cause  string
	hasErr      bool
	hasCause    bool
	mode        string // fieldValidationMode, STRICT when absent (AWS's default)
}

// The fieldValidationMode values.
const (
	modeStrict  = "STRICT"
	modePresent = "PRESENT"
	modeNone    = "NONE"
)

// readMock reads the mock member (nil when absent).
func readMock(f *fields) *mockArgs {
	if f == nil {
		return nil
	}
	m := &mockArgs{mode: modeStrict}
	m.result, m.hasResult = f.str("result", dataStr)
	if out := f.object("errorOutput", false); out != nil {
		m.errorOutput = true
		m.err, m.hasErr = out.str("error", errorStr)
		m.cause, m.hasCause = out.str("cause", causeStr)
	}
	if mode, ok := f.enum("fieldValidationMode", false, modeStrict, modePresent, modeNone); ok {
		m.mode = mode
	}
	return m
}

// check applies AWS's rules for a mock and returns the task's outcome.
func (m *mockArgs) check(reveal bool) (*engine.TaskMock, *apiError) {
	if m.hasResult == m.errorOutput {
		return nil, validationError("A test mock should have only one of the following fields: [result, errorOutput].")
	}
	if reveal {
		return nil, validationError("TestState does not support RevealSecrets when a mock is specified.")
	}
	if m.errorOutput {
		if !m.hasErr {
			return nil, validationError("The error of a test mock's errorOutput must be specified.")
		}
		return &engine.TaskMock{Failed: true, Error: m.err, Cause: m.cause, HasCause: m.hasCause}, nil
	}
	v, err := parseJSON(m.result)
	if err != nil {
		return nil, validationError("Mocked result must be valid JSON")
	}
	return &engine.TaskMock{Result: v}, nil
}

// math32 is the largest value of the model's integers.
const math32 = 1<<31 - 1

func describeJSON(text string, err error) string {
	if err != nil {
		return "text that is not JSON (" + err.Error() + ")"
	}
	v, _ := parseJSON(text)
	return "a JSON " + jsonv.TypeName(v)
}

// testedState validates and builds the definition, and finds the state to
// test in it; sdk is the aws-sdk integrations the server runs.
func testedState(a *testStateArgs, sdk *asl.AWSSDK) (*asl.StateMachine, *asl.State, *apiError) {
	if a.stateName != "" {
		if aerr := checkDefinition(a.def, false, sdk); aerr != nil {
			return nil, nil, aerr
		}
		sm, err := asl.Parse([]byte(a.def))
		if err != nil {
			return nil, nil, invalidDefinition([]asl.Problem{{Code: asl.CodeSchema, Message: err.Error()}})
		}
		st := sm.Find(a.stateName)
		if st == nil {
			return nil, nil, validationError("State not found in definition")
		}
		return sm, st, nil
	}
	if _, err := parseJSON(a.def); err != nil && strings.TrimSpace(a.def) != "" {
		return nil, nil, invalidDefinition([]asl.Problem{{Code: asl.CodeInvalidJSON, Message: "The definition is not valid JSON (" + err.Error() + "); expected a JSON object with the state's 'Type' and fields"}})
	}
	if problems := asl.ValidateState([]byte(a.def), asl.ValidateOptions{}); len(problems) > 0 {
		return nil, nil, invalidDefinition(problems)
	}
	sm, err := asl.ParseState([]byte(a.def), testStateName)
	if err != nil {
		return nil, nil, invalidDefinition([]asl.Problem{{Code: asl.CodeSchema, Message: err.Error()}})
	}
	return sm, sm.Start, nil
}

// checkTestable refuses what TestState does not run: Map and Parallel
// states and the Task resources that wait for someone else (activities,
// .sync, .waitForTaskToken), unless a mock answers for them; a mock for a
// state that calls nothing; a Task state without a role.
func checkTestable(st *asl.State, a *testStateArgs) *apiError {
	switch st.Type {
	case asl.TypeMap, asl.TypeParallel:
		if a.mock == nil {
			return serviceError("InvalidDefinition", "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]")
		}
		return checkChildrenMock(st, a.mock)
	case asl.TypeTask:
		if a.mock != nil {
			return nil
		}
		if waits(st.Resource) {
			return serviceError("InvalidDefinition", "TestState API does not support Activity tasks or the .sync and .waitForTaskToken service integration patterns unless a mock is specified: '%s'", st.Resource)
		}
		if a.role == "" {
			return validationError("RoleArn must be specified when testing a Task state")
		}
	default:
		if a.mock != nil {
			return validationError("State type '%s' is not supported when a mock is specified", st.Type)
		}
	}
	return nil
}

// checkMockResult checks a Task's mocked result against the output shape
// of the API its resource calls, as fieldValidationMode asks (package
// apimodel: botocore's models; AWS's recorded messages). A resource no
// model describes (a Lambda function, an activity, a callback's token,
// http:invoke, a .sync job) has its result taken as given, in any mode.
func checkMockResult(st *asl.State, a *testStateArgs) *apiError {
	if a.mock == nil || a.mock.Failed || st.Type != asl.TypeTask || a.mockMode == modeNone {
		return nil
	}
	out := apimodel.ForResource(st.Resource)
	if out == nil {
		return nil
	}
	if err := out.Check(a.mock.Result, a.mockMode == modeStrict); err != nil {
		return validationError("%s", err.Error())
	}
	return nil
}

// checkChildrenMock applies AWS's rules for the mock of a Map or Parallel
// state: its result is what the children would give together, an array
// (one member per branch of a Parallel), or the object a Map's
// ResultWriter gives. The messages are AWS's (recorded).
func checkChildrenMock(st *asl.State, m *engine.TaskMock) *apiError {
	if m.Failed {
		return nil
	}
	if st.Type == asl.TypeMap && st.ResultWriter != nil {
		if _, ok := m.Result.(*jsonv.Object); !ok {
			return validationError("Mocked result must be a JSON object.")
		}
		return nil
	}
	arr, ok := m.Result.([]any)
	if !ok {
		return validationError("Mocked result must be an array.")
	}
	if st.Type == asl.TypeParallel && len(arr) != len(st.Branches) {
		return validationError("Mocked result must contain the same number of items as number of Parallel branches.")
	}
	return nil
}

// checkStateConfiguration applies the rules of stateConfiguration's
// members for mocked Map and Parallel states. Where AWS's rule is not
// known (a member given for a state it does not configure), the member is
// refused rather than ignored.
func checkStateConfiguration(st *asl.State, a *testStateArgs) *apiError {
	if a.hasMapFailures {
		if st.Type != asl.TypeMap {
			return validationError("stateConfiguration.mapIterationFailureCount can only be specified when testing a Map state, not a %s state", st.Type)
		}
		// Compared with the mocked result's items, as AWS does (the
		// recorded check): one result per iteration.
		if arr, ok := a.mock.Result.([]any); ok && !a.mock.Failed && a.mapFailures > int64(len(arr)) {
			return validationError("Map iteration failure count must be less than or equal to the number of Map iterations")
		}
	}
	if a.causedBy != "" {
		if st.Type != asl.TypeMap && st.Type != asl.TypeParallel {
			return validationError("stateConfiguration.errorCausedByState can only be specified when testing a Map or Parallel state, not a %s state", st.Type)
		}
		if a.mock == nil || !a.mock.Failed {
			return validationError("stateConfiguration.errorCausedByState names the state a mocked error comes from: it needs a mock with an errorOutput")
		}
		if !containsState(st, a.causedBy) {
			return validationError("stateConfiguration.errorCausedByState '%s' is not a state of the %s state '%s'", a.causedBy, st.Type, st.Name)
		}
	}
	reads := st.Type == asl.TypeMap && st.ItemReader != nil
	if a.hasItemData && !reads {
		return validationError("stateConfiguration.mapItemReaderData can only be specified when testing a Map state with an ItemReader")
	}
	if reads && a.mock != nil && !a.mock.Failed {
		// A test reads nothing from the object store: the items come from
		// the request, as the object's text.
		r := st.ItemReader
		if !a.hasItemData {
			return validationError("A tested Map state with an ItemReader takes its items from stateConfiguration.mapItemReaderData, which is missing")
		}
		if r.Resource != asl.ReaderGetObject || r.ManifestType != "" || (r.InputType != "JSON" && r.InputType != "JSONL" && r.InputType != "CSV") {
			return validationError("Statecraft takes stateConfiguration.mapItemReaderData as the text of an object read with %s as JSON, JSONL or CSV; it cannot stand for this ItemReader's source", asl.ReaderGetObject)
		}
	}
	return nil
}

// containsState tells whether a state named name is nested in st (a
// Map's ItemProcessor, a Parallel's branches), at any depth.
func containsState(st *asl.State, name string) bool {
	var scopes []*asl.StateMachine
	if st.Processor != nil {
		scopes = append(scopes, st.Processor)
	}
	scopes = append(scopes, st.Branches...)
	for _, sc := range scopes {
		for _, s := range sc.States {
			if s.Name == name || containsState(s, name) {
				return true
			}
		}
	}
	return false
}

// contextFields are the members a given context object may have, and
// their types: what Statecraft's own context object holds, less Map,
// which AWS refuses in a test ("'Map' field is not supported when mocking
// a Context object"). Execution.Input may be any JSON value.
var contextFields = map[string]map[string]string{
	"Execution":    {"Id": "string", "Input": "", "Name": "string", "RoleArn": "string", "StartTime": "string", "RedriveCount": "integer", "RedriveTime": "string"},
	"State":        {"EnteredTime": "string", "Name": "string", "RetryCount": "integer"},
	"StateMachine": {"Id": "string", "Name": "string"},
	"Task":         {"Token": "string"},
}

// checkContext applies AWS's rules for a given context object; the
// messages are AWS's where recorded.
func checkContext(ctx *jsonv.Object, st *asl.State) *apiError {
	const prefix = "Invalid Context object provided: "
	for _, k := range ctx.Keys() {
		v := ctx.Value(k)
		if k == "Map" {
			return validationError(prefix + "'Map' field is not supported when mocking a Context object")
		}
		fields, ok := contextFields[k]
		if !ok {
			return validationError(prefix+"Field '%s' is not allowed", k)
		}
		m, ok := v.(*jsonv.Object)
		if !ok {
			return validationError(prefix+"%s must be an object", k)
		}
		for _, f := range m.Keys() {
			want, ok := fields[f]
			if !ok {
				return validationError(prefix+"Field '%s' is not allowed", f)
			}
			fv := m.Value(f)
			switch want {
			case "string":
				if _, ok := fv.(string); !ok {
					return validationError(prefix+"%s.%s must be a string", k, f)
				}
			case "integer":
				if _, ok := jsonv.Integer(fv); !ok {
					return validationError(prefix+"%s.%s must be an integer", k, f)
				}
			}
		}
		if k == "Task" && !(st.Type == asl.TypeTask && (strings.HasSuffix(st.Resource, ".waitForTaskToken") || strings.HasSuffix(st.Resource, ".sync") || strings.Contains(st.Resource, ".sync:"))) {
			return validationError(prefix + "Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern")
		}
	}
	return nil
}

// waits tells the resources whose outcome comes from someone else than
// the call: an activity's worker, a .sync job, a callback's token.
func waits(resource string) bool {
	if a, err := arn.ParseStates(resource); err == nil && a.Type == "activity" {
		return true
	}
	return strings.HasSuffix(resource, ".sync") || strings.Contains(resource, ".sync:") || strings.HasSuffix(resource, ".waitForTaskToken")
}

type testStateOutput struct {
	Output         *string         `json:"output,omitempty"`
	Error          *string         `json:"error,omitempty"`
	Cause          *string         `json:"cause,omitempty"`
	InspectionData *inspectionData `json:"inspectionData,omitempty"`
	NextState      string          `json:"nextState,omitempty"`
	Status         string          `json:"status"`
}

type inspectionData struct {
	Input               *string             `json:"input,omitempty"`
	AfterArguments      *string             `json:"afterArguments,omitempty"`
	AfterInputPath      *string             `json:"afterInputPath,omitempty"`
	AfterParameters     *string             `json:"afterParameters,omitempty"`
	Result              *string             `json:"result,omitempty"`
	AfterResultSelector *string             `json:"afterResultSelector,omitempty"`
	AfterResultPath     *string             `json:"afterResultPath,omitempty"`
	Request             *inspectionRequest  `json:"request,omitempty"`
	Response            *inspectionResponse `json:"response,omitempty"`
	Variables           *string             `json:"variables,omitempty"`
	ErrorDetails        *errorDetails       `json:"errorDetails,omitempty"`
	// A mocked Map state's. afterItemsPointer is never set: Statecraft
	// does not accept ReaderConfig.ItemsPointer.
	AfterItemsPath             *string  `json:"afterItemsPath,omitempty"`
	AfterItemSelector          *string  `json:"afterItemSelector,omitempty"`
	AfterItemBatcher           *string  `json:"afterItemBatcher,omitempty"`
	MaxConcurrency             *int64   `json:"maxConcurrency,omitempty"`
	ToleratedFailureCount      *int64   `json:"toleratedFailureCount,omitempty"`
	ToleratedFailurePercentage *float64 `json:"toleratedFailurePercentage,omitempty"`
}

type inspectionRequest struct {
	Protocol string `json:"protocol"`
	Method   string `json:"method"`
	URL      string `json:"url"`
	Headers  string `json:"headers"`
	Body     string `json:"body"`
}

type inspectionResponse struct {
	Protocol      string `json:"protocol"`
	StatusCode    string `json:"statusCode"`
	StatusMessage string `json:"statusMessage"`
	Headers       string `json:"headers"`
	Body          string `json:"body"`
}

type errorDetails struct {
	CatchIndex                  *int   `json:"catchIndex,omitempty"`
	RetryIndex                  *int   `json:"retryIndex,omitempty"`
	RetryBackoffIntervalSeconds *int64 `json:"retryBackoffIntervalSeconds,omitempty"`
}

func testStateResult(res *engine.TestResult, level string, trace *taskport.HTTPTrace) *testStateOutput {
	out := &testStateOutput{Status: res.Status, NextState: res.NextState, Output: res.Output, Error: res.Error, Cause: res.Cause}
	if level == levelInfo {
		return out
	}
	in := res.Inspect
	d := &inspectionData{
		Input: in.Input, AfterInputPath: in.AfterInputPath, AfterParameters: in.AfterParameters,
		AfterArguments: in.AfterArguments, Result: in.Result, AfterResultSelector: in.AfterResultSelector,
		AfterResultPath: in.AfterResultPath, Variables: in.Variables,
		AfterItemsPath: in.AfterItemsPath, AfterItemSelector: in.AfterItemSelector, AfterItemBatcher: in.AfterItemBatcher,
		MaxConcurrency: in.MaxConcurrency, ToleratedFailureCount: in.ToleratedFailureCount, ToleratedFailurePercentage: in.ToleratedFailurePercentage,
	}
	if in.RetryIndex != nil || in.CatchIndex != nil {
		d.ErrorDetails = &errorDetails{RetryIndex: in.RetryIndex, CatchIndex: in.CatchIndex}
		if in.RetryBackoff != nil {
			// Whole seconds, as the model's integer holds them.
			d.ErrorDetails.RetryBackoffIntervalSeconds = ptr(int64(*in.RetryBackoff / time.Second))
		}
	}
	if trace != nil {
		if r := trace.Request; r != nil {
			d.Request = &inspectionRequest{Protocol: scheme(r.URL), Method: r.Method, URL: r.URL, Headers: headerText(r.Header), Body: r.Body}
			if r := trace.Response; r != nil {
				d.Response = &inspectionResponse{Protocol: d.Request.Protocol, StatusCode: strconv.Itoa(r.StatusCode),
					StatusMessage: r.Status, Headers: headerText(r.Header), Body: r.Body}
			}
		}
	}
	out.InspectionData = d
	return out
}

func scheme(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme
}

// headerText renders headers as AWS's inspection data does, one
// "Name: value" per value in a bracketed list, sorted so that the same
// headers read the same.
func headerText(h http.Header) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[name] {
			parts = append(parts, fmt.Sprintf("%s: %s", name, v))
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func ptr[T any](v T) *T { return &v }
