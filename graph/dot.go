package graph

import (
	"strings"
)

// Dot renders the graph as a Graphviz digraph. Node ids are the graph's ids,
// quoted. A Parallel state is a cluster ("cluster_" + its id) holding one
// cluster per branch; a Map state is a cluster holding its item processor's
// states. Edges into and out of such a state are drawn to and from the
// cluster's border (compound=true with lhead/ltail), attached to the state
// its first branch starts at and the state that ends its last branch. Choice
// rules label their edges, the Default edge is labelled "default", and Catch
// edges are dashed and labelled with their errors.
func Dot(g *Graph) string {
	l := newLayout(g)
	var b strings.Builder
	b.WriteString("digraph \"statemachine\" {\n")
	b.WriteString("  compound=true;\n")
	b.WriteString("  fontname=\"Helvetica\";\n")
	b.WriteString("  node [shape=box, style=\"rounded\", fontname=\"Helvetica\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=10];\n")
	indent := func(depth int) { b.WriteString(strings.Repeat("  ", depth+1)) }
	l.walk(walker{
		flattenMap: true,
		leaf: func(i, depth int) {
			n := g.Nodes[i]
			indent(depth)
			b.WriteString(dotQuote(n.ID) + " [label=" + dotQuote(n.Label) + dotShape(n.Type) + "];\n")
		},
		openNode: func(i, depth int) {
			n := g.Nodes[i]
			indent(depth)
			b.WriteString("subgraph " + dotQuote("cluster_"+n.ID) + " {\n")
			indent(depth + 1)
			b.WriteString("label=" + dotQuote(containerLabel(n)) + ";\n")
			indent(depth + 1)
			b.WriteString("style=\"rounded\";\n")
		},
		openGroup: func(j, depth int) {
			gr := g.Groups[j]
			indent(depth)
			b.WriteString("subgraph " + dotQuote("cluster_"+gr.ID) + " {\n")
			indent(depth + 1)
			b.WriteString("label=" + dotQuote(gr.Label) + ";\n")
			indent(depth + 1)
			b.WriteString("style=\"dashed\";\n")
		},
		close: func(depth int) {
			indent(depth)
			b.WriteString("}\n")
		},
	})
	back := l.backEdges()
	for k, e := range g.Edges {
		if _, ok := l.node[e.From]; !ok {
			continue
		}
		if _, ok := l.node[e.To]; !ok {
			continue
		}
		from, to := e.From, e.To
		var attrs []string
		if e.From != e.To {
			// An edge from a container to itself stays inside it.
			if l.container(e.From) {
				from = l.exit(e.From)
				attrs = append(attrs, "ltail="+dotQuote("cluster_"+e.From))
			}
			if l.container(e.To) {
				to = l.entry(e.To)
				attrs = append(attrs, "lhead="+dotQuote("cluster_"+e.To))
			}
		} else if l.container(e.From) {
			from, to = l.exit(e.From), l.entry(e.To)
		}
		if e.Label != "" {
			attrs = append(attrs, "label="+dotQuote(e.Label))
		}
		if e.Kind == KindCatch {
			attrs = append(attrs, "style=dashed")
		}
		if back[k] {
			attrs = append(attrs, "constraint=false")
		}
		b.WriteString("  " + dotQuote(from) + " -> " + dotQuote(to))
		if len(attrs) > 0 {
			b.WriteString(" [" + strings.Join(attrs, ", ") + "]")
		}
		b.WriteString(";\n")
	}
	b.WriteString("}\n")
	return b.String()
}

func dotShape(typ string) string {
	switch typ {
	case TypeStart:
		return `, shape=circle, style=filled, fillcolor="#333333", fontcolor="#ffffff"`
	case TypeEnd:
		return `, shape=doublecircle, style=filled, fillcolor="#333333", fontcolor="#ffffff"`
	case "Choice":
		return ", shape=diamond"
	case "Succeed":
		return `, style="rounded,filled", fillcolor="#e6f4ea", color="#2e7d32"`
	case "Fail":
		return `, style="rounded,filled", fillcolor="#fdecea", color="#c62828"`
	case "Parallel", "Map":
		return ", peripheries=2"
	case TypeMissing:
		return `, style="dashed", color="#c62828"`
	}
	return ""
}

var dotEscaper = strings.NewReplacer(
	`\`, `\\`,
	`"`, `\"`,
	"\r\n", `\n`,
	"\n", `\n`,
	"\r", `\n`,
)

// dotQuote writes s as a DOT double-quoted string. Backslashes are doubled
// so that Graphviz shows label text as it is rather than reading escapes
// such as \N or \l.
func dotQuote(s string) string {
	return `"` + dotEscaper.Replace(s) + `"`
}
