package ivr_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/ivr"
	"github.com/statecraft/statecraft/ivr/sipua"
)

// requireTools fails (never skips) when the telephony tools are missing.
func requireTools(t testing.TB) {
	t.Helper()
	var missing []string
	for bin, pkg := range map[string]string{"sipp": "sip-tester", "espeak-ng": "espeak-ng", "sox": "sox"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", bin, pkg))
		}
	}
	if len(missing) > 0 {
		t.Fatalf("the IVR end-to-end test needs %s: apt-get install -y sip-tester espeak-ng sox", strings.Join(missing, ", "))
	}
}

// dtmfPcap writes a pcap (Ethernet/IPv4/UDP/RTP) of RFC 4733 events for
// keys at payload type pt, for sipp's play_pcap_audio.
func dtmfPcap(t testing.TB, path, keys string, pt uint8) {
	t.Helper()
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1) // Ethernet
	b.Write(hdr)

	at := time.Duration(0)
	seq := uint16(1000)
	ts := uint32(8000)
	packet := func(marker bool, event byte, end bool, dur uint16) {
		rtp := make([]byte, 16)
		rtp[0] = 0x80
		rtp[1] = pt
		if marker {
			rtp[1] |= 0x80
		}
		binary.BigEndian.PutUint16(rtp[2:], seq)
		binary.BigEndian.PutUint32(rtp[4:], ts)
		binary.BigEndian.PutUint32(rtp[8:], 0x5eed1234)
		rtp[12] = event
		rtp[13] = 10 // volume
		if end {
			rtp[13] |= 0x80
		}
		binary.BigEndian.PutUint16(rtp[14:], dur)
		seq++

		udp := make([]byte, 8, 8+len(rtp))
		binary.BigEndian.PutUint16(udp[0:], 6000)
		binary.BigEndian.PutUint16(udp[2:], 6000)
		binary.BigEndian.PutUint16(udp[4:], uint16(8+len(rtp)))
		udp = append(udp, rtp...)

		ip := make([]byte, 20, 20+len(udp))
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
		ip[8] = 64
		ip[9] = 17
		copy(ip[12:], net.IPv4(127, 0, 0, 1).To4())
		copy(ip[16:], net.IPv4(127, 0, 0, 1).To4())
		var sum uint32
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[i:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		ip = append(ip, udp...)

		eth := make([]byte, 14, 14+len(ip))
		binary.BigEndian.PutUint16(eth[12:], 0x0800)
		eth = append(eth, ip...)

		rec := make([]byte, 16)
		le.PutUint32(rec[0:], uint32(at/time.Second))
		le.PutUint32(rec[4:], uint32((at%time.Second)/time.Microsecond))
		le.PutUint32(rec[8:], uint32(len(eth)))
		le.PutUint32(rec[12:], uint32(len(eth)))
		b.Write(rec)
		b.Write(eth)
	}
	for _, k := range keys {
		ev := byte(strings.IndexRune("0123456789*#ABCD", k))
		// 140 ms of tone: a packet every 20 ms, the first with duration 0
		// (as sipp's own captures do), then three end packets.
		for i := 0; i < 7; i++ {
			packet(i == 0, ev, false, uint16(i*160))
			at += 20 * time.Millisecond
		}
		for i := 0; i < 3; i++ {
			packet(false, ev, true, 7*160)
			at += 5 * time.Millisecond
		}
		at += 150 * time.Millisecond
		ts += 8000 / 2
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// phoneScenario is a sipp UAS: it answers with PCMU and telephone-event,
// lets the prompt play for a second, keys the digits in the pcap as RFC
// 4733 events, and waits for our BYE. Its SDP sends our RTP to mediaPort,
// where the test counts what arrives.
func phoneScenario(pcap string, mediaPort int) string {
	return uasScenario(mediaPort, keyPcap(pcap))
}

// phoneScenarioKeys is phoneScenario keying with the given exec action.
func phoneScenarioKeys(keyAction string, mediaPort int) string {
	return uasScenario(mediaPort, keyAfterPrompt(keyAction))
}

// rtpTap counts the PCMU packets the phone receives and how loud they are.
type rtpTap struct {
	conn    *net.UDPConn
	packets atomic.Int64
	voiced  atomic.Int64 // packets that are not silence
}

func newTap(t testing.TB) *rtpTap {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tap := &rtpTap{conn: c}
	go func() {
		buf := make([]byte, 2048)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if n < 12 || buf[0]>>6 != 2 || buf[1]&0x7f != 0 {
				continue
			}
			tap.packets.Add(1)
			loud := 0
			for _, s := range buf[12:n] {
				// μ-law: 0xff/0x7f are zero; low magnitudes have high codes.
				if s&0x7f < 0x70 {
					loud++
				}
			}
			if loud > 10 {
				tap.voiced.Add(1)
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return tap
}

func (tp *rtpTap) port() int { return tp.conn.LocalAddr().(*net.UDPAddr).Port }

func freeUDPPort(t testing.TB) int {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// The alarm notification workflow end to end: a real Statecraft server,
// the example's state machine, the media service worker over the public
// activity API with the SIP backend, espeak-ng prompts, and sipp as the
// phone keying the PIN as RFC 4733 events while the prompt plays.
func TestAlarmIVRWithSipp(t *testing.T) {
	requireTools(t)
	s := startServer(t)
	act, sm := s.deployAlarm(t)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ua, err := sipua.Start(ctx, sipua.Config{BindHost: "127.0.0.1", BindPort: 0, Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	tts := &ivr.TTS{Dir: t.TempDir()}
	if err := tts.CheckTools(); err != nil {
		t.Fatal(err)
	}
	runWorker(t, s, ivr.Config{ActivityArn: act, Backend: ua, Prompts: tts, HeartbeatInterval: time.Second})

	cases := []struct {
		name, keys string
		playDTMF   bool // sipp's own play_dtmf: telephone-events at PT 96, not the negotiated 101
		status     types.ExecutionStatus
		errName    string
		cause      string
	}{
		{"right-pin", "1234#", false, types.ExecutionStatusSucceeded, "", ""},
		{"wrong-pin", "4321#", false, types.ExecutionStatusFailed, "ErrorA", "Invalid code."},
		{"right-pin-pt96", "1234#", true, types.ExecutionStatusSucceeded, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			pcap := filepath.Join(dir, "pin.pcap")
			dtmfPcap(t, pcap, tc.keys, 101)
			tap := newTap(t)
			scen := filepath.Join(dir, "phone.xml")
			scenario := phoneScenario(pcap, tap.port())
			if tc.playDTMF {
				scenario = phoneScenarioKeys(`<exec play_dtmf="`+tc.keys+`"/>`, tap.port())
			}
			if err := os.WriteFile(scen, []byte(scenario), 0o644); err != nil {
				t.Fatal(err)
			}
			port := freeUDPPort(t)
			var out bytes.Buffer
			sipp := exec.Command("sipp", "-sf", scen, "-i", "127.0.0.1", "-p", fmt.Sprint(port),
				"-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin", "-trace_err", "-default_behaviors", sippBehaviors,
				"-error_file", filepath.Join(dir, "errors.log"))
			sipp.Dir = dir
			sipp.Stdout, sipp.Stderr = &out, &out
			if err := sipp.Start(); err != nil {
				t.Fatal(err)
			}
			sippDone := make(chan error, 1)
			go func() { sippDone <- sipp.Wait() }()
			time.Sleep(300 * time.Millisecond) // sipp's listener

			exec := s.start(t, sm, tc.name, fmt.Sprintf(`{"destinationNumber": "sip:alarm@127.0.0.1:%d", "pin": "1234"}`, port))
			desc := s.wait(t, exec, 40*time.Second)

			var sippErr error
			select {
			case sippErr = <-sippDone:
			case <-time.After(3 * time.Minute):
				_ = sipp.Process.Kill()
				sippErr = <-sippDone
			}
			if sippErr != nil {
				errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
				t.Errorf("sipp: %v\n%s\n%s", sippErr, lastLines(out.String(), 30), errs)
			}
			if desc.Status != tc.status || aws.ToString(desc.Error) != tc.errName || aws.ToString(desc.Cause) != tc.cause {
				s.dumpHistory(t, exec)
				t.Fatalf("execution: %s %q %q, want %s %q %q", desc.Status, aws.ToString(desc.Error), aws.ToString(desc.Cause), tc.status, tc.errName, tc.cause)
			}
			// The prompt reached the phone: about 50 packets a second of
			// PCMU, most of them speech, until our BYE cut it.
			n, voiced := tap.packets.Load(), tap.voiced.Load()
			t.Logf("phone received %d PCMU RTP packets (%d voiced)", n, voiced)
			if n < 40 || voiced < 20 {
				t.Errorf("phone received %d PCMU RTP packets (%d voiced), want the prompt", n, voiced)
			}
		})
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
