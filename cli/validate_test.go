package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		def  string
		want string // what is printed; "" for a valid definition
	}{
		{"valid", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, ""},
		{"invalid", `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"Q"},"Q":{"Type":"Succeed"},"R":{"Type":"Succeed"}}}`,
			"/States/R: State 'R' is not reachable; expected StartAt, a Next, a Default or a Catch Next of its scope to lead to it\n"},
		// Valid on AWS, refused here rather than run by other rules.
		{"not implemented", `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:a",
			"Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/other"},"End":true}}}`,
			"/States/Work/Credentials: Statecraft does not implement Credentials with an activity yet (its workers poll for the task; no call is made under the role); remove it\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "machine.asl.json")
			if err := os.WriteFile(path, []byte(tc.def), 0o600); err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			err := Validate(path, false, &out)
			if out.String() != tc.want {
				t.Errorf("printed %q, want %q", out.String(), tc.want)
			}
			var exit *ExitError
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid definition: %v", err)
			case tc.want != "" && (!errors.As(err, &exit) || exit.Code != 1):
				t.Errorf("want exit code 1, got %v", err)
			}
		})
	}
}
