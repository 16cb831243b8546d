package ivr_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/statecraft/statecraft/ivr"
	"github.com/statecraft/statecraft/ivr/sipua"
)

// Measurements of the media service over real SIP/RTP with sipp as the
// phone. Run them with, e.g.:
//
//	go test ./ivr/ -run '^$' -bench AlarmIVR -benchtime 100x
//
// They report percentiles as custom metrics (p50-ms, p99-ms, ...); ns/op
// is the whole iteration and means little.

// keyer is the phone's media side, in the test: sipp answers with an SDP
// naming the keyer's UDP port, so our RTP (the prompt) arrives here. When
// a new call's first PCMU packet arrives (a new RTP stream: source address
// and SSRC), the keyer waits a little and
// sends "1234#" back to the packet's source (the worker's RTP socket) as
// RFC 4733 telephone-events at payload type 101, noting when it wrote the
// first packet of the "#" event: that is "# on the wire".
type keyer struct {
	conn   *net.UDPConn
	keys   string
	delay  time.Duration
	pounds chan time.Time // one per call, when "#" was sent
	calls  atomic.Int64

	mu   sync.Mutex
	seen map[string]bool
}

func newKeyer(t testing.TB, keys string, delay time.Duration, buffer int) *keyer {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	k := &keyer{conn: c, keys: keys, delay: delay, pounds: make(chan time.Time, buffer), seen: map[string]bool{}}
	go k.read()
	t.Cleanup(func() { c.Close() })
	return k
}

func (k *keyer) port() int { return k.conn.LocalAddr().(*net.UDPAddr).Port }

func (k *keyer) read() {
	buf := make([]byte, 2048)
	for {
		n, from, err := k.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if n < 12 || buf[0]>>6 != 2 || buf[1]&0x7f != 0 {
			continue
		}
		// A call is its RTP stream: source address and SSRC. The source
		// address alone is not enough: over many calls the worker's RTP
		// ports are reused, and a call reusing an earlier call's port
		// was taken for that call and never keyed (it then ended in
		// noInput, and its second placeCall found sipp done with its
		// -m calls: no answer, Timer B, "failed").
		key := from.String() + "/" + fmt.Sprintf("%08x", binary.BigEndian.Uint32(buf[8:12]))
		k.mu.Lock()
		isNew := !k.seen[key]
		k.seen[key] = true
		k.mu.Unlock()
		if isNew {
			k.calls.Add(1)
			go k.key(from)
		}
	}
}

// key sends the keys to to: per key, 60 ms of events (a packet every 20
// ms, the first with duration 0) and three end packets, then 40 ms of
// nothing.
func (k *keyer) key(to *net.UDPAddr) {
	time.Sleep(k.delay)
	seq := uint16(1)
	ts := uint32(16000)
	ssrc := uint32(0x5eed0000) + uint32(to.Port)
	send := func(marker bool, event byte, end bool, dur uint16) {
		p := make([]byte, 16)
		p[0] = 0x80
		p[1] = 101
		if marker {
			p[1] |= 0x80
		}
		binary.BigEndian.PutUint16(p[2:], seq)
		binary.BigEndian.PutUint32(p[4:], ts)
		binary.BigEndian.PutUint32(p[8:], ssrc)
		p[12] = event
		p[13] = 10
		if end {
			p[13] |= 0x80
		}
		binary.BigEndian.PutUint16(p[14:], dur)
		seq++
		_, _ = k.conn.WriteToUDP(p, to)
	}
	for _, c := range k.keys {
		ev := byte(strings.IndexRune("0123456789*#ABCD", c))
		for i := 0; i < 3; i++ {
			if c == '#' && i == 0 {
				k.pounds <- time.Now()
			}
			send(i == 0, ev, false, uint16(i*160))
			time.Sleep(20 * time.Millisecond)
		}
		for i := 0; i < 3; i++ {
			send(false, ev, true, 3*160)
		}
		time.Sleep(40 * time.Millisecond)
		ts += 8000
	}
}

// percentile returns the nearest-rank q-quantile of sorted ds.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(float64(len(ds))*q+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(ds) {
		i = len(ds) - 1
	}
	return ds[i]
}

func reportPercentiles(b *testing.B, prefix string, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(ds, 0.5)), prefix+"p50-ms")
	b.ReportMetric(ms(percentile(ds, 0.99)), prefix+"p99-ms")
	b.ReportMetric(ms(ds[len(ds)-1]), prefix+"max-ms")
}

// BenchmarkAlarmIVRCallSetup measures outbound call set-up over the SIP
// backend: from Dial (our INVITE) to the call answered (200 OK received
// and ACK sent), to sipp answering at once on loopback.
func BenchmarkAlarmIVRCallSetup(b *testing.B) {
	requireTools(b)
	uctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	ua, err := sipua.Start(uctx, sipua.Config{BindHost: "127.0.0.1", BindPort: 0, Log: testLogger(b)})
	if err != nil {
		b.Fatal(err)
	}
	tap := newTap(b)
	phone := startSipp(b, uasScenario(tap.port(), ""), 0, b.N, time.Duration(b.N+60)*time.Second)
	dest := fmt.Sprintf("sip:alarm@127.0.0.1:%d", phone.port)
	ctx := context.Background()
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		call, status, err := ua.Dial(ctx, ivr.DialRequest{Destination: dest, RingTimeout: 10 * time.Second})
		d := time.Since(t0)
		if err != nil || call == nil {
			b.Fatalf("call %d: %s %v", i, status, err)
		}
		ds = append(ds, d)
		if err := call.Hangup(ctx); err != nil {
			b.Fatalf("hangup %d: %v", i, err)
		}
	}
	b.StopTimer()
	if err := phone.wait(30 * time.Second); err != nil {
		b.Fatal(err)
	}
	reportPercentiles(b, "setup-", ds)
}

// BenchmarkAlarmIVRDTMFToChoice measures, per execution of the alarm
// workflow, the time from the first RTP packet of the "#" event written
// to the worker's RTP socket to the workflow entering the validateCode
// Choice (the ChoiceStateEntered time stamp, millisecond resolution, from
// the execution history of the in-process server: same clock). Between
// them: the RTP read and event decoding, waitForDTMF's SendTaskSuccess,
// the engine scheduling hangupCall, a worker poll taking it, BYE and its
// 200 OK, the playPrompt branch ending (interrupted) and the Parallel
// joining. One execution at a time.
func BenchmarkAlarmIVRDTMFToChoice(b *testing.B) {
	requireTools(b)
	s := startServer(b)
	act, sm := s.deployAlarm(b)
	sipWorker(b, s, ivr.Config{ActivityArn: act})
	k := newKeyer(b, "1234#", 100*time.Millisecond, b.N)
	phone := startSipp(b, uasScenario(k.port(), ""), 0, b.N, time.Duration(5*b.N+60)*time.Second)
	input := fmt.Sprintf(`{"destinationNumber": "sip:alarm@127.0.0.1:%d", "pin": "1234"}`, phone.port)
	var toChoice, toDTMFDone []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		exec := s.start(b, sm, fmt.Sprintf("bench-%d-%d", b.N, i), input)
		var pound time.Time
		select {
		case pound = <-k.pounds:
		case <-time.After(30 * time.Second):
			s.dumpHistory(b, exec)
			b.Fatalf("execution %d: no call keyed", i)
		}
		desc := s.wait(b, exec, 30*time.Second)
		if desc.Status != types.ExecutionStatusSucceeded {
			s.dumpHistory(b, exec)
			b.Fatalf("execution %d: %s", i, desc.Status)
		}
		h := s.history(b, exec)
		choice := entered(h, "validateCode")
		if len(choice) != 1 {
			b.Fatalf("execution %d: validateCode entered %d times", i, len(choice))
		}
		toChoice = append(toChoice, choice[0].Timestamp.Sub(pound))
		if os.Getenv("IVR_BENCH_EXPLAIN") != "" && choice[0].Timestamp.Sub(pound) > explainOver() {
			var lines []string
			for _, e := range h {
				if d := e.Timestamp.Sub(pound); d > -50*time.Millisecond {
					name := ""
					if e.StateEnteredEventDetails != nil {
						name = aws.ToString(e.StateEnteredEventDetails.Name)
					} else if e.StateExitedEventDetails != nil {
						name = aws.ToString(e.StateExitedEventDetails.Name)
					}
					lines = append(lines, fmt.Sprintf("  %+7.1f ms %s %s", float64(d)/1e6, e.Type, name))
				}
			}
			b.Logf("execution %d: # to Choice %s\n%s", i, choice[0].Timestamp.Sub(pound), strings.Join(lines, "\n"))
		}
		for _, e := range h {
			if d := e.StateExitedEventDetails; d != nil && aws.ToString(d.Name) == "waitForCode" {
				toDTMFDone = append(toDTMFDone, e.Timestamp.Sub(pound))
			}
		}
	}
	b.StopTimer()
	if err := phone.wait(30 * time.Second); err != nil {
		b.Fatal(err)
	}
	reportPercentiles(b, "pound-to-choice-", toChoice)
	reportPercentiles(b, "pound-to-waitForCode-exit-", toDTMFDone)
}

// BenchmarkAlarmIVRConcurrent50 runs 50 alarm executions at once (50
// calls up at the same time, each playing the prompt and keyed the right
// PIN) per iteration, and reports this process's CPU time per call and
// the peak growth of its RSS, Go heap and goroutines per call while they
// run. The process holds the in-process Statecraft server (engine, API,
// SQLite) as well as the worker and SIP UA, so CPU and memory include the
// server's share; sipp's CPU is reported separately.
func BenchmarkAlarmIVRConcurrent50(b *testing.B) {
	const calls = 50
	requireTools(b)
	s := startServer(b)
	act, sm := s.deployAlarm(b)
	sipWorker(b, s, ivr.Config{ActivityArn: act, Pollers: 8})
	// Keys a second after the prompt starts, so that all 50 calls are up
	// at once (max-concurrent-calls reports it, from the histories).
	k := newKeyer(b, "1234#", time.Second, calls*b.N)

	var concurrent []float64
	var cpuPerCall, sippCPUPerCall, rssPerCall, heapPerCall, gorPerCall, wall []float64
	for it := 0; it < b.N; it++ {
		phone := startSipp(b, uasScenario(k.port(), ""), 0, calls, 120*time.Second)
		input := fmt.Sprintf(`{"destinationNumber": "sip:alarm@127.0.0.1:%d", "pin": "1234"}`, phone.port)
		runtime.GC()
		rss0, heap0, gor0 := rssBytes(), heapInuse(), runtime.NumGoroutine()
		cpu0 := cpuTime()
		var peakRSS, peakHeap uint64
		var peakGor int
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				peakRSS = max(peakRSS, rssBytes())
				peakHeap = max(peakHeap, heapInuse())
				peakGor = max(peakGor, runtime.NumGoroutine())
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		t0 := time.Now()
		execs := make([]string, calls)
		for i := range execs {
			execs[i] = s.start(b, sm, fmt.Sprintf("c50-%d-%d-%d", b.N, it, i), input)
		}
		for i, e := range execs {
			desc := s.wait(b, e, 90*time.Second)
			if desc.Status != types.ExecutionStatusSucceeded {
				s.dumpHistory(b, e)
				b.Fatalf("call %d: %s %s", i, desc.Status, aws.ToString(desc.Cause))
			}
		}
		wall = append(wall, time.Since(t0).Seconds())
		cpu := cpuTime() - cpu0
		close(stop)
		<-sampled
		concurrent = append(concurrent, float64(maxCallsUp(b, s, execs)))
		if err := phone.wait(30 * time.Second); err != nil {
			b.Fatal(err)
		}
		ps := phone.cmd.ProcessState
		sippCPUPerCall = append(sippCPUPerCall, float64(ps.UserTime()+ps.SystemTime())/float64(time.Millisecond)/calls)
		cpuPerCall = append(cpuPerCall, float64(cpu)/float64(time.Millisecond)/calls)
		rssPerCall = append(rssPerCall, float64(int64(peakRSS)-int64(rss0))/1024/calls)
		heapPerCall = append(heapPerCall, float64(int64(peakHeap)-int64(heap0))/1024/calls)
		gorPerCall = append(gorPerCall, float64(peakGor-gor0)/calls)
	}
	mean := func(xs []float64) float64 {
		var s float64
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	b.ReportMetric(mean(cpuPerCall), "cpu-ms/call")
	b.ReportMetric(mean(sippCPUPerCall), "sipp-cpu-ms/call")
	b.ReportMetric(mean(rssPerCall), "peak-rss-KB/call")
	b.ReportMetric(mean(heapPerCall), "peak-heap-KB/call")
	b.ReportMetric(mean(gorPerCall), "goroutines/call")
	b.ReportMetric(mean(wall), "wall-s/50calls")
	b.ReportMetric(mean(concurrent), "max-concurrent-calls")
	if n := k.calls.Load(); n != int64(calls*b.N) {
		b.Errorf("keyer saw %d calls, want %d", n, calls*b.N)
	}
}

// maxCallsUp is the largest number of the executions' calls that were up
// at the same time: each from its placeCall's exit to its hangupCall's.
func maxCallsUp(b *testing.B, s *server, execs []string) int {
	type edge struct {
		at time.Time
		d  int
	}
	var edges []edge
	for _, e := range execs {
		for _, ev := range s.history(b, e) {
			if d := ev.StateExitedEventDetails; d != nil {
				switch aws.ToString(d.Name) {
				case "placeCall":
					edges = append(edges, edge{*ev.Timestamp, 1})
				case "hangupCall":
					edges = append(edges, edge{*ev.Timestamp, -1})
				}
			}
		}
	}
	sort.Slice(edges, func(i, j int) bool {
		if !edges[i].at.Equal(edges[j].at) {
			return edges[i].at.Before(edges[j].at)
		}
		return edges[i].d < edges[j].d
	})
	up, peak := 0, 0
	for _, e := range edges {
		up += e.d
		peak = max(peak, up)
	}
	return peak
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapInuse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// rssBytes reads VmRSS from /proc/self/status (0 if unavailable).
func rssBytes() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n * 1024
		}
	}
	return 0
}

// explainOver is the # to Choice time past which IVR_BENCH_EXPLAIN logs an
// execution's events (IVR_BENCH_EXPLAIN_MS, default 100 ms).
func explainOver() time.Duration {
	if ms, err := strconv.Atoi(os.Getenv("IVR_BENCH_EXPLAIN_MS")); err == nil {
		return time.Duration(ms) * time.Millisecond
	}
	return 100 * time.Millisecond
}
