package awsconf_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/awsconf"
	"github.com/statecraft/statecraft/integrations/testservers"
)

func TestSessionName(t *testing.T) {
	valid := regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	long := strings.Repeat("n", 80)
	cases := []struct{ arn, prefix string }{
		{"arn:aws:states:us-east-1:123456789012:execution:orders:run-1", "orders.run-1-"},
		{"arn:aws:states:us-east-1:123456789012:express:orders:run-1:5f0c", "orders.run-1.5f0c-"},
		{"arn:aws:states:us-east-1:123456789012:execution:m:" + long, "m." + long[:49]},
		{"arn:aws:states:us-east-1:123456789012:execution:m:héllo wörld", "m.h-llo-w-rld-"},
		{"", "statecraft-"},
	}
	seen := map[string]string{}
	for _, c := range cases {
		got := awsconf.SessionName(c.arn)
		if !valid.MatchString(got) || !strings.HasPrefix(got, c.prefix) {
			t.Errorf("SessionName(%q) = %q, want a valid session name starting %q", c.arn, got, c.prefix)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("%q and %q share the session name %q", prev, c.arn, got)
		}
		seen[got] = c.arn
	}
	// Executions whose names only differ past the cut stay apart.
	a := awsconf.SessionName("arn:aws:states:us-east-1:123456789012:execution:m:" + long + "a")
	b := awsconf.SessionName("arn:aws:states:us-east-1:123456789012:execution:m:" + long + "b")
	if a == b {
		t.Errorf("two executions share %q", a)
	}
}

// TestForRoleErrors: STS refuses a base key whose secret is wrong (its
// SigV4 check) and a role it does not know; each is an AssumeRoleError
// worded with STS's code, status and request id. (The STS records only
// the signed calls it answers.)
func TestForRoleErrors(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/r"
	sts := testservers.NewSTS(t, "base-key", "base-secret", role)
	configs := func(secret string) *awsconf.Configs {
		return &awsconf.Configs{Region: "us-east-1",
			Services: map[string]awsconf.Service{awsconf.STS: {Endpoint: sts.URL, AccessKeyIDEnv: "K", SecretAccessKeyEnv: "S"}},
			LookupEnv: func(n string) (string, bool) {
				return map[string]string{"K": "base-key", "S": secret}[n], true
			}}
	}
	const exec = "arn:aws:states:us-east-1:123456789012:execution:m:x"
	for _, c := range []struct {
		name, secret, role, want string
	}{
		{"wrong secret", "wrong", role, "(Service: Sts, Status Code: 403, Error Code: SignatureDoesNotMatch, Request ID: "},
		{"unknown role", "base-secret", role + "x", "is not authorized to perform: sts:AssumeRole on resource: " + role + "x (Service: Sts, Status Code: 403, Error Code: AccessDenied, Request ID: "},
	} {
		_, err := configs(c.secret).ForRole(context.Background(), "s3", c.role, exec)
		var are *awsconf.AssumeRoleError
		if !errors.As(err, &are) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an AssumeRoleError with %q", c.name, err, c.want)
		}
	}
	cfg, err := configs("base-secret").ForRole(context.Background(), "s3", role, exec)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	calls := sts.Calls()
	if err != nil || len(calls) != 2 || creds.AccessKeyID != calls[1].AccessKeyID || creds.SessionToken != calls[1].SessionToken || !creds.CanExpire {
		t.Errorf("credentials %+v (%v), calls %+v", creds, err, calls)
	}
}
