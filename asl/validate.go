package asl

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/statecraft/statecraft/jsonv"
)

// ValidateOptions are the CreateStateMachine parameters that change what a
// valid definition is.
type ValidateOptions struct {
	Express bool // EXPRESS machines reject .sync, .waitForTaskToken and activity resources
	// Runnable refuses Task resources this server does not run (Runs),
	// as CreateStateMachine does; off where mocks answer the tasks.
	Runnable bool
	// AWSSDK is the aws-sdk integrations the server runs, with Runnable;
	// nil runs none.
	AWSSDK *AWSSDK
}

// Validate checks a definition the way CreateStateMachine does and returns
// every problem (not just the first), sorted by pointer, then message. It
// returns nil when the definition is valid. It never panics.
//
// A field or a resource AWS accepts that Statecraft does not implement
// (vdNotImplemented; with Runnable, a resource no port runs) is a problem
// with CodeNotImplemented: an accepted definition must run as AWS would
// run it, not as if the field were absent.
func Validate(doc []byte, opts ValidateOptions) (problems []Problem) {
	defer func() {
		// A validator bug must not take down a server that validates
		// untrusted definitions; report it as a problem instead. The fuzz
		// test fails on CodeInternal, so such bugs still get found.
		if r := recover(); r != nil {
			problems = internalProblem(r)
		}
	}()
	root, problems := vdDocument(doc, "a JSON object with 'StartAt' and 'States'")
	if problems != nil {
		return problems
	}
	v := newValidator(opts)
	v.machine(root)
	return sortProblems(v.problems)
}

func internalProblem(r any) []Problem {
	return []Problem{{Code: CodeInternal, Message: fmt.Sprintf("internal validator error: %v; please report this definition", r)}}
}

// vdDocument parses a document to validate; expected says what it should
// be, for the problem that reports an empty or malformed one.
func vdDocument(doc []byte, expected string) (any, []Problem) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, []Problem{{Code: CodeMissingDescription, Message: "The definition is empty; expected " + expected}}
	}
	root, err := vdParseJSON(doc)
	if err != nil {
		return nil, []Problem{{Code: CodeInvalidJSON, Message: "The definition is not valid JSON (" + err.Error() + "); expected " + expected}}
	}
	return root, nil
}

func newValidator(opts ValidateOptions) *defValidator {
	return &defValidator{opts: opts, names: map[string]string{}, labels: map[string]string{}}
}

// vdParseJSON is jsonv.Parse made safe: ojg v1.28.5 panics on some
// malformed input (e.g. {"a":{"":},"":true), and malformed input is what a
// validator is for.
func vdParseJSON(doc []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("malformed JSON")
		}
	}()
	return jsonv.Parse(doc)
}

// vdMaxDepth bounds recursion into nested scopes, Choice rules and payload
// templates: no real definition comes near it, and it keeps hostile input
// from costing unbounded stack.
const vdMaxDepth = 200

type defValidator struct {
	opts     ValidateOptions
	problems []Problem
	// jsonata is the machine's query language; states inherit it, nested
	// scopes included (the enclosing Map's or Parallel's own language does
	// not carry into its branches).
	jsonata bool
	names   map[string]string // state name -> pointer of its first definition
	labels  map[string]string // Map Label -> pointer of its first use
}

func (v *defValidator) add(ptr, code, format string, args ...any) {
	v.problems = append(v.problems, Problem{Pointer: ptr, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (v *defValidator) schema(ptr, format string, args ...any) {
	v.add(ptr, CodeSchema, format, args...)
}

var vdTopFields = []string{"Comment", "QueryLanguage", "StartAt", "States", "TimeoutSeconds", "Version"}

func (v *defValidator) machine(root any) {
	obj, ok := root.(*jsonv.Object)
	if !ok {
		if root == nil {
			v.add("", CodeMissingDescription, "The definition is null; expected a JSON object with 'StartAt' and 'States'")
			return
		}
		v.schema("", "The definition must be a JSON object with 'StartAt' and 'States', got %s", vdDescribe(root))
		return
	}
	for _, k := range jsonv.SortedKeys(obj) {
		val := obj.Value(k)
		ptr := vdPointer("", k)
		switch k {
		case "StartAt", "States":
			// Checked with the scope.
		case "Comment":
			v.wantString(ptr, k, val)
		case "Version":
			if s, ok := val.(string); !ok || s != "1.0" {
				v.schema(ptr, "Field 'Version' must be \"1.0\", got %s", vdDescribe(val))
			}
		case "TimeoutSeconds":
			v.wantInt(ptr, k, val, 1, vdNoMax, false)
		case "QueryLanguage":
			if ql, ok := v.queryLanguage(ptr, val); ok {
				v.jsonata = ql == JSONata
			}
		default:
			v.schema(ptr, "Field '%s' is not supported at the top level of a state machine; expected only %s", k, strings.Join(vdTopFields, ", "))
		}
	}
	v.scope("", obj, vdScopeTop, 0)
}

// queryLanguage checks a QueryLanguage value and returns it when valid.
func (v *defValidator) queryLanguage(ptr string, val any) (string, bool) {
	s, ok := val.(string)
	if !ok || (s != JSONPath && s != JSONata) {
		v.schema(ptr, "Field 'QueryLanguage' must be \"JSONPath\" or \"JSONata\", got %s", vdDescribe(val))
		return "", false
	}
	return s, true
}

type vdScopeKind uint8

const (
	vdScopeTop vdScopeKind = iota
	vdScopeBranch
	vdScopeProcessor // Map ItemProcessor or Iterator
)

// vdEdge is one transition out of a state: the target name and where the
// name is written.
type vdEdge struct {
	target string
	ptr    string
}

// scope checks StartAt and States of the top level, a Parallel branch or a
// Map processor: transitions may only target states of the same scope, and
// every state must be reachable from StartAt.
func (v *defValidator) scope(ptr string, obj *jsonv.Object, kind vdScopeKind, depth int) {
	if depth > vdMaxDepth {
		v.add(ptr, CodeTooDeeplyNested, "Parallel and Map states are nested more than %d levels deep; flatten the state machine", vdMaxDepth)
		return
	}
	startAt, hasStart := obj.Get("StartAt")
	startName, startOK := startAt.(string)
	if !hasStart {
		v.schema(ptr, "Missing required field 'StartAt'; expected the name of the first state to run")
	} else if !startOK {
		v.schema(vdPointer(ptr, "StartAt"), "Field 'StartAt' must be a string naming the first state, got %s", vdDescribe(startAt))
	}
	rawStates, hasStates := obj.Get("States")
	states, statesOK := rawStates.(*jsonv.Object)
	switch {
	case !hasStates:
		v.schema(ptr, "Missing required field 'States'; expected an object mapping state names to state definitions")
		return
	case !statesOK:
		v.schema(vdPointer(ptr, "States"), "Field 'States' must be an object mapping state names to state definitions, got %s", vdDescribe(rawStates))
		return
	case states.Len() == 0:
		v.schema(vdPointer(ptr, "States"), "Field 'States' must contain at least one state")
		return
	}

	edges := map[string][]vdEdge{}
	terminal := false
	for _, name := range jsonv.SortedKeys(states) {
		sptr := vdPointer(ptr, "States", name)
		v.stateName(sptr, name)
		st := &vdState{name: name, ptr: sptr, depth: depth}
		v.state(st, states.Value(name))
		edges[name] = st.edges
		terminal = terminal || st.terminal
	}

	for _, name := range jsonv.SortedKeys(states) {
		for _, e := range edges[name] {
			if _, ok := states.Get(e.target); !ok {
				v.missingTarget(e)
			}
		}
	}
	if startOK {
		if _, ok := states.Get(startName); !ok {
			v.missingTarget(vdEdge{target: startName, ptr: vdPointer(ptr, "StartAt")})
		} else {
			v.reachability(ptr, states, startName, edges)
		}
	}
	if kind == vdScopeTop && !terminal {
		v.add(ptr, CodeMissingEnd, "Workflow has no terminal state; expected at least one Succeed or Fail state or a state with \"End\": true")
	}
}

func (v *defValidator) missingTarget(e vdEdge) {
	msg := "Missing 'Next' target: " + e.target
	if where, ok := v.names[e.target]; ok {
		msg += fmt.Sprintf(" (a state of that name is defined at %s, but transitions may only target states of the same scope: the top level, one Parallel branch or one Map processor)", where)
	} else {
		msg += " (expected the name of a state in the same scope)"
	}
	v.add(e.ptr, CodeMissingTarget, "%s", msg)
}

func (v *defValidator) reachability(ptr string, states *jsonv.Object, start string, edges map[string][]vdEdge) {
	seen := map[string]bool{start: true}
	queue := []string{start}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, e := range edges[cur] {
			if _, ok := states.Get(e.target); ok && !seen[e.target] {
				seen[e.target] = true
				queue = append(queue, e.target)
			}
		}
	}
	for _, name := range jsonv.SortedKeys(states) {
		if !seen[name] {
			v.add(vdPointer(ptr, "States", name), CodeUnreachable, "State '%s' is not reachable; expected StartAt, a Next, a Default or a Catch Next of its scope to lead to it", name)
		}
	}
}

const vdMaxStateName = 80

// stateName checks the length limit and machine-wide uniqueness: AWS keys
// execution history and redrive by state name, so a name may appear in one
// scope only.
func (v *defValidator) stateName(ptr, name string) {
	if n := utf8.RuneCountInString(name); n > vdMaxStateName {
		v.add(ptr, CodeInvalidStateName, "State name is %d characters long; state names must be at most %d characters", n, vdMaxStateName)
	}
	if first, ok := v.names[name]; ok {
		v.add(ptr, CodeDuplicateState, "Duplicate state name '%s' (already defined at %s); state names must be unique across the whole state machine", name, first)
		return
	}
	v.names[name] = ptr
}
