// Package mocks reads AWS Step Functions Local's mock configuration file
// ("Using mocked service integrations for testing in Step Functions Local")
// and serves the mocked responses of one test case to an execution.
//
// The format, as AWS documents it:
//
//	{
//	  "StateMachines": {
//	    "<StateMachineName>": {
//	      "TestCases": {
//	        "<TestCaseName>": { "<TaskStateName>": "<MockedResponseName>", ... }
//	      }
//	    }
//	  },
//	  "MockedResponses": {
//	    "<MockedResponseName>": {
//	      "0":   { "Return": <any JSON> },
//	      "1-2": { "Throw": { "Error": "...", "Cause": "..." } }
//	    }
//	  }
//	}
//
// Rules taken from AWS's page:
//   - the top-level fields are StateMachines and MockedResponses; each state
//     machine is an object with the single field TestCases;
//   - a test case maps Task state names to mocked response names;
//   - invocation keys are zero-based invocation numbers of the state, either
//     an integer string ("0") or an inclusive range ("1-2"); every attempt,
//     retries included, is one invocation, and the numbers must be
//     consecutive;
//   - each invocation entry holds a single field, Return or Throw; Throw is
//     an object with string fields Error and Cause;
//   - a mocked Task needs a response for every invocation: when it runs past
//     the last one the execution fails (Next returns an error);
//   - states inside Map iterations are mocked by name, and the invocation
//     count of a state is shared by all its runs in the execution (AWS
//     recommends MaxConcurrency 1 for predictable order).
//
// Where AWS is silent this package refuses rather than guesses: unknown
// fields, duplicate object keys, overlapping ranges, ranges that do not start
// at 0 or leave gaps, reversed ranges, and test cases naming undefined
// mocked responses are all errors that name the offending key.
package mocks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/statecraft/statecraft/jsonv"
)

// Top-level and nested field names of the format.
const (
	fieldStateMachines   = "StateMachines"
	fieldMockedResponses = "MockedResponses"
	fieldTestCases       = "TestCases"
	fieldReturn          = "Return"
	fieldThrow           = "Throw"
	fieldError           = "Error"
	fieldCause           = "Cause"
)

// Config is a parsed and validated mock configuration file.
type Config struct {
	machines  map[string]map[string]map[string]string // state machine -> test case -> state -> response name
	responses map[string]*MockedResponse
}

// Response is one mocked invocation result: Throw is nil for a successful
// result, whose value is Return (a jsonv value: *jsonv.Object, []any,
// string, int64, float64, bool or nil). Return is shared by every invocation
// that uses the entry, so, as everywhere in jsonv, it must not be modified.
// It is used exactly as written: for "arn:aws:states:::lambda:invoke" AWS's
// examples mock the whole Invoke response (StatusCode, Payload); selecting
// from it is the state's business (ResultSelector/ResultPath), not this
// package's.
type Response struct {
	Return any
	Throw  *Throw
}

// Throw is a mocked task failure.
type Throw struct {
	Error string
	Cause string
}

// Range is one invocation key of a mocked response: invocations From to To
// inclusive (From == To for a single key such as "0").
type Range struct {
	Key      string // the key as written in the file
	From, To int
	Response Response
}

// MockedResponse is one named entry of MockedResponses, its ranges sorted
// and contiguous from invocation 0.
type MockedResponse struct {
	Name   string
	Ranges []Range
}

// Invocations returns how many invocations the response defines.
func (m *MockedResponse) Invocations() int {
	return m.Ranges[len(m.Ranges)-1].To + 1
}

// Lookup returns the response for the zero-based invocation n.
func (m *MockedResponse) Lookup(n int) (Response, bool) {
	i := sort.Search(len(m.Ranges), func(i int) bool { return m.Ranges[i].To >= n })
	if n < 0 || i == len(m.Ranges) || m.Ranges[i].From > n {
		return Response{}, false
	}
	return m.Ranges[i].Response, true
}

// Load reads and validates the mock configuration file at path. Errors are
// prefixed with the path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mocks: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		var perr *Error
		if errors.As(err, &perr) {
			perr.File = path
			return nil, perr
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Error is a mock configuration that failed to decode or validate. Each
// problem starts with the dotted path of the key at fault.
type Error struct {
	File     string // set by Load
	Problems []string
}

// Error prints one problem per line, each prefixed with the file name (or
// "mocks" when parsed from memory).
func (e *Error) Error() string {
	prefix := "mocks: "
	if e.File != "" {
		prefix = e.File + ": "
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = prefix + p
	}
	return strings.Join(lines, "\n")
}

// Parse decodes and validates a mock configuration. Every problem found is
// reported in an *Error, each prefixed with the dotted path of the key at
// fault, e.g. `MockedResponses.welcomeFails."1-x": invalid invocation range`.
func Parse(data []byte) (*Config, error) {
	doc, err := jsonv.Parse(data)
	if err != nil {
		return nil, &Error{Problems: []string{"invalid JSON: " + err.Error()}}
	}
	if err := checkDuplicateKeys(data); err != nil {
		return nil, &Error{Problems: []string{err.Error()}}
	}
	p := &parser{cfg: &Config{
		machines:  map[string]map[string]map[string]string{},
		responses: map[string]*MockedResponse{},
	}}
	p.document(doc)
	if len(p.errs) > 0 {
		return nil, &Error{Problems: p.errs}
	}
	return p.cfg, nil
}

// StateMachines returns the state machine names, sorted.
func (c *Config) StateMachines() []string {
	return sortedKeys(c.machines)
}

// TestCases returns the test case names of a state machine, sorted ("" picks
// the only state machine as in TestCase).
func (c *Config) TestCases(stateMachine string) ([]string, error) {
	_, cases, err := c.machine(stateMachine)
	if err != nil {
		return nil, err
	}
	return sortedKeys(cases), nil
}

// MockedResponse returns the named entry of MockedResponses.
func (c *Config) MockedResponse(name string) (*MockedResponse, bool) {
	m, ok := c.responses[name]
	return m, ok
}

func (c *Config) machine(stateMachine string) (string, map[string]map[string]string, error) {
	if stateMachine == "" {
		switch len(c.machines) {
		case 1:
			for name, cases := range c.machines {
				return name, cases, nil
			}
		case 0:
			return "", nil, errors.New("mocks: the mock config defines no state machines")
		default:
			return "", nil, fmt.Errorf("mocks: the mock config defines %d state machines, name one: %s",
				len(c.machines), quoteList(c.StateMachines()))
		}
	}
	cases, ok := c.machines[stateMachine]
	if !ok {
		return "", nil, fmt.Errorf("mocks: state machine %q is not in the mock config's StateMachines (available: %s)",
			stateMachine, quoteList(c.StateMachines()))
	}
	return stateMachine, cases, nil
}

// TestCase returns a fresh test case, with its own invocation counters, for
// one execution of stateMachine. An empty stateMachine selects the only
// state machine of the file.
func (c *Config) TestCase(stateMachine, testCase string) (*TestCase, error) {
	name, cases, err := c.machine(stateMachine)
	if err != nil {
		return nil, err
	}
	states, ok := cases[testCase]
	if !ok {
		what := fmt.Sprintf("test case %q is not defined", testCase)
		if testCase == "" {
			what = "a test case name is required"
		}
		return nil, fmt.Errorf("mocks: %s for state machine %q (available: %s)",
			what, name, quoteList(sortedKeys(cases)))
	}
	t := &TestCase{
		StateMachine: name,
		Name:         testCase,
		states:       make(map[string]*MockedResponse, len(states)),
		counts:       map[string]int{},
	}
	for state, resp := range states {
		t.states[state] = c.responses[resp]
	}
	return t, nil
}

// TestCase holds the mocked states of one test case and per-state
// invocation counters for ONE execution. It is safe for concurrent use
// (Map and Parallel run states concurrently).
type TestCase struct {
	StateMachine string
	Name         string

	states map[string]*MockedResponse

	mu     sync.Mutex
	counts map[string]int
}

// Next returns the response for the next invocation of the named state
// (retries count as invocations). ok is false when the test case does not
// mock the state; err is set when the state is mocked but its mocked
// response defines no entry for this invocation number, which AWS Step
// Functions Local treats as an execution failure.
func (t *TestCase) Next(stateName string) (resp Response, ok bool, err error) {
	m, mocked := t.states[stateName]
	if !mocked {
		return Response{}, false, nil
	}
	t.mu.Lock()
	n := t.counts[stateName]
	t.counts[stateName] = n + 1
	t.mu.Unlock()
	r, found := m.Lookup(n)
	if !found {
		defined := "only invocation 0"
		if last := m.Invocations() - 1; last > 0 {
			defined = fmt.Sprintf("only invocations 0-%d", last)
		}
		return Response{}, true, fmt.Errorf(
			"mocks: test case %q: state %q: no mocked response for invocation %d: MockedResponses.%s defines %s (a mocked Task needs a response for every invocation, retries included)",
			t.Name, stateName, n, segment(m.Name), defined)
	}
	return r, true, nil
}

// States returns the names of the states the test case mocks, sorted.
func (t *TestCase) States() []string {
	return sortedKeys(t.states)
}

// ResponseName returns the mocked response name used for a state.
func (t *TestCase) ResponseName(stateName string) (string, bool) {
	m, ok := t.states[stateName]
	if !ok {
		return "", false
	}
	return m.Name, true
}

// Invocations returns how many times Next has been called for a state.
func (t *TestCase) Invocations(stateName string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[stateName]
}

// ---- parsing and validation ----

type parser struct {
	cfg  *Config
	errs []string
}

func (p *parser) errorf(at []string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if len(at) > 0 {
		msg = joinPath(at) + ": " + msg
	}
	p.errs = append(p.errs, msg)
}

// object checks that v is an object, reporting at otherwise.
func (p *parser) object(at []string, v any) (*jsonv.Object, bool) {
	m, ok := v.(*jsonv.Object)
	if !ok {
		p.errorf(at, "must be an object, not %s", jsonv.TypeName(v))
	}
	return m, ok
}

func (p *parser) document(doc any) {
	top, ok := doc.(*jsonv.Object)
	if !ok {
		p.errorf(nil, "must be a JSON object with fields %s and %s, not %s",
			fieldStateMachines, fieldMockedResponses, jsonv.TypeName(doc))
		return
	}
	for _, k := range jsonv.SortedKeys(top) {
		if k != fieldStateMachines && k != fieldMockedResponses {
			p.errorf([]string{k}, "unknown field (a mock config has only %s and %s)", fieldStateMachines, fieldMockedResponses)
		}
	}
	// MockedResponses first so that test cases can be checked against it.
	if v, ok := top.Get(fieldMockedResponses); ok {
		p.mockedResponses(v)
	} else {
		p.errorf(nil, "missing top-level field %s", fieldMockedResponses)
	}
	if v, ok := top.Get(fieldStateMachines); ok {
		p.stateMachines(v, top.Value(fieldMockedResponses))
	} else {
		p.errorf(nil, "missing top-level field %s", fieldStateMachines)
	}
}

func (p *parser) stateMachines(v any, rawResponses any) {
	at := []string{fieldStateMachines}
	machines, ok := p.object(at, v)
	if !ok {
		return
	}
	declared, _ := rawResponses.(*jsonv.Object)
	for _, smName := range jsonv.SortedKeys(machines) {
		smAt := append(at[:1:1], smName)
		if smName == "" {
			p.errorf(smAt, "state machine name must not be empty")
			continue
		}
		sm, ok := p.object(smAt, machines.Value(smName))
		if !ok {
			continue
		}
		for _, k := range jsonv.SortedKeys(sm) {
			if k != fieldTestCases {
				p.errorf(append(smAt[:2:2], k), "unknown field (a state machine has only %s)", fieldTestCases)
			}
		}
		raw, ok := sm.Get(fieldTestCases)
		if !ok {
			p.errorf(smAt, "missing field %s", fieldTestCases)
			continue
		}
		tcAt := append(smAt[:2:2], fieldTestCases)
		cases, ok := p.object(tcAt, raw)
		if !ok {
			continue
		}
		out := map[string]map[string]string{}
		for _, tcName := range jsonv.SortedKeys(cases) {
			caseAt := append(tcAt[:3:3], tcName)
			if tcName == "" {
				p.errorf(caseAt, "test case name must not be empty")
				continue
			}
			states, ok := p.object(caseAt, cases.Value(tcName))
			if !ok {
				continue
			}
			mapping := map[string]string{}
			for _, state := range jsonv.SortedKeys(states) {
				stAt := append(caseAt[:4:4], state)
				if state == "" {
					p.errorf(stAt, "state name must not be empty")
					continue
				}
				resp, ok := states.Value(state).(string)
				if !ok {
					p.errorf(stAt, "must be the name of a mocked response (a string), not %s", jsonv.TypeName(states.Value(state)))
					continue
				}
				if _, defined := declared.Get(resp); !defined {
					p.errorf(stAt, "mocked response %q is not defined in %s", resp, fieldMockedResponses)
					continue
				}
				mapping[state] = resp
			}
			out[tcName] = mapping
		}
		p.cfg.machines[smName] = out
	}
}

func (p *parser) mockedResponses(v any) {
	at := []string{fieldMockedResponses}
	responses, ok := p.object(at, v)
	if !ok {
		return
	}
	for _, name := range jsonv.SortedKeys(responses) {
		rAt := append(at[:1:1], name)
		if name == "" {
			p.errorf(rAt, "mocked response name must not be empty")
			continue
		}
		entries, ok := p.object(rAt, responses.Value(name))
		if !ok {
			continue
		}
		if entries.Len() == 0 {
			p.errorf(rAt, "defines no invocations (expected keys such as \"0\" or \"0-2\")")
			continue
		}
		m := &MockedResponse{Name: name}
		valid := true
		for _, key := range jsonv.SortedKeys(entries) {
			kAt := append(rAt[:2:2], key)
			from, to, err := parseRange(key)
			if err != nil {
				p.errorf(kAt, "%v", err)
				valid = false
				continue
			}
			resp, ok := p.response(kAt, entries.Value(key))
			if !ok {
				valid = false
				continue
			}
			m.Ranges = append(m.Ranges, Range{Key: key, From: from, To: to, Response: resp})
		}
		if !valid {
			continue
		}
		sort.Slice(m.Ranges, func(i, j int) bool { return m.Ranges[i].From < m.Ranges[j].From })
		next, nextKey := 0, ""
		for _, r := range m.Ranges {
			switch {
			case r.From < next:
				p.errorf(append(rAt[:2:2], r.Key), "invocation range overlaps %q", nextKey)
				valid = false
			case r.From > next:
				missing := strconv.Itoa(next)
				if r.From-1 > next {
					missing += "-" + strconv.Itoa(r.From-1)
				}
				p.errorf(rAt, "no response for invocation %s: invocation numbers must be consecutive from 0 (a mocked Task needs a response for every invocation)", missing)
				valid = false
			}
			if r.To+1 > next {
				next, nextKey = r.To+1, r.Key
			}
		}
		if valid {
			p.cfg.responses[name] = m
		}
	}
}

// response validates one invocation entry: exactly one of Return or Throw.
func (p *parser) response(at []string, v any) (Response, bool) {
	entry, ok := p.object(at, v)
	if !ok {
		return Response{}, false
	}
	ret, hasReturn := entry.Get(fieldReturn)
	thr, hasThrow := entry.Get(fieldThrow)
	good := true
	for _, k := range jsonv.SortedKeys(entry) {
		if k != fieldReturn && k != fieldThrow {
			p.errorf(append(at[:len(at):len(at)], k), "unknown field (a mocked response entry has a single field, %s or %s)", fieldReturn, fieldThrow)
			good = false
		}
	}
	switch {
	case hasReturn && hasThrow:
		p.errorf(at, "has both %s and %s; an entry must contain exactly one of them", fieldReturn, fieldThrow)
		return Response{}, false
	case !hasReturn && !hasThrow:
		p.errorf(at, "must contain a single field named %s or %s", fieldReturn, fieldThrow)
		return Response{}, false
	case hasReturn:
		return Response{Return: ret}, good
	}
	tAt := append(at[:len(at):len(at)], fieldThrow)
	obj, ok := p.object(tAt, thr)
	if !ok {
		return Response{}, false
	}
	t := &Throw{}
	for _, k := range jsonv.SortedKeys(obj) {
		if k != fieldError && k != fieldCause {
			p.errorf(append(tAt[:len(tAt):len(tAt)], k), "unknown field (%s has only %s and %s)", fieldThrow, fieldError, fieldCause)
			good = false
		}
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{fieldError, &t.Error}, {fieldCause, &t.Cause}} {
		raw, present := obj.Get(f.name)
		s, isString := raw.(string)
		switch {
		case !present:
			p.errorf(tAt, "missing field %s (a string)", f.name)
			good = false
		case !isString:
			p.errorf(append(tAt[:len(tAt):len(tAt)], f.name), "must be a string, not %s", jsonv.TypeName(raw))
			good = false
		default:
			*f.dst = s
		}
	}
	if good && t.Error == "" {
		p.errorf(append(tAt[:len(tAt):len(tAt)], fieldError), "must not be empty")
		good = false
	}
	return Response{Throw: t}, good
}

// parseRange parses an invocation key: "N" or "N-M" with N <= M, decimal
// digits only.
func parseRange(key string) (from, to int, err error) {
	lo, hi, isRange := strings.Cut(key, "-")
	from, ok := parseIndex(lo)
	if !ok {
		return 0, 0, errors.New(`invalid invocation range (expected an invocation number such as "0" or an inclusive range such as "1-2")`)
	}
	if !isRange {
		return from, from, nil
	}
	to, ok = parseIndex(hi)
	if !ok {
		return 0, 0, errors.New(`invalid invocation range (expected an invocation number such as "0" or an inclusive range such as "1-2")`)
	}
	if from > to {
		return 0, 0, fmt.Errorf("invalid invocation range: start %d is after end %d", from, to)
	}
	return from, to, nil
}

func parseIndex(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxInvocation {
		return 0, false
	}
	return n, true
}

// maxInvocation bounds invocation numbers so that To+1 cannot overflow.
const maxInvocation = 1 << 30

// checkDuplicateKeys rejects repeated keys in any object: the JSON model
// would silently keep the last one, hiding a test case or response that the
// author meant to define twice.
func checkDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func(at []string) error
	walk = func(at []string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return nil
		}
		switch d {
		case '[':
			for i := 0; dec.More(); i++ {
				if err := walk(append(at[:len(at):len(at)], indexMark+strconv.Itoa(i))); err != nil {
					return err
				}
			}
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := tok.(string)
				kAt := append(at[:len(at):len(at)], key)
				if seen[key] {
					return errors.New(joinPath(kAt) + ": duplicate key")
				}
				seen[key] = true
				if err := walk(kAt); err != nil {
					return err
				}
			}
		}
		_, err = dec.Token() // closing delimiter
		return err
	}
	if err := walk(nil); err != nil && err != io.EOF {
		return err
	}
	return nil
}

// ---- helpers ----

// joinPath renders a key path as dotted segments, quoting any segment that
// is not a plain identifier: MockedResponses.welcomeFails."1-x".
func joinPath(at []string) string {
	var b strings.Builder
	for i, s := range at {
		if idx, ok := strings.CutPrefix(s, indexMark); ok {
			b.WriteString("[" + idx + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(segment(s))
	}
	return b.String()
}

// indexMark prefixes array-index path segments (never a valid key prefix in
// practice: JSON keys starting with NUL are not something users write).
const indexMark = "\x00"

func segment(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return strconv.Quote(s)
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
