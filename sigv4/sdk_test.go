package sigv4

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"
)

// A Step Functions endpoint that only verifies, answering errors the way
// awsJson1_0 does.
func verifyingServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if _, err := Verify(r, body, testLookupNow, Options{Service: "states"}); err != nil {
			e := err.(*Error)
			w.Header().Set("X-Amzn-ErrorType", e.Name)
			w.WriteHeader(e.Status(AWSJSON))
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazon.coral.service#" + e.Name, "message": e.MessageFor(AWSJSON)})
			return
		}
		_, _ = io.WriteString(w, `{"stateMachines":[]}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// testLookupNow is testLookup with a session key that has not expired.
func testLookupNow(id string) (Secret, bool) {
	s, ok := testLookup(id)
	if !s.Expires.IsZero() {
		s.Expires = time.Now().Add(time.Hour)
	}
	return s, ok
}

func sfnClient(srv *httptest.Server, c aws.Credentials) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       "eu-central-1",
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   srv.Client(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return c, nil
		}),
		RetryMaxAttempts: 1,
	})
}

// The real aws-sdk-go-v2 Step Functions client, over real HTTP, is
// accepted with a configured key and gets AWS's errors otherwise.
func TestSFNClient(t *testing.T) {
	srv := verifyingServer(t)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		creds aws.Credentials
		want  string
	}{
		{"key", creds(testAKID, testSecret, ""), ""},
		{"session key", creds(tempAKID, tempSecret, tempToken), ""},
		{"wrong secret", creds(testAKID, otherSecret, ""), InvalidSignature},
		{"unknown key", creds("AKIANOTCONFIGURED000", testSecret, ""), UnrecognizedClient},
		{"session key without token", creds(tempAKID, tempSecret, ""), UnrecognizedClient},
		{"anonymous", aws.Credentials{}, MissingAuthenticationToken},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := sfnClient(srv, c.creds)
			if c.creds.AccessKeyID == "" {
				client = sfn.New(sfn.Options{Region: "eu-central-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
			}
			_, err := client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != c.want {
				t.Fatalf("got %v, want %s", err, c.want)
			}
		})
	}
}
