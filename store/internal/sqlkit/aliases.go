package sqlkit

import (
	"slices"
	"time"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
)

// CreateAgain answers a create of an alias whose name the machine already
// has: creating is idempotent for the same configuration, and
// store.ErrAlreadyExists for any other.
func CreateAgain(have *store.StateMachineAlias, p store.CreateAliasParams) error {
	if have.Description != p.Description || !slices.Equal(have.Routes, p.Routes) {
		return store.ErrAlreadyExists
	}
	return nil
}

// NewAlias is the alias a create inserted; at is its creation time as
// the driver keeps it.
func NewAlias(p store.CreateAliasParams, r RouteColumns, at time.Time) *store.StateMachineAlias {
	return &store.StateMachineAlias{
		Arn: arn.Alias(p.StateMachineArn, p.Name), StateMachineArn: p.StateMachineArn, Name: p.Name,
		Description: p.Description, Routes: r.Routes(p.StateMachineArn),
		CreatedAt: at, UpdatedAt: at,
	}
}

// AliasUpdate reads the alias an update names and, when it changes them,
// the columns of its new routes, so that routes a machine cannot hold are
// refused before a transaction starts. An ARN that names no alias is
// store.ErrNotFound: no row can match it.
func AliasUpdate(p store.UpdateAliasParams) (smArn, name string, r RouteColumns, err error) {
	smArn, name, ok := arn.SplitAlias(p.Arn)
	if !ok {
		return "", "", RouteColumns{}, store.ErrNotFound
	}
	if p.Routes != nil {
		if r, err = Routes(smArn, p.Routes); err != nil {
			return "", "", RouteColumns{}, err
		}
	}
	return smArn, name, r, nil
}

// ApplyUpdate changes a, the alias as read in the update's transaction,
// as p asks, and returns the route columns to write: r, those of p's
// routes, or a's own when p keeps them. The driver has checked that r's
// versions exist; UpdatedAt is left to it, which keeps its own precision.
func ApplyUpdate(a *store.StateMachineAlias, p store.UpdateAliasParams, r RouteColumns) (RouteColumns, error) {
	if p.Routes != nil {
		a.Routes = r.Routes(a.StateMachineArn)
	} else {
		var err error
		if r, err = Routes(a.StateMachineArn, a.Routes); err != nil {
			return RouteColumns{}, err
		}
	}
	if p.Description != nil {
		a.Description = *p.Description
	}
	return r, nil
}

// AliasVersion is the version number a listing of aliases narrows to, 0
// for none. ok is false for a version of another machine, to which none
// of this machine's aliases can route: the listing is empty.
func AliasVersion(p store.ListAliasesParams) (n int64, ok bool) {
	if p.VersionArn == "" {
		return 0, true
	}
	smArn, n, ok := arn.SplitVersion(p.VersionArn)
	if !ok || smArn != p.StateMachineArn {
		return 0, false
	}
	return n, true
}

// AliasAfter is the name of the alias whose ARN a listing's token holds:
// the listing goes on after it.
func AliasAfter(tokenArn string) (string, error) {
	_, name, ok := arn.SplitAlias(tokenArn)
	if !ok {
		return "", store.ErrInvalidToken
	}
	return name, nil
}
