package taskport

import (
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/statecraft/statecraft"

// graph is the module's import graph: each package's direct imports of
// other module packages.
type graph map[string][]string

func loadGraph(t *testing.T) graph {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	g := graph{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !inModule(fields[0]) {
			continue
		}
		p := short(fields[0])
		g[p] = nil
		for _, imp := range fields[1:] {
			if inModule(imp) {
				g[p] = append(g[p], short(imp))
			}
		}
	}
	if len(g["engine"]) == 0 {
		t.Fatalf("go list found no imports for engine: %q", out)
	}
	return g
}

func inModule(p string) bool { return p == module || strings.HasPrefix(p, module+"/") }

func short(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }

// deps is every module package p depends on, directly or not.
func (g graph) deps(p string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, d := range g[p] {
			if !seen[d] {
				seen[d] = true
				walk(d)
			}
		}
	}
	walk(p)
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// aboveAPI are the packages that may use the API package: the binary and
// its commands, and what serves or drives the API in process (the
// console, the workflow API, deploy, CloudFormation, the IVR wing,
// end-to-end tests and benchmarks). Every other package is below the API.
// Each names a package and the packages below its directory.
var aboveAPI = []string{"api", "cli", "cmd", "console", "workflowapi", "deploy", "cloudformation", "ivr", "e2e", "bench", "conformance", "examples"}

func isAboveAPI(p string) bool {
	for _, a := range aboveAPI {
		if p == a || strings.HasPrefix(p, a+"/") {
			return true
		}
	}
	return false
}

// TestLayers keeps the import graph the way the design draws it: the Task
// port is a leaf that resource implementations import instead of the
// engine; the API asks the engine to run executions (it neither runs the
// interpreter nor the in-process runner itself); nothing below the API
// reaches up to it or to the binary.
func TestLayers(t *testing.T) {
	g := loadGraph(t)
	rules := []struct {
		pkg    string
		direct bool // only direct imports; else all dependencies
		not    []string
	}{
		{"taskport", false, nil}, // a leaf: checked below
		{"httptask", false, []string{"engine"}},
		{"tasks", false, []string{"engine"}},
		{"mocks", false, []string{"engine"}},
		{"api", false, []string{"runner"}},
		{"api", true, []string{"interp", "runner"}}, // the engine runs interp
	}
	for _, r := range rules {
		if _, ok := g[r.pkg]; !ok {
			t.Errorf("package %s is not in the module", r.pkg)
			continue
		}
		got := g.deps(r.pkg)
		if r.direct {
			got = g[r.pkg]
		}
		if r.pkg == "taskport" && len(got) > 0 {
			t.Errorf("taskport depends on %v; it must depend on nothing else in the module", got)
		}
		for _, n := range r.not {
			if slices.Contains(got, n) {
				t.Errorf("%s imports %s (direct only: %v)", r.pkg, n, r.direct)
			}
		}
	}
	for p := range g {
		if isAboveAPI(p) {
			continue
		}
		for _, d := range g.deps(p) {
			if d == "api" || d == "cli" || strings.HasPrefix(d, "cmd/") {
				t.Errorf("%s, below the API, depends on %s", p, d)
			}
		}
	}
}
