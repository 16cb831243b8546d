package mediaservice

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/statecraft/statecraft/engine"
	"github.com/statecraft/statecraft/ivr"
	"github.com/statecraft/statecraft/ivr/sipua"
)

func requireEspeak(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Fatal("needs espeak-ng: apt-get install -y espeak-ng sox")
	}
}

// A voice espeak-ng lacks, or a trunk not configured, stops the service
// at start with a message naming it.
func TestTenantSettingsRefused(t *testing.T) {
	requireEspeak(t)
	base := Options{ActivityArn: "arn:aws:states:us-east-1:123456789012:activity:m", PromptDir: t.TempDir(),
		SIP: sipua.Config{BindHost: "127.0.0.1", Trunks: []sipua.Trunk{{Name: "alpha", Proxy: "sip:127.0.0.1:5999"}}}}
	for _, c := range []struct {
		name string
		edit func(o *Options)
		want string
	}{
		{"tenant voice", func(o *Options) { o.Tenants = []Tenant{{Name: "acme", Voice: "xx-klingon"}} }, `tenant acme: espeak-ng has no voice "xx-klingon"`},
		{"default voice", func(o *Options) { o.Voice = "xx-nosuch" }, `media service voice: espeak-ng has no voice "xx-nosuch"`},
		{"variant", func(o *Options) { o.Voice = "en-us+nope" }, `media service voice: espeak-ng has no voice "en-us+nope"`},
		{"trunk", func(o *Options) { o.Tenants = []Tenant{{Name: "beta", Trunk: "bravo"}} }, `tenant beta: no SIP trunk "bravo" is configured`},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := base
			c.edit(&o)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := Start(ctx, o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// A task token's execution names its tenant (the workflow API names a
// tenant's executions TENANT.ID); a tenant with an account owns only that
// account's executions; tokens of no tenant (AWS's, foreign names) give
// none.
func TestTenantOfToken(t *testing.T) {
	requireEspeak(t)
	o := Options{Tenants: []Tenant{
		{Name: "acme", Trunk: "alpha", CallerID: "+461", Voice: "en-us"},
		{Name: "beta", Account: "111122223333", CallerID: "+462"},
	}, SIP: sipua.Config{Trunks: []sipua.Trunk{{Name: "alpha"}}}}
	of, err := checkTenants(o, &ivr.TTS{})
	if err != nil {
		t.Fatal(err)
	}
	tok := func(exec string) string { return engine.TaskToken(exec, 3, 42) }
	for token, want := range map[string]string{
		tok("arn:aws:states:us-east-1:123456789012:execution:call-out:acme.0a1b2c"): "acme",
		tok("arn:aws:states:us-east-1:111122223333:execution:call-out:beta.0a1b2c"): "beta",
		tok("arn:aws:states:us-east-1:123456789012:execution:call-out:beta.0a1b2c"): "", // another account's
		tok("arn:aws:states:us-east-1:123456789012:execution:call-out:gamma.01"):    "",
		tok("arn:aws:states:us-east-1:123456789012:execution:call-out:acme"):        "",
		"AAAAQUVBQUFBQUFBQUFB...aws-token":                                          "",
	} {
		got := of(token)
		name := ""
		if got != nil {
			name = got.Tenant
		}
		if name != want {
			t.Errorf("token %q: tenant %q, want %q", token, name, want)
		}
	}
	if s := of(tok("arn:aws:states:us-east-1:123456789012:execution:call-out:acme.0a")); s.Trunk != "alpha" || s.CallerID != "+461" || s.Voice != "en-us" {
		t.Errorf("acme's settings %+v", s)
	}
}

func TestKnownVoices(t *testing.T) {
	requireEspeak(t)
	for _, v := range []string{"en-us", "sv", "EN-US", "gmw/en-US", "English_(America)", "en-us+f3", "sv+Alex"} {
		if err := (&ivr.TTS{}).CheckVoice(v); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}
