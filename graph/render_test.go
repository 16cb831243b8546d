package graph

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

func TestMermaidGolden(t *testing.T) {
	const want = `flowchart TD
    n0(("Start"))
    n1{"Check"}
    n2["Big"]
    subgraph n3["Both (Parallel)"]
        subgraph g0["Branch 1"]
            n4("A")
        end
        subgraph g1["Branch 2"]
            n5("B")
        end
    end
    n6(["Done"])
    n7(["Failed"])
    n8(("End"))
    n0 --> n1
    n1 -->|"$.x #gt; 50"| n2
    n1 -->|"default"| n3
    n2 --> n6
    n2 -.->|"States.ALL"| n7
    n3 --> n6
    n6 --> n8
    n7 --> n8
    classDef scPseudo fill:#333,stroke:#333,color:#fff
    class n0,n8 scPseudo
    classDef scSucceed fill:#e6f4ea,stroke:#2e7d32
    class n6 scSucceed
    classDef scFail fill:#fdecea,stroke:#c62828
    class n7 scFail
`
	if got := Mermaid(mustBuild(t, small, false)); got != want {
		t.Errorf("Mermaid =\n%s\nwant\n%s", got, want)
	}
}

func TestDotGolden(t *testing.T) {
	const want = `digraph "statemachine" {
  compound=true;
  fontname="Helvetica";
  node [shape=box, style="rounded", fontname="Helvetica"];
  edge [fontname="Helvetica", fontsize=10];
  "/start" [label="Start", shape=circle, style=filled, fillcolor="#333333", fontcolor="#ffffff"];
  "Check" [label="Check", shape=diamond];
  "Big" [label="Big"];
  subgraph "cluster_Both" {
    label="Both (Parallel)";
    style="rounded";
    subgraph "cluster_Both/0" {
      label="Branch 1";
      style="dashed";
      "Both/0/A" [label="A"];
    }
    subgraph "cluster_Both/1" {
      label="Branch 2";
      style="dashed";
      "Both/1/B" [label="B"];
    }
  }
  "Done" [label="Done", style="rounded,filled", fillcolor="#e6f4ea", color="#2e7d32"];
  "Failed" [label="Failed", style="rounded,filled", fillcolor="#fdecea", color="#c62828"];
  "/end" [label="End", shape=doublecircle, style=filled, fillcolor="#333333", fontcolor="#ffffff"];
  "/start" -> "Check";
  "Check" -> "Big" [label="$.x > 50"];
  "Check" -> "Both/0/A" [lhead="cluster_Both", label="default"];
  "Big" -> "Done";
  "Big" -> "Failed" [label="States.ALL", style=dashed];
  "Both/1/B" -> "Done" [ltail="cluster_Both"];
  "Done" -> "/end";
  "Failed" -> "/end";
}
`
	if got := Dot(mustBuild(t, small, false)); got != want {
		t.Errorf("Dot =\n%s\nwant\n%s", got, want)
	}
}

// TestMermaidMap: a Map state is one subgraph holding its processor's
// states; edges to and from it use the subgraph's id; a Catch on it is a
// dotted edge; a loop back to it is an ordinary edge.
func TestMermaidMap(t *testing.T) {
	g := mustBuild(t, `{"StartAt": "M", "States": {
  "M": {"Type": "Map", "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:w", "End": true}}},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Again"}], "End": true},
  "Again": {"Type": "Wait", "Seconds": 1, "Next": "M"}
}}`, false)
	const want = `flowchart TD
    n0(("Start"))
    subgraph n1["M (Map)"]
        n2["Work"]
    end
    n3("Again")
    n4(("End"))
    n0 --> n1
    n1 -.->|"States.ALL"| n3
    n1 --> n4
    n3 --> n1
    classDef scPseudo fill:#333,stroke:#333,color:#fff
    class n0,n4 scPseudo
`
	if got := Mermaid(g); got != want {
		t.Errorf("Mermaid =\n%s\nwant\n%s", got, want)
	}
	dot := Dot(g)
	for _, w := range []string{
		`subgraph "cluster_M" {`,
		`"M/processor/Work" -> "Again" [ltail="cluster_M", label="States.ALL", style=dashed];`,
		`"M/processor/Work" -> "/end" [ltail="cluster_M"];`,
		// The loop is left out of ranking so that the flow stays top-down.
		`"Again" -> "M/processor/Work" [lhead="cluster_M", constraint=false];`,
	} {
		if !strings.Contains(dot, w) {
			t.Errorf("Dot output lacks %s\n%s", w, dot)
		}
	}
	if strings.Contains(dot, "cluster_M/processor") {
		t.Errorf("a Map's processor is drawn as a cluster of its own:\n%s", dot)
	}
}

// TestMermaidSyntax checks every test graph's Mermaid line by line against
// the grammar it uses: declared ids, balanced subgraphs, quoted labels
// holding none of the characters Mermaid reads as syntax.
func TestMermaidSyntax(t *testing.T) {
	for _, tc := range buildCases {
		t.Run(tc.name, func(t *testing.T) {
			checkMermaid(t, Mermaid(mustBuild(t, tc.def, tc.invalid)))
		})
	}
}

var (
	mmNode     = regexp.MustCompile(`^ +(n[0-9]+)(\(\(|\{|\(\[|\[\[|\(|\[)"([^"]*)"(\)\)|\}|\]\)|\]\]|\)|\])$`)
	mmSubgraph = regexp.MustCompile(`^ +subgraph ([ng][0-9]+)\["([^"]*)"\]$`)
	mmEnd      = regexp.MustCompile(`^ +end$`)
	mmEdge     = regexp.MustCompile(`^    (n[0-9]+) (-->|-\.->)(?:\|"([^"]*)"\|)? (n[0-9]+)$`)
	mmClassDef = regexp.MustCompile(`^    classDef (sc[A-Za-z]+) [a-z-]+:[^,\s]+(?:,[a-z-]+:[^,]+)*$`)
	mmClass    = regexp.MustCompile(`^    class (n[0-9]+(?:,n[0-9]+)*) (sc[A-Za-z]+)$`)
	mmEntity   = regexp.MustCompile(`#[a-z0-9]+;`)
	mmShapes   = map[string]string{"((": "))", "{": "}", "([": "])", "[[": "]]", "(": ")", "[": "]"}
)

func checkMermaid(t *testing.T, text string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if lines[0] != "flowchart TD" || !strings.HasSuffix(text, "\n") {
		t.Fatalf("not a flowchart:\n%s", text)
	}
	declared := map[string]bool{}
	declare := func(id string) {
		if declared[id] {
			t.Errorf("id %s declared twice", id)
		}
		declared[id] = true
	}
	label := func(s string) {
		if s == "" {
			t.Errorf("empty label (Mermaid rejects one)")
		}
		if strings.ContainsAny(s, "\"|<>`&\n\r\t") {
			t.Errorf("label %q holds a character Mermaid reads as syntax", s)
		}
		if strings.Count(s, "#") != len(mmEntity.FindAllString(s, -1)) {
			t.Errorf("label %q holds a '#' that does not start an entity code", s)
		}
	}
	depth := 0
	for _, line := range lines[1:] {
		switch {
		case mmNode.MatchString(line):
			m := mmNode.FindStringSubmatch(line)
			if mmShapes[m[2]] != m[4] {
				t.Errorf("shape brackets do not match: %s", line)
			}
			declare(m[1])
			label(m[3])
		case mmSubgraph.MatchString(line):
			m := mmSubgraph.FindStringSubmatch(line)
			declare(m[1])
			label(m[2])
			depth++
		case mmEnd.MatchString(line):
			depth--
			if depth < 0 {
				t.Errorf("end without subgraph")
			}
		case mmEdge.MatchString(line):
			m := mmEdge.FindStringSubmatch(line)
			for _, id := range []string{m[1], m[4]} {
				if !declared[id] {
					t.Errorf("edge uses undeclared id %s: %s", id, line)
				}
			}
			if strings.Contains(line, "|") {
				label(m[3])
			}
		case mmClassDef.MatchString(line):
		case mmClass.MatchString(line):
			for _, id := range strings.Split(mmClass.FindStringSubmatch(line)[1], ",") {
				if !declared[id] {
					t.Errorf("class uses undeclared id %s", id)
				}
			}
		default:
			t.Errorf("line does not parse: %q", line)
		}
	}
	if depth != 0 {
		t.Errorf("%d subgraphs not closed", depth)
	}
}

// TestMermaidEscaping: labels decode back to the state names (newlines
// and tabs become spaces).
func TestMermaidEscaping(t *testing.T) {
	out := Mermaid(mustBuild(t, escapes, false))
	var labels []string
	for _, line := range strings.Split(out, "\n") {
		if m := mmNode.FindStringSubmatch(line); m != nil {
			labels = append(labels, mermaidDecode(m[3]))
		}
		if m := mmSubgraph.FindStringSubmatch(line); m != nil {
			labels = append(labels, mermaidDecode(m[2]))
		}
	}
	want := []string{
		"Start", `say "hi"`, "a#35;b & <b>bold</b>", "x|y `md` end", `new line\N`,
		"a/b~c (Parallel)", "Branch 1", "in/ner", "end", "End",
	}
	compareLines(t, "labels", labels, want)
	if got := mermaidText("tab\there\x01"); got != `"tab here "` {
		t.Errorf("control characters: %s", got)
	}
}

func mermaidDecode(s string) string {
	return mmEntity.ReplaceAllStringFunc(s, func(e string) string {
		switch e {
		case "#quot;":
			return `"`
		case "#amp;":
			return "&"
		case "#lt;":
			return "<"
		case "#gt;":
			return ">"
		case "#35;":
			return "#"
		case "#96;":
			return "`"
		case "#124;":
			return "|"
		}
		return e
	})
}

// TestDotSyntax: every test graph's DOT has balanced braces and quotes;
// where Graphviz is installed, dot reads it without a warning.
func TestDotSyntax(t *testing.T) {
	dotBin, _ := exec.LookPath("dot")
	for _, tc := range buildCases {
		t.Run(tc.name, func(t *testing.T) {
			checkDot(t, dotBin, Dot(mustBuild(t, tc.def, tc.invalid)))
		})
	}
	if dotBin == "" {
		t.Log("graphviz (dot) not installed: checked the structure only")
	}
}

func checkDot(t *testing.T, dotBin, text string) {
	t.Helper()
	depth, inString := 0, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && c == '{':
			depth++
		case !inString && c == '}':
			depth--
		case inString && c == '\n':
			t.Errorf("raw newline inside a quoted string")
		}
	}
	if depth != 0 || inString {
		t.Errorf("unbalanced DOT (depth %d, in string %v):\n%s", depth, inString, text)
	}
	if dotBin == "" {
		return
	}
	cmd := exec.Command(dotBin, "-Tcanon")
	cmd.Stdin = strings.NewReader(text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("dot: %v\n%s\n%s", err, stderr.String(), text)
	}
}

// TestDotEscaping: labels and ids are quoted with '"' and '\' escaped and
// newlines written as \n.
func TestDotEscaping(t *testing.T) {
	out := Dot(mustBuild(t, escapes, false))
	for _, w := range []string{
		`"say \"hi\"" [label="say \"hi\""];`,
		`"a#35;b & <b>bold<~1b>" [label="a#35;b & <b>bold</b>"];`,
		`"new\nline\\N" [label="new\nline\\N"];`,
		`subgraph "cluster_a~1b~0c" {`,
		`label="a/b~c (Parallel)";`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("DOT lacks %s\n%s", w, out)
		}
	}
}

// TestRenderSelfLoop: a container whose Catch leads back to itself is
// drawn inside its cluster rather than clipped at both ends.
func TestRenderSelfLoop(t *testing.T) {
	g := mustBuild(t, `{"StartAt": "P", "States": {
  "P": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "End": true}}}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "P"}], "End": true}
}}`, false)
	dot := Dot(g)
	if w := `"P/0/X" -> "P/0/X" [label="States.ALL", style=dashed, constraint=false];`; !strings.Contains(dot, w) {
		t.Errorf("DOT lacks %s\n%s", w, dot)
	}
	dotBin, _ := exec.LookPath("dot")
	checkDot(t, dotBin, dot)
	checkMermaid(t, Mermaid(g))
}

// TestRenderHandMade: the renderers accept any Graph value, such as one
// decoded from JSON: unknown parents draw at the top, edges to unknown
// nodes are left out, empty groups are not drawn.
func TestRenderHandMade(t *testing.T) {
	g := &Graph{
		Nodes: []Node{
			{ID: "a", Type: "Task", Label: "a"},
			{ID: "b", Type: "Pass", Label: "b", Parent: "nowhere"},
			{ID: "p", Type: "Parallel", Label: "p"},
			{ID: "c", Type: "Mystery", Label: "c", Parent: "p/0"},
			{ID: "e", Type: "Map", Label: "e"},
		},
		Groups: []Group{
			{ID: "p/0", Kind: GroupBranch, Owner: "p", StartAt: "gone"},
			{ID: "e/processor", Kind: GroupProcessor, Owner: "e"},
			{ID: "orphan", Kind: GroupBranch, Owner: "nobody"},
		},
		Edges: []Edge{
			{From: "a", To: "b", Kind: KindNext},
			{From: "a", To: "zzz", Kind: KindNext},
			{From: "b", To: "p", Kind: KindNext},
			{From: "p", To: "e", Kind: KindCatch},
		},
	}
	mm := Mermaid(g)
	checkMermaid(t, mm)
	const want = `flowchart TD
    n0["a"]
    n1("b")
    subgraph n2["p (Parallel)"]
        subgraph g0[" "]
            n3["c"]
        end
    end
    n4[["e"]]
    n0 --> n1
    n1 --> n2
    n2 -.-> n4
`
	if mm != want {
		t.Errorf("Mermaid =\n%s\nwant\n%s", mm, want)
	}
	dotBin, _ := exec.LookPath("dot")
	dot := Dot(g)
	checkDot(t, dotBin, dot)
	if w := `"b" -> "c" [lhead="cluster_p"];`; !strings.Contains(dot, w) {
		t.Errorf("DOT lacks %s\n%s", w, dot)
	}
}
