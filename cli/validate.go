package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/statecraft/statecraft/asl"
)

// Validate checks a definition file: nothing printed and nil when valid,
// otherwise one "POINTER: message" line per problem and exit code 1.
func Validate(path string, express bool, stdout io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	problems := asl.Validate(data, asl.ValidateOptions{Express: express, Runnable: true, AWSSDK: awsSDK})
	if len(problems) == 0 {
		if _, err := asl.Parse(data); err != nil {
			fmt.Fprintln(stdout, err.Error())
			return &ExitError{Code: 1}
		}
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
	}
	return &ExitError{Code: 1}
}
