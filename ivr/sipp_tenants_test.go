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

// Two tenants on their own trunks: acme's trunk registers at sipp (digest
// checked by sipp), acme's and beta's calls leave through their own trunk
// proxies (two sipp phones) with their own caller ids in From (checked by
// each sipp) and their prompts are spoken in their own voices; a call the
// registrar's side sends to the registered contact, for acme's number,
// reaches acme's inbound workflow.
func TestIVRTenantTrunks(t *testing.T) {
	requireTools(t)
	sipPort := freeUDPPort(t)
	registrar := startSipp(t, registrarScenario("acme-trunk", "alpha-pw-123", []registerRound{
		{"^ *3600$", fmt.Sprintf(`<sip:statecraft-ivr@127\.0\.0\.1:%d`, sipPort), false},
	}), 0, 1, 120*time.Second)
	tapA, tapB := newTap(t), newTap(t)
	alpha := startSipp(t, checkFrom(uasScenario(tapA.port(), ""), "+46111111111"), 0, 1, 120*time.Second)
	bravo := startSipp(t, checkFrom(uasScenario(tapB.port(), ""), "+46222222222"), 0, 1, 120*time.Second)

	dir := t.TempDir()
	for name, text := range map[string]string{
		"statecraft.yaml":  fmt.Sprintf(trunkProject, alpha.port, registrar.port, bravo.port),
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

	// Registered: the registrar's scenario ends after its 200.
	if err := registrar.wait(90 * time.Second); err != nil {
		t.Fatalf("registration: %v", err)
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

	// The trunk sends a call for acme's number to the registered contact
	// (Request-URI user statecraft-ivr, the number in To).
	pcap := filepath.Join(t.TempDir(), "digits.pcap")
	dtmfPcap(t, pcap, "42#", 101)
	tap := newTap(t)
	caller := strings.Replace(callerScenario("+46701112233", tap.port(), keyPcap(pcap)),
		"INVITE sip:[service]@", "INVITE sip:statecraft-ivr@", 1)
	if err := runCaller(t, caller, routedNumber, sipPort, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	inboundArn := "arn:aws:states:us-east-1:123456789012:stateMachine:inbound-pin"
	deadline := time.Now().Add(90 * time.Second)
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
			t.Fatalf("no finished inbound execution: %+v", list.Executions)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
