// Package awssdk runs Step Functions' AWS SDK service integrations: Task
// states whose Resource is arn:aws:states:::aws-sdk:SERVICE:ACTION, with
// the optional .waitForTaskToken suffix (the host does the waiting; this
// port only sends the request). The action is written in camelCase in the
// ARN (aws-sdk:s3:listObjectsV2), the Parameters in the API's PascalCase
// member names, and the result is the action's output shape with the same
// PascalCase names, as Step Functions renders it:
//
//   - timestamps as ISO 8601 strings in UTC (2024-05-01T10:00:00.123Z),
//   - blobs (Lambda's Payload, SQS binary attributes) and S3 GetObject's
//     Body as the bytes' text (Step Functions documents that aws-sdk
//     lambda:invoke returns Payload as an escaped JSON string, which the
//     optimized integration then parses), the Body last,
//   - members the service did not return left out (S3's Metadata, which
//     AWS shows as {}, excepted), and no response metadata.
//
// In the parameters, a blob or a streaming body (S3 PutObject's Body,
// Lambda's Payload) is the JSON text of its value, a string included:
// "Body": "text" stores "\"text\"" (with S3's ContentType, when unset,
// "text/plain; charset=UTF-8"), as AWS does. A string member given
// another JSON value gets that value's JSON text (sfn startExecution's
// Input given an object).
//
// An error the service answers fails the task with SERVICE.ErrorName, the
// service name in the Java SDK's PascalCase (S3, Sqs, Sns, DynamoDb,
// EventBridge, Lambda, Sfn) and the error name with "Exception" appended
// when it lacks it: Step Functions documents both (S3's NoSuchKey is
// S3.NoSuchKeyException). An error the service's API model does not
// define (S3's BucketNotEmpty, DynamoDB's ValidationException) is the
// service's base exception, S3.S3Exception or DynamoDb.DynamoDbException,
// as the Java SDK throws it. The cause is the service's message followed by
// "(Service: S3, Status Code: 404, Request ID: ...) (SDK Attempt Count:
// 1)", the shape of AWS's own causes. A request missing a required member
// is sent all the same, so the service's own validation error answers, as
// on AWS. A failure before any answer (the endpoint cannot be reached) is
// SERVICE.SdkClientException with the SDK's message; settings that make
// no configuration (a credentials variable they name is unset) fail it
// with States.TaskFailed naming why. A parameter the
// action does not have, or a value that cannot stand for its member (an
// object for a number), fails the task with States.Runtime naming it:
// nothing is silently dropped. AWS refuses an unknown field already at
// CreateStateMachine; CheckParameters lets a validator do the same, and
// Supported refuse an unknown service or action.
//
// Known differences: a result's keys are in the Go SDK's field order
// (required members first, then by name), not always the API model's; a
// map's keys (a DynamoDB item's attributes) are sorted, since Go maps do
// not keep the order the service sent; the exact digits of AWS's
// timestamps are not recorded anywhere this package could check.
//
// # Why reflection
//
// Step Functions reaches some two hundred services and thousands of
// actions through one generic mechanism. Writing a codec per action would
// be thousands of hand-written functions that drift from the SDK; instead
// the pinned aws-sdk-go-v2 typed clients are the model: the action's
// method is found on the client by name (camelCase -> PascalCase), its
// *Input struct is filled from the JSON parameters and its *Output struct
// rendered back, both by walking the struct types with reflect. The SDK's
// own serializers then speak each service's wire protocol (REST-XML for
// S3, JSON for DynamoDB and SQS, query for SNS), so this package holds no
// protocol code at all.
//
// # Adding a service
//
// One row in the services table below: the name used in the ARN, the
// PascalCase name used in error names and causes, and a constructor that
// builds the typed client from an aws.Config and the service's settings
// (e.g. {"kinesis", "Kinesis", func(c aws.Config, _ awsconf.Service) any
// { return kinesis.NewFromConfig(c) }}; a setting that is a client option
// is a method of awsconf.Service, as S3Options), then `AWSSDK_REGENERATE=1 go test -run
// TestModeledErrors ./awssdk/` to list its error shapes in errors_gen.go.
// If the service's shapes use a union interface (like DynamoDB's
// AttributeValue), list its members in unions (codec.go).
package awssdk

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/statecraft/statecraft/arn"
	"github.com/statecraft/statecraft/awsconf"
	"github.com/statecraft/statecraft/taskport"
)

// service is one row of the table: how to build its client and how AWS
// names it in errors.
type service struct {
	// name is the service as written in the Resource ARN.
	name string
	// pascal prefixes error names and is the "Service:" of causes.
	pascal string
	// client builds the typed client. It is called per task attempt with
	// the configuration and the settings the Port gives for the service;
	// the settings carry what aws.Config cannot (S3's pathStyle, SQS's
	// protocol).
	client func(aws.Config, awsconf.Service) any
}

var services = []service{
	{"dynamodb", "DynamoDb", func(c aws.Config, _ awsconf.Service) any { return dynamodb.NewFromConfig(c) }},
	{"eventbridge", "EventBridge", func(c aws.Config, _ awsconf.Service) any { return eventbridge.NewFromConfig(c) }},
	{"lambda", "Lambda", func(c aws.Config, _ awsconf.Service) any { return lambda.NewFromConfig(c) }},
	{"s3", "S3", func(c aws.Config, s awsconf.Service) any { return s3.NewFromConfig(c, s.S3Options) }},
	{"sfn", "Sfn", func(c aws.Config, _ awsconf.Service) any { return sfn.NewFromConfig(c) }},
	{"sns", "Sns", func(c aws.Config, _ awsconf.Service) any { return sns.NewFromConfig(c) }},
	{"sqs", "Sqs", func(c aws.Config, s awsconf.Service) any { return sqs.NewFromConfig(c, s.SQSOptions) }},
}

func lookup(name string) (service, bool) {
	for _, s := range services {
		if s.name == name {
			return s, true
		}
	}
	return service{}, false
}

// Services lists the service names this package runs, sorted.
func Services() []string {
	out := make([]string, len(services))
	for i, s := range services {
		out[i] = s.name
	}
	sort.Strings(out)
	return out
}

var (
	ctxType   = reflect.TypeFor[context.Context]()
	errorType = reflect.TypeFor[error]()
)

// method finds the client method that runs action, checking it has the
// shape every aws-sdk-go-v2 operation has:
// func(context.Context, *XInput, ...func(*Options)) (*XOutput, error).
func method(clientType reflect.Type, action string) (reflect.Method, bool) {
	r, size := utf8.DecodeRuneInString(action)
	// Step Functions writes actions in camelCase; a PascalCase action, or
	// one that is not a plain identifier, names no action.
	if r == utf8.RuneError || !unicode.IsLower(r) || strings.ContainsFunc(action, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		return reflect.Method{}, false
	}
	m, ok := clientType.MethodByName(string(unicode.ToUpper(r)) + action[size:])
	if !ok {
		return reflect.Method{}, false
	}
	t := m.Type // the receiver is In(0)
	if t.NumIn() != 4 || !t.IsVariadic() || t.In(1) != ctxType ||
		t.In(2).Kind() != reflect.Pointer || t.In(2).Elem().Kind() != reflect.Struct ||
		t.NumOut() != 2 || t.Out(0).Kind() != reflect.Pointer || t.Out(0).Elem().Kind() != reflect.Struct ||
		t.Out(1) != errorType {
		return reflect.Method{}, false
	}
	// Event-stream actions (S3 SelectObjectContent, Lambda
	// InvokeWithResponseStream) have no single result to return; Step
	// Functions does not offer streaming SDKs either.
	if _, stream := t.Out(0).MethodByName("GetStream"); stream {
		return reflect.Method{}, false
	}
	return m, true
}

// clientTypes holds each service's client type, so Supported need not
// build a client per call; it is built on first use, not when a binary
// that links the package starts.
var clientTypes = sync.OnceValue(func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, s := range services {
		m[s.name] = reflect.TypeOf(s.client(aws.Config{Region: "us-east-1"}, awsconf.Service{}))
	}
	return m
})

// action finds the client method of service:action.
func action(service, act string) (reflect.Method, bool) {
	t, ok := clientTypes()[service]
	if !ok {
		return reflect.Method{}, false
	}
	return method(t, act)
}

// Supported tells whether aws-sdk:service:action names an action this
// package runs (action in camelCase, as in the Resource ARN).
func Supported(service, act string) bool {
	_, ok := action(service, act)
	return ok
}

// Fields lists the top-level parameter names the action accepts (its
// input shape's members), sorted; nil when the action is not Supported.
// A validator refuses any other field in Parameters, as Step Functions
// does at CreateStateMachine ("The field \"X\" is not supported by Step
// Functions").
func Fields(service, act string) []string {
	m, ok := action(service, act)
	if !ok {
		return nil
	}
	in := m.Type.In(2).Elem()
	var out []string
	for i := range in.NumField() {
		if f := in.Field(i); f.IsExported() {
			out = append(out, f.Name)
		}
	}
	sort.Strings(out)
	return out
}

// Resource is a parsed aws-sdk Resource.
type Resource struct {
	Service, Action string
	// WaitForTaskToken is set for the .waitForTaskToken pattern.
	WaitForTaskToken bool
}

// ParseResource splits arn:PARTITION:states:::aws-sdk:SERVICE:ACTION[.
// waitForTaskToken]. ok is false for any other resource, including the
// .sync pattern, which AWS SDK integrations do not have.
func ParseResource(resource string) (Resource, bool) {
	a, err := arn.Parse(resource)
	if err != nil || a.Service != "states" || a.Region != "" || a.Account != "" {
		return Resource{}, false
	}
	rest, ok := strings.CutPrefix(a.Resource, "aws-sdk:")
	if !ok {
		return Resource{}, false
	}
	svc, action, ok := strings.Cut(rest, ":")
	if !ok || svc == "" || action == "" || strings.Contains(action, ":") {
		return Resource{}, false
	}
	r := Resource{Service: svc, Action: action}
	if base, pattern, ok := strings.Cut(action, "."); ok {
		if pattern != "waitForTaskToken" {
			return Resource{}, false
		}
		r.Action, r.WaitForTaskToken = base, true
	}
	return r, true
}

var sharedHTTP = awshttp.NewBuildableClient()

// Port runs aws-sdk Task resources. Config gives the AWS configuration
// (region, credentials, endpoint) to call a service with and Settings the
// service's settings that are client options (S3's pathStyle, SQS's
// protocol: query); both are asked on every attempt with the service's
// name as the ARN writes it (eventbridge, sfn), which awsconf maps to
// its settings' name. New builds a Port from the server's service
// settings, the ones the optimized integrations use.
type Port struct {
	Config   func(ctx context.Context, service string) (aws.Config, error)
	Settings func(service string) awsconf.Service
	// RoleConfig is Config under a Task's Credentials: the role's
	// temporary credentials, assumed for the execution (an
	// *awsconf.AssumeRoleError when STS refuses it). Nil fails such a
	// task: it must not run with the server's own credentials.
	RoleConfig func(ctx context.Context, service, role, executionArn string) (aws.Config, error)
}

// New is the Port calling the services c configures.
func New(c *awsconf.Configs) Port {
	return Port{Config: c.For, Settings: c.Settings, RoleConfig: c.ForRole}
}

// Invoke implements taskport.Port.
func (p Port) Invoke(ctx context.Context, req taskport.Request) (any, error) {
	r, ok := ParseResource(req.Resource)
	if !ok {
		return nil, taskport.ErrNotSupported
	}
	svc, ok := lookup(r.Service)
	if !ok {
		return nil, taskport.ErrNotSupported
	}
	m, ok := action(r.Service, r.Action)
	if !ok {
		return nil, taskport.ErrNotSupported
	}
	in := reflect.New(m.Type.In(2).Elem())
	where := "aws-sdk:" + r.Service + ":" + r.Action
	if err := decode(req.Input, in.Elem(), ""); err != nil {
		var de *decodeError
		if errors.As(err, &de) {
			return nil, taskport.Fail("States.Runtime", de.message(where))
		}
		return nil, err
	}
	if p.Config == nil {
		return nil, fmt.Errorf("awssdk: Port has no Config")
	}
	cfg, err := p.config(ctx, r.Service, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var role *awsconf.AssumeRoleError
		if errors.As(err, &role) {
			// Worded as the host words a Statecraft role it cannot
			// assume, so Retry and Catch see the same failure.
			return nil, taskport.Fail("States.TaskFailed", "Step Functions could not assume the role of the task's Credentials: "+role.Error())
		}
		// The settings cannot make a configuration (a credentials
		// variable they name is unset): the task fails, naming why, as
		// the optimized integrations' tasks do.
		return nil, taskport.Fail("States.TaskFailed", err.Error())
	}
	if cfg.HTTPClient == nil {
		// A client is built per attempt; without a shared HTTP client
		// each would make its own transport, and no connection would be
		// reused between tasks.
		cfg.HTTPClient = sharedHTTP
	}
	var attempts atomic.Int32
	cfg.APIOptions = append(slices.Clip(cfg.APIOptions), func(st *middleware.Stack) error {
		// Step Functions' SDK does not check required members: the
		// service answers a request without them (DynamoDb.
		// DynamoDbException "Value null at 'item' failed to satisfy
		// constraint"), so the Go SDK's own check is taken out. An
		// operation without required members has none (the error).
		_, _ = st.Initialize.Remove("OperationInputValidation")
		// Counts the attempts the retryer makes, for the cause.
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("StatecraftAttempts",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				attempts.Add(1)
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
	var settings awsconf.Service
	if p.Settings != nil {
		settings = p.Settings(r.Service)
	}
	client := reflect.ValueOf(svc.client(cfg, settings))
	outs := client.Method(m.Index).Call([]reflect.Value{reflect.ValueOf(ctx), in})
	if e := outs[1].Interface(); e != nil {
		if ctx.Err() != nil {
			// The answer no longer matters; the host decides what the
			// task's end is (timeout, stop).
			return nil, ctx.Err()
		}
		return nil, failure(svc, e.(error), int(attempts.Load()))
	}
	out, err := encodeOutput(svc, outs[0].Elem())
	if err != nil {
		return nil, taskport.Fail(svc.pascal+".SdkClientException", err.Error())
	}
	return out, nil
}

// config is the configuration of the call: the service's, or under a
// Task's Credentials the role's.
func (p Port) config(ctx context.Context, service string, req taskport.Request) (aws.Config, error) {
	if req.RoleArn == "" {
		return p.Config(ctx, service)
	}
	if p.RoleConfig == nil {
		return aws.Config{}, fmt.Errorf("this server cannot assume the role %s of the task's Credentials for an AWS service (no STS settings)", req.RoleArn)
	}
	return p.RoleConfig(ctx, service, req.RoleArn, req.ExecutionArn)
}

// failure turns an SDK error into the Step Functions failure; attempts is
// how many requests were sent.
func failure(svc service, err error, attempts int) error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		var op *smithy.OperationError
		msg := err.Error()
		if errors.As(err, &op) {
			msg = op.Err.Error()
		}
		var send *smithyhttp.RequestSendError
		if errors.As(err, &send) {
			// The Java SDK's words for a request that got no answer,
			// with the network's reason (not the Go SDK's retry and URL
			// wrapping).
			reason := send.Err
			var u *url.Error
			if errors.As(reason, &u) {
				reason = u.Err
			}
			msg = "Unable to execute HTTP request: " + reason.Error()
		}
		return taskport.Fail(svc.pascal+".SdkClientException", msg)
	}
	// An error the service's model does not define is the service's
	// base exception in the Java SDK that Step Functions uses
	// (S3Exception for S3's BucketNotEmpty, DynamoDbException for
	// DynamoDB's ValidationException), hence S3.S3Exception.
	// The Go SDK types only the errors each operation's model lists (S3's
	// GetObject lists NoSuchKey but not NoSuchBucket), while the Java SDK
	// recognises every error shape of the service, so a code that names
	// one keeps its name.
	name := svc.pascal
	if code := api.ErrorCode(); slices.Contains(modeledErrors[svc.name], code) {
		name = code
	}
	if _, ok := api.(*smithy.GenericAPIError); !ok {
		// A modelled error's type is named after the model's shape (SQS's
		// QueueDoesNotExist), while its code may be a legacy one
		// (AWS.SimpleQueueService.NonExistentQueue). The Java SDK, which
		// Step Functions uses, names its exception classes after the
		// shape, so the type name is the faithful one.
		t := reflect.TypeOf(api)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		name = t.Name()
	}
	if i := strings.LastIndexAny(name, ".#"); i >= 0 {
		name = name[i+1:]
	}
	if !strings.HasSuffix(name, "Exception") {
		name += "Exception"
	}
	cause := api.ErrorMessage()
	if cause == "" {
		cause = api.ErrorCode()
	}
	details := "Service: " + svc.pascal
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		details += fmt.Sprintf(", Status Code: %d, Request ID: %s", resp.HTTPStatusCode(), resp.ServiceRequestID())
		var host interface{ ServiceHostID() string }
		if errors.As(err, &host) && host.ServiceHostID() != "" {
			details += ", Extended Request ID: " + host.ServiceHostID()
		}
	}
	// AWS's causes end with the Java SDK's attempt count, as recorded in
	// 2025 ("... Request ID: ...) (SDK Attempt Count: 1)").
	return taskport.Fail(svc.pascal+"."+name, fmt.Sprintf("%s (%s) (SDK Attempt Count: %d)", cause, details, max(attempts, 1)))
}
