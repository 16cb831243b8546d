package interp

import (
	"time"

	"github.com/statecraft/statecraft/arn"
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
	succeeded, failed := []any{}, []any{}
	for _, c := range f.children {
		rec := x.childRecord(f, c)
		if c.err != nil {
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
	if w.Resource == "" {
		return x.fanoutSucceeded(f, append(succeeded, failed...), 0)
	}
	var args any = jsonv.NewObject(0)
	if st.JSONata != nil {
		if w.ArgumentsQuery != nil {
			v, err := x.ataEval(f, &ataCtx{input: f.input}, w.ArgumentsQuery)
			if err != nil {
				x.failRun(f, err)
				return false
			}
			args = v
		}
	} else if w.Parameters != nil {
		v, err := x.template(f, w.Parameters, f.taskInput)
		if err != nil {
			x.failRun(f, err)
			return false
		}
		args = v
	}
	if _, ok := args.(*jsonv.Object); !ok {
		x.failRun(f, x.runtimeErr(f, "The ResultWriter's parameters must be an object with 'Bucket' and 'Prefix', but were: "+jsonv.String(args)))
		return false
	}
	ot := w.OutputType
	if ot == "" {
		ot = "JSON"
	}
	f.children, f.results, f.items, f.weights = nil, nil, nil, nil
	ref := x.newTimerRef()
	x.wait(f, phaseWrite, ref)
	x.cmds = append(x.cmds, Command{Kind: RunTask, Ref: ref, Task: &Task{
		Resource: ResultWriterResource,
		Input: jsonv.ObjectOf(
			"Resource", w.Resource,
			"Arguments", args,
			"WriterConfig", jsonv.ObjectOf("Transformation", tr, "OutputType", ot),
			"MapRunArn", f.mapRunArn,
			"Results", jsonv.ObjectOf("SUCCEEDED", succeeded, "FAILED", failed),
		),
		StateName: st.Name,
		Attempt:   f.retryCount,
	}})
	return false
}

// childRecord is what AWS exports of one child execution.
// Its keys are sorted, as in AWS's documented example of SUCCEEDED_0.json.
func (x *Execution) childRecord(f *frame, c *frame) *jsonv.Object {
	name := childName(f.mapRunArn, c.index)
	execArn, smArn := arn.MapRunChild(f.mapRunArn, name)
	rec := map[string]any{
		"ExecutionArn":    execArn,
		"Name":            name,
		"StateMachineArn": smArn,
		"Input":           jsonv.String(c.itemIn),
		"InputDetails":    map[string]any{"Included": true},
		"StartDate":       c.began.UTC().Format(time.RFC3339Nano),
		"StopDate":        c.ended.UTC().Format(time.RFC3339Nano),
		"RedriveCount":    int64(0),
		"RedriveStatus":   "NOT_REDRIVABLE",
	}
	if c.err != nil {
		rec["Status"] = "FAILED"
		rec["Error"] = c.err.name
		if c.err.hasCause {
			rec["Cause"] = c.err.cause
		}
		rec["RedriveStatusReason"] = "Statecraft does not redrive executions"
		return jsonv.FromMap(rec)
	}
	rec["Status"] = "SUCCEEDED"
	rec["Output"] = jsonv.String(c.out)
	rec["OutputDetails"] = map[string]any{"Included": true}
	rec["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
	return jsonv.FromMap(rec)
}

// resultsWritten ends a Map whose results were exported: its output names
// the Map Run and the manifest.
func (x *Execution) resultsWritten(f *frame, out any) {
	f.phase = phaseChildren
	result := jsonv.ObjectOf("MapRunArn", f.mapRunArn, "ResultWriterDetails", out)
	if x.fanoutSucceeded(f, result, 0) {
		x.push(f)
	}
}

// writeFailed fails the Map Run whose results could not be written; the
// Map's Retry and Catch see the writer's error.
func (x *Execution) writeFailed(f *frame, name, cause string) {
	x.failRun(f, &stateError{name: name, cause: cause, hasCause: cause != ""})
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
