package api

import (
	"fmt"
	"net/http"
	"strings"
)

// Namespaces of __type. SDKs keep only the part after '#', but botocore
// and the JS SDK show the whole string in some messages, so they are AWS's.
const (
	nsService  = "com.amazonaws.swf.service.v2.model"
	nsValidate = "com.amazon.coral.validate"
	nsCoral    = "com.amazon.coral.service"
)

// Error names used in more than one place.
const (
	errValidation           = "ValidationException"
	errInvalidArn           = "InvalidArn"
	errInvalidName          = "InvalidName"
	errInvalidToken         = "InvalidToken"
	errSMDoesNotExist       = "StateMachineDoesNotExist"
	errExecDoesNotExist     = "ExecutionDoesNotExist"
	errActivityDoesNotExist = "ActivityDoesNotExist"
	errResourceNotFound     = "ResourceNotFound"
	errTooManyTags          = "TooManyTags"
)

// apiError is an error answered on the wire.
type apiError struct {
	status    int
	namespace string
	name      string
	message   string
	// Modelled extra members.
	reason       string // ValidationException.reason
	resourceName string // ResourceNotFound / TooManyTags
}

func (e *apiError) Error() string { return e.name + ": " + e.message }

func serviceError(name, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, namespace: nsService, name: name, message: fmt.Sprintf(format, args...)}
}

// validationError is a ValidationException raised by Statecraft's own
// checks (not the model's constraints, which use violations).
func validationError(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, namespace: nsValidate, name: errValidation, message: fmt.Sprintf(format, args...)}
}

func serializationError(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, namespace: nsCoral, name: "SerializationException", message: fmt.Sprintf(format, args...)}
}

func unknownOperation(target string) *apiError {
	return &apiError{status: http.StatusBadRequest, namespace: nsCoral, name: "UnknownOperationException",
		message: fmt.Sprintf("Unknown operation %q: expected X-Amz-Target AWSStepFunctions.<Operation>", target)}
}

// accessDenied is IAM's refusal: the role does not allow the action, or
// the resource belongs to another account.
func accessDenied(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, namespace: nsCoral, name: "AccessDeniedException", message: msg}
}

// internalFailure hides the cause from the client; it is logged instead.
func internalFailure() *apiError {
	return &apiError{status: http.StatusInternalServerError, namespace: nsCoral, name: "InternalFailure",
		message: "The request processing has failed because of an unknown error, exception or failure."}
}

// unsupported answers operations of the model that Statecraft does not
// implement yet. ValidationException is what most of them model, and a
// generic error is what the rest get in SDKs anyway; a clear refusal beats
// an empty answer that looks like success.
func unsupported(op string) *apiError {
	return validationError("Statecraft does not support %s yet", op)
}

// Messages recorded on AWS.

func invalidArnPrefix(arn string) *apiError {
	return serviceError(errInvalidArn, "Invalid Arn: 'Invalid ARN prefix: %s'", arn)
}

func invalidArnType(resourceType string) *apiError {
	return serviceError(errInvalidArn, "Invalid Arn: 'Resource type not valid in this context: %s'", resourceType)
}

func invalidArn(arn string) *apiError {
	return serviceError(errInvalidArn, "Invalid Arn: '%s'", arn)
}

func invalidName(name string) *apiError {
	return serviceError(errInvalidName, "Invalid Name: '%s'", name)
}

func smDoesNotExist(arn string) *apiError {
	return serviceError(errSMDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
}

func smDeleting(arn string) *apiError {
	return serviceError("StateMachineDeleting", "State Machine is being deleted: '%s'", arn)
}

func execDoesNotExist(arn string) *apiError {
	return serviceError(errExecDoesNotExist, "Execution Does Not Exist: '%s'", arn)
}

func activityDoesNotExist(arn string) *apiError {
	return serviceError(errActivityDoesNotExist, "Activity Does Not Exist: '%s'", arn)
}

func resourceNotFound(arn string) *apiError {
	e := serviceError(errResourceNotFound, "Resource not found: '%s'", arn)
	e.resourceName = arn
	return e
}

func invalidPageToken(why string) *apiError {
	return serviceError(errInvalidToken, "Invalid Token: '%s'", why)
}

func labelledArn(arn string) *apiError {
	e := validationError("Invalid Arn: '%s'. This API does not support labelled ARNs.", arn)
	e.reason = "API_DOES_NOT_SUPPORT_LABELED_ARNS"
	return e
}

// violations collects breaches of the model's constraints, reported
// together as AWS's request validation layer does.
type violations []string

func (v *violations) add(format string, args ...any) {
	*v = append(*v, fmt.Sprintf(format, args...))
}

func (v violations) err() *apiError {
	if len(v) == 0 {
		return nil
	}
	noun := "error"
	if len(v) > 1 {
		noun = "errors"
	}
	return &apiError{status: http.StatusBadRequest, namespace: nsValidate, name: errValidation,
		message: fmt.Sprintf("%d validation %s detected: %s", len(v), noun, strings.Join(v, "; "))}
}
