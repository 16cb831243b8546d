package engine

import (
	"encoding/json"
	"time"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

// inputRecord is an interpreter event as stored in the inputs table.
// Replaying the records of an execution in order rebuilds its state.
type inputRecord struct {
	Kind   interp.EventKind `json:"k"`
	Time   int64            `json:"t"` // unix nanoseconds
	Ref    int64            `json:"r,omitempty"`
	Output json.RawMessage  `json:"o,omitempty"`
	Error  string           `json:"e,omitempty"`
	Cause  string           `json:"c,omitempty"`
	Worker string           `json:"w,omitempty"`
	Seed   uint64           `json:"s,omitempty"`
	// Token is a Redrive's clientToken: a repeated request finds it.
	Token string `json:"tok,omitempty"`
	// MapRun is an UpdateMapRun's change.
	MapRun *mapRunUpdate `json:"m,omitempty"`
	// Child is the Map Run child a StopMapRunChild stops.
	Child string `json:"ch,omitempty"`
}

type mapRunUpdate struct {
	Arn                        string   `json:"a"`
	MaxConcurrency             *int64   `json:"c,omitempty"`
	ToleratedFailurePercentage *float64 `json:"p,omitempty"`
	ToleratedFailureCount      *int64   `json:"n,omitempty"`
}

func encodeInput(ev interp.Event) []byte {
	r := inputRecord{Kind: ev.Kind, Time: ev.Time.UnixNano(), Ref: ev.Ref, Error: ev.Error, Cause: ev.Cause, Worker: ev.WorkerName, Seed: ev.Seed, Child: ev.Child}
	if ev.Kind == interp.TaskSucceeded {
		r.Output = jsonv.Marshal(ev.Output)
	}
	if u := ev.MapRun; u != nil {
		r.MapRun = &mapRunUpdate{Arn: u.Arn, MaxConcurrency: u.MaxConcurrency,
			ToleratedFailurePercentage: u.ToleratedFailurePercentage, ToleratedFailureCount: u.ToleratedFailureCount}
	}
	b, _ := json.Marshal(r)
	return b
}

func decodeInput(b []byte) (interp.Event, error) {
	var r inputRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return interp.Event{}, err
	}
	ev := interp.Event{Kind: r.Kind, Time: time.Unix(0, r.Time).UTC(), Ref: r.Ref, Error: r.Error, Cause: r.Cause, WorkerName: r.Worker, Seed: r.Seed, Child: r.Child}
	if u := r.MapRun; u != nil {
		ev.MapRun = &interp.MapRunUpdate{Arn: u.Arn, MaxConcurrency: u.MaxConcurrency,
			ToleratedFailurePercentage: u.ToleratedFailurePercentage, ToleratedFailureCount: u.ToleratedFailureCount}
	}
	if r.Kind == interp.TaskSucceeded {
		v, err := jsonv.Parse(r.Output)
		if err != nil {
			return interp.Event{}, err
		}
		ev.Output = v
	}
	return ev, nil
}
