package console

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func base64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// The token is the documented format: base64url(JSON) "." base64url(MAC
// of the first part), readable by anyone who knows the format.
func TestTokenFormat(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	exp := time.Unix(1900000000, 0)
	tok, err := MintToken(key, "AKIAEXAMPLE", exp)
	if err != nil {
		t.Fatal(err)
	}
	payload, mac, ok := strings.Cut(tok, ".")
	if !ok {
		t.Fatalf("token %q", tok)
	}
	if got, _ := base64.RawURLEncoding.DecodeString(payload); string(got) != `{"akid":"AKIAEXAMPLE","exp":1900000000}` {
		t.Errorf("payload %s", got)
	}
	if mac != base64url(string(tokenMAC(key, payload))) {
		t.Errorf("MAC %s", mac)
	}
	akid, gotExp, err := verifyToken(key, tok, exp.Add(-time.Second))
	if err != nil || akid != "AKIAEXAMPLE" || !gotExp.Equal(exp) {
		t.Errorf("verify: %q %v %v", akid, gotExp, err)
	}
	if _, _, err := verifyToken(key, tok, exp); err != errTokenExpired {
		t.Errorf("at its expiry: %v", err)
	}
	for _, bad := range []struct {
		key  []byte
		akid string
	}{{key[:31], "A"}, {key, ""}, {key, strings.Repeat("A", 1000)}} {
		if _, err := MintToken(bad.key, bad.akid, exp); err == nil {
			t.Errorf("MintToken(%d-byte key, %q) worked", len(bad.key), bad.akid)
		}
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadKey(dir); err == nil || !strings.Contains(err.Error(), "creates it when it starts") {
		t.Errorf("ReadKey before the server started: %v", err)
	}
	key, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, KeyFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || len(key) != 32 || bytes.Equal(key, make([]byte, 32)) {
		t.Errorf("key file mode %v, key %x", st.Mode().Perm(), key)
	}
	again, err := LoadOrCreateKey(dir)
	if err != nil || !bytes.Equal(again, key) {
		t.Errorf("the second start made another key (%v)", err)
	}
	read, err := ReadKey(dir)
	if err != nil || !bytes.Equal(read, key) {
		t.Errorf("ReadKey: %x %v", read, err)
	}
	if other, _ := LoadOrCreateKey(t.TempDir()); bytes.Equal(other, key) {
		t.Error("two data directories got one key")
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []func(string) ([]byte, error){ReadKey, LoadOrCreateKey} {
		if _, err := f(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("a key others may read: %v", err)
		}
	}
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(dir); err == nil || !strings.Contains(err.Error(), "holds 5 bytes") {
		t.Errorf("a truncated key: %v", err)
	}
	if _, err := LoadOrCreateKey(filepath.Join(dir, "missing", "dir")); err == nil {
		t.Error("a data directory that does not exist")
	}
}

func FuzzVerifyToken(f *testing.F) {
	key := bytes.Repeat([]byte{1}, 32)
	good, _ := MintToken(key, "AKID", time.Unix(2000000000, 0))
	for _, s := range []string{good, "", ".", "a.b", good + "x", strings.Replace(good, ".", "..", 1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		akid, _, err := verifyToken(key, tok, time.Unix(1000000000, 0))
		if err == nil && tok != good {
			// Another string that verifies must carry the same MAC over
			// the same payload: base64url decoding is not unique only in
			// its last character's spare bits.
			p1, _, _ := strings.Cut(tok, ".")
			p2, _, _ := strings.Cut(good, ".")
			if p1 != p2 || akid != "AKID" {
				t.Fatalf("%q verified as %q", tok, akid)
			}
		}
	})
}
