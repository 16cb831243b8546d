package interp_test

import (
	"fmt"
	"testing"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
)

func mapDef(fields, processor string) string {
	return `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,` + fields + `,
		"ItemProcessor":` + processor + `}}}`
}

var echoProcessor = branch("T", taskState("T", `"End":true`))

func TestMapInline(t *testing.T) {
	tests := []struct {
		name, fields, input, output string
		calls                       []string // task inputs, in call order
	}{
		{
			name:   "ItemsPath",
			fields: `"ItemsPath":"$.items"`,
			input:  `{"items":[1,"two",{"three":3}],"other":true}`,
			output: `[1,"two",{"three":3}]`,
			calls:  []string{`1`, `"two"`, `{"three":3}`},
		},
		{
			name:   "ItemSelector with context",
			fields: `"ItemsPath":"$.items","ItemSelector":{"idx.$":"$$.Map.Item.Index","val.$":"$$.Map.Item.Value","shared.$":"$.shared","lit":1}`,
			input:  `{"items":["a","b"],"shared":"S"}`,
			output: `[{"idx":0,"val":"a","shared":"S","lit":1},{"idx":1,"val":"b","shared":"S","lit":1}]`,
			calls:  []string{`{"idx":0,"val":"a","shared":"S","lit":1}`, `{"idx":1,"val":"b","shared":"S","lit":1}`},
		},
		{
			name:   "legacy Parameters act as ItemSelector",
			fields: `"ItemsPath":"$.items","Parameters":{"i.$":"$$.Map.Item.Index"}`,
			input:  `{"items":[true,false]}`,
			output: `[{"i":0},{"i":1}]`,
			calls:  []string{`{"i":0}`, `{"i":1}`},
		},
		{
			name:   "empty items",
			fields: `"ItemsPath":"$.items"`,
			input:  `{"items":[]}`,
			output: `[]`,
		},
		{
			name:   "items are the input",
			fields: `"MaxConcurrency":1,"ResultPath":"$[0]"`,
			input:  `[1,2]`,
			output: `[[1,2],2]`,
			calls:  []string{`1`, `2`},
		},
		{
			name:   "ResultSelector and ResultPath",
			fields: `"ItemsPath":"$.xs","ResultSelector":{"n.$":"States.ArrayLength($)","all.$":"$"},"ResultPath":"$.out","OutputPath":"$.out"`,
			input:  `{"xs":[5,6,7]}`,
			output: `{"n":3,"all":[5,6,7]}`,
			calls:  []string{`5`, `6`, `7`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, rec := run(t, compile(t, mapDef(tc.fields, echoProcessor)), tc.input, echo)
			check(t, res, want{Status: interp.Succeeded, Output: tc.output})
			checkChain(t, res.History)
			if len(rec.calls) != len(tc.calls) {
				t.Fatalf("%d calls, want %d", len(rec.calls), len(tc.calls))
			}
			for i, c := range rec.calls {
				if !jsonv.Equal(c.Input, parseJSON(t, tc.calls[i])) {
					t.Errorf("call %d input = %s, want %s", i, jsonv.String(c.Input), tc.calls[i])
				}
			}
			started := eventsOf(res.History, "MapStateStarted")
			if len(started) != 1 || !jsonv.Equal(field(t, started[0], "length"), int64(len(tc.calls))) {
				t.Errorf("MapStateStarted = %v", started)
			}
			for i, e := range eventsOf(res.History, "MapIterationStarted") {
				if d := detailsJSON(t, e); !jsonv.Equal(d["index"], int64(i)) || d["name"] != "M" {
					t.Errorf("MapIterationStarted %d details = %v", i, d)
				}
			}
		})
	}
}

func TestMapEmptyHistory(t *testing.T) {
	res, _ := run(t, compile(t, mapDef(`"ItemsPath":"$.items"`, echoProcessor)), `{"items":[]}`, echo)
	check(t, res, want{Status: interp.Succeeded, Output: `[]`,
		Types: []string{"ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"}})
	checkChain(t, res.History)
}

func TestMapItemsNotArray(t *testing.T) {
	tests := []struct{ fields, input, cause string }{
		{`"ItemsPath":"$.items"`, `{"items":{"a":1}}`, `Item input path '$.items' does not reference a JSON array: {"a":1}`},
		{`"ItemsPath":"$.nope"`, `{"items":[]}`, `Invalid path '$.nope' : No results for path: $['nope']`},
	}
	for _, tc := range tests {
		res, _ := run(t, compile(t, mapDef(tc.fields, echoProcessor)), tc.input, echo)
		check(t, res, want{Status: interp.Failed, Error: "States.Runtime",
			Cause: "An error occurred while executing the state 'M' (entered at the event id #2). " + tc.cause})
	}
}

// Completion order does not change result order; MaxConcurrency bounds how
// many iterations wait at once.
func TestMapConcurrency(t *testing.T) {
	tests := []struct {
		maxConc   string
		firstWave int
	}{
		{`"MaxConcurrency":0`, 4},
		{`"MaxConcurrency":1`, 1},
		{`"MaxConcurrency":2`, 2},
		{`"MaxConcurrencyPath":"$.conc"`, 3},
	}
	for _, tc := range tests {
		t.Run(tc.maxConc, func(t *testing.T) {
			m := compile(t, mapDef(`"ItemsPath":"$.items",`+tc.maxConc, echoProcessor))
			x, cmds := m.Start(testInfo(parseJSON(t, `{"items":["a","b","c","d"],"conc":3}`)), t0, 1)
			pending := map[string]int64{}
			maxPending := 0
			take := func(cs []interp.Command) {
				for _, c := range cs {
					if c.Kind != interp.RunTask {
						t.Fatalf("unexpected command %+v", c)
					}
					pending[c.Task.Input.(string)] = c.Ref
				}
				maxPending = max(maxPending, len(pending))
			}
			take(cmds)
			if len(pending) != tc.firstWave {
				t.Fatalf("%d tasks started at once, want %d", len(pending), tc.firstWave)
			}
			// Finish in reverse item order whenever possible.
			for len(pending) > 0 {
				var item string
				for _, k := range []string{"d", "c", "b", "a"} {
					if _, ok := pending[k]; ok {
						item = k
						break
					}
				}
				ref := pending[item]
				delete(pending, item)
				take(x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0, Ref: ref, Output: item + "!"}))
			}
			if maxPending != tc.firstWave {
				t.Errorf("up to %d tasks waited at once, want %d", maxPending, tc.firstWave)
			}
			if x.Status != interp.Succeeded || jsonv.String(x.Output) != `["a!","b!","c!","d!"]` {
				t.Errorf("status %s output %s", x.Status, jsonv.String(x.Output))
			}
			checkChain(t, x.History)
			var idx []any
			for _, e := range eventsOf(x.History, "MapIterationSucceeded") {
				idx = append(idx, field(t, e, "index"))
			}
			if len(idx) != 4 {
				t.Errorf("MapIterationSucceeded indexes %v", idx)
			}
		})
	}
}

func TestMapIterationFailure(t *testing.T) {
	def := mapDef(`"ItemsPath":"$.items","MaxConcurrency":1`, echoProcessor)
	res, rec := run(t, compile(t, def), `{"items":[1,2,3]}`, func(_ string, _ int, in any) (any, error) {
		if jsonv.Equal(in, int64(2)) {
			return nil, fail("Item.Bad", "item 2")
		}
		return in, nil
	})
	check(t, res, want{Status: interp.Failed, Error: "Item.Bad", Cause: "item 2",
		Types: []string{"ExecutionStarted", "MapStateEntered", "MapStateStarted",
			"MapIterationStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "MapIterationSucceeded",
			"MapIterationStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "MapIterationFailed",
			"MapStateFailed", "ExecutionFailed"}})
	checkChain(t, res.History)
	if len(rec.calls) != 2 {
		t.Errorf("%d calls: the third item must not start", len(rec.calls))
	}
	if d := detailsJSON(t, eventsOf(res.History, "MapIterationFailed")[0]); !jsonv.Equal(d["index"], int64(1)) {
		t.Errorf("MapIterationFailed details = %v", d)
	}
}

// A failing iteration cancels the others that are still running.
func TestMapIterationFailureCancels(t *testing.T) {
	def := mapDef(`"ItemsPath":"$.items","Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}]`, echoProcessor)
	def = def[:len(def)-2] + `,"H":{"Type":"Pass","End":true}}}`
	m := compile(t, def)
	x, cmds := m.Start(testInfo(parseJSON(t, `{"items":[0,1,2]}`)), t0, 1)
	if len(cmds) != 3 {
		t.Fatalf("commands %+v", cmds)
	}
	out := x.Apply(interp.Event{Kind: interp.TaskFailed, Time: t0, Ref: cmds[1].Ref, Error: "E", Cause: "c"})
	var cancelled []int64
	for _, c := range out {
		if c.Kind == interp.Cancel {
			cancelled = append(cancelled, c.Ref)
		}
	}
	if len(cancelled) != 2 || !(cancelled[0] == cmds[0].Ref || cancelled[1] == cmds[0].Ref) || !(cancelled[0] == cmds[2].Ref || cancelled[1] == cmds[2].Ref) {
		t.Errorf("cancelled %v, want refs %d and %d", cancelled, cmds[0].Ref, cmds[2].Ref)
	}
	if x.Status != interp.Succeeded || jsonv.String(x.Output) != `{"Error":"E","Cause":"c"}` {
		t.Errorf("status %s output %s", x.Status, jsonv.String(x.Output))
	}
	if x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0, Ref: cmds[0].Ref, Output: 1}) != nil {
		t.Errorf("late result gave commands")
	}
}

func TestMapDistributedToleratedFailures(t *testing.T) {
	tests := []struct {
		name      string
		tolerance string
		failing   []int64
		status    interp.Status
		err       string
	}{
		{"no tolerance", ``, []int64{2}, interp.Failed, "Item.Bad"},
		{"count tolerates", `"ToleratedFailureCount":1,`, []int64{2}, interp.Succeeded, ""},
		{"count exceeded", `"ToleratedFailureCount":1,`, []int64{1, 3}, interp.Failed, "States.ExceedToleratedFailureThreshold"},
		{"count zero", `"ToleratedFailureCount":0,`, []int64{0}, interp.Failed, "States.ExceedToleratedFailureThreshold"},
		{"percentage tolerates", `"ToleratedFailurePercentage":50,`, []int64{0, 3}, interp.Succeeded, ""},
		{"percentage exceeded", `"ToleratedFailurePercentage":25,`, []int64{0, 3}, interp.Failed, "States.ExceedToleratedFailureThreshold"},
		{"percentage from path", `"ToleratedFailurePercentagePath":"$.pct",`, []int64{1}, interp.Succeeded, ""},
		{"count from path", `"ToleratedFailureCountPath":"$.cnt",`, []int64{1, 2, 3}, interp.Failed, "States.ExceedToleratedFailureThreshold"},
		{"all succeed", `"ToleratedFailureCount":0,`, nil, interp.Succeeded, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemsPath":"$.items",` + tc.tolerance + `
				"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
					"StartAt":"T","States":{` + taskState("T", `"End":true`) + `}}}}}`
			bad := map[int64]bool{}
			for _, i := range tc.failing {
				bad[i] = true
			}
			res, rec := run(t, compile(t, def), `{"items":[0,1,2,3],"pct":25,"cnt":2}`, func(_ string, _ int, in any) (any, error) {
				if n, _ := jsonv.Integer(in); bad[n] {
					return nil, fail("Item.Bad", fmt.Sprint("item ", n))
				}
				return in, nil
			})
			w := want{Status: tc.status, Error: tc.err}
			if tc.err == "States.ExceedToleratedFailureThreshold" {
				w.Cause = "The specified tolerated failure threshold was exceeded"
			}
			check(t, res, w)
			checkChain(t, res.History)
			// Children run in their own executions: nothing of theirs is
			// in this history.
			for _, typ := range types(res.History) {
				switch typ {
				case "TaskStateEntered", "TaskScheduled", "MapIterationStarted", "MapIterationSucceeded", "MapIterationFailed":
					t.Errorf("child event %s in the parent history", typ)
				}
			}
			want := []string{"ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted"}
			if tc.status == interp.Succeeded {
				want = append(want, "MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded")
				// AWS links MapStateExited to MapRunStarted (HISTORY.md).
				if exited, started := eventsOf(res.History, "MapStateExited")[0], eventsOf(res.History, "MapRunStarted")[0]; exited.PreviousEventID != started.ID {
					t.Errorf("MapStateExited follows event %d, want MapRunStarted (%d)", exited.PreviousEventID, started.ID)
				}
				out, ok := res.Output.([]any)
				if !ok || len(out) != 4 {
					t.Fatalf("output = %s", jsonv.String(res.Output))
				}
				for i, v := range out {
					if !bad[int64(i)] && !jsonv.Equal(v, int64(i)) {
						t.Errorf("result %d = %s", i, jsonv.String(v))
					}
				}
				if len(rec.calls) != 4 {
					t.Errorf("%d calls, want 4", len(rec.calls))
				}
			} else {
				want = append(want, "MapRunFailed", "MapStateFailed", "ExecutionFailed")
				d := detailsJSON(t, eventsOf(res.History, "MapRunFailed")[0])
				if d["error"] != tc.err {
					t.Errorf("MapRunFailed details = %v", d)
				}
			}
			if got := types(res.History); !equalStrings(got, want) {
				t.Errorf("types = %v, want %v", got, want)
			}
			arn, _ := field(t, eventsOf(res.History, "MapRunStarted")[0], "mapRunArn").(string)
			if want := "arn:aws:states:us-east-1:123456789012:mapRun:test/"; len(arn) < len(want) || arn[:len(want)] != want {
				t.Errorf("mapRunArn = %q", arn)
			}
		})
	}
}

// A Map inside a Map sees its own item in $$.Map.Item.
func TestMapNested(t *testing.T) {
	inner := `{"StartAt":"In","States":{"In":{"Type":"Map","End":true,"ItemsPath":"$.row",
		"ItemSelector":{"v.$":"$$.Map.Item.Value","j.$":"$$.Map.Item.Index"},
		"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}`
	def := mapDef(`"ItemsPath":"$.grid","ItemSelector":{"row.$":"$$.Map.Item.Value"}`, inner)
	res, _ := run(t, compile(t, def), `{"grid":[["a","b"],["c"]]}`, nil)
	check(t, res, want{Status: interp.Succeeded, Output: `[[{"v":"a","j":0},{"v":"b","j":1}],[{"v":"c","j":0}]]`})
	checkChain(t, res.History)
}

// An ItemSelector that fails on a later item fails the Map: iterations
// already running are cancelled, and their late results cannot leak into
// the next Map the thread runs.
func TestMapItemSelectorFailureMidway(t *testing.T) {
	def := `{"StartAt":"M","States":{
		"M":{"Type":"Map","Next":"Done","ItemsPath":"$.items",
			"ItemSelector":{"v.$":"States.StringToJson($$.Map.Item.Value)"},
			"Catch":[{"ErrorEquals":["States.IntrinsicFailure"],"Next":"M2","ResultPath":"$.err"}],
			"ItemProcessor":` + echoProcessor + `},
		"M2":{"Type":"Map","End":true,"ItemsPath":"$.good","ItemProcessor":` + branch("T2", taskState("T2", `"End":true`)) + `},
		"Done":{"Type":"Succeed"}}}`
	m := compile(t, def)
	x, cmds := m.Start(testInfo(parseJSON(t, `{"items":["1","2","not json"],"good":["a","b"]}`)), t0, 1)
	var first, second []interp.Command
	cancels := map[int64]bool{}
	for _, c := range cmds {
		switch {
		case c.Kind == interp.Cancel:
			cancels[c.Ref] = true
		case c.Kind == interp.RunTask && c.Task.StateName == "T":
			first = append(first, c)
		case c.Kind == interp.RunTask && c.Task.StateName == "T2":
			second = append(second, c)
		}
	}
	// Items 0 and 1 of M started before item 2's selector failed; M2's two
	// iterations started after the catch.
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("commands %+v", cmds)
	}
	if !cancels[first[0].Ref] || !cancels[first[1].Ref] {
		t.Errorf("running iterations not cancelled: %v (tasks %d, %d)", cancels, first[0].Ref, first[1].Ref)
	}
	// The late results of M's iterations are ignored...
	for _, c := range first {
		if out := x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0, Ref: c.Ref, Output: "stale"}); out != nil {
			t.Errorf("stale result gave commands %+v", out)
		}
	}
	if x.Status != interp.Running {
		t.Fatalf("status %s after stale results; output %s", x.Status, jsonv.String(x.Output))
	}
	// ...and M2 finishes with its own results.
	for _, c := range second {
		x.Apply(interp.Event{Kind: interp.TaskSucceeded, Time: t0, Ref: c.Ref, Output: c.Task.Input.(string) + "!"})
	}
	if x.Status != interp.Succeeded || jsonv.String(x.Output) != `["a!","b!"]` {
		t.Errorf("status %s output %s", x.Status, jsonv.String(x.Output))
	}
	checkChain(t, x.History)
}
