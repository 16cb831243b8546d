package engine

import (
	"context"
	"errors"
	"strconv"

	"github.com/statecraft/statecraft/interp"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/store"
	"github.com/statecraft/statecraft/taskport"
)

// Work an execution's end owes. When StopExecution (or a timeout, or a
// failure elsewhere) ends an execution while a Distributed Map with an
// exporting ResultWriter runs, its aborted Map Run's results are still
// written, as AWS's guide describes the files of a Map Run that "failed
// or aborted". The execution is ended in the step that stops it (AWS
// returns stopDate at once), so the write cannot hold it RUNNING: the
// interpreter owes it as a WriteAfterEnd command, which that same step
// records as a TimerAfterEnd timer that the step's Final keeps. Firing
// the timer replays the ended execution (the write's content is
// recomputed, not stored), writes the files, and an AfterEnd step then
// deletes the timer and records resultsWritten on the Map Run. A crash
// at any point leaves the timer, which fires again after the restart;
// the files are written under the same keys, so writing twice leaves
// them as once. A redrive moves the execution's Seq on: the AfterEnd
// step is refused, and the redriven Map Run writes its results when it
// ends again.

// afterEndTries is how many times one process tries an owed write that
// the object store refused before giving it up: the execution has ended,
// so there is no state left to fail, and a bucket that does not exist
// must not be retried forever. A crash before an answer does not count.
const afterEndTries = 3

// afterEnd fires a TimerAfterEnd timer.
func (e *Engine) afterEnd(ctx context.Context, t store.Timer) {
	rec, err := e.st.GetExecution(ctx, t.ExecutionArn)
	if errors.Is(err, store.ErrNotFound) {
		e.dropAfterEnd(ctx, t)
		return
	}
	if err != nil {
		// Try again later, not at once: the timer is still due.
		moved := store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: t.Kind, Due: e.now().Add(invokeWatch), Fence: t.Fence}
		if err := e.st.SetTimer(ctx, moved); err != nil {
			e.fenced(err, t.Fence)
		}
		return
	}
	if rec.Status == "RUNNING" {
		// Redriven since: its Map Run writes when it ends again.
		e.dropAfterEnd(ctx, t)
		return
	}
	key := "afterend\x00" + t.ExecutionArn + "\x00" + t.Kind + "\x00" + strconv.FormatInt(t.Ref, 10)
	e.mu.Lock()
	if e.invoking == nil {
		e.invoking = map[string]bool{}
	}
	running := e.invoking[key]
	e.invoking[key] = true
	e.mu.Unlock()
	// The fenced move of the timer claims the write for this node and
	// leaves it as a watchdog should this process die while writing.
	moved := store.Timer{ExecutionArn: t.ExecutionArn, Ref: t.Ref, Kind: t.Kind, Due: e.now().Add(invokeWatch), Fence: t.Fence}
	if err := e.st.SetTimer(ctx, moved); err != nil || running {
		e.fenced(err, t.Fence)
		if !running {
			e.mu.Lock()
			delete(e.invoking, key)
			e.mu.Unlock()
		}
		return
	}
	e.goInvoking(key, func(life context.Context) { e.writeAfterEnd(life, rec, moved) })
}

// writeAfterEnd does the write timer t owes for the ended execution rec.
func (e *Engine) writeAfterEnd(ctx context.Context, rec *store.Execution, t store.Timer) {
	step := store.StepParams{ExecutionArn: rec.Arn, Seq: rec.Seq, AfterEnd: true, Fence: t.Fence,
		DeleteTimers: []store.Timer{{ExecutionArn: rec.Arn, Ref: t.Ref, Kind: t.Kind}}}
	l, err := e.replay(ctx, rec)
	if err != nil {
		if e.afterEndRefused(rec.Arn, t.Ref, "replaying the ended execution", err.Error()) {
			e.commitAfterEnd(ctx, step, t)
		}
		return
	}
	task := l.x.AfterEndTask(t.Ref)
	if task == nil {
		e.dropAfterEnd(ctx, t)
		return
	}
	req := taskport.Request{Resource: task.Resource, Input: task.Input, ExecutionArn: rec.Arn, StateName: task.StateName, Attempt: task.Attempt}
	ev := e.readItems(ctx, req)
	select {
	case <-e.stopping:
		return // cut short by shutdown: the watchdog writes after the restart
	default:
	}
	if ev.Kind != interp.TaskSucceeded {
		if !e.afterEndRefused(rec.Arn, t.Ref, ev.Error, ev.Cause) {
			return // the watchdog tries again
		}
	} else if runArn := mapRunOf(task); runArn != "" {
		r, err := e.st.GetMapRun(ctx, runArn)
		if err != nil {
			e.log.Error("reading the Map Run whose results were written", "mapRun", runArn, "err", err)
			return // the watchdog writes again, and counts them
		}
		if r.Status != "SUCCEEDED" { // one that succeeded counted them as it ended
			// Every child the files name, whatever its status; the items
			// no child started are not results.
			c := &r.ExecutionCounts
			c.ResultsWritten = c.Succeeded + c.Failed + c.TimedOut + c.Aborted
			c = &r.ItemCounts
			c.ResultsWritten = c.Succeeded + c.Failed + c.TimedOut + c.Aborted
			step.MapRuns = []store.MapRun{*r}
		}
	}
	e.commitAfterEnd(ctx, step, t)
}

// afterEndRefused counts a try of the write an ended execution owes that
// did not succeed, and tells whether to give it up.
func (e *Engine) afterEndRefused(arn string, ref int64, name, cause string) bool {
	key := arn + "\x00" + strconv.FormatInt(ref, 10)
	e.mu.Lock()
	if e.afterEndFails == nil {
		e.afterEndFails = map[string]int{}
	}
	e.afterEndFails[key]++
	n := e.afterEndFails[key]
	if n >= afterEndTries {
		delete(e.afterEndFails, key)
	}
	e.mu.Unlock()
	e.log.Error("writing the results of a Map Run its execution's end aborted", "execution", arn,
		"error", name, "cause", cause, "try", n, "givenUp", n >= afterEndTries)
	return n >= afterEndTries
}

// commitAfterEnd records the write timer t owed as done (or given up).
func (e *Engine) commitAfterEnd(ctx context.Context, step store.StepParams, t store.Timer) {
	err := e.st.CommitStep(ctx, step)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		// Redriven (or purged) meanwhile. The timer is left for its next
		// firing to judge: a redriven execution that ended again may
		// owe the write anew, under the same timer.
	case e.fenced(err, t.Fence):
	default:
		e.log.Error("recording the write an execution's end owed", "execution", step.ExecutionArn, "err", err)
	}
}

// dropAfterEnd deletes an after-end timer whose work is no longer owed.
// Only while it is still due as t says: an end after a redrive may have
// set the same timer again.
func (e *Engine) dropAfterEnd(ctx context.Context, t store.Timer) {
	if err := e.st.DeleteTimer(ctx, t); err != nil && !e.fenced(err, t.Fence) && ctx.Err() == nil {
		e.log.Error("deleting an after-end timer", "execution", t.ExecutionArn, "err", err)
	}
}

// mapRunOf is the Map Run whose results an owed write writes.
func mapRunOf(task *interp.Task) string {
	m, _ := task.Input.(*jsonv.Object)
	if m == nil {
		return ""
	}
	s, _ := m.Value("MapRunArn").(string)
	return s
}
