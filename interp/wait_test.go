package interp_test

import (
	"testing"
	"time"

	"github.com/statecraft/statecraft/interp"

	"github.com/statecraft/statecraft/jsonv"
)

func waitDef(fields string) string {
	return `{"StartAt":"W","States":{"W":{"Type":"Wait",` + fields + `,"Next":"Done"},"Done":{"Type":"Pass","End":true}}}`
}

func TestWait(t *testing.T) {
	tests := []struct {
		name, fields, input string
		exitAt              time.Duration
		output              string
	}{
		{"Seconds", `"Seconds":10`, `{"a":1}`, 10 * time.Second, `{"a":1}`},
		{"Seconds zero", `"Seconds":0`, `{"a":1}`, 0, `{"a":1}`},
		{"Timestamp future", `"Timestamp":"2024-03-01T12:01:30Z"`, `{}`, 90 * time.Second, `{}`},
		{"Timestamp with offset", `"Timestamp":"2024-03-01T13:00:05+01:00"`, `{}`, 5 * time.Second, `{}`},
		{"Timestamp fraction", `"Timestamp":"2024-03-01T12:00:01.500Z"`, `{}`, 1500 * time.Millisecond, `{}`},
		{"Timestamp past", `"Timestamp":"2020-01-01T00:00:00Z"`, `{}`, 0, `{}`},
		{"Timestamp now", `"Timestamp":"2024-03-01T12:00:00Z"`, `{}`, 0, `{}`},
		{"SecondsPath", `"SecondsPath":"$.s"`, `{"s":7}`, 7 * time.Second, `{"s":7}`},
		{"SecondsPath zero", `"SecondsPath":"$.s"`, `{"s":0}`, 0, `{"s":0}`},
		{"SecondsPath after InputPath", `"InputPath":"$.cfg","SecondsPath":"$.s","OutputPath":"$.s"`, `{"cfg":{"s":3}}`, 3 * time.Second, `3`},
		{"TimestampPath", `"TimestampPath":"$.at"`, `{"at":"2024-03-01T12:00:42Z"}`, 42 * time.Second, `{"at":"2024-03-01T12:00:42Z"}`},
		{"TimestampPath past", `"TimestampPath":"$.at"`, `{"at":"2000-03-01T12:00:42Z"}`, 0, `{"at":"2000-03-01T12:00:42Z"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, waitDef(tc.fields))
			res, _ := run(t, m, tc.input, nil)
			check(t, res, want{Status: interp.Succeeded, Output: tc.output,
				Types: []string{"ExecutionStarted", "WaitStateEntered", "WaitStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}})
			checkChain(t, res.History)
			if got := offsets(res.History, "WaitStateExited"); !equalDurations(got, []time.Duration{tc.exitAt}) {
				t.Errorf("WaitStateExited at %v, want %v", got, tc.exitAt)
			}
			// A wait that is already over starts no timer.
			_, cmds := m.Start(testInfo(parseJSON(t, tc.input)), t0, 1)
			if tc.exitAt == 0 && len(cmds) != 0 {
				t.Errorf("commands %+v, want none", cmds)
			}
			if tc.exitAt > 0 && (len(cmds) != 1 || cmds[0].Kind != interp.StartTimer || !cmds[0].Due.Equal(t0.Add(tc.exitAt))) {
				t.Errorf("commands %+v, want one timer due at +%v", cmds, tc.exitAt)
			}
		})
	}
}

func TestWaitErrors(t *testing.T) {
	tests := []struct {
		name, fields, input, cause string
	}{
		{"SecondsPath negative", `"SecondsPath":"$.s"`, `{"s":-5}`, "The SecondsPath parameter references a negative value: $.s == -5"},
		{"SecondsPath fraction", `"SecondsPath":"$.s"`, `{"s":1.5}`, "The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5"},
		{"SecondsPath string", `"SecondsPath":"$.s"`, `{"s":"10"}`, "The SecondsPath parameter cannot be parsed as a long value: $.s == 10"},
		{"SecondsPath missing", `"SecondsPath":"$.s"`, `{}`, "The SecondsPath parameter does not reference an input value: $.s"},
		{"SecondsPath too long", `"SecondsPath":"$.s"`, `{"s":2147483648}`, "Wait state delay is too long."},
		{"TimestampPath missing", `"TimestampPath":"$.at"`, `{}`, "The TimestampPath parameter does not reference an input value: $.at"},
		{"TimestampPath invalid", `"TimestampPath":"$.at"`, `{"at":"tomorrow"}`, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.at == tomorrow"},
		{"TimestampPath lowercase t", `"TimestampPath":"$.at"`, `{"at":"2024-03-01t12:00:00Z"}`, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.at == 2024-03-01t12:00:00Z"},
		{"TimestampPath number", `"TimestampPath":"$.at"`, `{"at":12}`, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.at == 12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := run(t, compile(t, waitDef(tc.fields)), tc.input, nil)
			check(t, res, want{Status: interp.Failed, Error: "States.Runtime",
				Cause: "An error occurred while executing the state 'W' (entered at the event id #2). " + tc.cause,
				Types: []string{"ExecutionStarted", "WaitStateEntered", "ExecutionFailed"}})
		})
	}
}

// A timer event for a Wait state that was already left (duplicate
// delivery) changes nothing.
func TestWaitDuplicateTimer(t *testing.T) {
	m := compile(t, `{"StartAt":"W1","States":{"W1":{"Type":"Wait","Seconds":5,"Next":"W2"},"W2":{"Type":"Wait","Seconds":5,"End":true}}}`)
	x, cmds := m.Start(testInfo(jsonv.NewObject(0)), t0, 1)
	first := cmds[0]
	next := x.Apply(interp.Event{Kind: interp.TimerFired, Time: first.Due, Ref: first.Ref})
	if len(next) != 1 || next[0].Ref == first.Ref || !next[0].Due.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("second timer = %+v", next)
	}
	n := len(x.History)
	if c := x.Apply(interp.Event{Kind: interp.TimerFired, Time: first.Due, Ref: first.Ref}); c != nil || len(x.History) != n {
		t.Fatalf("duplicate timer: commands %+v, events %v", c, types(x.History[n:]))
	}
	x.Apply(interp.Event{Kind: interp.TimerFired, Time: next[0].Due, Ref: next[0].Ref})
	if x.Status != interp.Succeeded {
		t.Fatalf("status %s", x.Status)
	}
}
