// Package integrations runs Step Functions' optimized integrations with
// AWS services as a taskport.Port: arn:aws:states:::sqs:sendMessage,
// sns:publish, dynamodb:getItem, putItem, updateItem and deleteItem, and
// events:putEvents, the first two and the last with .waitForTaskToken
// too. Each call goes through aws-sdk-go-v2 with the service's
// aws.Config (package awsconf): AWS itself or a compatible server.
//
// Parameters take the service API's request shape (QueueUrl,
// MessageBody, TableName, Key, ...); a field the API does not have fails
// the task naming it. A message body, an SNS message or an event's
// Detail given as JSON (not a string) is sent as its JSON text, as Step
// Functions does. The result is the API's response with the
// SdkHttpMetadata and SdkResponseMetadata Step Functions adds, and an
// API error fails the task with Step Functions' name for it
// (DynamoDB.ConditionalCheckFailedException, SNS.NotFoundException,
// SQS.AmazonSQSException, ...) and a cause in AWS's form.
package integrations

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/awsconf"
	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// resources are the actions run, by service; true marks those that also
// run as .waitForTaskToken (AWS offers that pattern for these, and
// request-response for all; .sync for none of them).
var resources = map[string]map[string]bool{
	"sqs":      {"sendMessage": true},
	"sns":      {"publish": true},
	"dynamodb": {"getItem": false, "putItem": false, "updateItem": false, "deleteItem": false},
	"events":   {"putEvents": true},
}

// Supported lists the resources this package runs, as Task ARNs.
func Supported() []string {
	var out []string
	for svc, actions := range resources {
		for a, cb := range actions {
			out = append(out, arn.Integration(svc, a))
			if cb {
				out = append(out, arn.Integration(svc, a+".waitForTaskToken"))
			}
		}
	}
	sort.Strings(out)
	return out
}

// Runs tells whether resource is one of Supported.
func Runs(resource string) bool {
	svc, action, ok := parse(resource)
	if !ok {
		return false
	}
	base, callback := strings.CutSuffix(action, ".waitForTaskToken")
	cb, has := resources[svc][base]
	return has && (cb || !callback)
}

// Service is the service of an optimized integration's ARN
// (arn:aws:states:::SERVICE:ACTION) this package knows, "" for others.
func Service(resource string) string {
	svc, _, ok := parse(resource)
	if !ok || resources[svc] == nil {
		return ""
	}
	return svc
}

func parse(resource string) (svc, action string, ok bool) {
	parts := strings.SplitN(resource, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "states" || parts[3] != "" || parts[4] != "" {
		return "", "", false
	}
	return parts[5], parts[6], true
}

// Port runs the integrations with the services' settings.
type Port struct {
	Configs *awsconf.Configs

	mu      sync.Mutex
	clients map[string]any
}

// Invoke implements taskport.Port.
func (p *Port) Invoke(ctx context.Context, req taskport.Request) (any, error) {
	if !Runs(req.Resource) {
		return nil, taskport.ErrNotSupported
	}
	svc, action, _ := parse(req.Resource)
	action = strings.TrimSuffix(action, ".waitForTaskToken")
	params, ok := req.Input.(*jsonv.Object)
	if !ok {
		return nil, taskport.Fail("States.Runtime", fmt.Sprintf("The parameters of %s must be a JSON object, got %s.", req.Resource, jsonv.TypeName(req.Input)))
	}
	client, err := p.client(ctx, svc, req)
	if err != nil {
		return nil, configFailure(ctx, err)
	}
	switch svc {
	case "sqs":
		return sendMessage(ctx, client.(*sqs.Client), params)
	case "sns":
		return publish(ctx, client.(*sns.Client), params)
	case "events":
		return putEvents(ctx, client.(*eventbridge.Client), params)
	}
	return dynamo(ctx, client.(*dynamodb.Client), action, params)
}

// configFailure is the task's failure when no configuration could be
// made for the call: the role of the task's Credentials could not be
// assumed (worded as the host words a Statecraft role it cannot assume,
// States.TaskFailed, so Retry and Catch see the same failure), or the
// settings make none (a credentials variable they name is unset).
func configFailure(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err() // the host times the task out or drops it
	}
	var role *awsconf.AssumeRoleError
	if errors.As(err, &role) {
		return taskport.Fail("States.TaskFailed", "Step Functions could not assume the role of the task's Credentials: "+role.Error())
	}
	return taskport.Fail("States.TaskFailed", err.Error())
}

// client is the service's client: one kept per service with the
// settings' credentials, or, under a task's Credentials, one for this
// call with the role's temporary credentials (awsconf keeps those, not
// the client).
func (p *Port) client(ctx context.Context, svc string, req taskport.Request) (any, error) {
	if req.RoleArn != "" {
		cfg, err := p.Configs.ForRole(ctx, svc, req.RoleArn, req.ExecutionArn)
		if err != nil {
			return nil, err
		}
		return p.newClient(cfg, svc), nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[svc]; ok {
		return c, nil
	}
	cfg, err := p.Configs.For(ctx, svc)
	if err != nil {
		return nil, err
	}
	c := p.newClient(cfg, svc)
	if p.clients == nil {
		p.clients = map[string]any{}
	}
	p.clients[svc] = c
	return c, nil
}

func (p *Port) newClient(cfg aws.Config, svc string) any {
	switch svc {
	case "sqs":
		return sqs.NewFromConfig(cfg, p.Configs.Settings(svc).SQSOptions)
	case "sns":
		return sns.NewFromConfig(cfg)
	case "events":
		return eventbridge.NewFromConfig(cfg)
	}
	return dynamodb.NewFromConfig(cfg)
}

// decode fills in, an SDK input struct, from params: the API's field
// names, and a task failure naming a field the API does not have.
func decode(resource string, params *jsonv.Object, in any) error {
	// encoding/json matches names regardless of case; the APIs do not.
	t := reflect.TypeOf(in).Elem()
	for _, k := range params.Keys() {
		if f, ok := t.FieldByName(k); !ok || !f.IsExported() {
			return taskport.Fail("States.Runtime", fmt.Sprintf("The parameters of %s do not match the service's request: unknown field %q.", resource, k))
		}
	}
	dec := json.NewDecoder(bytes.NewReader(jsonv.Marshal(params)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return taskport.Fail("States.Runtime", fmt.Sprintf("The parameters of %s do not match the service's request: %s.", resource, strings.TrimPrefix(err.Error(), "json: ")))
	}
	return nil
}

// textField sets field of o to its JSON text when it is not a string: a
// message or an event detail written as JSON in the definition.
func textField(o *jsonv.Object, field string) *jsonv.Object {
	v, ok := o.Get(field)
	if !ok {
		return o
	}
	if _, isStr := v.(string); isStr {
		return o
	}
	return o.With(field, jsonv.String(v))
}

// result is the response's fields (null ones left out, as AWS's
// serializer does) with the metadata Step Functions adds.
func result(out any, meta middleware.Metadata, withMetadata bool) (any, error) {
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "ResultMetadata")
	m = dropNulls(m).(map[string]any)
	if withMetadata {
		addMetadata(m, meta)
	}
	// Through JSON text again: jsonv's numbers (int64 for integers), and
	// its objects with sorted keys.
	b, err = json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return jsonv.Parse(b)
}

func addMetadata(m map[string]any, meta middleware.Metadata) {
	id, _ := awsmw.GetRequestIDMetadata(meta)
	status, headers := int64(200), http.Header{}
	if r, ok := awsmw.GetRawResponse(meta).(*smithyhttp.Response); ok {
		status, headers = int64(r.StatusCode), r.Header
	}
	all, first := map[string]any{}, map[string]any{}
	for k, vs := range headers {
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		all[k] = list
		if len(vs) > 0 {
			first[k] = vs[0]
		}
	}
	m["SdkHttpMetadata"] = map[string]any{"AllHttpHeaders": all, "HttpHeaders": first, "HttpStatusCode": status}
	m["SdkResponseMetadata"] = map[string]any{"RequestId": id}
}

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropNulls(e)
		}
	}
	return v
}

// api is how Step Functions names a service's errors: SERVICE.NAME,
// where NAME is the exception the service's model gives the operation
// for that code, and Amazon<Service>Exception for any other code.
type api struct {
	prefix, service string
	// modelled maps an error code to its exception name.
	modelled map[string]string
}

var (
	sqsAPI = api{"SQS", "AmazonSQS", map[string]string{
		"InvalidMessageContents": "InvalidMessageContentsException", "UnsupportedOperation": "UnsupportedOperationException",
		"AWS.SimpleQueueService.UnsupportedOperation": "UnsupportedOperationException",
	}}
	snsAPI = api{"SNS", "AmazonSNS", map[string]string{
		"NotFound": "NotFoundException", "InvalidParameter": "InvalidParameterException", "ParameterValueInvalid": "InvalidParameterValueException",
		"AuthorizationError": "AuthorizationErrorException", "EndpointDisabled": "EndpointDisabledException", "InternalError": "InternalErrorException",
		"KMSDisabled": "KMSDisabledException", "KMSNotFound": "KMSNotFoundException", "PlatformApplicationDisabled": "PlatformApplicationDisabledException",
		// goaws and older SNS-compatible servers answer a missing topic so.
		"AWS.SimpleNotificationService.NonExistentTopic": "NotFoundException",
	}}
	dynamoAPI = api{"DynamoDB", "AmazonDynamoDBv2", map[string]string{
		"ConditionalCheckFailedException": "ConditionalCheckFailedException", "ResourceNotFoundException": "ResourceNotFoundException",
		"ProvisionedThroughputExceededException": "ProvisionedThroughputExceededException", "ItemCollectionSizeLimitExceededException": "ItemCollectionSizeLimitExceededException",
		"TransactionConflictException": "TransactionConflictException", "RequestLimitExceeded": "RequestLimitExceededException", "InternalServerError": "InternalServerErrorException",
	}}
	eventsAPI = api{"EventBridge", "AmazonEventBridge", map[string]string{"InternalException": "InternalException"}}
)

// fail turns an SDK error into the task's failure.
func (a api) fail(err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err // the host times the task out or drops it
		}
		return taskport.Fail(a.prefix+".SdkClientException", "Unable to execute HTTP request: "+err.Error())
	}
	code := ae.ErrorCode()
	name, ok := a.modelled[code]
	if !ok {
		name = "Amazon" + strings.TrimPrefix(a.service, "Amazon") + "Exception"
		if a.prefix == "DynamoDB" {
			name = "AmazonDynamoDBException"
		}
	}
	status, id := 0, ""
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status, id = re.HTTPStatusCode(), re.ServiceRequestID()
	}
	return taskport.Fail(a.prefix+"."+name, fmt.Sprintf("%s (Service: %s; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)",
		ae.ErrorMessage(), a.service, status, code, id))
}

func sendMessage(ctx context.Context, c *sqs.Client, params *jsonv.Object) (any, error) {
	var in sqs.SendMessageInput
	if err := decode("sqs:sendMessage", textField(params, "MessageBody"), &in); err != nil {
		return nil, err
	}
	out, err := c.SendMessage(ctx, &in)
	if err != nil {
		return nil, sqsAPI.fail(err)
	}
	return result(out, out.ResultMetadata, true)
}

func publish(ctx context.Context, c *sns.Client, params *jsonv.Object) (any, error) {
	var in sns.PublishInput
	if err := decode("sns:publish", textField(params, "Message"), &in); err != nil {
		return nil, err
	}
	out, err := c.Publish(ctx, &in)
	if err != nil {
		return nil, snsAPI.fail(err)
	}
	return result(out, out.ResultMetadata, true)
}

func putEvents(ctx context.Context, c *eventbridge.Client, params *jsonv.Object) (any, error) {
	if entries, ok := params.Value("Entries").([]any); ok {
		texts := make([]any, len(entries))
		for i, e := range entries {
			if o, isObj := e.(*jsonv.Object); isObj {
				texts[i] = textField(o, "Detail")
			} else {
				texts[i] = e
			}
		}
		params = params.With("Entries", texts)
	}
	var in eventbridge.PutEventsInput
	if err := decode("events:putEvents", params, &in); err != nil {
		return nil, err
	}
	out, err := c.PutEvents(ctx, &in)
	if err != nil {
		return nil, eventsAPI.fail(err)
	}
	if out.FailedEntryCount > 0 {
		// Step Functions fails the task when any entry failed, with the
		// entries' error codes and messages.
		var causes []string
		for i, e := range out.Entries {
			if e.ErrorCode != nil {
				causes = append(causes, fmt.Sprintf("entry %d: %s: %s", i, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage)))
			}
		}
		return nil, taskport.Fail("EventBridge.FailedEntry", fmt.Sprintf("%d of %d entries failed: %s", out.FailedEntryCount, len(out.Entries), strings.Join(causes, "; ")))
	}
	return result(out, out.ResultMetadata, false)
}
