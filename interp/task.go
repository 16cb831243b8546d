package interp

import (
	"fmt"
	"strings"

	"github.com/statecraft/statecraft/jsonv"
)

// resourceKind says which family of history events a Task's Resource uses.
type resourceKind uint8

const (
	resService  resourceKind = iota // arn:aws:states:::lambda:invoke and friends: Task* events
	resLambda                       // arn:aws:lambda:...:function:NAME: LambdaFunction* events
	resActivity                     // arn:aws:states:...:activity:NAME: Activity* events
)

type resourceInfo struct {
	kind         resourceKind
	resourceType string // "lambda" in arn:aws:states:::lambda:invoke
	resource     string // "invoke"
}

func classify(arn string) resourceInfo {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) >= 6 {
		switch {
		case parts[2] == "lambda":
			return resourceInfo{kind: resLambda}
		case parts[2] == "states" && parts[5] == "activity":
			return resourceInfo{kind: resActivity}
		case parts[2] == "states" && len(parts) == 7:
			return resourceInfo{kind: resService, resourceType: parts[5], resource: parts[6]}
		}
	}
	return resourceInfo{kind: resService, resourceType: arn, resource: arn}
}

func (x *Execution) scheduleTask(f *frame) {
	st := f.state
	timeout, heartbeat := st.TimeoutSeconds, st.HeartbeatSeconds
	if st.JSONata != nil {
		var ok bool
		if timeout, heartbeat, ok = x.ataTaskLimits(f); !ok {
			return
		}
	}
	sc := x.scope(f, f.eff)
	if st.TimeoutSecondsPath != nil {
		v, ok := st.TimeoutSecondsPath.Get(sc)
		n, isInt := jsonv.Integer(v)
		if !ok || !isInt || n <= 0 {
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The TimeoutSecondsPath parameter does not reference a positive integer: %s", st.TimeoutSecondsPath.String())))
			return
		}
		timeout = n
	}
	if st.HeartbeatSecondsPath != nil {
		v, ok := st.HeartbeatSecondsPath.Get(sc)
		n, isInt := jsonv.Integer(v)
		if !ok || !isInt || n <= 0 {
			x.raise(f, x.runtimeErr(f, fmt.Sprintf("The HeartbeatSecondsPath parameter does not reference a positive integer: %s", st.HeartbeatSecondsPath.String())))
			return
		}
		heartbeat = n
	}
	role, ok := x.taskRole(f)
	if !ok {
		return
	}
	// body chose the ref before evaluating Parameters.
	ref := f.ref
	input := f.taskInput
	ri := classify(st.Resource)
	rec := x.recording(f)
	var d, started *Details
	if rec {
		d = &Details{}
		if timeout > 0 {
			d.more().TimeoutInSeconds = ptr(timeout)
		}
		if heartbeat > 0 {
			d.more().HeartbeatInSecs = ptr(heartbeat)
		}
		d.more().TaskCredentials = role
	}
	var scheduled int64
	switch ri.kind {
	case resLambda:
		if rec {
			d.more().Resource, d.Input = st.Resource, x.textFor(f, input)
			d.more().HeartbeatInSecs = nil
		}
		scheduled = x.emit(f, f.last, "LambdaFunctionScheduled", d)
		f.last = x.emit(f, scheduled, "LambdaFunctionStarted", nil)
	case resActivity:
		if rec {
			d.more().Resource, d.Input = st.Resource, x.textFor(f, input)
		}
		scheduled = x.emit(f, f.last, "ActivityScheduled", d)
		f.last = scheduled
	default:
		if rec {
			m := d.more()
			m.ResourceType, m.Resource, m.Region, m.Parameters = ri.resourceType, ri.resource, x.Info.Region, x.textFor(f, input)
			started = &Details{More: &MoreDetails{ResourceType: ri.resourceType, Resource: ri.resource}}
		}
		scheduled = x.emit(f, f.last, "TaskScheduled", d)
		f.last = x.emit(f, scheduled, "TaskStarted", started)
	}
	f.started = false
	x.wait(f, phaseTask, ref)
	x.cmds = append(x.cmds, Command{Kind: RunTask, Ref: ref, Task: &Task{
		Resource:         st.Resource,
		Input:            input,
		StateName:        st.Name,
		TimeoutSeconds:   timeout,
		HeartbeatSeconds: heartbeat,
		Attempt:          f.retryCount,
		RoleArn:          role,
	}})
}

// taskRole evaluates a Task's Credentials to the ARN of the role it runs
// under ("" without Credentials): JSONPath against the effective input,
// as Parameters is; JSONata against $states.input. A value that is no
// string fails the state with States.Runtime (States.QueryEvaluationError
// for JSONata), as a bad TimeoutSecondsPath does.
func (x *Execution) taskRole(f *frame) (string, bool) {
	st := f.state
	if st.JSONata != nil {
		q := st.JSONata.Credentials
		if q == nil {
			return "", true
		}
		out, err := x.ataEval(f, &ataCtx{input: f.input}, q)
		if err != nil {
			x.raise(f, err)
			return "", false
		}
		m, _ := out.(*jsonv.Object)
		if s, ok := m.Value("RoleArn").(string); ok && s != "" {
			return s, true
		}
		x.raise(f, x.queryErr(f, "Credentials", "The Credentials field must be an object with a string RoleArn, but was: "+jsonv.String(out)))
		return "", false
	}
	if st.Credentials == nil {
		return "", true
	}
	out, serr := x.template(f, st.Credentials, f.eff)
	if serr != nil {
		x.raise(f, serr)
		return "", false
	}
	m, _ := out.(*jsonv.Object)
	if s, ok := m.Value("RoleArn").(string); ok && s != "" {
		return s, true
	}
	x.raise(f, x.runtimeErr(f, "The Credentials field's RoleArn must be a string, but was: "+jsonv.String(m.Value("RoleArn"))))
	return "", false
}

func (x *Execution) taskStarted(f *frame, worker string) {
	// At-least-once delivery may repeat TaskStarted: record it once.
	if classify(f.state.Resource).kind == resActivity && !f.started {
		f.started = true
		var d *Details
		if x.recording(f) {
			d = &Details{More: &MoreDetails{WorkerName: worker}}
		}
		f.last = x.emit(f, f.last, "ActivityStarted", d)
		x.quiet = x.quiet || f.silent
	}
}

func (x *Execution) taskSucceeded(f *frame, out any) {
	st := f.state
	ri := classify(st.Resource)
	var d *Details
	if x.recording(f) {
		d = &Details{Output: x.textFor(f, out)}
		if ri.kind == resService {
			d.More = &MoreDetails{ResourceType: ri.resourceType, Resource: ri.resource}
		}
	}
	switch ri.kind {
	case resLambda:
		f.last = x.emit(f, f.last, "LambdaFunctionSucceeded", d)
	case resActivity:
		f.last = x.emit(f, f.last, "ActivitySucceeded", d)
	default:
		f.last = x.emit(f, f.last, "TaskSucceeded", d)
	}
	t := x.probe(f)
	if t != nil {
		t.insp.Result = set(out)
	}
	rb, ok := x.checkSize(f, out, 0)
	if !ok {
		return
	}
	if st.JSONata != nil {
		f.phase = phaseEnter
		if x.ataResult(f, out) {
			x.push(f)
		}
		return
	}
	result := out
	if st.ResultSelector != nil {
		v, b, err := x.templateBound(f, st.ResultSelector, out, rb)
		if err != nil {
			x.raise(f, err)
			return
		}
		result, rb = v, b
	}
	if t != nil {
		t.insp.AfterResultSelector = set(result)
	}
	f.phase = phaseEnter
	if !x.prepareAssign(f, st.Assign, result) {
		return
	}
	if x.withResult(f, result, rb) {
		x.push(f)
	}
}

func (x *Execution) taskFailed(f *frame, timedOut bool, name, cause string) {
	st := f.state
	ri := classify(st.Resource)
	var d *Details
	if x.recording(f) {
		d = &Details{Error: ptr(name), Cause: ptr(cause)}
		if cause == "" {
			d.Cause = nil
		}
		if ri.kind == resService {
			d.More = &MoreDetails{ResourceType: ri.resourceType, Resource: ri.resource}
		}
	}
	typ := "Failed"
	if timedOut {
		typ = "TimedOut"
	}
	switch ri.kind {
	case resLambda:
		f.last = x.emit(f, f.last, "LambdaFunction"+typ, d)
	case resActivity:
		f.last = x.emit(f, f.last, "Activity"+typ, d)
	default:
		f.last = x.emit(f, f.last, "Task"+typ, d)
	}
	f.phase = phaseEnter
	x.raise(f, &stateError{name: name, cause: cause, hasCause: cause != ""})
}
