package cloudformation

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/auth"
	"github.com/statecraft/statecraft/cloudformation/template"
)

// updatable are the statuses an update may start from.
var updatable = map[string]bool{"CREATE_COMPLETE": true, "UPDATE_COMPLETE": true, "UPDATE_ROLLBACK_COMPLETE": true}

func (s *Service) updateStack(q *request) (any, error) {
	s.st.mu.Lock()
	st, err := s.stackFor(q, false)
	s.st.mu.Unlock()
	if err != nil {
		return nil, err
	}
	in, err := s.readStackInput(q, st)
	if err != nil {
		return nil, err
	}
	if err := in.checkAutoExpand(); err != nil {
		return nil, err
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if !updatable[st.Status] {
		return nil, validation("Stack:%s is in %s state and can not be updated.", st.StackID, st.Status)
	}
	params, _ := in.paramStrings()
	if in.body == st.TemplateBody && reflect.DeepEqual(params, st.Parameters) && (len(in.tags) == 0 || reflect.DeepEqual(in.tags, st.Tags)) {
		return nil, validation("No updates are to be performed.")
	}
	if err := s.beginUpdateLocked(st, in, q.p); err != nil {
		return nil, err
	}
	return struct {
		XMLName struct{} `xml:"UpdateStackResult"`
		StackID string   `xml:"StackId"`
	}{StackID: st.StackID}, nil
}

// beginUpdateLocked marks st as updating and starts the update.
func (s *Service) beginUpdateLocked(st *Stack, in *stackInput, p *auth.Principal) error {
	prev := *st
	prev.Resources = map[string]*Resource{}
	for id, r := range st.Resources {
		c := *r
		prev.Resources[id] = &c
	}
	params, noEcho := in.paramStrings()
	st.TemplateBody, st.Parameters, st.NoEcho, st.Capabilities = in.body, params, noEcho, in.caps
	st.Description = in.tpl.Description
	if len(in.tags) > 0 {
		st.Tags = in.tags
	}
	st.LastUpdatedTime = s.now()
	st.Status, st.StatusReason, st.Node = "UPDATE_IN_PROGRESS", "User Initiated", s.opts.NodeID
	s.eventLocked(st, stackEvent(st, "UPDATE_IN_PROGRESS", "User Initiated"))
	if err := s.saveLocked(st); err != nil {
		return err
	}
	s.start(func() { s.runUpdate(st, &prev, in, p) })
	return nil
}

// step is a change an update made, for its rollback to undo.
type step struct {
	kind string // "create", "update", "replace"
	now  *Resource
	old  *Resource // the resource as it was (update, replace)
}

func needsReplace(typ string, old, now map[string]any) bool {
	rt := types[typ]
	if rt.update == nil {
		return true
	}
	for _, k := range rt.replace {
		if !sameProps(map[string]any{k: old[k]}, map[string]any{k: now[k]}) {
			return true
		}
	}
	return false
}

func (s *Service) runUpdate(st, prev *Stack, in *stackInput, p *auth.Principal) {
	prov := s.provisioner(st, p)
	var steps []step
	var replaced []*Resource
	keep := map[string]bool{}
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
		keep[id] = true
		props, err := evalProps(tr, env)
		old := prev.Resources[id]
		if err != nil {
			r := &Resource{LogicalID: id, Type: tr.Type}
			status := "CREATE_FAILED"
			if old != nil {
				s.st.mu.Lock()
				r = st.Resources[id]
				s.st.mu.Unlock()
				status = "UPDATE_FAILED"
			} else {
				s.addResource(st, r)
			}
			s.resourceEvent(st, r, status, err.Error(), nil)
			failed, reason = id, err.Error()
			break
		}
		switch {
		case old == nil || old.PhysicalID == "":
			r := &Resource{LogicalID: id, Type: tr.Type}
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
			steps = append(steps, step{kind: "create", now: r})
		case old.Type == tr.Type && sameProps(old.Properties, props):
		case old.Type != tr.Type || needsReplace(tr.Type, old.Properties, props):
			r := &Resource{LogicalID: id, Type: tr.Type}
			s.addResource(st, r)
			s.resourceEvent(st, r, "UPDATE_IN_PROGRESS", "Requested update requires the creation of a new physical resource; hence creating one.", props)
			c, err := types[tr.Type].create(prov, id, props)
			if err != nil {
				s.resourceEvent(st, r, "UPDATE_FAILED", err.Error(), props)
				s.addResource(st, old)
				failed, reason = id, err.Error()
				break
			}
			s.setResource(st, r, c, props)
			s.resourceEvent(st, r, "UPDATE_COMPLETE", "", props)
			steps = append(steps, step{kind: "replace", now: r, old: old})
			replaced = append(replaced, old)
		default:
			s.st.mu.Lock()
			r := st.Resources[id]
			s.st.mu.Unlock()
			s.resourceEvent(st, r, "UPDATE_IN_PROGRESS", "", props)
			c, err := types[tr.Type].update(prov, r, props)
			if err != nil {
				s.resourceEvent(st, r, "UPDATE_FAILED", err.Error(), props)
				failed, reason = id, err.Error()
				break
			}
			s.setResource(st, r, c, props)
			s.resourceEvent(st, r, "UPDATE_COMPLETE", "", props)
			steps = append(steps, step{kind: "update", now: r, old: old})
		}
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
		s.setStatus(st, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "")
		// Removed resources go, last created first, then the resources
		// replacements superseded.
		var gone []*Resource
		for _, r := range s.creationOrderOf(prev) {
			if !keep[r.LogicalID] {
				gone = append(gone, r)
			}
		}
		s.deleteOld(st, prov, gone, true)
		s.deleteOld(st, prov, replaced, false)
		s.setStatus(st, "UPDATE_COMPLETE", "")
		return
	}
	why := fmt.Sprintf("The following resource(s) failed to update: [%s]. ", failed)
	if failed == st.StackName {
		why = reason
	}
	s.setStatus(st, "UPDATE_ROLLBACK_IN_PROGRESS", why)
	bad := false
	for i := len(steps) - 1; i >= 0; i-- {
		sp := steps[i]
		switch sp.kind {
		case "create":
			if b := s.deleteResources(st, prov, []*Resource{sp.now}); len(b) > 0 {
				bad = true
			}
		case "update":
			s.resourceEvent(st, sp.now, "UPDATE_IN_PROGRESS", "", sp.old.Properties)
			c, err := types[sp.now.Type].update(prov, sp.now, sp.old.Properties)
			if err != nil {
				s.resourceEvent(st, sp.now, "UPDATE_FAILED", err.Error(), nil)
				bad = true
				continue
			}
			s.setResource(st, sp.now, c, sp.old.Properties)
			s.resourceEvent(st, sp.now, "UPDATE_COMPLETE", "", nil)
		case "replace":
			s.addResource(st, sp.old)
			s.resourceEvent(st, sp.old, "UPDATE_COMPLETE", "", nil)
		}
	}
	s.st.mu.Lock()
	st.TemplateBody, st.Parameters, st.NoEcho, st.Capabilities = prev.TemplateBody, prev.Parameters, prev.NoEcho, prev.Capabilities
	st.Description, st.Outputs, st.Tags = prev.Description, prev.Outputs, prev.Tags
	s.st.mu.Unlock()
	if bad {
		s.setStatus(st, "UPDATE_ROLLBACK_FAILED", "Some resources could not be restored; see the stack's events")
		return
	}
	s.setStatus(st, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "")
	for i := len(steps) - 1; i >= 0; i-- {
		if sp := steps[i]; sp.kind == "replace" {
			s.deleteOld(st, prov, []*Resource{sp.now}, false)
		}
	}
	s.setStatus(st, "UPDATE_ROLLBACK_COMPLETE", "")
}

// deleteOld deletes resources an update left behind (removed from the
// template, or superseded); remove also drops them from the stack. A
// failure is recorded in the events only, as CloudFormation does in its
// cleanup phases.
func (s *Service) deleteOld(st *Stack, prov *provisioner, rs []*Resource, remove bool) {
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		if r.PhysicalID == "" {
			if remove {
				s.removeResource(st, r)
			}
			continue
		}
		s.resourceEvent(st, r, "DELETE_IN_PROGRESS", "", nil)
		if err := types[r.Type].delete(prov, r); err != nil && !notFound(err) {
			s.resourceEvent(st, r, "DELETE_FAILED", err.Error(), nil)
			continue
		}
		s.resourceEvent(st, r, "DELETE_COMPLETE", "", nil)
		if remove {
			s.st.mu.Lock()
			if cur := st.Resources[r.LogicalID]; cur != nil && cur.PhysicalID == r.PhysicalID {
				delete(st.Resources, r.LogicalID)
			}
			s.st.mu.Unlock()
		}
	}
}

func (s *Service) creationOrderOf(st *Stack) []*Resource {
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
	for _, r := range sortedResources(st) {
		if !seen[r.LogicalID] {
			out = append(out, r)
		}
	}
	return out
}

// Change sets.

var changeSetNameRE = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)

func findChangeSet(st *Stack, nameOrID string) *ChangeSet {
	for _, cs := range st.ChangeSets {
		if cs.ChangeSetName == nameOrID || cs.ChangeSetID == nameOrID {
			return cs
		}
	}
	return nil
}

// changeSetFor finds the change set q names, by ARN or by stack and name.
func (s *Service) changeSetFor(q *request) (*Stack, *ChangeSet, error) {
	name := q.get("ChangeSetName")
	if name == "" {
		return nil, nil, required("ChangeSetName", "changeSetName")
	}
	notFound := &apiErr{404, "ChangeSetNotFound", "ChangeSet [" + name + "] does not exist"}
	if q.get("StackName") == "" {
		if !strings.HasPrefix(name, "arn:") {
			return nil, nil, validation("StackName must be specified if ChangeSetName is not specified as an ARN.")
		}
		for _, st := range s.st.listLocked(q.p.Account, q.p.Region) {
			if cs := findChangeSet(st, name); cs != nil {
				return st, cs, nil
			}
		}
		return nil, nil, notFound
	}
	st, err := s.stackFor(q, true)
	if err != nil {
		return nil, nil, err
	}
	cs := findChangeSet(st, name)
	if cs == nil {
		return nil, nil, notFound
	}
	return st, cs, nil
}

// changes compares the resources of two templates as written.
func changes(old *Stack, oldTpl, now *template.Template, paramsChanged bool) []Change {
	var out []Change
	for _, id := range now.Order {
		r := now.Resources[id]
		if oldTpl == nil || oldTpl.Resources[id] == nil {
			out = append(out, Change{Action: "Add", LogicalResourceID: id, ResourceType: r.Type})
			continue
		}
		o := oldTpl.Resources[id]
		phys := ""
		if old != nil && old.Resources[id] != nil {
			phys = old.Resources[id].PhysicalID
		}
		if o.Type != r.Type {
			out = append(out, Change{Action: "Modify", LogicalResourceID: id, PhysicalResourceID: phys, ResourceType: r.Type, Replacement: "True"})
			continue
		}
		if !sameProps(o.Properties, r.Properties) || o.Condition != r.Condition || paramsChanged && refersToAnything(r.Properties) {
			repl := "False"
			if needsReplaceRaw(r.Type, o.Properties, r.Properties) {
				repl = "Conditional"
			}
			out = append(out, Change{Action: "Modify", LogicalResourceID: id, PhysicalResourceID: phys, ResourceType: r.Type, Replacement: repl})
		}
	}
	if oldTpl != nil {
		var ids []string
		for id := range oldTpl.Resources {
			if now.Resources[id] == nil {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			phys := ""
			if old.Resources[id] != nil {
				phys = old.Resources[id].PhysicalID
			}
			out = append(out, Change{Action: "Remove", LogicalResourceID: id, PhysicalResourceID: phys, ResourceType: oldTpl.Resources[id].Type})
		}
	}
	return out
}

func refersToAnything(v any) bool {
	b, _ := json.Marshal(v)
	return strings.Contains(string(b), `"Ref"`) || strings.Contains(string(b), "Fn::")
}

func needsReplaceRaw(typ string, old, now map[string]any) bool {
	if types[typ] == nil {
		return true
	}
	return needsReplace(typ, old, now)
}

func (s *Service) createChangeSet(q *request) (any, error) {
	name := q.get("StackName")
	if name == "" {
		return nil, required("StackName", "stackName")
	}
	csName := q.get("ChangeSetName")
	if csName == "" {
		return nil, required("ChangeSetName", "changeSetName")
	}
	if !changeSetNameRE.MatchString(csName) {
		return nil, validation("1 validation error detected: Value '%s' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", csName)
	}
	typ := q.get("ChangeSetType")
	if typ == "" {
		typ = "UPDATE"
	}
	if typ != "CREATE" && typ != "UPDATE" {
		return nil, validation("ChangeSetType %s is not supported by Statecraft: CREATE or UPDATE", typ)
	}
	if !stackNameRE.MatchString(name) && !strings.HasPrefix(name, "arn:") {
		return nil, validation("1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*", name)
	}
	s.st.mu.Lock()
	st := s.st.findLocked(q.p.Account, q.p.Region, name)
	s.st.mu.Unlock()
	var prev *Stack
	switch {
	case typ == "CREATE" && st != nil && st.Status != "REVIEW_IN_PROGRESS" && st.Status != "DELETE_COMPLETE":
		return nil, &apiErr{400, "AlreadyExistsException", fmt.Sprintf("Stack [%s] already exists and cannot be created again with the changeSet [%s].", name, csName)}
	case typ == "UPDATE" && (st == nil || st.Status == "DELETE_COMPLETE"):
		return nil, validation("Stack [%s] does not exist", name)
	case typ == "UPDATE" && st.Status == "REVIEW_IN_PROGRESS":
		return nil, validation("Stack [%s] does not exist", name)
	case typ == "UPDATE":
		prev = st
	}
	in, err := s.readStackInput(q, prev)
	if err != nil {
		return nil, err
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if typ == "CREATE" && (st == nil || st.Status == "DELETE_COMPLETE") {
		st = s.newStackLocked(q.p, name, in)
		st.Status = "REVIEW_IN_PROGRESS"
		st.TemplateBody, st.Parameters = "", nil
		s.eventLocked(st, stackEvent(st, "REVIEW_IN_PROGRESS", "User Initiated"))
	}
	if err := s.busyElsewhereLocked(st); err != nil {
		return nil, err
	}
	if findChangeSet(st, csName) != nil {
		return nil, &apiErr{400, "AlreadyExistsException", "ChangeSet [" + csName + "] already exists"}
	}
	cs := &ChangeSet{ChangeSetID: arn.ChangeSet(q.p.Region, q.p.Account, csName, newUUID()), ChangeSetName: csName, Type: typ,
		Status: "CREATE_COMPLETE", ExecutionStatus: "AVAILABLE", CreationTime: s.now(), Description: q.get("Description"),
		TemplateBody: in.body, Capabilities: in.caps, Tags: in.tags}
	cs.Parameters, _ = in.paramStrings()
	var oldTpl *template.Template
	paramsChanged := false
	if typ == "UPDATE" {
		oldTpl, _ = template.Parse(st.TemplateBody, Supported)
		paramsChanged = !reflect.DeepEqual(cs.Parameters, st.Parameters)
	}
	cs.Changes = changes(st, oldTpl, in.tpl, paramsChanged)
	if len(cs.Changes) == 0 && (typ == "UPDATE" && !paramsChanged && in.body == st.TemplateBody || len(in.tpl.Resources) == 0) {
		cs.Status, cs.ExecutionStatus = "FAILED", "UNAVAILABLE"
		cs.StatusReason = "The submitted information didn't contain changes. Submit different information to create a change set."
	}
	st.ChangeSets = append(st.ChangeSets, cs)
	if err := s.saveLocked(st); err != nil {
		return nil, err
	}
	return struct {
		XMLName struct{} `xml:"CreateChangeSetResult"`
		ID      string   `xml:"Id"`
		StackID string   `xml:"StackId"`
	}{ID: cs.ChangeSetID, StackID: st.StackID}, nil
}

func (s *Service) describeChangeSet(q *request) (any, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	st, cs, err := s.changeSetFor(q)
	if err != nil {
		return nil, err
	}
	type resourceChange struct {
		Action             string `xml:"Action"`
		LogicalResourceID  string `xml:"LogicalResourceId"`
		PhysicalResourceID string `xml:"PhysicalResourceId,omitempty"`
		ResourceType       string `xml:"ResourceType"`
		Replacement        string `xml:"Replacement,omitempty"`
	}
	type change struct {
		Type           string         `xml:"Type"`
		ResourceChange resourceChange `xml:"ResourceChange"`
	}
	type result struct {
		XMLName         struct{} `xml:"DescribeChangeSetResult"`
		ChangeSetName   string   `xml:"ChangeSetName"`
		ChangeSetID     string   `xml:"ChangeSetId"`
		StackID         string   `xml:"StackId"`
		StackName       string   `xml:"StackName"`
		Description     string   `xml:"Description,omitempty"`
		Parameters      []xParam `xml:"Parameters>member"`
		CreationTime    string   `xml:"CreationTime"`
		ExecutionStatus string   `xml:"ExecutionStatus"`
		Status          string   `xml:"Status"`
		StatusReason    string   `xml:"StatusReason,omitempty"`
		Capabilities    []string `xml:"Capabilities>member"`
		Tags            []xTag   `xml:"Tags>member"`
		Changes         []change `xml:"Changes>member"`
	}
	out := result{ChangeSetName: cs.ChangeSetName, ChangeSetID: cs.ChangeSetID, StackID: st.StackID, StackName: st.StackName,
		Description: cs.Description, CreationTime: ts(cs.CreationTime), ExecutionStatus: cs.ExecutionStatus, Status: cs.Status,
		StatusReason: cs.StatusReason, Capabilities: cs.Capabilities}
	var keys []string
	for k := range cs.Parameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.Parameters = append(out.Parameters, xParam{k, cs.Parameters[k]})
	}
	for _, t := range cs.Tags {
		out.Tags = append(out.Tags, xTag(t))
	}
	for _, c := range cs.Changes {
		out.Changes = append(out.Changes, change{"Resource", resourceChange{c.Action, c.LogicalResourceID, c.PhysicalResourceID, c.ResourceType, c.Replacement}})
	}
	return out, nil
}

func (s *Service) executeChangeSet(q *request) (any, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	st, cs, err := s.changeSetFor(q)
	if err != nil {
		return nil, err
	}
	if cs.ExecutionStatus != "AVAILABLE" {
		return nil, &apiErr{400, "InvalidChangeSetStatus", fmt.Sprintf("ChangeSet [%s] cannot be executed in its current status of [%s]", cs.ChangeSetID, cs.Status)}
	}
	if cs.Type == "UPDATE" && !updatable[st.Status] {
		return nil, validation("Stack:%s is in %s state and can not be updated.", st.StackID, st.Status)
	}
	tpl, err := template.Parse(cs.TemplateBody, Supported)
	if err != nil {
		return nil, validation("%s", err.Error())
	}
	given := cs.Parameters
	values, err := tpl.ResolveParameters(given)
	if err != nil {
		return nil, validation("%s", err.Error())
	}
	in := &stackInput{body: cs.TemplateBody, tpl: tpl, params: given, values: values, caps: cs.Capabilities, tags: cs.Tags}
	cs.ExecutionStatus = "EXECUTE_COMPLETE"
	// Executing a change set deletes the stack's other change sets.
	st.ChangeSets = []*ChangeSet{cs}
	if cs.Type == "CREATE" {
		params, noEcho := in.paramStrings()
		st.TemplateBody, st.Parameters, st.NoEcho, st.Capabilities, st.Description = in.body, params, noEcho, in.caps, tpl.Description
		if len(in.tags) > 0 {
			st.Tags = in.tags
		}
		if q.get("DisableRollback") == "true" {
			st.DisableRollback = true
		}
		st.Status, st.Node = "CREATE_IN_PROGRESS", s.opts.NodeID
		s.eventLocked(st, stackEvent(st, "CREATE_IN_PROGRESS", "User Initiated"))
		if err := s.saveLocked(st); err != nil {
			return nil, err
		}
		p := q.p
		s.start(func() { s.runCreate(st, in, p) })
	} else if err := s.beginUpdateLocked(st, in, q.p); err != nil {
		return nil, err
	}
	return struct {
		XMLName struct{} `xml:"ExecuteChangeSetResult"`
	}{}, nil
}

func (s *Service) deleteChangeSet(q *request) (any, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	st, cs, err := s.changeSetFor(q)
	if err != nil {
		return nil, err
	}
	if err := s.busyElsewhereLocked(st); err != nil {
		return nil, err
	}
	if cs.ExecutionStatus == "EXECUTE_IN_PROGRESS" {
		return nil, &apiErr{400, "InvalidChangeSetStatus", fmt.Sprintf("ChangeSet [%s] cannot be deleted in its current status", cs.ChangeSetID)}
	}
	for i, c := range st.ChangeSets {
		if c == cs {
			st.ChangeSets = append(st.ChangeSets[:i], st.ChangeSets[i+1:]...)
			break
		}
	}
	if err := s.saveLocked(st); err != nil {
		return nil, err
	}
	return struct {
		XMLName struct{} `xml:"DeleteChangeSetResult"`
	}{}, nil
}

func (s *Service) listChangeSets(q *request) (any, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	st, err := s.stackFor(q, true)
	if err != nil {
		return nil, err
	}
	type summary struct {
		StackID         string `xml:"StackId"`
		StackName       string `xml:"StackName"`
		ChangeSetID     string `xml:"ChangeSetId"`
		ChangeSetName   string `xml:"ChangeSetName"`
		ExecutionStatus string `xml:"ExecutionStatus"`
		Status          string `xml:"Status"`
		StatusReason    string `xml:"StatusReason,omitempty"`
		CreationTime    string `xml:"CreationTime"`
		Description     string `xml:"Description,omitempty"`
	}
	type result struct {
		XMLName   struct{}  `xml:"ListChangeSetsResult"`
		Summaries []summary `xml:"Summaries>member"`
	}
	var out result
	for _, cs := range st.ChangeSets {
		out.Summaries = append(out.Summaries, summary{st.StackID, st.StackName, cs.ChangeSetID, cs.ChangeSetName, cs.ExecutionStatus, cs.Status, cs.StatusReason, ts(cs.CreationTime), cs.Description})
	}
	return out, nil
}
