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
// name an event uses follows from its type (see DetailsKey).
type Details struct {
	Name       string
	Assigned   map[string]string // variable -> JSON text (StateExited)
	Input      *string           // JSON text
	Output     *string           // JSON text
	RoleArn    string
	Error      *string
	Cause      *string
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
		if d.HeartbeatInSecs != nil {
			num("heartbeatInSeconds", *d.HeartbeatInSecs)
		}
		if d.Index != nil {
			num("index", *d.Index)
		}
		if d.Input != nil {
			str("input", *d.Input)
			raw("inputDetails", `{"truncated":false}`)
		}
		if d.Length != nil {
			num("length", *d.Length)
		}
		if d.Location != "" {
			str("location", d.Location)
		}
		if d.MapRunArn != "" {
			str("mapRunArn", d.MapRunArn)
		}
		if d.Name != "" {
			str("name", d.Name)
		}
		if d.Output != nil {
			str("output", *d.Output)
			raw("outputDetails", `{"truncated":false}`)
		}
		if d.Parameters != nil {
			str("parameters", *d.Parameters)
		}
		if d.RedriveCount != nil {
			num("redriveCount", *d.RedriveCount)
		}
		if d.Region != "" {
			str("region", d.Region)
		}
		if d.Resource != "" {
			str("resource", d.Resource)
		}
		if d.ResourceType != "" {
			str("resourceType", d.ResourceType)
		}
		if d.RoleArn != "" {
			str("roleArn", d.RoleArn)
		}
		if d.State != "" {
			str("state", d.State)
		}
		if d.StateMachineAliasArn != "" {
			str("stateMachineAliasArn", d.StateMachineAliasArn)
		}
		if d.StateMachineVersionArn != "" {
			str("stateMachineVersionArn", d.StateMachineVersionArn)
		}
		if d.TaskCredentials != "" {
			raw("taskCredentials", string(jsonv.AppendString([]byte(`{"roleArn":`), d.TaskCredentials))+"}")
		}
		if d.TimeoutInSeconds != nil {
			num("timeoutInSeconds", *d.TimeoutInSeconds)
		}
		if d.WorkerName != "" {
			str("workerName", d.WorkerName)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func ptr[T any](v T) *T { return &v }
