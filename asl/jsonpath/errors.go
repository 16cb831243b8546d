package jsonpath

import "fmt"

// Error is an evaluation failure with the ASL error name it raises
// (States.Runtime, States.IntrinsicFailure, ...) and the cause text.
type Error struct {
	Name  string
	Cause string
}

func (e *Error) Error() string { return e.Name + ": " + e.Cause }

// PathNotFoundError reports a path that matched nothing. The caller knows
// which field the path was in and turns it into AWS's States.Runtime cause.
type PathNotFoundError struct {
	Path string
}

func (e *PathNotFoundError) Error() string {
	return fmt.Sprintf("the JSONPath '%s' could not be found in the input", e.Path)
}

// Intrinsic failure names.
const (
	ErrIntrinsicFailure = "States.IntrinsicFailure"
	ErrRuntime          = "States.Runtime"
)
