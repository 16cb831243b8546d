package main

// End-to-end tests of the statecraft binary. TestMain builds the real
// binary once; every test runs it with os/exec as a user would and checks
// its stdout, stderr and exit code against the contracts in DESIGN.md
// ("Contracts others rely on").

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// binary is the path of the statecraft binary built by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "statecraft-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "statecraft e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "statecraft")
	build := exec.Command("go", "build", "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "statecraft e2e: go build failed: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// result is what one run of the binary produced.
type result struct {
	stdout string
	stderr string
	code   int
}

func (r result) String() string {
	return fmt.Sprintf("exit code %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// statecraft runs the binary in dir (the package directory when empty).
func statecraft(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("statecraft %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// execution is run's result object, decoded.
type execution struct {
	fields  map[string]json.RawMessage
	status  string
	history []event
}

// event is one history event, decoded.
type event struct {
	fields          map[string]json.RawMessage
	id              int64
	previousEventID int64
	timestamp       *big.Rat // seconds, exactly as printed
	typ             string
}

// details decodes the event's ...EventDetails member named name.
func (e event) details(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, ok := e.fields[name]
	if !ok {
		t.Fatalf("event %d (%s) has no %s: %v", e.id, e.typ, name, keys(e.fields))
	}
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("event %d %s: %v", e.id, name, err)
	}
	return d
}

// stateName is the name in a StateEntered or StateExited event's details.
func (e event) stateName(t *testing.T) string {
	t.Helper()
	member := "stateEnteredEventDetails"
	if strings.HasSuffix(e.typ, "StateExited") {
		member = "stateExitedEventDetails"
	}
	name, _ := e.details(t, member)["name"].(string)
	return name
}

// mustRun runs the binary, expects exit code 0 and nothing on stderr, and
// decodes the single JSON object on stdout, checking the history if any.
func mustRun(t *testing.T, dir string, args ...string) execution {
	t.Helper()
	r := statecraft(t, dir, args...)
	if r.code != 0 {
		t.Fatalf("statecraft %s: want exit code 0\n%s", strings.Join(args, " "), r)
	}
	if r.stderr != "" {
		t.Errorf("statecraft %s: unexpected stderr: %s", strings.Join(args, " "), r.stderr)
	}
	return decodeExecution(t, r.stdout)
}

// decodeExecution checks that stdout is exactly one JSON object with a
// status and decodes it.
func decodeExecution(t *testing.T, stdout string) execution {
	t.Helper()
	if !strings.HasPrefix(stdout, "{") {
		t.Fatalf("stdout does not start with a JSON object: %.200q", stdout)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.UseNumber()
	var x execution
	if err := dec.Decode(&x.fields); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%.500s", err, stdout)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		t.Fatalf("stdout holds more than one JSON value (next: %.100s, err %v)", extra, err)
	}
	if err := json.Unmarshal(x.fields["status"], &x.status); err != nil {
		t.Fatalf("status: %v in %.300s", err, stdout)
	}
	if raw, ok := x.fields["history"]; ok {
		x.history = decodeHistory(t, raw)
	}
	return x
}

// expectKeys checks the result object's members, sorted.
func (x execution) expectKeys(t *testing.T, want ...string) {
	t.Helper()
	if got := keys(x.fields); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("result members = %v, want %v", got, want)
	}
}

// str decodes a string member of the result object.
func (x execution) str(t *testing.T, name string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(x.fields[name], &s); err != nil {
		t.Fatalf("result member %q: %v (%s)", name, err, x.fields[name])
	}
	return s
}

// expectOutput compares the output member with want as JSON values.
func (x execution) expectOutput(t *testing.T, want string) {
	t.Helper()
	raw, ok := x.fields["output"]
	if !ok {
		t.Fatalf("no output member: %v", keys(x.fields))
	}
	if !jsonEqual(t, raw, []byte(want)) {
		t.Errorf("output = %s, want %s", raw, want)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

// detailsRequired lists the events that always carry details, and
// detailsNone those that never do, in GetExecutionHistory.
var (
	detailsRequired = map[string]bool{
		"ExecutionStarted": true, "ExecutionSucceeded": true, "ExecutionFailed": true,
		"ExecutionTimedOut":       true,
		"LambdaFunctionScheduled": true, "LambdaFunctionFailed": true, "LambdaFunctionSucceeded": true,
	}
	detailsNone = map[string]bool{"LambdaFunctionStarted": true}
)

// detailsMember is the ...EventDetails member GetExecutionHistory uses for
// an event type.
func detailsMember(typ string) string {
	switch {
	case strings.HasSuffix(typ, "StateEntered"):
		return "stateEnteredEventDetails"
	case strings.HasSuffix(typ, "StateExited"):
		return "stateExitedEventDetails"
	}
	return strings.ToLower(typ[:1]) + typ[1:] + "EventDetails"
}

// jsonNumber matches a non-negative JSON number (not a string).
var jsonNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// decodeHistory checks the shape of every event: id counting from 1,
// previousEventId below it, a numeric timestamp that never goes backwards,
// a type and the details member matching the type.
func decodeHistory(t *testing.T, raw json.RawMessage) []event {
	t.Helper()
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatalf("history is not an array of objects: %v", err)
	}
	if len(list) == 0 {
		t.Fatal("history is empty")
	}
	events := make([]event, len(list))
	for i, f := range list {
		e := event{fields: f}
		for _, k := range []string{"id", "previousEventId", "timestamp", "type"} {
			if _, ok := f[k]; !ok {
				t.Fatalf("history[%d] has no %q: %v", i, k, keys(f))
			}
		}
		if err := json.Unmarshal(f["id"], &e.id); err != nil {
			t.Fatalf("history[%d].id: %v", i, err)
		}
		if err := json.Unmarshal(f["previousEventId"], &e.previousEventID); err != nil {
			t.Fatalf("history[%d].previousEventId: %v", i, err)
		}
		if err := json.Unmarshal(f["type"], &e.typ); err != nil {
			t.Fatalf("history[%d].type: %v", i, err)
		}
		ts := string(f["timestamp"])
		if !jsonNumber.MatchString(ts) {
			t.Fatalf("history[%d].timestamp = %s, want a JSON number of seconds", i, ts)
		}
		e.timestamp, _ = new(big.Rat).SetString(ts)
		if e.id != int64(i+1) {
			t.Errorf("history[%d].id = %d, want %d", i, e.id, i+1)
		}
		if e.previousEventID < 0 || e.previousEventID >= e.id {
			t.Errorf("history[%d] (%s): previousEventId %d not below id %d", i, e.typ, e.previousEventID, e.id)
		}
		if i > 0 && e.timestamp.Cmp(events[i-1].timestamp) < 0 {
			t.Errorf("history[%d] (%s): timestamp %s before the previous event's", i, e.typ, ts)
		}
		var members []string
		for k := range f {
			if strings.HasSuffix(k, "EventDetails") {
				members = append(members, k)
			}
		}
		want := detailsMember(e.typ)
		switch {
		case len(members) > 1:
			t.Errorf("history[%d] (%s) has several details members: %v", i, e.typ, members)
		case len(members) == 1 && members[0] != want:
			t.Errorf("history[%d] (%s) has %s, want %s", i, e.typ, members[0], want)
		case len(members) == 1 && detailsNone[e.typ]:
			t.Errorf("history[%d] (%s) has %s, want no details", i, e.typ, members[0])
		case len(members) == 0 && (detailsRequired[e.typ] || strings.HasSuffix(e.typ, "StateEntered") || strings.HasSuffix(e.typ, "StateExited")):
			t.Errorf("history[%d] (%s) has no %s", i, e.typ, want)
		}
		events[i] = e
	}
	if events[0].typ != "ExecutionStarted" {
		t.Errorf("first event is %s, want ExecutionStarted", events[0].typ)
	}
	return events
}

// enteredStates lists the names in the StateEntered events, in order.
func enteredStates(t *testing.T, h []event) []string {
	t.Helper()
	var names []string
	for _, e := range h {
		if strings.HasSuffix(e.typ, "StateEntered") {
			names = append(names, e.stateName(t))
		}
	}
	return names
}

// seconds is the time from event a to event b, in seconds, exactly.
func seconds(a, b event) *big.Rat {
	return new(big.Rat).Sub(b.timestamp, a.timestamp)
}

// keys lists a map's keys, sorted.
func keys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// problemLine is one "POINTER: message" line of validate or run.
var problemLine = regexp.MustCompile(`^(/[^ :]*): (\S.*)$`)

// problems splits text into lines and checks each is "POINTER: message",
// returning the pointers.
func problems(t *testing.T, text string) []string {
	t.Helper()
	if !strings.HasSuffix(text, "\n") {
		t.Errorf("problem output does not end with a newline: %q", text)
	}
	var pointers []string
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		m := problemLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %q is not \"POINTER: message\"", line)
			continue
		}
		pointers = append(pointers, m[1])
	}
	return pointers
}
