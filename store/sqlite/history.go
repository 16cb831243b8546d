package sqlite

import (
	"encoding/binary"
	"errors"

	"github.com/statecraft/statecraft/store"
)

// A row of the events table holds the events of one step (migration
// 0013): the first in its columns, the others in more, one after the
// other, each as
//
//	uvarint len(type), type, varint ts (Unix ns), uvarint len(body), body
//
// with ids following on from the row's id. last_id is the row's last id,
// NULL (as more) when the row holds one event.

// packable tells whether evs can share one row: their ids follow on.
func packable(evs []store.Event) bool {
	for i := 1; i < len(evs); i++ {
		if evs[i].ID != evs[0].ID+int64(i) {
			return false
		}
	}
	return true
}

// packEvents encodes the events after a row's first one (more).
func packEvents(evs []store.Event) []byte {
	n := 0
	for _, ev := range evs {
		n += len(ev.Type) + len(ev.Body) + 3*binary.MaxVarintLen64
	}
	b := make([]byte, 0, n)
	for _, ev := range evs {
		b = binary.AppendUvarint(b, uint64(len(ev.Type)))
		b = append(b, ev.Type...)
		b = binary.AppendVarint(b, toNanos(ev.Timestamp))
		b = binary.AppendUvarint(b, uint64(len(ev.Body)))
		b = append(b, ev.Body...)
	}
	return b
}

var errPacked = errors.New("store/sqlite: events row: more is malformed")

// UnpackEvents appends to out the events of one row of the events table:
// first, then those packed in more (nil for a row of one event). Backups
// and tests that read the table with SQL use it too.
func UnpackEvents(out []store.Event, first store.Event, more []byte) ([]store.Event, error) {
	out = append(out, first)
	for id := first.ID + 1; len(more) > 0; id++ {
		ev := store.Event{ID: id}
		n, k := binary.Uvarint(more)
		if k <= 0 || uint64(len(more)-k) < n {
			return out, errPacked
		}
		ev.Type, more = string(more[k:k+int(n)]), more[k+int(n):]
		ts, k := binary.Varint(more)
		if k <= 0 {
			return out, errPacked
		}
		ev.Timestamp, more = fromNanos(ts), more[k:]
		n, k = binary.Uvarint(more)
		if k <= 0 || uint64(len(more)-k) < n {
			return out, errPacked
		}
		ev.Body, more = more[k:k+int(n):k+int(n)], more[k+int(n):]
		out = append(out, ev)
	}
	return out, nil
}
