package engine

import (
	"context"
	"errors"
	"math/rand/v2"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
)

// A start names a state machine by one of three ARNs, as on AWS: the
// machine's own (its current definition), a version's ("...:3", that
// version's definition and role), or an alias's ("...:prod", one of the
// alias's versions, picked at random by weight for each start). The
// execution's ARN and StateMachineArn are the machine's whichever was
// used; a version or alias start also records the version it ran, and an
// alias start the alias.

// Target is what a start runs.
type Target struct {
	Machine *store.StateMachine
	// Version is the version to run, nil for the machine's current
	// definition; AliasArn is the alias that picked it, "" for none.
	Version  *store.StateMachineVersion
	AliasArn string
}

// Resolve reads what a state machine, version or alias ARN runs; an alias
// picks one of its versions by weight. store.ErrNotFound when the
// machine, the version or the alias does not exist (an alias whose picked
// version is gone included: the store keeps aliases from routing to
// deleted versions, so that is a race with the machine's deletion).
func Resolve(ctx context.Context, st store.Store, smArn string) (*Target, error) {
	if machine, _, ok := arn.SplitVersion(smArn); ok {
		v, err := st.GetStateMachineVersion(ctx, smArn)
		if err != nil {
			return nil, err
		}
		sm, err := st.GetStateMachine(ctx, machine)
		if err != nil {
			return nil, err
		}
		return &Target{Machine: sm, Version: v}, nil
	}
	if machine, _, ok := arn.SplitAlias(smArn); ok {
		a, err := st.GetStateMachineAlias(ctx, smArn)
		if err != nil {
			return nil, err
		}
		if len(a.Routes) == 0 {
			return nil, errors.New("engine: alias " + smArn + " routes to no version")
		}
		v, err := st.GetStateMachineVersion(ctx, a.Routes[PickRoute(a.Routes, rand.IntN(100))].VersionArn)
		if err != nil {
			return nil, err
		}
		sm, err := st.GetStateMachine(ctx, machine)
		if err != nil {
			return nil, err
		}
		return &Target{Machine: sm, Version: v, AliasArn: a.Arn}, nil
	}
	sm, err := st.GetStateMachine(ctx, smArn)
	if err != nil {
		return nil, err
	}
	return &Target{Machine: sm}, nil
}

// PickRoute is the index of the route that draw, uniform in [0, 100),
// falls to: each route takes as many of the hundred draws as its weight,
// in order, so a route of weight 0 is never picked. Weights that add up
// to less than 100 leave the rest to the last route.
func PickRoute(routes []store.AliasRoute, draw int) int {
	for i, r := range routes {
		if draw < r.Weight {
			return i
		}
		draw -= r.Weight
	}
	return len(routes) - 1
}

// StartOption qualifies a start.
type StartOption func(*startOptions)

type startOptions struct {
	version  *store.StateMachineVersion
	aliasArn string
}

// Through runs a start as t says: its version's definition and role, and
// the version and alias recorded on the execution. A Target of the
// machine alone changes nothing.
func Through(t *Target) StartOption {
	return func(o *startOptions) {
		if t.Version != nil {
			o.version, o.aliasArn = t.Version, t.AliasArn
		}
	}
}

// runs is the machine as a start with opts runs it: the version's
// definition and role in place of the machine's.
func runs(sm *store.StateMachine, opts []StartOption) (*store.StateMachine, startOptions) {
	var o startOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.version == nil {
		return sm, o
	}
	c := *sm
	c.Definition, c.RoleArn = o.version.Definition, o.version.RoleArn
	return &c, o
}

// versionArn is the version a start records, "" for none.
func (o startOptions) versionArn() string {
	if o.version == nil {
		return ""
	}
	return o.version.Arn
}
