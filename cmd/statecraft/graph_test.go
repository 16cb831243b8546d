package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/graph"
)

const (
	onboardingDef = "../../examples/user-onboarding/statemachine.asl.json"
	alarmDef      = "../../graph/testdata/alarm-ivr.asl.json"
)

// TestGraph: graph prints the definition's graph in each format, exit 0,
// nothing on stderr; the output is what the graph package renders.
func TestGraph(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		render  func(*graph.Graph) string
		prefix  string
		mention []string
	}{
		{
			name:   "mermaid by default",
			args:   []string{onboardingDef},
			render: graph.Mermaid,
			prefix: "flowchart TD\n",
			mention: []string{
				`n1["SendMessage1"]`, `n4{"CheckActivityCount1"}`,
				`n4 -->|"$.activities == 0"| n5`, `n4 -->|"default"| n6`,
			},
		},
		{
			name:    "--format mermaid",
			args:    []string{alarmDef, "--format", "mermaid"},
			render:  graph.Mermaid,
			prefix:  "flowchart TD\n",
			mention: []string{`subgraph n2["playAndGetDTMF (Parallel)"]`, `subgraph g1["Branch 2"]`, `n1 --> n2`},
		},
		{
			name:   "--format dot",
			args:   []string{"--format", "dot", alarmDef},
			render: graph.Dot,
			prefix: "digraph \"statemachine\" {\n",
			mention: []string{
				`subgraph "cluster_playAndGetDTMF" {`,
				`"placeCall" -> "playAndGetDTMF/0/playVoiceMessage" [lhead="cluster_playAndGetDTMF"];`,
				`"validateCode" -> "InvalidCode" [label="default"];`,
			},
		},
		{
			name:   "--format=dot on the onboarding example",
			args:   []string{"--format=dot", onboardingDef},
			render: graph.Dot,
			prefix: "digraph \"statemachine\" {\n",
			mention: []string{
				`"CheckActivityCount2" -> "SendMessage3" [label="$.activities == 0"];`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := statecraft(t, "", append([]string{"graph"}, tc.args...)...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("want exit 0 and no stderr\n%s", r)
			}
			if !strings.HasPrefix(r.stdout, tc.prefix) {
				t.Errorf("stdout does not start with %q:\n%s", tc.prefix, r.stdout)
			}
			for _, w := range tc.mention {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %s\n%s", w, r.stdout)
				}
			}
			def := tc.args[0]
			if strings.HasPrefix(def, "-") {
				def = tc.args[len(tc.args)-1]
			}
			if want := tc.render(buildGraph(t, def)); r.stdout != want {
				t.Errorf("stdout is not the package's rendering:\n%s\nwant\n%s", r.stdout, want)
			}
			if strings.HasPrefix(tc.prefix, "digraph") {
				dotParses(t, r.stdout)
			}
		})
	}
}

// TestGraphJSON: --format json prints one JSON object, the graph model.
func TestGraphJSON(t *testing.T) {
	for _, def := range []string{alarmDef, onboardingDef} {
		t.Run(def, func(t *testing.T) {
			r := statecraft(t, "", "graph", def, "--format", "json")
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("want exit 0 and no stderr\n%s", r)
			}
			dec := json.NewDecoder(strings.NewReader(r.stdout))
			dec.DisallowUnknownFields()
			var g graph.Graph
			if err := dec.Decode(&g); err != nil {
				t.Fatalf("stdout is not a graph: %v\n%s", err, r.stdout)
			}
			var extra json.RawMessage
			if err := dec.Decode(&extra); err != io.EOF {
				t.Fatalf("stdout holds more than one JSON value")
			}
			if len(g.Nodes) < 3 || g.Nodes[0].ID != graph.StartID || g.Nodes[len(g.Nodes)-1].ID != graph.EndID {
				t.Errorf("nodes do not run from the start to the end pseudo-node: %+v", g.Nodes)
			}
			if len(g.Edges) == 0 || g.Edges[0].Kind != graph.KindStart {
				t.Errorf("first edge is not the start edge: %+v", g.Edges)
			}
			want, err := json.Marshal(buildGraph(t, def))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(&g)
			if !bytes.Equal(got, want) {
				t.Errorf("graph =\n%s\nwant\n%s", got, want)
			}
		})
	}
	// Labels are printed as they are, not HTML-escaped.
	r := statecraft(t, "", "graph", "--format", "json", alarmDef)
	if !strings.Contains(r.stdout, `"detail": "arn:aws:states:eu-west-1:<AWSACCOUNT>:activity:mediaService"`) {
		t.Errorf("JSON is HTML-escaped or lacks the detail:\n%s", r.stdout)
	}
	var alarm graph.Graph
	if err := json.Unmarshal([]byte(r.stdout), &alarm); err != nil {
		t.Fatal(err)
	}
	if len(alarm.Groups) != 2 || alarm.Groups[1].ID != "playAndGetDTMF/1" || alarm.Groups[1].Owner != "playAndGetDTMF" {
		t.Errorf("groups = %+v", alarm.Groups)
	}
}

// TestGraphInvalidDefinition: an invalid definition is refused as run
// refuses it: exit 2, one "POINTER: message" line per problem on stderr
// (the lines validate prints), nothing on stdout.
func TestGraphInvalidDefinition(t *testing.T) {
	tests := []struct {
		file     string
		pointers []string
	}{
		{"testdata/invalid.asl.json", []string{"/States/First/Next", "/States/Orphan"}},
		{"testdata/syntax-error.asl.json", []string{"/"}},
	}
	for _, tc := range tests {
		for _, format := range []string{"mermaid", "dot", "json"} {
			t.Run(tc.file+" "+format, func(t *testing.T) {
				r := statecraft(t, "", "graph", tc.file, "--format", format)
				if r.code != 2 {
					t.Fatalf("want exit code 2\n%s", r)
				}
				if r.stdout != "" {
					t.Errorf("stdout = %q, want nothing", r.stdout)
				}
				got := problems(t, r.stderr)
				if strings.Join(got, " ") != strings.Join(tc.pointers, " ") {
					t.Errorf("pointers = %v, want %v\nstderr: %s", got, tc.pointers, r.stderr)
				}
				v := statecraft(t, "", "validate", tc.file)
				if v.stdout != r.stderr {
					t.Errorf("validate disagrees with graph:\ngraph stderr: %s\nvalidate: %s", r.stderr, v)
				}
			})
		}
	}
}

// TestGraphUsage: bad invocations fail with a message and print nothing.
func TestGraphUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		mention string
	}{
		{"unknown format", []string{"graph", onboardingDef, "--format", "svg"}, `unknown --format "svg"`},
		{"missing file", []string{"graph", "testdata/no-such-machine.asl.json"}, "no-such-machine.asl.json"},
		{"no definition", []string{"graph"}, "arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := statecraft(t, "", tc.args...)
			if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, tc.mention) {
				t.Errorf("want exit 1, no stdout and %q on stderr\n%s", tc.mention, r)
			}
		})
	}
}

func buildGraph(t *testing.T, file string) *graph.Graph {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := asl.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return graph.Build(sm)
}

// dotParses checks DOT text with Graphviz where it is installed.
func dotParses(t *testing.T, text string) {
	t.Helper()
	dot, err := exec.LookPath("dot")
	if err != nil {
		return
	}
	cmd := exec.Command(dot, "-Tcanon")
	cmd.Stdin = strings.NewReader(text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("dot rejects the output: %v\n%s", err, stderr.String())
	}
}
