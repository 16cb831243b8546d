package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/console"
)

// console-token prints one token on stdout, in the documented format,
// signed with the data directory's key.
func TestConsoleToken(t *testing.T) {
	data := t.TempDir()
	key, err := console.LoadOrCreateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	check := func(r result, akid string, ttl time.Duration) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%v", r)
		}
		tok := strings.TrimSuffix(r.stdout, "\n")
		payload, mac, ok := strings.Cut(tok, ".")
		if !ok || strings.Contains(tok, "\n") {
			t.Fatalf("stdout %q", r.stdout)
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(payload))
		if base64.RawURLEncoding.EncodeToString(m.Sum(nil)) != mac {
			t.Errorf("the MAC is not HMAC-SHA256 of the payload under console.key")
		}
		b, err := base64.RawURLEncoding.DecodeString(payload)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Akid string `json:"akid"`
			Exp  int64  `json:"exp"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("payload %s: %v", b, err)
		}
		if left := time.Until(time.Unix(p.Exp, 0)); p.Akid != akid || left > ttl || left < ttl-time.Minute {
			t.Errorf("payload %s: want %s for %s", b, akid, ttl)
		}
		if !strings.Contains(r.stderr, "valid until") {
			t.Errorf("stderr %q", r.stderr)
		}
	}
	check(statecraft(t, "", "console-token", "--data", data, "--access-key-id", "AKIAOPS", "--ttl", "90m"), "AKIAOPS", 90*time.Minute)
	check(statecraft(t, "", "console-token", "--data", data, "--access-key-id", "local"), "local", 12*time.Hour)

	// STATECRAFT_DATA names the directory as it does for the server.
	cmd := exec.Command(binary, "console-token", "--access-key-id", "AKIAENV", "--ttl", "1h")
	cmd.Env = append(os.Environ(), "STATECRAFT_DATA="+data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	check(result{stdout: stdout.String(), stderr: stderr.String()}, "AKIAENV", time.Hour)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"console-token", "--data", data}, "access-key-id"},
		{[]string{"console-token", "--data", data, "--access-key-id", "A", "--ttl", "0s"}, "--ttl"},
		{[]string{"console-token", "--data", data, "--access-key-id", "A", "--ttl", "200h"}, "at most 168h"},
		{[]string{"console-token", "--data", t.TempDir(), "--access-key-id", "A"}, "creates it when it starts"},
	} {
		r := statecraft(t, "", tc.args...)
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: %v", tc.args, r)
		}
	}
}
