package api

import (
	"sort"

	"github.com/statecraft/statecraft/store"
)

// taggable resolves the resourceArn of a tagging request: a state machine
// or an activity that exists, the resources AWS's tagging operations
// name. Other Step Functions ARNs are the wrong resource type; versions
// and aliases take no tags (CreateStateMachineAlias has none either), so
// their ARNs are resources not found.
func (s *server) taggable(c *call, text string) (string, error) {
	ctx := c.ctx
	a, err := parseArn(text)
	if err != nil {
		return "", err
	}
	if a.typ == "stateMachine" || a.typ == "activity" {
		if err := c.ownsOr(a, resourceNotFound(text)); err != nil {
			return "", err
		}
	}
	switch a.typ {
	case "stateMachine":
		sa, err := parseStateMachineArn(text)
		if err != nil {
			return "", err
		}
		if sa.qualifier != "" || sa.label != "" {
			return "", resourceNotFound(text)
		}
		if _, err := s.st.GetStateMachine(ctx, text); err != nil {
			if isNotFound(err) {
				return "", resourceNotFound(text)
			}
			return "", err
		}
	case "activity":
		if _, err := parseActivityArn(text); err != nil {
			return "", err
		}
		if _, err := s.st.GetActivity(ctx, text); err != nil {
			if isNotFound(err) {
				return "", resourceNotFound(text)
			}
			return "", err
		}
	default:
		return "", invalidArnType(a.typ)
	}
	return text, nil
}

func (s *server) tagResource(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("resourceArn", arnStr.req())
	tags, _ := in.tags("tags", true)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	arn, err := s.taggable(c, arnText)
	if err != nil {
		return nil, err
	}
	have, err := s.st.ListTags(c.ctx, arn)
	if err != nil {
		return nil, err
	}
	add := tagMap(tags)
	n := len(have)
	for k := range add {
		if _, ok := have[k]; !ok {
			n++
		}
	}
	if n > maxTags {
		return nil, tooManyTags(arn, n)
	}
	return nil, s.st.TagResource(c.ctx, store.TagResourceParams{Arn: arn, Tags: add})
}

func (s *server) untagResource(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("resourceArn", arnStr.req())
	keys, _ := in.strList("tagKeys", true, tagKeyStr)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	arn, err := s.taggable(c, arnText)
	if err != nil {
		return nil, err
	}
	return nil, s.st.UntagResource(c.ctx, store.UntagResourceParams{Arn: arn, Keys: keys})
}

type listTagsOutput struct {
	Tags []tag `json:"tags"`
}

func (s *server) listTagsForResource(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("resourceArn", arnStr.req())
	if err := in.r.check(); err != nil {
		return nil, err
	}
	arn, err := s.taggable(c, arnText)
	if err != nil {
		return nil, err
	}
	have, err := s.st.ListTags(c.ctx, arn)
	if err != nil {
		return nil, err
	}
	out := &listTagsOutput{Tags: make([]tag, 0, len(have))}
	for k, v := range have {
		out.Tags = append(out.Tags, tag{Key: k, Value: v})
	}
	sort.Slice(out.Tags, func(i, j int) bool { return out.Tags[i].Key < out.Tags[j].Key })
	return out, nil
}
