package interp

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/statecraft/statecraft/asl"
	"github.com/statecraft/statecraft/asl/jsonpath"
	"github.com/statecraft/statecraft/jsonata"
	"github.com/statecraft/statecraft/jsonv"
)

// ErrQueryEvaluation is raised when a JSONata expression fails or yields a
// value the field cannot take.
const ErrQueryEvaluation = "States.QueryEvaluationError"

// ataCtx is what the JSONata fields of one step of a state see: $states and
// the variables. $states is built on first use and shared by every field
// evaluated in the step (Assign and Output see the same values).
type ataCtx struct {
	input     any
	result    any
	hasResult bool
	errOut    any
	hasErr    bool
	item      *jsonv.Object // $states.context.Map.Item in ItemSelector

	states  *jsonv.Object
	withCtx bool
	// scratch: states is the execution's reusable object (ataScratch),
	// valid while its gen is gen.
	scratch bool
	gen     uint64
}

// fast evaluates q without the engine and without bindings when every
// expression in it is a plain field path of $states.input, .result or
// .errorOutput that FastEval answers (an Output such as {"n": "{%
// $states.input.n %}", "tag": "w2"}), building objects and arrays as
// asl.Query.Eval does. ok is false when anything needs the engine.
func (c *ataCtx) fast(q *asl.Query) (any, bool) {
	switch {
	case q.Const:
		return q.Lit, true
	case q.CmpRoot != "":
		var root any
		has := false
		switch q.CmpRoot {
		case "input":
			root, has = c.input, true
		case "result":
			root, has = c.result, c.hasResult
		case "errorOutput":
			root, has = c.errOut, c.hasErr
		}
		if !has {
			return nil, false
		}
		r, ok := q.FastCompare(root)
		return r, ok
	case q.FastRoot != "":
		var root any
		has := false
		switch q.FastRoot {
		case "input":
			root, has = c.input, true
		case "result":
			root, has = c.result, c.hasResult
		case "errorOutput":
			root, has = c.errOut, c.hasErr
		}
		if !has {
			return nil, false
		}
		return q.FastEval(root)
	case q.Expr != nil:
		return nil, false
	case q.IsObj:
		out := jsonv.NewObject(len(q.Keys))
		for i, k := range q.Keys {
			v, ok := c.fast(q.Fields[i])
			if !ok {
				return nil, false
			}
			// The keys of a definition's object are distinct.
			out.Append(k, v)
		}
		return out, true
	case q.IsArr:
		out := make([]any, len(q.Items))
		for i, it := range q.Items {
			v, ok := c.fast(it)
			if !ok {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	}
	return nil, false
}

// bindName binds name to v in names and vals, replacing an earlier
// binding of name.
func bindName(names []string, vals []any, name string, v any) ([]string, []any) {
	for i, n := range names {
		if n == name {
			vals[i] = v
			return names, vals
		}
	}
	return append(names, name), append(vals, v)
}

// ataEval evaluates one compiled field.
func (x *Execution) ataEval(f *frame, c *ataCtx, q *asl.Query) (any, *stateError) {
	if q.Const {
		return q.Lit, nil
	}
	if q.FastRoot != "" || q.CmpRoot != "" || q.IsObj || q.IsArr {
		if v, ok := c.fast(q); ok {
			return v, nil
		}
	}
	names, vals := x.ataBind(f, c, q.UsesContext, q.HoldsStates, q.Funcs)
	v, qe := q.EvalNamed(c.input, names, vals, x.ataOptions())
	if qe != nil {
		return nil, x.queryErr(f, qe.Location, qe.Error())
	}
	return v, nil
}

// ataBind returns the bindings an expression of c's step sees: the
// variables in scope, $states (with its context when withContext) and the
// Step Functions functions named in funcs, which shadow variables of the
// same names. They are made in x's scratch buffers, valid until the next
// ataBind: the engine does not keep them past the evaluation. $states
// too is x's reusable object when the expression cannot hold on to it
// (holds false, see asl.Query.HoldsStates).
func (x *Execution) ataBind(f *frame, c *ataCtx, withContext, holds bool, funcs []string) ([]string, []any) {
	a := x.ata
	if a == nil {
		a = new(ataScratch)
		x.ata = a
	}
	switch {
	case c.states == nil:
	case c.scratch && (holds || c.gen != a.gen):
		// Another step's evaluation took the object over, or this one
		// may keep it: make it again.
	default:
		goto made
	}
	if holds {
		c.states, c.scratch = jsonv.NewObject(4), false
	} else {
		in, _ := c.input.(*jsonv.Object)
		if in != nil && in == a.statesIn && !c.hasResult && !c.hasErr {
			// The object holds this input alone already (a Choice state
			// and the state it goes to see the same input).
			c.states, c.scratch, c.gen, c.withCtx = a.statesObj, true, a.gen, false
			goto made
		}
		a.gen++
		a.statesObj = a.states.Object()
		a.statesIn = nil
		if !c.hasResult && !c.hasErr {
			a.statesIn = in
		}
		c.states, c.scratch, c.gen = a.statesObj, true, a.gen
	}
	c.withCtx = false
	c.states.Append("input", c.input)
	if c.hasResult {
		c.states.Append("result", c.result)
	}
	if c.hasErr {
		c.states.Append("errorOutput", c.errOut)
	}
made:
	if withContext && !c.withCtx {
		c.withCtx = true
		c.states.Set("context", x.contextObject(f, c.item))
	}
	names, vals := a.names[:0], a.vals[:0]
	if names == nil {
		names, vals = a.nameBuf[:0], a.valBuf[:0]
	}
	for fr := f; fr != nil; fr = fr.parent {
		if len(fr.vars) > 0 {
			for k, v := range fr.vars {
				// The innermost scope that assigned the name wins.
				if !slices.Contains(names, k) {
					names = append(names, k)
					vals = append(vals, v)
				}
			}
		}
		if fr.kind == frameIteration && fr.parent != nil && fr.parent.state.Distributed {
			break
		}
	}
	names, vals = bindName(names, vals, "states", c.states)
	if len(funcs) > 0 {
		fns := x.ataFuncs()
		for _, name := range funcs {
			names, vals = bindName(names, vals, name, fns[name])
		}
	}
	// Keep what grew for the next step.
	a.names, a.vals = names[:0], vals[:0]
	return names, vals
}

func (x *Execution) ataOptions() jsonata.Options {
	return jsonata.Options{Host: (*ataHost)(x)}
}

// ataHost is the execution as the engine's source of time and random
// numbers: $now is the execution's clock, and $shuffle (and the engine's
// own $random, which Step Functions' $random shadows) draw from the
// execution's seeded generator, so replays repeat them. An interface value
// rather than two closures: nothing to allocate.
type ataHost Execution

func (h *ataHost) Now() time.Time { return h.now }

func (h *ataHost) Random() float64 {
	return float64((*Execution)(h).rand()>>11) / (1 << 53)
}

// queryErr is a States.QueryEvaluationError of f's current state; raise
// records it with an EvaluationFailed event.
func (x *Execution) queryErr(f *frame, location, detail string) *stateError {
	return &stateError{
		name:       ErrQueryEvaluation,
		cause:      fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", f.state.Name, f.enteredID, detail),
		hasCause:   true,
		evalFailed: true,
		location:   location,
	}
}

// typeError reports a field whose value has the wrong type.
func (x *Execution) typeError(f *frame, c *ataCtx, q *asl.Query, want string, v any) *stateError {
	if q.Expr == nil {
		return x.queryErr(f, q.Location, fmt.Sprintf("The value of the field '%s' has an unexpected type. Expected '%s', but was '%s' for value: %s", q.Location, want, jsonType(v), jsonv.String(v)))
	}
	if v == nil && x.isFunction(f, c, q) {
		return x.queryErr(f, q.Location, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned an unsupported result type.", q.Src, q.Location))
	}
	return x.queryErr(f, q.Location, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected '%s', but was '%s' for value: %s", q.Src, q.Location, want, jsonType(v), jsonv.String(v)))
}

// isFunction tells a function result (which the engine exports as null)
// from a real null by asking $type. It runs only on the error path.
func (x *Execution) isFunction(f *frame, c *ataCtx, q *asl.Query) bool {
	probe := q.TypeProbe()
	if probe == nil {
		return false
	}
	names, vals := x.ataBind(f, c, true, true, q.Funcs)
	t, err := probe.EvalNamed(c.input, names, vals, x.ataOptions())
	return err == nil && t == "function"
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case *jsonv.Object:
		return "object"
	}
	if jsonv.IsNumber(v) {
		return "number"
	}
	return "unknown"
}

// ataAssign evaluates an Assign block into f.pending.
func (x *Execution) ataAssign(f *frame, c *ataCtx, q *asl.Query) *stateError {
	if q == nil {
		return nil
	}
	v, err := x.ataEval(f, c, q)
	if err != nil {
		return err
	}
	m, ok := v.(*jsonv.Object)
	if !ok {
		return x.typeError(f, c, q, "object", v)
	}
	if m.Len() == 0 {
		return nil
	}
	if err := x.checkAssign(f, m); err != nil {
		return err
	}
	f.pending = m
	return nil
}

// ataFinish ends a JSONata state: Assign and Output both evaluated against
// the variables as they were on entry, then the state exits.
func (x *Execution) ataFinish(f *frame, c *ataCtx, assign, output *asl.Query, next string, choice bool) bool {
	if err := x.ataAssign(f, c, assign); err != nil {
		x.raise(f, err)
		return false
	}
	out := c.input
	// The input passed on as it is (every ataCtx here is made from
	// f.input) keeps its size bound: a Choice or Succeed without Output
	// is not measured again.
	ob := 0
	if c.hasResult {
		out = c.result
	} else {
		ob = f.inBound
	}
	if output != nil {
		v, err := x.ataEval(f, c, output)
		if err != nil {
			x.raise(f, err)
			return false
		}
		out, ob = v, 0
	}
	if choice {
		ob, ok := x.checkSize(f, out, ob)
		if !ok {
			return false
		}
		return x.exitTo(f, out, next, nil, ob)
	}
	return x.complete(f, out, ob)
}

// enterJSONata runs a JSONata state after its StateEntered event.
func (x *Execution) enterJSONata(f *frame) bool {
	st := f.state
	j := st.JSONata
	f.eff = f.input
	switch st.Type {
	case asl.TypeFail:
		x.ataFail(f)
		return false
	case asl.TypePass:
		return x.ataFinish(f, &ataCtx{input: f.input}, j.Assign, j.Output, "", false)
	case asl.TypeSucceed:
		return x.ataFinish(f, &ataCtx{input: f.input}, nil, j.Output, "", false)
	case asl.TypeChoice:
		c := &ataCtx{input: f.input}
		for _, r := range st.Choices {
			v, err := x.ataEval(f, c, r.ConditionQuery)
			if err != nil {
				x.raise(f, err)
				return false
			}
			b, ok := v.(bool)
			if !ok {
				x.raise(f, x.typeError(f, c, r.ConditionQuery, "boolean", v))
				return false
			}
			if b {
				assign, output := j.Assign, j.Output
				if r.AssignQuery != nil {
					assign = r.AssignQuery
				}
				if r.OutputQuery != nil {
					output = r.OutputQuery
				}
				return x.ataFinish(f, c, assign, output, r.Next, true)
			}
		}
		if st.Default == "" {
			x.raise(f, &stateError{name: ErrNoChoiceMatched, cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). Failed to transition out of the state. No Choice matched and no Default was specified.", st.Name, f.enteredID), hasCause: true})
			return false
		}
		return x.ataFinish(f, c, j.Assign, j.Output, st.Default, true)
	case asl.TypeWait:
		return x.ataWait(f)
	case asl.TypeTask, asl.TypeParallel, asl.TypeMap:
		return x.body(f)
	}
	x.raise(f, x.runtimeErr(f, "Unknown state type "+st.Type))
	return false
}

func (x *Execution) ataFail(f *frame) {
	j := f.state.JSONata
	e := &stateError{}
	c := &ataCtx{input: f.input}
	if j.Error != nil {
		v, err := x.ataEval(f, c, j.Error)
		if err != nil {
			x.raise(f, err)
			return
		}
		s, ok := v.(string)
		if !ok {
			x.raise(f, x.typeError(f, c, j.Error, "string", v))
			return
		}
		e.name = s
	}
	if j.Cause != nil {
		v, err := x.ataEval(f, c, j.Cause)
		if err != nil {
			x.raise(f, err)
			return
		}
		s, ok := v.(string)
		if !ok {
			x.raise(f, x.typeError(f, c, j.Cause, "string", v))
			return
		}
		e.cause, e.hasCause = s, true
	}
	x.frameDone(f, nil, e)
}

// ataInteger evaluates a numeric field that must hold an integer.
func (x *Execution) ataInteger(f *frame, c *ataCtx, q *asl.Query) (int64, *stateError) {
	v, err := x.ataEval(f, c, q)
	if err != nil {
		return 0, err
	}
	n, ok := jsonv.Integer(v)
	if !ok {
		return 0, x.typeError(f, c, q, "integer", v)
	}
	return n, nil
}

func (x *Execution) ataWait(f *frame) bool {
	st := f.state
	j := st.JSONata
	c := &ataCtx{input: f.input}
	var due time.Time
	switch {
	case j.Seconds != nil:
		n, err := x.ataInteger(f, c, j.Seconds)
		if err != nil {
			x.raise(f, err)
			return false
		}
		if n < 0 {
			x.raise(f, x.queryErr(f, "Seconds", fmt.Sprintf("The Seconds field must be a non-negative integer, but was: %d", n)))
			return false
		}
		if n >= 1<<31 {
			x.raise(f, x.runtimeErr(f, "Wait state delay is too long."))
			return false
		}
		due = x.now.Add(time.Duration(n) * time.Second)
	case j.Timestamp != nil:
		v, err := x.ataEval(f, c, j.Timestamp)
		if err != nil {
			x.raise(f, err)
			return false
		}
		s, _ := v.(string)
		t, ok := asl.ParseTimestamp(s)
		if !ok {
			x.raise(f, x.queryErr(f, "Timestamp", "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "+stringOf(v)))
			return false
		}
		due = t
	}
	if !due.After(x.now) || x.probe(f) != nil {
		// A tested Wait state does not wait.
		return x.waitDone(f)
	}
	ref := x.newTimerRef()
	x.wait(f, phaseWait, ref)
	x.cmds = append(x.cmds, Command{Kind: StartTimer, Ref: ref, Due: due})
	return false
}

// ataArguments evaluates a Task's or Parallel's Arguments into f.taskInput.
func (x *Execution) ataArguments(f *frame) bool {
	j := f.state.JSONata
	f.taskInput = f.input
	if j.Arguments != nil {
		v, err := x.ataEval(f, &ataCtx{input: f.input}, j.Arguments)
		if err != nil {
			x.raise(f, err)
			return false
		}
		f.taskInput = v
	}
	return true
}

// ataTaskLimits evaluates a JSONata Task's TimeoutSeconds and
// HeartbeatSeconds.
func (x *Execution) ataTaskLimits(f *frame) (timeout, heartbeat int64, ok bool) {
	j := f.state.JSONata
	c := &ataCtx{input: f.input}
	if j.TimeoutSeconds != nil {
		n, err := x.ataInteger(f, c, j.TimeoutSeconds)
		if err == nil && n <= 0 {
			err = x.queryErr(f, "TimeoutSeconds", fmt.Sprintf("The TimeoutSeconds field must be a positive integer, but was: %d", n))
		}
		if err != nil {
			x.raise(f, err)
			return 0, 0, false
		}
		timeout = n
	}
	if j.HeartbeatSeconds != nil {
		n, err := x.ataInteger(f, c, j.HeartbeatSeconds)
		if err == nil && n <= 0 {
			err = x.queryErr(f, "HeartbeatSeconds", fmt.Sprintf("The HeartbeatSeconds field must be a positive integer, but was: %d", n))
		}
		if err != nil {
			x.raise(f, err)
			return 0, 0, false
		}
		heartbeat = n
	}
	return timeout, heartbeat, true
}

// ataResult finishes a Task, Parallel or Map state with its result.
func (x *Execution) ataResult(f *frame, result any) bool {
	j := f.state.JSONata
	return x.ataFinish(f, &ataCtx{input: f.input, result: result, hasResult: true}, j.Assign, j.Output, "", false)
}

// ataMapSetup evaluates a JSONata Map's Items, MaxConcurrency and
// tolerated failure fields. It returns the items, or false after raising.
func (x *Execution) ataMapSetup(f *frame, read []any, haveRead bool) ([]any, bool) {
	st := f.state
	j := st.JSONata
	c := &ataCtx{input: f.input}
	var items any = f.input
	if haveRead {
		items = read
	} else if j.Items != nil {
		v, err := x.ataEval(f, c, j.Items)
		if err != nil {
			x.raise(f, err)
			return nil, false
		}
		if _, ok := v.([]any); !ok {
			x.raise(f, x.typeError(f, c, j.Items, "array", v))
			return nil, false
		}
		items = v
	}
	arr, ok := items.([]any)
	if !ok {
		x.raise(f, x.queryErr(f, "", "Map state input must be an array but was: "+jsonv.String(items)))
		return nil, false
	}
	f.maxConc = 0
	if j.MaxConcurrency != nil {
		n, err := x.ataInteger(f, c, j.MaxConcurrency)
		if err == nil && (n < 0 || n > math.MaxInt32) {
			err = x.queryErr(f, "MaxConcurrency", fmt.Sprintf("The MaxConcurrency field must be a non-negative integer, but was: %d", n))
		}
		if err != nil {
			x.raise(f, err)
			return nil, false
		}
		f.maxConc = int(n)
	}
	var d *Details
	if x.recording(f) {
		d = &Details{More: &MoreDetails{Length: ptr(int64(len(arr)))}}
	}
	f.last = x.emit(f, f.last, "MapStateStarted", d)
	f.tolerant = false
	f.tolCount, f.tolPct = 0, 0
	if j.ToleratedFailureCount != nil {
		n, err := x.ataInteger(f, c, j.ToleratedFailureCount)
		if err == nil && n < 0 {
			err = x.queryErr(f, "ToleratedFailureCount", "ToleratedFailureCount cannot be negative.")
		}
		if err != nil {
			x.raise(f, err)
			return nil, false
		}
		f.tolerant, f.tolCount = true, n
	}
	if j.ToleratedFailurePercentage != nil {
		v, err := x.ataEval(f, c, j.ToleratedFailurePercentage)
		if err != nil {
			x.raise(f, err)
			return nil, false
		}
		p, ok := jsonv.Number(v)
		if !ok {
			x.raise(f, x.typeError(f, c, j.ToleratedFailurePercentage, "number", v))
			return nil, false
		}
		if p < 0 || p > 100 {
			x.raise(f, x.queryErr(f, "ToleratedFailurePercentage", "ToleratedFailurePercentage must be between 0 and 100."))
			return nil, false
		}
		f.tolerant, f.tolPct = true, p
	}
	return arr, true
}

// ataItem evaluates a JSONata Map's ItemSelector for item i, v.
func (x *Execution) ataItem(f *frame, i int, v any) (any, *stateError) {
	q := f.state.JSONata.ItemSelector
	c := &ataCtx{input: f.input, item: jsonv.ObjectOf("Index", int64(i), "Value", v)}
	return x.ataEval(f, c, q)
}

// ataCatch applies a JSONata catcher: its Output (default: the error
// output) and its Assign, which replaces the state's own.
func (x *Execution) ataCatch(f *frame, ct *asl.Catcher, errOut *jsonv.Object) (any, *stateError) {
	c := &ataCtx{input: f.input, errOut: errOut, hasErr: true}
	f.pending = nil
	if err := x.ataAssign(f, c, ct.AssignQuery); err != nil {
		return nil, err
	}
	if ct.OutputQuery == nil {
		return errOut, nil
	}
	return x.ataEval(f, c, ct.OutputQuery)
}

// evaluationFailed records an EvaluationFailed event for a JSONata error.
func (x *Execution) evaluationFailed(f *frame, e *stateError) {
	st := f.state
	prev := f.enteredPrev
	if st.Type == asl.TypeWait {
		prev = f.enteredID
	}
	var d *Details
	if x.recording(f) {
		d = &Details{Error: ptr(e.name), Cause: ptr(e.cause), More: &MoreDetails{Location: e.location, State: st.Name}}
	}
	f.last = x.emit(f, prev, "EvaluationFailed", d)
	if st.Type == asl.TypeMap || st.Type == asl.TypeParallel {
		f.childFailed = true
	}
}

// ataScratch is what ataBind reuses from one evaluation to the next: the
// buffers of the bindings, and $states for the expressions that cannot
// hold on to it, made for generation gen; statesIn is the input it holds
// alone (nil: it holds more, or an input that is not an object).
type ataScratch struct {
	names     []string
	vals      []any
	nameBuf   [4]string
	valBuf    [4]any
	states    jsonv.Small
	gen       uint64
	statesObj *jsonv.Object
	statesIn  *jsonv.Object
}

// ataFuncs are Step Functions' functions beyond JSONata's built-ins. They
// draw randomness from the execution, so they are made per execution.
func (x *Execution) ataFuncs() map[string]any {
	if x.ataFn != nil {
		return x.ataFn
	}
	call := func(name string) func(args []any) (any, error) {
		return func(args []any) (any, error) {
			v, err := jsonpath.CallIntrinsic(name, x, args)
			if err != nil {
				var je *jsonpath.Error
				if errors.As(err, &je) {
					return nil, &jsonata.Error{Code: "D3137", Message: je.Cause}
				}
				return nil, err
			}
			return v, nil
		}
	}
	rangeFn := call("States.ArrayRange")
	x.ataFn = map[string]any{
		"partition": jsonata.Function{Call: call("States.ArrayPartition")},
		"range": jsonata.Function{Call: func(args []any) (any, error) {
			v, err := rangeFn(args)
			if arr, ok := v.([]any); ok && len(arr) == 1 {
				return arr[0], err // a one-item sequence is its item
			}
			return v, err
		}},
		"hash": jsonata.Function{Call: call("States.Hash")},
		"uuid": jsonata.Function{Call: call("States.UUID")},
		"random": jsonata.Function{Call: func(args []any) (any, error) {
			var r uint64
			if len(args) > 0 && args[0] != nil {
				seed, ok := jsonv.Number(args[0])
				if !ok {
					return nil, &jsonata.Error{Code: "T0410", Message: "Argument 1 of function \"random\" does not match function signature"}
				}
				r = splitmix64(uint64(int64(seed)))
			} else {
				r = x.rand()
			}
			return float64(r>>11) / (1 << 53), nil
		}},
		"parse": jsonata.Function{Call: func(args []any) (any, error) {
			s, ok := firstString(args)
			if !ok {
				return nil, &jsonata.Error{Code: "T0410", Message: "Argument 1 of function \"parse\" does not match function signature"}
			}
			v, err := jsonv.ParseString(s)
			if err != nil {
				return nil, &jsonata.Error{Code: "D3137", Message: "Unable to parse JSON: " + err.Error()}
			}
			return v, nil
		}},
	}
	return x.ataFn
}

func firstString(args []any) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	s, ok := args[0].(string)
	return s, ok
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// Variable limits: 256 KiB per variable and per Assign block, 10 MiB for
// all the variables of an execution.
const (
	maxVariableBytes = 262144
	maxAssignBytes   = 262144
	maxTotalVarBytes = 10 * 1024 * 1024
)

// checkAssign enforces the variable size limits on an evaluated Assign
// block of f's current state.
func (x *Execution) checkAssign(f *frame, m *jsonv.Object) *stateError {
	block := 0
	for _, k := range sortedNames(m) {
		n := jsonv.Size(m.Value(k), maxVariableBytes)
		if n > maxVariableBytes {
			return &stateError{name: ErrDataLimitExceeded, hasCause: true, cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). The variable '%s' has a size exceeding the maximum number of bytes service limit.", f.state.Name, f.enteredID, k)}
		}
		block += n
	}
	if block > maxAssignBytes {
		return &stateError{name: ErrDataLimitExceeded, hasCause: true, cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). The Assign field has a size exceeding the maximum number of bytes service limit.", f.state.Name, f.enteredID)}
	}
	// Each variable is at most 256 KiB, so the 10 MiB total can only be
	// passed with more than 40 of them: only then add everything up.
	count := m.Len()
	for fr := f; fr != nil; fr = fr.parent {
		count += len(fr.vars)
	}
	if count*maxVariableBytes <= maxTotalVarBytes {
		return nil
	}
	total := block
	for fr := f; fr != nil; fr = fr.parent {
		for k, v := range fr.vars {
			if replaced := m.Has(k); replaced && fr == f {
				continue
			}
			total += jsonv.Size(v, maxTotalVarBytes)
		}
	}
	if total > maxTotalVarBytes {
		return &stateError{name: ErrDataLimitExceeded, hasCause: true, cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). The variables of the execution have a total size exceeding the maximum number of bytes service limit.", f.state.Name, f.enteredID)}
	}
	return nil
}

func sortedNames(m *jsonv.Object) []string {
	if m.Len() == 1 {
		return m.Keys()
	}
	return jsonv.SortedKeys(m)
}
