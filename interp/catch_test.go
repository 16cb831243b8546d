package interp_test

import (
	"testing"

	"github.com/statecraft/statecraft/interp"
)

func TestCatchResultPath(t *testing.T) {
	tests := []struct {
		name      string
		catch     string
		inputPath string
		output    string
	}{
		{"default replaces output", `{"ErrorEquals":["Boom"],"Next":"H"}`, "", `{"Error":"Boom","Cause":"it broke"}`},
		{"explicit $", `{"ErrorEquals":["Boom"],"Next":"H","ResultPath":"$"}`, "", `{"Error":"Boom","Cause":"it broke"}`},
		{"merged into input", `{"ErrorEquals":["Boom"],"Next":"H","ResultPath":"$.err"}`, "", `{"a":1,"sub":{"b":2},"err":{"Error":"Boom","Cause":"it broke"}}`},
		{"nested path creates objects", `{"ErrorEquals":["Boom"],"Next":"H","ResultPath":"$.x.y"}`, "", `{"a":1,"sub":{"b":2},"x":{"y":{"Error":"Boom","Cause":"it broke"}}}`},
		{"into existing object", `{"ErrorEquals":["Boom"],"Next":"H","ResultPath":"$.sub.err"}`, "", `{"a":1,"sub":{"b":2,"err":{"Error":"Boom","Cause":"it broke"}}}`},
		{"null passes input on", `{"ErrorEquals":["Boom"],"Next":"H","ResultPath":null}`, "", `{"a":1,"sub":{"b":2}}`},
		// ResultPath works on the raw state input, not the InputPath view.
		{"merged into raw input despite InputPath", `{"ErrorEquals":["Boom"],"Next":"H","ResultPath":"$.err"}`, "$.sub", `{"a":1,"sub":{"b":2},"err":{"Error":"Boom","Cause":"it broke"}}`},
		{"null with InputPath", `{"ErrorEquals":["Boom"],"Next":"H","ResultPath":null}`, "$.sub", `{"a":1,"sub":{"b":2}}`},
		{"States.ALL", `{"ErrorEquals":["States.ALL"],"Next":"H"}`, "", `{"Error":"Boom","Cause":"it broke"}`},
		{"States.TaskFailed", `{"ErrorEquals":["States.TaskFailed"],"Next":"H","ResultPath":"$.e"}`, "", `{"a":1,"sub":{"b":2},"e":{"Error":"Boom","Cause":"it broke"}}`},
		{"one of several names", `{"ErrorEquals":["Other","Boom"],"Next":"H"}`, "", `{"Error":"Boom","Cause":"it broke"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ip := ""
			if tc.inputPath != "" {
				ip = `"InputPath":"` + tc.inputPath + `",`
			}
			def := `{"StartAt":"T","States":{
				"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",` + ip + `
					"OutputPath":"$.never","Catch":[` + tc.catch + `],"End":true},
				"H":{"Type":"Pass","End":true}}}`
			res, _ := run(t, compile(t, def), `{"a":1,"sub":{"b":2}}`, func(string, int, any) (any, error) {
				return nil, fail("Boom", "it broke")
			})
			check(t, res, want{Status: interp.Succeeded, Output: tc.output,
				Types: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed",
					"TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}})
			checkChain(t, res.History)
			// The caught state's exit carries what the catcher passes on,
			// and the handler is entered with it.
			exited := eventsOf(res.History, "TaskStateExited")[0]
			entered := eventsOf(res.History, "PassStateEntered")[0]
			if got := field(t, exited, "output"); !equalJSONText(t, got, tc.output) {
				t.Errorf("TaskStateExited output = %v, want %s", got, tc.output)
			}
			if field(t, entered, "input") != field(t, exited, "output") || field(t, entered, "name") != "H" {
				t.Errorf("handler entered with %v", detailsJSON(t, entered))
			}
			failed := eventsOf(res.History, "TaskFailed")[0]
			if field(t, failed, "error") != "Boom" || field(t, failed, "cause") != "it broke" {
				t.Errorf("TaskFailed details = %v", detailsJSON(t, failed))
			}
		})
	}
}

func equalJSONText(t testing.TB, got any, want string) bool {
	t.Helper()
	s, ok := got.(string)
	if !ok {
		return false
	}
	return mustJSON(parseJSON(t, s)) == mustJSON(parseJSON(t, want))
}

func TestCatchSelection(t *testing.T) {
	def := `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,
			"Catch":[
				{"ErrorEquals":["A"],"Next":"CatchA","ResultPath":"$.e"},
				{"ErrorEquals":["A","B"],"Next":"CatchAB","ResultPath":"$.e"},
				{"ErrorEquals":["States.ALL"],"Next":"CatchAll","ResultPath":"$.e"}]},
		"CatchA":{"Type":"Pass","Result":"A","ResultPath":"$.by","End":true},
		"CatchAB":{"Type":"Pass","Result":"AB","ResultPath":"$.by","End":true},
		"CatchAll":{"Type":"Pass","Result":"ALL","ResultPath":"$.by","End":true}}}`
	tests := []struct {
		err, cause string
		output     string
	}{
		{"A", "ca", `{"e":{"Error":"A","Cause":"ca"},"by":"A"}`},
		{"B", "cb", `{"e":{"Error":"B","Cause":"cb"},"by":"AB"}`},
		{"C", "", `{"e":{"Error":"C","Cause":""},"by":"ALL"}`},
		{"States.Timeout", "late", `{"e":{"Error":"States.Timeout","Cause":"late"},"by":"ALL"}`},
	}
	m := compile(t, def)
	for _, tc := range tests {
		t.Run(tc.err, func(t *testing.T) {
			res, _ := run(t, m, `{}`, func(string, int, any) (any, error) { return nil, fail(tc.err, tc.cause) })
			check(t, res, want{Status: interp.Succeeded, Output: tc.output})
		})
	}
}

func TestCatchNoMatchFails(t *testing.T) {
	def := `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,
			"Retry":[{"ErrorEquals":["Other"]}],
			"Catch":[{"ErrorEquals":["Other","States.Timeout"],"Next":"H"}]},
		"H":{"Type":"Pass","End":true}}}`
	res, rec := run(t, compile(t, def), `{}`, func(string, int, any) (any, error) { return nil, fail("Boom", "it broke") })
	check(t, res, want{Status: interp.Failed, Error: "Boom", Cause: "it broke",
		Types: []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "ExecutionFailed"}})
	checkChain(t, res.History)
	if len(rec.calls) != 1 {
		t.Errorf("%d calls, want 1", len(rec.calls))
	}
	last := res.History[len(res.History)-1]
	if field(t, last, "error") != "Boom" || field(t, last, "cause") != "it broke" {
		t.Errorf("ExecutionFailed details = %v", detailsJSON(t, last))
	}
	if last.PreviousEventID != res.History[len(res.History)-2].ID {
		t.Errorf("ExecutionFailed previousEventId = %d", last.PreviousEventID)
	}
}

// A Fail state's error and cause are what a catcher of an enclosing
// Parallel sees.
func TestCatchFailStateInParallel(t *testing.T) {
	def := `{"StartAt":"P","States":{
		"P":{"Type":"Parallel","End":true,
			"Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Custom.Err","Cause":"because"}}}],
			"Catch":[{"ErrorEquals":["Custom.Err"],"Next":"H","ResultPath":"$.err"}]},
		"H":{"Type":"Pass","End":true}}}`
	res, _ := run(t, compile(t, def), `{"in":true}`, nil)
	check(t, res, want{Status: interp.Succeeded, Output: `{"in":true,"err":{"Error":"Custom.Err","Cause":"because"}}`})
	checkChain(t, res.History)
}
