package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/store"
)

// An alias ("...:stateMachine:NAME:ALIAS") routes the executions started
// through it to one or two versions of its machine by weight
// (engine.Resolve picks). Its operations answer as AWS does, down to the
// messages AWS was recorded giving; the store keeps the rules that need a
// transaction (no alias routes to a deleted version, create is
// idempotent).

// maxAliases is AWS's quota of aliases per state machine. A variable so
// that tests can reach it without creating a hundred aliases.
var maxAliases = 100

// aliasNamePattern is the model's pattern for alias names, quoted in the
// message that refuses one: letters, digits, '_', '-' and '.', with at
// least one that is not a digit, so that an alias never reads as a
// version.
const aliasNamePattern = `^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$`

func validAliasName(s string) bool {
	if s == "" {
		return false
	}
	digits := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '-', c == '.':
			digits = false
		default:
			return false
		}
	}
	return !digits
}

var (
	aliasNameStr = str{required: true, min: 1, max: 80, pattern: validAliasName, patternRE: aliasNamePattern}
	aliasDescStr = str{max: 256, sensitive: true}
)

// aliasNotFound is the ResourceNotFound AWS was recorded answering for an
// alias that does not exist.
func aliasNotFound(arnText string) *apiError {
	e := serviceError(errResourceNotFound, "Request references a resource that does not exist.")
	e.resourceName = arnText
	return e
}

type routeItem struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	Weight                 int    `json:"weight"`
}

// readRouting reads a routingConfiguration against the model: one or two
// items, each a version ARN and a weight of 0 to 100. ok is false when it
// is absent or breaks the model.
func readRouting(in *fields, required bool) ([]routeItem, bool) {
	const name = "routingConfiguration"
	items, ok := in.list(name, required)
	if !ok {
		return nil, false
	}
	var out []routeItem
	good := true
	for i, raw := range items {
		path := in.memberPath(name, i)
		item := in.sub(path+".", path, raw)
		if item == nil {
			return nil, false
		}
		v, okV := item.str("stateMachineVersionArn", arnStr.req())
		w, okW := item.integer("weight", 0, 100)
		if !item.present("weight") {
			item.missing("weight")
		}
		good = good && okV && okW
		out = append(out, routeItem{StateMachineVersionArn: v, Weight: int(w)})
	}
	if len(items) < 1 || len(items) > 2 {
		// AWS quotes the list as its Java objects print.
		parts := make([]string, len(out))
		for i, r := range out {
			parts[i] = fmt.Sprintf("RoutingConfigurationListItem(stateMachineVersionArn=%s, weight=%d)", r.StateMachineVersionArn, r.Weight)
		}
		bound := "less than or equal to 2"
		if len(items) < 1 {
			bound = "greater than or equal to 1"
		}
		in.r.v.add("Value '[%s]' at '%s%s' failed to satisfy constraint: Member must have length %s", strings.Join(parts, ", "), in.path, name, bound)
		good = false
	}
	return out, good
}

// routingError is a ValidationException about a routingConfiguration,
// with the reason the model has for it.
func routingError(format string, args ...any) *apiError {
	e := validationError(format, args...)
	e.reason = "INVALID_ROUTING_CONFIGURATION"
	return e
}

// checkRouting applies AWS's rules beyond the model, in the order AWS
// was recorded applying them: distinct versions, weights adding up to
// 100, then version ARNs of one machine. It returns that machine's ARN
// and the routes.
func checkRouting(items []routeItem) (string, []store.AliasRoute, *apiError) {
	arns := make([]string, len(items))
	weights := make([]string, len(items))
	sum := 0
	for i, r := range items {
		arns[i], weights[i] = r.StateMachineVersionArn, fmt.Sprint(r.Weight)
		sum += r.Weight
	}
	received := "[" + strings.Join(arns, ", ") + "]"
	if len(arns) == 2 && arns[0] == arns[1] {
		return "", nil, routingError("Routing configuration must contain distinct state machine version ARNs. Received: %s", received)
	}
	if sum != 100 {
		return "", nil, routingError("Sum of routing configuration weights must equal 100. Received: [%s]", strings.Join(weights, ", "))
	}
	machine := ""
	routes := make([]store.AliasRoute, len(items))
	for i, r := range items {
		sm, _, ok := arn.SplitVersion(r.StateMachineVersionArn)
		if a, err := parseStateMachineArn(r.StateMachineVersionArn); err != nil || a.label != "" || !ok {
			return "", nil, routingError("Routing configuration must contain state machine version ARNs. Received: %s", received)
		}
		if machine != "" && sm != machine {
			return "", nil, routingError("Routing configuration must contain versions of the same state machine. Received: %s", received)
		}
		machine = sm
		routes[i] = store.AliasRoute{VersionArn: r.StateMachineVersionArn, Weight: r.Weight}
	}
	return machine, routes, nil
}

// aliasMachine reads the machine an alias write names and checks it may
// take one: the caller's (AccessDenied otherwise), existing
// (ResourceNotFound, as AWS models for these operations) and not being
// deleted.
func (s *server) aliasMachine(c *call, smArnText, requested string) (*store.StateMachine, error) {
	a, aerr := parseStateMachineArn(smArnText)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.ownsOr(a.stepArn, aliasNotFound(requested)); err != nil {
		return nil, err
	}
	sm, err := s.st.GetStateMachine(c.ctx, smArnText)
	if isNotFound(err) {
		return nil, aliasNotFound(requested)
	}
	if err != nil {
		return nil, err
	}
	if sm.Status == "DELETING" {
		return nil, smDeleting(sm.Arn)
	}
	return sm, nil
}

type createAliasOutput struct {
	StateMachineAliasArn string `json:"stateMachineAliasArn"`
	CreationDate         epoch  `json:"creationDate"`
}

func (s *server) createStateMachineAlias(c *call) (any, error) {
	in := c.in
	name, _ := in.str("name", aliasNameStr)
	desc, _ := in.str("description", aliasDescStr)
	items, _ := readRouting(in, true)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	smArnText, routes, aerr := checkRouting(items)
	if aerr != nil {
		return nil, aerr
	}
	aliasArn := arn.Alias(smArnText, name)
	sm, err := s.aliasMachine(c, smArnText, aliasArn)
	if err != nil {
		return nil, err
	}
	a, _, err := s.st.CreateStateMachineAlias(context.WithoutCancel(c.ctx), store.CreateAliasParams{
		StateMachineArn: sm.Arn, Name: name, Description: desc, Routes: routes, CreatedAt: s.stamp(), MaxAliases: maxAliases,
	})
	switch {
	case isNotFound(err):
		// A routed version does not exist (or the machine went meanwhile).
		return nil, aliasNotFound(missingVersion(c.ctx, s.st, routes, sm.Arn))
	case errors.Is(err, store.ErrAlreadyExists):
		return nil, conflict("Failed to create alias because an alias with the same name and a different routing configuration already exists.")
	case errors.Is(err, store.ErrLimitExceeded):
		return nil, serviceError("ServiceQuotaExceededException",
			"The state machine '%s' has reached the limit of %d aliases; delete unused aliases with DeleteStateMachineAlias", sm.Arn, maxAliases)
	case err != nil:
		return nil, err
	}
	return &createAliasOutput{StateMachineAliasArn: a.Arn, CreationDate: epoch(a.CreatedAt)}, nil
}

// missingVersion names the first routed version that does not exist, for
// the ResourceNotFound that says so; the machine when they all do.
func missingVersion(ctx context.Context, st store.Store, routes []store.AliasRoute, smArn string) string {
	for _, r := range routes {
		if _, err := st.GetStateMachineVersion(ctx, r.VersionArn); isNotFound(err) {
			return r.VersionArn
		}
	}
	return smArn
}

// aliasArnOf parses the alias ARN of a request: InvalidArn for one that
// names no alias (a machine or a version), ValidationException for a Map
// label.
func aliasArnOf(text string) (smArn, *apiError) {
	a, err := parseUnlabelledArn(text)
	if err != nil {
		return smArn{}, err
	}
	if a.qualifier == "" || isVersionQualifier(a.qualifier) {
		return smArn{}, invalidArn(text)
	}
	return a, nil
}

// lookupAlias resolves the alias ARN of a request.
func (s *server) lookupAlias(c *call, text string) (*store.StateMachineAlias, error) {
	a, aerr := aliasArnOf(text)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.ownsOr(a.stepArn, aliasNotFound(text)); err != nil {
		return nil, err
	}
	al, err := s.st.GetStateMachineAlias(c.ctx, text)
	if isNotFound(err) {
		return nil, aliasNotFound(text)
	}
	return al, err
}

type describeAliasOutput struct {
	StateMachineAliasArn string      `json:"stateMachineAliasArn"`
	Name                 string      `json:"name"`
	Description          string      `json:"description,omitempty"`
	RoutingConfiguration []routeItem `json:"routingConfiguration"`
	CreationDate         epoch       `json:"creationDate"`
	UpdateDate           epoch       `json:"updateDate"`
}

func routingOf(routes []store.AliasRoute) []routeItem {
	out := make([]routeItem, len(routes))
	for i, r := range routes {
		out[i] = routeItem{StateMachineVersionArn: r.VersionArn, Weight: r.Weight}
	}
	return out
}

func (s *server) describeStateMachineAlias(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("stateMachineAliasArn", arnStr.req())
	if err := in.r.check(); err != nil {
		return nil, err
	}
	a, err := s.lookupAlias(c, arnText)
	if err != nil {
		return nil, err
	}
	return &describeAliasOutput{
		StateMachineAliasArn: a.Arn, Name: a.Name, Description: a.Description, RoutingConfiguration: routingOf(a.Routes),
		CreationDate: epoch(a.CreatedAt), UpdateDate: epoch(a.UpdatedAt),
	}, nil
}

type updateAliasOutput struct {
	UpdateDate epoch `json:"updateDate"`
}

func (s *server) updateStateMachineAlias(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("stateMachineAliasArn", arnStr.req())
	desc, descGiven := in.str("description", aliasDescStr)
	items, routingGiven := readRouting(in, false)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	if !descGiven && !routingGiven {
		e := validationError("Either the description or the routingConfiguration must be specified")
		e.reason = "MISSING_REQUIRED_PARAMETER"
		return nil, e
	}
	var routes []store.AliasRoute
	if routingGiven {
		smArnText, r, aerr := checkRouting(items)
		if aerr != nil {
			return nil, aerr
		}
		if machine, _, ok := arn.SplitAlias(arnText); ok && machine != smArnText {
			return nil, routingError("Routing configuration must contain versions of the alias's state machine '%s'. Received: [%s]", machine, strings.Join(versionArns(r), ", "))
		}
		routes = r
	}
	a, err := s.lookupAlias(c, arnText)
	if err != nil {
		return nil, err
	}
	if _, err := s.aliasMachine(c, a.StateMachineArn, a.Arn); err != nil {
		return nil, err
	}
	// The same configuration again is answered as it is, without a
	// write: the call is idempotent.
	if (!descGiven || desc == a.Description) && (!routingGiven || slices.Equal(routes, a.Routes)) {
		return &updateAliasOutput{UpdateDate: epoch(a.UpdatedAt)}, nil
	}
	p := store.UpdateAliasParams{Arn: a.Arn, Routes: routes, UpdatedAt: s.stamp()}
	if descGiven {
		p.Description = &desc
	}
	updated, err := s.st.UpdateStateMachineAlias(context.WithoutCancel(c.ctx), p)
	if isNotFound(err) {
		if _, gone := s.st.GetStateMachineAlias(c.ctx, a.Arn); isNotFound(gone) {
			return nil, aliasNotFound(a.Arn)
		}
		return nil, aliasNotFound(missingVersion(c.ctx, s.st, routes, a.StateMachineArn))
	}
	if err != nil {
		return nil, err
	}
	return &updateAliasOutput{UpdateDate: epoch(updated.UpdatedAt)}, nil
}

func versionArns(routes []store.AliasRoute) []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.VersionArn
	}
	return out
}

func (s *server) deleteStateMachineAlias(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("stateMachineAliasArn", arnStr.req())
	if err := in.r.check(); err != nil {
		return nil, err
	}
	a, aerr := aliasArnOf(arnText)
	if aerr != nil {
		return nil, aerr
	}
	if mine, err := c.owns(a.stepArn); !mine {
		if err != nil {
			return nil, err
		}
		return nil, nil
	}
	// Deleting an alias that is not there succeeds, as AWS was recorded
	// answering.
	if err := s.st.DeleteStateMachineAlias(context.WithoutCancel(c.ctx), arnText); err != nil && !isNotFound(err) {
		return nil, err
	}
	return nil, nil
}

type aliasListItem struct {
	StateMachineAliasArn string `json:"stateMachineAliasArn"`
	CreationDate         epoch  `json:"creationDate"`
}

type listAliasesOutput struct {
	StateMachineAliases []aliasListItem `json:"stateMachineAliases"`
	NextToken           string          `json:"nextToken,omitempty"`
}

// listStateMachineAliases lists a machine's aliases, or, given a version
// ARN, the aliases that route to that version.
func (s *server) listStateMachineAliases(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("stateMachineArn", arnStr.req())
	page := readPage(in, pageTokenStr)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	a, aerr := parseStateMachineArn(arnText)
	if aerr != nil {
		return nil, aerr
	}
	if a.label != "" {
		return nil, invalidArn(arnText)
	}
	p := store.ListAliasesParams{StateMachineArn: arnText, Limit: page.limit}
	var sm *store.StateMachine
	switch {
	case isVersionQualifier(a.qualifier):
		var err error
		if sm, _, err = s.lookupVersion(c, a); err != nil {
			var ae *apiError
			if errors.As(err, &ae) && ae.name == errSMDoesNotExist {
				return nil, resourceNotFound(arnText)
			}
			return nil, err
		}
		p.StateMachineArn, p.VersionArn = sm.Arn, arnText
	case a.qualifier != "":
		return nil, invalidArn(arnText)
	default:
		var err error
		if sm, err = s.lookupStateMachine(c, a); err != nil {
			return nil, err
		}
	}
	if sm.Status == "DELETING" {
		return nil, smDeleting(sm.Arn)
	}
	const op = "ListStateMachineAliases"
	scope := scopeOf(arnText)
	if p.Token, aerr = s.cursor(page, op, scope); aerr != nil {
		return nil, aerr
	}
	as, next, err := s.st.ListStateMachineAliases(c.ctx, p)
	if err != nil {
		return nil, s.cursorError(err, p.Token)
	}
	out := &listAliasesOutput{StateMachineAliases: []aliasListItem{}}
	for _, a := range as {
		out.StateMachineAliases = append(out.StateMachineAliases, aliasListItem{StateMachineAliasArn: a.Arn, CreationDate: epoch(a.CreatedAt)})
	}
	if next != "" {
		out.NextToken = s.encodeToken(pageToken{Op: op, Scope: scope, Cursor: next})
	}
	return out, nil
}

// versionInUse is the ConflictException AWS was recorded answering when
// a version an alias routes to is to be deleted: it names the aliases.
func (s *server) versionInUse(ctx context.Context, versionArn string) error {
	machine, _, _ := arn.SplitVersion(versionArn)
	as, _, err := s.st.ListStateMachineAliases(ctx, store.ListAliasesParams{StateMachineArn: machine, VersionArn: versionArn, Limit: maxAliases})
	if err != nil {
		return err
	}
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Name
	}
	return conflict("Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [%s]", strings.Join(names, ", "))
}
