package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
)

var executionStatuses = []string{"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"}

func invalidInput(err error) *apiError {
	return serviceError("InvalidExecutionInput", "Invalid State Machine Execution Input: '%s'", err.Error())
}

// startArgs are the members StartExecution and StartSyncExecution share.
type startArgs struct {
	sm *store.StateMachine
	// target is what the ARN named: the machine, or a version of it
	// (directly or picked by an alias).
	target *engine.Target
	name   string
	in     *engine.Input
	trace  string
}

// readStart reads and checks what both start operations take, in the
// order AWS reports problems: the model, the ARN, the name, the input, and
// then the machine itself.
func (s *server) readStart(c *call) (*startArgs, error) {
	in := c.in
	arnText, _ := in.str("stateMachineArn", arnStr.req())
	name, nameGiven := in.str("name", nameStr)
	input, inputGiven := in.str("input", dataStr)
	trace, _ := in.str("traceHeader", traceHeaderStr)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	a, aerr := parseUnlabelledArn(arnText)
	if aerr != nil {
		return nil, aerr
	}
	if nameGiven && !validName(name) {
		return nil, invalidName(name)
	}
	if !nameGiven {
		name = newUUID()
	}
	if !inputGiven {
		input = "{}"
	}
	parsed, err := engine.ParseInput(input)
	if err != nil {
		return nil, invalidInput(err)
	}
	t, err := s.resolveStart(c, a)
	if err != nil {
		return nil, err
	}
	if t.Machine.Status == "DELETING" {
		return nil, smDeleting(t.Machine.Arn)
	}
	return &startArgs{sm: t.Machine, target: t, name: name, in: parsed, trace: trace}, nil
}

// resolveStart resolves the ARN a start names: the machine, a version, or
// an alias, which picks one of its versions by weight. Whatever does not
// exist is StateMachineDoesNotExist, the one "missing" the start
// operations model.
func (s *server) resolveStart(c *call, a smArn) (*engine.Target, error) {
	if a.qualifier == "" {
		sm, err := s.lookupStateMachine(c, a)
		if err != nil {
			return nil, err
		}
		return &engine.Target{Machine: sm}, nil
	}
	if err := c.ownsOr(a.stepArn, smDoesNotExist(a.text)); err != nil {
		return nil, err
	}
	t, err := engine.Resolve(c.ctx, s.st, a.text)
	if isNotFound(err) {
		return nil, smDoesNotExist(a.text)
	}
	return t, err
}

type startExecutionOutput struct {
	ExecutionArn string `json:"executionArn"`
	StartDate    epoch  `json:"startDate"`
}

func (s *server) startExecution(c *call) (any, error) {
	args, err := s.readStart(c)
	if err != nil {
		return nil, err
	}
	if args.sm.Type == typeExpress {
		rec := s.startExpress(args)
		return &startExecutionOutput{ExecutionArn: rec.Arn, StartDate: epoch(rec.StartedAt)}, nil
	}
	rec, err := s.eng.StartExecution(context.WithoutCancel(c.ctx), args.sm, args.name, args.in, args.trace, engine.Through(args.target))
	switch {
	case errors.Is(err, engine.ErrExecutionAlreadyExists):
		return nil, serviceError("ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn.Execution(args.sm.Arn, args.name))
	case err != nil:
		return nil, err
	}
	return &startExecutionOutput{ExecutionArn: rec.Arn, StartDate: epoch(rec.StartedAt)}, nil
}

// lookupExecution resolves an execution ARN of a request.
func (s *server) lookupExecution(c *call, arnText string) (*store.Execution, error) {
	if err := c.ownExecution(arnText); err != nil {
		return nil, err
	}
	rec, err := s.st.GetExecution(c.ctx, arnText)
	if isNotFound(err) {
		return nil, execDoesNotExist(arnText)
	}
	return rec, err
}

type dataDetails struct {
	Included bool `json:"included"`
}

type describeExecutionOutput struct {
	ExecutionArn        string       `json:"executionArn"`
	StateMachineArn     string       `json:"stateMachineArn"`
	Name                string       `json:"name"`
	Status              string       `json:"status"`
	StartDate           epoch        `json:"startDate"`
	StopDate            *epoch       `json:"stopDate,omitempty"`
	Input               *string      `json:"input,omitempty"`
	InputDetails        *dataDetails `json:"inputDetails,omitempty"`
	Output              *string      `json:"output,omitempty"`
	OutputDetails       *dataDetails `json:"outputDetails,omitempty"`
	TraceHeader         string       `json:"traceHeader,omitempty"`
	Error               *string      `json:"error,omitempty"`
	Cause               *string      `json:"cause,omitempty"`
	StateMachineVersion string       `json:"stateMachineVersionArn,omitempty"`
	StateMachineAlias   string       `json:"stateMachineAliasArn,omitempty"`
	RedriveCount        int64        `json:"redriveCount"`
	RedriveDate         *epoch       `json:"redriveDate,omitempty"`
	MapRunArn           string       `json:"mapRunArn,omitempty"`
	RedriveStatus       string       `json:"redriveStatus"`
	RedriveStatusReason string       `json:"redriveStatusReason,omitempty"`
}

func (s *server) describeExecution(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("executionArn", arnStr.req())
	readIncludedData(in)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	if a, ok := parseExpressChildArn(arnText); ok {
		// AWS describes an Express execution only when a Map Run
		// started it.
		if err := c.ownsOr(a, execDoesNotExist(arnText)); err != nil {
			return nil, err
		}
		out, found, err := s.describeMapRunChild(c, arnText)
		if !found && err == nil {
			return nil, execDoesNotExist(arnText)
		}
		return out, err
	}
	rec, err := s.lookupExecution(c, arnText)
	if aerr, ok := err.(*apiError); ok && aerr.name == errExecDoesNotExist {
		// A Map Run's child execution has a row of its own.
		if out, found, err := s.describeMapRunChild(c, arnText); found || err != nil {
			return out, err
		}
	}
	if err != nil {
		return nil, err
	}
	out := &describeExecutionOutput{
		ExecutionArn: rec.Arn, StateMachineArn: rec.StateMachineArn, Name: rec.Name, Status: rec.Status,
		StartDate: epoch(rec.StartedAt), Input: &rec.Input, InputDetails: &dataDetails{Included: true},
		TraceHeader: rec.TraceHeader, RedriveStatus: "REDRIVABLE",
		StateMachineVersion: rec.StateMachineVersionArn, StateMachineAlias: rec.StateMachineAliasArn,
		RedriveCount: rec.RedriveCount, RedriveDate: epochPtr(rec.RedriveDate),
	}
	reason, err := s.redriveReason(c, rec)
	if err != nil {
		return nil, err
	}
	if reason != "" {
		out.RedriveStatus, out.RedriveStatusReason = "NOT_REDRIVABLE", reason
	}
	if rec.Status != "RUNNING" {
		out.StopDate = epochPtr(rec.StoppedAt)
	}
	if rec.Status == "SUCCEEDED" {
		out.Output, out.OutputDetails = &rec.Output, &dataDetails{Included: true}
	}
	if rec.HasError {
		out.Error = &rec.Error
	}
	if rec.HasCause {
		out.Cause = &rec.Cause
	}
	return out, nil
}

type stopExecutionOutput struct {
	StopDate epoch `json:"stopDate"`
}

func (s *server) stopExecution(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("executionArn", arnStr.req())
	errName, _ := in.str("error", errorStr)
	cause, _ := in.str("cause", causeStr)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	if err := c.ownExecution(arnText); err != nil {
		return nil, err
	}
	rec, err := s.eng.StopExecution(context.WithoutCancel(c.ctx), arnText, errName, cause)
	if errors.Is(err, engine.ErrExecutionDoesNotExist) || isNotFound(err) {
		return nil, execDoesNotExist(arnText)
	}
	if err != nil {
		return nil, err
	}
	stop := rec.StoppedAt
	if stop.IsZero() {
		stop = s.stamp()
	}
	return &stopExecutionOutput{StopDate: epoch(stop)}, nil
}

// smDeletingReason is AWS's redriveStatusReason for an execution whose
// machine is being deleted (here: or is gone).
const smDeletingReason = "State machine is in DELETING status"

// redriveReason is why rec cannot be redriven now, "" when it can.
func (s *server) redriveReason(c *call, rec *store.Execution) (string, error) {
	if reason := engine.RedriveReason(rec, s.now()); reason != "" {
		return reason, nil
	}
	sm, err := s.st.GetStateMachine(c.ctx, rec.StateMachineArn)
	if isNotFound(err) || err == nil && sm.Status == "DELETING" {
		return smDeletingReason, nil
	}
	return "", err
}

type redriveExecutionOutput struct {
	RedriveDate epoch `json:"redriveDate"`
}

// redriveExecution reruns what did not succeed of a STANDARD execution
// that FAILED, TIMED_OUT or was ABORTED (engine.RedriveExecution).
func (s *server) redriveExecution(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("executionArn", arnStr.req())
	token, _ := in.str("clientToken", clientTokenStr)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	rec, err := s.lookupExecution(c, arnText)
	if err != nil {
		return nil, err
	}
	// The engine checks the execution's own conditions; whether its
	// machine is being deleted is the API's to say.
	if reason, err := s.redriveReason(c, rec); err != nil {
		return nil, err
	} else if reason == smDeletingReason {
		return nil, serviceError("ExecutionNotRedrivable", "%s", reason)
	}
	at, err := s.eng.RedriveExecution(context.WithoutCancel(c.ctx), arnText, token)
	switch {
	case errors.Is(err, engine.ErrExecutionDoesNotExist):
		return nil, execDoesNotExist(arnText)
	case errors.Is(err, engine.ErrExecutionNotRedrivable):
		return nil, serviceError("ExecutionNotRedrivable", "%s", err.Error())
	case err != nil:
		return nil, err
	}
	return &redriveExecutionOutput{RedriveDate: epoch(at)}, nil
}

type executionListItem struct {
	ExecutionArn           string `json:"executionArn"`
	StateMachineArn        string `json:"stateMachineArn"`
	Name                   string `json:"name"`
	Status                 string `json:"status"`
	StartDate              epoch  `json:"startDate"`
	StopDate               *epoch `json:"stopDate,omitempty"`
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string `json:"stateMachineAliasArn,omitempty"`
	RedriveCount           int64  `json:"redriveCount"`
	RedriveDate            *epoch `json:"redriveDate,omitempty"`
	MapRunArn              string `json:"mapRunArn,omitempty"`
	ItemCount              *int64 `json:"itemCount,omitempty"`
}

type listExecutionsOutput struct {
	Executions []executionListItem `json:"executions"`
	NextToken  string              `json:"nextToken,omitempty"`
}

func (s *server) listExecutions(c *call) (any, error) {
	in := c.in
	arnText, arnGiven := in.str("stateMachineArn", arnStr)
	status, _ := in.enum("statusFilter", false, executionStatuses...)
	page := readPage(in, execTokenStr)
	mapRunText, mapRunGiven := in.str("mapRunArn", longArnStr)
	redrive, _ := in.enum("redriveFilter", false, "REDRIVEN", "NOT_REDRIVEN")
	if err := in.r.check(); err != nil {
		return nil, err
	}
	switch {
	case arnGiven && mapRunGiven:
		return nil, validationError("Specify either stateMachineArn or mapRunArn, not both")
	case mapRunGiven:
		return s.listMapRunExecutions(c, mapRunText, status, redrive, page)
	case !arnGiven:
		e := validationError("Either stateMachineArn or mapRunArn must be specified")
		e.reason = "MISSING_REQUIRED_PARAMETER"
		return nil, e
	}
	a, aerr := parseStateMachineArn(arnText)
	if aerr != nil {
		return nil, aerr
	}
	if status == "PENDING_REDRIVE" {
		return nil, validationError("statusFilter PENDING_REDRIVE is only valid with mapRunArn")
	}
	const op = "ListExecutions"
	scope := scopeOf(arnText, status, redrive)
	cursor, aerr := s.cursor(page, op, scope)
	if aerr != nil {
		return nil, aerr
	}
	// A version or alias ARN lists the executions started through it (a
	// version's include those an alias routed to it).
	p := store.ListExecutionsParams{Status: status, Redriven: redrive, Limit: page.limit, Token: cursor}
	var sm *store.StateMachine
	var err error
	switch {
	case a.label != "":
		sm, err = s.lookupStateMachine(c, a)
	case isVersionQualifier(a.qualifier):
		sm, _, err = s.lookupVersion(c, a)
		p.StateMachineVersionArn = a.text
	case a.qualifier != "":
		var al *store.StateMachineAlias
		if al, err = s.lookupAlias(c, a.text); err == nil {
			// An alias goes with its machine: only a race with the
			// machine's deletion finds one without the other.
			if sm, err = s.st.GetStateMachine(c.ctx, al.StateMachineArn); isNotFound(err) {
				err = aliasNotFound(a.text)
			}
		}
		p.StateMachineAliasArn = a.text
	default:
		sm, err = s.lookupStateMachine(c, a)
	}
	if err != nil {
		return nil, err
	}
	p.StateMachineArn = sm.Arn
	if sm.Type == typeExpress {
		return nil, serviceError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
	}
	out := &listExecutionsOutput{Executions: []executionListItem{}}
	execs, next, err := s.st.ListExecutions(c.ctx, p)
	if err != nil {
		return nil, s.cursorError(err, cursor)
	}
	for _, e := range execs {
		item := executionListItem{ExecutionArn: e.Arn, StateMachineArn: e.StateMachineArn, Name: e.Name, Status: e.Status, StartDate: epoch(e.StartedAt),
			StateMachineVersionArn: e.StateMachineVersionArn, StateMachineAliasArn: e.StateMachineAliasArn,
			RedriveCount: e.RedriveCount, RedriveDate: epochPtr(e.RedriveDate)}
		if e.Status != "RUNNING" {
			item.StopDate = epochPtr(e.StoppedAt)
		}
		out.Executions = append(out.Executions, item)
	}
	if next != "" {
		out.NextToken = s.encodeToken(pageToken{Op: op, Scope: scope, Cursor: next})
	}
	return out, nil
}

type historyOutput struct {
	Events    []json.RawMessage `json:"events"`
	NextToken string            `json:"nextToken,omitempty"`
}

func (s *server) getExecutionHistory(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("executionArn", arnStr.req())
	n, nGiven := in.integer("maxResults", 0, maxPageSize)
	reverse, _ := in.boolean("reverseOrder")
	tok, tokGiven := in.str("nextToken", pageTokenStr)
	includeData, includeGiven := in.boolean("includeExecutionData")
	if err := in.r.check(); err != nil {
		return nil, err
	}
	if !includeGiven {
		includeData = true
	}
	rec, err := s.lookupExecution(c, arnText)
	var kid *store.MapRunExecution
	if aerr, ok := err.(*apiError); ok && aerr.name == errExecDoesNotExist && c.ownExecution(arnText) == nil {
		// A Map Run's child: its history is rebuilt from its parent's.
		k, gerr := s.st.GetMapRunExecution(c.ctx, arnText)
		if gerr == nil {
			kid, err = k, nil
			rec = &store.Execution{Arn: k.Arn}
		} else if !isNotFound(gerr) {
			return nil, gerr
		}
	}
	if err != nil {
		return nil, err
	}
	const op = "GetExecutionHistory"
	scope := scopeOf(rec.Arn, strconv.FormatBool(reverse))
	var after int64
	if tokGiven {
		t, err := s.decodeToken(tok, op, scope)
		if err != nil {
			return nil, err
		}
		after = t.After
	}
	limit := pageSize(n, nGiven)
	var events []store.Event
	if kid != nil {
		events, err = s.mapRunChildHistory(c, kid, after, reverse, limit+1)
	} else {
		events, err = s.st.History(c.ctx, store.HistoryParams{ExecutionArn: rec.Arn, AfterID: after, Reverse: reverse, Limit: limit + 1})
	}
	if err != nil {
		return nil, err
	}
	out := &historyOutput{Events: make([]json.RawMessage, 0, min(len(events), limit))}
	more := len(events) > limit
	if more {
		events = events[:limit]
	}
	for _, ev := range events {
		body := json.RawMessage(ev.Body)
		if !includeData {
			body = withoutData(body)
		}
		out.Events = append(out.Events, body)
	}
	if more {
		out.NextToken = s.encodeToken(pageToken{Op: op, Scope: scope, After: events[len(events)-1].ID})
	}
	return out, nil
}

// withoutData drops the execution data (input and output) from an event's
// details, leaving its metadata.
func withoutData(body []byte) json.RawMessage {
	var ev map[string]json.RawMessage
	if json.Unmarshal(body, &ev) != nil {
		return body
	}
	changed := false
	for k, v := range ev {
		if !strings.HasSuffix(k, "EventDetails") {
			continue
		}
		var d map[string]json.RawMessage
		if json.Unmarshal(v, &d) != nil {
			continue
		}
		for _, field := range []string{"input", "output"} {
			if _, ok := d[field]; ok {
				delete(d, field)
				changed = true
			}
		}
		ev[k] = marshalRaw(d)
	}
	if !changed {
		return body
	}
	return marshalRaw(ev)
}

func marshalRaw(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimRight(buf.Bytes(), "\n")
}
