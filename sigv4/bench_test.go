package sigv4

import (
	"strings"
	"testing"
)

// benchRequest is a StartExecution as aws-sdk-go-v2 sends it, with a 1 KB
// body, as a Go server receives it.
func benchRequest(b *testing.B) func() error {
	c := sfnStart
	c.body = `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:Pin","input":"` + strings.Repeat("x", 1024-87) + `"}`
	if len(c.body) != 1024 {
		b.Fatalf("body is %d bytes", len(c.body))
	}
	c.headers = append(c.headers,
		[2]string{"Amz-Sdk-Invocation-Id", "3c5f8a52-3f3e-4c4e-9b6a-0d4b8e9f7a21"},
		[2]string{"Amz-Sdk-Request", "attempt=1; max=3"},
		[2]string{"User-Agent", "aws-sdk-go-v2/1.47.7 ua/2.1 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/sfn#1.41.2"})
	r, body := signHeader(b, c, creds(testAKID, testSecret, ""), "states", testRegion)
	o := testOptions("states")
	if _, err := Verify(r, body, testLookup, o); err != nil {
		b.Fatal(err)
	}
	return func() error {
		_, err := Verify(r, body, testLookup, o)
		return err
	}
}

func BenchmarkVerify(b *testing.B) {
	verify := benchRequest(b)
	b.ReportAllocs()
	b.SetBytes(1024)
	for b.Loop() {
		if err := verify(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyColdKey derives the signing key on every request, as the
// first request of a key, region and service each day does.
func BenchmarkVerifyColdKey(b *testing.B) {
	verify := benchRequest(b)
	b.ReportAllocs()
	b.SetBytes(1024)
	for b.Loop() {
		keys.reset()
		if err := verify(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyUnsigned is the cost of refusing a request with no
// signature at all.
func BenchmarkVerifyUnsigned(b *testing.B) {
	c := sfnStart
	r, body := received(b, c.build(b))
	o := testOptions("states")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(r, body, testLookup, o); errName(err) != MissingAuthenticationToken {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPresigned(b *testing.B) {
	c := lambdaInvoke
	c.url += "&X-Amz-Expires=300"
	r, body := presign(b, c, creds(testAKID, testSecret, ""), "lambda", testRegion)
	o := testOptions("lambda")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(r, body, testLookup, o); err != nil {
			b.Fatal(err)
		}
	}
}
