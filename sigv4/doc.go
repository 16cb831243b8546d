// Package sigv4 verifies AWS Signature Version 4 on requests a server
// receives: the Authorization header form and the presigned query-string
// form, as the AWS SDKs and CLIs produce them for services other than S3.
//
// It is written here because no well-kept Go library does this.
// aws-sdk-go-v2's aws/signer/v4 only signs, and re-signing a received
// request with it is not a verification: it reads the path, headers and
// query from a client's point of view, picks which headers to sign by its
// own rules rather than the request's SignedHeaders, knows nothing of the
// 15-minute window, the credential scope, session tokens or AWS's error
// answers. The server-side verifiers that exist are
// S3 gateways' internals (MinIO, versitygw) bound to S3's canonical form,
// which does not escape the path twice as every other service does.
//
// # What is verified
//
// Verify rebuilds the canonical request from what the client sent: the
// method; the path as it came on the request line, each byte outside
// RFC 3986's unreserved set escaped once more (so Lambda's
// /2015-03-31/functions/arn%3Aaws%3Alambda%3A...%3Afunction%3Aname/invocations
// is signed as .../arn%253Aaws%253Alambda...); the query string decoded and
// re-encoded, sorted after encoding; the headers the request lists in
// SignedHeaders, trimmed, inner runs of spaces made one, repeated values
// joined with ","; and the SHA-256 of the body. A path with empty, "." or
// ".." segments is also tried in the normalized form botocore and the
// JavaScript SDK sign. The string to sign is hashed with the signing key
// derived from the secret for the scope's date, region and service; derived
// keys are cached (a bounded cache), so a request costs two SHA-256 passes
// over the body and canonical request plus one HMAC, and the signatures are
// compared in constant time.
//
// Before any of that the request must be well formed and current: host
// and the date header signed, the date in ISO 8601 basic form within
// Options.MaxSkew of the server's clock (a presigned request: X-Amz-Expires
// from 1 to 604800 seconds and not past), and the credential scoped to the
// request's day, an accepted region, Options.Service and "aws4_request".
// The access key must be known, and a session token sent exactly when the
// key has one.
//
// # Errors
//
// Every failure is an *Error carrying the name and message AWS answers
// with, and Error.Status gives the status for the protocol the server
// speaks (awsJson answers 400, Lambda's restJson 403). The Error type's
// documentation lists what was found about AWS's answers and where.
package sigv4
