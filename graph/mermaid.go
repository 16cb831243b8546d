package graph

import (
	"strconv"
	"strings"
)

// Mermaid renders the graph as a Mermaid flowchart (top-down). A Parallel
// state is a subgraph holding one subgraph per branch; a Map state is a
// subgraph holding its item processor's states; edges into and out of either
// attach to the subgraph. Choice rules label their edges, the Default edge
// is labelled "default", and Catch edges are dotted and labelled with their
// errors.
//
// Mermaid ids are generated ("n3" for the fourth node, "g1" for the second
// group), because state names may hold anything and Mermaid reserves words
// such as "end" even as parts of ids; every label is quoted, with the
// characters Mermaid would interpret written as entity codes (#quot; #35;
// #lt; #gt; #amp; #96; #124;).
func Mermaid(g *Graph) string {
	l := newLayout(g)
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	nid := func(i int) string { return "n" + strconv.Itoa(i) }
	indent := func(depth int) { b.WriteString(strings.Repeat("    ", depth+1)) }
	classes := map[string][]string{}
	var classOrder []string
	l.walk(walker{
		flattenMap: true,
		leaf: func(i, depth int) {
			n := g.Nodes[i]
			indent(depth)
			open, close := mermaidShape(n.Type)
			b.WriteString(nid(i) + open + mermaidText(n.Label) + close + "\n")
			if c := mermaidClass(n.Type); c != "" {
				if classes[c] == nil {
					classOrder = append(classOrder, c)
				}
				classes[c] = append(classes[c], nid(i))
			}
		},
		openNode: func(i, depth int) {
			n := g.Nodes[i]
			indent(depth)
			b.WriteString("subgraph " + nid(i) + "[" + mermaidText(containerLabel(n)) + "]\n")
		},
		openGroup: func(j, depth int) {
			indent(depth)
			b.WriteString("subgraph g" + strconv.Itoa(j) + "[" + mermaidText(g.Groups[j].Label) + "]\n")
		},
		close: func(depth int) {
			indent(depth)
			b.WriteString("end\n")
		},
	})
	for _, e := range g.Edges {
		from, okFrom := l.node[e.From]
		to, okTo := l.node[e.To]
		if !okFrom || !okTo {
			continue
		}
		arrow := "-->"
		if e.Kind == KindCatch {
			arrow = "-.->"
		}
		b.WriteString("    " + nid(from) + " " + arrow)
		if e.Label != "" {
			b.WriteString("|" + mermaidText(e.Label) + "|")
		}
		b.WriteString(" " + nid(to) + "\n")
	}
	for _, c := range classOrder {
		b.WriteString("    classDef " + c + " " + mermaidClassStyles[c] + "\n")
		b.WriteString("    class " + strings.Join(classes[c], ",") + " " + c + "\n")
	}
	return b.String()
}

// containerLabel is the title of a Parallel or Map state's box.
func containerLabel(n Node) string {
	if n.Type == "" {
		return n.Label
	}
	return n.Label + " (" + n.Type + ")"
}

func mermaidShape(typ string) (open, close string) {
	switch typ {
	case TypeStart, TypeEnd:
		return "((", "))"
	case "Choice":
		return "{", "}"
	case "Succeed", "Fail":
		return "([", "])"
	case "Pass", "Wait":
		return "(", ")"
	case "Parallel", "Map":
		return "[[", "]]"
	}
	return "[", "]"
}

var mermaidClassStyles = map[string]string{
	"scPseudo":  "fill:#333,stroke:#333,color:#fff",
	"scSucceed": "fill:#e6f4ea,stroke:#2e7d32",
	"scFail":    "fill:#fdecea,stroke:#c62828",
	"scMissing": "fill:#fff,stroke:#c62828,stroke-dasharray:4 4",
}

func mermaidClass(typ string) string {
	switch typ {
	case TypeStart, TypeEnd:
		return "scPseudo"
	case "Succeed":
		return "scSucceed"
	case "Fail":
		return "scFail"
	case TypeMissing:
		return "scMissing"
	}
	return ""
}

var mermaidEscaper = strings.NewReplacer(
	"#", "#35;",
	"&", "#amp;",
	`"`, "#quot;",
	"<", "#lt;",
	">", "#gt;",
	"`", "#96;",
	"|", "#124;",
	"\r\n", " ",
	"\n", " ",
	"\r", " ",
	"\t", " ",
)

// mermaidText quotes a label, writing as entity codes the characters that
// Mermaid would read as syntax, HTML or markdown. Mermaid rejects an empty
// quoted label, so "" is written as a space.
func mermaidText(s string) string {
	if s == "" {
		return `" "`
	}
	s = mermaidEscaper.Replace(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return `"` + s + `"`
}
