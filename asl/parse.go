package asl

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/statecraft/statecraft/asl/jsonpath"
	"github.com/statecraft/statecraft/jsonv"
)

// ParseError is a definition that could not be built into typed states.
// Validate gives the full list of problems; Parse stops at the first.
type ParseError struct {
	Pointer string
	Message string
}

func (e *ParseError) Error() string {
	p := e.Pointer
	if p == "" {
		p = "/"
	}
	return p + ": " + e.Message
}

// Parse builds the typed form of a definition. It assumes nothing about the
// document and fails cleanly on anything it cannot build, but it is not a
// validator: run Validate first to report every problem to a user.
func Parse(doc []byte) (*StateMachine, error) {
	v, err := jsonv.Parse(doc)
	if err != nil {
		return nil, &ParseError{Message: "definition is not valid JSON: " + err.Error()}
	}
	obj, ok := v.(*jsonv.Object)
	if !ok {
		return nil, &ParseError{Message: "definition must be a JSON object"}
	}
	p := &parser{top: JSONPath}
	if ql, ok := obj.Value("QueryLanguage").(string); ok {
		p.top = ql
	}
	sm := p.machine(obj, "", p.top)
	if p.err != nil {
		return nil, p.err
	}
	return sm, nil
}

type parser struct {
	err *ParseError
	// top is the machine's QueryLanguage: a state that names none uses it,
	// even inside a Parallel or Map state of the other language.
	top string
}

func (p *parser) fail(ptr, format string, args ...any) {
	if p.err == nil {
		p.err = &ParseError{Pointer: ptr, Message: fmt.Sprintf(format, args...)}
	}
}

func escape(s string) string {
	s = strings.ReplaceAll(s, "~", "~0")
	return strings.ReplaceAll(s, "/", "~1")
}

func (p *parser) machine(obj *jsonv.Object, ptr, lang string) *StateMachine {
	sm := &StateMachine{Pointer: ptr, QueryLanguage: lang, States: map[string]*State{}}
	sm.Comment, _ = obj.Value("Comment").(string)
	if ql, ok := obj.Value("QueryLanguage").(string); ok {
		sm.QueryLanguage = ql
	}
	sm.StartAt = p.str(obj, "StartAt", ptr, true)
	if t, ok := obj.Get("TimeoutSeconds"); ok {
		sm.TimeoutSeconds = p.integer(t, ptr+"/TimeoutSeconds")
	}
	states, ok := obj.Value("States").(*jsonv.Object)
	if !ok {
		p.fail(ptr+"/States", "States must be an object")
		return sm
	}
	for name, raw := range states.All() {
		sptr := ptr + "/States/" + escape(name)
		so, ok := raw.(*jsonv.Object)
		if !ok {
			p.fail(sptr, "state must be an object")
			continue
		}
		sm.States[name] = p.state(name, so, sptr, sm.QueryLanguage)
	}
	if _, ok := sm.States[sm.StartAt]; !ok && p.err == nil {
		p.fail(ptr+"/StartAt", "StartAt names no state: %q", sm.StartAt)
	}
	resolve(sm)
	return sm
}

// resolve points every transition of sm's states at its target state, so
// that running a transition costs no map lookup.
func resolve(sm *StateMachine) {
	sm.Start = sm.States[sm.StartAt]
	for _, s := range sm.States {
		if s.Next != "" {
			s.NextState = sm.States[s.Next]
		}
		if s.Default != "" {
			s.DefaultState = sm.States[s.Default]
		}
		for _, r := range s.Choices {
			if r.Next != "" {
				r.NextState = sm.States[r.Next]
			}
		}
		for _, c := range s.Catch {
			if c.Next != "" {
				c.NextState = sm.States[c.Next]
			}
		}
	}
}

func (p *parser) str(obj *jsonv.Object, key, ptr string, required bool) string {
	v, ok := obj.Get(key)
	if !ok {
		if required {
			p.fail(ptr, "missing required field '%s'", key)
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.fail(ptr+"/"+key, "'%s' must be a string", key)
	}
	return s
}

func (p *parser) integer(v any, ptr string) int64 {
	i, ok := jsonv.Integer(v)
	if !ok {
		p.fail(ptr, "must be an integer")
	}
	return i
}

func (p *parser) path(v any, ptr string) *jsonpath.Path {
	s, ok := v.(string)
	if !ok {
		p.fail(ptr, "must be a path string")
		return nil
	}
	path, err := jsonpath.Parse(s)
	if err != nil {
		p.fail(ptr, "%v", err)
		return nil
	}
	return path
}

func (p *parser) ioPath(obj *jsonv.Object, key, ptr string) IOPath {
	v, ok := obj.Get(key)
	if !ok {
		return IOPath{}
	}
	if v == nil {
		return IOPath{Set: true, Null: true}
	}
	return IOPath{Set: true, Path: p.path(v, ptr+"/"+key)}
}

func (p *parser) template(obj *jsonv.Object, key, ptr string) *jsonpath.Template {
	v, ok := obj.Get(key)
	if !ok {
		return nil
	}
	t, err := jsonpath.CompileTemplate(v)
	if err != nil {
		var te *jsonpath.TemplateError
		if errors.As(err, &te) {
			p.fail(ptr+"/"+key, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", te.Field)
		} else {
			p.fail(ptr+"/"+key, "%v", err)
		}
		return nil
	}
	return t
}

func (p *parser) state(name string, obj *jsonv.Object, ptr, lang string) *State {
	s := &State{Name: name, Pointer: ptr, Raw: obj}
	s.Type = p.str(obj, "Type", ptr, true)
	s.Comment, _ = obj.Value("Comment").(string)
	s.QueryLanguage = lang
	if ql, ok := obj.Value("QueryLanguage").(string); ok {
		s.QueryLanguage = ql
	}
	s.Next, _ = obj.Value("Next").(string)
	s.End, _ = obj.Value("End").(bool)
	if s.QueryLanguage == JSONata {
		p.jsonataState(s, obj, ptr)
		return s
	}
	s.InputPath = p.ioPath(obj, "InputPath", ptr)
	s.OutputPath = p.ioPath(obj, "OutputPath", ptr)
	s.ResultPath = p.ioPath(obj, "ResultPath", ptr)
	if s.ResultPath.Path != nil && !s.ResultPath.Path.IsReference() {
		p.fail(ptr+"/ResultPath", "ResultPath must be a reference path")
	}
	s.Parameters = p.template(obj, "Parameters", ptr)
	s.ResultSelector = p.template(obj, "ResultSelector", ptr)
	s.Assign = p.template(obj, "Assign", ptr)
	s.Result, s.HasResult = obj.Get("Result")
	if s.HasResult {
		s.ResultSize = jsonv.Size(s.Result, 0)
	}

	switch s.Type {
	case TypeTask:
		s.Resource = p.str(obj, "Resource", ptr, true)
		if v, ok := obj.Get("TimeoutSeconds"); ok {
			s.TimeoutSeconds = p.integer(v, ptr+"/TimeoutSeconds")
		}
		if v, ok := obj.Get("TimeoutSecondsPath"); ok {
			s.TimeoutSecondsPath = p.path(v, ptr+"/TimeoutSecondsPath")
		}
		if v, ok := obj.Get("HeartbeatSeconds"); ok {
			s.HeartbeatSeconds = p.integer(v, ptr+"/HeartbeatSeconds")
		}
		if v, ok := obj.Get("HeartbeatSecondsPath"); ok {
			s.HeartbeatSecondsPath = p.path(v, ptr+"/HeartbeatSecondsPath")
		}
		s.Credentials = p.template(obj, "Credentials", ptr)
		p.retryCatch(s, obj, ptr)
	case TypeParallel:
		p.retryCatch(s, obj, ptr)
		branches, _ := obj.Value("Branches").([]any)
		if len(branches) == 0 {
			p.fail(ptr+"/Branches", "Parallel state needs a non-empty Branches array")
		}
		for i, b := range branches {
			bo, ok := b.(*jsonv.Object)
			if !ok {
				p.fail(fmt.Sprintf("%s/Branches/%d", ptr, i), "branch must be an object")
				continue
			}
			s.Branches = append(s.Branches, p.machine(bo, fmt.Sprintf("%s/Branches/%d", ptr, i), p.top))
		}
	case TypeMap:
		p.retryCatch(s, obj, ptr)
		p.mapFields(s, obj, ptr)
	case TypeChoice:
		s.Default, _ = obj.Value("Default").(string)
		rules, _ := obj.Value("Choices").([]any)
		if len(rules) == 0 {
			p.fail(ptr+"/Choices", "Choice state needs a non-empty Choices array")
		}
		for i, r := range rules {
			s.Choices = append(s.Choices, p.rule(r, fmt.Sprintf("%s/Choices/%d", ptr, i), true))
		}
	case TypeWait:
		if v, ok := obj.Get("Seconds"); ok {
			s.Seconds, s.HasSeconds = p.integer(v, ptr+"/Seconds"), true
		}
		if v, ok := obj.Get("Timestamp"); ok {
			ts, _ := v.(string)
			t, ok := ParseTimestamp(ts)
			if !ok {
				p.fail(ptr+"/Timestamp", "String does not match RFC3339 timestamp")
			}
			s.Timestamp, s.HasTimestamp = t, true
		}
		if v, ok := obj.Get("SecondsPath"); ok {
			s.SecondsPath = p.path(v, ptr+"/SecondsPath")
		}
		if v, ok := obj.Get("TimestampPath"); ok {
			s.TimestampPath = p.path(v, ptr+"/TimestampPath")
		}
	case TypeFail:
		s.Error, s.HasError = obj.Value("Error").(string)
		s.Cause, s.HasCause = obj.Value("Cause").(string)
		s.ErrorPath = p.expr(obj, "ErrorPath", ptr)
		s.CausePath = p.expr(obj, "CausePath", ptr)
	case TypePass, TypeSucceed:
	default:
		p.fail(ptr+"/Type", "unknown state type %q", s.Type)
	}
	return s
}

func (p *parser) expr(obj *jsonv.Object, key, ptr string) *jsonpath.Expr {
	v, ok := obj.Get(key)
	if !ok {
		return nil
	}
	str, ok := v.(string)
	if !ok {
		p.fail(ptr+"/"+key, "must be a string")
		return nil
	}
	e, err := jsonpath.ParseExpr(str)
	if err != nil {
		p.fail(ptr+"/"+key, "%v", err)
		return nil
	}
	return e
}

// query compiles a JSONata field of obj, nil when absent.
func (p *parser) query(obj *jsonv.Object, key, ptr string) *Query {
	return p.queryAt(obj, key, ptr, key)
}

// queryAt is query for a field that errors name by location.
func (p *parser) queryAt(obj *jsonv.Object, key, ptr, location string) *Query {
	v, ok := obj.Get(key)
	if !ok {
		return nil
	}
	q, err := CompileQuery(v, location)
	if err != nil {
		p.fail(ptr+"/"+key, "%v", err)
		return nil
	}
	return q
}

// jsonataState parses a state whose QueryLanguage is JSONata: its
// structure as for JSONPath, its data fields compiled as queries.
func (p *parser) jsonataState(s *State, obj *jsonv.Object, ptr string) {
	j := &JSONataFields{}
	s.JSONata = j
	j.Output = p.query(obj, "Output", ptr)
	j.Assign = p.query(obj, "Assign", ptr)
	switch s.Type {
	case TypeTask:
		s.Resource = p.str(obj, "Resource", ptr, true)
		j.Arguments = p.query(obj, "Arguments", ptr)
		j.TimeoutSeconds = p.query(obj, "TimeoutSeconds", ptr)
		j.HeartbeatSeconds = p.query(obj, "HeartbeatSeconds", ptr)
		j.Credentials = p.query(obj, "Credentials", ptr)
		p.retryCatch(s, obj, ptr)
	case TypeParallel:
		j.Arguments = p.query(obj, "Arguments", ptr)
		p.retryCatch(s, obj, ptr)
		branches, _ := obj.Value("Branches").([]any)
		if len(branches) == 0 {
			p.fail(ptr+"/Branches", "Parallel state needs a non-empty Branches array")
		}
		for i, b := range branches {
			bo, ok := b.(*jsonv.Object)
			if !ok {
				p.fail(fmt.Sprintf("%s/Branches/%d", ptr, i), "branch must be an object")
				continue
			}
			s.Branches = append(s.Branches, p.machine(bo, fmt.Sprintf("%s/Branches/%d", ptr, i), p.top))
		}
	case TypeMap:
		p.retryCatch(s, obj, ptr)
		j.Items = p.query(obj, "Items", ptr)
		j.ItemSelector = p.query(obj, "ItemSelector", ptr)
		j.MaxConcurrency = p.query(obj, "MaxConcurrency", ptr)
		j.ToleratedFailureCount = p.query(obj, "ToleratedFailureCount", ptr)
		j.ToleratedFailurePercentage = p.query(obj, "ToleratedFailurePercentage", ptr)
		key := "ItemProcessor"
		po, ok := obj.Value(key).(*jsonv.Object)
		if !ok {
			key = "Iterator"
			po, ok = obj.Value(key).(*jsonv.Object)
		}
		if !ok {
			p.fail(ptr, "Map state needs an ItemProcessor")
			return
		}
		s.Processor = p.machine(po, ptr+"/"+key, p.top)
		if pc, ok := po.Value("ProcessorConfig").(*jsonv.Object); ok {
			s.Distributed = pc.Value("Mode") == "DISTRIBUTED"
			s.ExpressChildren = s.Distributed && pc.Value("ExecutionType") == "EXPRESS"
		}
		s.Label, _ = obj.Value("Label").(string)
		s.ItemBatcher = p.itemBatcher(obj, ptr, true)
		s.ItemReader = p.itemReader(obj, ptr, true)
		s.ResultWriter = p.resultWriter(obj, ptr, true)
	case TypeChoice:
		s.Default, _ = obj.Value("Default").(string)
		rules, _ := obj.Value("Choices").([]any)
		if len(rules) == 0 {
			p.fail(ptr+"/Choices", "Choice state needs a non-empty Choices array")
		}
		for i, r := range rules {
			rp := fmt.Sprintf("%s/Choices/%d", ptr, i)
			ro, ok := r.(*jsonv.Object)
			if !ok {
				p.fail(rp, "choice rule must be an object")
				continue
			}
			rule := &ChoiceRule{Condition: ro.Value("Condition")}
			rule.Next, _ = ro.Value("Next").(string)
			rule.ConditionQuery = p.query(ro, "Condition", rp)
			if rule.ConditionQuery == nil && p.err == nil {
				p.fail(rp, "a JSONata Choice rule needs a Condition")
			}
			rule.OutputQuery = p.query(ro, "Output", rp)
			rule.AssignQuery = p.query(ro, "Assign", rp)
			s.Choices = append(s.Choices, rule)
		}
	case TypeWait:
		j.Seconds = p.query(obj, "Seconds", ptr)
		j.Timestamp = p.query(obj, "Timestamp", ptr)
	case TypeFail:
		j.Error = p.query(obj, "Error", ptr)
		j.Cause = p.query(obj, "Cause", ptr)
	case TypePass, TypeSucceed:
	default:
		p.fail(ptr+"/Type", "unknown state type %q", s.Type)
	}
}

func (p *parser) retryCatch(s *State, obj *jsonv.Object, ptr string) {
	if rs, ok := obj.Value("Retry").([]any); ok {
		for i, r := range rs {
			rp := fmt.Sprintf("%s/Retry/%d", ptr, i)
			ro, ok := r.(*jsonv.Object)
			if !ok {
				p.fail(rp, "retrier must be an object")
				continue
			}
			rt := &Retrier{IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2.0}
			rt.ErrorEquals = p.strings(ro.Value("ErrorEquals"), rp+"/ErrorEquals")
			if v, ok := ro.Get("IntervalSeconds"); ok {
				rt.IntervalSeconds = p.integer(v, rp+"/IntervalSeconds")
			}
			if v, ok := ro.Get("MaxAttempts"); ok {
				rt.MaxAttempts = p.integer(v, rp+"/MaxAttempts")
			}
			if v, ok := ro.Get("BackoffRate"); ok {
				f, ok := jsonv.Number(v)
				if !ok || f < 1 || math.IsNaN(f) {
					p.fail(rp+"/BackoffRate", "BackoffRate must be a number >= 1.0")
				}
				rt.BackoffRate = f
			}
			if v, ok := ro.Get("MaxDelaySeconds"); ok {
				rt.MaxDelaySeconds = p.integer(v, rp+"/MaxDelaySeconds")
			}
			rt.JitterFull = ro.Value("JitterStrategy") == "FULL"
			s.Retry = append(s.Retry, rt)
		}
	}
	if cs, ok := obj.Value("Catch").([]any); ok {
		for i, c := range cs {
			cp := fmt.Sprintf("%s/Catch/%d", ptr, i)
			co, ok := c.(*jsonv.Object)
			if !ok {
				p.fail(cp, "catcher must be an object")
				continue
			}
			ct := &Catcher{}
			ct.ErrorEquals = p.strings(co.Value("ErrorEquals"), cp+"/ErrorEquals")
			ct.Next = p.str(co, "Next", cp, true)
			if s.QueryLanguage == JSONata {
				ct.Output = co.Value("Output")
				ct.OutputQuery = p.query(co, "Output", cp)
				ct.AssignQuery = p.query(co, "Assign", cp)
			} else {
				ct.ResultPath = p.ioPath(co, "ResultPath", cp)
				ct.Assign = p.template(co, "Assign", cp)
			}
			s.Catch = append(s.Catch, ct)
		}
	}
}

func (p *parser) strings(v any, ptr string) []string {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		p.fail(ptr, "must be a non-empty array of strings")
		return nil
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			p.fail(ptr, "must be a non-empty array of strings")
			return nil
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) mapFields(s *State, obj *jsonv.Object, ptr string) {
	s.ItemsPath = p.ioPath(obj, "ItemsPath", ptr)
	s.ItemSelector = p.template(obj, "ItemSelector", ptr)
	if s.ItemSelector == nil {
		// Legacy maps use Parameters for what ItemSelector now does.
		s.ItemSelector = s.Parameters
		s.Parameters = nil
	}
	key := "ItemProcessor"
	po, ok := obj.Value(key).(*jsonv.Object)
	if !ok {
		key = "Iterator"
		po, ok = obj.Value(key).(*jsonv.Object)
	}
	if !ok {
		p.fail(ptr, "Map state needs an ItemProcessor")
		return
	}
	s.Processor = p.machine(po, ptr+"/"+key, p.top)
	if pc, ok := po.Value("ProcessorConfig").(*jsonv.Object); ok {
		s.Distributed = pc.Value("Mode") == "DISTRIBUTED"
		s.ExpressChildren = s.Distributed && pc.Value("ExecutionType") == "EXPRESS"
	}
	if v, ok := obj.Get("MaxConcurrency"); ok {
		s.MaxConcurrency = p.integer(v, ptr+"/MaxConcurrency")
	}
	if v, ok := obj.Get("MaxConcurrencyPath"); ok {
		s.MaxConcurrencyPath = p.path(v, ptr+"/MaxConcurrencyPath")
	}
	if v, ok := obj.Get("ToleratedFailureCount"); ok {
		s.ToleratedFailureCount, s.HasToleratedFailureCount = p.integer(v, ptr+"/ToleratedFailureCount"), true
	}
	if v, ok := obj.Get("ToleratedFailureCountPath"); ok {
		s.ToleratedFailureCountPath = p.path(v, ptr+"/ToleratedFailureCountPath")
	}
	if v, ok := obj.Get("ToleratedFailurePercentage"); ok {
		f, ok := jsonv.Number(v)
		if !ok {
			p.fail(ptr+"/ToleratedFailurePercentage", "must be a number")
		}
		s.ToleratedFailurePercentage, s.HasToleratedFailurePercentage = f, true
	}
	if v, ok := obj.Get("ToleratedFailurePercentagePath"); ok {
		s.ToleratedFailurePercentagePath = p.path(v, ptr+"/ToleratedFailurePercentagePath")
	}
	s.Label, _ = obj.Value("Label").(string)
	s.ItemBatcher = p.itemBatcher(obj, ptr, false)
	s.ItemReader = p.itemReader(obj, ptr, false)
	s.ResultWriter = p.resultWriter(obj, ptr, false)
}

// resultWriter parses a Map's ResultWriter, nil when absent. Validation
// has checked its fields.
func (p *parser) resultWriter(obj *jsonv.Object, ptr string, jsonata bool) *ResultWriter {
	raw, ok := obj.Get("ResultWriter")
	if !ok {
		return nil
	}
	ptr += "/ResultWriter"
	ro, ok := raw.(*jsonv.Object)
	if !ok {
		p.fail(ptr, "ResultWriter must be an object")
		return nil
	}
	w := &ResultWriter{}
	w.Resource, _ = ro.Value("Resource").(string)
	cfg, _ := ro.Value("WriterConfig").(*jsonv.Object)
	w.Transformation, _ = cfg.Value("Transformation").(string)
	w.OutputType, _ = cfg.Value("OutputType").(string)
	if jsonata {
		w.ArgumentsQuery = p.queryAt(ro, "Arguments", ptr, "ResultWriter/Arguments")
	} else {
		w.Parameters = p.template(ro, "Parameters", ptr)
	}
	return w
}

// itemReader parses a Map's ItemReader, nil when absent. Validation has
// checked its fields; JSONata expressions are located as
// "ItemReader/<field>".
func (p *parser) itemReader(obj *jsonv.Object, ptr string, jsonata bool) *ItemReader {
	raw, ok := obj.Get("ItemReader")
	if !ok {
		return nil
	}
	ptr += "/ItemReader"
	ro, ok := raw.(*jsonv.Object)
	if !ok {
		p.fail(ptr, "ItemReader must be an object")
		return nil
	}
	r := &ItemReader{}
	r.Resource, _ = ro.Value("Resource").(string)
	cfg, _ := ro.Value("ReaderConfig").(*jsonv.Object)
	r.InputType, _ = cfg.Value("InputType").(string)
	r.CSVHeaderLocation, _ = cfg.Value("CSVHeaderLocation").(string)
	r.CSVDelimiter, _ = cfg.Value("CSVDelimiter").(string)
	r.ManifestType, _ = cfg.Value("ManifestType").(string)
	if hs, ok := cfg.Value("CSVHeaders").([]any); ok {
		for _, h := range hs {
			s, _ := h.(string)
			r.CSVHeaders = append(r.CSVHeaders, s)
		}
	}
	if jsonata {
		r.ArgumentsQuery = p.queryAt(ro, "Arguments", ptr, "ItemReader/Arguments")
		if cfg != nil {
			r.MaxItemsQuery = p.queryAt(cfg, "MaxItems", ptr+"/ReaderConfig", "ItemReader/ReaderConfig/MaxItems")
		}
		return r
	}
	r.Parameters = p.template(ro, "Parameters", ptr)
	if v, ok := cfg.Get("MaxItems"); ok {
		r.MaxItems = p.integer(v, ptr+"/ReaderConfig/MaxItems")
	}
	if v, ok := cfg.Get("MaxItemsPath"); ok {
		r.MaxItemsPath = p.path(v, ptr+"/ReaderConfig/MaxItemsPath")
	}
	return r
}

// itemBatcher parses a Map's ItemBatcher, nil when absent. JSONata
// expressions are located as "ItemBatcher/<field>", the way nested fields
// of Output and Arguments are.
func (p *parser) itemBatcher(obj *jsonv.Object, ptr string, jsonata bool) *ItemBatcher {
	raw, ok := obj.Get("ItemBatcher")
	if !ok {
		return nil
	}
	ptr += "/ItemBatcher"
	bo, ok := raw.(*jsonv.Object)
	if !ok {
		p.fail(ptr, "ItemBatcher must be an object")
		return nil
	}
	b := &ItemBatcher{}
	if jsonata {
		b.MaxItemsPerBatchQuery = p.queryAt(bo, "MaxItemsPerBatch", ptr, "ItemBatcher/MaxItemsPerBatch")
		b.MaxInputBytesPerBatchQuery = p.queryAt(bo, "MaxInputBytesPerBatch", ptr, "ItemBatcher/MaxInputBytesPerBatch")
		b.BatchInputQuery = p.queryAt(bo, "BatchInput", ptr, "ItemBatcher/BatchInput")
		return b
	}
	if v, ok := bo.Get("MaxItemsPerBatch"); ok {
		b.MaxItemsPerBatch = p.integer(v, ptr+"/MaxItemsPerBatch")
	}
	if v, ok := bo.Get("MaxItemsPerBatchPath"); ok {
		b.MaxItemsPerBatchPath = p.path(v, ptr+"/MaxItemsPerBatchPath")
	}
	if v, ok := bo.Get("MaxInputBytesPerBatch"); ok {
		b.MaxInputBytesPerBatch = p.integer(v, ptr+"/MaxInputBytesPerBatch")
	}
	if v, ok := bo.Get("MaxInputBytesPerBatchPath"); ok {
		b.MaxInputBytesPerBatchPath = p.path(v, ptr+"/MaxInputBytesPerBatchPath")
	}
	b.BatchInput = p.template(bo, "BatchInput", ptr)
	return b
}

func (p *parser) rule(v any, ptr string, top bool) *ChoiceRule {
	obj, ok := v.(*jsonv.Object)
	if !ok {
		p.fail(ptr, "choice rule must be an object")
		return &ChoiceRule{}
	}
	r := &ChoiceRule{}
	if top {
		r.Next, _ = obj.Value("Next").(string)
		r.Assign = p.template(obj, "Assign", ptr)
	}
	r.Condition = obj.Value("Condition")
	if v, ok := obj.Get("Variable"); ok {
		r.Variable = p.path(v, ptr+"/Variable")
	}
	for key, val := range obj.All() {
		name := key
		isPath := false
		op, ok := OpNames[name]
		if !ok && strings.HasSuffix(key, "Path") {
			name = strings.TrimSuffix(key, "Path")
			op, ok = OpNames[name]
			isPath = ok
		}
		if !ok {
			continue
		}
		if r.Op != OpNone {
			p.fail(ptr, "choice rule has more than one comparison operator")
			return r
		}
		r.Op = op
		kp := ptr + "/" + key
		switch {
		case op == OpAnd || op == OpOr:
			arr, _ := val.([]any)
			if len(arr) == 0 {
				p.fail(kp, "%s needs a non-empty array of rules", key)
			}
			for i, c := range arr {
				r.Children = append(r.Children, p.rule(c, fmt.Sprintf("%s/%d", kp, i), false))
			}
		case op == OpNot:
			r.Children = []*ChoiceRule{p.rule(val, kp, false)}
		case isPath:
			r.ValuePath = p.path(val, kp)
		default:
			r.Value = val
			switch op {
			case OpStringMatches:
				s, _ := val.(string)
				pat, err := CompilePattern(s)
				if err != nil {
					p.fail(kp, "invalid pattern: %v", err)
				}
				r.Pattern = pat
			case OpTimestampEquals, OpTimestampLessThan, OpTimestampGreaterThan, OpTimestampLessThanEquals, OpTimestampGreaterThanEquals:
				s, _ := val.(string)
				t, ok := ParseTimestamp(s)
				if !ok {
					p.fail(kp, "String does not match RFC3339 timestamp")
				}
				r.Time = t
			}
		}
	}
	if r.Op == OpNone && r.Condition == nil {
		p.fail(ptr, "choice rule has no comparison operator")
	}
	if r.Op != OpNone && r.Op != OpAnd && r.Op != OpOr && r.Op != OpNot && r.Variable == nil {
		p.fail(ptr, "choice rule needs a Variable")
	}
	return r
}
