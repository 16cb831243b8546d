package asl

import (
	"github.com/statecraft/statecraft/jsonv"
)

// A single state, as the TestState API takes it: the definition is one
// state's JSON object, not a machine. Such a state is checked as it would
// be inside a machine, except for what only a machine has: the states its
// transitions name (Next, Default, a Choice rule's or a catcher's Next)
// are not there, and it need not end anything. Scopes nested in it (a
// Parallel state's branches, a Map state's processor) are whole machines
// and are checked as such.

// ValidateState checks the definition of a single state and returns every
// problem, sorted like Validate's. Pointers are relative to the state:
// "/Next" is the state's Next field, "" the state itself.
func ValidateState(doc []byte, opts ValidateOptions) (problems []Problem) {
	defer func() {
		if r := recover(); r != nil {
			problems = internalProblem(r)
		}
	}()
	root, problems := vdDocument(doc, "a JSON object with the state's 'Type' and fields")
	if problems != nil {
		return problems
	}
	obj, ok := root.(*jsonv.Object)
	if !ok {
		if root == nil {
			return []Problem{{Code: CodeMissingDescription, Message: "The definition is null; expected a JSON object with the state's 'Type' and fields"}}
		}
		return []Problem{{Code: CodeSchema, Message: "The definition must be a JSON object with the state's 'Type' and fields, got " + vdDescribe(root)}}
	}
	v := newValidator(opts)
	// The state's own transitions are not checked (they name states of a
	// machine that is not there); nested scopes check theirs.
	v.state(&vdState{ptr: ""}, obj)
	return sortProblems(v.problems)
}

// ParseState builds the definition of a single state, which ValidateState
// accepted, into a scope whose only state is that one, named name. Its
// transitions are not resolved: NextState, DefaultState and the rules' and
// catchers' NextState stay nil, as the states they name are not there.
func ParseState(doc []byte, name string) (*StateMachine, error) {
	v, err := jsonv.Parse(doc)
	if err != nil {
		return nil, &ParseError{Message: "definition is not valid JSON: " + err.Error()}
	}
	obj, ok := v.(*jsonv.Object)
	if !ok {
		return nil, &ParseError{Message: "definition must be a JSON object"}
	}
	p := &parser{top: JSONPath}
	s := p.state(name, obj, "", JSONPath)
	if p.err != nil {
		return nil, p.err
	}
	return &StateMachine{StartAt: name, States: map[string]*State{name: s}, QueryLanguage: JSONPath, Start: s}, nil
}

// Find returns the state named name in sm or in any scope nested in it (a
// Parallel branch, a Map processor), or nil. State names are unique in a
// valid machine, so the answer does not depend on the order of the search.
func (sm *StateMachine) Find(name string) *State {
	if s, ok := sm.States[name]; ok {
		return s
	}
	for _, s := range sm.States {
		for _, b := range s.Branches {
			if found := b.Find(name); found != nil {
				return found
			}
		}
		if s.Processor != nil {
			if found := s.Processor.Find(name); found != nil {
				return found
			}
		}
	}
	return nil
}
