package main

import (
	"strings"
	"testing"
)

// TestValidate: nothing printed and exit 0 for a valid definition; one
// "POINTER: message" line per problem on stdout and exit 1 otherwise.
func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		pointers []string // nil: valid
		mention  []string // substrings of stdout
	}{
		{name: "valid", args: []string{"testdata/echo.asl.json"}},
		{name: "valid with a Task", args: []string{"testdata/task.asl.json"}},
		{name: "activity in a STANDARD machine", args: []string{"testdata/activity.asl.json"}},
		{name: "user-onboarding example", args: []string{"../../examples/user-onboarding/statemachine.asl.json"}},
		{
			name:     "two problems",
			args:     []string{"testdata/invalid.asl.json"},
			pointers: []string{"/States/First/Next", "/States/Orphan"},
			mention:  []string{"Missing", "Orphan"},
		},
		{
			name:     "not JSON",
			args:     []string{"testdata/syntax-error.asl.json"},
			pointers: []string{"/"},
		},
		{
			name:     "--express rejects an activity",
			args:     []string{"--express", "testdata/activity.asl.json"},
			pointers: []string{"/States/DoWork/Resource"},
			mention:  []string{"activity"},
		},
		{
			name:     "--express still reports other problems",
			args:     []string{"testdata/invalid.asl.json", "--express"},
			pointers: []string{"/States/First/Next", "/States/Orphan"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := statecraft(t, "", append([]string{"validate"}, tc.args...)...)
			if r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
			if tc.pointers == nil {
				if r.code != 0 || r.stdout != "" {
					t.Errorf("want exit 0 and nothing printed\n%s", r)
				}
				return
			}
			if r.code != 1 {
				t.Errorf("want exit code 1\n%s", r)
			}
			got := problems(t, r.stdout)
			if strings.Join(got, " ") != strings.Join(tc.pointers, " ") {
				t.Errorf("pointers = %v, want %v\nstdout: %s", got, tc.pointers, r.stdout)
			}
			for _, w := range tc.mention {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout does not mention %q: %s", w, r.stdout)
				}
			}
		})
	}
}

// TestValidateMissingFile: a file that cannot be read is an error with a
// message, not a list of problems.
func TestValidateMissingFile(t *testing.T) {
	r := statecraft(t, "", "validate", "testdata/no-such-machine.asl.json")
	if r.code == 0 {
		t.Fatalf("want a non-zero exit code\n%s", r)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
	if !strings.Contains(r.stderr, "no-such-machine.asl.json") {
		t.Errorf("stderr does not name the file: %q", r.stderr)
	}
}
