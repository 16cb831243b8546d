package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `statecraft cost` reads a running server's report through the binary:
// the table, the JSON, and the prices of --cost-prices; a bad flag is a
// usage error.
func TestCostCommand(t *testing.T) {
	prices := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(prices, []byte(`{"date":"2027-01-01","region":"us-west-1","standardPerTransition":0.0000279}`), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, _ := startServerWith(t, t.TempDir(), "--cost-prices", prices)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	r := statecraft(t, "", "cost", "--endpoint", "http://"+addr)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "AWS list prices of 2027-01-01, us-west-1 (USD): $0.00002790 per state transition") ||
		!strings.Contains(r.stdout, "account total") {
		t.Errorf("statecraft cost: %s", r)
	}
	if r := statecraft(t, "", "cost", "--endpoint", "http://"+addr, "--json", "--since", "2026-01-01"); r.code != 0 || !strings.Contains(r.stdout, `"standardPerTransition": 0.0000279`) {
		t.Errorf("statecraft cost --json: %s", r)
	}
	if r := statecraft(t, "", "cost", "--endpoint", "http://"+addr, "--until", "soon"); r.code != 2 || !strings.Contains(r.stderr, "--until") {
		t.Errorf("statecraft cost --until soon: %s", r)
	}
}
