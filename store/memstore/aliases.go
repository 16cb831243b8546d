package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
)

func cpAlias(a *store.StateMachineAlias) *store.StateMachineAlias {
	c := *a
	c.Routes = slices.Clone(a.Routes)
	return &c
}

// checkRoutes checks routes as the SQL drivers' columns do: one or two
// distinct versions of smArn that the store has.
func (s *Store) checkRoutes(smArn string, routes []store.AliasRoute) error {
	if len(routes) < 1 || len(routes) > 2 {
		return fmt.Errorf("memstore: an alias routes to 1 or 2 versions, not %d", len(routes))
	}
	if len(routes) == 2 && routes[0].VersionArn == routes[1].VersionArn {
		return fmt.Errorf("memstore: an alias routes to distinct versions, not %s twice", routes[0].VersionArn)
	}
	for _, r := range routes {
		sm, n, ok := arn.SplitVersion(r.VersionArn)
		if !ok || sm != smArn {
			return store.ErrNotFound
		}
		if _, ok := s.versions[smArn][n]; !ok {
			return store.ErrNotFound
		}
	}
	return nil
}

func (s *Store) CreateStateMachineAlias(_ context.Context, p store.CreateAliasParams) (*store.StateMachineAlias, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.machines[p.StateMachineArn]; !ok {
		return nil, false, store.ErrNotFound
	}
	if err := s.checkRoutes(p.StateMachineArn, p.Routes); err != nil {
		return nil, false, err
	}
	as := s.aliases[p.StateMachineArn]
	if have, ok := as[p.Name]; ok {
		if have.Description != p.Description || !slices.Equal(have.Routes, p.Routes) {
			return nil, false, store.ErrAlreadyExists
		}
		return cpAlias(have), false, nil
	}
	if p.MaxAliases > 0 && len(as) >= p.MaxAliases {
		return nil, false, store.ErrLimitExceeded
	}
	if as == nil {
		as = map[string]*store.StateMachineAlias{}
		s.aliases[p.StateMachineArn] = as
	}
	a := &store.StateMachineAlias{
		Arn: arn.Alias(p.StateMachineArn, p.Name), StateMachineArn: p.StateMachineArn, Name: p.Name,
		Description: p.Description, Routes: slices.Clone(p.Routes), CreatedAt: utc(p.CreatedAt), UpdatedAt: utc(p.CreatedAt),
	}
	as[p.Name] = a
	return cpAlias(a), true, nil
}

// alias is the alias an ARN names, itself rather than a copy, for the
// caller to change; s.mu must be held.
func (s *Store) alias(aliasArn string) (*store.StateMachineAlias, error) {
	smArn, name, ok := arn.SplitAlias(aliasArn)
	if !ok {
		return nil, store.ErrNotFound
	}
	a, ok := s.aliases[smArn][name]
	if !ok {
		return nil, store.ErrNotFound
	}
	return a, nil
}

func (s *Store) GetStateMachineAlias(_ context.Context, aliasArn string) (*store.StateMachineAlias, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.alias(aliasArn)
	if err != nil {
		return nil, err
	}
	return cpAlias(a), nil
}

func (s *Store) UpdateStateMachineAlias(_ context.Context, p store.UpdateAliasParams) (*store.StateMachineAlias, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.alias(p.Arn)
	if err != nil {
		return nil, err
	}
	if p.Routes != nil {
		if err := s.checkRoutes(a.StateMachineArn, p.Routes); err != nil {
			return nil, err
		}
		a.Routes = slices.Clone(p.Routes)
	}
	if p.Description != nil {
		a.Description = *p.Description
	}
	a.UpdatedAt = utc(p.UpdatedAt)
	return cpAlias(a), nil
}

func (s *Store) DeleteStateMachineAlias(_ context.Context, aliasArn string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.alias(aliasArn)
	if err != nil {
		return err
	}
	delete(s.aliases[a.StateMachineArn], a.Name)
	return nil
}

func (s *Store) ListStateMachineAliases(_ context.Context, p store.ListAliasesParams) ([]*store.StateMachineAlias, string, error) {
	if p.Limit <= 0 {
		return nil, "", store.ErrInvalidLimit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	as := s.aliases[p.StateMachineArn]
	keys := make([]string, 0, len(as))
	for _, a := range as {
		if p.VersionArn == "" || slices.ContainsFunc(a.Routes, func(r store.AliasRoute) bool { return r.VersionArn == p.VersionArn }) {
			keys = append(keys, a.Arn)
		}
	}
	byArn := func(k string) *store.StateMachineAlias {
		_, name, _ := arn.SplitAlias(k)
		return as[name]
	}
	keys, next, err := page(keys, func(k string) time.Time { return byArn(k).CreatedAt }, store.ListParams{Limit: p.Limit, Token: p.Token})
	if err != nil {
		return nil, "", err
	}
	out := make([]*store.StateMachineAlias, len(keys))
	for i, k := range keys {
		out[i] = cpAlias(byArn(k))
	}
	return out, next, nil
}
