// Package asl owns the Amazon States Language definition: what makes one
// valid, and the typed form in which it is run. Every package that reads
// a definition (the API, the engine, and `statecraft run`, `validate` and
// `graph`) goes through it, so a definition means the same thing to all
// of them.
//
// It has two entry points, for two readers. Validate is for people: it
// makes the checks CreateStateMachine makes and reports every problem at
// once, each with the JSON pointer (RFC 6901) of the field it is about and
// the diagnostic code AWS's ValidateStateMachineDefinition would give. It
// never panics, since servers run it on untrusted input, and
// ValidateOptions.Express adds the rules of EXPRESS machines. Parse is for
// the interpreter: it stops at the first thing it cannot build and
// returns a *StateMachine whose paths, payload templates, intrinsic
// function calls, Choice patterns and JSONata expressions are compiled
// once, and whose transitions point at the states they name, so that
// running a state never parses text or looks a name up. Parse is not a
// validator; callers validate first and parse what passed.
//
// A worked example, the sequence `statecraft run` follows
// (cli/definition.go):
//
//	doc, _ := os.ReadFile("statemachine.asl.json")
//	if problems := asl.Validate(doc, asl.ValidateOptions{}); problems != nil {
//		for _, p := range problems {
//			fmt.Println(p) // "/States/placeCall/Next: Missing 'Next' target: placeCal (...)"
//		}
//		return
//	}
//	sm, err := asl.Parse(doc) // sm.Start is the StartAt state; s.NextState follows Next
//	...
//	m := interp.New(sm, interp.Options{}) // ready to run; see package interp
//
// A StateMachine is also the type of each Parallel branch and Map item
// processor: a scope with its own StartAt and States, nested in the state
// that owns it. The JSONPath side of the language (paths, payload
// templates, intrinsic functions) lives in asl/jsonpath; JSONata itself is
// package jsonata, which knows nothing of ASL. A JSONata state's fields
// are compiled here into Query values, and the interpreter binds Step
// Functions' own functions ($partition, $uuid, ...) when it evaluates
// them.
package asl
