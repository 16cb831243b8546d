package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  string // part of the error; "" for none
	}{
		{"90d", 90 * 24 * time.Hour, ""},
		{"0", 0, ""},
		{"0d", 0, ""},
		{"36h", 36 * time.Hour, ""},
		{"30m", 30 * time.Minute, ""},
		{"2s", 2 * time.Second, ""},
		{" 7d ", 7 * 24 * time.Hour, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"", 0, "use a duration such as 90d"},
		{"forever", 0, "use a duration such as 90d"},
		{"90", 0, "use a duration such as 90d"},
		{"1.5d", 0, "not a whole number of days"},
		{"-1d", 0, "not a whole number of days"},
		{"-5m", 0, "must not be negative"},
		{"500ms", 0, "at least 1s"},
		{"999999999d", 0, "not a whole number of days"},
	}
	for _, c := range cases {
		got, err := ParseRetention(c.in)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("ParseRetention(%q) = %v, %v; want %v", c.in, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "retention")):
			t.Errorf("ParseRetention(%q) = %v, %v; want an error saying %q", c.in, got, err, c.err)
		}
	}
}

func TestParseRetentionInterval(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"1m", time.Minute, ""},
		{"100ms", 100 * time.Millisecond, ""},
		{"1d", 24 * time.Hour, ""},
		{"0", 0, "at least 100ms"},
		{"10ms", 0, "at least 100ms"},
		{"-1m", 0, "at least 100ms"},
		{"soon", 0, "such as 1m"},
	}
	for _, c := range cases {
		got, err := ParseRetentionInterval(c.in)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("ParseRetentionInterval(%q) = %v, %v; want %v", c.in, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParseRetentionInterval(%q) = %v, %v; want an error saying %q", c.in, got, err, c.err)
		}
	}
}

// The settings come from the config file and the environment like the
// others, and their defaults are AWS's 90 days and a minute.
func TestRetentionSettings(t *testing.T) {
	o := DefaultServerOptions()
	if o.Retention != "90d" || o.RetentionInterval != "1m" {
		t.Fatalf("defaults %q, %q", o.Retention, o.RetentionInterval)
	}
	cfg := filepath.Join(t.TempDir(), "statecraft.json")
	if err := os.WriteFile(cfg, []byte(`{"retention":"30d","retentionInterval":"10s"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := LoadServerConfig(cfg, &o); err != nil {
		t.Fatal(err)
	}
	if o.Retention != "30d" || o.RetentionInterval != "10s" {
		t.Fatalf("from the config file: %q, %q", o.Retention, o.RetentionInterval)
	}
	env := map[string]string{"STATECRAFT_RETENTION": "0", "STATECRAFT_RETENTION_INTERVAL": "5m"}
	ApplyServerEnv(&o, func(k string) string { return env[k] })
	if o.Retention != "0" || o.RetentionInterval != "5m" {
		t.Fatalf("from the environment: %q, %q", o.Retention, o.RetentionInterval)
	}
}

// A nonsensical setting stops the server before it touches the data
// directory.
func TestServerRejectsBadRetention(t *testing.T) {
	for _, c := range []struct{ retention, interval, want string }{
		{"-1h", "1m", "retention \"-1h\": must not be negative"},
		{"ninety days", "1m", "retention \"ninety days\""},
		{"90d", "0", "retention interval \"0\": must be at least 100ms"},
	} {
		o := DefaultServerOptions()
		o.Data = filepath.Join(t.TempDir(), "data")
		o.Listen = "127.0.0.1:0"
		o.Retention, o.RetentionInterval = c.retention, c.interval
		var stdout, stderr bytes.Buffer
		err := Server(context.Background(), o, &stdout, &stderr)
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != 1 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("retention %q interval %q: Server = %v, want exit 1 saying %q", c.retention, c.interval, err, c.want)
		}
		if _, err := os.Stat(o.Data); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("retention %q interval %q: the data directory was created (%v)", c.retention, c.interval, err)
		}
	}
}

// The server logs the retention it runs with, and that 0 turns it off.
func TestServerLogsRetention(t *testing.T) {
	for _, c := range []struct{ retention, want string }{
		{"90d", "period=2160h0m0s"},
		{"0", "retention off: closed executions are kept for ever"},
	} {
		o := DefaultServerOptions()
		o.Data, o.NoSync, o.Retention = t.TempDir(), true, c.retention
		_, _, logs := startTestServer(t, o)
		if !strings.Contains(logs.String(), c.want) {
			t.Errorf("retention %q: the log does not say %q:\n%s", c.retention, c.want, logs)
		}
	}
}
