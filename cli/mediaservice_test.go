package cli

import (
	"context"
	"io"
	"strings"
	"testing"
)

// The media service refuses flags it cannot read before it starts.
func TestMediaServiceFlags(t *testing.T) {
	for _, c := range []struct{ bind, rtp, want string }{
		{"5060", "", `--sip-bind "5060"`},
		{"127.0.0.1:x", "", `--sip-bind "127.0.0.1:x": bad port`},
		{"127.0.0.1:0", "20000", `--rtp-ports "20000": want LOW-HIGH`},
		{"127.0.0.1:0", "20010-20000", `--rtp-ports "20010-20000": want LOW-HIGH`},
	} {
		o := DefaultMediaServiceOptions()
		o.SIPBind, o.RTPPorts = c.bind, c.rtp
		err := MediaService(context.Background(), o, io.Discard)
		if ee, ok := err.(*ExitError); !ok || ee.Code != 1 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: got %v, want %q", c.bind, c.rtp, err, c.want)
		}
	}
}
