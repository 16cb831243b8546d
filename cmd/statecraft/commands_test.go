package main

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/cli"
)

// The binary's help lists every subcommand, each answers --help, and the
// list is the explicit one in commands() (with cobra's own completion and
// help).
func TestCommandList(t *testing.T) {
	r := statecraft(t, "", "--help")
	if r.code != 0 {
		t.Fatalf("statecraft --help: %s", r)
	}
	_, list, ok := strings.Cut(r.stdout, "Available Commands:\n")
	if !ok {
		t.Fatalf("no command list in\n%s", r.stdout)
	}
	list, _, _ = strings.Cut(list, "\n\n")
	var listed []string
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			listed = append(listed, f[0])
		}
	}
	want := []string{"backup", "cluster", "completion", "console-token", "cost", "deploy", "graph", "help", "media-service", "migrate", "restore", "run", "server", "validate"}
	if !slices.Equal(listed, want) {
		t.Fatalf("statecraft --help lists %v, want %v", listed, want)
	}
	declared := []string{"completion", "help"}
	for _, c := range commands() {
		declared = append(declared, c.Name())
	}
	slices.Sort(declared)
	if !slices.Equal(declared, want) {
		t.Fatalf("commands() declares %v, want %v", declared, want)
	}
	for _, name := range listed {
		if name == "help" {
			continue
		}
		if r := statecraft(t, "", name, "--help"); r.code != 0 || !strings.Contains(r.stdout, "statecraft "+name) {
			t.Errorf("statecraft %s --help: %s", name, r)
		}
	}
}

// Every flag of `statecraft server` but --config is a setting that
// cli.ServerSettings lets win over the environment and the config file,
// and no setting lacks its flag.
func TestServerFlagsAreSettings(t *testing.T) {
	r := statecraft(t, "", "server", "--help")
	var flags []string
	for _, m := range regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z0-9-]+)`).FindAllStringSubmatch(r.stdout, -1) {
		if m[1] != "config" && m[1] != "help" {
			flags = append(flags, m[1])
		}
	}
	slices.Sort(flags)
	if settings := slices.Sorted(maps.Keys(cli.ServerFlags)); len(flags) == 0 || !slices.Equal(flags, settings) {
		t.Fatalf("server flags %v, cli.ServerFlags %v", flags, settings)
	}
}
