package project

import (
	"strings"
	"testing"
)

func TestAlarmExampleProject(t *testing.T) {
	env := func(name string) (string, bool) {
		if name == "IVR_SIP_BIND" {
			return "127.0.0.1:5999", true
		}
		return "", false
	}
	p, err := Load("../examples/alarm-ivr/statecraft.yaml", Options{LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Activities) != 1 || p.Activities[0].ARN != "arn:aws:states:us-east-1:123456789012:activity:mediaService" {
		t.Errorf("activities %+v", p.Activities)
	}
	if sm := p.StateMachine("inbound-pin"); sm == nil || !strings.Contains(sm.Definition, `"arn:aws:states:us-east-1:123456789012:activity:mediaService"`) {
		t.Errorf("inbound-pin's ${mediaService.Arn} not substituted")
	}
	if len(p.Tenants) != 1 || p.Tenants[0].Workflows["alarm-notification"] != "alarm-notification" || p.Tenants[0].Numbers["+46101234567"] != "inbound-pin" ||
		len(p.Tenants[0].APIKeys) != 1 || p.Tenants[0].APIKeys[0] != "acme-key-change-me-00001" {
		t.Errorf("tenants %+v", p.Tenants)
	}
	if p.WorkflowAPI == nil || len(p.WorkflowAPI.AdminKeys) != 1 {
		t.Errorf("workflowApi %+v", p.WorkflowAPI)
	}
	m := p.MediaService
	if m == nil || m.ActivityArn != p.Activities[0].ARN || m.SIPBindHost != "127.0.0.1" || m.SIPBindPort != 5999 ||
		m.RTPPortStart != 20000 || m.RTPPortEnd != 20999 || m.Pollers != 4 || m.SIPProxy != "" {
		t.Errorf("mediaService %+v", m)
	}
}

func TestIVRSectionsInvalid(t *testing.T) {
	setup(t, map[string]string{"statecraft.yaml": `activities:
  media: {}
  "bad name": {}
stateMachines:
  alarm:
    definition: sm.json
workflowApi:
  adminKeys: [short]
tenants:
  a:
    apiKeys: ["key-a-0123456789abcdef"]
    workflows:
      alarm: alarm
      other: alram
    numbers:
      "+4610": nope
      "+4620": alarm
  b:
    workflows: { alarm: alarm }
    numbers:
      "+4620": alarm
mediaService:
  activity: medai
  pollers: 0
  sip:
    bind: nowhere
    transport: sctp
    rtpPorts: 20-10
  colour: red
`})
	_, err := Load("statecraft.yaml", Options{LookupEnv: fakeEnv})
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`activities["bad name"]: invalid activity name`,
		"workflowApi.adminKeys: admin keys must be at least 16 characters",
		`tenants.a.workflows.other: no state machine "alram" in this project (did you mean alarm?)`,
		`tenants.a.numbers["+4610"]: tenant a has no workflow "nope"`,
		"tenants.b.apiKeys: required",
		"tenants.b.numbers: number +4620 is already routed by tenant a",
		`mediaService.activity: no activity "medai"`,
		"mediaService.pollers: must be between 1 and 256",
		"mediaService.sip.transport: must be udp or tcp",
		"mediaService.sip.bind: must be HOST:PORT",
		"mediaService.sip.rtpPorts: must be LOW-HIGH",
		"mediaService.colour: unknown field",
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
}

func TestEnvDefault(t *testing.T) {
	setup(t, map[string]string{"statecraft.yaml": `stateMachines:
  m:
    definition: sm.json
    substitutions:
      A: ${env:TOKEN:-d1}
      B: ${env:UNSET:-d2}
      C: ${env:EMPTY:-d3}
      D: ${env:UNSET:-}
`})
	p, err := Load("statecraft.yaml", Options{LookupEnv: fakeEnv})
	if err != nil {
		t.Fatal(err)
	}
	s := p.StateMachines[0].Substitutions
	if s["A"] != "s3cret" || s["B"] != "d2" || s["C"] != "d3" || s["D"] != "" {
		t.Errorf("%v", s)
	}
}

func TestAccountsSection(t *testing.T) {
	setup(t, map[string]string{"statecraft.yaml": `stateMachines:
  alarm:
    definition: sm.json
accounts:
  - id: "111122223333"
    keys:
      - accessKeyId: AKIAALARMADMIN
        secretAccessKey: ${env:ALARM_SECRET:-alarm-secret-0123}
        role: admin
tenants:
  acme:
    account: "111122223333"
    apiKeys: ["key-a-0123456789abcdef"]
    workflows: { alarm: its-own-machine }
  home:
    apiKeys: ["key-b-0123456789abcdef"]
    workflows: { alarm: alarm }
`})
	p, err := Load("statecraft.yaml", Options{LookupEnv: fakeEnv, Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Accounts) != 1 || p.Accounts[0].ID != "111122223333" || p.Accounts[0].Keys[0].SecretAccessKey != "alarm-secret-0123" {
		t.Errorf("accounts %+v", p.Accounts)
	}
	if p.Tenants[0].Account != "111122223333" || p.Tenants[1].Account != "" {
		t.Errorf("tenants %+v", p.Tenants)
	}

	setup(t, map[string]string{"statecraft.yaml": `accounts:
  - id: "12"
    keys:
      - {accessKeyId: AKIAX, secretAccessKey: "${env:NOPE}", role: admin}
tenants:
  acme:
    account: 42
    apiKeys: ["key-a-0123456789abcdef"]
`})
	_, err = Load("statecraft.yaml", Options{LookupEnv: fakeEnv})
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"accounts: ", "NOPE is not set", "tenants.acme.account: an account id is 12 digits"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
}

// A project's ARNs are in its region's partition, as the API's are.
func TestPartitions(t *testing.T) {
	setup(t, map[string]string{"statecraft.yaml": `stateMachines:
  m:
    definition: sm.json
    substitutions: { P: "${AWS::Partition}", A: "${m.Arn}" }
activities:
  a: {}
`})
	for region, want := range map[string]string{"cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "eu-west-1": "aws"} {
		p, err := Load("statecraft.yaml", Options{LookupEnv: fakeEnv, Region: region, Account: "123456789012"})
		if err != nil {
			t.Fatal(err)
		}
		sm := p.StateMachines[0]
		if sm.ARN != "arn:"+want+":states:"+region+":123456789012:stateMachine:m" || sm.Substitutions["P"] != want || sm.Substitutions["A"] != sm.ARN {
			t.Errorf("%s: %s %v", region, sm.ARN, sm.Substitutions)
		}
		if a := p.Activities[0].ARN; a != "arn:"+want+":states:"+region+":123456789012:activity:a" {
			t.Errorf("%s: activity %s", region, a)
		}
	}
}

func TestIVRTrunksAndTenantSettings(t *testing.T) {
	setup(t, map[string]string{"statecraft.yaml": `activities:
  media: {}
stateMachines:
  alarm:
    definition: sm.json
tenants:
  acme:
    apiKeys: ["key-a-0123456789abcdef"]
    workflows: { alarm: alarm }
    ivr: { trunk: alpha, callerId: "+46111", voice: sv+f3 }
mediaService:
  activity: media
  sip:
    registrar: sip:pbx.example.com
    user: ivr
    passwordEnv: SIP_PASSWORD
    registerExpires: 600
  trunks:
    alpha:
      proxy: sip:trunk.example.com:5060
      registrar: sip:trunk.example.com
      user: acme
      passwordEnv: ALPHA_PASSWORD
      fromHost: example.com
      expires: 300
`})
	p, err := Load("statecraft.yaml", Options{LookupEnv: fakeEnv})
	if err != nil {
		t.Fatal(err)
	}
	if tn := p.Tenants[0]; tn.Trunk != "alpha" || tn.CallerID != "+46111" || tn.Voice != "sv+f3" {
		t.Errorf("tenant %+v", tn)
	}
	m := p.MediaService
	if m.SIPRegistrar != "sip:pbx.example.com" || m.SIPPasswordEnv != "SIP_PASSWORD" || m.SIPRegisterExpires != 600 || m.SIPPassword != "" {
		t.Errorf("sip %+v", m)
	}
	want := SIPTrunk{Name: "alpha", Proxy: "sip:trunk.example.com:5060", Registrar: "sip:trunk.example.com", User: "acme",
		PasswordEnv: "ALPHA_PASSWORD", FromHost: "example.com", Expires: 300, Line: m.Trunks[0].Line}
	if len(m.Trunks) != 1 || m.Trunks[0] != want {
		t.Errorf("trunks %+v", m.Trunks)
	}
}

func TestIVRTrunksInvalid(t *testing.T) {
	setup(t, map[string]string{"statecraft.yaml": `activities:
  media: {}
stateMachines:
  alarm:
    definition: sm.json
tenants:
  acme:
    apiKeys: ["key-a-0123456789abcdef"]
    workflows: { alarm: alarm }
    ivr: { trunk: alpah, voice: "-x", colour: red }
mediaService:
  activity: media
  sip:
    registrar: sip:pbx.example.com
    password: pw
    passwordEnv: SIP_PASSWORD
    registerExpires: 5
  trunks:
    alpha:
      registrar: sip:trunk.example.com
      passwordEnv: "not a name"
      expires: 100000
    "bad name":
      user: x
`})
	_, err := Load("statecraft.yaml", Options{LookupEnv: fakeEnv})
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{
		`tenants.acme.ivr.trunk: no trunk "alpah" in mediaService.trunks (did you mean alpha?)`,
		`tenants.acme.ivr.voice: invalid espeak-ng voice "-x"`,
		"tenants.acme.ivr.colour: unknown field",
		"mediaService.sip.passwordEnv: give password or passwordEnv, not both",
		"mediaService.sip.registerExpires: must be between 60 and 86400 seconds",
		"mediaService.sip.user: required with registrar",
		"mediaService.trunks.alpha.passwordEnv: must name an environment variable",
		"mediaService.trunks.alpha.expires: must be between 60 and 86400 seconds",
		"mediaService.trunks.alpha.user: required with registrar",
		`mediaService.trunks["bad name"]: invalid trunk name`,
		`mediaService.trunks["bad name"]: a trunk needs a proxy, a registrar or both`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
}
