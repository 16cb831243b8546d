// Package memstore is a store.Store kept in memory. It loses everything
// when the process ends, so the server never uses it; it exists for engine
// tests and as a second driver that keeps the shared suite (storetest)
// honest about what is contract and what is SQLite.
package memstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/statecraft/statecraft/arn"
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
	seq      int64 // insertion order, which breaks ties between tasks
	// versions holds each machine's versions by number; lastVersion the
	// highest number it has issued (numbers are not reused).
	versions    map[string]map[int64]*store.StateMachineVersion
	lastVersion map[string]int64
	aliases     map[string]map[string]*store.StateMachineAlias // machine ARN -> name -> alias
	// mapRuns and mapRunExecs hold Map Runs and their children by ARN
	// (maprun.go).
	mapRuns     map[string]*store.MapRun
	mapRunExecs map[string]*store.MapRunExecution
	// stacks holds CloudFormation stacks (stacks.go).
	stacks map[stackKey]*store.Stack
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

		versions:    map[string]map[int64]*store.StateMachineVersion{},
		lastVersion: map[string]int64{},
		aliases:     map[string]map[string]*store.StateMachineAlias{},
	}
}

const statusRunning = "RUNNING"

// finalStatus holds the statuses an execution can end with.
var finalStatus = map[string]bool{"SUCCEEDED": true, "FAILED": true, "TIMED_OUT": true, "ABORTED": true}

func cp[T any](v *T) *T { c := *v; return &c }

// utc normalises times on the way in, as the contract returns them in UTC.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// page sorts keys by creation time, then ARN, and cuts one page after the
// token, which names the last key of the previous page.
func page(keys []string, created func(string) time.Time, p store.ListParams) ([]string, string, error) {
	less := func(a, b string) bool {
		ca, cb := created(a), created(b)
		if !ca.Equal(cb) {
			return ca.Before(cb)
		}
		return a < b
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	start := 0
	if p.Token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Token)
		if err != nil || len(raw) < 20 || raw[0] != 'k' {
			return nil, "", store.ErrInvalidToken
		}
		nanos, err := strconv.ParseInt(string(raw[1:20]), 10, 64)
		if err != nil {
			return nil, "", store.ErrInvalidToken
		}
		after := string(raw[20:])
		at := time.Unix(0, nanos).UTC()
		for start < len(keys) {
			c := created(keys[start])
			if c.After(at) || (c.Equal(at) && keys[start] > after) {
				break
			}
			start++
		}
	}
	end := start + p.Limit
	if end >= len(keys) {
		return keys[start:], "", nil
	}
	last := keys[end-1]
	tok := fmt.Sprintf("k%019d%s", created(last).UnixNano(), last)
	return keys[start:end], base64.RawURLEncoding.EncodeToString([]byte(tok)), nil
}

func (s *Store) CreateStateMachine(_ context.Context, sm *store.StateMachine) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.machines[sm.Arn]; ok {
		return store.ErrAlreadyExists
	}
	c := cp(sm)
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	s.machines[sm.Arn] = c
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
	c := cp(sm)
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	s.machines[sm.Arn] = c
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
	delete(s.versions, arn)
	delete(s.lastVersion, arn)
	delete(s.aliases, arn)
	return nil
}

func (s *Store) ListStateMachines(_ context.Context, p store.ListParams) ([]*store.StateMachine, string, error) {
	if p.Limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.machines))
	for k := range s.machines {
		if strings.HasPrefix(k, p.ArnPrefix) {
			keys = append(keys, k)
		}
	}
	keys, next, err := page(keys, func(k string) time.Time { return s.machines[k].CreatedAt }, p)
	if err != nil {
		return nil, "", err
	}
	out := make([]*store.StateMachine, len(keys))
	for i, k := range keys {
		out[i] = cp(s.machines[k])
	}
	return out, next, nil
}

func (s *Store) PublishStateMachineVersion(_ context.Context, p store.PublishVersionParams) (*store.StateMachineVersion, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, ok := s.machines[p.StateMachineArn]
	if !ok {
		return nil, false, store.ErrNotFound
	}
	if sm.RevisionID != p.RevisionID {
		return nil, false, store.ErrConflict
	}
	vs := s.versions[p.StateMachineArn]
	for _, v := range vs {
		if v.RevisionID == p.RevisionID {
			return cp(v), false, nil
		}
	}
	if p.MaxVersions > 0 && len(vs) >= p.MaxVersions {
		return nil, false, store.ErrLimitExceeded
	}
	if vs == nil {
		vs = map[int64]*store.StateMachineVersion{}
		s.versions[p.StateMachineArn] = vs
	}
	n := s.lastVersion[p.StateMachineArn] + 1
	s.lastVersion[p.StateMachineArn] = n
	v := &store.StateMachineVersion{
		Arn: arn.Version(p.StateMachineArn, n), StateMachineArn: p.StateMachineArn, Version: n,
		Definition: p.Definition, RoleArn: p.RoleArn, RevisionID: p.RevisionID,
		Description: p.Description, CreatedAt: utc(p.CreatedAt),
	}
	vs[n] = v
	return cp(v), true, nil
}

func (s *Store) GetStateMachineVersion(_ context.Context, versionArn string) (*store.StateMachineVersion, error) {
	smArn, n, ok := arn.SplitVersion(versionArn)
	if !ok {
		return nil, store.ErrNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.versions[smArn][n]
	if !ok {
		return nil, store.ErrNotFound
	}
	return cp(v), nil
}

// ListStateMachineVersions pages by number, highest first; the token is
// the last number returned.
func (s *Store) ListStateMachineVersions(_ context.Context, p store.ListVersionsParams) ([]*store.StateMachineVersion, string, error) {
	if p.Limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	before := int64(-1)
	if p.Token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Token)
		if err != nil || len(raw) < 2 || raw[0] != 'v' {
			return nil, "", store.ErrInvalidToken
		}
		if before, err = strconv.ParseInt(string(raw[1:]), 10, 64); err != nil || before < 1 {
			return nil, "", store.ErrInvalidToken
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var nums []int64
	for n := range s.versions[p.StateMachineArn] {
		if before < 0 || n < before {
			nums = append(nums, n)
		}
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] > nums[j] })
	next := ""
	if len(nums) > p.Limit {
		nums = nums[:p.Limit]
		next = base64.RawURLEncoding.EncodeToString([]byte("v" + strconv.FormatInt(nums[len(nums)-1], 10)))
	}
	out := make([]*store.StateMachineVersion, len(nums))
	for i, n := range nums {
		out[i] = cp(s.versions[p.StateMachineArn][n])
	}
	return out, next, nil
}

func (s *Store) DeleteStateMachineVersion(_ context.Context, versionArn string) error {
	smArn, n, ok := arn.SplitVersion(versionArn)
	if !ok {
		return store.ErrNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.versions[smArn][n]; !ok {
		return store.ErrNotFound
	}
	for _, a := range s.aliases[smArn] {
		for _, r := range a.Routes {
			if r.VersionArn == versionArn {
				return store.ErrConflict
			}
		}
	}
	delete(s.versions[smArn], n)
	return nil
}

func (s *Store) CreateActivity(_ context.Context, a *store.Activity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.acts[a.Arn]; ok {
		return store.ErrAlreadyExists
	}
	c := cp(a)
	c.CreatedAt = utc(c.CreatedAt)
	s.acts[a.Arn] = c
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
	if p.Limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.acts))
	for k := range s.acts {
		if strings.HasPrefix(k, p.ArnPrefix) {
			keys = append(keys, k)
		}
	}
	keys, next, err := page(keys, func(k string) time.Time { return s.acts[k].CreatedAt }, p)
	if err != nil {
		return nil, "", err
	}
	out := make([]*store.Activity, len(keys))
	for i, k := range keys {
		out[i] = cp(s.acts[k])
	}
	return out, next, nil
}

func (s *Store) StartExecution(_ context.Context, p store.StartExecutionParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := p.Execution
	if _, ok := s.execs[e.Arn]; ok {
		return store.ErrAlreadyExists
	}
	rec := &store.Execution{
		Arn: e.Arn, StateMachineArn: e.StateMachineArn, Name: e.Name, Definition: e.Definition,
		RoleArn: e.RoleArn, Input: e.Input, Status: statusRunning, TraceHeader: e.TraceHeader,
		ParentToken: e.ParentToken, Seed: e.Seed, StartedAt: utc(e.StartedAt),
		StateMachineVersionArn: e.StateMachineVersionArn, StateMachineAliasArn: e.StateMachineAliasArn,
	}
	step := p.Step
	step.ExecutionArn, step.Seq = e.Arn, 0
	if err := s.check(rec, step); err != nil {
		return err
	}
	s.execs[e.Arn] = rec
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

// ListExecutions sorts newest first; the token is the last row's sort
// key, so that it stays a position when that row is purged.
func (s *Store) ListExecutions(_ context.Context, p store.ListExecutionsParams) ([]*store.Execution, string, error) {
	if p.Limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	var after *store.Execution // the sort key the token holds
	if p.Token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Token)
		if err != nil || len(raw) < 21 || raw[0] != 'x' {
			return nil, "", store.ErrInvalidToken
		}
		nanos, err := strconv.ParseInt(string(raw[1:21]), 10, 64)
		if err != nil {
			return nil, "", store.ErrInvalidToken
		}
		after = &store.Execution{StartedAt: time.Unix(0, nanos).UTC(), Arn: string(raw[21:])}
	}
	newer := func(a, b *store.Execution) bool {
		if !a.StartedAt.Equal(b.StartedAt) {
			return a.StartedAt.After(b.StartedAt)
		}
		return a.Arn > b.Arn
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*store.Execution
	for _, e := range s.execs {
		if (p.StateMachineArn == "" || e.StateMachineArn == p.StateMachineArn) && (p.Status == "" || e.Status == p.Status) &&
			(p.StateMachineVersionArn == "" || e.StateMachineVersionArn == p.StateMachineVersionArn) &&
			(p.StateMachineAliasArn == "" || e.StateMachineAliasArn == p.StateMachineAliasArn) &&
			(p.Redriven == "" || (p.Redriven == "REDRIVEN") == (e.RedriveCount > 0)) &&
			(after == nil || newer(after, e)) {
			all = append(all, e)
		}
	}
	sort.Slice(all, func(i, j int) bool { return newer(all[i], all[j]) })
	next := ""
	if len(all) > p.Limit {
		all = all[:p.Limit]
		last := all[len(all)-1]
		next = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "x%020d%s", last.StartedAt.UnixNano(), last.Arn))
	}
	out := make([]*store.Execution, len(all))
	for i, e := range all {
		out[i] = cp(e)
	}
	return out, next, nil
}

func (s *Store) CommitStep(_ context.Context, step store.StepParams) error {
	return s.commitStep(step, nil, nil)
}

var _ store.StepQueue = (*Store)(nil)

// QueueStep applies step at once, under the store's lock, which orders it
// after every step queued before it; it is refused when after was not
// applied.
func (s *Store) QueueStep(ctx context.Context, step store.StepParams, after, q *store.QueuedStep) {
	err := ctx.Err()
	if err == nil {
		err = s.commitStep(step, after, q)
	}
	q.Finish(err)
}

// commitStep commits step if after was applied, and marks self applied.
func (s *Store) commitStep(step store.StepParams, after, self *store.QueuedStep) error {
	if !step.Fence.IsZero() {
		return store.ErrNoShards
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !after.Applied() {
		return store.ErrConflict
	}
	e, ok := s.execs[step.ExecutionArn]
	if !ok {
		return store.ErrNotFound
	}
	if e.Seq != step.Seq {
		return store.ErrConflict
	}
	if err := s.check(e, step); err != nil {
		return err
	}
	s.apply(e, step)
	if self != nil {
		self.SetApplied(true)
	}
	return nil
}

// check rejects a step before anything is changed, so that a bad step
// changes nothing (the contract's atomicity).
func (s *Store) check(e *store.Execution, step store.StepParams) error {
	if err := store.CheckAfterEnd(&step); err != nil {
		return err
	}
	if step.AfterEnd {
		if !finalStatus[e.Status] {
			return store.ErrConflict
		}
	} else if step.Redrive != nil {
		if e.Status == statusRunning || !finalStatus[e.Status] || e.Status == "SUCCEEDED" {
			return store.ErrConflict
		}
	} else if e.Status != statusRunning {
		return store.ErrConflict
	}
	if f := step.Final; f != nil && !finalStatus[f.Status] {
		return fmt.Errorf("memstore: step of %s: final status %q", e.Arn, f.Status)
	}
	seen := map[int64]bool{}
	for _, ev := range s.events[e.Arn] {
		seen[ev.ID] = true
	}
	for _, ev := range step.Events {
		if seen[ev.ID] {
			return store.ErrConflict
		}
		seen[ev.ID] = true
	}
	closing := map[string]bool{}
	for _, tok := range step.CloseTasks {
		closing[tok] = true
	}
	for _, c := range step.ClaimTasks {
		t, ok := s.tasks[c.Token]
		if !ok || t.closed || t.Started || t.ExecutionArn != e.Arn || closing[c.Token] {
			return store.ErrConflict
		}
	}
	for _, t := range step.AddTasks {
		// A task may be closed and added again in one step (handing a
		// claimed task back to its queue); only an open duplicate conflicts.
		if cur, ok := s.tasks[t.Token]; ok && !cur.closed && !closing[t.Token] {
			return store.ErrConflict
		}
	}
	return nil
}

func (s *Store) apply(e *store.Execution, step store.StepParams) {
	if r := step.Redrive; r != nil {
		e.Status, e.Output = statusRunning, ""
		e.Error, e.HasError, e.Cause, e.HasCause = "", false, "", false
		e.StoppedAt = time.Time{}
		e.RedriveCount++
		e.RedriveDate = utc(r.At)
	}
	if step.Transitions > e.Transitions {
		e.Transitions = step.Transitions
	}
	if step.Input != nil {
		e.Seq++
		s.inputs[e.Arn] = append(s.inputs[e.Arn], store.Input{Seq: e.Seq, Body: append([]byte(nil), step.Input...)})
	}
	for _, ev := range step.Events {
		ev.Body = append([]byte(nil), ev.Body...)
		ev.Timestamp = utc(ev.Timestamp)
		s.events[e.Arn] = append(s.events[e.Arn], ev)
		e.Events++
	}
	for _, t := range step.DeleteTimers {
		delete(s.timers, timerKey{e.Arn, t.Ref, t.Kind})
	}
	for _, t := range step.AddTimers {
		t.ExecutionArn = e.Arn
		t.Due = utc(t.Due)
		s.timers[timerKey{e.Arn, t.Ref, t.Kind}] = t
	}
	for _, tok := range step.CloseTasks {
		if t, ok := s.tasks[tok]; ok {
			t.closed = true
		}
	}
	for _, c := range step.ClaimTasks {
		t := s.tasks[c.Token]
		t.Started, t.WorkerName = true, c.WorkerName
	}
	for _, t := range step.AddTasks {
		s.seq++
		t.ExecutionArn = e.Arn // the step's, whatever the task says (as for timers)
		t.CreatedAt = utc(t.CreatedAt)
		s.tasks[t.Token] = &taskRow{Task: t, seq: s.seq}
	}
	s.applyMapRuns(e, step)
	if f := step.Final; f != nil {
		e.Status, e.Output = f.Status, f.Output
		e.Error, e.HasError, e.Cause, e.HasCause = f.Error, f.HasError, f.Cause, f.HasCause
		e.StoppedAt = utc(f.StoppedAt)
		// An ended execution waits for nothing.
		for k := range s.timers {
			if k.arn == e.Arn && k.kind != store.TimerAfterEnd {
				delete(s.timers, k)
			}
		}
		for _, t := range s.tasks {
			if t.ExecutionArn == e.Arn {
				t.closed = true
			}
		}
	}
}

func (s *Store) Inputs(_ context.Context, arn string) ([]store.Input, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]store.Input(nil), s.inputs[arn]...), nil
}

func (s *Store) History(_ context.Context, p store.HistoryParams) ([]store.Event, error) {
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	evs := s.events[p.ExecutionArn]
	var out []store.Event
	if p.Reverse {
		for i := len(evs) - 1; i >= 0 && len(out) < p.Limit; i-- {
			if p.AfterID == 0 || evs[i].ID < p.AfterID {
				out = append(out, evs[i])
			}
		}
		return out, nil
	}
	for _, ev := range evs {
		if ev.ID > p.AfterID && len(out) < p.Limit {
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
	// Ties in a fixed order, though the contract sets none: the engine's
	// tests on this store then run the same way every time.
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Due.Equal(b.Due) {
			return a.Due.Before(b.Due)
		}
		if a.ExecutionArn != b.ExecutionArn {
			return a.ExecutionArn < b.ExecutionArn
		}
		if a.Ref != b.Ref {
			return a.Ref < b.Ref
		}
		return a.Kind < b.Kind
	})
	return out
}

func (s *Store) DueTimers(_ context.Context, p store.DueTimersParams) ([]store.Timer, error) {
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	if p.Leases != nil {
		return nil, store.ErrNoShards
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Timer
	for _, tm := range s.sortedTimers() {
		if tm.Due.After(p.DueBy) || len(out) >= p.Limit {
			break
		}
		out = append(out, tm)
	}
	return out, nil
}

func (s *Store) NextTimer(_ context.Context, p store.NextTimerParams) (time.Time, bool, error) {
	if p.Leases != nil {
		return time.Time{}, false, store.ErrNoShards
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.sortedTimers()
	if len(ts) == 0 {
		return time.Time{}, false, nil
	}
	return ts[0].Due, true, nil
}

func (s *Store) DeleteTimer(_ context.Context, t store.Timer) error {
	if !t.Fence.IsZero() {
		return store.ErrNoShards
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := timerKey{t.ExecutionArn, t.Ref, t.Kind}
	if cur, ok := s.timers[k]; ok && (t.Due.IsZero() || cur.Due.Equal(t.Due)) {
		delete(s.timers, k)
	}
	return nil
}

func (s *Store) SetTimer(_ context.Context, t store.Timer) error {
	if !t.Fence.IsZero() {
		return store.ErrNoShards
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.execs[t.ExecutionArn]; !ok {
		return store.ErrNotFound
	}
	t.Due = utc(t.Due)
	s.timers[timerKey{t.ExecutionArn, t.Ref, t.Kind}] = t
	return nil
}

func (s *Store) NextTasks(_ context.Context, p store.NextTasksParams) ([]*store.Task, error) {
	if p.Limit <= 0 {
		return nil, store.ErrInvalidLimit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ActivityArn == "" {
		return nil, nil
	}
	var rows []*taskRow
	for _, t := range s.tasks {
		if !t.closed && !t.Started && t.ActivityArn == p.ActivityArn {
			rows = append(rows, t)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return older(rows[i], rows[j]) })
	var out []*store.Task
	for _, t := range rows[:min(p.Limit, len(rows))] {
		c := t.Task
		out = append(out, &c)
	}
	return out, nil
}

func (s *Store) QueuedTasks(_ context.Context) (map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int64{}
	for _, t := range s.tasks {
		if !t.closed && !t.Started && t.ActivityArn != "" {
			out[t.ActivityArn]++
		}
	}
	return out, nil
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

func (s *Store) PurgeExecutions(_ context.Context, p store.PurgeParams) (int, error) {
	if p.Limit <= 0 {
		return 0, store.ErrInvalidLimit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var victims []*store.Execution
	for _, e := range s.execs {
		if e.Status == statusRunning || !e.StoppedAt.Before(p.StoppedBefore) {
			continue
		}
		if t, ok := s.tasks[e.ParentToken]; ok && !t.closed {
			continue // the parent still waits for this child's result
		}
		victims = append(victims, e)
	}
	sort.Slice(victims, func(i, j int) bool {
		if !victims[i].StoppedAt.Equal(victims[j].StoppedAt) {
			return victims[i].StoppedAt.Before(victims[j].StoppedAt)
		}
		return victims[i].Arn < victims[j].Arn
	})
	victims = victims[:min(p.Limit, len(victims))]
	for _, e := range victims {
		delete(s.execs, e.Arn)
		delete(s.events, e.Arn)
		delete(s.inputs, e.Arn)
		delete(s.tags, e.Arn)
		s.purgeMapRuns(e.Arn)
		for k := range s.timers {
			if k.arn == e.Arn && k.kind != store.TimerAfterEnd {
				delete(s.timers, k)
			}
		}
		for tok, t := range s.tasks {
			if t.ExecutionArn == e.Arn {
				delete(s.tasks, tok)
			}
		}
	}
	return len(victims), nil
}

func (s *Store) TagResource(_ context.Context, p store.TagResourceParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(p.Tags) == 0 {
		return nil
	}
	if s.tags[p.Arn] == nil {
		s.tags[p.Arn] = map[string]string{}
	}
	for k, v := range p.Tags {
		s.tags[p.Arn][k] = v
	}
	return nil
}

func (s *Store) UntagResource(_ context.Context, p store.UntagResourceParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range p.Keys {
		delete(s.tags[p.Arn], k)
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

// older orders tasks for hand-out: first created first, ties by insertion.
func older(a, b *taskRow) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.seq < b.seq
}
