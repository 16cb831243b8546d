package interp

import (
	"fmt"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/jsonv"
)

// ItemReaderResource is the Resource of the RunTask command a Distributed
// Map with an ItemReader sends to have its items read. It is no ARN a
// definition can name, so a host tells an item read from a Task state
// calling s3:getObject itself (whose result is the object, not items).
//
// The command's Input is {"Resource": the reader's ARN, "Arguments": its
// evaluated Parameters or Arguments, "ReaderConfig": its ReaderConfig with
// MaxItems resolved}; the host answers with TaskSucceeded holding the items
// (an array) or TaskFailed. Reading is the host's I/O: the interpreter only
// asks, and the answer, stored as the event it is, replays the same items.
const ItemReaderResource = "statecraft:itemReader"

// ErrItemReaderFailed is the error of a Map whose items could not be read.
const ErrItemReaderFailed = "States.ItemReaderFailed"

// readItems asks the host for a Distributed Map's items and waits for them.
// The reader's Parameters read the effective input, as ItemSelector does;
// JSONata Arguments read $states.input.
func (x *Execution) readItems(f *frame) bool {
	st := f.state
	r := st.ItemReader
	var args any = jsonv.NewObject(0)
	var maxItems int64
	if st.JSONata != nil {
		c := &ataCtx{input: f.input}
		if r.ArgumentsQuery != nil {
			v, err := x.ataEval(f, c, r.ArgumentsQuery)
			if err != nil {
				x.raise(f, err)
				return false
			}
			args = v
		}
		if q := r.MaxItemsQuery; q != nil {
			n, err := x.ataInteger(f, c, q)
			if err == nil && (n < 1 || n > maxReaderItems) {
				err = x.queryErr(f, q.Location, fmt.Sprintf("The MaxItems field must be an integer from 1 to %d, but was: %d", maxReaderItems, n))
			}
			if err != nil {
				x.raise(f, err)
				return false
			}
			maxItems = n
		}
	} else {
		if r.Parameters != nil {
			v, err := x.template(f, r.Parameters, f.taskInput)
			if err != nil {
				x.raise(f, err)
				return false
			}
			args = v
		}
		maxItems = r.MaxItems
		if p := r.MaxItemsPath; p != nil {
			v, found := p.Get(x.scope(f, f.taskInput))
			n, isInt := jsonv.Integer(numeric(v))
			if !found || !isInt || n < 1 || n > maxReaderItems {
				x.raise(f, x.runtimeErr(f, fmt.Sprintf("The MaxItemsPath field refers to value \"%s\" which is not an integer from 1 to %d: %s", stringOf(v), maxReaderItems, p.String())))
				return false
			}
			maxItems = n
		}
	}
	if _, ok := args.(*jsonv.Object); !ok {
		x.raise(f, x.runtimeErr(f, "The ItemReader's parameters must be an object with 'Bucket' and 'Key' or 'Prefix', but were: "+jsonv.String(args)))
		return false
	}
	cfg := jsonv.NewObject(6)
	if r.InputType != "" {
		cfg.Append("InputType", r.InputType)
	}
	if r.CSVHeaderLocation != "" {
		cfg.Append("CSVHeaderLocation", r.CSVHeaderLocation)
	}
	if r.CSVHeaders != nil {
		hs := make([]any, len(r.CSVHeaders))
		for i, h := range r.CSVHeaders {
			hs[i] = h
		}
		cfg.Append("CSVHeaders", hs)
	}
	if r.CSVDelimiter != "" {
		cfg.Append("CSVDelimiter", r.CSVDelimiter)
	}
	if r.ManifestType != "" {
		cfg.Append("ManifestType", r.ManifestType)
	}
	if maxItems > 0 {
		cfg.Append("MaxItems", maxItems)
	}
	f.readMax = maxItems
	ref := x.newTimerRef()
	x.wait(f, phaseRead, ref)
	x.cmds = append(x.cmds, Command{Kind: RunTask, Ref: ref, Task: &Task{
		Resource:  ItemReaderResource,
		Input:     jsonv.ObjectOf("Resource", r.Resource, "Arguments", args, "ReaderConfig", cfg),
		StateName: st.Name,
		Attempt:   f.retryCount,
	}})
	return false
}

// maxReaderItems is AWS's ceiling on ReaderConfig.MaxItems.
const maxReaderItems = 100_000_000

// itemsRead resumes a Map whose items were read: it starts as a Map with
// those items in its input would.
func (x *Execution) itemsRead(f *frame, out any) {
	f.phase = phaseEnter
	arr, ok := out.([]any)
	if !ok {
		x.raise(f, &stateError{name: ErrItemReaderFailed, cause: "The item reader returned " + jsonv.String(out) + " instead of an array of items.", hasCause: true})
		return
	}
	if f.readMax > 0 && int64(len(arr)) > f.readMax {
		arr = arr[:f.readMax]
	}
	f.read, f.haveRead = arr, true
	if x.startMap(f) {
		x.push(f)
	}
}

// readFailed fails a Map whose items could not be read; the Map's Retry
// and Catch see the reader's error.
func (x *Execution) readFailed(f *frame, name, cause string) {
	f.phase = phaseEnter
	x.raise(f, &stateError{name: name, cause: cause, hasCause: cause != ""})
}

// takeRead returns the items read for f's current attempt, once: a retry
// of the Map reads them again, as AWS starts a new Map Run.
func (f *frame) takeRead() ([]any, bool) {
	if !f.haveRead {
		return nil, false
	}
	arr := f.read
	f.read, f.haveRead = nil, false
	return arr, true
}

// reads reports whether st takes its items from an ItemReader.
func reads(st *asl.State) bool { return st.Type == asl.TypeMap && st.ItemReader != nil }
