package arn

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ARNs are built here and nowhere else: a string concatenation that
// starts an ARN, or joins a resource type into one, outside this package
// (tests and test suites aside) is a second builder to fold in.
func TestARNsAreBuiltOnlyHere(t *testing.T) {
	build := regexp.MustCompile(`"arn:[^"]*"\s*\+|\+\s*":(stateMachine|execution|express|activity|mapRun|function)[:"]|Replace\([^)]*":stateMachine:"`)
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "arn", "testdata", "node_modules", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "storetest") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			if build.MatchString(line) {
				t.Errorf("%s:%d builds an ARN outside package arn: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
