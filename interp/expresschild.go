package interp

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"time"

	"github.com/statecraft/statecraft/arn"
)

// The Express children of a Distributed Map (ProcessorConfig's
// ExecutionType EXPRESS) run, like STANDARD ones, as frames of their
// parent, so a crash or a restart of the host loses nothing: the parent's
// replay brings them back and the host runs again whatever they were
// waiting for (at least once, as AWS runs Express executions). What makes
// them Express is what AWS shows of them: an express ARN
// (arn:...:express:MACHINE/LABEL:NAME:ID), a time limit of their own
// (Options.ExpressChildLimit, then States.Timeout), no history, and a
// redrive that starts each unsuccessful one anew, as a new execution with
// a new ARN, instead of redriving it.

// startChildLimit starts the time limit of Express child c, which is
// starting: a new Express execution, whose start AWS bills its parent as
// one state transition (see Execution.Transitions).
func (x *Execution) startChildLimit(c *frame) {
	x.Transitions++
	limit := x.m.opts.ExpressChildLimit
	if limit <= 0 {
		limit = DefaultExpressChildLimit
	}
	ref := x.newTimerRef()
	c.dist.limitRef = ref
	if x.childLimits == nil {
		x.childLimits = map[int64]*frame{}
	}
	x.childLimits[ref] = c
	x.cmds = append(x.cmds, Command{Kind: StartTimer, Ref: ref, Due: x.now.Add(limit)})
}

// stopChildLimit cancels the time limit of child c, if it has one.
func (x *Execution) stopChildLimit(c *frame) {
	if c.dist == nil || c.dist.limitRef == 0 {
		return
	}
	delete(x.childLimits, c.dist.limitRef)
	x.cmds = append(x.cmds, Command{Kind: Cancel, Ref: c.dist.limitRef})
	c.dist.limitRef = 0
}

// expressChildTimedOut ends Express child c, whose time limit came: what
// it was doing is cancelled and it fails with States.Timeout, which its
// Map counts as timed out (and its tolerance as a failure).
func (x *Execution) expressChildTimedOut(c *frame) {
	delete(x.childLimits, c.dist.limitRef)
	c.dist.limitRef = 0
	if c.phase == phaseDone {
		return
	}
	x.abortFrame(c)
	c.aborted = false
	c.out, c.outBound = nil, 0
	c.err = &stateError{name: ErrTimeout}
	x.childDone(c.parent, c)
}

// childIdentity is the name, the execution ARN and the machine ARN of
// child c of Distributed Map frame f, and the redrive count it shows.
func (x *Execution) childIdentity(f, c *frame) (name, execArn, smArn string, redrives int64, redriveDate time.Time) {
	name = childName(f.mapRunArn, c.index)
	if f.state.ExpressChildren {
		// Each start is a new Express execution, never a redriven one.
		execArn, smArn = arn.MapRunExpressChild(f.mapRunArn, name, expressID(f.mapRunArn, c.index, f.rerun[c.index]))
		return name, execArn, smArn, 0, time.Time{}
	}
	execArn, smArn = arn.MapRunChild(f.mapRunArn, name)
	return name, execArn, smArn, f.rerun[c.index], f.rerunAt[c.index]
}

// expressID is the id of the start of Express child i of a Map Run that
// follows attempt earlier ones: a UUID drawn, like childName, from what
// identifies it, so that a replay computes it again.
func expressID(mapRunArn string, i int, attempt int64) string {
	h := sha256.Sum256([]byte(mapRunArn + "\x00express\x00" + strconv.Itoa(i) + "\x00" + strconv.FormatInt(attempt, 10)))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
