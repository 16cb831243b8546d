package cloudformation

import (
	"sort"
	"strconv"
)

type xParam struct {
	ParameterKey   string `xml:"ParameterKey"`
	ParameterValue string `xml:"ParameterValue"`
}

type xTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type xOutput struct {
	OutputKey   string `xml:"OutputKey"`
	OutputValue string `xml:"OutputValue"`
	Description string `xml:"Description,omitempty"`
}

type xStack struct {
	StackID                     string    `xml:"StackId"`
	StackName                   string    `xml:"StackName"`
	ChangeSetID                 string    `xml:"ChangeSetId,omitempty"`
	Description                 string    `xml:"Description,omitempty"`
	Parameters                  []xParam  `xml:"Parameters>member"`
	CreationTime                string    `xml:"CreationTime"`
	DeletionTime                string    `xml:"DeletionTime,omitempty"`
	LastUpdatedTime             string    `xml:"LastUpdatedTime,omitempty"`
	StackStatus                 string    `xml:"StackStatus"`
	StackStatusReason           string    `xml:"StackStatusReason,omitempty"`
	DisableRollback             bool      `xml:"DisableRollback"`
	NotificationARNs            []string  `xml:"NotificationARNs>member"`
	Capabilities                []string  `xml:"Capabilities>member"`
	Outputs                     []xOutput `xml:"Outputs>member"`
	Tags                        []xTag    `xml:"Tags>member"`
	EnableTerminationProtection bool      `xml:"EnableTerminationProtection"`
	DriftStatus                 string    `xml:"DriftInformation>StackDriftStatus"`
}

func describe(st *Stack) xStack {
	x := xStack{StackID: st.StackID, StackName: st.StackName, Description: st.Description, CreationTime: ts(st.CreationTime),
		DeletionTime: ts(st.DeletionTime), LastUpdatedTime: ts(st.LastUpdatedTime), StackStatus: st.Status,
		StackStatusReason: st.StatusReason, DisableRollback: st.DisableRollback, Capabilities: st.Capabilities,
		DriftStatus: "NOT_CHECKED"}
	var keys []string
	for k := range st.Parameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := st.Parameters[k]
		if st.NoEcho[k] {
			v = "****"
		}
		x.Parameters = append(x.Parameters, xParam{k, v})
	}
	for _, o := range st.Outputs {
		x.Outputs = append(x.Outputs, xOutput(o))
	}
	for _, t := range st.Tags {
		x.Tags = append(x.Tags, xTag(t))
	}
	return x
}

// stackFor finds the stack q names, or the error AWS gives.
func (s *Service) stackFor(q *request, includeDeleted bool) (*Stack, error) {
	name := q.get("StackName")
	if name == "" {
		return nil, required("StackName", "stackName")
	}
	st := s.st.findLocked(q.p.Account, q.p.Region, name)
	if st == nil || !includeDeleted && st.Status == "DELETE_COMPLETE" && st.StackID != name {
		return nil, notExist(name)
	}
	return st, nil
}

// page cuts a listing at NextToken (an offset), 100 to a page.
func page[T any](q *request, all []T, size int) ([]T, string, error) {
	start := 0
	if tok := q.get("NextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(all) {
			return nil, "", validation("Invalid NextToken")
		}
		start = n
	}
	end := min(start+size, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return all[start:end], next, nil
}

func (s *Service) describeStacks(q *request) (any, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	type result struct {
		XMLName   struct{} `xml:"DescribeStacksResult"`
		Stacks    []xStack `xml:"Stacks>member"`
		NextToken string   `xml:"NextToken,omitempty"`
	}
	var out result
	if q.get("StackName") != "" {
		st, err := s.stackFor(q, true)
		if err != nil {
			return nil, err
		}
		out.Stacks = []xStack{describe(st)}
		return out, nil
	}
	var all []xStack
	for _, st := range s.st.listLocked(q.p.Account, q.p.Region) {
		if st.Status != "DELETE_COMPLETE" {
			all = append(all, describe(st))
		}
	}
	var err error
	out.Stacks, out.NextToken, err = page(q, all, 100)
	return out, err
}

type xEvent struct {
	StackID              string `xml:"StackId"`
	EventID              string `xml:"EventId"`
	StackName            string `xml:"StackName"`
	LogicalResourceID    string `xml:"LogicalResourceId"`
	PhysicalResourceID   string `xml:"PhysicalResourceId"`
	ResourceType         string `xml:"ResourceType"`
	Timestamp            string `xml:"Timestamp"`
	ResourceStatus       string `xml:"ResourceStatus"`
	ResourceStatusReason string `xml:"ResourceStatusReason,omitempty"`
	ResourceProperties   string `xml:"ResourceProperties,omitempty"`
}

func (s *Service) describeStackEvents(q *request) (any, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	st, err := s.stackFor(q, true)
	if err != nil {
		return nil, err
	}
	var all []xEvent
	for i := len(st.Events) - 1; i >= 0; i-- {
		e := st.Events[i]
		all = append(all, xEvent{StackID: e.StackID, EventID: e.EventID, StackName: e.StackName, LogicalResourceID: e.LogicalResourceID,
			PhysicalResourceID: e.PhysicalResourceID, ResourceType: e.ResourceType, Timestamp: ts(e.Timestamp),
			ResourceStatus: e.ResourceStatus, ResourceStatusReason: e.ResourceStatusReason, ResourceProperties: e.ResourceProperties})
	}
	type result struct {
		XMLName     struct{} `xml:"DescribeStackEventsResult"`
		StackEvents []xEvent `xml:"StackEvents>member"`
		NextToken   string   `xml:"NextToken,omitempty"`
	}
	var out result
	out.StackEvents, out.NextToken, err = page(q, all, 100)
	return out, err
}

func sortedResources(st *Stack) []*Resource {
	var out []*Resource
	for _, r := range st.Resources {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

func (s *Service) describeStackResource(q *request) (any, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	st, err := s.stackFor(q, true)
	if err != nil {
		return nil, err
	}
	id := q.get("LogicalResourceId")
	if id == "" {
		return nil, required("LogicalResourceId", "logicalResourceId")
	}
	r, ok := st.Resources[id]
	if !ok {
		return nil, validation("Resource %s does not exist for stack %s", id, q.get("StackName"))
	}
	type detail struct {
		StackName            string `xml:"StackName"`
		StackID              string `xml:"StackId"`
		LogicalResourceID    string `xml:"LogicalResourceId"`
		PhysicalResourceID   string `xml:"PhysicalResourceId,omitempty"`
		ResourceType         string `xml:"ResourceType"`
		LastUpdatedTimestamp string `xml:"LastUpdatedTimestamp"`
		ResourceStatus       string `xml:"ResourceStatus"`
		ResourceStatusReason string `xml:"ResourceStatusReason,omitempty"`
		DriftStatus          string `xml:"DriftInformation>StackResourceDriftStatus"`
	}
	type result struct {
		XMLName struct{} `xml:"DescribeStackResourceResult"`
		Detail  detail   `xml:"StackResourceDetail"`
	}
	return result{Detail: detail{st.StackName, st.StackID, r.LogicalID, r.PhysicalID, r.Type, ts(r.Timestamp), r.Status, r.StatusReason, "NOT_CHECKED"}}, nil
}

func (s *Service) describeStackResources(q *request) (any, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if q.get("StackName") == "" {
		phys := q.get("PhysicalResourceId")
		if phys == "" {
			return nil, validation("Either StackName or PhysicalResourceId must be specified")
		}
		for _, st := range s.st.listLocked(q.p.Account, q.p.Region) {
			for _, r := range st.Resources {
				if r.PhysicalID == phys && st.Status != "DELETE_COMPLETE" {
					q.form.Set("StackName", st.StackID)
				}
			}
		}
		if q.get("StackName") == "" {
			return nil, validation("Stack for %s does not exist", phys)
		}
	}
	st, err := s.stackFor(q, true)
	if err != nil {
		return nil, err
	}
	type xRes struct {
		StackName            string `xml:"StackName"`
		StackID              string `xml:"StackId"`
		LogicalResourceID    string `xml:"LogicalResourceId"`
		PhysicalResourceID   string `xml:"PhysicalResourceId,omitempty"`
		ResourceType         string `xml:"ResourceType"`
		Timestamp            string `xml:"Timestamp"`
		ResourceStatus       string `xml:"ResourceStatus"`
		ResourceStatusReason string `xml:"ResourceStatusReason,omitempty"`
		DriftStatus          string `xml:"DriftInformation>StackResourceDriftStatus"`
	}
	type result struct {
		XMLName   struct{} `xml:"DescribeStackResourcesResult"`
		Resources []xRes   `xml:"StackResources>member"`
	}
	var out result
	for _, r := range sortedResources(st) {
		if id := q.get("LogicalResourceId"); id != "" && id != r.LogicalID {
			continue
		}
		if p := q.get("PhysicalResourceId"); p != "" && p != r.PhysicalID {
			continue
		}
		out.Resources = append(out.Resources, xRes{st.StackName, st.StackID, r.LogicalID, r.PhysicalID, r.Type, ts(r.Timestamp), r.Status, r.StatusReason, "NOT_CHECKED"})
	}
	return out, nil
}

func (s *Service) listStackResources(q *request) (any, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	st, err := s.stackFor(q, true)
	if err != nil {
		return nil, err
	}
	type summary struct {
		LogicalResourceID    string `xml:"LogicalResourceId"`
		PhysicalResourceID   string `xml:"PhysicalResourceId,omitempty"`
		ResourceType         string `xml:"ResourceType"`
		LastUpdatedTimestamp string `xml:"LastUpdatedTimestamp"`
		ResourceStatus       string `xml:"ResourceStatus"`
		ResourceStatusReason string `xml:"ResourceStatusReason,omitempty"`
		DriftStatus          string `xml:"DriftInformation>StackResourceDriftStatus"`
	}
	var all []summary
	for _, r := range sortedResources(st) {
		all = append(all, summary{r.LogicalID, r.PhysicalID, r.Type, ts(r.Timestamp), r.Status, r.StatusReason, "NOT_CHECKED"})
	}
	type result struct {
		XMLName   struct{}  `xml:"ListStackResourcesResult"`
		Summaries []summary `xml:"StackResourceSummaries>member"`
		NextToken string    `xml:"NextToken,omitempty"`
	}
	var out result
	out.Summaries, out.NextToken, err = page(q, all, 100)
	return out, err
}

func (s *Service) listStacks(q *request) (any, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	filter := map[string]bool{}
	for _, f := range q.list("StackStatusFilter") {
		filter[f] = true
	}
	type summary struct {
		StackID             string `xml:"StackId"`
		StackName           string `xml:"StackName"`
		TemplateDescription string `xml:"TemplateDescription,omitempty"`
		CreationTime        string `xml:"CreationTime"`
		LastUpdatedTime     string `xml:"LastUpdatedTime,omitempty"`
		DeletionTime        string `xml:"DeletionTime,omitempty"`
		StackStatus         string `xml:"StackStatus"`
		StackStatusReason   string `xml:"StackStatusReason,omitempty"`
		DriftStatus         string `xml:"DriftInformation>StackDriftStatus"`
	}
	var all []summary
	for _, st := range s.st.listLocked(q.p.Account, q.p.Region) {
		if len(filter) > 0 && !filter[st.Status] {
			continue
		}
		all = append(all, summary{st.StackID, st.StackName, st.Description, ts(st.CreationTime), ts(st.LastUpdatedTime), ts(st.DeletionTime), st.Status, st.StatusReason, "NOT_CHECKED"})
	}
	type result struct {
		XMLName   struct{}  `xml:"ListStacksResult"`
		Summaries []summary `xml:"StackSummaries>member"`
		NextToken string    `xml:"NextToken,omitempty"`
	}
	var out result
	var err error
	out.Summaries, out.NextToken, err = page(q, all, 100)
	return out, err
}

func (s *Service) getTemplate(q *request) (any, error) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	st, err := s.stackFor(q, true)
	if err != nil {
		return nil, err
	}
	body := st.TemplateBody
	if name := q.get("ChangeSetName"); name != "" {
		cs := findChangeSet(st, name)
		if cs == nil {
			return nil, &apiErr{404, "ChangeSetNotFound", "ChangeSet [" + name + "] does not exist"}
		}
		body = cs.TemplateBody
	}
	type result struct {
		XMLName         struct{} `xml:"GetTemplateResult"`
		TemplateBody    string   `xml:"TemplateBody"`
		StagesAvailable []string `xml:"StagesAvailable>member"`
	}
	return result{TemplateBody: body, StagesAvailable: []string{"Original", "Processed"}}, nil
}
