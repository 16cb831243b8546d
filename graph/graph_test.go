package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/asl"
)

// small is the machine of the golden tests: a Choice with a rule and a
// Default, a Task with a Catch, a Parallel of two branches, Succeed, Fail.
const small = `{
  "Comment": "A small machine",
  "StartAt": "Check",
  "States": {
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericGreaterThan": 50, "Next": "Big"}], "Default": "Both"},
    "Big": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:big", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "Next": "Done"},
    "Both": {"Type": "Parallel", "Branches": [
      {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
      {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 1, "End": true}}}
    ], "Next": "Done"},
    "Done": {"Type": "Succeed"},
    "Failed": {"Type": "Fail", "Error": "Oops"}
  }
}`

// escapes has state names that Mermaid and DOT would read as syntax.
const escapes = `{"StartAt": "say \"hi\"", "States": {
  "say \"hi\"": {"Type": "Pass", "Next": "a#35;b & <b>bold</b>"},
  "a#35;b & <b>bold</b>": {"Type": "Pass", "Next": "x|y ` + "`md`" + ` end"},
  "x|y ` + "`md`" + ` end": {"Type": "Pass", "Next": "new\nline\\N"},
  "new\nline\\N": {"Type": "Pass", "Next": "a/b~c"},
  "a/b~c": {"Type": "Parallel", "Branches": [{"StartAt": "in/ner", "States": {"in/ner": {"Type": "Pass", "End": true}}}], "Next": "end"},
  "end": {"Type": "Succeed"}
}}`

// buildCases are the definitions of TestBuild; the renderer tests run
// over them too.
var buildCases = []struct {
	name    string
	def     string // inline JSON or a file
	invalid bool   // the definition has validation problems (Build copes)
	nodes   []string
	groups  []string
	edges   []string
}{
	{
		name:  "one Pass",
		def:   `{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`,
		nodes: []string{"/start Start", "A Pass start end", "/end End"},
		edges: []string{"/start -start-> A", "A -end-> /end"},
	},
	{
		name: "small machine",
		def:  small,
		nodes: []string{
			"/start Start", "Check Choice start", "Big Task", "Both Parallel",
			"Both/0/A Pass in=Both/0 start end", "Both/1/B Wait in=Both/1 start end",
			"Done Succeed end", "Failed Fail end", "/end End",
		},
		groups: []string{
			"Both/0 branch owner=Both startAt=Both/0/A Branch 1",
			"Both/1 branch owner=Both startAt=Both/1/B Branch 2",
		},
		edges: []string{
			"/start -start-> Check",
			"Check -choice-> Big : $.x > 50",
			"Check -default-> Both : default",
			"Big -next-> Done",
			"Big -catch-> Failed : States.ALL",
			"Both -next-> Done",
			"Done -end-> /end",
			"Failed -end-> /end",
		},
	},
	{
		// Every state type; a Parallel nested in a Map; And/Or/Not; Catch.
		name: "every state type",
		def:  "testdata/every-state.asl.json",
		nodes: []string{
			"/start Start",
			"Init Pass start",
			"Route Choice",
			"Fan Map",
			"Fan/processor/Both Parallel in=Fan/processor start end",
			"Fan/processor/Both/0/Left Pass in=Fan/processor/Both/0 start end",
			"Fan/processor/Both/1/Right Succeed in=Fan/processor/Both/1 start end",
			"Pause Wait",
			"Reject Fail end",
			"Work Task end",
			"Done Succeed end",
			"/end End",
		},
		groups: []string{
			"Fan/processor processor owner=Fan startAt=Fan/processor/Both Item processor",
			"Fan/processor/Both/0 branch owner=Fan/processor/Both startAt=Fan/processor/Both/0/Left Branch 1",
			"Fan/processor/Both/1 branch owner=Fan/processor/Both startAt=Fan/processor/Both/1/Right Branch 2",
		},
		edges: []string{
			"/start -start-> Init",
			"Init -next-> Route",
			`Route -choice-> Fan : and($.x > 50, or($.s matches "a*", not($.flag == true)))`,
			"Route -choice-> Pause : not(IsPresent($.x))",
			"Route -default-> Reject : default",
			"Fan -next-> Work",
			"Pause -next-> Fan",
			"Reject -end-> /end",
			"Work -catch-> Reject : States.Timeout, Custom.Error",
			"Work -catch-> Done : States.ALL",
			"Work -end-> /end",
			"Done -end-> /end",
		},
	},
	{
		// Transitions inside nested scopes; Catch on a Parallel and a Map;
		// a legacy Iterator; a Map in a Parallel in a Map.
		name: "nested scopes with Catch",
		def: `{"StartAt": "Outer", "States": {
  "Outer": {"Type": "Map", "Iterator": {"StartAt": "P", "States": {
    "P": {"Type": "Parallel", "Branches": [
      {"StartAt": "B1", "States": {
        "B1": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:b1", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B1Fixed"}], "Next": "B1Done"},
        "B1Fixed": {"Type": "Pass", "Next": "B1Done"},
        "B1Done": {"Type": "Succeed"}}},
      {"StartAt": "Inner", "States": {
        "Inner": {"Type": "Map", "ItemProcessor": {"StartAt": "Leaf", "States": {"Leaf": {"Type": "Pass", "End": true}}}, "End": true}}}
    ], "Catch": [{"ErrorEquals": ["States.BranchFailed"], "Next": "Recover"}], "End": true},
    "Recover": {"Type": "Pass", "End": true}}},
    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "Next": "Done"},
  "Failed": {"Type": "Fail", "Error": "MapFailed"},
  "Done": {"Type": "Succeed"}
}}`,
		nodes: []string{
			"/start Start",
			"Outer Map start",
			"Outer/processor/P Parallel in=Outer/processor start end",
			"Outer/processor/P/0/B1 Task in=Outer/processor/P/0 start",
			"Outer/processor/P/0/B1Done Succeed in=Outer/processor/P/0 end",
			"Outer/processor/P/0/B1Fixed Pass in=Outer/processor/P/0",
			"Outer/processor/P/1/Inner Map in=Outer/processor/P/1 start end",
			"Outer/processor/P/1/Inner/processor/Leaf Pass in=Outer/processor/P/1/Inner/processor start end",
			"Outer/processor/Recover Pass in=Outer/processor end",
			"Done Succeed end",
			"Failed Fail end",
			"/end End",
		},
		groups: []string{
			"Outer/processor processor owner=Outer startAt=Outer/processor/P Item processor",
			"Outer/processor/P/0 branch owner=Outer/processor/P startAt=Outer/processor/P/0/B1 Branch 1",
			"Outer/processor/P/1 branch owner=Outer/processor/P startAt=Outer/processor/P/1/Inner Branch 2",
			"Outer/processor/P/1/Inner/processor processor owner=Outer/processor/P/1/Inner startAt=Outer/processor/P/1/Inner/processor/Leaf Item processor",
		},
		edges: []string{
			"/start -start-> Outer",
			"Outer -next-> Done",
			"Outer -catch-> Failed : States.ALL",
			"Outer/processor/P -catch-> Outer/processor/Recover : States.BranchFailed",
			"Outer/processor/P/0/B1 -next-> Outer/processor/P/0/B1Done",
			"Outer/processor/P/0/B1 -catch-> Outer/processor/P/0/B1Fixed : States.ALL",
			"Outer/processor/P/0/B1Fixed -next-> Outer/processor/P/0/B1Done",
			"Done -end-> /end",
			"Failed -end-> /end",
		},
	},
	{
		name: "Choice with And, Or, Not, path operands and Default",
		def: `{"StartAt": "C", "States": {
  "C": {"Type": "Choice", "Choices": [
    {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
    {"Or": [{"Variable": "$.value", "NumericLessThanPath": "$.min"}, {"Variable": "$.value", "IsNull": true}], "Next": "Low"},
    {"And": [{"Variable": "$.when", "TimestampGreaterThan": "2024-01-01T00:00:00Z"}, {"Variable": "$.ok", "BooleanEquals": false}], "Next": "Late"}
  ], "Default": "Other"},
  "Public": {"Type": "Succeed"}, "Low": {"Type": "Succeed"}, "Late": {"Type": "Succeed"}, "Other": {"Type": "Succeed"}
}}`,
		nodes: []string{"/start Start", "C Choice start", "Public Succeed end", "Low Succeed end", "Late Succeed end", "Other Succeed end", "/end End"},
		edges: []string{
			"/start -start-> C",
			`C -choice-> Public : not($.type == "Private")`,
			"C -choice-> Low : or($.value < $.min, IsNull($.value))",
			`C -choice-> Late : and($.when > "2024-01-01T00:00:00Z", $.ok == false)`,
			"C -default-> Other : default",
			"Public -end-> /end", "Low -end-> /end", "Late -end-> /end", "Other -end-> /end",
		},
	},
	{
		name: "loop and a Choice without Default",
		def: `{"StartAt": "Poll", "States": {
  "Poll": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Ready?"},
  "Ready?": {"Type": "Choice", "Choices": [{"Variable": "$.ready", "BooleanEquals": true, "Next": "Go"}, {"Variable": "$.ready", "BooleanEquals": false, "Next": "Poll"}]},
  "Go": {"Type": "Pass", "End": true}
}}`,
		nodes: []string{"/start Start", "Poll Wait start", "Ready? Choice", "Go Pass end", "/end End"},
		edges: []string{
			"/start -start-> Poll",
			"Poll -next-> Ready?",
			"Ready? -choice-> Go : $.ready == true",
			"Ready? -choice-> Poll : $.ready == false",
			"Go -end-> /end",
		},
	},
	{
		name: "JSONata Choice conditions and Catch",
		def: `{"QueryLanguage": "JSONata", "StartAt": "Pick", "States": {
  "Pick": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 5 %}", "Next": "Call"}], "Default": "Skip"},
  "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Skip"}], "Next": "Wait"},
  "Wait": {"Type": "Wait", "Seconds": "{% $states.input.delay %}", "Next": "Skip"},
  "Skip": {"Type": "Fail", "Error": "Skipped"}
}}`,
		nodes: []string{"/start Start", "Pick Choice start", "Call Task", "Skip Fail end", "Wait Wait", "/end End"},
		edges: []string{
			"/start -start-> Pick",
			"Pick -choice-> Call : $states.input.n > 5",
			"Pick -default-> Skip : default",
			"Call -next-> Wait",
			"Call -catch-> Skip : States.ALL",
			"Skip -end-> /end",
			"Wait -next-> Skip",
		},
	},
	{
		// Ids escape '/' and '~' as JSON pointers do.
		name: "names that need escaping",
		def:  escapes,
		nodes: []string{
			"/start Start",
			`say "hi" Pass start`,
			"a#35;b & <b>bold<~1b> Pass",
			"x|y `md` end Pass",
			"new\nline\\N Pass",
			"a~1b~0c Parallel",
			"a~1b~0c/0/in~1ner Pass in=a~1b~0c/0 start end",
			"end Succeed end",
			"/end End",
		},
		groups: []string{"a~1b~0c/0 branch owner=a~1b~0c startAt=a~1b~0c/0/in~1ner Branch 1"},
		edges: []string{
			`/start -start-> say "hi"`,
			`say "hi" -next-> a#35;b & <b>bold<~1b>`,
			"a#35;b & <b>bold<~1b> -next-> x|y `md` end",
			"x|y `md` end -next-> new\nline\\N",
			"new\nline\\N -next-> a~1b~0c",
			"a~1b~0c -next-> end",
			"end -end-> /end",
		},
	},
	{
		name:  "empty state name",
		def:   `{"StartAt": "", "States": {"": {"Type": "Pass", "End": true}}}`,
		nodes: []string{"/start Start", " Pass start end", "/end End"},
		edges: []string{"/start -start-> ", " -end-> /end"},
	},
	{
		// Parse accepts what Validate rejects: a missing target becomes a
		// Missing node; unreachable states follow in name order.
		name:    "invalid: missing targets and unreachable states",
		invalid: true,
		def: `{"StartAt": "A", "States": {
  "A": {"Type": "Pass", "Next": "Gone"},
  "Z2": {"Type": "Pass", "Next": "Z1"},
  "Z1": {"Type": "Succeed"},
  "B": {"Type": "Parallel", "Branches": [{"StartAt": "In", "States": {"In": {"Type": "Pass", "Next": "Nowhere"}}}], "End": true}
}}`,
		nodes: []string{
			"/start Start", "A Pass start", "B Parallel end", "B/0/In Pass in=B/0 start",
			"B/0/Nowhere Missing in=B/0", "Z1 Succeed end", "Z2 Pass", "Gone Missing", "/end End",
		},
		groups: []string{"B/0 branch owner=B startAt=B/0/In Branch 1"},
		edges: []string{
			"/start -start-> A", "A -next-> Gone", "B -end-> /end",
			"B/0/In -next-> B/0/Nowhere", "Z1 -end-> /end", "Z2 -next-> Z1",
		},
	},
	{
		name: "user-onboarding example",
		def:  "../examples/user-onboarding/statemachine.asl.json",
		nodes: []string{
			"/start Start", "SendMessage1 Task start", "Wait1 Wait", "FetchActivityCount1 Task",
			"CheckActivityCount1 Choice", "SendMessage2 Task", "Done Succeed end", "Wait2 Wait",
			"FetchActivityCount2 Task", "CheckActivityCount2 Choice", "SendMessage3 Task", "/end End",
		},
		edges: []string{
			"/start -start-> SendMessage1",
			"SendMessage1 -next-> Wait1",
			"Wait1 -next-> FetchActivityCount1",
			"FetchActivityCount1 -next-> CheckActivityCount1",
			"CheckActivityCount1 -choice-> SendMessage2 : $.activities == 0",
			"CheckActivityCount1 -default-> Done : default",
			"SendMessage2 -next-> Wait2",
			"Done -end-> /end",
			"Wait2 -next-> FetchActivityCount2",
			"FetchActivityCount2 -next-> CheckActivityCount2",
			"CheckActivityCount2 -choice-> SendMessage3 : $.activities == 0",
			"CheckActivityCount2 -default-> Done : default",
			"SendMessage3 -next-> Done",
		},
	},
	{
		name: "alarm IVR seed",
		def:  "testdata/alarm-ivr.asl.json",
		nodes: []string{
			"/start Start",
			"placeCall Task start",
			"playAndGetDTMF Parallel",
			"playAndGetDTMF/0/playVoiceMessage Task in=playAndGetDTMF/0 start end",
			"playAndGetDTMF/1/waitForCode Task in=playAndGetDTMF/1 start",
			"playAndGetDTMF/1/hangupCall Task in=playAndGetDTMF/1 end",
			"validateCode Choice",
			"noInput Wait",
			"ValidCode Succeed end",
			"InvalidCode Fail end",
			"/end End",
		},
		groups: []string{
			"playAndGetDTMF/0 branch owner=playAndGetDTMF startAt=playAndGetDTMF/0/playVoiceMessage Branch 1",
			"playAndGetDTMF/1 branch owner=playAndGetDTMF startAt=playAndGetDTMF/1/waitForCode Branch 2",
		},
		edges: []string{
			"/start -start-> placeCall",
			"placeCall -next-> playAndGetDTMF",
			"playAndGetDTMF -next-> validateCode",
			"playAndGetDTMF/1/waitForCode -next-> playAndGetDTMF/1/hangupCall",
			`validateCode -choice-> noInput : $[1].dtmfParams.dtmfBuffer == ""`,
			`validateCode -choice-> ValidCode : $[1].dtmfParams.dtmfBuffer == "1234"`,
			"validateCode -default-> InvalidCode : default",
			"noInput -next-> placeCall",
			"ValidCode -end-> /end",
			"InvalidCode -end-> /end",
		},
	},
}

func TestBuild(t *testing.T) {
	for _, tc := range buildCases {
		t.Run(tc.name, func(t *testing.T) {
			g := mustBuild(t, tc.def, tc.invalid)
			compareLines(t, "nodes", nodeLines(g), tc.nodes)
			compareLines(t, "groups", groupLines(g), tc.groups)
			compareLines(t, "edges", edgeLines(g), tc.edges)
			checkConsistent(t, g)
		})
	}
}

func compareLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return
	}
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		g, w := "", ""
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if g != w {
			mark = "! "
		}
		fmt.Fprintf(&b, "%s%-60q %q\n", mark, g, w)
	}
	t.Errorf("%s differ (got, want):\n%s", what, b.String())
}

// checkConsistent checks the invariants every graph keeps: unique ids,
// edges between known nodes, groups owned by known nodes, parents known.
func checkConsistent(t *testing.T, g *Graph) {
	t.Helper()
	nodes := map[string]Node{}
	for _, n := range g.Nodes {
		if _, dup := nodes[n.ID]; dup {
			t.Errorf("duplicate node id %q", n.ID)
		}
		nodes[n.ID] = n
	}
	groups := map[string]Group{}
	for _, gr := range g.Groups {
		if _, dup := groups[gr.ID]; dup {
			t.Errorf("duplicate group id %q", gr.ID)
		}
		if _, ok := nodes[gr.ID]; ok {
			t.Errorf("group id %q is also a node id", gr.ID)
		}
		groups[gr.ID] = gr
		owner, ok := nodes[gr.Owner]
		if !ok || (owner.Type != asl.TypeParallel && owner.Type != asl.TypeMap) {
			t.Errorf("group %q: owner %q is not a Parallel or Map node", gr.ID, gr.Owner)
		}
		if s, ok := nodes[gr.StartAt]; !ok || s.Parent != gr.ID || !s.IsStart {
			t.Errorf("group %q: startAt %q is not a start node of the group", gr.ID, gr.StartAt)
		}
	}
	for _, n := range g.Nodes {
		if n.Parent != "" {
			if _, ok := groups[n.Parent]; !ok {
				t.Errorf("node %q: unknown parent group %q", n.ID, n.Parent)
			}
		}
	}
	for _, e := range g.Edges {
		from, ok1 := nodes[e.From]
		to, ok2 := nodes[e.To]
		if !ok1 || !ok2 {
			t.Errorf("edge %s -> %s: unknown node", e.From, e.To)
			continue
		}
		if e.Kind != KindStart && e.Kind != KindEnd && from.Parent != to.Parent {
			t.Errorf("edge %s -> %s crosses scopes", e.From, e.To)
		}
		switch e.Kind {
		case KindStart, KindNext, KindChoice, KindDefault, KindCatch, KindEnd:
		default:
			t.Errorf("edge %s -> %s: unknown kind %q", e.From, e.To, e.Kind)
		}
	}
}

func TestBuildNil(t *testing.T) {
	g := Build(nil)
	out, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"nodes":[],"groups":[],"edges":[]}` {
		t.Errorf("Build(nil) = %s", out)
	}
	if m := Mermaid(g); m != "flowchart TD\n" {
		t.Errorf("Mermaid(empty) = %q", m)
	}
}

// TestDeterministic: the asl package keeps States in maps, so each parse
// iterates them differently; the graph and its renderings must not change.
func TestDeterministic(t *testing.T) {
	for _, tc := range buildCases {
		t.Run(tc.name, func(t *testing.T) {
			first := renderAll(t, mustBuild(t, tc.def, tc.invalid))
			for range 20 {
				if again := renderAll(t, mustBuild(t, tc.def, tc.invalid)); again != first {
					t.Fatalf("output changed between builds:\n%s\n---\n%s", first, again)
				}
			}
		})
	}
}

func renderAll(t *testing.T, g *Graph) string {
	t.Helper()
	j, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	return string(j) + "\n" + Mermaid(g) + "\n" + Dot(g)
}

// TestJSONModel pins the JSON form of the small machine: the contract the
// console reads.
func TestJSONModel(t *testing.T) {
	const want = `{
  "comment": "A small machine",
  "nodes": [
    {"id": "/start", "type": "Start", "label": "Start", "isStart": false, "isEnd": false},
    {"id": "Check", "name": "Check", "type": "Choice", "label": "Check", "isStart": true, "isEnd": false, "pointer": "/States/Check"},
    {"id": "Big", "name": "Big", "type": "Task", "label": "Big", "isStart": false, "isEnd": false, "pointer": "/States/Big",
     "detail": "arn:aws:lambda:us-east-1:123456789012:function:big"},
    {"id": "Both", "name": "Both", "type": "Parallel", "label": "Both", "isStart": false, "isEnd": false, "pointer": "/States/Both"},
    {"id": "Both/0/A", "name": "A", "type": "Pass", "label": "A", "parent": "Both/0", "isStart": true, "isEnd": true,
     "pointer": "/States/Both/Branches/0/States/A"},
    {"id": "Both/1/B", "name": "B", "type": "Wait", "label": "B", "parent": "Both/1", "isStart": true, "isEnd": true,
     "pointer": "/States/Both/Branches/1/States/B", "detail": "1s"},
    {"id": "Done", "name": "Done", "type": "Succeed", "label": "Done", "isStart": false, "isEnd": true, "pointer": "/States/Done"},
    {"id": "Failed", "name": "Failed", "type": "Fail", "label": "Failed", "isStart": false, "isEnd": true, "pointer": "/States/Failed",
     "detail": "Oops"},
    {"id": "/end", "type": "End", "label": "End", "isStart": false, "isEnd": false}
  ],
  "groups": [
    {"id": "Both/0", "kind": "branch", "label": "Branch 1", "owner": "Both", "index": 0, "startAt": "Both/0/A", "pointer": "/States/Both/Branches/0"},
    {"id": "Both/1", "kind": "branch", "label": "Branch 2", "owner": "Both", "index": 1, "startAt": "Both/1/B", "pointer": "/States/Both/Branches/1"}
  ],
  "edges": [
    {"from": "/start", "to": "Check", "kind": "start", "pointer": "/StartAt"},
    {"from": "Check", "to": "Big", "kind": "choice", "label": "$.x > 50", "pointer": "/States/Check/Choices/0"},
    {"from": "Check", "to": "Both", "kind": "default", "label": "default", "pointer": "/States/Check/Default"},
    {"from": "Big", "to": "Done", "kind": "next", "pointer": "/States/Big/Next"},
    {"from": "Big", "to": "Failed", "kind": "catch", "label": "States.ALL", "pointer": "/States/Big/Catch/0"},
    {"from": "Both", "to": "Done", "kind": "next", "pointer": "/States/Both/Next"},
    {"from": "Done", "to": "/end", "kind": "end", "pointer": "/States/Done"},
    {"from": "Failed", "to": "/end", "kind": "end", "pointer": "/States/Failed"}
  ]
}`
	g := mustBuild(t, small, false)
	var got bytes.Buffer
	enc := json.NewEncoder(&got)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(g); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(want)); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(got.String()) != compact.String() {
		t.Errorf("JSON =\n%s\nwant\n%s", got.String(), compact.String())
	}
	// It decodes back to the same graph.
	var back Graph
	if err := json.Unmarshal(got.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	enc = json.NewEncoder(&again)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&back); err != nil || !bytes.Equal(got.Bytes(), again.Bytes()) {
		t.Errorf("JSON does not round-trip (%v):\n%s\n%s", err, got.Bytes(), again.Bytes())
	}
}

// TestDetail: the short descriptions of Task, Wait and Fail states.
func TestDetail(t *testing.T) {
	g := mustBuild(t, `{"StartAt": "T", "States": {
  "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "Next": "W1"},
  "W1": {"Type": "Wait", "Seconds": 10, "Next": "W2"},
  "W2": {"Type": "Wait", "Timestamp": "2024-03-01T10:00:00Z", "Next": "W3"},
  "W3": {"Type": "Wait", "SecondsPath": "$.s", "Next": "W4"},
  "W4": {"Type": "Wait", "TimestampPath": "$.ts", "Next": "C"},
  "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsString": true, "Next": "F1"}, {"Variable": "$.b", "IsNumeric": true, "Next": "F2"}], "Default": "F3"},
  "F1": {"Type": "Fail", "Error": "E", "Cause": "why"},
  "F2": {"Type": "Fail", "ErrorPath": "$.error", "CausePath": "States.Format('bad {}', $.x)"},
  "F3": {"Type": "Fail", "Cause": "only a cause"}
}}`, false)
	want := map[string]string{
		"T": "arn:aws:states:::lambda:invoke", "W1": "10s", "W2": "until 2024-03-01T10:00:00Z",
		"W3": "seconds: $.s", "W4": "until $.ts", "C": "",
		"F1": "E: why", "F2": "$.error: States.Format('bad {}', $.x)", "F3": "only a cause",
	}
	for id, w := range want {
		n := g.Node(id)
		if n == nil {
			t.Errorf("no node %q", id)
			continue
		}
		if n.Detail != w {
			t.Errorf("%s: detail = %q, want %q", id, n.Detail, w)
		}
	}
	if g.Node("nope") != nil {
		t.Error(`Node("nope") != nil`)
	}
}

// TestEdgePointers: every edge points at the field that declares it.
func TestEdgePointers(t *testing.T) {
	g := mustBuild(t, "testdata/every-state.asl.json", false)
	want := []string{
		"/StartAt", "/States/Init/Next", "/States/Route/Choices/0", "/States/Route/Choices/1",
		"/States/Route/Default", "/States/Fan/Next", "/States/Pause/Next", "/States/Reject",
		"/States/Work/Catch/0", "/States/Work/Catch/1", "/States/Work/End", "/States/Done",
	}
	var got []string
	for _, e := range g.Edges {
		got = append(got, e.Pointer)
	}
	compareLines(t, "edge pointers", got, want)
}
