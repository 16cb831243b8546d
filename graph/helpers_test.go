package graph

import (
	"os"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/asl"
)

// mustBuild parses a definition (inline JSON or a testdata file name) and
// builds its graph. Definitions must be valid unless invalid is set.
func mustBuild(t *testing.T, def string, invalid bool) *Graph {
	t.Helper()
	doc := []byte(def)
	if !strings.HasPrefix(strings.TrimSpace(def), "{") {
		var err error
		if doc, err = os.ReadFile(def); err != nil {
			t.Fatal(err)
		}
	}
	problems := asl.Validate(doc, asl.ValidateOptions{})
	if !invalid && len(problems) > 0 {
		t.Fatalf("test definition is not valid: %v", problems)
	}
	if invalid && len(problems) == 0 {
		t.Fatalf("test definition is valid; expected problems")
	}
	sm, err := asl.Parse(doc)
	if err != nil {
		t.Fatalf("asl.Parse: %v", err)
	}
	return Build(sm)
}

// nodeLines lists nodes as "id type [in=parent] [start] [end]".
func nodeLines(g *Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		s := n.ID + " " + n.Type
		if n.Parent != "" {
			s += " in=" + n.Parent
		}
		if n.IsStart {
			s += " start"
		}
		if n.IsEnd {
			s += " end"
		}
		out = append(out, s)
	}
	return out
}

// groupLines lists groups as "id kind owner=... startAt=... label".
func groupLines(g *Graph) []string {
	var out []string
	for _, gr := range g.Groups {
		out = append(out, gr.ID+" "+gr.Kind+" owner="+gr.Owner+" startAt="+gr.StartAt+" "+gr.Label)
	}
	return out
}

// edgeLines lists edges as "from -kind-> to" with ": label" when labelled.
func edgeLines(g *Graph) []string {
	var out []string
	for _, e := range g.Edges {
		s := e.From + " -" + e.Kind + "-> " + e.To
		if e.Label != "" {
			s += " : " + e.Label
		}
		out = append(out, s)
	}
	return out
}
