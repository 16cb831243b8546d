package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/statecraft/statecraft/asl"
)

// LoadDefinition reads, validates and parses a definition file. Problems
// are written to stderr one per line and reported as exit code 2.
func LoadDefinition(path string, stderr io.Writer) (*asl.StateMachine, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ExitError{Code: 1, Err: err}
	}
	if problems := asl.Validate(data, asl.ValidateOptions{}); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, p.String())
		}
		return nil, &ExitError{Code: 2}
	}
	def, err := asl.Parse(data)
	if err != nil {
		fmt.Fprintln(stderr, err.Error())
		return nil, &ExitError{Code: 2}
	}
	return def, nil
}
