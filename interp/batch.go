package interp

import (
	"fmt"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/jsonv"
)

// maxBatchBytes is the most a batch may hold: AWS caps MaxInputBytesPerBatch
// at 256 KiB, and a batcher given no size fills each batch up to that
// ("ItemBatcher (Map)", Step Functions Developer Guide), the payload limit
// of the child execution's input.
const maxBatchBytes = 256 * 1024

// Sizes of the batch envelope {"Items":[...]} and of the member
// "BatchInput":<value>, that every batch carries besides its items.
var (
	batchEnvelopeSize = len(`{"Items":[]}`)
	batchInputKeySize = len(`"BatchInput":,`)
)

// batches groups the items of a Distributed Map with an ItemBatcher into
// the children's inputs, {"Items": [...]} plus "BatchInput" when the
// batcher has one, and returns how many items each carries. It reports
// false after raising an error.
//
// Each item is selected (ItemSelector, with $$.Map.Item of that item)
// before it is batched, as the States Language specification orders it
// ("Processing Items"): the batch holds selected items.
//
// The byte limit follows what AWS passes and what the guide says the limit
// bounds: the input each child execution receives. A batch's size is
// jsonv.Size of that whole input, envelope and BatchInput included, the
// same measure as the 256 KiB payload limit. An item that alone exceeds
// the limit cannot be split and goes alone in its batch.
func (x *Execution) batches(f *frame, arr []any) ([]any, []int, bool) {
	maxItems, maxBytes, ok := x.batchLimits(f)
	if !ok {
		return nil, nil, false
	}
	batchInput, hasInput, ok := x.batchInput(f)
	if !ok {
		return nil, nil, false
	}
	base := batchEnvelopeSize
	if hasInput {
		base += batchInputKeySize + jsonv.Size(batchInput, 0)
	}

	var out []any
	var weights []int
	var cur []any
	size := base
	flush := func() {
		// BatchInput before Items, as AWS's documentation shows a batch.
		b := jsonv.NewObject(2)
		if hasInput {
			b.Append("BatchInput", batchInput)
		}
		b.Append("Items", cur)
		out = append(out, b)
		weights = append(weights, len(cur))
		cur, size = nil, base
	}
	for i, item := range arr {
		item, err := x.selectItem(f, i, item)
		if err != nil {
			x.raise(f, err)
			return nil, nil, false
		}
		add := jsonv.Size(item, 0)
		if len(cur) > 0 {
			add++ // the comma before it
			if (maxItems > 0 && int64(len(cur)) >= maxItems) || size+add > maxBytes {
				flush()
				add--
			}
		}
		cur = append(cur, item)
		size += add
	}
	if len(cur) > 0 {
		flush()
	}
	return out, weights, true
}

// batchLimits resolves MaxItemsPerBatch (0: no count limit) and
// MaxInputBytesPerBatch (maxBatchBytes when unset) for f's Map state.
func (x *Execution) batchLimits(f *frame) (maxItems int64, maxBytes int, ok bool) {
	b := f.state.ItemBatcher
	maxBytes = maxBatchBytes
	if f.state.JSONata != nil {
		c := &ataCtx{input: f.input}
		if q := b.MaxItemsPerBatchQuery; q != nil {
			n, err := x.ataInteger(f, c, q)
			if err == nil && n < 1 {
				err = x.queryErr(f, q.Location, fmt.Sprintf("The MaxItemsPerBatch field must be a positive integer, but was: %d", n))
			}
			if err != nil {
				x.raise(f, err)
				return 0, 0, false
			}
			maxItems = n
		}
		if q := b.MaxInputBytesPerBatchQuery; q != nil {
			n, err := x.ataInteger(f, c, q)
			if err == nil && (n < 1 || n > maxBatchBytes) {
				err = x.queryErr(f, q.Location, fmt.Sprintf("The MaxInputBytesPerBatch field must be an integer from 1 to %d, but was: %d", maxBatchBytes, n))
			}
			if err != nil {
				x.raise(f, err)
				return 0, 0, false
			}
			maxBytes = int(n)
		}
		return maxItems, maxBytes, true
	}

	maxItems = b.MaxItemsPerBatch
	if b.MaxInputBytesPerBatch > 0 {
		maxBytes = int(b.MaxInputBytesPerBatch)
	}
	// The *Path fields read the effective input and variables, and take
	// numbers written as strings, which AWS accepts (recorded:
	// MaxItemsPerBatchPath "$maxItemsPerBatch" holding "2").
	if p := b.MaxItemsPerBatchPath; p != nil {
		v, found := p.Get(x.scope(f, f.taskInput))
		n, isInt := jsonv.Integer(numeric(v))
		switch {
		case !found || !isInt:
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The MaxItemsPerBatchPath field refers to value \"%s\" which is not a valid integer: %s", stringOf(v), p.String())))
			return 0, 0, false
		case n < 1:
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The MaxItemsPerBatchPath field refers to value \"%s\" which is not a positive integer: %s", stringOf(v), p.String())))
			return 0, 0, false
		}
		maxItems = n
	}
	if p := b.MaxInputBytesPerBatchPath; p != nil {
		v, found := p.Get(x.scope(f, f.taskInput))
		n, isInt := jsonv.Integer(numeric(v))
		switch {
		case !found || !isInt:
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The MaxInputBytesPerBatchPath field refers to value \"%s\" which is not a valid integer: %s", stringOf(v), p.String())))
			return 0, 0, false
		case n < 1 || n > maxBatchBytes:
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The MaxInputBytesPerBatchPath field refers to value \"%s\" which is not an integer from 1 to %d: %s", stringOf(v), maxBatchBytes, p.String())))
			return 0, 0, false
		}
		maxBytes = int(n)
	}
	return maxItems, maxBytes, true
}

// batchInput evaluates BatchInput once for the whole Map: every batch
// carries the same value. A JSONPath template reads the effective input
// (as ItemSelector does), a JSONata one $states.input and the context.
func (x *Execution) batchInput(f *frame) (any, bool, bool) {
	st := f.state
	b := st.ItemBatcher
	if st.JSONata != nil {
		if b.BatchInputQuery == nil {
			return nil, false, true
		}
		v, err := x.ataEval(f, &ataCtx{input: f.input}, b.BatchInputQuery)
		if err != nil {
			x.raise(f, err)
			return nil, false, false
		}
		return v, true, true
	}
	if b.BatchInput == nil {
		return nil, false, true
	}
	v, err := x.template(f, b.BatchInput, f.taskInput)
	if err != nil {
		x.raise(f, err)
		return nil, false, false
	}
	return v, true, true
}

// batching reports whether a Map state's children take batches.
func batching(st *asl.State) bool {
	return st.Type == asl.TypeMap && st.Distributed && st.ItemBatcher != nil
}

// selectItem applies f's ItemSelector, if any, to item i of its Map.
func (x *Execution) selectItem(f *frame, i int, item any) (any, *stateError) {
	st := f.state
	switch {
	case st.JSONata != nil && st.JSONata.ItemSelector != nil:
		return x.ataItem(f, i, item)
	case st.JSONata == nil && st.ItemSelector != nil:
		sc := x.scope(f, f.taskInput)
		x.scItem = jsonv.ObjectOf("Index", int64(i), "Value", item)
		v, err := st.ItemSelector.Eval(sc)
		if err != nil {
			return nil, x.evalErr(f, err, f.taskInput)
		}
		return v, nil
	}
	return item, nil
}
