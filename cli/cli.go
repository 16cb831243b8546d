// Package cli implements the statecraft subcommands, one function each:
// Server, Deploy, Run, Validate, Graph, MediaService, ConsoleToken, Backup
// and Restore.
// Package main (cmd/statecraft) declares their flags and calls them; cli
// turns the settings into calls on the other packages and their results
// into the output formats that DESIGN.md fixes as contracts (run's JSON
// object, validate's "POINTER: message" lines, the exit codes).
package cli

import "fmt"

// ExitError carries an exit code up to main.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}
