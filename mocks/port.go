package mocks

import (
	"context"
	"fmt"

	"github.com/statecraft/statecraft/taskport"
)

// Port serves an execution's Task states from this test case: Return
// becomes the task's result, Throw fails the task with its Error and Cause.
// A Task state the test case does not mock stops the run with an error,
// because `statecraft run` has no real service to call instead.
func (t *TestCase) Port() taskport.Port {
	return taskport.Func(func(_ context.Context, req taskport.Request) (any, error) {
		resp, ok, err := t.Next(req.StateName)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("test case %q does not mock Task state %q (resource %s)", t.Name, req.StateName, req.Resource)
		}
		if resp.Throw != nil {
			return nil, &taskport.Failure{Name: resp.Throw.Error, Cause: resp.Throw.Cause}
		}
		return resp.Return, nil
	})
}
