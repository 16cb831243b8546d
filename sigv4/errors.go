package sigv4

import "net/http"

// Error is a failed verification, named and worded as AWS answers it.
type Error struct {
	Name    string
	Message string
}

func (e *Error) Error() string { return e.Name + ": " + e.Message }

// Protocol is an AWS wire protocol, which decides the HTTP status of an
// authentication failure.
type Protocol int

const (
	// AWSJSON is awsJson1_0/1_1 (Step Functions): every failure is 400.
	AWSJSON Protocol = iota
	// RESTJSON is restJson1 (Lambda): failures are 403.
	RESTJSON
)

// Status is the HTTP status AWS answers e with on protocol p.
func (e *Error) Status(p Protocol) int {
	if p == RESTJSON {
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

func incomplete(msg string) *Error {
	return &Error{Name: "IncompleteSignatureException", Message: msg}
}

func invalidSignature(msg string) *Error {
	return &Error{Name: "InvalidSignatureException", Message: msg}
}

func unrecognized() *Error {
	return &Error{Name: "UnrecognizedClientException", Message: "The security token included in the request is invalid."}
}
