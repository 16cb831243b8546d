package memstore

import (
	"context"
	"slices"

	"github.com/statecraft/statecraft/store"
)

type stackKey struct{ account, region, id string }

func cpStack(st *store.Stack) *store.Stack {
	c := *st
	c.Document = slices.Clone(st.Document)
	return &c
}

func (s *Store) PutStack(_ context.Context, p store.PutStackParams) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := stackKey{p.Account, p.Region, p.StackID}
	have, ok := s.stacks[k]
	switch {
	case !ok && p.Version != 0:
		return 0, store.ErrNotFound
	case ok && have.Version != p.Version:
		return 0, store.ErrStaleVersion
	}
	if !p.Deleted {
		for ok2, st := range s.stacks {
			if ok2 != k && ok2.account == p.Account && ok2.region == p.Region && st.StackName == p.StackName && !st.Deleted {
				return 0, store.ErrAlreadyExists
			}
		}
	}
	created := p.CreatedAt
	if ok {
		created = have.CreatedAt
	}
	if s.stacks == nil {
		s.stacks = map[stackKey]*store.Stack{}
	}
	s.stacks[k] = &store.Stack{Account: p.Account, Region: p.Region, StackID: p.StackID, StackName: p.StackName,
		Deleted: p.Deleted, Document: slices.Clone(p.Document), CreatedAt: created.UTC(), Version: p.Version + 1}
	return p.Version + 1, nil
}

func (s *Store) GetStack(_ context.Context, account, region, stackID string) (*store.Stack, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.stacks[stackKey{account, region, stackID}]
	if !ok {
		return nil, store.ErrNotFound
	}
	return cpStack(st), nil
}

func (s *Store) ListStacks(_ context.Context, p store.ListStacksParams) ([]*store.Stack, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*store.Stack
	for k, st := range s.stacks {
		if p.Account != "" && (k.account != p.Account || k.region != p.Region) {
			continue
		}
		if p.StackName != "" && (st.StackName != p.StackName || st.Deleted) {
			continue
		}
		out = append(out, cpStack(st))
	}
	slices.SortFunc(out, func(a, b *store.Stack) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		switch {
		case a.StackID < b.StackID:
			return -1
		case a.StackID > b.StackID:
			return 1
		}
		return 0
	})
	return out, nil
}

func (s *Store) DeleteStack(_ context.Context, account, region, stackID string, version int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := stackKey{account, region, stackID}
	st, ok := s.stacks[k]
	if !ok {
		return store.ErrNotFound
	}
	if st.Version != version {
		return store.ErrStaleVersion
	}
	delete(s.stacks, k)
	return nil
}
