package main

import (
	"strings"
	"testing"
)

// TestRunJSONata: validate and run work on a JSONata machine (variables,
// a Choice Condition, a Map with Items and ItemSelector, a Fail state with
// an expression for its Cause).
func TestRunJSONata(t *testing.T) {
	if r := statecraft(t, "", "validate", "testdata/jsonata.asl.json"); r.code != 0 || r.stdout != "" {
		t.Fatalf("validate: want exit 0 and nothing printed\n%s", r)
	}
	x := mustRun(t, "", "run", "testdata/jsonata.asl.json", "--input", `{"names":["Ada","Bob"]}`, "--history")
	if x.status != "SUCCEEDED" {
		t.Fatalf("status = %q", x.status)
	}
	x.expectOutput(t, `{"greetings":["Hello, Ada #1","Hello, Bob #2"],"total":2}`)

	x = mustRun(t, "", "run", "testdata/jsonata.asl.json", "--input", `{"names":[]}`)
	if x.status != "FAILED" || x.str(t, "error") != "NoNames" || x.str(t, "cause") != "nobody among 0" {
		t.Fatalf("empty names: %v", x.fields)
	}
}

// TestValidateJSONataExpression: an expression that does not compile is a
// problem at its own pointer.
func TestValidateJSONataExpression(t *testing.T) {
	r := statecraft(t, "", "validate", "testdata/jsonata-invalid.asl.json")
	if r.code != 1 || !strings.HasPrefix(r.stdout, "/States/P/Output/x: ") || !strings.Contains(r.stdout, "JSONata") {
		t.Fatalf("want one problem at /States/P/Output/x\n%s", r)
	}
}
