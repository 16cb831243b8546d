// Package ivrtest provides a fake telephony backend for testing IVR
// workflows without SIP: scripted phones that answer (or not) and key
// digits at given times.
package ivrtest

import (
	"context"
	"sync"
	"time"

	"github.com/statecraft/statecraft/ivr"
)

// Phone scripts how a destination behaves.
type Phone struct {
	Status string        // placeCall outcome; "" = answered
	Keys   string        // digits keyed after answer ...
	After  time.Duration // ... starting this long after answer
	Gap    time.Duration // between keys (default 50 ms)
	// HangupAfter, when set, makes the phone hang up this long after answer.
	HangupAfter time.Duration
}

// Backend is a fake ivr.Backend. Zero value: every destination answers and
// keys nothing.
type Backend struct {
	mu     sync.Mutex
	Phones map[string]Phone
	// PromptDuration is how long a Play lasts (default 300 ms).
	PromptDuration time.Duration
	Calls          []*Call
}

// Call is a fake call.
type Call struct {
	Destination string
	mu          sync.Mutex
	Played      []string
	HungUpByUs  bool
	done        chan struct{}
	once        sync.Once
	promptDur   time.Duration
}

func (b *Backend) Dial(ctx context.Context, req ivr.DialRequest) (ivr.Call, string, error) {
	b.mu.Lock()
	p := b.Phones[req.Destination]
	d := b.PromptDuration
	b.mu.Unlock()
	if p.Status != "" && p.Status != ivr.StatusAnswered {
		return nil, p.Status, nil
	}
	if d <= 0 {
		d = 300 * time.Millisecond
	}
	c := &Call{Destination: req.Destination, done: make(chan struct{}), promptDur: d}
	b.mu.Lock()
	b.Calls = append(b.Calls, c)
	b.mu.Unlock()
	go func() {
		gap := p.Gap
		if gap <= 0 {
			gap = 50 * time.Millisecond
		}
		if p.Keys != "" {
			select {
			case <-time.After(p.After):
			case <-c.done:
				return
			}
			for i, k := range p.Keys {
				if i > 0 {
					select {
					case <-time.After(gap):
					case <-c.done:
						return
					}
				}
				req.OnDigit(k)
			}
		}
		if p.HangupAfter > 0 {
			select {
			case <-time.After(p.HangupAfter):
				c.end(false)
			case <-c.done:
			}
		}
	}()
	return c, ivr.StatusAnswered, nil
}

// CallsTo returns the calls placed to a destination.
func (b *Backend) CallsTo(dest string) []*Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*Call
	for _, c := range b.Calls {
		if c.Destination == dest {
			out = append(out, c)
		}
	}
	return out
}

func (c *Call) end(byUs bool) {
	c.once.Do(func() {
		c.mu.Lock()
		c.HungUpByUs = byUs
		c.mu.Unlock()
		close(c.done)
	})
}

func (c *Call) Play(ctx context.Context, path string) error {
	c.mu.Lock()
	c.Played = append(c.Played, path)
	c.mu.Unlock()
	select {
	case <-time.After(c.promptDur):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return context.Canceled
	}
}

func (c *Call) Hangup(ctx context.Context) error { c.end(true); return nil }

func (c *Call) Done() <-chan struct{} { return c.done }

// Ended reports whether the call ended and whether we hung it up.
func (c *Call) Ended() (ended, byUs bool) {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return true, c.HungUpByUs
	default:
		return false, false
	}
}

// Prompts is a fake ivr.Prompter returning the text as the "path".
type Prompts struct{}

func (Prompts) Say(ctx context.Context, text, voice string, rate int) (string, error) {
	return "say:" + text, nil
}

func (Prompts) Audio(ctx context.Context, src string) (string, error) { return src, nil }
