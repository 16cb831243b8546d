package memstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/statecraft/statecraft/store"
)

// applyMapRuns writes a step's Map Runs and children; the caller holds mu.
func (s *Store) applyMapRuns(e *store.Execution, step store.StepParams) {
	for _, r := range step.MapRuns {
		r.ExecutionArn = e.Arn
		r.StartedAt, r.StoppedAt = utc(r.StartedAt), utc(r.StoppedAt)
		if s.mapRuns == nil {
			s.mapRuns = map[string]*store.MapRun{}
		}
		s.mapRuns[r.Arn] = &r
	}
	for _, c := range step.MapRunExecutions {
		c.ExecutionArn = e.Arn
		c.StartedAt, c.StoppedAt = utc(c.StartedAt), utc(c.StoppedAt)
		if s.mapRunExecs == nil {
			s.mapRunExecs = map[string]*store.MapRunExecution{}
		}
		if old, ok := s.mapRunExecs[c.Arn]; ok && c.Input == "" {
			c.Input = old.Input
		}
		s.mapRunExecs[c.Arn] = &c
	}
}

// purgeMapRuns deletes what execution arn kept of its Map Runs; the
// caller holds mu.
func (s *Store) purgeMapRuns(arn string) {
	for k, r := range s.mapRuns {
		if r.ExecutionArn == arn {
			delete(s.mapRuns, k)
		}
	}
	for k, c := range s.mapRunExecs {
		if c.ExecutionArn == arn {
			delete(s.mapRunExecs, k)
		}
	}
}

func (s *Store) GetMapRun(_ context.Context, arn string) (*store.MapRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.mapRuns[arn]
	if !ok {
		return nil, store.ErrNotFound
	}
	return cp(r), nil
}

func (s *Store) GetMapRunExecution(_ context.Context, arn string) (*store.MapRunExecution, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.mapRunExecs[arn]
	if !ok {
		return nil, store.ErrNotFound
	}
	return cp(c), nil
}

// sortKey is a row's position in a newest-first listing.
type sortKey struct {
	at  time.Time
	arn string
}

func (a sortKey) newer(b sortKey) bool {
	if !a.at.Equal(b.at) {
		return a.at.After(b.at)
	}
	return a.arn > b.arn
}

// newestFirst pages rows by (started, ARN) descending, after token;
// prefix tells one listing's tokens from another's.
func newestFirst[T any](rows []*T, key func(*T) sortKey, limit int, token string, prefix byte) ([]*T, string, error) {
	if limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	var after *sortKey
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) < 21 || raw[0] != prefix {
			return nil, "", store.ErrInvalidToken
		}
		nanos, err := strconv.ParseInt(string(raw[1:21]), 10, 64)
		if err != nil {
			return nil, "", store.ErrInvalidToken
		}
		after = &sortKey{time.Unix(0, nanos).UTC(), string(raw[21:])}
	}
	var out []*T
	for _, r := range rows {
		if after == nil || after.newer(key(r)) {
			out = append(out, cp(r))
		}
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i]).newer(key(out[j])) })
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := key(out[len(out)-1])
		next = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%c%020d%s", prefix, last.at.UnixNano(), last.arn))
	}
	return out, next, nil
}

func (s *Store) ListMapRuns(_ context.Context, p store.ListMapRunsParams) ([]*store.MapRun, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []*store.MapRun
	for _, r := range s.mapRuns {
		if r.ExecutionArn == p.ExecutionArn {
			rows = append(rows, r)
		}
	}
	return newestFirst(rows, func(r *store.MapRun) sortKey { return sortKey{r.StartedAt, r.Arn} }, p.Limit, p.Token, 'm')
}

func (s *Store) ListMapRunExecutions(_ context.Context, p store.ListMapRunExecutionsParams) ([]*store.MapRunExecution, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []*store.MapRunExecution
	for _, c := range s.mapRunExecs {
		if c.MapRunArn == p.MapRunArn && (p.Status == "" || c.Status == p.Status) {
			lean := *c
			lean.Input, lean.Output = "", ""
			rows = append(rows, &lean)
		}
	}
	return newestFirst(rows, func(c *store.MapRunExecution) sortKey { return sortKey{c.StartedAt, c.Arn} }, p.Limit, p.Token, 'c')
}
