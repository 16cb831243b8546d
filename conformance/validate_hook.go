package conformance

import "github.com/statecraft/statecraft/asl"

// validate runs the definition validator the way CreateStateMachine would.
func validate(def []byte) []string {
	var out []string
	for _, p := range asl.Validate(def, asl.ValidateOptions{}) {
		out = append(out, p.String())
	}
	return out
}
