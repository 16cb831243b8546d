// Package sipua is the media service's SIP backend (ivr.Backend) over
// github.com/emiago/diago: outbound INVITE (directly to a SIP URI or through
// a proxy with digest auth), PCMU playback of 8 kHz WAV prompts over RTP,
// RFC 4733 telephone-event reception at whatever payload type the peer
// uses, and BYE. Calls leave through trunks (a proxy with its digest
// credentials); a trunk with a registrar keeps this user agent registered
// there (register.go), so that the trunk sends inbound calls to it.
package sipua

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/statecraft/statecraft/ivr"
)

// Config configures the SIP user agent.
type Config struct {
	// Transport: "udp" (default) or "tcp".
	Transport string
	// BindHost and BindPort: the local SIP address (default 0.0.0.0:5060;
	// port 0 picks a free one). RTP binds to the same host.
	BindHost string
	BindPort int
	// ExternalHost is the address written into Contact and SDP when it
	// differs from BindHost (NAT). Default: BindHost's address.
	ExternalHost string
	// Proxy is where numbers are sent, e.g. "sip:pbx.example.com:5060";
	// a destination that is itself a sip: URI is dialled directly.
	Proxy string
	// Username and Password answer a digest challenge (401/407).
	Username string
	Password string
	// FromHost is the host of the From URI (default: Proxy's host).
	FromHost string
	// RTPPortStart and RTPPortEnd bound the RTP ports (default: any).
	RTPPortStart, RTPPortEnd int
	// Trunks are further named trunks (DialRequest.Trunk picks one; the
	// fields above are the default trunk, named "").
	Trunks []Trunk
	// Registrar, when set, is where the default trunk registers this
	// user agent (see Trunk.Registrar).
	Registrar string
	// RegisterExpires is the default trunk's registration lifetime.
	RegisterExpires time.Duration
	// UserAgent is the SIP User-Agent name (default "statecraft-ivr").
	UserAgent string
	Log       *slog.Logger
}

// Trunk is a SIP trunk or PBX that calls are placed through.
type Trunk struct {
	Name string
	// Proxy is where numbers are sent, e.g. "sip:pbx.example.com:5060".
	Proxy string
	// Username and Password answer digest challenges (401/407), of
	// INVITE and REGISTER alike.
	Username string
	Password string
	// FromHost is the host of the From URI (default: Proxy's host).
	FromHost string
	// Registrar, when set, is the URI REGISTER is sent to (the address
	// of record is Username at its host): the trunk then sends inbound
	// calls to this user agent's contact, refreshed before it expires,
	// retried with back-off after a failure, removed (Expires: 0) when
	// the user agent stops.
	Registrar string
	// Expires is the registration lifetime asked for (default 3600 s).
	Expires time.Duration
}

// DefaultRegisterExpires is a registration's lifetime unless configured.
const DefaultRegisterExpires = time.Hour

// trunk is a Trunk with its parsed proxy.
type trunk struct {
	Trunk
	proxy *sip.Uri
	reg   *registration
}

// UA is a running SIP user agent; it implements ivr.Backend and
// ivr.InboundBackend.
type UA struct {
	cfg     Config
	dg      *diago.Diago
	ua      *sipgo.UserAgent
	log     *slog.Logger
	trunks  map[string]*trunk
	inbound atomic.Pointer[func(*ivr.InboundCall)]
	regWG   sync.WaitGroup
}

// SetInboundHandler sets what is done with inbound calls (INVITEs): h
// answers or rejects the offered call; it is called on the INVITE's own
// goroutine. Without a handler, inbound calls are rejected with 480.
func (u *UA) SetInboundHandler(h func(*ivr.InboundCall)) {
	if h == nil {
		u.inbound.Store(nil)
		return
	}
	u.inbound.Store(&h)
}

// Start creates the user agent and starts listening; it stops when ctx is
// done.
func Start(ctx context.Context, cfg Config) (*UA, error) {
	if cfg.Transport == "" {
		cfg.Transport = "udp"
	}
	if cfg.BindHost == "" {
		cfg.BindHost = "0.0.0.0"
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "statecraft-ivr"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	u := &UA{cfg: cfg, log: cfg.Log.With("component", "sip"), trunks: map[string]*trunk{}}
	all := append([]Trunk{{Proxy: cfg.Proxy, Username: cfg.Username, Password: cfg.Password, FromHost: cfg.FromHost,
		Registrar: cfg.Registrar, Expires: cfg.RegisterExpires}}, cfg.Trunks...)
	for i, t := range all {
		if i > 0 && t.Name == "" {
			return nil, fmt.Errorf("sip trunk %d has no name", i)
		}
		if _, dup := u.trunks[t.Name]; dup {
			return nil, fmt.Errorf("sip trunk %q is configured twice", t.Name)
		}
		tr := &trunk{Trunk: t}
		if t.Proxy != "" {
			p, err := parseURI(t.Proxy)
			if err != nil {
				return nil, fmt.Errorf("sip proxy %q of trunk %q: %w", t.Proxy, t.Name, err)
			}
			tr.proxy = &p
		}
		if t.Registrar != "" {
			r, err := parseURI(t.Registrar)
			if err != nil {
				return nil, fmt.Errorf("sip registrar %q of trunk %q: %w", t.Registrar, t.Name, err)
			}
			if t.Username == "" {
				return nil, fmt.Errorf("sip trunk %q registers but has no user", t.Name)
			}
			if tr.Expires <= 0 {
				tr.Expires = DefaultRegisterExpires
			}
			tr.reg = &registration{registrar: r}
		}
		u.trunks[t.Name] = tr
	}
	if cfg.RTPPortStart > 0 && cfg.RTPPortEnd > cfg.RTPPortStart {
		media.RTPPortStart, media.RTPPortEnd = cfg.RTPPortStart, cfg.RTPPortEnd
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(cfg.UserAgent))
	if err != nil {
		return nil, err
	}
	u.ua = ua
	u.dg = diago.NewDiago(ua,
		diago.WithLogger(u.log),
		diago.WithTransport(diago.Transport{
			Transport:    cfg.Transport,
			BindHost:     cfg.BindHost,
			BindPort:     cfg.BindPort,
			ExternalHost: cfg.ExternalHost,
		}),
		diago.WithMediaConfig(diago.MediaConfig{
			Codecs: []media.Codec{media.CodecAudioUlaw, media.CodecTelephoneEvent8000},
		}),
	)
	// The transport outlives ctx until the trunks have unregistered.
	serveCtx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	err = u.dg.ServeBackground(serveCtx, u.serveInbound)
	if err != nil {
		stopServe()
		return nil, fmt.Errorf("sip listen %s:%d/%s: %w", cfg.BindHost, cfg.BindPort, cfg.Transport, err)
	}
	rctx, stopRegs := context.WithCancel(context.WithoutCancel(ctx))
	for _, tr := range u.trunks {
		if tr.reg != nil {
			u.regWG.Add(1)
			go u.register(rctx, tr)
		}
	}
	go func() {
		<-ctx.Done()
		// Unregister before the transport closes.
		stopRegs()
		u.regWG.Wait()
		stopServe()
		_ = ua.Close()
	}()
	return u, nil
}

func parseURI(s string) (sip.Uri, error) {
	var p sip.Uri
	if !strings.HasPrefix(s, "sip:") && !strings.HasPrefix(s, "sips:") {
		s = "sip:" + s
	}
	err := sip.ParseUri(s, &p)
	return p, err
}

// target turns a destination into a request URI.
func (u *UA) target(tr *trunk, dest string) (sip.Uri, error) {
	var uri sip.Uri
	if strings.HasPrefix(dest, "sip:") || strings.HasPrefix(dest, "sips:") {
		if err := sip.ParseUri(dest, &uri); err != nil {
			return uri, fmt.Errorf("destination %q is not a SIP URI: %w", dest, err)
		}
		return uri, nil
	}
	if tr.proxy == nil {
		if tr.Name != "" {
			return uri, fmt.Errorf("destination %q is a number but SIP trunk %q has no proxy", dest, tr.Name)
		}
		return uri, fmt.Errorf("destination %q is a number but no SIP proxy is configured (give a sip: URI or configure a proxy)", dest)
	}
	user := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' {
			return -1
		}
		return r
	}, dest)
	uri = sip.Uri{Scheme: tr.proxy.Scheme, User: user, Host: tr.proxy.Host, Port: tr.proxy.Port, UriParams: tr.proxy.UriParams}
	return uri, nil
}

// Dial places an outbound call.
func (u *UA) Dial(ctx context.Context, req ivr.DialRequest) (ivr.Call, string, error) {
	tr := u.trunks[req.Trunk]
	if tr == nil {
		return nil, "", &ivr.TaskError{Name: ivr.ErrInvalidInput, Cause: fmt.Sprintf("no SIP trunk %q is configured", req.Trunk)}
	}
	recipient, err := u.target(tr, req.Destination)
	if err != nil {
		return nil, "", &ivr.TaskError{Name: ivr.ErrInvalidInput, Cause: err.Error()}
	}
	ring := req.RingTimeout
	if ring <= 0 {
		ring = ivr.DefaultRingTimeout
	}
	var d *diago.DialogClientSession
	for attempt := 0; ; attempt++ {
		d, err = u.dg.NewDialog(recipient, diago.NewDialogOptions{})
		if err != nil {
			return nil, "", err
		}
		opts := diago.InviteClientOptions{Username: tr.Username, Password: tr.Password}
		if req.CallerID != "" {
			host := tr.FromHost
			if host == "" && tr.proxy != nil {
				host = tr.proxy.Host
			}
			if host == "" {
				host = recipient.Host
			}
			opts.WithCaller("", req.CallerID, host)
		}
		rctx, cancel := context.WithTimeout(ctx, ring)
		err = d.Invite(rctx, opts)
		if err == nil {
			err = d.Ack(ctx)
		}
		cancel()
		if err == nil {
			break
		}
		_ = d.Close()
		// sipgo can report its listener ready just before it is usable.
		if errors.Is(err, syscall.EADDRINUSE) && attempt < 5 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		var resp *sipgo.ErrDialogResponse
		var respv sipgo.ErrDialogResponse
		code := 0
		if errors.As(err, &resp) {
			code = int(resp.Res.StatusCode)
		} else if errors.As(err, &respv) {
			code = int(respv.Res.StatusCode)
		}
		switch {
		case code == 486 || code == 600:
			return nil, ivr.StatusBusy, nil
		case code == 408 || code == 480 || code == 487 || code == 603,
			code == 0 && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) && ctx.Err() == nil:
			return nil, ivr.StatusNoAnswer, nil
		case code != 0:
			u.log.Info("call failed", "destination", req.Destination, "code", code)
			return nil, ivr.StatusFailed, nil
		}
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		u.log.Warn("invite failed", "destination", req.Destination, "err", err)
		return nil, ivr.StatusFailed, nil
	}
	c := &call{d: d, log: u.log, done: make(chan struct{}), onDigit: req.OnDigit}
	c.start()
	return c, ivr.StatusAnswered, nil
}

// serveInbound offers an INVITE to the inbound handler. diago ends the
// dialog when this returns, so it holds an answered call until it ends.
func (u *UA) serveInbound(d *diago.DialogServerSession) {
	hp := u.inbound.Load()
	if hp == nil {
		_ = d.DialogServerSession.Respond(480, "Temporarily Unavailable", nil)
		return
	}
	called := d.InviteRequest.Recipient.User
	// A trunk sends calls for a registered number to the registered
	// contact, whose user is this user agent's name: the number called is
	// then the To header's.
	if called == "" || called == u.cfg.UserAgent {
		called = d.ToUser()
	}
	var answered *call
	responded := false
	ic := &ivr.InboundCall{
		Caller: d.FromUser(),
		Called: called,
		CallID: d.InviteRequest.CallID().Value(),
		Answer: func(ctx context.Context, onDigit func(rune)) (ivr.Call, error) {
			if responded {
				return nil, errors.New("the call was already answered or rejected")
			}
			responded = true
			if err := d.Answer(); err != nil {
				return nil, err
			}
			answered = &call{d: d, log: u.log, done: make(chan struct{}), onDigit: onDigit}
			answered.start()
			return answered, nil
		},
		Reject: func(code int, reason string) error {
			if responded {
				return errors.New("the call was already answered or rejected")
			}
			responded = true
			return d.DialogServerSession.Respond(code, reason, nil)
		},
	}
	_ = d.Trying()
	(*hp)(ic)
	if !responded {
		_ = d.DialogServerSession.Respond(480, "Temporarily Unavailable", nil)
		return
	}
	if answered != nil {
		<-answered.Done()
	}
}

// dialog is what a call needs of an outbound (client) or inbound
// (server) dialog.
type dialog interface {
	Context() context.Context
	Hangup(ctx context.Context) error
	Media() *diago.DialogMedia
	Close() error
}

// call is one answered call, placed or received.
type call struct {
	d       dialog
	log     *slog.Logger
	onDigit func(rune)

	playMu   sync.Mutex
	done     chan struct{}
	doneOnce sync.Once // closes done
	once     sync.Once // closes the dialog

	rtpIn  int // packets received, for logs
	events int
}

func (c *call) start() {
	go func() {
		<-c.d.Context().Done()
		c.finish()
	}()
	go c.readRTP()
}

func (c *call) finish() {
	c.stopMedia()
	c.once.Do(func() { _ = c.d.Close() })
}

// stopMedia marks the call ended for its media: playback stops and
// commands see it ended.
func (c *call) stopMedia() { c.doneOnce.Do(func() { close(c.done) }) }

func (c *call) Done() <-chan struct{} { return c.done }

func (c *call) Hangup(ctx context.Context) error {
	select {
	case <-c.done:
		return nil
	default:
	}
	// RFC 3261 15.1.1: the session, media included, ends as soon as the
	// BYE is handed to its transaction; the answer need not be awaited,
	// and waiting for it would put a round trip to the phone on every
	// workflow's path after hangupCall.
	c.stopMedia()
	go func() {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := c.d.Hangup(hctx); err != nil {
			c.log.Warn("BYE", "err", err)
		}
		c.finish()
	}()
	return nil
}

// Play streams a WAV file as PCMU; ctx stops it.
func (c *call) Play(ctx context.Context, path string) error {
	c.playMu.Lock()
	defer c.playMu.Unlock()
	select {
	case <-c.done:
		return context.Canceled
	default:
	}
	pb, err := c.d.Media().PlaybackCreate()
	if err != nil {
		return err
	}
	f, err := openFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	stop := make(chan struct{})
	defer close(stop)
	r := &ctxReader{r: f, ctx: ctx, done: c.done}
	_, err = pb.Play(r, "audio/wav")
	if ctx.Err() != nil {
		return ctx.Err()
	}
	select {
	case <-c.done:
		return context.Canceled
	default:
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// ctxReader ends a playback (EOF) when ctx is done or the call ended.
type ctxReader struct {
	r    io.Reader
	ctx  context.Context
	done <-chan struct{}
}

func (r *ctxReader) Read(b []byte) (int, error) {
	select {
	case <-r.ctx.Done():
		return 0, io.EOF
	case <-r.done:
		return 0, io.EOF
	default:
	}
	return r.r.Read(b)
}

// readRTP reads the incoming RTP stream and reports RFC 4733 events.
// It reads the media session directly: diago's own reader drops packets
// whose payload type it did not configure, and its DTMF reader drops
// events whose first packet has duration 0.
func (c *call) readRTP() {
	ms := c.d.Media().MediaSession()
	if ms == nil {
		return
	}
	tePT := -1
	audioPT := -1
	for _, cd := range ms.CommonCodecs() {
		if strings.EqualFold(cd.Name, "telephone-event") && tePT < 0 {
			tePT = int(cd.PayloadType)
		} else if audioPT < 0 {
			audioPT = int(cd.PayloadType)
		}
	}
	dec := &EventDecoder{PayloadType: tePT, AudioPayloadType: audioPT}
	buf := make([]byte, media.RTPBufSize)
	var pkt rtp.Packet
	for {
		_, err := ms.ReadRTP(buf, &pkt)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			select {
			case <-c.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
				return
			}
			continue // a malformed packet
		}
		c.rtpIn++
		if k, ok := dec.Decode(&pkt); ok {
			c.events++
			c.log.Debug("dtmf", "key", string(k), "pt", pkt.PayloadType)
			if c.onDigit != nil {
				c.onDigit(k)
			}
		}
	}
}

// EventDecoder turns RFC 4733 telephone-event packets into keys, once per
// event (RTP timestamp), whether or not its first packet has duration 0.
type EventDecoder struct {
	// PayloadType is the negotiated telephone-event payload type (-1:
	// unknown). Some peers (sipp's play_dtmf) send events at another
	// dynamic payload type: a stream at another dynamic type (96-127, not
	// AudioPayloadType) with 4-byte payloads counts as telephone-events
	// once two packets share a timestamp (one event), which filler
	// packets, whose timestamp advances every packet, never do.
	PayloadType      int
	AudioPayloadType int

	have      bool
	lastTS    uint32
	lastPT    uint8
	pendTS    uint32 // unconfirmed event at a non-negotiated type
	pendPT    uint8
	pendValid bool
}

const keys = "0123456789*#ABCD"

// Decode returns the key of a packet starting a new event.
func (e *EventDecoder) Decode(p *rtp.Packet) (rune, bool) {
	pt := int(p.PayloadType)
	if len(p.Payload) < 4 || int(p.Payload[0]) >= len(keys) {
		return 0, false // not an event, or flash and other non-key events
	}
	if e.have && p.Timestamp == e.lastTS && p.PayloadType == e.lastPT {
		return 0, false // same event: retransmission, update or end
	}
	if pt != e.PayloadType {
		if pt < 96 || pt > 127 || pt == e.AudioPayloadType || len(p.Payload) != 4 {
			return 0, false
		}
		if !e.pendValid || e.pendTS != p.Timestamp || e.pendPT != p.PayloadType {
			e.pendTS, e.pendPT, e.pendValid = p.Timestamp, p.PayloadType, true
			return 0, false
		}
	}
	e.pendValid = false
	e.have, e.lastTS, e.lastPT = true, p.Timestamp, p.PayloadType
	return rune(keys[p.Payload[0]]), true
}

func openFile(path string) (io.ReadCloser, error) { return os.Open(path) }
