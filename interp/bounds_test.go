package interp

// Every test of the package checks the payload size bounds the interpreter
// carries from state to state against a measurement.
func init() { checkBounds = true }
