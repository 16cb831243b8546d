// Package memstore is a store.Store kept in memory. It loses everything
// when the process ends, so the server never uses it; it exists for engine
// tests and as a second driver that keeps the shared suite (storetest)
// honest about what is contract and what is SQLite.
package memstore

import (
	"context"
	"encoding/base64"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/statecraft/statecraft/store"
)

// Store is an in-memory store.Store.
type Store struct {
	mu       sync.Mutex
	machines map[string]*store.StateMachine
	acts     map[string]*store.Activity
	execs    map[string]*store.Execution
	events   map[string][]store.Event
	inputs   map[string][]store.Input
	timers   map[timerKey]store.Timer
	tasks    map[string]*taskRow
	tags     map[string]map[string]string
	seq      int64 // creation order for stable listings
	order    map[string]int64
}

type timerKey struct {
	arn  string
	ref  int64
	kind string
}

type taskRow struct {
	store.Task
	seq    int64
	closed bool
}

// New returns an empty store.
func New() *Store {
	return &Store{
		machines: map[string]*store.StateMachine{},
		acts:     map[string]*store.Activity{},
		execs:    map[string]*store.Execution{},
		events:   map[string][]store.Event{},
		inputs:   map[string][]store.Input{},
		timers:   map[timerKey]store.Timer{},
		tasks:    map[string]*taskRow{},
		tags:     map[string]map[string]string{},
		order:    map[string]int64{},
	}
}

func (s *Store) next(key string) {
	s.seq++
	s.order[key] = s.seq
}

func cp[T any](v *T) *T { c := *v; return &c }

// page sorts keys by creation order and cuts one page after token.
func (s *Store) page(keys []string, p store.ListParams) ([]string, string) {
	sort.Slice(keys, func(i, j int) bool { return s.order[keys[i]] < s.order[keys[j]] })
	start := 0
	if p.Token != "" {
		raw, _ := base64.RawURLEncoding.DecodeString(p.Token)
		after, _ := strconv.ParseInt(string(raw), 10, 64)
		for start < len(keys) && s.order[keys[start]] <= after {
			start++
		}
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	end := start + limit
	if end >= len(keys) {
		return keys[start:], ""
	}
	last := keys[end-1]
	return keys[start:end], base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(s.order[last], 10)))
}

func (s *Store) CreateStateMachine(_ context.Context, sm *store.StateMachine) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.machines[sm.Arn]; ok {
		return store.ErrAlreadyExists
	}
	s.machines[sm.Arn] = cp(sm)
	s.next(sm.Arn)
	return nil
}

func (s *Store) GetStateMachine(_ context.Context, arn string) (*store.StateMachine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, ok := s.machines[arn]
	if !ok {
		return nil, store.ErrNotFound
	}
	return cp(sm), nil
}

func (s *Store) UpdateStateMachine(_ context.Context, sm *store.StateMachine) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.machines[sm.Arn]; !ok {
		return store.ErrNotFound
	}
	s.machines[sm.Arn] = cp(sm)
	return nil
}

func (s *Store) DeleteStateMachine(_ context.Context, arn string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.machines[arn]; !ok {
		return store.ErrNotFound
	}
	delete(s.machines, arn)
	delete(s.tags, arn)
	return nil
}

func (s *Store) ListStateMachines(_ context.Context, p store.ListParams) ([]*store.StateMachine, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.machines))
	for k := range s.machines {
		keys = append(keys, k)
	}
	keys, next := s.page(keys, p)
	out := make([]*store.StateMachine, len(keys))
	for i, k := range keys {
		out[i] = cp(s.machines[k])
	}
	return out, next, nil
}

func (s *Store) CreateActivity(_ context.Context, a *store.Activity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.acts[a.Arn]; ok {
		return store.ErrAlreadyExists
	}
	s.acts[a.Arn] = cp(a)
	s.next(a.Arn)
	return nil
}

func (s *Store) GetActivity(_ context.Context, arn string) (*store.Activity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.acts[arn]
	if !ok {
		return nil, store.ErrNotFound
	}
	return cp(a), nil
}

func (s *Store) DeleteActivity(_ context.Context, arn string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.acts[arn]; !ok {
		return store.ErrNotFound
	}
	delete(s.acts, arn)
	delete(s.tags, arn)
	return nil
}

func (s *Store) ListActivities(_ context.Context, p store.ListParams) ([]*store.Activity, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.acts))
	for k := range s.acts {
		keys = append(keys, k)
	}
	keys, next := s.page(keys, p)
	out := make([]*store.Activity, len(keys))
	for i, k := range keys {
		out[i] = cp(s.acts[k])
	}
	return out, next, nil
}

func (s *Store) StartExecution(_ context.Context, e *store.Execution, step store.StepParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.execs[e.Arn]; ok {
		return store.ErrAlreadyExists
	}
	if step.Seq != 0 {
		return store.ErrConflict
	}
	rec := cp(e)
	rec.Seq, rec.Events = 0, 0
	s.execs[e.Arn] = rec
	s.next(e.Arn)
	s.apply(rec, step)
	return nil
}

func (s *Store) GetExecution(_ context.Context, arn string) (*store.Execution, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.execs[arn]
	if !ok {
		return nil, store.ErrNotFound
	}
	return cp(e), nil
}

func (s *Store) ListExecutions(_ context.Context, p store.ListExecutionsParams) ([]*store.Execution, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*store.Execution
	for _, e := range s.execs {
		if (p.StateMachineArn == "" || e.StateMachineArn == p.StateMachineArn) && (p.Status == "" || e.Status == p.Status) {
			all = append(all, e)
		}
	}
	// Newest first; the token is the position after the last one returned.
	sort.Slice(all, func(i, j int) bool {
		if !all[i].StartedAt.Equal(all[j].StartedAt) {
			return all[i].StartedAt.After(all[j].StartedAt)
		}
		return all[i].Arn > all[j].Arn
	})
	start := 0
	if p.Token != "" {
		raw, _ := base64.RawURLEncoding.DecodeString(p.Token)
		for start < len(all) && all[start].Arn != string(raw) {
			start++
		}
		start++
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	if start > len(all) {
		start = len(all)
	}
	end := start + limit
	next := ""
	if end < len(all) {
		next = base64.RawURLEncoding.EncodeToString([]byte(all[end-1].Arn))
	} else {
		end = len(all)
	}
	out := make([]*store.Execution, 0, end-start)
	for _, e := range all[start:end] {
		out = append(out, cp(e))
	}
	return out, next, nil
}

func (s *Store) RunningExecutions(_ context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for arn, e := range s.execs {
		if e.Status == "RUNNING" {
			out = append(out, arn)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s *Store) CommitStep(_ context.Context, step store.StepParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.execs[step.ExecutionArn]
	if !ok {
		return store.ErrNotFound
	}
	if e.Seq != step.Seq {
		return store.ErrConflict
	}
	s.apply(e, step)
	return nil
}

func (s *Store) apply(e *store.Execution, step store.StepParams) {
	if step.Input != nil {
		e.Seq++
		s.inputs[e.Arn] = append(s.inputs[e.Arn], store.Input{Seq: e.Seq, Body: append([]byte(nil), step.Input...)})
	}
	for _, ev := range step.Events {
		ev.Body = append([]byte(nil), ev.Body...)
		s.events[e.Arn] = append(s.events[e.Arn], ev)
		e.Events++
	}
	for _, t := range step.DeleteTimers {
		delete(s.timers, timerKey{e.Arn, t.Ref, t.Kind})
	}
	for _, t := range step.AddTimers {
		t.ExecutionArn = e.Arn
		s.timers[timerKey{e.Arn, t.Ref, t.Kind}] = t
	}
	for _, tok := range step.CloseTasks {
		if t, ok := s.tasks[tok]; ok {
			t.closed = true
		}
	}
	for _, t := range step.AddTasks {
		s.seq++
		s.tasks[t.Token] = &taskRow{Task: t, seq: s.seq}
	}
	if f := step.Final; f != nil {
		e.Status, e.Output = f.Status, f.Output
		e.Error, e.HasError, e.Cause, e.HasCause = f.Error, f.HasError, f.Cause, f.HasCause
		e.StoppedAt = f.StoppedAt
	}
}

func (s *Store) Inputs(_ context.Context, arn string) ([]store.Input, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.execs[arn]; !ok {
		return nil, store.ErrNotFound
	}
	return append([]store.Input(nil), s.inputs[arn]...), nil
}

func (s *Store) History(_ context.Context, p store.HistoryParams) ([]store.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.execs[p.ExecutionArn]; !ok {
		return nil, store.ErrNotFound
	}
	evs := s.events[p.ExecutionArn]
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []store.Event
	if p.Reverse {
		for i := len(evs) - 1; i >= 0 && len(out) < limit; i-- {
			if p.AfterID == 0 || evs[i].ID < p.AfterID {
				out = append(out, evs[i])
			}
		}
		return out, nil
	}
	for _, ev := range evs {
		if ev.ID > p.AfterID && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (s *Store) sortedTimers() []store.Timer {
	out := make([]store.Timer, 0, len(s.timers))
	for _, t := range s.timers {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Due.Equal(out[j].Due) {
			return out[i].Due.Before(out[j].Due)
		}
		if out[i].ExecutionArn != out[j].ExecutionArn {
			return out[i].ExecutionArn < out[j].ExecutionArn
		}
		return out[i].Ref < out[j].Ref
	})
	return out
}

func (s *Store) DueTimers(_ context.Context, t time.Time, limit int) ([]store.Timer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Timer
	for _, tm := range s.sortedTimers() {
		if tm.Due.After(t) || len(out) >= limit {
			break
		}
		out = append(out, tm)
	}
	return out, nil
}

func (s *Store) NextTimer(_ context.Context) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.sortedTimers()
	if len(ts) == 0 {
		return time.Time{}, false, nil
	}
	return ts[0].Due, true, nil
}

func (s *Store) DeleteTimer(_ context.Context, t store.Timer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.timers, timerKey{t.ExecutionArn, t.Ref, t.Kind})
	return nil
}

func (s *Store) SetTimer(_ context.Context, t store.Timer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timers[timerKey{t.ExecutionArn, t.Ref, t.Kind}] = t
	return nil
}

func (s *Store) ClaimTask(_ context.Context, activityArn, worker string) (*store.Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *taskRow
	for _, t := range s.tasks {
		if !t.closed && !t.Started && t.ActivityArn == activityArn && (best == nil || t.seq < best.seq) {
			best = t
		}
	}
	if best == nil {
		return nil, store.ErrNotFound
	}
	best.Started, best.WorkerName = true, worker
	out := best.Task
	return &out, nil
}

func (s *Store) GetTask(_ context.Context, token string) (*store.Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[token]
	if !ok || t.closed {
		return nil, store.ErrNotFound
	}
	out := t.Task
	return &out, nil
}

func (s *Store) TagResource(_ context.Context, arn string, tags map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tags[arn] == nil {
		s.tags[arn] = map[string]string{}
	}
	for k, v := range tags {
		s.tags[arn][k] = v
	}
	return nil
}

func (s *Store) UntagResource(_ context.Context, arn string, keys []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		delete(s.tags[arn], k)
	}
	return nil
}

func (s *Store) ListTags(_ context.Context, arn string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for k, v := range s.tags[arn] {
		out[k] = v
	}
	return out, nil
}

func (s *Store) Close() error { return nil }

var _ store.Store = (*Store)(nil)
