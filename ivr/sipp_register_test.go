package ivr_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/statecraft/statecraft/ivr/sipua"
)

// registrarScenario is a sipp registrar: every REGISTER listed in rounds
// is challenged with 401 and a Digest WWW-Authenticate, then accepted with
// 200 only when its Authorization answers the challenge for user and
// password (sipp's verifyauth); a wrong answer leaves the scenario waiting
// for a request that never comes, so sipp fails on its -timeout. Each
// round's first REGISTER must match its header check (a regexp on the
// Expires header, the Contact header): the lifetime asked for, the
// registered contact, the unregistering Expires: 0.
func registrarScenario(user, password string, rounds []registerRound) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="registrar">
`)
	for i, r := range rounds {
		if r.refuse {
			b.WriteString(`  <recv request="REGISTER"/>
  <send>
    <![CDATA[
SIP/2.0 503 Service Unavailable
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]>
  </send>
`)
		}
		fmt.Fprintf(&b, `  <recv request="REGISTER">
    <action>
      <ereg regexp="%s" search_in="hdr" header="Expires:" check_it="true" assign_to="e%d"/>
      <ereg regexp="%s" search_in="hdr" header="Contact:" check_it="true" assign_to="c%d"/>
      <log message="REGISTER Expires [$e%d] Contact [$c%d]"/>
    </action>
  </recv>
  <send>
    <![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="statecraft.test", nonce="5eed%04d47ebe028cda119c35d4877b383027d"
Content-Length: 0

]]>
  </send>
  <recv request="REGISTER">
    <action>
      <verifyauth assign_to="ok%d" username="%s" password="%s"/>
    </action>
  </recv>
  <nop hide="true" test="ok%d" next="good%d"/>
  <recv request="NEVER"/>
  <label id="good%d"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Contact:]
Content-Length: 0

]]>
  </send>
`, xmlAttr.Replace(r.expires), i, xmlAttr.Replace(r.contact), i, i, i, i, i, user, password, i, i, i)
	}
	b.WriteString(`  <timewait milliseconds="200"/>
</scenario>
`)
	return b.String()
}

var xmlAttr = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// registerRound is one challenged REGISTER and the regexps its Expires and
// Contact headers must match.
// With refuse, a REGISTER answered 503 comes first.
type registerRound struct {
	expires, contact string
	refuse           bool
}

// The user agent registers at sipp with digest auth, refreshes the
// registration (challenged again, answered again) before it expires, and
// unregisters (Contact: *, Expires: 0) when it stops; sipp checks the
// digest of each.
func TestSIPRegisterRefreshUnregister(t *testing.T) {
	requireTools(t)
	sipPort := freeUDPPort(t)
	contact := fmt.Sprintf(`<sip:statecraft-ivr@127\.0\.0\.1:%d`, sipPort)
	reg := startSipp(t, registrarScenario("alarm", "s3cret-pw", []registerRound{
		{"^ *2$", contact, false},  // registered for the 2 s asked for
		{"^ *2$", contact, false},  // refreshed
		{"^ *0$", `^ *\*$`, false}, // removed on shutdown
	}), 0, 1, 120*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ua, err := sipua.Start(ctx, sipua.Config{BindHost: "127.0.0.1", BindPort: sipPort, Log: testLogger(t),
		Registrar: fmt.Sprintf("sip:127.0.0.1:%d", reg.port), Username: "alarm", Password: "s3cret-pw",
		RegisterExpires: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		st, ok := ua.Registration("")
		if !ok {
			t.Fatal("the default trunk does not register")
		}
		if st.Count >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not registered and refreshed: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := reg.wait(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, ok := ua.Registration("nope"); ok {
		t.Error("an unknown trunk reports a registration")
	}
}

// A REGISTER the registrar refuses (503) is sent again after a back-off,
// and then succeeds.
func TestSIPRegisterRetriesAfterFailure(t *testing.T) {
	requireTools(t)
	sipPort := freeUDPPort(t)
	reg := startSipp(t, registrarScenario("alarm", "pw-0123", []registerRound{
		{"^ *3600$", fmt.Sprintf(`<sip:statecraft-ivr@127\.0\.0\.1:%d`, sipPort), true},
	}), 0, 1, 120*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ua, err := sipua.Start(ctx, sipua.Config{BindHost: "127.0.0.1", BindPort: sipPort, Log: testLogger(t),
		Registrar: fmt.Sprintf("sip:127.0.0.1:%d", reg.port), Username: "alarm", Password: "pw-0123"})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.wait(90 * time.Second); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if st, _ := ua.Registration(""); st.Registered && st.Count == 1 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("registration %+v", st)
		}
	}
}
