package api

import (
	"strings"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/engine"
)

// Every resource belongs to one account and one region, named in its ARN,
// and a request reaches only those of its principal's account in the
// region it was signed for. Another account's ARN is refused as IAM
// refuses it (AccessDeniedException: no resource-based policy lets one
// account into another's state machines here); another region's is a
// resource this regional endpoint does not have, answered with the
// operation's own "does not exist".

// stateMachineArn is the ARN of the caller's state machine name.
func (c *call) stateMachineArn(name string) string {
	return arn.StateMachine(c.region, c.p.Account, name)
}

// activityArn is the ARN of the caller's activity name.
func (c *call) activityArn(name string) string {
	return arn.Activity(c.region, c.p.Account, name)
}

// arnPrefix starts the ARN of every Step Functions resource the caller may
// list.
func (c *call) arnPrefix() string {
	return arn.StatesPrefix(c.region, c.p.Account)
}

// owns tells whether the resource a is the caller's. It is false, with
// AccessDenied, for another account's, and false alone for another
// region's (or partition's), which the operation answers as missing.
func (c *call) owns(a stepArn) (bool, *apiError) {
	if a.account != c.p.Account {
		return false, accessDenied(c.p.DeniedMessage("states:"+c.op, a.text))
	}
	return a.region == c.region && a.partition == arn.Partition(c.region), nil
}

// ownsText is owns for an ARN known to be well-formed (read back from the
// store, or from a task token the engine issued).
func (c *call) ownsText(text string) (bool, *apiError) {
	parts := strings.SplitN(text, ":", 6)
	if len(parts) < 6 {
		return false, nil
	}
	return c.owns(stepArn{text: text, partition: parts[1], region: parts[3], account: parts[4]})
}

// ownsToken refuses a task token of another account's or region's
// execution as a token this endpoint never issued. A malformed token is
// left to the engine, which answers it as AWS does.
func (c *call) ownsToken(eng *engine.Engine, token string) *apiError {
	execArn, ok := engine.TokenExecution(token)
	if !ok {
		return nil
	}
	if mine, _ := c.ownsText(execArn); !mine {
		// An activity task under a role's Credentials is queued in the
		// role's account: the workers of the activity's account answer it.
		if act := eng.TokenActivity(c.ctx, token); act != "" {
			if mine, _ := c.ownsText(act); mine {
				return nil
			}
		}
		return serviceError(errInvalidToken, "Invalid Token: 'The task token is not valid'")
	}
	return nil
}

// ownsOr is owns for an operation that answers another region's resource
// with its own "does not exist", missing.
func (c *call) ownsOr(a stepArn, missing *apiError) *apiError {
	mine, err := c.owns(a)
	if err != nil {
		return err
	}
	if !mine {
		return missing
	}
	return nil
}

// ownExecution parses an execution ARN of the request and checks it is
// the caller's: InvalidArn, AccessDenied, or ExecutionDoesNotExist for one
// of another region.
func (c *call) ownExecution(text string) *apiError {
	a, err := parseExecutionArn(text)
	if err != nil {
		return err
	}
	return c.ownsOr(a, execDoesNotExist(text))
}
