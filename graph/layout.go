package graph

// layout is the nesting of a graph's nodes and groups, shared by the
// renderers. It copes with any Graph value, not only Build's: a node whose
// group is unknown is drawn at the top, and every node is drawn once.
type layout struct {
	g        *Graph
	node     map[string]int   // node id -> index in g.Nodes
	groupsOf map[string][]int // node id -> indices in g.Groups of its groups that hold nodes
	nodesIn  map[string][]int // group id -> indices in g.Nodes of its nodes
	top      []int            // nodes not in a known group
}

func newLayout(g *Graph) *layout {
	l := &layout{g: g, node: map[string]int{}, groupsOf: map[string][]int{}, nodesIn: map[string][]int{}}
	for i, n := range g.Nodes {
		if _, dup := l.node[n.ID]; !dup {
			l.node[n.ID] = i
		}
	}
	known := map[string]bool{}
	for _, gr := range g.Groups {
		if _, ok := l.node[gr.Owner]; ok && !known[gr.ID] {
			known[gr.ID] = true
		}
	}
	for i, n := range g.Nodes {
		if n.Parent != "" && known[n.Parent] {
			l.nodesIn[n.Parent] = append(l.nodesIn[n.Parent], i)
		} else {
			l.top = append(l.top, i)
		}
	}
	seen := map[string]bool{}
	for i, gr := range g.Groups {
		if known[gr.ID] && !seen[gr.ID] && len(l.nodesIn[gr.ID]) > 0 {
			seen[gr.ID] = true
			l.groupsOf[gr.Owner] = append(l.groupsOf[gr.Owner], i)
		}
	}
	return l
}

// walker visits nodes in nesting order. leaf draws a node that holds no
// group; open and close bracket a container (a node with groups, or a
// group); flat reports a Map state with one group, drawn as one container.
type walker struct {
	leaf       func(i, depth int)
	openNode   func(i, depth int)
	openGroup  func(j, depth int)
	close      func(depth int)
	flattenMap bool
}

func (l *layout) walk(w walker) {
	done := make([]bool, len(l.g.Nodes))
	var visit func(i, depth int)
	visit = func(i, depth int) {
		if done[i] {
			return
		}
		done[i] = true
		groups := l.groupsOf[l.g.Nodes[i].ID]
		if len(groups) == 0 {
			w.leaf(i, depth)
			return
		}
		w.openNode(i, depth)
		if w.flattenMap && len(groups) == 1 && l.g.Nodes[i].Type == "Map" {
			for _, c := range l.nodesIn[l.g.Groups[groups[0]].ID] {
				visit(c, depth+1)
			}
		} else {
			for _, j := range groups {
				w.openGroup(j, depth+1)
				for _, c := range l.nodesIn[l.g.Groups[j].ID] {
					visit(c, depth+2)
				}
				w.close(depth + 1)
			}
		}
		w.close(depth)
	}
	for _, i := range l.top {
		visit(i, 0)
	}
	// Nodes of groups whose owner sits inside them are never reached from
	// the top; draw them anyway.
	for i := range l.g.Nodes {
		visit(i, 0)
	}
}

// container reports whether a node is drawn as a container.
func (l *layout) container(id string) bool {
	return len(l.groupsOf[id]) > 0
}

// entry is the node an edge into a container points at: the start of its
// first group, descending into nested containers.
func (l *layout) entry(id string) string {
	for range len(l.g.Nodes) {
		groups := l.groupsOf[id]
		if len(groups) == 0 {
			return id
		}
		gr := l.g.Groups[groups[0]]
		next := l.nodesIn[gr.ID][0]
		if i, ok := l.node[gr.StartAt]; ok && l.g.Nodes[i].Parent == gr.ID {
			next = i
		}
		id = l.g.Nodes[next].ID
	}
	return id
}

// exit is the node an edge out of a container starts from: the last state
// that ends its last group, descending into nested containers.
func (l *layout) exit(id string) string {
	for range len(l.g.Nodes) {
		groups := l.groupsOf[id]
		if len(groups) == 0 {
			return id
		}
		nodes := l.nodesIn[l.g.Groups[groups[len(groups)-1]].ID]
		next := nodes[len(nodes)-1]
		for _, i := range nodes {
			if l.g.Nodes[i].IsEnd {
				next = i
			}
		}
		id = l.g.Nodes[next].ID
	}
	return id
}

// backEdges marks the edges (by index in g.Edges) that close a cycle: those
// that a depth-first walk from the start, taking edges in order, finds
// pointing back at a node on its path. Graphviz ranks a cycle by where its
// walk happens to enter; leaving these edges out of ranking keeps the flow
// top-down from the start.
func (l *layout) backEdges() map[int]bool {
	out := map[string][]int{}
	for k, e := range l.g.Edges {
		out[e.From] = append(out[e.From], k)
	}
	const (
		unseen = iota
		onPath
		finished
	)
	state := map[string]int{}
	back := map[int]bool{}
	var visit func(id string)
	visit = func(id string) {
		state[id] = onPath
		for _, k := range out[id] {
			to := l.g.Edges[k].To
			switch state[to] {
			case onPath:
				back[k] = true
			case unseen:
				visit(to)
			}
		}
		state[id] = finished
	}
	for _, n := range l.g.Nodes {
		if state[n.ID] == unseen {
			visit(n.ID)
		}
	}
	return back
}
