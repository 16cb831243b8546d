package ivr_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// trunkProject is a project with two tenants, each with its own trunk,
// caller id and voice: acme's trunk alpha registers at a registrar with
// digest auth (its password named by passwordEnv), bravo only sends calls.
const trunkProject = `activities:
  mediaService: {}
stateMachines:
  call-out:
    definition: callout.asl.json
  inbound-pin:
    definition: inbound.asl.json
workflowApi:
  adminKeys: [ "${env:STATECRAFT_ADMIN_KEY}" ]
tenants:
  acme:
    apiKeys: [ "${env:ACME_API_KEY}" ]
    workflows: { call-out: call-out, inbound-pin: inbound-pin }
    numbers: { "+46101234567": inbound-pin }
    ivr: { trunk: alpha, callerId: "+46111111111", voice: en-us }
  beta:
    apiKeys: [ "beta-test-key-0123456789" ]
    workflows: { call-out: call-out }
    ivr: { trunk: bravo, callerId: "+46222222222", voice: sv }
mediaService:
  activity: mediaService
  callerId: "+46100000000"
  promptDir: prompts
  sip:
    bind: ${env:IVR_SIP_BIND}
  trunks:
    alpha:
      proxy: sip:127.0.0.1:%d
      registrar: sip:127.0.0.1:%d
      user: acme-trunk
      passwordEnv: ALPHA_SIP_PASSWORD
    bravo:
      proxy: sip:127.0.0.1:%d
`

// callOut places a call to $.number, says hello, hangs up.
const callOut = `{
  "StartAt": "call",
  "States": {
    "call": {"Type": "Task", "Resource": "${mediaService.Arn}",
      "Parameters": {"command": "placeCall", "destinationNumber.$": "$.number"}, "Next": "say"},
    "say": {"Type": "Task", "Resource": "${mediaService.Arn}",
      "Parameters": {"command": "playPrompt", "dialogId.$": "$.dialogId", "say": "Hello from your tenant."}, "Next": "hangup"},
    "hangup": {"Type": "Task", "Resource": "${mediaService.Arn}",
      "Parameters": {"command": "hangupCall", "dialogId.$": "$.dialogId"}, "End": true}
  }
}`

// checkFrom makes a phone scenario refuse an INVITE whose From is not
// callerID at the trunk's host (sipp fails the call on a regexp mismatch).
func checkFrom(scenario, callerID string) string {
	return strings.Replace(scenario, `<recv request="INVITE" crlf="true"/>`, `<recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="sip:`+strings.ReplaceAll(callerID, "+", `\+`)+`@127\.0\.0\.1" search_in="hdr" header="From:" check_it="true" assign_to="from"/>
      <log message="From [$from]"/>
    </action>
  </recv>`, 1)
}

// promptFile is where the TTS cache keeps text said in voice at the
// default rate.
func promptFile(dir, voice, text string) string {
	sum := sha256.Sum256([]byte(voice + "\x00" + strconv.Itoa(160) + "\x00" + text))
	return filepath.Join(dir, "say-"+hex.EncodeToString(sum[:16])+".wav")
}

// trunkScenario is one sipp that is both registrar and proxy of a trunk:
// a call that starts with REGISTER is the registrar's (challenged and
// checked as registrarScenario does, one round), and once the digest is
// accepted the same call sends caller's INVITE to the registered contact;
// a call that starts with an INVITE is the trunk's outbound call, answered
// as phone (a checkFrom(uasScenario(...)) scenario) answers it. sipp only
// maps a response to a call by its Call-ID and makes new calls only for
// requests it receives, so the INVITE it sends has to carry the REGISTER's
// Call-ID (with new tags and CSeq it is still a new dialog) for sipp to
// see the answer; it goes to the address the REGISTER came from, the
// media service's SIP socket.
func trunkScenario(register, caller, phone string) string {
	body := func(scenario, name string) string {
		_, s, ok := strings.Cut(scenario, `<scenario name="`+name+`">`+"\n")
		s, _, ok2 := strings.Cut(s, `  <timewait milliseconds="200"/>`)
		if !ok || !ok2 {
			panic("unexpected scenario " + name)
		}
		return s
	}
	invite, answer, ok := strings.Cut(body(phone, "alarm phone"), "</recv>\n")
	if !ok {
		panic("the phone's scenario starts with no INVITE")
	}
	return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="trunk">
` + strings.Replace(invite, `<recv request="INVITE" crlf="true">`, `<recv request="INVITE" crlf="true" optional="true" next="outbound">`, 1) + `</recv>
` + body(register, "registrar") + body(caller, "inbound caller") + `  <nop hide="true" next="end"/>
  <label id="outbound"/>
` + answer + `  <label id="end"/>
  <timewait milliseconds="200"/>
</scenario>
`
}

// Two tenants on their own trunks. acme's trunk alpha has one sipp as its
// registrar and its proxy: the trunk registers there (digest checked by
// sipp), and that sipp then sends a call for acme's number to the
// registered contact, which reaches acme's inbound workflow, and receives
// acme's outbound call. beta's trunk bravo is a proxy only (another sipp).
// Each sipp checks its tenant's caller id in From, and the prompts are
// spoken in each tenant's own voice.
func TestIVRTenantTrunks(t *testing.T) {
	requireTools(t)
	sipPort := freeUDPPort(t)
	// The trunk's call for acme's number: Request-URI user statecraft-ivr
	// (the registered contact), the number in To.
	pcap := filepath.Join(t.TempDir(), "digits.pcap")
	dtmfPcap(t, pcap, "42#", 101)
	tap := newTap(t)
	caller := strings.ReplaceAll(strings.Replace(callerScenario("+46701112233", tap.port(), keyPcap(pcap)),
		"INVITE sip:[service]@[remote_ip]:[remote_port]", fmt.Sprintf("INVITE sip:statecraft-ivr@127.0.0.1:%d", sipPort), 1),
		"[service]", routedNumber)
	tapA, tapB := newTap(t), newTap(t)
	// Two calls: the registration (with the inbound call) and acme's call.
	alpha := startSipp(t, trunkScenario(registrarScenario("acme-trunk", "alpha-pw-123", []registerRound{
		{"^ *3600$", fmt.Sprintf(`<sip:statecraft-ivr@127\.0\.0\.1:%d`, sipPort), false},
	}), caller, checkFrom(uasScenario(tapA.port(), ""), "+46111111111")), 0, 2, 180*time.Second)
	bravo := startSipp(t, checkFrom(uasScenario(tapB.port(), ""), "+46222222222"), 0, 1, 120*time.Second)

	dir := t.TempDir()
	for name, text := range map[string]string{
		"statecraft.yaml":  fmt.Sprintf(trunkProject, alpha.port, alpha.port, bravo.port),
		"callout.asl.json": callOut,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inbound, err := os.ReadFile("../examples/alarm-ivr/inbound.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "inbound.asl.json"), inbound, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ALPHA_SIP_PASSWORD", "alpha-pw-123")
	p := startProjectServerFile(t, filepath.Join(dir, "statecraft.yaml"), sipPort)

	// Registered: only then does alpha's sipp call acme's number, and
	// the call reaches acme's inbound workflow.
	inboundArn := "arn:aws:states:us-east-1:123456789012:stateMachine:inbound-pin"
	deadline := time.Now().Add(120 * time.Second)
	for {
		list, err := p.client.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(inboundArn)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Executions) == 1 && list.Executions[0].Status != "RUNNING" {
			e := list.Executions[0]
			if e.Status != "SUCCEEDED" || !strings.HasPrefix(aws.ToString(e.Name), "acme.") {
				t.Fatalf("inbound execution %s: %s", aws.ToString(e.Name), e.Status)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no finished inbound execution (registered and called?): %+v", list.Executions)
		}
		time.Sleep(100 * time.Millisecond)
	}

	tenants := []struct{ key, number string }{{acmeKey, "+4670000001"}, {"beta-test-key-0123456789", "+4670000002"}}
	var urls []string
	for _, tn := range tenants {
		code, started := p.do(t, "POST", "/v1/workflows/call-out/executions", tn.key, `{"number": "`+tn.number+`"}`)
		if code != http.StatusCreated {
			t.Fatalf("start: %d %v", code, started)
		}
		urls = append(urls, started["statusUrl"].(string))
	}
	for i, tn := range tenants {
		if final := p.waitWorkflow(t, urls[i], tn.key, 90*time.Second); final["status"] != "SUCCEEDED" {
			t.Errorf("tenant %d's call: %v", i, final)
		}
	}
	for name, phone := range map[string]*sippPhone{"alpha": alpha, "bravo": bravo} {
		if err := phone.wait(60 * time.Second); err != nil {
			t.Errorf("trunk %s: %v", name, err)
		}
	}
	for _, v := range []string{"en-us", "sv"} {
		if _, err := os.Stat(promptFile(filepath.Join(dir, "prompts"), v, "Hello from your tenant.")); err != nil {
			t.Errorf("no prompt in voice %s: %v", v, err)
		}
	}
}
