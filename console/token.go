package console

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Console tokens let an operator sign in to the console without typing a
// key's secret into a browser:
//
//	token   = payload "." mac
//	payload = base64url(JSON {"akid": ACCESS_KEY_ID, "exp": UNIX_SECONDS})
//	mac     = base64url(HMAC-SHA256(key, payload))
//
// base64url is RFC 4648's URL alphabet without padding, and the MAC is
// computed over the payload as it is written in the token (its base64url
// text). key is the 32 random bytes of KeyFile in the server's data
// directory, which the server creates on its first start: whoever can
// read that directory can mint tokens, and that is what proves the
// operator. A token logs in as its key: the key must still be in the
// server's keyring (removing the key revokes its tokens, and deleting
// KeyFile revokes them all at the next start), and a session opened with
// a token ends by its "exp" at the latest.

// KeyFile is the name of the console token key in the data directory.
const KeyFile = "console.key"

const keyLen = 32

// MaxTokenTTL is the longest a console token may be valid: it is a login,
// pasted into a browser, not a standing credential.
const MaxTokenTTL = 7 * 24 * time.Hour

// maxTokenLen bounds a token before it is decoded.
const maxTokenLen = 1024

// LoadOrCreateKey returns the console token key of dataDir, creating it
// (32 random bytes, mode 0600) when it does not exist yet.
func LoadOrCreateKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, KeyFile)
	key := make([]byte, keyLen)
	_, _ = rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return ReadKey(dataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("creating the console token key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("writing the console token key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("writing the console token key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("writing the console token key %s: %w", path, err)
	}
	return key, nil
}

// ReadKey reads the console token key of dataDir. A key that others than
// its owner may read is refused: anyone who reads it can sign in.
func ReadKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, KeyFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: `statecraft server --data %s` creates it when it starts", path, dataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the console token key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the console token key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s may be read by others than its owner (mode %04o): whoever reads it can sign in to the console; "+
			"chmod 600 it, or delete it to make a new one (which revokes every console token)", path, perm)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("reading the console token key %s: %w", path, err)
	}
	if buf.Len() != keyLen {
		return nil, fmt.Errorf("%s holds %d bytes, not %d: delete it, and the server makes a new one when it starts (console tokens minted with it stop working)", path, buf.Len(), keyLen)
	}
	return buf.Bytes(), nil
}

type tokenPayload struct {
	AccessKeyID string `json:"akid"`
	Expires     int64  `json:"exp"`
}

// MintToken returns a console token that signs in as accessKeyID until
// exp.
func MintToken(key []byte, accessKeyID string, exp time.Time) (string, error) {
	if len(key) != keyLen {
		return "", fmt.Errorf("a console token key is %d bytes", keyLen)
	}
	if accessKeyID == "" {
		return "", errors.New("a console token needs an access key id")
	}
	b, err := json.Marshal(tokenPayload{AccessKeyID: accessKeyID, Expires: exp.Unix()})
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	tok := payload + "." + base64.RawURLEncoding.EncodeToString(tokenMAC(key, payload))
	if len(tok) > maxTokenLen {
		return "", fmt.Errorf("access key id %q is too long for a console token", accessKeyID)
	}
	return tok, nil
}

func tokenMAC(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

var (
	errTokenInvalid = errors.New("invalid console token")
	errTokenExpired = errors.New("the console token has expired: mint a new one with `statecraft console-token`")
)

// verifyToken checks a token's MAC and expiry and returns its access key
// id. Nothing of the payload is read before the MAC is checked.
func verifyToken(key []byte, tok string, now time.Time) (string, time.Time, error) {
	if len(key) != keyLen || len(tok) > maxTokenLen {
		return "", time.Time{}, errTokenInvalid
	}
	payload, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return "", time.Time{}, errTokenInvalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, tokenMAC(key, payload)) {
		return "", time.Time{}, errTokenInvalid
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", time.Time{}, errTokenInvalid
	}
	var p tokenPayload
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || dec.More() || p.AccessKeyID == "" || p.Expires <= 0 {
		return "", time.Time{}, errTokenInvalid
	}
	exp := time.Unix(p.Expires, 0)
	if !now.Before(exp) {
		return "", time.Time{}, errTokenExpired
	}
	return p.AccessKeyID, exp, nil
}
