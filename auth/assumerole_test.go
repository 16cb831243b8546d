package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The iamRoles of a credentials file, and who may assume them.
func TestAssumeRole(t *testing.T) {
	p := filepath.Join(t.TempDir(), "creds.yaml")
	if err := os.WriteFile(p, []byte(`accounts:
  - id: "111111111111"
    keys: [{accessKeyId: A1234, secretAccessKey: secret-123, role: admin}]
  - id: "222222222222"
    regions: [us-east-1]
    keys: [{accessKeyId: B1234, secretAccessKey: secret-123, role: admin}]
    iamRoles:
      - name: invoker
        trust: ["111111111111"]
      - name: ops/by-role
        trust: ["arn:aws:iam::111111111111:role/machine"]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	accs, err := LoadCredentials(p, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeyring(accs)
	if err != nil {
		t.Fatal(err)
	}
	const exec = "arn:aws:states:us-east-1:111111111111:execution:m:e"
	cases := []struct {
		role, exec, machine string
		want                string // the account, or part of the error
	}{
		{"arn:aws:iam::222222222222:role/invoker", exec, "", "222222222222"},
		{"arn:aws:iam::222222222222:role/ops/by-role", exec, "arn:aws:iam::111111111111:role/machine", "222222222222"},
		{"arn:aws:iam::222222222222:role/ops/by-role", exec, "arn:aws:iam::111111111111:role/other", "trust names neither"},
		{"arn:aws:iam::222222222222:role/invoker", "arn:aws:states:eu-west-1:111111111111:execution:m:e", "", "may not use region eu-west-1"},
		{"arn:aws:iam::222222222222:role/ghost", exec, "", "has no such role"},
		{"arn:aws:iam::333333333333:role/invoker", exec, "", "no account 333333333333"},
		{"arn:aws:iam::222222222222:user/invoker", exec, "", "not an IAM role ARN"},
		// A role trusts nobody it does not name, its own account included.
		{"arn:aws:iam::222222222222:role/invoker", "arn:aws:states:us-east-1:222222222222:execution:m:e", "", "trust names neither"},
	}
	for _, c := range cases {
		got, err := k.AssumeRole(c.role, c.exec, c.machine)
		if err != nil {
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "sts:AssumeRole on resource: "+c.role) {
				t.Errorf("%s from %s: %v, want %q", c.role, c.exec, err, c.want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s from %s: %s, want %s", c.role, c.exec, got, c.want)
		}
	}

	for _, bad := range []struct {
		roles []IAMRole
		want  string
	}{
		{[]IAMRole{{Name: "r", Trust: nil}}, "trust names nobody"},
		{[]IAMRole{{Name: "r", Trust: []string{"everyone"}}}, `trust "everyone" is neither an account id`},
		{[]IAMRole{{Name: "a b", Trust: []string{"111111111111"}}}, `name "a b"`},
		{[]IAMRole{{Name: "r", Trust: []string{"111111111111"}}, {Name: "r", Trust: []string{"111111111111"}}}, "r declared twice"},
	} {
		_, err := NewKeyring([]Account{{ID: "222222222222", Keys: []Key{{AccessKeyID: "B1234", SecretAccessKey: "secret-123", Role: RoleAdmin}}, IAMRoles: bad.roles}})
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want %q", bad.roles, err, bad.want)
		}
	}
	// The development keyring has no roles: nothing can be assumed.
	if _, err := DevelopmentKeyring(DefaultAccount).AssumeRole("arn:aws:iam::123456789012:role/r", "arn:aws:states:us-east-1:123456789012:execution:m:e", ""); err == nil {
		t.Error("the development keyring assumed a role")
	}
}
