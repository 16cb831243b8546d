package interp

import (
	"time"

	"github.com/statecraft/statecraft/jsonv"
)

// ResultWriterResource is the Resource of the RunTask command a
// Distributed Map with an exporting ResultWriter sends to have its Map
// Run's results written. Like ItemReaderResource it is no ARN a definition
// can name.
//
// The command's Input is {"Resource": the writer's ARN, "Arguments": its
// evaluated Parameters or Arguments, "WriterConfig": {"Transformation",
// "OutputType"} with defaults resolved, "MapRunArn": the Map Run,
// "Results": {"SUCCEEDED": [...], "FAILED": [...]} already transformed};
// the host answers with TaskSucceeded holding {"Bucket", "Key"} of the
// manifest it wrote, or TaskFailed. The answer is stored, so a replay
// writes nothing again.
const ResultWriterResource = "statecraft:resultWriter"

// ErrResultWriterFailed is the error of a Map whose results could not be
// written.
const ErrResultWriterFailed = "States.ResultWriterFailed"

// writeResults ends a Distributed Map with a ResultWriter: it formats the
// children's results and either makes them the output (WriterConfig
// alone) or asks the host to export them and waits.
func (x *Execution) writeResults(f *frame) bool {
	st := f.state
	w := st.ResultWriter
	tr := w.Transformation
	if tr == "" {
		// AWS: NONE is the default when exporting, COMPACT otherwise.
		tr = "COMPACT"
		if w.Resource != "" {
			tr = "NONE"
		}
	}
	succeeded, failed := x.childRecords(f, tr, false)
	if w.Resource == "" {
		return x.fanoutSucceeded(f, append(succeeded, failed...), 0)
	}
	return x.export(f, tr, succeeded, failed, nil)
}

// childRecords are the results of f's children, transformed by tr: those
// that succeeded and those that did not. A child still running is
// exported as ABORTED: only the end of its execution leaves one running.
// redrivable says that a redrive of the parent runs again the children
// that did not succeed (their Map Run failed or was aborted).
func (x *Execution) childRecords(f *frame, tr string, redrivable bool) (succeeded, failed []any) {
	succeeded, failed = []any{}, []any{}
	for _, c := range f.children {
		rec := x.childRecord(f, c, redrivable)
		if c.err != nil || c.aborted || c.phase != phaseDone {
			// A failed child is exported whole whatever the
			// transformation, as AWS does.
			failed = append(failed, rec)
			continue
		}
		switch tr {
		case "NONE":
			succeeded = append(succeeded, rec)
		case "FLATTEN":
			if arr, ok := c.out.([]any); ok {
				succeeded = append(succeeded, arr...)
				continue
			}
			succeeded = append(succeeded, c.out)
		default:
			succeeded = append(succeeded, c.out)
		}
	}
	return succeeded, failed
}

// pendingRecords are the items of f no child started, as AWS's
// PENDING_n.json lists them.
func pendingRecords(f *frame) []any {
	pending := []any{}
	for i := f.nextItem; i < len(f.items); i++ {
		pending = append(pending, jsonv.ObjectOf("Input", jsonv.String(f.items[i]), "InputDetails", jsonv.ObjectOf("Included", true), "Status", "PENDING"))
	}
	return pending
}

// exportFailed exports the results of f's Map Run, which failed with err,
// as AWS does: the children that succeeded, those that failed or were
// aborted, and the items no child started (PENDING). The Map then fails
// with err, whether the export succeeds or not.
func (x *Execution) exportFailed(f *frame, err *stateError) {
	w := f.state.ResultWriter
	tr := w.Transformation
	if tr == "" {
		tr = "NONE"
	}
	f.failed = err
	succeeded, failed := x.childRecords(f, tr, true)
	x.export(f, tr, succeeded, failed, pendingRecords(f))
}

// exportError fails a Map whose results cannot be exported with err, or
// with its Map Run's error when that failed already.
func (x *Execution) exportError(f *frame, err *stateError) {
	if x.failedExported(f) {
		return
	}
	x.failRun(f, err)
}

// export asks the host to write f's results and waits for its answer;
// pending is nil unless the Map Run failed. The children are kept when it
// failed: a redrive reruns those that did not succeed.
func (x *Execution) export(f *frame, tr string, succeeded, failed, pending []any) bool {
	task, err := x.exportTask(f, tr, succeeded, failed, pending)
	if err != nil {
		x.exportError(f, err)
		return false
	}
	if pending == nil {
		f.children, f.results, f.items, f.weights = nil, nil, nil, nil
	}
	ref := x.newTimerRef()
	x.wait(f, phaseWrite, ref)
	f.writeTask = task
	x.cmds = append(x.cmds, Command{Kind: RunTask, Ref: ref, Task: task})
	return false
}

// exportTask is the ResultWriterResource task that writes f's results.
func (x *Execution) exportTask(f *frame, tr string, succeeded, failed, pending []any) (*Task, *stateError) {
	st := f.state
	w := st.ResultWriter
	var args any = jsonv.NewObject(0)
	if st.JSONata != nil {
		if w.ArgumentsQuery != nil {
			v, err := x.ataEval(f, &ataCtx{input: f.input}, w.ArgumentsQuery)
			if err != nil {
				return nil, err
			}
			args = v
		}
	} else if w.Parameters != nil {
		v, err := x.template(f, w.Parameters, f.taskInput)
		if err != nil {
			return nil, err
		}
		args = v
	}
	if _, ok := args.(*jsonv.Object); !ok {
		return nil, x.runtimeErr(f, "The ResultWriter's parameters must be an object with 'Bucket' and 'Prefix', but were: "+jsonv.String(args))
	}
	ot := w.OutputType
	if ot == "" {
		ot = "JSON"
	}
	// The results in the order of AWS's manifest: SUCCEEDED, FAILED,
	// PENDING.
	results := jsonv.ObjectOf("SUCCEEDED", succeeded, "FAILED", failed)
	if pending != nil {
		results.Append("PENDING", pending)
	}
	return &Task{
		Resource: ResultWriterResource,
		Input: jsonv.ObjectOf(
			"Resource", w.Resource,
			"Arguments", args,
			"WriterConfig", jsonv.ObjectOf("Transformation", tr, "OutputType", ot),
			"MapRunArn", f.mapRunArn,
			"Results", results,
		),
		StateName: st.Name,
		Attempt:   f.retryCount,
	}, nil
}

// exportAborted owes, as a WriteAfterEnd command of Ref ref, the export
// of the results of f's Map Run, which the end of the execution aborts.
// AWS's guide names the files of a Map Run that "failed or aborted"
// (PENDING_n.json: the children "that weren't started because the Map
// Run failed or aborted"); it does not say where the children the abort
// cut short go, so they are exported in FAILED_n.json with Status
// ABORTED, as a child aborted by StopExecution is. The execution has
// ended: a ResultWriter whose parameters cannot be evaluated writes
// nothing, as there is no state left to fail.
func (x *Execution) exportAborted(f *frame, ref int64) {
	w := f.state.ResultWriter
	if f.silent || w == nil || w.Resource == "" || f.phase != phaseChildren {
		return
	}
	tr := w.Transformation
	if tr == "" {
		tr = "NONE"
	}
	succeeded, failed := x.childRecords(f, tr, true)
	task, err := x.exportTask(f, tr, succeeded, failed, pendingRecords(f))
	if err != nil {
		return
	}
	x.oweAfterEnd(ref, task)
}

func (x *Execution) oweAfterEnd(ref int64, task *Task) {
	if x.afterEnd == nil {
		x.afterEnd = map[int64]*Task{}
	}
	x.afterEnd[ref] = task
	x.cmds = append(x.cmds, Command{Kind: WriteAfterEnd, Ref: ref, Task: task})
}

// oweWrites owes again, under their own Refs, the exports that Maps of
// the execution's own states were waiting for when it ended: the end
// cancels the task, yet the Map Run has ended and its files are due
// (those of a Map Run that succeeded are counted as written already).
func (x *Execution) oweWrites() {
	for _, ref := range sortedRefs(x.waiting) {
		if f := x.waiting[ref]; f.phase == phaseWrite && !f.silent && f.writeTask != nil {
			x.oweAfterEnd(ref, f.writeTask)
		}
	}
}

// AfterEndTask is the WriteAfterEnd task of Ref ref that the execution's
// end owes, nil when its last end owes none of that Ref (a redrive
// reopened it, or it ended again since).
func (x *Execution) AfterEndTask(ref int64) *Task {
	if x.Status == Running {
		return nil
	}
	return x.afterEnd[ref]
}

// childRecord is what AWS exports of one child execution.
// Its keys are sorted, as in AWS's documented example of SUCCEEDED_0.json.
func (x *Execution) childRecord(f *frame, c *frame, redrivable bool) *jsonv.Object {
	name, execArn, smArn, redrives, redriveDate := x.childIdentity(f, c)
	aborted, stop := c.aborted, c.dist.ended
	if c.phase != phaseDone {
		aborted, stop = true, x.now
	}
	rec := map[string]any{
		"ExecutionArn":    execArn,
		"Name":            name,
		"StateMachineArn": smArn,
		"Input":           jsonv.String(c.dist.itemIn),
		"InputDetails":    map[string]any{"Included": true},
		"StartDate":       c.dist.began.UTC().Format(time.RFC3339Nano),
		"StopDate":        stop.UTC().Format(time.RFC3339Nano),
		"RedriveCount":    redrives,
		"RedriveStatus":   "NOT_REDRIVABLE",
	}
	if !redriveDate.IsZero() {
		rec["RedriveDate"] = redriveDate.UTC().Format(time.RFC3339Nano)
	}
	if redrivable && (c.err != nil || aborted) {
		// The Map Run failed or was aborted: a redrive of the parent runs
		// it again.
		rec["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
	}
	if aborted {
		rec["Status"] = "ABORTED"
		return jsonv.FromMap(rec)
	}
	if c.err != nil {
		rec["Status"] = "FAILED"
		rec["Error"] = c.err.name
		if c.err.hasCause {
			rec["Cause"] = c.err.cause
		}
		// Written as the Map Run succeeds (its failures tolerated), no
		// redrive of the parent runs this child again. AWS's reason for
		// that is not documented, so none is given.
		return jsonv.FromMap(rec)
	}
	rec["Status"] = "SUCCEEDED"
	rec["Output"] = jsonv.String(c.out)
	rec["OutputDetails"] = map[string]any{"Included": true}
	rec["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
	return jsonv.FromMap(rec)
}

// resultsWritten ends a Map whose results were exported: its output names
// the Map Run and the manifest. A Map whose Map Run failed fails now.
func (x *Execution) resultsWritten(f *frame, out any) {
	if x.failedExported(f) {
		return
	}
	f.phase = phaseChildren
	result := jsonv.ObjectOf("MapRunArn", f.mapRunArn, "ResultWriterDetails", out)
	if x.fanoutSucceeded(f, result, 0) {
		x.push(f)
	}
}

// writeFailed fails the Map Run whose results could not be written; the
// Map's Retry and Catch see the writer's error.
func (x *Execution) writeFailed(f *frame, name, cause string) {
	if x.failedExported(f) {
		return
	}
	x.failRun(f, &stateError{name: name, cause: cause, hasCause: cause != ""})
}

// failedExported fails a Map whose failed Map Run's results were
// exported (or could not be), with the Map Run's error.
func (x *Execution) failedExported(f *frame) bool {
	err := f.failed
	if err == nil {
		return false
	}
	f.failed = nil
	f.phase = phaseEnter
	x.raise(f, err)
	return true
}

func (x *Execution) failRun(f *frame, err *stateError) {
	x.endRun(f, Failed)
	d := &Details{Error: ptr(err.name)}
	if err.hasCause {
		d.Cause = ptr(err.cause)
	}
	f.last = x.emit(f, f.last, "MapRunFailed", d)
	f.children, f.results, f.items, f.weights = nil, nil, nil, nil
	f.phase = phaseEnter
	x.raise(f, err)
}
