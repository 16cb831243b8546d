package ivr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/ivr"
	"github.com/statecraft/statecraft/ivr/sipua"
)

// End-to-end cases of the alarm workflow beyond right/wrong PIN: no input
// (the seed's noInput loop), the machine's TimeoutSeconds, and two media
// service workers handing commands to each other. All use a real
// Statecraft server, real SIP/RTP and sipp as the phone.

const alarmActivityInSeed = "arn:aws:states:us-east-1:123456789012:activity:mediaService"

// uasScenario is a sipp UAS answering with PCMU and telephone-event (our
// RTP goes to mediaPort), then doing middle, then waiting for our BYE.
func uasScenario(mediaPort int, middle string) string {
	return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="alarm phone">
  <recv request="INVITE" crlf="true"/>
` + sendRinging + `  <send retrans="500">
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

` + sdpBody("phone", mediaPort) + `
]]>
  </send>
  <!-- A retransmitted INVITE (the caller saw no answer yet: a loaded
       machine) is absorbed; the 200 above keeps being retransmitted until
       the ACK. Without this step sipp aborts the call on it. -->
  <recv request="INVITE" optional="true"/>
  <recv request="ACK" crlf="true"/>
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
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]>
  </send>
  <timewait milliseconds="200"/>
</scenario>
`
}

// sdpBody is the SDP of a sipp phone or caller: PCMU and telephone-event
// (payload type 101), our RTP sent to mediaPort.
func sdpBody(origin string, mediaPort int) string {
	return `v=0
o=` + origin + ` 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio ` + fmt.Sprint(mediaPort) + ` RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
`
}

// keyPcap is the scenario middle that lets the prompt play for a second
// and then keys the digits in pcap as RFC 4733 events.
func keyPcap(pcap string) string {
	return keyAfterPrompt(`<exec play_pcap_audio="` + pcap + `"/>`)
}

// keyAfterPrompt is the scenario middle that lets the prompt play for a
// second and then runs the exec action that keys the digits.
func keyAfterPrompt(keyAction string) string {
	return `  <pause milliseconds="1000"/>
  <nop>
    <action>
      ` + keyAction + `
    </action>
  </nop>`
}

// sendRinging is a sipp UAS's 180 Ringing to the INVITE just received.
const sendRinging = `  <send>
    <![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]>
  </send>
`

// ringingScenario is a phone that rings and never answers: 180, then it
// waits for our CANCEL and ends the INVITE with 487.
const ringingScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="never answers">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" check_it="true" assign_to="invcseq"/>
    </action>
  </recv>
` + sendRinging + `  <recv request="CANCEL"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]>
  </send>
  <send>
    <![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [$invcseq] INVITE
Content-Length: 0

]]>
  </send>
  <recv request="ACK" optional="false"/>
  <timewait milliseconds="200"/>
</scenario>
`

// sippPhone is one sipp process playing the phone.
type sippPhone struct {
	port int
	dir  string
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan error
	err  error
	once sync.Once
}

// sippBehaviors keeps sipp from aborting a call on a message its scenario
// does not expect at that step. On a loaded machine sipp stalls (its
// "watchdog timer tripped" warnings), and correct retransmissions arrive
// late: our INVITE again after sipp's 200 OK, or our ACK again for a 200 OK
// sipp retransmitted while it was stalled (RFC 3261 13.2.2.4). sipp 3.6
// aborted the call on them (and then ignored our BYE). With abortunexp
// off, sipp logs them and goes on; a call still has to reach the end of
// its scenario within -timeout to count as successful.
const sippBehaviors = "all,-abortunexp"

// startSipp runs sipp as a UAS on 127.0.0.1:port (0 = a free port) for
// calls calls with the scenario; it is killed when the test ends.
func startSipp(t testing.TB, scenario string, port, calls int, timeout time.Duration) *sippPhone {
	t.Helper()
	dir := t.TempDir()
	scen := filepath.Join(dir, "phone.xml")
	if err := os.WriteFile(scen, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	if port == 0 {
		port = freeUDPPort(t)
	}
	p := &sippPhone{port: port, dir: dir, out: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command("sipp", "-sf", scen, "-i", "127.0.0.1", "-p", fmt.Sprint(port),
		"-m", fmt.Sprint(calls), "-timeout", fmt.Sprintf("%ds", int(timeout/time.Second)), "-timeout_error",
		"-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "errors.log"), "-default_behaviors", sippBehaviors)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill() // no-op once it has exited
		p.wait(5 * time.Second)
	})
	waitUDPBound(t, port)
	return p
}

// waitUDPBound waits until a socket is bound to 127.0.0.1:port/udp, as
// /proc/net/udp shows (probing by binding the port could take it from
// sipp).
func waitUDPBound(t testing.TB, port int) {
	want := fmt.Sprintf("0100007F:%04X ", port)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile("/proc/net/udp")
		if err != nil {
			time.Sleep(300 * time.Millisecond) // no procfs: give sipp time
			return
		}
		if bytes.Contains(b, []byte(want)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("sipp did not bind 127.0.0.1:%d", port)
}

// wait waits up to limit for sipp to exit (killing it after) and returns
// its error with its output.
func (p *sippPhone) wait(limit time.Duration) error {
	p.once.Do(func() {
		select {
		case p.err = <-p.done:
		case <-time.After(limit):
			_ = p.cmd.Process.Kill()
			p.err = fmt.Errorf("sipp still running after %s: %v", limit, <-p.done)
		}
		if p.err != nil {
			errs, _ := os.ReadFile(filepath.Join(p.dir, "errors.log"))
			p.err = fmt.Errorf("sipp: %v\n%s\n%s", p.err, lastLines(p.out.String(), 30), errs)
		}
	})
	return p.err
}

// machine creates a state machine from the example's definition, its
// Resource ARNs replaced by activityArn, after edit changes it.
func (s *server) machine(t testing.TB, name, activityArn string, edit func(def map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile("../examples/alarm-ivr/statemachine.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	var def map[string]any
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(raw), alarmActivityInSeed, activityArn)), &def); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(def)
	}
	b, _ := json.Marshal(def)
	sm, err := s.client.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name:       aws.String(name),
		Definition: aws.String(string(b)),
		RoleArn:    aws.String("arn:aws:iam::123456789012:role/statecraft"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return *sm.StateMachineArn
}

func (s *server) history(t testing.TB, arn string) []types.HistoryEvent {
	t.Helper()
	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(s.client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, page.Events...)
	}
	return events
}

// entered returns the events entering the named state, in order.
func entered(events []types.HistoryEvent, state string) []types.HistoryEvent {
	var out []types.HistoryEvent
	for _, e := range events {
		if d := e.StateEnteredEventDetails; d != nil && aws.ToString(d.Name) == state {
			out = append(out, e)
		}
	}
	return out
}

// sipWorker starts a SIP UA on a free port and a media service worker
// using it, until the test ends.
func sipWorker(t testing.TB, s *server, cfg ivr.Config) (*ivr.Worker, *sipua.UA) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ua, err := sipua.Start(ctx, sipua.Config{BindHost: "127.0.0.1", BindPort: 0, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Prompts == nil {
		tts := &ivr.TTS{Dir: t.TempDir()}
		if err := tts.CheckTools(); err != nil {
			t.Fatal(err)
		}
		cfg.Prompts = tts
	}
	cfg.Backend = ua
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = time.Second
	}
	return runWorker(t, s, cfg), ua
}

// The phone answers and keys nothing: waitForDTMF ends on its (default,
// 30 s) first-key timeout with an empty buffer, hangupCall hangs up, the
// Choice takes the "" branch to noInput, which waits 10 s and places the
// call again; this time the owner keys the right PIN and the execution
// succeeds. Two sipp runs on the same port are the two legs.
//
// (A phone that hangs up after the prompt without keying does not reach
// noInput in the seed's flow: waitForDTMF fails with IVR.Hangup, which
// fails the Parallel and the execution, as TestAlarmWorkflowFakePhones
// checks.)
func TestAlarmIVRNoInputThenRetry(t *testing.T) {
	requireTools(t)
	s := startServer(t)
	act, sm := s.deployAlarm(t)
	sipWorker(t, s, ivr.Config{ActivityArn: act})

	tap := newTap(t)
	silent := startSipp(t, uasScenario(tap.port(), ""), 0, 1, 90*time.Second)
	exec := s.start(t, sm, "no-input", fmt.Sprintf(`{"destinationNumber": "sip:alarm@127.0.0.1:%d", "pin": "1234"}`, silent.port))

	// The first leg ends with our BYE after the 30 s DTMF timeout; the
	// second leg must listen before the noInput Wait (10 s) is over.
	if err := silent.wait(60 * time.Second); err != nil {
		t.Fatalf("first leg (no keys): %v", err)
	}
	pcap := filepath.Join(t.TempDir(), "pin.pcap")
	dtmfPcap(t, pcap, "1234#", 101)
	keying := startSipp(t, uasScenario(tap.port(), keyPcap(pcap)), silent.port, 1, 60*time.Second)

	desc := s.wait(t, exec, 60*time.Second)
	if err := keying.wait(10 * time.Second); err != nil {
		t.Errorf("second leg (right PIN): %v", err)
	}
	if desc.Status != types.ExecutionStatusSucceeded {
		s.dumpHistory(t, exec)
		t.Fatalf("execution %s %s %s, want SUCCEEDED", desc.Status, aws.ToString(desc.Error), aws.ToString(desc.Cause))
	}

	h := s.history(t, exec)
	places := entered(h, "placeCall")
	waits := entered(h, "noInput")
	choices := entered(h, "validateCode")
	if len(places) != 2 || len(waits) != 1 || len(choices) != 2 {
		s.dumpHistory(t, exec)
		t.Fatalf("history: %d placeCall, %d noInput, %d validateCode entered; want 2, 1, 2", len(places), len(waits), len(choices))
	}
	// The first pass through the Choice saw an empty buffer.
	var first []any
	if err := json.Unmarshal([]byte(aws.ToString(choices[0].StateEnteredEventDetails.Input)), &first); err != nil || len(first) != 2 {
		t.Fatalf("first validateCode input %s: %v", aws.ToString(choices[0].StateEnteredEventDetails.Input), err)
	}
	if dp, _ := first[1].(map[string]any)["dtmfParams"].(map[string]any); dp == nil || dp["dtmfBuffer"] != "" {
		t.Errorf("first validateCode input %v, want an empty dtmfBuffer", first[1])
	}
	// Time stamps are in milliseconds: allow 1 ms of rounding.
	gap := places[1].Timestamp.Sub(*waits[0].Timestamp)
	between := places[1].Timestamp.Sub(*places[0].Timestamp)
	t.Logf("placeCall at %s and %s (%.3f s apart); noInput entered %.3f s before the second", places[0].Timestamp.Format("15:04:05.000"), places[1].Timestamp.Format("15:04:05.000"), between.Seconds(), gap.Seconds())
	if gap < 10*time.Second-time.Millisecond {
		t.Errorf("second placeCall %s after noInput was entered, want at least the Wait's 10 s", gap)
	}
	if between < 40*time.Second-time.Millisecond {
		t.Errorf("the two placeCalls are %s apart, want at least the 30 s DTMF timeout plus the 10 s Wait", between)
	}
	if n := tap.packets.Load(); n < 80 {
		t.Errorf("phone received %d PCMU RTP packets over two calls, want the prompt twice", n)
	}
}

// The machine's TimeoutSeconds ends executions the seed's flow would not
// end by itself. The seed loops only on an empty PIN (noInput -> Wait 10 s
// -> placeCall); a busy or unanswered call is no loop: placeCall succeeds
// with status busy/noAnswer and the playPrompt on the unplaced call fails
// the execution with IVR.CallNotFound. So the two cases that reach
// TimeoutSeconds (a copy of the definition with TimeoutSeconds 20) are:
//
//   - ringing: the phone rings and never answers; placeCall rings for the
//     default 30 s ring timeout, past the 20 s. The worker's heartbeat
//     then learns the task is gone and cancels the INVITE (sipp must get
//     CANCEL).
//   - loop: the phone answers and keys only "#" every time; each pass
//     takes ~2 s plus the 10 s Wait, so the third placeCall never comes:
//     the execution times out in the second Wait (or, on a slow machine,
//     before the second pass reaches it).
func TestAlarmIVRTimeoutSeconds(t *testing.T) {
	requireTools(t)
	s := startServer(t)
	act, _ := s.deployAlarm(t)
	sm := s.machine(t, "alarm-timeout-20s", act, func(def map[string]any) { def["TimeoutSeconds"] = 20 })
	sipWorker(t, s, ivr.Config{ActivityArn: act})

	check := func(t *testing.T, exec string) []types.HistoryEvent {
		desc := s.wait(t, exec, 60*time.Second)
		if desc.Status != types.ExecutionStatusTimedOut {
			s.dumpHistory(t, exec)
			t.Fatalf("execution %s %s %s, want TIMED_OUT", desc.Status, aws.ToString(desc.Error), aws.ToString(desc.Cause))
		}
		took := desc.StopDate.Sub(*desc.StartDate)
		t.Logf("timed out %.3f s after start", took.Seconds())
		if took < 20*time.Second-time.Millisecond {
			t.Errorf("timed out after %s, want at least TimeoutSeconds (20 s)", took)
		}
		h := s.history(t, exec)
		if last := h[len(h)-1]; last.Type != types.HistoryEventTypeExecutionTimedOut {
			t.Errorf("last history event %s, want ExecutionTimedOut", last.Type)
		}
		return h
	}

	t.Run("ringing", func(t *testing.T) {
		phone := startSipp(t, ringingScenario, 0, 1, 60*time.Second)
		exec := s.start(t, sm, "ringing", fmt.Sprintf(`{"destinationNumber": "sip:alarm@127.0.0.1:%d", "pin": "1234"}`, phone.port))
		h := check(t, exec)
		if n := len(entered(h, "placeCall")); n != 1 {
			t.Errorf("%d placeCall entered, want 1", n)
		}
		for _, e := range h {
			if e.Type == types.HistoryEventTypeActivitySucceeded || e.Type == types.HistoryEventTypeActivityFailed {
				t.Errorf("history has %s: placeCall should still have been ringing", e.Type)
			}
		}
		// The ringing stops: the worker's heartbeat (1 s here) finds the
		// task gone and cancels the INVITE.
		if err := phone.wait(15 * time.Second); err != nil {
			t.Errorf("phone did not get our CANCEL: %v", err)
		}
	})

	t.Run("loop", func(t *testing.T) {
		tap := newTap(t)
		pcap := filepath.Join(t.TempDir(), "pound.pcap")
		dtmfPcap(t, pcap, "#", 101)
		phone := startSipp(t, uasScenario(tap.port(), keyPcap(pcap)), 0, 2, 60*time.Second)
		exec := s.start(t, sm, "loop", fmt.Sprintf(`{"destinationNumber": "sip:alarm@127.0.0.1:%d", "pin": "1234"}`, phone.port))
		h := check(t, exec)
		// Two passes and two Waits cannot fit in 20 s, so there is no
		// third call; whether the second pass reached its Wait before the
		// timeout depends on the machine's speed, so one noInput is enough.
		places, waits := entered(h, "placeCall"), entered(h, "noInput")
		if len(places) != 2 || len(waits) < 1 {
			s.dumpHistory(t, exec)
			t.Errorf("%d placeCall and %d noInput entered, want 2 and at least 1", len(places), len(waits))
		}
		if err := phone.wait(10 * time.Second); err != nil {
			t.Errorf("phone: %v", err)
		}
	})
}

// Two media service workers poll the same activity, each with its own SIP
// UA and hand-off listener. Commands for a call reach whichever worker
// polls first; the one not holding the call hands them to the owner named
// in the dialog id. Several calls at once make hand-offs all but certain;
// rounds repeat (at most 4) until at least one happened.
func TestAlarmIVRTwoWorkersHandoff(t *testing.T) {
	requireTools(t)
	s := startServer(t)
	act, sm := s.deployAlarm(t)
	cfg := ivr.Config{ActivityArn: act, HandoffListen: "127.0.0.1:0", HandoffSecret: "s3cret", Pollers: 2}
	wa, _ := sipWorker(t, s, cfg)
	wb, _ := sipWorker(t, s, cfg)

	const calls = 6
	pcap := filepath.Join(t.TempDir(), "pin.pcap")
	dtmfPcap(t, pcap, "1234#", 101)
	tap := newTap(t)
	total := 0
	for round := 1; round <= 4; round++ {
		phone := startSipp(t, uasScenario(tap.port(), keyPcap(pcap)), 0, calls, 60*time.Second)
		var execs []string
		for i := 0; i < calls; i++ {
			execs = append(execs, s.start(t, sm, fmt.Sprintf("r%d-call%d", round, i),
				fmt.Sprintf(`{"destinationNumber": "sip:alarm%d@127.0.0.1:%d", "pin": "1234"}`, i, phone.port)))
		}
		owners := map[string]int{}
		for _, e := range execs {
			desc := s.wait(t, e, 60*time.Second)
			if desc.Status != types.ExecutionStatusSucceeded {
				s.dumpHistory(t, e)
				t.Fatalf("%s: %s %s %s, want SUCCEEDED", e, desc.Status, aws.ToString(desc.Error), aws.ToString(desc.Cause))
			}
			var out map[string]any
			_ = json.Unmarshal([]byte(aws.ToString(entered(s.history(t, e), "playAndGetDTMF")[0].StateEnteredEventDetails.Input)), &out)
			id, _ := out["dialogId"].(string)
			owners[id[strings.LastIndexByte(id, '@')+1:]]++
		}
		if err := phone.wait(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		total += calls
		// A hand-off is counted as sent when the 202 comes back, which
		// can be just after the handed-off command has finished.
		var aSent, aRecv, bSent, bRecv int64
		for wait := 0; wait < 100; wait++ {
			aSent, aRecv = wa.HandoffStats()
			bSent, bRecv = wb.HandoffStats()
			if aSent == bRecv && bSent == aRecv {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("round %d: calls held by %v; worker A (%s) handed off %d, took %d; worker B (%s) handed off %d, took %d",
			round, owners, wa.Owner(), aSent, aRecv, wb.Owner(), bSent, bRecv)
		if aSent != bRecv || bSent != aRecv {
			t.Fatalf("hand-offs sent and accepted differ: A->B %d/%d, B->A %d/%d", aSent, bRecv, bSent, aRecv)
		}
		if aSent+bSent > 0 {
			t.Logf("%d executions succeeded, %d commands handed off", total, aSent+bSent)
			return
		}
	}
	t.Fatalf("no command was handed off in %d calls", total)
}
