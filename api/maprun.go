package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
)

// The Map Runs of Distributed Maps: the engine writes each Map Run and its
// child executions with the steps of the parent execution, and these
// operations read those rows (never the parent's replay). UpdateMapRun is
// an input of the parent execution.

// parseMapRunArn accepts arn:...:mapRun:MACHINE/LABEL:ID.
func parseMapRunArn(s string) (stepArn, *apiError) {
	a, err := parseArn(s)
	if err != nil {
		return stepArn{}, err
	}
	if a.typ != "mapRun" {
		return stepArn{}, invalidArnType(a.typ)
	}
	if len(a.rest) != 2 || a.rest[1] == "" {
		return stepArn{}, invalidArn(s)
	}
	machine, label, labelled := strings.Cut(a.rest[0], "/")
	if !labelled || !validName(machine) || !validName(label) {
		return stepArn{}, invalidArn(s)
	}
	return a, nil
}

// parseExpressChildArn accepts the ARN of an Express child of a Map Run,
// arn:...:express:MACHINE/LABEL:NAME:ID: the one kind of Express execution
// DescribeExecution takes. GetExecutionHistory, StopExecution and
// DescribeStateMachineForExecution refuse it as AWS does with any Express
// execution (InvalidArn, "Resource type not valid in this context:
// express").
func parseExpressChildArn(s string) (stepArn, bool) {
	a, err := parseArn(s)
	if err != nil || a.typ != "express" || len(a.rest) != 3 {
		return stepArn{}, false
	}
	machine, label, labelled := strings.Cut(a.rest[0], "/")
	if !labelled || !validName(machine) || !validName(label) || !validName(a.rest[1]) || !validName(a.rest[2]) {
		return stepArn{}, false
	}
	return a, true
}

// lookupMapRun resolves a Map Run ARN of a request: InvalidArn,
// AccessDenied, or ResourceNotFound.
func (s *server) lookupMapRun(c *call, text string) (*store.MapRun, error) {
	a, aerr := parseMapRunArn(text)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.ownsOr(a, resourceNotFound(text)); err != nil {
		return nil, err
	}
	r, err := s.st.GetMapRun(c.ctx, text)
	if isNotFound(err) {
		return nil, resourceNotFound(text)
	}
	return r, err
}

type mapRunCounts struct {
	Pending               int64 `json:"pending"`
	Running               int64 `json:"running"`
	Succeeded             int64 `json:"succeeded"`
	Failed                int64 `json:"failed"`
	TimedOut              int64 `json:"timedOut"`
	Aborted               int64 `json:"aborted"`
	Total                 int64 `json:"total"`
	ResultsWritten        int64 `json:"resultsWritten"`
	FailuresNotRedrivable int64 `json:"failuresNotRedrivable"`
	PendingRedrive        int64 `json:"pendingRedrive"`
}

func countsOf(c store.MapRunCounts) mapRunCounts {
	return mapRunCounts{Pending: c.Pending, Running: c.Running, Succeeded: c.Succeeded, Failed: c.Failed,
		TimedOut: c.TimedOut, Aborted: c.Aborted, Total: c.Total, ResultsWritten: c.ResultsWritten, PendingRedrive: c.PendingRedrive}
}

type describeMapRunOutput struct {
	MapRunArn                  string       `json:"mapRunArn"`
	ExecutionArn               string       `json:"executionArn"`
	Status                     string       `json:"status"`
	StartDate                  epoch        `json:"startDate"`
	StopDate                   *epoch       `json:"stopDate,omitempty"`
	MaxConcurrency             int64        `json:"maxConcurrency"`
	ToleratedFailurePercentage float64      `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      int64        `json:"toleratedFailureCount"`
	ItemCounts                 mapRunCounts `json:"itemCounts"`
	ExecutionCounts            mapRunCounts `json:"executionCounts"`
	RedriveCount               int64        `json:"redriveCount"`
	RedriveDate                *epoch       `json:"redriveDate,omitempty"`
}

// mapRunRedriveReason is why no redrive of its parent can run the
// unsuccessful children of Map Run r again, "" when one can: a Map Run
// that succeeded (its failures tolerated) is never redriven, one that
// failed or was aborted is as long as its parent can be.
func (s *server) mapRunRedriveReason(c *call, r *store.MapRun) (string, error) {
	if r.Status == "RUNNING" {
		return "", nil
	}
	parent, err := s.st.GetExecution(c.ctx, r.ExecutionArn)
	if err != nil {
		return "", err
	}
	if r.Status == "SUCCEEDED" && parent.Status != "RUNNING" && parent.Status != "SUCCEEDED" {
		return "Map Run is SUCCEEDED and cannot be redriven", nil
	}
	return s.redriveReason(c, parent)
}

func (s *server) describeMapRun(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("mapRunArn", longArnStr.req())
	if err := in.r.check(); err != nil {
		return nil, err
	}
	r, err := s.lookupMapRun(c, arnText)
	if err != nil {
		return nil, err
	}
	out := &describeMapRunOutput{
		MapRunArn: r.Arn, ExecutionArn: r.ExecutionArn, Status: r.Status,
		StartDate: epoch(r.StartedAt), StopDate: epochPtr(r.StoppedAt),
		MaxConcurrency: r.MaxConcurrency, ToleratedFailurePercentage: r.ToleratedFailurePercentage,
		ToleratedFailureCount: r.ToleratedFailureCount,
		ItemCounts:            countsOf(r.ItemCounts), ExecutionCounts: countsOf(r.ExecutionCounts),
		RedriveCount: r.RedriveCount, RedriveDate: epochPtr(r.RedriveDate),
	}
	reason, err := s.mapRunRedriveReason(c, r)
	if err != nil {
		return nil, err
	}
	if reason != "" {
		for _, n := range []*mapRunCounts{&out.ItemCounts, &out.ExecutionCounts} {
			n.FailuresNotRedrivable = n.Failed + n.TimedOut + n.Aborted
		}
	}
	return out, nil
}

type mapRunListItem struct {
	ExecutionArn    string `json:"executionArn"`
	MapRunArn       string `json:"mapRunArn"`
	StateMachineArn string `json:"stateMachineArn"`
	StartDate       epoch  `json:"startDate"`
	StopDate        *epoch `json:"stopDate,omitempty"`
}

type listMapRunsOutput struct {
	MapRuns   []mapRunListItem `json:"mapRuns"`
	NextToken string           `json:"nextToken,omitempty"`
}

func (s *server) listMapRuns(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("executionArn", arnStr.req())
	page := readPage(in, pageTokenStr)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	rec, err := s.lookupExecution(c, arnText)
	if err != nil {
		return nil, err
	}
	const op = "ListMapRuns"
	scope := scopeOf(rec.Arn)
	cursor, aerr := s.cursor(page, op, scope)
	if aerr != nil {
		return nil, aerr
	}
	runs, next, err := s.st.ListMapRuns(c.ctx, store.ListMapRunsParams{ExecutionArn: rec.Arn, Limit: page.limit, Token: cursor})
	if err != nil {
		return nil, s.cursorError(err, cursor)
	}
	out := &listMapRunsOutput{MapRuns: []mapRunListItem{}}
	for _, r := range runs {
		out.MapRuns = append(out.MapRuns, mapRunListItem{ExecutionArn: r.ExecutionArn, MapRunArn: r.Arn,
			StateMachineArn: r.StateMachineArn, StartDate: epoch(r.StartedAt), StopDate: epochPtr(r.StoppedAt)})
	}
	if next != "" {
		out.NextToken = s.encodeToken(pageToken{Op: op, Scope: scope, Cursor: next})
	}
	return out, nil
}

func (s *server) updateMapRun(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("mapRunArn", longArnStr.req())
	u := engine.MapRunUpdate{Arn: arnText}
	if n, ok := in.integer("maxConcurrency", 0, math.MaxInt32); ok {
		u.MaxConcurrency = &n
	}
	if p, ok := in.float("toleratedFailurePercentage", 0, 100); ok {
		u.ToleratedFailurePercentage = &p
	}
	if n, ok := in.long("toleratedFailureCount", 0); ok {
		u.ToleratedFailureCount = &n
	}
	if err := in.r.check(); err != nil {
		return nil, err
	}
	r, err := s.lookupMapRun(c, arnText)
	if err != nil {
		return nil, err
	}
	if r.Status != "RUNNING" {
		return nil, completedMapRun(arnText)
	}
	err = s.eng.UpdateMapRun(context.WithoutCancel(c.ctx), u)
	switch {
	case errors.Is(err, engine.ErrMapRunDoesNotExist):
		return nil, resourceNotFound(arnText)
	case errors.Is(err, engine.ErrMapRunCompleted):
		return nil, completedMapRun(arnText)
	case err != nil:
		return nil, err
	}
	return struct{}{}, nil
}

func completedMapRun(arn string) *apiError {
	e := validationError("Map Run %s has completed and cannot be updated", arn)
	e.reason = "CANNOT_UPDATE_COMPLETED_MAP_RUN"
	return e
}

// listMapRunExecutions is ListExecutions of a Map Run: its child
// executions, newest first.
func (s *server) listMapRunExecutions(c *call, mapRunArn, status, redrive string, page pageArgs) (any, error) {
	r, err := s.lookupMapRun(c, mapRunArn)
	if err != nil {
		return nil, err
	}
	const op = "ListExecutions"
	scope := scopeOf("mapRun", r.Arn, status, redrive)
	cursor, aerr := s.cursor(page, op, scope)
	if aerr != nil {
		return nil, aerr
	}
	out := &listExecutionsOutput{Executions: []executionListItem{}}
	kids, next, err := s.st.ListMapRunExecutions(c.ctx, store.ListMapRunExecutionsParams{MapRunArn: r.Arn, Status: status, Redriven: redrive,
		Limit: page.limit, Token: cursor})
	if err != nil {
		return nil, s.cursorError(err, cursor)
	}
	for _, k := range kids {
		item := executionListItem{ExecutionArn: k.Arn, StateMachineArn: k.StateMachineArn, Name: k.Name, Status: k.Status,
			StartDate: epoch(k.StartedAt), StopDate: epochPtr(k.StoppedAt), MapRunArn: k.MapRunArn, ItemCount: &k.ItemCount,
			RedriveCount: k.RedriveCount, RedriveDate: epochPtr(k.RedriveDate)}
		out.Executions = append(out.Executions, item)
	}
	if next != "" {
		out.NextToken = s.encodeToken(pageToken{Op: op, Scope: scope, Cursor: next})
	}
	return out, nil
}

// describeMapRunChild is DescribeExecution of a Map Run's child
// execution, from its row: what it ran, its input, status, dates, and
// its output or error.
func (s *server) describeMapRunChild(c *call, arnText string) (any, bool, error) {
	k, err := s.st.GetMapRunExecution(c.ctx, arnText)
	if isNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	out := &describeExecutionOutput{
		ExecutionArn: k.Arn, StateMachineArn: k.StateMachineArn, Name: k.Name, Status: k.Status,
		StartDate: epoch(k.StartedAt), StopDate: epochPtr(k.StoppedAt), MapRunArn: k.MapRunArn,
		RedriveStatus: "NOT_REDRIVABLE", RedriveCount: k.RedriveCount, RedriveDate: epochPtr(k.RedriveDate),
	}
	if k.Input != "" {
		out.Input, out.InputDetails = &k.Input, &dataDetails{Included: true}
	}
	if k.Status == "SUCCEEDED" {
		out.Output, out.OutputDetails = &k.Output, &dataDetails{Included: true}
	}
	switch {
	case k.Status == "FAILED" || k.Status == "TIMED_OUT":
		out.Error = &k.Error
		if k.HasCause {
			out.Cause = &k.Cause
		}
	case k.Status == "ABORTED":
		// Stopped by StopExecution, with the error and cause it was
		// given, as a stopped execution shows them.
		if k.Error != "" {
			out.Error = &k.Error
		}
		if k.HasCause {
			out.Cause = &k.Cause
		}
	}
	switch k.Status {
	case "RUNNING", "SUCCEEDED":
		out.RedriveStatusReason = "Execution is " + k.Status + " and cannot be redriven"
	default:
		// A child is redriven only by its Map Run, when the parent is
		// (AWS: "Redriving Map Runs").
		r, err := s.st.GetMapRun(c.ctx, k.MapRunArn)
		if err != nil {
			return nil, true, err
		}
		reason, err := s.mapRunRedriveReason(c, r)
		if err != nil {
			return nil, true, err
		}
		if reason == "" {
			out.RedriveStatus = "REDRIVABLE_BY_MAP_RUN"
		} else {
			out.RedriveStatusReason = reason
		}
	}
	return out, true, nil
}

// float reads a floating-point member within [min, max].
func (f *fields) float(name string, min, max float64) (float64, bool) {
	raw, ok := f.get(name)
	if !ok {
		return 0, false
	}
	var v float64
	if c := bytes.TrimSpace(raw)[0]; c != '-' && (c < '0' || c > '9') || json.Unmarshal(raw, &v) != nil {
		f.r.typeError(f.path+name, "a number", raw)
		return 0, false
	}
	text := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(text, ".") {
		text += ".0"
	}
	if v < min {
		f.r.v.add("Value '%s' at '%s%s' failed to satisfy constraint: Member must have value greater than or equal to %g", text, f.path, name, min)
		return 0, false
	}
	if v > max {
		f.r.v.add("Value '%s' at '%s%s' failed to satisfy constraint: Member must have value less than or equal to %g", text, f.path, name, max)
		return 0, false
	}
	return v, true
}

// long reads a 64-bit integer member of at least min.
func (f *fields) long(name string, min int64) (int64, bool) {
	raw, ok := f.get(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		f.r.typeError(f.path+name, "an integer", raw)
		return 0, false
	}
	if n < min {
		f.r.v.add("Value '%d' at '%s%s' failed to satisfy constraint: Member must have value greater than or equal to %d", n, f.path, name, min)
		return 0, false
	}
	return n, true
}

// mapRunChildHistory is a page of the history of Map Run child k, which
// the engine rebuilds by replaying its parent: up to limit events after
// event id after (0: from either end), in reverse order when asked.
func (s *server) mapRunChildHistory(c *call, k *store.MapRunExecution, after int64, reverse bool, limit int) ([]store.Event, error) {
	all, err := s.eng.MapRunChildHistory(c.ctx, k.ExecutionArn, k.Name)
	if errors.Is(err, engine.ErrExecutionDoesNotExist) {
		return nil, execDoesNotExist(k.Arn)
	}
	if err != nil {
		return nil, err
	}
	if reverse {
		slices.Reverse(all)
	}
	var out []store.Event
	for _, ev := range all {
		if after != 0 && (!reverse && ev.ID <= after || reverse && ev.ID >= after) {
			continue
		}
		out = append(out, ev)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// mapRunChildMachine is DescribeStateMachineForExecution of a Map Run's
// child: the machine it ran is its Distributed Map's ItemProcessor, named
// "<parent's machine>/<label>". Which Map state ran the child is found by
// replaying the parent (a Map without a Label gets a random one).
func (s *server) mapRunChildMachine(c *call, arnText string) (any, bool, error) {
	k, err := s.st.GetMapRunExecution(c.ctx, arnText)
	if isNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	parent, err := s.st.GetExecution(c.ctx, k.ExecutionArn)
	if isNotFound(err) {
		return nil, true, execDoesNotExist(arnText)
	}
	if err != nil {
		return nil, true, err
	}
	state, err := s.eng.MapRunChildState(c.ctx, parent.Arn, k.Name)
	if err != nil {
		return nil, true, err
	}
	def, ok := itemProcessor(json.RawMessage(parent.Definition), state)
	if !ok {
		return nil, true, fmt.Errorf("execution %s: no Distributed Map state %q in its definition", parent.Arn, state)
	}
	name := k.StateMachineArn[strings.LastIndexByte(k.StateMachineArn, ':')+1:]
	_, label, _ := strings.Cut(name, "/")
	return &describeStateMachineForExecutionOutput{
		StateMachineArn: k.StateMachineArn, Name: name, Definition: string(def), RoleArn: parent.RoleArn,
		UpdateDate:           epoch(parent.StartedAt),
		LoggingConfiguration: loggingOf(""), TracingConfiguration: tracingOf(""),
		MapRunArn: k.MapRunArn, Label: label,
	}, true, nil
}

// itemProcessor finds, in the states of machine definition def (through
// Parallel branches and inline Map processors, not into Distributed Map
// children, whose Maps have no Map Runs), the Distributed Map state named
// state and returns its ItemProcessor as a machine definition: without
// its ProcessorConfig, with the machine's QueryLanguage if it sets one.
func itemProcessor(def json.RawMessage, state string) ([]byte, bool) {
	var top struct {
		QueryLanguage string `json:"QueryLanguage"`
	}
	_ = json.Unmarshal(def, &top)
	var find func(scope json.RawMessage) (map[string]json.RawMessage, bool)
	find = func(scope json.RawMessage) (map[string]json.RawMessage, bool) {
		var sc struct {
			States map[string]json.RawMessage `json:"States"`
		}
		if json.Unmarshal(scope, &sc) != nil {
			return nil, false
		}
		names := make([]string, 0, len(sc.States))
		for n := range sc.States {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			var st struct {
				Type          string            `json:"Type"`
				Branches      []json.RawMessage `json:"Branches"`
				ItemProcessor json.RawMessage   `json:"ItemProcessor"`
				Iterator      json.RawMessage   `json:"Iterator"`
			}
			if json.Unmarshal(sc.States[n], &st) != nil {
				continue
			}
			proc := st.ItemProcessor
			if proc == nil {
				proc = st.Iterator
			}
			var pc struct {
				ProcessorConfig struct {
					Mode string `json:"Mode"`
				} `json:"ProcessorConfig"`
			}
			_ = json.Unmarshal(proc, &pc)
			distributed := st.Type == "Map" && pc.ProcessorConfig.Mode == "DISTRIBUTED"
			if distributed && n == state {
				var m map[string]json.RawMessage
				if json.Unmarshal(proc, &m) != nil {
					return nil, false
				}
				return m, true
			}
			scopes := st.Branches
			if st.Type == "Map" && !distributed && proc != nil {
				scopes = append(scopes, proc)
			}
			for _, b := range scopes {
				if m, ok := find(b); ok {
					return m, true
				}
			}
		}
		return nil, false
	}
	m, ok := find(def)
	if !ok {
		return nil, false
	}
	delete(m, "ProcessorConfig")
	if _, set := m["QueryLanguage"]; !set && top.QueryLanguage != "" {
		m["QueryLanguage"], _ = json.Marshal(top.QueryLanguage)
	}
	b, err := json.Marshal(m)
	return b, err == nil
}
