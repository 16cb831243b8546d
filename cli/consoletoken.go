package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/statecraft/statecraft/console"
)

// ConsoleTokenOptions are the flags of `statecraft console-token`.
type ConsoleTokenOptions struct {
	// Data is the server's data directory, which holds the key tokens are
	// signed with (console.KeyFile); "" means $STATECRAFT_DATA, else the
	// server's default.
	Data string
	// AccessKeyID is the key the token signs in as: the session gets its
	// account and role.
	AccessKeyID string
	// TTL is how long the token may be used to sign in; a session opened
	// with it ends by then too.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ConsoleToken mints a console token and prints it on stdout, alone on
// its line, so that scripts can take it; what it is for goes to stderr.
// Reading the data directory is what entitles one to mint: the server
// accepts the token only while the key is in its keyring.
func ConsoleToken(o ConsoleTokenOptions, stdout, stderr io.Writer) error {
	if o.AccessKeyID == "" {
		return &ExitError{Code: 1, Err: errors.New("--access-key-id is required: the key the console session acts as")}
	}
	if o.TTL <= 0 || o.TTL > console.MaxTokenTTL {
		return &ExitError{Code: 1, Err: fmt.Errorf("--ttl %s: a console token lasts more than 0 and at most %s", o.TTL, console.MaxTokenTTL)}
	}
	if o.Data == "" {
		o.Data = cmp.Or(os.Getenv("STATECRAFT_DATA"), DefaultServerOptions().Data)
	}
	key, err := console.ReadKey(o.Data)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	exp := now().Add(o.TTL)
	tok, err := console.MintToken(key, o.AccessKeyID, exp)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	fmt.Fprintln(stdout, tok)
	fmt.Fprintf(stderr, "console token for %s, valid until %s: paste it into the console's sign-in page (/console/)\n",
		o.AccessKeyID, exp.UTC().Format(time.RFC3339))
	return nil
}
