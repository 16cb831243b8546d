package conformance

import "github.com/statecraft/statecraft/asl"

// validate runs the definition validator the way CreateStateMachine would.
func validate(def []byte) []asl.Problem {
	return asl.Validate(def, asl.ValidateOptions{})
}
