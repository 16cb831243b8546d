package asl_test

import (
	"fmt"

	"github.com/statecraft/statecraft/asl"
)

// Validate reports every problem at once, each with the JSON pointer of
// the field it is about, so that an editor or a CI log can point at it.
func ExampleValidate() {
	def := []byte(`{
	  "StartAt": "Pause",
	  "States": {
	    "Pause":     {"Type": "Wait", "Next": "placeCall"},
	    "placeCall": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:media", "Next": "placeCal"},
	    "Orphan":    {"Type": "Succeed"}
	  }
	}`)
	for _, p := range asl.Validate(def, asl.ValidateOptions{}) {
		fmt.Printf("%s\n  %s: %s\n", p.Pointer, p.Code, p.Message)
	}
	// Output:
	// /States/Orphan
	//   UNREACHABLE_STATE: State 'Orphan' is not reachable; expected StartAt, a Next, a Default or a Catch Next of its scope to lead to it
	// /States/Pause
	//   SCHEMA_VALIDATION_FAILED: A Wait state needs exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath'; found none
	// /States/placeCall/Next
	//   MISSING_TRANSITION_TARGET: Missing 'Next' target: placeCal (expected the name of a state in the same scope)
}

// An EXPRESS machine cannot wait for an activity worker: the same
// definition is valid or not depending on the machine's type.
func ExampleValidate_express() {
	def := []byte(`{"StartAt": "Work", "States": {
	  "Work": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:work", "End": true}}}`)
	fmt.Println(len(asl.Validate(def, asl.ValidateOptions{})), "problems as STANDARD")
	for _, p := range asl.Validate(def, asl.ValidateOptions{Express: true}) {
		fmt.Println(p) // Problem.String is the "POINTER: message" line of statecraft validate
	}
	// Output:
	// 0 problems as STANDARD
	// /States/Work/Resource: Express state machine does not support Activity ARN arn:aws:states:us-east-1:123456789012:activity:work; activities need a STANDARD state machine
}

// Parse builds the typed form the interpreter runs. Transitions are
// resolved to the states they name, so a definition can be walked without
// looking names up.
func ExampleParse() {
	def := []byte(`{
	  "StartAt": "Greet",
	  "States": {
	    "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('Hello, {}', $.name)"}, "Next": "Pause"},
	    "Pause": {"Type": "Wait", "Seconds": 5, "Next": "Done"},
	    "Done":  {"Type": "Succeed"}
	  }
	}`)
	if problems := asl.Validate(def, asl.ValidateOptions{}); problems != nil {
		fmt.Println(problems)
		return
	}
	sm, err := asl.Parse(def)
	if err != nil {
		fmt.Println(err)
		return
	}
	for s := sm.Start; s != nil; s = s.NextState {
		fmt.Printf("%-5s %-7s %s\n", s.Name, s.Type, s.Pointer)
	}
	// Output:
	// Greet Pass    /States/Greet
	// Pause Wait    /States/Pause
	// Done  Succeed /States/Done
}
