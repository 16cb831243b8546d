// Package graph turns a parsed state machine into a workflow graph: nodes
// for states, groups for the scopes nested in Parallel and Map states, and
// labelled edges for every transition. The model is plain data with JSON
// tags, so that a browser can draw it as it is; Mermaid and Dot render it as
// text for documentation and Graphviz.
//
// Identifiers. A top-level state's node id is its name; a state in a nested
// scope has the path of that scope before its name: "P/1/waitForCode" is
// waitForCode in the second branch (index 1) of the Parallel state P, and
// "M/processor/Work" is Work in the item processor of the Map state M. Each
// name is escaped as in a JSON pointer ("~" as "~0", "/" as "~1"), so ids stay
// unique whatever the names hold; a name without '/' or '~' is its own id.
// The start and end pseudo-nodes are "/start" and "/end", which no state's id
// can be.
//
// Order. The definition's order of Choices, Catch and Branches is kept. The
// asl package keeps a scope's States as a map, so states are listed in flow
// order instead: breadth-first from StartAt following transitions in the
// order Choices, Default, Next, Catch; states that cannot be reached follow,
// in the same way from each in name order. The same definition always gives
// the same graph.
package graph

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/jsonv"
)

// Pseudo-node ids and types.
const (
	StartID = "/start"
	EndID   = "/end"

	TypeStart = "Start" // the execution's start pseudo-node
	TypeEnd   = "End"   // the execution's end pseudo-node
	// TypeMissing is a node for a transition target that names no state of
	// its scope; only an invalid definition has one.
	TypeMissing = "Missing"
)

// Edge kinds.
const (
	KindStart   = "start"   // start pseudo-node -> the top-level StartAt state
	KindNext    = "next"    // a state's Next
	KindChoice  = "choice"  // one Choices rule of a Choice state
	KindDefault = "default" // a Choice state's Default
	KindCatch   = "catch"   // one Catch entry of a Task, Parallel or Map state
	KindEnd     = "end"     // a terminal top-level state -> end pseudo-node
)

// Group kinds.
const (
	GroupBranch    = "branch"    // one branch of a Parallel state
	GroupProcessor = "processor" // the item processor (Iterator) of a Map state
)

// Graph is the workflow graph of one state machine.
type Graph struct {
	Comment string  `json:"comment,omitempty"`
	Nodes   []Node  `json:"nodes"`
	Groups  []Group `json:"groups"`
	Edges   []Edge  `json:"edges"`
}

// Node is a state, a start or end pseudo-node, or a missing target.
type Node struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"` // state name; empty for pseudo-nodes
	// Type is the ASL state type ("Task", "Choice", ...), or TypeStart,
	// TypeEnd or TypeMissing.
	Type  string `json:"type"`
	Label string `json:"label"`
	// Parent is the id of the group the state sits in; empty at the top.
	Parent string `json:"parent,omitempty"`
	// IsStart marks the StartAt state of its scope.
	IsStart bool `json:"isStart"`
	// IsEnd marks a state that ends its scope: End true, Succeed or Fail.
	IsEnd bool `json:"isEnd"`
	// Pointer is the state's JSON pointer in the definition.
	Pointer string `json:"pointer,omitempty"`
	// Detail is a short description: a Task's resource, a Wait's duration,
	// a Fail's error and cause.
	Detail string `json:"detail,omitempty"`
}

// Group is a scope nested in a Parallel state (one per branch) or a Map
// state (its item processor). Its nodes are those whose Parent is its ID.
type Group struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`  // GroupBranch or GroupProcessor
	Label string `json:"label"` // "Branch 1", "Item processor"
	// Owner is the id of the Parallel or Map node the group belongs to.
	Owner string `json:"owner"`
	// Index is the branch's index in Branches (0 for a processor).
	Index int `json:"index"`
	// StartAt is the id of the scope's first node.
	StartAt string `json:"startAt"`
	Pointer string `json:"pointer,omitempty"`
}

// Edge is one transition.
type Edge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Kind  string `json:"kind"`
	Label string `json:"label,omitempty"`
	// Pointer is where the definition declares the transition, e.g.
	// "/States/C/Choices/0" or "/States/T/Catch/1".
	Pointer string `json:"pointer,omitempty"`
}

// Node returns the node with the given id, or nil.
func (g *Graph) Node(id string) *Node {
	for i := range g.Nodes {
		if g.Nodes[i].ID == id {
			return &g.Nodes[i]
		}
	}
	return nil
}

// Build makes the graph of a parsed definition. It does not need the
// definition to be valid: a transition to a state that does not exist gets a
// node of type TypeMissing. A nil machine gives an empty graph.
func Build(sm *asl.StateMachine) *Graph {
	g := &Graph{Nodes: []Node{}, Groups: []Group{}, Edges: []Edge{}}
	if sm == nil {
		return g
	}
	g.Comment = sm.Comment
	b := &builder{g: g}
	g.Nodes = append(g.Nodes, Node{ID: StartID, Type: TypeStart, Label: "Start"})
	b.scope(sm, "", "")
	g.Nodes = append(g.Nodes, Node{ID: EndID, Type: TypeEnd, Label: "End"})
	return g
}

type builder struct {
	g *Graph
}

// escape escapes a state name as a JSON pointer token.
func escape(name string) string {
	if !strings.ContainsAny(name, "~/") {
		return name
	}
	name = strings.ReplaceAll(name, "~", "~0")
	return strings.ReplaceAll(name, "/", "~1")
}

// scope adds the nodes and edges of one scope. prefix is prepended to
// escaped names to make ids ("" at the top, "P/0/" in a branch); group is
// the id of the enclosing group ("" at the top).
func (b *builder) scope(sm *asl.StateMachine, prefix, group string) {
	top := group == ""
	id := func(name string) string { return prefix + escape(name) }
	var missing []string
	target := func(name string) string {
		if _, ok := sm.States[name]; !ok && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		return id(name)
	}
	if top {
		b.g.Edges = append(b.g.Edges, Edge{From: StartID, To: target(sm.StartAt), Kind: KindStart, Pointer: sm.Pointer + "/StartAt"})
	}
	for _, name := range flowOrder(sm) {
		s := sm.States[name]
		n := Node{
			ID: id(name), Name: name, Type: s.Type, Label: name, Parent: group,
			IsStart: name == sm.StartAt, IsEnd: terminal(s), Pointer: s.Pointer, Detail: detail(s),
		}
		b.g.Nodes = append(b.g.Nodes, n)
		for _, t := range transitions(s) {
			b.g.Edges = append(b.g.Edges, Edge{From: n.ID, To: target(t.next), Kind: t.kind, Label: t.label, Pointer: t.pointer})
		}
		if top && n.IsEnd {
			ptr := s.Pointer
			if s.End {
				ptr += "/End"
			}
			b.g.Edges = append(b.g.Edges, Edge{From: n.ID, To: EndID, Kind: KindEnd, Pointer: ptr})
		}
		switch {
		case s.Type == asl.TypeParallel:
			for i, br := range s.Branches {
				b.group(br, n.ID, GroupBranch, i, n.ID+"/"+strconv.Itoa(i), fmt.Sprintf("Branch %d", i+1))
			}
		case s.Type == asl.TypeMap && s.Processor != nil:
			b.group(s.Processor, n.ID, GroupProcessor, 0, n.ID+"/processor", "Item processor")
		}
	}
	for _, name := range missing {
		b.g.Nodes = append(b.g.Nodes, Node{ID: id(name), Name: name, Type: TypeMissing, Label: name, Parent: group})
	}
}

func (b *builder) group(sm *asl.StateMachine, owner, kind string, index int, gid, label string) {
	b.g.Groups = append(b.g.Groups, Group{
		ID: gid, Kind: kind, Label: label, Owner: owner, Index: index,
		StartAt: gid + "/" + escape(sm.StartAt), Pointer: sm.Pointer,
	})
	b.scope(sm, gid+"/", gid)
}

// terminal reports whether a state ends its scope.
func terminal(s *asl.State) bool {
	return s.End || s.Type == asl.TypeSucceed || s.Type == asl.TypeFail
}

type transition struct {
	next, kind, label, pointer string
}

// transitions lists a state's outgoing transitions in the order Choices,
// Default, Next, Catch.
func transitions(s *asl.State) []transition {
	var ts []transition
	jsonata := s.QueryLanguage == asl.JSONata
	if s.Type == asl.TypeChoice {
		if jsonata {
			// The asl package keeps JSONata Choices raw.
			rules, _ := s.Raw.Value("Choices").([]any)
			for i, r := range rules {
				ro, _ := r.(*jsonv.Object)
				next, ok := ro.Value("Next").(string)
				if !ok {
					continue
				}
				ts = append(ts, transition{next, KindChoice, conditionLabel(ro.Value("Condition")), fmt.Sprintf("%s/Choices/%d", s.Pointer, i)})
			}
		} else {
			for i, r := range s.Choices {
				if r.Next == "" {
					continue
				}
				ts = append(ts, transition{r.Next, KindChoice, FormatRule(r), fmt.Sprintf("%s/Choices/%d", s.Pointer, i)})
			}
		}
		if s.Default != "" {
			ts = append(ts, transition{s.Default, KindDefault, "default", s.Pointer + "/Default"})
		}
	}
	if s.Next != "" {
		ts = append(ts, transition{s.Next, KindNext, "", s.Pointer + "/Next"})
	}
	if jsonata {
		catchers, _ := s.Raw.Value("Catch").([]any)
		for i, c := range catchers {
			co, _ := c.(*jsonv.Object)
			next, ok := co.Value("Next").(string)
			if !ok {
				continue
			}
			var errs []string
			list, _ := co.Value("ErrorEquals").([]any)
			for _, e := range list {
				if es, ok := e.(string); ok {
					errs = append(errs, es)
				}
			}
			ts = append(ts, transition{next, KindCatch, strings.Join(errs, ", "), fmt.Sprintf("%s/Catch/%d", s.Pointer, i)})
		}
	} else {
		for i, c := range s.Catch {
			ts = append(ts, transition{c.Next, KindCatch, strings.Join(c.ErrorEquals, ", "), fmt.Sprintf("%s/Catch/%d", s.Pointer, i)})
		}
	}
	return ts
}

// flowOrder lists a scope's state names breadth-first from StartAt, then
// the states not reached from it, breadth-first from each in name order.
func flowOrder(sm *asl.StateMachine) []string {
	order := make([]string, 0, len(sm.States))
	seen := make(map[string]bool, len(sm.States))
	visit := func(from string) {
		if seen[from] {
			return
		}
		seen[from] = true
		queue := []string{from}
		for len(queue) > 0 {
			name := queue[0]
			queue = queue[1:]
			order = append(order, name)
			for _, t := range transitions(sm.States[name]) {
				if _, ok := sm.States[t.next]; ok && !seen[t.next] {
					seen[t.next] = true
					queue = append(queue, t.next)
				}
			}
		}
	}
	if _, ok := sm.States[sm.StartAt]; ok {
		visit(sm.StartAt)
	}
	names := make([]string, 0, len(sm.States))
	for name := range sm.States {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		visit(name)
	}
	return order
}

// detail describes a state in a few words.
func detail(s *asl.State) string {
	switch s.Type {
	case asl.TypeTask:
		return s.Resource
	case asl.TypeWait:
		if s.QueryLanguage == asl.JSONata {
			for _, k := range []string{"Seconds", "Timestamp"} {
				if v, ok := s.Raw.Get(k); ok {
					return strings.ToLower(k) + ": " + rawText(v)
				}
			}
			return ""
		}
		switch {
		case s.HasSeconds:
			return strconv.FormatInt(s.Seconds, 10) + "s"
		case s.HasTimestamp:
			if ts, ok := s.Raw.Value("Timestamp").(string); ok {
				return "until " + ts
			}
			return "until " + s.Timestamp.Format("2006-01-02T15:04:05Z07:00")
		case s.SecondsPath != nil:
			return "seconds: " + s.SecondsPath.String()
		case s.TimestampPath != nil:
			return "until " + s.TimestampPath.String()
		}
	case asl.TypeFail:
		errText, causeText := s.Error, s.Cause
		if s.QueryLanguage == asl.JSONata {
			errText, _ = s.Raw.Value("Error").(string)
			causeText, _ = s.Raw.Value("Cause").(string)
		}
		if s.ErrorPath != nil {
			errText = s.ErrorPath.String()
		}
		if s.CausePath != nil {
			causeText = s.CausePath.String()
		}
		switch {
		case errText != "" && causeText != "":
			return errText + ": " + causeText
		case errText != "":
			return errText
		default:
			return causeText
		}
	}
	return ""
}

// rawText shows a raw JSON value: a string as it is, anything else as JSON.
func rawText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return jsonv.String(v)
}
