package api

import (
	"context"
	"errors"

	"github.com/statecraft/statecraft/store"
)

// maxVersions is AWS's quota of versions per state machine. A variable so
// that tests can reach it without publishing a thousand versions.
var maxVersions = 1000

// revisionInitial is what a client sends as revisionId to publish a
// machine that has never been updated.
const revisionInitial = "INITIAL"

func conflict(format string, args ...any) *apiError {
	return serviceError("ConflictException", format, args...)
}

// publishVersion publishes the current revision of sm; publishing a
// revision that already has a version returns that version.
func (s *server) publishVersion(ctx context.Context, sm *store.StateMachine, description string) (*store.StateMachineVersion, error) {
	v, _, err := s.st.PublishStateMachineVersion(ctx, store.PublishVersionParams{
		StateMachineArn: sm.Arn, RevisionID: sm.RevisionID, Definition: sm.Definition, RoleArn: sm.RoleArn,
		Description: description, CreatedAt: s.stamp(), MaxVersions: maxVersions,
	})
	switch {
	case isNotFound(err):
		return nil, smDoesNotExist(sm.Arn)
	case errors.Is(err, store.ErrConflict):
		// The machine was updated between reading and publishing it.
		return nil, conflict("Failed to publish a version of '%s': the state machine was updated concurrently; its revision is no longer '%s'", sm.Arn, sm.RevisionID)
	case errors.Is(err, store.ErrLimitExceeded):
		return nil, serviceError("ServiceQuotaExceededException",
			"The state machine '%s' has reached the limit of %d versions; delete unused versions with DeleteStateMachineVersion", sm.Arn, maxVersions)
	case err != nil:
		return nil, err
	}
	return v, nil
}

// lookupVersion resolves a version ARN of a request (a qualifier of
// digits) to the version and its machine; StateMachineDoesNotExist when
// either is gone.
func (s *server) lookupVersion(c *call, a smArn) (*store.StateMachine, *store.StateMachineVersion, error) {
	if err := c.ownsOr(a.stepArn, smDoesNotExist(a.text)); err != nil {
		return nil, nil, err
	}
	ctx := c.ctx
	v, err := s.st.GetStateMachineVersion(ctx, a.text)
	if isNotFound(err) {
		return nil, nil, smDoesNotExist(a.text)
	}
	if err != nil {
		return nil, nil, err
	}
	sm, err := s.st.GetStateMachine(ctx, v.StateMachineArn)
	if isNotFound(err) {
		return nil, nil, smDoesNotExist(a.text)
	}
	if err != nil {
		return nil, nil, err
	}
	return sm, v, nil
}

// isVersionQualifier tells a version number from an alias name: alias
// names hold at least one character that is not a digit.
func isVersionQualifier(q string) bool {
	if q == "" {
		return false
	}
	for i := 0; i < len(q); i++ {
		if q[i] < '0' || q[i] > '9' {
			return false
		}
	}
	return true
}

type publishVersionOutput struct {
	CreationDate           epoch  `json:"creationDate"`
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
}

func (s *server) publishStateMachineVersion(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("stateMachineArn", arnStr.req())
	rev, revGiven := in.str("revisionId", str{})
	desc, _ := in.str("description", versionDescStr)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	a, aerr := parseUnlabelledArn(arnText)
	if aerr != nil {
		return nil, aerr
	}
	sm, err := s.lookupStateMachine(c, a)
	if err != nil {
		return nil, err
	}
	if sm.Status == "DELETING" {
		return nil, smDeleting(sm.Arn)
	}
	if revGiven {
		// INITIAL names the revision of a machine never updated.
		initial := rev == revisionInitial && sm.UpdatedAt.Equal(sm.CreatedAt)
		if rev != sm.RevisionID && !initial {
			return nil, conflict("Failed to publish the State Machine version: the revisionId '%s' does not match the current revision of '%s'", rev, sm.Arn)
		}
	}
	v, err := s.publishVersion(c.ctx, sm, desc)
	if err != nil {
		return nil, err
	}
	return &publishVersionOutput{CreationDate: epoch(v.CreatedAt), StateMachineVersionArn: v.Arn}, nil
}

type versionListItem struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	CreationDate           epoch  `json:"creationDate"`
}

type listVersionsOutput struct {
	StateMachineVersions []versionListItem `json:"stateMachineVersions"`
	NextToken            string            `json:"nextToken,omitempty"`
}

func (s *server) listStateMachineVersions(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("stateMachineArn", arnStr.req())
	page := readPage(in, pageTokenStr)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	a, aerr := parseUnlabelledArn(arnText)
	if aerr != nil {
		return nil, aerr
	}
	if a.qualifier != "" {
		return nil, invalidArn(arnText)
	}
	if mine, err := c.owns(a.stepArn); !mine {
		if err != nil {
			return nil, err
		}
		return &listVersionsOutput{StateMachineVersions: []versionListItem{}}, nil
	}
	const op = "ListStateMachineVersions"
	scope := scopeOf(arnText)
	cursor, aerr := s.cursor(page, op, scope)
	if aerr != nil {
		return nil, aerr
	}
	// The operation models no StateMachineDoesNotExist: a machine that
	// does not exist has no versions to list.
	vs, next, err := s.st.ListStateMachineVersions(c.ctx, store.ListVersionsParams{StateMachineArn: arnText, Limit: page.limit, Token: cursor})
	if err != nil {
		return nil, s.cursorError(err, cursor)
	}
	out := &listVersionsOutput{StateMachineVersions: []versionListItem{}}
	for _, v := range vs {
		out.StateMachineVersions = append(out.StateMachineVersions, versionListItem{StateMachineVersionArn: v.Arn, CreationDate: epoch(v.CreatedAt)})
	}
	if next != "" {
		out.NextToken = s.encodeToken(pageToken{Op: op, Scope: scope, Cursor: next})
	}
	return out, nil
}

func (s *server) deleteStateMachineVersion(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("stateMachineVersionArn", longArnStr.req())
	if err := in.r.check(); err != nil {
		return nil, err
	}
	a, aerr := parseUnlabelledArn(arnText)
	if aerr != nil {
		return nil, aerr
	}
	if !isVersionQualifier(a.qualifier) {
		return nil, validationError("Invalid Arn: '%s'. Expected a state machine version ARN (arn:...:stateMachine:<name>:<version>)", arnText)
	}
	if mine, err := c.owns(a.stepArn); !mine {
		if err != nil {
			return nil, err
		}
		return nil, nil
	}
	// Deleting is idempotent, and running executions of the version go on:
	// each carries its own copy of the definition. The store refuses, in
	// the delete's own transaction, a version an alias routes to.
	err := s.st.DeleteStateMachineVersion(context.WithoutCancel(c.ctx), arnText)
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil, s.versionInUse(c.ctx, arnText)
	case err != nil && !isNotFound(err):
		return nil, err
	}
	return nil, nil
}
