package sipua

import (
	"testing"

	"github.com/pion/rtp"
)

func ev(pt uint8, ts uint32, key byte, end bool, dur uint16) *rtp.Packet {
	b1 := byte(10)
	if end {
		b1 |= 0x80
	}
	return &rtp.Packet{Header: rtp.Header{PayloadType: pt, Timestamp: ts}, Payload: []byte{key, b1, byte(dur >> 8), byte(dur)}}
}

func TestEventDecoder(t *testing.T) {
	d := &EventDecoder{PayloadType: 101, AudioPayloadType: 0}
	var got []rune
	feed := func(p *rtp.Packet) {
		if k, ok := d.Decode(p); ok {
			got = append(got, k)
		}
	}
	// negotiated type: first packet (duration 0) reports, the rest do not
	feed(ev(101, 100, 1, false, 0))
	feed(ev(101, 100, 1, false, 160))
	feed(ev(101, 100, 1, true, 320))
	feed(ev(101, 100, 1, true, 320))
	// the same key again is a new event (new timestamp)
	feed(ev(101, 900, 1, false, 0))
	feed(ev(101, 1700, 11, false, 0)) // #
	// audio and non-events are ignored
	feed(&rtp.Packet{Header: rtp.Header{PayloadType: 0, Timestamp: 2000}, Payload: make([]byte, 160)})
	feed(ev(101, 2500, 16, false, 0)) // flash
	// sipp play_dtmf: filler at 97 (timestamp advancing), events at 96
	for i := uint32(0); i < 5; i++ {
		feed(ev(97, 3000+20*i, 0, false, 0))
	}
	feed(ev(96, 4000, 4, false, 0))
	feed(ev(96, 4000, 4, false, 160))
	feed(ev(96, 4000, 4, true, 320))
	if string(got) != "11#4" {
		t.Fatalf("keys %q, want %q", string(got), "11#4")
	}
}
