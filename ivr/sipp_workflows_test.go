package ivr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/statecraft/statecraft/cli"
	"github.com/statecraft/statecraft/ivr"
	"github.com/statecraft/statecraft/ivr/sipua"
)

// End-to-end tests of the workflow API and inbound calls through the real
// doors: `statecraft server --project examples/alarm-ivr/statecraft.yaml`
// (cli.Server, in process) with the media service inside it, HTTP to the
// workflow API, and sipp as the phone (outbound) or the caller (inbound).

const (
	exampleProject = "../examples/alarm-ivr/statecraft.yaml"
	acmeKey        = "acme-test-key-0123456789"
	adminKey       = "admin-test-key-0123456789"
	routedNumber   = "+46101234567"
)

func freeTCPPort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// syncBuffer is an io.Writer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// projectServer is `statecraft server --project` of the example, in process.
type projectServer struct {
	url     string
	sipPort int
	client  *sfn.Client
	log     *syncBuffer
}

var listening = regexp.MustCompile(`listening on (http://[0-9.:]+)`)

// startProjectServer runs the example project with its media service on
// 127.0.0.1:sipPort, until the test ends.
func startProjectServer(t *testing.T, sipPort int) *projectServer {
	t.Helper()
	return startProjectServerFile(t, exampleProject, sipPort)
}

// startProjectServerFile is startProjectServer with another project file.
func startProjectServerFile(t *testing.T, project string, sipPort int) *projectServer {
	t.Helper()
	t.Setenv("ACME_API_KEY", acmeKey)
	t.Setenv("STATECRAFT_ADMIN_KEY", adminKey)
	t.Setenv("IVR_SIP_BIND", fmt.Sprintf("127.0.0.1:%d", sipPort))
	o := cli.DefaultServerOptions()
	o.Listen = "127.0.0.1:0"
	o.Data = t.TempDir()
	o.NoSync = true
	o.Project = project
	o.LogLevel = "debug"
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cli.Server(ctx, o, stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Errorf("server did not stop")
		}
		if t.Failed() {
			t.Logf("server log (last lines):\n%s", lastLines(stderr.String(), 60))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			return &projectServer{url: m[1], sipPort: sipPort, client: newClient(m[1]), log: stderr}
		}
		select {
		case err := <-done:
			t.Fatalf("server stopped: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// do sends a request to the workflow API and decodes the JSON answer.
func (p *projectServer) do(t *testing.T, method, path, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode, out
}

// waitWorkflow polls an execution of the workflow API until it ends.
func (p *projectServer) waitWorkflow(t *testing.T, statusURL, key string, limit time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		code, out := p.do(t, "GET", statusURL, key, "")
		if code != 200 {
			t.Fatalf("GET %s: %d %v", statusURL, code, out)
		}
		if out["status"] != "RUNNING" {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still running after %s", statusURL, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The alarm workflow started through the workflow API with a tenant's
// key: sipp answers, hears the prompt, keys the right PIN: SUCCEEDED.
func TestAlarmIVRWorkflowAPI(t *testing.T) {
	requireTools(t)
	p := startProjectServer(t, freeUDPPort(t))

	dir := t.TempDir()
	pcap := filepath.Join(dir, "pin.pcap")
	dtmfPcap(t, pcap, "1234#", 101)
	tap := newTap(t)
	phone := startSipp(t, uasScenario(tap.port(), keyPcap(pcap)), 0, 1, 120*time.Second)

	input := fmt.Sprintf(`{"destinationNumber": "sip:alarm-owner@127.0.0.1:%d", "pin": "1234"}`, phone.port)
	code, started := p.do(t, "POST", "/v1/workflows/alarm-notification/executions", acmeKey, input)
	if code != http.StatusCreated {
		t.Fatalf("start: %d %v", code, started)
	}
	arn, _ := started["executionArn"].(string)
	if !strings.HasPrefix(arn, "arn:aws:states:us-east-1:123456789012:execution:alarm-notification:acme-alarms.") || started["startDate"] == nil || started["status"] != "RUNNING" {
		t.Fatalf("start answered %v", started)
	}
	final := p.waitWorkflow(t, started["statusUrl"].(string), acmeKey, 90*time.Second)
	if err := phone.wait(60 * time.Second); err != nil {
		t.Error(err)
	}
	if final["status"] != "SUCCEEDED" {
		t.Fatalf("execution: %v", final)
	}
	out, _ := final["output"].([]any)
	if len(out) != 2 || out[1].(map[string]any)["dtmfBuffer"] != "1234" {
		t.Errorf("output %v, want the PIN 1234 in the second branch", final["output"])
	}
	// The execution is an ordinary Step Functions execution too.
	desc, err := p.client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil || string(desc.Status) != "SUCCEEDED" {
		t.Errorf("DescribeExecution: %v %v", desc, err)
	}
	n, voiced := tap.packets.Load(), tap.voiced.Load()
	t.Logf("phone received %d PCMU RTP packets (%d voiced)", n, voiced)
	if n < 40 || voiced < 20 {
		t.Errorf("phone received %d PCMU RTP packets (%d voiced), want the prompt", n, voiced)
	}
}

// One tenant can neither see nor start another's workflows; bad keys and
// bad input get clear JSON errors, never a 500.
func TestAlarmIVRTenantIsolation(t *testing.T) {
	requireTools(t) // the project's media service needs espeak-ng and sox
	p := startProjectServer(t, freeUDPPort(t))
	const betaKey = "beta-test-key-0123456789"

	// Tenant beta, made through the admin API, has a workflow of the same
	// name on the same state machine, but not acme's inbound-pin.
	code, out := p.do(t, "PUT", "/v1/admin/tenants/beta", adminKey,
		`{"apiKeys": ["`+betaKey+`"], "workflows": {"alarm-notification": "alarm-notification"}}`)
	if code != http.StatusCreated {
		t.Fatalf("create tenant: %d %v", code, out)
	}

	// acme starts an execution (a number with no SIP proxy: placeCall
	// fails at once, which is all this test needs).
	code, started := p.do(t, "POST", "/v1/workflows/alarm-notification/executions", acmeKey, `{"destinationNumber": "12345", "pin": "1234"}`)
	if code != http.StatusCreated {
		t.Fatalf("start: %d %v", code, started)
	}
	statusURL := started["statusUrl"].(string)
	if final := p.waitWorkflow(t, statusURL, acmeKey, 60*time.Second); final["status"] != "FAILED" {
		t.Errorf("acme's execution: %v, want FAILED (no proxy for a number)", final)
	}

	checks := []struct {
		name, method, path, key, body string
		want                          int
	}{
		{"beta reads acme's execution", "GET", statusURL, betaKey, "", 404},
		{"beta reads acme's execution under another workflow", "GET", strings.Replace(statusURL, "alarm-notification", "inbound-pin", 1), betaKey, "", 404},
		{"beta starts acme's workflow", "POST", "/v1/workflows/inbound-pin/executions", betaKey, `{}`, 404},
		{"unknown key", "POST", "/v1/workflows/alarm-notification/executions", "no-such-key-0123456789", `{}`, 401},
		{"no key", "GET", statusURL, "", "", 401},
		{"tenant key on the admin API", "GET", "/v1/admin/tenants", acmeKey, "", 403},
		{"tenant key on inbound routing", "GET", "/v1/ivr/routes/" + routedNumber, betaKey, "", 403},
		{"bad JSON input", "POST", "/v1/workflows/alarm-notification/executions", acmeKey, `{"destinationNumber": `, 400},
		{"unknown execution", "GET", "/v1/workflows/alarm-notification/executions/acme-alarms.nope", acmeKey, "", 404},
		{"execution id of another shape", "GET", "/v1/workflows/alarm-notification/executions/acme-alarms.a:b", acmeKey, "", 404},
		{"wrong method", "DELETE", "/v1/workflows/alarm-notification/executions", acmeKey, "", 405},
		{"admin: workflow on a missing state machine", "PUT", "/v1/admin/tenants/beta/workflows/x", adminKey, `{"stateMachine": "no-such-machine"}`, 400},
		{"admin: route to a missing workflow", "PUT", "/v1/admin/tenants/beta/numbers/+4611", adminKey, `{"workflow": "nope"}`, 400},
		{"admin: acme's number for beta", "PUT", "/v1/admin/tenants/beta/numbers/" + routedNumber, adminKey, `{"workflow": "alarm-notification"}`, 409},
		{"admin: unknown field", "PUT", "/v1/admin/tenants/beta", adminKey, `{"apiKey": "x"}`, 400},
		{"acme reads its own", "GET", statusURL, acmeKey, "", 200},
		{"beta lists only its workflows", "GET", "/v1/workflows", betaKey, "", 200},
	}
	for _, c := range checks {
		code, out := p.do(t, c.method, c.path, c.key, c.body)
		if code != c.want {
			t.Errorf("%s: %s %s: %d %v, want %d", c.name, c.method, c.path, code, out, c.want)
			continue
		}
		if code >= 400 {
			if msg, _ := out["message"].(string); msg == "" {
				t.Errorf("%s: error without a message: %v", c.name, out)
			}
		}
	}
	_, list := p.do(t, "GET", "/v1/workflows", betaKey, "")
	if wfs, _ := list["workflows"].([]any); len(wfs) != 1 {
		t.Errorf("beta's workflows: %v", list)
	}
	// beta's own execution is its own.
	code, bstart := p.do(t, "POST", "/v1/workflows/alarm-notification/executions", betaKey, `{"destinationNumber": "12345", "pin": "1"}`)
	if code != http.StatusCreated || !strings.Contains(bstart["executionId"].(string), "beta.") {
		t.Fatalf("beta start: %d %v", code, bstart)
	}
	if code, _ := p.do(t, "GET", bstart["statusUrl"].(string), acmeKey, ""); code != 404 {
		t.Errorf("acme reads beta's execution: %d, want 404", code)
	}
}

// callerScenario is a sipp UAC calling [service] from caller; its SDP
// sends our RTP to mediaPort; after answer it does middle, then waits
// for our BYE.
func callerScenario(caller string, mediaPort int, middle string) string {
	return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="inbound caller">
  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:` + caller + `@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:` + caller + `@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

` + sdpBody("caller", mediaPort) + `
]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:` + caller + `@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:` + caller + `@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]>
  </send>
` + middle + `
  <recv request="BYE"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:` + caller + `@[local_ip]:[local_port]>
Content-Length: 0

]]>
  </send>
  <timewait milliseconds="200"/>
</scenario>
`
}

// rejectedScenario is a sipp UAC whose call must be refused with 404
// without being answered.
const rejectedScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="unrouted caller">
  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+46700000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:+46700000001@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000

]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="404"/>
  <send>
    <![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+46700000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]>
  </send>
  <timewait milliseconds="200"/>
</scenario>
`

// runCaller runs sipp as a UAC calling number at the media service once.
func runCaller(t *testing.T, scenario, number string, sipPort int, limit time.Duration) error {
	t.Helper()
	dir := t.TempDir()
	scen := filepath.Join(dir, "caller.xml")
	if err := os.WriteFile(scen, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command("sipp", "-sf", scen, "-s", number, "-i", "127.0.0.1", "-p", fmt.Sprint(freeUDPPort(t)),
		"-m", "1", "-timeout", fmt.Sprintf("%ds", int(limit/time.Second)), "-timeout_error", "-nostdin", "-default_behaviors", sippBehaviors,
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"), fmt.Sprintf("127.0.0.1:%d", sipPort))
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(limit + 30*time.Second):
		_ = cmd.Process.Kill()
		err = fmt.Errorf("sipp still running after %s: %v", limit+30*time.Second, <-done)
	}
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		return fmt.Errorf("sipp: %v\n%s\n%s", err, lastLines(out.String(), 30), errs)
	}
	return nil
}

// An inbound call: sipp calls the number acme routes to its inbound-pin
// workflow; the media service answers, the workflow greets the caller,
// collects the digits sipp keys, hangs up and succeeds with them. A call
// to a number nobody routes is refused with 404, unanswered.
func TestAlarmIVRInbound(t *testing.T) {
	requireTools(t)
	p := startProjectServer(t, freeUDPPort(t))
	ctx := context.Background()
	inboundArn := "arn:aws:states:us-east-1:123456789012:stateMachine:inbound-pin"

	t.Run("routed", func(t *testing.T) {
		dir := t.TempDir()
		pcap := filepath.Join(dir, "digits.pcap")
		dtmfPcap(t, pcap, "4711#", 101)
		tap := newTap(t)
		// The number as the trunk might write it: the route matches it.
		if err := runCaller(t, callerScenario("+46701112233", tap.port(), keyPcap(pcap)), "+46-10-1234567", p.sipPort, 90*time.Second); err != nil {
			t.Error(err)
		}
		var arn string
		deadline := time.Now().Add(90 * time.Second)
		for {
			list, err := p.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(inboundArn)})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Executions) == 1 && list.Executions[0].Status != "RUNNING" {
				arn = aws.ToString(list.Executions[0].ExecutionArn)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no finished inbound execution: %+v", list.Executions)
			}
			time.Sleep(100 * time.Millisecond)
		}
		desc, err := p.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if desc.Status != "SUCCEEDED" {
			(&server{client: p.client}).dumpHistory(t, arn)
			t.Fatalf("inbound execution %s: %s %s", desc.Status, aws.ToString(desc.Error), aws.ToString(desc.Cause))
		}
		var in, out map[string]string
		if err := json.Unmarshal([]byte(aws.ToString(desc.Input)), &in); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(aws.ToString(desc.Output)), &out); err != nil {
			t.Fatal(err)
		}
		if in["callerNumber"] != "+46701112233" || in["calledNumber"] != "+46-10-1234567" || !regexp.MustCompile(`^d[0-9a-f]{24}@.+$`).MatchString(in["dialogId"]) {
			t.Errorf("input %v", in)
		}
		if out["digits"] != "4711" || out["callerNumber"] != "+46701112233" {
			t.Errorf("output %v, want digits 4711", out)
		}
		// acme can read it through the workflow API under its inbound workflow.
		id := arn[strings.LastIndexByte(arn, ':')+1:]
		if code, e := p.do(t, "GET", "/v1/workflows/inbound-pin/executions/"+id, acmeKey, ""); code != 200 || e["status"] != "SUCCEEDED" {
			t.Errorf("workflow API: %d %v", code, e)
		}
		n, voiced := tap.packets.Load(), tap.voiced.Load()
		t.Logf("caller received %d PCMU RTP packets (%d voiced)", n, voiced)
		if n < 40 || voiced < 20 {
			t.Errorf("caller received %d PCMU RTP packets (%d voiced), want the greeting", n, voiced)
		}
	})

	t.Run("unrouted", func(t *testing.T) {
		if err := runCaller(t, rejectedScenario, "+46999999999", p.sipPort, 30*time.Second); err != nil {
			t.Errorf("want a 404: %v", err)
		}
		list, err := p.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(inboundArn)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Executions) > 1 {
			t.Errorf("an unrouted call started an execution: %+v", list.Executions)
		}
		if !strings.Contains(p.log.String(), "number not routed") {
			t.Errorf("no rejection logged")
		}
	})
}

// An inbound call to a media service running as its own process: it asks
// the server whether the number is routed and starts the workflow over
// the server's inbound-routing endpoints (ivr.HTTPRouter, an admin key),
// and polls the activity over HTTP like any worker.
func TestAlarmIVRInboundSeparateMediaService(t *testing.T) {
	requireTools(t)
	// The example project without its mediaService section.
	dir := t.TempDir()
	raw, err := os.ReadFile(exampleProject)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	text = text[:strings.Index(text, "\nmediaService:")+1]
	for _, f := range []string{"statemachine.asl.json", "inbound.asl.json"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(exampleProject), f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "statecraft.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProjectServerFile(t, filepath.Join(dir, "statecraft.yaml"), 0)
	if strings.Contains(p.log.String(), "media service started") {
		t.Fatal("the server runs a media service of its own")
	}

	sipPort := freeUDPPort(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ua, err := sipua.Start(ctx, sipua.Config{BindHost: "127.0.0.1", BindPort: sipPort, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	w := runWorker(t, &server{url: p.url, client: p.client}, ivr.Config{
		ActivityArn: "arn:aws:states:us-east-1:123456789012:activity:mediaService",
		Backend:     ua,
		Prompts:     &ivr.TTS{Dir: t.TempDir()},
		Router:      &ivr.HTTPRouter{Endpoint: p.url, Key: adminKey},
	})

	pcap := filepath.Join(dir, "digits.pcap")
	dtmfPcap(t, pcap, "2468#", 101)
	tap := newTap(t)
	if err := runCaller(t, callerScenario("+46709998877", tap.port(), keyPcap(pcap)), routedNumber, sipPort, 90*time.Second); err != nil {
		t.Error(err)
	}
	if err := runCaller(t, rejectedScenario, "+46111", sipPort, 30*time.Second); err != nil {
		t.Errorf("unrouted: want a 404: %v", err)
	}
	list, err := p.client.ListExecutions(context.Background(), &sfn.ListExecutionsInput{
		StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:inbound-pin")})
	if err != nil || len(list.Executions) != 1 {
		t.Fatalf("executions: %+v %v", list, err)
	}
	arn := aws.ToString(list.Executions[0].ExecutionArn)
	id := arn[strings.LastIndexByte(arn, ':')+1:]
	e := p.waitWorkflow(t, "/v1/workflows/inbound-pin/executions/"+id, acmeKey, 60*time.Second)
	out, _ := e["output"].(map[string]any)
	if e["status"] != "SUCCEEDED" || out["digits"] != "2468" || out["callerNumber"] != "+46709998877" {
		t.Errorf("inbound execution: %v", e)
	}
	if w.InboundCalls() != 1 {
		t.Errorf("worker answered %d inbound calls, want 1", w.InboundCalls())
	}
	if n := tap.packets.Load(); n < 40 {
		t.Errorf("caller received %d PCMU RTP packets, want the greeting", n)
	}
}

// The example's one command, examples/alarm-ivr/run-with-sipp.sh, works:
// it builds nothing here (the test builds the binary once), starts the
// server with the project, sipp as the phone, the workflow through the
// workflow API, and exits 0 with SUCCEEDED.
func TestAlarmIVRExampleScript(t *testing.T) {
	requireTools(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the example script needs curl (apt-get install -y curl)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "statecraft")
	build := exec.Command("go", "build", "-o", bin, "./cmd/statecraft")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	apiPort := freeTCPPort(t)
	cmd := exec.Command("bash", "examples/alarm-ivr/run-with-sipp.sh")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(),
		"STATECRAFT_BIN="+bin,
		fmt.Sprintf("API_PORT=%d", apiPort),
		fmt.Sprintf("SIP_PORT=%d", freeUDPPort(t)),
		fmt.Sprintf("PHONE_PORT=%d", freeUDPPort(t)),
		fmt.Sprintf("PHONE_MEDIA_PORT=%d", freeUDPPort(t)),
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(4 * time.Minute):
		_ = cmd.Process.Kill()
		err = fmt.Errorf("still running after 4 minutes: %v", <-done)
	}
	if err != nil {
		t.Fatalf("run-with-sipp.sh: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), `"status": "SUCCEEDED"`) || !strings.Contains(out.String(), `"dtmfBuffer": "1234"`) {
		t.Errorf("run-with-sipp.sh output:\n%s", out.String())
	}
}
