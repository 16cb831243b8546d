package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/auth/authtest"
)

func TestServerSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "statecraft.json")
	if err := os.WriteFile(cfg, []byte(`{"listen":"127.0.0.1:1","data":"/from/file","region":"eu-west-1","logLevel":"debug"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	o := DefaultServerOptions()
	if err := LoadServerConfig(cfg, &o); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STATECRAFT_DATA": "/from/env", "STATECRAFT_NO_SYNC": "true"}
	ApplyServerEnv(&o, func(k string) string { return env[k] })
	if o.Listen != "127.0.0.1:1" || o.Data != "/from/env" || o.Region != "eu-west-1" || !o.NoSync || o.LogLevel != "debug" || o.Account != "123456789012" {
		t.Fatalf("settings %+v", o)
	}
	if err := os.WriteFile(cfg, []byte(`{"listn":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := LoadServerConfig(cfg, &o); err == nil || !strings.Contains(err.Error(), "listn") {
		t.Fatalf("a misspelt key must be an error naming it, got %v", err)
	}
}

// The flags that were given win over the environment, which wins over
// the config file; flags not given change nothing.
func TestServerSettingsFlagsWin(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "statecraft.json")
	if err := os.WriteFile(cfg, []byte(`{"listen":"127.0.0.1:1","region":"eu-west-1","readTimeout":"5s","logLevel":"debug"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STATECRAFT_REGION": "eu-north-1", "STATECRAFT_DATA": "/from/env"}
	flags := DefaultServerOptions()
	flags.Region, flags.ReadTimeout, flags.Data = "ap-south-1", Duration(7*time.Second), "/from/flag"
	given := map[string]bool{"region": true, "read-timeout": true}
	o, err := ServerSettings(cfg, func(k string) string { return env[k] }, flags, func(name string) bool { return given[name] })
	if err != nil {
		t.Fatal(err)
	}
	if o.Region != "ap-south-1" || o.ReadTimeout != Duration(7*time.Second) || o.Data != "/from/env" || o.Listen != "127.0.0.1:1" || o.LogLevel != "debug" {
		t.Fatalf("settings %+v", o)
	}
	if _, err := ServerSettings(filepath.Join(t.TempDir(), "none.json"), func(string) string { return "" }, flags, func(string) bool { return false }); err == nil {
		t.Fatal("a missing config file is an error")
	}
}

// The server starts on the given address, answers the API, and stops
// cleanly when its context ends.
func TestServerStartsAndStops(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o := DefaultServerOptions()
	o.Listen, o.Data, o.NoSync = addr, t.TempDir(), true
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- Server(ctx, o, &stdout, &stderr) }()

	var resp *http.Response
	for i := 0; i < 100; i++ {
		req, _ := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err = authtest.Client.Do(req)
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("server never answered: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ListStateMachines: %s", resp.Status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Server returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
	if !strings.Contains(stdout.String(), "listening on http://"+addr) {
		t.Fatalf("banner: %q", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(o.Data, "statecraft.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Fatalf("logs: %s", stderr.String())
	}
}
