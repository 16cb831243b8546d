package ivr

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// Call outcomes of placeCall.
const (
	StatusAnswered = "answered"
	StatusBusy     = "busy"
	StatusNoAnswer = "noAnswer"
	StatusFailed   = "failed"
)

// DialRequest asks a Backend for an outbound call.
type DialRequest struct {
	Destination string        // a number (sent to the trunk's proxy) or a sip: URI
	Trunk       string        // the SIP trunk ("" the default one)
	CallerID    string        // optional
	RingTimeout time.Duration // how long to let it ring
	// OnDigit receives every DTMF key the far end sends, from answer on.
	OnDigit func(key rune)
}

// Call is an answered call held by a Backend.
type Call interface {
	// Play plays an 8 kHz mono 16-bit WAV file until it ends or ctx is
	// done; it returns ctx.Err() when stopped by ctx.
	Play(ctx context.Context, wavPath string) error
	// Hangup ends the call (BYE). Calling it on an ended call is a no-op.
	Hangup(ctx context.Context) error
	// Done is closed when the call has ended, by either side.
	Done() <-chan struct{}
}

// Backend places calls.
type Backend interface {
	// Dial places a call. A call that was not answered returns a nil Call,
	// the status (busy, noAnswer, failed) and a nil error; err is for
	// failures of the service itself (bad destination, no network).
	Dial(ctx context.Context, req DialRequest) (Call, string, error)
}

// callState is one call this worker holds, with its DTMF buffer.
type callState struct {
	id          string
	destination string
	call        Call
	started     time.Time

	mu         sync.Mutex
	digits     []rune        // keyed since answer, not yet consumed by waitForDTMF
	changed    chan struct{} // closed and replaced on every digit and on hangup
	ended      bool
	byUs       bool   // we hung up (hangupCall)
	lastBuffer string // the last waitForDTMF result, for hangupCall
}

func newCallState(id, destination string) *callState {
	return &callState{id: id, destination: destination, started: time.Now(), changed: make(chan struct{})}
}

func (c *callState) addDigit(k rune) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.digits = append(c.digits, k)
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *callState) markEnded(byUs bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.ended = true
	c.byUs = byUs
	close(c.changed)
	c.changed = make(chan struct{})
}

// snapshot returns the buffered digits, whether the call ended, and a
// channel closed on the next change.
func (c *callState) snapshot() ([]rune, bool, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]rune(nil), c.digits...), c.ended, c.changed
}

// consume removes the first n buffered digits.
func (c *callState) consume(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n > len(c.digits) {
		n = len(c.digits)
	}
	c.digits = append(c.digits[:0], c.digits[n:]...)
}

// Registry holds the calls of one worker, by dialog id.
type Registry struct {
	mu    sync.Mutex
	calls map[string]*callState
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{calls: map[string]*callState{}} }

func (r *Registry) add(c *callState) {
	r.mu.Lock()
	r.calls[c.id] = c
	r.mu.Unlock()
}

func (r *Registry) get(id string) *callState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}

func (r *Registry) remove(id string) {
	r.mu.Lock()
	delete(r.calls, id)
	r.mu.Unlock()
}

// Len is the number of calls held.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (r *Registry) all() []*callState {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*callState, 0, len(r.calls))
	for _, c := range r.calls {
		out = append(out, c)
	}
	return out
}

// Dialog ids are "<random>@<owner>", where owner is the hand-off address
// (host:port) of the worker holding the call, or "local".
func newDialogID(owner string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	if owner == "" {
		owner = "local"
	}
	return "d" + hex.EncodeToString(b[:]) + "@" + owner
}

// ownerOf returns the owner part of a dialog id ("" if none).
func ownerOf(dialogID string) string {
	i := strings.LastIndexByte(dialogID, '@')
	if i < 0 {
		return ""
	}
	return dialogID[i+1:]
}
