package api

import (
	"context"
	"errors"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/store"
)

type createActivityOutput struct {
	ActivityArn  string `json:"activityArn"`
	CreationDate epoch  `json:"creationDate"`
}

func (s *server) createActivity(c *call) (any, error) {
	in := c.in
	name, _ := in.str("name", nameStr.req())
	tags, _ := in.tags("tags", false)
	enc := readEncryption(in)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	if !validName(name) {
		return nil, invalidName(name)
	}
	if err := checkEncryption(enc); err != nil {
		return nil, err
	}
	arn := c.activityArn(name)
	if len(tags) > maxTags {
		return nil, tooManyTags(arn, len(tags))
	}
	now := s.stamp()
	err := s.st.CreateActivity(c.ctx, &store.Activity{Arn: arn, Name: name, CreatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		// Idempotent on the name; tags of the repeat are ignored, as on AWS.
		prev, gerr := s.st.GetActivity(c.ctx, arn)
		if gerr != nil {
			return nil, gerr
		}
		return &createActivityOutput{ActivityArn: arn, CreationDate: epoch(prev.CreatedAt)}, nil
	}
	if err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		if err := s.st.TagResource(c.ctx, store.TagResourceParams{Arn: arn, Tags: tagMap(tags)}); err != nil {
			return nil, err
		}
	}
	return &createActivityOutput{ActivityArn: arn, CreationDate: epoch(now)}, nil
}

// readActivity reads and resolves the activityArn member.
func (s *server) readActivity(c *call) (*store.Activity, error) {
	arnText, _ := c.in.str("activityArn", arnStr.req())
	if err := c.in.r.check(); err != nil {
		return nil, err
	}
	parsed, aerr := parseActivityArn(arnText)
	if aerr != nil {
		return nil, aerr
	}
	if err := c.ownsOr(parsed, activityDoesNotExist(arnText)); err != nil {
		return nil, err
	}
	a, err := s.st.GetActivity(c.ctx, arnText)
	if isNotFound(err) {
		return nil, activityDoesNotExist(arnText)
	}
	return a, err
}

type describeActivityOutput struct {
	ActivityArn  string `json:"activityArn"`
	Name         string `json:"name"`
	CreationDate epoch  `json:"creationDate"`
}

func (s *server) describeActivity(c *call) (any, error) {
	a, err := s.readActivity(c)
	if err != nil {
		return nil, err
	}
	return &describeActivityOutput{ActivityArn: a.Arn, Name: a.Name, CreationDate: epoch(a.CreatedAt)}, nil
}

func (s *server) deleteActivity(c *call) (any, error) {
	in := c.in
	arnText, _ := in.str("activityArn", arnStr.req())
	if err := in.r.check(); err != nil {
		return nil, err
	}
	parsed, aerr := parseActivityArn(arnText)
	if aerr != nil {
		return nil, aerr
	}
	// DeleteActivity models no "does not exist": deleting is idempotent.
	if mine, err := c.owns(parsed); !mine {
		if err != nil {
			return nil, err
		}
		return nil, nil
	}
	if err := s.st.DeleteActivity(c.ctx, arnText); err != nil && !isNotFound(err) {
		return nil, err
	}
	return nil, nil
}

type activityListItem struct {
	ActivityArn  string `json:"activityArn"`
	Name         string `json:"name"`
	CreationDate epoch  `json:"creationDate"`
}

type listActivitiesOutput struct {
	Activities []activityListItem `json:"activities"`
	NextToken  string             `json:"nextToken,omitempty"`
}

func (s *server) listActivities(c *call) (any, error) {
	const op = "ListActivities"
	page, err := s.pageParams(c, op)
	if err != nil {
		return nil, err
	}
	page.ArnPrefix = c.arnPrefix()
	acts, next, err := s.st.ListActivities(c.ctx, page)
	if err != nil {
		return nil, s.cursorError(err, page.Token)
	}
	out := &listActivitiesOutput{Activities: []activityListItem{}}
	for _, a := range acts {
		out.Activities = append(out.Activities, activityListItem{ActivityArn: a.Arn, Name: a.Name, CreationDate: epoch(a.CreatedAt)})
	}
	if next != "" {
		out.NextToken = s.encodeToken(pageToken{Op: op, Cursor: next})
	}
	return out, nil
}

type getActivityTaskOutput struct {
	TaskToken string `json:"taskToken,omitempty"`
	Input     string `json:"input,omitempty"`
}

// getActivityTask long-polls. A client that gives up ends the poll (the
// request's context), so no task is handed to a worker that is gone.
func (s *server) getActivityTask(c *call) (any, error) {
	worker, _ := c.in.str("workerName", identityStr)
	a, err := s.readActivity(c)
	if err != nil {
		return nil, err
	}
	t, err := s.eng.GetActivityTask(c.ctx, a.Arn, worker, s.opts.LongPoll)
	if err != nil {
		if c.ctx.Err() != nil {
			return nil, nil // the client is gone; nothing to answer
		}
		return nil, err
	}
	if t == nil {
		return &getActivityTaskOutput{}, nil
	}
	return &getActivityTaskOutput{TaskToken: t.Token, Input: t.Input}, nil
}

// taskError maps the engine's task-token errors.
func taskError(err error) error {
	switch {
	case errors.Is(err, engine.ErrInvalidToken):
		return serviceError(errInvalidToken, "Invalid Token: 'The task token is not valid'")
	case errors.Is(err, engine.ErrTaskTimedOut):
		return serviceError("TaskTimedOut", "The task token has either expired or the task associated with the token has already been closed")
	case errors.Is(err, engine.ErrInvalidOutput):
		return invalidOutput(errors.Unwrap(err))
	case errors.Is(err, engine.ErrExecutionDoesNotExist):
		return serviceError("TaskDoesNotExist", "Task Does Not Exist: the execution of this task no longer exists")
	}
	return err
}

func invalidOutput(err error) *apiError {
	msg := "not JSON"
	if err != nil {
		msg = err.Error()
	}
	return serviceError("InvalidOutput", "Invalid Output: '%s'", msg)
}

func (s *server) sendTaskSuccess(c *call) (any, error) {
	in := c.in
	token, _ := in.str("taskToken", taskTokenStr.req())
	output, _ := in.str("output", dataStr.req())
	if err := in.r.check(); err != nil {
		return nil, err
	}
	if _, err := parseJSON(output); err != nil {
		return nil, invalidOutput(err)
	}
	if err := c.ownsToken(s.eng, token); err != nil {
		return nil, err
	}
	return nil, taskError(s.eng.SendTaskSuccess(context.WithoutCancel(c.ctx), token, output))
}

func (s *server) sendTaskFailure(c *call) (any, error) {
	in := c.in
	token, _ := in.str("taskToken", taskTokenStr.req())
	errName, _ := in.str("error", errorStr)
	cause, _ := in.str("cause", causeStr)
	if err := in.r.check(); err != nil {
		return nil, err
	}
	if err := c.ownsToken(s.eng, token); err != nil {
		return nil, err
	}
	return nil, taskError(s.eng.SendTaskFailure(context.WithoutCancel(c.ctx), token, errName, cause))
}

func (s *server) sendTaskHeartbeat(c *call) (any, error) {
	in := c.in
	token, _ := in.str("taskToken", taskTokenStr.req())
	if err := in.r.check(); err != nil {
		return nil, err
	}
	if err := c.ownsToken(s.eng, token); err != nil {
		return nil, err
	}
	return nil, taskError(s.eng.SendTaskHeartbeat(c.ctx, token))
}
