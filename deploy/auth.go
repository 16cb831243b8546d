package deploy

// SigningName is the service name in the SigV4 credential scope of a
// deploy request.
const SigningName = "statecraft"

// MaxBody bounds a deploy request: 50 MB of code archives, base64-encoded
// in JSON, and the definitions beside them.
const MaxBody = 72 << 20
