package asl

import (
	"time"

	"github.com/statecraft/statecraft/asl/jsonpath"

	"github.com/statecraft/statecraft/jsonv"
)

// State types.
const (
	TypePass     = "Pass"
	TypeTask     = "Task"
	TypeChoice   = "Choice"
	TypeWait     = "Wait"
	TypeSucceed  = "Succeed"
	TypeFail     = "Fail"
	TypeParallel = "Parallel"
	TypeMap      = "Map"
)

// Query languages.
const (
	JSONPath = "JSONPath"
	JSONata  = "JSONata"
)

// StateMachine is a parsed definition, or one Parallel branch or Map
// processor (a scope with its own StartAt and States).
type StateMachine struct {
	Comment        string
	StartAt        string
	States         map[string]*State
	TimeoutSeconds int64 // 0: none
	QueryLanguage  string
	// Pointer is where this scope sits in the document ("" for the top).
	Pointer string
	// Start is States[StartAt], resolved by Parse (nil when missing or when
	// the machine was built by hand).
	Start *State
}

// IOPath is an optional InputPath/OutputPath/ResultPath: unset means the
// default ("$"), Null means the field was JSON null.
type IOPath struct {
	Set  bool
	Null bool
	Path *jsonpath.Path
}

// Retrier is one Retry entry.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds int64
	MaxAttempts     int64
	BackoffRate     float64
	MaxDelaySeconds int64 // 0: none
	JitterFull      bool
}

// Catcher is one Catch entry.
type Catcher struct {
	ErrorEquals []string
	Next        string
	// NextState is the state Next names, resolved like State.NextState.
	NextState  *State
	ResultPath IOPath
	Assign     *jsonpath.Template
	// JSONata: Output is the raw field, OutputQuery and AssignQuery the
	// compiled ones.
	Output      any
	OutputQuery *Query
	AssignQuery *Query
}

// State is one state of any type; fields that do not apply stay zero.
type State struct {
	Name          string
	Type          string
	Pointer       string
	Comment       string
	QueryLanguage string
	Next          string
	End           bool
	// NextState is States[Next] in the same scope, resolved by Parse so that
	// a transition needs no map lookup; nil when Next names no state (the
	// interpreter then looks the name up and reports it) or when the state
	// was built by hand.
	NextState *State

	InputPath      IOPath
	OutputPath     IOPath
	ResultPath     IOPath
	Parameters     *jsonpath.Template
	ResultSelector *jsonpath.Template
	Result         any
	HasResult      bool
	// ResultSize is jsonv.Size(Result), set by Parse (0: not measured).
	ResultSize int
	Assign     *jsonpath.Template

	// Task
	Resource             string
	TimeoutSeconds       int64 // 0: unset
	TimeoutSecondsPath   *jsonpath.Path
	HeartbeatSeconds     int64 // 0: unset
	HeartbeatSecondsPath *jsonpath.Path
	// Credentials is the JSONPath template of the Task's Credentials
	// ({"RoleArn": ...} or {"RoleArn.$": ...}); nil when absent.
	Credentials *jsonpath.Template
	Retry       []*Retrier
	Catch       []*Catcher

	// Choice
	Choices []*ChoiceRule
	Default string
	// DefaultState is States[Default], resolved like NextState.
	DefaultState *State

	// Wait
	Seconds       int64
	HasSeconds    bool
	Timestamp     time.Time
	HasTimestamp  bool
	SecondsPath   *jsonpath.Path
	TimestampPath *jsonpath.Path

	// Fail
	Error     string
	HasError  bool
	Cause     string
	HasCause  bool
	ErrorPath *jsonpath.Expr
	CausePath *jsonpath.Expr

	// Parallel
	Branches []*StateMachine

	// Map
	Processor   *StateMachine
	Distributed bool
	// ExpressChildren: a Distributed Map whose ProcessorConfig's
	// ExecutionType is EXPRESS runs each child as an Express execution.
	ExpressChildren                bool
	ItemsPath                      IOPath
	ItemSelector                   *jsonpath.Template
	MaxConcurrency                 int64
	MaxConcurrencyPath             *jsonpath.Path
	ToleratedFailureCount          int64
	HasToleratedFailureCount       bool
	ToleratedFailureCountPath      *jsonpath.Path
	ToleratedFailurePercentage     float64
	HasToleratedFailurePercentage  bool
	ToleratedFailurePercentagePath *jsonpath.Path
	Label                          string
	// ItemBatcher is a Distributed Map's batching; nil when absent.
	ItemBatcher *ItemBatcher
	// ItemReader is where a Distributed Map reads its items; nil when
	// they come from the state's input.
	ItemReader *ItemReader
	// ResultWriter is how a Distributed Map exports or formats its
	// children's results; nil when the results are the Map's output.
	ResultWriter *ResultWriter

	// JSONata holds the compiled fields of a JSONata state; nil for a
	// JSONPath state.
	JSONata *JSONataFields

	// Raw is the state's JSON object as written.
	Raw *jsonv.Object
}

// ItemBatcher makes each child of a Distributed Map take a batch of items,
// {"Items": [...], "BatchInput": ...}, instead of one item. A JSONPath
// state uses the literal, Path and template fields, a JSONata state the
// Query ones. Unset limits are zero or nil.
type ItemBatcher struct {
	MaxItemsPerBatch          int64
	MaxItemsPerBatchPath      *jsonpath.Path
	MaxInputBytesPerBatch     int64
	MaxInputBytesPerBatchPath *jsonpath.Path
	BatchInput                *jsonpath.Template

	MaxItemsPerBatchQuery      *Query
	MaxInputBytesPerBatchQuery *Query
	BatchInputQuery            *Query
}

// Item reader resources: the S3 actions a Distributed Map reads its
// items with.
const (
	ReaderGetObject     = "arn:aws:states:::s3:getObject"
	ReaderListObjectsV2 = "arn:aws:states:::s3:listObjectsV2"
)

// WriterPutObject is the one ResultWriter resource: the S3 action that
// exports a Map Run's results.
const WriterPutObject = "arn:aws:states:::s3:putObject"

// ResultWriter exports a Distributed Map's results to an object store
// (Resource set) or only formats them (WriterConfig alone). Transformation
// and OutputType are "" when WriterConfig leaves them out.
type ResultWriter struct {
	Resource       string
	Parameters     *jsonpath.Template
	ArgumentsQuery *Query
	Transformation string
	OutputType     string
}

// ItemReader reads a Distributed Map's items from an object store. A
// JSONPath state uses Parameters and MaxItemsPath, a JSONata one the Query
// fields. InputType is "" for listObjectsV2, whose items are the objects.
type ItemReader struct {
	Resource          string
	Parameters        *jsonpath.Template
	InputType         string
	CSVHeaderLocation string
	CSVHeaders        []string
	CSVDelimiter      string
	// ManifestType is "ATHENA_DATA" or "S3_INVENTORY" when the object
	// read is a manifest listing the data files to read, "" otherwise.
	ManifestType string
	MaxItems     int64 // 0: unset
	MaxItemsPath *jsonpath.Path

	ArgumentsQuery *Query
	MaxItemsQuery  *Query
}

// JSONataFields are the fields of a JSONata state, compiled. Absent fields
// are nil.
type JSONataFields struct {
	Arguments    *Query
	Output       *Query
	Assign       *Query
	Items        *Query
	ItemSelector *Query

	TimeoutSeconds             *Query
	Credentials                *Query
	HeartbeatSeconds           *Query
	Seconds                    *Query
	Timestamp                  *Query
	MaxConcurrency             *Query
	ToleratedFailureCount      *Query
	ToleratedFailurePercentage *Query
	Error                      *Query
	Cause                      *Query
}

// Comparison operators of Choice rules.
type Op uint8

const (
	OpNone Op = iota
	OpAnd
	OpOr
	OpNot
	OpStringEquals
	OpStringLessThan
	OpStringGreaterThan
	OpStringLessThanEquals
	OpStringGreaterThanEquals
	OpStringMatches
	OpNumericEquals
	OpNumericLessThan
	OpNumericGreaterThan
	OpNumericLessThanEquals
	OpNumericGreaterThanEquals
	OpBooleanEquals
	OpTimestampEquals
	OpTimestampLessThan
	OpTimestampGreaterThan
	OpTimestampLessThanEquals
	OpTimestampGreaterThanEquals
	OpIsNull
	OpIsPresent
	OpIsNumeric
	OpIsString
	OpIsBoolean
	OpIsTimestamp
)

// OpNames maps operator field names to operators; "<name>Path" variants map
// to the same operator with ChoiceRule.ValuePath set.
var OpNames = map[string]Op{
	"And": OpAnd, "Or": OpOr, "Not": OpNot,
	"StringEquals": OpStringEquals, "StringLessThan": OpStringLessThan, "StringGreaterThan": OpStringGreaterThan,
	"StringLessThanEquals": OpStringLessThanEquals, "StringGreaterThanEquals": OpStringGreaterThanEquals,
	"StringMatches": OpStringMatches,
	"NumericEquals": OpNumericEquals, "NumericLessThan": OpNumericLessThan, "NumericGreaterThan": OpNumericGreaterThan,
	"NumericLessThanEquals": OpNumericLessThanEquals, "NumericGreaterThanEquals": OpNumericGreaterThanEquals,
	"BooleanEquals":   OpBooleanEquals,
	"TimestampEquals": OpTimestampEquals, "TimestampLessThan": OpTimestampLessThan, "TimestampGreaterThan": OpTimestampGreaterThan,
	"TimestampLessThanEquals": OpTimestampLessThanEquals, "TimestampGreaterThanEquals": OpTimestampGreaterThanEquals,
	"IsNull": OpIsNull, "IsPresent": OpIsPresent, "IsNumeric": OpIsNumeric, "IsString": OpIsString,
	"IsBoolean": OpIsBoolean, "IsTimestamp": OpIsTimestamp,
}

// ChoiceRule is a Choice rule or a nested boolean expression.
type ChoiceRule struct {
	Op        Op
	Variable  *jsonpath.Path
	Value     any            // literal operand
	ValuePath *jsonpath.Path // operand of a ...Path operator
	Children  []*ChoiceRule  // And, Or, Not
	Next      string
	// NextState is the state Next names, resolved like State.NextState.
	NextState *State
	Assign    *jsonpath.Template
	// Pattern is the compiled StringMatches pattern.
	Pattern *Pattern
	// Time is the parsed Timestamp* literal operand.
	Time time.Time
	// Condition is the JSONata condition as written; ConditionQuery,
	// OutputQuery and AssignQuery are a JSONata rule's compiled fields.
	Condition      any
	ConditionQuery *Query
	OutputQuery    *Query
	AssignQuery    *Query
}
