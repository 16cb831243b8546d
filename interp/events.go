package interp

import (
	"sort"
	"strconv"
	"time"

	"github.com/statecraft/statecraft/jsonv"
)

// HistoryEvent is one event in the shape of GetExecutionHistory.
type HistoryEvent struct {
	ID              int64
	PreviousEventID int64
	Timestamp       time.Time
	Type            string
	Details         *Details // nil for events that carry none
}

// Details holds the fields of every <type>EventDetails member. Which member
// name an event uses follows from its type (see DetailsKey). The fields of
// the state and execution events that make up most of a history sit here;
// those of the rarer events are in More, so that recording a state's two
// events allocates a small record each (an execution with history keeps
// one per event).
type Details struct {
	Name     string
	Input    *string           // JSON text
	Output   *string           // JSON text
	Assigned map[string]string // variable -> JSON text (StateExited)
	Error    *string
	Cause    *string
	// More is nil for an event with none of its fields.
	More *MoreDetails
	// text holds the header of Input or Output when the interpreter
	// rendered it for this event (memoText): one allocation less per
	// text. Later events with the same text point to this one's.
	text string
}

// MoreDetails are the fields of Details that few events carry.
type MoreDetails struct {
	RoleArn    string
	Index      *int64
	Length     *int64
	WorkerName string
	// ExecutionStarted
	StateMachineVersionArn string
	StateMachineAliasArn   string

	Resource         string
	ResourceType     string
	Region           string
	Parameters       *string
	TimeoutInSeconds *int64
	HeartbeatInSecs  *int64
	// TaskCredentials is the role of a Task's Credentials
	// (taskCredentials.roleArn of TaskScheduled and
	// LambdaFunctionScheduled).
	TaskCredentials string
	MapRunArn       string
	// ExecutionRedriven and MapRunRedriven
	RedriveCount *int64
	// EvaluationFailed
	Location string
	State    string
}

// noMore stands for the MoreDetails of an event without any.
var noMore MoreDetails

// more returns d's MoreDetails, allocating them on first use.
func (d *Details) more() *MoreDetails {
	if d.More == nil {
		d.More = &MoreDetails{}
	}
	return d.More
}

// DetailsKey returns the member name that carries an event's details.
func DetailsKey(eventType string) string {
	n := len(eventType)
	if n > 12 && eventType[n-12:] == "StateEntered" {
		return "stateEnteredEventDetails"
	}
	if n > 11 && eventType[n-11:] == "StateExited" {
		return "stateExitedEventDetails"
	}
	return string(eventType[0]+('a'-'A')) + eventType[1:] + "EventDetails"
}

// MarshalJSON encodes the event as the Step Functions API does: timestamp in
// epoch seconds, details under their type-specific member.
func (e *HistoryEvent) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(make([]byte, 0, 256)), nil
}

// AppendJSON appends the event's JSON encoding to b.
func (e *HistoryEvent) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, e.ID, 10)
	b = append(b, `,"previousEventId":`...)
	b = strconv.AppendInt(b, e.PreviousEventID, 10)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendFloat(b, float64(e.Timestamp.UnixMilli())/1000, 'f', 3, 64)
	b = append(b, `,"type":`...)
	b = jsonv.AppendString(b, e.Type)
	if d := e.Details; d != nil {
		m := d.More
		if m == nil {
			m = &noMore
		}
		b = append(b, ',')
		b = jsonv.AppendString(b, DetailsKey(e.Type))
		b = append(b, ":{"...)
		first := true
		str := func(k, v string) {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = jsonv.AppendString(b, k)
			b = append(b, ':')
			b = jsonv.AppendString(b, v)
		}
		num := func(k string, v int64) {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = jsonv.AppendString(b, k)
			b = append(b, ':')
			b = strconv.AppendInt(b, v, 10)
		}
		raw := func(k, v string) {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = jsonv.AppendString(b, k)
			b = append(b, ':')
			b = append(b, v...)
		}
		if d.Assigned != nil {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, `"assignedVariables":{`...)
			keys := make([]string, 0, len(d.Assigned))
			for k := range d.Assigned {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for i, k := range keys {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonv.AppendString(b, k)
				b = append(b, ':')
				b = jsonv.AppendString(b, d.Assigned[k])
			}
			b = append(b, `},"assignedVariablesDetails":{"truncated":false}`...)
		}
		if d.Cause != nil {
			str("cause", *d.Cause)
		}
		if d.Error != nil {
			str("error", *d.Error)
		}
		if m.HeartbeatInSecs != nil {
			num("heartbeatInSeconds", *m.HeartbeatInSecs)
		}
		if m.Index != nil {
			num("index", *m.Index)
		}
		if d.Input != nil {
			str("input", *d.Input)
			raw("inputDetails", `{"truncated":false}`)
		}
		if m.Length != nil {
			num("length", *m.Length)
		}
		if m.Location != "" {
			str("location", m.Location)
		}
		if m.MapRunArn != "" {
			str("mapRunArn", m.MapRunArn)
		}
		if d.Name != "" {
			str("name", d.Name)
		}
		if d.Output != nil {
			str("output", *d.Output)
			raw("outputDetails", `{"truncated":false}`)
		}
		if m.Parameters != nil {
			str("parameters", *m.Parameters)
		}
		if m.RedriveCount != nil {
			num("redriveCount", *m.RedriveCount)
		}
		if m.Region != "" {
			str("region", m.Region)
		}
		if m.Resource != "" {
			str("resource", m.Resource)
		}
		if m.ResourceType != "" {
			str("resourceType", m.ResourceType)
		}
		if m.RoleArn != "" {
			str("roleArn", m.RoleArn)
		}
		if m.State != "" {
			str("state", m.State)
		}
		if m.StateMachineAliasArn != "" {
			str("stateMachineAliasArn", m.StateMachineAliasArn)
		}
		if m.StateMachineVersionArn != "" {
			str("stateMachineVersionArn", m.StateMachineVersionArn)
		}
		if m.TaskCredentials != "" {
			raw("taskCredentials", string(jsonv.AppendString([]byte(`{"roleArn":`), m.TaskCredentials))+"}")
		}
		if m.TimeoutInSeconds != nil {
			num("timeoutInSeconds", *m.TimeoutInSeconds)
		}
		if m.WorkerName != "" {
			str("workerName", m.WorkerName)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func ptr[T any](v T) *T { return &v }
