package sigv4

import "net/http"

// Error is a failed verification, as AWS names and words it.
//
// What AWS answers, and where that was learnt: each entry cites its
// sources below, real responses quoted in public issue threads, AWS's
// documentation, or a verifier written from AWS's answers. Where no answer
// of Step Functions or Lambda itself was found, the source is a service of
// the same protocol, and the entry says so.
//
//	Name / message                                        awsJson1_0 (states)  restJson1 (lambda)
//	MissingAuthenticationTokenException                   400 [1]              403 [2]
//	  "Request is missing Authentication Token"  (awsJson: DynamoDB [1]; for
//	  states itself unconfirmed)
//	  "Missing Authentication Token"            (Lambda Invoke [2])
//	IncompleteSignatureException                          400 [3]              403 (unconfirmed [4])
//	  "Authorization header requires 'Credential' parameter. Authorization
//	  header requires 'Signature' parameter. Authorization header requires
//	  'SignedHeaders' parameter. Authorization header requires existence of
//	  either a 'X-Amz-Date' or a 'Date' header. Authorization=<header>" [5]
//	  "'<pair>' not a valid key=value pair (missing equal-sign) in
//	  Authorization header: '<header>'." [3][6]
//	  "Credential must have exactly 5 slash-delimited elements, e.g.
//	  keyid/date/region/service/term, got '<credential>'" [7]
//	  "Unsupported AWS 'algorithm': '<alg>'." [8]
//	  "Date must be in ISO-8601 'basic format'. Got '<date>'. See
//	  http://en.wikipedia.org/wiki/ISO_8601" [8]
//	  "AWS query-string parameters must include 'X-Amz-Credential'. [...]
//	  Re-examine the query-string parameters." [8]
//	InvalidSignatureException                             400 [9]              403 [10]
//	  "The request signature we calculated does not match the signature you
//	  provided. Check your AWS Secret Access Key and signing method. Consult
//	  the service documentation for details." [8][10]
//	  "Signature expired: <t> is now earlier than <now-skew> (<now> - 15 min.)"
//	  "Signature not yet current: <t> is still later than <now+skew> (<now> + 15 min.)" [8][11]
//	  "Credential should be scoped to a valid region, not '<region>'. " [12]
//	  "Credential should be scoped to correct service: '<service>'. " [13]
//	  "Credential should be scoped with a valid terminator: 'aws4_request', not '<t>'. " [8]
//	  "Date in Credential scope does not match YYYYMMDD from ISO-8601 version
//	  of date from HTTP: '<scope>' != '<date>', from '<timestamp>'. " [8][14]
//	  "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." [8][15]
//	UnrecognizedClientException                           400 [16]             403 [17]
//	  "The security token included in the request is invalid."
//	ExpiredTokenException                                 400 [18]             403 [19]
//	  "The security token included in the request is expired"
//
// The scope messages end in ". " (a trailing space): that is how AWS sends
// them, one after another when several parts of the scope are wrong.
// UnrecognizedClientException's message has been quoted with a final period
// (Step Functions, Cognito, older Lambda and DynamoDB responses) and without
// (newer Lambda and DynamoDB ones); we send it with. The clock window is 15
// minutes in the STS and ECR answers quoted; Lambda's answers say
// "- 5 min.", and one report (aws/aws-sdk-js-v3#7135) says Step Functions
// allows 5 minutes too, without quoting the message: hence Options.MaxSkew.
// AWS's Common Errors page gives 403 for MissingAuthenticationToken, but
// that page is the query protocol's (IAM, STS); DynamoDB answered 400.
//
// Not confirmed for any AWS service, so worded here plainly: a request with
// both an Authorization header and X-Amz-Algorithm (S3's words are used), a
// presigned request past X-Amz-Expires or with an X-Amz-Expires outside
// 1..604800, an x-amz-content-sha256 that is not the body's hash (S3's
// words), UNSIGNED-PAYLOAD where it is not allowed, a signed header list
// without the date header, and MalformedQueryString (the query protocol's
// name and words, for a query string with a broken %-escape).
//
// In awsJson1_0 the name goes in "__type" (AWS prefixes it with
// "com.amazon.coral.service#", which SDKs strip) and in X-Amzn-ErrorType; in
// restJson1 Lambda sends it in X-Amzn-ErrorType with a {"message": ...} body.
//
// Sources (issue threads quote the responses):
//
//	[1]  amazon-archives/aws-dynamodb-session-tomcat#42 (DynamoDB: Status Code: 400;
//	     MissingAuthenticationTokenException); architect/dynalite#105 (an
//	     emulator copying DynamoDB's answer)
//	[2]  brefphp/bref#1250 (lambda .../invocations: 403, MissingAuthenticationTokenException)
//	[3]  iann0036/cloud9-sync#10 (awsJson1_1: 400, "__type":"IncompleteSignatureException")
//	[4]  aws-amplify/amplify-flutter#1539 (API Gateway in front of Lambda: 403)
//	[5]  aws/aws-sdk-js#4285 (SSM, awsJson1_1); aws/chalice#828; aws/aws-sdk-ruby#317
//	[6]  aws/aws-sdk-go#289; awslabs/fhir-works-on-aws-deployment#379 (DynamoDB)
//	[7]  prometheus-community/yet-another-cloudwatch-exporter#169; mhart/aws4#97
//	[8]  dacut/scratchstack-aws-signature (src/constants.rs, src/auth.rs,
//	     src/canonical.rs): a server-side verifier whose messages and check
//	     order were taken from AWS's answers ("AWS Auth Error Ordering")
//	[9]  aws/aws-sdk-ruby#431 (EMR), disneystreaming/smithy4s#1568 (SageMaker):
//	     awsJson1_1, 400; aws/aws-sdk-js#254 (400, "- 15 min."),
//	     upmc-enterprises/registry-creds#24 (ECR: 400, "- 15 min.")
//	[10] erlcloud/erlcloud#690 (lambda invoke: 403, x-amzn-errortype InvalidSignatureException)
//	[11] aws/aws-cli#4600, aws/aws-sdk-js#2598, serverless/serverless#27
//	     (lambda: "- 5 min.", 403); aws/aws-cli#6676 (STS: "- 15 min.")
//	[12] joona/aws-es-curl#15; fsouza/s3-upload-proxy#241; aws/aws-sdk-ruby#508
//	[13] cllunsford/aws-signing-proxy#25; disneystreaming/smithy4s#1568
//	[14] docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html
//	[15] NetSPI/AWSSigner#3; aws/aws-sdk-php#2469
//	[16] localstack/localstack#1869 (AWSStepFunctions; Status Code: 400;
//	     UnrecognizedClientException); ArranJacques/laravel-aws-cognito-auth#25
//	[17] iann0036/iamlive#58 (lambda: StatusCode: 403)
//	[18] guregu/dynamo#68 (DynamoDB: 400, com.amazon.coral.service#ExpiredTokenException)
//	[19] cloudquery/cq-provider-aws#1171 (lambda: StatusCode: 403)
type Error struct {
	// Name is the wire name: MissingAuthenticationTokenException,
	// IncompleteSignatureException, InvalidSignatureException,
	// UnrecognizedClientException, ExpiredTokenException,
	// MalformedQueryString, or InternalFailure for a caller's mistake
	// (Options or Lookup missing).
	Name string
	// Message is AWS's message text, as awsJson1_0 services send it; see
	// MessageFor for the one place restJson1 differs.
	Message string
}

// Wire names of the errors Verify returns.
const (
	MissingAuthenticationToken = "MissingAuthenticationTokenException"
	IncompleteSignature        = "IncompleteSignatureException"
	InvalidSignature           = "InvalidSignatureException"
	UnrecognizedClient         = "UnrecognizedClientException"
	ExpiredToken               = "ExpiredTokenException"
	MalformedQueryString       = "MalformedQueryString"
	InternalFailure            = "InternalFailure"
)

// Messages that do not depend on the request.
const (
	msgMissingAuthJSON = "Request is missing Authentication Token"
	msgMissingAuthREST = "Missing Authentication Token"
	msgSignatureDiffer = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgTokenInvalid    = "The security token included in the request is invalid."
	msgTokenExpired    = "The security token included in the request is expired"
)

func (e *Error) Error() string { return e.Name + ": " + e.Message }

// Protocol is the AWS protocol a server answers in; the status of an
// authentication error depends on it.
type Protocol int

const (
	// AWSJSON is awsJson1_0 and awsJson1_1 (Step Functions): every
	// authentication error is a 400.
	AWSJSON Protocol = iota
	// RESTJSON is restJson1 as Lambda speaks it: authentication errors
	// are 403s.
	RESTJSON
)

// Status is the HTTP status AWS answers this error with on protocol p.
func (e *Error) Status(p Protocol) int {
	switch e.Name {
	case InternalFailure:
		return http.StatusInternalServerError
	case MalformedQueryString:
		return http.StatusBadRequest
	}
	if p == RESTJSON {
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// MessageFor is the message to send on protocol p: Lambda words a missing
// signature differently from the awsJson services.
func (e *Error) MessageFor(p Protocol) string {
	if e.Name == MissingAuthenticationToken && p == RESTJSON {
		return msgMissingAuthREST
	}
	return e.Message
}

func newError(name, msg string) *Error { return &Error{Name: name, Message: msg} }
