package cloudformation

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/cloudformation/template"
	"github.com/statecraft/statecraft/store"
)

// parse reads a template body as the service checks it.
func parse(body string) (*template.Template, error) {
	if body == "" {
		return nil, validation("Either Template URL or Template Body must be specified.")
	}
	if len(body) > 51200 {
		return nil, validation("1 validation error detected: Value '...' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200")
	}
	t, err := template.Parse(body, Supported)
	if err != nil {
		return nil, validation("%s", err.Error())
	}
	return t, nil
}

func templateBody(q *request) (string, error) {
	if q.get("TemplateURL") != "" {
		return "", validation("TemplateURL is not supported by Statecraft: send the template in TemplateBody (aws cloudformation --template-body file://template.yml)")
	}
	return q.get("TemplateBody"), nil
}

// checkCapabilities refuses a template with IAM resources unless the
// caller acknowledged them, as CloudFormation does.
func checkCapabilities(t *template.Template, caps []string) error {
	has := map[string]bool{}
	for _, c := range caps {
		switch c {
		case "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND":
			has[c] = true
		default:
			return validation("1 validation error detected: Value '[%s]' at 'capabilities' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [CAPABILITY_AUTO_EXPAND, CAPABILITY_NAMED_IAM, CAPABILITY_IAM]]", c)
		}
	}
	iam, named := t.NeedsIAM()
	switch {
	case named && !has["CAPABILITY_NAMED_IAM"]:
		return &apiErr{400, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]"}
	case iam && !has["CAPABILITY_IAM"] && !has["CAPABILITY_NAMED_IAM"]:
		return &apiErr{400, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]"}
	}
	return nil
}

type validateResult struct {
	XMLName            struct{}    `xml:"ValidateTemplateResult"`
	Parameters         []paramDecl `xml:"Parameters>member"`
	Description        string      `xml:"Description,omitempty"`
	Capabilities       []string    `xml:"Capabilities>member"`
	CapabilitiesReason string      `xml:"CapabilitiesReason,omitempty"`
	DeclaredTransforms []string    `xml:"DeclaredTransforms>member"`
}

type paramDecl struct {
	ParameterKey string `xml:"ParameterKey"`
	DefaultValue string `xml:"DefaultValue,omitempty"`
	NoEcho       bool   `xml:"NoEcho"`
	Description  string `xml:"Description,omitempty"`
}

func (s *Service) validateTemplate(q *request) (any, error) {
	body, err := templateBody(q)
	if err != nil {
		return nil, err
	}
	t, err := parse(body)
	if err != nil {
		return nil, err
	}
	out := validateResult{Description: t.Description}
	if t.Transformed {
		out.DeclaredTransforms = []string{template.SAM}
	}
	for _, name := range t.ParameterOrder {
		p := t.Parameters[name]
		d := paramDecl{ParameterKey: name, NoEcho: p.NoEcho, Description: p.Description}
		if p.Default != nil {
			d.DefaultValue = *p.Default
		}
		out.Parameters = append(out.Parameters, d)
	}
	iam, named := t.NeedsIAM()
	if iam {
		c := "CAPABILITY_IAM"
		if named {
			c = "CAPABILITY_NAMED_IAM"
		}
		out.Capabilities = []string{c}
		var ids []string
		for _, id := range t.Order {
			if strings.HasPrefix(t.Resources[id].Type, "AWS::IAM::") {
				ids = append(ids, id)
			}
		}
		out.CapabilitiesReason = "The following resource(s) require capabilities: [" + strings.Join(ids, ", ") + "]"
	}
	return out, nil
}

// stackInput is what CreateStack, UpdateStack and CreateChangeSet share.
type stackInput struct {
	body   string
	tpl    *template.Template
	params map[string]string // as given (UsePreviousValue resolved)
	values map[string]any    // every parameter's value
	caps   []string
	tags   []Tag
}

// readStackInput reads and checks the template, parameters and
// capabilities of q; prev is the stack being updated, if any.
func (s *Service) readStackInput(q *request, prev *Stack) (*stackInput, error) {
	in := &stackInput{params: map[string]string{}, caps: q.list("Capabilities")}
	if q.get("UsePreviousTemplate") == "true" {
		if prev == nil {
			return nil, validation("UsePreviousTemplate can only be used with an existing stack")
		}
		if q.get("TemplateBody") != "" {
			return nil, validation("You cannot specify both usePreviousTemplate and Template Body/Template URL")
		}
		in.body = prev.TemplateBody
	} else {
		var err error
		if in.body, err = templateBody(q); err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"NotificationARNs.member.1", "StackPolicyBody", "StackPolicyURL", "RoleARN", "ResourceTypes.member.1", "RollbackConfiguration.MonitoringTimeInMinutes"} {
		if q.get(k) != "" {
			return nil, validation("%s is not supported by Statecraft", strings.SplitN(k, ".", 2)[0])
		}
	}
	t, err := parse(in.body)
	if err != nil {
		return nil, err
	}
	in.tpl = t
	for _, p := range q.structs("Parameters") {
		key := p["ParameterKey"]
		if p["UsePreviousValue"] == "true" {
			if prev == nil {
				return nil, validation("Invalid input for parameter key %s. Cannot specify usePreviousValue as true for a parameter key not in the previous template", key)
			}
			v, ok := prev.Parameters[key]
			if !ok {
				return nil, validation("Invalid input for parameter key %s. Cannot specify usePreviousValue as true for a parameter key not in the previous template", key)
			}
			in.params[key] = v
			continue
		}
		in.params[key] = p["ParameterValue"]
	}
	if in.values, err = t.ResolveParameters(in.params); err != nil {
		return nil, validation("%s", err.Error())
	}
	if err := checkCapabilities(t, in.caps); err != nil {
		return nil, err
	}
	for _, tag := range q.structs("Tags") {
		in.tags = append(in.tags, Tag{Key: tag["Key"], Value: tag["Value"]})
	}
	return in, nil
}

// checkAutoExpand refuses a transform that CreateStack or UpdateStack
// would expand without CAPABILITY_AUTO_EXPAND (change sets need none).
func (in *stackInput) checkAutoExpand() error {
	if !in.tpl.Transformed {
		return nil
	}
	for _, c := range in.caps {
		if c == "CAPABILITY_AUTO_EXPAND" {
			return nil
		}
	}
	return &apiErr{400, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"}
}

func (in *stackInput) paramStrings() (map[string]string, map[string]bool) {
	out := map[string]string{}
	noEcho := map[string]bool{}
	for name, v := range in.values {
		switch x := v.(type) {
		case string:
			out[name] = x
		case []any:
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = fmt.Sprint(e)
			}
			out[name] = strings.Join(parts, ",")
		}
		noEcho[name] = in.tpl.Parameters[name].NoEcho
	}
	return out, noEcho
}

type stackIDResult struct {
	XMLName struct{} `xml:"CreateStackResult"`
	StackID string   `xml:"StackId"`
}

func (s *Service) createStack(q *request) (any, error) {
	name := q.get("StackName")
	if name == "" {
		return nil, required("StackName", "stackName")
	}
	if !stackNameRE.MatchString(name) {
		return nil, validation("1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*", name)
	}
	in, err := s.readStackInput(q, nil)
	if err != nil {
		return nil, err
	}
	if err := in.checkAutoExpand(); err != nil {
		return nil, err
	}
	disable := q.get("DisableRollback") == "true"
	switch q.get("OnFailure") {
	case "", "ROLLBACK":
	case "DO_NOTHING":
		disable = true
	case "DELETE":
		return nil, validation("OnFailure DELETE is not supported by Statecraft: use ROLLBACK (the default) or DO_NOTHING")
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'onFailure' failed to satisfy constraint: Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, DELETE]", q.get("OnFailure"))
	}
	s.st.mu.Lock()
	if s.st.findLocked(q.p.Account, q.p.Region, name) != nil {
		s.st.mu.Unlock()
		return nil, &apiErr{400, "AlreadyExistsException", fmt.Sprintf("Stack [%s] already exists", name)}
	}
	st := s.newStackLocked(q.p, name, in)
	st.DisableRollback = disable
	st.Status, st.Node = "CREATE_IN_PROGRESS", s.opts.NodeID
	s.eventLocked(st, stackEvent(st, "CREATE_IN_PROGRESS", "User Initiated"))
	err = s.saveLocked(st)
	s.st.mu.Unlock()
	if err != nil {
		return nil, err
	}
	s.start(func() { s.runCreate(st, in, q.p) })
	return stackIDResult{StackID: st.StackID}, nil
}

func (s *Service) newStackLocked(p *auth.Principal, name string, in *stackInput) *Stack {
	params, noEcho := in.paramStrings()
	st := &Stack{
		StackID: arn.Stack(p.Region, p.Account, name, newUUID()), StackName: name, Account: p.Account, Region: p.Region,
		Description: in.tpl.Description, CreationTime: s.now(), Capabilities: in.caps, Tags: in.tags,
		Parameters: params, NoEcho: noEcho, TemplateBody: in.body, Resources: map[string]*Resource{},
	}
	s.st.all = append(s.st.all, st)
	return st
}

// start runs an operation in the background.
func (s *Service) start(f func()) {
	go func() {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("cloudformation: operation panicked", "panic", fmt.Sprint(v))
			}
		}()
		f()
	}()
}

func (s *Service) eventLocked(st *Stack, e Event) {
	e.EventID = newUUID()
	e.StackID, e.StackName = st.StackID, st.StackName
	if e.Timestamp.IsZero() {
		e.Timestamp = s.now()
	}
	st.Events = append(st.Events, e)
}

func stackEvent(st *Stack, status, reason string) Event {
	return Event{LogicalResourceID: st.StackName, PhysicalResourceID: st.StackID, ResourceType: "AWS::CloudFormation::Stack",
		ResourceStatus: status, ResourceStatusReason: reason}
}

// setStatus records the stack's new status and its event.
func (s *Service) setStatus(st *Stack, status, reason string) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	st.Status, st.StatusReason = status, reason
	if status == "DELETE_COMPLETE" {
		st.DeletionTime = s.now()
	}
	s.eventLocked(st, stackEvent(st, status, reason))
	s.saveOrLog()
}

// saveLocked saves the stacks for a request that changed st: when
// another node changed st first, or took its name, nothing is written
// and the request fails (see stacks.saveLocked), so that two nodes never
// both start an operation of one stack.
func (s *Service) saveLocked(st *Stack) error {
	err := s.st.saveLocked()
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return &apiErr{400, "AlreadyExistsException", fmt.Sprintf("Stack [%s] already exists", st.StackName)}
	case errors.Is(err, store.ErrStaleVersion):
		return validation("Stack [%s] was changed by another request at the same time: nothing was done; try again", st.StackName)
	}
	return err
}

// busyElsewhereLocked refuses a change to a stack whose operation runs
// on another node: that node writes the stack as the operation goes, and
// a change in between would make its writes stale.
func (s *Service) busyElsewhereLocked(st *Stack) error {
	if inProgress(st.Status) && st.Node != s.opts.NodeID {
		return validation("Stack:%s is in %s state on another node and can not be changed until its operation ends.", st.StackID, st.Status)
	}
	return nil
}

func (s *Service) saveOrLog() {
	if err := s.st.saveLocked(); err != nil {
		s.log.Error("cloudformation: saving stacks", "err", err)
	}
}

// resourceEvent records a resource's new status (and the resource, when
// r is kept in the stack) and its event.
func (s *Service) resourceEvent(st *Stack, r *Resource, status, reason string, props map[string]any) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	r.Status, r.StatusReason, r.Timestamp = status, reason, s.now()
	e := Event{LogicalResourceID: r.LogicalID, PhysicalResourceID: r.PhysicalID, ResourceType: r.Type,
		ResourceStatus: status, ResourceStatusReason: reason, Timestamp: r.Timestamp}
	if props != nil {
		b, _ := json.Marshal(props)
		e.ResourceProperties = string(b)
	}
	s.eventLocked(st, e)
	s.saveOrLog()
}

// env is the evaluation environment of st's template.
func (s *Service) env(st *Stack, in *stackInput) (*template.Env, error) {
	vals := map[string]any{}
	for k, v := range in.values {
		vals[k] = v
	}
	vals["AWS::Region"] = st.Region
	vals["AWS::AccountId"] = st.Account
	vals["AWS::StackName"] = st.StackName
	vals["AWS::StackId"] = st.StackID
	vals["AWS::Partition"] = arn.Partition(st.Region)
	vals["AWS::URLSuffix"] = "amazonaws.com"
	vals["AWS::NotificationARNs"] = []any{}
	env := &template.Env{Values: vals,
		Ref: func(id string) (any, bool) {
			s.st.mu.Lock()
			defer s.st.mu.Unlock()
			r, ok := st.Resources[id]
			if !ok || r.PhysicalID == "" {
				return nil, false
			}
			return r.Ref, true
		},
		GetAtt: func(id, attr string) (any, error) {
			s.st.mu.Lock()
			defer s.st.mu.Unlock()
			r, ok := st.Resources[id]
			if !ok || r.PhysicalID == "" {
				return nil, fmt.Errorf("Template error: instance of Fn::GetAtt references undefined resource %s", id)
			}
			v, ok := r.Attrs[attr]
			if !ok || v == nil {
				return nil, fmt.Errorf("Template error: resource %s does not support attribute type %s in Fn::GetAtt", id, attr)
			}
			return v, nil
		}}
	if err := in.tpl.EvalConditions(env); err != nil {
		return nil, err
	}
	return env, nil
}

func (s *Service) provisioner(st *Stack, p *auth.Principal) *provisioner {
	return &provisioner{opts: s.opts, principal: p, stackName: st.StackName}
}

// evalProps evaluates a resource's properties and checks their names.
func evalProps(r *template.Resource, env *template.Env) (map[string]any, error) {
	v, err := template.Eval(r.Properties, env)
	if err != nil {
		return nil, err
	}
	props, _ := v.(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	if err := checkProps(r.Type, props); err != nil {
		return nil, err
	}
	return props, nil
}

func (s *Service) runCreate(st *Stack, in *stackInput, p *auth.Principal) {
	prov := s.provisioner(st, p)
	var made []*Resource
	failed, reason := "", ""
	env, err := s.env(st, in)
	if err != nil {
		failed, reason = st.StackName, err.Error()
	}
	for _, id := range in.tpl.Order {
		if failed != "" {
			break
		}
		tr := in.tpl.Resources[id]
		if !env.Condition(tr.Condition) {
			continue
		}
		r := &Resource{LogicalID: id, Type: tr.Type}
		props, err := evalProps(tr, env)
		if err != nil {
			s.addResource(st, r)
			s.resourceEvent(st, r, "CREATE_FAILED", err.Error(), nil)
			failed, reason = id, err.Error()
			break
		}
		s.addResource(st, r)
		s.resourceEvent(st, r, "CREATE_IN_PROGRESS", "", props)
		c, err := types[tr.Type].create(prov, id, props)
		if err != nil {
			s.resourceEvent(st, r, "CREATE_FAILED", err.Error(), props)
			failed, reason = id, err.Error()
			break
		}
		s.setResource(st, r, c, props)
		s.resourceEvent(st, r, "CREATE_COMPLETE", "", props)
		made = append(made, r)
	}
	if failed == "" {
		if outs, err := s.outputs(in.tpl, env); err != nil {
			failed, reason = st.StackName, err.Error()
		} else {
			s.st.mu.Lock()
			st.Outputs = outs
			s.st.mu.Unlock()
		}
	}
	if failed == "" {
		s.setStatus(st, "CREATE_COMPLETE", "")
		return
	}
	why := fmt.Sprintf("The following resource(s) failed to create: [%s]. ", failed)
	if failed == st.StackName {
		why = reason
	}
	if st.DisableRollback {
		s.setStatus(st, "CREATE_FAILED", why)
		return
	}
	s.setStatus(st, "ROLLBACK_IN_PROGRESS", why+"Rollback requested by user.")
	s.st.mu.Lock()
	if r := st.Resources[failed]; r != nil && r.PhysicalID == "" {
		// The resource that failed was not made: it goes with the rest.
		made = append(made, r)
	}
	s.st.mu.Unlock()
	if bad := s.deleteResources(st, prov, made); len(bad) > 0 {
		s.setStatus(st, "ROLLBACK_FAILED", fmt.Sprintf("The following resource(s) failed to delete: [%s]. ", strings.Join(bad, ", ")))
		return
	}
	s.setStatus(st, "ROLLBACK_COMPLETE", "")
}

func (s *Service) addResource(st *Stack, r *Resource) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	st.Resources[r.LogicalID] = r
}

func (s *Service) setResource(st *Stack, r *Resource, c *created, props map[string]any) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	r.PhysicalID, r.Ref, r.Attrs, r.Properties = c.physicalID, c.ref, c.attrs, props
	st.Resources[r.LogicalID] = r
}

// deleteResources deletes rs, last first, and returns the logical ids of
// those that failed to delete.
func (s *Service) deleteResources(st *Stack, prov *provisioner, rs []*Resource) []string {
	var bad []string
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		if r.PhysicalID == "" {
			s.removeResource(st, r)
			continue
		}
		s.resourceEvent(st, r, "DELETE_IN_PROGRESS", "", nil)
		if err := types[r.Type].delete(prov, r); err != nil && !notFound(err) {
			s.resourceEvent(st, r, "DELETE_FAILED", err.Error(), nil)
			bad = append(bad, r.LogicalID)
			continue
		}
		s.resourceEvent(st, r, "DELETE_COMPLETE", "", nil)
		s.removeResource(st, r)
	}
	return bad
}

// notFound: what is to be deleted is gone already.
func notFound(err error) bool {
	ae, ok := err.(*apiError)
	return ok && (ae.Type == "StateMachineDoesNotExist" || ae.Type == "ActivityDoesNotExist" || ae.Type == "ResourceNotFound")
}

func (s *Service) removeResource(st *Stack, r *Resource) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if st.Resources[r.LogicalID] == r {
		delete(st.Resources, r.LogicalID)
	}
}

func (s *Service) outputs(t *template.Template, env *template.Env) ([]Output, error) {
	var names []string
	for n := range t.Outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Output
	for _, n := range names {
		o := t.Outputs[n]
		if !env.Condition(o.Condition) {
			continue
		}
		v, err := template.Eval(o.Value, env)
		if err != nil {
			return nil, err
		}
		var sv string
		switch x := v.(type) {
		case string:
			sv = x
		case json.Number:
			sv = x.String()
		case []any:
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = fmt.Sprint(e)
			}
			sv = strings.Join(parts, ",")
		default:
			sv = fmt.Sprint(x)
		}
		out = append(out, Output{OutputKey: n, OutputValue: sv, Description: o.Description})
	}
	return out, nil
}

// inProgress tells whether a status is that of a running operation.
func inProgress(status string) bool {
	return strings.HasSuffix(status, "_IN_PROGRESS") && status != "REVIEW_IN_PROGRESS"
}

// recover ends the operations a restart interrupted, and forgets the
// stacks deleted longer ago than AWS lists them.
func (s *Service) recover() {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if err := s.st.purgeLocked(s.now()); err != nil {
		s.opts.Log.Error("cloudformation: purging stacks deleted 90 days ago", "err", err)
	}
	changed := false
	for _, st := range s.st.all {
		// Another node's operation may be running: only that node,
		// restarting, can tell that it is not.
		if !inProgress(st.Status) || s.opts.NodeID != "" && st.Node != s.opts.NodeID {
			continue
		}
		var status string
		switch {
		case strings.HasPrefix(st.Status, "CREATE"):
			status = "CREATE_FAILED"
		case strings.HasPrefix(st.Status, "ROLLBACK"):
			status = "ROLLBACK_FAILED"
		case strings.HasPrefix(st.Status, "DELETE"):
			status = "DELETE_FAILED"
		default:
			status = "UPDATE_ROLLBACK_FAILED"
		}
		reason := "Statecraft restarted during " + st.Status + ": the stack's resources are as listed; delete the stack to remove them"
		st.Status, st.StatusReason = status, reason
		s.eventLocked(st, stackEvent(st, status, reason))
		changed = true
	}
	if changed {
		s.saveOrLog()
	}
}

func (s *Service) deleteStack(q *request) (any, error) {
	name := q.get("StackName")
	if name == "" {
		return nil, required("StackName", "stackName")
	}
	if q.get("RetainResources.member.1") != "" {
		return nil, validation("RetainResources is not supported by Statecraft")
	}
	s.st.mu.Lock()
	st := s.st.findLocked(q.p.Account, q.p.Region, name)
	if st == nil || st.Status == "DELETE_COMPLETE" {
		// Deleting a stack that does not exist succeeds, as on AWS.
		s.st.mu.Unlock()
		return struct {
			XMLName struct{} `xml:"DeleteStackResult"`
		}{}, nil
	}
	if inProgress(st.Status) {
		s.st.mu.Unlock()
		if strings.HasPrefix(st.Status, "DELETE") {
			return struct {
				XMLName struct{} `xml:"DeleteStackResult"`
			}{}, nil
		}
		return nil, validation("Stack [%s] cannot be deleted while in status %s", st.StackName, st.Status)
	}
	st.Status, st.StatusReason, st.Node = "DELETE_IN_PROGRESS", "User Initiated", s.opts.NodeID
	s.eventLocked(st, stackEvent(st, "DELETE_IN_PROGRESS", "User Initiated"))
	err := s.saveLocked(st)
	s.st.mu.Unlock()
	if err != nil {
		return nil, err
	}
	s.start(func() { s.runDelete(st, q.p) })
	return struct {
		XMLName struct{} `xml:"DeleteStackResult"`
	}{}, nil
}

// creationOrder lists st's resources in the order of its template (those
// a template no longer orders last).
func (s *Service) creationOrder(st *Stack) []*Resource {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	var order []string
	if t, err := template.Parse(st.TemplateBody, Supported); err == nil {
		order = t.Order
	}
	seen := map[string]bool{}
	var out []*Resource
	for _, id := range order {
		if r, ok := st.Resources[id]; ok {
			out = append(out, r)
			seen[id] = true
		}
	}
	var rest []string
	for id := range st.Resources {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	sort.Strings(rest)
	for _, id := range rest {
		out = append(out, st.Resources[id])
	}
	return out
}

func (s *Service) runDelete(st *Stack, p *auth.Principal) {
	prov := s.provisioner(st, p)
	var del []*Resource
	retain := map[string]bool{}
	if t, err := template.Parse(st.TemplateBody, Supported); err == nil {
		for id, r := range t.Resources {
			retain[id] = r.Retain
		}
	}
	for _, r := range s.creationOrder(st) {
		if retain[r.LogicalID] && r.PhysicalID != "" {
			s.resourceEvent(st, r, "DELETE_SKIPPED", "", nil)
			continue
		}
		del = append(del, r)
	}
	if bad := s.deleteResources(st, prov, del); len(bad) > 0 {
		s.setStatus(st, "DELETE_FAILED", fmt.Sprintf("The following resource(s) failed to delete: [%s]. ", strings.Join(bad, ", ")))
		return
	}
	s.setStatus(st, "DELETE_COMPLETE", "")
}

// sameProps compares evaluated properties as JSON would.
func sameProps(a, b map[string]any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var x, y any
	_ = json.Unmarshal(ja, &x)
	_ = json.Unmarshal(jb, &y)
	return reflect.DeepEqual(x, y)
}

type summaryParam struct {
	ParameterKey  string   `xml:"ParameterKey"`
	DefaultValue  string   `xml:"DefaultValue,omitempty"`
	ParameterType string   `xml:"ParameterType"`
	NoEcho        bool     `xml:"NoEcho"`
	Description   string   `xml:"Description,omitempty"`
	AllowedValues []string `xml:"ParameterConstraints>AllowedValues>member"`
}

func (s *Service) getTemplateSummary(q *request) (any, error) {
	body, err := templateBody(q)
	if err != nil {
		return nil, err
	}
	if q.get("StackName") != "" {
		if body != "" {
			return nil, validation("Only one of TemplateBody, TemplateURL, StackName or StackSetName may be specified")
		}
		s.st.mu.Lock()
		st, err := s.stackFor(q, true)
		if err == nil {
			body = st.TemplateBody
		}
		s.st.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	t, err := parse(body)
	if err != nil {
		return nil, err
	}
	type result struct {
		XMLName            struct{}       `xml:"GetTemplateSummaryResult"`
		Parameters         []summaryParam `xml:"Parameters>member"`
		Description        string         `xml:"Description,omitempty"`
		Capabilities       []string       `xml:"Capabilities>member"`
		CapabilitiesReason string         `xml:"CapabilitiesReason,omitempty"`
		ResourceTypes      []string       `xml:"ResourceTypes>member"`
		Version            string         `xml:"Version"`
		DeclaredTransforms []string       `xml:"DeclaredTransforms>member"`
	}
	v, _ := s.validateTemplate(&request{p: q.p, form: map[string][]string{"TemplateBody": {body}}})
	vr := v.(validateResult)
	out := result{Description: t.Description, Capabilities: vr.Capabilities, CapabilitiesReason: vr.CapabilitiesReason, Version: "2010-09-09", DeclaredTransforms: vr.DeclaredTransforms}
	for _, name := range t.ParameterOrder {
		p := t.Parameters[name]
		sp := summaryParam{ParameterKey: name, ParameterType: p.Type, NoEcho: p.NoEcho, Description: p.Description, AllowedValues: p.AllowedValues}
		if p.Default != nil {
			sp.DefaultValue = *p.Default
		}
		out.Parameters = append(out.Parameters, sp)
	}
	seen := map[string]bool{}
	for _, id := range t.Order {
		if typ := t.Resources[id].Type; !seen[typ] {
			seen[typ] = true
			out.ResourceTypes = append(out.ResourceTypes, typ)
		}
	}
	return out, nil
}
